//! Streaming and long-running calls of [`Client`]: watch, lease keep-alive, snapshot, and the
//! `v3lockpb.Lock` / `v3electionpb.Election` services.
//!
//! A stream is opened on the current connection (dialing is bounded by the per-call timeout,
//! like a unary call), but the stream itself has no deadline: it lives until the server ends it
//! or the caller drops it. Errors are mapped as for unary calls ([`Error::Grpc`] keeps the
//! server's message unchanged).

use std::pin::Pin;

use futures::{Stream, StreamExt};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_stream::wrappers::ReceiverStream;

use super::{Client, Error};
use crate::pb::etcdserverpb::{
    lease_client::LeaseClient, maintenance_client::MaintenanceClient, watch_client::WatchClient,
    watch_request::RequestUnion, DefragmentRequest, DefragmentResponse, LeaseGrantRequest,
    LeaseGrantResponse, LeaseKeepAliveRequest, LeaseKeepAliveResponse, LeaseLeasesRequest,
    LeaseLeasesResponse, LeaseRevokeRequest, LeaseRevokeResponse, LeaseTimeToLiveRequest,
    LeaseTimeToLiveResponse, SnapshotRequest, SnapshotResponse, WatchCancelRequest,
    WatchCreateRequest, WatchProgressRequest, WatchRequest, WatchResponse,
};
use crate::pb::v3electionpb::{
    election_client::ElectionClient, CampaignRequest, CampaignResponse, LeaderKey, LeaderRequest,
    LeaderResponse, ProclaimRequest, ProclaimResponse, ResignRequest, ResignResponse,
};
use crate::pb::v3lockpb::{
    lock_client::LockClient, LockRequest, LockResponse, UnlockRequest, UnlockResponse,
};

/// gRPC metadata key etcd reads for `clientv3.WithRequireLeader`: the server fails the stream
/// with `etcdserver: no leader` instead of waiting when the member has lost its leader.
pub const REQUIRE_LEADER_KEY: &str = "hasleader";

/// Maps a gRPC status to [`Error::Grpc`].
fn grpc(status: tonic::Status) -> Error {
    Error::Grpc {
        code: status.code(),
        message: super::status_message(&status),
    }
}

/// A boxed stream of results, as returned by the server-streaming calls.
pub type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, Error>> + Send>>;

impl Client {
    /// A connected channel for a stream (dial bounded by the per-call timeout).
    async fn stream_channel(&self) -> Result<super::AuthChannel, Error> {
        let deadline = Instant::now() + self.request_timeout;
        let mut last = None;
        self.authed_channel(deadline, &mut last).await
    }

    /// `Watch.Watch`: opens a watch stream and creates one watcher with `req` (etcd's
    /// `clientv3.Watch` with `WithRequireLeader`).
    ///
    /// The returned [`Watcher`] yields every [`WatchResponse`] of the stream, the `created`
    /// confirmation included; more watchers may be created on the same stream.
    ///
    /// # Errors
    /// [`Error::DeadlineExceeded`] when no endpoint answers within the per-call timeout,
    /// [`Error::Grpc`] when the server refuses the stream.
    pub async fn watch(&self, req: WatchCreateRequest) -> Result<Watcher, Error> {
        let ch = self.stream_channel().await?;
        let (tx, rx) = mpsc::channel(16);
        let first = WatchRequest {
            request_union: Some(RequestUnion::CreateRequest(req)),
        };
        tx.send(first).await.map_err(|_| Error::Grpc {
            code: tonic::Code::Cancelled,
            message: "watch stream closed".into(),
        })?;
        let mut request = tonic::Request::new(ReceiverStream::new(rx));
        request.metadata_mut().insert(
            REQUIRE_LEADER_KEY,
            tonic::metadata::MetadataValue::from_static("true"),
        );
        let mut wc = WatchClient::new(ch);
        let open = wc.watch(request);
        let resp = tokio::time::timeout(self.request_timeout, open)
            .await
            .map_err(|_| Error::DeadlineExceeded { last: None })?
            .map_err(grpc)?;
        Ok(Watcher {
            tx,
            stream: resp.into_inner(),
        })
    }

    /// `Lease.LeaseGrant`: a new lease of `ttl` seconds (`id` 0: the server picks the ID).
    ///
    /// # Errors
    /// As [`Client::range`].
    pub async fn lease_grant(&self, ttl: i64, id: i64) -> Result<LeaseGrantResponse, Error> {
        self.call(|ch| async move {
            LeaseClient::new(ch)
                .lease_grant(LeaseGrantRequest { ttl, id })
                .await
        })
        .await
    }

