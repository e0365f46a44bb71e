//! Deterministic Txn apply (etcd 3.4's `etcdserver/apply.go` `Txn`, `applyCompare`,
//! `checkRequests`): evaluate the compares, check the chosen branches' requests up front, then
//! run them in order at one main revision through one [`TxnWrite`] view, reusing the single
//! operations of [`super::kv`]. Like [`super::kv`], response headers stay `None` and the writes'
//! `mvccpb::Event`s are returned in order.
//!
//! Depends on `crate::mvcc` and `crate::pb` only.

use super::kv::{delete_range_in, put_in, KvApplyError};
use crate::keys::KeyRange;
use crate::mvcc::kv_store::{KvStore, MvccError, TxnWrite};
use crate::pb::etcdserverpb::compare::{CompareResult, CompareTarget, TargetUnion};
use crate::pb::etcdserverpb::request_op::Request;
use crate::pb::etcdserverpb::response_op::Response;
use crate::pb::etcdserverpb::{Compare, RangeRequest, ResponseOp, TxnRequest, TxnResponse};
use crate::pb::mvccpb::{Event, KeyValue};

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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::apply::kv::compaction;
    use crate::apply::testutil::{
        cmp, current, do_put, do_txn, get, op_del, op_put, op_range, op_txn, preq, LEASE,
    };
    use crate::mvcc::testutil::test_env;
    use crate::pb::etcdserverpb::{CompactionRequest, PutRequest, RequestOp};

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
}
