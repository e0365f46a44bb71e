//! The state database (`<data-dir>/member/snap/db`) and the handle every user of it shares.
//!
//! - [`StateDb`]: the LMDB environment with every domain store opened in it (MVCC, leases,
//!   alarms, members, auth) and the `raft_state` database the state machine records its
//!   applied log id in (etcd's backend with its buckets).
//! - [`StateStore`]: the swappable [`StateDb`] (online defragmentation replaces the file and
//!   reopens every handle), the applied revision and damaged-record subscriptions, the watch
//!   hub, and this member's in-memory simple tokens and permission cache.
//! - [`StateDb::apply_direct`], [`StateDb::apply_isolated`] and [`TokenEffect`]: what the state machine
//!   (`raft::state_machine::apply_batch`) does with each request of a committed batch.
//!
//! Depends on: mvcc, lease, auth, alarm, membership, v2store, storage, pb (never openraft: the Raft apply
//! state is opaque bytes here).

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Instant;

use heed::types::{Bytes, Str};
use heed::Database;
use tokio::sync::watch;

use super::{ApplyError, ApplyFatal, ApplyResponse, ApplyResult, Stores};
use crate::lease::LeaseStore;
use crate::mvcc::watchable_store::{KvSource, ReadFn, WatchableStore};
use crate::mvcc::KvStore;
use crate::pb::mvccpb::Event;
use crate::pb::peer::InternalRaftRequest;
use crate::storage::schema;
use crate::storage::snapshot::data_file;
use crate::storage::{open_env, Env, EnvKind, StorageError as BackendError};

/// A batch of applied entries as seen by readers and watchers: the store revision after
/// the batch and the MVCC events it produced, in revision order.
#[derive(Debug, Clone, Default)]
pub struct AppliedBatch {
    /// Store revision after the batch.
    pub revision: i64,
    /// Events (with prev_kv) in revision order.
    pub events: Vec<Event>,
    /// v2 store events in index order (`--enable-v2`).
    pub v2_events: Vec<crate::v2store::Event>,
}

/// The state database: one open `member/snap/db` environment and every domain store in it
/// (etcd's backend with its buckets).
///
/// heed database handles belong to the environment they were opened in, so online
/// defragmentation (which closes the environment and opens the compacted file) rebuilds
/// the whole `StateDb`. Reach it through [`StateStore::backend`], a short-lived read guard.
pub struct StateDb {
    /// The `member/snap/db` environment.
    pub env: Env,
    /// The MVCC key-value store.
    pub kv: KvStore,
    /// The lease table.
    pub leases: LeaseStore,
    /// Active alarms.
    pub alarms: crate::alarm::AlarmStore,
    /// Published member attributes.
    pub members: crate::membership::store::MemberStore,
    /// The replicated auth store.
    pub auth: crate::auth::store::AuthStore,
    /// The v2 keys store.
    pub v2: crate::v2store::store::V2Store,
    /// The `raft_state` database: the Raft apply state (last applied log id under
    /// [`schema::RAFT_APPLIED`], membership under [`schema::RAFT_MEMBERSHIP`]), written by the state machine
    /// in the same write transaction as the entries it applies. Values are opaque here.
    pub raft_state: Database<'static, Str, Bytes>,
}

impl StateDb {
    /// Opens (creating) the environment in `dir` and every database of it.
    ///
    /// # Errors
    /// Storage errors.
    pub fn open(dir: &Path) -> Result<StateDb, crate::mvcc::MvccError> {
        let env = open_env(dir, EnvKind::StateDeferredSync).map_err(storage_to_mvcc)?;
        let kv = KvStore::open(&env)?;
        let leases =
            LeaseStore::open(&env).map_err(|e| crate::mvcc::MvccError::Corrupt(e.to_string()))?;
        let alarms = crate::alarm::AlarmStore::open(&env)?;
        let members = crate::membership::store::MemberStore::open(&env)?;
        let auth = crate::auth::store::AuthStore::open(&env)
            .map_err(|e| crate::mvcc::MvccError::Corrupt(e.to_string()))?;
        let raft_state =
            schema::create_tables(&env, |c| c.create::<Str, Bytes>(&schema::RAFT_STATE))?;
        let v2 = crate::v2store::store::V2Store::open(&env)?;
        Ok(StateDb {
            env,
            kv,
            leases,
            alarms,
            members,
            auth,
            raft_state,
            v2,
        })
    }

