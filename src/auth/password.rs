//! bcrypt password hashing. etcd 3.4 hashed inside apply (each member with its own salt);
//! here, as in etcd 3.5, the proposing member hashes and the entry carries the hash, so
//! every member stores the same bytes and the log never holds a plaintext password.

use super::AuthStorageError;

/// etcd's default `--bcrypt-cost`.
#[allow(
    dead_code,
    reason = "etcd's default bcrypt cost, documented; unused since pub(crate)"
)]
pub const DEFAULT_BCRYPT_COST: u32 = 10;

/// Hashes `password` with bcrypt at `cost` (4..=31), in the `$2a$` format Go's
/// `golang.org/x/crypto/bcrypt` writes. CPU-heavy: call off the async workers.
///
/// # Errors
/// [`AuthStorageError::Bcrypt`] for an invalid cost.
pub fn hash(password: &[u8], cost: u32) -> Result<String, AuthStorageError> {
    bcrypt::hash_with_result(password, cost)
        .map(|h| h.format_for_version(bcrypt::Version::TwoA))
        .map_err(|e| AuthStorageError::Bcrypt(e.to_string()))
}

/// Whether `password` matches the stored bcrypt `hashed` value (any of `$2a$`, `$2b$`,
/// `$2y$`). A malformed hash never matches. CPU-heavy: call off the async workers.
pub fn verify(password: &[u8], hashed: &[u8]) -> bool {
    match std::str::from_utf8(hashed) {
        Ok(h) => bcrypt::verify(password, h).unwrap_or(false),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_verifies_and_differs_per_salt() {
        let a = hash(b"pw", 4).expect("hash");
        let b = hash(b"pw", 4).expect("hash");
        assert!(a.starts_with("$2a$04$"), "{a}");
        assert_ne!(a, b);
        assert!(verify(b"pw", a.as_bytes()));
        assert!(!verify(b"nope", a.as_bytes()));
        assert!(!verify(b"pw", b"garbage"));
        assert!(hash(b"pw", 99).is_err());
        // Passwords are bytes, as in etcd: invalid UTF-8 works.
        let c = hash(b"\xff\xfe", 4).expect("hash");
        assert!(verify(b"\xff\xfe", c.as_bytes()));
    }
}
