//! cfssl's JSON documents: the certificate request (`ca-csr.json`, `server-csr.json`), the signing
//! configuration (`ca-config.json`), the `gencert` output (`{"cert","csr","key"}`) and the two
//! `print-defaults` documents, byte for byte as cfssl 1.2.0 (the release etcd's guides use) has
//! them.
//!
//! Unknown fields are ignored, as Go's `encoding/json` does; a field of the wrong type is an
//! error naming the field (`key.size: invalid type: string "2048", expected u32`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Error;

/// `cfssl print-defaults config` of cfssl 1.2.0 (`cli/printdefault/defaults.go`): the `www`
/// (server) and `client` profiles; later cfssl releases renamed `www` to `server`.
pub const DEFAULT_CONFIG: &str = r#"{
    "signing": {
        "default": {
            "expiry": "168h"
        },
        "profiles": {
            "www": {
                "expiry": "8760h",
                "usages": [
                    "signing",
                    "key encipherment",
                    "server auth"
                ]
            },
            "client": {
                "expiry": "8760h",
                "usages": [
                    "signing",
                    "key encipherment",
                    "client auth"
                ]
            }
        }
    }
}
"#;

/// `cfssl print-defaults csr` of cfssl 1.2.0: an `ecdsa` 256 key (later releases print `rsa`
/// 2048), and cfssl's own text where `L` is "CA" and `ST` is "San Francisco".
pub const DEFAULT_CSR: &str = r#"{
    "CN": "example.net",
    "hosts": [
        "example.net",
        "www.example.net"
    ],
    "key": {
        "algo": "ecdsa",
        "size": 256
    },
    "names": [
        {
            "C": "US",
            "L": "CA",
            "ST": "San Francisco"
        }
    ]
}
"#;

/// A certificate request (cfssl `csr.CertificateRequest`).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
pub struct CsrRequest {
    /// Subject common name.
    #[serde(rename = "CN", default)]
    pub cn: String,
    /// Subject attributes; one object per RDN set (C, ST, L, O, OU).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<NameEntry>,
    /// SANs: IPs, DNS names, e-mail addresses, URIs (see [`super::san`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hosts: Vec<String>,
    /// Key to generate; `None` means ECDSA P-256 (cfssl's default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<KeyRequest>,
    /// CA options used by `-initca`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca: Option<CaOptions>,
    /// Subject serialNumber attribute.
    #[serde(
        rename = "serialnumber",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub serial_number: String,
}

/// One `names[]` entry.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
pub struct NameEntry {
    /// Country.
    #[serde(rename = "C", default, skip_serializing_if = "String::is_empty")]
    pub c: String,
    /// State or province.
    #[serde(rename = "ST", default, skip_serializing_if = "String::is_empty")]
    pub st: String,
    /// Locality.
    #[serde(rename = "L", default, skip_serializing_if = "String::is_empty")]
    pub l: String,
    /// Organization.
    #[serde(rename = "O", default, skip_serializing_if = "String::is_empty")]
    pub o: String,
    /// Organizational unit.
    #[serde(rename = "OU", default, skip_serializing_if = "String::is_empty")]
    pub ou: String,
}

/// `key`: `{"algo": "rsa"|"ecdsa", "size": bits}`; size 0 means the algorithm's default
/// (RSA 2048, ECDSA 256).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
pub struct KeyRequest {
    /// `rsa` or `ecdsa`.
    #[serde(default)]
    pub algo: String,
    /// RSA modulus bits (2048..=8192) or ECDSA curve bits (256, 384).
    #[serde(default)]
    pub size: u32,
}

/// `ca`: options for `-initca` (cfssl `csr.CAConfig`).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
pub struct CaOptions {
    /// pathLenConstraint; 0 means none unless `pathlenzero`.
    #[serde(rename = "pathlen", default)]
    pub path_len: u8,
    /// Make a pathlen of 0 explicit.
    #[serde(rename = "pathlenzero", default)]
    pub path_len_zero: bool,
    /// CA validity as a Go duration; default `43800h` (5 years).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub expiry: String,
}

/// The signing configuration file (`ca-config.json`).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
pub struct Config {
    /// The `signing` section.
    #[serde(default)]
    pub signing: Signing,
}

/// `signing`: a default profile and named profiles.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
pub struct Signing {
    /// Used for fields a named profile leaves empty, and when `-profile` is not given.
    #[serde(default)]
    pub default: Option<Profile>,
    /// Named profiles (`server`, `client`, `peer`, ...).
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
}

