//! The Raft state machine on heed: applies committed entries to the MVCC store in
//! `member/snap/db`, one LMDB write transaction per batch, recording the last applied log
//! id and membership in the same transaction (so applied state and its log id never
//! disagree after a crash).
//!
//! Snapshots are consistent compacting copies of the environment.

use std::io::Cursor;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use heed::types::{Bytes, Str};
use heed::{CommitOrAbort, Database};
use openraft::storage::{RaftSnapshotBuilder, RaftStateMachine, Snapshot};
use openraft::{
    Entry, EntryPayload, ErrorSubject, ErrorVerb, LogId, SnapshotMeta, StorageError, StoredMembership,
};
use tokio::sync::watch;

use super::log_store::run_blocking;
use super::{io_err, TypeConfig};
use crate::apply::{self, ApplyResult};
use crate::membership::Member;
use crate::lease::LeaseStore;
use crate::mvcc::watchable_store::WatchableStore;
use crate::mvcc::KvStore;
use crate::pb::mvccpb::Event;
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

/// State shared between the state machine and the server's read path.
pub struct StateStore {
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
    /// Simple tokens known to this member (in memory; filled by applied Authenticates).
    pub tokens: Arc<crate::auth::token::SimpleTokens>,
    /// Unified range permissions per user for the read path.
    pub perm_cache: crate::auth::perms::PermCache,
    meta: Database<'static, Str, Bytes>,
    dir: PathBuf,
    /// Latest applied store revision, updated after each committed batch.
    revision_tx: watch::Sender<i64>,
    /// The watch hub: told about every applied batch, in order.
    pub watch: Arc<WatchableStore>,
    current_snapshot: Mutex<Option<(SnapshotMeta<u64, Member>, Vec<u8>)>>,
}

impl StateStore {
    /// Opens (creating) the state environment in `dir` (`<data-dir>/member/snap/db`).
    ///
    /// # Errors
    /// Storage errors.
    pub fn open(dir: PathBuf) -> Result<Arc<StateStore>, crate::mvcc::MvccError> {
        StateStore::open_with(dir, std::time::Duration::from_secs(crate::auth::token::DEFAULT_TOKEN_TTL_SECS))
    }

    /// Like [`StateStore::open`], with simple tokens living `token_ttl` after their last use
    /// (`--auth-token-ttl`).
    ///
    /// # Errors
    /// Storage errors.
    pub fn open_with(dir: PathBuf, token_ttl: std::time::Duration) -> Result<Arc<StateStore>, crate::mvcc::MvccError> {
        let env = open_env(&dir, EnvKind::State).map_err(storage_to_mvcc)?;
        let kv = KvStore::open(&env)?;
        let leases = LeaseStore::open(&env).map_err(|e| crate::mvcc::MvccError::Corrupt(e.to_string()))?;
        let alarms = apply::alarm::AlarmStore::open(&env)?;
        let members = crate::membership::store::MemberStore::open(&env)?;
        let auth = crate::auth::store::AuthStore::open(&env).map_err(|e| crate::mvcc::MvccError::Corrupt(e.to_string()))?;
        let wtxn = env.write_txn()?;
        let committed = env.create_databases_and_commit(wtxn, |opener, wtxn| -> Result<_, heed::Error> {
            let meta = opener.create_database::<Str, Bytes>(wtxn, Some(RAFT_STATE_DB))?;
            Ok(CommitOrAbort::<_, ()>::Commit(meta))
        })?;
        let CommitOrAbort::Commit(meta) = committed else {
            return Err(crate::mvcc::MvccError::Corrupt("creating raft_state database aborted".into()));
        };
        let rtxn = env.read_txn()?;
        let rev = kv.current_revision(&rtxn)?;
        drop(rtxn);
        let (revision_tx, _) = watch::channel(rev);
        let watch = WatchableStore::new(env.clone(), kv, rev);
        Ok(Arc::new(StateStore {
            env,
            kv,
            leases,
            alarms,
            members,
            auth,
            tokens: Arc::new(crate::auth::token::SimpleTokens::new(token_ttl)),
            perm_cache: crate::auth::perms::PermCache::default(),
            meta,
            dir,
            revision_tx,
            watch,
            current_snapshot: Mutex::new(None),
        }))
    }

