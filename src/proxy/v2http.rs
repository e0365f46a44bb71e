//! etcd 3.4's v2 proxy (`--proxy on|readonly`, and what `--discovery-fallback=proxy` becomes
//! when the discovery cluster is full): a process that is not a member and forwards every
//! HTTP request on `--listen-client-urls` to a client URL of the cluster (etcd's
//! `etcdmain.startProxy` and `proxy/httpproxy`).
//!
//! - The cluster's peer URLs come from `<data-dir>/proxy/cluster` when it exists (etcd's
//!   JSON `{"PeerURLs":[...]}`), else from `--initial-cluster` or the discovery token
//!   (etcd's `GetCluster`, no registration).
//! - The client URLs are learnt from `GET <peer>/members` (etcd's `GetClusterFromRemotePeers`);
//!   every refresh rewrites the cluster file with the peer URLs the cluster reported.
//!   Refreshes run every `--proxy-refresh-interval`, every second while no endpoint is known.
//! - A request is tried on each endpoint in turn; an endpoint that failed is skipped for
//!   `--proxy-failure-wait`. No endpoint: `503 {"message":"httpproxy: zero endpoints
//!   currently available"}`; all failed: `502 {"message":"httpproxy: unable to get response
//!   from N endpoint(s)"}`. Hop-by-hop headers are dropped and `X-Forwarded-For` is added.
//! - `readonly` answers `501` to anything but GET. `/v2/config/local/proxy` lists the endpoints.
//! - Timeouts: `--proxy-dial-timeout` bounds the connection to an endpoint,
//!   `--proxy-write-timeout` bounds sending the request (until the endpoint accepts it),
//!   `--proxy-read-timeout` (0: none) bounds the wait for the response head and for each
//!   body chunk, like etcd's per-read deadline. Responses are streamed (v2 long polls, v3
//!   JSON watch streams).
//!
//! - TLS: `https` listen URLs are served with `--cert-file`/`--key-file` (and
//!   `--trusted-ca-file`/`--client-cert-auth`); `https` endpoints are dialled with those files
//!   as CA and client certificate, or the `--peer-*` ones when they are empty (etcd's
//!   `startProxy`).
//!
//! Departure from etcd: the proxy's own `/metrics` is the cluster's; `--auto-tls` is not
//! applied to the proxy's listeners.
//!
//! Depends on: hyper, `discovery` (v2 `GetCluster`, the small HTTP client for `/members`).

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{combinators::BoxBody, BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use url::Url;

/// `--proxy`: `on` forwards everything, `readonly` only GETs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyMode {
    /// `--proxy on`.
    On,
    /// `--proxy readonly`.
    Readonly,
}

/// The v2 proxy's configuration (etcd's `configProxy` plus the flags it reads).
#[derive(Debug, Clone)]
pub struct V2ProxyConfig {
    /// `on` or `readonly`.
    pub mode: ProxyMode,
    /// `--proxy-failure-wait`: how long a failed endpoint is skipped.
    pub failure_wait: Duration,
    /// `--proxy-refresh-interval`: how often the endpoints are re-read from the cluster.
    pub refresh_interval: Duration,
    /// `--proxy-dial-timeout` (zero: none).
    pub dial_timeout: Duration,
    /// `--proxy-write-timeout` (zero: none).
    pub write_timeout: Duration,
    /// `--proxy-read-timeout` (zero: none, etcd's default).
    pub read_timeout: Duration,
    /// `--data-dir`; the cluster file is `<data-dir>/proxy/cluster`.
    pub data_dir: PathBuf,
    /// Peer URLs from `--initial-cluster`.
    pub initial_peer_urls: Vec<Url>,
    /// `--discovery` URL and `--discovery-proxy`, when bootstrapping by discovery.
    pub discovery: Option<(String, String)>,
    /// `--listen-client-urls`; `https` ones are served with [`Self::client_tls`].
    pub listen_client_urls: Vec<Url>,
    /// `--cert-file`, `--key-file`, `--trusted-ca-file`, `--client-cert-auth` (etcd's
    /// `ClientTLSInfo`): the TLS of the `https` listeners, and the client certificate and CA
    /// the proxy dials `https` endpoints with (the peer TLS files when these are empty, as
    /// etcd's proxy does).
    pub client_tls: crate::tls::TlsInfo,
    /// `--peer-cert-file`, `--peer-key-file`, `--peer-trusted-ca-file`.
    pub peer_tls: crate::tls::TlsInfo,
    /// `--cipher-suites`, `--tls-min-version`, `--tls-max-version`.
    pub tls_params: crate::tls::TlsParams,
}

