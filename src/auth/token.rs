//! Auth tokens: etcd's `simple_token.go` (random tokens known to each member, with a TTL)
//! and `jwt.go` (signed tokens any member can verify with the public key).
//!
//! **Simple tokens** are `<16 random letters>.<n>`: the proposer of an Authenticate
//! generates the random prefix, the entry carries it, and every member's apply registers
//! the same token for the user in memory ([`SimpleTokens::assign`]). A token lives for
//! `--auth-token-ttl` seconds after its last use; it dies with the member process (clients
//! re-authenticate after a restart), when its user is deleted or changes password, and
//! when auth is disabled. Resolving a token gives the user and the *current* auth
//! revision, as etcd does; a change of the auth store between resolution and apply fails
//! the request with `revision of auth store is old`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rand::Rng;

/// etcd's default `--auth-token-ttl`, seconds.
#[allow(
    dead_code,
    reason = "used by apply::state::StateStore::open (tests only)"
)]
pub const DEFAULT_TOKEN_TTL_SECS: u64 = 300;
/// Length of the random part of a simple token.
pub const SIMPLE_TOKEN_PREFIX_LEN: usize = 16;

const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// The `--auth-token` provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenProviderKind {
    /// `simple`.
    Simple,
    /// `jwt,pub-key=...,priv-key=...,sign-method=...,ttl=...`.
    Jwt(JwtOpts),
}

/// Options of the JWT provider (etcd's `jwt.go`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwtOpts {
    /// PEM public key file (`pub-key`), used to verify.
    pub pub_key: std::path::PathBuf,
    /// PEM private key file (`priv-key`), used to sign; without it this member only
    /// verifies.
    pub priv_key: Option<std::path::PathBuf>,
    /// `sign-method`: RS256/384/512, PS256/384/512, ES256/384, EdDSA.
    pub sign_method: String,
    /// `ttl` (Go duration, default 5m): token lifetime.
    pub ttl: Duration,
}

/// Parses `--auth-token` (`simple`, or `jwt,pub-key=...,priv-key=...,sign-method=...`).
///
/// # Errors
/// A message naming the unknown provider or the bad / missing jwt option.
pub fn parse_auth_token_opt(s: &str) -> Result<TokenProviderKind, String> {
    let mut parts = s.split(',');
    let kind = parts.next().unwrap_or_default();
    match kind {
        "simple" => Ok(TokenProviderKind::Simple),
        "jwt" => {
            let mut pub_key = None;
            let mut priv_key = None;
            let mut sign_method = None;
            let mut ttl = Duration::from_secs(300);
            for opt in parts {
                let (k, v) = opt
                    .split_once('=')
                    .ok_or_else(|| format!("invalid jwt option {opt:?}"))?;
                match k {
                    "pub-key" => pub_key = Some(std::path::PathBuf::from(v)),
                    "priv-key" => priv_key = Some(std::path::PathBuf::from(v)),
                    "sign-method" => sign_method = Some(v.to_string()),
                    // etcd returns Go's own `time.ParseDuration` error.
                    "ttl" => {
                        ttl = crate::go_text::parse_go_duration(v).map_err(|e| e.to_string())?
                    }
                    other => return Err(format!("unknown jwt option {other:?}")),
                }
            }
            let sign_method = sign_method.ok_or("jwt: sign-method is required")?;
            algorithm(&sign_method)?;
            let pub_key = pub_key.ok_or("jwt: pub-key is required")?;
            Ok(TokenProviderKind::Jwt(JwtOpts {
                pub_key,
                priv_key,
                sign_method,
                ttl,
            }))
        }
        other => Err(format!("unknown token type: {other}")),
    }
}

fn algorithm(sign_method: &str) -> Result<jsonwebtoken::Algorithm, String> {
    use jsonwebtoken::Algorithm::*;
    Ok(match sign_method {
        "RS256" => RS256,
        "RS384" => RS384,
        "RS512" => RS512,
        "PS256" => PS256,
        "PS384" => PS384,
        "PS512" => PS512,
        "ES256" => ES256,
        "ES384" => ES384,
        "EdDSA" => EdDSA,
        other => return Err(format!("jwt: unsupported sign-method {other:?}")),
    })
}

/// The claims etcd puts in its tokens.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Claims {
    username: String,
    revision: u64,
    exp: u64,
}

/// Signs and verifies JWT auth tokens (etcd's `tokenJWT`).
pub struct JwtProvider {
    alg: jsonwebtoken::Algorithm,
    encoding: Option<jsonwebtoken::EncodingKey>,
    decoding: jsonwebtoken::DecodingKey,
    ttl: Duration,
}

