//! The multi-version key-value store on LMDB (etcd's `mvcc/kvstore*.go`).
//!
//! Job: keep every revision of every key in the `key` database, the per-key history in the
//! `index` database, and the compaction progress under `mvcc/*` keys of the `meta` database; answer
//! ranges at any uncompacted revision; apply writes through a [`TxnWrite`] view. Compaction
//! is an `impl KvStore` block in [`super::compaction`].
//! Depends only on heed, `crate::pb` and the sibling modules (no tonic, no openraft).
//!
//! The caller owns the LMDB transactions: reads take a `&RoTxn` (a `&RwTxn` derefs to one, so
//! reads inside a write batch see that batch), writes take the batch's `&mut RwTxn`. Nothing here
//! commits, so a batch of log entries is applied atomically by the caller.
//!
//! Schema (the names and meta keys are `storage::schema`'s `KEY`, `INDEX`, `META`, `MVCC_*`):
//! - `key`: [`Revision::to_bytes`] (17 bytes, 18 with the tombstone `t`) → prost `mvccpb.KeyValue`.
//!   A tombstone's value is a `KeyValue` holding only the key, as in etcd.
//! - `index`: user key → [`super::key_index::KeyIndex::encode_with`]; keys longer than LMDB
//!   allows live in prefix buckets (see [`super::index`]).
//! - `index_history`: the oldest revisions of keys with a long history (see [`super::index`]).
//! - `meta`: `mvcc/compact_rev` → 8-byte big-endian main revision of the last compaction.
//!
//! The current revision is not stored: it is the newest main revision in `key` (or the compact
//! revision if compaction emptied that far, or 1 for an empty store), exactly how etcd restores it.

use heed::types::Bytes;
use heed::{CommitToken, Database, Env, OnCommit, RoTxn, RwTxn};
use prost::Message;

use super::index::{Index, StoredKeyIndex};
use super::key_index::Visible;
use super::revision::Revision;
use crate::keys::KeyRange;
use crate::pb::etcdserverpb::range_request::{SortOrder, SortTarget};
use crate::pb::etcdserverpb::{RangeRequest, RangeResponse};
use crate::pb::mvccpb::{event::EventType, Event, KeyValue};
use crate::storage::schema::{self, Creator};

/// `meta` key of the last compaction's main revision (8-byte big-endian i64).
pub(super) const META_COMPACT_REV: &[u8] = schema::MVCC_COMPACT_REV.bytes();

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
    /// A stored record's CRC-32C does not match its bytes (a damaged data file): the data
    /// must not be served; the server raises etcd's CORRUPT alarm.
    #[error("mvcc: corrupt record: {0}")]
    Checksum(#[from] super::record::ChecksumMismatch),
    /// The data dir's MVCC records are in a format this build does not read (written by an
    /// older build without checksums).
    #[error("mvcc: {0}")]
    RecordFormat(String),
}

type BytesDb<'t> = Database<'t, Bytes, Bytes>;

/// Handles to the MVCC databases. Cheap to copy; holds no transaction. Create it once with
/// [`KvStore::open`] (or [`KvStore::create_databases`] inside the caller's own
/// `storage::schema::create_tables`) and keep it for the life of the environment.
#[derive(Debug, Clone, Copy)]
pub struct KvStore {
    pub(super) key: BytesDb<'static>,
    pub(super) index: Index,
    pub(super) meta: BytesDb<'static>,
}

/// The MVCC databases created inside a not-yet-committed transaction. heed 0.23 only hands out
/// `'static` database handles once the creating transaction commits, so this turns into a
/// [`KvStore`] through [`OnCommit`] when returned from `storage::schema::create_tables`.
#[derive(Debug)]
pub struct KvStoreDatabases<'e> {
    key: BytesDb<'e>,
    index: BytesDb<'e>,
    index_history: BytesDb<'e>,
    meta: BytesDb<'e>,
}

impl OnCommit for KvStoreDatabases<'_> {
    type Committed = KvStore;

    fn on_commit(self, token: &CommitToken) -> KvStore {
        let (key, index, index_history, meta) =
            (self.key, self.index, self.index_history, self.meta).on_commit(token);
        KvStore {
            key,
            index: Index::new(index, index_history),
            meta,
        }
    }
}

impl KvStore {
    /// Creates (or opens) the `key`, `index`, `index_history` and `meta` databases in a
    /// transaction it opens and commits itself. Call once after opening the environment, before
    /// any other transaction on it is alive (LMDB allows one writer). The env needs `max_dbs` room for four databases.
    ///
    /// # Errors
    /// [`MvccError::Storage`] if LMDB fails.
    pub fn open<T>(env: &Env<T>) -> Result<KvStore, MvccError> {
        let store = schema::create_tables(env, Self::create_databases)?;
        let mut wtxn = env.write_txn()?;
        store.check_record_format(&mut wtxn)?;
        wtxn.commit()?;
        Ok(store)
    }

