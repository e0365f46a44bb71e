//! Private keys: generation (ECDSA through rcgen/ring, RSA through the `rsa` crate), cfssl's PEM
//! layout on output (`EC PRIVATE KEY` = SEC1, `RSA PRIVATE KEY` = PKCS#1, as Go's
//! `x509.MarshalECPrivateKey` / `MarshalPKCS1PrivateKey` write them), and loading any of SEC1,
//! PKCS#1 or PKCS#8 (`PRIVATE KEY`), so a CA key made by the real cfssl or by openssl signs here.
//!
//! ring only imports PKCS#8, so SEC1 and PKCS#1 keys are rewrapped as PKCS#8 first (a few lines
//! of DER, below, for EC; the `rsa` crate for RSA).

use base64::Engine as _;
use rcgen::KeyPair;
use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey};
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};

use super::json::KeyRequest;
use super::Error;

/// A key pair usable by rcgen plus its PEM in cfssl's layout.
pub struct Key {
    /// The signing key (PKCS#8 inside).
    pub pair: KeyPair,
    /// PEM as cfssl writes it (`EC PRIVATE KEY` or `RSA PRIVATE KEY`), LF line endings.
    pub pem: String,
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret.
        f.debug_struct("Key")
            .field("algorithm", self.pair.algorithm())
            .finish_non_exhaustive()
    }
}

/// A resolved key request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySpec {
    /// ECDSA on P-256 (`size` 256) or P-384 (`size` 384).
    Ecdsa(u32),
    /// RSA with this many modulus bits (2048..=8192, multiple of 8).
    Rsa(u32),
}

impl KeySpec {
    /// Resolves cfssl's `key` object; `None` is cfssl's default, ECDSA P-256.
    ///
    /// # Errors
    /// [`Error::Field`] naming `key.algo` (unknown algorithm) or `key.size` (unsupported size).
    pub fn from_request(req: Option<&KeyRequest>) -> Result<KeySpec, Error> {
        let Some(req) = req else {
            return Ok(KeySpec::Ecdsa(256));
        };
        match req.algo.as_str() {
            "ecdsa" | "" => match req.size {
                0 | 256 => Ok(KeySpec::Ecdsa(256)),
                384 => Ok(KeySpec::Ecdsa(384)),
                521 => Err(Error::field(
                    "key.size",
                    "ECDSA P-521 is not supported (use 256 or 384)",
                )),
                n => Err(Error::field(
                    "key.size",
                    format!("invalid ECDSA key size {n} (want 256 or 384)"),
                )),
            },
            "rsa" => match req.size {
                0 => Ok(KeySpec::Rsa(2048)),
                n if (2048..=8192).contains(&n) && n % 8 == 0 => Ok(KeySpec::Rsa(n)),
                n => Err(Error::field(
                    "key.size",
                    format!("invalid RSA key size {n} (want 2048..8192)"),
                )),
            },
            other => Err(Error::field(
                "key.algo",
                format!("unknown algorithm {other:?} (want \"rsa\" or \"ecdsa\")"),
            )),
        }
    }
}

/// Generates a fresh key.
///
/// # Errors
/// [`Error::Crypto`] when the generator fails.
pub fn generate(spec: KeySpec) -> Result<Key, Error> {
    match spec {
        KeySpec::Ecdsa(bits) => {
            let alg = if bits == 384 {
                &rcgen::PKCS_ECDSA_P384_SHA384
            } else {
                &rcgen::PKCS_ECDSA_P256_SHA256
            };
            let pair = KeyPair::generate_for(alg).map_err(|e| Error::Crypto(e.to_string()))?;
            let sec1 = pkcs8_ec_to_sec1(pair.serialized_der()).ok_or_else(|| {
                Error::Crypto("invariant: ring's PKCS#8 EC key is well-formed".into())
            })?;
            Ok(Key {
                pair,
                pem: pem_encode("EC PRIVATE KEY", &sec1),
            })
        }
        KeySpec::Rsa(bits) => {
            let mut rng = rand_core::OsRng;
            let rsa = rsa::RsaPrivateKey::new(&mut rng, bits as usize)
                .map_err(|e| Error::Crypto(format!("RSA key generation: {e}")))?;
            from_rsa(&rsa)
        }
    }
}