    /// The replicated stores, for apply.
    pub fn stores(&self) -> apply::Stores {
        apply::Stores { kv: self.kv, leases: self.leases, alarms: self.alarms, members: self.members, auth: self.auth }
    }

    /// Subscribes to the latest applied store revision.
    pub fn subscribe_revision(&self) -> watch::Receiver<i64> {
        self.revision_tx.subscribe()
    }

    /// Size of the database file in bytes (etcd's `db_size`).
    pub fn db_size(&self) -> u64 {
        std::fs::metadata(self.dir.join("data.mdb")).map(|m| m.len()).unwrap_or(0)
    }

    /// Bytes of the database in use (etcd's `db_size_in_use`): pages holding data in every
    /// database plus LMDB's two meta pages. Free pages (reusable after compaction) are not
    /// counted.
    pub fn db_size_in_use(&self) -> u64 {
        let Ok(rtxn) = self.env.read_txn() else { return 0 };
        let mut total = 2 * 4096u64;
        total += self.kv.size_in_use(&rtxn).unwrap_or(0);
        total += self.leases.size_in_use(&rtxn).unwrap_or(0);
        total += self.meta.stat(&rtxn).map(|s| s.non_free_page_size() as u64).unwrap_or(0);
        total
    }

    fn read_meta<T: serde::de::DeserializeOwned>(
        &self,
        txn: &heed::RoTxn,
        key: &str,
    ) -> Result<Option<T>, StorageError<u64>> {
        let raw = self
            .meta
            .get(txn, key)
            .map_err(|e| io_err(ErrorSubject::StateMachine, ErrorVerb::Read, e))?;
        raw.map(|b| postcard::from_bytes(b))
            .transpose()
            .map_err(|e| io_err(ErrorSubject::StateMachine, ErrorVerb::Read, e))
    }

    fn applied_state_in(
        &self,
        txn: &heed::RoTxn,
    ) -> Result<(Option<LogId<u64>>, StoredMembership<u64, Member>), StorageError<u64>> {
        let applied: Option<LogId<u64>> = self.read_meta::<Option<LogId<u64>>>(txn, META_APPLIED)?.flatten();
        let membership = self.read_meta(txn, META_MEMBERSHIP)?.unwrap_or_default();
        Ok((applied, membership))
    }

    /// The last applied log id and membership as persisted.
    ///
    /// # Errors
    /// Storage errors.
    pub fn applied_state(&self) -> Result<(Option<LogId<u64>>, StoredMembership<u64, Member>), StorageError<u64>> {
        let rtxn = self
            .env
            .read_txn()
            .map_err(|e| io_err(ErrorSubject::StateMachine, ErrorVerb::Read, e))?;
        self.applied_state_in(&rtxn)
    }

    /// Applies a batch of entries in one write transaction (blocking; call off the async
    /// workers).
    fn apply_batch(&self, entries: Vec<Entry<TypeConfig>>) -> Result<(Vec<ApplyResult>, AppliedBatch), ApplyFailure> {
        let started = Instant::now();
        let mut wtxn = self.env.write_txn()?;
        let mut results = Vec::with_capacity(entries.len());
        let mut events = Vec::new();
        let mut last_applied = None;
        let mut token_effects = Vec::new();
        for entry in entries {
            last_applied = Some(entry.log_id);
            match entry.payload {
                EntryPayload::Blank => {
                    let revision = self.kv.current_revision(&wtxn)?;
                    results.push(ApplyResult { revision, ..Default::default() });
                }
                EntryPayload::Normal(req) => {
                    let r = apply::apply_request(&self.stores(), &mut wtxn, &req, &mut events)?;
                    if let Some(effect) = TokenEffect::of(&req, &r) {
                        token_effects.push(effect);
                    }
                    results.push(r);
                }
                EntryPayload::Membership(m) => {
                    let stored = StoredMembership::new(Some(entry.log_id), m);
                    let bytes = postcard::to_stdvec(&stored).map_err(|e| ApplyFailure::Encode(e.to_string()))?;
                    self.meta.put(&mut wtxn, META_MEMBERSHIP, &bytes)?;
                    let revision = self.kv.current_revision(&wtxn)?;
                    results.push(ApplyResult { revision, ..Default::default() });
                }
            }
        }
        let bytes = postcard::to_stdvec(&last_applied).map_err(|e| ApplyFailure::Encode(e.to_string()))?;
        self.meta.put(&mut wtxn, META_APPLIED, &bytes)?;
        let revision = self.kv.current_revision(&wtxn)?;
        wtxn.commit()?;
        for effect in token_effects {
            effect.apply(&self.tokens);
        }
        crate::observability::metrics().backend_commit_duration.observe(started.elapsed().as_secs_f64());
        Ok((results, AppliedBatch { revision, events }))
    }

