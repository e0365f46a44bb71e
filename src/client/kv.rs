//! `etcdserverpb.KV` calls (clientv3's `KV` interface).

use super::{Client, Error};
use crate::pb::etcdserverpb::{
    kv_client::KvClient, CompactionRequest, CompactionResponse, DeleteRangeRequest,
    DeleteRangeResponse, PutRequest, PutResponse, RangeRequest, RangeResponse, TxnRequest,
    TxnResponse,
};

impl Client {
    /// `KV.Range`: reads keys (etcd `Range`).
    ///
    /// # Errors
    /// [`Error::Grpc`] with the server's message (e.g. a compacted revision), or
    /// [`Error::DeadlineExceeded`].
    pub async fn range(&self, req: RangeRequest) -> Result<RangeResponse, Error> {
        self.call(|ch| {
            let req = req.clone();
            async move { KvClient::new(ch).range(req).await }
        })
        .await
    }

    /// `KV.Put`: writes one key.
    ///
    /// # Errors
    /// As [`Client::range`].
    pub async fn put(&self, req: PutRequest) -> Result<PutResponse, Error> {
        self.call(|ch| {
            let req = req.clone();
            async move { KvClient::new(ch).put(req).await }
        })
        .await
    }

    /// `KV.DeleteRange`: deletes one key or a range.
    ///
    /// # Errors
    /// As [`Client::range`].
    pub async fn delete_range(
        &self,
        req: DeleteRangeRequest,
    ) -> Result<DeleteRangeResponse, Error> {
        self.call(|ch| {
            let req = req.clone();
            async move { KvClient::new(ch).delete_range(req).await }
        })
        .await
    }

    /// `KV.Txn`: one transaction (compares, success and failure operations).
    ///
    /// # Errors
    /// As [`Client::range`].
    pub async fn txn(&self, req: TxnRequest) -> Result<TxnResponse, Error> {
        self.call(|ch| {
            let req = req.clone();
            async move { KvClient::new(ch).txn(req).await }
        })
        .await
    }

    /// `KV.Compact`: compacts the event history up to `revision`.
    ///
    /// # Errors
    /// As [`Client::range`].
    pub async fn compact(&self, req: CompactionRequest) -> Result<CompactionResponse, Error> {
        self.call(|ch| async move { KvClient::new(ch).compact(req).await })
            .await
    }
}
