//! The openraft state machine over the state database (`apply::state`): applies committed
//! entries in ONE LMDB write transaction per batch ([`apply_batch`]), recording the last
//! applied log id and membership in the same transaction (so applied state and its log id
//! never disagree after a crash), then publishes the batch to readers and watchers.
//!
//! Snapshots (build, receive, install) are in `snapshot.rs`; this file is the openraft trait
//! impl and the batch apply, nothing else.
//!
//! Depends on: apply, openraft.

use std::sync::Arc;
use std::time::Instant;

use openraft::storage::{RaftSnapshotBuilder, RaftStateMachine, Snapshot};
use openraft::{
    Entry, EntryPayload, ErrorSubject, ErrorVerb, LogId, SnapshotMeta, StorageError,
    StoredMembership,
};

#[cfg(feature = "failpoints")]
use super::failpoint_error;
use super::snapshot::{self, SnapshotFiles};
use super::{io_err, TypeConfig};
use crate::apply::state::{AppliedBatch, ApplyFailure, StateStore, TokenEffect};
use crate::apply::{ApplyError, ApplyResults, Member};
use crate::storage::schema::{RAFT_APPLIED, RAFT_MEMBERSHIP, RAFT_MEMBERS_REMOVED};

/// Applies a batch of committed entries in one write transaction (blocking; call off the
/// async workers): each request, each membership entry and the last log id into
/// `raft_state`, then commit, then the in-memory token effects of the applied auth requests.
/// The caller publishes the returned batch ([`StateStore::publish`]).
///
/// Requests are first applied straight in the batch transaction. A request that must be
/// rolled back alone (a damaged record, a storage error its input caused: see
/// [`crate::apply::state::StateDb::apply_isolated`]) is rare, and a nested LMDB transaction
/// per request costs more than the request itself (a child transaction allocates and copies
/// its dirty pages), so only then is the transaction aborted and the whole batch applied again
/// from the start with a nested transaction per request. Both ways give the same results,
/// events and state: apply stays deterministic.
///
/// # Errors
/// Storage failures only ([`ApplyFailure`]); request failures are inside the results.
pub(crate) fn apply_batch(
    store: &StateStore,
    entries: Vec<Entry<TypeConfig>>,
) -> Result<(Vec<ApplyResults>, AppliedBatch), ApplyFailure> {
    let started = Instant::now();
    let db = store.backend()?;
    let warn_after = store.warning_apply_duration();
    let applied = match apply_entries(&db, &entries, Isolation::Direct, warn_after)? {
        Some(applied) => applied,
        None => apply_entries(&db, &entries, Isolation::Nested, warn_after)?
            .expect("invariant: nested apply never asks for isolation"),
    };
    for &(took, failed) in &applied.slow {
        warn_slow_apply(took, warn_after, failed);
    }
    count_key_changes(&applied.batch.events);
    for (req, r) in entries
        .iter()
        .filter_map(|e| match &e.payload {
            EntryPayload::Normal(batch) => Some(&batch.requests),
            _ => None,
        })
        .flatten()
        .zip(applied.results.iter().flat_map(|r| &r.0))
    {
        if let Some(resp) = &r.response {
            let (ranges, puts, deletes) = mvcc_ops(resp);
            crate::observability::metrics().count_mvcc_ops(ranges, puts, deletes);
        }
        if let Some(effect) = TokenEffect::of(req, r) {
            effect.apply(&store.tokens);
        }
    }
    crate::observability::metrics()
        .backend_commit_duration
        .observe(started.elapsed().as_secs_f64());
    Ok((applied.results, applied.batch))
}

/// How [`apply_entries`] applies each request.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Isolation {
    /// Straight in the batch transaction; gives up on a request that must be rolled back.
    Direct,
    /// In a nested transaction per request ([`crate::apply::state::StateDb::apply_isolated`]).
    Nested,
}

/// What one committed [`apply_entries`] produced.
struct Applied {
    results: Vec<ApplyResults>,
    batch: AppliedBatch,
    /// (time taken, failed) of each request slower than `--experimental-warning-apply-duration`.
    slow: Vec<(std::time::Duration, bool)>,
}

