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

    /// Refuses members of another cluster (etcd's cluster ID check); `Ok(Some(id))` for a
    /// sender `id` not in this member's membership, which [`Self::check_unknown`] judges once
    /// the request is decoded.
    fn check_sender<T>(&self, req: &Request<T>) -> Result<Option<u64>, Status> {
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
                    return Ok(Some(from));
                }
            }
        }
        Ok(None)
    }

    /// A sender missing from this member's membership is refused as removed (fatal for it,
    /// etcd's removed-member refusal) only when its log reaches no further than ours
    /// (`sender_last`: the last log index its request shows). A sender ahead of us may have
    /// been added by a change we have not received yet (this member restarted or lagged): it
    /// is served, as etcd serves a peer it does not know yet instead of calling it removed.
    /// (Regression: `robustness::one` `membership` seed 2 — a restarted member told a just
    /// promoted one that it was removed, and it exited.)
    fn check_unknown(&self, unknown: Option<u64>, sender_last: Option<u64>) -> Result<(), Status> {
        if unknown.is_none() {
            return Ok(());
        }
        let ours = self.raft.metrics().borrow().last_log_index;
        if sender_last > ours {
            return Ok(());
        }
        Err(Status::permission_denied(super::network::MEMBER_REMOVED))
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
        let unknown = self.check_sender(&request)?;
        let rpc: openraft::raft::AppendEntriesRequest<super::TypeConfig> = decode(request)?;
        let last = rpc.entries.last().map(|e| e.log_id).or(rpc.prev_log_id);
        self.check_unknown(unknown, last.map(|l| l.index))?;
        encode(&self.raft.append_entries(rpc).await)
    }

    async fn vote(&self, request: Request<RaftBytes>) -> Result<Response<RaftBytes>, Status> {
        let unknown = self.check_sender(&request)?;
        let rpc: openraft::raft::VoteRequest<u64> = decode(request)?;
        self.check_unknown(unknown, rpc.last_log_id.map(|l| l.index))?;
        encode(&self.raft.vote(rpc).await)
    }

    async fn install_snapshot(
        &self,
        request: Request<RaftBytes>,
    ) -> Result<Response<RaftBytes>, Status> {
        let unknown = self.check_sender(&request)?;
        let rpc: openraft::raft::InstallSnapshotRequest<super::TypeConfig> = decode(request)?;
        self.check_unknown(unknown, rpc.meta.last_log_id.map(|l| l.index))?;
        encode(&self.raft.install_snapshot(rpc).await)
    }
}
