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

use crate::mvcc::kv_store::{KvStore, MvccError, TxnWrite};
use crate::pb::etcdserverpb::compare::{CompareResult, CompareTarget, TargetUnion};
use crate::pb::etcdserverpb::request_op::Request;
use crate::pb::etcdserverpb::response_op::Response;
use crate::pb::etcdserverpb::{
    Compare, CompactionRequest, CompactionResponse, DeleteRangeRequest, DeleteRangeResponse, PutRequest,
    PutResponse, RangeRequest, RangeResponse, ResponseOp, TxnRequest, TxnResponse,
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

/// Serves a Range request from a read transaction (serializable or after a read index), as
/// [`KvStore::range`].
///
/// # Errors
/// [`KvApplyError::Compacted`], [`KvApplyError::FutureRev`], [`KvApplyError::Storage`].
pub fn range(store: &KvStore, txn: &heed::RoTxn, req: &RangeRequest) -> Result<RangeResponse, KvApplyError> {
    Ok(store.range(txn, req)?)
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
    let prev = if req.ignore_value || req.ignore_lease || req.prev_kv { tw.get(&req.key)? } else { None };
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
    Ok(PutResponse { header: None, prev_kv: if req.prev_kv { prev } else { None } })
}

fn delete_range_in(tw: &mut TxnWrite<'_, '_>, req: &DeleteRangeRequest) -> Result<DeleteRangeResponse, KvApplyError> {
    let deleted = tw.delete_range(&req.key, &req.range_end)?;
    let prev_kvs = if req.prev_kv {
        let from = tw.events().len() - usize::try_from(deleted).expect("invariant: deleted count is small");
        tw.events()[from..].iter().filter_map(|ev| ev.prev_kv.clone()).collect()
    } else {
        Vec::new()
    };
    Ok(DeleteRangeResponse { header: None, deleted, prev_kvs })
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
    let rr = match tw.range(&RangeRequest { key: c.key.clone(), range_end: c.range_end.clone(), ..Default::default() }) {
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
        CompareTarget::Create => {
            kv.create_revision.cmp(&int_target(union, |u| matches!(u, TargetUnion::CreateRevision(_))))
        }
        CompareTarget::Mod => kv.mod_revision.cmp(&int_target(union, |u| matches!(u, TargetUnion::ModRevision(_)))),
        CompareTarget::Version => kv.version.cmp(&int_target(union, |u| matches!(u, TargetUnion::Version(_)))),
        CompareTarget::Lease => kv.lease.cmp(&int_target(union, |u| matches!(u, TargetUnion::Lease(_)))),
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
            TargetUnion::Version(n) | TargetUnion::CreateRevision(n) | TargetUnion::ModRevision(n) | TargetUnion::Lease(n) => *n,
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
            Effect::Delete(start, end) => {
                let hit = match end {
                    [] => start == key,
                    [0] => key >= start,
                    end => key >= start && key < end,
                };
                hit.then_some(false)
            }
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
                    let exists_now = effects.iter().rev().find_map(|e| e.decides(&p.key)).unwrap_or(exists_before);
                    if !exists_before || !exists_now {
                        return Err(KvApplyError::KeyNotFound);
                    }
                }
                if p.lease != 0 && !leases(p.lease) {
                    return Err(KvApplyError::LeaseNotFound);
                }
                effects.push(Effect::Put(&p.key));
            }
            Some(Request::RequestDeleteRange(d)) => effects.push(Effect::Delete(&d.key, &d.range_end)),
            Some(Request::RequestRange(_)) | None => {}
        }
    }
    Ok(())
}

/// etcd's `checkRequests` with `checkRequestRange`: a range at a revision above the pre-txn
/// revision or below the compact revision fails the whole txn.
fn check_ranges(tw: &TxnWrite<'_, '_>, req: &TxnRequest, path: &TxnPath) -> Result<(), KvApplyError> {
    let mut nested = path.nested.iter();
    for op in branch(req, path.succeeded) {
        match &op.request {
            Some(Request::RequestTxn(t)) => {
                check_ranges(tw, t, nested.next().expect("invariant: one path per nested txn"))?;
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

fn apply_txn(tw: &mut TxnWrite<'_, '_>, req: &TxnRequest, path: &TxnPath) -> Result<TxnResponse, KvApplyError> {
    let mut nested = path.nested.iter();
    let ops = branch(req, path.succeeded);
    let mut responses = Vec::with_capacity(ops.len());
    for op in ops {
        let response = match &op.request {
            Some(Request::RequestRange(r)) => Some(Response::ResponseRange(tw.range(r)?)),
            Some(Request::RequestPut(p)) => Some(Response::ResponsePut(put_in(tw, p)?)),
            Some(Request::RequestDeleteRange(d)) => Some(Response::ResponseDeleteRange(delete_range_in(tw, d)?)),
            Some(Request::RequestTxn(t)) => {
                let p = nested.next().expect("invariant: one path per nested txn");
                Some(Response::ResponseTxn(apply_txn(tw, t, p)?))
            }
            None => None,
        };
        responses.push(ResponseOp { response });
    }
    Ok(TxnResponse { header: None, succeeded: path.succeeded, responses })
}
