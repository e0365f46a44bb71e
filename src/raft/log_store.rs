//! The Raft log: entries in append-only segment files under `member/wal/`
//! ([`crate::storage::segment_log`], one `fdatasync` per append batch, like etcd's WAL), the
//! vote, identity and purged log id in the small `member/wal` LMDB environment (written
//! rarely; each commit is synced).
//!
//! Group commit: [`RaftLogStorage::append`] writes the records (page cache) and returns; a
//! dedicated sync thread takes every append that arrived meanwhile, syncs once, and only then
//! fires openraft's flush callbacks, in order. So an entry openraft counts as persisted
//! survives kill -9 and power loss. A failed sync is never retried: the store refuses every
//! later append.
//!
//! Data dirs written before the segment files kept their entries in the LMDB `logs`
//! database; [`LogStore::open`] moves them into segment files (synced) and only then empties
//! the database, so a crash in between redoes the move from scratch.

use std::fmt::Debug;
use std::ops::RangeBounds;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use openraft::storage::{LogFlushed, LogState, RaftLogReader, RaftLogStorage};
use openraft::{Entry, ErrorSubject, ErrorVerb, LogId, StorageError, Vote};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::{io_err, TypeConfig};
use crate::storage::schema;
use crate::storage::segment_log::{self, SegmentLog};
use crate::storage::wal::{self, WalDbs};
use crate::storage::Env;

/// Work that must be done before log entries up to the given index are purged: the state
/// machine's applied state must cover that index (openraft 0.9 purges up to an incoming
/// snapshot as soon as it queues the snapshot's install, not when the install is done) and
/// be durable (its environment defers syncs), so a crash never leaves applied state older
/// than the oldest log entry kept.
pub type BeforePurge = std::sync::Arc<dyn Fn(u64) -> Result<(), heed::Error> + Send + Sync>;

/// A request to the sync thread.
enum SyncReq {
    /// Entries were written: sync, then tell openraft.
    Flush(LogFlushed<TypeConfig>),
    /// Answer once every earlier request was handled.
    Barrier(tokio::sync::oneshot::Sender<()>),
}

/// The Raft log store. Cloning shares the files, the environment and the sync thread.
#[derive(Clone)]
pub struct LogStore {
    env: Env,
    dbs: WalDbs,
    log: Arc<Mutex<SegmentLog>>,
    syncer: std::sync::mpsc::Sender<SyncReq>,
    /// Set once a sync failed (or a failpoint said so): every later append fails.
    failed: Arc<AtomicBool>,
    before_purge: std::sync::Arc<std::sync::OnceLock<BeforePurge>>,
}

/// Locks the segment log; a poisoned lock (a panic while holding it) is a storage error.
fn lock(log: &Mutex<SegmentLog>) -> Result<std::sync::MutexGuard<'_, SegmentLog>, std::io::Error> {
    log.lock()
        .map_err(|_| std::io::Error::other("raft log lock poisoned"))
}

impl LogStore {
    /// Opens the log store on the `member/wal` environment and the segment files in the
    /// same directory, moving entries left in the environment by an older version into
    /// segment files first.
    ///
    /// # Errors
    /// Storage errors from LMDB; [`crate::storage::StorageError::Damaged`] for damaged
    /// segment files (see [`crate::storage::segment_log`]).
    pub fn open(env: Env) -> Result<LogStore, crate::storage::StorageError> {
        use crate::storage::StorageError as SE;
        let dbs = WalDbs::open(&env)?;
        let dir = env.path().to_path_buf();
        let purged: Option<LogId<u64>> = {
            let rtxn = env.read_txn()?;
            dbs.meta
                .get(&rtxn, schema::WAL_LAST_PURGED.key)?
                .map(postcard::from_bytes)
                .transpose()
                .map_err(|e| SE::Corrupt(format!("raft log: purged log id: {e}")))?
        };
        migrate_from_lmdb(&env, &dbs, &dir)?;
        let log = SegmentLog::open(&dir, purged.map(|l| l.index))?;
        let log = Arc::new(Mutex::new(log));
        let failed = Arc::new(AtomicBool::new(false));
        let (tx, rx) = std::sync::mpsc::channel();
        {
            let log = log.clone();
            let failed = failed.clone();
            std::thread::Builder::new()
                .name("raft-log-sync".into())
                .spawn(move || sync_loop(rx, log, failed))
                .map_err(|source| SE::Io {
                    path: dir.display().to_string(),
                    source,
                })?;
        }
        Ok(LogStore {
            env,
            dbs,
            log,
            syncer: tx,
            failed,
            before_purge: Default::default(),
        })
    }

