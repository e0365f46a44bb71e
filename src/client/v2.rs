//! A client of etcd's v2 HTTP API (`/v2/keys`, `/v2/members`, `/v2/auth`, `/health`), shaped
//! like Go's `go.etcd.io/etcd/client` as etcdctl 3.4 uses it in v2 mode (`ETCDCTL_API=2`).
//!
//! Depends on `tls` (rustls client configuration) and `go_text`; never on server code.
//!
//! Behaviour followed (etcd 3.4 `client/client.go`, `keys.go`, `members.go`, `auth_*.go`):
//! - endpoints are URLs parsed like Go's `url.Parse`; a missing scheme becomes `http`, so
//!   `127.0.0.1:2379` is refused (`first path segment in URL cannot contain colon`) and
//!   `localhost:2379` fails per request (`unsupported protocol scheme "localhost"`);
//! - a request tries the endpoints in order, starting from the one that answered last; a
//!   transport error or a 5xx answer moves on to the next; when all fail the error is a
//!   [`V2Error::Cluster`] (`client: etcd cluster is unavailable or misconfigured; error #0: …`);
//! - each attempt, until the response headers arrive, is bounded by the header timeout
//!   (etcdctl `--timeout`, `client: endpoint <url> exceeded header timeout`), except watches;
//! - keys errors are etcd's JSON errors ([`EtcdError`], `100: Key not found (/foo) [4]`);
//!   members and auth errors carry the server's `message`;
//! - with credentials every request carries HTTP basic auth;
//! - [`V2Client::sync`] replaces the endpoints by the members' client URLs.
//!
//! One HTTP/1.1 connection per request (hyper's connection API over tokio TCP or rustls).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use serde::{Deserialize, Serialize};

use crate::tls::ClientTlsOptions;

/// Go's `ErrClusterUnavailable` text, the head of every [`V2Error::Cluster`] message.
pub const CLUSTER_UNAVAILABLE: &str = "client: etcd cluster is unavailable or misconfigured";

/// One endpoint's failure inside a [`V2Error::Cluster`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointError {
    /// Go's error text (`dial tcp 127.0.0.1:1: connect: connection refused`).
    pub message: String,
    /// Whether Go's etcdctl counts it as a connection error (`isConnectionError`: a failed
    /// dial or read), which makes the cluster sync exit with the bad-connection code.
    pub connection: bool,
}

/// etcd's v2 keys error body (`{"errorCode":100,"message":"Key not found","cause":"/foo",
/// "index":4}`); `Display` is Go's `100: Key not found (/foo) [4]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{code}: {message} ({cause}) [{index}]")]
pub struct EtcdError {
    /// etcd's error code (100 key not found, 101 compare failed, 105 key exists, ...).
    #[serde(rename = "errorCode", default)]
    pub code: i64,
    /// The error text.
    #[serde(default)]
    pub message: String,
    /// What it is about (usually the key).
    #[serde(default)]
    pub cause: String,
    /// The store index (`X-Etcd-Index`) when it happened.
    #[serde(default)]
    pub index: u64,
}

/// Errors of [`V2Client`]; `Display` is the text Go's client gives, which etcdctl prints.
#[derive(Debug, Clone, thiserror::Error)]
pub enum V2Error {
    /// An error answer of the keys API.
    #[error("{0}")]
    Etcd(EtcdError),
    /// Every endpoint failed.
    #[error("{}", cluster_message(.0))]
    Cluster(Vec<EndpointError>),
    /// There is no endpoint to talk to.
    #[error("client: no endpoints available")]
    NoEndpoints,
    /// An error message from the members or auth API, or Go's `unexpected status code N`.
    #[error("{0}")]
    Api(String),
    /// A success answer whose body is not the expected JSON.
    #[error("client: response is invalid json. The endpoint is probably not valid etcd cluster endpoint")]
    InvalidJson,
    /// A success answer without a body.
    #[error("client: response body is empty")]
    EmptyBody,
    /// The total deadline passed (Go's `context deadline exceeded`).
    #[error("context deadline exceeded")]
    DeadlineExceeded,
    /// An endpoint Go's `url.Parse` refuses, or an unusable TLS configuration.
    #[error("{0}")]
    Config(String),
}

fn cluster_message(errs: &[EndpointError]) -> String {
    let mut s = CLUSTER_UNAVAILABLE.to_string();
    for (i, e) in errs.iter().enumerate() {
        s.push_str(&format!("; error #{i}: {}\n", e.message));
    }
    s
}

impl V2Error {
    /// Go's `ClusterError.Detail()`: one `error #i: <text>` line per endpoint; `None` for
    /// other errors.
    pub fn detail(&self) -> Option<String> {
        match self {
            V2Error::Cluster(errs) => Some(
                errs.iter()
                    .enumerate()
                    .map(|(i, e)| format!("error #{i}: {}\n", e.message))
                    .collect(),
            ),
            _ => None,
        }
    }

    /// etcdctl's `isConnectionError`: every endpoint failed to connect or read, or the
    /// deadline passed (Go's `context.DeadlineExceeded` is a timeout `net.Error`).
    pub fn is_connection_error(&self) -> bool {
        match self {
            V2Error::Cluster(errs) => errs.iter().all(|e| e.connection),
            V2Error::DeadlineExceeded => true,
            _ => false,
        }
    }
}

