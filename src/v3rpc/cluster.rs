//! `etcdserverpb.Cluster`: MemberList and the runtime reconfiguration calls, each a thin
//! wrapper over the server (which forwards to the leader when needed). The reconfiguration
//! calls need root while auth is enabled; MemberList is open to everyone (as etcd 3.4).

use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::interceptor::caller;
use crate::pb::etcdserverpb::cluster_server::Cluster;
use crate::pb::etcdserverpb::{
    MemberAddRequest, MemberAddResponse, MemberListRequest, MemberListResponse,
    MemberPromoteRequest, MemberPromoteResponse, MemberRemoveRequest, MemberRemoveResponse,
    MemberUpdateRequest, MemberUpdateResponse,
};
use crate::server::EtcdServer;

/// The Cluster service.
pub struct ClusterService {
    server: Arc<EtcdServer>,
}

impl ClusterService {
    /// Wraps the server.
    pub fn new(server: Arc<EtcdServer>) -> ClusterService {
        ClusterService { server }
    }
}

#[tonic::async_trait]
impl Cluster for ClusterService {
    async fn member_add(
        &self,
        request: Request<MemberAddRequest>,
    ) -> Result<Response<MemberAddResponse>, Status> {
        let caller = caller(&self.server, &request)?;
        Ok(Response::new(
            self.server
                .member_add(request.into_inner(), &caller)
                .await?,
        ))
    }

    async fn member_remove(
        &self,
        request: Request<MemberRemoveRequest>,
    ) -> Result<Response<MemberRemoveResponse>, Status> {
        let caller = caller(&self.server, &request)?;
        Ok(Response::new(
            self.server
                .member_remove(request.into_inner(), &caller)
                .await?,
        ))
    }

    async fn member_update(
        &self,
        request: Request<MemberUpdateRequest>,
    ) -> Result<Response<MemberUpdateResponse>, Status> {
        let caller = caller(&self.server, &request)?;
        Ok(Response::new(
            self.server
                .member_update(request.into_inner(), &caller)
                .await?,
        ))
    }

    async fn member_list(
        &self,
        _request: Request<MemberListRequest>,
    ) -> Result<Response<MemberListResponse>, Status> {
        // Answer from state that includes every committed attribute publication (a
        // read-index barrier); with no quorum, fall back to the local view as etcd does.
        let _ = self
            .server
            .linearizable_barrier_within(std::time::Duration::from_secs(1))
            .await;
        // etcd's cluster server fills the header without a revision.
        let header = self.server.header(0);
        Ok(Response::new(MemberListResponse {
            header: Some(header),
            members: self.server.pb_members(),
        }))
    }

    async fn member_promote(
        &self,
        request: Request<MemberPromoteRequest>,
    ) -> Result<Response<MemberPromoteResponse>, Status> {
        let caller = caller(&self.server, &request)?;
        Ok(Response::new(
            self.server
                .member_promote(request.into_inner(), &caller)
                .await?,
        ))
    }
}
