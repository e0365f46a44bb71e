//! `etcdserverpb.Cluster`: MemberList (membership changes arrive with the clusters issue;
//! until then the other methods answer `Unimplemented`).

use std::sync::Arc;

use tonic::{Request, Response, Status};

use crate::pb::etcdserverpb::cluster_server::Cluster;
use crate::pb::etcdserverpb::{Member, MemberListRequest, MemberListResponse};
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
    async fn member_list(&self, request: Request<MemberListRequest>) -> Result<Response<MemberListResponse>, Status> {
        let _ = request;
        let members = self
            .server
            .members()
            .into_iter()
            .map(|(id, m, is_learner)| Member {
                id,
                name: m.name,
                peer_ur_ls: m.peer_urls,
                client_ur_ls: m.client_urls,
                is_learner,
            })
            .collect();
        // etcd's cluster server fills the header without a revision.
        let header = self.server.header(0);
        Ok(Response::new(MemberListResponse { header: Some(header), members }))
    }
}