impl V2ProxyConfig {
    /// etcd's proxy transport TLS: the client TLS files, or the peer ones when those are
    /// empty; `None` when neither is given (`https` endpoints then use the system roots).
    fn dial_tls(&self) -> crate::tls::ClientTlsOptions {
        let info = if self.client_tls.is_empty() {
            &self.peer_tls
        } else {
            &self.client_tls
        };
        crate::tls::ClientTlsOptions {
            ca_file: info.trusted_ca_file.clone(),
            cert_file: info.cert_file.clone(),
            key_file: info.key_file.clone(),
            insecure_skip_verify: false,
        }
    }
}

/// Why the v2 proxy could not start.
#[derive(Debug, thiserror::Error)]
pub enum V2ProxyError {
    /// The proxy directory or cluster file cannot be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The cluster file is not etcd's `{"PeerURLs":[...]}`.
    #[error("{0}")]
    ClusterFile(#[from] serde_json::Error),
    /// Discovery failed.
    #[error("{0}")]
    Discovery(#[from] crate::discovery::v2::DiscoveryError),
    /// The discovery service's cluster is not a `name=URL` list.
    #[error("error setting up initial cluster: {0}")]
    InitialCluster(String),
    /// A listen URL cannot be bound or is not `http`.
    #[error("listen {url}: {reason}")]
    Listen {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
}

/// etcd's cluster file shape.
#[derive(serde::Serialize, serde::Deserialize)]
struct ClusterFile {
    #[serde(rename = "PeerURLs")]
    peer_urls: Vec<String>,
}

/// One endpoint of the director: a client URL and when it last failed.
#[derive(Debug, Clone)]
struct Endpoint {
    url: Url,
    failed_at: Option<Instant>,
}

/// etcd's `director`: the endpoints and the peer URLs they were learnt from.
struct Director {
    cfg: V2ProxyConfig,
    cluster_file: PathBuf,
    peer_urls: Mutex<Vec<String>>,
    endpoints: Mutex<Vec<Endpoint>>,
}

impl Director {
    /// The endpoints not in their failure wait.
    fn available(&self) -> Vec<Url> {
        let eps = self.endpoints.lock().unwrap_or_else(|p| p.into_inner());
        eps.iter()
            .filter(|e| {
                e.failed_at
                    .is_none_or(|t| t.elapsed() >= self.cfg.failure_wait)
            })
            .map(|e| e.url.clone())
            .collect()
    }

    fn all(&self) -> Vec<String> {
        let eps = self.endpoints.lock().unwrap_or_else(|p| p.into_inner());
        eps.iter().map(|e| e.url.to_string()).collect()
    }

    fn failed(&self, url: &Url) {
        let mut eps = self.endpoints.lock().unwrap_or_else(|p| p.into_inner());
        for e in eps.iter_mut().filter(|e| e.url == *url) {
            tracing::warn!(target: "proxy", endpoint = %url, "marked endpoint unavailable");
            e.failed_at = Some(Instant::now());
        }
    }

    /// etcd's `director.refresh` with the `uf` of `startProxy`.
    async fn refresh(&self) {
        let peers = self
            .peer_urls
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let mut urls: Vec<Url> = Vec::new();
        match cluster_from_remote_peers(&peers).await {
            Ok((client_urls, new_peers)) => {
                urls = client_urls
                    .iter()
                    .filter_map(|u| Url::parse(u).ok())
                    .collect();
                if let Err(e) = write_cluster_file(&self.cluster_file, &new_peers) {
                    tracing::warn!(target: "proxy", error = %e, "proxy failed to write cluster file");
                } else {
                    let mut p = self.peer_urls.lock().unwrap_or_else(|p| p.into_inner());
                    if *p != new_peers {
                        tracing::info!(target: "proxy", from = ?*p, to = ?new_peers, "proxy updated peer URLs");
                        *p = new_peers;
                    }
                }
            }
            Err(e) => {
                tracing::warn!(target: "proxy", peer_urls = ?peers, error = %e, "failed to get cluster from remote peers");
            }
        }
        // Shuffle so that connections do not stick to one endpoint.
        use rand::seq::SliceRandom;
        urls.shuffle(&mut rand::rng());
        let mut eps = self.endpoints.lock().unwrap_or_else(|p| p.into_inner());
        *eps = urls
            .into_iter()
            .map(|url| Endpoint {
                url,
                failed_at: None,
            })
            .collect();
    }
}

/// etcd's `GetClusterFromRemotePeers`: the first peer answering `GET /members` with a
/// non-empty member list gives (client URLs, peer URLs), both sorted.
async fn cluster_from_remote_peers(peers: &[String]) -> Result<(Vec<String>, Vec<String>), String> {
    let client = crate::discovery::http::HttpClient::new(None);
    for p in peers {
        let addr = format!("{}/members", p.trim_end_matches('/'));
        let Ok(url) = Url::parse(&addr) else {
            continue;
        };
        let resp = match client
            .send(
                hyper::Method::GET,
                &url,
                None,
                Some(Duration::from_secs(10)),
            )
            .await
        {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(target: "proxy", address = %addr, error = %e, "failed to get cluster response");
                continue;
            }
        };
        #[derive(serde::Deserialize)]
        struct Member {
            #[serde(rename = "peerURLs", default)]
            peer_urls: Vec<String>,
            #[serde(rename = "clientURLs", default)]
            client_urls: Vec<String>,
        }
        let members: Vec<Member> = match serde_json::from_slice(&resp.body) {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(target: "proxy", address = %addr, error = %e, "failed to unmarshal cluster response");
                continue;
            }
        };
        if members.is_empty() {
            return Err("failed to get raft cluster member(s) from the given URLs".into());
        }
        let mut clients: Vec<String> = members.iter().flat_map(|m| m.client_urls.clone()).collect();
        let mut peer_urls: Vec<String> = members.iter().flat_map(|m| m.peer_urls.clone()).collect();
        clients.sort();
        peer_urls.sort();
        return Ok((clients, peer_urls));
    }
    Err("could not retrieve cluster information from the given URLs".into())
}

/// Writes the cluster file as etcd does: `<file>.bak` then rename.
fn write_cluster_file(path: &Path, peers: &[String]) -> Result<(), V2ProxyError> {
    let body = serde_json::to_vec(&ClusterFile {
        peer_urls: peers.to_vec(),
    })?;
    let bak = path.with_extension("bak");
    let io = |source| V2ProxyError::Io {
        path: path.to_path_buf(),
        source,
    };
    std::fs::write(&bak, body).map_err(io)?;
    std::fs::rename(&bak, path).map_err(io)
}

/// The initial peer URLs: the cluster file, else the discovery token, else `--initial-cluster`.
async fn initial_peer_urls(cfg: &V2ProxyConfig, file: &Path) -> Result<Vec<String>, V2ProxyError> {
    match std::fs::read(file) {
        Ok(b) => {
            if cfg.discovery.is_some() {
                tracing::warn!(target: "etcdmain", cluster_file = %file.display(), "discovery token ignored since the proxy has already been initialized; valid cluster file found");
            }
            let c: ClusterFile = serde_json::from_slice(&b)?;
            tracing::info!(target: "etcdmain", peer_urls = ?c.peer_urls, cluster_file = %file.display(), "proxy using peer URLS from cluster file");
            Ok(c.peer_urls)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut urls: Vec<String> = match &cfg.discovery {
                Some((durl, dproxy)) => {
                    let mut d = crate::discovery::v2::Discovery::new(durl, dproxy, 0)?;
                    let s = d.get_cluster().await?;
                    crate::config::parse_initial_cluster(&s)
                        .map_err(|e| V2ProxyError::InitialCluster(e.to_string()))?
                        .into_iter()
                        .map(|(_, u)| u.as_str().trim_end_matches('/').to_string())
                        .collect()
                }
                None => cfg
                    .initial_peer_urls
                    .iter()
                    .map(|u| u.as_str().trim_end_matches('/').to_string())
                    .collect(),
            };
            urls.sort();
            tracing::info!(target: "etcdmain", peer_urls = ?urls, "proxy using peer URLS");
            Ok(urls)
        }
        Err(source) => Err(V2ProxyError::Io {
            path: file.to_path_buf(),
            source,
        }),
    }
}

/// Runs the v2 proxy until `shutdown` resolves.
///
/// # Errors
/// [`V2ProxyError`] when the cluster file, discovery or a listener fails at start.
pub async fn run(
    cfg: V2ProxyConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), V2ProxyError> {
    tracing::info!(target: "etcdmain", "v2 API proxy starting");
    let dir = cfg.data_dir.join("proxy");
    std::fs::create_dir_all(&dir).map_err(|source| V2ProxyError::Io {
        path: dir.clone(),
        source,
    })?;
    let cluster_file = dir.join("cluster");
    let peers = initial_peer_urls(&cfg, &cluster_file).await?;
    let mut listeners = Vec::new();
    for u in &cfg.listen_client_urls {
        let tls = match u.scheme() {
            "http" => None,
            "https" if cfg.client_tls.cert_file.is_some() && cfg.client_tls.key_file.is_some() => {
                let c =
                    crate::tls::server_config(&cfg.client_tls, &cfg.tls_params).map_err(|e| {
                        V2ProxyError::Listen {
                            url: u.to_string(),
                            reason: e.to_string(),
                        }
                    })?;
                Some(tokio_rustls::TlsAcceptor::from(Arc::new(c)))
            }
            "https" => {
                return Err(V2ProxyError::Listen {
                    url: u.to_string(),
                    reason: "TLS key/cert (--cert-file, --key-file) must be provided".into(),
                })
            }
            _ => {
                return Err(V2ProxyError::Listen {
                    url: u.to_string(),
                    reason: "the v2 proxy serves http and https listen URLs only".into(),
                })
            }
        };
        let addr = crate::config::resolve_listen_addr("listen-client-urls", u).map_err(|e| {
            V2ProxyError::Listen {
                url: u.to_string(),
                reason: e.to_string(),
            }
        })?;
        let l = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| V2ProxyError::Listen {
                url: u.to_string(),
                reason: e.to_string(),
            })?;
        listeners.push((u.clone(), l, tls));
    }
    let director = Arc::new(Director {
        cfg: cfg.clone(),
        cluster_file,
        peer_urls: Mutex::new(peers),
        endpoints: Mutex::new(Vec::new()),
    });
    director.refresh().await;
    let refresher = {
        let d = director.clone();
        tokio::spawn(async move {
            let mut logged = false;
            loop {
                let eps = d.all();
                let mut wait = d.cfg.refresh_interval;
                if eps.is_empty() && wait >= Duration::from_secs(30) {
                    wait = Duration::from_secs(1);
                }
                if !eps.is_empty() && !logged {
                    logged = true;
                    tracing::info!(target: "proxy", endpoints = ?eps, "endpoints found {eps:?}");
                }
                tokio::time::sleep(wait.max(Duration::from_millis(10))).await;
                d.refresh().await;
            }
        })
    };
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut tasks = Vec::new();
    for (u, l, tls) in listeners {
        tracing::info!(target: "etcdmain", host = %u, "v2 proxy started listening on client requests");
        let d = director.clone();
        let mut stop = stop_rx.clone();
        tasks.push(tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    a = l.accept() => a,
                    _ = stop.changed() => return,
                };
                let Ok((tcp, peer)) = accepted else {
                    continue;
                };
                let d = d.clone();
                let tls = tls.clone();
                tokio::spawn(async move {
                    let svc = hyper::service::service_fn(move |req| {
                        let d = d.clone();
                        async move { Ok::<_, std::convert::Infallible>(handle(&d, req, peer).await) }
                    });
                    let io: Box<dyn Io> = match tls {
                        None => Box::new(tcp),
                        Some(acceptor) => {
                            match tokio::time::timeout(
                                crate::tls::HANDSHAKE_TIMEOUT,
                                acceptor.accept(tcp),
                            )
                            .await
                            {
                                Ok(Ok(s)) => Box::new(s),
                                Ok(Err(e)) => {
                                    tracing::debug!(target: "proxy", error = %e, "client TLS handshake failed");
                                    return;
                                }
                                Err(_) => return,
                            }
                        }
                    };
                    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(io), svc)
                        .await;
                });
            }
        }));
    }
    shutdown.await;
    let _ = stop_tx.send(true);
    refresher.abort();
    for t in tasks {
        let _ = t.await;
    }
    Ok(())
}

