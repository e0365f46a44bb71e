//! The persisted key index (etcd's `treeIndex`, on disk): user key → [`KeyIndex`] in the `index`
//! LMDB database, ordered by user key, with the oldest revisions of a long history spilled to the
//! `index_history` database ([`StoredKeyIndex`], see [`super::key_index`]'s "Long histories").
//!
//! LMDB limits keys to 511 bytes while etcd accepts much longer keys, so the index is a
//! [`KeyMap`] (`storage::keymap`): keys longer than [`MAX_DIRECT_KEY`] bytes are kept in
//! buckets, transparently, with LMDB order equal to user-key order.
//!
//! `index_history` layout: `spill id (main BE ‖ sub BE) ‖ revision (main BE ‖ sub BE)` (32 bytes)
//! → sealed [`SpilledRevision::encode_value`]; one key's entries are contiguous and in revision
//! order.
//!
//! Depends only on heed, storage::keymap and the sibling modules.

use std::ops::Bound;

use heed::types::Bytes;
use heed::{Database, RoTxn, RwTxn};

use super::key_index::{KeyIndex, Spill, SpilledRevision, Visible, INLINE_KEEP, INLINE_MAX};
use super::kv_store::MvccError;
use super::revision::Revision;
use crate::storage::keymap::{KeyMap, KeyMapError};

#[allow(unused_imports, reason = "re-export named by kv_store tests only")]
pub use crate::storage::keymap::MAX_DIRECT_KEY;

/// Handle to the `index` and `index_history` databases. Cheap to copy.
#[derive(Debug, Clone, Copy)]
pub struct Index {
    map: KeyMap,
    history: Database<'static, Bytes, Bytes>,
}

/// One key's index as stored: the inline part (the newest revisions, all of them for a short
/// history) and, for a long history, where its older revisions were spilled. Reads at the
/// current revision and writes need only the inline part; [`Index::visible`] answers reads at
/// any revision, [`Index::load_full`] rebuilds the whole [`KeyIndex`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StoredKeyIndex {
    /// The newest revisions; the first generation may continue a spilled one.
    pub inline: KeyIndex,
    /// Where the older revisions are, if any were spilled.
    pub spill: Option<Spill>,
}

impl From<KeyIndex> for StoredKeyIndex {
    fn from(inline: KeyIndex) -> Self {
        StoredKeyIndex {
            inline,
            spill: None,
        }
    }
}

impl StoredKeyIndex {
    /// Records a put at `rev` (see [`KeyIndex::put`]); [`Index::put`] spills if needed.
    pub fn put(&mut self, rev: Revision) {
        self.inline.put(rev);
    }

    /// Records a deletion at `rev` (see [`KeyIndex::tombstone`]). The newest revision is always
    /// inline, so the live generation is too.
    ///
    /// # Errors
    /// [`super::key_index::RevisionNotFound`] when the key is not live.
    pub fn tombstone(&mut self, rev: Revision) -> Result<(), super::key_index::RevisionNotFound> {
        self.inline.tombstone(rev)
    }

    /// The change visible at the newest revision, if the key is live (never needs the spilled
    /// part: the newest revision is inline).
    pub fn current(&self) -> Option<Visible> {
        self.inline.get(i64::MAX)
    }
}

/// The `index_history` key of spilled revision `rev` of history `id`.
fn history_key(id: Revision, rev: Revision) -> [u8; 32] {
    let mut k = [0u8; 32];
    k[..8].copy_from_slice(&id.main.to_be_bytes());
    k[8..16].copy_from_slice(&id.sub.to_be_bytes());
    k[16..24].copy_from_slice(&rev.main.to_be_bytes());
    k[24..].copy_from_slice(&rev.sub.to_be_bytes());
    k
}

