//! Deterministic KV apply (etcd 3.4's `etcdserver/apply.go`: Put, DeleteRange, Range, Txn,
//! Compaction) on top of [`crate::mvcc::KvStore`].
//!
//! Every function works inside the caller's LMDB write transaction (one per applied batch) and
//! leaves response headers `None`: the caller fills cluster id, member id, revision and raft term.
//! Writes also return the `mvccpb::Event`s they produced (with `prev_kv` always filled when the key
//! existed) so the caller can maintain lease attachments and notify watchers.
//!
//! Lease existence is asked through a `&dyn Fn(i64) -> bool` so this module needs no lessor.
//! Not checked here, because etcd rejects them earlier in `v3rpc/key.go` (`checkPutRequest`):
//! empty keys, `ignore_value` with a value ("etcdserver: value is provided") and `ignore_lease`
//! with a lease ("etcdserver: lease is provided").
//!
//! Depends on `crate::mvcc` and `crate::pb` only.

use crate::keys::KeyRange;
use crate::mvcc::kv_store::{KvStore, MvccError, TxnWrite};
use crate::pb::etcdserverpb::compare::{CompareResult, CompareTarget, TargetUnion};
use crate::pb::etcdserverpb::request_op::Request;
use crate::pb::etcdserverpb::response_op::Response;
use crate::pb::etcdserverpb::{
    CompactionRequest, CompactionResponse, Compare, DeleteRangeRequest, DeleteRangeResponse,
    PutRequest, PutResponse, RangeRequest, ResponseOp, TxnRequest, TxnResponse,
};
use crate::pb::mvccpb::{Event, KeyValue};

/// Deterministic failures of a KV request (the same on every member) plus storage failures.
/// Messages are etcd's gRPC wire strings (`rpctypes/error.go`).
#[derive(Debug, thiserror::Error)]
pub enum KvApplyError {
    /// A read asked for a revision below the compact revision, or a compaction for one at or
    /// below it (gRPC `OutOfRange`).
    #[error("etcdserver: mvcc: required revision has been compacted")]
    Compacted,
    /// A read or compaction asked for a revision above the current one (gRPC `OutOfRange`).
    #[error("etcdserver: mvcc: required revision is a future revision")]
    FutureRev,
    /// A put with `ignore_value` or `ignore_lease` on a key that does not exist (gRPC
    /// `InvalidArgument`).
    #[error("etcdserver: key not found")]
    KeyNotFound,
    /// A put attached to a lease that does not exist (gRPC `NotFound`).
    #[error("etcdserver: requested lease not found")]
    LeaseNotFound,
    /// The store failed (LMDB error or corrupt data): not deterministic, fatal for the apply loop.
    #[error(transparent)]
    Storage(MvccError),
}

impl From<MvccError> for KvApplyError {
    fn from(e: MvccError) -> Self {
        match e {
            MvccError::Compacted => KvApplyError::Compacted,
            MvccError::FutureRev => KvApplyError::FutureRev,
            other => KvApplyError::Storage(other),
        }
    }
}

/// Applies a Put at the next revision (etcd's `applierV3backend.Put`): `prev_kv` in the response
/// when asked and the key existed; `ignore_value` / `ignore_lease` reuse the current value / lease.
/// `leases(id)` says whether lease `id` exists. Returns the response and the single PUT event.
///
/// # Errors
/// [`KvApplyError::LeaseNotFound`] if `lease != 0` and `leases(lease)` is false (checked first,
/// as etcd does); [`KvApplyError::KeyNotFound`] for `ignore_value`/`ignore_lease` on a missing
/// key; storage errors. Nothing is written on error.
pub fn put(
    store: &KvStore,
    wtxn: &mut heed::RwTxn,
    req: &PutRequest,
    leases: &dyn Fn(i64) -> bool,
) -> Result<(PutResponse, Vec<Event>), KvApplyError> {
    if req.lease != 0 && !leases(req.lease) {
        return Err(KvApplyError::LeaseNotFound);
    }
    let mut tw = store.write(wtxn)?;
    let resp = put_in(&mut tw, req)?;
    Ok((resp, tw.end()))
}

/// Applies a DeleteRange at the next revision (etcd's `applierV3backend.DeleteRange`):
/// `deleted` counts the keys removed, `prev_kvs` lists them when asked. Deleting nothing does
/// not move the revision. Returns the response and one DELETE event per key, in key order.
///
/// # Errors
/// Storage errors only.
pub fn delete_range(
    store: &KvStore,
    wtxn: &mut heed::RwTxn,
    req: &DeleteRangeRequest,
) -> Result<(DeleteRangeResponse, Vec<Event>), KvApplyError> {
    let mut tw = store.write(wtxn)?;
    let resp = delete_range_in(&mut tw, req)?;
    Ok((resp, tw.end()))
}

