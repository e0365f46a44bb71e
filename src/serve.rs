//! The HTTP server of a client-facing port: one accept loop for HTTP/1 and HTTP/2 (h2c, or
//! h2 over TLS) serving an axum router, used by the member's client port (`v3rpc`) and by the
//! gRPC proxy. Each connection is read through [`crate::h2_authority::AuthorityFix`].
//!
//! Depends on: tls, h2_authority, hyper-util, axum.

use std::future::Future;
use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;

/// Marks a request that came over a TLS connection (etcd's `req.TLS != nil`), attached as
/// a request extension on TLS listeners.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OverTls;

/// A bound client-port socket: TCP (`http`, `https`) or a Unix domain socket (`unix`,
/// `unixs`, etcd's `unix://<path>:<port>` URLs whose host:port is the socket path).
#[derive(Debug)]
pub enum BoundListener {
    /// A TCP listener.
    Tcp(TcpListener),
    /// A TCP listener for an address given both as `http://` and `https://` (etcd 3.4 serves
    /// the two on one socket through its cmux): each connection is TLS when its first byte
    /// is a TLS handshake record (`0x16`), plaintext otherwise. Served with the TLS config.
    TcpMixed(TcpListener),
    /// A Unix domain socket listener.
    #[cfg(unix)]
    Unix(tokio::net::UnixListener),
}

impl From<TcpListener> for BoundListener {
    fn from(l: TcpListener) -> Self {
        BoundListener::Tcp(l)
    }
}

/// One accepted connection of either kind.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send + 'static {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> Io for T {}

impl BoundListener {
    /// The bound address: `ip:port` for TCP, the socket path for a Unix listener.
    ///
    /// # Errors
    /// The OS error of `getsockname`.
    pub fn local_addr(&self) -> std::io::Result<String> {
        match self {
            BoundListener::Tcp(l) | BoundListener::TcpMixed(l) => {
                l.local_addr().map(|a| a.to_string())
            }
            #[cfg(unix)]
            BoundListener::Unix(l) => l.local_addr().map(|a| {
                a.as_pathname()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default()
            }),
        }
    }

    async fn accept(&self) -> std::io::Result<Accepted> {
        match self {
            BoundListener::Tcp(l) => {
                let (s, _) = l.accept().await?;
                let _ = s.set_nodelay(true);
                Ok(Accepted::Decided(Box::new(s)))
            }
            BoundListener::TcpMixed(l) => {
                let (s, _) = l.accept().await?;
                let _ = s.set_nodelay(true);
                Ok(Accepted::Undecided(s))
            }
            #[cfg(unix)]
            BoundListener::Unix(l) => {
                let (s, _) = l.accept().await?;
                Ok(Accepted::Decided(Box::new(s)))
            }
        }
    }
}

/// An accepted connection: its kind (TLS or not) follows from the listener, or, on a
/// [`BoundListener::TcpMixed`] listener, from its first byte ([`starts_tls`]).
enum Accepted {
    Decided(Box<dyn Io>),
    Undecided(tokio::net::TcpStream),
}

/// The first byte of every TLS connection: a handshake record (`ContentType` 22).
const TLS_HANDSHAKE_RECORD: u8 = 0x16;

/// Whether `stream` starts with a TLS handshake record, waiting (at most the TLS handshake
/// timeout) for its first byte without consuming it. A client that sends nothing in that
/// time, or closes, is `Err`.
async fn starts_tls(stream: &tokio::net::TcpStream) -> std::io::Result<bool> {
    let mut first = [0u8; 1];
    match tokio::time::timeout(crate::tls::HANDSHAKE_TIMEOUT, stream.peek(&mut first)).await {
        Ok(Ok(1)) => Ok(first[0] == TLS_HANDSHAKE_RECORD),
        Ok(Ok(_)) => Err(std::io::ErrorKind::UnexpectedEof.into()),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(std::io::ErrorKind::TimedOut.into()),
    }
}

