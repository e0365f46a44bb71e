//! The ONLY code that changes replicated state. Deterministic: the same entries applied to
//! the same state give the same state and results on every member. Whatever varies (IDs,
//! time, auth revision) was chosen by the proposer and travels in the entry.
//!
//! Order of checks follows etcd's applier chain: alarm → auth → quota → dispatch to
//! kv / txn / lease / auth / membership. Deterministic failures (a compacted revision, a
//! missing lease) are values in [`ApplyResult`], identical on every member; only storage
//! failures are errors of the state machine.
//!
//! [`state`] composes the domain stores into the state database the state machine applies
//! to and the server reads from.
//!
//! [`etcd_export`] / [`etcd_import`]: the state as etcd 3.4's bbolt backend and back (Snapshot
//! RPC, `etcd util snapshot export|restore`; the import runs offline on a fresh database).
//!
//! Depends on: mvcc, lease, auth, alarm, membership, v2store, storage, pb.

pub mod alarm;
pub mod auth;
pub(crate) mod etcd_export;
pub(crate) mod etcd_import;
pub(crate) mod etcd_v2store;
pub mod kv;
pub mod lease;
pub mod migrate_v2;
pub mod state;
#[cfg(test)]
mod testutil;
pub mod txn;

use serde::{Deserialize, Serialize};

use crate::lease::LeaseStore;
use crate::mvcc::KvStore;
use crate::pb::etcdserverpb::{
    AlarmResponse, CompactionResponse, DeleteRangeResponse, LeaseGrantResponse,
    LeaseRevokeResponse, PutResponse, TxnResponse,
};
use crate::pb::mvccpb::Event;
use crate::pb::peer::InternalRaftRequest;

/// The Raft node type: an etcd member (name, peer and client URLs), re-exported so that
/// `raft`, which names no domain module, reaches it through apply.
pub use crate::membership::Member;

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
    /// `etcdserver: lease already exists`.
    #[error("etcdserver: lease already exists")]
    LeaseExist,
    /// `etcdserver: too large lease TTL`.
    #[error("etcdserver: too large lease TTL")]
    LeaseTtlTooLarge,
    /// An auth failure (permission denied, old auth revision, unknown user, ...).
    #[error("{0}")]
    Auth(crate::auth::AuthError),
    /// The entry carried no request this member knows how to apply.
    #[error("etcdserver: unknown request")]
    UnknownRequest,
    /// `etcdserver: corrupt cluster`: the CORRUPT alarm is active (etcd's
    /// `applierV3Corrupt` refuses writes, compactions and lease grants/revokes), or this
    /// member found a damaged record (CRC-32C mismatch) while applying.
    #[error("etcdserver: corrupt cluster")]
    Corrupt,
    /// `etcdserver: request is too large`: applying the request hit a storage limit that
    /// only its input can cause (an LMDB key or value over LMDB's size limits). The request
    /// is rolled back alone, the same way on every member, and the member keeps serving.
    #[error("etcdserver: request is too large")]
    RequestTooLarge,
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
    /// Result of a LeaseGrant.
    LeaseGrant(LeaseGrantResponse),
    /// Result of a LeaseRevoke.
    LeaseRevoke(LeaseRevokeResponse),
    /// Result of an Alarm request.
    Alarm(AlarmResponse),
    /// A member's attributes were recorded.
    MemberAttrSet,
    /// Result of an auth request.
    Auth(auth::AuthApplyResponse),
    /// Result of a v2 keys request (its answer or etcd's v2 error, and the watcher events).
    V2(crate::v2store::store::V2Applied),
}

/// The replicated stores apply writes to, all in the `member/snap/db` environment.
#[derive(Debug, Clone, Copy)]
pub struct Stores {
    /// The MVCC key-value store.
    pub kv: KvStore,
    /// The lease table and key attachments.
    pub leases: LeaseStore,
    /// Active alarms.
    pub alarms: crate::alarm::AlarmStore,
    /// Published member attributes.
    pub members: crate::membership::store::MemberStore,
    /// Users, roles, the enabled flag and the auth revision.
    pub auth: crate::auth::store::AuthStore,
    /// The v2 keys store (`--enable-v2`).
    pub v2: crate::v2store::store::V2Store,
}

