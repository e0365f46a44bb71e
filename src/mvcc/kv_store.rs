//! The multi-version key-value store on LMDB (etcd's `mvcc/kvstore*.go`).
//!
//! Job: keep every revision of every key in the `key` database, the per-key history in the
//! `index` database, and the compaction progress under `mvcc/*` keys of the `meta` database; answer
//! ranges at any uncompacted revision; apply writes through a [`TxnWrite`] view; compact.
//! Depends only on heed, `crate::pb` and the sibling modules (no tonic, no openraft).
//!
//! The caller owns the LMDB transactions: reads take a `&RoTxn` (a `&RwTxn` derefs to one, so
//! reads inside a write batch see that batch), writes take the batch's `&mut RwTxn`. Nothing here
//! commits, so a batch of log entries is applied atomically by the caller.
//!
//! Schema (`storage/schema.rs` owns the names once it lands; the constants here must match):
//! - `key`: [`Revision::to_bytes`] (17 bytes, 18 with the tombstone `t`) → prost `mvccpb.KeyValue`.
//!   A tombstone's value is a `KeyValue` holding only the key, as in etcd.
//! - `index`: user key → [`KeyIndex::encode`].
//! - `meta`: `mvcc/compact_rev` → 8-byte big-endian main revision of the last compaction.
//!
//! The current revision is not stored: it is the newest main revision in `key` (or the compact
//! revision if compaction emptied that far, or 1 for an empty store), exactly how etcd restores it.

use std::collections::{BTreeSet, HashSet};
use std::ops::Bound;

use heed::types::Bytes;
use heed::{CommitToken, Database, DatabaseOpener, Env, OnCommit, RoTxn, RwTxn};
use prost::Message;

use super::key_index::{KeyIndex, Visible};
use super::revision::Revision;
use crate::pb::etcdserverpb::range_request::{SortOrder, SortTarget};
use crate::pb::etcdserverpb::{RangeRequest, RangeResponse};
use crate::pb::mvccpb::{event::EventType, Event, KeyValue};

/// Name of the LMDB database holding every revision (revision bytes → `mvccpb.KeyValue`).
pub const KEY_DB: &str = "key";
/// Name of the LMDB database holding the key index (user key → encoded [`KeyIndex`]).
pub const INDEX_DB: &str = "index";
/// Name of the shared LMDB metadata database; this module only touches keys starting `mvcc/`.
pub const META_DB: &str = "meta";
/// `meta` key of the last compaction's main revision (8-byte big-endian i64).
pub const META_COMPACT_REV: &[u8] = b"mvcc/compact_rev";

/// The revision an empty store reports (etcd's initial `currentRev`); the first write is 2.
pub const INITIAL_REVISION: i64 = 1;
/// The compact revision of a store that was never compacted (etcd's initial `compactMainRev`).
pub const NEVER_COMPACTED: i64 = -1;

/// Errors of the MVCC layer. `Compacted` and `FutureRev` are deterministic request errors; the
/// other two mean the disk or its content is broken.
#[derive(Debug, thiserror::Error)]
pub enum MvccError {
    /// The requested revision is older than the compact revision (etcd's `ErrCompacted`).
    #[error("mvcc: required revision has been compacted")]
    Compacted,
    /// The requested revision is newer than the current revision (etcd's `ErrFutureRev`).
    #[error("mvcc: required revision is a future revision")]
    FutureRev,
    /// LMDB failed.
    #[error("mvcc: storage error: {0}")]
    Storage(#[from] heed::Error),
    /// Stored bytes do not decode, or the `key` and `index` databases disagree.
    #[error("mvcc: corrupt store: {0}")]
    Corrupt(String),
}

type BytesDb<'t> = Database<'t, Bytes, Bytes>;

/// Handles to the MVCC databases. Cheap to copy; holds no transaction. Create it once with
/// [`KvStore::open`] (or [`KvStore::create_databases`] inside the caller's own
/// `Env::create_databases_and_commit`) and keep it for the life of the environment.
#[derive(Debug, Clone, Copy)]
pub struct KvStore {
    key: BytesDb<'static>,
    index: BytesDb<'static>,
    meta: BytesDb<'static>,
}

/// The MVCC databases created inside a not-yet-committed transaction. heed 0.23 only hands out
/// `'static` database handles once the creating transaction commits, so this turns into a
/// [`KvStore`] through [`OnCommit`] when returned from `Env::create_databases_and_commit`.
#[derive(Debug)]
pub struct KvStoreDatabases<'e> {
    key: BytesDb<'e>,
    index: BytesDb<'e>,
    meta: BytesDb<'e>,
}