    /// The replicated stores, for apply.
    pub fn stores(&self) -> Stores {
        Stores {
            kv: self.kv,
            leases: self.leases,
            alarms: self.alarms,
            members: self.members,
            auth: self.auth,
            v2: self.v2,
        }
    }

    /// Forgets the Raft apply state (last applied log id, membership and removed members)
    /// while keeping every key, lease and revision: `snapshot restore` starts a new Raft log
    /// at index 0 over the restored data, so nothing of the old log may count as applied.
    /// Returns the store's current revision.
    ///
    /// # Errors
    /// Storage errors.
    pub fn reset_raft_state(&self) -> Result<i64, crate::mvcc::MvccError> {
        let mut wtxn = self.env.write_txn()?;
        self.raft_state
            .delete(&mut wtxn, schema::RAFT_APPLIED.key)?;
        self.raft_state
            .delete(&mut wtxn, schema::RAFT_MEMBERSHIP.key)?;
        // etcd's restore trims `members_removed` with the rest of the old membership.
        self.raft_state
            .delete(&mut wtxn, schema::RAFT_MEMBERS_REMOVED.key)?;
        let rev = self.kv.current_revision(&wtxn)?;
        wtxn.commit()?;
        Ok(rev)
    }
}

/// The swappable backend: `None` only if a defragmentation failed to reopen the file.
/// `corrupt` counts damaged records found (see [`StateStore::note_corrupt`]).
struct StateCell(RwLock<Option<StateDb>>, watch::Sender<u64>);

impl StateCell {
    fn read(&self) -> Result<StateDbGuard<'_>, heed::Error> {
        let guard = self.0.read().unwrap_or_else(|p| p.into_inner());
        if guard.is_none() {
            return Err(heed::Error::Io(std::io::Error::other(
                "state backend unavailable: reopening after defragmentation failed",
            )));
        }
        Ok(StateDbGuard(guard))
    }

    fn write(&self) -> RwLockWriteGuard<'_, Option<StateDb>> {
        self.0.write().unwrap_or_else(|p| p.into_inner())
    }
}

impl KvSource for StateCell {
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

/// A read guard on the current [`StateDb`]. Hold it only for one synchronous piece of work
/// (it is `!Send`, so it cannot be held across an `.await` in a spawned task): while any
/// guard lives, a defragmentation waits, and while one runs, new guards wait.
pub struct StateDbGuard<'a>(RwLockReadGuard<'a, Option<StateDb>>);

impl std::ops::Deref for StateDbGuard<'_> {
    type Target = StateDb;

    fn deref(&self) -> &StateDb {
        self.0
            .as_ref()
            .expect("invariant: StateCell::read checked the backend is present")
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
    backend: Arc<StateCell>,
    dir: PathBuf,
    /// Latest applied store revision, updated after each committed batch.
    revision_tx: watch::Sender<i64>,
    /// How many times a damaged record (CRC-32C mismatch) was found; the server raises
    /// etcd's CORRUPT alarm on each change while it is not active.
    corrupt_tx: watch::Sender<u64>,
    /// The watch hub: told about every applied batch, in order.
    pub watch: Arc<WatchableStore>,
    /// Simple tokens known to this member (in memory; filled by applied Authenticates).
    pub tokens: Arc<crate::auth::token::SimpleTokens>,
    /// Unified range permissions per user for the read path.
    pub perm_cache: crate::auth::perms::PermCache,
    /// The v2 event history and `wait=true` watchers (`--enable-v2`).
    pub v2_hub: Arc<crate::v2store::watcher_hub::WatcherHub>,
    /// Where applied results go to the proposers waiting on this member (set once).
    apply_trigger: std::sync::OnceLock<ApplyTrigger>,
    /// `--experimental-warning-apply-duration` in nanoseconds: an applied request slower than
    /// this is logged and counted in `etcd_server_slow_apply_total` (etcd's
    /// `warnOfExpensiveRequest`). Default 100 ms.
    warning_apply_nanos: std::sync::atomic::AtomicU64,
}

