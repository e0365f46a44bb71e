//! Lease operations of the server: grant and revoke through the log; keep-alive, TTL
//! queries and expiry on the leader's in-memory clock ([`crate::lease::lessor::Lessor`]).
//!
//! The lessor loop keeps the lessor primary only while [`QuorumGate`] says so: this member
//! leads and a quorum acknowledged it within the election timeout (openraft's
//! `millis_since_quorum_ack`). A leader cut off from its quorum demotes its lessor (etcd's
//! CheckQuorum step-down), and every promotion gives each lease `now + election timeout +
//! TTL` (etcd's `Promote`), so no lease expires because the cluster had no quorum.

use std::sync::Arc;
use std::time::Duration;

use super::{Error, EtcdServer};
use crate::apply::ApplyError;
use crate::lease::lessor::{GateChange, QuorumGate, RaftView};
use crate::lease::{min_lease_ttl, LeaseRecord};
use crate::pb::etcdserverpb::{
    LeaseGrantRequest, LeaseGrantResponse, LeaseLeasesResponse, LeaseRevokeRequest,
    LeaseRevokeResponse, LeaseStatus, LeaseTimeToLiveRequest, LeaseTimeToLiveResponse,
};
use crate::pb::peer::InternalRaftRequest;

/// How often the leader's lessor looks for expired leases (etcd checks every 500 ms).
const EXPIRY_TICK: Duration = Duration::from_millis(500);

impl EtcdServer {
    fn lease_record(&self, id: i64) -> Result<Option<LeaseRecord>, Error> {
        self.read(|b, t| b.leases.get(t, id))
    }

    /// LeaseGrant: picks the ID when the client gave 0, raises the TTL to etcd's minimum,
    /// and proposes the grant.
    ///
    /// # Errors
    /// `LeaseExist`, `LeaseTtlTooLarge` as [`Error::Apply`]; proposal errors.
    pub async fn lease_grant(
        &self,
        mut req: LeaseGrantRequest,
    ) -> Result<LeaseGrantResponse, Error> {
        while req.id == 0 {
            req.id = (self.next_id() & (i64::MAX as u64)) as i64;
        }
        let min = min_lease_ttl(
            self.cfg.heartbeat_interval.as_millis() as u64,
            self.cfg.election_timeout.as_millis() as u64,
        );
        if req.ttl < min {
            req.ttl = min;
        }
        self.check_quota(0).await?;
        let g: LeaseGrantResponse = self
            .propose_reply(
                InternalRaftRequest {
                    lease_grant: Some(req),
                    ..Default::default()
                },
                &super::Caller::Internal,
            )
            .await?;
        if let Some(rec) = self.lease_record(g.id)? {
            // Not primary: the next promotion (or sync) starts the lease's clock.
            let _ = self.lessor.renew(&rec, crate::clock::now());
        }
        Ok(g)
    }

    /// LeaseRevoke: proposes the revoke; the lease's keys go in one revision.
    ///
    /// # Errors
    /// `LeaseNotFound` as [`Error::Apply`]; proposal errors.
    pub async fn lease_revoke(
        &self,
        req: LeaseRevokeRequest,
        caller: &super::Caller,
    ) -> Result<LeaseRevokeResponse, Error> {
        self.propose_reply(
            InternalRaftRequest {
                lease_revoke: Some(req),
                ..Default::default()
            },
            caller,
        )
        .await
    }

