//! The Raft state machine on heed: applies committed entries to the MVCC store in
//! `member/snap/db`, one LMDB write transaction per batch, recording the last applied log
//! id and membership in the same transaction (so applied state and its log id never
//! disagree after a crash).
//!
//! Snapshots are consistent compacting copies of the environment.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Instant;

use heed::types::{Bytes, Str};
use heed::{CommitOrAbort, Database};
use openraft::storage::{RaftSnapshotBuilder, RaftStateMachine, Snapshot};
use openraft::{
    Entry, EntryPayload, ErrorSubject, ErrorVerb, LogId, SnapshotMeta, StorageError,
    StoredMembership,
};
use tokio::sync::watch;

use super::log_store::run_blocking;
use super::{io_err, TypeConfig};
use crate::apply::{self, ApplyResults};
use crate::lease::LeaseStore;
use crate::membership::Member;
use crate::mvcc::watchable_store::{KvSource, ReadFn, WatchableStore};
use crate::mvcc::KvStore;
use crate::pb::mvccpb::Event;
use crate::storage::snapshot::DATA_FILE;
use crate::storage::{open_env, Env, EnvKind, StorageError as BackendError};

/// Name of the database holding the Raft apply state (separate from the MVCC `meta`).
const RAFT_STATE_DB: &str = "raft_state";
/// `raft_state` key of the last applied log id (postcard `Option<LogId<u64>>`).
const META_APPLIED: &str = "raft/applied";
/// `raft_state` key of the last applied membership (postcard `StoredMembership`).
const META_MEMBERSHIP: &str = "raft/membership";

/// A batch of applied entries as seen by readers and watchers: the store revision after
/// the batch and the MVCC events it produced, in revision order.
#[derive(Debug, Clone, Default)]
pub struct AppliedBatch {
    /// Store revision after the batch.
    pub revision: i64,
    /// Events (with prev_kv) in revision order.
    pub events: Vec<Event>,
}

/// The handles on one open state environment: the environment and every database of it.
///
/// heed database handles belong to the environment they were opened in, so online
/// defragmentation (which closes the environment and opens the compacted file) rebuilds
/// the whole `Backend`. Reach it through [`StateStore::backend`], a short-lived read guard.
pub struct Backend {
    /// The `member/snap/db` environment.
    pub env: Env,
    /// The MVCC key-value store.
    pub kv: KvStore,
    /// The lease table.
    pub leases: LeaseStore,
    /// Active alarms.
    pub alarms: apply::alarm::AlarmStore,
    /// Published member attributes.
    pub members: crate::membership::store::MemberStore,
    /// The replicated auth store.
    pub auth: crate::auth::store::AuthStore,
    /// The `raft_state` database (last applied log id and membership).
    meta: Database<'static, Str, Bytes>,
}

impl Backend {
    /// Opens (creating) the environment in `dir` and every database of it.
    ///
    /// # Errors
    /// Storage errors.
    pub fn open(dir: &Path) -> Result<Backend, crate::mvcc::MvccError> {
        let env = open_env(dir, EnvKind::StateDeferredSync).map_err(storage_to_mvcc)?;
        let kv = KvStore::open(&env)?;
        let leases =
            LeaseStore::open(&env).map_err(|e| crate::mvcc::MvccError::Corrupt(e.to_string()))?;
        let alarms = apply::alarm::AlarmStore::open(&env)?;
        let members = crate::membership::store::MemberStore::open(&env)?;
        let auth = crate::auth::store::AuthStore::open(&env)
            .map_err(|e| crate::mvcc::MvccError::Corrupt(e.to_string()))?;
        let wtxn = env.write_txn()?;
        let committed =
            env.create_databases_and_commit(wtxn, |opener, wtxn| -> Result<_, heed::Error> {
                let meta = opener.create_database::<Str, Bytes>(wtxn, Some(RAFT_STATE_DB))?;
                Ok(CommitOrAbort::<_, ()>::Commit(meta))
            })?;
        let CommitOrAbort::Commit(meta) = committed else {
            return Err(crate::mvcc::MvccError::Corrupt(
                "creating raft_state database aborted".into(),
            ));
        };
        Ok(Backend {
            env,
            kv,
            leases,
            alarms,
            members,
            auth,
            meta,
        })
    }

    /// The replicated stores, for apply.
    pub fn stores(&self) -> apply::Stores {
        apply::Stores {
            kv: self.kv,
            leases: self.leases,
            alarms: self.alarms,
            members: self.members,
            auth: self.auth,
        }
    }

    /// Forgets the Raft apply state (last applied log id and membership) while keeping
    /// every key, lease and revision: `snapshot restore` starts a new Raft log at index 0
    /// over the restored data, so nothing of the old log may count as applied.
    /// Returns the store's current revision.
    ///
    /// # Errors
    /// Storage errors.
    pub fn reset_raft_state(&self) -> Result<i64, crate::mvcc::MvccError> {
        let mut wtxn = self.env.write_txn()?;
        self.meta.delete(&mut wtxn, META_APPLIED)?;
        self.meta.delete(&mut wtxn, META_MEMBERSHIP)?;
        let rev = self.kv.current_revision(&wtxn)?;
        wtxn.commit()?;
        Ok(rev)
    }
}

/// The swappable backend: `None` only if a defragmentation failed to reopen the file.
/// `corrupt` counts damaged records found (see [`StateStore::note_corrupt`]).
struct BackendCell(RwLock<Option<Backend>>, watch::Sender<u64>);

