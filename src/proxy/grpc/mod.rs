//! etcd's L7 gRPC proxy (`etcd grpc-proxy start`): a stateless front for a cluster that serves
//! the whole v3 API itself and forwards through one [`Client`] (endpoint failover included).
//!
//! - Every service is served: KV, Watch, Lease, Cluster, Maintenance, Auth, Lock, Election.
//!   Each forwarded call carries the calling client's `token` and `hasleader` metadata (etcd's
//!   `withClientAuthToken`), so a token obtained by `Authenticate` through the proxy works on
//!   later calls through it; the cluster's statuses and response headers pass through.
//! - Watch coalesces ([`watch`]): identical watches from any number of client streams share one
//!   upstream watcher; a client joining one must itself be allowed to read the range.
//! - `--namespace` prefixes every key on the way in and strips it on the way out
//!   ([`namespace`]), lock and election names included.
//! - `GET /metrics` on the same port reports the proxy's gauges.
//!
//! Depends on: client, pb, and `serve` (the accept loop shared with the member's client port).

mod auth;
pub mod cache;
mod cluster;
mod http;
mod kv;
mod lease;
mod lock;
mod maintenance;
pub mod namespace;
pub mod registration;
pub mod watch;

use std::future::Future;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::TcpListener;
use tonic::metadata::{Ascii, MetadataValue};
use tonic::transport::Channel;
use tonic::{Request, Response, Status};

use crate::client::{self, Client};
use crate::pb::etcdserverpb::{
    auth_server::AuthServer, cluster_server::ClusterServer, kv_server::KvServer,
    lease_server::LeaseServer, maintenance_server::MaintenanceServer, watch_server::WatchServer,
};
use crate::pb::v3electionpb::election_server::ElectionServer;
use crate::pb::v3lockpb::lock_server::LockServer;
use namespace::Namespace;

/// A boxed response stream of a streaming method (what the generated server traits expect).
type BoxStream<T> = std::pin::Pin<Box<dyn futures::Stream<Item = Result<T, Status>> + Send>>;

/// A client error as the status the proxy answers with: a cluster status passes through
/// unchanged, a call that ran out of time is `DeadlineExceeded`, an unreachable cluster is
/// `Unavailable`.
pub fn to_status(e: client::Error) -> Status {
    match e {
        client::Error::Grpc { code, message } | client::Error::Authentication { code, message } => {
            Status::new(code, message)
        }
        e @ client::Error::DeadlineExceeded { .. } => Status::deadline_exceeded(e.to_string()),
        other => Status::unavailable(other.to_string()),
    }
}

/// The metadata of a client's call that the proxy passes on upstream: the auth `token`,
/// `hasleader`, and the call's deadline (`grpc-timeout`).
#[derive(Debug, Clone, Default)]
pub struct Caller {
    token: Option<MetadataValue<Ascii>>,
    has_leader: Option<MetadataValue<Ascii>>,
    timeout: Option<Duration>,
}

impl Caller {
    /// The forwarded metadata of `req`.
    pub fn of<T>(req: &Request<T>) -> Caller {
        let md = req.metadata();
        Caller {
            token: md.get(crate::rpctypes::TOKEN_FIELD_NAME_GRPC).cloned(),
            has_leader: md
                .get(crate::rpctypes::METADATA_REQUIRE_LEADER_KEY)
                .cloned(),
            timeout: md
                .get("grpc-timeout")
                .and_then(|v| v.to_str().ok())
                .and_then(parse_grpc_timeout),
        }
    }

    /// The caller's auth token as bytes (empty: none).
    pub fn token_bytes(&self) -> &[u8] {
        self.token.as_ref().map_or(&[], |t| t.as_bytes())
    }

    /// `msg` as an upstream request carrying this caller's metadata.
    pub fn request<T>(&self, msg: T) -> Request<T> {
        let mut r = Request::new(msg);
        if let Some(t) = &self.token {
            r.metadata_mut()
                .insert(crate::rpctypes::TOKEN_FIELD_NAME_GRPC, t.clone());
        }
        if let Some(h) = &self.has_leader {
            r.metadata_mut()
                .insert(crate::rpctypes::METADATA_REQUIRE_LEADER_KEY, h.clone());
        }
        r
    }
}

/// gRPC's `grpc-timeout` header (`<digits><unit>`, unit one of `H M S m u n`).
fn parse_grpc_timeout(v: &str) -> Option<Duration> {
    let (digits, unit) = v.split_at(v.len().checked_sub(1)?);
    let n: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n.saturating_mul(3600)),
        "M" => Duration::from_secs(n.saturating_mul(60)),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