fn from_rsa(rsa: &rsa::RsaPrivateKey) -> Result<Key, Error> {
    let pkcs8 = rsa
        .to_pkcs8_der()
        .map_err(|e| Error::Crypto(e.to_string()))?;
    let pem = rsa
        .to_pkcs1_pem(LineEnding::LF)
        .map_err(|e| Error::Crypto(e.to_string()))?;
    let pair =
        KeyPair::try_from(pkcs8.as_bytes()).map_err(|e| Error::Crypto(format!("RSA key: {e}")))?;
    Ok(Key {
        pair,
        pem: pem.to_string(),
    })
}

/// Loads a private key from PEM text: the first `EC PRIVATE KEY`, `RSA PRIVATE KEY` or
/// `PRIVATE KEY` block (other blocks, such as openssl's `EC PARAMETERS`, are skipped).
/// `name` is the file it came from, for messages. The returned PEM is the input block.
///
/// # Errors
/// [`Error::Key`] naming `name` when no key block is found or the key cannot be used.
pub fn load(name: &str, text: &[u8]) -> Result<Key, Error> {
    let bad = |m: String| Error::Key {
        name: name.to_string(),
        message: m,
    };
    for pem in x509_parser::pem::Pem::iter_from_buffer(text) {
        let pem = pem.map_err(|e| bad(format!("invalid PEM: {e}")))?;
        let pkcs8 = match pem.label.as_str() {
            "EC PRIVATE KEY" => sec1_to_pkcs8(&pem.contents).ok_or_else(|| {
                bad("malformed or unsupported EC PRIVATE KEY (want P-256 or P-384)".into())
            })?,
            "RSA PRIVATE KEY" => {
                let rsa = rsa::RsaPrivateKey::from_pkcs1_der(&pem.contents)
                    .map_err(|e| bad(format!("malformed RSA PRIVATE KEY: {e}")))?;
                rsa.to_pkcs8_der()
                    .map_err(|e| bad(e.to_string()))?
                    .as_bytes()
                    .to_vec()
            }
            "PRIVATE KEY" => pem.contents.clone(),
            "ENCRYPTED PRIVATE KEY" => return Err(bad("encrypted keys are not supported".into())),
            _ => continue,
        };
        let pair = match KeyPair::try_from(pkcs8.as_slice()) {
            Ok(p) => p,
            Err(e) => {
                // ring refuses some RSA encodings rcgen cannot tell apart; retry via `rsa`.
                let rsa = rsa::RsaPrivateKey::from_pkcs8_der(&pkcs8)
                    .map_err(|_| bad(format!("unsupported private key: {e}")))?;
                return from_rsa(&rsa).map_err(|e| bad(e.to_string()));
            }
        };
        let pem_text = pem_encode(&pem.label, &pem.contents);
        return Ok(Key {
            pair,
            pem: pem_text,
        });
    }
    Err(bad("no private key found (want a PEM \"EC PRIVATE KEY\", \"RSA PRIVATE KEY\" or \"PRIVATE KEY\" block)".into()))
}

/// PEM with 64-column base64 lines and LF endings, as Go's `pem.Encode` writes.
pub fn pem_encode(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

// ---- a few lines of DER: just enough to move an EC key between SEC1 and PKCS#8 ----

const TAG_INTEGER: u8 = 0x02;
const TAG_OCTET_STRING: u8 = 0x04;
const TAG_OID: u8 = 0x06;
const TAG_SEQUENCE: u8 = 0x30;
const TAG_CTX0: u8 = 0xA0;
/// id-ecPublicKey, 1.2.840.10045.2.1 (content bytes).
const OID_EC_PUBLIC_KEY: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01];
/// prime256v1 and secp384r1 (content bytes).
const OID_P256: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07];
const OID_P384: &[u8] = &[0x2B, 0x81, 0x04, 0x00, 0x22];