    /// Reads a postcard-encoded metadata value.
    fn read_meta<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, StorageError<u64>> {
        let rtxn = self
            .env
            .read_txn()
            .map_err(|e| io_err(ErrorSubject::Store, ErrorVerb::Read, e))?;
        let raw = self
            .dbs
            .meta
            .get(&rtxn, key)
            .map_err(|e| io_err(ErrorSubject::Store, ErrorVerb::Read, e))?;
        match raw {
            None => Ok(None),
            Some(b) => postcard::from_bytes(b)
                .map(Some)
                .map_err(|e| io_err(ErrorSubject::Store, ErrorVerb::Read, e)),
        }
    }

    /// Writes a postcard-encoded metadata value durably.
    async fn write_meta<T: Serialize>(
        &self,
        key: &'static str,
        value: &T,
    ) -> Result<(), StorageError<u64>> {
        let bytes = postcard::to_stdvec(value)
            .map_err(|e| io_err(ErrorSubject::Store, ErrorVerb::Write, e))?;
        let this = self.clone();
        run_blocking(move || {
            let mut wtxn = this.env.write_txn()?;
            this.dbs.meta.put(&mut wtxn, key, &bytes)?;
            wtxn.commit()
        })
        .await
        .map_err(|e| io_err(ErrorSubject::Store, ErrorVerb::Write, e))
    }

    /// Registers what must be made durable before any purge (set once).
    pub fn set_before_purge(&self, f: BeforePurge) {
        let _ = self.before_purge.set(f);
    }

    /// Reads the cluster identity stored at bootstrap: (cluster ID, member ID).
    ///
    /// # Errors
    /// Storage errors.
    pub fn identity(&self) -> Result<Option<(u64, u64)>, StorageError<u64>> {
        self.read_meta(schema::WAL_IDENTITY.key)
    }

    /// Persists the cluster identity (cluster ID, member ID) chosen at bootstrap.
    ///
    /// # Errors
    /// Storage errors.
    pub async fn save_identity(
        &self,
        cluster_id: u64,
        member_id: u64,
    ) -> Result<(), StorageError<u64>> {
        self.write_meta(schema::WAL_IDENTITY.key, &(cluster_id, member_id))
            .await
    }

    /// Reads and decodes the entries with index in `[start, end_incl]` that are held.
    fn read_range(
        &self,
        start: u64,
        end_incl: u64,
    ) -> Result<Vec<Entry<TypeConfig>>, std::io::Error> {
        let locs = lock(&self.log)?.locate(start, end_incl);
        let mut out = Vec::with_capacity(locs.len());
        for loc in &locs {
            let bytes = segment_log::read_at(loc)?;
            out.push(postcard::from_bytes(&bytes).map_err(std::io::Error::other)?);
        }
        Ok(out)
    }

    /// The last log id in the log, if any (ignores purged entries).
    fn last_log_id(&self) -> Result<Option<LogId<u64>>, std::io::Error> {
        let Some(last) = lock(&self.log)?.last_index() else {
            return Ok(None);
        };
        Ok(self.read_range(last, last)?.pop().map(|e| e.log_id))
    }

    /// Waits until every append handed to the sync thread so far was synced and reported.
    async fn sync_barrier(&self) {
        let (tx, rx) = tokio::sync::oneshot::channel();
        if self.syncer.send(SyncReq::Barrier(tx)).is_ok() {
            let _ = rx.await;
        }
    }
}

