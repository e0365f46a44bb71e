//! Applying lease requests and keeping key attachments in step with MVCC events
//! (etcd's `applierV3backend.LeaseGrant/LeaseRevoke` and the lessor's Attach/Detach).

use std::collections::HashSet;

use super::{kv, txn, ApplyError, ApplyFatal, Stores};
use crate::lease::{LeaseRecord, MAX_LEASE_TTL};
use crate::pb::etcdserverpb::request_op::Request;
use crate::pb::etcdserverpb::{
    DeleteRangeRequest, LeaseGrantRequest, LeaseGrantResponse, LeaseRevokeRequest,
    LeaseRevokeResponse, PutRequest, RequestOp, TxnRequest,
};
use crate::pb::mvccpb::{event::EventType, Event};

/// Lease IDs a put refers to (0 = none).
pub fn put_leases(p: &PutRequest) -> Vec<i64> {
    if p.lease != 0 {
        vec![p.lease]
    } else {
        Vec::new()
    }
}

/// Lease IDs referred to by any put in a txn, both branches, nested txns included.
pub fn txn_leases(t: &TxnRequest) -> Vec<i64> {
    let mut out = Vec::new();
    for op in t.success.iter().chain(t.failure.iter()) {
        match &op.request {
            Some(Request::RequestPut(p)) if p.lease != 0 => out.push(p.lease),
            Some(Request::RequestTxn(inner)) => out.extend(txn_leases(inner)),
            _ => {}
        }
    }
    out
}

/// Which of `ids` are granted leases.
///
/// # Errors
/// Storage errors.
pub fn existing_leases(
    stores: &Stores,
    txn: &heed::RoTxn,
    ids: Vec<i64>,
) -> Result<HashSet<i64>, ApplyFatal> {
    let mut out = HashSet::new();
    for id in ids {
        if stores.leases.get(txn, id)?.is_some() {
            out.insert(id);
        }
    }
    Ok(out)
}

/// Grants a lease. The proposer has already chosen the ID and raised the TTL to the
/// minimum, so apply is deterministic.
///
/// # Errors
/// Storage errors (outer); [`ApplyError::LeaseExist`], [`ApplyError::LeaseTtlTooLarge`],
/// [`ApplyError::LeaseNotFound`] for ID 0 (inner).
pub fn grant(
    stores: &Stores,
    wtxn: &mut heed::RwTxn,
    req: &LeaseGrantRequest,
) -> Result<Result<LeaseGrantResponse, ApplyError>, ApplyFatal> {
    if req.id == 0 {
        return Ok(Err(ApplyError::LeaseNotFound));
    }
    if req.ttl > MAX_LEASE_TTL {
        return Ok(Err(ApplyError::LeaseTtlTooLarge));
    }
    if stores.leases.get(wtxn, req.id)?.is_some() {
        return Ok(Err(ApplyError::LeaseExist));
    }
    stores.leases.put(
        wtxn,
        &LeaseRecord {
            id: req.id,
            ttl: req.ttl,
        },
    )?;
    let m = crate::observability::metrics();
    m.inc_counter("etcd_debugging_lease_granted_total");
    m.observe("etcd_debugging_lease_ttl_total", req.ttl as f64);
    Ok(Ok(LeaseGrantResponse {
        header: None,
        id: req.id,
        ttl: req.ttl,
        error: String::new(),
    }))
}

/// Revokes a lease: deletes every attached key in ONE revision, then the lease.
///
/// # Errors
/// Storage errors (outer); [`ApplyError::LeaseNotFound`] (inner).
pub fn revoke(
    stores: &Stores,
    wtxn: &mut heed::RwTxn,
    req: &LeaseRevokeRequest,
    events: &mut Vec<Event>,
) -> Result<Result<LeaseRevokeResponse, ApplyError>, ApplyFatal> {
    if stores.leases.get(wtxn, req.id)?.is_none() {
        return Ok(Err(ApplyError::LeaseNotFound));
    }
    fail::fail_point!("applyBeforeLeaseRevoke", |_| Err(ApplyFatal::Mvcc(
        crate::mvcc::MvccError::Storage(heed::Error::Io(std::io::Error::other(
            "failpoint applyBeforeLeaseRevoke"
        )))
    )));
    let keys = stores.leases.keys(wtxn, req.id)?;
    if !keys.is_empty() {
        let keys_len = keys.len();
        let deletes = keys
            .into_iter()
            .map(|key| RequestOp {
                request: Some(Request::RequestDeleteRange(DeleteRangeRequest {
                    key,
                    ..Default::default()
                })),
            })
            .collect();
        let txn = TxnRequest {
            compare: Vec::new(),
            success: deletes,
            failure: Vec::new(),
        };
        let n = keys_len as u64;
        match txn::txn(&stores.kv, wtxn, &txn, &|_| false) {
            Ok((_, ev)) => {
                // etcd's lessor deletes the keys in one store transaction, which its
                // `metricsTxnWrite` counts as n deletes (and a txn when n > 1).
                crate::observability::metrics().count_mvcc_ops(0, 0, n);
                events.extend(ev)
            }
            Err(kv::KvApplyError::Storage(s)) => return Err(ApplyFatal::Mvcc(s)),
            Err(other) => {
                return Err(ApplyFatal::Mvcc(crate::mvcc::MvccError::Corrupt(format!(
                    "revoking lease {:x}: {other}",
                    req.id
                ))))
            }
        }
    }
    stores.leases.delete(wtxn, req.id)?;
    crate::observability::metrics().inc_counter("etcd_debugging_lease_revoked_total");
    Ok(Ok(LeaseRevokeResponse { header: None }))
}

/// Keeps `lease_keys` in step with MVCC events: a put attaches its key to its lease and
/// detaches it from the previous one; a delete detaches it.
///
/// # Errors
/// Storage errors.
pub fn follow_events(
    stores: &Stores,
    wtxn: &mut heed::RwTxn,
    events: &[Event],
) -> Result<(), ApplyFatal> {
    for ev in events {
        let Some(kv) = &ev.kv else { continue };
        let prev_lease = ev.prev_kv.as_ref().map(|p| p.lease).unwrap_or(0);
        if ev.r#type == EventType::Put as i32 {
            if prev_lease != 0 && prev_lease != kv.lease {
                stores.leases.detach(wtxn, prev_lease, &kv.key)?;
            }
            if kv.lease != 0 {
                stores.leases.attach(wtxn, kv.lease, &kv.key)?;
            }
        } else if prev_lease != 0 {
            stores.leases.detach(wtxn, prev_lease, &kv.key)?;
        }
    }
    Ok(())
}
