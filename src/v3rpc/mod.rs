//! The wire: one tonic service per file, request validation, the error mapping, and the
//! HTTP endpoints, all served on the client listener (gRPC over h2c and HTTP/1 on one port, or
//! over TLS with ALPN `h2` / `http/1.1` for `https` client URLs).
//!
//! Depends on: server, pb, rpctypes, tls.

pub mod auth;
pub mod cluster;
pub mod election;
pub mod error;
pub mod gateway;
pub mod grpc_metrics;
pub mod http;
pub mod interceptor;
pub mod kv;
pub mod lease;
pub mod lock;
pub mod maintenance;
pub mod peer_http;
pub mod v2auth;
pub mod v2http;
pub mod validate;
pub mod watch;

use std::future::Future;
use std::sync::Arc;

use crate::pb::etcdserverpb::auth_server::AuthServer;
use crate::pb::etcdserverpb::cluster_server::ClusterServer;
use crate::pb::etcdserverpb::kv_server::KvServer;
use crate::pb::etcdserverpb::lease_server::LeaseServer;
use crate::pb::etcdserverpb::maintenance_server::MaintenanceServer;
use crate::pb::etcdserverpb::watch_server::WatchServer;
use crate::pb::v3electionpb::election_server::ElectionServer;
use crate::pb::v3lockpb::lock_server::LockServer;
use crate::server::EtcdServer;

/// gRPC overhead allowed on top of `--max-request-bytes` before the transport refuses a
/// message (etcd's `grpcOverheadBytes`, 512 KiB).
pub const GRPC_OVERHEAD_BYTES: usize = 512 * 1024;

/// The client-port router: every gRPC service, etcd's JSON gateway (`/v3/*`), `/health`,
/// `/livez`, `/readyz`, `/version`, `/metrics`; any other path is 404 for HTTP and
/// `UNIMPLEMENTED` for gRPC.
pub fn router(server: Arc<EtcdServer>) -> axum::Router {
    let max = server.config().max_request_bytes as usize + GRPC_OVERHEAD_BYTES;
    let routes = tonic::service::Routes::new(
        KvServer::new(kv::KvService::new(server.clone()))
            .max_decoding_message_size(max)
            .max_encoding_message_size(usize::MAX),
    )
    .add_service(
        WatchServer::new(watch::WatchService::new(server.clone())).max_decoding_message_size(max),
    )
    .add_service(
        LeaseServer::new(lease::LeaseService::new(server.clone())).max_decoding_message_size(max),
    )
    .add_service(
        AuthServer::new(auth::AuthService::new(server.clone())).max_decoding_message_size(max),
    )
    .add_service(
        ClusterServer::new(cluster::ClusterService::new(server.clone()))
            .max_decoding_message_size(max),
    )
    .add_service(
        LockServer::new(lock::LockService::new(server.clone())).max_decoding_message_size(max),
    )
    .add_service(
        ElectionServer::new(election::ElectionService::new(server.clone()))
            .max_decoding_message_size(max),
    )
    .add_service(
        MaintenanceServer::new(maintenance::MaintenanceService::new(server.clone()))
            .max_decoding_message_size(max)
            .max_encoding_message_size(usize::MAX),
    );
    let grpc = routes
        .into_axum_router()
        .layer(axum::middleware::from_fn_with_state(
            server.clone(),
            interceptor::require_leader,
        ))
        .layer(axum::middleware::from_fn(interceptor::grpc_size_errors))
        .layer(axum::middleware::from_fn(grpc_metrics::count));
    let pprof = server.config().observability.enable_pprof;
    let mut router = grpc
        .clone()
        .merge(gateway::routes(server.clone(), grpc))
        .merge(http::routes(server.clone()));
    if pprof {
        router = router.merge(http::pprof_routes());
    }
    #[cfg(feature = "failpoints")]
    {
        router = router.merge(http::failpoint_routes());
    }
    if server.v2_enabled() {
        router = router.merge(v2http::routes(server.clone()));
    }
    router
        .fallback(http::not_found)
        .layer(axum::middleware::from_fn_with_state(server, http::cors))
}

pub use crate::serve::ClientCertCn;

/// Serves the client API on a pre-bound listener until `shutdown` completes (see
/// [`crate::serve::serve_router`]: HTTP/1 and HTTP/2 on one port, optional TLS).
///
/// # Errors
/// None today: accept and handshake errors are logged and the loop goes on.
pub async fn serve_client(
    listener: impl Into<crate::serve::BoundListener>,
    server: Arc<EtcdServer>,
    shutdown: impl Future<Output = ()> + Send + 'static,
    tls: Option<Arc<crate::tls::ReloadingServerConfig>>,
) -> std::io::Result<()> {
    let s = &server.config().serving;
    let limits = crate::serve::Http2Limits {
        max_concurrent_streams: s.max_concurrent_streams,
        keepalive_interval: (!s.grpc_keepalive_interval.is_zero())
            .then_some(s.grpc_keepalive_interval),
        keepalive_timeout: s.grpc_keepalive_timeout,
        keepalive_min_time: Some(s.grpc_keepalive_min_time),
    };
    crate::serve::serve_router_with(listener.into(), router(server), shutdown, tls, limits).await
}
