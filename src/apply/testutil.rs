//! Helpers the `kv` and `txn` apply tests share: a put / txn applied in its own write
//! transaction on a [`crate::mvcc::testutil::TestEnv`], reads back, and request builders.
#![allow(clippy::unwrap_used)]

use super::kv::{put, KvApplyError};
use super::txn::txn;
use crate::mvcc::testutil::TestEnv;
use crate::pb::etcdserverpb::compare::{CompareResult, CompareTarget, TargetUnion};
use crate::pb::etcdserverpb::request_op::Request;
use crate::pb::etcdserverpb::{
    Compare, DeleteRangeRequest, PutRequest, PutResponse, RangeRequest, RequestOp, TxnRequest,
    TxnResponse,
};
use crate::pb::mvccpb::{Event, KeyValue};

pub(crate) const LEASE: i64 = 42;

pub(crate) fn leases(id: i64) -> bool {
    id == LEASE
}

pub(crate) fn preq(key: &str, value: &str) -> PutRequest {
    PutRequest {
        key: key.into(),
        value: value.into(),
        ..Default::default()
    }
}

pub(crate) fn do_put(
    te: &TestEnv,
    req: PutRequest,
) -> Result<(PutResponse, Vec<Event>), KvApplyError> {
    let mut wtxn = te.env.write_txn().unwrap();
    let out = put(&te.store, &mut wtxn, &req, &leases)?;
    wtxn.commit().unwrap();
    Ok(out)
}

pub(crate) fn do_txn(
    te: &TestEnv,
    req: TxnRequest,
) -> Result<(TxnResponse, Vec<Event>), KvApplyError> {
    let mut wtxn = te.env.write_txn().unwrap();
    let out = txn(&te.store, &mut wtxn, &req, &leases)?;
    wtxn.commit().unwrap();
    Ok(out)
}

pub(crate) fn get(te: &TestEnv, key: &str) -> Option<KeyValue> {
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

pub(crate) fn current(te: &TestEnv) -> i64 {
    te.store
        .current_revision(&te.env.read_txn().unwrap())
        .unwrap()
}

pub(crate) fn op_put(key: &str, value: &str) -> RequestOp {
    RequestOp {
        request: Some(Request::RequestPut(preq(key, value))),
    }
}

pub(crate) fn op_range(key: &str, end: &str, revision: i64) -> RequestOp {
    RequestOp {
        request: Some(Request::RequestRange(RangeRequest {
            key: key.into(),
            range_end: end.into(),
            revision,
            ..Default::default()
        })),
    }
}

pub(crate) fn op_del(key: &str, end: &str) -> RequestOp {
    RequestOp {
        request: Some(Request::RequestDeleteRange(DeleteRangeRequest {
            key: key.into(),
            range_end: end.into(),
            prev_kv: true,
        })),
    }
}

pub(crate) fn op_txn(t: TxnRequest) -> RequestOp {
    RequestOp {
        request: Some(Request::RequestTxn(t)),
    }
}

pub(crate) fn cmp(
    key: &str,
    target: CompareTarget,
    result: CompareResult,
    value: TargetUnion,
) -> Compare {
    Compare {
        key: key.into(),
        target: target as i32,
        result: result as i32,
        target_union: Some(value),
        range_end: Vec::new(),
    }
}
