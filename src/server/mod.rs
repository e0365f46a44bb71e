//! The etcd server core (`EtcdServer`): bootstrap, the write path, the read path, cluster
//! and maintenance views.
//!
//! # Data paths
//! - **Write**: `v3rpc` validates → `EtcdServer::propose_reply` (propose → typed response
//!   → header, for every client write) → [`EtcdServer::propose`] stamps the internal request
//!   (request ID, proposer time) and checks its size → `raft.client_write` (the leader
//!   appends; followers will forward to the leader over the peer port) → commit → the state
//!   machine applies the batch in ONE LMDB write transaction that also records the last
//!   applied log id → events are published → the apply result comes back here.
//! - **Linearizable read**: read-index (`ensure_linearizable`: the leader confirms its
//!   leadership and waits until applied ≥ commit index) → LMDB read transaction. No log
//!   entry. **Serializable read**: the local LMDB read transaction directly. Every local
//!   read goes through `EtcdServer::read` (backend → read txn → op; `read_kv` for MVCC).
//! - **Errors**: storage failures keep their typed cause ([`Error::Lmdb`], [`Error::Mvcc`],
//!   ...) as `source()`; `v3rpc::error` sends them as `Internal` with `storage: <cause>`.
//!
//! - **Disk faults** (`fatal.rs`): a storage error on the Raft log or in apply stops the
//!   Raft core; `spawn_fatal_monitor` raises the member's `FatalSignal`, `/health` turns
//!   false and `cli::server::run` returns an error, so the binary exits 1 (etcd exits on a
//!   disk fault). A damaged record (CRC-32C mismatch, `mvcc/record.rs`) is never served: it
//!   answers `etcdserver: corrupt cluster` and raises the CORRUPT alarm through the log
//!   (`maintenance.rs`); `corrupt.rs` compares HashKV with peers (etcd's corruption checks).
//!
//! - **Locks and elections** (`concurrency.rs`): etcd's clientv3 concurrency recipes run
//!   here on top of `txn` / `range` / `delete_range` / leases and the watch hub.
//!
//! Depends on: raft, apply, mvcc, membership, storage, config, pb.

mod auth;
mod batcher;
mod bootstrap;
mod cluster;
pub mod concurrency;
mod corrupt;
mod error;
mod etcd_snapshot;
pub mod fatal;
mod lease;
mod maintenance;
mod peer;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use auth::Caller;
pub use concurrency::ConcurrencyError;
#[cfg(test)]
pub(crate) use error::samples as error_samples;
pub use error::Error;
use openraft::error::RaftError;
pub use peer::LeaderService;

use crate::apply::{ApplyResponse, ApplyResult};
use crate::config::ServerConfig;
use crate::membership::Member;
use crate::pb::etcdserverpb::{
    CompactionRequest, CompactionResponse, DeleteRangeRequest, DeleteRangeResponse,
    LeaseGrantResponse, LeaseRevokeResponse, PutRequest, PutResponse, RangeRequest, RangeResponse,
    ResponseHeader, StatusResponse, TxnRequest, TxnResponse,
};
use crate::pb::peer::{InternalRaftRequest, RequestHeader};
use crate::raft::state_machine::Backend as StateDb;
use crate::raft::state_machine::StateStore;
use crate::raft::Raft;

/// The etcd API version this server implements and reports (`/version`, Status).
pub const SERVER_VERSION: &str = "3.4.23";
/// The cluster version reported by `/version`.
pub const CLUSTER_VERSION: &str = "3.4.0";

/// One running etcd member.
pub struct EtcdServer {
    cfg: ServerConfig,
    raft: Raft,
    store: Arc<StateStore>,
    member_id: u64,
    cluster_id: u64,
    next_request_id: AtomicU64,
    lessor: crate::lease::lessor::Lessor,
    leader_clients: peer::LeaderClients,
    batcher: batcher::Batcher,
    /// The JWT token provider when `--auth-token jwt,...` (simple tokens otherwise).
    jwt: Option<crate::auth::token::JwtProvider>,
    /// Raised on a disk fault; the binary exits on it (see [`fatal`]).
    fatal: fatal::FatalSignal,
}

