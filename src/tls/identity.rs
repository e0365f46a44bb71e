//! Client-certificate checks beyond the CA chain, as etcd's `pkg/transport`: revocation lists
//! (`--client-crl-file`, `--peer-crl-file`, etcd's `checkCRL`) loaded into rustls' verifier,
//! and the allowed identity (`--peer-cert-allowed-cn`, `--peer-cert-allowed-hostname`,
//! `--client-cert-allowed-hostname`) checked on the verified leaf (etcd's
//! `VerifyPeerCertificate`: `client certificate authentication failed`).

use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, CertificateRevocationListDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, SignatureScheme};

use super::{read, TlsError};

/// Reads a CRL file: PEM `X509 CRL` blocks, or one DER CRL.
///
/// # Errors
/// An unreadable file.
pub fn load_crls(path: &Path) -> Result<Vec<CertificateRevocationListDer<'static>>, TlsError> {
    let bytes = read(path)?;
    let pem: Vec<_> = CertificateRevocationListDer::pem_slice_iter(&bytes)
        .filter_map(Result::ok)
        .collect();
    if pem.is_empty() {
        return Ok(vec![CertificateRevocationListDer::from(bytes)]);
    }
    Ok(pem)
}

/// Which identity a verified client certificate must carry.
#[derive(Debug, Clone)]
pub enum AllowedIdentity {
    /// The subject CN equals this.
    CommonName(String),
    /// A SAN matches this DNS name (wildcards as Go) or IP address.
    Hostname(String),
}

impl AllowedIdentity {
    /// Whether the DER leaf `cert` carries this identity.
    pub fn allows(&self, cert: &CertificateDer<'_>) -> bool {
        match self {
            AllowedIdentity::CommonName(cn) => {
                super::common_name(cert).as_deref() == Some(cn.as_str())
            }
            AllowedIdentity::Hostname(host) => matches_hostname(cert, host),
        }
    }
}

/// Go's `x509.Certificate.VerifyHostname` on the SANs (no CN fallback, as Go ≥ 1.15).
fn matches_hostname(cert: &CertificateDer<'_>, host: &str) -> bool {
    let Ok((_, parsed)) = x509_parser::parse_x509_certificate(cert.as_ref()) else {
        return false;
    };
    let Ok(Some(san)) = parsed.subject_alternative_name() else {
        return false;
    };
    let host_ip: Option<IpAddr> = host.trim_matches(['[', ']']).parse().ok();
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    san.value.general_names.iter().any(|n| match n {
        x509_parser::extensions::GeneralName::IPAddress(b) => match (host_ip, b.len()) {
            (Some(IpAddr::V4(ip)), 4) => ip.octets() == **b,
            (Some(IpAddr::V6(ip)), 16) => ip.octets() == **b,
            _ => false,
        },
        x509_parser::extensions::GeneralName::DNSName(d) if host_ip.is_none() => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            match d.strip_prefix("*.") {
                Some(rest) => host
                    .split_once('.')
                    .is_some_and(|(first, tail)| !first.is_empty() && tail == rest),
                None => d == host,
            }
        }
        _ => false,
    })
}

/// A client-certificate verifier that, after the inner (chain and CRL) verification, demands
/// the allowed identity.
#[derive(Debug)]
pub struct IdentityVerifier {
    /// The chain (and CRL) verifier.
    pub inner: Arc<dyn ClientCertVerifier>,
    /// The identity the leaf must carry.
    pub allowed: AllowedIdentity,
}

impl ClientCertVerifier for IdentityVerifier {
    fn offer_client_auth(&self) -> bool {
        self.inner.offer_client_auth()
    }
    fn client_auth_mandatory(&self) -> bool {
        self.inner.client_auth_mandatory()
    }
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        self.inner.root_hint_subjects()
    }
    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        let ok = self
            .inner
            .verify_client_cert(end_entity, intermediates, now)?;
        if !self.allowed.allows(end_entity) {
            return Err(rustls::Error::General(
                "client certificate authentication failed".to_string(),
            ));
        }
        Ok(ok)
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// CN and SAN hostname checks on an rcgen certificate.
    #[test]
    fn allowed_identity_checks_cn_and_sans() {
        let key = rcgen::KeyPair::generate().expect("key");
        let mut params = rcgen::CertificateParams::new(vec![
            "peer.example".to_string(),
            "127.0.0.1".to_string(),
        ])
        .expect("params");
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "etcd-peer");
        let cert = params.self_signed(&key).expect("cert");
        let der = cert.der().clone();
        assert!(AllowedIdentity::CommonName("etcd-peer".into()).allows(&der));
        assert!(!AllowedIdentity::CommonName("other".into()).allows(&der));
        assert!(AllowedIdentity::Hostname("peer.example".into()).allows(&der));
        assert!(AllowedIdentity::Hostname("127.0.0.1".into()).allows(&der));
        assert!(!AllowedIdentity::Hostname("evil.example".into()).allows(&der));
        assert!(!AllowedIdentity::Hostname("127.0.0.2".into()).allows(&der));
    }
}
