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
use crate::storage::schema::{RAFT_APPLIED, RAFT_MEMBERSHIP};

/// Applies a batch of committed entries in one write transaction (blocking; call off the
/// async workers): each request through [`crate::apply::state::StateDb::apply_isolated`],
/// each membership entry and the last log id into `raft_state`, then commit, then the
/// in-memory token effects of the applied auth requests. The caller publishes the returned
/// batch ([`StateStore::publish`]).
///
/// # Errors
/// Storage failures only ([`ApplyFailure`]); request failures are inside the results.
pub(crate) fn apply_batch(
    store: &StateStore,
    entries: Vec<Entry<TypeConfig>>,
) -> Result<(Vec<ApplyResults>, AppliedBatch), ApplyFailure> {
    let started = Instant::now();
    let db = store.backend()?;
    let mut wtxn = db.env.write_txn()?;
    let mut results = Vec::with_capacity(entries.len());
    let mut events = Vec::new();
    let mut v2_events = Vec::new();
    let mut last_applied = None;
    let mut token_effects = Vec::new();
    for entry in entries {
        last_applied = Some(entry.log_id);
        match entry.payload {
            EntryPayload::Blank => results.push(ApplyResults::default()),
            EntryPayload::Normal(batch) => {
                let mut out = Vec::with_capacity(batch.requests.len());
                for req in &batch.requests {
                    let r = db.apply_isolated(&mut wtxn, req, &mut events)?;
                    if let Some(resp) = &r.response {
                        let (ranges, puts, deletes) = mvcc_ops(resp);
                        crate::observability::metrics().count_mvcc_ops(ranges, puts, deletes);
                    }
                    token_effects.extend(TokenEffect::of(req, &r));
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
                let stored = StoredMembership::new(Some(entry.log_id), m);
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
    wtxn.commit()?;
    fail::fail_point!(
        "afterCommit",
        |_| Err(failpoint_error("afterCommit").into())
    );
    for effect in token_effects {
        effect.apply(&store.tokens);
    }
    crate::observability::metrics()
        .backend_commit_duration
        .observe(started.elapsed().as_secs_f64());
    Ok((
        results,
        AppliedBatch {
            revision,
            events,
            v2_events,
        },
    ))
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
}
