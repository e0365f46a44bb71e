//! The Raft network: openraft's RPCs to other members over gRPC on their peer URLs
//! (`etcdoxide.peer.RaftPeer`), with lazily connected channels. Requests and responses
//! travel postcard-encoded inside `bytes`.
//!
//! `https` peer URLs use the peer TLS client (`crate::tls`, set up from the `--peer-*` flags);
//! the connector and the fatal-refusal signal reach it as a value ([`PeerTransport`]).
//!
//! A peer that cannot be reached is reported `Unreachable`, which openraft retries with
//! backoff; a peer that answers with a Raft error is a `RemoteError`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use openraft::error::{
    InstallSnapshotError, NetworkError, RPCError, RaftError, RemoteError, Unreachable,
};
use openraft::network::{RPCOption, RaftNetwork, RaftNetworkFactory};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse,
    VoteRequest, VoteResponse,
};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tonic::transport::{Channel, Endpoint};

use super::TypeConfig;
use crate::apply::Member;
use crate::pb::peer::raft_peer_client::RaftPeerClient;
use crate::pb::peer::RaftBytes;
use crate::tls::TlsConnector;

/// gRPC metadata key carrying the sender's cluster ID (hex), like etcd's
/// `X-Etcd-Cluster-ID` header.
pub const CLUSTER_ID_METADATA: &str = "x-etcd-cluster-id";
/// gRPC metadata key carrying the sender's member ID (hex), like etcd's `X-Server-From`.
pub const MEMBER_ID_METADATA: &str = "x-server-from";
/// Status message a peer sends to a member of another cluster.
pub const CLUSTER_ID_MISMATCH: &str = "request cluster ID mismatch";
/// Status message a peer sends to a member that was removed.
pub const MEMBER_REMOVED: &str = "the member has been permanently removed from the cluster";

/// AppendEntries carrying more than this many bytes of requests are split: the replication
/// gets openraft's `PayloadTooLarge` with the number of entries that fit (at least one). Each
/// AppendEntries must finish within one heartbeat interval, and a retry resends the same
/// batch, so a run of large entries (e.g. 1 MiB user names) sent as one batch could time out
/// on every retry and stall replication for good.
pub const MAX_APPEND_BYTES: usize = 512 * 1024;

/// Approximate wire size of one entry's requests.
fn entry_bytes(e: &openraft::Entry<TypeConfig>) -> usize {
    match &e.payload {
        openraft::EntryPayload::Normal(b) => {
            b.requests.iter().map(prost::Message::encoded_len).sum()
        }
        _ => 0,
    }
}

/// How many leading entries fit in [`MAX_APPEND_BYTES`] (at least one), when not all do.
fn entries_that_fit(entries: &[openraft::Entry<TypeConfig>]) -> Option<usize> {
    let mut total = 0usize;
    for (i, e) in entries.iter().enumerate() {
        total = total.saturating_add(entry_bytes(e));
        if total > MAX_APPEND_BYTES {
            let fit = i.max(1);
            return (fit < entries.len()).then_some(fit);
        }
    }
    None
}

/// A condition learned from peers that must stop this member (etcd exits on both: another
/// cluster's ID, or this member removed): set at most once, watched by the member's serve
/// loop (`server::run`). A value owned by one member; cloning shares it.
#[derive(Clone, Debug)]
pub struct PeerFatal(tokio::sync::watch::Sender<Option<String>>);

impl Default for PeerFatal {
    fn default() -> Self {
        PeerFatal(tokio::sync::watch::channel(None).0)
    }
}

impl PeerFatal {
    /// Records a fatal peer condition (first one wins).
    pub fn raise(&self, message: String) {
        self.0.send_if_modified(|cur| {
            if cur.is_none() {
                *cur = Some(message);
                true
            } else {
                false
            }
        });
    }

    /// A receiver that sees the condition when it is raised.
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<Option<String>> {
        self.0.subscribe()
    }
}