/// Failures of apply that are not deterministic request failures: storage only.
#[derive(Debug, thiserror::Error)]
pub enum ApplyFatal {
    /// The MVCC store failed.
    #[error(transparent)]
    Mvcc(#[from] crate::mvcc::MvccError),
    /// The lease table failed.
    #[error(transparent)]
    Lease(#[from] crate::lease::LeaseError),
    /// The auth store failed.
    #[error(transparent)]
    Auth(#[from] crate::auth::AuthStorageError),
    /// The v2 store failed.
    #[error(transparent)]
    V2(#[from] crate::v2store::store::V2StoreError),
}

impl ApplyFatal {
    /// The damaged record (CRC-32C mismatch) behind this failure, whichever store found it
    /// (MVCC, alarms, members, leases, auth).
    pub fn checksum(&self) -> Option<&crate::storage::record::ChecksumMismatch> {
        match self {
            ApplyFatal::Mvcc(crate::mvcc::MvccError::Checksum(c))
            | ApplyFatal::Lease(crate::lease::LeaseError::Checksum(c))
            | ApplyFatal::Auth(crate::auth::AuthStorageError::Checksum(c)) => Some(c),
            _ => None,
        }
    }

    /// Whether this failure was caused by the request's input rather than the disk: LMDB's
    /// `MDB_BAD_VALSIZE` (a key over 511 bytes or empty, a value too large) anywhere in the
    /// source chain. Such a failure is deterministic (every member applying the same entry
    /// meets it), so apply rolls back the request and reports [`ApplyError::RequestTooLarge`]
    /// instead of stopping the member.
    pub fn is_input_caused(&self) -> bool {
        let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(self);
        while let Some(e) = cur {
            if let Some(heed::Error::Mdb(heed::MdbError::BadValSize)) = e.downcast_ref() {
                return true;
            }
            cur = e.source();
        }
        false
    }
}

/// A members-store failure as an MVCC-layer storage failure (apply reports both as
/// [`ApplyFatal::Mvcc`]). Lives here, not in `membership`, which may not name `mvcc`.
impl From<crate::membership::store::MemberStoreError> for crate::mvcc::MvccError {
    fn from(e: crate::membership::store::MemberStoreError) -> crate::mvcc::MvccError {
        use crate::membership::store::MemberStoreError;
        match e {
            MemberStoreError::Storage(h) => crate::mvcc::MvccError::Storage(h),
            MemberStoreError::Checksum(c) => crate::mvcc::MvccError::Checksum(c),
            MemberStoreError::Encode(m) => crate::mvcc::MvccError::Corrupt(m),
        }
    }
}

/// An alarm-store failure as an MVCC-layer storage failure (apply reports both as
/// [`ApplyFatal::Mvcc`]). Lives here, not in `alarm`, which may not name `mvcc`.
impl From<crate::alarm::AlarmStoreError> for crate::mvcc::MvccError {
    fn from(e: crate::alarm::AlarmStoreError) -> crate::mvcc::MvccError {
        match e {
            crate::alarm::AlarmStoreError::Storage(h) => crate::mvcc::MvccError::Storage(h),
            crate::alarm::AlarmStoreError::Checksum(c) => crate::mvcc::MvccError::Checksum(c),
        }
    }
}

/// `TryFrom<ApplyResponse>` for each response type: the caller of a proposal names the
/// response it expects and gets the other kind back as the error.
macro_rules! response_kinds {
    ($($variant:ident($ty:ty)),* $(,)?) => {
        $(
            impl TryFrom<ApplyResponse> for $ty {
                type Error = ApplyResponse;

                fn try_from(r: ApplyResponse) -> Result<$ty, ApplyResponse> {
                    match r {
                        ApplyResponse::$variant(x) => Ok(x),
                        other => Err(other),
                    }
                }
            }
        )*
    };
}

response_kinds! {
    Put(PutResponse),
    DeleteRange(DeleteRangeResponse),
    Txn(TxnResponse),
    Compaction(CompactionResponse),
    LeaseGrant(LeaseGrantResponse),
    LeaseRevoke(LeaseRevokeResponse),
    Alarm(AlarmResponse),
    Auth(auth::AuthApplyResponse),
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

impl ApplyResult {
    /// The v2 events this result produced, for the v2 watcher hub (none for other requests).
    pub fn v2_events(&self) -> &[crate::v2store::Event] {
        match &self.response {
            Some(ApplyResponse::V2(v)) => &v.events,
            _ => &[],
        }
    }
}

/// The results of one log entry's batch of requests, in order (empty for blank and
/// membership entries).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ApplyResults(pub Vec<ApplyResult>);

/// Applies one client request inside the caller's LMDB write transaction.
///
/// `events` receives the MVCC events (with prev_kv) the request produced, in revision
/// order, for the watch hub to publish after commit. Lease attachments follow the events.
///
/// # Errors
/// Only storage failures ([`ApplyFatal`]); request failures are returned inside the
/// [`ApplyResult`].
pub fn apply_request(
    stores: &Stores,
    wtxn: &mut heed::RwTxn,
    req: &InternalRaftRequest,
    events: &mut Vec<Event>,
) -> Result<ApplyResult, ApplyFatal> {
    let corrupt = |stores: &Stores, wtxn: &heed::RwTxn| -> Result<ApplyResult, ApplyFatal> {
        Ok(ApplyResult {
            revision: stores.kv.current_revision(wtxn)?,
            response: None,
            error: Some(ApplyError::Corrupt),
        })
    };
    // etcd's applierV3Corrupt: with CORRUPT raised, these requests fail on every member.
    if is_corrupt_refused(req)
        && stores
            .alarms
            .is_active(wtxn, crate::pb::etcdserverpb::AlarmType::Corrupt)
            .map_err(|e| ApplyFatal::Mvcc(e.into()))?
    {
        return corrupt(stores, wtxn);
    }
    apply_checked_request(stores, wtxn, req, events)
}

/// Whether a request is refused while CORRUPT is active (etcd's `applierV3Corrupt`: Put,
/// DeleteRange, Txn, Compaction, LeaseGrant, LeaseRevoke; read-only txns are reads).
fn is_corrupt_refused(req: &InternalRaftRequest) -> bool {
    req.put.is_some()
        || req.delete_range.is_some()
        || req.compaction.is_some()
        || req.lease_grant.is_some()
        || req.lease_revoke.is_some()
        || req.txn.as_ref().is_some_and(|t| !txn::is_txn_read_only(t))
}

/// [`apply_request`] once the CORRUPT check passed.
fn apply_checked_request(
    stores: &Stores,
    wtxn: &mut heed::RwTxn,
    req: &InternalRaftRequest,
    events: &mut Vec<Event>,
) -> Result<ApplyResult, ApplyFatal> {
    let first_event = events.len();
    // etcd's applierV3Capped: with NOSPACE raised, writes that grow the store fail.
    if is_capped_write(req)
        && stores
            .alarms
            .is_active(wtxn, crate::pb::etcdserverpb::AlarmType::Nospace)
            .map_err(|e| ApplyFatal::Mvcc(e.into()))?
    {
        let revision = stores.kv.current_revision(wtxn)?;
        return Ok(ApplyResult {
            revision,
            response: None,
            error: Some(ApplyError::NoSpace),
        });
    }
    // etcd's authApplierV3: permissions as of this entry, with the proposer's auth info.
    if let Err(e) = auth::check(stores, wtxn, req)? {
        let revision = stores.kv.current_revision(wtxn)?;
        return Ok(ApplyResult {
            revision,
            response: None,
            error: Some(e),
        });
    }
    let outcome: Result<ApplyResponse, ApplyError> = if auth::is_auth_request(req) {
        auth::apply(stores, wtxn, req)?.map(ApplyResponse::Auth)
    } else if let Some(put) = &req.put {
        let known = lease::existing_leases(stores, wtxn, lease::put_leases(put))?;
        kv_outcome(kv::put(&stores.kv, wtxn, put, &|id| known.contains(&id)))?.map(|(r, ev)| {
            events.extend(ev);
            ApplyResponse::Put(r)
        })
    } else if let Some(del) = &req.delete_range {
        kv_outcome(kv::delete_range(&stores.kv, wtxn, del))?.map(|(r, ev)| {
            events.extend(ev);
            ApplyResponse::DeleteRange(r)
        })
    } else if let Some(txn) = &req.txn {
        let known = lease::existing_leases(stores, wtxn, lease::txn_leases(txn))?;
        kv_outcome(txn::txn(&stores.kv, wtxn, txn, &|id| known.contains(&id)))?.map(|(r, ev)| {
            events.extend(ev);
            ApplyResponse::Txn(r)
        })
    } else if let Some(c) = &req.compaction {
        kv_outcome(kv::compaction(&stores.kv, wtxn, c))?.map(ApplyResponse::Compaction)
    } else if let Some(g) = &req.lease_grant {
        lease::grant(stores, wtxn, g)?.map(ApplyResponse::LeaseGrant)
    } else if let Some(r) = &req.lease_revoke {
        lease::revoke(stores, wtxn, r, events)?.map(ApplyResponse::LeaseRevoke)
    } else if let Some(m) = &req.member_attr_set {
        let mut attrs = stores
            .members
            .get(wtxn, m.member_id)
            .map_err(|e| ApplyFatal::Mvcc(e.into()))?
            .unwrap_or_default();
        attrs.name = m.name.clone();
        attrs.client_urls = m.client_urls.clone();
        stores
            .members
            .set(wtxn, m.member_id, &attrs)
            .map_err(|e| ApplyFatal::Mvcc(e.into()))?;
        Ok(ApplyResponse::MemberAttrSet)
    } else if let Some(m) = &req.member_pending_voter {
        let mut attrs = stores
            .members
            .get(wtxn, m.member_id)
            .map_err(|e| ApplyFatal::Mvcc(e.into()))?
            .unwrap_or_default();
        attrs.pending_voter = m.pending;
        stores
            .members
            .set(wtxn, m.member_id, &attrs)
            .map_err(|e| ApplyFatal::Mvcc(e.into()))?;
        Ok(ApplyResponse::MemberAttrSet)
    } else if let Some(a) = &req.alarm {
        alarm::apply(&stores.alarms, wtxn, a)?.map(ApplyResponse::Alarm)
    } else if let Some(v) = &req.v2 {
        Ok(ApplyResponse::V2(stores.v2.apply(wtxn, v)?))
    } else {
        Err(ApplyError::UnknownRequest)
    };
    lease::follow_events(stores, wtxn, &events[first_event..])?;
    let revision = stores.kv.current_revision(wtxn)?;
    Ok(match outcome {
        Ok(r) => ApplyResult {
            revision,
            response: Some(r),
            error: None,
        },
        Err(e) => ApplyResult {
            revision,
            response: None,
            error: Some(e),
        },
    })
}

/// Whether a request is refused while NOSPACE is active: puts, txns that write, lease grants.
fn is_capped_write(req: &InternalRaftRequest) -> bool {
    req.put.is_some()
        || req.lease_grant.is_some()
        || req.txn.as_ref().is_some_and(|t| !txn::is_txn_read_only(t))
}

/// Splits a KV apply result into a deterministic outcome (inner) or a fatal storage error
/// (outer `Err`).
fn kv_outcome<T>(r: Result<T, kv::KvApplyError>) -> Result<Result<T, ApplyError>, ApplyFatal> {
    match r {
        Ok(v) => Ok(Ok(v)),
        Err(kv::KvApplyError::Compacted) => Ok(Err(ApplyError::Compacted)),
        Err(kv::KvApplyError::FutureRev) => Ok(Err(ApplyError::FutureRev)),
        Err(kv::KvApplyError::KeyNotFound) => Ok(Err(ApplyError::KeyNotFound)),
        Err(kv::KvApplyError::LeaseNotFound) => Ok(Err(ApplyError::LeaseNotFound)),
        Err(kv::KvApplyError::Storage(s)) => Err(ApplyFatal::Mvcc(s)),
    }
}