/// One signing profile.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
pub struct Profile {
    /// Validity as a Go duration (`43800h`); empty means the default profile's, else 8760h.
    #[serde(default)]
    pub expiry: String,
    /// cfssl usage names (see [`super::usage`]).
    #[serde(default)]
    pub usages: Vec<String>,
    /// Makes the issued certificate a CA.
    #[serde(default)]
    pub ca_constraint: Option<CaConstraint>,
}

/// `ca_constraint` of a profile.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
pub struct CaConstraint {
    /// basicConstraints cA.
    #[serde(default)]
    pub is_ca: bool,
    /// pathLenConstraint.
    #[serde(default)]
    pub max_path_len: u8,
    /// Make a max_path_len of 0 explicit.
    #[serde(default)]
    pub max_path_len_zero: bool,
}

/// `gencert`'s output, serialized as cfssl does (`{"cert":"...","csr":"...","key":"..."}`,
/// keys sorted, one line). `cert` is absent for `genkey` without `-initca`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Bundle {
    /// The certificate, PEM (`CERTIFICATE`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub cert: Option<String>,
    /// The request, PEM (`CERTIFICATE REQUEST`).
    pub csr: String,
    /// The private key, PEM (`EC PRIVATE KEY` or `RSA PRIVATE KEY`).
    pub key: String,
}

impl Bundle {
    /// The JSON line cfssl prints (no trailing newline).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Parses a JSON document of type `T` read from `source` (a file name or `-`).
///
/// # Errors
/// [`Error::Json`] with the source, the field path and serde's message.
pub fn parse<T: serde::de::DeserializeOwned>(source: &str, text: &[u8]) -> Result<T, Error> {
    let mut de = serde_json::Deserializer::from_slice(text);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let msg = if path.is_empty() || path == "." {
            inner.to_string()
        } else {
            format!("{path}: {inner}")
        };
        Error::Json {
            source_name: source.to_string(),
            message: msg,
        }
    })?;
    de.end().map_err(|e| Error::Json {
        source_name: source.to_string(),
        message: e.to_string(),
    })?;
    Ok(value)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn defaults_parse() {
        let c: Config = parse("config", DEFAULT_CONFIG.as_bytes()).unwrap();
        assert_eq!(c.signing.default.as_ref().unwrap().expiry, "168h");
        assert_eq!(c.signing.profiles["www"].usages.len(), 3);
        assert!(c.signing.profiles["www"]
            .usages
            .contains(&"server auth".to_string()));
        assert!(c.signing.profiles["client"]
            .usages
            .contains(&"client auth".to_string()));
        let r: CsrRequest = parse("csr", DEFAULT_CSR.as_bytes()).unwrap();
        assert_eq!(r.cn, "example.net");
        let key = r.key.unwrap();
        assert_eq!((key.algo.as_str(), key.size), ("ecdsa", 256));
        assert_eq!(r.names[0].st, "San Francisco");
    }

    #[test]
    fn seed_documents_parse() {
        let csr = r#"{ "CN": "etcd", "hosts": ["127.0.0.1","192.168.255.131"],
            "key": {"algo": "ecdsa", "size": 256}, "names": [{"C":"CN","L":"SH","ST":"SH"}] }"#;
        let r: CsrRequest = parse("etcd.json", csr.as_bytes()).unwrap();
        assert_eq!(r.hosts.len(), 2);
        assert_eq!(r.names[0].c, "CN");
        let no_key: CsrRequest = parse("x", br#"{"CN":"client"}"#).unwrap();
        assert!(no_key.key.is_none());
    }

    #[test]
    fn errors_name_source_and_field() {
        let e = parse::<CsrRequest>(
            "ca-csr.json",
            br#"{"CN":"x","key":{"algo":"rsa","size":"2048"}}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("ca-csr.json: key.size: invalid type"), "{e}");
        let e = parse::<CsrRequest>("ca-csr.json", b"{\"CN\": ")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("ca-csr.json: "), "{e}");
        assert!(!e.contains('\n'));
        let e = parse::<Config>(
            "ca-config.json",
            br#"{"signing":{"profiles":{"s":{"usages":"x"}}}}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("signing.profiles.s.usages"), "{e}");
    }

    #[test]
    fn bundle_json_is_cfssl_shape() {
        let b = Bundle {
            cert: Some("C\n".into()),
            csr: "R\n".into(),
            key: "K\n".into(),
        };
        assert_eq!(b.to_json(), r#"{"cert":"C\n","csr":"R\n","key":"K\n"}"#);
        let g = Bundle {
            cert: None,
            csr: "R".into(),
            key: "K".into(),
        };
        assert_eq!(g.to_json(), r#"{"csr":"R","key":"K"}"#);
    }
}