/// Decodes one `index_history` entry of history `id`.
fn decode_history(id: Revision, k: &[u8], v: &[u8]) -> Result<SpilledRevision, MvccError> {
    if k.len() != 32 || k[..16] != history_key(id, Revision::new(0, 0))[..16] {
        return Err(corrupt("index_history: key of another history"));
    }
    let be = |b: &[u8]| -> Result<i64, MvccError> {
        Ok(i64::from_be_bytes(
            b.try_into().map_err(|_| corrupt("index_history key"))?,
        ))
    };
    let rev = Revision::new(be(&k[16..24])?, be(&k[24..])?);
    let payload = super::record::open(v, || format!("index_history record {rev}"))?;
    SpilledRevision::decode_value(rev, payload).map_err(|e| corrupt(format!("index_history: {e}")))
}

impl From<KeyMapError> for MvccError {
    fn from(e: KeyMapError) -> MvccError {
        match e {
            KeyMapError::Storage(h) => MvccError::Storage(h),
            KeyMapError::Corrupt(m) => MvccError::Corrupt(format!("index: {m}")),
        }
    }
}

fn corrupt(msg: impl Into<String>) -> MvccError {
    MvccError::Corrupt(msg.into())
}

/// Decodes one stored index entry after checking its CRC-32C ([`super::record`]): every
/// entry (direct or inside a bucket) is `encoded KeyIndex ‖ CRC-32C`.
fn unseal_ki(stored: &[u8]) -> Result<StoredKeyIndex, MvccError> {
    let bytes = super::record::open(stored, || "index database record".to_string())?;
    let (inline, spill) = KeyIndex::decode_with(bytes).map_err(|e| corrupt(e.to_string()))?;
    Ok(StoredKeyIndex { inline, spill })
}

impl Index {
    /// Wraps the `index` and `index_history` database handles.
    pub fn new(
        db: Database<'static, Bytes, Bytes>,
        history: Database<'static, Bytes, Bytes>,
    ) -> Self {
        Index {
            map: KeyMap::new(db),
            history,
        }
    }

    /// Bytes of pages the `index` and `index_history` databases use.
    ///
    /// # Errors
    /// LMDB errors.
    pub fn size_in_use(&self, txn: &heed::RoTxn) -> heed::Result<u64> {
        Ok((self.map.database().stat(txn)?.non_free_page_size()
            + self.history.stat(txn)?.non_free_page_size()) as u64)
    }

    /// Whether the `index` database holds no entry.
    ///
    /// # Errors
    /// LMDB errors.
    pub fn is_empty(&self, txn: &heed::RoTxn) -> heed::Result<bool> {
        Ok(self.map.database().first(txn)?.is_none())
    }

    /// How many keys are live (their newest generation is not closed by a tombstone): etcd's
    /// `etcd_debugging_mvcc_keys_total` as its index restore leaves it. Walks the whole index.
    ///
    /// # Errors
    /// Storage errors or [`MvccError::Corrupt`].
    pub fn live_keys(&self, txn: &RoTxn) -> Result<u64, MvccError> {
        let mut n = 0;
        self.map.for_each_in::<MvccError>(txn, &[0], None, |_, v| {
            if unseal_ki(v)?.current().is_some() {
                n += 1;
            }
            Ok(())
        })?;
        Ok(n)
    }

