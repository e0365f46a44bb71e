//! Raw walk of the `key` database for exports: every stored revision in revision order, as
//! etcd's `key` bucket holds it (17-byte revision key, 18 with the tombstone `t`, and the
//! `mvccpb.KeyValue` payload without our CRC), and the import of such records (etcd's
//! `restoreIntoIndex`). Depends on: storage (record), heed, pb.

use heed::{RoTxn, RwTxn};

use super::index::StoredKeyIndex;
use super::key_index::{Generation, KeyIndex};
use super::kv_store::{KvStore, MvccError};
use super::revision::Revision;
use crate::pb::mvccpb::KeyValue;

impl KvStore {
    /// Calls `f(revision key, KeyValue bytes)` for every record of the `key` database in
    /// revision order, checking each record's CRC-32C. Streams: nothing is collected.
    ///
    /// # Errors
    /// `f`'s errors; [`MvccError::Storage`] and [`MvccError::Checksum`] as `E`.
    pub(crate) fn for_each_record<E, F>(&self, txn: &RoTxn, mut f: F) -> Result<(), E>
    where
        E: From<MvccError>,
        F: FnMut(&[u8], &[u8]) -> Result<(), E>,
    {
        for item in self.key_db().iter(txn).map_err(MvccError::from)? {
            let (k, v) = item.map_err(MvccError::from)?;
            let payload = super::record::open(v, || {
                format!("key database record {}", String::from_utf8_lossy(k))
            })
            .map_err(MvccError::from)?;
            f(k, payload)?;
        }
        Ok(())
    }
}

impl KvStore {
    /// Imports one record of etcd's `key` bucket (records must come in revision order, into a
    /// store that holds nothing newer), following etcd's `restoreIntoIndex`: the record is
    /// stored as is (sealed) and the key index updated: a key's first record opens its
    /// generation at the record's `create_revision` with its `version` (older revisions may
    /// have been compacted away), later puts extend it, a tombstone closes it; a tombstone for
    /// a key with no live generation is skipped, as etcd skips it.
    ///
    /// # Errors
    /// [`MvccError::Corrupt`] for a key that is not a revision or a value that is not a
    /// `KeyValue`; storage errors.
    pub(crate) fn import_record(
        &self,
        wtxn: &mut RwTxn,
        rev_key: &[u8],
        kv_bytes: &[u8],
    ) -> Result<(), MvccError> {
        use prost::Message;
        let (rev, tombstone) = Revision::from_bytes(rev_key)
            .map_err(|e| MvccError::Corrupt(format!("etcd key bucket: {e}")))?;
        let kv = KeyValue::decode(kv_bytes)
            .map_err(|e| MvccError::Corrupt(format!("etcd key bucket at {rev}: {e}")))?;
        let mut ki = match (self.index().get(wtxn, &kv.key)?, tombstone) {
            (Some(mut ki), true) => match ki.tombstone(rev) {
                Ok(()) => ki,
                Err(_) => return Ok(()),
            },
            (Some(mut ki), false) => {
                ki.put(rev);
                ki
            }
            (None, true) => return Ok(()),
            (None, false) => StoredKeyIndex::from(KeyIndex {
                modified: rev,
                generations: vec![Generation {
                    ver: kv.version,
                    created: Revision::new(kv.create_revision, 0),
                    revs: vec![rev],
                }],
            }),
        };
        self.key_db()
            .put(wtxn, rev_key, &super::record::seal(kv_bytes))?;
        self.index().put(wtxn, &kv.key, &mut ki)
    }

    /// Records `rev` as the finished compaction of an imported store (etcd's
    /// `finishedCompactRev`); nothing is deleted (the import holds only what survived it).
    ///
    /// # Errors
    /// Storage errors.
    pub(crate) fn import_compact_revision(
        &self,
        wtxn: &mut RwTxn,
        rev: i64,
    ) -> Result<(), MvccError> {
        self.meta_db()
            .put(wtxn, super::kv_store::META_COMPACT_REV, &rev.to_be_bytes())?;
        Ok(())
    }
}

