//! cfssl's usage vocabulary (`config.KeyUsage` and `config.ExtKeyUsage` in cfssl's
//! `config/config.go`) mapped to X.509 key usages and extended key usages.

use rcgen::{ExtendedKeyUsagePurpose, KeyUsagePurpose};

/// One usage string from a signing profile, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Usage {
    /// A keyUsage bit.
    Key(KeyUsagePurpose),
    /// An extendedKeyUsage purpose.
    Ext(ExtendedKeyUsagePurpose),
}

/// Every usage name cfssl knows, in cfssl's spelling.
#[cfg(test)]
pub const KNOWN_USAGES: &[&str] = &[
    "signing",
    "digital signature",
    "content commitment",
    "key encipherment",
    "key agreement",
    "data encipherment",
    "cert sign",
    "crl sign",
    "encipher only",
    "decipher only",
    "any",
    "server auth",
    "client auth",
    "code signing",
    "email protection",
    "s/mime",
    "ipsec end system",
    "ipsec tunnel",
    "ipsec user",
    "timestamping",
    "ocsp signing",
    "microsoft sgc",
    "netscape sgc",
];

/// Maps one cfssl usage name (`"signing"`, `"key encipherment"`, `"server auth"`, ...) to its
/// X.509 meaning. `"signing"` and `"digital signature"` are both digitalSignature, as in cfssl.
/// Returns `None` for a name cfssl does not know.
pub fn parse_usage(name: &str) -> Option<Usage> {
    use ExtendedKeyUsagePurpose as E;
    use KeyUsagePurpose as K;
    Some(match name {
        "signing" | "digital signature" => Usage::Key(K::DigitalSignature),
        "content commitment" => Usage::Key(K::ContentCommitment),
        "key encipherment" => Usage::Key(K::KeyEncipherment),
        "key agreement" => Usage::Key(K::KeyAgreement),
        "data encipherment" => Usage::Key(K::DataEncipherment),
        "cert sign" => Usage::Key(K::KeyCertSign),
        "crl sign" => Usage::Key(K::CrlSign),
        "encipher only" => Usage::Key(K::EncipherOnly),
        "decipher only" => Usage::Key(K::DecipherOnly),
        "any" => Usage::Ext(E::Any),
        "server auth" => Usage::Ext(E::ServerAuth),
        "client auth" => Usage::Ext(E::ClientAuth),
        "code signing" => Usage::Ext(E::CodeSigning),
        "email protection" | "s/mime" => Usage::Ext(E::EmailProtection),
        "ipsec end system" => Usage::Ext(E::Other(vec![1, 3, 6, 1, 5, 5, 7, 3, 5])),
        "ipsec tunnel" => Usage::Ext(E::Other(vec![1, 3, 6, 1, 5, 5, 7, 3, 6])),
        "ipsec user" => Usage::Ext(E::Other(vec![1, 3, 6, 1, 5, 5, 7, 3, 7])),
        "timestamping" => Usage::Ext(E::TimeStamping),
        "ocsp signing" => Usage::Ext(E::OcspSigning),
        "microsoft sgc" => Usage::Ext(E::Other(vec![1, 3, 6, 1, 4, 1, 311, 10, 3, 3])),
        "netscape sgc" => Usage::Ext(E::Other(vec![2, 16, 840, 1, 113730, 4, 1])),
        _ => return None,
    })
}

/// Splits a profile's usages into (key usages, extended key usages), without duplicates and in
/// first-seen order.
///
/// # Errors
/// The first unknown name, as `Err(name)`.
pub fn resolve_usages(
    names: &[String],
) -> Result<(Vec<KeyUsagePurpose>, Vec<ExtendedKeyUsagePurpose>), String> {
    let mut ku = Vec::new();
    let mut eku = Vec::new();
    for n in names {
        match parse_usage(n) {
            Some(Usage::Key(k)) if !ku.contains(&k) => ku.push(k),
            Some(Usage::Ext(e)) if !eku.contains(&e) => eku.push(e),
            Some(_) => {}
            None => return Err(n.clone()),
        }
    }
    Ok((ku, eku))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_known_usage_maps() {
        for n in KNOWN_USAGES {
            assert!(parse_usage(n).is_some(), "{n}");
        }
    }

    #[test]
    fn seed_profile_usages() {
        let names: Vec<String> = ["signing", "key encipherment", "server auth", "client auth"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let (ku, eku) = resolve_usages(&names).unwrap();
        assert_eq!(
            ku,
            vec![
                KeyUsagePurpose::DigitalSignature,
                KeyUsagePurpose::KeyEncipherment
            ]
        );
        assert_eq!(
            eku,
            vec![
                ExtendedKeyUsagePurpose::ServerAuth,
                ExtendedKeyUsagePurpose::ClientAuth
            ]
        );
        let dup = vec!["signing".to_string(), "digital signature".to_string()];
        assert_eq!(
            resolve_usages(&dup).unwrap().0,
            vec![KeyUsagePurpose::DigitalSignature]
        );
        assert_eq!(
            resolve_usages(&["server auht".to_string()]),
            Err("server auht".to_string())
        );
        assert_eq!(
            parse_usage("cert sign"),
            Some(Usage::Key(KeyUsagePurpose::KeyCertSign))
        );
    }
}
