//! rcgen-based PKI speaking cfssl's formats: a self-signed CA (`gencert -initca`), leaves signed
//! by a CA under a signing profile (`gencert -ca -ca-key -config -profile`), key + request only
//! (`genkey`), certificate descriptions (`certinfo`) and a whole cluster's set in one step
//! ([`init_cluster`]).
//!
//! May depend on: rcgen (ring provider), `rsa` (RSA key generation, which rcgen cannot do with
//! ring), x509-parser (reading CA certificates and `certinfo`), serde/serde_json, time. No CLI
//! types and no anyhow: the edge is `cli::certs`.
//!
//! cfssl behaviour kept: ECDSA P-256 when the request has no `key`; CA validity 43800h (5
//! years) unless `ca.expiry`; leaf validity from the profile, else the config's default profile,
//! else 8760h; not-before backdated 5 minutes; 20-byte random serials; CA with
//! basicConstraints CA:TRUE (critical) and keyUsage certSign + cRLSign; leaves with CA:FALSE and
//! the profile's usages; `-hostname` replaces the request's `hosts`.
//!
//! Deliberate deltas: an unknown `-profile` is an error (cfssl silently falls back to the default
//! profile); an unknown usage is an error; at most one value per subject attribute type (the last
//! `names[]` entry wins); ECDSA P-521 is not supported (ring cannot sign with it).

pub mod certinfo;
pub mod files;
pub mod json;
pub mod key;
pub mod san;
pub mod usage;

use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyUsagePurpose,
    SerialNumber,
};
use time::OffsetDateTime;

pub use json::{Bundle, Config, CsrRequest, Profile};
use key::{Key, KeySpec};

/// Every failure of the PKI layer; each renders as one line naming the file or field.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A JSON document did not parse: `source_name` is the file (or `-`).
    #[error("{source_name}: {message}")]
    Json {
        /// File name or `-`.
        source_name: String,
        /// serde's message with the field path.
        message: String,
    },
    /// A field has a value we cannot use (`key.algo`, `key.size`, `signing.profiles.x.usages`).
    #[error("{field}: {message}")]
    Field {
        /// Dotted path of the field.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// A private key file is unusable.
    #[error("{name}: {message}")]
    Key {
        /// The file.
        name: String,
        /// What is wrong.
        message: String,
    },
    /// A certificate file is unusable.
    #[error("{name}: {message}")]
    Cert {
        /// The file.
        name: String,
        /// What is wrong.
        message: String,
    },
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// Key generation or signing failed.
    #[error("crypto: {0}")]
    Crypto(String),
}

impl Error {
    pub(crate) fn field(field: &str, message: impl Into<String>) -> Error {
        Error::Field {
            field: field.to_string(),
            message: message.into(),
        }
    }
}

impl From<rcgen::Error> for Error {
    fn from(e: rcgen::Error) -> Self {
        Error::Crypto(e.to_string())
    }
}

/// cfssl's default leaf validity (`helpers.OneYear`): 8760h.
pub const DEFAULT_LEAF_EXPIRY: Duration = Duration::from_secs(8760 * 3600);
/// cfssl's default CA validity for `-initca`: 43800h (5 years).
pub const DEFAULT_CA_EXPIRY: Duration = Duration::from_secs(43800 * 3600);
/// cfssl backdates not-before by 5 minutes to absorb clock skew.
pub const BACKDATE: Duration = Duration::from_secs(300);

/// A loaded signing CA: its certificate (PEM) and key.
pub struct Ca {
    cert_pem: String,
    key: Key,
}

impl Ca {
    /// Loads a CA from its certificate PEM (`-ca`) and private key PEM (`-ca-key`); the names
    /// are the files, for messages. Checks that the key belongs to the certificate.
    ///
    /// # Errors
    /// [`Error::Cert`] or [`Error::Key`] naming the file.
    pub fn load(
        cert_name: &str,
        cert_pem: &[u8],
        key_name: &str,
        key_pem: &[u8],
    ) -> Result<Ca, Error> {
        let bad_cert = |m: String| Error::Cert {
            name: cert_name.to_string(),
            message: m,
        };
        let pem = x509_parser::pem::Pem::iter_from_buffer(cert_pem)
            .filter_map(Result::ok)
            .find(|p| p.label == "CERTIFICATE")
            .ok_or_else(|| bad_cert("no CERTIFICATE PEM block".into()))?;
        let cert = pem
            .parse_x509()
            .map_err(|e| bad_cert(format!("invalid certificate: {e}")))?;
        let key = key::load(key_name, key_pem)?;
        let spki = rcgen::PublicKeyData::subject_public_key_info(&key.pair);
        if cert.public_key().raw != spki.as_slice() {
            return Err(Error::Key {
                name: key_name.to_string(),
                message: format!("private key does not match the certificate in {cert_name}"),
            });
        }
        Ok(Ca {
            cert_pem: key::pem_encode("CERTIFICATE", &pem.contents),
            key,
        })
    }
}

