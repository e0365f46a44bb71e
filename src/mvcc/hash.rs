//! etcd's HashKV (`mvcc/kvstore.go` `HashByRev`): a CRC-32C (Castagnoli) over the `key` database,
//! used to check that members hold the same history.
//!
//! The hash covers the bytes `"key"`, then, in revision order, each stored revision key and value
//! with main revision `<= rev`, except that revisions at or below the compact revision count only
//! if a compaction at `rev` would keep them (unless it would keep none at all, an etcd quirk
//! reproduced here). With the same data the value equals real etcd's.
//!
//! Depends only on the sibling modules, heed and `crate::pb`.

use std::collections::HashSet;

use heed::RoTxn;

use super::kv_store::{KvStore, MvccError};
use super::record::CASTAGNOLI;
use super::revision::Revision;

/// A streaming CRC-32C (Castagnoli), as Go's `crc32.MakeTable(crc32.Castagnoli)`.
pub struct Crc32c {
    digest: crc::Digest<'static, u32, crc::Table<16>>,
}

impl Default for Crc32c {
    fn default() -> Self {
        Crc32c {
            digest: CASTAGNOLI.digest(),
        }
    }
}

impl Crc32c {
    /// Feeds `bytes` into the checksum.
    pub fn update(&mut self, bytes: &[u8]) {
        self.digest.update(bytes);
    }

    /// The checksum of everything fed so far.
    pub fn finish(&self) -> u32 {
        self.digest.clone().finalize()
    }
}

impl KvStore {
    /// etcd's HashKV at main revision `rev` (0 = current): returns the CRC-32C hash and the
    /// compact revision it was computed against ([`super::kv_store::NEVER_COMPACTED`] = -1 if
    /// none). Reads the whole `key` and `index` databases; run it on a read transaction.
    ///
    /// # Errors
    /// [`MvccError::Compacted`] if `0 < rev <= compact revision`, [`MvccError::FutureRev`] if
    /// `rev` > current revision; storage errors.
    pub fn hash_kv(&self, txn: &RoTxn, rev: i64) -> Result<(u32, i64), MvccError> {
        let compact_rev = self.compact_revision(txn)?;
        let current = self.current_revision(txn)?;
        if rev > 0 && rev <= compact_rev {
            return Err(MvccError::Compacted);
        }
        if rev > current {
            return Err(MvccError::FutureRev);
        }
        let rev = if rev == 0 { current } else { rev };

        let mut keep = HashSet::new();
        let index = self.index();
        index.for_each_in(txn, b"", None, |_, ki| {
            index.load_full(txn, &ki)?.keep(rev, &mut keep);
            Ok(())
        })?;

        let upper = Revision::new(rev.saturating_add(1), 0);
        let lower = Revision::new(compact_rev.saturating_add(1), 0);
        let mut h = Crc32c::default();
        h.update(b"key");
        for item in self.key_db().iter(txn)? {
            let (k, v) = item?;
            let (kr, _) = Revision::from_bytes(k).map_err(|e| MvccError::Corrupt(e.to_string()))?;
            if kr >= upper {
                break;
            }
            if kr < lower && !keep.is_empty() && !keep.contains(&kr) {
                continue;
            }
            // etcd hashes the stored KeyValue bytes: the payload, without our CRC.
            h.update(k);
            h.update(super::record::open(v, || {
                format!("key database record {kr}")
            })?);
        }
        Ok((h.finish(), compact_rev))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::mvcc::testutil::{test_env, TestEnv};

    fn write(te: &TestEnv, f: impl FnOnce(&mut crate::mvcc::TxnWrite<'_, '_>)) {
        let mut wtxn = te.env.write_txn().unwrap();
        let mut tw = te.store.write(&mut wtxn).unwrap();
        f(&mut tw);
        tw.end();
        wtxn.commit().unwrap();
    }

    fn compact(te: &TestEnv, rev: i64) {
        let mut wtxn = te.env.write_txn().unwrap();
        te.store.compact(&mut wtxn, rev).unwrap();
        wtxn.commit().unwrap();
    }

    fn hash(te: &TestEnv, rev: i64) -> Result<(u32, i64), MvccError> {
        te.store.hash_kv(&te.env.read_txn().unwrap(), rev)
    }

    /// Differential test: the numbers are what etcd 3.4.23 answered to `etcdctl endpoint hashkv
    /// --rev=N` after the same etcdctl commands on a fresh single-member server.
    #[test]
    fn hash_kv_matches_etcd() {
        let te = test_env();
        assert_eq!(hash(&te, 0).unwrap(), (1_084_519_789, -1));
        write(&te, |tw| {
            tw.put(b"foo", b"bar", 0).unwrap();
        }); // 2
        write(&te, |tw| {
            tw.put(b"foo", b"baz", 0).unwrap();
        }); // 3
        write(&te, |tw| {
            tw.put(b"a", b"1", 0).unwrap();
        }); // 4
        write(&te, |tw| {
            tw.delete_range(b"a", b"").unwrap();
        }); // 5
        write(&te, |tw| {
            tw.put(b"b", b"2", 0).unwrap();
        }); // 6
        assert_eq!(hash(&te, 0).unwrap(), (3_231_996_909, -1));
        assert_eq!(hash(&te, 4).unwrap(), (3_093_655_596, -1));
        assert!(matches!(hash(&te, 7), Err(MvccError::FutureRev)));
        compact(&te, 4);
        assert_eq!(hash(&te, 0).unwrap(), (383_754_405, 4));
        assert_eq!(hash(&te, 5).unwrap(), (588_448_878, 4));
        assert!(matches!(hash(&te, 4), Err(MvccError::Compacted)));
        write(&te, |tw| {
            tw.delete_range(b"b", b"").unwrap();
        }); // 7
        write(&te, |tw| {
            tw.put(b"c", b"3", 0).unwrap();
        }); // 8
        compact(&te, 7);
        assert_eq!(hash(&te, 0).unwrap(), (1_180_354_874, 7));
        assert_eq!(hash(&te, 8).unwrap(), (1_180_354_874, 7));
    }

    #[test]
    fn crc32c_known_values() {
        let crc = |b: &[u8]| {
            let mut h = Crc32c::default();
            h.update(b);
            h.finish()
        };
        assert_eq!(crc(b""), 0);
        assert_eq!(crc(b"123456789"), 0xE306_9283);
        // A fresh etcd 3.4 answers `endpoint hashkv` with this: the hash of just "key".
        assert_eq!(crc(b"key"), 1_084_519_789);
        let mut h = Crc32c::default();
        h.update(b"1234");
        h.update(b"56789");
        assert_eq!(h.finish(), 0xE306_9283);
    }
}