impl EtcdServer {
    /// Opens the data dir, bootstraps or restarts the Raft group, and returns once the
    /// member can serve. See `bootstrap.rs`.
    ///
    /// # Errors
    /// [`Error::Bootstrap`] for configuration conflicts, storage errors otherwise.
    pub async fn start(cfg: ServerConfig) -> Result<Arc<EtcdServer>, Error> {
        let jwt = match crate::auth::token::parse_auth_token_opt(&cfg.auth_token) {
            Ok(crate::auth::token::TokenProviderKind::Jwt(opts)) => {
                Some(crate::auth::token::JwtProvider::new(&opts).map_err(Error::Bootstrap)?)
            }
            Ok(crate::auth::token::TokenProviderKind::Simple) => None,
            Err(e) => return Err(Error::Bootstrap(e)),
        };
        let boot = bootstrap::bootstrap(&cfg).await?;
        let seed = (boot.member_id & 0xffff) << 48
            | ((std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis() as u64)
                .unwrap_or(0)
                & 0xff_ffff_ffff)
                << 8);
        let server = Arc::new(EtcdServer {
            cfg,
            raft: boot.raft.clone(),
            store: boot.store,
            member_id: boot.member_id,
            cluster_id: boot.cluster_id,
            next_request_id: AtomicU64::new(seed),
            lessor: crate::lease::lessor::Lessor::new(),
            leader_clients: peer::LeaderClients::default(),
            batcher: batcher::Batcher::start(boot.raft.clone()),
            jwt,
            fatal: fatal::FatalSignal::default(),
        });
        server.spawn_fatal_monitor();
        server.spawn_corrupt_alarm_loop();
        server.spawn_periodic_corrupt_check();
        server.spawn_metrics_loop();
        server.spawn_lessor_loop();
        server.spawn_token_sweeper();
        server.start_watch_hub();
        server.spawn_backend_sync_loop();
        Ok(server)
    }

    /// This member's ID.
    pub fn member_id(&self) -> u64 {
        self.member_id
    }

    /// The cluster ID.
    pub fn cluster_id(&self) -> u64 {
        self.cluster_id
    }

    /// The member's fatal-fault signal: the binary selects on it and exits non-zero when
    /// it is raised (etcd exits on a disk fault so a supervisor restarts it).
    pub fn fatal(&self) -> &fatal::FatalSignal {
        &self.fatal
    }

    /// The configuration the member runs with.
    pub fn config(&self) -> &ServerConfig {
        &self.cfg
    }

    /// The shared state store (read views, revision and applied-batch subscriptions).
    pub fn store(&self) -> &Arc<StateStore> {
        &self.store
    }

    /// Waits until this member sees a leader, at most `within`.
    ///
    /// # Errors
    /// [`Error::NoLeader`] if none appeared in time.
    pub async fn wait_for_leader(&self, within: Duration) -> Result<(), Error> {
        let mut rx = self.raft.metrics();
        let wait = async {
            loop {
                if rx.borrow().current_leader.is_some() {
                    return Ok(());
                }
                if rx.changed().await.is_err() {
                    return Err(Error::Stopped);
                }
            }
        };
        tokio::time::timeout(within, wait)
            .await
            .map_err(|_| Error::NoLeader)?
    }

    /// The current Raft term.
    pub fn raft_term(&self) -> u64 {
        self.raft.metrics().borrow().current_term
    }

    /// The current leader's member ID, if known.
    pub fn leader(&self) -> Option<u64> {
        self.raft.metrics().borrow().current_leader
    }

    /// A response header: cluster ID, member ID, the given store revision, Raft term.
    pub fn header(&self, revision: i64) -> ResponseHeader {
        ResponseHeader {
            cluster_id: self.cluster_id,
            member_id: self.member_id,
            revision,
            raft_term: self.raft_term(),
        }
    }

    /// The latest applied store revision.
    pub fn current_revision(&self) -> i64 {
        *self.store.subscribe_revision().borrow()
    }

    /// A local read (backend → read txn → `op`): `op` runs on one LMDB read transaction of
    /// the current backend, so everything it reads is one consistent view. The backend
    /// guard, which a defragment waits for, is released when this returns. `op`'s error
    /// converts into [`Error`] (storage failures keep their cause as `source()`); an `op`
    /// that reads MVCC data maps with [`EtcdServer::read_error`] and returns [`Error`].
    ///
    /// # Errors
    /// [`Error::Lmdb`] when the backend is closed (a failed defragment) or no read
    /// transaction opens; `op`'s errors ([`Error::Damaged`] for a damaged lease, auth,
    /// members or alarm record, also reported to the CORRUPT alarm loop).
    pub(crate) fn read<T, E>(
        &self,
        op: impl FnOnce(&StateDb, &heed::RoTxn<'_>) -> Result<T, E>,
    ) -> Result<T, Error>
    where
        Error: From<E>,
    {
        let b = self.store.backend()?;
        let rtxn = b.env.read_txn()?;
        op(&b, &rtxn).map_err(|e| {
            let e = Error::from(e);
            if let Error::Damaged(c) = &e {
                tracing::error!(error = %c, "damaged record found on read; refusing to serve it");
                self.store.note_corrupt();
            }
            e
        })
    }

    /// [`EtcdServer::read`] of MVCC data: `op`'s error is mapped by
    /// [`EtcdServer::read_error`] (compacted / future revisions as request errors, a
    /// damaged record as `corrupt cluster` and reported to the CORRUPT alarm loop).
    ///
    /// # Errors
    /// As [`EtcdServer::read`]; [`Error::Compacted`], [`Error::FutureRev`],
    /// [`Error::Wire`] with `Corrupt`, [`Error::Mvcc`].
    pub(crate) fn read_kv<T>(
        &self,
        op: impl FnOnce(&StateDb, &heed::RoTxn<'_>) -> Result<T, crate::mvcc::MvccError>,
    ) -> Result<T, Error> {
        self.read(|b, t| op(b, t).map_err(|e| self.read_error(e)))
    }

    fn next_id(&self) -> u64 {
        self.next_request_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Proposes a mutation through Raft and waits for its apply result (the one write
    /// path). Stamps the request ID and the proposer's clock. On a follower the stamped
    /// request is forwarded to the leader; while there is no leader it waits, at most
    /// etcd's request timeout.
    ///
    /// # Errors
    /// [`Error::RequestTooLarge`] over `--max-request-bytes`; [`Error::Timeout`] (after
    /// etcd's request timeout, also when no leader appeared), [`Error::Stopped`];
    /// deterministic apply failures as [`Error::Apply`].
    pub async fn propose(&self, req: InternalRaftRequest) -> Result<ApplyResult, Error> {
        self.propose_as(req, &Caller::Internal).await
    }

    /// [`EtcdServer::propose`] on behalf of `caller`: the request header carries the
    /// caller's user name and the auth revision its token was resolved at, and apply
    /// checks the caller's permissions (a [`Caller::Internal`] request skips them).
    ///
    /// # Errors
    /// As [`EtcdServer::propose`].
    pub async fn propose_as(
        &self,
        mut req: InternalRaftRequest,
        caller: &Caller,
    ) -> Result<ApplyResult, Error> {
        let id = self.next_id();
        req.id = id;
        req.header = Some(match caller {
            Caller::Internal => RequestHeader {
                id,
                internal: true,
                ..Default::default()
            },
            Caller::Client(ai) => {
                let ai = ai.clone().unwrap_or_default();
                RequestHeader {
                    id,
                    username: ai.username,
                    auth_revision: ai.revision,
                    internal: false,
                }
            }
        });
        req.time_unix_nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as i64)
            .unwrap_or(0);
        if prost::Message::encoded_len(&req) > self.cfg.max_request_bytes as usize {
            return Err(Error::RequestTooLarge);
        }
        let deadline = Instant::now() + self.cfg.request_timeout();
        let result = loop {
            let attempt = match self.leader() {
                Some(l) if l == self.member_id => {
                    self.propose_local_until(req.clone(), deadline).await
                }
                Some(l) => self.forward_proposal(l, &req, deadline).await,
                None => Err(Error::NoLeader),
            };
            match attempt {
                // Not proposed anywhere: safe to try again while time remains.
                Err(Error::NoLeader) | Err(Error::NotLeader) if Instant::now() < deadline => {
                    self.wait_leader_change(deadline).await;
                }
                Err(Error::NoLeader) | Err(Error::NotLeader) => break Err(Error::Timeout),
                other => break other,
            }
        };
        if result.is_err() {
            crate::observability::metrics().proposals_failed.inc();
        }
        let result = result?;
        if let Some(e) = result.error {
            return Err(Error::Apply(e));
        }
        Ok(result)
    }

    /// Propose and reply (propose → typed response → header): proposes `req` on behalf of
    /// `caller`, takes the response of kind `T` from the apply result and gives it etcd's
    /// header at the revision after the entry (see [`Reply::set_header`]).
    ///
    /// # Errors
    /// As [`EtcdServer::propose`]; [`Error::Internal`] when apply answered with another
    /// kind.
    pub(crate) async fn propose_reply<T: Reply>(
        &self,
        req: InternalRaftRequest,
        caller: &Caller,
    ) -> Result<T, Error> {
        let (mut reply, revision) = response::<T>(self.propose_as(req, caller).await?)?;
        reply.set_header(self.header(revision));
        Ok(reply)
    }

    /// Proposes an already stamped request on this member, which must be the leader
    /// (followers' forwarded proposals arrive here).
    ///
    /// # Errors
    /// [`Error::NotLeader`] when this member is not the leader; see [`EtcdServer::propose`].
    pub async fn propose_local(&self, req: InternalRaftRequest) -> Result<ApplyResult, Error> {
        self.propose_local_until(req, Instant::now() + self.cfg.request_timeout())
            .await
    }

    async fn propose_local_until(
        &self,
        req: InternalRaftRequest,
        deadline: Instant,
    ) -> Result<ApplyResult, Error> {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, self.batcher.propose(req)).await {
            Err(_) => Err(Error::Timeout),
            Ok(r) => r,
        }
    }

    /// Waits (at most until `deadline`, and at most one heartbeat when nothing changes)
    /// for the Raft metrics to change, e.g. a leader to appear.
    async fn wait_leader_change(&self, deadline: Instant) {
        let mut rx = self.raft.metrics();
        let before = rx.borrow().current_leader;
        let wait = async {
            while rx.changed().await.is_ok() {
                if rx.borrow().current_leader != before {
                    return;
                }
            }
        };
        let cap = deadline
            .saturating_duration_since(Instant::now())
            .min(self.cfg.heartbeat_interval.max(Duration::from_millis(50)));
        let _ = tokio::time::timeout(cap, wait).await;
    }

    /// Read-index on the leader: confirms leadership with a quorum and returns the index a
    /// linearizable read must wait for.
    ///
    /// # Errors
    /// [`Error::NotLeader`], [`Error::Timeout`], [`Error::Stopped`].
    pub async fn local_read_index(&self) -> Result<u64, Error> {
        match tokio::time::timeout(self.cfg.request_timeout(), self.raft.ensure_linearizable())
            .await
        {
            Err(_) => Err(Error::Timeout),
            Ok(Ok(log_id)) => Ok(log_id.map(|l| l.index).unwrap_or(0)),
            Ok(Err(RaftError::APIError(_))) => Err(Error::NotLeader),
            Ok(Err(RaftError::Fatal(_))) => Err(Error::Stopped),
        }
    }

    /// Waits until a linearizable read may be served locally (read-index): on the leader
    /// directly, on a follower by asking the leader for the index and waiting until this
    /// member has applied it.
    ///
    /// # Errors
    /// [`Error::Timeout`] (also when no leader appeared in time) / [`Error::Stopped`].
    pub async fn linearizable_barrier(&self) -> Result<(), Error> {
        self.linearizable_barrier_within(self.cfg.request_timeout())
            .await
    }

    /// [`EtcdServer::linearizable_barrier`] with a custom time limit.
    ///
    /// # Errors
    /// As [`EtcdServer::linearizable_barrier`].
    pub async fn linearizable_barrier_within(&self, limit: Duration) -> Result<(), Error> {
        let deadline = Instant::now() + limit;
        loop {
            let attempt = match self.leader() {
                Some(l) if l == self.member_id => self.local_read_index().await.map(|_| ()),
                Some(l) => match self.remote_read_index(l, deadline).await {
                    Ok(index) => {
                        let left = deadline.saturating_duration_since(Instant::now());
                        self.raft
                            .wait(Some(left))
                            .applied_index_at_least(Some(index), "read index")
                            .await
                            .map(|_| ())
                            .map_err(|_| Error::Timeout)
                    }
                    Err(e) => Err(e),
                },
                None => Err(Error::NoLeader),
            };
            match attempt {
                Err(Error::NoLeader) | Err(Error::NotLeader) if Instant::now() < deadline => {
                    self.wait_leader_change(deadline).await;
                }
                Err(Error::NoLeader) | Err(Error::NotLeader) => return Err(Error::Timeout),
                other => return other,
            }
        }
    }

    /// Range: linearizable unless `req.serializable`; needs read permission on the range.
    ///
    /// # Errors
    /// Read-index failures, [`Error::Compacted`] / [`Error::FutureRev`], auth failures
    /// as [`Error::Auth`]; see `EtcdServer::read_kv`.
    pub async fn range(&self, req: &RangeRequest, caller: &Caller) -> Result<RangeResponse, Error> {
        if !req.serializable {
            self.linearizable_barrier().await?;
        }
        self.check_range_permitted(caller, &req.key, &req.range_end)?;
        let (mut resp, rev) =
            self.read_kv(|b, t| Ok((b.kv.range(t, req)?, b.kv.current_revision(t)?)))?;
        resp.header = Some(self.header(rev));
        Ok(resp)
    }

    /// Put through Raft.
    ///
    /// # Errors
    /// See [`EtcdServer::propose`].
    pub async fn put(&self, req: PutRequest, caller: &Caller) -> Result<PutResponse, Error> {
        self.check_quota(req.key.len() + req.value.len()).await?;
        self.propose_reply(
            InternalRaftRequest {
                put: Some(req),
                ..Default::default()
            },
            caller,
        )
        .await
    }

    /// DeleteRange through Raft.
    ///
    /// # Errors
    /// See [`EtcdServer::propose`].
    pub async fn delete_range(
        &self,
        req: DeleteRangeRequest,
        caller: &Caller,
    ) -> Result<DeleteRangeResponse, Error> {
        self.propose_reply(
            InternalRaftRequest {
                delete_range: Some(req),
                ..Default::default()
            },
            caller,
        )
        .await
    }

    /// Txn through Raft. A read-only txn still goes through the log, like etcd 3.4 does for
    /// linearizable read-only txns after a read-index; here both paths are the log for now.
    ///
    /// # Errors
    /// See [`EtcdServer::propose`].
    pub async fn txn(&self, req: TxnRequest, caller: &Caller) -> Result<TxnResponse, Error> {
        if !crate::apply::kv::is_txn_read_only(&req) {
            self.check_quota(prost::Message::encoded_len(&req)).await?;
        }
        self.propose_reply(
            InternalRaftRequest {
                txn: Some(req),
                ..Default::default()
            },
            caller,
        )
        .await
    }

    /// Compaction through Raft.
    ///
    /// # Errors
    /// See [`EtcdServer::propose`]; [`Error::Apply`] with Compacted / FutureRev.
    pub async fn compact(&self, req: CompactionRequest) -> Result<CompactionResponse, Error> {
        self.propose_reply(
            InternalRaftRequest {
                compaction: Some(req),
                ..Default::default()
            },
            &Caller::Internal,
        )
        .await
    }

    /// The members: IDs, peer URLs and roles from the Raft membership, names and client
    /// URLs from the attributes each member published: (ID, member, is_learner), by ID.
    pub fn members(&self) -> Vec<(u64, Member, bool)> {
        let metrics = self.raft.metrics().borrow().clone();
        let membership = metrics.membership_config.membership();
        let voters: std::collections::BTreeSet<u64> = membership.voter_ids().collect();
        // Attributes that cannot be read leave a member unnamed, as before it published; a
        // damaged record is never shown and is reported to the CORRUPT alarm loop.
        let mut published: BTreeMap<u64, _> = self
            .read(|b, t| {
                Ok::<_, Error>(
                    membership
                        .nodes()
                        .filter_map(|(id, _)| match b.members.get(t, *id) {
                            Ok(attrs) => Some((*id, attrs?)),
                            Err(crate::membership::store::MemberStoreError::Checksum(c)) => {
                                tracing::error!(error = %c, "damaged members record; not shown");
                                self.store.note_corrupt();
                                None
                            }
                            Err(_) => None,
                        })
                        .collect(),
                )
            })
            .unwrap_or_default();
        let mut out: BTreeMap<u64, (Member, bool)> = BTreeMap::new();
        for (id, node) in membership.nodes() {
            let mut m = node.clone();
            let mut pending_voter = false;
            if let Some(attrs) = published.remove(id) {
                m.name = attrs.name;
                m.client_urls = attrs.client_urls;
                pending_voter = attrs.pending_voter;
            }
            out.insert(*id, (m, !voters.contains(id) && !pending_voter));
        }
        out.into_iter().map(|(id, (m, l))| (id, m, l)).collect()
    }

    /// Publishes this member's name and client URLs through the log unless the replicated
    /// attributes already say so (etcd's `publish`).
    ///
    /// # Errors
    /// Proposal errors.
    pub async fn publish_attributes(&self) -> Result<(), Error> {
        let name = self.cfg.name.clone();
        let client_urls: Vec<String> = self
            .cfg
            .advertise_client_urls
            .iter()
            .map(crate::config::url_string)
            .collect();
        let current = self.read(|b, t| b.members.get(t, self.member_id))?;
        if current
            .as_ref()
            .is_some_and(|a| a.name == name && a.client_urls == client_urls)
        {
            return Ok(());
        }
        let req = crate::pb::peer::MemberAttrSetRequest {
            member_id: self.member_id,
            name,
            client_urls,
        };
        self.propose(InternalRaftRequest {
            member_attr_set: Some(req),
            ..Default::default()
        })
        .await?;
        Ok(())
    }

    /// The Raft handle (for the peer service).
    pub fn raft(&self) -> &Raft {
        &self.raft
    }

    /// Maintenance.Status.
    pub fn status(&self) -> StatusResponse {
        let m = self.raft.metrics().borrow().clone();
        let is_learner = self
            .members()
            .iter()
            .any(|(id, _, l)| *id == self.member_id && *l);
        // etcd 3.4 lists active alarms in `errors`, in the AlarmMember text form.
        let alarms = self.read(|b, t| b.alarms.list(t));
        let errors = match alarms {
            Ok(alarms) => alarms
                .into_iter()
                .map(|a| {
                    let name = crate::pb::etcdserverpb::AlarmType::try_from(a.alarm)
                        .map(|t| t.as_str_name().to_string())
                        .unwrap_or_else(|_| a.alarm.to_string());
                    format!("memberID:{} alarm:{} ", a.member_id, name)
                })
                .collect(),
            Err(_) => Vec::new(),
        };
        StatusResponse {
            header: Some(self.header(self.current_revision())),
            version: SERVER_VERSION.to_string(),
            db_size: self.store.db_size() as i64,
            leader: m.current_leader.unwrap_or(0),
            raft_index: m.last_log_index.unwrap_or(0),
            raft_term: m.current_term,
            raft_applied_index: m.last_applied.map(|l| l.index).unwrap_or(0),
            errors,
            db_size_in_use: self.store.db_size_in_use() as i64,
            is_learner,
        }
    }

    /// Whether the member is healthy for `/health`, as etcd 3.4's `checkHealth`: no active
    /// alarm, a known leader, and a quorum read (read-index) that completes within 1 s.
    pub async fn is_healthy(&self) -> bool {
        if self.fatal.get().is_some() {
            return false;
        }
        // A closed backend is unhealthy; an unreadable alarm table counts as no alarm.
        let Ok(alarms) = self.read(|b, t| Ok::<_, Error>(b.alarms.list(t).map_or(0, |a| a.len())))
        else {
            return false;
        };
        if alarms > 0 {
            tracing::warn!(alarms, "/health error due to an active alarm");
            return false;
        }
        if self.leader().is_none() {
            tracing::warn!("/health error; no leader");
            return false;
        }
        match self
            .linearizable_barrier_within(Duration::from_secs(1))
            .await
        {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(error = %e, "/health error; quorum read failed");
                false
            }
        }
    }

    /// Stops Raft and syncs the backend.
    pub async fn shutdown(&self) {
        let _ = self.raft.shutdown().await;
        let store = self.store.clone();
        let _ = tokio::task::spawn_blocking(move || store.sync()).await;
    }

    /// Gives the watch hub etcd's response headers and starts its catch-up and progress
    /// loops.
    fn start_watch_hub(self: &Arc<Self>) {
        let hub = self.store.watch.clone();
        let (cluster_id, member_id) = (self.cluster_id, self.member_id);
        let metrics = self.raft.metrics();
        hub.set_header_fn(Arc::new(move |revision| ResponseHeader {
            cluster_id,
            member_id,
            revision,
            raft_term: metrics.borrow().current_term,
        }));
        hub.spawn_sync_loop();
        let interval = self.cfg.watch_progress_notify_interval;
        if interval.is_zero() {
            return;
        }
        let weak = Arc::downgrade(&hub);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(interval);
            tick.tick().await;
            loop {
                tick.tick().await;
                let Some(hub) = weak.upgrade() else { return };
                hub.progress_tick();
            }
        });
    }

    /// Syncs the backend every [`crate::storage::backend::BACKEND_SYNC_INTERVAL`] (its
    /// commits are not fsynced individually; the Raft log is the durable record).
    fn spawn_backend_sync_loop(self: &Arc<Self>) {
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(crate::storage::backend::BACKEND_SYNC_INTERVAL);
            loop {
                tick.tick().await;
                let Some(server) = weak.upgrade() else { return };
                let store = server.store.clone();
                drop(server);
                if let Ok(Err(e)) = tokio::task::spawn_blocking(move || store.sync()).await {
                    // A failed fsync leaves the state of the file unknown: a disk fault.
                    let Some(server) = weak.upgrade() else { return };
                    server.fatal.raise(fatal::FatalFault {
                        env: fatal::FaultEnv::State,
                        cause: e.to_string(),
                    });
                    return;
                }
            }
        });
    }

    /// Watches the Raft core: when it stops on a storage error (a failed log append or
    /// apply), raises the fatal signal.
    fn spawn_fatal_monitor(self: &Arc<Self>) {
        let signal = self.fatal.clone();
        let mut rx = self.raft.metrics();
        tokio::spawn(async move {
            loop {
                let fault = match &rx.borrow_and_update().running_state {
                    Ok(()) => None,
                    Err(f) => Some(fatal::from_raft_fatal(f)),
                };
                match fault {
                    Some(Some(fault)) => return signal.raise(fault),
                    Some(None) => return,
                    None => {}
                }
                if rx.changed().await.is_err() {
                    return;
                }
            }
        });
    }

    fn spawn_metrics_loop(self: &Arc<Self>) {
        let weak = Arc::downgrade(self);
        let mut rx = self.raft.metrics();
        tokio::spawn(async move {
            let mut last_leader: Option<u64> = None;
            loop {
                let Some(server) = weak.upgrade() else { return };
                {
                    let m = rx.borrow().clone();
                    let metrics = crate::observability::metrics();
                    metrics
                        .has_leader
                        .set(i64::from(m.current_leader.is_some()));
                    metrics
                        .is_leader
                        .set(i64::from(m.current_leader == Some(server.member_id)));
                    if m.current_leader.is_some() && m.current_leader != last_leader {
                        metrics.leader_changes.inc();
                        last_leader = m.current_leader;
                    }
                    metrics
                        .proposals_applied
                        .set(m.last_applied.map(|l| l.index).unwrap_or(0) as f64);
                    metrics
                        .proposals_committed
                        .set(m.last_applied.map(|l| l.index).unwrap_or(0) as f64);
                    metrics.db_total_size.set(server.store.db_size() as i64);
                    let learner = m
                        .membership_config
                        .membership()
                        .get_node(&server.member_id)
                        .is_some()
                        && !m
                            .membership_config
                            .membership()
                            .voter_ids()
                            .any(|v| v == server.member_id);
                    metrics.is_learner.set(i64::from(learner));
                    metrics
                        .db_size_in_use
                        .set(server.store.db_size_in_use() as i64);
                    metrics.current_revision.set(server.current_revision());
                }
                drop(server);
                tokio::select! {
                    r = rx.changed() => if r.is_err() { return },
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
            }
        });
    }
}

