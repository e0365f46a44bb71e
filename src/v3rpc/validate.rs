//! Request validation before anything is proposed, as etcd's `v3rpc/key.go`: empty keys,
//! ignore_value / ignore_lease conflicts, txn size (`--max-txn-ops`) and overlapping
//! puts / deletes inside one txn.

use std::collections::HashSet;

use crate::keys::Interval;
use crate::pb::etcdserverpb::request_op::Request;
use crate::pb::etcdserverpb::{
    DeleteRangeRequest, PutRequest, RangeRequest, RequestOp, TxnRequest,
};
use crate::rpctypes::WireError;

/// An Alarm request must name a known alarm type (`NONE`, `NOSPACE`, `CORRUPT`) and action
/// (`GET`, `ACTIVATE`, `DEACTIVATE`). etcd 3.4 stores an unknown type and then crashes on
/// it; etcd-oxide refuses it before proposing, with gRPC `InvalidArgument`.
///
/// # Errors
/// `InvalidArgument`: `etcdserver: unknown alarm type` / `etcdserver: unknown alarm action`.
#[allow(clippy::result_large_err)]
pub fn check_alarm(r: &crate::pb::etcdserverpb::AlarmRequest) -> Result<(), tonic::Status> {
    use crate::pb::etcdserverpb::alarm_request::AlarmAction;
    use crate::pb::etcdserverpb::AlarmType;
    if AlarmAction::try_from(r.action).is_err() {
        return Err(tonic::Status::invalid_argument(
            "etcdserver: unknown alarm action",
        ));
    }
    if AlarmType::try_from(r.alarm).is_err() {
        return Err(tonic::Status::invalid_argument(
            "etcdserver: unknown alarm type",
        ));
    }
    Ok(())
}

/// etcd's `checkRangeRequest`.
///
/// # Errors
/// [`WireError::EmptyKey`].
pub fn check_range(r: &RangeRequest) -> Result<(), WireError> {
    if r.key.is_empty() {
        return Err(WireError::EmptyKey);
    }
    Ok(())
}

/// etcd's `checkPutRequest`.
///
/// # Errors
/// [`WireError::EmptyKey`], [`WireError::ValueProvided`], [`WireError::LeaseProvided`].
pub fn check_put(r: &PutRequest) -> Result<(), WireError> {
    if r.key.is_empty() {
        return Err(WireError::EmptyKey);
    }
    if r.ignore_value && !r.value.is_empty() {
        return Err(WireError::ValueProvided);
    }
    if r.ignore_lease && r.lease != 0 {
        return Err(WireError::LeaseProvided);
    }
    Ok(())
}

/// etcd's `checkDeleteRequest`.
///
/// # Errors
/// [`WireError::EmptyKey`].
pub fn check_delete(r: &DeleteRangeRequest) -> Result<(), WireError> {
    if r.key.is_empty() {
        return Err(WireError::EmptyKey);
    }
    Ok(())
}

/// etcd's `checkTxnRequest` followed by `checkIntervals` on both branches.
///
/// # Errors
/// [`WireError::TooManyOps`] when compares, success or failure exceed `max_txn_ops`;
/// [`WireError::EmptyKey`]; [`WireError::KeyNotFound`] for an empty op;
/// [`WireError::DuplicateKey`] when one branch puts a key twice or puts a key it deletes.
pub fn check_txn(r: &TxnRequest, max_txn_ops: usize) -> Result<(), WireError> {
    check_txn_ops(r, max_txn_ops)?;
    check_intervals(&r.success)?;
    check_intervals(&r.failure)?;
    Ok(())
}

fn check_txn_ops(r: &TxnRequest, max_txn_ops: usize) -> Result<(), WireError> {
    let opc = r.compare.len().max(r.success.len()).max(r.failure.len());
    if opc > max_txn_ops {
        return Err(WireError::TooManyOps);
    }
    if r.compare.iter().any(|c| c.key.is_empty()) {
        return Err(WireError::EmptyKey);
    }
    for op in r.success.iter().chain(r.failure.iter()) {
        check_op(op, max_txn_ops - opc)?;
    }
    Ok(())
}

fn check_op(op: &RequestOp, max_txn_ops: usize) -> Result<(), WireError> {
    match &op.request {
        Some(Request::RequestRange(r)) => check_range(r),
        Some(Request::RequestPut(r)) => check_put(r),
        Some(Request::RequestDeleteRange(r)) => check_delete(r),
        Some(Request::RequestTxn(t)) => check_txn_ops(t, max_txn_ops),
        None => Err(WireError::KeyNotFound),
    }
}

