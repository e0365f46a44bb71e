//! The HTTP server of a client-facing port: one accept loop for HTTP/1 and HTTP/2 (h2c, or
//! h2 over TLS) serving an axum router, used by the member's client port (`v3rpc`) and by the
//! gRPC proxy. Each connection is read through [`crate::h2_authority::AuthorityFix`].
//!
//! Depends on: tls, h2_authority, hyper-util, axum.

use std::future::Future;
use std::sync::Arc;

use tokio::net::TcpListener;

/// The verified client certificate's common name of the connection a request came on
/// (etcd's `AuthInfoFromTLS`), attached as a request extension on TLS listeners.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCertCn(pub String);

/// Serves `router` on a pre-bound listener until `shutdown` completes: HTTP/1 and
/// HTTP/2 (h2c, or h2 over TLS when `tls` is given) on one port. With TLS each accepted
/// connection is handshaken first (with the configuration current at accept time, so
/// rotated certificates apply to new connections) and its verified client certificate's CN
/// is attached to its requests ([`ClientCertCn`]); then the (TLS) stream is read through
/// [`crate::h2_authority::AuthorityFix`]. In-flight connections get up to 5 s to finish after
/// shutdown.
///
/// # Errors
/// None today: accept and handshake errors are logged and the loop goes on.
pub async fn serve_router(
    listener: TcpListener,
    router: axum::Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    tls: Option<Arc<crate::tls::ReloadingServerConfig>>,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioExecutor, TokioIo};
    use hyper_util::server::conn::auto::Builder;
    use hyper_util::service::TowerToHyperService;
    use tower::ServiceExt;

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
                                // etcd takes the CN of any verified certificate, an empty one too.
                                .map(|c| ClientCertCn(crate::tls::common_name(c).unwrap_or_default()));
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