/// The response of the kind `T` in an apply result, with the store revision after it.
///
/// # Errors
/// [`Error::Internal`] when apply answered with another kind (an invariant broke).
pub(crate) fn response<T: TryFrom<ApplyResponse, Error = ApplyResponse>>(
    r: ApplyResult,
) -> Result<(T, i64), Error> {
    match r.response.map(T::try_from) {
        Some(Ok(t)) => Ok((t, r.revision)),
        Some(Err(other)) => Err(Error::Internal(format!(
            "unexpected apply response {other:?}"
        ))),
        None => Err(Error::Internal("apply answered without a response".into())),
    }
}

/// A response a proposal answers with, completed by [`EtcdServer::propose_reply`]: the kind
/// apply produced, plus etcd's response header.
pub(crate) trait Reply: TryFrom<ApplyResponse, Error = ApplyResponse> {
    /// Sets the response header (and whatever nested headers etcd fills with it).
    fn set_header(&mut self, header: ResponseHeader);
}

macro_rules! header_replies {
    ($($ty:ty),* $(,)?) => {
        $(
            impl Reply for $ty {
                fn set_header(&mut self, header: ResponseHeader) {
                    self.header = Some(header);
                }
            }
        )*
    };
}

header_replies!(
    PutResponse,
    DeleteRangeResponse,
    CompactionResponse,
    LeaseGrantResponse,
    LeaseRevokeResponse,
);