/// Applies a Txn (etcd's `applierV3backend.Txn`): evaluates the compares (and those of nested
/// txns in the chosen branches) against the state before the txn, checks the chosen requests
/// (etcd's `checkRequests`), then runs them in order, all at one main revision with increasing sub
/// revisions; reads inside see earlier writes of the same txn. Returns the response (with
/// `ResponseOp`s, headers `None`) and the events of all writes in order.
///
/// Compare semantics (etcd's `applyCompare`): with a `range_end` every key in range must satisfy
/// it; with no key in range a VALUE compare fails and the others compare a zero-valued KeyValue
/// (so `version == 0` means "does not exist").
///
/// # Errors
/// Before anything is written: [`KvApplyError::KeyNotFound`] (`ignore_value`/`ignore_lease` on a
/// key missing before the txn, or deleted by an earlier op of the same txn),
/// [`KvApplyError::LeaseNotFound`], then [`KvApplyError::FutureRev`] / [`KvApplyError::Compacted`]
/// for a range at a bad revision (checked at the revision before the txn). Storage errors.
pub fn txn(
    store: &KvStore,
    wtxn: &mut heed::RwTxn,
    req: &TxnRequest,
    leases: &dyn Fn(i64) -> bool,
) -> Result<(TxnResponse, Vec<Event>), KvApplyError> {
    let mut tw = store.write(wtxn)?;
    let path = TxnPath::evaluate(&tw, req)?;
    let mut effects = Vec::new();
    check_puts(&tw, req, &path, leases, &mut effects)?;
    check_ranges(&tw, req, &path)?;
    let resp = apply_txn(&mut tw, req, &path)?;
    Ok((resp, tw.end()))
}

/// Applies a Compaction (etcd's `applierV3backend.Compaction`), completely inside `wtxn`; the
/// `physical` flag needs no waiting here because the compaction is done when this returns.
///
/// # Errors
/// [`KvApplyError::Compacted`] if `revision` <= the compact revision, [`KvApplyError::FutureRev`]
/// if it is above the current revision; storage errors.
pub fn compaction(
    store: &KvStore,
    wtxn: &mut heed::RwTxn,
    req: &CompactionRequest,
) -> Result<CompactionResponse, KvApplyError> {
    store.compact(wtxn, req.revision)?;
    Ok(CompactionResponse { header: None })
}

fn put_in(tw: &mut TxnWrite<'_, '_>, req: &PutRequest) -> Result<PutResponse, KvApplyError> {
    let prev = if req.ignore_value || req.ignore_lease || req.prev_kv {
        tw.get(&req.key)?
    } else {
        None
    };
    if (req.ignore_value || req.ignore_lease) && prev.is_none() {
        return Err(KvApplyError::KeyNotFound);
    }
    let value = match (&prev, req.ignore_value) {
        (Some(kv), true) => kv.value.as_slice(),
        _ => req.value.as_slice(),
    };
    let lease = match (&prev, req.ignore_lease) {
        (Some(kv), true) => kv.lease,
        _ => req.lease,
    };
    // `value` may borrow `prev`; copy before writing to keep the borrow simple.
    let value = value.to_vec();
    tw.put(&req.key, &value, lease)?;
    Ok(PutResponse {
        header: None,
        prev_kv: if req.prev_kv { prev } else { None },
    })
}

fn delete_range_in(
    tw: &mut TxnWrite<'_, '_>,
    req: &DeleteRangeRequest,
) -> Result<DeleteRangeResponse, KvApplyError> {
    let deleted = tw.delete_range(&req.key, &req.range_end)?;
    let prev_kvs = if req.prev_kv {
        let from = tw.events().len()
            - usize::try_from(deleted).expect("invariant: deleted count is small");
        tw.events()[from..]
            .iter()
            .filter_map(|ev| ev.prev_kv.clone())
            .collect()
    } else {
        Vec::new()
    };
    Ok(DeleteRangeResponse {
        header: None,
        deleted,
        prev_kvs,
    })
}

/// Which branch each txn takes: `succeeded` for this txn, and the paths of the nested txns of the
/// chosen branch, in op order (etcd's flat `txnPath`, as a tree).
struct TxnPath {
    succeeded: bool,
    nested: Vec<TxnPath>,
}

impl TxnPath {
    fn evaluate(tw: &TxnWrite<'_, '_>, req: &TxnRequest) -> Result<TxnPath, KvApplyError> {
        let mut succeeded = true;
        for c in &req.compare {
            if !apply_compare(tw, c)? {
                succeeded = false;
                break;
            }
        }
        let mut nested = Vec::new();
        for op in branch(req, succeeded) {
            if let Some(Request::RequestTxn(t)) = &op.request {
                nested.push(TxnPath::evaluate(tw, t)?);
            }
        }
        Ok(TxnPath { succeeded, nested })
    }
}

