//! `v3lockpb.Lock`: distributed locks run server-side (etcd's `v3lock/lock.go`). Thin
//! handlers over [`EtcdServer::lock`] / [`EtcdServer::unlock`]; the recipe lives in
//! `server/concurrency.rs`. Errors go out as etcd's lock service sends them
//! ([`to_recipe_status`]: etcd wire errors as `Unknown`).

use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::error::to_recipe_status;
use crate::pb::v3lockpb::lock_server::Lock;
use crate::pb::v3lockpb::{LockRequest, LockResponse, UnlockRequest, UnlockResponse};
use crate::server::EtcdServer;

/// The Lock service.
pub struct LockService {
    server: Arc<EtcdServer>,
}

impl LockService {
    /// Wraps the server.
    pub fn new(server: Arc<EtcdServer>) -> LockService {
        LockService { server }
    }
}

#[tonic::async_trait]
impl Lock for LockService {
    /// Blocks until the lock is held; the client going away drops this future, which
    /// cancels the wait and deletes the contender's key.
    async fn lock(&self, request: Request<LockRequest>) -> Result<Response<LockResponse>, Status> {
        let caller = self
            .server
            .caller_from(
                super::interceptor::token(&request).as_deref(),
                super::interceptor::cert_cn(&request).as_deref(),
            )
            .map_err(to_recipe_status)?;
        let req = request.into_inner();
        Ok(Response::new(
            self.server
                .lock(&req.name, req.lease, &caller)
                .await
                .map_err(to_recipe_status)?,
        ))
    }

    async fn unlock(
        &self,
        request: Request<UnlockRequest>,
    ) -> Result<Response<UnlockResponse>, Status> {
        let caller = self
            .server
            .caller_from(
                super::interceptor::token(&request).as_deref(),
                super::interceptor::cert_cn(&request).as_deref(),
            )
            .map_err(to_recipe_status)?;
        Ok(Response::new(
            self.server
                .unlock(&request.into_inner().key, &caller)
                .await
                .map_err(to_recipe_status)?,
        ))
    }
}