    /// `Lease.LeaseRevoke`: revokes lease `id`, deleting its keys.
    ///
    /// # Errors
    /// As [`Client::range`]; `etcdserver: requested lease not found` for an unknown lease.
    pub async fn lease_revoke(&self, id: i64) -> Result<LeaseRevokeResponse, Error> {
        self.call(|ch| async move {
            LeaseClient::new(ch)
                .lease_revoke(LeaseRevokeRequest { id })
                .await
        })
        .await
    }

    /// `Lease.LeaseTimeToLive`: remaining and granted TTL (seconds) of lease `id`, with its
    /// attached keys when `keys`. An expired or unknown lease answers TTL -1, granted TTL 0.
    ///
    /// # Errors
    /// As [`Client::range`].
    pub async fn lease_time_to_live(
        &self,
        id: i64,
        keys: bool,
    ) -> Result<LeaseTimeToLiveResponse, Error> {
        self.call(|ch| async move {
            LeaseClient::new(ch)
                .lease_time_to_live(LeaseTimeToLiveRequest { id, keys })
                .await
        })
        .await
    }

    /// `Lease.LeaseLeases`: every live lease.
    ///
    /// # Errors
    /// As [`Client::range`].
    pub async fn lease_leases(&self) -> Result<LeaseLeasesResponse, Error> {
        self.call(|ch| async move {
            LeaseClient::new(ch)
                .lease_leases(LeaseLeasesRequest {})
                .await
        })
        .await
    }

    /// `Lease.LeaseKeepAlive` as a stream: sends one keep-alive for `id` now and returns the
    /// [`KeepAlive`] handle to send more and read the answers (etcd's renewed TTL in seconds;
    /// TTL ≤ 0 means the lease is gone).
    ///
    /// # Errors
    /// As [`Client::watch`].
    pub async fn lease_keep_alive(&self, id: i64) -> Result<KeepAlive, Error> {
        let ch = self.stream_channel().await?;
        let (tx, rx) = mpsc::channel(4);
        tx.send(LeaseKeepAliveRequest { id })
            .await
            .map_err(|_| Error::Grpc {
                code: tonic::Code::Cancelled,
                message: "keep-alive stream closed".into(),
            })?;
        let mut lc = LeaseClient::new(ch);
        let open = lc.lease_keep_alive(ReceiverStream::new(rx));
        let resp = tokio::time::timeout(self.request_timeout, open)
            .await
            .map_err(|_| Error::DeadlineExceeded { last: None })?
            .map_err(grpc)?;
        Ok(KeepAlive {
            id,
            tx,
            stream: resp.into_inner(),
        })
    }

    /// `Lease.LeaseKeepAlive` driven by the caller: every request of `requests` is sent on one
    /// stream, and the server's answers come back as the returned stream (the L7 proxy forwards
    /// a client's keep-alive stream through this).
    ///
    /// # Errors
    /// As [`Client::watch`]; stream items carry later transport or server errors.
    pub async fn lease_keep_alive_stream(
        &self,
        requests: impl Stream<Item = LeaseKeepAliveRequest> + Send + 'static,
    ) -> Result<BoxStream<LeaseKeepAliveResponse>, Error> {
        let ch = self.stream_channel().await?;
        let mut lc = LeaseClient::new(ch);
        let open = lc.lease_keep_alive(requests);
        let resp = tokio::time::timeout(self.request_timeout, open)
            .await
            .map_err(|_| Error::DeadlineExceeded { last: None })?
            .map_err(grpc)?;
        Ok(Box::pin(resp.into_inner().map(|r| r.map_err(grpc))))
    }

    /// One keep-alive round trip for lease `id` (Go's `KeepAliveOnce`), bounded by the per-call
    /// timeout.
    ///
    /// # Errors
    /// `etcdserver: requested lease not found` ([`Error::Grpc`], code NotFound) when the answer
    /// has TTL ≤ 0, as clientv3; otherwise as [`Client::watch`].
    pub async fn lease_keep_alive_once(&self, id: i64) -> Result<LeaseKeepAliveResponse, Error> {
        let fut = async {
            let mut ka = self.lease_keep_alive(id).await?;
            match ka.next().await? {
                Some(r) if r.ttl > 0 => Ok(r),
                _ => Err(Error::Grpc {
                    code: tonic::Code::NotFound,
                    message: "etcdserver: requested lease not found".into(),
                }),
            }
        };
        tokio::time::timeout(self.request_timeout, fut)
            .await
            .map_err(|_| Error::DeadlineExceeded { last: None })?
    }