/// Hands an applied request's result to the proposer waiting for it on this member (etcd's
/// `wait.Trigger`), called with the request ID and its result once its batch is committed
/// and published; returns the result back when nobody here waits for that ID. The result
/// reaches the proposer straight from the state machine, without waiting for Raft's core
/// to pass it on (which may be busy with the next log append and its fsync).
pub type ApplyTrigger = Box<dyn Fn(u64, ApplyResult) -> Option<ApplyResult> + Send + Sync>;

impl StateStore {
    /// Opens (creating) the state environment at `dir` (`<data-dir>/member/snap/db`: one
    /// file; a directory there from the previous layout is used as it is).
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
        let backend = StateDb::open(&dir)?;
        let rev = {
            let rtxn = backend.env.read_txn()?;
            backend.kv.report_restored(&rtxn)?;
            backend.kv.current_revision(&rtxn)?
        };
        let corrupt_tx = watch::channel(0).0;
        let cell = Arc::new(StateCell(RwLock::new(Some(backend)), corrupt_tx.clone()));
        let (revision_tx, _) = watch::channel(rev);
        let watch = WatchableStore::new(cell.clone(), rev);
        Ok(Arc::new(StateStore {
            backend: cell,
            dir,
            revision_tx,
            corrupt_tx,
            watch,
            tokens: Arc::new(crate::auth::token::SimpleTokens::new(token_ttl)),
            perm_cache: crate::auth::perms::PermCache::default(),
            v2_hub: Arc::default(),
            apply_trigger: std::sync::OnceLock::new(),
            warning_apply_nanos: std::sync::atomic::AtomicU64::new(100_000_000),
        }))
    }

    /// Sets `--experimental-warning-apply-duration` (see [`StateStore::warning_apply_duration`]).
    pub fn set_warning_apply_duration(&self, d: std::time::Duration) {
        let nanos = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        self.warning_apply_nanos
            .store(nanos, std::sync::atomic::Ordering::Relaxed);
    }

    /// How long one applied request may take before it is reported as slow.
    pub fn warning_apply_duration(&self) -> std::time::Duration {
        std::time::Duration::from_nanos(
            self.warning_apply_nanos
                .load(std::sync::atomic::Ordering::Relaxed),
        )
    }

    /// A read guard on the current backend (environment and database handles). Keep it
    /// short: open a transaction, read, drop both; never hold it across an `.await`.
    ///
    /// # Errors
    /// Only after a defragmentation failed to reopen the database file.
    pub fn backend(&self) -> Result<StateDbGuard<'_>, heed::Error> {
        self.backend.read()
    }

    /// Sets where applied results go (see [`ApplyTrigger`]); only the first call counts.
    pub fn set_apply_trigger(&self, trigger: ApplyTrigger) {
        let _ = self.apply_trigger.set(trigger);
    }

    /// Offers the result of applied request `id` to its waiting proposer ([`ApplyTrigger`]);
    /// the result comes back when nobody waits for it here.
    pub fn trigger(&self, id: u64, result: ApplyResult) -> Option<ApplyResult> {
        match self.apply_trigger.get() {
            Some(t) => t(id, result),
            None => Some(result),
        }
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

    /// Flushes the backend to disk (`fsync`): the environment defers its meta-page syncs (see
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
        std::fs::metadata(data_file(&self.dir))
            .map(|m| m.len())
            .unwrap_or(0)
    }

    /// An upper bound of [`StateStore::db_size_in_use`], in bytes, without a transaction:
    /// the pages up to the last one the last commit used (LMDB's high-water mark; free pages
    /// below it are counted too). The quota check on every write compares this first and
    /// computes the exact figure only near the quota.
    pub fn db_size_upper_bound(&self) -> u64 {
        let Ok(b) = self.backend() else {
            return u64::MAX;
        };
        let info = b.env.info();
        let page = u64::from(b.env.unnamed_database_stat().page_size);
        (info.last_page_number as u64 + 1).saturating_mul(page)
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
        total +=
            b.v2.database()
                .stat(&rtxn)
                .map(|s| s.non_free_page_size() as u64)
                .unwrap_or(0);
        total += b
            .raft_state
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
            *guard = Some(StateDb::open(&self.dir).map_err(mvcc_to_storage)?);
            return Err(crate::storage::StorageError::Corrupt(
                "state backend was unavailable; reopened".into(),
            ));
        };
        #[cfg(feature = "failpoints")]
        if fail::eval("defragBeforeCopy", |_| ()).is_some() {
            *guard = Some(old);
            return Err(crate::storage::StorageError::Corrupt(
                "failpoint defragBeforeCopy".into(),
            ));
        }
        // Copy first while the old backend is intact: on failure, put it back.
        if let Err(e) = crate::storage::snapshot::compact_copy(&old.env, &self.dir) {
            let _ = crate::storage::snapshot::remove_stale_defrag(&self.dir);
            *guard = Some(old);
            return Err(e);
        }
        #[cfg(feature = "failpoints")]
        if fail::eval("defragBeforeRename", |_| ()).is_some() {
            let _ = crate::storage::snapshot::remove_stale_defrag(&self.dir);
            *guard = Some(old);
            return Err(crate::storage::StorageError::Corrupt(
                "failpoint defragBeforeRename".into(),
            ));
        }
        let swapped = crate::storage::snapshot::close_and_swap(old.env, &self.dir);
        // Reopen whichever file is now `data.mdb` (the old one if the swap failed early).
        let reopened = StateDb::open(&self.dir).map_err(mvcc_to_storage);
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

    /// The state environment's path (`<data-dir>/member/snap/db`, see
    /// `storage::backend::EnvLayout`); its siblings in `member/snap/` hold Raft snapshots.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Publishes a committed batch to readers and watchers: the new revision first, then
    /// the events to the watch hub.
    pub fn publish(&self, batch: AppliedBatch) {
        self.revision_tx.send_replace(batch.revision);
        self.watch.notify(batch.revision, &batch.events);
        self.v2_hub.notify(&batch.v2_events);
    }

    /// Publishes the revision of a wholly replaced state (an installed snapshot) to readers,
    /// and to the watch hub, whose synced watchers then catch up from storage over the
    /// revisions the snapshot brought ([`WatchableStore::restore`]).
    pub fn publish_installed(&self, revision: i64) {
        self.revision_tx.send_replace(revision);
        self.watch.restore(revision);
        self.v2_hub.reset();
    }
}

