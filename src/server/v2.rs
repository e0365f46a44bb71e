//! The v2 keys API's server side (`--enable-v2`, etcd's `v2_server.go`): reads from the v2
//! store (after the read-index barrier with `quorum=true`), mutations proposed through Raft
//! as a [`V2Request`] (the one write path), watches on this member's v2 watcher hub, and the
//! leader's SYNC loop that expires TTL nodes (etcd proposes `SYNC` every 500 ms while the
//! store has TTL keys; here only once one is due).

use std::sync::Arc;
use std::time::Duration;

use super::{Caller, Error, EtcdServer};
use crate::apply::ApplyResponse;
use crate::pb::peer::{InternalRaftRequest, V2Request};

pub use crate::v2store::watcher_hub::WatchHandle;
pub use crate::v2store::{clean_path, code, Event, V2Error};

/// How often the leader looks for due TTL nodes (etcd's `SyncTicker`, 500 ms).
const SYNC_TICK: Duration = Duration::from_millis(500);

/// A v2 answer: the event, or etcd's v2 error.
pub type V2Answer<T> = Result<T, V2Error>;

fn now_ns() -> i64 {
    crate::clock::wall()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0)
}

impl EtcdServer {
    /// Whether `--enable-v2` is on.
    pub fn v2_enabled(&self) -> bool {
        self.cfg.knobs.enable_v2
    }

    /// The Raft index and term for `X-Raft-Index` / `X-Raft-Term` (etcd: committed index).
    pub fn raft_index_term(&self) -> (u64, u64) {
        let m = self.raft.metrics().borrow().clone();
        (m.last_applied.map(|l| l.index).unwrap_or(0), m.current_term)
    }

    /// The current v2 store index.
    ///
    /// # Errors
    /// Storage errors.
    pub fn v2_index(&self) -> Result<u64, Error> {
        self.read(|b, t| b.v2.index(t).map_err(|e| Error::Internal(e.to_string())))
    }

    /// GET (etcd's `Get`, or `QGet` with `quorum`: linearizable here through the read
    /// index instead of a log entry).
    ///
    /// # Errors
    /// Read-index and storage failures; etcd's v2 errors in the answer.
    pub async fn v2_get(
        &self,
        path: &str,
        recursive: bool,
        sorted: bool,
        quorum: bool,
    ) -> Result<V2Answer<Event>, Error> {
        if quorum {
            self.linearizable_barrier().await?;
        }
        self.read(|b, t| {
            b.v2.get(t, path, recursive, sorted)
                .map_err(|e| Error::Internal(e.to_string()))
        })
    }

    /// Proposes a v2 mutation through Raft and returns its event or etcd's v2 error.
    ///
    /// # Errors
    /// As [`EtcdServer::propose`].
    pub async fn v2_propose(&self, req: V2Request) -> Result<V2Answer<Event>, Error> {
        let r = self
            .propose_as(
                InternalRaftRequest {
                    v2: Some(req),
                    ..Default::default()
                },
                &Caller::Internal,
            )
            .await?;
        match r.response {
            Some(ApplyResponse::V2(a)) => Ok(match a.result {
                Ok(Some(e)) => Ok(e),
                Ok(None) => Err(V2Error::new(code::RAFT_INTERNAL, "no event", 0)),
                Err(e) => Err(e),
            }),
            other => Err(Error::Internal(format!(
                "unexpected apply response {other:?}"
            ))),
        }
    }

    /// How many v2 watchers wait on this member.
    pub fn v2_watchers(&self) -> usize {
        self.store.v2_hub.count()
    }

    /// Starts a `wait=true` watch (etcd's `store.Watch`) on this member's hub.
    ///
    /// # Errors
    /// Storage errors; `401` (history cleared) in the answer.
    pub fn v2_watch(
        &self,
        path: &str,
        recursive: bool,
        stream: bool,
        since: u64,
    ) -> Result<V2Answer<WatchHandle>, Error> {
        let index = self.v2_index()?;
        Ok(self
            .store
            .v2_hub
            .watch(path, recursive, stream, since, index))
    }

    /// With `--enable-v2`, the leader proposes a SYNC at its clock whenever a TTL node is
    /// due, so every member removes the same nodes at the same index.
    pub(super) fn spawn_v2_sync_loop(self: &Arc<Self>) {
        if !self.v2_enabled() {
            return;
        }
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(SYNC_TICK);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let Some(server) = weak.upgrade() else { return };
                if server.leader() != Some(server.member_id) {
                    continue;
                }
                let due = server.read(|b, t| {
                    b.v2.next_expiry(t)
                        .map_err(|e| Error::Internal(e.to_string()))
                });
                let now = now_ns();
                match due {
                    Ok(Some(t)) if t <= now => {
                        let req = V2Request {
                            method: "SYNC".into(),
                            time: now,
                            ..Default::default()
                        };
                        if let Err(e) = server.v2_propose(req).await {
                            tracing::warn!(error = %e, "failed to propose v2 SYNC");
                        }
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "failed to read the v2 TTL queue"),
                }
            }
        });
    }
}
