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
//! One HTTP/1.1 connection per request (hyper's connection API over tokio TCP or rustls).//!
//! Layout: `error.rs` (errors as Go words them), `wire.rs` (JSON shapes), `endpoint.rs`
//! (URL parsing and escaping), `transport.rs` (one request across the endpoints), then one
//! file per API: `keys.rs`, `members.rs`, `auth.rs`.

mod auth;
mod endpoint;
mod error;
mod keys;
mod members;
mod transport;
mod wire;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::tls::ClientTlsOptions;

pub use endpoint::canonical_path;
use endpoint::{parse_endpoint, Endpoint};
pub use error::{EndpointError, EtcdError, V2Error, CLUSTER_UNAVAILABLE};
pub use keys::{DeleteOptions, SetOptions};
pub use wire::{KvPerms, Member, Node, Permission, Perms, Response, Role, User};

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
}
