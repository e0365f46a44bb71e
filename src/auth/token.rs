//! Auth tokens (etcd's `simple_token.go`; `jwt.go` is not implemented yet).
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
pub const DEFAULT_TOKEN_TTL_SECS: u64 = 300;
/// Length of the random part of a simple token.
pub const SIMPLE_TOKEN_PREFIX_LEN: usize = 16;

const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// The `--auth-token` provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenProviderKind {
    /// `simple`.
    Simple,
}

/// Parses `--auth-token` (`simple`, or `jwt,pub-key=...,priv-key=...,sign-method=...`).
///
/// # Errors
/// A message for unknown providers, and for `jwt`, which this build does not support yet.
pub fn parse_auth_token_opt(s: &str) -> Result<TokenProviderKind, String> {
    let kind = s.split(',').next().unwrap_or_default();
    match kind {
        "simple" => Ok(TokenProviderKind::Simple),
        "jwt" => Err("jwt tokens are not supported yet (use --auth-token simple)".to_string()),
        other => Err(format!("unknown token type: {other}")),
    }
}

/// A fresh random token prefix (etcd's `genTokenPrefix`): 16 ASCII letters.
pub fn gen_token_prefix() -> String {
    let mut rng = rand::rng();
    (0..SIMPLE_TOKEN_PREFIX_LEN).map(|_| LETTERS[rng.random_range(0..LETTERS.len())] as char).collect()
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
        SimpleTokens { ttl, tokens: Mutex::new(HashMap::new()) }
    }

    /// Registers `token` for `user` (apply of an Authenticate, on every member).
    pub fn assign(&self, token: &str, user: &str) {
        if let Ok(mut t) = self.tokens.lock() {
            t.insert(token.to_string(), (user.to_string(), Instant::now() + self.ttl));
        }
    }

    /// The user of a live token, renewing its TTL; `None` for unknown or expired tokens.
    pub fn user(&self, token: &str) -> Option<String> {
        let mut t = self.tokens.lock().ok()?;
        let now = Instant::now();
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
            let now = Instant::now();
            t.retain(|_, (_, exp)| *exp > now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(parse_auth_token_opt("simple"), Ok(TokenProviderKind::Simple));
        assert!(parse_auth_token_opt("jwt,pub-key=a").is_err());
        assert!(parse_auth_token_opt("bogus").is_err());
    }
}
