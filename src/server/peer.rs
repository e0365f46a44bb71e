//! Member-to-member forwarding: what a follower hands to the leader so that any member
//! serves every client request. Writes are forwarded as encoded `InternalRaftRequest`s,
//! linearizable reads ask the leader for a read index, and lease keep-alives / remaining
//! TTLs are answered by the leader's lessor (`etcdoxide.peer.Leader`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use prost::Message;
use tonic::transport::Channel;
use tonic::{Request, Response, Status};

use super::{Error, EtcdServer};
use crate::apply::{ApplyError, ApplyResult};
use crate::pb::peer::leader_client::LeaderClient;
use crate::pb::peer::leader_server::Leader;
use crate::pb::peer::{
    ForwardRequest, ForwardResponse, InternalRaftRequest, LeaseRequest, LeaseResponse,
    ReadIndexRequest, ReadIndexResponse,
};
use crate::raft::network::PeerDialer;
use crate::rpctypes::WireError;

/// Cached channels to other members' Leader service, by member ID.
pub struct LeaderClients {
    dialer: PeerDialer,
    clients: Mutex<HashMap<u64, LeaderClient<Channel>>>,
}

impl LeaderClients {
    /// No cached channel yet; new ones are dialed through `dialer`.
    pub(super) fn new(dialer: PeerDialer) -> LeaderClients {
        LeaderClients {
            dialer,
            clients: Mutex::default(),
        }
    }

    /// A client for member `id`, connecting lazily to its first peer URL.
    pub(super) fn get(&self, server: &EtcdServer, id: u64) -> Result<LeaderClient<Channel>, Error> {
        if let Ok(m) = self.clients.lock() {
            if let Some(c) = m.get(&id) {
                return Ok(c.clone());
            }
        }
        let member = server
            .members()
            .into_iter()
            .find(|(mid, _, _)| *mid == id)
            .map(|(_, m, _)| m)
            .ok_or(Error::NoLeader)?;
        let channel = self
            .dialer
            .channel(id, &member)
            .map_err(|_| Error::NoLeader)?;
        let client = LeaderClient::new(channel)
            .max_decoding_message_size(usize::MAX)
            .max_encoding_message_size(usize::MAX);
        if let Ok(mut m) = self.clients.lock() {
            m.insert(id, client.clone());
        }
        Ok(client)
    }
}

/// Maps an error message carried by a peer back to the server error.
pub(super) fn error_from_message(msg: &str) -> Error {
    match WireError::from_message(msg) {
        Some(WireError::NoLeader) => Error::NoLeader,
        Some(WireError::NotLeader) => Error::NotLeader,
        Some(WireError::Timeout) => Error::Timeout,
        Some(WireError::Stopped) => Error::Stopped,
        Some(WireError::RequestTooLarge) => Error::RequestTooLarge,
        Some(WireError::LeaseNotFound) => Error::Apply(ApplyError::LeaseNotFound),
        Some(WireError::NoSpace) => Error::Apply(ApplyError::NoSpace),
        Some(w) => Error::Wire(w),
        None => Error::Internal(msg.to_string()),
    }
}

/// A failed call to the leader: when the connection could not even be made, nothing was
/// proposed, so the caller may retry with the next leader ([`Error::NotLeader`]); any
/// other failure is ambiguous and reported as a timeout, like etcd's "request timed out".
pub(super) fn transport_error(status: &Status) -> Error {
    let msg = status.message().to_ascii_lowercase();
    if status.code() == tonic::Code::Unavailable
        && (msg.contains("connect") || msg.contains("refused"))
    {
        Error::NotLeader
    } else {
        Error::Timeout
    }
}

/// The message an error travels between members as (rebuilt by [`error_from_message`]).
pub(super) fn message_of(e: &Error) -> String {
    match e.wire() {
        Some(w) => w.message().to_string(),
        None => e.to_string(),
    }
}

impl EtcdServer {
    /// Forwards a stamped proposal to the leader `leader` and returns its apply result.
    pub(super) async fn forward_proposal(
        &self,
        leader: u64,
        req: &InternalRaftRequest,
        deadline: Instant,
    ) -> Result<ApplyResult, Error> {
        let mut client = self.leader_clients.get(self, leader)?;
        let mut request = Request::new(ForwardRequest {
            request: req.encode_to_vec(),
        });
        request.set_timeout(
            deadline
                .saturating_duration_since(Instant::now())
                .max(Duration::from_millis(1)),
        );
        let resp = client
            .forward(request)
            .await
            .map_err(|s| transport_error(&s))?
            .into_inner();
        if !resp.error.is_empty() {
            return Err(error_from_message(&resp.error));
        }
        postcard::from_bytes(&resp.result)
            .map_err(|e| Error::Internal(format!("bad forwarded result: {e}")))
    }

    /// Asks the leader for a read index.
    pub(super) async fn remote_read_index(
        &self,
        leader: u64,
        deadline: Instant,
    ) -> Result<u64, Error> {
        let mut client = self.leader_clients.get(self, leader)?;
        let mut request = Request::new(ReadIndexRequest {});
        request.set_timeout(
            deadline
                .saturating_duration_since(Instant::now())
                .max(Duration::from_millis(1)),
        );
        let resp = client
            .read_index(request)
            .await
            .map_err(|s| transport_error(&s))?
            .into_inner();
        if !resp.error.is_empty() {
            return Err(error_from_message(&resp.error));
        }
        Ok(resp.index)
    }