/// A v2 node (`client.Node`); field order and JSON names as Go marshals them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Node {
    /// Full key (`/dir/key`).
    #[serde(default)]
    pub key: String,
    /// Whether it is a directory.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dir: bool,
    /// The value (`""` for directories).
    #[serde(default)]
    pub value: String,
    /// Children (for directories read with `recursive` or one level down), `null` otherwise.
    #[serde(default)]
    pub nodes: Option<Vec<Node>>,
    /// Index at creation.
    #[serde(rename = "createdIndex", default)]
    pub created_index: u64,
    /// Index of the last change.
    #[serde(rename = "modifiedIndex", default)]
    pub modified_index: u64,
    /// Expiry time as the server sent it (RFC 3339 with nanoseconds), when it has a TTL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration: Option<String>,
    /// Remaining time to live in seconds, 0 when none.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub ttl: i64,
}

fn is_zero(v: &i64) -> bool {
    *v == 0
}

/// A keys API answer (`client.Response`); [`Response::index`] is the `X-Etcd-Index` header
/// and is not part of the JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Response {
    /// `get`, `set`, `create`, `update`, `delete`, `compareAndSwap`, `compareAndDelete`,
    /// `expire`.
    #[serde(default)]
    pub action: String,
    /// The node acted on.
    #[serde(default)]
    pub node: Option<Node>,
    /// The node before the change, if any.
    #[serde(rename = "prevNode", default)]
    pub prev_node: Option<Node>,
    /// The store index of the answer (`X-Etcd-Index`).
    #[serde(skip)]
    pub index: u64,
}

/// A cluster member as `/v2/members` lists it; IDs are hexadecimal strings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Member {
    /// Member ID, hexadecimal.
    #[serde(default)]
    pub id: String,
    /// Name; empty for a member added but not started.
    #[serde(default)]
    pub name: String,
    /// Peer URLs.
    #[serde(rename = "peerURLs", default)]
    pub peer_urls: Vec<String>,
    /// Client URLs.
    #[serde(rename = "clientURLs", default)]
    pub client_urls: Vec<String>,
}

/// A v2 auth user (`/v2/auth/users/<name>`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct User {
    /// User name.
    #[serde(default)]
    pub user: String,
    /// Names of the granted roles.
    #[serde(default)]
    pub roles: Vec<String>,
}

/// The key permissions of a v2 role.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KvPerms {
    /// Readable key patterns.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub read: Vec<String>,
    /// Writable key patterns.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub write: Vec<String>,
}

/// A JSON `null` list read as empty (Go's nil slice).
fn null_as_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(Option::<Vec<String>>::deserialize(d)?.unwrap_or_default())
}

/// A v2 auth role (`/v2/auth/roles/<name>`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Role {
    /// Role name.
    #[serde(default)]
    pub role: String,
    /// Its permissions.
    #[serde(default)]
    pub permissions: Perms,
}

/// `{"kv": {...}}` of a role.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Perms {
    /// Key permissions.
    #[serde(default)]
    pub kv: KvPerms,
}

/// Which permission a role grant or revoke names (Go's `client.PermissionType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Read only.
    Read,
    /// Write only.
    Write,
    /// Read and write.
    ReadWrite,
}

/// Options of a set (`PUT /v2/keys/<key>`), Go's `client.SetOptions`.
#[derive(Debug, Clone, Default)]
pub struct SetOptions {
    /// `prevValue`: only if the current value is this (ignored when empty, as in Go).
    pub prev_value: String,
    /// `prevIndex`: only if the modified index is this (ignored when 0).
    pub prev_index: u64,
    /// `prevExist`: `Some(true)` only update, `Some(false)` only create.
    pub prev_exist: Option<bool>,
    /// TTL in seconds (none when 0 or negative).
    pub ttl: i64,
    /// Create a directory instead of a value.
    pub dir: bool,
}

/// Options of a delete, Go's `client.DeleteOptions`.
#[derive(Debug, Clone, Default)]
pub struct DeleteOptions {
    /// `prevValue` (ignored when empty).
    pub prev_value: String,
    /// `prevIndex` (ignored when 0).
    pub prev_index: u64,
    /// Allow deleting an empty directory.
    pub dir: bool,
    /// Delete a directory and everything under it.
    pub recursive: bool,
}

/// Connection settings of a [`V2Client`].
#[derive(Debug, Clone)]
pub struct V2Config {
    /// Endpoint URLs as given (`http://127.0.0.1:2379`).
    pub endpoints: Vec<String>,
    /// TLS options for `https://` endpoints (`--ca-file`, `--cert-file`, `--key-file`).
    pub tls: Option<ClientTlsOptions>,
    /// Bound on one attempt until the response headers arrive (`--timeout`); zero: none.
    pub header_timeout: Duration,
    /// Bound on connecting to one endpoint.
    pub dial_timeout: Duration,
    /// HTTP basic-auth user and password.
    pub credentials: Option<(String, String)>,
}

/// Receives Go's `cURL Command: ...` line of every request (etcdctl `--debug`).
pub type DebugSink = Arc<dyn Fn(&str) + Send + Sync>;

/// A parsed endpoint: Go's `url.URL` string form and where to connect.
#[derive(Debug, Clone)]
struct Endpoint {
    /// `scheme://host[:port][path]` as Go prints it.
    url: String,
    scheme: String,
    /// Host without brackets.
    host: String,
    /// `host[:port]` as written (the `Host` header).
    authority: String,
    port: u16,
    path: String,
}

