//! Client-certificate checks beyond the CA chain, as etcd's `pkg/transport`: revocation lists
//! (`--client-crl-file`, `--peer-crl-file`, etcd's `checkCRL`) loaded into rustls' verifier,
//! and the allowed identity (`--peer-cert-allowed-cn`, `--peer-cert-allowed-hostname`,
//! `--client-cert-allowed-hostname`) checked on the verified leaf (etcd's
//! `VerifyPeerCertificate`: `client certificate authentication failed`), and etcd's
//! `checkSAN` on the peer listener (a client certificate must name the connecting address).

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

/// How long the DNS lookups of [`check_cert_san`] may take together.
pub const SAN_LOOKUP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// etcd's `checkCertSAN` (pkg/transport/listener_tls.go), run on the peer listener after the
/// handshake unless `--experimental-peer-skip-client-san-verification`: a client certificate
/// with IP or DNS SANs must name the connection's remote address `remote`. An IP SAN equal to
/// it passes; otherwise the DNS SANs are resolved (forward lookups of the plain names, then a
/// reverse lookup of `remote` also matched against wildcards, as etcd's `isHostInDNS`) and
/// one must give `remote`; the lookups are bounded by [`SAN_LOOKUP_TIMEOUT`]. A certificate without SANs passes.
///
/// # Errors
/// etcd's message: `x509: certificate is valid for <ips>, not <ip>` (IP SANs only) or
/// `tls: "<ip>" does not match any of DNSNames [<names>]`.
pub async fn check_cert_san(cert: &CertificateDer<'_>, remote: IpAddr) -> Result<(), String> {
    let (ips, dns) = sans(cert);
    if ips.is_empty() && dns.is_empty() {
        return Ok(());
    }
    let remote = match remote {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(remote, IpAddr::V4),
        v4 => v4,
    };
    if ips.contains(&remote) {
        return Ok(());
    }
    if dns.is_empty() {
        let list: Vec<String> = ips.iter().map(ToString::to_string).collect();
        return Err(format!(
            "x509: certificate is valid for {}, not {remote}",
            list.join(", ")
        ));
    }
    match tokio::time::timeout(SAN_LOOKUP_TIMEOUT, host_in_dns(remote, &dns)).await {
        Ok(true) => Ok(()),
        _ => {
            let quoted: Vec<String> = dns.iter().map(|d| format!("{d:?}")).collect();
            Err(format!(
                "tls: \"{remote}\" does not match any of DNSNames [{}]",
                quoted.join(" ")
            ))
        }
    }
}

/// The IP and DNS SANs of a DER certificate (none when it does not parse).
fn sans(cert: &CertificateDer<'_>) -> (Vec<IpAddr>, Vec<String>) {
    let (mut ips, mut dns) = (Vec::new(), Vec::new());
    let Ok((_, parsed)) = x509_parser::parse_x509_certificate(cert.as_ref()) else {
        return (ips, dns);
    };
    let Ok(Some(san)) = parsed.subject_alternative_name() else {
        return (ips, dns);
    };
    for n in &san.value.general_names {
        match n {
            x509_parser::extensions::GeneralName::IPAddress(b) => {
                if let Ok(o) = <[u8; 4]>::try_from(*b) {
                    ips.push(IpAddr::from(o));
                } else if let Ok(o) = <[u8; 16]>::try_from(*b) {
                    ips.push(IpAddr::from(o));
                }
            }
            x509_parser::extensions::GeneralName::DNSName(d) => dns.push((*d).to_string()),
            _ => {}
        }
    }
    (ips, dns)
}

/// etcd's `isHostInDNS`: reverse lookup of `remote` against the names (wildcards by suffix),
/// then forward lookups (system resolver, `/etc/hosts` included) of the plain names.
async fn host_in_dns(remote: IpAddr, dns: &[String]) -> bool {
    let (wildcards, names): (Vec<&String>, Vec<&String>) =
        dns.iter().partition(|d| d.starts_with("*."));
    for name in &names {
        if let Ok(addrs) = tokio::net::lookup_host((name.as_str(), 0)).await {
            if addrs.into_iter().any(|a| a.ip() == remote) {
                return true;
            }
        }
    }
    let Ok(builder) = hickory_resolver::TokioResolver::builder_tokio() else {
        return false;
    };
    let Ok(found) = builder.build().reverse_lookup(remote).await else {
        return false;
    };
    found.iter().any(|ptr| {
        let name = ptr.to_utf8();
        let name = name.trim_end_matches('.');
        wildcards.iter().any(|w| name.ends_with(&w[1..])) || names.iter().any(|n| *n == name)
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

    fn cert_with(sans: &[&str]) -> CertificateDer<'static> {
        let key = rcgen::KeyPair::generate().expect("key");
        let params =
            rcgen::CertificateParams::new(sans.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                .expect("params");
        params.self_signed(&key).expect("cert").der().clone()
    }

    /// etcd's checkSAN: IP SANs compared to the remote address, DNS SANs resolved, no SANs
    /// pass; the error texts are etcd's.
    #[tokio::test]
    async fn check_cert_san_compares_sans_to_the_remote_address() {
        let lo: IpAddr = "127.0.0.1".parse().expect("ip");
        assert_eq!(check_cert_san(&cert_with(&[]), lo).await, Ok(()));
        assert_eq!(check_cert_san(&cert_with(&["127.0.0.1"]), lo).await, Ok(()));
        let mapped: IpAddr = "::ffff:127.0.0.1".parse().expect("ip");
        assert_eq!(
            check_cert_san(&cert_with(&["127.0.0.1"]), mapped).await,
            Ok(())
        );
        assert_eq!(
            check_cert_san(&cert_with(&["10.9.9.9"]), lo).await,
            Err("x509: certificate is valid for 10.9.9.9, not 127.0.0.1".to_string())
        );
        assert_eq!(check_cert_san(&cert_with(&["localhost"]), lo).await, Ok(()));
        assert_eq!(
            check_cert_san(&cert_with(&["10.9.9.9", "localhost"]), lo).await,
            Ok(())
        );
        assert_eq!(
            check_cert_san(&cert_with(&["10.9.9.9", "no-such-host.invalid"]), lo).await,
            Err(
                r#"tls: "127.0.0.1" does not match any of DNSNames ["no-such-host.invalid"]"#
                    .to_string()
            )
        );
    }
}
