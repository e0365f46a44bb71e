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
//! Files: this one holds the shared pieces (errors, versions and cipher suites, `TlsInfo`, PEM
//! loading); `server.rs` the server configuration and the TLS accept stream, `reload.rs` the
//! configuration that follows its files, `client.rs` the client configuration and connector,
//! `self_cert.rs` auto-TLS.
//!
//! Depends on: rustls, tokio-rustls, rcgen, x509-parser (no server or client code).

mod client;
mod identity;
mod reload;
mod self_cert;
mod server;

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{RootCertStore, SupportedProtocolVersion};

pub use client::{client_config, ClientTlsIo, ClientTlsOptions, TlsConnector};
pub use reload::ReloadingServerConfig;
pub use self_cert::self_cert;
pub use server::{server_config, tls_incoming, ServerTlsIo, HANDSHAKE_TIMEOUT};

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
    /// `--client-crl-file` / `--peer-crl-file`: PEM or DER certificate revocation list(s); a
    /// client certificate it revokes is refused at the handshake (etcd's `checkCRL`).
    pub crl_file: Option<PathBuf>,
    /// `--peer-cert-allowed-cn`: a client certificate's subject CN must equal it.
    pub allowed_cn: Option<String>,
    /// `--peer-cert-allowed-hostname` / `--client-cert-allowed-hostname`: a client
    /// certificate must be valid for this DNS name or IP address (Go's `VerifyHostname`).
    pub allowed_hostname: Option<String>,
    /// `--experimental-peer-skip-client-san-verification`: the peer listener does not check
    /// that a client certificate's SANs name the connecting address (etcd's `checkSAN`).
    pub skip_client_san_verify: bool,
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
}
