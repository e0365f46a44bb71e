//! Lease operations of the server: grant and revoke through the log; keep-alive, TTL
//! queries and expiry on the leader's in-memory clock ([`crate::lease::lessor::Lessor`]).

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{response, Error, EtcdServer};
use crate::apply::ApplyError;
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
        let b = self
            .store
            .backend()
            .map_err(|e| Error::Storage(e.to_string()))?;
        let rtxn = b
            .env
            .read_txn()
            .map_err(|e| Error::Storage(e.to_string()))?;
        b.leases
            .get(&rtxn, id)
            .map_err(|e| Error::Storage(e.to_string()))
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
        let r = self
            .propose(InternalRaftRequest {
                lease_grant: Some(req),
                ..Default::default()
            })
            .await?;
        let (mut g, revision) = response::<crate::pb::etcdserverpb::LeaseGrantResponse>(r)?;
        if let Some(rec) = self.lease_record(g.id)? {
            self.lessor.renew(&rec, Instant::now());
        }
        g.header = Some(self.header(revision));
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
        let r = self
            .propose_as(
                InternalRaftRequest {
                    lease_revoke: Some(req),
                    ..Default::default()
                },
                caller,
            )
            .await?;
        let (mut p, revision) = response::<crate::pb::etcdserverpb::LeaseRevokeResponse>(r)?;
        p.header = Some(self.header(revision));
        Ok(p)
    }

    /// One keep-alive: renews the lease on the leader's clock and returns its TTL in
    /// seconds (0 when the lease does not exist, as etcd answers on the stream).
    ///
    /// # Errors
    /// [`Error::NotLeader`] / [`Error::NoLeader`] when this member is not the leader.
    pub async fn lease_keep_alive(&self, id: i64) -> Result<i64, Error> {
        match self.leader() {
            Some(l) if l == self.member_id => {}
            Some(l) => return self.remote_lease(l, id, false).await,
            None => return Err(Error::NoLeader),
        }
        match self.lease_record(id)? {
            None => Err(Error::Apply(ApplyError::LeaseNotFound)),
            Some(rec) => Ok(self.lessor.renew(&rec, Instant::now())),
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
            let b = self
                .store
                .backend()
                .map_err(|e| Error::Storage(e.to_string()))?;
            let rtxn = b
                .env
                .read_txn()
                .map_err(|e| Error::Storage(e.to_string()))?;
            b.leases
                .keys(&rtxn, req.id)
                .map_err(|e| Error::Storage(e.to_string()))?
        } else {
            Vec::new()
        };
        let ttl = match self.leader() {
            Some(l) if l != self.member_id => self.remote_lease(l, req.id, true).await?,
            _ => self.lessor.remaining(&rec, Instant::now()),
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
            Some(rec) => Ok(self.lessor.remaining(&rec, Instant::now())),
        }
    }

    /// LeaseLeases: every lease ID.
    ///
    /// # Errors
    /// Read-index or storage errors.
    pub async fn lease_leases(&self) -> Result<LeaseLeasesResponse, Error> {
        self.linearizable_barrier().await?;
        let leases = {
            let b = self
                .store
                .backend()
                .map_err(|e| Error::Storage(e.to_string()))?;
            let rtxn = b
                .env
                .read_txn()
                .map_err(|e| Error::Storage(e.to_string()))?;
            b.leases
                .list(&rtxn)
                .map_err(|e| Error::Storage(e.to_string()))?
        };
        Ok(LeaseLeasesResponse {
            header: Some(self.header(self.current_revision())),
            leases: leases
                .into_iter()
                .map(|l| LeaseStatus { id: l.id })
                .collect(),
        })
    }

    /// The primary lessor loop: while leader, keep the clock in step with the lease table
    /// and propose a revoke for each expired lease; when not leader, forget the clock so
    /// the next promotion extends every lease.
    pub(super) fn spawn_lessor_loop(self: &Arc<Self>) {
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut was_leader = false;
            loop {
                tokio::time::sleep(EXPIRY_TICK).await;
                let Some(server) = weak.upgrade() else { return };
                let is_leader = server.leader() == Some(server.member_id);
                if !is_leader {
                    if was_leader {
                        server.lessor.demote();
                    }
                    was_leader = false;
                    continue;
                }
                was_leader = true;
                server.promote_pending_voters().await;
                let leases = {
                    let Ok(b) = server.store.backend() else {
                        continue;
                    };
                    let Ok(rtxn) = b.env.read_txn() else { continue };
                    match b.leases.list(&rtxn) {
                        Ok(l) => l,
                        Err(e) => {
                            tracing::warn!(error = %e, "failed to list leases");
                            continue;
                        }
                    }
                };
                let now = Instant::now();
                server.lessor.sync(&leases, now);
                for id in server.lessor.take_expired(now) {
                    let s = server.clone();
                    tokio::spawn(async move {
                        match s
                            .lease_revoke(LeaseRevokeRequest { id }, &super::Caller::Internal)
                            .await
                        {
                            Ok(_) | Err(Error::Apply(ApplyError::LeaseNotFound)) => {}
                            Err(e) => {
                                tracing::warn!(lease_id = %format!("{id:x}"), error = %e, "failed to revoke expired lease")
                            }
                        }
                    });
                }
            }
        });
    }
}