impl OnCommit for KvStoreDatabases<'_> {
    type Committed = KvStore;

    fn on_commit(self, token: &CommitToken) -> KvStore {
        let (key, index, meta) = (self.key, self.index, self.meta).on_commit(token);
        KvStore { key, index, meta }
    }
}

/// A range of user keys, as etcd reads `key` / `range_end`.
enum KeyRange<'a> {
    /// `range_end` empty: exactly `key`.
    Single(&'a [u8]),
    /// `[start, end)`, `end = None` meaning no upper bound (`range_end == "\0"`).
    Span(&'a [u8], Option<&'a [u8]>),
    /// `range_end <= key`: nothing.
    Empty,
}

impl<'a> KeyRange<'a> {
    /// etcd's interpretation: empty `range_end` = the single key; `"\0"` = every key `>= key`;
    /// otherwise `[key, range_end)`.
    fn new(key: &'a [u8], range_end: &'a [u8]) -> Self {
        match range_end {
            [] => KeyRange::Single(key),
            [0] => KeyRange::Span(key, None),
            end if end <= key => KeyRange::Empty,
            end => KeyRange::Span(key, Some(end)),
        }
    }
}

impl KvStore {
    /// Creates (or opens) the `key`, `index` and `meta` databases in a transaction it opens and
    /// commits itself. Call once after opening the environment, before any other transaction on
    /// it is alive (LMDB allows one writer). The env needs `max_dbs` room for three databases.
    ///
    /// # Errors
    /// [`MvccError::Storage`] if LMDB fails.
    pub fn open<T>(env: &Env<T>) -> Result<KvStore, MvccError> {
        let wtxn = env.write_txn()?;
        let store = env
            .create_databases_and_commit(wtxn, |opener, wtxn| {
                Self::create_databases(opener, wtxn).map(heed::CommitOrAbort::<_, ()>::Commit)
            })?
            .commit()
            .expect("invariant: create_databases never aborts");
        Ok(store)
    }

