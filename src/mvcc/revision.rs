//! Revisions and their on-disk byte layout (etcd's `mvcc/revision.go`).
//!
//! A [`Revision`] names one change: `main` is the store revision of the write transaction that
//! made it, `sub` the position of the change inside that transaction (0, 1, 2, …). The `key`
//! database is keyed by [`Revision::to_bytes`]: 8-byte big-endian `main`, `b'_'`, 8-byte
//! big-endian `sub` (17 bytes), so LMDB's byte order is revision order. A deletion is stored
//! under the same 17 bytes followed by [`TOMBSTONE_MARK`] (18 bytes).
//!
//! Depends on nothing but `std`.

use std::fmt;

/// Length in bytes of an encoded revision without the tombstone mark.
pub const REV_BYTES_LEN: usize = 8 + 1 + 8;

/// Length in bytes of an encoded tombstone revision (`REV_BYTES_LEN` + `b't'`).
pub const MARKED_REV_BYTES_LEN: usize = REV_BYTES_LEN + 1;

/// The byte appended to a revision key in the `key` database when the entry is a tombstone.
pub const TOMBSTONE_MARK: u8 = b't';

/// One change in the store: `main` is the transaction's store revision, `sub` the change's
/// index within that transaction. Ordered by `(main, sub)`, like etcd's `revision`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Revision {
    /// Store revision of the write transaction (etcd's `main`).
    pub main: i64,
    /// Index of the change inside its transaction, from 0 (etcd's `sub`).
    pub sub: i64,
}

/// Error decoding revision bytes that are neither 17 bytes nor 18 bytes ending in `b't'`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid revision bytes (len {len})")]
pub struct InvalidRevisionBytes {
    /// Length of the rejected input.
    pub len: usize,
}

impl Revision {
    /// A revision from its main and sub parts.
    pub const fn new(main: i64, sub: i64) -> Self {
        Revision { main, sub }
    }

    /// etcd's 17-byte key for this revision: big-endian `main`, `b'_'`, big-endian `sub`.
    pub fn to_bytes(self) -> [u8; REV_BYTES_LEN] {
        let mut out = [0u8; REV_BYTES_LEN];
        out[..8].copy_from_slice(&self.main.to_be_bytes());
        out[8] = b'_';
        out[9..].copy_from_slice(&self.sub.to_be_bytes());
        out
    }

    /// The 18-byte key of a tombstone at this revision ([`Self::to_bytes`] + `b't'`).
    pub fn to_tombstone_bytes(self) -> [u8; MARKED_REV_BYTES_LEN] {
        let mut out = [0u8; MARKED_REV_BYTES_LEN];
        out[..REV_BYTES_LEN].copy_from_slice(&self.to_bytes());
        out[REV_BYTES_LEN] = TOMBSTONE_MARK;
        out
    }

    /// Decodes a 17-byte revision key or an 18-byte tombstone key; the `bool` is `true` for a
    /// tombstone.
    ///
    /// # Errors
    /// [`InvalidRevisionBytes`] for any other length or a wrong separator / mark byte.
    pub fn from_bytes(bytes: &[u8]) -> Result<(Revision, bool), InvalidRevisionBytes> {
        let invalid = InvalidRevisionBytes { len: bytes.len() };
        let tombstone = match bytes.len() {
            REV_BYTES_LEN => false,
            MARKED_REV_BYTES_LEN if bytes[REV_BYTES_LEN] == TOMBSTONE_MARK => true,
            _ => return Err(invalid),
        };
        if bytes[8] != b'_' {
            return Err(invalid);
        }
        let mut main = [0u8; 8];
        main.copy_from_slice(&bytes[..8]);
        let mut sub = [0u8; 8];
        sub.copy_from_slice(&bytes[9..REV_BYTES_LEN]);
        Ok((
            Revision {
                main: i64::from_be_bytes(main),
                sub: i64::from_be_bytes(sub),
            },
            tombstone,
        ))
    }
}

impl fmt::Display for Revision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}_{}", self.main, self.sub)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn layout_matches_etcd() {
        let b = Revision::new(1, 2).to_bytes();
        assert_eq!(b, [0, 0, 0, 0, 0, 0, 0, 1, b'_', 0, 0, 0, 0, 0, 0, 0, 2]);
        let t = Revision::new(1, 2).to_tombstone_bytes();
        assert_eq!(&t[..17], &b[..]);
        assert_eq!(t[17], b't');
    }

    #[test]
    fn roundtrip_and_tombstone_flag() {
        for rev in [
            Revision::new(0, 0),
            Revision::new(5, 3),
            Revision::new(i64::MAX, 7),
        ] {
            assert_eq!(Revision::from_bytes(&rev.to_bytes()), Ok((rev, false)));
            assert_eq!(
                Revision::from_bytes(&rev.to_tombstone_bytes()),
                Ok((rev, true))
            );
        }
    }

    #[test]
    fn rejects_malformed() {
        assert!(Revision::from_bytes(&[0; 16]).is_err());
        assert!(Revision::from_bytes(&[0; 17]).is_err()); // separator is not '_'
        let mut b = Revision::new(1, 1).to_tombstone_bytes();
        b[17] = b'x';
        assert!(Revision::from_bytes(&b).is_err());
    }

    #[test]
    fn byte_order_is_revision_order() {
        let revs = [
            Revision::new(1, 0),
            Revision::new(1, 1),
            Revision::new(2, 0),
            Revision::new(256, 0),
        ];
        for w in revs.windows(2) {
            assert!(w[0] < w[1]);
            assert!(w[0].to_bytes() < w[1].to_bytes());
        }
    }
}