impl Reply for TxnResponse {
    /// The header, and in nested responses apply left without one, a header holding only
    /// the revision (see `fill_txn_headers`).
    fn set_header(&mut self, header: ResponseHeader) {
        fill_txn_headers(self, header.revision);
        self.header = Some(header);
    }
}

/// etcd leaves nested txn responses with a header holding only the revision the operation
/// saw (`applyTxn`); fill that where apply left it empty.
fn fill_txn_headers(resp: &mut TxnResponse, revision: i64) {
    use crate::pb::etcdserverpb::response_op::Response;
    let only_rev = || {
        Some(ResponseHeader {
            revision,
            ..Default::default()
        })
    };
    for op in &mut resp.responses {
        match &mut op.response {
            Some(Response::ResponseRange(r)) if r.header.is_none() => r.header = only_rev(),
            Some(Response::ResponsePut(r)) if r.header.is_none() => r.header = only_rev(),
            Some(Response::ResponseDeleteRange(r)) if r.header.is_none() => r.header = only_rev(),
            Some(Response::ResponseTxn(t)) => {
                fill_txn_headers(t, revision);
                if t.header.is_none() {
                    t.header = only_rev();
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apply::auth::AuthApplyResponse;
    use crate::pb::etcdserverpb::{
        response_op, AuthEnableResponse, AuthUserGetResponse, RangeResponse, ResponseOp,
    };

    /// `propose_reply` completes a txn as etcd's `applyTxn` does: the top header, and a
    /// revision-only header in nested responses apply left without one.
    #[test]
    fn txn_reply_fills_nested_headers() {
        let mut t = TxnResponse {
            responses: vec![ResponseOp {
                response: Some(response_op::Response::ResponseRange(
                    RangeResponse::default(),
                )),
            }],
            ..Default::default()
        };
        let header = ResponseHeader {
            cluster_id: 1,
            member_id: 2,
            revision: 7,
            raft_term: 3,
        };
        t.set_header(header);
        assert_eq!(t.header, Some(header));
        let Some(response_op::Response::ResponseRange(r)) = &t.responses[0].response else {
            panic!("range response expected");
        };
        assert_eq!(
            r.header.as_ref().map(|h| (h.revision, h.member_id)),
            Some((7, 0))
        );
    }

    /// Auth replies take their own apply kind (`Done` for header-only ones) and refuse
    /// another, which `propose_reply` reports as an internal error.
    #[test]
    fn auth_replies_take_their_own_kind() {
        let done = ApplyResponse::Auth(AuthApplyResponse::Done);
        let ok = response::<AuthEnableResponse>(ApplyResult {
            revision: 4,
            response: Some(done.clone()),
            ..Default::default()
        });
        assert!(matches!(ok, Ok((AuthEnableResponse { header: None }, 4))));
        let wrong = response::<AuthUserGetResponse>(ApplyResult {
            revision: 4,
            response: Some(done),
            ..Default::default()
        });
        assert!(matches!(wrong, Err(Error::Internal(_))));
    }
}