impl std::fmt::Debug for JwtProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtProvider")
            .field("alg", &self.alg)
            .field("ttl", &self.ttl)
            .finish()
    }
}

impl JwtProvider {
    /// Loads the keys named by `opts`.
    ///
    /// # Errors
    /// A message naming the unreadable or unparsable key file.
    pub fn new(opts: &JwtOpts) -> Result<JwtProvider, String> {
        use jsonwebtoken::{Algorithm::*, DecodingKey, EncodingKey};
        let alg = algorithm(&opts.sign_method)?;
        let read = |p: &std::path::Path| {
            std::fs::read(p).map_err(|e| format!("jwt: {}: {e}", p.display()))
        };
        let bad = |p: &std::path::Path, e: jsonwebtoken::errors::Error| {
            format!("jwt: {}: {e}", p.display())
        };
        let pub_pem = read(&opts.pub_key)?;
        let decoding = match alg {
            RS256 | RS384 | RS512 | PS256 | PS384 | PS512 => DecodingKey::from_rsa_pem(&pub_pem),
            ES256 | ES384 => DecodingKey::from_ec_pem(&pub_pem),
            _ => DecodingKey::from_ed_pem(&pub_pem),
        }
        .map_err(|e| bad(&opts.pub_key, e))?;
        let encoding = match &opts.priv_key {
            None => None,
            Some(p) => {
                let pem = read(p)?;
                Some(
                    match alg {
                        RS256 | RS384 | RS512 | PS256 | PS384 | PS512 => {
                            EncodingKey::from_rsa_pem(&pem)
                        }
                        ES256 | ES384 => EncodingKey::from_ec_pem(&pem),
                        _ => EncodingKey::from_ed_pem(&pem),
                    }
                    .map_err(|e| bad(p, e))?,
                )
            }
        };
        Ok(JwtProvider {
            alg,
            encoding,
            decoding,
            ttl: opts.ttl,
        })
    }

    /// A signed token for `username` at auth revision `revision`, valid for the TTL.
    ///
    /// # Errors
    /// When this member has no private key, or signing fails.
    pub fn assign(&self, username: &str, revision: u64) -> Result<String, String> {
        let key = self
            .encoding
            .as_ref()
            .ok_or("jwt: no priv-key configured to sign tokens")?;
        let exp = crate::clock::wall()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| (d + self.ttl).as_secs())
            .unwrap_or(0);
        let claims = Claims {
            username: username.to_string(),
            revision,
            exp,
        };
        jsonwebtoken::encode(&jsonwebtoken::Header::new(self.alg), &claims, key)
            .map_err(|e| e.to_string())
    }

    /// The user and auth revision of a valid, unexpired token; `None` otherwise.
    ///
    /// Expiry is checked against this member's wall clock ([`crate::clock::wall`]), with no
    /// leeway, as etcd's jwt-go does (`now <= exp`): a token expires early on a member whose
    /// wall clock is ahead of the signer's, late on one behind.
    pub fn info(&self, token: &str) -> Option<(String, u64)> {
        self.info_at(token, crate::clock::wall())
    }

    fn info_at(&self, token: &str, now: std::time::SystemTime) -> Option<(String, u64)> {
        let mut validation = jsonwebtoken::Validation::new(self.alg);
        validation.leeway = 0;
        validation.validate_exp = false;
        validation.required_spec_claims = ["exp".to_string()].into_iter().collect();
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation).ok()?;
        let now = now
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        if now > data.claims.exp {
            return None;
        }
        Some((data.claims.username, data.claims.revision))
    }
}

/// A fresh random token prefix (etcd's `genTokenPrefix`): 16 ASCII letters.
pub fn gen_token_prefix() -> String {
    let mut rng = rand::rng();
    (0..SIMPLE_TOKEN_PREFIX_LEN)
        .map(|_| LETTERS[rng.random_range(0..LETTERS.len())] as char)
        .collect()
}

/// The full simple token for a prefix and the Authenticate request's ID.
pub fn simple_token(prefix: &str, request_id: u64) -> String {
    format!("{prefix}.{request_id}")
}

/// The simple tokens known to this member: token → (user, expiry).
#[derive(Debug)]
pub struct SimpleTokens {
    ttl: Duration,
    tokens: Mutex<HashMap<String, (String, Instant)>>,
}

