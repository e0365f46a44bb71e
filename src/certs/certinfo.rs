//! `certinfo -cert FILE`: cfssl's certinfo JSON (`certinfo.Certificate`), printed with two-space
//! indentation like cfssl: subject, issuer, serial_number (decimal), sans (DNS, then IP, e-mail
//! and URI), not_before / not_after (RFC 3339, UTC), sigalg (Go's names such as
//! `ECDSAWithSHA256`), authority_key_id / subject_key_id (upper-case hex, colon-separated), pem.

use serde::Serialize;
use time::format_description::well_known::Rfc3339;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::{FromDer, X509Certificate, X509Name};

use super::key::pem_encode;
use super::Error;

/// cfssl's `certinfo.Name`.
#[derive(Debug, Default, Serialize)]
pub struct Name {
    #[serde(skip_serializing_if = "String::is_empty")]
    common_name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    serial_number: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    country: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    organization: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    organizational_unit: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    locality: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    province: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    street_address: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    postal_code: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    names: Vec<String>,
}

/// cfssl's `certinfo.Certificate`.
#[derive(Debug, Serialize)]
pub struct CertInfo {
    subject: Name,
    issuer: Name,
    #[serde(skip_serializing_if = "String::is_empty")]
    serial_number: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    sans: Vec<String>,
    not_before: String,
    not_after: String,
    sigalg: String,
    authority_key_id: String,
    subject_key_id: String,
    pem: String,
}

fn join(parts: &mut String, v: &str) {
    if !parts.is_empty() {
        parts.push(',');
    }
    parts.push_str(v);
}

fn parse_name(name: &X509Name<'_>) -> Name {
    let mut n = Name::default();
    for rdn in name.iter() {
        for atv in rdn.iter() {
            let Ok(v) = atv.as_str() else { continue };
            let field = match atv.attr_type().to_id_string().as_str() {
                "2.5.4.3" => &mut n.common_name,
                "2.5.4.5" => &mut n.serial_number,
                "2.5.4.6" => &mut n.country,
                "2.5.4.10" => &mut n.organization,
                "2.5.4.11" => &mut n.organizational_unit,
                "2.5.4.7" => &mut n.locality,
                "2.5.4.8" => &mut n.province,
                "2.5.4.9" => &mut n.street_address,
                "2.5.4.17" => &mut n.postal_code,
                _ => {
                    n.names.push(v.to_string());
                    continue;
                }
            };
            if atv.attr_type().to_id_string() == "2.5.4.3" {
                *field = v.to_string(); // Go keeps the last CN
            } else {
                join(field, v);
            }
            n.names.push(v.to_string());
        }
    }
    n
}

/// Go's `x509.SignatureAlgorithm.String()` for an OID.
pub fn sigalg_name(oid: &str) -> String {
    match oid {
        "1.2.840.113549.1.1.4" => "MD5WithRSA",
        "1.2.840.113549.1.1.5" => "SHA1WithRSA",
        "1.2.840.113549.1.1.11" => "SHA256WithRSA",
        "1.2.840.113549.1.1.12" => "SHA384WithRSA",
        "1.2.840.113549.1.1.13" => "SHA512WithRSA",
        "1.2.840.113549.1.1.10" => "SHA256WithRSAPSS",
        "1.2.840.10045.4.1" => "ECDSAWithSHA1",
        "1.2.840.10045.4.3.2" => "ECDSAWithSHA256",
        "1.2.840.10045.4.3.3" => "ECDSAWithSHA384",
        "1.2.840.10045.4.3.4" => "ECDSAWithSHA512",
        "1.3.101.112" => "Ed25519",
        other => return other.to_string(),
    }
    .to_string()
}

/// Key identifier as cfssl prints it: `AB:01:...`.
pub fn format_key_id(id: &[u8]) -> String {
    id.iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

/// Describes the first certificate in `text` (PEM, or DER). `name` is the file, for messages.
///
/// # Errors
/// [`Error::Cert`] when no certificate can be parsed.
pub fn certinfo(name: &str, text: &[u8]) -> Result<CertInfo, Error> {
    let bad = |m: String| Error::Cert {
        name: name.to_string(),
        message: m,
    };
    let der = if text.starts_with(b"0") || !text.windows(10).any(|w| w == b"-----BEGIN") {
        text.to_vec()
    } else {
        x509_parser::pem::Pem::iter_from_buffer(text)
            .filter_map(Result::ok)
            .find(|p| p.label == "CERTIFICATE")
            .map(|p| p.contents)
            .ok_or_else(|| bad("no CERTIFICATE PEM block".into()))?
    };
    let (_, cert) =
        X509Certificate::from_der(&der).map_err(|e| bad(format!("invalid certificate: {e}")))?;
    let mut dns = Vec::new();
    let mut rest = Vec::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for g in &san.value.general_names {
            match g {
                GeneralName::DNSName(d) => dns.push(d.to_string()),
                GeneralName::IPAddress(b) => match b.len() {
                    4 => rest.push(std::net::Ipv4Addr::new(b[0], b[1], b[2], b[3]).to_string()),
                    16 => {
                        let mut a = [0u8; 16];
                        a.copy_from_slice(b);
                        rest.push(std::net::Ipv6Addr::from(a).to_string());
                    }
                    _ => {}
                },
                GeneralName::RFC822Name(e) => rest.push(e.to_string()),
                GeneralName::URI(u) => rest.push(u.to_string()),
                _ => {}
            }
        }
    }
    dns.extend(rest);
    let mut aki = String::new();
    let mut ski = String::new();
    for ext in cert.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::AuthorityKeyIdentifier(a) => {
                if let Some(k) = &a.key_identifier {
                    aki = format_key_id(k.0);
                }
            }
            ParsedExtension::SubjectKeyIdentifier(k) => ski = format_key_id(k.0),
            _ => {}
        }
    }
    Ok(CertInfo {
        subject: parse_name(cert.subject()),
        issuer: parse_name(cert.issuer()),
        serial_number: cert.serial.to_string(),
        sans: dns,
        not_before: rfc3339(cert.validity().not_before.to_datetime()),
        not_after: rfc3339(cert.validity().not_after.to_datetime()),
        sigalg: sigalg_name(&cert.signature_algorithm.algorithm.to_id_string()),
        authority_key_id: aki,
        subject_key_id: ski,
        pem: pem_encode("CERTIFICATE", &der),
    })
}

impl CertInfo {
    /// Two-space indented JSON, as cfssl's `json.MarshalIndent(cert, "", "  ")`.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn key_id_and_sigalg_formats() {
        assert_eq!(format_key_id(&[0xab, 0x01, 0xff]), "AB:01:FF");
        assert_eq!(sigalg_name("1.2.840.10045.4.3.2"), "ECDSAWithSHA256");
        assert_eq!(sigalg_name("1.2.840.113549.1.1.11"), "SHA256WithRSA");
    }
}
