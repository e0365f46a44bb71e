//! rustls server and client configurations built from etcd's TLS flags (etcd's
//! `pkg/transport.TLSInfo`): certificate files, the trusted CA bundle, client-certificate
//! authentication, auto-TLS self-signed certificates, TLS versions and cipher suites.
//!
//! - The crypto provider is always `ring` ([`provider`]); no process-wide default is installed.
//! - Server configurations are re-read when the files change: [`ReloadingServerConfig::current`]
//!   is asked once per accepted connection and rebuilds the configuration (certificate, key and
//!   client-CA verifier) when a file's mtime, size or inode changed, so certificates can be
//!   rotated without a restart. A bundle that fails to load keeps the previous one (logged).
//! - The client side ([`TlsConnector`]) dials TCP and runs the TLS handshake itself, for tonic's
//!   `Endpoint::connect_with_connector`: tonic's own `ClientTlsConfig` cannot skip verification
//!   (`--insecure-skip-tls-verify`, peer auto-TLS), so tonic's TLS feature is not used.
//! - Auto-TLS ([`self_cert`]) writes `cert.pem` and `key.pem` like etcd's `SelfCert`, but with an
//!   ECDSA P-256 key (ring cannot sign with P-521, which etcd uses).
//!
//! Depends on: rustls, tokio-rustls, rcgen, x509-parser (no server or client code).

use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex, RwLock};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::server::WebPkiClientVerifier;
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme, SupportedProtocolVersion};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// Errors building a TLS configuration.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file could not be read.
    #[error("open {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// A file holds no usable PEM item of the expected kind.
    #[error("{path}: {reason}")]
    Pem {
        /// The file.
        path: PathBuf,
        /// What was missing or malformed.
        reason: String,
    },
    /// rustls refused the configuration (e.g. key does not match the certificate).
    #[error("tls: {0}")]
    Rustls(#[from] rustls::Error),
    /// The client-certificate verifier could not be built (e.g. empty CA bundle).
    #[error("tls: client certificate verifier: {0}")]
    Verifier(String),
    /// A `--cipher-suites` name rustls does not implement.
    #[error("unexpected TLS cipher suite {0:?} (supported: {1})")]
    UnsupportedCipherSuite(String, String),
    /// A `--tls-min-version` / `--tls-max-version` value other than TLS1.2 or TLS1.3.
    #[error("unexpected TLS version {0:?} (only TLS1.2 and TLS1.3 are supported)")]
    UnsupportedVersion(String),
    /// `--tls-min-version` above `--tls-max-version`.
    #[error("min version ({0}) is greater than max version ({1})")]
    VersionRange(String, String),
    /// Self-signed certificate generation failed.
    #[error("cannot generate self-signed certificate: {0}")]
    Generate(String),
    /// `https` listener or endpoint without the needed certificate files.
    #[error("{0}")]
    Missing(String),
}

/// The one crypto provider used everywhere: rustls' `ring` provider.
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A TLS protocol version accepted by `--tls-min-version` / `--tls-max-version`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TlsVersion {
    /// TLS 1.2.
    Tls12,
    /// TLS 1.3.
    Tls13,
}

impl TlsVersion {
    /// Parses etcd's spelling (`TLS1.2`, `TLS1.3`); an empty string is `None` (default).
    ///
    /// # Errors
    /// [`TlsError::UnsupportedVersion`] for TLS1.0, TLS1.1 or anything else.
    pub fn parse(s: &str) -> Result<Option<TlsVersion>, TlsError> {
        match s.trim() {
            "" => Ok(None),
            "TLS1.2" => Ok(Some(TlsVersion::Tls12)),
            "TLS1.3" => Ok(Some(TlsVersion::Tls13)),
            other => Err(TlsError::UnsupportedVersion(other.to_string())),
        }
    }

    fn name(self) -> &'static str {
        match self {
            TlsVersion::Tls12 => "TLS1.2",
            TlsVersion::Tls13 => "TLS1.3",
        }
    }
}

/// Protocol versions and TLS 1.2 cipher suites shared by every listener of a member.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsParams {
    /// `--tls-min-version` (default TLS1.2).
    pub min_version: Option<TlsVersion>,
    /// `--tls-max-version` (default: the highest supported, TLS1.3).
    pub max_version: Option<TlsVersion>,
    /// `--cipher-suites`: IANA names (`TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`). Like Go, they
    /// restrict TLS 1.2 only; TLS 1.3 suites are always all enabled. Empty: rustls' defaults.
    pub cipher_suites: Vec<String>,
}