fn distinguished_name(req: &CsrRequest) -> DistinguishedName {
    // Go's pkix.Name order: C, ST, L, O, OU, CN, serialNumber.
    let mut dn = DistinguishedName::new();
    let mut put = |ty: DnType, pick: &dyn Fn(&json::NameEntry) -> &str| {
        if let Some(v) = req.names.iter().map(pick).filter(|v| !v.is_empty()).last() {
            // Go writes PrintableString when the text allows it (always for C), else UTF8String.
            match v.try_into() {
                Ok(p) => dn.push(ty, rcgen::DnValue::PrintableString(p)),
                Err(_) => dn.push(ty, v),
            }
        }
    };
    put(DnType::CountryName, &|n| &n.c);
    put(DnType::StateOrProvinceName, &|n| &n.st);
    put(DnType::LocalityName, &|n| &n.l);
    put(DnType::OrganizationName, &|n| &n.o);
    put(DnType::OrganizationalUnitName, &|n| &n.ou);
    if !req.cn.is_empty() {
        dn.push(DnType::CommonName, req.cn.as_str());
    }
    if !req.serial_number.is_empty() {
        dn.push(
            DnType::CustomDnType(vec![2, 5, 4, 5]),
            req.serial_number.as_str(),
        );
    }
    dn
}

fn random_serial() -> Result<SerialNumber, Error> {
    let mut bytes = [0u8; 20];
    rand_core::RngCore::try_fill_bytes(&mut rand_core::OsRng, &mut bytes)
        .map_err(|e| Error::Crypto(format!("random serial: {e}")))?;
    bytes[0] &= 0x7F; // positive
    bytes[0] |= 0x01; // and exactly 20 bytes long
    Ok(SerialNumber::from_slice(&bytes))
}

fn base_params(
    req: &CsrRequest,
    hosts: &[String],
    validity: Duration,
    now: OffsetDateTime,
) -> Result<CertificateParams, Error> {
    let mut params = CertificateParams::default();
    params.distinguished_name = distinguished_name(req);
    params.subject_alt_names = san::to_sans(hosts).map_err(|m| Error::field("hosts", m))?;
    let not_before = now - BACKDATE;
    params.not_before = not_before;
    params.not_after = not_before + validity;
    params.serial_number = Some(random_serial()?);
    Ok(params)
}

/// The request cfssl emits beside the certificate: subject and SANs only (what cfssl's
/// `csr.Generate` puts in it), signed by the new key.
fn csr_pem(params: &CertificateParams, key: &Key) -> Result<String, Error> {
    let mut csr = CertificateParams::default();
    csr.distinguished_name = params.distinguished_name.clone();
    csr.subject_alt_names = params.subject_alt_names.clone();
    Ok(csr.serialize_request(&key.pair)?.pem()?)
}

fn expiry(field: &str, s: &str) -> Result<Option<Duration>, Error> {
    if s.is_empty() {
        return Ok(None);
    }
    let d = crate::go_text::parse_go_duration(s).map_err(|e| Error::field(field, e.to_string()))?;
    if d.is_zero() {
        return Err(Error::field(field, "expiry must be positive"));
    }
    Ok(Some(d))
}

/// `gencert -initca`: a new key and a self-signed CA certificate from `req`.
///
/// # Errors
/// [`Error::Field`] for a bad `key`, `hosts` or `ca.expiry`; [`Error::Crypto`].
pub fn init_ca(req: &CsrRequest) -> Result<Bundle, Error> {
    let spec = KeySpec::from_request(req.key.as_ref())?;
    let ca_opts = req.ca.clone().unwrap_or_default();
    let validity = expiry("ca.expiry", &ca_opts.expiry)?.unwrap_or(DEFAULT_CA_EXPIRY);
    let key = key::generate(spec)?;
    let mut params = base_params(req, &req.hosts, validity, OffsetDateTime::now_utc())?;
    params.is_ca = if ca_opts.path_len > 0 || ca_opts.path_len_zero {
        IsCa::Ca(BasicConstraints::Constrained(ca_opts.path_len))
    } else {
        IsCa::Ca(BasicConstraints::Unconstrained)
    };
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let cert = params.self_signed(&key.pair)?;
    let csr = csr_pem(&params, &key)?;
    Ok(Bundle {
        cert: Some(cert.pem()),
        csr,
        key: key.pem,
    })
}

