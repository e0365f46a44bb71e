//! The server side: a rustls server configuration from a listener's [`TlsInfo`], and the
//! stream of handshaken connections tonic's `serve_with_incoming` reads (the peer port).

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use rustls::server::WebPkiClientVerifier;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use super::{
    load_certs, load_key, root_store, ReloadingServerConfig, TlsError, TlsInfo, TlsParams,
};

/// Builds a server configuration (ALPN `h2`, `http/1.1`) from `info`.
///
/// With `client_cert_auth` a client must present a certificate chaining to the trusted CA;
/// with only a CA file a certificate is verified when given; otherwise none is asked for.
///
/// # Errors
/// Unreadable files, a key that does not match, an empty CA bundle.
pub fn server_config(info: &TlsInfo, params: &TlsParams) -> Result<rustls::ServerConfig, TlsError> {
    let (Some(cert), Some(key)) = (&info.cert_file, &info.key_file) else {
        return Err(TlsError::Missing(
            "TLS key/cert (--cert-file, --key-file) must be provided".to_string(),
        ));
    };
    let provider = params.provider()?;
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&params.versions())?;
    let builder =
        match &info.trusted_ca_file {
            Some(ca) => {
                let roots = Arc::new(root_store(ca)?);
                let v = WebPkiClientVerifier::builder_with_provider(roots, provider);
                let v = if info.client_cert_auth {
                    v
                } else {
                    v.allow_unauthenticated()
                };
                let v = match &info.crl_file {
                    Some(crl) => v.with_crls(super::identity::load_crls(crl)?),
                    None => v,
                };
                let inner = v.build().map_err(|e| TlsError::Verifier(e.to_string()))?;
                let allowed = match (&info.allowed_cn, &info.allowed_hostname) {
                    (Some(cn), _) => Some(super::identity::AllowedIdentity::CommonName(cn.clone())),
                    (None, Some(h)) => Some(super::identity::AllowedIdentity::Hostname(h.clone())),
                    (None, None) => None,
                };
                match allowed {
                    Some(allowed) => builder.with_client_cert_verifier(Arc::new(
                        super::identity::IdentityVerifier { inner, allowed },
                    )),
                    None => builder.with_client_cert_verifier(inner),
                }
            }
            None if info.client_cert_auth => {
                return Err(TlsError::Missing(
                    "client certificate authentication needs a trusted CA file".to_string(),
                ))
            }
            None => builder.with_no_client_auth(),
        };
    let mut cfg = builder.with_single_cert(load_certs(cert)?, load_key(key)?)?;
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(cfg)
}

/// Handshake time allowed to a new connection before it is dropped.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// A server-side TLS stream that tonic's `serve_with_incoming` accepts.
#[derive(Debug)]
pub struct ServerTlsIo(pub tokio_rustls::server::TlsStream<TcpStream>);

impl tonic::transport::server::Connected for ServerTlsIo {
    type ConnectInfo = ();
    fn connect_info(&self) -> Self::ConnectInfo {}
}

impl AsyncRead for ServerTlsIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for ServerTlsIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.0.is_write_vectored()
    }
}

/// Turns a TCP listener into a stream of TLS connections for tonic's
/// `serve_with_incoming`: each accepted socket is handshaken in its own task (bounded by
/// [`HANDSHAKE_TIMEOUT`]) with the configuration current at accept time; failed handshakes
/// are logged and dropped. Unless the listener's [`TlsInfo::skip_client_san_verify`], a
/// client certificate must name the remote address (etcd's `checkSAN`,
/// [`super::identity::check_cert_san`]); a connection that fails it is logged and dropped.
pub fn tls_incoming(
    listener: tokio::net::TcpListener,
    tls: Arc<ReloadingServerConfig>,
) -> tokio_stream::wrappers::ReceiverStream<io::Result<ServerTlsIo>> {
    let (tx, rx) = tokio::sync::mpsc::channel(64);
    tokio::spawn(async move {
        loop {
            let (stream, remote) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        tracing::warn!(error = %e, "failed to accept peer connection");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                _ = tx.closed() => return,
            };
            let _ = stream.set_nodelay(true);
            let acceptor = tokio_rustls::TlsAcceptor::from(tls.current());
            let tx = tx.clone();
            let check_san = !tls.info().skip_client_san_verify;
            tokio::spawn(async move {
                match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                    Ok(Ok(s)) => {
                        let leaf = s.get_ref().1.peer_certificates().and_then(|c| c.first());
                        if let (true, Some(leaf)) = (check_san, leaf) {
                            if let Err(e) = super::identity::check_cert_san(leaf, remote.ip()).await
                            {
                                tracing::warn!(remote_addr = %remote, error = %e, "rejected connection on peer TLS listener");
                                return;
                            }
                        }
                        let _ = tx.send(Ok(ServerTlsIo(s))).await;
                    }
                    Ok(Err(e)) => {
                        tracing::warn!(error = %e, "rejected connection on peer TLS listener")
                    }
                    Err(_) => tracing::warn!("peer TLS handshake timed out"),
                }
            });
        }
    });
    tokio_stream::wrappers::ReceiverStream::new(rx)
}