type ProxyBody = BoxBody<Bytes, hyper::Error>;

fn full(status: StatusCode, content_type: Option<&str>, body: String) -> Response<ProxyBody> {
    let mut r = Response::new(
        Full::new(Bytes::from(body))
            .map_err(|never| match never {})
            .boxed(),
    );
    *r.status_mut() = status;
    if let Some(ct) = content_type {
        if let Ok(v) = hyper::header::HeaderValue::from_str(ct) {
            r.headers_mut().insert(hyper::header::CONTENT_TYPE, v);
        }
    }
    r
}

/// etcd's `httptypes.HTTPError.WriteTo`.
fn http_error(status: StatusCode, message: &str) -> Response<ProxyBody> {
    full(
        status,
        Some("application/json"),
        format!("{}\n", serde_json::json!({ "message": message })),
    )
}

/// Go's `singleHopHeaders`.
const SINGLE_HOP: [&str; 8] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailers",
    "transfer-encoding",
    "upgrade",
];

fn remove_single_hop(h: &mut hyper::HeaderMap) {
    for name in SINGLE_HOP {
        h.remove(name);
    }
}

async fn handle(d: &Director, req: Request<Incoming>, peer: SocketAddr) -> Response<ProxyBody> {
    if d.cfg.mode == ProxyMode::Readonly && req.method() != hyper::Method::GET {
        return full(StatusCode::NOT_IMPLEMENTED, None, String::new());
    }
    if req.uri().path() == "/v2/config/local/proxy" {
        if req.method() != hyper::Method::GET {
            let mut r = full(
                StatusCode::METHOD_NOT_ALLOWED,
                Some("text/plain; charset=utf-8"),
                "Method Not Allowed\n".into(),
            );
            r.headers_mut().insert(
                hyper::header::ALLOW,
                hyper::header::HeaderValue::from_static("GET"),
            );
            return r;
        }
        return full(
            StatusCode::OK,
            None,
            format!("{}\n", serde_json::json!({ "endpoints": d.all() })),
        );
    }
    let (parts, body) = req.into_parts();
    // The body is read once so that it can be replayed on the next endpoint.
    let body = match body.collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => {
            return http_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                &format!("httpproxy: failed to read request body: {e}"),
            )
        }
    };
    let endpoints = d.available();
    if endpoints.is_empty() {
        tracing::warn!(target: "proxy", "zero endpoints currently available");
        return http_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "httpproxy: zero endpoints currently available",
        );
    }
    let mut headers = parts.headers.clone();
    remove_single_hop(&mut headers);
    let client_ip = peer.ip().to_string();
    let xff = match headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()) {
        Some(prior) => format!("{prior}, {client_ip}"),
        None => client_ip,
    };
    if let Ok(v) = hyper::header::HeaderValue::from_str(&xff) {
        headers.insert("x-forwarded-for", v);
    }
    let path_and_query = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".into());
    for ep in &endpoints {
        match forward(
            d,
            ep,
            &parts.method,
            &path_and_query,
            &headers,
            body.clone(),
        )
        .await
        {
            Ok(resp) => return resp,
            Err(e) => {
                tracing::warn!(target: "proxy", endpoint = %ep, error = %e, "failed to direct request");
                d.failed(ep);
            }
        }
    }
    http_error(
        StatusCode::BAD_GATEWAY,
        &format!(
            "httpproxy: unable to get response from {} endpoint(s)",
            endpoints.len()
        ),
    )
}