    /// `Maintenance.Snapshot`: the backend image as a stream of chunks. Concatenated, the
    /// `blob`s are the database followed by a 32-byte sha256 of it.
    ///
    /// # Errors
    /// As [`Client::watch`]; stream items carry later transport or server errors.
    pub async fn snapshot(&self) -> Result<BoxStream<SnapshotResponse>, Error> {
        let ch = self.stream_channel().await?;
        let mut mc = MaintenanceClient::new(ch);
        let open = mc.snapshot(SnapshotRequest {});
        let resp = tokio::time::timeout(self.request_timeout, open)
            .await
            .map_err(|_| Error::DeadlineExceeded { last: None })?
            .map_err(grpc)?;
        Ok(Box::pin(resp.into_inner().map(|r| r.map_err(grpc))))
    }

    /// `Maintenance.Defragment` of the endpoint currently connected (build a one-endpoint
    /// client to defragment a given member, as etcdctl does).
    ///
    /// # Errors
    /// As [`Client::range`].
    pub async fn defragment(&self) -> Result<DefragmentResponse, Error> {
        self.call(|ch| async move {
            MaintenanceClient::new(ch)
                .defragment(DefragmentRequest {})
                .await
        })
        .await
    }

    /// `v3lockpb.Lock/Lock`: waits (without deadline) until the lock `name` is held by lease
    /// `lease`; the answer's `key` (`<name>/<lease hex>`) is the ownership key.
    ///
    /// # Errors
    /// As [`Client::watch`].
    pub async fn lock(&self, name: &[u8], lease: i64) -> Result<LockResponse, Error> {
        let ch = self.stream_channel().await?;
        LockClient::new(ch)
            .lock(LockRequest {
                name: name.to_vec(),
                lease,
            })
            .await
            .map(tonic::Response::into_inner)
            .map_err(grpc)
    }

    /// `v3lockpb.Lock/Unlock`: releases the lock owned through `key`.
    ///
    /// # Errors
    /// As [`Client::range`].
    pub async fn unlock(&self, key: &[u8]) -> Result<UnlockResponse, Error> {
        let key = key.to_vec();
        self.call(|ch| {
            let key = key.clone();
            async move { LockClient::new(ch).unlock(UnlockRequest { key }).await }
        })
        .await
    }

    /// `v3electionpb.Election/Campaign`: waits (without deadline) until lease `lease` leads
    /// election `name` with `value`.
    ///
    /// # Errors
    /// As [`Client::watch`].
    pub async fn campaign(
        &self,
        name: &[u8],
        lease: i64,
        value: &[u8],
    ) -> Result<CampaignResponse, Error> {
        let ch = self.stream_channel().await?;
        ElectionClient::new(ch)
            .campaign(CampaignRequest {
                name: name.to_vec(),
                lease,
                value: value.to_vec(),
            })
            .await
            .map(tonic::Response::into_inner)
            .map_err(grpc)
    }

    /// `v3electionpb.Election/Proclaim`: the leader `leader` announces a new `value`.
    ///
    /// # Errors
    /// As [`Client::range`].
    pub async fn proclaim(
        &self,
        leader: LeaderKey,
        value: &[u8],
    ) -> Result<ProclaimResponse, Error> {
        let value = value.to_vec();
        self.call(|ch| {
            let req = ProclaimRequest {
                leader: Some(leader.clone()),
                value: value.clone(),
            };
            async move { ElectionClient::new(ch).proclaim(req).await }
        })
        .await
    }

    /// `v3electionpb.Election/Leader`: the current leader's key-value of election `name`.
    ///
    /// # Errors
    /// As [`Client::range`]; `election: no leader` when nobody campaigns.
    pub async fn leader(&self, name: &[u8]) -> Result<LeaderResponse, Error> {
        let name = name.to_vec();
        self.call(|ch| {
            let name = name.clone();
            async move { ElectionClient::new(ch).leader(LeaderRequest { name }).await }
        })
        .await
    }

    /// `v3electionpb.Election/Observe`: the leader of election `name` now (once there is one)
    /// and at every change.
    ///
    /// # Errors
    /// As [`Client::watch`].
    pub async fn observe(&self, name: &[u8]) -> Result<BoxStream<LeaderResponse>, Error> {
        let ch = self.stream_channel().await?;
        let resp = ElectionClient::new(ch)
            .observe(LeaderRequest {
                name: name.to_vec(),
            })
            .await
            .map_err(grpc)?;
        Ok(Box::pin(resp.into_inner().map(|r| r.map_err(grpc))))
    }

    /// `v3electionpb.Election/Resign`: gives up leadership held through `leader`.
    ///
    /// # Errors
    /// As [`Client::range`].
    pub async fn resign(&self, leader: LeaderKey) -> Result<ResignResponse, Error> {
        self.call(|ch| {
            let req = ResignRequest {
                leader: Some(leader.clone()),
            };
            async move { ElectionClient::new(ch).resign(req).await }
        })
        .await
    }
}

