//! The KV service through the proxy (etcd's `grpcproxy/kv.go`): requests enter the
//! namespace, responses leave it; the caller's metadata is passed on. Serializable ranges are
//! answered from the range cache ([`super::cache`]) when they can be; writes invalidate it.
//! Cached answers are kept per auth token, so no client reads through another's rights.

use std::sync::atomic::Ordering;

use tonic::{Request, Response, Status};

use super::cache::Compacted;
use super::{Caller, Proxy};
use crate::pb::etcdserverpb::{
    kv_client::KvClient, kv_server::Kv, request_op, CompactionRequest, CompactionResponse,
    DeleteRangeRequest, DeleteRangeResponse, PutRequest, PutResponse, RangeRequest, RangeResponse,
    TxnRequest, TxnResponse,
};
use crate::rpctypes::WireError;

/// A KV client on `ch` without a size limit on answers (the proxy's own limit applies
/// toward its clients).
fn kv(ch: tonic::transport::Channel) -> KvClient<tonic::transport::Channel> {
    KvClient::new(ch)
        .max_decoding_message_size(usize::MAX)
        .max_encoding_message_size(usize::MAX)
}

impl Proxy {
    /// Drops cached ranges overlapping a write to `[key, range_end)` (before sending it, so
    /// no read that started later returns the old value from the cache).
    fn invalidate(&self, key: &[u8], range_end: &[u8]) {
        if let Ok(mut c) = self.cache.lock() {
            c.invalidate(key, range_end);
        }
    }

    /// Invalidates every key a txn compares or writes, in both branches (etcd's
    /// `txnToCache` plus the compares).
    fn invalidate_txn(&self, t: &TxnRequest) {
        for c in &t.compare {
            self.invalidate(&c.key, &c.range_end);
        }
        for op in t.success.iter().chain(t.failure.iter()) {
            match &op.request {
                Some(request_op::Request::RequestPut(p)) => self.invalidate(&p.key, &[]),
                Some(request_op::Request::RequestDeleteRange(d)) => {
                    self.invalidate(&d.key, &d.range_end)
                }
                Some(request_op::Request::RequestTxn(inner)) => self.invalidate_txn(inner),
                _ => {}
            }
        }
    }
}

#[tonic::async_trait]
impl Kv for Proxy {
    async fn range(&self, req: Request<RangeRequest>) -> Result<Response<RangeResponse>, Status> {
        let caller = Caller::of(&req);
        let r = self.ns.range(req.into_inner());
        if r.serializable {
            let cached = self
                .cache
                .lock()
                .map(|mut c| c.get(&r, caller.token_bytes()))
                .unwrap_or(Ok(None));
            match cached {
                Ok(Some(mut resp)) => {
                    self.metrics.cache_hits.fetch_add(1, Ordering::Relaxed);
                    self.ns.range_resp(&mut resp);
                    return Ok(Response::new(resp));
                }
                Err(Compacted) => {
                    self.metrics.cache_hits.fetch_add(1, Ordering::Relaxed);
                    return Err(WireError::Compacted.status());
                }
                Ok(None) => {
                    self.metrics.cache_misses.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        let mut resp = self
            .unary(
                &caller,
                r.clone(),
                |ch, r| async move { kv(ch).range(r).await },
            )
            .await?;
        // A linearizable answer serves later serializable requests (etcd does the same).
        if let Ok(mut c) = self.cache.lock() {
            c.add(&r, caller.token_bytes(), &resp);
        }
        self.ns.range_resp(&mut resp);
        Ok(Response::new(resp))
    }

    async fn put(&self, req: Request<PutRequest>) -> Result<Response<PutResponse>, Status> {
        let caller = Caller::of(&req);
        let r = self.ns.put(req.into_inner());
        self.invalidate(&r.key, &[]);
        let mut resp = self
            .unary(&caller, r, |ch, r| async move { kv(ch).put(r).await })
            .await?;
        self.ns.put_resp(&mut resp);
        Ok(Response::new(resp))
    }

    async fn delete_range(
        &self,
        req: Request<DeleteRangeRequest>,
    ) -> Result<Response<DeleteRangeResponse>, Status> {
        let caller = Caller::of(&req);
        let r = self.ns.delete(req.into_inner());
        self.invalidate(&r.key, &r.range_end);
        let mut resp = self
            .unary(
                &caller,
                r,
                |ch, r| async move { kv(ch).delete_range(r).await },
            )
            .await?;
        self.ns.delete_resp(&mut resp);
        Ok(Response::new(resp))
    }

    async fn txn(&self, req: Request<TxnRequest>) -> Result<Response<TxnResponse>, Status> {
        let caller = Caller::of(&req);
        let r = self.ns.txn(req.into_inner());
        self.invalidate_txn(&r);
        let mut resp = self
            .unary(&caller, r, |ch, r| async move { kv(ch).txn(r).await })
            .await?;
        self.ns.txn_resp(&mut resp);
        Ok(Response::new(resp))
    }

    async fn compact(
        &self,
        req: Request<CompactionRequest>,
    ) -> Result<Response<CompactionResponse>, Status> {
        let caller = Caller::of(&req);
        let revision = req.get_ref().revision;
        let resp = self
            .unary(&caller, req.into_inner(), |ch, r| async move {
                kv(ch).compact(r).await
            })
            .await?;
        if let Ok(mut c) = self.cache.lock() {
            c.compact(revision);
        }
        Ok(Response::new(resp))
    }
}
