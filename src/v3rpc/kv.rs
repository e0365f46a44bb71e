//! `etcdserverpb.KV`: thin handlers: validate, call one server method, map the error.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::interceptor::caller;
use super::validate;
use crate::pb::etcdserverpb::kv_server::Kv;
use crate::pb::etcdserverpb::{
    CompactionRequest, CompactionResponse, DeleteRangeRequest, DeleteRangeResponse, PutRequest,
    PutResponse, RangeRequest, RangeResponse, TxnRequest, TxnResponse,
};
use crate::server::EtcdServer;

/// The KV service.
pub struct KvService {
    server: Arc<EtcdServer>,
}

impl KvService {
    /// Wraps the server.
    pub fn new(server: Arc<EtcdServer>) -> KvService {
        KvService { server }
    }
}

#[tonic::async_trait]
impl Kv for KvService {
    async fn range(
        &self,
        request: Request<RangeRequest>,
    ) -> Result<Response<RangeResponse>, Status> {
        let caller = caller(&self.server, &request)?;
        let req = request.into_inner();
        validate::check_range(&req).map_err(|e| e.status())?;
        Ok(Response::new(self.server.range(&req, &caller).await?))
    }

    async fn put(&self, request: Request<PutRequest>) -> Result<Response<PutResponse>, Status> {
        let caller = caller(&self.server, &request)?;
        let req = request.into_inner();
        validate::check_put(&req).map_err(|e| e.status())?;
        Ok(Response::new(self.server.put(req, &caller).await?))
    }

    async fn delete_range(
        &self,
        request: Request<DeleteRangeRequest>,
    ) -> Result<Response<DeleteRangeResponse>, Status> {
        let caller = caller(&self.server, &request)?;
        let req = request.into_inner();
        validate::check_delete(&req).map_err(|e| e.status())?;
        Ok(Response::new(self.server.delete_range(req, &caller).await?))
    }

    async fn txn(&self, request: Request<TxnRequest>) -> Result<Response<TxnResponse>, Status> {
        let caller = caller(&self.server, &request)?;
        let req = request.into_inner();
        validate::check_txn(&req, self.server.config().max_txn_ops as usize)
            .map_err(|e| e.status())?;
        Ok(Response::new(self.server.txn(req, &caller).await?))
    }

    async fn compact(
        &self,
        request: Request<CompactionRequest>,
    ) -> Result<Response<CompactionResponse>, Status> {
        // No permission check (as etcd 3.4), but a bad token is refused like any proposal's.
        super::interceptor::caller(&self.server, &request)?;
        Ok(Response::new(
            self.server.compact(request.into_inner()).await?,
        ))
    }
}
