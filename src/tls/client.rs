//! The client side: a rustls client configuration from etcdctl's (or the peer client's) TLS
//! options, and [`TlsConnector`], the tower connector tonic dials through.

use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use super::{load_certs, load_key, root_store, TlsError, TlsParams};

/// Options of a TLS client (etcdctl's `--cacert`, `--cert`, `--key`,
/// `--insecure-skip-tls-verify`; the peer client's `--peer-*` files).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientTlsOptions {
    /// CA bundle verifying the server; `None`: the system bundle.
    pub ca_file: Option<PathBuf>,
    /// Client certificate to present.
    pub cert_file: Option<PathBuf>,
    /// Key of the client certificate.
    pub key_file: Option<PathBuf>,
    /// Accept any server certificate (still checking the handshake signatures).
    pub insecure_skip_verify: bool,
}

/// System CA bundles tried when no CA file is given.
const SYSTEM_CA_FILES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
];

/// Builds a client configuration (ALPN `h2`).
///
/// # Errors
/// Unreadable files, a certificate without its key (or the reverse), a key that does not
/// match.
pub fn client_config(
    opts: &ClientTlsOptions,
    params: &TlsParams,
) -> Result<rustls::ClientConfig, TlsError> {
    let provider = params.provider()?;
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&params.versions())?;
    let builder = if opts.insecure_skip_verify {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerify(provider)))
    } else {
        let roots = match &opts.ca_file {
            Some(ca) => root_store(ca)?,
            None => {
                let mut roots = RootCertStore::empty();
                if let Some(p) = SYSTEM_CA_FILES.iter().map(Path::new).find(|p| p.exists()) {
                    for c in load_certs(p).unwrap_or_default() {
                        let _ = roots.add(c);
                    }
                }
                roots
            }
        };
        builder.with_root_certificates(roots)
    };
    let mut cfg = match (&opts.cert_file, &opts.key_file) {
        (Some(c), Some(k)) => builder.with_client_auth_cert(load_certs(c)?, load_key(k)?)?,
        (None, None) => builder.with_no_client_auth(),
        _ => {
            return Err(TlsError::Missing(
                "both a client certificate and its key are needed".to_string(),
            ))
        }
    };
    cfg.alpn_protocols = vec![b"h2".to_vec()];
    Ok(cfg)
}

/// Accepts any server certificate; handshake signatures are still verified.
#[derive(Debug)]
struct NoVerify(Arc<CryptoProvider>);

impl ServerCertVerifier for NoVerify {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// A tower connector for tonic's `Endpoint::connect_with_connector`: TCP (no delay) to the
/// URI's host and port, then a TLS handshake with the URI host as server name.
#[derive(Clone, Debug)]
pub struct TlsConnector {
    config: Arc<rustls::ClientConfig>,
    /// Verify (and send as SNI) this name instead of the URI host (etcd's
    /// `TLSInfo.ServerName`).
    server_name: Option<String>,
}

impl TlsConnector {
    /// Wraps a client configuration.
    pub fn new(config: rustls::ClientConfig) -> TlsConnector {
        TlsConnector {
            config: Arc::new(config),
            server_name: None,
        }
    }

    /// The same connector verifying every server certificate against `name` instead of the
    /// dialed host (etcd's `TLSInfo.ServerName`, set to the `--discovery-srv` domain).
    #[must_use]
    pub fn with_server_name(mut self, name: &str) -> TlsConnector {
        self.server_name = Some(name.to_string());
        self
    }

    /// Dials `uri` (`https://host:port`; port 443 when absent).
    ///
    /// Without a client certificate, a server that asks for one and then refuses the
    /// connection (TLS 1.3 reports that only after the handshake) is detected here by waiting
    /// briefly for the server's first bytes, so the error names the certificate instead of a
    /// later "connection closed".
    ///
    /// # Errors
    /// Connection or handshake failures, or a URI without a host.
    pub async fn connect(&self, uri: &tonic::transport::Uri) -> io::Result<ClientTlsIo> {
        use tokio::io::AsyncReadExt;
        let host = uri
            .host()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "URI without host"))?;
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let port = uri.port_u16().unwrap_or(443);
        let tcp = TcpStream::connect((host.as_str(), port)).await?;
        let _ = tcp.set_nodelay(true);
        let name = ServerName::try_from(self.server_name.clone().unwrap_or(host))
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let requested = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let config = if self.config.client_auth_cert_resolver.has_certs() {
            self.config.clone()
        } else {
            let mut c = (*self.config).clone();
            c.client_auth_cert_resolver = Arc::new(NoteCertRequest(requested.clone()));
            Arc::new(c)
        };
        let mut stream = tokio_rustls::TlsConnector::from(config)
            .connect(name, tcp)
            .await?;
        let mut prefix = Vec::new();
        if requested.load(std::sync::atomic::Ordering::Relaxed) {
            let no_cert =
                "the server asked for a client certificate and none was given (--cert, --key)";
            let mut buf = vec![0u8; 16 * 1024];
            match tokio::time::timeout(Duration::from_millis(300), stream.read(&mut buf)).await {
                Ok(Ok(0)) => {
                    return Err(io::Error::new(
                        io::ErrorKind::ConnectionAborted,
                        format!("tls: connection closed: {no_cert}"),
                    ))
                }
                Ok(Ok(n)) => prefix = buf[..n].to_vec(),
                Ok(Err(e)) => return Err(io::Error::new(e.kind(), format!("tls: {e}: {no_cert}"))),
                Err(_) => {}
            }
        }
        Ok(ClientTlsIo {
            prefix,
            pos: 0,
            inner: stream,
        })
    }
}

/// Records that the server asked for a client certificate (there is none to give).
#[derive(Debug)]
struct NoteCertRequest(Arc<std::sync::atomic::AtomicBool>);

impl rustls::client::ResolvesClientCert for NoteCertRequest {
    fn resolve(
        &self,
        _hints: &[&[u8]],
        _schemes: &[SignatureScheme],
    ) -> Option<Arc<rustls::sign::CertifiedKey>> {
        self.0.store(true, std::sync::atomic::Ordering::Relaxed);
        None
    }

    fn has_certs(&self) -> bool {
        false
    }
}

/// A client TLS stream, with any bytes read while checking the handshake replayed first.
#[derive(Debug)]
pub struct ClientTlsIo {
    prefix: Vec<u8>,
    pos: usize,
    inner: tokio_rustls::client::TlsStream<TcpStream>,
}

impl AsyncRead for ClientTlsIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.pos < self.prefix.len() {
            let n = (self.prefix.len() - self.pos).min(buf.remaining());
            let start = self.pos;
            buf.put_slice(&self.prefix[start..start + n]);
            self.pos += n;
            if self.pos == self.prefix.len() {
                self.prefix = Vec::new();
                self.pos = 0;
            }
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for ClientTlsIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

impl tower::Service<tonic::transport::Uri> for TlsConnector {
    type Response = hyper_util::rt::TokioIo<ClientTlsIo>;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<Self::Response>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: tonic::transport::Uri) -> Self::Future {
        let this = self.clone();
        Box::pin(async move { this.connect(&uri).await.map(hyper_util::rt::TokioIo::new) })
    }
}
