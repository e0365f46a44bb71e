//! The member's background loops, started once by [`EtcdServer::start`]: the watch hub's
//! sync and progress loops, the periodic backend sync, the fatal-fault monitor of the Raft
//! core and the metrics loop. Each holds a weak reference (or only the handles it needs) and
//! ends when the server is dropped or Raft stops. (The lessor, corruption-check and token
//! loops live with their subjects: `lease.rs`, `maintenance.rs` / `corrupt.rs`, `auth.rs`.)

use std::sync::Arc;
use std::time::Duration;

use super::{fatal, EtcdServer};
use crate::pb::etcdserverpb::ResponseHeader;

impl EtcdServer {
    /// Gives the watch hub etcd's response headers and starts its catch-up and progress
    /// loops.
    pub(super) fn start_watch_hub(self: &Arc<Self>) {
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

    /// Syncs the backend every `--backend-batch-interval` (default
    /// [`crate::config::DEFAULT_BACKEND_BATCH_INTERVAL`], 100 ms as etcd's): its commits do
    /// not fsync their meta page; the Raft log is the durable record.
    pub(super) fn spawn_backend_sync_loop(self: &Arc<Self>) {
        let weak = Arc::downgrade(self);
        let every = self.cfg.backend_batch_interval();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
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
    pub(super) fn spawn_fatal_monitor(self: &Arc<Self>) {
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

    pub(super) fn spawn_metrics_loop(self: &Arc<Self>) {
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
                    metrics.set_gauge(
                        "etcd_debugging_mvcc_db_total_size_in_bytes",
                        server.store.db_size() as f64,
                    );
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