/// Moves entries an older version kept in the LMDB `logs` database into segment files: any
/// segment files present are from an unfinished move and are removed first; the database is
/// emptied only once the files are synced.
fn migrate_from_lmdb(
    env: &Env,
    dbs: &WalDbs,
    dir: &std::path::Path,
) -> Result<(), crate::storage::StorageError> {
    let records: Vec<(u64, Vec<u8>)> = {
        let rtxn = env.read_txn()?;
        if dbs.logs.first(&rtxn)?.is_none() {
            return Ok(());
        }
        let mut out = Vec::new();
        for item in dbs.logs.iter(&rtxn)? {
            let (k, v) = item?;
            let key: [u8; 8] = k.try_into().map_err(|_| {
                crate::storage::StorageError::Corrupt(format!("raft log key of {} bytes", k.len()))
            })?;
            out.push((u64::from_be_bytes(key), v.to_vec()));
        }
        out
    };
    segment_log::remove_segments(dir)?;
    let mut log = SegmentLog::open(dir, None)?;
    log.append(&records)?;
    log.take_unsynced()
        .sync()
        .map_err(|source| crate::storage::StorageError::Io {
            path: dir.display().to_string(),
            source,
        })?;
    drop(log);
    let mut wtxn = env.write_txn()?;
    dbs.logs.clear(&mut wtxn)?;
    wtxn.commit()?;
    tracing::info!(
        entries = records.len(),
        dir = %dir.display(),
        "raft log: moved entries from the LMDB environment into segment files"
    );
    Ok(())
}

/// The sync thread: one `fdatasync` round for every group of appends waiting, then their
/// callbacks in order.
fn sync_loop(
    rx: std::sync::mpsc::Receiver<SyncReq>,
    log: Arc<Mutex<SegmentLog>>,
    failed: Arc<AtomicBool>,
) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while let Ok(more) = rx.try_recv() {
            batch.push(more);
        }
        let started = std::time::Instant::now();
        let res: Result<(), std::io::Error> = (|| {
            if failed.load(Ordering::SeqCst) {
                return Err(std::io::Error::other("raft log failed earlier"));
            }
            let unsynced = lock(&log)?.take_unsynced();
            if unsynced.is_empty() {
                return Ok(());
            }
            fail::fail_point!("walBeforeSync", |_| Err(std::io::Error::other(
                "failpoint walBeforeSync"
            )));
            unsynced.sync()?;
            crate::observability::metrics()
                .wal_fsync_duration
                .observe(started.elapsed().as_secs_f64());
            fail::fail_point!("walAfterSync", |_| Err(std::io::Error::other(
                "failpoint walAfterSync"
            )));
            Ok(())
        })();
        if let Err(e) = &res {
            failed.store(true, Ordering::SeqCst);
            tracing::error!(error = %e, "raft log: sync failed; refusing further appends");
        }
        let mut flushed = false;
        for req in batch {
            match req {
                SyncReq::Flush(cb) => {
                    flushed = true;
                    cb.log_io_completed(match &res {
                        Ok(()) => Ok(()),
                        Err(e) => Err(std::io::Error::new(e.kind(), e.to_string())),
                    });
                }
                SyncReq::Barrier(tx) => {
                    let _ = tx.send(());
                }
            }
        }
        #[cfg(feature = "failpoints")]
        if flushed && fail::eval("raftAfterSave", |_| ()).is_some() {
            failed.store(true, Ordering::SeqCst);
        }
        let _ = flushed;
    }
}

/// What [`LogStore::force_new_cluster`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForcedCluster {
    /// The log id of the appended one-member membership entry.
    pub log_id: LogId<u64>,
    /// The members dropped from the membership (voters and learners), by ID.
    pub removed: Vec<u64>,
}

