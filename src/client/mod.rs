//! Our Rust etcd v3 client: endpoints and failover, dial and per-call timeouts, typed errors.
//!
//! Depends only on `crate::pb`, `rpctypes` and `tls`; never on server or v3rpc code.
//!
//! The behaviour follows Go's `clientv3` as etcdctl 3.4 uses it:
//! - endpoints are `host:port`, `http://host:port` or `https://host:port`; like clientv3, an
//!   `https://` endpoint always uses TLS, `http://` never, and a bare `host:port` uses TLS when
//!   TLS options are configured ([`ClientConfig::tls`]);
//! - a connection attempt to one endpoint is bounded by the dial timeout;
//! - every call is bounded by the per-call (command) timeout; while the deadline allows, a call
//!   that fails because an endpoint is unreachable is retried on the next endpoint, round-robin;
//! - when the deadline passes the call fails with [`Error::DeadlineExceeded`], whose message is
//!   Go's `context deadline exceeded`, the string etcdctl prints;
//! - a gRPC status from a server is returned as [`Error::Grpc`] whose `Display` is the status
//!   message exactly (e.g. `etcdserver: mvcc: required revision has been compacted`).
//!
//! - with credentials ([`ClientConfig::credentials`]) the client calls `Auth.Authenticate`
//!   before its first request and sends the token in the `token` metadata of every call; when
//!   the server answers `etcdserver: invalid auth token` (token expired, member restarted) or
//!   `etcdserver: revision of auth store is old`, it authenticates again and retries once
//!   (clientv3's `shouldRefreshToken`). `authentication is not enabled` is not an error.
//!
//! Streaming calls (watch, lease keep-alive, snapshot, lock, election) live in `stream.rs`:
//! dialing is bounded like a unary call, the stream itself has no deadline.//!
//! Layout: `error.rs` (errors), this file (configuration, endpoints, dialing, the retry and
//! token loop), then one file per service: `kv.rs`, `cluster.rs`, `maintenance.rs`,
//! `auth.rs`; `stream.rs` for streaming calls, `forward.rs` for the gRPC proxy's calls.

mod auth;
mod cluster;
mod error;
mod forward;
mod kv;
mod maintenance;
mod stream;
pub mod v2;

pub use cluster::check_peer_urls;
pub(crate) use error::{error_chain, status_message};
use error::{is_stale_revision, is_tls_refusal, is_transport_failure, needs_new_token};
pub use error::{Error, DEADLINE_EXCEEDED};

pub use stream::{BoxStream, KeepAlive, WatchSender, Watcher, REQUIRE_LEADER_KEY};

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;
use tonic::transport::{Channel, Endpoint};

use crate::pb::etcdserverpb::{auth_client::AuthClient, AuthenticateRequest, MemberListRequest};

/// Connection settings of a [`Client`].
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Endpoints, `host:port`, `http://host:port` or `https://host:port`, tried in order.
    pub endpoints: Vec<String>,
    /// Bound on establishing one connection to one endpoint (etcdctl `--dial-timeout`, 2 s).
    pub dial_timeout: Duration,
    /// Bound on each call, connection attempts and retries included
    /// (etcdctl `--command-timeout`, 5 s).
    pub request_timeout: Duration,
    /// User name and password to authenticate with (etcdctl `--user` / `--password`).
    pub credentials: Option<(String, String)>,
    /// TLS options (etcdctl `--cacert`, `--cert`, `--key`, `--insecure-skip-tls-verify`);
    /// `Some` makes bare `host:port` endpoints use TLS (etcdctl with TLS files or
    /// `--insecure-transport=false`).
    pub tls: Option<crate::tls::ClientTlsOptions>,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            endpoints: vec!["127.0.0.1:2379".to_string()],
            dial_timeout: Duration::from_secs(2),
            request_timeout: Duration::from_secs(5),
            credentials: None,
            tls: None,
        }
    }
}

/// Adds the auth token, when there is one, to every request's `token` metadata.
#[derive(Debug, Clone, Default)]
pub struct TokenInterceptor {
    token: std::sync::Arc<std::sync::RwLock<Option<String>>>,
}

impl tonic::service::Interceptor for TokenInterceptor {
    fn call(&mut self, mut req: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        let token = self.token.read().ok().and_then(|t| t.clone());
        if let Some(t) = token {
            if let Ok(v) = t.parse() {
                req.metadata_mut()
                    .insert(crate::rpctypes::TOKEN_FIELD_NAME_GRPC, v);
            }
        }
        Ok(req)
    }
}

