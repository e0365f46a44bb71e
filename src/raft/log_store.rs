//! The Raft log on heed: entries, vote, committed and purged log ids in `member/wal`.
//!
//! Appends are written in one LMDB write transaction per batch on a blocking thread; the
//! flush callback fires only after the commit (LMDB syncs on commit), so an entry openraft
//! counts as persisted survives kill -9.

use std::fmt::Debug;
use std::ops::RangeBounds;

use openraft::storage::{LogFlushed, LogState, RaftLogReader, RaftLogStorage};
use openraft::{Entry, ErrorSubject, ErrorVerb, LogId, StorageError, Vote};
use serde::de::DeserializeOwned;
use serde::Serialize;

#[cfg(feature = "failpoints")]
use super::failpoint_error;
use super::{io_err, TypeConfig};
use crate::storage::schema;
use crate::storage::wal::{self, WalDbs};
use crate::storage::Env;

/// Work that must be durable before log entries are purged: the state machine's applied
/// state (its environment defers syncs), so a crash never leaves applied state older than
/// the oldest log entry kept.
pub type BeforePurge = std::sync::Arc<dyn Fn() -> Result<(), heed::Error> + Send + Sync>;

/// The heed-backed Raft log store. Cloning shares the environment.
#[derive(Clone)]
pub struct LogStore {
    env: Env,
    dbs: WalDbs,
    before_purge: std::sync::Arc<std::sync::OnceLock<BeforePurge>>,
}