impl LogStore {
    /// etcd's `--force-new-cluster` restart (`restartAsStandaloneNode`), done once at
    /// bootstrap before Raft starts: appends (synced)
    /// a membership entry that keeps only `member_id` (same member ID, same node record) after
    /// the last log entry, under a new term of this member, and sets the vote to that term.
    /// The member then elects itself alone, and committing its first entry commits the new
    /// membership through the normal apply path (the state database records it; keys,
    /// revisions, leases and auth are untouched). Others are added back with `member add`.
    ///
    /// `applied` is the membership the state machine last applied, used when the log holds no
    /// membership entry (everything before was purged into a snapshot). A `member_id` that is
    /// not in it (the copy of `etcdctl backup`, which gets a new ID) joins as `new_self` and
    /// every member of the membership is removed, as etcd's `createConfigChangeEnts` adds
    /// self and removes the others. Departure: etcd adds it with the peer URL
    /// `http://localhost:2380` (to be fixed by `member update`); `new_self` carries the flags'
    /// name and advertised URLs.
    ///
    /// Departure from etcd: etcd drops WAL entries past its commit index; openraft does not
    /// persist the commit index here, so they are kept and get committed by the new leader
    /// (an entry that reached this log is never lost).
    ///
    /// Returns `None` (nothing written) for a log that was never initialized: as etcd, a
    /// fresh data dir ignores the flag and bootstraps normally.
    ///
    /// # Errors
    /// [`crate::storage::StorageError::Corrupt`] if a record does not decode; LMDB errors.
    pub fn force_new_cluster(
        &self,
        member_id: u64,
        applied: &openraft::StoredMembership<u64, crate::apply::Member>,
        new_self: &crate::apply::Member,
    ) -> Result<Option<ForcedCluster>, crate::storage::StorageError> {
        use crate::storage::StorageError as SE;
        let corrupt = |e: postcard::Error| SE::Corrupt(format!("raft log: {e}"));
        let io = |source: std::io::Error| SE::Io {
            path: self.env.path().display().to_string(),
            source,
        };
        let rtxn = self.env.read_txn()?;
        let vote: Option<Vote<u64>> = self
            .dbs
            .meta
            .get(&rtxn, schema::WAL_VOTE.key)?
            .map(postcard::from_bytes)
            .transpose()
            .map_err(corrupt)?;
        // Stored as a plain `LogId` (purge and `seed_converted` write it so).
        let purged: Option<LogId<u64>> = self
            .dbs
            .meta
            .get(&rtxn, schema::WAL_LAST_PURGED.key)?
            .map(postcard::from_bytes)
            .transpose()
            .map_err(corrupt)?;
        drop(rtxn);
        let mut last: Option<LogId<u64>> = None;
        let mut latest: Option<openraft::Membership<u64, crate::apply::Member>> = None;
        let locs = lock(&self.log).map_err(io)?.locate(0, u64::MAX);
        for loc in locs.iter().rev() {
            let bytes = segment_log::read_at(loc).map_err(io)?;
            let entry: Entry<TypeConfig> = postcard::from_bytes(&bytes).map_err(corrupt)?;
            if last.is_none() {
                last = Some(entry.log_id);
            }
            if let openraft::EntryPayload::Membership(m) = entry.payload {
                latest = Some(m);
                break;
            }
        }
        let Some(last) = last.or(purged) else {
            return Ok(None);
        };
        let membership = match latest {
            Some(m) => m,
            None => applied.membership().clone(),
        };
        // Not in its own membership: a backup given a new member ID (etcdctl's `backup`);
        // etcd's `createConfigChangeEnts` then adds it and removes every old member.
        let me = membership
            .get_node(&member_id)
            .cloned()
            .unwrap_or_else(|| new_self.clone());
        let removed: Vec<u64> = membership
            .nodes()
            .map(|(id, _)| *id)
            .filter(|id| *id != member_id)
            .collect();
        let term = vote
            .map_or(0, |v| v.leader_id().term)
            .max(last.leader_id.term)
            + 1;
        let log_id = LogId::new(
            openraft::CommittedLeaderId::new(term, member_id),
            last.index + 1,
        );
        let entry: Entry<TypeConfig> = Entry {
            log_id,
            payload: openraft::EntryPayload::Membership(openraft::Membership::new(
                vec![std::collections::BTreeSet::from([member_id])],
                std::collections::BTreeMap::from([(member_id, me)]),
            )),
        };
        let bytes = postcard::to_stdvec(&entry).map_err(corrupt)?;
        // The entry first, then the vote: a crash in between leaves the entry, and the
        // next --force-new-cluster start appends another one under a higher term.
        {
            let mut log = lock(&self.log).map_err(io)?;
            log.append(&[(log_id.index, bytes)])?;
            log.take_unsynced().sync().map_err(io)?;
        }
        let mut wtxn = self.env.write_txn()?;
        let vote = postcard::to_stdvec(&Vote::new(term, member_id)).map_err(corrupt)?;
        self.dbs.meta.put(&mut wtxn, schema::WAL_VOTE.key, &vote)?;
        wtxn.commit()?;
        Ok(Some(ForcedCluster { log_id, removed }))
    }
}