    /// Checks (or, on an empty store, records) the record format marker
    /// ([`schema::MVCC_RECORD_FORMAT`]).
    ///
    /// # Errors
    /// [`MvccError::RecordFormat`] if the store holds data in another format (an older
    /// build's records without checksums); storage errors.
    pub fn check_record_format(&self, wtxn: &mut RwTxn) -> Result<(), MvccError> {
        use super::record::{RECORD_FORMAT_CRC32C_V1, RECORD_FORMAT_CRC32C_V2};
        const META_RECORD_FORMAT: &[u8] = schema::MVCC_RECORD_FORMAT.bytes();
        const REJOIN: &str = "remove the data dir and rejoin the cluster \
             (`member add`, `--initial-cluster-state existing`), or restore a snapshot \
             taken from a member running this build";
        match self.meta.get(wtxn, META_RECORD_FORMAT)? {
            Some(f) if f == RECORD_FORMAT_CRC32C_V2 => Ok(()),
            Some(f) if f == RECORD_FORMAT_CRC32C_V1 => Err(MvccError::RecordFormat(format!(
                "the data dir was written by an older etcd-oxide (record format crc32c-v1: \
                 checksums on MVCC records only, not on leases, auth, members and alarms); \
                 this build refuses it: {REJOIN}"
            ))),
            Some(f) => Err(MvccError::RecordFormat(format!(
                "unknown MVCC record format {:?} (written by a newer build?)",
                String::from_utf8_lossy(f)
            ))),
            None if self.key.first(wtxn)?.is_none() && self.index.is_empty(wtxn)? => {
                self.meta
                    .put(wtxn, META_RECORD_FORMAT, RECORD_FORMAT_CRC32C_V2)?;
                Ok(())
            }
            None => Err(MvccError::RecordFormat(format!(
                "the data dir was written by an older etcd-oxide without record checksums; \
                 this build refuses it: {REJOIN}"
            ))),
        }
    }