/// A connection whose requests carry the auth token.
pub type AuthChannel = tonic::service::interceptor::InterceptedService<Channel, TokenInterceptor>;

/// Attempts after an auth refusal (clientv3's `defaultUnaryMaxRetries`).
const AUTH_RETRIES: u32 = 100;
/// Pause between those attempts (clientv3's `defaultBackoffWaitBetween`).
const AUTH_RETRY_BACKOFF: Duration = Duration::from_millis(25);

/// Turns `host:port`, `http://host:port` or `https://host:port` into a URI tonic accepts;
/// a bare `host:port` becomes `https://` when `tls` is set.
///
/// # Errors
/// [`Error::InvalidEndpoint`] for other schemes or strings that are not valid URIs.
pub fn endpoint_uri(ep: &str, tls: bool) -> Result<String, Error> {
    let invalid = |reason: &str| Error::InvalidEndpoint {
        endpoint: ep.to_string(),
        reason: reason.to_string(),
    };
    let uri = if ep.starts_with("http://") || ep.starts_with("https://") {
        ep.to_string()
    } else if ep.contains("://") {
        return Err(invalid("unsupported scheme"));
    } else if tls {
        format!("https://{ep}")
    } else {
        format!("http://{ep}")
    };
    uri.parse::<tonic::transport::Uri>()
        .map_err(|e| invalid(&e.to_string()))?;
    Ok(uri)
}

/// An etcd v3 client over HTTP/2 (plain or TLS) with endpoint failover.
///
/// Cheap to share by reference; calls take `&self`. The current connection is cached and
/// replaced when its endpoint becomes unreachable.
#[derive(Debug)]
pub struct Client {
    /// The endpoints in use; replaced by [`Client::set_endpoints`] (clientv3's
    /// `SetEndpoints`, auto-sync).
    set: std::sync::RwLock<Arc<EndpointSet>>,
    dial_timeout: Duration,
    tls: Option<crate::tls::ClientTlsOptions>,
    request_timeout: Duration,
    /// Index of the endpoint to use next and its connected channel, if any.
    current: Mutex<(usize, Option<Channel>)>,
    credentials: Option<(String, String)>,
    interceptor: TokenInterceptor,
    /// HTTP/2 keepalive `(time, timeout)` set by [`Client::with_keepalive`], kept for the
    /// sets [`Client::set_endpoints`] installs.
    keepalive: Option<(Duration, Duration)>,
}

/// One set of endpoints of a [`Client`], in order.
#[derive(Debug)]
struct EndpointSet {
    endpoints: Vec<Endpoint>,
    /// The TLS connector of each `https` endpoint (same index as `endpoints`).
    connectors: Vec<Option<crate::tls::TlsConnector>>,
    names: Vec<String>,
}

impl EndpointSet {
    /// Parses `names` (see [`ClientConfig::endpoints`]).
    fn new(
        names: &[String],
        tls_opts: Option<&crate::tls::ClientTlsOptions>,
        dial_timeout: Duration,
    ) -> Result<EndpointSet, Error> {
        if names.is_empty() {
            return Err(Error::NoEndpoints);
        }
        let mut endpoints = Vec::with_capacity(names.len());
        let mut connectors = Vec::with_capacity(names.len());
        let mut tls_connector: Option<crate::tls::TlsConnector> = None;
        for ep in names {
            let uri = endpoint_uri(ep, tls_opts.is_some())?;
            if uri.starts_with("https://") {
                if tls_connector.is_none() {
                    let opts = tls_opts.cloned().unwrap_or_default();
                    let tls = crate::tls::client_config(&opts, &crate::tls::TlsParams::default())
                        .map_err(|e| Error::Tls(e.to_string()))?;
                    tls_connector = Some(crate::tls::TlsConnector::new(tls));
                }
                connectors.push(tls_connector.clone());
            } else {
                connectors.push(None);
            }
            let e = Endpoint::from_shared(uri)
                .map_err(|e| Error::InvalidEndpoint {
                    endpoint: ep.clone(),
                    reason: e.to_string(),
                })?
                .connect_timeout(dial_timeout)
                .tcp_nodelay(true);
            endpoints.push(e);
        }
        Ok(EndpointSet {
            endpoints,
            connectors,
            names: names.to_vec(),
        })
    }