impl SimpleTokens {
    /// An empty table whose tokens expire `ttl` after their last use.
    pub fn new(ttl: Duration) -> SimpleTokens {
        SimpleTokens {
            ttl,
            tokens: Mutex::new(HashMap::new()),
        }
    }

    /// Registers `token` for `user` (apply of an Authenticate, on every member).
    pub fn assign(&self, token: &str, user: &str) {
        if let Ok(mut t) = self.tokens.lock() {
            t.insert(
                token.to_string(),
                (user.to_string(), crate::clock::now() + self.ttl),
            );
        }
    }

    /// The user of a live token, renewing its TTL; `None` for unknown or expired tokens.
    pub fn user(&self, token: &str) -> Option<String> {
        let mut t = self.tokens.lock().ok()?;
        let now = crate::clock::now();
        match t.get_mut(token) {
            Some((user, exp)) if *exp > now => {
                *exp = now + self.ttl;
                Some(user.clone())
            }
            Some(_) => {
                t.remove(token);
                None
            }
            None => None,
        }
    }

    /// Drops every token of `user` (user deleted or password changed).
    pub fn invalidate_user(&self, user: &str) {
        if let Ok(mut t) = self.tokens.lock() {
            t.retain(|_, (u, _)| u != user);
        }
    }

    /// Drops every token (auth disabled).
    pub fn clear(&self) {
        if let Ok(mut t) = self.tokens.lock() {
            t.clear();
        }
    }

    /// Drops expired tokens.
    pub fn sweep(&self) {
        if let Ok(mut t) = self.tokens.lock() {
            let now = crate::clock::now();
            t.retain(|_, (_, exp)| *exp > now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// etcd's jwt-go checks `exp` against the verifying member's wall clock with no leeway:
    /// a clock behind the signer's accepts the token longer, one ahead by more than the TTL
    /// refuses it.
    #[test]
    fn jwt_expiry_is_read_on_the_wall_clock() {
        let key = rcgen::KeyPair::generate().expect("key");
        let dir = std::env::temp_dir().join(format!(
            "jwt-wall-{}-{}",
            std::process::id(),
            gen_token_prefix()
        ));
        std::fs::create_dir_all(&dir).expect("dir");
        let (pub_key, priv_key) = (dir.join("pub.pem"), dir.join("priv.pem"));
        std::fs::write(&pub_key, key.public_key_pem()).expect("pub");
        std::fs::write(&priv_key, key.serialize_pem()).expect("priv");
        let p = JwtProvider::new(&JwtOpts {
            pub_key,
            priv_key: Some(priv_key),
            sign_method: "ES256".into(),
            ttl: Duration::from_secs(300),
        })
        .expect("provider");
        let _ = std::fs::remove_dir_all(&dir);
        let tok = p.assign("app", 3).expect("sign");
        let now = std::time::SystemTime::now();
        let h = Duration::from_secs(3600);
        assert_eq!(p.info_at(&tok, now), Some(("app".into(), 3)));
        assert_eq!(p.info_at(&tok, now - 3 * h), Some(("app".into(), 3)));
        assert_eq!(
            p.info_at(&tok, now + Duration::from_secs(240)),
            Some(("app".into(), 3))
        );
        assert_eq!(p.info_at(&tok, now + h), None);
        assert_eq!(p.info_at("not.a.token", now), None);
    }

    #[test]
    fn tokens_expire_and_are_invalidated() {
        let t = SimpleTokens::new(Duration::from_millis(50));
        let p = gen_token_prefix();
        assert_eq!(p.len(), 16);
        assert!(p.bytes().all(|b| b.is_ascii_alphabetic()));
        let tok = simple_token(&p, 7);
        t.assign(&tok, "app");
        assert_eq!(t.user(&tok).as_deref(), Some("app"));
        t.invalidate_user("app");
        assert_eq!(t.user(&tok), None);
        t.assign(&tok, "app");
        std::thread::sleep(Duration::from_millis(80));
        assert_eq!(t.user(&tok), None);
        t.assign(&tok, "x");
        t.clear();
        assert_eq!(t.user(&tok), None);
        assert_eq!(
            parse_auth_token_opt("simple"),
            Ok(TokenProviderKind::Simple)
        );
        assert!(
            parse_auth_token_opt("jwt,pub-key=a").is_err(),
            "sign-method is required"
        );
        assert!(parse_auth_token_opt("jwt,pub-key=a,sign-method=RS256,ttl=10m").is_ok());
        assert!(parse_auth_token_opt("jwt,pub-key=a,sign-method=XX1").is_err());
        assert!(parse_auth_token_opt("bogus").is_err());
    }
}