/// Applies `entries` in one write transaction and commits it; `Ok(None)` (nothing
/// committed) when, with [`Isolation::Direct`], a request must be rolled back alone.
fn apply_entries(
    db: &crate::apply::state::StateDb,
    entries: &[Entry<TypeConfig>],
    isolation: Isolation,
    warn_after: std::time::Duration,
) -> Result<Option<Applied>, ApplyFailure> {
    let mut wtxn = db.env.write_txn()?;
    let mut results = Vec::with_capacity(entries.len());
    let mut events = Vec::new();
    let mut v2_events = Vec::new();
    let mut last_applied = None;
    let mut slow = Vec::new();
    for entry in entries {
        last_applied = Some(entry.log_id);
        match &entry.payload {
            EntryPayload::Blank => results.push(ApplyResults::default()),
            EntryPayload::Normal(batch) => {
                let mut out = Vec::with_capacity(batch.requests.len());
                for req in &batch.requests {
                    let req_started = Instant::now();
                    let r = match isolation {
                        Isolation::Nested => db.apply_isolated(&mut wtxn, req, &mut events)?,
                        Isolation::Direct => match db.apply_direct(&mut wtxn, req, &mut events)? {
                            Some(r) => r,
                            // Dropping `wtxn` aborts the transaction and its partial writes.
                            None => return Ok(None),
                        },
                    };
                    let took = req_started.elapsed();
                    if took > warn_after {
                        slow.push((took, r.response.is_none()));
                    }
                    v2_events.extend_from_slice(r.v2_events());
                    out.push(r);
                }
                results.push(ApplyResults(out));
            }
            EntryPayload::Membership(m) => {
                fail::fail_point!("beforeApplyOneConfChange", |_| Err(failpoint_error(
                    "beforeApplyOneConfChange"
                )
                .into()));
                let before: StoredMembership<u64, Member> = db
                    .raft_state
                    .get(&wtxn, RAFT_MEMBERSHIP.key)?
                    .map(postcard::from_bytes)
                    .transpose()
                    .map_err(|e| ApplyFailure::Encode(e.to_string()))?
                    .unwrap_or_default();
                db.apply_conf_change(
                    &mut wtxn,
                    &conf_members(before.membership()),
                    &conf_members(m),
                )?;
                let dropped: Vec<u64> = before
                    .membership()
                    .nodes()
                    .map(|(id, _)| *id)
                    .filter(|id| m.get_node(id).is_none())
                    .collect();
                if !dropped.is_empty() {
                    record_removed(db, &mut wtxn, &dropped)?;
                }
                let stored = StoredMembership::new(Some(entry.log_id), m.clone());
                let bytes = postcard::to_stdvec(&stored)
                    .map_err(|e| ApplyFailure::Encode(e.to_string()))?;
                db.raft_state.put(&mut wtxn, RAFT_MEMBERSHIP.key, &bytes)?;
                fail::fail_point!("afterApplyOneConfChange", |_| Err(failpoint_error(
                    "afterApplyOneConfChange"
                )
                .into()));
                results.push(ApplyResults::default());
            }
        }
    }
    let bytes =
        postcard::to_stdvec(&last_applied).map_err(|e| ApplyFailure::Encode(e.to_string()))?;
    db.raft_state.put(&mut wtxn, RAFT_APPLIED.key, &bytes)?;
    let revision = db.kv.current_revision(&wtxn)?;
    fail::fail_point!("beforeCommit", |_| Err(
        failpoint_error("beforeCommit").into()
    ));
    let commit_started = Instant::now();
    wtxn.commit()?;
    // LMDB's commit writes the dirty pages and syncs them in one call: bbolt's "write" phase.
    // Its "rebalance" and "spill" phases are B+tree work bbolt does at commit and LMDB does
    // while writing, so those two families are not observed.
    crate::observability::metrics().observe(
        "etcd_debugging_disk_backend_commit_write_duration_seconds",
        commit_started.elapsed().as_secs_f64(),
    );
    fail::fail_point!(
        "afterCommit",
        |_| Err(failpoint_error("afterCommit").into())
    );
    Ok(Some(Applied {
        slow,
        results,
        batch: AppliedBatch {
            revision,
            events,
            v2_events,
        },
    }))
}

/// etcd's `warnOfExpensiveRequest`: an applied request that took longer than
/// `--experimental-warning-apply-duration` (`expected`) is logged and counted in
/// `etcd_server_slow_apply_total`.
fn warn_slow_apply(took: std::time::Duration, expected: std::time::Duration, failed: bool) {
    tracing::warn!(
        took = ?took,
        expected_duration = ?expected,
        failed,
        "apply request took too long"
    );
    crate::observability::metrics().inc_counter("etcd_server_slow_apply_total");
}