fn branch(req: &TxnRequest, succeeded: bool) -> &[crate::pb::etcdserverpb::RequestOp] {
    if succeeded {
        &req.success
    } else {
        &req.failure
    }
}

fn apply_compare(tw: &TxnWrite<'_, '_>, c: &Compare) -> Result<bool, KvApplyError> {
    let rr = match tw.range(&RangeRequest {
        key: c.key.clone(),
        range_end: c.range_end.clone(),
        ..Default::default()
    }) {
        Ok(rr) => rr,
        Err(MvccError::Compacted | MvccError::FutureRev) => return Ok(false),
        Err(e) => return Err(e.into()),
    };
    if rr.kvs.is_empty() {
        if c.target() == CompareTarget::Value {
            return Ok(false);
        }
        return Ok(compare_kv(c, &KeyValue::default()));
    }
    Ok(rr.kvs.iter().all(|kv| compare_kv(c, kv)))
}

/// etcd's `compareKV`: compares one field of `kv` with the compare's target; a missing target
/// value compares as 0 / empty.
fn compare_kv(c: &Compare, kv: &KeyValue) -> bool {
    let union = c.target_union.as_ref();
    let ord = match c.target() {
        CompareTarget::Value => {
            let want: &[u8] = match union {
                Some(TargetUnion::Value(v)) => v,
                _ => &[],
            };
            kv.value.as_slice().cmp(want)
        }
        CompareTarget::Create => kv.create_revision.cmp(&int_target(union, |u| {
            matches!(u, TargetUnion::CreateRevision(_))
        })),
        CompareTarget::Mod => kv.mod_revision.cmp(&int_target(union, |u| {
            matches!(u, TargetUnion::ModRevision(_))
        })),
        CompareTarget::Version => kv
            .version
            .cmp(&int_target(union, |u| matches!(u, TargetUnion::Version(_)))),
        CompareTarget::Lease => kv
            .lease
            .cmp(&int_target(union, |u| matches!(u, TargetUnion::Lease(_)))),
    };
    match c.result() {
        CompareResult::Equal => ord.is_eq(),
        CompareResult::NotEqual => ord.is_ne(),
        CompareResult::Greater => ord.is_gt(),
        CompareResult::Less => ord.is_lt(),
    }
}

/// The integer in `union` if it is the variant `is_variant` accepts, else 0 (etcd reads the
/// oneof with a type assertion and falls back to 0).
fn int_target(union: Option<&TargetUnion>, is_variant: impl Fn(&TargetUnion) -> bool) -> i64 {
    match union {
        Some(u) if is_variant(u) => match u {
            TargetUnion::Version(n)
            | TargetUnion::CreateRevision(n)
            | TargetUnion::ModRevision(n)
            | TargetUnion::Lease(n) => *n,
            TargetUnion::Value(_) => 0,
        },
        _ => 0,
    }
}

/// A write an earlier op of the txn will have made, for existence checks of later puts.
enum Effect<'r> {
    Put(&'r [u8]),
    Delete(&'r [u8], &'r [u8]),
}

impl Effect<'_> {
    /// `Some(exists)` if this effect decides whether `key` exists afterwards.
    fn decides(&self, key: &[u8]) -> Option<bool> {
        match *self {
            Effect::Put(k) => (k == key).then_some(true),
            Effect::Delete(start, end) => KeyRange::new(start, end).contains(key).then_some(false),
        }
    }
}

/// etcd's `checkRequests` with `checkRequestPut`, over the chosen branches in execution order.
/// Beyond etcd (which panics mid-txn in that case), a put with `ignore_*` also fails up front when
/// an earlier op of the same txn deleted its key.
fn check_puts<'r>(
    tw: &TxnWrite<'_, '_>,
    req: &'r TxnRequest,
    path: &TxnPath,
    leases: &dyn Fn(i64) -> bool,
    effects: &mut Vec<Effect<'r>>,
) -> Result<(), KvApplyError> {
    let mut nested = path.nested.iter();
    for op in branch(req, path.succeeded) {
        match &op.request {
            Some(Request::RequestTxn(t)) => {
                let p = nested.next().expect("invariant: one path per nested txn");
                check_puts(tw, t, p, leases, effects)?;
            }
            Some(Request::RequestPut(p)) => {
                if p.ignore_value || p.ignore_lease {
                    let exists_before = tw.get(&p.key)?.is_some();
                    let exists_now = effects
                        .iter()
                        .rev()
                        .find_map(|e| e.decides(&p.key))
                        .unwrap_or(exists_before);
                    if !exists_before || !exists_now {
                        return Err(KvApplyError::KeyNotFound);
                    }
                }
                if p.lease != 0 && !leases(p.lease) {
                    return Err(KvApplyError::LeaseNotFound);
                }
                effects.push(Effect::Put(&p.key));
            }
            Some(Request::RequestDeleteRange(d)) => {
                effects.push(Effect::Delete(&d.key, &d.range_end))
            }
            Some(Request::RequestRange(_)) | None => {}
        }
    }
    Ok(())
}

