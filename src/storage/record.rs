//! Checksummed records: every value of the replicated stores of the state environment is
//! stored as `payload ‖ CRC-32C(payload)` (4 bytes, big-endian) and verified on every read,
//! so a flipped byte in `data.mdb` is reported ([`ChecksumMismatch`]) instead of served:
//! the MVCC `key` database (a prost `mvccpb.KeyValue`) and `index` database (each encoded
//! `KeyIndex`), the `lease` table and `lease_keys` attachments, the auth `authUsers`,
//! `authRoles` and `auth` databases, `members` and `alarm`.
//!
//! The data dir records the format in the `meta` database under
//! [`super::schema::MVCC_RECORD_FORMAT`];
//! a store with MVCC data but no marker was written by an older build without checksums and
//! is refused at open with a message saying so (no silent migration: its values could
//! already be damaged, and the cluster's other members, or a snapshot, hold a good copy).
//!
//! Depends on: crc only.

/// The previous record format: only the `key` and `index` values were sealed. Refused.
pub const RECORD_FORMAT_CRC32C_V1: &[u8] = b"crc32c-v1";
/// The current record format: every value of every replicated store (see the module
/// documentation) is its payload followed by its CRC-32C.
pub const RECORD_FORMAT_CRC32C_V2: &[u8] = b"crc32c-v2";

/// The CRC-32C (Castagnoli) algorithm, from the `crc` crate with slice-by-16 tables (about
/// 3.5x the bytewise table's speed here; 16 KiB of tables). The one instance every checksum of
/// the crate uses: record seals, the Raft log segments, HashKV, snapshot and bbolt status
/// hashes, etcd's WAL.
pub static CASTAGNOLI: crc::Crc<u32, crc::Table<16>> =
    crc::Crc::<u32, crc::Table<16>>::new(&crc::CRC_32_ISCSI);

/// A stored record whose checksum does not match its bytes (or that is too short to hold
/// one).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what}: checksum mismatch (stored {stored:08x}, computed {computed:08x}, {len} bytes)")]
pub struct ChecksumMismatch {
    /// Which record (database and position), for the log.
    pub what: String,
    /// The CRC found in the record (0 if it was too short to hold one).
    pub stored: u32,
    /// The CRC of the bytes found.
    pub computed: u32,
    /// Length of the stored record in bytes.
    pub len: usize,
}

/// `payload ‖ CRC-32C(payload)` (big-endian).
pub fn seal(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 4);
    out.extend_from_slice(payload);
    out.extend_from_slice(&CASTAGNOLI.checksum(payload).to_be_bytes());
    out
}

/// The payload of a sealed record, after checking its CRC. `what` names the record in the
/// error (evaluated only on a mismatch).
///
/// # Errors
/// [`ChecksumMismatch`] if the record is shorter than 4 bytes or its CRC does not match.
pub fn open(stored: &[u8], what: impl FnOnce() -> String) -> Result<&[u8], ChecksumMismatch> {
    let Some(split) = stored.len().checked_sub(4) else {
        return Err(ChecksumMismatch {
            what: what(),
            stored: 0,
            computed: 0,
            len: stored.len(),
        });
    };
    let (payload, crc) = stored.split_at(split);
    let mut b = [0u8; 4];
    b.copy_from_slice(crc);
    let stored_crc = u32::from_be_bytes(b);
    let computed = CASTAGNOLI.checksum(payload);
    if stored_crc != computed {
        return Err(ChecksumMismatch {
            what: what(),
            stored: stored_crc,
            computed,
            len: stored.len(),
        });
    }
    Ok(payload)
}

/// Test helper: flips the last byte (a CRC byte) of every value of `db` through the raw
/// heed database, as a damaged data file would; asserts `db` has at least one value.
#[cfg(test)]
pub fn flip_stored_values<T, K: 'static, V: 'static>(env: &heed::Env<T>, db: heed::Database<K, V>) {
    let db = db.remap_types::<heed::types::Bytes, heed::types::Bytes>();
    let mut w = env.write_txn().expect("txn");
    let rows: Vec<(Vec<u8>, Vec<u8>)> = db
        .iter(&w)
        .expect("iter")
        .map(|r| {
            let (k, v) = r.expect("row");
            (k.to_vec(), v.to_vec())
        })
        .collect();
    assert!(!rows.is_empty(), "no value to damage");
    for (k, mut v) in rows {
        let last = v.len() - 1;
        v[last] ^= 0x01;
        db.put(&mut w, &k, &v).expect("put");
    }
    w.commit().expect("commit");
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_roundtrip_and_every_flipped_bit_is_caught() {
        let payload = b"\x0a\x03foo\x12\x03bar";
        let sealed = seal(payload);
        assert_eq!(open(&sealed, || "x".into()).unwrap(), payload);
        for i in 0..sealed.len() {
            for bit in 0..8 {
                let mut bad = sealed.clone();
                bad[i] ^= 1 << bit;
                let e = open(&bad, || format!("key rev {i}")).unwrap_err();
                assert_eq!(e.what, format!("key rev {i}"));
            }
        }
        assert!(open(b"abc", || "short".into()).is_err());
        assert_eq!(open(&seal(b""), || "e".into()).unwrap(), b"");
    }
}