/// Parses an endpoint like Go's `url.Parse` followed by etcdctl's "no scheme → http".
fn parse_endpoint(ep: &str) -> Result<Endpoint, V2Error> {
    let (scheme, rest) = match ep.split_once("://") {
        Some((s, r)) => (s.to_ascii_lowercase(), r.to_string()),
        None => {
            let first = ep.chars().next();
            let scheme_like = first.is_some_and(|c| c.is_ascii_alphabetic())
                && ep.split_once(':').is_some_and(|(s, _)| {
                    s.chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
                });
            if scheme_like {
                let (s, r) = ep.split_once(':').unwrap_or((ep, ""));
                // Go: an opaque URL with this scheme; the transport refuses it per request.
                return Ok(Endpoint {
                    url: format!("{}:{r}", s.to_ascii_lowercase()),
                    scheme: s.to_ascii_lowercase(),
                    host: String::new(),
                    authority: String::new(),
                    port: 0,
                    path: String::new(),
                });
            }
            let seg = ep.split('/').next().unwrap_or("");
            if seg.contains(':') {
                return Err(V2Error::Config(format!(
                    "parse {}: first path segment in URL cannot contain colon",
                    crate::go_text::go_quote(ep.as_bytes())
                )));
            }
            ("http".to_string(), ep.to_string())
        }
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (rest[..i].to_string(), rest[i..].to_string()),
        None => (rest.clone(), String::new()),
    };
    let authority = authority
        .rsplit_once('@')
        .map_or(authority.clone(), |(_, a)| a.to_string());
    let (host, port) = if let Some(h) = authority.strip_prefix('[') {
        let (h, p) = h.split_once(']').unwrap_or((h, ""));
        (h.to_string(), p.strip_prefix(':').unwrap_or("").to_string())
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), p.to_string()),
            None => (authority.clone(), String::new()),
        }
    };
    let port = if port.is_empty() {
        if scheme == "https" {
            443
        } else {
            80
        }
    } else {
        port.parse::<u16>().map_err(|_| {
            V2Error::Config(format!(
                "parse {}: invalid port {} after host",
                crate::go_text::go_quote(ep.as_bytes()),
                crate::go_text::go_quote(format!(":{port}").as_bytes())
            ))
        })?
    };
    Ok(Endpoint {
        url: format!("{scheme}://{rest}"),
        scheme,
        host,
        authority,
        port,
        path: path.trim_end_matches('/').to_string(),
    })
}

/// Go's `url.PathEscape`-like escaping of a URL path (slashes kept).
fn escape_path(p: &str) -> String {
    let mut s = String::new();
    for b in p.bytes() {
        if b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'_'
                    | b'.'
                    | b'~'
                    | b'$'
                    | b'&'
                    | b'+'
                    | b','
                    | b'/'
                    | b':'
                    | b';'
                    | b'='
                    | b'@'
            )
        {
            s.push(b as char);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    s
}

/// Go's `url.QueryEscape`.
fn escape_query(p: &str) -> String {
    let mut s = String::new();
    for b in p.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            s.push(b as char);
        } else if b == b' ' {
            s.push('+');
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    s
}

/// Go's `url.Values.Encode`: sorted by key, query-escaped.
fn encode_values(v: &[(&str, String)]) -> String {
    let mut v: Vec<&(&str, String)> = v.iter().collect();
    v.sort_by(|a, b| a.0.cmp(b.0));
    v.iter()
        .map(|(k, val)| format!("{}={}", escape_query(k), escape_query(val)))
        .collect::<Vec<_>>()
        .join("&")
}

/// etcd's `pathutil.CanonicalURLPath`: leading `/`, `.`/`..`/`//` cleaned, trailing `/` kept.
fn canonical_path(p: &str) -> String {
    if p.is_empty() {
        return "/".to_string();
    }
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    let mut out = format!("/{}", parts.join("/"));
    if p.ends_with('/') && out != "/" {
        out.push('/');
    }
    out
}

/// One HTTP request, independent of the endpoint.
#[derive(Debug, Clone)]
struct Request {
    method: hyper::Method,
    /// Path below the endpoint's own path, unescaped (`/v2/keys/foo`).
    path: String,
    /// Already encoded query, may be empty.
    query: String,
    body: Option<(String, &'static str)>,
    /// Watch requests have no header timeout.
    wait: bool,
}

/// A raw answer.
struct Answer {
    status: u16,
    index: Option<u64>,
    body: Bytes,
}

/// The v2 client: endpoints, TLS, timeouts, credentials.
pub struct V2Client {
    endpoints: Vec<Endpoint>,
    pinned: AtomicUsize,
    tls: Option<Arc<rustls::ClientConfig>>,
    header_timeout: Duration,
    dial_timeout: Duration,
    auth: Option<String>,
    debug: Option<DebugSink>,
}

impl std::fmt::Debug for V2Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("V2Client")
            .field("endpoints", &self.endpoints())
            .finish()
    }
}