impl TlsParams {
    /// Checks the versions and cipher suite names.
    ///
    /// # Errors
    /// [`TlsError::VersionRange`] or [`TlsError::UnsupportedCipherSuite`].
    pub fn validate(&self) -> Result<(), TlsError> {
        self.provider()?;
        let (min, max) = self.range();
        if min > max {
            return Err(TlsError::VersionRange(
                min.name().to_string(),
                max.name().to_string(),
            ));
        }
        Ok(())
    }

    fn range(&self) -> (TlsVersion, TlsVersion) {
        (
            self.min_version.unwrap_or(TlsVersion::Tls12),
            self.max_version.unwrap_or(TlsVersion::Tls13),
        )
    }

    fn versions(&self) -> Vec<&'static SupportedProtocolVersion> {
        let (min, max) = self.range();
        let mut v = Vec::new();
        if max >= TlsVersion::Tls13 {
            v.push(&rustls::version::TLS13);
        }
        if min <= TlsVersion::Tls12 {
            v.push(&rustls::version::TLS12);
        }
        v
    }

    /// The ring provider restricted to the requested TLS 1.2 cipher suites.
    fn provider(&self) -> Result<Arc<CryptoProvider>, TlsError> {
        let mut p = rustls::crypto::ring::default_provider();
        if self.cipher_suites.is_empty() {
            return Ok(Arc::new(p));
        }
        let name = |s: &rustls::SupportedCipherSuite| format!("{:?}", s.suite());
        let mut keep = Vec::new();
        for wanted in &self.cipher_suites {
            let wanted = wanted.trim();
            let found = p
                .cipher_suites
                .iter()
                .find(|s| name(s) == wanted && s.version() == &rustls::version::TLS12);
            match found {
                Some(s) => keep.push(*s),
                None => {
                    let supported: Vec<String> = p
                        .cipher_suites
                        .iter()
                        .filter(|s| s.version() == &rustls::version::TLS12)
                        .map(name)
                        .collect();
                    return Err(TlsError::UnsupportedCipherSuite(
                        wanted.to_string(),
                        supported.join(","),
                    ));
                }
            }
        }
        let tls13: Vec<_> = p
            .cipher_suites
            .iter()
            .filter(|s| s.version() == &rustls::version::TLS13)
            .copied()
            .collect();
        keep.extend(tls13);
        p.cipher_suites = keep;
        Ok(Arc::new(p))
    }
}

/// The TLS files of one listener (etcd's `TLSInfo`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsInfo {
    /// `--cert-file` / `--peer-cert-file`: PEM certificate chain, leaf first.
    pub cert_file: Option<PathBuf>,
    /// `--key-file` / `--peer-key-file`: PEM private key (PKCS#8, SEC1 or PKCS#1).
    pub key_file: Option<PathBuf>,
    /// `--trusted-ca-file` / `--peer-trusted-ca-file`: PEM CA bundle for client certificates
    /// (server side) and server certificates (peer client side).
    pub trusted_ca_file: Option<PathBuf>,
    /// `--client-cert-auth` / `--peer-client-cert-auth`: require a client certificate signed
    /// by the trusted CA.
    pub client_cert_auth: bool,
    /// Certificates made by auto-TLS: the peer client does not verify the other side.
    pub self_signed: bool,
}

impl TlsInfo {
    /// Whether neither a certificate nor a key is configured (etcd's `TLSInfo.Empty`).
    pub fn is_empty(&self) -> bool {
        self.cert_file.is_none() && self.key_file.is_none()
    }
}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads every `CERTIFICATE` in a PEM file.
///
/// # Errors
/// [`TlsError::Io`], or [`TlsError::Pem`] when there is none.
pub fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let bytes = read(path)?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::Pem {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
    if certs.is_empty() {
        return Err(TlsError::Pem {
            path: path.to_path_buf(),
            reason: "no certificate found".to_string(),
        });
    }
    Ok(certs)
}