    /// One keep-alive: renews the lease on the leader's clock and returns its TTL in
    /// seconds (0 when the lease does not exist, as etcd answers on the stream). A follower
    /// forwards to the leader. On a leader whose lessor is not primary it waits, at most an
    /// election timeout, for the lessor to be promoted (a leader elected a moment ago): past
    /// that, this member has had no quorum for an election timeout, where etcd's leader
    /// would have stepped down (CheckQuorum), and it answers as etcd then does.
    ///
    /// # Errors
    /// [`Error::NoLeader`] when no leader is known or this leader has no quorum;
    /// `LeaseNotFound` as [`Error::Apply`].
    pub async fn lease_keep_alive(&self, id: i64) -> Result<i64, Error> {
        let deadline = tokio::time::Instant::now() + self.cfg.election_timeout;
        let poll = self.cfg.heartbeat_interval.max(Duration::from_millis(20));
        loop {
            match self.leader() {
                Some(l) if l == self.member_id => {}
                Some(l) => return self.remote_lease(l, id, false).await,
                None => return Err(Error::NoLeader),
            }
            let Some(rec) = self.lease_record(id)? else {
                return Err(Error::Apply(ApplyError::LeaseNotFound));
            };
            if let Ok(ttl) = self.lessor.renew(&rec, crate::clock::now()) {
                crate::observability::metrics().inc_counter("etcd_debugging_lease_renewed_total");
                return Ok(ttl);
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(Error::NoLeader);
            }
            tokio::time::sleep(poll).await;
        }
    }

    /// LeaseTimeToLive: the granted TTL, the remaining TTL (seconds, rounded up) and,
    /// when asked, the attached keys.
    ///
    /// # Errors
    /// `LeaseNotFound` as [`Error::Apply`].
    pub async fn lease_time_to_live(
        &self,
        req: LeaseTimeToLiveRequest,
    ) -> Result<LeaseTimeToLiveResponse, Error> {
        self.linearizable_barrier().await?;
        let Some(rec) = self.lease_record(req.id)? else {
            return Err(Error::Apply(ApplyError::LeaseNotFound));
        };
        let keys = if req.keys {
            self.read(|b, t| b.leases.keys(t, req.id))?
        } else {
            Vec::new()
        };
        let ttl = match self.leader() {
            Some(l) if l != self.member_id => self.remote_lease(l, req.id, true).await?,
            _ => self.lessor.remaining(&rec, crate::clock::now()),
        };
        Ok(LeaseTimeToLiveResponse {
            header: Some(self.header(self.current_revision())),
            id: rec.id,
            ttl,
            granted_ttl: rec.ttl,
            keys,
        })
    }

    /// The remaining TTL of a lease on this member's clock (the leader's, when asked by a
    /// follower).
    ///
    /// # Errors
    /// `LeaseNotFound` as [`Error::Apply`].
    pub fn lease_remaining_local(&self, id: i64) -> Result<i64, Error> {
        match self.lease_record(id)? {
            None => Err(Error::Apply(ApplyError::LeaseNotFound)),
            Some(rec) => Ok(self.lessor.remaining(&rec, crate::clock::now())),
        }
    }

    /// LeaseLeases: every lease ID.
    ///
    /// # Errors
    /// Read-index or storage errors.
    pub async fn lease_leases(&self) -> Result<LeaseLeasesResponse, Error> {
        self.linearizable_barrier().await?;
        let leases = self.read(|b, t| b.leases.list(t))?;
        Ok(LeaseLeasesResponse {
            header: Some(self.header(self.current_revision())),
            leases: leases
                .into_iter()
                .map(|l| LeaseStatus { id: l.id })
                .collect(),
        })
    }