/// Keeps `etcd_debugging_mvcc_keys_total` (a put of a key that was not live adds one, a
/// deletion removes one, as etcd's key index counts generations) and
/// `etcd_debugging_mvcc_total_put_size_in_bytes` (key + value bytes of each put, etcd's
/// `metricsTxnWrite` put size) in step with a committed batch's events.
fn count_key_changes(events: &[crate::pb::mvccpb::Event]) {
    use crate::pb::mvccpb::event::EventType;
    let m = crate::observability::metrics();
    let (mut keys, mut put_size) = (0i64, 0u64);
    for ev in events {
        let Some(kv) = &ev.kv else { continue };
        if ev.r#type == EventType::Delete as i32 {
            keys -= 1;
        } else {
            keys += i64::from(ev.prev_kv.is_none());
            put_size += (kv.key.len() + kv.value.len()) as u64;
        }
    }
    if let Some(g) = m.extra_gauge("etcd_debugging_mvcc_keys_total") {
        g.add(keys as f64);
    }
    if let Some(g) = m.extra_gauge("etcd_debugging_mvcc_total_put_size_in_bytes") {
        g.add(put_size as f64);
    }
}

/// The (ranges, puts, deletes) an applied KV request ran in the store, nested txns included
/// (what etcd's `metricsTxnWrite` counts); zero for other requests.
fn mvcc_ops(resp: &crate::apply::ApplyResponse) -> (u64, u64, u64) {
    use crate::apply::ApplyResponse;
    use crate::pb::etcdserverpb::{response_op::Response, TxnResponse};
    fn walk(t: &TxnResponse, acc: &mut (u64, u64, u64)) {
        for op in &t.responses {
            match &op.response {
                Some(Response::ResponseRange(_)) => acc.0 += 1,
                Some(Response::ResponsePut(_)) => acc.1 += 1,
                Some(Response::ResponseDeleteRange(_)) => acc.2 += 1,
                Some(Response::ResponseTxn(inner)) => walk(inner, acc),
                None => {}
            }
        }
    }
    match resp {
        ApplyResponse::Put(_) => (0, 1, 0),
        ApplyResponse::DeleteRange(_) => (0, 0, 1),
        ApplyResponse::Txn(t) => {
            let mut acc = (0, 0, 0);
            walk(t, &mut acc);
            acc
        }
        _ => (0, 0, 0),
    }
}

/// A Raft configuration as apply sees it: each node with whether it votes (in either half of
/// a joint configuration).
fn conf_members(
    m: &openraft::Membership<u64, Member>,
) -> Vec<crate::apply::conf_change::ConfMember> {
    let voters: std::collections::BTreeSet<u64> = m.voter_ids().collect();
    m.nodes()
        .map(|(id, node)| (*id, node.clone(), voters.contains(id)))
        .collect()
}

/// Adds `ids` to the removed-members set within `wtxn` (etcd: `members_removed`), as the
/// membership change dropping them is applied (or as an etcd data dir's removed members are
/// converted). The set only grows (member IDs are not reused).
///
/// # Errors
/// Storage or encoding errors.
pub(crate) fn record_removed(
    db: &crate::apply::state::StateDb,
    wtxn: &mut heed::RwTxn,
    ids: &[u64],
) -> Result<(), ApplyFailure> {
    let enc = |e: postcard::Error| ApplyFailure::Encode(e.to_string());
    let mut set = removed_members_in(db, wtxn)?;
    set.extend(ids.iter().copied());
    db.raft_state.put(
        wtxn,
        RAFT_MEMBERS_REMOVED.key,
        &postcard::to_stdvec(&set).map_err(enc)?,
    )?;
    Ok(())
}

/// The IDs of every member removed from the membership so far, as applied (etcd's
/// `members_removed` bucket): empty before any removal.
///
/// # Errors
/// Storage or decoding errors.
pub(crate) fn removed_members_in(
    db: &crate::apply::state::StateDb,
    rtxn: &heed::RoTxn,
) -> Result<std::collections::BTreeSet<u64>, ApplyFailure> {
    Ok(db
        .raft_state
        .get(rtxn, RAFT_MEMBERS_REMOVED.key)?
        .map(postcard::from_bytes)
        .transpose()
        .map_err(|e| ApplyFailure::Encode(e.to_string()))?
        .unwrap_or_default())
}