/// Reads the first private key of a PEM file.
///
/// # Errors
/// [`TlsError::Io`], or [`TlsError::Pem`] when there is none.
pub fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let bytes = read(path)?;
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| TlsError::Pem {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

fn root_store(path: &Path) -> Result<RootCertStore, TlsError> {
    let mut roots = RootCertStore::empty();
    for c in load_certs(path)? {
        roots.add(c).map_err(|e| TlsError::Pem {
            path: path.to_path_buf(),
            reason: format!("bad CA certificate: {e}"),
        })?;
    }
    Ok(roots)
}

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
    let builder = match &info.trusted_ca_file {
        Some(ca) => {
            let roots = Arc::new(root_store(ca)?);
            let v = WebPkiClientVerifier::builder_with_provider(roots, provider);
            let v = if info.client_cert_auth {
                v
            } else {
                v.allow_unauthenticated()
            };
            builder.with_client_cert_verifier(
                v.build().map_err(|e| TlsError::Verifier(e.to_string()))?,
            )
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

/// What identifies a file's version: modification time, size and (on Unix) inode.
type Stamp = Vec<Option<(SystemTime, u64, u64)>>;

fn stamp(info: &TlsInfo) -> Stamp {
    [&info.cert_file, &info.key_file, &info.trusted_ca_file]
        .into_iter()
        .map(|p| {
            let m = std::fs::metadata(p.as_ref()?).ok()?;
            #[cfg(unix)]
            let ino = std::os::unix::fs::MetadataExt::ino(&m);
            #[cfg(not(unix))]
            let ino = 0;
            Some((m.modified().ok()?, m.len(), ino))
        })
        .collect()
}

/// A server configuration that follows its files: see the module docs.
#[derive(Debug)]
pub struct ReloadingServerConfig {
    info: TlsInfo,
    params: TlsParams,
    state: Mutex<(Stamp, Arc<rustls::ServerConfig>)>,
}

impl ReloadingServerConfig {
    /// Loads the files once.
    ///
    /// # Errors
    /// As [`server_config`].
    pub fn new(info: TlsInfo, params: TlsParams) -> Result<ReloadingServerConfig, TlsError> {
        let st = stamp(&info);
        let cfg = Arc::new(server_config(&info, &params)?);
        Ok(ReloadingServerConfig {
            info,
            params,
            state: Mutex::new((st, cfg)),
        })
    }

    /// The TLS files this configuration follows.
    pub fn info(&self) -> &TlsInfo {
        &self.info
    }

    /// The configuration for a new connection, rebuilt first if a file changed since the
    /// last build (a failing rebuild keeps the previous configuration and logs a warning).
    pub fn current(&self) -> Arc<rustls::ServerConfig> {
        let now = stamp(&self.info);
        let mut guard = match self.state.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        if guard.0 != now {
            match server_config(&self.info, &self.params) {
                Ok(cfg) => {
                    tracing::info!(cert_file = ?self.info.cert_file, "reloaded TLS certificates");
                    *guard = (now, Arc::new(cfg));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "failed to reload TLS certificates; keeping the previous ones");
                    guard.0 = now;
                }
            }
        }
        guard.1.clone()
    }
}

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

/// The subject common name of a DER certificate, if any.
pub fn common_name(cert: &CertificateDer<'_>) -> Option<String> {
    let (_, parsed) = x509_parser::parse_x509_certificate(cert.as_ref()).ok()?;
    let cn = parsed
        .subject()
        .iter_common_name()
        .next()?
        .as_str()
        .ok()?
        .to_string();
    Some(cn)
}

/// etcd's `SelfCert`: reuses `<dir>/cert.pem` and `<dir>/key.pem` when both exist, otherwise
/// generates a self-signed certificate (organization `etcd`, server auth usage, plus client
/// auth when `client_usage`) for the hosts of `hosts` (`host` or `host:port`; IPs become IP
/// SANs, names DNS SANs), valid `validity_years` years (0 means 1).
///
/// # Errors
/// The directory or files cannot be written, or generation fails.
pub fn self_cert(
    dir: &Path,
    hosts: &[String],
    validity_years: u32,
    client_usage: bool,
) -> Result<TlsInfo, TlsError> {
    use rcgen::{
        CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, KeyPair,
        KeyUsagePurpose, SanType,
    };
    let io_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| TlsError::Io { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    let cert_path = dir.join("cert.pem");
    let key_path = dir.join("key.pem");
    let info = TlsInfo {
        cert_file: Some(cert_path.clone()),
        key_file: Some(key_path.clone()),
        trusted_ca_file: None,
        client_cert_auth: false,
        self_signed: true,
    };
    if cert_path.exists() && key_path.exists() {
        return Ok(info);
    }
    let gen = |e: rcgen::Error| TlsError::Generate(e.to_string());
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "etcd");
    params.distinguished_name = dn;
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now;
    params.not_after = now + time::Duration::days(365 * i64::from(validity_years.max(1)));
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    if client_usage {
        params
            .extended_key_usages
            .push(ExtendedKeyUsagePurpose::ClientAuth);
    }
    let mut serial = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut serial);
    serial[0] &= 0x7f;
    params.serial_number = Some(rcgen::SerialNumber::from_slice(&serial));
    for h in hosts {
        let host = split_host(h);
        if host.is_empty() {
            continue;
        }
        let san = match host.parse::<std::net::IpAddr>() {
            Ok(ip) => SanType::IpAddress(ip),
            Err(_) => SanType::DnsName(host.to_string().try_into().map_err(gen)?),
        };
        if !params.subject_alt_names.contains(&san) {
            params.subject_alt_names.push(san);
        }
    }
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(gen)?;
    let cert = params.self_signed(&key).map_err(gen)?;
    std::fs::write(&cert_path, cert.pem()).map_err(io_err(&cert_path))?;
    tracing::info!(path = %cert_path.display(), "created cert file");
    write_private(&key_path, key.serialize_pem().as_bytes()).map_err(io_err(&key_path))?;
    tracing::info!(path = %key_path.display(), "created key file");
    Ok(info)
}

fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    io::Write::write_all(&mut opts.open(path)?, bytes)
}