impl KvStore {
    /// etcdutl 3.5's `snapshot restore --bump-revision N --mark-compacted`
    /// (`v3Manager.modifyLatestRevision`): the store's revision jumps from its latest `L` to
    /// `L + amount` and that revision is marked compacted, so every revision written after
    /// the restore is above `L + amount`, and a reader or watcher asking for an older
    /// revision gets `mvcc: required revision has been compacted` and starts over. The
    /// history up to `L` is compacted for real (etcd schedules that compaction at startup);
    /// keys, their create/mod revisions and versions are kept. Returns `L + amount`.
    ///
    /// # Errors
    /// [`MvccError::Corrupt`] if the sum overflows; storage errors.
    pub(crate) fn bump_revision_mark_compacted(
        &self,
        wtxn: &mut RwTxn,
        amount: u64,
    ) -> Result<i64, MvccError> {
        let latest = self.current_revision(wtxn)?;
        let bumped = i64::try_from(amount)
            .ok()
            .and_then(|a| latest.checked_add(a))
            .ok_or_else(|| MvccError::Corrupt(format!("--bump-revision {amount} overflows")))?;
        if latest > self.compact_revision(wtxn)? {
            self.compact(wtxn, latest)?;
        }
        self.import_compact_revision(wtxn, bumped)?;
        Ok(bumped)
    }

    /// (lease, key) of every key live at the current revision whose latest put carries a
    /// lease, in key order: what a restore attaches to the lease table. Holds only leased
    /// keys in memory.
    ///
    /// # Errors
    /// Storage errors, damaged or undecodable records.
    pub(crate) fn leased_keys(&self, txn: &RoTxn) -> Result<Vec<(i64, Vec<u8>)>, MvccError> {
        use prost::Message;
        let key_db = self.key_db();
        let mut out = Vec::new();
        self.index().for_each_in(txn, b"", None, |key, ki| {
            let Some(visible) = ki.current() else {
                return Ok(());
            };
            let stored = key_db
                .get(txn, &visible.modified.to_bytes())?
                .ok_or_else(|| {
                    MvccError::Corrupt(format!(
                        "revision {} is in the index but not in the key database",
                        visible.modified
                    ))
                })?;
            let payload = super::record::open(stored, || {
                format!("key database record {}", visible.modified)
            })?;
            let kv = KeyValue::decode(payload)
                .map_err(|e| MvccError::Corrupt(format!("key record: {e}")))?;
            if kv.lease != 0 {
                out.push((kv.lease, key.to_vec()));
            }
            Ok(())
        })?;
        Ok(out)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use crate::storage::{open_env, EnvKind};

    /// `--bump-revision 100 --mark-compacted` at revision 4: the current and compact
    /// revisions are 104, the live key keeps its revisions, the next write is 105.
    #[test]
    fn bump_revision_marks_the_bumped_revision_compacted() {
        let dir = tempfile::tempdir().unwrap();
        let env = open_env(&dir.path().join("db"), EnvKind::State).unwrap();
        let kv = crate::mvcc::KvStore::open(&env).unwrap();
        let mut wtxn = env.write_txn().unwrap();
        for v in [&b"1"[..], b"2", b"3"] {
            let mut w = kv.write(&mut wtxn).unwrap();
            w.put(b"k", v, 0).unwrap();
            w.end();
        }
        assert_eq!(kv.current_revision(&wtxn).unwrap(), 4);
        assert_eq!(
            kv.bump_revision_mark_compacted(&mut wtxn, 100).unwrap(),
            104
        );
        assert_eq!(kv.current_revision(&wtxn).unwrap(), 104);
        assert_eq!(kv.compact_revision(&wtxn).unwrap(), 104);
        let mut w = kv.write(&mut wtxn).unwrap();
        w.put(b"k", b"4", 0).unwrap();
        w.end();
        assert_eq!(kv.current_revision(&wtxn).unwrap(), 105);
        wtxn.commit().unwrap();
    }
}
