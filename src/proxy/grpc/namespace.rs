//! `--namespace`: every key and range end sent to the cluster gets the prefix, every key
//! coming back loses it (etcd's `clientv3/namespace`).

use crate::keys::prefix_end;
use crate::pb::etcdserverpb::{
    request_op, response_op, Compare, DeleteRangeRequest, DeleteRangeResponse, PutRequest,
    PutResponse, RangeRequest, RangeResponse, RequestOp, ResponseOp, TxnRequest, TxnResponse,
};
use crate::pb::mvccpb::{Event, KeyValue};

/// A key prefix; empty means no namespace (every method is then the identity).
#[derive(Debug, Clone, Default)]
pub struct Namespace(Vec<u8>);

impl Namespace {
    /// A namespace of `prefix`.
    pub fn new(prefix: impl Into<Vec<u8>>) -> Self {
        Namespace(prefix.into())
    }

    /// The prefix.
    pub fn prefix(&self) -> &[u8] {
        &self.0
    }

    /// `key` inside the namespace.
    pub fn key(&self, key: &[u8]) -> Vec<u8> {
        let mut k = self.0.clone();
        k.extend_from_slice(key);
        k
    }

    /// A range end inside the namespace: empty stays empty (one key), `[0]` (to the end)
    /// becomes the end of the prefix.
    pub fn range_end(&self, end: &[u8]) -> Vec<u8> {
        if self.0.is_empty() || end.is_empty() {
            end.to_vec()
        } else if end == [0] {
            prefix_end(&self.0)
        } else {
            self.key(end)
        }
    }

    /// `key` with the prefix removed (unchanged when it does not carry it).
    pub fn strip(&self, key: &mut Vec<u8>) {
        if !self.0.is_empty() && key.starts_with(&self.0) {
            key.drain(..self.0.len());
        }
    }

    /// Strips the prefix from a key-value.
    pub fn strip_kv(&self, kv: &mut KeyValue) {
        self.strip(&mut kv.key);
    }

    /// Strips the prefix from an event's key-values.
    pub fn strip_event(&self, ev: &mut Event) {
        if let Some(kv) = ev.kv.as_mut() {
            self.strip_kv(kv);
        }
        if let Some(kv) = ev.prev_kv.as_mut() {
            self.strip_kv(kv);
        }
    }

    /// Prefixes a range request.
    pub fn range(&self, mut r: RangeRequest) -> RangeRequest {
        r.key = self.key(&r.key);
        r.range_end = self.range_end(&r.range_end);
        r
    }

    /// Prefixes a put.
    pub fn put(&self, mut r: PutRequest) -> PutRequest {
        r.key = self.key(&r.key);
        r
    }

    /// Prefixes a delete.
    pub fn delete(&self, mut r: DeleteRangeRequest) -> DeleteRangeRequest {
        r.key = self.key(&r.key);
        r.range_end = self.range_end(&r.range_end);
        r
    }

    fn compare(&self, mut c: Compare) -> Compare {
        c.key = self.key(&c.key);
        c.range_end = self.range_end(&c.range_end);
        c
    }

    fn op(&self, op: RequestOp) -> RequestOp {
        let request = op.request.map(|r| match r {
            request_op::Request::RequestRange(r) => {
                request_op::Request::RequestRange(self.range(r))
            }
            request_op::Request::RequestPut(r) => request_op::Request::RequestPut(self.put(r)),
            request_op::Request::RequestDeleteRange(r) => {
                request_op::Request::RequestDeleteRange(self.delete(r))
            }
            request_op::Request::RequestTxn(t) => request_op::Request::RequestTxn(self.txn(t)),
        });
        RequestOp { request }
    }

    /// Prefixes every compare and operation of a transaction (nested ones included).
    pub fn txn(&self, t: TxnRequest) -> TxnRequest {
        if self.0.is_empty() {
            return t;
        }
        TxnRequest {
            compare: t.compare.into_iter().map(|c| self.compare(c)).collect(),
            success: t.success.into_iter().map(|o| self.op(o)).collect(),
            failure: t.failure.into_iter().map(|o| self.op(o)).collect(),
        }
    }

    /// Strips a range response.
    pub fn range_resp(&self, r: &mut RangeResponse) {
        r.kvs.iter_mut().for_each(|kv| self.strip_kv(kv));
    }

    /// Strips a put response.
    pub fn put_resp(&self, r: &mut PutResponse) {
        if let Some(kv) = r.prev_kv.as_mut() {
            self.strip_kv(kv);
        }
    }

    /// Strips a delete response.
    pub fn delete_resp(&self, r: &mut DeleteRangeResponse) {
        r.prev_kvs.iter_mut().for_each(|kv| self.strip_kv(kv));
    }

    /// Strips a transaction response (nested ones included).
    pub fn txn_resp(&self, t: &mut TxnResponse) {
        if self.0.is_empty() {
            return;
        }
        for ResponseOp { response } in t.responses.iter_mut() {
            match response {
                Some(response_op::Response::ResponseRange(r)) => self.range_resp(r),
                Some(response_op::Response::ResponsePut(r)) => self.put_resp(r),
                Some(response_op::Response::ResponseDeleteRange(r)) => self.delete_resp(r),
                Some(response_op::Response::ResponseTxn(r)) => self.txn_resp(r),
                None => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_ends_inside_the_namespace() {
        let ns = Namespace::new(b"ns/".to_vec());
        assert_eq!(ns.range_end(b""), b"");
        assert_eq!(ns.range_end(&[0]), b"ns0");
        assert_eq!(ns.range_end(b"b"), b"ns/b");
        assert_eq!(prefix_end(&[0xff, 0xff]), vec![0]);
        let mut k = b"ns/a".to_vec();
        ns.strip(&mut k);
        assert_eq!(k, b"a");
    }
}