/// How this member dials other members' peer URLs: `http` plainly, `https` through the peer
/// TLS connector built from the `--peer-*` flags. Without peer TLS flags an `https` peer is
/// verified against the system CA bundle. A value owned by one member; cloning shares it.
///
/// In the `failpoints` build only, the dialer also reads
/// [`crate::failpoints::PEER_DIAL_MAP_ENV`] once: a peer URL listed there is dialed at the
/// address it maps to (the robustness tests' per-link TCP proxy), so network faults can be
/// injected per ordered pair of members. Release builds have no such field or variable.
#[derive(Clone, Debug, Default)]
pub struct PeerDialer {
    tls: Option<TlsConnector>,
    /// Peer URL → URL actually dialed (test builds only).
    #[cfg(feature = "failpoints")]
    redirect: Arc<HashMap<String, String>>,
}

impl PeerDialer {
    /// A dialer using `tls` for `https` peer URLs (`None`: the system CA bundle).
    pub fn new(tls: Option<TlsConnector>) -> PeerDialer {
        PeerDialer {
            tls,
            #[cfg(feature = "failpoints")]
            redirect: Arc::new(crate::failpoints::peer_dial_map()),
        }
    }

    /// The URL to dial for peer URL `url`: itself, or (failpoints build) its redirection.
    fn dial_url<'a>(&'a self, url: &'a str) -> &'a str {
        #[cfg(feature = "failpoints")]
        if let Some(to) = self.redirect.get(url.trim_end_matches('/')) {
            return to;
        }
        url
    }

    /// The connector for `https` peer URLs.
    fn tls(&self) -> TlsConnector {
        if let Some(c) = &self.tls {
            return c.clone();
        }
        let cfg = crate::tls::client_config(
            &crate::tls::ClientTlsOptions::default(),
            &crate::tls::TlsParams::default(),
        )
        .expect("invariant: default client TLS options read no required file and always build");
        TlsConnector::new(cfg)
    }

    /// Builds a lazily connecting channel to the first peer URL of `member`.
    ///
    /// # Errors
    /// [`PeerError::NoUrl`] when the member has no parseable URL.
    pub fn channel(&self, id: u64, member: &Member) -> Result<Channel, PeerError> {
        let url = member.peer_urls.first().ok_or(PeerError::NoUrl(id))?;
        let url = self.dial_url(url);
        let endpoint = Endpoint::from_shared(url.to_string())
            .map_err(|_| PeerError::NoUrl(id))?
            .connect_timeout(PEER_DIAL_TIMEOUT)
            .initial_connection_window_size(PEER_WINDOW_BYTES)
            .initial_stream_window_size(PEER_WINDOW_BYTES)
            .tcp_nodelay(true)
            .http2_keep_alive_interval(Duration::from_secs(10))
            .keep_alive_while_idle(true);
        if url.starts_with("https://") {
            Ok(endpoint.connect_with_connector_lazy(self.tls()))
        } else {
            Ok(endpoint.connect_lazy())
        }
    }

    /// Connects `endpoint` (for peer URL `url`) now, through TLS when `url` is `https`.
    ///
    /// # Errors
    /// The connection or handshake failure.
    pub async fn connect(
        &self,
        endpoint: Endpoint,
        url: &str,
    ) -> Result<Channel, tonic::transport::Error> {
        if url.starts_with("https://") {
            endpoint.connect_with_connector(self.tls()).await
        } else {
            endpoint.connect().await
        }
    }
}

/// What a member needs to talk to its peers, passed as a value (no process-wide state, so
/// several members can run in one process): how to dial them and where to report a fatal
/// refusal.
#[derive(Clone, Debug, Default)]
pub struct PeerTransport {
    /// Dials peer URLs.
    pub dialer: PeerDialer,
    /// Raised when a peer refuses this member for good.
    pub fatal: PeerFatal,
    /// Since when each peer has answered Raft RPCs without a failure (etcd's
    /// `Transport.ActiveSince`), read by the strict reconfiguration check.
    pub activity: PeerActivity,
}

/// Per peer, the instant since which its Raft RPCs have succeeded without interruption
/// (etcd's `rafthttp` `ActiveSince`): set on the first success after a failure, cleared by a
/// connection failure. A request that only ran out of time is no broken connection (etcd
/// resets `ActiveSince` only when the peer's stream breaks), so timeouts do not clear it; a
/// peer with no answered RPC for [`PEER_SILENCE`] counts as inactive, and its next answer
/// starts a new active period. (Regression: under a loaded machine every peer RPC timing out
/// now and then kept `ActiveSince` younger than etcd's 5 s health interval, so a member
/// removal was refused with `etcdserver: unhealthy cluster` for good; seen in the
/// `membership` robustness scenario.) Shared by clones.
#[derive(Clone, Debug, Default)]
pub struct PeerActivity(Arc<Mutex<HashMap<u64, (Instant, Instant)>>>);