/// etcd's `checkRequests` with `checkRequestRange`: a range at a revision above the pre-txn
/// revision or below the compact revision fails the whole txn.
fn check_ranges(
    tw: &TxnWrite<'_, '_>,
    req: &TxnRequest,
    path: &TxnPath,
) -> Result<(), KvApplyError> {
    let mut nested = path.nested.iter();
    for op in branch(req, path.succeeded) {
        match &op.request {
            Some(Request::RequestTxn(t)) => {
                check_ranges(
                    tw,
                    t,
                    nested.next().expect("invariant: one path per nested txn"),
                )?;
            }
            Some(Request::RequestRange(r)) if r.revision != 0 => {
                if r.revision > tw.rev() {
                    return Err(KvApplyError::FutureRev);
                }
                if r.revision < tw.compact_revision()? {
                    return Err(KvApplyError::Compacted);
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn apply_txn(
    tw: &mut TxnWrite<'_, '_>,
    req: &TxnRequest,
    path: &TxnPath,
) -> Result<TxnResponse, KvApplyError> {
    let mut nested = path.nested.iter();
    let ops = branch(req, path.succeeded);
    let mut responses = Vec::with_capacity(ops.len());
    for op in ops {
        let response = match &op.request {
            Some(Request::RequestRange(r)) => Some(Response::ResponseRange(tw.range(r)?)),
            Some(Request::RequestPut(p)) => Some(Response::ResponsePut(put_in(tw, p)?)),
            Some(Request::RequestDeleteRange(d)) => {
                Some(Response::ResponseDeleteRange(delete_range_in(tw, d)?))
            }
            Some(Request::RequestTxn(t)) => {
                let p = nested.next().expect("invariant: one path per nested txn");
                Some(Response::ResponseTxn(apply_txn(tw, t, p)?))
            }
            None => None,
        };
        responses.push(ResponseOp { response });
    }
    Ok(TxnResponse {
        header: None,
        succeeded: path.succeeded,
        responses,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::mvcc::testutil::{test_env, TestEnv};
    use crate::pb::etcdserverpb::RequestOp;
    use crate::pb::mvccpb::event::EventType;

    const LEASE: i64 = 42;

    fn leases(id: i64) -> bool {
        id == LEASE
    }

    fn preq(key: &str, value: &str) -> PutRequest {
        PutRequest {
            key: key.into(),
            value: value.into(),
            ..Default::default()
        }
    }

    fn do_put(te: &TestEnv, req: PutRequest) -> Result<(PutResponse, Vec<Event>), KvApplyError> {
        let mut wtxn = te.env.write_txn().unwrap();
        let out = put(&te.store, &mut wtxn, &req, &leases)?;
        wtxn.commit().unwrap();
        Ok(out)
    }

    fn do_txn(te: &TestEnv, req: TxnRequest) -> Result<(TxnResponse, Vec<Event>), KvApplyError> {
        let mut wtxn = te.env.write_txn().unwrap();
        let out = txn(&te.store, &mut wtxn, &req, &leases)?;
        wtxn.commit().unwrap();
        Ok(out)
    }

    fn get(te: &TestEnv, key: &str) -> Option<KeyValue> {
        let rtxn = te.env.read_txn().unwrap();
        let r = te
            .store
            .range(
                &rtxn,
                &RangeRequest {
                    key: key.into(),
                    ..Default::default()
                },
            )
            .unwrap();
        r.kvs.into_iter().next()
    }

    fn current(te: &TestEnv) -> i64 {
        te.store
            .current_revision(&te.env.read_txn().unwrap())
            .unwrap()
    }

    fn op_put(key: &str, value: &str) -> RequestOp {
        RequestOp {
            request: Some(Request::RequestPut(preq(key, value))),
        }
    }
    fn op_range(key: &str, end: &str, revision: i64) -> RequestOp {
        RequestOp {
            request: Some(Request::RequestRange(RangeRequest {
                key: key.into(),
                range_end: end.into(),
                revision,
                ..Default::default()
            })),
        }
    }
    fn op_del(key: &str, end: &str) -> RequestOp {
        RequestOp {
            request: Some(Request::RequestDeleteRange(DeleteRangeRequest {
                key: key.into(),
                range_end: end.into(),
                prev_kv: true,
            })),
        }
    }
    fn op_txn(t: TxnRequest) -> RequestOp {
        RequestOp {
            request: Some(Request::RequestTxn(t)),
        }
    }
    fn cmp(key: &str, target: CompareTarget, result: CompareResult, value: TargetUnion) -> Compare {
        Compare {
            key: key.into(),
            target: target as i32,
            result: result as i32,
            target_union: Some(value),
            range_end: Vec::new(),
        }
    }

    #[test]
    fn put_prev_kv_and_events() {
        let te = test_env();
        let (resp, evs) = do_put(
            &te,
            PutRequest {
                prev_kv: true,
                ..preq("k", "1")
            },
        )
        .unwrap();
        assert_eq!(resp.prev_kv, None);
        assert!(resp.header.is_none());
        assert_eq!(evs.len(), 1);
        assert!(evs[0].prev_kv.is_none());
        let (resp, evs) = do_put(&te, preq("k", "2")).unwrap();
        assert_eq!(resp.prev_kv, None, "prev_kv only when asked");
        assert_eq!(
            evs[0].prev_kv.as_ref().unwrap().value,
            b"1",
            "events always carry prev_kv"
        );
        let (resp, _) = do_put(
            &te,
            PutRequest {
                prev_kv: true,
                ..preq("k", "3")
            },
        )
        .unwrap();
        assert_eq!(resp.prev_kv.unwrap().value, b"2");
    }

    #[test]
    fn put_lease_checks() {
        let te = test_env();
        assert!(matches!(
            do_put(
                &te,
                PutRequest {
                    lease: 7,
                    ..preq("k", "v")
                }
            ),
            Err(KvApplyError::LeaseNotFound)
        ));
        assert_eq!(current(&te), 1, "nothing written on error");
        do_put(
            &te,
            PutRequest {
                lease: LEASE,
                ..preq("k", "v")
            },
        )
        .unwrap();
        assert_eq!(get(&te, "k").unwrap().lease, LEASE);
    }

    #[test]
    fn put_ignore_value_and_lease() {
        let te = test_env();
        let ignore_value = PutRequest {
            ignore_value: true,
            ..preq("k", "")
        };
        assert!(matches!(
            do_put(&te, ignore_value.clone()),
            Err(KvApplyError::KeyNotFound)
        ));
        let ignore_lease = PutRequest {
            ignore_lease: true,
            ..preq("k", "v2")
        };
        assert!(matches!(
            do_put(&te, ignore_lease.clone()),
            Err(KvApplyError::KeyNotFound)
        ));
        assert_eq!(current(&te), 1);

        do_put(
            &te,
            PutRequest {
                lease: LEASE,
                ..preq("k", "v1")
            },
        )
        .unwrap();
        do_put(
            &te,
            PutRequest {
                lease: LEASE,
                ..ignore_value
            },
        )
        .unwrap();
        let kv = get(&te, "k").unwrap();
        assert_eq!(
            (kv.value.as_slice(), kv.lease, kv.version),
            (&b"v1"[..], LEASE, 2)
        );
        do_put(&te, ignore_lease).unwrap();
        let kv = get(&te, "k").unwrap();
        assert_eq!(
            (kv.value.as_slice(), kv.lease, kv.version),
            (&b"v2"[..], LEASE, 3)
        );
        // a plain put drops the lease
        do_put(&te, preq("k", "v3")).unwrap();
        assert_eq!(get(&te, "k").unwrap().lease, 0);
    }

    #[test]
    fn delete_range_counts_and_prev_kvs() {
        let te = test_env();
        for k in ["a", "b", "c"] {
            do_put(&te, preq(k, k)).unwrap();
        }
        let mut wtxn = te.env.write_txn().unwrap();
        let req = DeleteRangeRequest {
            key: "a".into(),
            range_end: "c".into(),
            prev_kv: true,
        };
        let (resp, evs) = delete_range(&te.store, &mut wtxn, &req).unwrap();
        wtxn.commit().unwrap();
        assert_eq!(resp.deleted, 2);
        assert_eq!(
            resp.prev_kvs
                .iter()
                .map(|kv| kv.key.clone())
                .collect::<Vec<_>>(),
            [b"a".to_vec(), b"b".to_vec()]
        );
        assert!(evs
            .iter()
            .all(|e| e.r#type == EventType::Delete as i32
                && e.kv.as_ref().unwrap().mod_revision == 5));
        assert_eq!(current(&te), 5);

        let mut wtxn = te.env.write_txn().unwrap();
        let req = DeleteRangeRequest {
            key: "a".into(),
            range_end: "c".into(),
            prev_kv: false,
        };
        let (resp, evs) = delete_range(&te.store, &mut wtxn, &req).unwrap();
        wtxn.commit().unwrap();
        assert_eq!((resp.deleted, resp.prev_kvs.len(), evs.len()), (0, 0, 0));
        assert_eq!(current(&te), 5, "deleting nothing keeps the revision");
    }

    #[test]
    fn compare_targets_and_results() {
        let te = test_env();
        do_put(
            &te,
            PutRequest {
                lease: LEASE,
                ..preq("k", "b")
            },
        )
        .unwrap(); // rev 2
        do_put(
            &te,
            PutRequest {
                lease: LEASE,
                ..preq("k", "b")
            },
        )
        .unwrap(); // rev 3, version 2
        use CompareResult::{Equal, Greater, Less, NotEqual};
        use CompareTarget as T;
        let cases = [
            (cmp("k", T::Version, Equal, TargetUnion::Version(2)), true),
            (cmp("k", T::Version, Greater, TargetUnion::Version(1)), true),
            (cmp("k", T::Version, Less, TargetUnion::Version(2)), false),
            (
                cmp("k", T::Version, NotEqual, TargetUnion::Version(2)),
                false,
            ),
            (
                cmp("k", T::Create, Equal, TargetUnion::CreateRevision(2)),
                true,
            ),
            (
                cmp("k", T::Create, Less, TargetUnion::CreateRevision(3)),
                true,
            ),
            (cmp("k", T::Mod, Equal, TargetUnion::ModRevision(3)), true),
            (
                cmp("k", T::Mod, Greater, TargetUnion::ModRevision(3)),
                false,
            ),
            (
                cmp("k", T::Value, Equal, TargetUnion::Value(b"b".to_vec())),
                true,
            ),
            (
                cmp("k", T::Value, Greater, TargetUnion::Value(b"a".to_vec())),
                true,
            ),
            (
                cmp("k", T::Value, Less, TargetUnion::Value(b"ba".to_vec())),
                true,
            ),
            (
                cmp("k", T::Value, NotEqual, TargetUnion::Value(b"b".to_vec())),
                false,
            ),
            (cmp("k", T::Lease, Equal, TargetUnion::Lease(LEASE)), true),
            (cmp("k", T::Lease, NotEqual, TargetUnion::Lease(0)), true),
            // A missing key compares as a zero KeyValue, except for VALUE which always fails.
            (
                cmp("missing", T::Version, Equal, TargetUnion::Version(0)),
                true,
            ),
            (
                cmp("missing", T::Create, Equal, TargetUnion::CreateRevision(0)),
                true,
            ),
            (
                cmp("missing", T::Mod, Less, TargetUnion::ModRevision(1)),
                true,
            ),
            (
                cmp("missing", T::Value, Equal, TargetUnion::Value(Vec::new())),
                false,
            ),
            (
                cmp(
                    "missing",
                    T::Value,
                    NotEqual,
                    TargetUnion::Value(b"x".to_vec()),
                ),
                false,
            ),
            // A target union of the wrong kind compares against 0.
            (cmp("k", T::Version, Greater, TargetUnion::Lease(100)), true),
        ];
        for (i, (c, want)) in cases.into_iter().enumerate() {
            let (resp, evs) = do_txn(
                &te,
                TxnRequest {
                    compare: vec![c],
                    ..Default::default()
                },
            )
            .unwrap();
            assert_eq!(resp.succeeded, want, "case {i}");
            assert!(evs.is_empty());
        }
        assert_eq!(current(&te), 3, "read-only txns do not move the revision");
    }

    #[test]
    fn compare_with_range_end_needs_every_key() {
        let te = test_env();
        do_put(&te, preq("a1", "x")).unwrap();
        do_put(&te, preq("a2", "x")).unwrap();
        do_put(&te, preq("a3", "y")).unwrap();
        let value_is_x = |end: &str| Compare {
            range_end: end.into(),
            ..cmp(
                "a1",
                CompareTarget::Value,
                CompareResult::Equal,
                TargetUnion::Value(b"x".to_vec()),
            )
        };
        let ok = |c: Compare| {
            do_txn(
                &te,
                TxnRequest {
                    compare: vec![c],
                    ..Default::default()
                },
            )
            .unwrap()
            .0
            .succeeded
        };
        assert!(ok(value_is_x("a3")));
        assert!(!ok(value_is_x("a4")));
        assert!(!ok(value_is_x("\0")));
        let created_after_2 = Compare {
            range_end: "b".into(),
            ..cmp(
                "a",
                CompareTarget::Create,
                CompareResult::Greater,
                TargetUnion::CreateRevision(1),
            )
        };
        assert!(ok(created_after_2));
        // an empty range: non-VALUE compares see a zero KeyValue
        let none = Compare {
            range_end: "c".into(),
            ..cmp(
                "b",
                CompareTarget::Version,
                CompareResult::Equal,
                TargetUnion::Version(0),
            )
        };
        assert!(ok(none));
    }

    #[test]
    fn txn_branches_one_revision_and_own_writes() {
        let te = test_env();
        do_put(&te, preq("k", "old")).unwrap(); // 2
        let t = TxnRequest {
            compare: vec![cmp(
                "k",
                CompareTarget::Value,
                CompareResult::Equal,
                TargetUnion::Value(b"old".to_vec()),
            )],
            success: vec![
                op_put("k", "new"),
                op_put("j", "1"),
                op_range("j", "l", 0),
                op_del("j", ""),
                op_range("\0", "\0", 0),
                op_range("k", "", 2),
            ],
            failure: vec![op_put("failure", "ran")],
        };
        let (resp, evs) = do_txn(&te, t.clone()).unwrap();
        assert!(resp.succeeded);
        assert_eq!(resp.responses.len(), 6);
        let Some(Response::ResponseRange(r)) = &resp.responses[2].response else {
            panic!("range response")
        };
        assert_eq!(r.kvs.len(), 2, "the range sees both puts of this txn");
        assert!(r.kvs.iter().all(|kv| kv.mod_revision == 3));
        let Some(Response::ResponseDeleteRange(d)) = &resp.responses[3].response else {
            panic!("delete response")
        };
        assert_eq!((d.deleted, d.prev_kvs[0].value.as_slice()), (1, &b"1"[..]));
        let Some(Response::ResponseRange(r)) = &resp.responses[4].response else {
            panic!("range response")
        };
        assert_eq!(r.kvs.len(), 1, "the range sees the delete of this txn");
        let Some(Response::ResponseRange(r)) = &resp.responses[5].response else {
            panic!("range response")
        };
        assert_eq!(r.kvs[0].value, b"old", "historical read inside a txn");
        assert_eq!(evs.len(), 3);
        assert_eq!(current(&te), 3, "the whole txn is one revision");

        // Now the compare fails: the failure branch runs.
        let (resp, evs) = do_txn(&te, t).unwrap();
        assert!(!resp.succeeded);
        assert_eq!(resp.responses.len(), 1);
        assert!(matches!(
            resp.responses[0].response,
            Some(Response::ResponsePut(_))
        ));
        assert_eq!(evs.len(), 1);
        assert_eq!(get(&te, "failure").unwrap().mod_revision, 4);
    }

    #[test]
    fn nested_txns_follow_their_own_compares() {
        let te = test_env();
        do_put(&te, preq("x", "1")).unwrap(); // 2
        let is = |k: &str, v: &str| {
            cmp(
                k,
                CompareTarget::Value,
                CompareResult::Equal,
                TargetUnion::Value(v.into()),
            )
        };
        let inner_ok = TxnRequest {
            compare: vec![is("x", "1")],
            success: vec![op_put("in1", "s")],
            failure: vec![],
        };
        let inner_fail = TxnRequest {
            compare: vec![is("x", "2")],
            success: vec![op_put("in2", "s")],
            failure: vec![op_put("in2", "f"), op_range("in1", "", 0)],
        };
        let outer = TxnRequest {
            compare: vec![],
            success: vec![op_txn(inner_ok), op_put("x", "2"), op_txn(inner_fail)],
            failure: vec![],
        };
        let (resp, evs) = do_txn(&te, outer).unwrap();
        assert!(resp.succeeded);
        let Some(Response::ResponseTxn(a)) = &resp.responses[0].response else {
            panic!("txn response")
        };
        assert!(a.succeeded);
        let Some(Response::ResponseTxn(b)) = &resp.responses[2].response else {
            panic!("txn response")
        };
        // Nested compares are evaluated before the txn runs: x was still "1".
        assert!(!b.succeeded);
        let Some(Response::ResponseRange(r)) = &b.responses[1].response else {
            panic!("range response")
        };
        assert_eq!(r.kvs[0].value, b"s");
        assert_eq!(get(&te, "in2").unwrap().value, b"f");
        assert_eq!(evs.len(), 3);
        assert!(evs.iter().all(|e| e.kv.as_ref().unwrap().mod_revision == 3));
        assert_eq!(current(&te), 3);
    }

    #[test]
    fn txn_check_requests_fail_before_any_write() {
        let te = test_env();
        do_put(&te, preq("k", "v")).unwrap(); // 2
        do_put(&te, preq("k", "v")).unwrap(); // 3
        let mut wtxn = te.env.write_txn().unwrap();
        compaction(
            &te.store,
            &mut wtxn,
            &CompactionRequest {
                revision: 3,
                physical: false,
            },
        )
        .unwrap();
        wtxn.commit().unwrap();

        let with = |ops: Vec<RequestOp>| TxnRequest {
            compare: vec![],
            success: ops,
            failure: vec![],
        };
        let ignore_missing = RequestOp {
            request: Some(Request::RequestPut(PutRequest {
                ignore_value: true,
                ..preq("missing", "")
            })),
        };
        let bad_lease = RequestOp {
            request: Some(Request::RequestPut(PutRequest {
                lease: 9,
                ..preq("k", "v")
            })),
        };
        let deleted_first = RequestOp {
            request: Some(Request::RequestPut(PutRequest {
                ignore_lease: true,
                ..preq("k", "v")
            })),
        };
        type Expect = fn(&KvApplyError) -> bool;
        let cases: Vec<(TxnRequest, Expect)> = vec![
            (with(vec![op_put("a", "1"), ignore_missing.clone()]), |e| {
                matches!(e, KvApplyError::KeyNotFound)
            }),
            (
                with(vec![op_put("a", "1"), op_txn(with(vec![bad_lease]))]),
                |e| matches!(e, KvApplyError::LeaseNotFound),
            ),
            (with(vec![op_put("a", "1"), op_range("k", "", 4)]), |e| {
                matches!(e, KvApplyError::FutureRev)
            }),
            (with(vec![op_put("a", "1"), op_range("k", "", 2)]), |e| {
                matches!(e, KvApplyError::Compacted)
            }),
            (with(vec![op_del("k", ""), deleted_first]), |e| {
                matches!(e, KvApplyError::KeyNotFound)
            }),
            // the put check runs before the range check, as in etcd
            (with(vec![op_range("k", "", 99), ignore_missing]), |e| {
                matches!(e, KvApplyError::KeyNotFound)
            }),
        ];
        for (i, (t, want)) in cases.into_iter().enumerate() {
            let err = do_txn(&te, t).unwrap_err();
            assert!(want(&err), "case {i}: {err}");
            assert_eq!(current(&te), 3, "case {i}: nothing written");
            assert!(get(&te, "a").is_none());
        }
        // reading at the compact revision itself is fine
        let (resp, _) = do_txn(&te, with(vec![op_range("k", "", 3)])).unwrap();
        assert!(resp.succeeded);
    }

    #[test]
    fn compaction_errors_and_messages() {
        let te = test_env();
        do_put(&te, preq("k", "v")).unwrap(); // 2
        let mut wtxn = te.env.write_txn().unwrap();
        let err = compaction(
            &te.store,
            &mut wtxn,
            &CompactionRequest {
                revision: 3,
                physical: true,
            },
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "etcdserver: mvcc: required revision is a future revision"
        );
        compaction(
            &te.store,
            &mut wtxn,
            &CompactionRequest {
                revision: 2,
                physical: true,
            },
        )
        .unwrap();
        let err = compaction(
            &te.store,
            &mut wtxn,
            &CompactionRequest {
                revision: 2,
                physical: true,
            },
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "etcdserver: mvcc: required revision has been compacted"
        );
        wtxn.commit().unwrap();
        assert_eq!(
            KvApplyError::KeyNotFound.to_string(),
            "etcdserver: key not found"
        );
        assert_eq!(
            KvApplyError::LeaseNotFound.to_string(),
            "etcdserver: requested lease not found"
        );
    }

    #[test]
    fn apply_layers_do_not_name_tonic_or_openraft() {
        for dir in ["src/mvcc", "src/apply"] {
            let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
            for entry in std::fs::read_dir(root).unwrap() {
                let path = entry.unwrap().path();
                let text = std::fs::read_to_string(&path).unwrap();
                for banned in [
                    concat!("tonic", "::"),
                    concat!("openraft", "::"),
                    concat!("crate::", "v3rpc"),
                ] {
                    assert!(!text.contains(banned), "{} names {banned}", path.display());
                }
            }
        }
    }
}

/// Whether a txn only reads, in both branches and every nested txn (etcd's
/// `isTxnReadonly`).
pub fn is_txn_read_only(t: &TxnRequest) -> bool {
    use crate::pb::etcdserverpb::request_op::Request;
    t.success
        .iter()
        .chain(t.failure.iter())
        .all(|op| match &op.request {
            Some(Request::RequestRange(_)) | None => true,
            Some(Request::RequestTxn(inner)) => is_txn_read_only(inner),
            Some(Request::RequestPut(_)) | Some(Request::RequestDeleteRange(_)) => false,
        })
}