/// `genkey` without `-initca`: a new key and a certificate request, no certificate.
///
/// # Errors
/// As [`init_ca`].
pub fn gen_key(req: &CsrRequest) -> Result<Bundle, Error> {
    let spec = KeySpec::from_request(req.key.as_ref())?;
    let key = key::generate(spec)?;
    let params = base_params(
        req,
        &req.hosts,
        DEFAULT_LEAF_EXPIRY,
        OffsetDateTime::now_utc(),
    )?;
    let csr = csr_pem(&params, &key)?;
    Ok(Bundle {
        cert: None,
        csr,
        key: key.pem,
    })
}

/// Picks the profile `name` (or the default profile when `name` is `None`) and fills what it
/// leaves empty from the default profile. Returns the profile and its JSON path for messages.
///
/// # Errors
/// [`Error::Field`] `-profile` when the config has no such profile.
pub fn select_profile(config: &Config, name: Option<&str>) -> Result<(Profile, String), Error> {
    let default = config.signing.default.clone().unwrap_or_default();
    match name.filter(|n| !n.is_empty()) {
        None => Ok((default, "signing.default".to_string())),
        Some(n) => {
            let Some(p) = config.signing.profiles.get(n) else {
                let have: Vec<&str> = config.signing.profiles.keys().map(String::as_str).collect();
                return Err(Error::field(
                    "-profile",
                    format!(
                        "no profile {n:?} in signing.profiles (have: {})",
                        have.join(", ")
                    ),
                ));
            };
            let mut p = p.clone();
            if p.expiry.is_empty() {
                p.expiry = default.expiry.clone();
            }
            if p.usages.is_empty() {
                p.usages = default.usages.clone();
            }
            Ok((p, format!("signing.profiles.{n}")))
        }
    }
}

/// Checks a whole signing config: every expiry is a Go duration, every usage is known.
///
/// # Errors
/// [`Error::Field`] naming the first bad field (`signing.profiles.server.usages`).
pub fn validate_config(config: &Config) -> Result<(), Error> {
    let mut all: Vec<(String, &Profile)> = Vec::new();
    if let Some(d) = &config.signing.default {
        all.push(("signing.default".into(), d));
    }
    for (n, p) in &config.signing.profiles {
        all.push((format!("signing.profiles.{n}"), p));
    }
    for (path, p) in all {
        expiry(&format!("{path}.expiry"), &p.expiry)?;
        usage::resolve_usages(&p.usages)
            .map_err(|u| Error::field(&format!("{path}.usages"), format!("unknown usage {u:?}")))?;
    }
    Ok(())
}

/// `gencert -ca -ca-key -config -profile [-hostname]`: a new key, a request and a certificate
/// signed by `ca` under the profile. `hosts` replaces `req.hosts` when `Some` (`-hostname`).
///
/// # Errors
/// [`Error::Field`] for a bad request, profile, usage or expiry; [`Error::Crypto`].
pub fn sign(
    req: &CsrRequest,
    ca: &Ca,
    config: &Config,
    profile: Option<&str>,
    hosts: Option<&[String]>,
) -> Result<Bundle, Error> {
    validate_config(config)?;
    let (profile, path) = select_profile(config, profile)?;
    let spec = KeySpec::from_request(req.key.as_ref())?;
    let validity =
        expiry(&format!("{path}.expiry"), &profile.expiry)?.unwrap_or(DEFAULT_LEAF_EXPIRY);
    let (ku, eku) = usage::resolve_usages(&profile.usages)
        .map_err(|u| Error::field(&format!("{path}.usages"), format!("unknown usage {u:?}")))?;
    let hosts = hosts.unwrap_or(&req.hosts);
    let key = key::generate(spec)?;
    let mut params = base_params(req, hosts, validity, OffsetDateTime::now_utc())?;
    params.key_usages = ku;
    params.extended_key_usages = eku;
    params.use_authority_key_identifier_extension = true;
    params.is_ca = match &profile.ca_constraint {
        Some(c) if c.is_ca => IsCa::Ca(if c.max_path_len > 0 || c.max_path_len_zero {
            BasicConstraints::Constrained(c.max_path_len)
        } else {
            BasicConstraints::Unconstrained
        }),
        _ => IsCa::ExplicitNoCa,
    };
    let issuer = Issuer::from_ca_cert_pem(&ca.cert_pem, &ca.key.pair)
        .map_err(|e| Error::Crypto(format!("CA certificate: {e}")))?;
    let cert = params.signed_by(&key.pair, &issuer)?;
    let csr = csr_pem(&params, &key)?;
    Ok(Bundle {
        cert: Some(cert.pem()),
        csr,
        key: key.pem,
    })
}