/// Seeds a fresh `member/wal` environment for a new cluster offline, as `Raft::initialize`
/// followed by `save_identity` would at a first start: the initial membership entry at log
/// id 0 (every member a voter) and the identity (cluster ID, member ID), in one write
/// transaction (the entry is moved into segment files when [`LogStore::open`] next opens the
/// directory). `snapshot restore` uses it so the restored member restarts (its flags then
/// no longer matter, as with etcd) instead of bootstrapping anew.
///
/// # Errors
/// [`crate::storage::StorageError::Corrupt`] if the environment already holds a log or an
/// identity; LMDB errors.
pub fn seed_new_cluster(
    env: &Env,
    cluster_id: u64,
    member_id: u64,
    members: std::collections::BTreeMap<u64, crate::apply::Member>,
) -> Result<(), crate::storage::StorageError> {
    use crate::storage::StorageError as SE;
    let dbs = WalDbs::open(env)?;
    let mut wtxn = env.write_txn()?;
    if dbs.logs.first(&wtxn)?.is_some()
        || dbs.meta.get(&wtxn, schema::WAL_IDENTITY.key)?.is_some()
        || segment_log::has_segments(env.path())
    {
        return Err(SE::Corrupt("wal already initialized".into()));
    }
    let voters: std::collections::BTreeSet<u64> = members.keys().copied().collect();
    let entry: Entry<TypeConfig> = Entry {
        log_id: LogId::default(),
        payload: openraft::EntryPayload::Membership(openraft::Membership::new(
            vec![voters],
            members,
        )),
    };
    let bytes = postcard::to_stdvec(&entry).map_err(|e| SE::Corrupt(e.to_string()))?;
    dbs.logs.put(&mut wtxn, &wal::index_key(0), &bytes)?;
    let identity =
        postcard::to_stdvec(&(cluster_id, member_id)).map_err(|e| SE::Corrupt(e.to_string()))?;
    dbs.meta
        .put(&mut wtxn, schema::WAL_IDENTITY.key, &identity)?;
    wtxn.commit()?;
    Ok(())
}

/// The log id this server gives an entry converted from etcd's log: etcd's entries carry a
/// term but no leader, so every member converts index `index` of term `term` to the same
/// `LogId { leader: (term, 0), index }` and their logs match after the conversion.
pub fn converted_log_id(term: u64, index: u64) -> LogId<u64> {
    LogId::new(openraft::CommittedLeaderId::new(term, 0), index)
}

/// Seeds a fresh `member/wal` environment offline from etcd's Raft state (start in place,
/// `etcd util import`): identity (cluster ID, member ID), the vote from etcd's `HardState`
/// (`term`, `vote`), and an empty log whose last purged log id is the applied one ([`converted_log_id`]), so the member restarts at etcd's applied index and a member
/// further behind is sent a snapshot. One write transaction.
///
/// # Errors
/// [`crate::storage::StorageError::Corrupt`] if the environment already holds a log or an
/// identity; LMDB errors.
pub fn seed_converted(
    env: &Env,
    cluster_id: u64,
    member_id: u64,
    hard_state: (u64, u64),
    applied: (u64, u64),
) -> Result<(), crate::storage::StorageError> {
    use crate::storage::StorageError as SE;
    let dbs = WalDbs::open(env)?;
    let mut wtxn = env.write_txn()?;
    if dbs.logs.first(&wtxn)?.is_some()
        || dbs.meta.get(&wtxn, schema::WAL_IDENTITY.key)?.is_some()
        || segment_log::has_segments(env.path())
    {
        return Err(SE::Corrupt("wal already initialized".into()));
    }
    let enc = |v: &dyn erased::Encode| v.encode().map_err(|e| SE::Corrupt(e.to_string()));
    let applied_id = converted_log_id(applied.0, applied.1);
    let vote = Vote::new(hard_state.0, hard_state.1);
    dbs.meta.put(
        &mut wtxn,
        schema::WAL_IDENTITY.key,
        &enc(&(cluster_id, member_id))?,
    )?;
    dbs.meta
        .put(&mut wtxn, schema::WAL_VOTE.key, &enc(&vote)?)?;
    dbs.meta
        .put(&mut wtxn, schema::WAL_LAST_PURGED.key, &enc(&applied_id)?)?;
    wtxn.commit()?;
    Ok(())
}

/// postcard encoding behind a trait object, for [`seed_converted`]'s mixed values.
mod erased {
    /// A value postcard can encode.
    pub(super) trait Encode {
        fn encode(&self) -> Result<Vec<u8>, postcard::Error>;
    }
    impl<T: serde::Serialize> Encode for T {
        fn encode(&self) -> Result<Vec<u8>, postcard::Error> {
            postcard::to_stdvec(self)
        }
    }
}