    /// The same set with HTTP/2 keepalive `(time, timeout)` on every endpoint (see
    /// [`Client::with_keepalive`]); unchanged for `None`.
    fn with_keepalive(&self, keepalive: Option<(Duration, Duration)>) -> EndpointSet {
        let endpoints = match keepalive {
            Some((time, timeout)) => self
                .endpoints
                .iter()
                .cloned()
                .map(|e| {
                    e.http2_keep_alive_interval(time)
                        .keep_alive_timeout(timeout)
                        .keep_alive_while_idle(true)
                })
                .collect(),
            None => self.endpoints.clone(),
        };
        EndpointSet {
            endpoints,
            connectors: self.connectors.clone(),
            names: self.names.clone(),
        }
    }
}

impl Client {
    /// Builds a client. No connection is made until the first call (like Go's `clientv3.New`
    /// without `WithBlock`), so an unreachable cluster shows up as a call error.
    ///
    /// # Errors
    /// [`Error::NoEndpoints`] or [`Error::InvalidEndpoint`].
    pub fn new(cfg: &ClientConfig) -> Result<Client, Error> {
        let set = EndpointSet::new(&cfg.endpoints, cfg.tls.as_ref(), cfg.dial_timeout)?;
        Ok(Client {
            set: std::sync::RwLock::new(Arc::new(set)),
            dial_timeout: cfg.dial_timeout,
            tls: cfg.tls.clone(),
            request_timeout: cfg.request_timeout,
            current: Mutex::new((0, None)),
            credentials: cfg.credentials.clone(),
            interceptor: TokenInterceptor::default(),
            keepalive: None,
        })
    }

    /// HTTP/2 keepalive on every endpoint (clientv3's `DialKeepAliveTime` and
    /// `DialKeepAliveTimeout`): a ping every `time` when the connection is idle or busy,
    /// the connection closed when a ping is not answered within `timeout`.
    #[must_use]
    pub fn with_keepalive(mut self, time: Duration, timeout: Duration) -> Client {
        self.keepalive = Some((time, timeout));
        let set = self.set().with_keepalive(self.keepalive);
        self.set = std::sync::RwLock::new(Arc::new(set));
        self
    }

    fn token(&self) -> Option<String> {
        self.interceptor.token.read().ok().and_then(|t| t.clone())
    }

    fn set_token(&self, token: Option<String>) {
        if let Ok(mut t) = self.interceptor.token.write() {
            *t = token;
        }
    }

    /// Authenticates with the configured credentials unless a token is held (or there are
    /// no credentials). `authentication is not enabled` leaves the client without a token.
    async fn ensure_token(&self, deadline: Instant) -> Result<(), Error> {
        let Some((name, password)) = self.credentials.clone() else {
            return Ok(());
        };
        if self.token().is_some() {
            return Ok(());
        }
        let mut last = None;
        loop {
            let ch = self.channel(deadline, &mut last).await?;
            let remaining = deadline.saturating_duration_since(Instant::now());
            let req = AuthenticateRequest {
                name: name.clone().into_bytes(),
                password: password.clone().into_bytes(),
            };
            match tokio::time::timeout(remaining, AuthClient::new(ch).authenticate(req)).await {
                Err(_) => return Err(Error::DeadlineExceeded { last }),
                Ok(Ok(resp)) => {
                    self.set_token(Some(resp.into_inner().token));
                    return Ok(());
                }
                Ok(Err(status)) if is_transport_failure(&status) => {
                    last = Some(status_message(&status));
                    self.fail_over().await;
                }
                Ok(Err(status))
                    if status.message() == crate::rpctypes::WireError::AuthNotEnabled.message() =>
                {
                    return Ok(())
                }
                Ok(Err(status)) => {
                    return Err(Error::Authentication {
                        code: status.code(),
                        message: status.message().to_string(),
                    })
                }
            }
        }
    }

    /// A connection carrying the token, authenticating first when needed.
    async fn authed_channel(
        &self,
        deadline: Instant,
        last: &mut Option<String>,
    ) -> Result<AuthChannel, Error> {
        self.ensure_token(deadline).await?;
        let ch = self.channel(deadline, last).await?;
        Ok(tonic::service::interceptor::InterceptedService::new(
            ch,
            self.interceptor.clone(),
        ))
    }

