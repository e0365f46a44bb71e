//! The KV service's server side: Range is a local read (after the read-index barrier unless
//! serializable); Put, DeleteRange, Txn and Compaction go through the log
//! ([`EtcdServer::propose_reply`]).

use super::{Caller, Error, EtcdServer};
use crate::pb::etcdserverpb::{
    CompactionRequest, CompactionResponse, DeleteRangeRequest, DeleteRangeResponse, PutRequest,
    PutResponse, RangeRequest, RangeResponse, TxnRequest, TxnResponse,
};
use crate::pb::peer::InternalRaftRequest;

impl EtcdServer {
    /// Range: linearizable unless `req.serializable`; needs read permission on the range.
    ///
    /// # Errors
    /// Read-index failures, [`Error::Compacted`] / [`Error::FutureRev`], auth failures
    /// as [`Error::Auth`]; see `EtcdServer::read_kv`.
    pub async fn range(&self, req: &RangeRequest, caller: &Caller) -> Result<RangeResponse, Error> {
        if !req.serializable {
            self.linearizable_barrier().await?;
        }
        self.check_range_permitted(caller, &req.key, &req.range_end)?;
        let (mut resp, rev) =
            self.read_kv(|b, t| Ok((b.kv.range(t, req)?, b.kv.current_revision(t)?)))?;
        resp.header = Some(self.header(rev));
        crate::observability::metrics().count_mvcc_ops(1, 0, 0);
        Ok(resp)
    }

    /// Put through Raft.
    ///
    /// # Errors
    /// See [`EtcdServer::propose`].
    pub async fn put(&self, req: PutRequest, caller: &Caller) -> Result<PutResponse, Error> {
        self.check_quota(req.key.len() + req.value.len()).await?;
        self.propose_reply(
            InternalRaftRequest {
                put: Some(req),
                ..Default::default()
            },
            caller,
        )
        .await
    }

    /// DeleteRange through Raft.
    ///
    /// # Errors
    /// See [`EtcdServer::propose`].
    pub async fn delete_range(
        &self,
        req: DeleteRangeRequest,
        caller: &Caller,
    ) -> Result<DeleteRangeResponse, Error> {
        self.propose_reply(
            InternalRaftRequest {
                delete_range: Some(req),
                ..Default::default()
            },
            caller,
        )
        .await
    }

    /// Txn through Raft. A read-only txn still goes through the log, like etcd 3.4 does for
    /// linearizable read-only txns after a read-index; here both paths are the log for now.
    ///
    /// # Errors
    /// See [`EtcdServer::propose`].
    pub async fn txn(&self, req: TxnRequest, caller: &Caller) -> Result<TxnResponse, Error> {
        if !crate::apply::txn::is_txn_read_only(&req) {
            self.check_quota(prost::Message::encoded_len(&req)).await?;
        }
        self.propose_reply(
            InternalRaftRequest {
                txn: Some(req),
                ..Default::default()
            },
            caller,
        )
        .await
    }

    /// Compaction through Raft.
    ///
    /// # Errors
    /// See [`EtcdServer::propose`]; [`Error::Apply`] with Compacted / FutureRev.
    pub async fn compact(&self, req: CompactionRequest) -> Result<CompactionResponse, Error> {
        self.propose_reply(
            InternalRaftRequest {
                compaction: Some(req),
                ..Default::default()
            },
            &Caller::Internal,
        )
        .await
    }
}