impl V2Client {
    /// A client for `cfg`.
    ///
    /// # Errors
    /// [`V2Error::Config`] for an endpoint Go's `url.Parse` refuses or unreadable TLS files.
    pub fn new(cfg: &V2Config) -> Result<V2Client, V2Error> {
        let endpoints = cfg
            .endpoints
            .iter()
            .map(|e| parse_endpoint(e))
            .collect::<Result<Vec<_>, _>>()?;
        let needs_tls = cfg.tls.is_some() || endpoints.iter().any(|e| e.scheme == "https");
        let tls = if needs_tls {
            let opts = cfg.tls.clone().unwrap_or_default();
            let mut c = crate::tls::client_config(&opts, &crate::tls::TlsParams::default())
                .map_err(|e| V2Error::Config(e.to_string()))?;
            c.alpn_protocols = vec![b"http/1.1".to_vec()];
            Some(Arc::new(c))
        } else {
            None
        };
        use base64::Engine as _;
        Ok(V2Client {
            endpoints,
            pinned: AtomicUsize::new(0),
            tls,
            header_timeout: cfg.header_timeout,
            dial_timeout: cfg.dial_timeout,
            auth: cfg.credentials.as_ref().map(|(u, p)| {
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"))
                )
            }),
            debug: None,
        })
    }

    /// Reports every request as Go's `cURL Command: curl -X ...` text to `sink`.
    pub fn set_debug(&mut self, sink: DebugSink) {
        self.debug = Some(sink);
    }

    /// The endpoints, as Go prints them.
    pub fn endpoints(&self) -> Vec<String> {
        self.endpoints.iter().map(|e| e.url.clone()).collect()
    }

    /// Go's `httpClusterClient.Sync`: lists the members and uses their client URLs as the
    /// endpoints from now on.
    ///
    /// # Errors
    /// The member list failure; [`V2Error::NoEndpoints`] when no member publishes a client URL.
    pub async fn sync(&mut self) -> Result<(), V2Error> {
        let members = self.member_list().await?;
        let urls: Vec<String> = members.into_iter().flat_map(|m| m.client_urls).collect();
        if urls.is_empty() {
            return Err(V2Error::NoEndpoints);
        }
        let eps = urls
            .iter()
            .map(|u| parse_endpoint(u))
            .collect::<Result<Vec<_>, _>>()?;
        let mut cur = self.endpoints();
        cur.sort();
        let mut new: Vec<String> = eps.iter().map(|e| e.url.clone()).collect();
        new.sort();
        if cur != new {
            self.endpoints = eps;
            self.pinned.store(0, Ordering::Relaxed);
        }
        Ok(())
    }

    fn debug_line(&self, ep: &Endpoint, req: &Request) {
        let Some(sink) = &self.debug else { return };
        let mut line = format!("curl -X {} {}", req.method, self.full_url(ep, req));
        if let Some((b, _)) = &req.body {
            line.push_str(&format!(" -d {}", crate::go_text::go_quote(b.as_bytes())));
        }
        sink(&format!("cURL Command: {line}"));
    }

    fn full_url(&self, ep: &Endpoint, req: &Request) -> String {
        let mut u = format!(
            "{}://{}{}",
            ep.scheme,
            ep.authority,
            escape_path(&format!("{}{}", ep.path, req.path))
        );
        if !req.query.is_empty() {
            u.push('?');
            u.push_str(&req.query);
        }
        u
    }

    /// Go's `httpClusterClient.Do`: the endpoints in turn from the pinned one.
    async fn send(&self, req: Request) -> Result<Answer, V2Error> {
        let n = self.endpoints.len();
        if n == 0 {
            return Err(V2Error::NoEndpoints);
        }
        let pinned = self.pinned.load(Ordering::Relaxed) % n;
        let mut errs = Vec::new();
        for i in pinned..pinned + n {
            let k = i % n;
            let ep = &self.endpoints[k];
            self.debug_line(ep, &req);
            match self.attempt(ep, &req).await {
                Err(e) => errs.push(e),
                Ok(a) if a.status / 100 == 5 => errs.push(EndpointError {
                    message: if a.status == 500 || a.status == 503 {
                        format!("client: etcd member {} has no leader", ep.url)
                    } else {
                        format!(
                            "client: etcd member {} returns server error [{}]",
                            ep.url,
                            status_text(a.status)
                        )
                    },
                    connection: false,
                }),
                Ok(a) => {
                    self.pinned.store(k, Ordering::Relaxed);
                    return Ok(a);
                }
            }
        }
        Err(V2Error::Cluster(errs))
    }

    /// One request to one endpoint.
    async fn attempt(&self, ep: &Endpoint, req: &Request) -> Result<Answer, EndpointError> {
        let fail = |message: String, connection: bool| EndpointError {
            message,
            connection,
        };
        if ep.scheme != "http" && ep.scheme != "https" {
            return Err(fail(
                format!(
                    "unsupported protocol scheme {}",
                    crate::go_text::go_quote(ep.scheme.as_bytes())
                ),
                false,
            ));
        }
        let head = async {
            let sender = self.connect(ep).await?;
            self.request(sender, ep, req).await
        };
        let resp = if req.wait || self.header_timeout.is_zero() {
            head.await?
        } else {
            match tokio::time::timeout(self.header_timeout, head).await {
                Ok(r) => r?,
                Err(_) => {
                    return Err(fail(
                        format!("client: endpoint {} exceeded header timeout", ep.url),
                        false,
                    ))
                }
            }
        };
        let status = resp.status().as_u16();
        let index = resp
            .headers()
            .get("X-Etcd-Index")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        let body = resp
            .into_body()
            .collect()
            .await
            .map_err(|e| fail(format!("read: {e}"), true))?
            .to_bytes();
        Ok(Answer {
            status,
            index,
            body,
        })
    }

    async fn connect(
        &self,
        ep: &Endpoint,
    ) -> Result<hyper::client::conn::http1::SendRequest<Full<Bytes>>, EndpointError> {
        let dial = |e: String| EndpointError {
            message: e,
            connection: true,
        };
        let addrs: Vec<std::net::SocketAddr> = tokio::net::lookup_host((ep.host.as_str(), ep.port))
            .await
            .map_err(|e| {
                dial(format!(
                    "dial tcp: lookup {}: {}",
                    ep.host,
                    crate::go_text::io_error_text(&e)
                ))
            })?
            .collect();
        let mut last = dial(format!("dial tcp: lookup {}: no such host", ep.host));
        for addr in addrs {
            match tokio::time::timeout(self.dial_timeout, tokio::net::TcpStream::connect(addr))
                .await
            {
                Ok(Ok(tcp)) => {
                    let _ = tcp.set_nodelay(true);
                    return self.handshake(ep, tcp).await;
                }
                Ok(Err(e)) => {
                    last = dial(format!(
                        "dial tcp {addr}: connect: {}",
                        crate::go_text::io_error_text(&e)
                    ));
                }
                Err(_) => last = dial(format!("dial tcp {addr}: i/o timeout")),
            }
        }
        Err(last)
    }

    async fn handshake(
        &self,
        ep: &Endpoint,
        tcp: tokio::net::TcpStream,
    ) -> Result<hyper::client::conn::http1::SendRequest<Full<Bytes>>, EndpointError> {
        let fail = |e: String| EndpointError {
            message: e,
            connection: true,
        };
        macro_rules! hs {
            ($io:expr) => {{
                let (sender, conn) =
                    hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new($io))
                        .await
                        .map_err(|e| fail(e.to_string()))?;
                tokio::spawn(async move {
                    let _ = conn.await;
                });
                Ok(sender)
            }};
        }
        if ep.scheme == "https" {
            let cfg = self
                .tls
                .clone()
                .ok_or_else(|| fail("no TLS configuration".to_string()))?;
            let name = rustls::pki_types::ServerName::try_from(ep.host.clone())
                .map_err(|e| fail(e.to_string()))?;
            let tls = tokio_rustls::TlsConnector::from(cfg)
                .connect(name, tcp)
                .await
                .map_err(|e| fail(format!("remote error: tls: {e}")))?;
            hs!(tls)
        } else {
            hs!(tcp)
        }
    }

    async fn request(
        &self,
        mut sender: hyper::client::conn::http1::SendRequest<Full<Bytes>>,
        ep: &Endpoint,
        req: &Request,
    ) -> Result<hyper::Response<hyper::body::Incoming>, EndpointError> {
        let mut uri = escape_path(&format!("{}{}", ep.path, req.path));
        if !req.query.is_empty() {
            uri.push('?');
            uri.push_str(&req.query);
        }
        let mut b = hyper::Request::builder()
            .method(req.method.clone())
            .uri(uri)
            .header(hyper::header::HOST, ep.authority.as_str())
            .header(hyper::header::USER_AGENT, "Go-http-client/1.1");
        if let Some(a) = &self.auth {
            b = b.header(hyper::header::AUTHORIZATION, a.as_str());
        }
        let body = match &req.body {
            Some((text, ctype)) => {
                b = b.header(hyper::header::CONTENT_TYPE, *ctype);
                Full::new(Bytes::from(text.clone()))
            }
            None => Full::new(Bytes::new()),
        };
        let r = b.body(body).map_err(|e| EndpointError {
            message: e.to_string(),
            connection: false,
        })?;
        sender.send_request(r).await.map_err(|e| EndpointError {
            message: format!("read: {e}"),
            connection: true,
        })
    }

    // ----- keys -----

    fn keys_path(key: &str) -> String {
        let key = if key.starts_with('/') || key.is_empty() {
            key.to_string()
        } else {
            format!("/{key}")
        };
        canonical_path(&format!("/v2/keys{key}"))
    }

    async fn keys(&self, req: Request) -> Result<Response, V2Error> {
        let a = self.send(req).await?;
        match a.status {
            200 | 201 => {
                if a.body.is_empty() {
                    return Err(V2Error::EmptyBody);
                }
                let mut r: Response =
                    serde_json::from_slice(&a.body).map_err(|_| V2Error::InvalidJson)?;
                r.index = a.index.unwrap_or(0);
                Ok(r)
            }
            _ => Err(serde_json::from_slice::<EtcdError>(&a.body)
                .map(V2Error::Etcd)
                .unwrap_or(V2Error::InvalidJson)),
        }
    }

    /// `GET /v2/keys/<key>` (Go's `KeysAPI.Get`).
    ///
    /// # Errors
    /// [`V2Error::Etcd`] (e.g. 100 key not found) or a transport error.
    pub async fn get(
        &self,
        key: &str,
        recursive: bool,
        sorted: bool,
        quorum: bool,
    ) -> Result<Response, V2Error> {
        self.keys(Request {
            method: hyper::Method::GET,
            path: Self::keys_path(key),
            query: encode_values(&[
                ("recursive", recursive.to_string()),
                ("sorted", sorted.to_string()),
                ("quorum", quorum.to_string()),
            ]),
            body: None,
            wait: false,
        })
        .await
    }

    /// `PUT /v2/keys/<key>` (Go's `KeysAPI.Set`).
    ///
    /// # Errors
    /// [`V2Error::Etcd`] (100, 101 compare failed, 102 not a file, 105 exists, ...) or a
    /// transport error.
    pub async fn set(&self, key: &str, value: &str, o: &SetOptions) -> Result<Response, V2Error> {
        let mut params = Vec::new();
        let mut form = Vec::new();
        if o.dir {
            params.push(("dir", "true".to_string()));
        } else {
            if !o.prev_value.is_empty() {
                params.push(("prevValue", o.prev_value.clone()));
            }
            form.push(("value", value.to_string()));
        }
        if o.prev_index != 0 {
            params.push(("prevIndex", o.prev_index.to_string()));
        }
        if let Some(p) = o.prev_exist {
            params.push(("prevExist", p.to_string()));
        }
        if o.ttl > 0 {
            form.push(("ttl", o.ttl.to_string()));
        }
        self.keys(Request {
            method: hyper::Method::PUT,
            path: Self::keys_path(key),
            query: encode_values(&params),
            body: Some((encode_values(&form), "application/x-www-form-urlencoded")),
            wait: false,
        })
        .await
    }

    /// `POST /v2/keys/<dir>`: an in-order key under `dir` (Go's `KeysAPI.CreateInOrder`).
    ///
    /// # Errors
    /// As [`V2Client::set`].
    pub async fn create_in_order(
        &self,
        dir: &str,
        value: &str,
        ttl: i64,
    ) -> Result<Response, V2Error> {
        let mut form = vec![("value", value.to_string())];
        if ttl > 0 {
            form.push(("ttl", ttl.to_string()));
        }
        self.keys(Request {
            method: hyper::Method::POST,
            path: Self::keys_path(dir),
            query: String::new(),
            body: Some((encode_values(&form), "application/x-www-form-urlencoded")),
            wait: false,
        })
        .await
    }

    /// `DELETE /v2/keys/<key>` (Go's `KeysAPI.Delete`).
    ///
    /// # Errors
    /// [`V2Error::Etcd`] (100, 101, 102 not a file, 108 directory not empty) or a transport
    /// error.
    pub async fn delete(&self, key: &str, o: &DeleteOptions) -> Result<Response, V2Error> {
        let mut params = Vec::new();
        if !o.prev_value.is_empty() {
            params.push(("prevValue", o.prev_value.clone()));
        }
        if o.prev_index != 0 {
            params.push(("prevIndex", o.prev_index.to_string()));
        }
        if o.dir {
            params.push(("dir", "true".to_string()));
        }
        if o.recursive {
            params.push(("recursive", "true".to_string()));
        }
        self.keys(Request {
            method: hyper::Method::DELETE,
            path: Self::keys_path(key),
            query: encode_values(&params),
            body: None,
            wait: false,
        })
        .await
    }

    /// One long poll `GET /v2/keys/<key>?wait=true&waitIndex=N` (Go's `httpWatcher.Next`):
    /// the first event at or after `wait_index` (0: the next one). Empty answers (the server
    /// closing an idle poll) are retried. No header timeout.
    ///
    /// # Errors
    /// [`V2Error::Etcd`] (401 event index cleared, ...) or a transport error.
    pub async fn watch_next(
        &self,
        key: &str,
        wait_index: u64,
        recursive: bool,
    ) -> Result<Response, V2Error> {
        loop {
            let r = self
                .keys(Request {
                    method: hyper::Method::GET,
                    path: Self::keys_path(key),
                    query: encode_values(&[
                        ("wait", "true".to_string()),
                        ("waitIndex", wait_index.to_string()),
                        ("recursive", recursive.to_string()),
                    ]),
                    body: None,
                    wait: true,
                })
                .await;
            match r {
                Err(V2Error::EmptyBody) => continue,
                r => return r,
            }
        }
    }

    // ----- members -----

    async fn call(
        &self,
        method: hyper::Method,
        path: &str,
        json: Option<String>,
    ) -> Result<Answer, V2Error> {
        self.send(Request {
            method,
            path: path.to_string(),
            query: String::new(),
            body: json.map(|j| (j, "application/json")),
            wait: false,
        })
        .await
    }

    fn expect(a: &Answer, ok: &[u16]) -> Result<(), V2Error> {
        if ok.contains(&a.status) {
            Ok(())
        } else {
            Err(V2Error::Api(format!("unexpected status code {}", a.status)))
        }
    }

    fn message(a: &Answer) -> V2Error {
        #[derive(Deserialize)]
        struct Msg {
            #[serde(default)]
            message: String,
        }
        match serde_json::from_slice::<Msg>(&a.body) {
            Ok(m) => V2Error::Api(m.message),
            Err(e) => V2Error::Api(go_json_error(&a.body, &e)),
        }
    }

    fn json<T: serde::de::DeserializeOwned>(a: &Answer) -> Result<T, V2Error> {
        serde_json::from_slice(&a.body).map_err(|e| V2Error::Api(go_json_error(&a.body, &e)))
    }

    /// `GET /v2/members`.
    ///
    /// # Errors
    /// Transport errors, `unexpected status code N`.
    pub async fn member_list(&self) -> Result<Vec<Member>, V2Error> {
        #[derive(Deserialize)]
        struct List {
            #[serde(default)]
            members: Vec<Member>,
        }
        let a = self.call(hyper::Method::GET, "/v2/members", None).await?;
        Self::expect(&a, &[200])?;
        Ok(Self::json::<List>(&a)?.members)
    }

    /// `GET /v2/members/leader`.
    ///
    /// # Errors
    /// Transport errors, `unexpected status code N`.
    pub async fn member_leader(&self) -> Result<Member, V2Error> {
        let a = self
            .call(hyper::Method::GET, "/v2/members/leader", None)
            .await?;
        Self::expect(&a, &[200])?;
        Self::json(&a)
    }

    /// `POST /v2/members` with one peer URL; the new member.
    ///
    /// # Errors
    /// The server's message on 409 (e.g. `etcdserver: peerURL exists`), else as
    /// [`V2Client::member_list`].
    pub async fn member_add(&self, peer_url: &str) -> Result<Member, V2Error> {
        let body = serde_json::json!({ "peerURLs": [peer_url] }).to_string();
        let a = self
            .call(hyper::Method::POST, "/v2/members", Some(body))
            .await?;
        Self::expect(&a, &[201, 409])?;
        if a.status != 201 {
            return Err(Self::message(&a));
        }
        Self::json(&a)
    }

    /// `DELETE /v2/members/<id>`.
    ///
    /// # Errors
    /// The server's message on 404/409, else as [`V2Client::member_list`].
    pub async fn member_remove(&self, id: &str) -> Result<(), V2Error> {
        let a = self
            .call(hyper::Method::DELETE, &format!("/v2/members/{id}"), None)
            .await?;
        Self::expect(&a, &[204, 404, 409])?;
        if a.status != 204 {
            return Err(Self::message(&a));
        }
        Ok(())
    }

    /// `PUT /v2/members/<id>` with new peer URLs.
    ///
    /// # Errors
    /// `unexpected status code N` unless 204 or 410, transport errors.
    pub async fn member_update(&self, id: &str, peer_urls: &[String]) -> Result<(), V2Error> {
        let body = serde_json::json!({ "peerURLs": peer_urls }).to_string();
        let a = self
            .call(hyper::Method::PUT, &format!("/v2/members/{id}"), Some(body))
            .await?;
        Self::expect(&a, &[204, 410])
    }

    /// `GET <client url>/health` on one member; `Ok(body)` whatever the status.
    ///
    /// # Errors
    /// The Go-style transport error text.
    pub async fn health(&self, url: &str) -> Result<Bytes, String> {
        let ep = parse_endpoint(url).map_err(|e| e.to_string())?;
        let req = Request {
            method: hyper::Method::GET,
            path: "/health".to_string(),
            query: String::new(),
            body: None,
            wait: true,
        };
        let a = self
            .attempt(&ep, &req)
            .await
            .map_err(|e| format!("Get \"{}\": {}", self.full_url(&ep, &req), e.message))?;
        Ok(a.body)
    }

    // ----- auth -----

    async fn auth_call(
        &self,
        method: hyper::Method,
        path: &str,
        json: Option<String>,
        ok: &[u16],
    ) -> Result<Answer, V2Error> {
        let a = self.call(method, path, json).await?;
        if ok.contains(&a.status) {
            Ok(a)
        } else {
            Err(Self::message(&a))
        }
    }

    /// `PUT /v2/auth/enable` or `DELETE` it.
    ///
    /// # Errors
    /// The server's message.
    pub async fn auth_enable(&self, enable: bool) -> Result<(), V2Error> {
        let m = if enable {
            hyper::Method::PUT
        } else {
            hyper::Method::DELETE
        };
        self.auth_call(m, "/v2/auth/enable", None, &[200]).await?;
        Ok(())
    }

    /// `GET /v2/auth/users`: the user names.
    ///
    /// # Errors
    /// The server's message.
    pub async fn user_list(&self) -> Result<Vec<String>, V2Error> {
        #[derive(Deserialize)]
        struct Entry {
            #[serde(default)]
            user: String,
        }
        #[derive(Deserialize)]
        struct L {
            #[serde(default)]
            users: Option<Vec<Entry>>,
        }
        let a = self
            .auth_call(hyper::Method::GET, "/v2/auth/users", None, &[200])
            .await?;
        let l: L = Self::json(&a)?;
        Ok(l.users
            .unwrap_or_default()
            .into_iter()
            .map(|u| u.user)
            .collect())
    }

    /// `GET /v2/auth/users/<name>`.
    ///
    /// # Errors
    /// The server's message (`auth: User u does not exist.`).
    pub async fn user_get(&self, name: &str) -> Result<User, V2Error> {
        #[derive(Deserialize)]
        struct U {
            #[serde(default)]
            user: String,
            #[serde(default)]
            roles: Option<Vec<serde_json::Value>>,
        }
        let a = self
            .auth_call(
                hyper::Method::GET,
                &format!("/v2/auth/users/{name}"),
                None,
                &[200],
            )
            .await?;
        let u: U = Self::json(&a)?;
        let roles = u.roles.unwrap_or_default();
        // Go's client first decodes the roles as strings: role objects leave one empty
        // name each (a partial decode), then the names are appended; etcdctl prints both.
        let objects = roles.iter().any(|r| !r.is_string());
        let mut names: Vec<String> = if objects {
            vec![String::new(); roles.len()]
        } else {
            Vec::new()
        };
        names.extend(roles.into_iter().map(|r| {
            match r {
                serde_json::Value::String(s) => s,
                other => other
                    .get("role")
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_string(),
            }
        }));
        Ok(User {
            user: u.user,
            roles: names,
        })
    }

    /// `PUT /v2/auth/users/<name>` with a JSON body (add, grant, revoke, password).
    ///
    /// # Errors
    /// The server's message.
    pub async fn user_put(&self, name: &str, body: serde_json::Value) -> Result<(), V2Error> {
        self.auth_call(
            hyper::Method::PUT,
            &format!("/v2/auth/users/{name}"),
            Some(body.to_string()),
            &[200, 201],
        )
        .await?;
        Ok(())
    }

    /// `DELETE /v2/auth/users/<name>`.
    ///
    /// # Errors
    /// The server's message.
    pub async fn user_remove(&self, name: &str) -> Result<(), V2Error> {
        self.auth_call(
            hyper::Method::DELETE,
            &format!("/v2/auth/users/{name}"),
            None,
            &[200],
        )
        .await?;
        Ok(())
    }

    /// `GET /v2/auth/roles`: the role names.
    ///
    /// # Errors
    /// The server's message.
    pub async fn role_list(&self) -> Result<Vec<String>, V2Error> {
        #[derive(Deserialize)]
        struct L {
            #[serde(default)]
            roles: Option<Vec<Role>>,
        }
        // etcd's client checks only the status here (no error body), unlike users.
        let a = self
            .call(hyper::Method::GET, "/v2/auth/roles", None)
            .await?;
        Self::expect(&a, &[200])?;
        let l: L = Self::json(&a)?;
        Ok(l.roles
            .unwrap_or_default()
            .into_iter()
            .map(|r| r.role)
            .collect())
    }

    /// `GET /v2/auth/roles/<name>`.
    ///
    /// # Errors
    /// The server's message (`auth: Role r does not exist.`).
    pub async fn role_get(&self, name: &str) -> Result<Role, V2Error> {
        let a = self
            .auth_call(
                hyper::Method::GET,
                &format!("/v2/auth/roles/{name}"),
                None,
                &[200],
            )
            .await?;
        Self::json(&a)
    }

    /// `PUT /v2/auth/roles/<name>` with a JSON body (add, grant, revoke); the role after.
    ///
    /// # Errors
    /// The server's message.
    pub async fn role_put(
        &self,
        name: &str,
        body: serde_json::Value,
    ) -> Result<Option<Role>, V2Error> {
        let a = self
            .auth_call(
                hyper::Method::PUT,
                &format!("/v2/auth/roles/{name}"),
                Some(body.to_string()),
                &[200, 201],
            )
            .await?;
        Ok(serde_json::from_slice(&a.body).ok())
    }

    /// `DELETE /v2/auth/roles/<name>`.
    ///
    /// # Errors
    /// The server's message.
    pub async fn role_remove(&self, name: &str) -> Result<(), V2Error> {
        self.auth_call(
            hyper::Method::DELETE,
            &format!("/v2/auth/roles/{name}"),
            None,
            &[200],
        )
        .await?;
        Ok(())
    }
}