impl BackendCell {
    fn read(&self) -> Result<BackendGuard<'_>, heed::Error> {
        let guard = self.0.read().unwrap_or_else(|p| p.into_inner());
        if guard.is_none() {
            return Err(heed::Error::Io(std::io::Error::other(
                "state backend unavailable: reopening after defragmentation failed",
            )));
        }
        Ok(BackendGuard(guard))
    }

    fn write(&self) -> RwLockWriteGuard<'_, Option<Backend>> {
        self.0.write().unwrap_or_else(|p| p.into_inner())
    }
}

impl KvSource for BackendCell {
    fn with_read(&self, f: &mut ReadFn<'_>) -> Result<(), crate::mvcc::MvccError> {
        let b = self.read()?;
        let rtxn = b.env.read_txn()?;
        let r = f(&rtxn, &b.kv);
        if let Err(crate::mvcc::MvccError::Checksum(e)) = &r {
            // The watch hub's catch-up read a damaged record: never sent, alarm raised.
            tracing::error!(error = %e, "damaged record found by a watch catch-up");
            self.1.send_modify(|n| *n = n.wrapping_add(1));
        }
        r
    }
}

/// A read guard on the current [`Backend`]. Hold it only for one synchronous piece of work
/// (it is `!Send`, so it cannot be held across an `.await` in a spawned task): while any
/// guard lives, a defragmentation waits, and while one runs, new guards wait.
pub struct BackendGuard<'a>(RwLockReadGuard<'a, Option<Backend>>);

impl std::ops::Deref for BackendGuard<'_> {
    type Target = Backend;

    fn deref(&self) -> &Backend {
        self.0
            .as_ref()
            .expect("invariant: BackendCell::read checked the backend is present")
    }
}

/// Sizes around one defragmentation, in bytes of `data.mdb`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DefragStats {
    /// File size before.
    pub size_before: u64,
    /// File size after.
    pub size_after: u64,
}

/// State shared between the state machine and the server's read path.
pub struct StateStore {
    backend: Arc<BackendCell>,
    dir: PathBuf,
    /// Latest applied store revision, updated after each committed batch.
    revision_tx: watch::Sender<i64>,
    /// How many times a damaged record (CRC-32C mismatch) was found; the server raises
    /// etcd's CORRUPT alarm on each change while it is not active.
    corrupt_tx: watch::Sender<u64>,
    /// The watch hub: told about every applied batch, in order.
    pub watch: Arc<WatchableStore>,
    /// The latest snapshot: its meta and the file under `member/snap/raft/` holding it.
    current_snapshot: Mutex<Option<(SnapshotMeta<u64, Member>, PathBuf)>>,
    /// Where an incoming snapshot is being received.
    receiving: Mutex<Option<PathBuf>>,
    /// Simple tokens known to this member (in memory; filled by applied Authenticates).
    pub tokens: Arc<crate::auth::token::SimpleTokens>,
    /// Unified range permissions per user for the read path.
    pub perm_cache: crate::auth::perms::PermCache,
}

