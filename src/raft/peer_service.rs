//! Serving openraft's RPCs to peers (`etcdoxide.peer.RaftPeer`): decode, hand to the local
//! Raft node, encode its `Result` back so the caller sees remote Raft errors as such.

use serde::de::DeserializeOwned;
use serde::Serialize;
use tonic::{Request, Response, Status};

use super::Raft;
use crate::apply::state::StateStore;
use crate::pb::peer::raft_peer_server::RaftPeer;
use crate::pb::peer::RaftBytes;

/// The RaftPeer service over a local Raft node.
pub struct RaftPeerService {
    raft: Raft,
    cluster_id: u64,
    /// The applied state, for its removed-members set.
    store: std::sync::Arc<StateStore>,
}

impl RaftPeerService {
    /// Wraps the local Raft node of cluster `cluster_id` whose applied state is `store`.
    pub fn new(raft: Raft, cluster_id: u64, store: std::sync::Arc<StateStore>) -> RaftPeerService {
        RaftPeerService {
            raft,
            cluster_id,
            store,
        }
    }

    /// Refuses members of another cluster (etcd's cluster ID check) and removed members
    /// ([`Self::check_unknown`] for a sender not in this member's membership).
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
                    return self.check_unknown(from);
                }
            }
        }
        Ok(())
    }

    /// A sender missing from this member's membership is refused as removed (fatal for it)
    /// only when its ID is in the applied removed-members set (etcd's `members_removed`:
    /// etcd's peer handler answers `410 Gone` to exactly those IDs). Any other unknown sender
    /// was added by a change this member has not applied yet (it restarted, lags, or
    /// installed a snapshot taken before the sender joined) and is served, as etcd serves a
    /// peer it does not know yet. Regressions: `robustness` `membership` seed 2 (a restarted
    /// member called a just promoted one removed) and seed 90252 (a learner that installed a
    /// snapshot from before the leader joined called the leader removed; the leader exited).
    fn check_unknown(&self, id: u64) -> Result<(), Status> {
        match crate::raft::state_machine::is_removed(&self.store, id) {
            Ok(false) => Ok(()),
            Ok(true) => Err(Status::permission_denied(super::network::MEMBER_REMOVED)),
            Err(e) => Err(Status::unavailable(format!(
                "reading the removed members: {e}"
            ))),
        }
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
        let rpc: openraft::raft::AppendEntriesRequest<super::TypeConfig> = decode(request)?;
        encode(&self.raft.append_entries(rpc).await)
    }

    async fn vote(&self, request: Request<RaftBytes>) -> Result<Response<RaftBytes>, Status> {
        self.check_sender(&request)?;
        let rpc: openraft::raft::VoteRequest<u64> = decode(request)?;
        encode(&self.raft.vote(rpc).await)
    }

    async fn install_snapshot(
        &self,
        request: Request<RaftBytes>,
    ) -> Result<Response<RaftBytes>, Status> {
        self.check_sender(&request)?;
        let rpc: openraft::raft::InstallSnapshotRequest<super::TypeConfig> = decode(request)?;
        encode(&self.raft.install_snapshot(rpc).await)
    }
}