/// One open watch stream (`Watch.Watch`): read responses with [`Watcher::next`], add or cancel
/// watchers and ask for progress on the same stream.
#[derive(Debug)]
pub struct Watcher {
    tx: mpsc::Sender<WatchRequest>,
    stream: tonic::Streaming<WatchResponse>,
}

impl Watcher {
    /// The next response; `Ok(None)` when the server closed the stream.
    ///
    /// # Errors
    /// [`Error::Grpc`] when the stream fails (e.g. `etcdserver: no leader`).
    pub async fn next(&mut self) -> Result<Option<WatchResponse>, Error> {
        self.stream.message().await.map_err(grpc)
    }

    async fn send(&self, req: RequestUnion) -> Result<(), Error> {
        self.tx
            .send(WatchRequest {
                request_union: Some(req),
            })
            .await
            .map_err(|_| Error::Grpc {
                code: tonic::Code::Cancelled,
                message: "watch stream closed".into(),
            })
    }

    /// Creates one more watcher on this stream.
    ///
    /// # Errors
    /// [`Error::Grpc`] (Cancelled) when the stream is already closed.
    pub async fn create(&self, req: WatchCreateRequest) -> Result<(), Error> {
        self.send(RequestUnion::CreateRequest(req)).await
    }

    /// Cancels watcher `watch_id`; the server answers with a `canceled` response.
    ///
    /// # Errors
    /// As [`Watcher::create`].
    pub async fn cancel(&self, watch_id: i64) -> Result<(), Error> {
        self.send(RequestUnion::CancelRequest(WatchCancelRequest { watch_id }))
            .await
    }

    /// Asks for a progress notification (a response with no events carrying the current
    /// revision), etcd's `RequestProgress`.
    ///
    /// # Errors
    /// As [`Watcher::create`].
    pub async fn request_progress(&self) -> Result<(), Error> {
        self.send(RequestUnion::ProgressRequest(WatchProgressRequest {}))
            .await
    }

    /// A handle that sends requests on this stream after [`Watcher::into_stream`].
    pub fn sender(&self) -> WatchSender {
        WatchSender(self.tx.clone())
    }

    /// Turns the watcher into a stream of responses that ends when the server closes it.
    pub fn into_stream(self) -> BoxStream<WatchResponse> {
        Box::pin(futures::stream::unfold(self, |mut w| async move {
            match w.next().await {
                Ok(Some(r)) => Some((Ok(r), w)),
                Ok(None) => None,
                Err(e) => Some((Err(e), w)),
            }
        }))
    }
}

/// Sends requests (progress, cancel) on a watch stream whose responses are read elsewhere.
#[derive(Debug, Clone)]
pub struct WatchSender(mpsc::Sender<WatchRequest>);

impl WatchSender {
    /// Asks for a progress notification, as [`Watcher::request_progress`].
    ///
    /// # Errors
    /// [`Error::Grpc`] (Cancelled) when the stream is closed.
    pub async fn request_progress(&self) -> Result<(), Error> {
        self.0
            .send(WatchRequest {
                request_union: Some(RequestUnion::ProgressRequest(WatchProgressRequest {})),
            })
            .await
            .map_err(|_| Error::Grpc {
                code: tonic::Code::Cancelled,
                message: "watch stream closed".into(),
            })
    }
}

/// An open `Lease.LeaseKeepAlive` stream for one lease.
#[derive(Debug)]
pub struct KeepAlive {
    id: i64,
    tx: mpsc::Sender<LeaseKeepAliveRequest>,
    stream: tonic::Streaming<LeaseKeepAliveResponse>,
}

impl KeepAlive {
    /// The lease this stream renews.
    pub fn id(&self) -> i64 {
        self.id
    }

    /// Sends one more keep-alive request.
    ///
    /// # Errors
    /// [`Error::Grpc`] (Cancelled) when the stream is closed.
    pub async fn keep_alive(&self) -> Result<(), Error> {
        self.tx
            .send(LeaseKeepAliveRequest { id: self.id })
            .await
            .map_err(|_| Error::Grpc {
                code: tonic::Code::Cancelled,
                message: "keep-alive stream closed".into(),
            })
    }

    /// The next answer; `Ok(None)` when the server closed the stream.
    ///
    /// # Errors
    /// [`Error::Grpc`] when the stream fails.
    pub async fn next(&mut self) -> Result<Option<LeaseKeepAliveResponse>, Error> {
        self.stream.message().await.map_err(grpc)
    }
}
