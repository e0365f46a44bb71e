//! The ONLY code that changes replicated state. Deterministic: the same entries applied to
//! the same state give the same state and results on every member. Whatever varies (IDs,
//! time, auth revision) was chosen by the proposer and travels in the entry.
//!
//! Order of checks follows etcd's applier chain: alarm → auth → quota → dispatch to
//! kv / txn / lease / auth / membership. Deterministic failures (a compacted revision, a
//! missing lease) are values in [`ApplyResult`], identical on every member; only storage
//! failures are errors of the state machine.
//!
//! Depends on: mvcc, lease, auth, membership, storage, pb.

pub mod kv;

use serde::{Deserialize, Serialize};

use crate::mvcc::KvStore;
use crate::pb::etcdserverpb::{CompactionResponse, DeleteRangeResponse, PutResponse, TxnResponse};
use crate::pb::mvccpb::Event;
use crate::pb::peer::InternalRaftRequest;

/// A deterministic apply failure, sent back to the proposer and mapped to etcd's wire
/// error by `v3rpc::error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum ApplyError {
    /// `mvcc: required revision has been compacted`.
    #[error("mvcc: required revision has been compacted")]
    Compacted,
    /// `mvcc: required revision is a future revision`.
    #[error("mvcc: required revision is a future revision")]
    FutureRev,
    /// `etcdserver: key not found` (ignore_value / ignore_lease on a missing key).
    #[error("etcdserver: key not found")]
    KeyNotFound,
    /// `etcdserver: requested lease not found`.
    #[error("etcdserver: requested lease not found")]
    LeaseNotFound,
    /// `etcdserver: mvcc: database space exceeded` (NOSPACE alarm active).
    #[error("etcdserver: mvcc: database space exceeded")]
    NoSpace,
    /// The entry carried no request this member knows how to apply.
    #[error("etcdserver: unknown request")]
    UnknownRequest,
}

/// The response of one applied request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ApplyResponse {
    /// Result of a Put.
    Put(PutResponse),
    /// Result of a DeleteRange.
    DeleteRange(DeleteRangeResponse),
    /// Result of a Txn.
    Txn(TxnResponse),
    /// Result of a Compaction.
    Compaction(CompactionResponse),
}

/// What applying one log entry produced: the store revision after the entry (for the
/// response header) and the response or the deterministic error. Blank and membership
/// entries produce `response: None, error: None`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ApplyResult {
    /// Store revision after this entry was applied.
    pub revision: i64,
    /// The response, when the entry carried a request that succeeded.
    pub response: Option<ApplyResponse>,
    /// The deterministic failure, when it failed.
    pub error: Option<ApplyError>,
}

/// Applies one client request inside the caller's LMDB write transaction.
///
/// `events` receives the MVCC events (with prev_kv) the request produced, in revision
/// order, for the watch hub to publish after commit.
///
/// # Errors
/// Only storage failures (`heed::Error` wrapped in [`crate::mvcc::MvccError`]); request
/// failures are returned inside the [`ApplyResult`].
pub fn apply_request(
    store: &KvStore,
    wtxn: &mut heed::RwTxn,
    req: &InternalRaftRequest,
    events: &mut Vec<Event>,
) -> Result<ApplyResult, crate::mvcc::MvccError> {
    let no_leases = |_id: i64| false;
    let outcome: Result<ApplyResponse, kv::KvApplyError> = if let Some(put) = &req.put {
        kv::put(store, wtxn, put, &no_leases).map(|(r, ev)| {
            events.extend(ev);
            ApplyResponse::Put(r)
        })
    } else if let Some(del) = &req.delete_range {
        kv::delete_range(store, wtxn, del).map(|(r, ev)| {
            events.extend(ev);
            ApplyResponse::DeleteRange(r)
        })
    } else if let Some(txn) = &req.txn {
        kv::txn(store, wtxn, txn, &no_leases).map(|(r, ev)| {
            events.extend(ev);
            ApplyResponse::Txn(r)
        })
    } else if let Some(c) = &req.compaction {
        kv::compaction(store, wtxn, c).map(ApplyResponse::Compaction)
    } else {
        let revision = store.current_revision(wtxn)?;
        return Ok(ApplyResult { revision, response: None, error: Some(ApplyError::UnknownRequest) });
    };
    let (response, error) = match outcome {
        Ok(r) => (Some(r), None),
        Err(e) => (None, Some(kv_error(e)?)),
    };
    let revision = store.current_revision(wtxn)?;
    Ok(ApplyResult { revision, response, error })
}

/// Splits a KV apply error into a deterministic [`ApplyError`] or a fatal storage error.
fn kv_error(e: kv::KvApplyError) -> Result<ApplyError, crate::mvcc::MvccError> {
    match e {
        kv::KvApplyError::Compacted => Ok(ApplyError::Compacted),
        kv::KvApplyError::FutureRev => Ok(ApplyError::FutureRev),
        kv::KvApplyError::KeyNotFound => Ok(ApplyError::KeyNotFound),
        kv::KvApplyError::LeaseNotFound => Ok(ApplyError::LeaseNotFound),
        kv::KvApplyError::Storage(s) => Err(s),
    }
}
