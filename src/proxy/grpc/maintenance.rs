//! The Maintenance service through the proxy (etcd's `grpcproxy/maintenance.go`): every
//! method forwarded with the caller's metadata; `Snapshot` streams the member's chunks
//! through unchanged.

use tonic::{Request, Response, Status};

use super::{BoxStream, Caller, Proxy};
use crate::pb::etcdserverpb::{
    maintenance_client::MaintenanceClient, maintenance_server::Maintenance, AlarmRequest,
    AlarmResponse, DefragmentRequest, DefragmentResponse, HashKvRequest, HashKvResponse,
    HashRequest, HashResponse, MoveLeaderRequest, MoveLeaderResponse, SnapshotRequest,
    SnapshotResponse, StatusRequest, StatusResponse,
};

/// A maintenance client on `ch` without a size limit on answers.
fn mc(ch: tonic::transport::Channel) -> MaintenanceClient<tonic::transport::Channel> {
    MaintenanceClient::new(ch).max_decoding_message_size(usize::MAX)
}

#[tonic::async_trait]
impl Maintenance for Proxy {
    async fn alarm(&self, req: Request<AlarmRequest>) -> Result<Response<AlarmResponse>, Status> {
        let caller = Caller::of(&req);
        self.unary(&caller, req.into_inner(), |ch, r| async move {
            mc(ch).alarm(r).await
        })
        .await
        .map(Response::new)
    }

    async fn status(
        &self,
        req: Request<StatusRequest>,
    ) -> Result<Response<StatusResponse>, Status> {
        let caller = Caller::of(&req);
        self.unary(&caller, req.into_inner(), |ch, r| async move {
            mc(ch).status(r).await
        })
        .await
        .map(Response::new)
    }

    async fn defragment(
        &self,
        req: Request<DefragmentRequest>,
    ) -> Result<Response<DefragmentResponse>, Status> {
        let caller = Caller::of(&req);
        self.unary(&caller, req.into_inner(), |ch, r| async move {
            mc(ch).defragment(r).await
        })
        .await
        .map(Response::new)
    }

    async fn hash(&self, req: Request<HashRequest>) -> Result<Response<HashResponse>, Status> {
        let caller = Caller::of(&req);
        self.unary(&caller, req.into_inner(), |ch, r| async move {
            mc(ch).hash(r).await
        })
        .await
        .map(Response::new)
    }

    async fn hash_kv(
        &self,
        req: Request<HashKvRequest>,
    ) -> Result<Response<HashKvResponse>, Status> {
        let caller = Caller::of(&req);
        self.unary(&caller, req.into_inner(), |ch, r| async move {
            mc(ch).hash_kv(r).await
        })
        .await
        .map(Response::new)
    }

    async fn move_leader(
        &self,
        req: Request<MoveLeaderRequest>,
    ) -> Result<Response<MoveLeaderResponse>, Status> {
        let caller = Caller::of(&req);
        self.unary(&caller, req.into_inner(), |ch, r| async move {
            mc(ch).move_leader(r).await
        })
        .await
        .map(Response::new)
    }

    async fn snapshot(
        &self,
        req: Request<SnapshotRequest>,
    ) -> Result<Response<BoxStream<SnapshotResponse>>, Status> {
        let caller = Caller::of(&req);
        let ch = self
            .client
            .forward_channel()
            .await
            .map_err(super::to_status)?;
        match mc(ch).snapshot(caller.request(req.into_inner())).await {
            Ok(resp) => Ok(Response::new(Box::pin(resp.into_inner()))),
            Err(s) => {
                if s.code() == tonic::Code::Unavailable {
                    self.client.forward_failed().await;
                }
                Err(s)
            }
        }
    }
}