/// One TLV: (tag, content, rest of input).
fn read_tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (first as usize, rest)
    } else {
        let n = (first & 0x7F) as usize;
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | *b as usize);
        (len, &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

fn read_all(mut input: &[u8]) -> Option<Vec<(u8, &[u8])>> {
    let mut out = Vec::new();
    while !input.is_empty() {
        let (t, c, rest) = read_tlv(input)?;
        out.push((t, c));
        input = rest;
    }
    Some(out)
}

fn write_tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .iter()
            .copied()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

/// PKCS#8 `PrivateKeyInfo` of an EC key → SEC1 `ECPrivateKey` with the curve in `[0]`.
fn pkcs8_ec_to_sec1(pkcs8: &[u8]) -> Option<Vec<u8>> {
    let (tag, body, _) = read_tlv(pkcs8)?;
    if tag != TAG_SEQUENCE {
        return None;
    }
    let outer = read_all(body)?;
    let (_, alg) = *outer.get(1)?;
    let (_, private) = *outer.get(2)?;
    let alg = read_all(alg)?;
    let (_, curve) = *alg.get(1)?;
    let (tag, ec, _) = read_tlv(private)?;
    if tag != TAG_SEQUENCE {
        return None;
    }
    let fields = read_all(ec)?;
    let mut content = Vec::new();
    for (i, (t, c)) in fields.iter().enumerate() {
        if *t == TAG_CTX0 {
            continue; // re-added below in its place
        }
        content.extend(write_tlv(*t, c));
        if i == 1 {
            content.extend(write_tlv(TAG_CTX0, &write_tlv(TAG_OID, curve)));
        }
    }
    Some(write_tlv(TAG_SEQUENCE, &content))
}

/// SEC1 `ECPrivateKey` (curve in `[0]`) → PKCS#8 `PrivateKeyInfo`. P-256 and P-384 only.
fn sec1_to_pkcs8(sec1: &[u8]) -> Option<Vec<u8>> {
    let (tag, body, _) = read_tlv(sec1)?;
    if tag != TAG_SEQUENCE {
        return None;
    }
    let fields = read_all(body)?;
    let (_, params) = fields.iter().find(|(t, _)| *t == TAG_CTX0)?;
    let (tag, curve, _) = read_tlv(params)?;
    if tag != TAG_OID || (curve != OID_P256 && curve != OID_P384) {
        return None;
    }
    let mut alg = write_tlv(TAG_OID, OID_EC_PUBLIC_KEY);
    alg.extend(write_tlv(TAG_OID, curve));
    let mut content = write_tlv(TAG_INTEGER, &[0]);
    content.extend(write_tlv(TAG_SEQUENCE, &alg));
    content.extend(write_tlv(TAG_OCTET_STRING, sec1));
    Some(write_tlv(TAG_SEQUENCE, &content))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn key_specs() {
        assert_eq!(KeySpec::from_request(None).unwrap(), KeySpec::Ecdsa(256));
        let r = |algo: &str, size| KeyRequest {
            algo: algo.into(),
            size,
        };
        assert_eq!(
            KeySpec::from_request(Some(&r("rsa", 2048))).unwrap(),
            KeySpec::Rsa(2048)
        );
        assert_eq!(
            KeySpec::from_request(Some(&r("rsa", 0))).unwrap(),
            KeySpec::Rsa(2048)
        );
        assert_eq!(
            KeySpec::from_request(Some(&r("ecdsa", 384))).unwrap(),
            KeySpec::Ecdsa(384)
        );
        let e = KeySpec::from_request(Some(&r("dsa", 1024)))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("key.algo: unknown algorithm \"dsa\""), "{e}");
        let e = KeySpec::from_request(Some(&r("rsa", 1024)))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("key.size:"), "{e}");
    }

    #[test]
    fn ec_key_round_trips_through_sec1() {
        for bits in [256, 384] {
            let k = generate(KeySpec::Ecdsa(bits)).unwrap();
            assert!(k.pem.starts_with("-----BEGIN EC PRIVATE KEY-----\n"));
            let back = load("k.pem", k.pem.as_bytes()).unwrap();
            assert_eq!(back.pair.public_key_raw(), k.pair.public_key_raw());
            // PKCS#8 input loads too.
            let p8 = pem_encode("PRIVATE KEY", k.pair.serialized_der());
            let again = load("k.pem", p8.as_bytes()).unwrap();
            assert_eq!(again.pair.public_key_raw(), k.pair.public_key_raw());
        }
    }

    #[test]
    fn rsa_key_round_trips_through_pkcs1() {
        let k = generate(KeySpec::Rsa(2048)).unwrap();
        assert!(k.pem.starts_with("-----BEGIN RSA PRIVATE KEY-----\n"));
        let back = load("k.pem", k.pem.as_bytes()).unwrap();
        assert_eq!(back.pair.public_key_raw(), k.pair.public_key_raw());
    }

    #[test]
    fn load_errors_name_the_file() {
        let e = load("ca-key.pem", b"hello").unwrap_err().to_string();
        assert!(e.starts_with("ca-key.pem: no private key found"), "{e}");
        let e = load(
            "ca-key.pem",
            b"-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("ca-key.pem: "), "{e}");
    }
}