    /// The raw database, for tests that damage records.
    #[cfg(test)]
    pub(crate) fn db_for_tests(&self) -> Database<'static, Bytes, Bytes> {
        self.map.database()
    }

    /// The stored index of `key`, if any.
    ///
    /// # Errors
    /// Storage errors or [`MvccError::Corrupt`].
    pub fn get(&self, txn: &RoTxn, key: &[u8]) -> Result<Option<StoredKeyIndex>, MvccError> {
        match self.map.get(txn, key)? {
            Some(v) => unseal_ki(&v).map(Some),
            None => Ok(None),
        }
    }

    /// The change of `ki` visible at main revision `at_rev` (see [`KeyIndex::get`]): from the
    /// inline part when it holds a revision `<= at_rev`, else from the spilled history (one
    /// LMDB seek).
    ///
    /// # Errors
    /// Storage errors or [`MvccError::Corrupt`].
    pub fn visible(
        &self,
        txn: &RoTxn,
        ki: &StoredKeyIndex,
        at_rev: i64,
    ) -> Result<Option<Visible>, MvccError> {
        let spill = match ki.spill {
            Some(s) if ki.inline.first_revision().is_none_or(|f| f.main > at_rev) => s,
            _ => return Ok(ki.inline.get(at_rev)),
        };
        if at_rev < 1 {
            return Ok(None);
        }
        let lower = history_key(spill.id, Revision::new(0, 0));
        let upper = history_key(spill.id, Revision::new(at_rev, i64::MAX));
        let range = (Bound::Included(&lower[..]), Bound::Included(&upper[..]));
        let Some(item) = self.history.rev_range(txn, &range)?.next() else {
            return Ok(None);
        };
        let (k, v) = item?;
        let s = decode_history(spill.id, k, v)?;
        Ok((!s.tombstone).then_some(Visible {
            modified: s.rev,
            created: s.created,
            version: s.version,
        }))
    }

    /// The whole [`KeyIndex`] of `ki`: its spilled revisions (read in order) joined with the
    /// inline part. Costs one read per spilled revision; used by compaction and hashing.
    ///
    /// # Errors
    /// Storage errors or [`MvccError::Corrupt`].
    pub fn load_full(&self, txn: &RoTxn, ki: &StoredKeyIndex) -> Result<KeyIndex, MvccError> {
        let Some(spill) = ki.spill else {
            return Ok(ki.inline.clone());
        };
        let spilled = self.spilled(txn, spill)?;
        if spilled.last().map(|s| s.rev) != Some(spill.last) {
            return Err(corrupt(format!(
                "index_history: history {} does not end at {}",
                spill.id, spill.last
            )));
        }
        KeyIndex::unspill(spilled, ki.inline.clone()).map_err(|e| corrupt(e.to_string()))
    }

    /// Every spilled revision of history `spill.id`, oldest first.
    fn spilled(&self, txn: &RoTxn, spill: Spill) -> Result<Vec<SpilledRevision>, MvccError> {
        let lower = history_key(spill.id, Revision::new(0, 0));
        let upper = history_key(spill.id, Revision::new(i64::MAX, i64::MAX));
        let range = (Bound::Included(&lower[..]), Bound::Included(&upper[..]));
        let mut out = Vec::new();
        for item in self.history.range(txn, &range)? {
            let (k, v) = item?;
            out.push(decode_history(spill.id, k, v)?);
        }
        Ok(out)
    }

    /// Stores the index of `key` (not empty). When its inline part holds more than
    /// [`INLINE_MAX`] revisions, the oldest ones are spilled to `index_history` first, leaving
    /// [`INLINE_KEEP`]; `ki` is updated to what was stored.
    ///
    /// # Errors
    /// Storage errors or [`MvccError::Corrupt`].
    pub fn put(
        &self,
        wtxn: &mut RwTxn,
        key: &[u8],
        ki: &mut StoredKeyIndex,
    ) -> Result<(), MvccError> {
        if ki.inline.revision_count() > INLINE_MAX {
            let spilled = ki.inline.spill_oldest(INLINE_KEEP);
            if let (Some(first), Some(last)) = (spilled.first(), spilled.last()) {
                let id = ki.spill.map_or(first.rev, |s| s.id);
                for s in &spilled {
                    self.history.put(
                        wtxn,
                        &history_key(id, s.rev),
                        &super::record::seal(&s.encode_value()),
                    )?;
                }
                ki.spill = Some(Spill { id, last: last.rev });
            }
        }
        self.map.put(
            wtxn,
            key,
            &super::record::seal(&ki.inline.encode_with(ki.spill.as_ref())),
        )?;
        Ok(())
    }

    /// Stores `full`, the compacted whole index of `key` that was stored as `old`: spilled
    /// revisions older than `full`'s first are removed (compaction removes a prefix of the
    /// history), the rest stays where it is; an empty `full` removes the key's entry and its
    /// whole history.
    ///
    /// # Errors
    /// Storage errors or [`MvccError::Corrupt`].
    pub fn put_compacted(
        &self,
        wtxn: &mut RwTxn,
        key: &[u8],
        old: &StoredKeyIndex,
        full: KeyIndex,
    ) -> Result<(), MvccError> {
        let first = if full.is_empty() {
            None
        } else {
            full.first_revision()
        };
        if let Some(spill) = old.spill {
            let lower = history_key(spill.id, Revision::new(0, 0));
            let end = history_key(spill.id, first.unwrap_or(Revision::new(i64::MAX, i64::MAX)));
            let upper = match first {
                Some(_) => Bound::Excluded(&end[..]),
                None => Bound::Included(&end[..]),
            };
            self.history
                .delete_range(wtxn, &(Bound::Included(&lower[..]), upper))?;
        }
        let Some(first) = first else {
            self.map.delete(wtxn, key)?;
            return Ok(());
        };
        let mut ki = match old.spill {
            Some(spill) if first <= spill.last => StoredKeyIndex {
                inline: full.newer_than(spill.last),
                spill: Some(spill),
            },
            _ => StoredKeyIndex::from(full),
        };
        self.put(wtxn, key, &mut ki)
    }

    /// Calls `f` with each user key in `[start, end)` (`end = None`: no upper bound) and its
    /// index, in key order.
    ///
    /// # Errors
    /// Storage errors, [`MvccError::Corrupt`], or whatever `f` returns.
    pub fn for_each_in(
        &self,
        txn: &RoTxn,
        start: &[u8],
        end: Option<&[u8]>,
        mut f: impl FnMut(&[u8], StoredKeyIndex) -> Result<(), MvccError>,
    ) -> Result<(), MvccError> {
        self.map
            .for_each_in(txn, start, end, |k, v| f(k, unseal_ki(v)?))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    //! A key with a long history, spilled, against a model that never spills.
    use std::collections::HashSet;

    use super::super::key_index::{KeyIndex, INLINE_MAX};
    use super::super::revision::Revision;
    use crate::mvcc::testutil::{compact, range, req, test_env, TestEnv};
    use crate::pb::mvccpb::KeyValue;

    /// What a model of key `k` saw at each main revision (index = revision), and its full index.
    struct Model {
        at: Vec<Option<KeyValue>>,
        full: KeyIndex,
    }

    /// Writes `n` transactions: mostly puts of `k`, some deletes, some two puts of `k` in one
    /// transaction (sub revisions), and puts of `a` and `z` in between; records the model.
    fn write_history(te: &TestEnv, n: usize) -> Model {
        let mut model = Model {
            at: vec![None, None],
            full: KeyIndex::default(),
        };
        let mut live: Option<KeyValue> = None;
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        for i in 0..n {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let mut wtxn = te.env.write_txn().unwrap();
            let mut tw = te.store.write(&mut wtxn).unwrap();
            let main = i64::try_from(model.at.len()).unwrap();
            let value = format!("v{i}");
            match seed % 20 {
                0..=1 if live.is_some() => {
                    assert_eq!(tw.delete_range(b"k", b"").unwrap(), 1);
                    model.full.tombstone(Revision::new(main, 0)).unwrap();
                    live = None;
                }
                3 => {
                    tw.put(if i % 2 == 0 { b"a" } else { b"z" }, b"x", 0)
                        .unwrap();
                }
                // Case 2: two puts of `k` in one transaction (sub revisions 0 and 1).
                r => {
                    let puts: i64 = if r == 2 { 2 } else { 1 };
                    for sub in 0..puts {
                        let v = if sub + 1 < puts {
                            &b"first"[..]
                        } else {
                            value.as_bytes()
                        };
                        tw.put(b"k", v, 0).unwrap();
                        model.full.put(Revision::new(main, sub));
                    }
                    let create = live.as_ref().map_or(main, |kv| kv.create_revision);
                    let version = live.as_ref().map_or(0, |kv| kv.version) + puts;
                    live = Some(KeyValue {
                        key: b"k".to_vec(),
                        create_revision: create,
                        mod_revision: main,
                        version,
                        value: value.into_bytes(),
                        lease: 0,
                    });
                }
            }
            tw.end();
            wtxn.commit().unwrap();
            model.at.push(live.clone());
        }
        model
    }

    /// `k` at every revision from `from` on, alone and within a range over all keys, is what
    /// the model saw.
    fn assert_reads(te: &TestEnv, model: &Model, from: i64) {
        for rev in from.max(1)..i64::try_from(model.at.len()).unwrap() {
            let want = model.at[usize::try_from(rev).unwrap()].clone();
            let single = range(
                te,
                crate::pb::etcdserverpb::RangeRequest {
                    revision: rev,
                    ..req("k", "")
                },
            );
            assert_eq!(single.unwrap().kvs.first().cloned(), want, "get k at {rev}");
            let all = range(
                te,
                crate::pb::etcdserverpb::RangeRequest {
                    revision: rev,
                    ..req("\0", "\0")
                },
            );
            let got = all.unwrap().kvs.into_iter().find(|kv| kv.key == b"k");
            assert_eq!(got, want, "range at {rev}");
        }
    }

    /// The stored entry of `k`: its inline part stays bounded, and the whole index rebuilt
    /// from it equals the model's.
    fn assert_stored(te: &TestEnv, model: &Model) {
        let rtxn = te.env.read_txn().unwrap();
        let index = te.store.index;
        let stored = index.get(&rtxn, b"k").unwrap().unwrap();
        assert!(stored.inline.revision_count() <= INLINE_MAX + 1);
        assert_eq!(index.load_full(&rtxn, &stored).unwrap(), model.full);
        let spilled = model.full.revision_count() - stored.inline.revision_count();
        assert_eq!(
            index.history.len(&rtxn).unwrap(),
            u64::try_from(spilled).unwrap()
        );
    }

    #[test]
    fn long_history_reads_and_compactions_match_an_unspilled_model() {
        let te = test_env();
        let mut model = write_history(&te, 700);
        assert!(model.full.revision_count() > 5 * INLINE_MAX);
        {
            let rtxn = te.env.read_txn().unwrap();
            let stored = te.store.index.get(&rtxn, b"k").unwrap().unwrap();
            assert!(stored.spill.is_some(), "a long history spills");
            // A put's index write stays small whatever the history (the O(history) rewrite
            // this replaced was 16 bytes per revision).
            let head = stored.inline.encode_with(stored.spill.as_ref()).len();
            assert!(head < 1200, "inline record of {head} bytes");
        }
        assert_stored(&te, &model);
        assert_reads(&te, &model, 1);

        let current = i64::try_from(model.at.len()).unwrap() - 1;
        for at in [current / 5, current / 2, current - 40, current] {
            compact(&te, at).unwrap();
            model.full.compact(at, &mut HashSet::new());
            assert_stored(&te, &model);
            assert_reads(&te, &model, at);
        }
    }

    /// A key deleted at the compaction revision leaves nothing behind, history included.
    #[test]
    fn compacting_a_deleted_long_history_removes_it_all() {
        let te = test_env();
        for i in 0..200 {
            crate::mvcc::testutil::put(&te, "k", &format!("{i}"));
        }
        assert_eq!(crate::mvcc::testutil::del(&te, "k", ""), 1);
        let current = crate::mvcc::testutil::revs(&te).0;
        {
            let rtxn = te.env.read_txn().unwrap();
            assert!(te.store.index.history.len(&rtxn).unwrap() > 100);
        }
        compact(&te, current).unwrap();
        let rtxn = te.env.read_txn().unwrap();
        assert!(te.store.index.get(&rtxn, b"k").unwrap().is_none());
        assert_eq!(te.store.index.history.len(&rtxn).unwrap(), 0);
    }

    /// Importing a long history record by record (etcd's restore) spills the same way and
    /// reads the same.
    #[test]
    fn imported_long_history_reads_the_same() {
        let te = test_env();
        let model = write_history(&te, 300);
        let copy = test_env();
        {
            let rtxn = te.env.read_txn().unwrap();
            let mut wtxn = copy.env.write_txn().unwrap();
            te.store
                .for_each_record::<crate::mvcc::MvccError, _>(&rtxn, |k, v| {
                    copy.store.import_record(&mut wtxn, k, v)
                })
                .unwrap();
            wtxn.commit().unwrap();
        }
        assert_stored(&copy, &model);
        assert_reads(&copy, &model, 1);
    }
}