    /// Forwards a lease keep-alive (`remaining == false`) or a remaining-TTL query to the
    /// leader's lessor.
    pub(super) async fn remote_lease(
        &self,
        leader: u64,
        id: i64,
        remaining: bool,
    ) -> Result<i64, Error> {
        let mut client = self.leader_clients.get(self, leader)?;
        let mut request = Request::new(LeaseRequest { id });
        request.set_timeout(self.cfg.request_timeout());
        let resp = if remaining {
            client.lease_remaining(request).await
        } else {
            client.lease_keep_alive(request).await
        };
        let resp = resp.map_err(|s| transport_error(&s))?.into_inner();
        if !resp.error.is_empty() {
            return Err(error_from_message(&resp.error));
        }
        Ok(resp.ttl)
    }
}

/// The Leader service: answers followers' forwarded requests on this member.
pub struct LeaderService {
    server: Weak<EtcdServer>,
}

impl LeaderService {
    /// Wraps the server (weakly: the peer listener must not keep it alive).
    pub fn new(server: &Arc<EtcdServer>) -> LeaderService {
        LeaderService {
            server: Arc::downgrade(server),
        }
    }

    fn server(&self) -> Result<Arc<EtcdServer>, Status> {
        self.server
            .upgrade()
            .ok_or_else(|| Status::unavailable("etcdserver: server stopped"))
    }
}

#[tonic::async_trait]
impl Leader for LeaderService {
    async fn forward(
        &self,
        request: Request<ForwardRequest>,
    ) -> Result<Response<ForwardResponse>, Status> {
        let server = self.server()?;
        let req = InternalRaftRequest::decode(request.into_inner().request.as_slice())
            .map_err(|e| Status::invalid_argument(format!("bad forwarded request: {e}")))?;
        let resp = match server.propose_local(req).await {
            Ok(r) => ForwardResponse {
                result: postcard::to_stdvec(&r).map_err(|e| Status::internal(e.to_string()))?,
                error: String::new(),
            },
            Err(e) => ForwardResponse {
                result: Vec::new(),
                error: message_of(&e),
            },
        };
        Ok(Response::new(resp))
    }

    async fn read_index(
        &self,
        _request: Request<ReadIndexRequest>,
    ) -> Result<Response<ReadIndexResponse>, Status> {
        let server = self.server()?;
        let deadline = Instant::now() + server.cfg.request_timeout();
        let resp = match server.read_rounds.leader_read_index(deadline).await {
            Ok(index) => ReadIndexResponse {
                index,
                error: String::new(),
            },
            Err(e) => ReadIndexResponse {
                index: 0,
                error: message_of(&e),
            },
        };
        Ok(Response::new(resp))
    }

    async fn lease_keep_alive(
        &self,
        request: Request<LeaseRequest>,
    ) -> Result<Response<LeaseResponse>, Status> {
        let server = self.server()?;
        let id = request.into_inner().id;
        let resp = match server.lease_keep_alive(id).await {
            Ok(ttl) => LeaseResponse {
                ttl,
                error: String::new(),
            },
            Err(e) => LeaseResponse {
                ttl: 0,
                error: message_of(&e),
            },
        };
        Ok(Response::new(resp))
    }

    async fn member_op(
        &self,
        request: Request<ForwardRequest>,
    ) -> Result<Response<ForwardResponse>, Status> {
        let server = self.server()?;
        let op = crate::pb::peer::MemberOpRequest::decode(request.into_inner().request.as_slice())
            .map_err(|e| Status::invalid_argument(format!("bad member op: {e}")))?;
        let resp = match server.member_op_local(op).await {
            Ok(r) => ForwardResponse {
                result: postcard::to_stdvec(&r).map_err(|e| Status::internal(e.to_string()))?,
                error: String::new(),
            },
            Err(e) => ForwardResponse {
                result: Vec::new(),
                error: message_of(&e),
            },
        };
        Ok(Response::new(resp))
    }

    async fn cluster_info(
        &self,
        _request: Request<crate::pb::peer::ClusterInfoRequest>,
    ) -> Result<Response<crate::pb::peer::ClusterInfoResponse>, Status> {
        let server = self.server()?;
        Ok(Response::new(crate::pb::peer::ClusterInfoResponse {
            cluster_id: server.cluster_id(),
            members: server.pb_members(),
        }))
    }

    async fn campaign(
        &self,
        _request: Request<crate::pb::peer::CampaignRequest>,
    ) -> Result<Response<crate::pb::peer::CampaignResponse>, Status> {
        let server = self.server()?;
        server
            .raft()
            .trigger()
            .elect()
            .await
            .map_err(|e| Status::unavailable(e.to_string()))?;
        Ok(Response::new(crate::pb::peer::CampaignResponse {}))
    }

    async fn hash_kv(
        &self,
        request: Request<crate::pb::etcdserverpb::HashKvRequest>,
    ) -> Result<Response<crate::pb::etcdserverpb::HashKvResponse>, Status> {
        let server = self.server()?;
        server
            .hash_kv(request.into_inner().revision)
            .map(Response::new)
            .map_err(|e| Status::unknown(e.to_string()))
    }

    async fn lease_remaining(
        &self,
        request: Request<LeaseRequest>,
    ) -> Result<Response<LeaseResponse>, Status> {
        let server = self.server()?;
        let id = request.into_inner().id;
        let resp = match server.lease_remaining_local(id) {
            Ok(ttl) => LeaseResponse {
                ttl,
                error: String::new(),
            },
            Err(e) => LeaseResponse {
                ttl: 0,
                error: message_of(&e),
            },
        };
        Ok(Response::new(resp))
    }
}