    /// Creates (or opens) the MVCC databases within a caller's
    /// `Env::create_databases_and_commit`, so other layers' databases can be created in the
    /// same transaction; the returned value becomes a [`KvStore`] on commit.
    ///
    /// # Errors
    /// [`MvccError::Storage`] if LMDB fails.
    pub fn create_databases<'e, T>(
        opener: &DatabaseOpener<'e, T>,
        wtxn: &mut RwTxn<'e>,
    ) -> Result<KvStoreDatabases<'e>, MvccError> {
        Ok(KvStoreDatabases {
            key: opener.create_database(wtxn, Some(KEY_DB))?,
            index: opener.create_database(wtxn, Some(INDEX_DB))?,
            meta: opener.create_database(wtxn, Some(META_DB))?,
        })
    }

    /// The store's current main revision: the revision of the last write transaction that
    /// changed something, [`INITIAL_REVISION`] (1) for an empty store, as in etcd.
    ///
    /// # Errors
    /// [`MvccError::Storage`] or [`MvccError::Corrupt`].
    pub fn current_revision(&self, txn: &RoTxn) -> Result<i64, MvccError> {
        let last = match self.key.last(txn)? {
            Some((k, _)) => decode_rev(k)?.0.main,
            None => 0,
        };
        Ok(last.max(self.compact_revision(txn)?).max(INITIAL_REVISION))
    }

    /// The main revision of the last compaction, [`NEVER_COMPACTED`] (-1) if none (etcd's
    /// `compactMainRev`). Reads at revisions below it fail with [`MvccError::Compacted`].
    ///
    /// # Errors
    /// [`MvccError::Storage`] or [`MvccError::Corrupt`].
    pub fn compact_revision(&self, txn: &RoTxn) -> Result<i64, MvccError> {
        match self.meta.get(txn, META_COMPACT_REV)? {
            None => Ok(NEVER_COMPACTED),
            Some(b) => {
                let b: [u8; 8] = b.try_into().map_err(|_| corrupt("meta mvcc/compact_rev is not 8 bytes"))?;
                Ok(i64::from_be_bytes(b))
            }
        }
    }

    /// Serves a Range request at the store's current revision with etcd's full semantics
    /// (`etcdserver/apply.go` `Range` over `mvcc/kvstore_txn.go` `rangeKeys`):
    /// - `key`/`range_end`: empty end = one key, `"\0"` = all keys `>= key`, else `[key, end)`;
    /// - `revision` 0 = current; `count` is the number of keys in range at that revision before
    ///   the min/max filters; `limit` truncates after filtering and sorting and sets `more`;
    /// - `sort_target` other than KEY with order NONE sorts ascending; sorting is stable, so ties
    ///   stay in key order;
    /// - `keys_only` clears values; `count_only` returns no kvs.
    ///
    /// `header` is left `None` for the caller.
    ///
    /// # Errors
    /// [`MvccError::FutureRev`] if `revision` > current revision, [`MvccError::Compacted`] if it
    /// is below the compact revision; storage errors.
    pub fn range(&self, txn: &RoTxn, req: &RangeRequest) -> Result<RangeResponse, MvccError> {
        let current = self.current_revision(txn)?;
        self.range_at(txn, req, current)
    }

    /// Starts a write view inside the caller's write transaction: all changes made through it
    /// share main revision `current_revision + 1`, with sub revisions 0, 1, 2, … (etcd's
    /// `store.Write`). Dropping it without changes leaves the store untouched.
    ///
    /// # Errors
    /// Storage errors while reading the current revision.
    pub fn write<'a, 'e>(&'a self, wtxn: &'a mut RwTxn<'e>) -> Result<TxnWrite<'a, 'e>, MvccError> {
        let begin_rev = self.current_revision(wtxn)?;
        Ok(TxnWrite { store: self, wtxn, begin_rev, events: Vec::new() })
    }

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
        let compact_rev = self.compact_revision(wtxn)?;
        if rev <= compact_rev {
            return Err(MvccError::Compacted);
        }
        if rev > self.current_revision(wtxn)? {
            return Err(MvccError::FutureRev);
        }
        // User keys with a change in (compact_rev, rev]; a sorted set keeps the order of the
        // following writes deterministic.
        let lower = Revision::new(compact_rev.saturating_add(1).max(0), 0).to_bytes();
        let upper = Revision::new(rev.saturating_add(1), 0).to_bytes();
        let mut keys = BTreeSet::new();
        for item in self.key.range(wtxn, &(Bound::Included(&lower[..]), Bound::Excluded(&upper[..])))? {
            let (_, v) = item?;
            keys.insert(decode_kv(v)?.key);
        }
        for user_key in keys {
            let mut ki = self.load_index(wtxn, &user_key)?.ok_or_else(|| {
                corrupt(format!("key {:?} has revisions but no index entry", String::from_utf8_lossy(&user_key)))
            })?;
            let before = ki.revisions_upto(rev);
            let mut keep = HashSet::new();
            ki.compact(rev, &mut keep);
            for (r, tombstone) in before {
                if keep.contains(&r) {
                    continue;
                }
                if tombstone {
                    self.key.delete(wtxn, &r.to_tombstone_bytes())?;
                } else {
                    self.key.delete(wtxn, &r.to_bytes())?;
                }
            }
            if ki.is_empty() {
                self.index.delete(wtxn, &user_key)?;
            } else {
                self.index.put(wtxn, &user_key, &ki.encode())?;
            }
        }
        self.meta.put(wtxn, META_COMPACT_REV, &rev.to_be_bytes())?;
        Ok(())
    }

    /// The key's value visible at main revision `rev` (no revision checks), `None` if it did not
    /// exist then.
    ///
    /// # Errors
    /// Storage errors or [`MvccError::Corrupt`].
    pub fn get_at(&self, txn: &RoTxn, key: &[u8], rev: i64) -> Result<Option<KeyValue>, MvccError> {
        if key.is_empty() {
            return Ok(None);
        }
        match self.load_index(txn, key)?.and_then(|ki| ki.get(rev)) {
            Some(v) => Ok(Some(self.load_kv(txn, v.modified)?)),
            None => Ok(None),
        }
    }

    fn range_at(&self, txn: &RoTxn, req: &RangeRequest, current: i64) -> Result<RangeResponse, MvccError> {
        if req.revision > current {
            return Err(MvccError::FutureRev);
        }
        let rev = if req.revision <= 0 { current } else { req.revision };
        if rev < self.compact_revision(txn)? {
            return Err(MvccError::Compacted);
        }
        let visible = self.visible(txn, KeyRange::new(&req.key, &req.range_end), rev)?;
        let count = i64::try_from(visible.len()).expect("invariant: key count fits i64");
        if req.count_only {
            return Ok(RangeResponse { header: None, kvs: Vec::new(), more: false, count });
        }

        // apply.go: filters and sorting need every kv; otherwise read one more than `limit` to
        // know whether there are more.
        let sort_order = req.sort_order();
        let needs_all = sort_order != SortOrder::None
            || req.min_mod_revision != 0
            || req.max_mod_revision != 0
            || req.min_create_revision != 0
            || req.max_create_revision != 0;
        let fetch = match usize::try_from(req.limit) {
            Ok(limit) if limit > 0 && !needs_all => limit.saturating_add(1).min(visible.len()),
            _ => visible.len(),
        };
        let mut kvs = visible[..fetch]
            .iter()
            .map(|(_, v)| self.load_kv(txn, v.modified))
            .collect::<Result<Vec<_>, _>>()?;

        kvs.retain(|kv| {
            (req.max_mod_revision == 0 || kv.mod_revision <= req.max_mod_revision)
                && (req.min_mod_revision == 0 || kv.mod_revision >= req.min_mod_revision)
                && (req.max_create_revision == 0 || kv.create_revision <= req.max_create_revision)
                && (req.min_create_revision == 0 || kv.create_revision >= req.min_create_revision)
        });

        let target = req.sort_target();
        let order = if target != SortTarget::Key && sort_order == SortOrder::None {
            SortOrder::Ascend
        } else {
            sort_order
        };
        if order != SortOrder::None {
            let cmp = |a: &KeyValue, b: &KeyValue| match target {
                SortTarget::Key => a.key.cmp(&b.key),
                SortTarget::Version => a.version.cmp(&b.version),
                SortTarget::Create => a.create_revision.cmp(&b.create_revision),
                SortTarget::Mod => a.mod_revision.cmp(&b.mod_revision),
                SortTarget::Value => a.value.cmp(&b.value),
            };
            if order == SortOrder::Descend {
                kvs.sort_by(|a, b| cmp(b, a));
            } else {
                kvs.sort_by(cmp);
            }
        }

        let mut more = false;
        if let Ok(limit) = usize::try_from(req.limit) {
            if limit > 0 && kvs.len() > limit {
                kvs.truncate(limit);
                more = true;
            }
        }
        if req.keys_only {
            for kv in &mut kvs {
                kv.value.clear();
            }
        }
        Ok(RangeResponse { header: None, kvs, more, count })
    }

    /// Keys in `range` live at main revision `rev`, in key order, with what is visible of each.
    fn visible(&self, txn: &RoTxn, range: KeyRange<'_>, rev: i64) -> Result<Vec<(Vec<u8>, Visible)>, MvccError> {
        let mut out = Vec::new();
        match range {
            KeyRange::Empty => {}
            KeyRange::Single(key) => {
                if !key.is_empty() {
                    if let Some(v) = self.load_index(txn, key)?.and_then(|ki| ki.get(rev)) {
                        out.push((key.to_vec(), v));
                    }
                }
            }
            KeyRange::Span(start, end) => {
                let end = end.map_or(Bound::Unbounded, Bound::Excluded);
                for item in self.index.range(txn, &(Bound::Included(start), end))? {
                    let (k, v) = item?;
                    let ki = KeyIndex::decode(v).map_err(|e| corrupt(e.to_string()))?;
                    if let Some(vis) = ki.get(rev) {
                        out.push((k.to_vec(), vis));
                    }
                }
            }
        }
        Ok(out)
    }

    fn load_index(&self, txn: &RoTxn, key: &[u8]) -> Result<Option<KeyIndex>, MvccError> {
        match self.index.get(txn, key)? {
            None => Ok(None),
            Some(b) => KeyIndex::decode(b).map(Some).map_err(|e| corrupt(e.to_string())),
        }
    }

    fn load_kv(&self, txn: &RoTxn, rev: Revision) -> Result<KeyValue, MvccError> {
        let bytes = self
            .key
            .get(txn, &rev.to_bytes())?
            .ok_or_else(|| corrupt(format!("revision {rev} is in the index but not in the key database")))?;
        decode_kv(bytes)
    }
}

