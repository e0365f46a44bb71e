//! `etcdserverpb.Maintenance`: Status, Alarm, Hash, HashKV, Snapshot, Defragment and
//! MoveLeader.
//!
//! While auth is enabled Snapshot, Hash, HashKV and Defragment need root, and their auth
//! failures go out untranslated (gRPC `Unknown`, `auth: permission denied`), as etcd 3.4's
//! `authMaintenanceServer` does. Status, Alarm and MoveLeader are open to every client in
//! etcd 3.4 and so here.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use crate::pb::etcdserverpb::maintenance_server::Maintenance;
use crate::pb::etcdserverpb::{
    AlarmRequest, AlarmResponse, DefragmentRequest, DefragmentResponse, HashKvRequest,
    HashKvResponse, HashRequest, HashResponse, SnapshotRequest, SnapshotResponse, StatusRequest,
    StatusResponse,
};
use crate::server::EtcdServer;

/// The Maintenance service.
pub struct MaintenanceService {
    server: Arc<EtcdServer>,
}

impl MaintenanceService {
    /// Wraps the server.
    pub fn new(server: Arc<EtcdServer>) -> MaintenanceService {
        MaintenanceService { server }
    }
}

impl MaintenanceService {
    /// The admin check of the whole-store operations (see the module docs).
    fn admin<T>(&self, request: &Request<T>) -> Result<(), Status> {
        Ok(self.server.check_maintenance_admin(
            super::interceptor::token(request).as_deref(),
            super::interceptor::cert_cn(request).as_deref(),
        )?)
    }
}

type SnapshotStream =
    std::pin::Pin<Box<dyn futures::Stream<Item = Result<SnapshotResponse, Status>> + Send>>;

#[tonic::async_trait]
impl Maintenance for MaintenanceService {
    async fn status(
        &self,
        _request: Request<StatusRequest>,
    ) -> Result<Response<StatusResponse>, Status> {
        Ok(Response::new(self.server.status()))
    }

    async fn alarm(
        &self,
        request: Request<AlarmRequest>,
    ) -> Result<Response<AlarmResponse>, Status> {
        // Open to everyone, but etcd proposes every Alarm (GET too) and so resolves the
        // token first, sending a bad one back untranslated.
        self.server
            .caller_from(
                super::interceptor::token(&request).as_deref(),
                super::interceptor::cert_cn(&request).as_deref(),
            )
            .map_err(crate::server::Error::untranslated_auth)?;
        let req = request.into_inner();
        super::validate::check_alarm(&req)?;
        Ok(Response::new(self.server.alarm(req).await?))
    }

    async fn defragment(
        &self,
        request: Request<DefragmentRequest>,
    ) -> Result<Response<DefragmentResponse>, Status> {
        self.admin(&request)?;
        Ok(Response::new(self.server.defragment().await?))
    }

    async fn hash(&self, request: Request<HashRequest>) -> Result<Response<HashResponse>, Status> {
        self.admin(&request)?;
        Ok(Response::new(self.server.hash()?))
    }

    async fn hash_kv(
        &self,
        request: Request<HashKvRequest>,
    ) -> Result<Response<HashKvResponse>, Status> {
        self.admin(&request)?;
        Ok(Response::new(
            self.server.hash_kv(request.into_inner().revision)?,
        ))
    }

    async fn move_leader(
        &self,
        request: Request<crate::pb::etcdserverpb::MoveLeaderRequest>,
    ) -> Result<Response<crate::pb::etcdserverpb::MoveLeaderResponse>, Status> {
        Ok(Response::new(
            self.server
                .move_leader(request.into_inner().target_id)
                .await?,
        ))
    }

    async fn snapshot(
        &self,
        request: Request<SnapshotRequest>,
    ) -> Result<Response<SnapshotStream>, Status> {
        self.admin(&request)?;
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        self.server.snapshot(tx)?;
        Ok(Response::new(Box::pin(
            tokio_stream::wrappers::ReceiverStream::new(rx),
        )))
    }
}