/// Go's `http.StatusText` for the 5xx codes the client reports.
fn status_text(code: u16) -> &'static str {
    match code {
        501 => "Not Implemented",
        502 => "Bad Gateway",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        _ => "",
    }
}

/// The error Go's `json.Unmarshal` gives for `body`, which checks the syntax of the whole
/// input before the types (so a `404 page not found` body reads `invalid character 'p' after
/// top-level value`, as etcdctl prints it); `typed` (serde's error) when the syntax is fine.
fn go_json_error(body: &[u8], typed: &serde_json::Error) -> String {
    let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(body) else {
        return typed.to_string();
    };
    if e.is_eof() {
        return "unexpected end of JSON input".into();
    }
    let text = String::from_utf8_lossy(body);
    let line = text
        .lines()
        .nth(e.line().saturating_sub(1))
        .unwrap_or_default();
    let at = line
        .chars()
        .nth(e.column().saturating_sub(1))
        .unwrap_or(' ');
    if e.to_string().starts_with("trailing characters") {
        format!("invalid character '{at}' after top-level value")
    } else {
        format!("invalid character '{at}' looking for beginning of value")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_parse_like_go_url_parse() {
        assert_eq!(
            parse_endpoint("127.0.0.1:2379").unwrap_err().to_string(),
            "parse \"127.0.0.1:2379\": first path segment in URL cannot contain colon"
        );
        let e = parse_endpoint("localhost:2379").unwrap();
        assert_eq!(e.scheme, "localhost");
        let e = parse_endpoint("http://127.0.0.1:2379").unwrap();
        assert_eq!((e.host.as_str(), e.port), ("127.0.0.1", 2379));
        assert_eq!(e.url, "http://127.0.0.1:2379");
        let e = parse_endpoint("https://[::1]:2379/").unwrap();
        assert_eq!(
            (e.host.as_str(), e.port, e.path.as_str()),
            ("::1", 2379, "")
        );
    }

    #[test]
    fn keys_paths_and_queries_are_encoded_like_go() {
        assert_eq!(V2Client::keys_path("foo"), "/v2/keys/foo");
        assert_eq!(V2Client::keys_path("/a//b/../c/"), "/v2/keys/a/c/");
        assert_eq!(V2Client::keys_path(""), "/v2/keys");
        assert_eq!(
            encode_values(&[("sorted", "false".into()), ("recursive", "a b&".into())]),
            "recursive=a+b%26&sorted=false"
        );
        assert_eq!(escape_path("/v2/keys/a b?"), "/v2/keys/a%20b%3F");
    }

    #[test]
    fn errors_print_like_go() {
        let e = V2Error::Etcd(EtcdError {
            code: 100,
            message: "Key not found".into(),
            cause: "/foo".into(),
            index: 4,
        });
        assert_eq!(e.to_string(), "100: Key not found (/foo) [4]");
        let c = V2Error::Cluster(vec![EndpointError {
            message: "dial tcp 127.0.0.1:1: connect: connection refused".into(),
            connection: true,
        }]);
        assert_eq!(
            c.to_string(),
            "client: etcd cluster is unavailable or misconfigured; error #0: dial tcp 127.0.0.1:1: connect: connection refused\n"
        );
        assert!(c.is_connection_error());
    }

    #[test]
    fn responses_marshal_in_gos_field_order() {
        let r: Response = serde_json::from_str(
            r#"{"action":"set","node":{"key":"/d","dir":true,"modifiedIndex":5,"createdIndex":5}}"#,
        )
        .unwrap();
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"action":"set","node":{"key":"/d","dir":true,"value":"","nodes":null,"createdIndex":5,"modifiedIndex":5},"prevNode":null}"#
        );
    }

    #[test]
    fn json_errors_read_as_go_prints_them() {
        let typed = serde_json::from_slice::<u8>(b"x").expect_err("not JSON");
        assert_eq!(
            go_json_error(b"404 page not found\n", &typed),
            "invalid character 'p' after top-level value"
        );
        assert_eq!(go_json_error(b"", &typed), "unexpected end of JSON input");
    }
}