/// A write view over one LMDB write transaction (etcd's `storeTxnWrite`).
///
/// Every change gets main revision [`Self::rev`] + 1 and the next sub revision. Reads through the
/// view see its own earlier changes (they read at `rev + 1` once something changed). The changes
/// are reported as `mvccpb::Event`s in order, each with `prev_kv` filled when the key existed,
/// so the caller can detach leases and notify watchers; the caller decides what to expose.
pub struct TxnWrite<'a, 'e> {
    store: &'a KvStore,
    wtxn: &'a mut RwTxn<'e>,
    begin_rev: i64,
    events: Vec<Event>,
}

impl<'e> TxnWrite<'_, 'e> {
    /// The store revision before this view's changes (etcd's `TxnWrite.Rev`).
    pub fn rev(&self) -> i64 {
        self.begin_rev
    }

    /// The revision reads through this view use: [`Self::rev`], plus one once something changed.
    pub fn read_rev(&self) -> i64 {
        if self.events.is_empty() {
            self.begin_rev
        } else {
            self.begin_rev + 1
        }
    }

    /// The compact revision, as [`KvStore::compact_revision`].
    ///
    /// # Errors
    /// Storage errors.
    pub fn compact_revision(&self) -> Result<i64, MvccError> {
        self.store.compact_revision(self.wtxn)
    }

    /// The underlying transaction, read-only, e.g. for other layers' lookups in the same batch.
    pub fn ro_txn(&self) -> &RoTxn<'e, heed::WithoutTls> {
        self.wtxn
    }

    /// A Range at [`Self::read_rev`], with the semantics of [`KvStore::range`].
    ///
    /// # Errors
    /// As [`KvStore::range`].
    pub fn range(&self, req: &RangeRequest) -> Result<RangeResponse, MvccError> {
        self.store.range_at(self.wtxn, req, self.read_rev())
    }

    /// The latest value of `key` as seen by this view, `None` if it does not exist.
    ///
    /// # Errors
    /// Storage errors.
    pub fn get(&self, key: &[u8]) -> Result<Option<KeyValue>, MvccError> {
        self.store.get_at(self.wtxn, key, self.read_rev())
    }

    /// Puts `value` under `key` with `lease` (0 = none) at revision `rev() + 1` (etcd's
    /// `storeTxnWrite.put`): keeps the key's creation revision and bumps its version if it is
    /// live, else starts a new generation. Returns the main revision of the change. `key` must not
    /// be empty (the wire layer rejects empty keys).
    ///
    /// # Errors
    /// Storage errors or [`MvccError::Corrupt`].
    pub fn put(&mut self, key: &[u8], value: &[u8], lease: i64) -> Result<i64, MvccError> {
        let main = self.begin_rev + 1;
        let idx_rev = Revision::new(main, self.sub()?);
        let mut ki = self.store.load_index(self.wtxn, key)?.unwrap_or_default();
        let prev = ki.get(main);
        let prev_kv = match prev {
            Some(v) => Some(self.store.load_kv(self.wtxn, v.modified)?),
            None => None,
        };
        let kv = KeyValue {
            key: key.to_vec(),
            create_revision: prev.map_or(main, |v| v.created.main),
            mod_revision: main,
            version: prev.map_or(0, |v| v.version) + 1,
            value: value.to_vec(),
            lease,
        };
        self.store.key.put(self.wtxn, &idx_rev.to_bytes(), &kv.encode_to_vec())?;
        ki.put(idx_rev);
        self.store.index.put(self.wtxn, key, &ki.encode())?;
        self.events.push(Event { r#type: EventType::Put as i32, kv: Some(kv), prev_kv });
        Ok(main)
    }

    /// Deletes every key live in `key`/`range_end` (same interpretation as Range) at revision
    /// `rev() + 1`, one tombstone per key in key order (etcd's `storeTxnWrite.deleteRange`).
    /// Returns how many keys were deleted. A DELETE event's `kv` holds the key and the deletion's
    /// main revision as `mod_revision`, like etcd's watch events.
    ///
    /// # Errors
    /// Storage errors or [`MvccError::Corrupt`].
    pub fn delete_range(&mut self, key: &[u8], range_end: &[u8]) -> Result<i64, MvccError> {
        let visible = self.store.visible(self.wtxn, KeyRange::new(key, range_end), self.read_rev())?;
        let main = self.begin_rev + 1;
        for (user_key, vis) in &visible {
            let prev_kv = self.store.load_kv(self.wtxn, vis.modified)?;
            let idx_rev = Revision::new(main, self.sub()?);
            let tombstone = KeyValue { key: user_key.clone(), ..KeyValue::default() };
            self.store.key.put(self.wtxn, &idx_rev.to_tombstone_bytes(), &tombstone.encode_to_vec())?;
            let mut ki = self
                .store
                .load_index(self.wtxn, user_key)?
                .ok_or_else(|| corrupt("live key without index entry"))?;
            ki.tombstone(idx_rev).map_err(|e| corrupt(e.to_string()))?;
            self.store.index.put(self.wtxn, user_key, &ki.encode())?;
            let kv = KeyValue { key: user_key.clone(), mod_revision: main, ..KeyValue::default() };
            self.events.push(Event { r#type: EventType::Delete as i32, kv: Some(kv), prev_kv: Some(prev_kv) });
        }
        Ok(i64::try_from(visible.len()).expect("invariant: key count fits i64"))
    }

    /// The changes so far, in order.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// Ends the view and returns its changes in order (empty if nothing changed, in which case the
    /// store revision did not move).
    pub fn end(self) -> Vec<Event> {
        self.events
    }

    fn sub(&self) -> Result<i64, MvccError> {
        i64::try_from(self.events.len()).map_err(|_| corrupt("too many changes in one transaction"))
    }
}

fn corrupt(msg: impl Into<String>) -> MvccError {
    MvccError::Corrupt(msg.into())
}

fn decode_rev(bytes: &[u8]) -> Result<(Revision, bool), MvccError> {
    Revision::from_bytes(bytes).map_err(|e| corrupt(e.to_string()))
}

fn decode_kv(bytes: &[u8]) -> Result<KeyValue, MvccError> {
    KeyValue::decode(bytes).map_err(|e| corrupt(format!("undecodable KeyValue: {e}")))
}