impl LogStore {
    /// Opens the log store on the `member/wal` environment.
    ///
    /// # Errors
    /// Storage errors from LMDB.
    pub fn open(env: Env) -> Result<LogStore, crate::storage::StorageError> {
        let dbs = WalDbs::open(&env)?;
        Ok(LogStore {
            env,
            dbs,
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

    /// The last log id in the log, if any (ignores purged entries).
    fn last_log_id(&self) -> Result<Option<LogId<u64>>, StorageError<u64>> {
        let rtxn = self
            .env
            .read_txn()
            .map_err(|e| io_err(ErrorSubject::Logs, ErrorVerb::Read, e))?;
        let last = self
            .dbs
            .logs
            .last(&rtxn)
            .map_err(|e| io_err(ErrorSubject::Logs, ErrorVerb::Read, e))?;
        match last {
            None => Ok(None),
            Some((_, v)) => {
                let entry: Entry<TypeConfig> = postcard::from_bytes(v)
                    .map_err(|e| io_err(ErrorSubject::Logs, ErrorVerb::Read, e))?;
                Ok(Some(entry.log_id))
            }
        }
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
    /// bootstrap before Raft starts: in ONE write transaction of the wal environment, appends
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
        let mut wtxn = self.env.write_txn()?;
        let vote: Option<Vote<u64>> = self
            .dbs
            .meta
            .get(&wtxn, schema::WAL_VOTE.key)?
            .map(postcard::from_bytes)
            .transpose()
            .map_err(corrupt)?;
        // Stored as a plain `LogId` (purge and `seed_converted` write it so).
        let purged: Option<LogId<u64>> = self
            .dbs
            .meta
            .get(&wtxn, schema::WAL_LAST_PURGED.key)?
            .map(postcard::from_bytes)
            .transpose()
            .map_err(corrupt)?;
        let mut last: Option<LogId<u64>> = None;
        let mut latest: Option<openraft::Membership<u64, crate::apply::Member>> = None;
        for item in self.dbs.logs.rev_iter(&wtxn)? {
            let (_, v) = item?;
            let entry: Entry<TypeConfig> = postcard::from_bytes(v).map_err(corrupt)?;
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
        self.dbs
            .logs
            .put(&mut wtxn, &wal::index_key(log_id.index), &bytes)?;
        let vote = postcard::to_stdvec(&Vote::new(term, member_id)).map_err(corrupt)?;
        self.dbs.meta.put(&mut wtxn, schema::WAL_VOTE.key, &vote)?;
        wtxn.commit()?;
        Ok(Some(ForcedCluster { log_id, removed }))
    }
}

/// Seeds a fresh `member/wal` environment for a new cluster offline, as `Raft::initialize`
/// followed by `save_identity` would at a first start: the initial membership entry at log
/// id 0 (every member a voter) and the identity (cluster ID, member ID), in one write
/// transaction. `snapshot restore` uses it so the restored member restarts (its flags then
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
    if dbs.logs.first(&wtxn)?.is_some() || dbs.meta.get(&wtxn, schema::WAL_IDENTITY.key)?.is_some()
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
    if dbs.logs.first(&wtxn)?.is_some() || dbs.meta.get(&wtxn, schema::WAL_IDENTITY.key)?.is_some()
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
        let rerr = |e: heed::Error| io_err(ErrorSubject::Logs, ErrorVerb::Read, e);
        let rtxn = self.env.read_txn().map_err(rerr)?;
        let lo = wal::index_key(start);
        let hi = wal::index_key(end_incl);
        let bounds = (Bound::Included(&lo[..]), Bound::Included(&hi[..]));
        let iter = self.dbs.logs.range(&rtxn, &bounds).map_err(rerr)?;
        let mut out = Vec::new();
        for item in iter {
            let (_, v) = item.map_err(rerr)?;
            let entry: Entry<TypeConfig> = postcard::from_bytes(v)
                .map_err(|e| io_err(ErrorSubject::Logs, ErrorVerb::Read, e))?;
            out.push(entry);
        }
        Ok(out)
    }
}

impl RaftLogStorage<TypeConfig> for LogStore {
    type LogReader = LogStore;

    async fn get_log_state(&mut self) -> Result<LogState<TypeConfig>, StorageError<u64>> {
        let last_purged_log_id: Option<LogId<u64>> = self.read_meta(schema::WAL_LAST_PURGED.key)?;
        let last = self.last_log_id()?.or(last_purged_log_id);
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
        let mut encoded = Vec::new();
        for e in entries {
            let bytes = postcard::to_stdvec(&e)
                .map_err(|err| io_err(ErrorSubject::Logs, ErrorVerb::Write, err))?;
            encoded.push((e.log_id.index, bytes));
        }
        let written: usize = encoded.iter().map(|(_, b)| 8 + b.len()).sum();
        let this = self.clone();
        let started = std::time::Instant::now();
        let res = run_blocking(move || {
            fail::fail_point!("raftBeforeSave", |_| Err(failpoint_error("raftBeforeSave")));
            let mut wtxn = this.env.write_txn()?;
            for (index, bytes) in &encoded {
                this.dbs
                    .logs
                    .put(&mut wtxn, &wal::index_key(*index), bytes)?;
            }
            fail::fail_point!("walBeforeSync", |_| Err(failpoint_error("walBeforeSync")));
            wtxn.commit()?;
            fail::fail_point!("walAfterSync", |_| Err(failpoint_error("walAfterSync")));
            Ok(())
        })
        .await;
        crate::observability::metrics()
            .wal_fsync_duration
            .observe(started.elapsed().as_secs_f64());
        match res {
            Ok(()) => {
                // etcd's WAL counts the bytes of each record it writes (a gauge it only adds
                // to); here: each entry's 8-byte index key and its encoding.
                if let Some(g) =
                    crate::observability::metrics().extra_gauge("etcd_disk_wal_write_bytes_total")
                {
                    g.add(written as f64);
                }
                callback.log_io_completed(Ok(()));
                #[cfg(feature = "failpoints")]
                if fail::eval("raftAfterSave", |_| ()).is_some() {
                    return Err(io_err(
                        ErrorSubject::Logs,
                        ErrorVerb::Write,
                        failpoint_error("raftAfterSave"),
                    ));
                }
                Ok(())
            }
            Err(e) => {
                callback.log_io_completed(Err(std::io::Error::other(e.to_string())));
                Err(io_err(ErrorSubject::Logs, ErrorVerb::Write, e))
            }
        }
    }

    async fn truncate(&mut self, log_id: LogId<u64>) -> Result<(), StorageError<u64>> {
        let this = self.clone();
        run_blocking(move || {
            let mut wtxn = this.env.write_txn()?;
            let lo = wal::index_key(log_id.index);
            let range = (
                std::ops::Bound::Included(&lo[..]),
                std::ops::Bound::Unbounded,
            );
            this.dbs.logs.delete_range(&mut wtxn, &range)?;
            wtxn.commit()
        })
        .await
        .map_err(|e| io_err(ErrorSubject::Logs, ErrorVerb::Delete, e))
    }

    async fn purge(&mut self, log_id: LogId<u64>) -> Result<(), StorageError<u64>> {
        if let Some(sync) = self.before_purge.get().cloned() {
            run_blocking(move || sync())
                .await
                .map_err(|e| io_err(ErrorSubject::StateMachine, ErrorVerb::Write, e))?;
        }
        let bytes = postcard::to_stdvec(&log_id)
            .map_err(|e| io_err(ErrorSubject::Logs, ErrorVerb::Delete, e))?;
        let this = self.clone();
        run_blocking(move || {
            let mut wtxn = this.env.write_txn()?;
            this.dbs
                .meta
                .put(&mut wtxn, schema::WAL_LAST_PURGED.key, &bytes)?;
            let hi = wal::index_key(log_id.index);
            let range = (
                std::ops::Bound::Unbounded,
                std::ops::Bound::Included(&hi[..]),
            );
            this.dbs.logs.delete_range(&mut wtxn, &range)?;
            wtxn.commit()
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
        seed_new_cluster(&env, 7, 1, members).unwrap();
        let forced = store
            .force_new_cluster(1, &none, &new_self)
            .unwrap()
            .unwrap();
        assert_eq!(forced.removed, vec![2, 3]);
        assert_eq!(forced.log_id.index, 1);
        assert_eq!(forced.log_id.leader_id.term, 1);
        let rtxn = env.read_txn().unwrap();
        let (_, last) = store.dbs.logs.last(&rtxn).unwrap().unwrap();
        let entry: Entry<TypeConfig> = postcard::from_bytes(last).unwrap();
        let openraft::EntryPayload::Membership(m) = entry.payload else {
            panic!("not a membership entry");
        };
        assert_eq!(m.voter_ids().collect::<Vec<_>>(), vec![1]);
        assert_eq!(m.get_node(&1), Some(&member("m1")));
        assert_eq!(m.nodes().count(), 1);
        drop(rtxn);
        let vote: Vote<u64> = store.read_meta(schema::WAL_VOTE.key).unwrap().unwrap();
        assert_eq!(vote, Vote::new(1, 1));
        // A new ID (a backup's): added as `new_self`, every old member removed.
        let forced = store
            .force_new_cluster(9, &none, &new_self)
            .unwrap()
            .unwrap();
        assert_eq!(forced.removed, vec![1]);
        let rtxn = env.read_txn().unwrap();
        let (_, last) = store.dbs.logs.last(&rtxn).unwrap().unwrap();
        let entry: Entry<TypeConfig> = postcard::from_bytes(last).unwrap();
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
}