    /// The endpoint set in use (shared, so a concurrent [`Client::set_endpoints`] does not
    /// change it under a caller).
    fn set(&self) -> Arc<EndpointSet> {
        match self.set.read() {
            Ok(s) => s.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// The endpoints in use: as configured, or as last set by [`Client::set_endpoints`].
    pub fn endpoints(&self) -> Vec<String> {
        self.set().names.clone()
    }

    /// Replaces the endpoints (clientv3's `SetEndpoints`). The open connection is kept when
    /// its endpoint is still in the set; otherwise the next call connects to the first of the
    /// new ones.
    ///
    /// # Errors
    /// [`Error::NoEndpoints`] or [`Error::InvalidEndpoint`]; the set in use is then kept.
    pub async fn set_endpoints(&self, names: Vec<String>) -> Result<(), Error> {
        let new = Arc::new(
            EndpointSet::new(&names, self.tls.as_ref(), self.dial_timeout)?
                .with_keepalive(self.keepalive),
        );
        let mut cur = self.current.lock().await;
        let old = self.set();
        let kept = old
            .names
            .get(cur.0 % old.names.len().max(1))
            .and_then(|n| new.names.iter().position(|m| m == n));
        match (kept, &cur.1) {
            (Some(i), Some(_)) => cur.0 = i,
            _ => *cur = (0, None),
        }
        match self.set.write() {
            Ok(mut s) => *s = new,
            Err(p) => *p.into_inner() = new,
        }
        Ok(())
    }

    /// clientv3's `Sync`: lists the members and makes their client URLs the endpoints
    /// (members that have not published a client URL yet add none).
    ///
    /// # Errors
    /// As [`Client::member_list`]; [`Error::NoEndpoints`] when no member has a client URL.
    pub async fn sync_endpoints(&self) -> Result<(), Error> {
        let resp = self.member_list(MemberListRequest::default()).await?;
        let mut urls: Vec<String> = Vec::new();
        for url in resp.members.into_iter().flat_map(|m| m.client_ur_ls) {
            if !urls.contains(&url) {
                urls.push(url);
            }
        }
        self.set_endpoints(urls).await
    }

    /// clientv3's `autoSync`: every `interval`, [`Client::sync_endpoints`] (a failure is
    /// logged, as clientv3 logs `Auto sync endpoints failed.`, and the endpoints are kept).
    /// Runs until the returned task is aborted or the runtime stops.
    pub fn spawn_auto_sync(self: &Arc<Self>, interval: Duration) -> tokio::task::JoinHandle<()> {
        let client = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(interval).await;
                let Some(client) = client.upgrade() else {
                    return;
                };
                let before = client.endpoints();
                match client.sync_endpoints().await {
                    Ok(()) => {
                        let after = client.endpoints();
                        if after != before {
                            tracing::info!(endpoints = ?after, "endpoints synced with the cluster's members");
                        }
                    }
                    Err(e) => tracing::info!(error = %e, "Auto sync endpoints failed."),
                }
            }
        })
    }

    /// Returns a connected channel, dialing endpoints round-robin until `deadline`.
    async fn channel(
        &self,
        deadline: Instant,
        last: &mut Option<String>,
    ) -> Result<Channel, Error> {
        let mut cur = self.current.lock().await;
        if let Some(ch) = &cur.1 {
            return Ok(ch.clone());
        }
        let set = self.set();
        let mut failures_in_round = 0usize;
        let mut tls_failures_in_round = 0usize;
        loop {
            let now = Instant::now();
            if now >= deadline {
                return Err(Error::DeadlineExceeded { last: last.take() });
            }
            let idx = cur.0 % set.endpoints.len();
            let attempt = tokio::time::timeout(deadline - now, Self::connect(&set, idx)).await;
            match attempt {
                Ok(Ok(ch)) => {
                    cur.1 = Some(ch.clone());
                    return Ok(ch);
                }
                Ok(Err(e)) => {
                    let msg = error_chain(&e);
                    if is_tls_refusal(&msg) {
                        tls_failures_in_round += 1;
                    }
                    *last = Some(format!("{}: {msg}", set.names[idx]));
                }
                Err(_) => return Err(Error::DeadlineExceeded { last: last.take() }),
            }
            cur.0 = (idx + 1) % set.endpoints.len();
            failures_in_round += 1;
            if failures_in_round >= set.endpoints.len() {
                // Every endpoint refused our certificate or theirs failed verification: a
                // configuration error that retrying until the deadline cannot fix.
                if tls_failures_in_round >= set.endpoints.len() {
                    return Err(Error::Tls(last.take().unwrap_or_default()));
                }
                failures_in_round = 0;
                tls_failures_in_round = 0;
                // Back off a little before the next round, like grpc's reconnect backoff.
                let pause = Duration::from_millis(100)
                    .min(deadline.saturating_duration_since(Instant::now()));
                tokio::time::sleep(pause).await;
            }
        }
    }

    /// Dials endpoint `idx` (through TLS for an `https` endpoint).
    async fn connect(set: &EndpointSet, idx: usize) -> Result<Channel, tonic::transport::Error> {
        match &set.connectors[idx] {
            Some(c) => set.endpoints[idx].connect_with_connector(c.clone()).await,
            None => set.endpoints[idx].connect().await,
        }
    }

    /// Forgets the cached channel and moves on to the next endpoint.
    async fn fail_over(&self) {
        let mut cur = self.current.lock().await;
        cur.1 = None;
        cur.0 = (cur.0 + 1) % self.set().endpoints.len();
    }

    /// Runs one unary call with the per-call deadline and failover on transport errors.
    async fn call<T, F, Fut>(&self, mut f: F) -> Result<T, Error>
    where
        F: FnMut(AuthChannel) -> Fut,
        Fut: Future<Output = Result<tonic::Response<T>, tonic::Status>>,
    {
        let deadline = Instant::now() + self.request_timeout;
        let mut attempts = 0;
        loop {
            match self.call_until(deadline, &mut f).await {
                // clientv3's retry interceptor: a stale auth revision (the auth store changed
                // between resolving the caller, by token or client-certificate CN, and the
                // apply; nothing was applied) or an expired token is retried after a fresh
                // login when there are credentials, every 25 ms, up to 100 attempts and
                // within the call's deadline.
                Err(e)
                    if needs_new_token(&e)
                        && (self.credentials.is_some() || is_stale_revision(&e))
                        && attempts < AUTH_RETRIES =>
                {
                    attempts += 1;
                    if self.credentials.is_some() {
                        self.set_token(None);
                    }
                    let wait =
                        AUTH_RETRY_BACKOFF.min(deadline.saturating_duration_since(Instant::now()));
                    if wait.is_zero() {
                        return Err(e);
                    }
                    tokio::time::sleep(wait).await;
                }
                other => return other,
            }
        }
    }

    async fn call_until<T, F, Fut>(&self, deadline: Instant, f: &mut F) -> Result<T, Error>
    where
        F: FnMut(AuthChannel) -> Fut,
        Fut: Future<Output = Result<tonic::Response<T>, tonic::Status>>,
    {
        let mut last = None;
        loop {
            let ch = self.authed_channel(deadline, &mut last).await?;
            let remaining = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(remaining, f(ch)).await {
                Err(_) => return Err(Error::DeadlineExceeded { last }),
                Ok(Ok(resp)) => return Ok(resp.into_inner()),
                Ok(Err(status)) if is_transport_failure(&status) => {
                    last = Some(status_message(&status));
                    self.fail_over().await;
                }
                Ok(Err(status)) => {
                    return Err(Error::Grpc {
                        code: status.code(),
                        message: status_message(&status),
                    })
                }
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::pb::etcdserverpb::RangeRequest;

    #[test]
    fn endpoint_forms() {
        assert_eq!(
            endpoint_uri("127.0.0.1:2379", false).unwrap(),
            "http://127.0.0.1:2379"
        );
        assert_eq!(
            endpoint_uri("127.0.0.1:2379", true).unwrap(),
            "https://127.0.0.1:2379"
        );
        assert_eq!(endpoint_uri("http://h:1", true).unwrap(), "http://h:1");
        assert_eq!(endpoint_uri("https://h:1", false).unwrap(), "https://h:1");
        assert!(endpoint_uri("unix://x", false).is_err());
    }

    #[tokio::test]
    async fn unreachable_endpoint_times_out_with_go_message() {
        let cfg = ClientConfig {
            endpoints: vec!["127.0.0.1:1".into()],
            dial_timeout: Duration::from_millis(100),
            request_timeout: Duration::from_millis(300),
            credentials: None,
            tls: None,
        };
        let c = Client::new(&cfg).unwrap();
        let err = c.range(RangeRequest::default()).await.unwrap_err();
        assert_eq!(err.to_string(), DEADLINE_EXCEEDED);
    }
}