/// The proxy's own counters (etcd's `grpcproxy/metrics.go` families).
#[derive(Debug, Default)]
pub struct Metrics {
    /// `etcd_grpc_proxy_cache_hits_total`.
    pub cache_hits: AtomicU64,
    /// `etcd_grpc_proxy_cache_misses_total`.
    pub cache_misses: AtomicU64,
}

/// What every proxied service shares: the upstream client, the namespace, the range cache,
/// the shared watchers, the counters and the proxy's own member-list answer.
#[derive(Debug, Clone)]
pub struct Proxy {
    client: Arc<Client>,
    ns: Namespace,
    cache: Arc<Mutex<cache::RangeCache>>,
    hub: Arc<watch::WatchHub>,
    leases: Arc<lease::LeaseHub>,
    metrics: Arc<Metrics>,
    /// `--advertise-client-url` (etcd's `advaddr`); MemberList answers with the proxies.
    advertise: Option<String>,
    /// `--resolver-prefix`: where the proxies register.
    resolver_prefix: Option<String>,
    /// TLS options toward the members, for fetching their `/metrics`.
    upstream_tls: Option<crate::tls::ClientTlsOptions>,
}

impl Proxy {
    /// A proxy forwarding through `client`, under `namespace` (empty: none).
    pub fn new(client: Arc<Client>, namespace: &str) -> Self {
        let ns = Namespace::new(namespace.as_bytes().to_vec());
        Proxy {
            hub: Arc::new(watch::WatchHub::new(client.clone(), ns.clone())),
            leases: Arc::new(lease::LeaseHub::new(client.clone())),
            client,
            ns,
            cache: Arc::new(Mutex::new(cache::RangeCache::default())),
            metrics: Arc::new(Metrics::default()),
            advertise: None,
            resolver_prefix: None,
            upstream_tls: None,
        }
    }

    /// Makes MemberList answer with the registered proxies (under `prefix`, when given) or
    /// this proxy's `advertise` URL alone, as etcd's `clusterProxy`.
    pub fn with_registration(mut self, advertise: String, prefix: Option<String>) -> Self {
        self.advertise = Some(advertise);
        self.resolver_prefix = prefix.filter(|p| !p.is_empty());
        self
    }

    /// Forwards one unary call: `f` sends the request (already carrying `caller`'s
    /// metadata) on a connected channel; transport failures move to the next endpoint.
    async fn unary<M, T, F, Fut>(&self, caller: &Caller, msg: M, f: F) -> Result<T, Status>
    where
        M: Clone,
        F: Fn(Channel, Request<M>) -> Fut,
        Fut: Future<Output = Result<Response<T>, Status>>,
    {
        self.client
            .forward(caller.timeout, |ch| f(ch, caller.request(msg.clone())))
            .await
            .map_err(to_status)
    }
}

/// Implements a service whose every method is a plain unary forward: `trait`, generated
/// `client` type, then `method(Request) -> Response` lines.
macro_rules! forward_unary_service {
    ($trait:path, $client:ident, { $($method:ident($req:ty) -> $resp:ty;)* }) => {
        #[tonic::async_trait]
        impl $trait for $crate::proxy::grpc::Proxy {
            $(
                async fn $method(
                    &self,
                    req: tonic::Request<$req>,
                ) -> Result<tonic::Response<$resp>, tonic::Status> {
                    let caller = $crate::proxy::grpc::Caller::of(&req);
                    self.unary(&caller, req.into_inner(), |ch, r| async move {
                        let mut c = $client::new(ch).max_decoding_message_size(usize::MAX);
                        c.$method(r).await
                    })
                    .await
                    .map(tonic::Response::new)
                }
            )*
        }
    };
}
pub(crate) use forward_unary_service;

/// How the proxy serves its clients.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// TLS toward clients (`--cert-file`, `--key-file`, `--trusted-ca-file`, `--auto-tls`).
    pub tls: Option<Arc<crate::tls::ReloadingServerConfig>>,
    /// `--max-send-bytes`: the largest message sent to a client.
    pub max_send_bytes: usize,
    /// `--max-recv-bytes`: the largest message accepted from a client.
    pub max_recv_bytes: usize,
    /// `--max-concurrent-streams` per client connection.
    pub max_concurrent_streams: u32,
    /// `--grpc-keepalive-interval`: server pings on idle client connections (`None`: off).
    pub keepalive_interval: Option<std::time::Duration>,
    /// `--grpc-keepalive-timeout`: how long a ping may go unanswered.
    pub keepalive_timeout: std::time::Duration,
    /// `--grpc-keepalive-min-time`: clients pinging more often are sent away (`None`: not
    /// policed).
    pub keepalive_min_time: Option<std::time::Duration>,
    /// TLS options toward the cluster (for `/metrics`, fetched from a member).
    pub upstream_tls: Option<crate::tls::ClientTlsOptions>,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            tls: None,
            max_send_bytes: 1572864,
            max_recv_bytes: i32::MAX as usize,
            max_concurrent_streams: u32::MAX,
            keepalive_interval: Some(std::time::Duration::from_secs(2 * 3600)),
            keepalive_timeout: std::time::Duration::from_secs(20),
            keepalive_min_time: Some(std::time::Duration::from_secs(5)),
            upstream_tls: None,
        }
    }
}

