//! Auto-TLS: etcd's `SelfCert`, a self-signed certificate and key written under the data
//! directory's fixtures.

use std::io;
use std::path::Path;

use super::{TlsError, TlsInfo};

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
        ..TlsInfo::default()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tls::{server_config, TlsParams};

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