/// Why one endpoint did not answer.
#[derive(Debug, thiserror::Error)]
enum ForwardError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Http(#[from] hyper::Error),
    #[error("{0}")]
    Tls(String),
    #[error("{0} timed out")]
    Timeout(&'static str),
    #[error("bad endpoint URL")]
    BadUrl,
}

async fn within<T, E: Into<ForwardError>>(
    limit: Duration,
    what: &'static str,
    f: impl Future<Output = Result<T, E>>,
) -> Result<T, ForwardError> {
    if limit.is_zero() {
        return f.await.map_err(Into::into);
    }
    match tokio::time::timeout(limit, f).await {
        Ok(r) => r.map_err(Into::into),
        Err(_) => Err(ForwardError::Timeout(what)),
    }
}

trait Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send> Io for T {}

/// One round trip to `ep`, the response streamed back.
async fn forward(
    d: &Director,
    ep: &Url,
    method: &hyper::Method,
    path_and_query: &str,
    headers: &hyper::HeaderMap,
    body: Bytes,
) -> Result<Response<ProxyBody>, ForwardError> {
    let host = ep.host_str().ok_or(ForwardError::BadUrl)?.to_string();
    let port = ep.port_or_known_default().ok_or(ForwardError::BadUrl)?;
    let authority = ep[url::Position::BeforeHost..url::Position::AfterPort].to_string();
    let dial = format!("{}:{port}", host);
    let cfg = &d.cfg;
    let tcp = within(
        cfg.dial_timeout,
        "dial",
        tokio::net::TcpStream::connect(&dial),
    )
    .await?;
    let io: Box<dyn Io> = match ep.scheme() {
        "http" => Box::new(tcp),
        "https" => {
            let mut tls = crate::tls::client_config(&cfg.dial_tls(), &cfg.tls_params)
                .map_err(|e| ForwardError::Tls(e.to_string()))?;
            tls.alpn_protocols = vec![b"http/1.1".to_vec()];
            let name = rustls_pki_types::ServerName::try_from(
                host.trim_start_matches('[')
                    .trim_end_matches(']')
                    .to_string(),
            )
            .map_err(|e| ForwardError::Tls(e.to_string()))?;
            let s = within(
                cfg.dial_timeout,
                "tls handshake",
                tokio_rustls::TlsConnector::from(Arc::new(tls)).connect(name, tcp),
            )
            .await?;
            Box::new(s)
        }
        _ => return Err(ForwardError::BadUrl),
    };
    let (mut sender, conn) = within(
        cfg.write_timeout,
        "write",
        hyper::client::conn::http1::handshake(TokioIo::new(io)),
    )
    .await?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let mut req = Request::builder()
        .method(method.clone())
        .uri(path_and_query)
        .body(Full::new(body))
        .map_err(|_| ForwardError::BadUrl)?;
    *req.headers_mut() = headers.clone();
    if let Ok(v) = hyper::header::HeaderValue::from_str(&authority) {
        req.headers_mut().insert(hyper::header::HOST, v);
    }
    within(cfg.write_timeout, "write", sender.ready()).await?;
    let read_limit = cfg.read_timeout;
    let resp = within(read_limit, "read", sender.send_request(req)).await?;
    let (mut parts, incoming) = resp.into_parts();
    remove_single_hop(&mut parts.headers);
    let body: ProxyBody = if read_limit.is_zero() {
        incoming.boxed()
    } else {
        ReadTimeoutBody::new(incoming, read_limit).boxed()
    };
    Ok(Response::from_parts(parts, body))
}

/// A response body whose every frame must arrive within the read timeout (Go's per-read
/// deadline); a stalled body ends the response.
struct ReadTimeoutBody {
    inner: Incoming,
    limit: Duration,
    sleep: std::pin::Pin<Box<tokio::time::Sleep>>,
}

impl ReadTimeoutBody {
    fn new(inner: Incoming, limit: Duration) -> ReadTimeoutBody {
        ReadTimeoutBody {
            inner,
            limit,
            sleep: Box::pin(tokio::time::sleep(limit)),
        }
    }
}

impl hyper::body::Body for ReadTimeoutBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, hyper::Error>>> {
        use std::task::Poll;
        let this = &mut *self;
        match std::pin::Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(f) => {
                let next = tokio::time::Instant::now() + this.limit;
                this.sleep.as_mut().reset(next);
                Poll::Ready(f)
            }
            Poll::Pending => match this.sleep.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    tracing::warn!(target: "proxy", "read timeout on a proxied response body");
                    Poll::Ready(None)
                }
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_file_is_etcds_json() {
        let dir = tempfile::tempdir().expect("tempdir");
        let f = dir.path().join("cluster");
        write_cluster_file(&f, &["http://a:2380".into()]).expect("write");
        let s = std::fs::read_to_string(&f).expect("read");
        assert_eq!(s, r#"{"PeerURLs":["http://a:2380"]}"#);
    }

    #[test]
    fn single_hop_headers_are_removed() {
        let mut h = hyper::HeaderMap::new();
        h.insert("connection", "close".parse().expect("value"));
        h.insert("x-keep", "1".parse().expect("value"));
        remove_single_hop(&mut h);
        assert!(h.get("connection").is_none());
        assert!(h.get("x-keep").is_some());
    }
}