    /// The lessor loop. On every Raft metrics update and every [`EXPIRY_TICK`] it feeds the
    /// [`QuorumGate`] and promotes or demotes the lessor as the gate says (promotion: every
    /// lease gets `now + election timeout + TTL`). While the gate is open, each tick keeps the
    /// clock in step with the lease table and proposes a `LeaseRevoke` (through the normal
    /// write path) for each expired lease; a demoted lessor proposes nothing.
    pub(super) fn spawn_lessor_loop(self: &Arc<Self>) {
        let weak = Arc::downgrade(self);
        let mut rx = self.raft.metrics();
        let member_id = self.member_id;
        let extend = self.cfg.election_timeout;
        tokio::spawn(async move {
            let mut gate = QuorumGate::new(extend);
            let mut tick = tokio::time::interval(EXPIRY_TICK);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                // A metrics update carries a fresh quorum-acknowledgement age; a tick only
                // the role (the latest metrics may be old, their age must not count as new).
                let update = tokio::select! {
                    _ = tick.tick() => false,
                    r = rx.changed() => {
                        if r.is_err() {
                            return;
                        }
                        true
                    }
                };
                let Some(server) = weak.upgrade() else { return };
                let now = crate::clock::now();
                let (view, ack_age) = {
                    let m = if update {
                        rx.borrow_and_update()
                    } else {
                        rx.borrow()
                    };
                    let leader = m.state == openraft::ServerState::Leader
                        && m.current_leader == Some(member_id);
                    let mut voters = m.membership_config.membership().voter_ids();
                    let sole_voter = voters.next() == Some(member_id) && voters.next().is_none();
                    let ack_age = if update {
                        m.millis_since_quorum_ack.map(Duration::from_millis)
                    } else {
                        None
                    };
                    (
                        RaftView {
                            leader,
                            term: m.current_term,
                            sole_voter,
                        },
                        ack_age,
                    )
                };
                match gate.observe(view, ack_age, now) {
                    GateChange::None => {}
                    GateChange::Demote => {
                        server.lessor.demote();
                        tracing::info!(
                            term = view.term,
                            leader = view.leader,
                            "lessor demoted: not leader or no quorum acknowledgement within the election timeout; leases do not expire"
                        );
                    }
                    GateChange::Promote => {
                        let leases = server.list_leases().unwrap_or_default();
                        server.lessor.promote(&leases, crate::clock::now(), extend);
                        tracing::info!(
                            term = view.term,
                            leases = leases.len(),
                            "lessor promoted: every lease extended to its TTL from now"
                        );
                    }
                }
                if update {
                    continue;
                }
                if view.leader {
                    server.promote_pending_voters().await;
                }
                if !gate.is_open() {
                    continue;
                }
                let Some(leases) = server.list_leases() else {
                    continue;
                };
                // Leases new to the clock start from the latest reading (never early), but
                // expiry is judged at `now`, the instant the gate found a fresh quorum
                // acknowledgement: a pause or clock jump after it (the await above, this
                // task descheduled) must not expire leases before the gate has seen the gap.
                server.lessor.sync(&leases, crate::clock::now());
                // `return(<ms>)` holds this tick that long without blocking the runtime (a
                // descheduled task); `panic` and the others as at any site.
                #[cfg(feature = "failpoints")]
                if let Some(ms) = fail::eval("lessorBeforeExpiry", |arg| {
                    arg.and_then(|a| a.trim().parse::<u64>().ok())
                })
                .flatten()
                {
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                }
                for id in server.lessor.take_expired(now) {
                    // `return` has no error path here: like `panic`, a crash.
                    fail::fail_point!("lessorBeforeRevoke");
                    let s = server.clone();
                    tokio::spawn(async move {
                        match s
                            .lease_revoke(LeaseRevokeRequest { id }, &super::Caller::Internal)
                            .await
                        {
                            Ok(_) => {
                                crate::observability::metrics()
                                    .inc_counter("etcd_debugging_server_lease_expired_total");
                            }
                            Err(Error::Apply(ApplyError::LeaseNotFound)) => {}
                            Err(e) => {
                                tracing::warn!(lease_id = %format!("{id:x}"), error = %e, "failed to revoke expired lease")
                            }
                        }
                    });
                }
            }
        });
    }

    /// Every lease in the table, or `None` (logged) when the table cannot be read.
    fn list_leases(&self) -> Option<Vec<LeaseRecord>> {
        match self.read(|b, t| b.leases.list(t)) {
            Ok(l) => Some(l),
            Err(e) => {
                tracing::warn!(error = %e, "failed to list leases");
                None
            }
        }
    }
}
