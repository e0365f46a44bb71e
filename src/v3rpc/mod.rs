//! The wire: one tonic service per file, request validation, the error mapping, and the
//! HTTP endpoints, all served on the client listener (gRPC over h2c and HTTP/1 on one port, or
//! over TLS with ALPN `h2` / `http/1.1` for `https` client URLs).
//!
//! Depends on: server, pb, rpctypes, tls.

pub mod auth;
pub mod cluster;
pub mod election;
pub mod error;
pub mod http;
pub mod interceptor;
pub mod kv;
pub mod lease;
pub mod lock;
pub mod maintenance;
pub mod validate;
pub mod watch;

use std::future::Future;
use std::sync::Arc;

use tokio::net::TcpListener;

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

/// The client-port router: every gRPC service plus `/health`, `/version`, `/metrics`.
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
    routes
        .into_axum_router()
        .layer(axum::middleware::from_fn_with_state(
            server.clone(),
            interceptor::require_leader,
        ))
        .merge(http::routes(server))
}

/// The common name of a connection's verified TLS client certificate, attached to every
/// request of that connection as an HTTP (and so tonic) request extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCertCn(pub String);

/// Serves the client API on a pre-bound listener until `shutdown` completes: HTTP/1 and
/// HTTP/2 (h2c, or h2 over TLS when `tls` is given) on one port. With TLS each accepted
/// connection is handshaken first (with the configuration current at accept time, so
/// rotated certificates apply to new connections) and its verified client certificate's CN
/// is attached to its requests ([`ClientCertCn`]); then the (TLS) stream is read through
/// [`crate::h2_authority::AuthorityFix`]. In-flight connections get up to 5 s to finish after
/// shutdown.
///
/// # Errors
/// None today: accept and handshake errors are logged and the loop goes on.
pub async fn serve_client(
    listener: TcpListener,
    server: Arc<EtcdServer>,
    shutdown: impl Future<Output = ()> + Send + 'static,
    tls: Option<Arc<crate::tls::ReloadingServerConfig>>,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioExecutor, TokioIo};
    use hyper_util::server::conn::auto::Builder;
    use hyper_util::service::TowerToHyperService;
    use tower::ServiceExt;

    let router = router(server);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let builder = Builder::new(TokioExecutor::new());
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((s, _)) => s,
                    Err(e) => {
                        tracing::warn!(error = %e, "failed to accept client connection");
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                match &tls {
                    None => {
                        let io = TokioIo::new(crate::h2_authority::AuthorityFix::new(stream));
                        let svc = TowerToHyperService::new(router.clone());
                        let conn = builder.serve_connection_with_upgrades(io, svc).into_owned();
                        let conn = graceful.watch(conn);
                        tokio::spawn(async move {
                            let _ = conn.await;
                        });
                    }
                    Some(tls) => {
                        let acceptor = tokio_rustls::TlsAcceptor::from(tls.current());
                        let router = router.clone();
                        let builder = builder.clone();
                        let watcher = graceful.watcher();
                        tokio::spawn(async move {
                            let stream = match tokio::time::timeout(crate::tls::HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                                Ok(Ok(s)) => s,
                                Ok(Err(e)) => {
                                    tracing::warn!(error = %e, "rejected connection on client TLS listener");
                                    return;
                                }
                                Err(_) => {
                                    tracing::warn!("client TLS handshake timed out");
                                    return;
                                }
                            };
                            let cn = stream
                                .get_ref()
                                .1
                                .peer_certificates()
                                .and_then(|c| c.first())
                                .and_then(crate::tls::common_name)
                                .map(ClientCertCn);
                            let svc = router.map_request(move |mut req: axum::http::Request<hyper::body::Incoming>| {
                                if let Some(cn) = &cn {
                                    req.extensions_mut().insert(cn.clone());
                                }
                                req
                            });
                            let io = TokioIo::new(crate::h2_authority::AuthorityFix::new(stream));
                            let conn = builder.serve_connection_with_upgrades(io, TowerToHyperService::new(svc)).into_owned();
                            let _ = watcher.watch(conn).await;
                        });
                    }
                }
            }
            _ = &mut shutdown => break,
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), graceful.shutdown()).await;
    Ok(())
}