    /// Publishes a committed batch to readers and watchers.
    fn publish(&self, batch: AppliedBatch) {
        self.revision_tx.send_replace(batch.revision);
        self.watch.notify(batch.revision, &batch.events);
    }

    /// Makes a consistent compacting copy of the environment and reads the applied state
    /// recorded inside the copy, so the snapshot's meta matches its contents exactly.
    fn build_snapshot_blocking(&self) -> Result<(SnapshotMeta<u64, Member>, Vec<u8>), ApplyFailure> {
        let tmp = self.dir.with_file_name(format!("snapshot.tmp.{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(&tmp).map_err(|e| ApplyFailure::Encode(e.to_string()))?;
        let path = tmp.join("data.mdb");
        self.env.copy_to_path(&path, heed::CompactionOption::Enabled)?;
        let data = std::fs::read(&path).map_err(|e| ApplyFailure::Encode(e.to_string()))?;
        let copy = open_env(&tmp, EnvKind::State).map_err(|e| ApplyFailure::Encode(e.to_string()))?;
        let (applied, membership) = {
            let rtxn = copy.read_txn()?;
            let opened = copy.open_databases_and_commit(rtxn, |opener, rtxn| -> Result<_, heed::Error> {
                Ok(CommitOrAbort::<_, ()>::Commit(opener.open_database::<Str, Bytes>(rtxn, Some(RAFT_STATE_DB))?))
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
        let _ = std::fs::remove_dir_all(&tmp);
        let snapshot_id = match applied {
            Some(l) => format!("{}-{}-{}", l.leader_id.term, l.index, rand::random::<u32>()),
            None => format!("0-0-{}", rand::random::<u32>()),
        };
        let meta = SnapshotMeta { last_log_id: applied, last_membership: membership, snapshot_id };
        Ok((meta, data))
    }

    /// Replaces the whole state with the snapshot's: every named database is cleared and
    /// refilled in one write transaction.
    fn install_snapshot_blocking(&self, data: &[u8]) -> Result<(), ApplyFailure> {
        let tmp = self.dir.with_file_name(format!("snapshot.install.{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(&tmp).map_err(|e| ApplyFailure::Encode(e.to_string()))?;
        std::fs::write(tmp.join("data.mdb"), data).map_err(|e| ApplyFailure::Encode(e.to_string()))?;
        let src = open_env(&tmp, EnvKind::State).map_err(|e| ApplyFailure::Encode(e.to_string()))?;
        {
            // Every named database of the snapshot: their names are the keys of the unnamed one.
            let rtxn = src.read_txn()?;
            let opened = src.open_databases_and_commit(rtxn, |opener, rtxn| -> Result<_, heed::Error> {
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
            let CommitOrAbort::Commit(NamedDbs { names, dbs: from_dbs }) = opened else {
                return Err(ApplyFailure::Encode("opening snapshot databases aborted".into()));
            };
            let wtxn = self.env.write_txn()?;
            let created = self.env.create_databases_and_commit(wtxn, |opener, wtxn| -> Result<_, heed::Error> {
                let mut to = Vec::new();
                for name in &names {
                    to.push(opener.create_database::<Bytes, Bytes>(wtxn, Some(name))?);
                }
                Ok(CommitOrAbort::<_, ()>::Commit(NamedDbs { names: Vec::new(), dbs: to }))
            })?;
            let CommitOrAbort::Commit(NamedDbs { dbs: to_dbs, .. }) = created else {
                return Err(ApplyFailure::Encode("creating databases aborted".into()));
            };
            let rtxn = src.read_txn()?;
            let mut wtxn = self.env.write_txn()?;
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
        let rtxn = self.env.read_txn()?;
        let rev = self.kv.current_revision(&rtxn)?;
        self.revision_tx.send_replace(rev);
        Ok(())
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
    fn of(req: &crate::pb::peer::InternalRaftRequest, r: &ApplyResult) -> Option<TokenEffect> {
        if r.error.is_some() {
            return None;
        }
        if let (Some(a), Some(apply::ApplyResponse::Auth(apply::auth::AuthApplyResponse::Token(t)))) = (&req.authenticate, &r.response) {
            return Some(TokenEffect::Assign { token: t.clone(), user: a.name.clone() });
        }
        if let Some(d) = &req.auth_user_delete {
            return Some(TokenEffect::InvalidateUser(d.name.clone()));
        }
        if let Some(c) = &req.auth_user_change_password {
            return Some(TokenEffect::InvalidateUser(c.name.clone()));
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
        NamedDbs { names: self.names, dbs: self.dbs.into_iter().map(|d| d.on_commit(token)).collect() }
    }
}

/// Failures of the state machine's own I/O (never request failures, which are results).
#[derive(Debug, thiserror::Error)]
enum ApplyFailure {
    #[error("state machine storage: {0}")]
    Heed(#[from] heed::Error),
    #[error("state machine: {0}")]
    Mvcc(#[from] crate::mvcc::MvccError),
    #[error("state machine: {0}")]
    Apply(#[from] apply::ApplyFatal),
    #[error("state machine encoding: {0}")]
    Encode(String),
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
        let (meta, data) = tokio::task::spawn_blocking(move || store.build_snapshot_blocking())
            .await
            .map_err(|e| io_err(ErrorSubject::Snapshot(None), ErrorVerb::Write, std::io::Error::other(e.to_string())))?
            .map_err(|e| io_err(ErrorSubject::Snapshot(None), ErrorVerb::Write, e))?;
        if let Ok(mut cur) = self.store.current_snapshot.lock() {
            *cur = Some((meta.clone(), data.clone()));
        }
        Ok(Snapshot { meta, snapshot: Box::new(Cursor::new(data)) })
    }
}

impl RaftStateMachine<TypeConfig> for StateMachine {
    type SnapshotBuilder = StateMachine;

    async fn applied_state(
        &mut self,
    ) -> Result<(Option<LogId<u64>>, StoredMembership<u64, Member>), StorageError<u64>> {
        self.store.applied_state()
    }

    async fn apply<I>(&mut self, entries: I) -> Result<Vec<ApplyResult>, StorageError<u64>>
    where
        I: IntoIterator<Item = Entry<TypeConfig>> + Send,
        I::IntoIter: Send,
    {
        let entries: Vec<_> = entries.into_iter().collect();
        let store = self.store.clone();
        let (results, batch) = tokio::task::spawn_blocking(move || store.apply_batch(entries))
            .await
            .map_err(|e| io_err(ErrorSubject::StateMachine, ErrorVerb::Write, std::io::Error::other(e.to_string())))?
            .map_err(|e| io_err(ErrorSubject::StateMachine, ErrorVerb::Write, e))?;
        self.store.publish(batch);
        Ok(results)
    }

    async fn get_snapshot_builder(&mut self) -> Self::SnapshotBuilder {
        self.clone()
    }

    async fn begin_receiving_snapshot(&mut self) -> Result<Box<Cursor<Vec<u8>>>, StorageError<u64>> {
        Ok(Box::new(Cursor::new(Vec::new())))
    }

    async fn install_snapshot(
        &mut self,
        meta: &SnapshotMeta<u64, Member>,
        snapshot: Box<Cursor<Vec<u8>>>,
    ) -> Result<(), StorageError<u64>> {
        let data = snapshot.into_inner();
        let store = self.store.clone();
        let data2 = data.clone();
        let sig = meta.signature();
        run_blocking(move || {
            store
                .install_snapshot_blocking(&data2)
                .map_err(|e| heed::Error::Io(std::io::Error::other(e.to_string())))
        })
        .await
        .map_err(|e| io_err(ErrorSubject::Snapshot(Some(sig)), ErrorVerb::Write, e))?;
        if let Ok(mut cur) = self.store.current_snapshot.lock() {
            *cur = Some((meta.clone(), data));
        }
        Ok(())
    }

    async fn get_current_snapshot(&mut self) -> Result<Option<Snapshot<TypeConfig>>, StorageError<u64>> {
        let cur = match self.store.current_snapshot.lock() {
            Ok(c) => c.clone(),
            Err(_) => None,
        };
        Ok(cur.map(|(meta, data)| Snapshot { meta, snapshot: Box::new(Cursor::new(data)) }))
    }
}