/// Runs LMDB work on tokio's blocking pool so fsyncs never stall the async workers.
pub(crate) async fn run_blocking<T, F>(f: F) -> Result<T, heed::Error>
where
    F: FnOnce() -> Result<T, heed::Error> + Send + 'static,
    T: Send + 'static,
{
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r,
        Err(join) => Err(heed::Error::Io(std::io::Error::other(join.to_string()))),
    }
}

impl RaftLogReader<TypeConfig> for LogStore {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + Send>(
        &mut self,
        range: RB,
    ) -> Result<Vec<Entry<TypeConfig>>, StorageError<u64>> {
        use std::ops::Bound;
        let start = match range.start_bound() {
            Bound::Included(&s) => s,
            Bound::Excluded(&s) => s.saturating_add(1),
            Bound::Unbounded => 0,
        };
        let end_incl = match range.end_bound() {
            Bound::Included(&e) => e,
            Bound::Excluded(&e) => match e.checked_sub(1) {
                Some(v) => v,
                None => return Ok(Vec::new()),
            },
            Bound::Unbounded => u64::MAX,
        };
        if start > end_incl {
            return Ok(Vec::new());
        }
        self.read_range(start, end_incl)
            .map_err(|e| io_err(ErrorSubject::Logs, ErrorVerb::Read, e))
    }
}

impl RaftLogStorage<TypeConfig> for LogStore {
    type LogReader = LogStore;

    async fn get_log_state(&mut self) -> Result<LogState<TypeConfig>, StorageError<u64>> {
        let last_purged_log_id: Option<LogId<u64>> = self.read_meta(schema::WAL_LAST_PURGED.key)?;
        let last = self
            .last_log_id()
            .map_err(|e| io_err(ErrorSubject::Logs, ErrorVerb::Read, e))?
            .or(last_purged_log_id);
        Ok(LogState {
            last_purged_log_id,
            last_log_id: last,
        })
    }

    async fn get_log_reader(&mut self) -> Self::LogReader {
        self.clone()
    }

    async fn save_vote(&mut self, vote: &Vote<u64>) -> Result<(), StorageError<u64>> {
        self.write_meta(schema::WAL_VOTE.key, vote).await
    }

    async fn read_vote(&mut self) -> Result<Option<Vote<u64>>, StorageError<u64>> {
        self.read_meta(schema::WAL_VOTE.key)
    }

    async fn append<I>(
        &mut self,
        entries: I,
        callback: LogFlushed<TypeConfig>,
    ) -> Result<(), StorageError<u64>>
    where
        I: IntoIterator<Item = Entry<TypeConfig>> + Send,
        I::IntoIter: Send,
    {
        let werr = |e: std::io::Error| io_err(ErrorSubject::Logs, ErrorVerb::Write, e);
        #[cfg(feature = "failpoints")]
        if fail::eval("raftBeforeSave", |_| ()).is_some() {
            let e = std::io::Error::other("failpoint raftBeforeSave");
            callback.log_io_completed(Err(std::io::Error::other(e.to_string())));
            return Err(werr(e));
        }
        if self.failed.load(Ordering::SeqCst) {
            let e = std::io::Error::other("raft log failed earlier");
            callback.log_io_completed(Err(std::io::Error::other(e.to_string())));
            return Err(werr(e));
        }
        let mut records = Vec::new();
        for e in entries {
            let bytes = postcard::to_stdvec(&e).map_err(|err| werr(std::io::Error::other(err)))?;
            records.push((e.log_id.index, bytes));
        }
        // Page-cache writes only; the sync thread makes them durable.
        let written = match lock(&self.log).and_then(|mut log| {
            log.append(&records)
                .map_err(|e| std::io::Error::other(e.to_string()))
        }) {
            Ok(n) => n,
            Err(e) => {
                self.failed.store(true, Ordering::SeqCst);
                callback.log_io_completed(Err(std::io::Error::other(e.to_string())));
                return Err(werr(e));
            }
        };
        // etcd's WAL counts the bytes of each record it writes (a gauge it only adds to):
        // here each record's frame and encoded entry.
        if let Some(g) =
            crate::observability::metrics().extra_gauge("etcd_disk_wal_write_bytes_total")
        {
            g.add(written as f64);
        }
        if let Err(std::sync::mpsc::SendError(SyncReq::Flush(cb))) =
            self.syncer.send(SyncReq::Flush(callback))
        {
            cb.log_io_completed(Err(std::io::Error::other("raft log sync thread gone")));
            return Err(werr(std::io::Error::other("raft log sync thread gone")));
        }
        Ok(())
    }

