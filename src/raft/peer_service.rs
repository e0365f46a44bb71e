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
}

impl RaftPeerService {
    /// Wraps the local Raft node.
    pub fn new(raft: Raft) -> RaftPeerService {
        RaftPeerService { raft }
    }
}

fn decode<T: DeserializeOwned>(req: Request<RaftBytes>) -> Result<T, Status> {
    postcard::from_bytes(&req.into_inner().data).map_err(|e| Status::invalid_argument(format!("bad raft payload: {e}")))
}

fn encode<T: Serialize>(v: &T) -> Result<Response<RaftBytes>, Status> {
    postcard::to_stdvec(v)
        .map(|data| Response::new(RaftBytes { data }))
        .map_err(|e| Status::internal(format!("encoding raft response: {e}")))
}

#[tonic::async_trait]
impl RaftPeer for RaftPeerService {
    async fn append_entries(&self, request: Request<RaftBytes>) -> Result<Response<RaftBytes>, Status> {
        let rpc = decode(request)?;
        encode(&self.raft.append_entries(rpc).await)
    }

    async fn vote(&self, request: Request<RaftBytes>) -> Result<Response<RaftBytes>, Status> {
        let rpc = decode(request)?;
        encode(&self.raft.vote(rpc).await)
    }

    async fn install_snapshot(&self, request: Request<RaftBytes>) -> Result<Response<RaftBytes>, Status> {
        let rpc = decode(request)?;
        encode(&self.raft.install_snapshot(rpc).await)
    }
}