/// What [`init_cluster`] produces: file name → (contents, mode), in write order.
pub type ClusterFiles = Vec<(String, String, u32)>;

/// The one-step cluster PKI of `etcd certs init`: a CA (`ca.pem`, `ca-key.pem`), a server
/// certificate (`server.pem`; server auth + client auth, for `--cert-file`), one peer
/// certificate per member (`peer-<member>.pem`, or `peer.pem` without members; server auth +
/// client auth, for `--peer-cert-file`) and a client certificate (`client.pem`, CN
/// `client_cn`; client auth, for etcdctl `--cert`), each with its `-key.pem`. Server and peer
/// certificates carry `hosts` plus `localhost` and `127.0.0.1`. Validity: CA 43800h, leaves
/// `leaf_expiry`.
///
/// # Errors
/// As [`init_ca`] and [`sign`].
pub fn init_cluster(
    hosts: &[String],
    members: &[String],
    client_cn: &str,
    key: Option<&json::KeyRequest>,
    leaf_expiry: &str,
) -> Result<ClusterFiles, Error> {
    let ca_req = CsrRequest {
        cn: "etcd-ca".into(),
        key: key.cloned(),
        ..Default::default()
    };
    let ca_bundle = init_ca(&ca_req)?;
    let ca_cert = ca_bundle.cert.clone().unwrap_or_default();
    let ca = Ca::load(
        "ca.pem",
        ca_cert.as_bytes(),
        "ca-key.pem",
        ca_bundle.key.as_bytes(),
    )?;
    let both = vec![
        "signing".to_string(),
        "key encipherment".into(),
        "server auth".into(),
        "client auth".into(),
    ];
    let client = vec![
        "signing".to_string(),
        "key encipherment".into(),
        "client auth".into(),
    ];
    let mut config = Config::default();
    for (name, usages) in [("server", &both), ("peer", &both), ("client", &client)] {
        config.signing.profiles.insert(
            name.to_string(),
            Profile {
                expiry: leaf_expiry.to_string(),
                usages: usages.clone(),
                ca_constraint: None,
            },
        );
    }
    let mut all_hosts: Vec<String> = hosts.to_vec();
    for h in ["localhost", "127.0.0.1"] {
        if !all_hosts.iter().any(|x| x == h) {
            all_hosts.push(h.to_string());
        }
    }
    let mut out: ClusterFiles = vec![
        ("ca.pem".into(), ca_cert, files::CERT_MODE),
        ("ca-key.pem".into(), ca_bundle.key, files::KEY_MODE),
    ];
    let mut leaf = |file: String, cn: &str, profile: &str, hosts: &[String]| -> Result<(), Error> {
        let req = CsrRequest {
            cn: cn.to_string(),
            key: key.cloned(),
            ..Default::default()
        };
        let b = sign(&req, &ca, &config, Some(profile), Some(hosts))?;
        out.push((
            format!("{file}.pem"),
            b.cert.unwrap_or_default(),
            files::CERT_MODE,
        ));
        out.push((format!("{file}-key.pem"), b.key, files::KEY_MODE));
        Ok(())
    };
    leaf("server".into(), "etcd-server", "server", &all_hosts)?;
    if members.is_empty() {
        leaf("peer".into(), "etcd-peer", "peer", &all_hosts)?;
    }
    for m in members {
        if m.is_empty() || m.contains(['/', '\\']) || m.starts_with('.') {
            return Err(Error::field(
                "--members",
                format!("invalid member name {m:?}"),
            ));
        }
        leaf(format!("peer-{m}"), m, "peer", &all_hosts)?;
    }
    leaf("client".into(), client_cn, "client", &[])?;
    Ok(out)
}