fn intersects(dels: &[Interval], k: &[u8]) -> bool {
    dels.iter().any(|iv| iv.contains(k))
}

/// etcd's `checkIntervals`: returns the puts and deletes of this level and below.
fn check_intervals(reqs: &[RequestOp]) -> Result<(HashSet<Vec<u8>>, Vec<Interval>), WireError> {
    let mut dels: Vec<Interval> = Vec::new();
    for req in reqs {
        if let Some(Request::RequestDeleteRange(d)) = &req.request {
            let end = if d.range_end.is_empty() {
                let mut e = d.key.clone();
                e.push(0);
                e
            } else {
                d.range_end.clone()
            };
            // etcd's `checkIntervals` takes the range end literally: `"\0"` is the interval
            // `[key, "\0")` (no key after `key`), not "every key `>= key`" as
            // `KeyRange::new` reads it.
            dels.push(Interval {
                begin: d.key.clone(),
                end: Some(end),
            });
        }
    }
    let mut puts: HashSet<Vec<u8>> = HashSet::new();
    for req in reqs {
        let Some(Request::RequestTxn(t)) = &req.request else {
            continue;
        };
        let (puts_then, dels_then) = check_intervals(&t.success)?;
        let (puts_else, dels_else) = check_intervals(&t.failure)?;
        for k in &puts_then {
            if puts.contains(k) || intersects(&dels, k) {
                return Err(WireError::DuplicateKey);
            }
            puts.insert(k.clone());
        }
        for k in puts_else {
            if puts.contains(&k) && !puts_then.contains(&k) {
                return Err(WireError::DuplicateKey);
            }
            if intersects(&dels, &k) {
                return Err(WireError::DuplicateKey);
            }
            puts.insert(k);
        }
        dels.extend(dels_then);
        dels.extend(dels_else);
    }
    for req in reqs {
        let Some(Request::RequestPut(p)) = &req.request else {
            continue;
        };
        if puts.contains(&p.key) || intersects(&dels, &p.key) {
            return Err(WireError::DuplicateKey);
        }
        puts.insert(p.key.clone());
    }
    Ok((puts, dels))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(k: &str) -> RequestOp {
        RequestOp {
            request: Some(Request::RequestPut(PutRequest {
                key: k.into(),
                ..Default::default()
            })),
        }
    }
    fn del(k: &str, end: &str) -> RequestOp {
        RequestOp {
            request: Some(Request::RequestDeleteRange(DeleteRangeRequest {
                key: k.into(),
                range_end: end.into(),
                ..Default::default()
            })),
        }
    }

    #[test]
    fn duplicate_puts_and_put_delete_overlap_are_refused() {
        let t = TxnRequest {
            success: vec![put("a"), put("a")],
            ..Default::default()
        };
        assert_eq!(check_txn(&t, 128), Err(WireError::DuplicateKey));
        let t = TxnRequest {
            success: vec![put("b"), del("a", "c")],
            ..Default::default()
        };
        assert_eq!(check_txn(&t, 128), Err(WireError::DuplicateKey));
        // Same key in success and failure is fine.
        let t = TxnRequest {
            success: vec![put("a")],
            failure: vec![put("a")],
            ..Default::default()
        };
        assert_eq!(check_txn(&t, 128), Ok(()));
        // A from-key delete ("\0" end) does not conflict, as in etcd.
        let t = TxnRequest {
            success: vec![put("b"), del("a", "\0")],
            ..Default::default()
        };
        assert_eq!(check_txn(&t, 128), Ok(()));
    }

    #[test]
    fn too_many_ops_and_empty_keys() {
        let t = TxnRequest {
            success: (0..3).map(|i| put(&i.to_string())).collect(),
            ..Default::default()
        };
        assert_eq!(check_txn(&t, 2), Err(WireError::TooManyOps));
        assert_eq!(check_put(&PutRequest::default()), Err(WireError::EmptyKey));
        let p = PutRequest {
            key: b"k".to_vec(),
            value: b"v".to_vec(),
            ignore_value: true,
            ..Default::default()
        };
        assert_eq!(check_put(&p), Err(WireError::ValueProvided));
        let t = TxnRequest {
            success: vec![RequestOp { request: None }],
            ..Default::default()
        };
        assert_eq!(check_txn(&t, 128), Err(WireError::KeyNotFound));
    }
}
