//! Compaction of the MVCC store (etcd's `mvcc/kvstore_compaction.go` and `store.Compact`):
//! drop every revision a read at or above the compact revision can no longer see.
//!
//! Depends only on the sibling modules and heed; runs inside the caller's write transaction
//! (the apply batch), so it commits with the rest of the batch.

use std::collections::{BTreeSet, HashSet};
use std::ops::Bound;

use heed::RwTxn;

use super::kv_store::{corrupt, decode_kv, KvStore, MvccError, META_COMPACT_REV};
use super::revision::Revision;

impl KvStore {
    /// Compacts the store at main revision `rev` (etcd's `store.Compact` and
    /// `scheduleCompaction`, but done completely and deterministically inside `wtxn`): for each key,
    /// every revision `<= rev` is dropped from `key` and `index` except the newest one of a
    /// generation still live at `rev`; keys whose whole history is gone leave the index. Records
    /// `rev` as the compact revision.
    ///
    /// Only keys changed after the previous compaction can lose revisions, so the work is
    /// proportional to the changes in `(previous compact revision, rev]`.
    ///
    /// # Errors
    /// [`MvccError::Compacted`] if `rev` <= the current compact revision, [`MvccError::FutureRev`]
    /// if `rev` > the current revision; storage errors.
    pub fn compact(&self, wtxn: &mut RwTxn, rev: i64) -> Result<(), MvccError> {
        let started = std::time::Instant::now();
        let compact_rev = self.compact_revision(wtxn)?;
        if rev <= compact_rev {
            return Err(MvccError::Compacted);
        }
        if rev > self.current_revision(wtxn)? {
            return Err(MvccError::FutureRev);
        }
        fail::fail_point!("compactBeforeRemove", |_| Err(MvccError::Storage(
            heed::Error::Io(std::io::Error::other("failpoint compactBeforeRemove"))
        )));
        // User keys with a change in (compact_rev, rev]; a sorted set keeps the order of the
        // following writes deterministic.
        let lower = Revision::new(compact_rev.saturating_add(1).max(0), 0).to_bytes();
        let upper = Revision::new(rev.saturating_add(1), 0).to_bytes();
        let mut keys = BTreeSet::new();
        let mut removed = 0u64;
        for item in self.key.range(
            wtxn,
            &(Bound::Included(&lower[..]), Bound::Excluded(&upper[..])),
        )? {
            let (_, v) = item?;
            keys.insert(decode_kv(v)?.key);
        }
        for user_key in keys {
            let stored = self.load_index(wtxn, &user_key)?.ok_or_else(|| {
                corrupt(format!(
                    "key {:?} has revisions but no index entry",
                    String::from_utf8_lossy(&user_key)
                ))
            })?;
            let mut ki = self.index.load_full(wtxn, &stored)?;
            let before = ki.revisions_upto(rev);
            let mut keep = HashSet::new();
            ki.compact(rev, &mut keep);
            for (r, tombstone) in before {
                if keep.contains(&r) {
                    continue;
                }
                removed += 1;
                if tombstone {
                    self.key.delete(wtxn, &r.to_tombstone_bytes())?;
                } else {
                    self.key.delete(wtxn, &r.to_bytes())?;
                }
            }
            self.index.put_compacted(wtxn, &user_key, &stored, ki)?;
        }
        fail::fail_point!("compactAfterRemove", |_| Err(MvccError::Storage(
            heed::Error::Io(std::io::Error::other("failpoint compactAfterRemove"))
        )));
        self.meta.put(wtxn, META_COMPACT_REV, &rev.to_be_bytes())?;
        // etcd splits a compaction into an index pass and batched database passes; here both
        // run in the one pass above, inside the apply batch, so each of its durations is the
        // pass's (one pause, in milliseconds as etcd observes them).
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        let m = crate::observability::metrics();
        m.set_gauge("etcd_debugging_mvcc_compact_revision", rev as f64);
        for family in [
            "etcd_debugging_mvcc_index_compaction_pause_duration_milliseconds",
            "etcd_debugging_mvcc_db_compaction_pause_duration_milliseconds",
            "etcd_debugging_mvcc_db_compaction_total_duration_milliseconds",
        ] {
            m.observe(family, ms.trunc());
        }
        if let Some(c) = m.extra_counter("etcd_debugging_mvcc_db_compaction_keys_total") {
            c.inc_by(removed);
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use crate::mvcc::testutil::{
        compact, del, index_len, keys, put, range, req, revs, sample, test_env,
    };
    use crate::mvcc::{MvccError, Revision};
    use crate::pb::etcdserverpb::RangeRequest;

    #[test]
    fn compact_errors() {
        let te = sample(); // current revision 8
        assert!(matches!(compact(&te, 9), Err(MvccError::FutureRev)));
        compact(&te, 4).unwrap();
        assert_eq!(revs(&te), (8, 4));
        assert!(matches!(compact(&te, 4), Err(MvccError::Compacted)));
        assert!(matches!(compact(&te, 3), Err(MvccError::Compacted)));
        compact(&te, 8).unwrap();
        assert_eq!(revs(&te), (8, 8));
    }

    #[test]
    fn compact_keeps_latest_live_revisions_and_drops_the_rest() {
        let te = test_env();
        put(&te, "a", "1"); // 2
        put(&te, "a", "2"); // 3
        put(&te, "b", "1"); // 4
        del(&te, "b", ""); // 5
        put(&te, "c", "1"); // 6
        del(&te, "c", ""); // 7
        put(&te, "a", "3"); // 8
        compact(&te, 6).unwrap();

        let rtxn = te.env.read_txn().unwrap();
        let stored: Vec<(Revision, bool)> = te
            .store
            .key
            .iter(&rtxn)
            .unwrap()
            .map(|item| Revision::from_bytes(item.unwrap().0).unwrap())
            .collect();
        // a@3 (latest <= 6), c@6 and its tombstone 7, a@8; b's whole life is gone.
        assert_eq!(
            stored,
            [
                (Revision::new(3, 0), false),
                (Revision::new(6, 0), false),
                (Revision::new(7, 0), true),
                (Revision::new(8, 0), false)
            ]
        );
        assert!(te.store.index.get(&rtxn, b"b").unwrap().is_none());
        assert!(te.store.index.get(&rtxn, b"c").unwrap().is_some());
        drop(rtxn);
        let at6 = range(
            &te,
            RangeRequest {
                revision: 6,
                ..req("a", "z")
            },
        )
        .unwrap();
        assert_eq!(keys(&at6), ["a", "c"]);
        assert_eq!(at6.kvs[0].value, b"2");
        assert_eq!(at6.kvs[0].version, 2);

        // Compacting past c's tombstone removes c entirely; only a@8 stays.
        compact(&te, 8).unwrap();
        assert_eq!(index_len(&te), 1);
        let rtxn = te.env.read_txn().unwrap();
        assert_eq!(te.store.key.len(&rtxn).unwrap(), 1);
        let kv = te.store.get_at(&rtxn, b"a", 8).unwrap().unwrap();
        assert_eq!((kv.create_revision, kv.version), (2, 3));
    }

    #[test]
    fn current_revision_survives_compacting_everything_away() {
        let te = test_env();
        put(&te, "a", "1"); // 2
        del(&te, "a", ""); // 3
        compact(&te, 3).unwrap();
        let rtxn = te.env.read_txn().unwrap();
        assert_eq!(te.store.key.len(&rtxn).unwrap(), 0);
        drop(rtxn);
        assert_eq!(revs(&te), (3, 3));
        assert_eq!(put(&te, "a", "2"), 4);
    }
}