/// HTTP/2 limits of a client port (etcd's `--max-concurrent-streams`,
/// `--grpc-keepalive-interval`, `--grpc-keepalive-timeout`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Http2Limits {
    /// Streams one connection may have open at once.
    pub max_concurrent_streams: u32,
    /// Server ping interval on a connection; `None` disables pings.
    pub keepalive_interval: Option<std::time::Duration>,
    /// How long a ping may go unanswered before the connection is closed.
    pub keepalive_timeout: std::time::Duration,
    /// `--grpc-keepalive-min-time`: clients pinging more often are sent away with
    /// `GOAWAY ENHANCE_YOUR_CALM too_many_pings` ([`crate::h2_ping_policy`]); `None`: not
    /// policed.
    pub keepalive_min_time: Option<std::time::Duration>,
}

impl Default for Http2Limits {
    fn default() -> Self {
        Http2Limits {
            max_concurrent_streams: u32::MAX,
            keepalive_interval: Some(std::time::Duration::from_secs(2 * 3600)),
            keepalive_timeout: std::time::Duration::from_secs(20),
            keepalive_min_time: None,
        }
    }
}

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
    serve_router_with(
        listener.into(),
        router,
        shutdown,
        tls,
        Http2Limits::default(),
    )
    .await
}

/// [`serve_router`] on a TCP or Unix listener with explicit HTTP/2 limits.
///
/// # Errors
/// None today: accept and handshake errors are logged and the loop goes on.
pub async fn serve_router_with(
    listener: BoundListener,
    router: axum::Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    tls: Option<Arc<crate::tls::ReloadingServerConfig>>,
    limits: Http2Limits,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioExecutor, TokioIo};
    use hyper_util::server::conn::auto::Builder;
    use hyper_util::service::TowerToHyperService;
    use tower::ServiceExt;

    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http2()
        .max_concurrent_streams(limits.max_concurrent_streams)
        .timer(hyper_util::rt::TokioTimer::new())
        .keep_alive_interval(limits.keepalive_interval)
        .keep_alive_timeout(limits.keepalive_timeout);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let accepted = match accepted {
                    Ok(s) => s,
                    Err(e) => {
                        tracing::warn!(error = %e, "failed to accept client connection");
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let tls = tls.clone();
                let min_ping = limits.keepalive_min_time;
                let router = router.clone();
                let builder = builder.clone();
                let watcher = graceful.watcher();
                tokio::spawn(async move {
                    let (stream, tls): (Box<dyn Io>, _) = match accepted {
                        Accepted::Decided(s) => (s, tls),
                        Accepted::Undecided(s) => match starts_tls(&s).await {
                            Ok(true) => (Box::new(s), tls),
                            Ok(false) => (Box::new(s), None),
                            Err(e) => {
                                tracing::debug!(error = %e, "client connection closed before its first byte");
                                return;
                            }
                        },
                    };
                    let Some(tls) = tls else {
                        let io = TokioIo::new(crate::h2_ping_policy::PingPolicy::new(
                            crate::h2_authority::AuthorityFix::new(stream),
                            min_ping,
                        ));
                        let svc = TowerToHyperService::new(router);
                        let conn = builder.serve_connection_with_upgrades(io, svc).into_owned();
                        let _ = watcher.watch(conn).await;
                        return;
                    };
                    let acceptor = tokio_rustls::TlsAcceptor::from(tls.current());
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
                        req.extensions_mut().insert(OverTls);
                        req
                    });
                    let io = TokioIo::new(crate::h2_ping_policy::PingPolicy::new(
                        crate::h2_authority::AuthorityFix::new(stream),
                        min_ping,
                    ));
                    let conn = builder.serve_connection_with_upgrades(io, TowerToHyperService::new(svc)).into_owned();
                    let _ = watcher.watch(conn).await;
                });
            }
            _ = &mut shutdown => break,
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), graceful.shutdown()).await;
    Ok(())
}
