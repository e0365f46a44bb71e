//! `etcdserverpb.Maintenance`: Status, Alarm, Hash, HashKV, Snapshot, Defragment and
//! MoveLeader.

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
        let req = request.into_inner();
        super::validate::check_alarm(&req)?;
        Ok(Response::new(self.server.alarm(req).await?))
    }

    async fn defragment(
        &self,
        _request: Request<DefragmentRequest>,
    ) -> Result<Response<DefragmentResponse>, Status> {
        Ok(Response::new(self.server.defragment().await?))
    }

    async fn hash(&self, request: Request<HashRequest>) -> Result<Response<HashResponse>, Status> {
        self.server
            .check_admin(&super::interceptor::caller(&self.server, &request)?)?;
        Ok(Response::new(self.server.hash()?))
    }

    async fn hash_kv(
        &self,
        request: Request<HashKvRequest>,
    ) -> Result<Response<HashKvResponse>, Status> {
        self.server
            .check_admin(&super::interceptor::caller(&self.server, &request)?)?;
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
        self.server
            .check_admin(&super::interceptor::caller(&self.server, &request)?)?;
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        self.server.snapshot(tx)?;
        Ok(Response::new(Box::pin(
            tokio_stream::wrappers::ReceiverStream::new(rx),
        )))
    }
}