impl StateDb {
    /// Applies one request ([`super::apply_request`]) straight in the batch's `wtxn`, without
    /// a nested transaction (the fast path of a batch apply). `Ok(None)` when the request met
    /// a failure that [`StateDb::apply_isolated`] rolls back alone (a damaged record, a storage
    /// error its input caused): `wtxn` then holds part of the request's writes and must be
    /// aborted, and the batch applied again through [`StateDb::apply_isolated`].
    ///
    /// # Errors
    /// Any other storage failure ([`ApplyFailure`]): fatal for the member.
    pub fn apply_direct(
        &self,
        wtxn: &mut heed::RwTxn,
        req: &InternalRaftRequest,
        events: &mut Vec<Event>,
    ) -> Result<Option<ApplyResult>, ApplyFailure> {
        match super::apply_request(&self.stores(), wtxn, req, events) {
            Ok(r) => Ok(Some(r)),
            Err(f) if f.checksum().is_some() || f.is_input_caused() => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Applies one request ([`super::apply_request`]) in a nested transaction of the
    /// batch's `wtxn`: a failure its input caused (see [`ApplyFatal::is_input_caused`]) rolls
    /// back this request alone and becomes the deterministic [`ApplyError::RequestTooLarge`];
    /// a damaged record rolls it back as [`ApplyError::Corrupt`]; `events` receives the
    /// request's events only if it applied.
    ///
    /// # Errors
    /// Any other storage failure ([`ApplyFailure`]): fatal for the member.
    pub fn apply_isolated(
        &self,
        wtxn: &mut heed::RwTxn,
        req: &InternalRaftRequest,
        events: &mut Vec<Event>,
    ) -> Result<ApplyResult, ApplyFailure> {
        let stores = self.stores();
        let mut own_events = Vec::new();
        let mut nested = self.env.nested_write_txn(wtxn)?;
        match super::apply_request(&stores, &mut nested, req, &mut own_events) {
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
                Ok(ApplyResult {
                    revision: self.kv.current_revision(wtxn)?,
                    response: None,
                    error: Some(ApplyError::Corrupt),
                })
            }
            Err(e) if e.is_input_caused() => {
                nested.abort();
                tracing::warn!(error = %e, "apply: request refused by storage limits, rolled back");
                Ok(ApplyResult {
                    revision: self.kv.current_revision(wtxn)?,
                    response: None,
                    error: Some(ApplyError::RequestTooLarge),
                })
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// What an applied auth request does to this member's in-memory simple tokens, applied
/// after the batch commits (etcd's token provider calls in `auth/store.go`).
pub enum TokenEffect {
    /// A successful Authenticate: the token now names the user.
    Assign {
        /// The simple token.
        token: String,
        /// Its user.
        user: String,
    },
    /// A user deleted or its password changed: its tokens end.
    InvalidateUser(String),
    /// Auth disabled: every token ends.
    Clear,
}

impl TokenEffect {
    /// The effect of request `req` that applied with result `r`, if any (none for a failed
    /// request).
    pub fn of(req: &InternalRaftRequest, r: &ApplyResult) -> Option<TokenEffect> {
        if r.error.is_some() {
            return None;
        }
        if let (Some(a), Some(ApplyResponse::Auth(super::auth::AuthApplyResponse::Token(t)))) =
            (&req.authenticate, &r.response)
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

    /// Carries the effect out on this member's tokens (after the batch committed).
    pub fn apply(self, tokens: &crate::auth::token::SimpleTokens) {
        match self {
            TokenEffect::Assign { token, user } => tokens.assign(&token, &user),
            TokenEffect::InvalidateUser(u) => tokens.invalidate_user(&u),
            TokenEffect::Clear => tokens.clear(),
        }
    }
}

/// Failures of the state machine's own I/O (never request failures, which are results):
/// fatal for the member.
#[derive(Debug, thiserror::Error)]
pub enum ApplyFailure {
    /// LMDB failed.
    #[error("state machine storage: {0}")]
    Heed(#[from] heed::Error),
    /// The MVCC store failed.
    #[error("state machine: {0}")]
    Mvcc(#[from] crate::mvcc::MvccError),
    /// A domain store failed while applying.
    #[error("state machine: {0}")]
    Apply(#[from] ApplyFatal),
    /// Encoding the Raft apply state, or a snapshot file operation, failed.
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

    /// An installed snapshot brings revisions that were never published event by event: a
    /// synced watcher behind them catches up from storage (etcd's `watchableStore.Restore`),
    /// with `prev_kv`; one waiting for a later revision stays synced and gets nothing early.
    /// Regression: robustness `snapshot_catchup` seed 700187 (a follower's watcher skipped the
    /// 27 revisions its member installed).
    #[test]
    fn an_installed_state_catches_synced_watchers_up() {
        let dir = tempfile::tempdir().unwrap();
        let store = StateStore::open(dir.path().to_path_buf()).unwrap();
        let put = |value: &[u8]| {
            let b = store.backend().unwrap();
            let mut wtxn = b.env.write_txn().unwrap();
            {
                let mut w = b.kv.write(&mut wtxn).unwrap();
                w.put(b"k", value, 0).unwrap();
                w.end();
            }
            let rev = b.kv.current_revision(&wtxn).unwrap();
            wtxn.commit().unwrap();
            rev
        };
        let first = put(b"v1");
        store.watch.notify(first, &[]);
        let spec = |watch_id| WatcherSpec {
            watch_id,
            range: KeyRange::From(Vec::new()),
            no_put: false,
            no_delete: false,
            prev_kv: true,
            progress_notify: false,
        };
        let (tx, mut rx) = tokio::sync::mpsc::channel(8);
        store.watch.watch(spec(1), first + 1, tx);
        let (later_tx, mut later_rx) = tokio::sync::mpsc::channel(8);
        store.watch.watch(spec(2), first + 10, later_tx);
        assert_eq!(store.watch.counts(), (2, 0), "both synced");
        // What an install does: revisions written without a notification, then published.
        let installed: Vec<i64> = [b"v2", b"v3", b"v4"].iter().map(|v| put(*v)).collect();
        let last = *installed.last().unwrap();
        store.publish_installed(last);
        assert_eq!(
            store.watch.counts(),
            (1, 1),
            "the watcher behind is unsynced"
        );
        store.watch.sync_watchers().unwrap();
        let resp = rx.try_recv().unwrap();
        let got: Vec<(i64, Vec<u8>, i64)> = resp
            .events
            .iter()
            .map(|e| {
                let kv = e.kv.as_ref().unwrap();
                let prev = e.prev_kv.as_ref().unwrap();
                (kv.mod_revision, kv.value.clone(), prev.mod_revision)
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (installed[0], b"v2".to_vec(), first),
                (installed[1], b"v3".to_vec(), installed[0]),
                (installed[2], b"v4".to_vec(), installed[1]),
            ]
        );
        assert_eq!(store.watch.counts(), (2, 0), "caught up, synced again");
        assert!(later_rx.try_recv().is_err(), "nothing before its start");
        assert_eq!(store.watch.current_revision(), last);
    }

    /// A damaged lease record met by apply rolls the request back as `corrupt cluster`
    /// (the CORRUPT alarm's path) instead of stopping the member.
    #[test]
    fn damaged_lease_record_in_apply_is_corrupt_not_fatal() {
        let dir = tempfile::tempdir().unwrap();
        let store = StateStore::open(dir.path().to_path_buf()).unwrap();
        let b = store.backend().unwrap();
        let grant = crate::pb::peer::InternalRaftRequest {
            lease_grant: Some(crate::pb::etcdserverpb::LeaseGrantRequest { ttl: 60, id: 7 }),
            ..Default::default()
        };
        let mut wtxn = b.env.write_txn().unwrap();
        let r = b
            .apply_isolated(&mut wtxn, &grant, &mut Vec::new())
            .unwrap();
        assert_eq!(r.error, None);
        wtxn.commit().unwrap();
        crate::storage::record::flip_stored_values(&b.env, b.leases.records_database());
        let mut wtxn = b.env.write_txn().unwrap();
        let r = b
            .apply_isolated(&mut wtxn, &grant, &mut Vec::new())
            .unwrap();
        assert_eq!(r.error, Some(ApplyError::Corrupt));
        assert!(r.response.is_none());
    }

    /// Online defrag shrinks `data.mdb` after delete + compaction, keeps data, revision
    /// and the applied log id, and readers (including the watch hub's catch-up) use the
    /// reopened environment.
    #[tokio::test]
    async fn online_defrag_shrinks_and_keeps_state() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("db");
        let store = StateStore::open(db.clone()).unwrap();
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
            b.raft_state
                .put(&mut wtxn, schema::RAFT_APPLIED.key, b"applied log id 42")
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
        assert!(db.is_file(), "the state env is one file");
        assert!(!crate::storage::snapshot::defrag_tmp(&db).exists());

        {
            let b = store.backend().unwrap();
            let rtxn = b.env.read_txn().unwrap();
            assert_eq!(
                b.raft_state.get(&rtxn, schema::RAFT_APPLIED.key).unwrap(),
                Some(&b"applied log id 42"[..])
            );
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
}