impl StateStore {
    /// Opens (creating) the state environment in `dir` (`<data-dir>/member/snap/db`).
    ///
    /// # Errors
    /// Storage errors.
    #[allow(
        dead_code,
        reason = "used by tests only (production opens with a token TTL)"
    )]
    pub fn open(dir: PathBuf) -> Result<Arc<StateStore>, crate::mvcc::MvccError> {
        StateStore::open_with(
            dir,
            std::time::Duration::from_secs(crate::auth::token::DEFAULT_TOKEN_TTL_SECS),
        )
    }

    /// Like [`StateStore::open`], with simple tokens living `token_ttl` after their last use
    /// (`--auth-token-ttl`).
    ///
    /// # Errors
    /// Storage errors.
    pub fn open_with(
        dir: PathBuf,
        token_ttl: std::time::Duration,
    ) -> Result<Arc<StateStore>, crate::mvcc::MvccError> {
        let backend = Backend::open(&dir)?;
        let rev = {
            let rtxn = backend.env.read_txn()?;
            backend.kv.current_revision(&rtxn)?
        };
        let corrupt_tx = watch::channel(0).0;
        let cell = Arc::new(BackendCell(RwLock::new(Some(backend)), corrupt_tx.clone()));
        let (revision_tx, _) = watch::channel(rev);
        let watch = WatchableStore::new(cell.clone(), rev);
        Ok(Arc::new(StateStore {
            backend: cell,
            dir,
            revision_tx,
            corrupt_tx,
            watch,
            current_snapshot: Mutex::new(None),
            receiving: Mutex::new(None),
            tokens: Arc::new(crate::auth::token::SimpleTokens::new(token_ttl)),
            perm_cache: crate::auth::perms::PermCache::default(),
        }))
    }

    /// A read guard on the current backend (environment and database handles). Keep it
    /// short: open a transaction, read, drop both; never hold it across an `.await`.
    ///
    /// # Errors
    /// Only after a defragmentation failed to reopen the database file.
    pub fn backend(&self) -> Result<BackendGuard<'_>, heed::Error> {
        self.backend.read()
    }

    /// Records that a damaged record was found (by a read or by apply).
    pub fn note_corrupt(&self) {
        self.corrupt_tx.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Subscribes to [`StateStore::note_corrupt`].
    pub fn subscribe_corrupt(&self) -> watch::Receiver<u64> {
        self.corrupt_tx.subscribe()
    }

    /// Subscribes to the latest applied store revision.
    pub fn subscribe_revision(&self) -> watch::Receiver<i64> {
        self.revision_tx.subscribe()
    }

    /// Flushes the backend to disk (`fsync`): the environment defers syncs (see
    /// [`crate::storage::EnvKind::StateDeferredSync`]).
    ///
    /// # Errors
    /// I/O errors from LMDB.
    pub fn sync(&self) -> Result<(), heed::Error> {
        let b = self.backend()?;
        b.env.force_sync()
    }

    /// Size of the database file in bytes (etcd's `db_size`).
    pub fn db_size(&self) -> u64 {
        std::fs::metadata(self.dir.join(DATA_FILE))
            .map(|m| m.len())
            .unwrap_or(0)
    }

    /// Bytes of the database in use (etcd's `db_size_in_use`): pages holding data in every
    /// database plus LMDB's two meta pages. Free pages (reusable after compaction) are not
    /// counted.
    pub fn db_size_in_use(&self) -> u64 {
        let Ok(b) = self.backend() else { return 0 };
        let Ok(rtxn) = b.env.read_txn() else { return 0 };
        let mut total = 2 * 4096u64;
        total += b.kv.size_in_use(&rtxn).unwrap_or(0);
        total += b.leases.size_in_use(&rtxn).unwrap_or(0);
        total += b
            .meta
            .stat(&rtxn)
            .map(|s| s.non_free_page_size() as u64)
            .unwrap_or(0);
        total
    }

    /// Defragments the backend online, as etcd's `backend.defrag`: blocks every read and
    /// write (it holds the backend write guard), writes a compacting copy next to
    /// `data.mdb`, closes the environment, renames the copy over it and reopens every
    /// handle. Blocking; call off the async workers.
    ///
    /// The applied log id lives in the same file as the data it describes, so both move
    /// together; a crash leaves either the old or the new file (see
    /// [`crate::storage::snapshot`]).
    ///
    /// # Errors
    /// Storage errors. If the copy fails, the old backend keeps serving; if reopening
    /// fails after the swap, the backend is unavailable and every read reports it.
    pub fn defragment_blocking(&self) -> Result<DefragStats, crate::storage::StorageError> {
        let started = Instant::now();
        let mut guard = self.backend.write();
        let size_before = self.db_size();
        let Some(old) = guard.take() else {
            // A previous failure left no backend: try to reopen whatever file is there.
            *guard = Some(Backend::open(&self.dir).map_err(mvcc_to_storage)?);
            return Err(crate::storage::StorageError::Corrupt(
                "state backend was unavailable; reopened".into(),
            ));
        };
        // Copy first while the old backend is intact: on failure, put it back.
        if let Err(e) = crate::storage::snapshot::compact_copy(&old.env, &self.dir) {
            let _ = crate::storage::snapshot::remove_stale_defrag(&self.dir);
            *guard = Some(old);
            return Err(e);
        }
        let swapped = crate::storage::snapshot::close_and_swap(old.env, &self.dir);
        // Reopen whichever file is now `data.mdb` (the old one if the swap failed early).
        let reopened = Backend::open(&self.dir).map_err(mvcc_to_storage);
        match reopened {
            Ok(b) => *guard = Some(b),
            Err(e) => {
                tracing::error!(error = %e, "failed to reopen the backend after defragmentation");
                return Err(e);
            }
        }
        swapped?;
        let size_after = self.db_size();
        tracing::info!(
            path = %self.dir.display(),
            size_before,
            size_after,
            took_ms = started.elapsed().as_millis() as u64,
            "finished defragmenting directory"
        );
        Ok(DefragStats {
            size_before,
            size_after,
        })
    }

    fn read_meta<T: serde::de::DeserializeOwned>(
        meta: &Database<'static, Str, Bytes>,
        txn: &heed::RoTxn,
        key: &str,
    ) -> Result<Option<T>, StorageError<u64>> {
        let raw = meta
            .get(txn, key)
            .map_err(|e| io_err(ErrorSubject::StateMachine, ErrorVerb::Read, e))?;
        raw.map(|b| postcard::from_bytes(b))
            .transpose()
            .map_err(|e| io_err(ErrorSubject::StateMachine, ErrorVerb::Read, e))
    }

    fn applied_state_in(
        meta: &Database<'static, Str, Bytes>,
        txn: &heed::RoTxn,
    ) -> Result<(Option<LogId<u64>>, StoredMembership<u64, Member>), StorageError<u64>> {
        let applied: Option<LogId<u64>> =
            Self::read_meta::<Option<LogId<u64>>>(meta, txn, META_APPLIED)?.flatten();
        let membership = Self::read_meta(meta, txn, META_MEMBERSHIP)?.unwrap_or_default();
        Ok((applied, membership))
    }

    /// The last applied log id and membership as persisted.
    ///
    /// # Errors
    /// Storage errors.
    pub fn applied_state(
        &self,
    ) -> Result<(Option<LogId<u64>>, StoredMembership<u64, Member>), StorageError<u64>> {
        let read = |e| io_err(ErrorSubject::StateMachine, ErrorVerb::Read, e);
        let b = self.backend().map_err(read)?;
        let rtxn = b.env.read_txn().map_err(read)?;
        Self::applied_state_in(&b.meta, &rtxn)
    }

    /// Applies a batch of entries in one write transaction (blocking; call off the async
    /// workers).
    pub(crate) fn apply_batch(
        &self,
        entries: Vec<Entry<TypeConfig>>,
    ) -> Result<(Vec<ApplyResults>, AppliedBatch), ApplyFailure> {
        let started = Instant::now();
        let b = self.backend()?;
        let mut wtxn = b.env.write_txn()?;
        let mut results = Vec::with_capacity(entries.len());
        let mut events = Vec::new();
        let mut last_applied = None;
        let mut token_effects = Vec::new();
        for entry in entries {
            last_applied = Some(entry.log_id);
            match entry.payload {
                EntryPayload::Blank => results.push(ApplyResults::default()),
                EntryPayload::Normal(batch) => {
                    let stores = b.stores();
                    let mut out = Vec::with_capacity(batch.requests.len());
                    for req in &batch.requests {
                        let r = apply_isolated(&b, &stores, &mut wtxn, req, &mut events)?;
                        if let Some(effect) = TokenEffect::of(req, &r) {
                            token_effects.push(effect);
                        }
                        out.push(r);
                    }
                    results.push(ApplyResults(out));
                }
                EntryPayload::Membership(m) => {
                    let stored = StoredMembership::new(Some(entry.log_id), m);
                    let bytes = postcard::to_stdvec(&stored)
                        .map_err(|e| ApplyFailure::Encode(e.to_string()))?;
                    b.meta.put(&mut wtxn, META_MEMBERSHIP, &bytes)?;
                    results.push(ApplyResults::default());
                }
            }
        }
        let bytes =
            postcard::to_stdvec(&last_applied).map_err(|e| ApplyFailure::Encode(e.to_string()))?;
        b.meta.put(&mut wtxn, META_APPLIED, &bytes)?;
        let revision = b.kv.current_revision(&wtxn)?;
        wtxn.commit()?;
        for effect in token_effects {
            effect.apply(&self.tokens);
        }
        crate::observability::metrics()
            .backend_commit_duration
            .observe(started.elapsed().as_secs_f64());
        Ok((results, AppliedBatch { revision, events }))
    }

    /// Publishes a committed batch to readers and watchers.
    fn publish(&self, batch: AppliedBatch) {
        self.revision_tx.send_replace(batch.revision);
        self.watch.notify(batch.revision, &batch.events);
    }

    /// Makes a consistent compacting copy of the environment and reads the applied state
    /// recorded inside the copy, so the snapshot's meta matches its contents exactly.
    fn build_snapshot_blocking(
        &self,
    ) -> Result<(SnapshotMeta<u64, Member>, PathBuf), ApplyFailure> {
        let tmp = self
            .dir
            .with_file_name(format!("snapshot.tmp.{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(&tmp).map_err(|e| ApplyFailure::Encode(e.to_string()))?;
        let path = tmp.join(DATA_FILE);
        self.backend()?
            .env
            .copy_to_path(&path, heed::CompactionOption::Enabled)?;
        let copy =
            open_env(&tmp, EnvKind::State).map_err(|e| ApplyFailure::Encode(e.to_string()))?;
        let (applied, membership) = {
            let rtxn = copy.read_txn()?;
            let opened =
                copy.open_databases_and_commit(rtxn, |opener, rtxn| -> Result<_, heed::Error> {
                    Ok(CommitOrAbort::<_, ()>::Commit(
                        opener.open_database::<Str, Bytes>(rtxn, Some(RAFT_STATE_DB))?,
                    ))
                })?;
            match opened {
                CommitOrAbort::Commit(Some(db)) => {
                    let rtxn = copy.read_txn()?;
                    let applied: Option<LogId<u64>> = db
                        .get(&rtxn, META_APPLIED)?
                        .map(postcard::from_bytes)
                        .transpose()
                        .map_err(|e| ApplyFailure::Encode(e.to_string()))?
                        .flatten();
                    let membership = db
                        .get(&rtxn, META_MEMBERSHIP)?
                        .map(postcard::from_bytes)
                        .transpose()
                        .map_err(|e| ApplyFailure::Encode(e.to_string()))?
                        .unwrap_or_default();
                    (applied, membership)
                }
                _ => (None, StoredMembership::default()),
            }
        };
        drop(copy);
        let snapshot_id = match applied {
            Some(l) => format!("{}-{}-{}", l.leader_id.term, l.index, rand::random::<u32>()),
            None => format!("0-0-{}", rand::random::<u32>()),
        };
        let kept = self.snapshot_dir()?.join(format!("{snapshot_id}.snap"));
        std::fs::rename(&path, &kept).map_err(|e| ApplyFailure::Encode(e.to_string()))?;
        let _ = std::fs::remove_dir_all(&tmp);
        let meta = SnapshotMeta {
            last_log_id: applied,
            last_membership: membership,
            snapshot_id,
        };
        Ok((meta, kept))
    }

    /// `member/snap/raft/`: Raft snapshot files (created on demand).
    fn snapshot_dir(&self) -> Result<PathBuf, ApplyFailure> {
        let dir = self.dir.with_file_name("raft");
        std::fs::create_dir_all(&dir).map_err(|e| ApplyFailure::Encode(e.to_string()))?;
        Ok(dir)
    }

    /// Makes `(meta, path)` the current snapshot, deleting the file of the one it replaces
    /// (a transfer still reading it keeps its open handle).
    fn set_current_snapshot(&self, meta: SnapshotMeta<u64, Member>, path: PathBuf) {
        if let Ok(mut cur) = self.current_snapshot.lock() {
            if let Some((_, old)) = cur.replace((meta, path.clone())) {
                if old != path {
                    let _ = std::fs::remove_file(old);
                }
            }
        }
    }

    /// Replaces the whole state with the snapshot's: every named database is cleared and
    /// refilled in one write transaction.
    fn install_snapshot_blocking(&self, file: &Path) -> Result<(), ApplyFailure> {
        let tmp = self
            .dir
            .with_file_name(format!("snapshot.install.{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(&tmp).map_err(|e| ApplyFailure::Encode(e.to_string()))?;
        std::fs::copy(file, tmp.join(DATA_FILE))
            .map_err(|e| ApplyFailure::Encode(e.to_string()))?;
        let b = self.backend()?;
        let src =
            open_env(&tmp, EnvKind::State).map_err(|e| ApplyFailure::Encode(e.to_string()))?;
        {
            // Every named database of the snapshot: their names are the keys of the unnamed one.
            let rtxn = src.read_txn()?;
            let opened =
                src.open_databases_and_commit(rtxn, |opener, rtxn| -> Result<_, heed::Error> {
                    let main = opener.open_database::<Str, Bytes>(rtxn, None)?;
                    let mut names = Vec::new();
                    if let Some(main) = main {
                        for item in main.iter(rtxn)? {
                            let (name, _) = item?;
                            names.push(name.to_string());
                        }
                    }
                    let mut dbs = Vec::new();
                    for name in &names {
                        if let Some(db) = opener.open_database::<Bytes, Bytes>(rtxn, Some(name))? {
                            dbs.push(db);
                        }
                    }
                    Ok(CommitOrAbort::<_, ()>::Commit(NamedDbs { names, dbs }))
                })?;
            let CommitOrAbort::Commit(NamedDbs {
                names,
                dbs: from_dbs,
            }) = opened
            else {
                return Err(ApplyFailure::Encode(
                    "opening snapshot databases aborted".into(),
                ));
            };
            let wtxn = b.env.write_txn()?;
            let created = b.env.create_databases_and_commit(
                wtxn,
                |opener, wtxn| -> Result<_, heed::Error> {
                    let mut to = Vec::new();
                    for name in &names {
                        to.push(opener.create_database::<Bytes, Bytes>(wtxn, Some(name))?);
                    }
                    Ok(CommitOrAbort::<_, ()>::Commit(NamedDbs {
                        names: Vec::new(),
                        dbs: to,
                    }))
                },
            )?;
            let CommitOrAbort::Commit(NamedDbs { dbs: to_dbs, .. }) = created else {
                return Err(ApplyFailure::Encode("creating databases aborted".into()));
            };
            let rtxn = src.read_txn()?;
            let mut wtxn = b.env.write_txn()?;
            for (from, to) in from_dbs.iter().zip(to_dbs.iter()) {
                to.clear(&mut wtxn)?;
                for item in from.iter(&rtxn)? {
                    let (k, v) = item?;
                    to.put(&mut wtxn, k, v)?;
                }
            }
            wtxn.commit()?;
        }
        drop(src);
        let _ = std::fs::remove_dir_all(&tmp);
        let rtxn = b.env.read_txn()?;
        let rev = b.kv.current_revision(&rtxn)?;
        drop(rtxn);
        drop(b);
        self.revision_tx.send_replace(rev);
        Ok(())
    }
}

/// Applies one request in a nested transaction of the batch's: a failure its input caused
/// (see [`apply::ApplyFatal::is_input_caused`]) rolls back this request alone and becomes the
/// deterministic [`apply::ApplyError::RequestTooLarge`]; any other storage failure is fatal.
fn apply_isolated(
    b: &Backend,
    stores: &apply::Stores,
    wtxn: &mut heed::RwTxn,
    req: &crate::pb::peer::InternalRaftRequest,
    events: &mut Vec<crate::pb::mvccpb::Event>,
) -> Result<apply::ApplyResult, ApplyFailure> {
    let mut own_events = Vec::new();
    let mut nested = b.env.nested_write_txn(wtxn)?;
    match apply::apply_request(stores, &mut nested, req, &mut own_events) {
        Ok(r) => {
            nested.commit()?;
            events.extend(own_events);
            Ok(r)
        }
        // A damaged record on this member's disk (CRC-32C mismatch): not the same on every
        // member, but stopping the member would not repair it. The request is rolled back
        // and fails here as `etcdserver: corrupt cluster`; the server raises the CORRUPT
        // alarm, which then refuses writes on every member (etcd's applierV3Corrupt).
        Err(f) if f.checksum().is_some() => {
            let e = f.checksum().expect("invariant: matched by the guard");
            nested.abort();
            tracing::error!(error = %e, "damaged record found while applying; request refused");
            Ok(apply::ApplyResult {
                revision: b.kv.current_revision(wtxn)?,
                response: None,
                error: Some(apply::ApplyError::Corrupt),
            })
        }
        Err(e) if e.is_input_caused() => {
            nested.abort();
            tracing::warn!(error = %e, "apply: request refused by storage limits, rolled back");
            Ok(apply::ApplyResult {
                revision: b.kv.current_revision(wtxn)?,
                response: None,
                error: Some(apply::ApplyError::RequestTooLarge),
            })
        }
        Err(e) => Err(e.into()),
    }
}

/// What an applied auth request does to this member's in-memory simple tokens, applied
/// after the batch commits (etcd's token provider calls in `auth/store.go`).
enum TokenEffect {
    Assign { token: String, user: String },
    InvalidateUser(String),
    Clear,
}

impl TokenEffect {
    fn of(
        req: &crate::pb::peer::InternalRaftRequest,
        r: &apply::ApplyResult,
    ) -> Option<TokenEffect> {
        if r.error.is_some() {
            return None;
        }
        if let (
            Some(a),
            Some(apply::ApplyResponse::Auth(apply::auth::AuthApplyResponse::Token(t))),
        ) = (&req.authenticate, &r.response)
        {
            return Some(TokenEffect::Assign {
                token: t.clone(),
                user: a.name.clone(),
            });
        }
        if let Some(d) = &req.auth_user_delete {
            return Some(TokenEffect::InvalidateUser(
                String::from_utf8_lossy(&d.name).into_owned(),
            ));
        }
        if let Some(c) = &req.auth_user_change_password {
            return Some(TokenEffect::InvalidateUser(
                String::from_utf8_lossy(&c.name).into_owned(),
            ));
        }
        if req.auth_disable.is_some() {
            return Some(TokenEffect::Clear);
        }
        None
    }

    fn apply(self, tokens: &crate::auth::token::SimpleTokens) {
        match self {
            TokenEffect::Assign { token, user } => tokens.assign(&token, &user),
            TokenEffect::InvalidateUser(u) => tokens.invalidate_user(&u),
            TokenEffect::Clear => tokens.clear(),
        }
    }
}

/// Databases opened by name inside one transaction; `'static` once it commits.
struct NamedDbs<'e> {
    names: Vec<String>,
    dbs: Vec<Database<'e, Bytes, Bytes>>,
}

impl heed::OnCommit for NamedDbs<'_> {
    type Committed = NamedDbs<'static>;

    fn on_commit(self, token: &heed::CommitToken) -> NamedDbs<'static> {
        NamedDbs {
            names: self.names,
            dbs: self.dbs.into_iter().map(|d| d.on_commit(token)).collect(),
        }
    }
}

/// Failures of the state machine's own I/O (never request failures, which are results).
#[derive(Debug, thiserror::Error)]
pub(crate) enum ApplyFailure {
    #[error("state machine storage: {0}")]
    Heed(#[from] heed::Error),
    #[error("state machine: {0}")]
    Mvcc(#[from] crate::mvcc::MvccError),
    #[error("state machine: {0}")]
    Apply(#[from] apply::ApplyFatal),
    #[error("state machine encoding: {0}")]
    Encode(String),
}

fn mvcc_to_storage(e: crate::mvcc::MvccError) -> BackendError {
    match e {
        crate::mvcc::MvccError::Storage(h) => BackendError::Heed(h),
        other => BackendError::Corrupt(other.to_string()),
    }
}

fn storage_to_mvcc(e: BackendError) -> crate::mvcc::MvccError {
    match e {
        BackendError::Heed(h) => crate::mvcc::MvccError::from(h),
        other => crate::mvcc::MvccError::Corrupt(other.to_string()),
    }
}

/// The openraft state machine: a handle on the shared [`StateStore`].
#[derive(Clone)]
pub struct StateMachine {
    store: Arc<StateStore>,
}

impl StateMachine {
    /// Wraps the shared store.
    pub fn new(store: Arc<StateStore>) -> StateMachine {
        StateMachine { store }
    }
}

impl RaftSnapshotBuilder<TypeConfig> for StateMachine {
    async fn build_snapshot(&mut self) -> Result<Snapshot<TypeConfig>, StorageError<u64>> {
        let store = self.store.clone();
        let (meta, path) = tokio::task::spawn_blocking(move || store.build_snapshot_blocking())
            .await
            .map_err(|e| {
                io_err(
                    ErrorSubject::Snapshot(None),
                    ErrorVerb::Write,
                    std::io::Error::other(e.to_string()),
                )
            })?
            .map_err(|e| io_err(ErrorSubject::Snapshot(None), ErrorVerb::Write, e))?;
        let file = tokio::fs::File::open(&path)
            .await
            .map_err(|e| io_err(ErrorSubject::Snapshot(None), ErrorVerb::Read, e))?;
        self.store.set_current_snapshot(meta.clone(), path);
        Ok(Snapshot {
            meta,
            snapshot: Box::new(file),
        })
    }
}

impl RaftStateMachine<TypeConfig> for StateMachine {
    type SnapshotBuilder = StateMachine;

    async fn applied_state(
        &mut self,
    ) -> Result<(Option<LogId<u64>>, StoredMembership<u64, Member>), StorageError<u64>> {
        self.store.applied_state()
    }

    async fn apply<I>(&mut self, entries: I) -> Result<Vec<ApplyResults>, StorageError<u64>>
    where
        I: IntoIterator<Item = Entry<TypeConfig>> + Send,
        I::IntoIter: Send,
    {
        let entries: Vec<_> = entries.into_iter().collect();
        let store = self.store.clone();
        let (results, batch) = tokio::task::spawn_blocking(move || store.apply_batch(entries))
            .await
            .map_err(|e| {
                io_err(
                    ErrorSubject::StateMachine,
                    ErrorVerb::Write,
                    std::io::Error::other(e.to_string()),
                )
            })?
            .map_err(|e| io_err(ErrorSubject::StateMachine, ErrorVerb::Write, e))?;
        self.store.publish(batch);
        if results
            .iter()
            .flat_map(|r| &r.0)
            .any(|r| r.error == Some(apply::ApplyError::Corrupt))
        {
            self.store.note_corrupt();
        }
        Ok(results)
    }

    async fn get_snapshot_builder(&mut self) -> Self::SnapshotBuilder {
        self.clone()
    }

    async fn begin_receiving_snapshot(
        &mut self,
    ) -> Result<Box<tokio::fs::File>, StorageError<u64>> {
        let werr = |e: std::io::Error| io_err(ErrorSubject::Snapshot(None), ErrorVerb::Write, e);
        let dir = self
            .store
            .snapshot_dir()
            .map_err(|e| werr(std::io::Error::other(e.to_string())))?;
        let path = dir.join(format!("incoming-{}.snap", rand::random::<u32>()));
        let file = tokio::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .await
            .map_err(werr)?;
        if let Ok(mut r) = self.store.receiving.lock() {
            if let Some(old) = r.replace(path) {
                let _ = std::fs::remove_file(old);
            }
        }
        Ok(Box::new(file))
    }

    async fn install_snapshot(
        &mut self,
        meta: &SnapshotMeta<u64, Member>,
        snapshot: Box<tokio::fs::File>,
    ) -> Result<(), StorageError<u64>> {
        use tokio::io::AsyncSeekExt;
        let sig = meta.signature();
        let werr = |e: std::io::Error| {
            io_err(
                ErrorSubject::Snapshot(Some(sig.clone())),
                ErrorVerb::Write,
                e,
            )
        };
        // Copy whatever file we were handed (normally the one begin_receiving_snapshot
        // created) into a file of our own, streaming, so install never depends on which
        // handle openraft passes back.
        let mut snapshot = snapshot;
        snapshot
            .seek(std::io::SeekFrom::Start(0))
            .await
            .map_err(werr)?;
        let dir = self
            .store
            .snapshot_dir()
            .map_err(|e| werr(std::io::Error::other(e.to_string())))?;
        let path = dir.join(format!("install-{}.snap", rand::random::<u32>()));
        {
            let mut out = tokio::fs::File::create(&path).await.map_err(werr)?;
            tokio::io::copy(&mut *snapshot, &mut out)
                .await
                .map_err(werr)?;
            out.sync_all().await.map_err(werr)?;
        }
        drop(snapshot);
        if let Some(received) = self.store.receiving.lock().ok().and_then(|mut r| r.take()) {
            let _ = std::fs::remove_file(received);
        }
        let store = self.store.clone();
        let src = path.clone();
        run_blocking(move || {
            store
                .install_snapshot_blocking(&src)
                .map_err(|e| heed::Error::Io(std::io::Error::other(e.to_string())))
        })
        .await
        .map_err(|e| {
            io_err(
                ErrorSubject::Snapshot(Some(sig.clone())),
                ErrorVerb::Write,
                e,
            )
        })?;
        let kept = path.with_file_name(format!("{}.snap", meta.snapshot_id));
        std::fs::rename(&path, &kept).map_err(werr)?;
        self.store.set_current_snapshot(meta.clone(), kept);
        Ok(())
    }

    async fn get_current_snapshot(
        &mut self,
    ) -> Result<Option<Snapshot<TypeConfig>>, StorageError<u64>> {
        let cur = match self.store.current_snapshot.lock() {
            Ok(c) => c.clone(),
            Err(_) => None,
        };
        let Some((meta, path)) = cur else {
            return Ok(None);
        };
        match tokio::fs::File::open(&path).await {
            Ok(file) => Ok(Some(Snapshot {
                meta,
                snapshot: Box::new(file),
            })),
            // Gone (replaced meanwhile): openraft builds a new one.
            Err(_) => Ok(None),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::keys::KeyRange;
    use crate::mvcc::watchable_store::WatcherSpec;

    fn put_many(store: &StateStore, n: usize, value_len: usize) {
        let b = store.backend().unwrap();
        let mut wtxn = b.env.write_txn().unwrap();
        {
            let mut w = b.kv.write(&mut wtxn).unwrap();
            for i in 0..n {
                w.put(format!("big/{i:04}").as_bytes(), &vec![b'x'; value_len], 0)
                    .unwrap();
            }
            w.end();
        }
        wtxn.commit().unwrap();
    }

    /// A damaged lease record met by apply rolls the request back as `corrupt cluster`
    /// (the CORRUPT alarm's path) instead of stopping the member.
    #[test]
    fn damaged_lease_record_in_apply_is_corrupt_not_fatal() {
        let dir = tempfile::tempdir().unwrap();
        let store = StateStore::open(dir.path().to_path_buf()).unwrap();
        let b = store.backend().unwrap();
        let stores = b.stores();
        let grant = crate::pb::peer::InternalRaftRequest {
            lease_grant: Some(crate::pb::etcdserverpb::LeaseGrantRequest { ttl: 60, id: 7 }),
            ..Default::default()
        };
        let mut wtxn = b.env.write_txn().unwrap();
        let r = apply_isolated(&b, &stores, &mut wtxn, &grant, &mut Vec::new()).unwrap();
        assert_eq!(r.error, None);
        wtxn.commit().unwrap();
        crate::storage::record::flip_stored_values(&b.env, b.leases.records_database());
        let mut wtxn = b.env.write_txn().unwrap();
        let r = apply_isolated(&b, &stores, &mut wtxn, &grant, &mut Vec::new()).unwrap();
        assert_eq!(r.error, Some(apply::ApplyError::Corrupt));
        assert!(r.response.is_none());
    }

    /// Online defrag shrinks `data.mdb` after delete + compaction, keeps data, revision
    /// and the applied log id, and readers (including the watch hub's catch-up) use the
    /// reopened environment.
    #[tokio::test]
    async fn online_defrag_shrinks_and_keeps_state() {
        let dir = tempfile::tempdir().unwrap();
        let store = StateStore::open(dir.path().to_path_buf()).unwrap();
        put_many(&store, 200, 10_000);
        let rev = {
            let b = store.backend().unwrap();
            let mut wtxn = b.env.write_txn().unwrap();
            {
                let mut w = b.kv.write(&mut wtxn).unwrap();
                w.delete_range(b"big/", b"big0").unwrap();
                w.end();
            }
            let deleted = b.kv.current_revision(&wtxn).unwrap();
            b.kv.compact(&mut wtxn, deleted).unwrap();
            wtxn.commit().unwrap();
            let mut wtxn = b.env.write_txn().unwrap();
            {
                let mut w = b.kv.write(&mut wtxn).unwrap();
                w.put(b"keep", b"me", 0).unwrap();
                w.end();
            }
            let rev = b.kv.current_revision(&wtxn).unwrap();
            let applied: Option<LogId<u64>> =
                Some(LogId::new(openraft::CommittedLeaderId::new(3, 1), 42));
            b.meta
                .put(
                    &mut wtxn,
                    META_APPLIED,
                    &postcard::to_stdvec(&applied).unwrap(),
                )
                .unwrap();
            wtxn.commit().unwrap();
            rev
        };
        let before = store.db_size();
        let stats = store.defragment_blocking().unwrap();
        assert_eq!(stats.size_before, before);
        assert!(
            stats.size_after * 10 < before,
            "{before} -> {}",
            stats.size_after
        );
        assert_eq!(store.db_size(), stats.size_after);
        assert!(!dir
            .path()
            .join(crate::storage::snapshot::DEFRAG_TMP_FILE)
            .exists());

        let (applied, _) = store.applied_state().unwrap();
        assert_eq!(applied.map(|l| l.index), Some(42));
        {
            let b = store.backend().unwrap();
            let rtxn = b.env.read_txn().unwrap();
            assert_eq!(b.kv.current_revision(&rtxn).unwrap(), rev);
            let got = b.kv.get_at(&rtxn, b"keep", rev).unwrap().unwrap();
            assert_eq!(got.value, b"me");
        }
        // An unsynced watcher from an older revision is caught up from the new file.
        let (tx, mut rx) = tokio::sync::mpsc::channel(8);
        let spec = WatcherSpec {
            watch_id: 1,
            range: KeyRange::Single(b"keep".to_vec()),
            no_put: false,
            no_delete: false,
            prev_kv: false,
            progress_notify: false,
        };
        store.watch.notify(rev, &[]);
        store.watch.watch(spec, rev, tx);
        store.watch.sync_watchers().unwrap();
        let resp = rx.try_recv().unwrap();
        assert_eq!(resp.events.len(), 1, "{resp:?}");
        assert_eq!(resp.events[0].kv.as_ref().unwrap().value, b"me");
        // Writes go on after the swap.
        put_many(&store, 1, 10);
        store.defragment_blocking().unwrap();
    }

    /// A request whose input LMDB refuses (an empty key reaching apply) is rolled back alone
    /// as `RequestTooLarge`; the rest of the batch applies and the member goes on.
    #[test]
    fn input_storage_error_rolls_back_only_that_request() {
        use crate::pb::etcdserverpb::PutRequest;
        use crate::pb::peer::{InternalRaftBatch, InternalRaftRequest};
        let dir = tempfile::tempdir().unwrap();
        let store = StateStore::open(dir.path().to_path_buf()).unwrap();
        let put = |key: &[u8]| InternalRaftRequest {
            put: Some(PutRequest {
                key: key.to_vec(),
                value: b"v".to_vec(),
                ..Default::default()
            }),
            ..Default::default()
        };
        let entry = |index: u64, reqs: Vec<InternalRaftRequest>| Entry::<TypeConfig> {
            log_id: LogId::new(openraft::CommittedLeaderId::new(1, 1), index),
            payload: EntryPayload::Normal(InternalRaftBatch { requests: reqs }),
        };
        let (results, batch) = store
            .apply_batch(vec![
                entry(1, vec![put(b"a"), put(b""), put(&[b'k'; 600])]),
                entry(2, vec![put(b"b")]),
            ])
            .unwrap();
        let first = &results[0].0;
        assert!(first[0].error.is_none());
        assert_eq!(first[1].error, Some(apply::ApplyError::RequestTooLarge));
        assert_eq!(first[1].revision, 2, "revision after the first put only");
        assert!(first[2].error.is_none(), "600-byte keys are fine");
        assert_eq!(results[1].0[0].revision, 4);
        assert_eq!(batch.revision, 4);
        assert_eq!(
            batch.events.len(),
            3,
            "no event from the rolled-back request"
        );
        let b = store.backend().unwrap();
        let rtxn = b.env.read_txn().unwrap();
        assert!(b.kv.get_at(&rtxn, &[b'k'; 600], 4).unwrap().is_some());
        assert!(b.kv.get_at(&rtxn, b"b", 4).unwrap().is_some());
        drop(rtxn);
        drop(b);
        let (applied, _) = store.applied_state().unwrap();
        assert_eq!(applied.map(|l| l.index), Some(2));
    }
}
