//! Corruption checks between members (etcd 3.4's `etcdserver/corrupt.go`): compare this
//! member's HashKV with its peers' at the same revision.
//!
//! - `--experimental-initial-corrupt-check`: before serving clients, a mismatch with any
//!   peer (same compact revision, different hash) refuses the start with etcd's
//!   `<id> found data inconsistency with peers`.
//! - `--experimental-corrupt-check-time`: every period, the leader compares its hash with
//!   each follower's and raises the CORRUPT alarm (through the log) for a follower that
//!   differs, as etcd's `checkHashKV`.
//!
//! Peers answer over the peer port (`etcdoxide.peer.Leader/HashKV`, etcd's
//! `/members/hashkv`). An unreachable, slow (future revision) or compacted peer is logged
//! and skipped, as in etcd.

use std::sync::Arc;

use super::{Error, EtcdServer};
use crate::pb::etcdserverpb::alarm_request::AlarmAction;
use crate::pb::etcdserverpb::{AlarmRequest, AlarmType, HashKvRequest, HashKvResponse};
use crate::pb::peer::InternalRaftRequest;

/// One peer's answer to a HashKV at a revision.
struct PeerHash {
    id: u64,
    resp: Result<HashKvResponse, String>,
}

impl EtcdServer {
    /// This member's HashKV at its current revision: (hash, revision, compact revision).
    fn local_hash(&self) -> Result<(u32, i64, i64), Error> {
        let r = self.hash_kv(0)?;
        let rev = r.header.as_ref().map_or(0, |h| h.revision);
        Ok((r.hash, rev, r.compact_revision))
    }

    /// Every other member's HashKV at `rev`, each bounded by the request timeout.
    async fn peer_hashes(&self, rev: i64) -> Vec<PeerHash> {
        let mut out = Vec::new();
        for (id, _, _) in self.members() {
            if id == self.member_id {
                continue;
            }
            let resp = match self.leader_clients.get(self, id) {
                Err(e) => Err(e.to_string()),
                Ok(mut client) => {
                    let mut req = tonic::Request::new(HashKvRequest { revision: rev });
                    req.set_timeout(self.cfg.request_timeout());
                    match tokio::time::timeout(self.cfg.request_timeout(), client.hash_kv(req))
                        .await
                    {
                        Ok(Ok(r)) => Ok(r.into_inner()),
                        Ok(Err(s)) => Err(s.message().to_string()),
                        Err(_) => Err("timed out".into()),
                    }
                }
            };
            out.push(PeerHash { id, resp });
        }
        out
    }

    /// etcd's `InitialCheck`: compares HashKV with every reachable peer at this member's
    /// current revision.
    ///
    /// # Errors
    /// [`Error::Bootstrap`] `<member id> found data inconsistency with peers` when a peer
    /// with the same compact revision has another hash; storage errors (a damaged record
    /// answers `etcdserver: corrupt cluster`).
    pub async fn initial_corrupt_check(&self) -> Result<(), Error> {
        let id = format!("{:x}", self.member_id);
        tracing::info!(local_member_id = %id, "starting initial corruption check");
        let (hash, rev, crev) = self.local_hash()?;
        let mut mismatch = 0;
        for p in self.peer_hashes(rev).await {
            let peer = format!("{:x}", p.id);
            match p.resp {
                Ok(r) if r.hash != hash && r.compact_revision == crev => {
                    tracing::error!(
                        local_member_id = %id, local_member_revision = rev,
                        local_member_compact_revision = crev, local_member_hash = hash,
                        remote_peer_id = %peer, remote_peer_hash = r.hash,
                        "found different hash values from remote peer"
                    );
                    mismatch += 1;
                }
                Ok(r) if r.hash != hash => tracing::warn!(
                    local_member_id = %id, local_member_compact_revision = crev,
                    remote_peer_id = %peer, remote_peer_compact_revision = r.compact_revision,
                    "found different compact revision values from remote peer"
                ),
                Ok(_) => {}
                Err(e) => tracing::warn!(
                    local_member_id = %id, remote_peer_id = %peer, error = %e,
                    "cannot fetch hash from remote peer"
                ),
            }
        }
        if mismatch > 0 {
            return Err(Error::Bootstrap(format!(
                "{id} found data inconsistency with peers"
            )));
        }
        tracing::info!(local_member_id = %id, "initial corruption checking passed; no corruption");
        Ok(())
    }

    /// etcd's `monitorKVHash`: with `--experimental-corrupt-check-time` above zero, the
    /// leader checks its followers every period.
    pub(super) fn spawn_periodic_corrupt_check(self: &Arc<Self>) {
        let period = self.cfg.corrupt_check_time;
        if period.is_zero() {
            return;
        }
        tracing::info!(interval = ?period, "enabled corruption checking");
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            tick.tick().await;
            loop {
                tick.tick().await;
                let Some(server) = weak.upgrade() else { return };
                if server.leader() != Some(server.member_id) {
                    continue;
                }
                if let Err(e) = server.check_hash_kv().await {
                    tracing::warn!(error = %e, "failed to check hash KV");
                }
            }
        });
    }

    /// One leader pass: a follower whose hash differs at the same compact revision gets
    /// the CORRUPT alarm.
    async fn check_hash_kv(&self) -> Result<(), Error> {
        let (hash, rev, crev) = self.local_hash()?;
        for p in self.peer_hashes(rev).await {
            let Ok(r) = p.resp else { continue };
            if r.compact_revision == crev && r.hash != hash {
                tracing::error!(
                    local_member_id = %format!("{:x}", self.member_id), local_member_hash = hash,
                    revision = rev, remote_peer_id = %format!("{:x}", p.id), remote_peer_hash = r.hash,
                    "found hash mismatch; raising CORRUPT alarm"
                );
                self.propose(InternalRaftRequest {
                    alarm: Some(AlarmRequest {
                        action: AlarmAction::Activate as i32,
                        member_id: p.id,
                        alarm: AlarmType::Corrupt as i32,
                    }),
                    ..Default::default()
                })
                .await?;
                return Ok(());
            }
        }
        Ok(())
    }
}
