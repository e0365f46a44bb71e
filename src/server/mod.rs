//! The etcd server core (`EtcdServer`): bootstrap, the write path, the read path, cluster
//! and maintenance views. `serve.rs` ([`run`]) is the one place that assembles and serves a
//! member: listeners' TLS, the peer transport (passed as a value), the peer and client
//! ports, readiness and the stop causes.
//!
//! # Files
//! - `mod.rs`: [`EtcdServer`], its start (`bootstrap.rs` opens the data dir and Raft) and
//!   accessors (IDs, header, revision, leader).
//! - `etcd_data_dir.rs`: start in place on a data dir etcd 3.4/3.5 wrote (converted before
//!   bootstrap opens it; also behind `etcd util import`).
//! - `propose.rs`: the write path (stamp, size check, leader or forward, apply result →
//!   typed reply with etcd's header); `batcher.rs`: group commit in front of `client_write`;
//!   `peer.rs`: forwarding to the leader and the leader's side of it.
//! - `read.rs`: local reads on one LMDB read transaction and the read-index barrier.
//! - `kv.rs`: Range, Put, DeleteRange, Txn, Compaction.
//! - `lease.rs`, `auth.rs`, `cluster.rs` (membership changes, the member list, publish),
//!   `maintenance.rs` (alarms, quota, status, health, hash, snapshot, defrag), `corrupt.rs`,
//!   `fatal.rs`, `error.rs`; `concurrency.rs` (the shared parts of the lock and election
//!   recipes) with `concurrency/lock.rs` and `concurrency/election.rs`.
//! - `v2.rs`: the v2 keys API (`--enable-v2`): reads, mutations as a `V2Request` through
//!   `propose_as` (applied by `v2store::store::V2Store::apply`), watches on the v2 hub, and the
//!   leader's SYNC loop that expires TTL nodes.
//! - `background.rs`: the watch hub, backend sync, fatal monitor and metrics loops (the
//!   lessor, corruption and token loops live in `lease.rs`, `maintenance.rs` /
//!   `corrupt.rs` and `auth.rs`).
//!
//! # Data paths
//! **Put**, from the gRPC handler to the LMDB commit (other client writes follow the same
//! chain from their own handler):
//! `v3rpc/kv.rs::KvService::put` (validate)
//! → `server/kv.rs::EtcdServer::put` (`maintenance.rs::check_quota`)
//! → `server/propose.rs::EtcdServer::propose_reply` → `propose_as` (request ID, caller's
//!   user and auth revision, proposer time, `--max-request-bytes`)
//! → leader: `propose_local_until` → `server/batcher.rs::Batcher::propose` → `run`
//!   (`raft.client_write`, many proposals per entry);
//!   follower: `server/peer.rs::EtcdServer::forward_proposal` → the leader's
//!   `LeaderService::forward` → `propose_local`
//! → `raft/log_store.rs::LogStore::append` (records written to the segment file;
//!   `sync_loop`: one fdatasync for every append waiting, then openraft's callback),
//!   replication, commit
//! → `raft/state_machine.rs::StateMachine::apply` → `apply_batch` (ONE LMDB write
//!   transaction per batch) → `apply/state.rs::StateDb::apply_direct` (straight in the
//!   batch transaction; the batch is re-applied through `apply_isolated`, a nested txn per
//!   request, only when a request must be rolled back alone)
//! → `apply/mod.rs::apply_request` → `apply_checked_request` (alarms, auth, dispatch)
//! → `apply/kv.rs::put` → `put_in` → `mvcc/kv_store.rs::TxnWrite::put`
//! → back in `apply_batch`: the last applied log id is recorded and `wtxn.commit()` (the
//!   LMDB commit) → `StateMachine::apply` publishes the batch, then hands each result to the
//!   proposer waiting on this member (`apply/state.rs::StateStore::trigger` → the batcher's
//!   registry, etcd's `wait.Trigger`) without waiting for openraft's core.
//!
//! **Watch**, from apply to the client stream:
//! `apply/kv.rs::put` returns the view's events (`TxnWrite::end`)
//! → `raft/state_machine.rs::apply_batch` gathers them for the batch
//! → `StateMachine::apply` → `apply/state.rs::StateStore::publish` (after the commit)
//! → `mvcc/watchable_store.rs::WatchableStore::notify` (synced watchers: `try_send` on each
//!   stream's bounded channel; a full channel makes the watcher a victim, caught up later by
//!   `spawn_sync_loop` → `sync_watchers` → `sync_pass` →
//!   `mvcc/kv_store.rs::KvStore::events_between`)
//! → `v3rpc/watch.rs::WatchService::watch` (the stream's `ReceiverStream`, split by
//!   `fragment` when asked) → the client. A watcher is registered by `v3rpc/watch.rs::create`
//!   → `WatchableStore::watch`; response headers come from the function
//!   `background.rs::start_watch_hub` installs.
//!
//! **Linearizable read**: read-index (`read.rs::linearizable_barrier`: the leader confirms
//! its leadership; a follower asks the leader, `peer.rs::remote_read_index`, and waits until
//! applied ≥ that index) → LMDB read transaction. No log entry. **Serializable read**: the
//! local LMDB read transaction directly. Every local read goes through `read.rs`'s
//! `EtcdServer::read` (backend → read txn → op; `read_kv` for MVCC).
//!
//! **Errors**: storage failures keep their typed cause ([`Error::Lmdb`], [`Error::Mvcc`],
//! ...) as `source()`; `v3rpc::error` sends them as `Internal` with `storage: <cause>`.
//!
//! **Disk faults** (`fatal.rs`): a storage error on the Raft log or in apply stops the
//! Raft core; `background.rs::spawn_fatal_monitor` raises the member's `FatalSignal`,
//! `/health` turns false and `server::run` returns an error, so the binary exits 1 (etcd
//! exits on a disk fault). A damaged record (CRC-32C mismatch, `mvcc/record.rs`) is never
//! served: it answers `etcdserver: corrupt cluster` and raises the CORRUPT alarm through the
//! log (`maintenance.rs`); `corrupt.rs` compares HashKV with peers (etcd's corruption checks).
//!
//! **Locks and elections** (`concurrency.rs`, `concurrency/`): etcd's clientv3 concurrency
//! recipes run here on top of `txn` / `range` / `delete_range` / leases and the watch hub.
//!
//! Depends on: raft, apply, mvcc, membership, storage, config, pb (and, in `serve.rs`, the
//! assembly: v3rpc and tls).