    async fn truncate(&mut self, log_id: LogId<u64>) -> Result<(), StorageError<u64>> {
        // No callback of an entry about to be removed may still be in flight.
        self.sync_barrier().await;
        let log = self.log.clone();
        run_blocking(move || {
            let mut log = lock(&log).map_err(heed::Error::Io)?;
            log.truncate_from(log_id.index)
                .map_err(|e| heed::Error::Io(std::io::Error::other(e.to_string())))
        })
        .await
        .map_err(|e| io_err(ErrorSubject::Logs, ErrorVerb::Delete, e))
    }

    async fn purge(&mut self, log_id: LogId<u64>) -> Result<(), StorageError<u64>> {
        if let Some(sync) = self.before_purge.get().cloned() {
            let upto = log_id.index;
            run_blocking(move || sync(upto))
                .await
                .map_err(|e| io_err(ErrorSubject::StateMachine, ErrorVerb::Write, e))?;
        }
        // The purge point is durable before any file goes.
        self.write_meta(schema::WAL_LAST_PURGED.key, &log_id)
            .await?;
        let log = self.log.clone();
        run_blocking(move || {
            let mut log = lock(&log).map_err(heed::Error::Io)?;
            log.purge_upto(log_id.index)
                .map_err(|e| heed::Error::Io(std::io::Error::other(e.to_string())))
        })
        .await
        .map_err(|e| io_err(ErrorSubject::Logs, ErrorVerb::Delete, e))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::apply::Member;
    use crate::storage::{open_env, EnvKind};

    fn member(name: &str) -> Member {
        Member {
            name: name.into(),
            peer_urls: vec![format!("http://{name}:2380")],
            client_urls: Vec::new(),
        }
    }

    /// `--force-new-cluster` on a 3-member log appends, after the last entry and under a new
    /// term of this member, a membership of this member alone (same node record), and votes
    /// for that term; a log that was never initialized is left alone; a member ID that is not
    /// in the membership (a backup's new ID) becomes its only member.
    #[test]
    fn force_new_cluster_appends_a_one_member_membership() {
        let dir = tempfile::tempdir().unwrap();
        let env = open_env(dir.path(), EnvKind::Wal).unwrap();
        let store = LogStore::open(env.clone()).unwrap();
        let none = openraft::StoredMembership::default();
        let new_self = member("new");
        assert_eq!(store.force_new_cluster(1, &none, &new_self).unwrap(), None);

        let members = std::collections::BTreeMap::from([
            (1, member("m1")),
            (2, member("m2")),
            (3, member("m3")),
        ]);
        drop(store);
        seed_new_cluster(&env, 7, 1, members).unwrap();
        // The seeded entry sits in LMDB until the next open moves it into segment files.
        let store = LogStore::open(env.clone()).unwrap();
        let forced = store
            .force_new_cluster(1, &none, &new_self)
            .unwrap()
            .unwrap();
        assert_eq!(forced.removed, vec![2, 3]);
        assert_eq!(forced.log_id.index, 1);
        assert_eq!(forced.log_id.leader_id.term, 1);
        let rtxn = env.read_txn().unwrap();
        assert!(
            store.dbs.logs.first(&rtxn).unwrap().is_none(),
            "moved out of LMDB"
        );
        drop(rtxn);
        drop(store);
        let store = LogStore::open(env.clone()).unwrap();
        let entry = store.read_range(1, 1).unwrap().pop().unwrap();
        let openraft::EntryPayload::Membership(m) = entry.payload else {
            panic!("not a membership entry");
        };
        assert_eq!(m.voter_ids().collect::<Vec<_>>(), vec![1]);
        assert_eq!(m.get_node(&1), Some(&member("m1")));
        assert_eq!(m.nodes().count(), 1);
        let vote: Vote<u64> = store.read_meta(schema::WAL_VOTE.key).unwrap().unwrap();
        assert_eq!(vote, Vote::new(1, 1));
        // A new ID (a backup's): added as `new_self`, every old member removed.
        let forced = store
            .force_new_cluster(9, &none, &new_self)
            .unwrap()
            .unwrap();
        assert_eq!(forced.removed, vec![1]);
        let entry = store
            .read_range(forced.log_id.index, forced.log_id.index)
            .unwrap()
            .pop()
            .unwrap();
        let openraft::EntryPayload::Membership(m) = entry.payload else {
            panic!("not a membership entry");
        };
        assert_eq!(m.voter_ids().collect::<Vec<_>>(), vec![9]);
        assert_eq!(m.get_node(&9), Some(&new_self));
    }

    /// Regression: `--force-new-cluster` on a log whose entries were all purged (a member
    /// converted from etcd's data dir: `seed_converted`) read the last purged id as an
    /// `Option` and failed with "Found an Option discriminant that wasn't 0 or 1"; it is
    /// stored as a plain log id. Reproduce: `etcdctl backup` of an etcd dir, then our server
    /// with `--force-new-cluster` on it (`it::ctl_v2::v2_backup_of_an_etcd_data_dir_matches_etcdctl`).
    #[test]
    fn force_new_cluster_after_every_entry_was_purged() {
        let dir = tempfile::tempdir().unwrap();
        let env = open_env(dir.path(), EnvKind::Wal).unwrap();
        seed_converted(&env, 7, 1, (3, 1), (2, 10)).unwrap();
        let store = LogStore::open(env).unwrap();
        let none = openraft::StoredMembership::default();
        let forced = store
            .force_new_cluster(1, &none, &member("m1"))
            .unwrap()
            .unwrap();
        assert_eq!(forced.log_id.index, 11);
        assert_eq!(forced.log_id.leader_id.term, 4);
    }

    fn blank(index: u64) -> Entry<TypeConfig> {
        Entry {
            log_id: LogId::new(openraft::CommittedLeaderId::new(2, 1), index),
            payload: openraft::EntryPayload::Blank,
        }
    }

    /// A data dir of the previous layout (entries in the LMDB `logs` database) opens with
    /// its entries, moved into segment files; an interrupted move (segment files AND LMDB
    /// entries) is redone from the LMDB copy.
    #[test]
    fn entries_in_lmdb_are_moved_into_segment_files() {
        let dir = tempfile::tempdir().unwrap();
        let env = open_env(dir.path(), EnvKind::Wal).unwrap();
        let dbs = WalDbs::open(&env).unwrap();
        let put_lmdb = |from: u64, to: u64| {
            let mut wtxn = env.write_txn().unwrap();
            for i in from..=to {
                let bytes = postcard::to_stdvec(&blank(i)).unwrap();
                dbs.logs.put(&mut wtxn, &wal::index_key(i), &bytes).unwrap();
            }
            wtxn.commit().unwrap();
        };
        put_lmdb(5, 20);
        let store = LogStore::open(env.clone()).unwrap();
        let got: Vec<u64> = store
            .read_range(0, u64::MAX)
            .unwrap()
            .iter()
            .map(|e| e.log_id.index)
            .collect();
        assert_eq!(got, (5..=20).collect::<Vec<_>>());
        assert!(segment_log::has_segments(dir.path()));
        drop(store);
        // As if the previous move crashed before emptying LMDB, with a torn file left.
        put_lmdb(5, 9);
        let seg = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .find(|e| e.file_name().to_string_lossy().ends_with(".seg"))
            .unwrap()
            .path();
        std::fs::write(&seg, b"garbage").unwrap();
        let store = LogStore::open(env.clone()).unwrap();
        let got: Vec<u64> = store
            .read_range(0, u64::MAX)
            .unwrap()
            .iter()
            .map(|e| e.log_id.index)
            .collect();
        assert_eq!(got, (5..=9).collect::<Vec<_>>());
        let rtxn = env.read_txn().unwrap();
        assert!(dbs.logs.first(&rtxn).unwrap().is_none());
    }

    /// Broke before: the purge point (a `LogId`, as `purge` and `seed_converted` write it)
    /// was decoded as an `Option` at open, and a converted etcd data dir refused to start.
    #[test]
    fn purge_point_written_by_seed_converted_reopens() {
        let dir = tempfile::tempdir().unwrap();
        let env = open_env(dir.path(), EnvKind::Wal).unwrap();
        seed_converted(&env, 7, 1, (5, 1), (5, 42)).unwrap();
        let mut store = LogStore::open(env.clone()).unwrap();
        let state = harness_rt().block_on(store.get_log_state()).unwrap();
        assert_eq!(state.last_purged_log_id, Some(converted_log_id(5, 42)));
        assert_eq!(state.last_log_id, Some(converted_log_id(5, 42)));
    }

    fn harness_rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }
}