/// `host` from `host:port`, `[v6]:port`, `[v6]` or `host`.
fn split_host(h: &str) -> &str {
    if let Some(rest) = h.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match h.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') && port.chars().all(|c| c.is_ascii_digit()) => {
            host
        }
        _ => h,
    }
}

/// A tower connector for tonic's `Endpoint::connect_with_connector`: TCP (no delay) to the
/// URI's host and port, then a TLS handshake with the URI host as server name.
#[derive(Clone, Debug)]
pub struct TlsConnector {
    config: Arc<rustls::ClientConfig>,
}

impl TlsConnector {
    /// Wraps a client configuration.
    pub fn new(config: rustls::ClientConfig) -> TlsConnector {
        TlsConnector {
            config: Arc::new(config),
        }
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
        let name = ServerName::try_from(host)
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

/// The peer client's TLS connector, set once at member start when peer TLS is configured.
static PEER_CONNECTOR: RwLock<Option<TlsConnector>> = RwLock::new(None);

/// Installs the connector members use to dial `https` peer URLs.
pub fn set_peer_connector(connector: Option<TlsConnector>) {
    if let Ok(mut g) = PEER_CONNECTOR.write() {
        *g = connector;
    }
}

/// The connector for `https` peer URLs; without peer TLS flags, one that verifies against
/// the system CA bundle.
pub fn peer_connector() -> TlsConnector {
    if let Some(c) = PEER_CONNECTOR.read().ok().and_then(|g| g.clone()) {
        return c;
    }
    let cfg = client_config(&ClientTlsOptions::default(), &TlsParams::default())
        .expect("invariant: default client TLS options read no required file and always build");
    TlsConnector::new(cfg)
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
/// are logged and dropped.
pub fn tls_incoming(
    listener: tokio::net::TcpListener,
    tls: Arc<ReloadingServerConfig>,
) -> tokio_stream::wrappers::ReceiverStream<io::Result<ServerTlsIo>> {
    let (tx, rx) = tokio::sync::mpsc::channel(64);
    tokio::spawn(async move {
        loop {
            let stream = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((s, _)) => s,
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
            tokio::spawn(async move {
                match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                    Ok(Ok(s)) => {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_and_suites() {
        assert_eq!(
            TlsVersion::parse("TLS1.3").expect("ok"),
            Some(TlsVersion::Tls13)
        );
        assert!(TlsVersion::parse("TLS1.1").is_err());
        let p = TlsParams {
            cipher_suites: vec!["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256".to_string()],
            ..TlsParams::default()
        };
        p.validate().expect("supported suite");
        let p = TlsParams {
            cipher_suites: vec!["TLS_RSA_WITH_RC4_128_SHA".to_string()],
            ..TlsParams::default()
        };
        let e = p.validate().expect_err("unsupported");
        assert!(e.to_string().contains("TLS_RSA_WITH_RC4_128_SHA"), "{e}");
        let p = TlsParams {
            min_version: Some(TlsVersion::Tls13),
            max_version: Some(TlsVersion::Tls12),
            ..TlsParams::default()
        };
        assert!(p.validate().is_err());
    }

    #[test]
    fn self_cert_writes_fixtures_and_loads() {
        let dir = tempfile::tempdir().expect("tempdir");
        let info = self_cert(
            dir.path(),
            &["127.0.0.1:2379".to_string(), "localhost".to_string()],
            1,
            false,
        )
        .expect("generate");
        assert!(dir.path().join("cert.pem").exists() && dir.path().join("key.pem").exists());
        server_config(&info, &TlsParams::default()).expect("loads");
        assert_eq!(split_host("[::1]:2379"), "::1");
        assert_eq!(split_host("example.com:1"), "example.com");
    }
}