mod auth;
mod background;
mod batcher;
mod bootstrap;
mod cluster;
mod compactor;
pub mod concurrency;
mod corrupt;
mod error;
pub(crate) mod etcd_data_dir;
mod etcd_snapshot;
pub mod fatal;
mod kv;
mod lease;
mod maintenance;
mod peer;
mod propose;
mod read;
mod read_index;
mod serve;
pub mod v2;
pub mod v2auth;

use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

/// The watch hub and its watcher types, as the Watch service sees them.
pub use crate::mvcc::watchable_store::{WatchableStore, WatcherKey, WatcherSpec};
pub use auth::Caller;
pub use concurrency::ConcurrencyError;
#[cfg(test)]
pub(crate) use error::samples as error_samples;
pub use error::Error;
pub use peer::LeaderService;
pub(crate) use propose::{response, Reply};
pub use serve::{run, Listeners, ServeError};

use crate::apply::state::{StateDb, StateStore};
use crate::config::ServerConfig;
use crate::pb::etcdserverpb::ResponseHeader;
use crate::raft::Raft;

/// The etcd API version this server implements and reports (`/version`, Status).
pub const SERVER_VERSION: &str = crate::observability::ETCD_SERVER_VERSION;
/// The cluster version reported by `/version`.
pub const CLUSTER_VERSION: &str = "3.4.0";