/// How long a peer may go without an answered RPC before it counts as inactive (heartbeats
/// go every heartbeat interval, 100 ms by default).
pub const PEER_SILENCE: Duration = Duration::from_secs(3);

impl PeerActivity {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, (Instant, Instant)>> {
        match self.0.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    /// Records an answered RPC from `peer`.
    pub fn record_success(&self, peer: u64) {
        let now = Instant::now();
        let mut m = self.lock();
        let e = m.entry(peer).or_insert((now, now));
        if now.duration_since(e.1) > PEER_SILENCE {
            e.0 = now;
        }
        e.1 = now;
    }

    /// Records a failure talking to `peer`: a connection failure ends its active period; a
    /// timeout (`Cancelled` / `DeadlineExceeded`, the request ran out of time) does not.
    pub fn record_failure(&self, peer: u64, code: tonic::Code) {
        if !matches!(code, tonic::Code::Cancelled | tonic::Code::DeadlineExceeded) {
            self.lock().remove(&peer);
        }
    }

    /// Since when `peer` has been reachable; `None` when it is not (or never was, or has
    /// answered nothing for [`PEER_SILENCE`]).
    pub fn active_since(&self, peer: u64) -> Option<Instant> {
        let m = self.lock();
        let (since, last) = m.get(&peer)?;
        (last.elapsed() <= PEER_SILENCE).then_some(*since)
    }
}

/// HTTP/2 flow-control window of peer connections, both ways (bytes): a 1 MiB entry or a
/// snapshot chunk goes out without waiting for window updates.
pub const PEER_WINDOW_BYTES: u32 = 4 << 20;

/// Time allowed to establish a TCP connection to a peer.
pub const PEER_DIAL_TIMEOUT: Duration = Duration::from_secs(1);

/// Why a peer RPC failed before reaching Raft on the other side.
#[derive(Debug, thiserror::Error)]
pub enum PeerError {
    /// The member has no usable peer URL.
    #[error("member {0:x} has no valid peer URL")]
    NoUrl(u64),
    /// gRPC failure (connection refused, timeout, reset...).
    #[error("peer {target:x}: {status}")]
    Transport {
        /// The peer's member ID.
        target: u64,
        /// The gRPC status.
        status: tonic::Status,
    },
    /// The payload did not encode or decode.
    #[error("peer {target:x}: bad payload: {reason}")]
    Codec {
        /// The peer's member ID.
        target: u64,
        /// What went wrong.
        reason: String,
    },
}

/// Factory of [`PeerClient`]s; knows who we are so every request carries our cluster and
/// member IDs, and how to reach and report peers.
#[derive(Clone)]
pub struct Network {
    /// This member's cluster ID.
    pub cluster_id: u64,
    /// This member's ID.
    pub member_id: u64,
    /// How to dial peers and where to report a fatal refusal.
    pub transport: PeerTransport,
}

/// A client for one peer member: heartbeats and votes on one connection, sends of entries
/// on another (as etcd's rafthttp keeps its message stream apart from its pipeline), so a
/// heartbeat never queues behind a large entry in HTTP/2 flow control.
pub struct PeerClient {
    ctx: PeerCtx,
    /// [`PeerCtx`] over the connection that carries AppendEntries with entries.
    bulk: PeerCtx,
    /// The AppendEntries carrying entries that is on its way to the peer, if any.
    inflight: Option<InflightAppend>,
}

/// What one RPC to a peer needs; cloned into detached AppendEntries tasks.
#[derive(Clone)]
struct PeerCtx {
    target: u64,
    cluster_id: u64,
    member_id: u64,
    fatal: PeerFatal,
    activity: PeerActivity,
    client: Result<RaftPeerClient<Channel>, String>,
}

/// How long a detached AppendEntries carrying entries may take before it fails (transfer, the
/// peer's log append and its fsync), in place of openraft's per-attempt limit of one heartbeat
/// interval.
pub const APPEND_DEADLINE: Duration = Duration::from_secs(5);

/// Result of one AppendEntries RPC as openraft sees it.
type AppendResult = Result<AppendEntriesResponse<u64>, RPCError<u64, Member, RaftError<u64>>>;

/// An AppendEntries with entries that runs in its own task, so that openraft's per-attempt
/// timeout (one heartbeat interval) does not cancel it: a large entry on a loaded peer takes
/// longer than 100 ms to transfer and fsync, and a cancelled send retried from scratch never
/// finishes. The retry of the same range (same vote and `prev_log_id`) waits for this send
/// instead of sending the entries again.
struct InflightAppend {
    vote: openraft::Vote<u64>,
    prev: Option<openraft::LogId<u64>>,
    last: Option<openraft::LogId<u64>>,
    task: tokio::task::JoinHandle<AppendResult>,
}

impl Drop for InflightAppend {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Translates the answer to a send that covered up to `sent_last` into the answer for a
/// request with the same `prev_log_id` ending at `want_last`.
fn answer_for(
    resp: AppendEntriesResponse<u64>,
    sent_last: Option<openraft::LogId<u64>>,
    want_last: Option<openraft::LogId<u64>>,
) -> AppendEntriesResponse<u64> {
    let matched = match resp {
        AppendEntriesResponse::Success => sent_last,
        AppendEntriesResponse::PartialSuccess(m) => m,
        other => return other,
    };
    if matched >= want_last {
        AppendEntriesResponse::Success
    } else {
        AppendEntriesResponse::PartialSuccess(matched)
    }
}

impl RaftNetworkFactory<TypeConfig> for Network {
    type Network = PeerClient;

