//! Serving openraft's RPCs to peers (`etcdoxide.peer.RaftPeer`): decode, hand to the local
//! Raft node, encode its `Result` back so the caller sees remote Raft errors as such.

use serde::de::DeserializeOwned;
use serde::Serialize;
use tonic::{Request, Response, Status};

use super::Raft;
use crate::pb::peer::raft_peer_server::RaftPeer;
use crate::pb::peer::RaftBytes;

/// The RaftPeer service over a local Raft node.
pub struct RaftPeerService {
    raft: Raft,
    cluster_id: u64,
}

impl RaftPeerService {
    /// Wraps the local Raft node of cluster `cluster_id`.
    pub fn new(raft: Raft, cluster_id: u64) -> RaftPeerService {
        RaftPeerService { raft, cluster_id }
    }

    /// Refuses members of another cluster and members no longer in the membership (etcd's
    /// cluster ID check and removed-member refusal).
    fn check_sender<T>(&self, req: &Request<T>) -> Result<(), Status> {
        let md = req.metadata();
        if let Some(cid) = md
            .get(super::network::CLUSTER_ID_METADATA)
            .and_then(|v| v.to_str().ok())
        {
            if u64::from_str_radix(cid, 16).ok() != Some(self.cluster_id) {
                return Err(Status::failed_precondition(format!(
                    "{} ({:x})",
                    super::network::CLUSTER_ID_MISMATCH,
                    self.cluster_id
                )));
            }
        }
        if let Some(from) = md
            .get(super::network::MEMBER_ID_METADATA)
            .and_then(|v| v.to_str().ok())
        {
            if let Ok(from) = u64::from_str_radix(from, 16) {
                let metrics = self.raft.metrics().borrow().clone();
                let known = metrics
                    .membership_config
                    .membership()
                    .get_node(&from)
                    .is_some();
                // An empty membership means we are still joining: accept.
                let empty = metrics
                    .membership_config
                    .membership()
                    .nodes()
                    .next()
                    .is_none();
                if !known && !empty {
                    return Err(Status::permission_denied(super::network::MEMBER_REMOVED));
                }
            }
        }
        Ok(())
    }
}

fn decode<T: DeserializeOwned>(req: Request<RaftBytes>) -> Result<T, Status> {
    postcard::from_bytes(&req.into_inner().data)
        .map_err(|e| Status::invalid_argument(format!("bad raft payload: {e}")))
}

fn encode<T: Serialize>(v: &T) -> Result<Response<RaftBytes>, Status> {
    postcard::to_stdvec(v)
        .map(|data| Response::new(RaftBytes { data }))
        .map_err(|e| Status::internal(format!("encoding raft response: {e}")))
}

#[tonic::async_trait]
impl RaftPeer for RaftPeerService {
    async fn append_entries(
        &self,
        request: Request<RaftBytes>,
    ) -> Result<Response<RaftBytes>, Status> {
        self.check_sender(&request)?;
        let rpc = decode(request)?;
        encode(&self.raft.append_entries(rpc).await)
    }

    async fn vote(&self, request: Request<RaftBytes>) -> Result<Response<RaftBytes>, Status> {
        self.check_sender(&request)?;
        let rpc = decode(request)?;
        encode(&self.raft.vote(rpc).await)
    }

    async fn install_snapshot(
        &self,
        request: Request<RaftBytes>,
    ) -> Result<Response<RaftBytes>, Status> {
        self.check_sender(&request)?;
        let rpc = decode(request)?;
        encode(&self.raft.install_snapshot(rpc).await)
    }
}