/// Whether member `id` was removed from the cluster (is in [`removed_members_in`]), read
/// from this member's applied state.
///
/// # Errors
/// Storage or decoding errors.
pub(crate) fn is_removed(store: &StateStore, id: u64) -> Result<bool, ApplyFailure> {
    let db = store.backend()?;
    let rtxn = db.env.read_txn()?;
    Ok(removed_members_in(&db, &rtxn)?.contains(&id))
}

/// The Raft apply state: the last applied log id and membership.
type AppliedState = (Option<LogId<u64>>, StoredMembership<u64, Member>);

/// The last applied log id and membership as persisted in `raft_state`.
///
/// # Errors
/// Storage or decoding errors.
pub(crate) fn applied_state(store: &StateStore) -> Result<AppliedState, ApplyFailure> {
    let db = store.backend()?;
    let rtxn = db.env.read_txn()?;
    applied_state_in(&db, &rtxn)
}

/// Waits (polling every 5 ms, at most `within`) until the applied log index is at least
/// `index`, then syncs the state environment: what a purge of the log up to `index` needs
/// first. openraft 0.9 purges up to an incoming snapshot right after it queues the
/// snapshot's install; without this wait a crash before the install ends leaves a log purged
/// past the applied state, and openraft refuses to start (`purge_upto <=
/// snapshot_last_log_id`; found by the robustness `snapshot_catchup` scenario, seed 5029).
///
/// # Errors
/// Storage errors; [`heed::Error::Io`] when `within` passes first.
pub(crate) fn durable_applied_at_least(
    store: &StateStore,
    index: u64,
    within: std::time::Duration,
) -> Result<(), heed::Error> {
    let deadline = std::time::Instant::now() + within;
    loop {
        let applied = applied_state(store)
            .map_err(|e| heed::Error::Io(std::io::Error::other(e.to_string())))?
            .0
            .map_or(0, |l| l.index);
        if applied >= index {
            return store.sync();
        }
        if std::time::Instant::now() >= deadline {
            return Err(heed::Error::Io(std::io::Error::other(format!(
                "log purge up to {index}: the state machine applied only up to {applied} within {within:?}"
            ))));
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// [`applied_state`] read within `rtxn`, so that it describes exactly the data the same
/// transaction sees (the Snapshot RPC's consistent index).
///
/// # Errors
/// Storage or decoding errors.
pub(crate) fn applied_state_in(
    db: &crate::apply::state::StateDb,
    rtxn: &heed::RoTxn,
) -> Result<AppliedState, ApplyFailure> {
    let decode = |e: postcard::Error| ApplyFailure::Encode(e.to_string());
    let applied: Option<LogId<u64>> = db
        .raft_state
        .get(rtxn, RAFT_APPLIED.key)?
        .map(postcard::from_bytes::<Option<LogId<u64>>>)
        .transpose()
        .map_err(decode)?
        .flatten();
    let membership = db
        .raft_state
        .get(rtxn, RAFT_MEMBERSHIP.key)?
        .map(postcard::from_bytes)
        .transpose()
        .map_err(decode)?
        .unwrap_or_default();
    Ok((applied, membership))
}

/// The openraft state machine: a handle on the shared [`StateStore`] and its snapshot files.
#[derive(Clone)]
pub struct StateMachine {
    store: Arc<StateStore>,
    snapshots: Arc<SnapshotFiles>,
}

impl StateMachine {
    /// Wraps the shared store.
    pub fn new(store: Arc<StateStore>) -> StateMachine {
        StateMachine {
            store,
            snapshots: Arc::default(),
        }
    }
}

impl RaftSnapshotBuilder<TypeConfig> for StateMachine {
    async fn build_snapshot(&mut self) -> Result<Snapshot<TypeConfig>, StorageError<u64>> {
        snapshot::build(&self.store, &self.snapshots).await
    }
}

impl RaftStateMachine<TypeConfig> for StateMachine {
    type SnapshotBuilder = StateMachine;

    async fn applied_state(&mut self) -> Result<AppliedState, StorageError<u64>> {
        applied_state(&self.store)
            .map_err(|e| io_err(ErrorSubject::StateMachine, ErrorVerb::Read, e))
    }

    async fn apply<I>(&mut self, entries: I) -> Result<Vec<ApplyResults>, StorageError<u64>>
    where
        I: IntoIterator<Item = Entry<TypeConfig>> + Send,
        I::IntoIter: Send,
    {
        let entries: Vec<_> = entries.into_iter().collect();
        let ids: Vec<u64> = entries
            .iter()
            .filter_map(|e| match &e.payload {
                EntryPayload::Normal(batch) => Some(batch.requests.iter().map(|r| r.id)),
                _ => None,
            })
            .flatten()
            .collect();
        let store = self.store.clone();
        let (results, batch) = tokio::task::spawn_blocking(move || apply_batch(&store, entries))
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
            .any(|r| r.error == Some(ApplyError::Corrupt))
        {
            self.store.note_corrupt();
        }
        // Straight to the proposers waiting here (etcd's `wait.Trigger`); what nobody here
        // waits for goes back to openraft's reply path.
        let mut results = results;
        for (slot, id) in results.iter_mut().flat_map(|r| r.0.iter_mut()).zip(ids) {
            if let Some(back) = self.store.trigger(id, std::mem::take(slot)) {
                *slot = back;
            }
        }
        Ok(results)
    }

    async fn get_snapshot_builder(&mut self) -> Self::SnapshotBuilder {
        self.clone()
    }

    async fn begin_receiving_snapshot(
        &mut self,
    ) -> Result<Box<tokio::fs::File>, StorageError<u64>> {
        snapshot::begin_receiving(&self.store, &self.snapshots).await
    }

    async fn install_snapshot(
        &mut self,
        meta: &SnapshotMeta<u64, Member>,
        snapshot: Box<tokio::fs::File>,
    ) -> Result<(), StorageError<u64>> {
        snapshot::install(&self.store, &self.snapshots, meta, snapshot).await
    }

    async fn get_current_snapshot(
        &mut self,
    ) -> Result<Option<Snapshot<TypeConfig>>, StorageError<u64>> {
        Ok(snapshot::current(&self.snapshots).await)
    }
}

/// Records, within `wtxn`, the apply state of a state database converted from etcd's data
/// dir (start in place, `etcd util import`): last applied log id `applied` = (term, index)
/// as [`super::log_store::converted_log_id`], and the membership (`voters`; every other
/// node of `nodes` is a learner) as applied at that log id.
///
/// # Errors
/// Encoding or LMDB failures.
pub(crate) fn record_converted_state(
    db: &crate::apply::state::StateDb,
    wtxn: &mut heed::RwTxn,
    applied: (u64, u64),
    voters: std::collections::BTreeSet<u64>,
    nodes: std::collections::BTreeMap<u64, Member>,
) -> Result<(), ApplyFailure> {
    let log_id = super::log_store::converted_log_id(applied.0, applied.1);
    let membership = openraft::Membership::new(vec![voters], nodes);
    let stored = StoredMembership::new(Some(log_id), membership);
    let enc = |e: postcard::Error| ApplyFailure::Encode(e.to_string());
    db.raft_state.put(
        wtxn,
        RAFT_MEMBERSHIP.key,
        &postcard::to_stdvec(&stored).map_err(enc)?,
    )?;
    db.raft_state.put(
        wtxn,
        RAFT_APPLIED.key,
        &postcard::to_stdvec(&Some(log_id)).map_err(enc)?,
    )?;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn put(key: &[u8]) -> crate::pb::peer::InternalRaftRequest {
        crate::pb::peer::InternalRaftRequest {
            put: Some(crate::pb::etcdserverpb::PutRequest {
                key: key.to_vec(),
                value: b"v".to_vec(),
                prev_kv: true,
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn entry(index: u64, requests: Vec<crate::pb::peer::InternalRaftRequest>) -> Entry<TypeConfig> {
        Entry::<TypeConfig> {
            log_id: LogId::new(openraft::CommittedLeaderId::new(1, 1), index),
            payload: EntryPayload::Normal(crate::pb::peer::InternalRaftBatch { requests }),
        }
    }

    /// Applied results go straight to the proposers waiting on this member (the apply
    /// trigger); what nobody here waits for goes back through openraft.
    #[tokio::test]
    async fn apply_hands_results_to_waiting_proposers() {
        let dir = tempfile::tempdir().unwrap();
        let store = StateStore::open(dir.path().to_path_buf()).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        store.set_apply_trigger(Box::new(move |id, r| {
            if id == 7 {
                tx.send(r).unwrap();
                None
            } else {
                Some(r)
            }
        }));
        let mut a = put(b"a");
        a.id = 7;
        let mut b = put(b"b");
        b.id = 8;
        let mut sm = StateMachine::new(store.clone());
        let results = sm.apply(vec![entry(1, vec![a, b])]).await.unwrap();
        assert_eq!(rx.try_recv().unwrap().revision, 2);
        assert_eq!(results[0].0[0], crate::apply::ApplyResult::default());
        assert_eq!(results[0].0[1].revision, 3);
    }

    /// The fast path (straight in the batch transaction) and the isolated path (a nested
    /// transaction per request) give the same results, events and revision.
    #[test]
    fn direct_and_nested_apply_agree() {
        let entries = vec![
            entry(1, vec![put(b"a"), put(b"b"), put(b"a")]),
            entry(2, vec![put(b"b")]),
        ];
        let run = |isolation| {
            let dir = tempfile::tempdir().unwrap();
            let store = StateStore::open(dir.path().to_path_buf()).unwrap();
            let db = store.backend().unwrap();
            let applied = apply_entries(&db, &entries, isolation, std::time::Duration::MAX)
                .unwrap()
                .unwrap();
            (
                applied.results,
                applied.batch.revision,
                applied.batch.events,
            )
        };
        let direct = run(Isolation::Direct);
        assert_eq!(direct, run(Isolation::Nested));
        assert_eq!(direct.1, 5);
        assert_eq!(direct.2.len(), 4);
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
        let (results, batch) = apply_batch(
            &store,
            vec![
                entry(1, vec![put(b"a"), put(b""), put(&[b'k'; 600])]),
                entry(2, vec![put(b"b")]),
            ],
        )
        .unwrap();
        let first = &results[0].0;
        assert!(first[0].error.is_none());
        assert_eq!(first[1].error, Some(ApplyError::RequestTooLarge));
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
        let (applied, _) = applied_state(&store).unwrap();
        assert_eq!(applied.map(|l| l.index), Some(2));
    }

    /// A membership entry that drops members records them in the removed-members set (etcd's
    /// `members_removed`), which only grows, survives a reopen and is what peers are refused
    /// by; a member added later (unknown to an older membership) is not in it. `snapshot
    /// restore`'s reset forgets it with the rest of the old membership.
    #[test]
    fn removed_members_are_recorded_as_removals_apply() {
        let member = |url: &str| Member {
            peer_urls: vec![url.to_string()],
            ..Member::default()
        };
        let membership = |ids: &[u64]| {
            let nodes: std::collections::BTreeMap<u64, Member> = ids
                .iter()
                .map(|id| (*id, member(&format!("http://127.0.0.1:{id}"))))
                .collect();
            Entry::<TypeConfig> {
                log_id: LogId::new(openraft::CommittedLeaderId::new(1, 1), 0),
                payload: EntryPayload::Membership(openraft::Membership::new(
                    vec![ids.iter().copied().collect()],
                    nodes,
                )),
            }
        };
        let at = |mut e: Entry<TypeConfig>, index| {
            e.log_id.index = index;
            e
        };
        let dir = tempfile::tempdir().unwrap();
        let store = StateStore::open(dir.path().to_path_buf()).unwrap();
        apply_batch(
            &store,
            vec![
                at(membership(&[1, 2, 3]), 1),
                at(membership(&[1, 2, 3, 4]), 2),
                at(membership(&[1, 3, 4]), 3),
            ],
        )
        .unwrap();
        assert!(is_removed(&store, 2).unwrap());
        for id in [1, 3, 4, 5] {
            assert!(!is_removed(&store, id).unwrap(), "{id:x}");
        }
        apply_batch(&store, vec![at(membership(&[4]), 4)]).unwrap();
        drop(store);
        let store = StateStore::open(dir.path().to_path_buf()).unwrap();
        for id in [1, 2, 3] {
            assert!(is_removed(&store, id).unwrap(), "{id:x}");
        }
        assert!(!is_removed(&store, 4).unwrap());
        store.backend().unwrap().reset_raft_state().unwrap();
        assert!(!is_removed(&store, 2).unwrap());
    }
}