    async fn new_client(&mut self, target: u64, node: &Member) -> PeerClient {
        let dial = || {
            self.transport
                .dialer
                .channel(target, node)
                .map(|c| {
                    RaftPeerClient::new(c)
                        .max_decoding_message_size(usize::MAX)
                        .max_encoding_message_size(usize::MAX)
                })
                .map_err(|e| e.to_string())
        };
        let ctx = PeerCtx {
            target,
            cluster_id: self.cluster_id,
            member_id: self.member_id,
            fatal: self.transport.fatal.clone(),
            activity: self.transport.activity.clone(),
            client: dial(),
        };
        PeerClient {
            bulk: PeerCtx {
                client: dial(),
                ..ctx.clone()
            },
            ctx,
            inflight: None,
        }
    }
}

impl PeerCtx {
    /// Sends one encoded RPC, to be answered within `timeout`, and decodes the peer's
    /// `Result<Resp, E>`.
    async fn call<Req, Resp, E>(
        &self,
        which: Rpc,
        req: &Req,
        timeout: Duration,
    ) -> Result<Resp, RPCError<u64, Member, E>>
    where
        Req: Serialize,
        Resp: DeserializeOwned,
        E: std::error::Error + DeserializeOwned,
    {
        let target = self.target;
        let mut client = match &self.client {
            Ok(c) => c.clone(),
            Err(e) => {
                return Err(RPCError::Unreachable(Unreachable::new(&PeerError::Codec {
                    target,
                    reason: e.clone(),
                })))
            }
        };
        let data = postcard::to_stdvec(req).map_err(|e| {
            RPCError::Network(NetworkError::new(&PeerError::Codec {
                target,
                reason: e.to_string(),
            }))
        })?;
        let mut request = tonic::Request::new(RaftBytes { data });
        request.set_timeout(timeout);
        add_identity(&mut request, self.cluster_id, self.member_id);
        let started = std::time::Instant::now();
        let resp = match which {
            Rpc::AppendEntries => client.append_entries(request).await,
            Rpc::Vote => client.vote(request).await,
            Rpc::InstallSnapshot => client.install_snapshot(request).await,
        };
        let bytes = match resp {
            Ok(r) => {
                self.activity.record_success(target);
                if matches!(which, Rpc::AppendEntries) {
                    crate::observability::metrics()
                        .peer_rtt
                        .with_label_values(&[&format!("{target:x}")])
                        .observe(started.elapsed().as_secs_f64());
                }
                r.into_inner().data
            }
            Err(status) => {
                self.activity.record_failure(target, status.code());
                check_fatal(&status, self.cluster_id, &self.fatal);
                return Err(RPCError::Unreachable(Unreachable::new(
                    &PeerError::Transport { target, status },
                )));
            }
        };
        let decoded: Result<Resp, E> = postcard::from_bytes(&bytes).map_err(|e| {
            RPCError::Network(NetworkError::new(&PeerError::Codec {
                target,
                reason: e.to_string(),
            }))
        })?;
        decoded.map_err(|e| RPCError::RemoteError(RemoteError::new(target, e)))
    }
}

/// Stamps a peer request with our identity.
pub fn add_identity<T>(request: &mut tonic::Request<T>, cluster_id: u64, member_id: u64) {
    if let Ok(v) = format!("{cluster_id:x}").parse() {
        request.metadata_mut().insert(CLUSTER_ID_METADATA, v);
    }
    if let Ok(v) = format!("{member_id:x}").parse() {
        request.metadata_mut().insert(MEMBER_ID_METADATA, v);
    }
}

/// Turns a peer's refusal into the fatal condition etcd exits on.
fn check_fatal(status: &tonic::Status, local_cluster_id: u64, fatal: &PeerFatal) {
    let msg = status.message();
    if let Some(rest) = msg.strip_prefix(CLUSTER_ID_MISMATCH) {
        let remote = rest
            .trim()
            .trim_start_matches('(')
            .trim_end_matches(')')
            .to_string();
        fatal.raise(format!("conflicting cluster ID to the target cluster ({local_cluster_id:x} != {remote}). Exiting."));
    } else if msg == MEMBER_REMOVED {
        fatal.raise(format!("{MEMBER_REMOVED}. Exiting."));
    }
}

/// Which peer RPC to call.
#[derive(Debug, Clone, Copy)]
enum Rpc {
    AppendEntries,
    Vote,
    InstallSnapshot,
}

impl RaftNetwork<TypeConfig> for PeerClient {
    async fn append_entries(
        &mut self,
        rpc: AppendEntriesRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<AppendEntriesResponse<u64>, RPCError<u64, Member, RaftError<u64>>> {
        if let Some(fit) = entries_that_fit(&rpc.entries) {
            self.inflight = None;
            return Err(RPCError::PayloadTooLarge(
                openraft::error::PayloadTooLarge::new_entries_hint(fit as u64),
            ));
        }
        let Some(last) = rpc.entries.last().map(|e| e.log_id) else {
            // A heartbeat: small, answered at once, sent beside any send of entries. A failed
            // one counts in etcd's `etcd_server_heartbeat_send_failures_total`.
            let sent = self
                .ctx
                .call(Rpc::AppendEntries, &rpc, option.hard_ttl())
                .await;
            if matches!(sent, Err(RPCError::Unreachable(_) | RPCError::Timeout(_))) {
                crate::observability::metrics()
                    .inc_counter("etcd_server_heartbeat_send_failures_total");
            }
            return sent;
        };
        let last = Some(last);
        let joins = self
            .inflight
            .as_ref()
            .is_some_and(|f| f.vote == rpc.vote && f.prev == rpc.prev_log_id);
        let inflight = match &mut self.inflight {
            Some(f) if joins => f,
            slot => {
                let ctx = self.bulk.clone();
                let (vote, prev) = (rpc.vote, rpc.prev_log_id);
                let task = tokio::spawn(async move {
                    ctx.call(Rpc::AppendEntries, &rpc, APPEND_DEADLINE).await
                });
                slot.insert(InflightAppend {
                    vote,
                    prev,
                    last,
                    task,
                })
            }
        };
        // Cancel-safe: when openraft's timeout drops this future the task keeps running and
        // stays in `self.inflight` for the retry.
        let joined = (&mut inflight.task).await;
        let sent_last = inflight.last;
        self.inflight = None;
        match joined {
            Ok(Ok(resp)) => Ok(answer_for(resp, sent_last, last)),
            Ok(Err(e)) => Err(e),
            Err(join) => Err(RPCError::Unreachable(Unreachable::new(&PeerError::Codec {
                target: self.ctx.target,
                reason: format!("append task ended: {join}"),
            }))),
        }
    }

    async fn install_snapshot(
        &mut self,
        rpc: InstallSnapshotRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<
        InstallSnapshotResponse<u64>,
        RPCError<u64, Member, RaftError<u64, InstallSnapshotError>>,
    > {
        #[cfg(feature = "failpoints")]
        if fail::eval("raftBeforeLeaderSendSnap", |_| ()).is_some() {
            return Err(RPCError::Unreachable(Unreachable::new(&PeerError::Codec {
                target: self.ctx.target,
                reason: "failpoint raftBeforeLeaderSendSnap".into(),
            })));
        }
        self.bulk
            .call(Rpc::InstallSnapshot, &rpc, option.hard_ttl())
            .await
    }

    async fn vote(
        &mut self,
        rpc: VoteRequest<u64>,
        option: RPCOption,
    ) -> Result<VoteResponse<u64>, RPCError<u64, Member, RaftError<u64>>> {
        self.ctx.call(Rpc::Vote, &rpc, option.hard_ttl()).await
    }
}

#[cfg(test)]
mod split_tests {
    use super::*;
    use crate::pb::etcdserverpb::PutRequest;
    use crate::pb::peer::{InternalRaftBatch, InternalRaftRequest};

    fn entry(value_len: usize) -> openraft::Entry<TypeConfig> {
        openraft::Entry {
            log_id: openraft::LogId::new(openraft::CommittedLeaderId::new(1, 1), 1),
            payload: openraft::EntryPayload::Normal(InternalRaftBatch {
                requests: vec![InternalRaftRequest {
                    put: Some(PutRequest {
                        key: b"k".to_vec(),
                        value: vec![0; value_len],
                        ..Default::default()
                    }),
                    ..Default::default()
                }],
            }),
        }
    }

    fn log_id(index: u64) -> Option<openraft::LogId<u64>> {
        Some(openraft::LogId::new(
            openraft::CommittedLeaderId::new(2, 1),
            index,
        ))
    }

    #[test]
    fn timeouts_keep_a_peer_active_but_connection_failures_do_not() {
        let a = PeerActivity::default();
        assert!(a.active_since(1).is_none());
        a.record_success(1);
        let since = a.active_since(1).expect("active after an answer");
        a.record_failure(1, tonic::Code::Cancelled);
        a.record_failure(1, tonic::Code::DeadlineExceeded);
        assert_eq!(
            a.active_since(1),
            Some(since),
            "a timeout is no broken connection"
        );
        a.record_success(1);
        assert_eq!(
            a.active_since(1),
            Some(since),
            "still the same active period"
        );
        a.record_failure(1, tonic::Code::Unavailable);
        assert!(a.active_since(1).is_none(), "a connection failure ends it");
    }

    #[test]
    fn a_joined_send_answers_for_the_part_it_covered() {
        use AppendEntriesResponse as R;
        // The retry asks for more than the send in flight carried: partial success.
        assert_eq!(
            answer_for(R::Success, log_id(5), log_id(9)),
            R::PartialSuccess(log_id(5))
        );
        // The same range, or a shorter one (a size hint came in between): success.
        assert_eq!(answer_for(R::Success, log_id(9), log_id(9)), R::Success);
        assert_eq!(answer_for(R::Success, log_id(9), log_id(4)), R::Success);
        assert_eq!(
            answer_for(R::PartialSuccess(log_id(3)), log_id(9), log_id(9)),
            R::PartialSuccess(log_id(3))
        );
        // Refusals are about the shared prev_log_id or the vote, so they carry over.
        assert_eq!(answer_for(R::Conflict, log_id(9), log_id(12)), R::Conflict);
    }

    #[test]
    fn large_runs_are_split_but_one_entry_always_goes() {
        assert_eq!(entries_that_fit(&[entry(10), entry(10)]), None);
        assert_eq!(entries_that_fit(&[entry(1 << 20)]), None);
        assert_eq!(entries_that_fit(&[entry(1 << 20), entry(1 << 20)]), Some(1));
        assert_eq!(
            entries_that_fit(&[entry(200_000), entry(200_000), entry(200_000)]),
            Some(2)
        );
    }
}