/// One running etcd member.
pub struct EtcdServer {
    cfg: ServerConfig,
    raft: Raft,
    store: Arc<StateStore>,
    member_id: u64,
    cluster_id: u64,
    /// `(term, last log index)` when this member restarted as the leader of its saved vote:
    /// while it leads in that term, linearizable reads wait for that index too.
    restored_leadership: Option<(u64, u64)>,
    next_request_id: AtomicU64,
    lessor: crate::lease::lessor::Lessor,
    leader_clients: peer::LeaderClients,
    batcher: batcher::Batcher,
    /// The JWT token provider when `--auth-token jwt,...` (simple tokens otherwise).
    jwt: Option<crate::auth::token::JwtProvider>,
    /// Raised on a disk fault; the binary exits on it (see [`fatal`]).
    fatal: fatal::FatalSignal,
    /// Since when each peer answers Raft RPCs (the strict reconfiguration check).
    peer_activity: crate::raft::network::PeerActivity,
    /// Read-index rounds shared by concurrent linearizable reads.
    read_rounds: read_index::ReadRounds,
}

impl EtcdServer {
    /// Opens the data dir, bootstraps or restarts the Raft group, and returns once the
    /// member can serve. See `bootstrap.rs`.
    ///
    /// # Errors
    /// [`Error::Bootstrap`] for configuration conflicts, storage errors otherwise.
    pub async fn start(
        cfg: ServerConfig,
        peers: crate::raft::network::PeerTransport,
    ) -> Result<Arc<EtcdServer>, Error> {
        let jwt = match crate::auth::token::parse_auth_token_opt(&cfg.auth_token) {
            Ok(crate::auth::token::TokenProviderKind::Jwt(opts)) => {
                Some(crate::auth::token::JwtProvider::new(&opts).map_err(Error::Bootstrap)?)
            }
            Ok(crate::auth::token::TokenProviderKind::Simple) => None,
            Err(e) => return Err(Error::Bootstrap(e)),
        };
        let boot = bootstrap::bootstrap(&cfg, &peers).await?;
        let seed = (boot.member_id & 0xffff) << 48
            | ((std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis() as u64)
                .unwrap_or(0)
                & 0xff_ffff_ffff)
                << 8);
        let batch_limit = cfg.backend_batch_limit();
        let batcher = batcher::Batcher::start(boot.raft.clone(), &boot.store, batch_limit);
        let server = Arc::new_cyclic(|me| EtcdServer {
            cfg,
            raft: boot.raft.clone(),
            store: boot.store,
            member_id: boot.member_id,
            cluster_id: boot.cluster_id,
            restored_leadership: boot.restored_leadership,
            next_request_id: AtomicU64::new(seed),
            lessor: crate::lease::lessor::Lessor::new(),
            leader_clients: peer::LeaderClients::new(peers.dialer.clone()),
            batcher,
            jwt,
            fatal: fatal::FatalSignal::default(),
            peer_activity: peers.activity.clone(),
            read_rounds: read_index::ReadRounds::new(me.clone()),
        });
        server.spawn_fatal_monitor();
        server.spawn_corrupt_alarm_loop();
        server.spawn_periodic_corrupt_check();
        server.spawn_auto_compactor();
        server.spawn_metrics_loop();
        server.spawn_lessor_loop();
        server.spawn_token_sweeper();
        server.start_watch_hub();
        server.spawn_backend_sync_loop();
        server.spawn_v2_sync_loop();
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

    /// The watch hub: every applied batch's events, for the Watch service's streams.
    pub fn watch_hub(&self) -> &Arc<WatchableStore> {
        &self.store.watch
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

    /// The Raft handle (for the peer service).
    pub fn raft(&self) -> &Raft {
        &self.raft
    }

    /// Stops Raft and syncs the backend.
    pub async fn shutdown(&self) {
        let _ = self.raft.shutdown().await;
        let store = self.store.clone();
        let _ = tokio::task::spawn_blocking(move || store.sync()).await;
    }
}