    /// Creates (or opens) the MVCC databases within a caller's
    /// `storage::schema::create_tables`, so other layers' databases can be created in the
    /// same transaction; the returned value becomes a [`KvStore`] on commit.
    ///
    /// # Errors
    /// LMDB errors.
    pub fn create_databases<'e, T>(
        c: &mut Creator<'_, 'e, T>,
    ) -> heed::Result<KvStoreDatabases<'e>> {
        Ok(KvStoreDatabases {
            key: c.create(&schema::KEY)?,
            index: c.create(&schema::INDEX)?,
            index_history: c.create(&schema::INDEX_HISTORY)?,
            meta: c.create(&schema::META)?,
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
                let b: [u8; 8] = b
                    .try_into()
                    .map_err(|_| corrupt("meta mvcc/compact_rev is not 8 bytes"))?;
                Ok(i64::from_be_bytes(b))
            }
        }
    }

    /// Sets the store's gauges from `txn` as etcd's index restore does:
    /// `etcd_debugging_mvcc_keys_total` (live keys; walks the index once) and
    /// `etcd_debugging_mvcc_compact_revision`. Apply keeps them current afterwards.
    ///
    /// # Errors
    /// Storage errors or [`MvccError::Corrupt`].
    pub fn report_restored(&self, txn: &RoTxn) -> Result<(), MvccError> {
        let m = crate::observability::metrics();
        m.set_gauge(
            "etcd_debugging_mvcc_keys_total",
            self.index.live_keys(txn)? as f64,
        );
        m.set_gauge(
            "etcd_debugging_mvcc_compact_revision",
            self.compact_revision(txn)?.max(0) as f64,
        );
        Ok(())
    }

    /// Serves a Range request at the store's current revision with etcd's full semantics
    /// (`etcdserver/apply.go` `Range` over `mvcc/kvstore_txn.go` `rangeKeys`):
    /// - `key`/`range_end`: empty end = one key, `"\0"` = all keys `>= key`, else `[key, end)`;
    /// - `revision` 0 = current; `count` is the number of keys in range at that revision before
    ///   the min/max filters; `limit` truncates after filtering and sorting and sets `more`;
    /// - `sort_target` other than KEY with order NONE sorts ascending, but (as in etcd) without
    ///   lifting `limit`, so only the first `limit + 1` keys are sorted; sorting is stable, so
    ///   ties stay in key order;
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
        Ok(TxnWrite {
            store: self,
            wtxn,
            begin_rev,
            events: Vec::new(),
        })
    }

    /// The events of main revisions `from_main..=to_main`, in revision order, as a watcher
    /// replaying history sees them (etcd's `kvsToEvents`): PUT events carry the stored
    /// KeyValue, DELETE events a KeyValue holding only the key and `mod_revision`; no
    /// `prev_kv`. Stops before a main revision that would take the count past `limit`
    /// (never splitting one revision, so one txn's events stay together) and returns the
    /// last main revision fully covered.
    ///
    /// # Errors
    /// [`MvccError::Storage`] or [`MvccError::Corrupt`].
    pub fn events_between(
        &self,
        txn: &RoTxn,
        from_main: i64,
        to_main: i64,
        limit: usize,
    ) -> Result<(Vec<Event>, i64), MvccError> {
        use crate::pb::mvccpb::event::EventType;
        let mut events = Vec::new();
        if to_main < from_main {
            return Ok((events, to_main));
        }
        let start = Revision::new(from_main.max(0), 0).to_bytes();
        let bounds = (
            std::ops::Bound::Included(&start[..]),
            std::ops::Bound::Unbounded,
        );
        let mut last_main = from_main - 1;
        for item in self.key.range(txn, &bounds)? {
            let (k, v) = item?;
            let (rev, tombstone) = decode_rev(k)?;
            if rev.main > to_main {
                break;
            }
            if rev.main != last_main && events.len() >= limit.max(1) {
                return Ok((events, last_main));
            }
            let kv = decode_kv(v)?;
            let event = if tombstone {
                Event {
                    r#type: EventType::Delete as i32,
                    kv: Some(KeyValue {
                        key: kv.key,
                        mod_revision: rev.main,
                        ..KeyValue::default()
                    }),
                    prev_kv: None,
                }
            } else {
                Event {
                    r#type: EventType::Put as i32,
                    kv: Some(kv),
                    prev_kv: None,
                }
            };
            events.push(event);
            last_main = rev.main;
        }
        Ok((events, to_main))
    }

    /// Bytes of pages the MVCC databases use (leaf, branch and overflow pages).
    ///
    /// # Errors
    /// [`MvccError::Storage`].
    pub fn size_in_use(&self, txn: &RoTxn) -> Result<u64, MvccError> {
        let mut total = self.index.size_in_use(txn)?;
        for db in [&self.key, &self.meta] {
            total += db.stat(txn)?.non_free_page_size() as u64;
        }
        Ok(total)
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
        match self.visible_of(txn, key, rev)? {
            Some(v) => Ok(Some(self.load_kv(txn, v.modified)?)),
            None => Ok(None),
        }
    }

    pub(super) fn key_db(&self) -> BytesDb<'static> {
        self.key
    }

    pub(super) fn index(&self) -> Index {
        self.index
    }

    pub(super) fn meta_db(&self) -> BytesDb<'static> {
        self.meta
    }

    fn range_at(
        &self,
        txn: &RoTxn,
        req: &RangeRequest,
        current: i64,
    ) -> Result<RangeResponse, MvccError> {
        if req.revision > current {
            return Err(MvccError::FutureRev);
        }
        let rev = if req.revision <= 0 {
            current
        } else {
            req.revision
        };
        if rev < self.compact_revision(txn)? {
            return Err(MvccError::Compacted);
        }
        let visible = self.visible(txn, KeyRange::new(&req.key[..], &req.range_end[..]), rev)?;
        let count = i64::try_from(visible.len()).expect("invariant: key count fits i64");
        if req.count_only {
            return Ok(RangeResponse {
                header: None,
                kvs: Vec::new(),
                more: false,
                count,
            });
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
        // keys_only: drop each value as soon as it is decoded (unless the sort needs it), so
        // a keys-only range over large values never holds them all.
        let drop_values = req.keys_only && req.sort_target() != SortTarget::Value;
        let mut kvs = visible[..fetch]
            .iter()
            .map(|(_, v)| {
                let mut kv = self.load_kv(txn, v.modified)?;
                if drop_values {
                    kv.value = Vec::new();
                }
                Ok(kv)
            })
            .collect::<Result<Vec<_>, MvccError>>()?;

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
        Ok(RangeResponse {
            header: None,
            kvs,
            more,
            count,
        })
    }

    /// Keys in `range` live at main revision `rev`, in key order, with what is visible of each.
    fn visible(
        &self,
        txn: &RoTxn,
        range: KeyRange<&[u8]>,
        rev: i64,
    ) -> Result<Vec<(Vec<u8>, Visible)>, MvccError> {
        let mut out = Vec::new();
        let (start, end) = match range {
            _ if range.is_empty() => return Ok(out),
            KeyRange::Single(key) => {
                if !key.is_empty() {
                    if let Some(v) = self.visible_of(txn, key, rev)? {
                        out.push((key.to_vec(), v));
                    }
                }
                return Ok(out);
            }
            KeyRange::From(start) => (start, None),
            KeyRange::Range(start, end) => (start, Some(end)),
        };
        let index = self.index;
        index.for_each_in(txn, start, end, |k, ki| {
            if let Some(vis) = index.visible(txn, &ki, rev)? {
                out.push((k.to_vec(), vis));
            }
            Ok(())
        })?;
        Ok(out)
    }

    pub(super) fn load_index(
        &self,
        txn: &RoTxn,
        key: &[u8],
    ) -> Result<Option<StoredKeyIndex>, MvccError> {
        self.index.get(txn, key)
    }

    /// What of `key` is visible at main revision `rev`, `None` if it was not live then.
    fn visible_of(&self, txn: &RoTxn, key: &[u8], rev: i64) -> Result<Option<Visible>, MvccError> {
        match self.index.get(txn, key)? {
            Some(ki) => self.index.visible(txn, &ki, rev),
            None => Ok(None),
        }
    }

    fn load_kv(&self, txn: &RoTxn, rev: Revision) -> Result<KeyValue, MvccError> {
        let bytes = self.key.get(txn, &rev.to_bytes())?.ok_or_else(|| {
            corrupt(format!(
                "revision {rev} is in the index but not in the key database"
            ))
        })?;
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

    /// Writes one `key` database record. Revisions only grow, so a record normally sorts after
    /// every stored one: LMDB's `MDB_APPEND` then leaves full leaf pages behind, where a plain
    /// put at the end of the tree splits the last page in half each time (half-empty pages:
    /// about twice the file). A record that does not sort last is refused by LMDB with
    /// `MDB_KEYEXIST` before anything is written, and is then written the plain way.
    fn put_record(&mut self, rev: &[u8], stored: &[u8]) -> Result<(), MvccError> {
        match self
            .store
            .key
            .put_with_flags(self.wtxn, heed::PutFlags::APPEND, rev, stored)
        {
            Err(heed::Error::Mdb(heed::MdbError::KeyExist)) => {
                self.store.key.put(self.wtxn, rev, stored)?;
                Ok(())
            }
            r => Ok(r?),
        }
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
        let prev = self.store.index.visible(self.wtxn, &ki, main)?;
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
        self.put_record(&idx_rev.to_bytes(), &seal_kv(&kv))?;
        ki.put(idx_rev);
        self.store.index.put(self.wtxn, key, &mut ki)?;
        self.events.push(Event {
            r#type: EventType::Put as i32,
            kv: Some(kv),
            prev_kv,
        });
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
        let visible =
            self.store
                .visible(self.wtxn, KeyRange::new(key, range_end), self.read_rev())?;
        let main = self.begin_rev + 1;
        for (user_key, vis) in &visible {
            let prev_kv = self.store.load_kv(self.wtxn, vis.modified)?;
            let idx_rev = Revision::new(main, self.sub()?);
            let tombstone = KeyValue {
                key: user_key.clone(),
                ..KeyValue::default()
            };
            self.put_record(&idx_rev.to_tombstone_bytes(), &seal_kv(&tombstone))?;
            let mut ki = self
                .store
                .load_index(self.wtxn, user_key)?
                .ok_or_else(|| corrupt("live key without index entry"))?;
            ki.tombstone(idx_rev).map_err(|e| corrupt(e.to_string()))?;
            self.store.index.put(self.wtxn, user_key, &mut ki)?;
            let kv = KeyValue {
                key: user_key.clone(),
                mod_revision: main,
                ..KeyValue::default()
            };
            self.events.push(Event {
                r#type: EventType::Delete as i32,
                kv: Some(kv),
                prev_kv: Some(prev_kv),
            });
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

pub(super) fn corrupt(msg: impl Into<String>) -> MvccError {
    MvccError::Corrupt(msg.into())
}

fn decode_rev(bytes: &[u8]) -> Result<(Revision, bool), MvccError> {
    Revision::from_bytes(bytes).map_err(|e| corrupt(e.to_string()))
}

/// Decodes a `key` database value: checks its CRC-32C ([`super::record`]), then decodes.
pub(super) fn decode_kv(bytes: &[u8]) -> Result<KeyValue, MvccError> {
    let payload = super::record::open(bytes, || "key database record".to_string())?;
    KeyValue::decode(payload).map_err(|e| corrupt(format!("undecodable KeyValue: {e}")))
}

/// Encodes a `key` database value: the prost `KeyValue` sealed with its CRC-32C.
fn seal_kv(kv: &KeyValue) -> Vec<u8> {
    super::record::seal(&kv.encode_to_vec())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::mvcc::testutil::{
        compact, del, index_len, keys, open_env, put, range, req, revs, sample, test_env,
    };

    #[test]
    fn empty_store_is_at_revision_1_never_compacted() {
        let te = test_env();
        assert_eq!(revs(&te), (1, -1));
        let r = range(&te, req("foo", "")).unwrap();
        assert_eq!((r.kvs.len(), r.count, r.more), (0, 0, false));
        assert!(range(&te, req("\0", "\0")).unwrap().kvs.is_empty());
    }

    #[test]
    fn puts_allocate_revisions_versions_and_keep_create_revision() {
        let te = test_env();
        assert_eq!(put(&te, "foo", "a"), 2);
        assert_eq!(put(&te, "foo", "b"), 3);
        assert_eq!(put(&te, "bar", "c"), 4);
        let r = range(&te, req("foo", "")).unwrap();
        assert_eq!(
            r.kvs,
            vec![KeyValue {
                key: b"foo".to_vec(),
                create_revision: 2,
                mod_revision: 3,
                version: 2,
                value: b"b".to_vec(),
                lease: 0
            }]
        );
        assert_eq!(revs(&te).0, 4);
        // Delete then re-create: a new generation with a new create revision and version 1.
        assert_eq!(del(&te, "foo", ""), 1);
        assert_eq!(put(&te, "foo", "d"), 6);
        let kv = &range(&te, req("foo", "")).unwrap().kvs[0];
        assert_eq!((kv.create_revision, kv.mod_revision, kv.version), (6, 6, 1));
        // Deleting nothing does not move the revision.
        assert_eq!(del(&te, "nope", ""), 0);
        assert_eq!(revs(&te).0, 6);
    }

    #[test]
    fn write_view_reads_its_own_writes_at_one_main_revision() {
        let te = test_env();
        put(&te, "a", "0");
        let mut wtxn = te.env.write_txn().unwrap();
        let mut tw = te.store.write(&mut wtxn).unwrap();
        assert_eq!((tw.rev(), tw.read_rev()), (2, 2));
        tw.put(b"a", b"1", 0).unwrap();
        tw.put(b"b", b"1", 7).unwrap();
        assert_eq!(tw.read_rev(), 3);
        let r = tw.range(&req("a", "c")).unwrap();
        assert_eq!(keys(&r), ["a", "b"]);
        assert_eq!(r.kvs[0].value, b"1");
        tw.put(b"a", b"2", 0).unwrap();
        assert_eq!(tw.get(b"a").unwrap().unwrap().version, 3);
        assert_eq!(tw.delete_range(b"b", b"").unwrap(), 1);
        assert!(tw.get(b"b").unwrap().is_none());
        // A revision the view has not reached yet is a future revision.
        assert!(matches!(
            tw.range(&RangeRequest {
                revision: 4,
                ..req("a", "")
            }),
            Err(MvccError::FutureRev)
        ));
        let events = tw.end();
        wtxn.commit().unwrap();

        let kinds: Vec<_> = events
            .iter()
            .map(|e| (e.r#type, e.kv.as_ref().unwrap().mod_revision))
            .collect();
        let (put, delete) = (EventType::Put as i32, EventType::Delete as i32);
        assert_eq!(kinds, [(put, 3), (put, 3), (put, 3), (delete, 3)]);
        assert_eq!(events[0].prev_kv.as_ref().unwrap().value, b"0");
        assert!(events[1].prev_kv.is_none());
        assert_eq!(events[2].prev_kv.as_ref().unwrap().value, b"1");
        assert_eq!(events[3].prev_kv.as_ref().unwrap().lease, 7);
        assert_eq!(events[3].kv.as_ref().unwrap().key, b"b");

        // Sub revisions 0..3 of main revision 3 in the key database, the last one a tombstone.
        let rtxn = te.env.read_txn().unwrap();
        let stored: Vec<(Revision, bool)> = te
            .store
            .key
            .iter(&rtxn)
            .unwrap()
            .map(|item| Revision::from_bytes(item.unwrap().0).unwrap())
            .collect();
        assert_eq!(
            stored,
            [
                (Revision::new(2, 0), false),
                (Revision::new(3, 0), false),
                (Revision::new(3, 1), false),
                (Revision::new(3, 2), false),
                (Revision::new(3, 3), true)
            ]
        );
        assert_eq!(te.store.current_revision(&rtxn).unwrap(), 3);
    }

    #[test]
    fn dropped_write_transaction_changes_nothing() {
        let te = test_env();
        put(&te, "a", "0");
        {
            let mut wtxn = te.env.write_txn().unwrap();
            let mut tw = te.store.write(&mut wtxn).unwrap();
            tw.put(b"a", b"1", 0).unwrap();
            // aborted on drop
        }
        assert_eq!(range(&te, req("a", "")).unwrap().kvs[0].value, b"0");
        assert_eq!(revs(&te).0, 2);
    }

    #[test]
    fn range_key_forms() {
        let te = sample();
        assert_eq!(keys(&range(&te, req("b", "")).unwrap()), ["b"]);
        assert_eq!(keys(&range(&te, req("b", "d")).unwrap()), ["b", "c"]);
        assert_eq!(
            keys(&range(&te, req("d", "\0")).unwrap()),
            ["d", "e", "f\0"]
        );
        assert_eq!(keys(&range(&te, req("\0", "\0")).unwrap()).len(), 6);
        // prefix "f" as etcdctl sends it: [f, g)
        assert_eq!(keys(&range(&te, req("f", "g")).unwrap()), ["f\0"]);
        assert!(range(&te, req("d", "b")).unwrap().kvs.is_empty());
        assert!(range(&te, req("zz", "")).unwrap().kvs.is_empty());
    }

    #[test]
    fn range_limit_more_count() {
        let te = sample();
        let r = range(
            &te,
            RangeRequest {
                limit: 2,
                ..req("a", "f")
            },
        )
        .unwrap();
        assert_eq!(
            (keys(&r), r.more, r.count),
            (vec!["a".to_string(), "b".into()], true, 5)
        );
        let r = range(
            &te,
            RangeRequest {
                limit: 5,
                ..req("a", "f")
            },
        )
        .unwrap();
        assert_eq!((r.kvs.len(), r.more, r.count), (5, false, 5));
        let r = range(
            &te,
            RangeRequest {
                limit: 9,
                ..req("a", "f")
            },
        )
        .unwrap();
        assert_eq!((r.kvs.len(), r.more, r.count), (5, false, 5));
        // limit applies after sorting: the two greatest values
        let r = range(
            &te,
            RangeRequest {
                limit: 2,
                sort_order: SortOrder::Descend as i32,
                sort_target: SortTarget::Value as i32,
                ..req("a", "f")
            },
        )
        .unwrap();
        assert_eq!(
            (keys(&r), r.more, r.count),
            (vec!["a".to_string(), "b".into()], true, 5)
        );
        // etcd quirk kept: a sort target with order NONE sorts ascending but does not lift the
        // limit, so only the first limit+1 keys (a, b, c) are sorted by mod revision.
        let r = range(
            &te,
            RangeRequest {
                limit: 2,
                sort_target: SortTarget::Mod as i32,
                ..req("a", "f")
            },
        )
        .unwrap();
        assert_eq!((keys(&r).concat(), r.more), ("cb".to_string(), true));
        let r = range(
            &te,
            RangeRequest {
                limit: 2,
                sort_target: SortTarget::Mod as i32,
                sort_order: SortOrder::Ascend as i32,
                ..req("a", "f")
            },
        )
        .unwrap();
        assert_eq!((keys(&r).concat(), r.more), ("ce".to_string(), true));
    }

    #[test]
    fn range_count_only_and_keys_only() {
        let te = sample();
        let r = range(
            &te,
            RangeRequest {
                count_only: true,
                ..req("a", "f")
            },
        )
        .unwrap();
        assert_eq!((r.kvs.len(), r.count, r.more), (0, 5, false));
        let r = range(
            &te,
            RangeRequest {
                keys_only: true,
                ..req("a", "c")
            },
        )
        .unwrap();
        assert_eq!(keys(&r), ["a", "b"]);
        assert!(r
            .kvs
            .iter()
            .all(|kv| kv.value.is_empty() && kv.mod_revision > 0));
    }

    #[test]
    fn range_sort_by_each_target_both_orders() {
        let te = sample();
        let sorted = |target: SortTarget, order: SortOrder| {
            let r = range(
                &te,
                RangeRequest {
                    sort_target: target as i32,
                    sort_order: order as i32,
                    ..req("a", "f")
                },
            )
            .unwrap();
            keys(&r).concat()
        };
        use SortOrder::{Ascend, Descend, None as Unsorted};
        assert_eq!(sorted(SortTarget::Key, Unsorted), "abcde");
        assert_eq!(sorted(SortTarget::Key, Ascend), "abcde");
        assert_eq!(sorted(SortTarget::Key, Descend), "edcba");
        // create revisions: c2 a3 e4 b5 d6
        assert_eq!(sorted(SortTarget::Create, Ascend), "caebd");
        assert_eq!(sorted(SortTarget::Create, Descend), "dbeac");
        // a target other than KEY with order NONE sorts ascending
        assert_eq!(sorted(SortTarget::Create, Unsorted), "caebd");
        // mod revisions: c2 e4 b5 d6 a7
        assert_eq!(sorted(SortTarget::Mod, Ascend), "cebda");
        assert_eq!(sorted(SortTarget::Mod, Descend), "adbec");
        // values: e1 d2 c3 b4 a6
        assert_eq!(sorted(SortTarget::Value, Ascend), "edcba");
        assert_eq!(sorted(SortTarget::Value, Descend), "abcde");
        // versions: a2, others 1; ties keep key order
        assert_eq!(sorted(SortTarget::Version, Ascend), "bcdea");
        assert_eq!(sorted(SortTarget::Version, Descend), "abcde");
    }

    #[test]
    fn range_min_max_filters() {
        let te = sample();
        let f = |r: RangeRequest| keys(&range(&te, r).unwrap()).concat();
        assert_eq!(
            f(RangeRequest {
                min_mod_revision: 5,
                ..req("a", "f")
            }),
            "abd"
        );
        assert_eq!(
            f(RangeRequest {
                max_mod_revision: 4,
                ..req("a", "f")
            }),
            "ce"
        );
        assert_eq!(
            f(RangeRequest {
                min_create_revision: 4,
                max_create_revision: 5,
                ..req("a", "f")
            }),
            "be"
        );
        assert_eq!(
            f(RangeRequest {
                max_create_revision: 3,
                ..req("a", "f")
            }),
            "ac"
        );
        // count is taken before the filters; limit after them
        let r = range(
            &te,
            RangeRequest {
                min_mod_revision: 5,
                limit: 1,
                ..req("a", "f")
            },
        )
        .unwrap();
        assert_eq!(
            (keys(&r).concat(), r.more, r.count),
            ("a".to_string(), true, 5)
        );
    }

    #[test]
    fn range_at_historical_and_bad_revisions() {
        let te = sample();
        del(&te, "c", ""); // 9
        let at = |rev| {
            keys(
                &range(
                    &te,
                    RangeRequest {
                        revision: rev,
                        ..req("a", "f")
                    },
                )
                .unwrap(),
            )
            .concat()
        };
        assert_eq!(at(2), "c");
        assert_eq!(at(4), "ace");
        assert_eq!(at(8), "abcde");
        assert_eq!(at(9), "abde");
        assert_eq!(at(0), "abde");
        let old = range(
            &te,
            RangeRequest {
                revision: 3,
                ..req("a", "")
            },
        )
        .unwrap();
        assert_eq!(old.kvs[0].value, b"5");
        assert!(matches!(
            range(
                &te,
                RangeRequest {
                    revision: 10,
                    ..req("a", "")
                }
            ),
            Err(MvccError::FutureRev)
        ));
        compact(&te, 5).unwrap();
        assert!(matches!(
            range(
                &te,
                RangeRequest {
                    revision: 4,
                    ..req("a", "")
                }
            ),
            Err(MvccError::Compacted)
        ));
        // reading exactly at the compact revision still works
        assert_eq!(at(5), "abce");
    }

    #[test]
    fn state_persists_across_reopen_without_rebuild() {
        let dir = tempfile::tempdir().unwrap();
        {
            let env = open_env(dir.path());
            let store = KvStore::open(&env).unwrap();
            let mut wtxn = env.write_txn().unwrap();
            let mut tw = store.write(&mut wtxn).unwrap();
            tw.put(b"k", b"v", 0).unwrap();
            tw.end();
            store.compact(&mut wtxn, 1).unwrap();
            wtxn.commit().unwrap();
            env.prepare_for_closing().wait();
        }
        let env = open_env(dir.path());
        let store = KvStore::open(&env).unwrap();
        let rtxn = env.read_txn().unwrap();
        assert_eq!(store.current_revision(&rtxn).unwrap(), 2);
        assert_eq!(store.compact_revision(&rtxn).unwrap(), 1);
        assert_eq!(
            store.range(&rtxn, &req("k", "")).unwrap().kvs[0].value,
            b"v"
        );
    }

    #[test]
    fn long_keys_beyond_lmdb_key_limit_keep_key_order() {
        use crate::mvcc::index::MAX_DIRECT_KEY;
        let te = test_env();
        let p = "p".repeat(MAX_DIRECT_KEY);
        let long_b = format!("{p}b{}", "x".repeat(600));
        let mut all = vec![
            format!("{p}a"),
            "a".to_string(),
            long_b.clone(),
            p.clone(),
            format!("{p}\0"),
            format!("{}q", "p".repeat(MAX_DIRECT_KEY - 1)),
            format!("{p}b"),
            "q".to_string(),
        ];
        for k in &all {
            put(&te, k, k);
        }
        all.sort();
        assert_eq!(keys(&range(&te, req("\0", "\0")).unwrap()), all);
        let r = |k: &str, e: &str| keys(&range(&te, req(k, e)).unwrap());
        assert_eq!(r(&format!("{p}a"), &format!("{p}b")), [format!("{p}a")]);
        assert_eq!(
            r(&format!("{p}b"), &format!("{p}c")),
            [format!("{p}b"), long_b.clone()]
        );
        assert_eq!(r(&format!("{p}b"), &long_b), [format!("{p}b")]);
        assert_eq!(
            r("a", &format!("{p}a")),
            ["a".to_string(), p.clone(), format!("{p}\0")]
        );
        assert_eq!(r(&format!("{p}\0"), "q"), all[2..7].to_vec());
        assert_eq!(r(&long_b, ""), std::slice::from_ref(&long_b));
        put(&te, &long_b, "again");
        let kv = &range(&te, req(&long_b, "")).unwrap().kvs[0];
        assert_eq!((kv.version, kv.value.as_slice()), (2, &b"again"[..]));
        assert_eq!(del(&te, &p, &format!("{p}b")), 3);
        assert_eq!(
            r(&p, "q"),
            [
                format!("{p}b"),
                long_b.clone(),
                format!("{}q", "p".repeat(MAX_DIRECT_KEY - 1))
            ]
        );
        let current = revs(&te).0;
        compact(&te, current).unwrap();
        assert_eq!(index_len(&te), 5);
        assert_eq!(keys(&range(&te, req("\0", "\0")).unwrap()).len(), 5);
    }

    /// A flipped byte in a stored value (key or index record) is reported as a checksum
    /// mismatch, never served.
    #[test]
    fn flipped_value_byte_is_a_checksum_error() {
        let te = test_env();
        let mut wtxn = te.env.write_txn().unwrap();
        let mut tw = te.store.write(&mut wtxn).unwrap();
        tw.put(b"k", b"value", 0).unwrap();
        tw.end();
        let rev = Revision::new(2, 0).to_bytes();
        let mut stored = te.store.key.get(&wtxn, &rev).unwrap().unwrap().to_vec();
        stored[3] ^= 0x01;
        te.store.key.put(&mut wtxn, &rev, &stored).unwrap();
        wtxn.commit().unwrap();
        let rtxn = te.env.read_txn().unwrap();
        let err = te.store.range(&rtxn, &req("k", "")).unwrap_err();
        assert!(matches!(err, MvccError::Checksum(_)), "{err:?}");
        drop(rtxn);

        let mut wtxn = te.env.write_txn().unwrap();
        let mut stored = te
            .store
            .index
            .db_for_tests()
            .get(&wtxn, b"k")
            .unwrap()
            .unwrap()
            .to_vec();
        stored[0] ^= 0x80;
        te.store
            .index
            .db_for_tests()
            .put(&mut wtxn, b"k", &stored)
            .unwrap();
        wtxn.commit().unwrap();
        let rtxn = te.env.read_txn().unwrap();
        let err = te.store.range(&rtxn, &req("k", "")).unwrap_err();
        assert!(matches!(err, MvccError::Checksum(_)), "{err:?}");
    }

    /// A store with data but no record-format marker (an older build's data dir) is refused.
    #[test]
    fn store_without_format_marker_is_refused() {
        let te = test_env();
        let mut wtxn = te.env.write_txn().unwrap();
        let mut tw = te.store.write(&mut wtxn).unwrap();
        tw.put(b"k", b"v", 0).unwrap();
        tw.end();
        te.store
            .meta
            .delete(&mut wtxn, schema::MVCC_RECORD_FORMAT.bytes())
            .unwrap();
        wtxn.commit().unwrap();
        let err = KvStore::open(&te.env).unwrap_err();
        assert!(
            matches!(err, MvccError::RecordFormat(_)) && err.to_string().contains("older"),
            "{err}"
        );
    }

    /// A data dir of the previous record format (`crc32c-v1`: MVCC records only) is refused.
    #[test]
    fn store_with_v1_format_marker_is_refused() {
        let te = test_env();
        let mut wtxn = te.env.write_txn().unwrap();
        te.store
            .meta
            .put(
                &mut wtxn,
                schema::MVCC_RECORD_FORMAT.bytes(),
                super::super::record::RECORD_FORMAT_CRC32C_V1,
            )
            .unwrap();
        wtxn.commit().unwrap();
        let err = KvStore::open(&te.env).unwrap_err();
        assert!(
            matches!(err, MvccError::RecordFormat(_))
                && err.to_string().contains("older")
                && err.to_string().contains("crc32c-v1"),
            "{err}"
        );
    }

    #[test]
    fn meta_keys_outside_mvcc_prefix_are_untouched() {
        let te = test_env();
        let mut wtxn = te.env.write_txn().unwrap();
        te.store
            .meta
            .put(&mut wtxn, b"raft/last_applied", b"x")
            .unwrap();
        let mut tw = te.store.write(&mut wtxn).unwrap();
        tw.put(b"a", b"1", 0).unwrap();
        tw.end();
        te.store.compact(&mut wtxn, 2).unwrap();
        wtxn.commit().unwrap();
        let rtxn = te.env.read_txn().unwrap();
        let metas: Vec<Vec<u8>> = te
            .store
            .meta
            .iter(&rtxn)
            .unwrap()
            .map(|i| i.unwrap().0.to_vec())
            .collect();
        assert_eq!(
            metas,
            [
                b"mvcc/compact_rev".to_vec(),
                b"mvcc/record_format".to_vec(),
                b"raft/last_applied".to_vec()
            ]
        );
    }
}