/// The proxy's router: the gRPC services plus `/metrics`, `/health`, `/proxy/metrics` and
/// `/proxy/health`.
pub fn router(mut proxy: Proxy, opts: &ServeOptions) -> axum::Router {
    proxy.upstream_tls = opts.upstream_tls.clone();
    let (send, recv) = (opts.max_send_bytes, opts.max_recv_bytes);
    let routes = tonic::service::Routes::new(
        KvServer::new(proxy.clone())
            .max_encoding_message_size(send)
            .max_decoding_message_size(recv),
    )
    .add_service(
        WatchServer::new(watch::WatchProxy::new(proxy.hub.clone()))
            .max_encoding_message_size(send)
            .max_decoding_message_size(recv),
    )
    .add_service(
        LeaseServer::new(proxy.clone())
            .max_encoding_message_size(send)
            .max_decoding_message_size(recv),
    )
    .add_service(
        ClusterServer::new(proxy.clone())
            .max_encoding_message_size(send)
            .max_decoding_message_size(recv),
    )
    .add_service(
        AuthServer::new(proxy.clone())
            .max_encoding_message_size(send)
            .max_decoding_message_size(recv),
    )
    .add_service(
        LockServer::new(proxy.clone())
            .max_encoding_message_size(send)
            .max_decoding_message_size(recv),
    )
    .add_service(
        ElectionServer::new(proxy.clone())
            .max_encoding_message_size(send)
            .max_decoding_message_size(recv),
    )
    .add_service(
        MaintenanceServer::new(proxy.clone())
            .max_encoding_message_size(send)
            .max_decoding_message_size(recv),
    );
    routes.into_axum_router().merge(http::routes(proxy))
}

/// Serves the proxy on a pre-bound listener (h2c and HTTP/1 on one port, or TLS when
/// `opts.tls` is set) until `shutdown` completes; in-flight connections get up to 5 s.
///
/// # Errors
/// None today: accept errors are logged and the loop goes on.
pub async fn serve(
    listener: TcpListener,
    proxy: Proxy,
    opts: ServeOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = crate::serve::Http2Limits {
        max_concurrent_streams: opts.max_concurrent_streams,
        keepalive_interval: opts.keepalive_interval,
        keepalive_timeout: opts.keepalive_timeout,
        keepalive_min_time: opts.keepalive_min_time,
    };
    let router = router(proxy, &opts);
    crate::serve::serve_router_with(listener.into(), router, shutdown, opts.tls, limits).await
}

/// Serves `/metrics` and `/health` (and the `/proxy/*` pair) on `--metrics-addr`.
///
/// # Errors
/// As [`serve`].
pub async fn serve_metrics(
    listener: TcpListener,
    mut proxy: Proxy,
    opts: ServeOptions,
    tls: Option<Arc<crate::tls::ReloadingServerConfig>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    proxy.upstream_tls = opts.upstream_tls.clone();
    crate::serve::serve_router(listener, http::routes(proxy), shutdown, tls).await
}

/// This machine's host name (Go's `os.Hostname`), empty when unknown.
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_default()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn grpc_timeout_units() {
        assert_eq!(parse_grpc_timeout("5S"), Some(Duration::from_secs(5)));
        assert_eq!(parse_grpc_timeout("150m"), Some(Duration::from_millis(150)));
        assert_eq!(parse_grpc_timeout("2M"), Some(Duration::from_secs(120)));
        assert_eq!(parse_grpc_timeout(""), None);
        assert_eq!(parse_grpc_timeout("5x"), None);
    }

    #[test]
    fn caller_metadata_passes_on() {
        let mut r = Request::new(());
        r.metadata_mut().insert("token", "abc".parse().unwrap());
        r.metadata_mut()
            .insert("hasleader", "true".parse().unwrap());
        r.metadata_mut().insert("other", "x".parse().unwrap());
        let c = Caller::of(&r);
        let up = c.request(1u8);
        assert_eq!(up.metadata().get("token").unwrap(), "abc");
        assert_eq!(up.metadata().get("hasleader").unwrap(), "true");
        assert!(up.metadata().get("other").is_none());
    }
}
