//! Runtime reconfiguration (etcd's Cluster API): MemberAdd (voter or learner), MemberRemove,
//! MemberUpdate, MemberPromote. Each runs on the leader as an openraft membership change
//! (joint consensus), so phase 1 (validation against the current membership) never touches
//! the running cluster when it refuses; followers forward the request to the leader.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use openraft::error::{ChangeMembershipError, ClientWriteError, RaftError};
use openraft::ChangeMembers;
use prost::Message;
use tonic::Request;

use super::{Caller, Error, EtcdServer};
use crate::membership::{compute_member_id_at, Member};
use crate::pb::etcdserverpb::{
    Member as PbMember, MemberAddRequest, MemberAddResponse, MemberPromoteRequest,
    MemberPromoteResponse, MemberRemoveRequest, MemberRemoveResponse, MemberUpdateRequest,
    MemberUpdateResponse,
};
use crate::pb::peer::member_op_request::Op;
use crate::pb::peer::{ForwardRequest, InternalRaftRequest, MemberOpRequest};
use crate::rpctypes::WireError;

/// etcd's `HealthInterval`: a peer counts as connected once it has answered this long.
const HEALTH_INTERVAL: std::time::Duration = std::time::Duration::from_secs(5);

/// etcd's `readyPercent`: a learner may be promoted once it has 90% of the leader's log.
const LEARNER_READY_PERCENT: f64 = 0.9;

/// Result of a membership change executed on the leader, sent back to a forwarding member.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(super) enum MemberOpResult {
    /// MemberAdd: the new member's ID.
    Added(u64),
    /// Any other change.
    Done,
}

impl EtcdServer {
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

    /// The Cluster API members in etcd's wire form.
    pub fn pb_members(&self) -> Vec<PbMember> {
        self.members()
            .into_iter()
            .map(|(id, m, is_learner)| PbMember {
                id,
                name: m.name,
                peer_ur_ls: m.peer_urls,
                client_ur_ls: m.client_urls,
                is_learner,
            })
            .collect()
    }

    /// MemberAdd (root only while auth is enabled, checked here on the member that
    /// received the request, as etcd's `checkMembershipOperationPermission`).
    ///
    /// # Errors
    /// `user name is empty`, `user name not found`, `permission denied` for a caller that
    /// is not root; `given member URLs are invalid`, `Peer URLs already exists`, `re-configuration
    /// failed due to not enough started members` (etcd's strict reconfiguration check for
    /// voters), forwarding and timeout errors.
    pub async fn member_add(
        &self,
        req: MemberAddRequest,
        caller: &Caller,
    ) -> Result<MemberAddResponse, Error> {
        self.check_admin(caller)?;
        let op = MemberOpRequest {
            op: Some(Op::Add(req.clone())),
        };
        let id = match self.member_op(op).await? {
            MemberOpResult::Added(id) => id,
            MemberOpResult::Done => {
                return Err(Error::Internal("member add returned no ID".into()))
            }
        };
        self.wait_local_membership("member added", move |m| m.get_node(&id).is_some())
            .await;
        let member = PbMember {
            id,
            name: String::new(),
            peer_ur_ls: req
                .peer_ur_ls
                .iter()
                .map(|u| String::from_utf8_lossy(u).into_owned())
                .collect(),
            client_ur_ls: Vec::new(),
            is_learner: req.is_learner,
        };
        Ok(MemberAddResponse {
            header: Some(self.header(0)),
            member: Some(member),
            members: self.pb_members(),
        })
    }

    /// MemberRemove; root only while auth is enabled (see [`EtcdServer::member_add`]).
    ///
    /// # Errors
    /// The caller's auth errors as for [`EtcdServer::member_add`]; `member not found`, forwarding and timeout errors.
    pub async fn member_remove(
        &self,
        req: MemberRemoveRequest,
        caller: &Caller,
    ) -> Result<MemberRemoveResponse, Error> {
        self.check_admin(caller)?;
        let id = req.id;
        self.member_op(MemberOpRequest {
            op: Some(Op::Remove(req)),
        })
        .await?;
        self.wait_local_membership("member removed", move |m| m.get_node(&id).is_none())
            .await;
        Ok(MemberRemoveResponse {
            header: Some(self.header(0)),
            members: self.pb_members(),
        })
    }

    /// MemberUpdate (new peer URLs); root only while auth is enabled (see [`EtcdServer::member_add`]).
    ///
    /// # Errors
    /// The caller's auth errors as for [`EtcdServer::member_add`]; `member not found`, `given member URLs are invalid`, `Peer URLs already exists`.
    pub async fn member_update(
        &self,
        req: MemberUpdateRequest,
        caller: &Caller,
    ) -> Result<MemberUpdateResponse, Error> {
        self.check_admin(caller)?;
        self.member_op(MemberOpRequest {
            op: Some(Op::Update(req)),
        })
        .await?;
        Ok(MemberUpdateResponse {
            header: Some(self.header(0)),
            members: self.pb_members(),
        })
    }

    /// MemberPromote; root only while auth is enabled (see [`EtcdServer::member_add`]).
    ///
    /// # Errors
    /// The caller's auth errors as for [`EtcdServer::member_add`]; `member not found`, `can only promote a learner member`, `can only promote a
    /// learner member which is in sync with leader`.
    pub async fn member_promote(
        &self,
        req: MemberPromoteRequest,
        caller: &Caller,
    ) -> Result<MemberPromoteResponse, Error> {
        self.check_admin(caller)?;
        let id = req.id;
        self.member_op(MemberOpRequest {
            op: Some(Op::Promote(req)),
        })
        .await?;
        self.wait_local_membership("member promoted", move |m| m.voter_ids().any(|v| v == id))
            .await;
        // etcd counts the promotions the leader carried out.
        if self.leader() == Some(self.member_id) {
            crate::observability::metrics().inc_counter("etcd_server_learner_promote_successes");
        }
        Ok(MemberPromoteResponse {
            header: Some(self.header(0)),
            members: self.pb_members(),
        })
    }

    /// MoveLeader: on the leader, asks `target` (a voter) to campaign now and waits until it
    /// leads. openraft 0.9 has no TimeoutNow; an immediate election by an up-to-date voter
    /// is its equivalent. The response has no header, as etcd 3.4's.
    ///
    /// # Errors
    /// `not leader` when this member does not lead; `bad leader transferee` when the
    /// target is not a voting member; `request timed out` when it did not take over.
    pub async fn move_leader(
        &self,
        target: u64,
    ) -> Result<crate::pb::etcdserverpb::MoveLeaderResponse, Error> {
        if self.leader() != Some(self.member_id) {
            return Err(Error::NotLeader);
        }
        // etcd 3.4's `maintenanceServer.MoveLeader` answers the empty message: no header.
        if target == self.member_id {
            return Ok(crate::pb::etcdserverpb::MoveLeaderResponse { header: None });
        }
        if !self
            .members()
            .iter()
            .any(|(id, _, learner)| *id == target && !*learner)
        {
            return Err(Error::Wire(WireError::BadLeaderTransferee));
        }
        let mut client = self.leader_clients.get(self, target)?;
        client
            .campaign(crate::pb::peer::CampaignRequest {})
            .await
            .map_err(|s| super::peer::transport_error(&s))?;
        let deadline = Instant::now() + self.cfg.request_timeout();
        // openraft 0.9 has no TimeoutNow: voters refuse the target's vote request while their
        // leader lease is valid, so the first campaign usually only makes this leader step down
        // (its next heartbeat meets the target's higher term). Left alone, this old leader's
        // own election timer then fires first and it wins again (a duel that can outlast the
        // deadline). So the target campaigns again every two heartbeats: once this member has
        // stepped down its vote is no longer committed, it grants the vote, and with the target
        // that is a quorum of a three-member cluster.
        let retry_every =
            (2 * self.cfg.heartbeat_interval).max(std::time::Duration::from_millis(50));
        let mut next_campaign = Instant::now() + retry_every;
        while Instant::now() < deadline {
            if self.leader() == Some(target) {
                return Ok(crate::pb::etcdserverpb::MoveLeaderResponse { header: None });
            }
            if Instant::now() >= next_campaign {
                if let Ok(mut client) = self.leader_clients.get(self, target) {
                    let _ = tokio::time::timeout(
                        retry_every,
                        client.campaign(crate::pb::peer::CampaignRequest {}),
                    )
                    .await;
                }
                next_campaign = Instant::now() + retry_every;
            }
            self.wait_leader_change(deadline).await;
        }
        Err(Error::Timeout)
    }

    /// Waits (at most the request timeout) until this member's own membership satisfies
    /// `done`, so that a change forwarded to the leader shows in the `members` of the answer,
    /// as etcd answers only once the change is applied locally. (Regression: a `MemberAdd`
    /// forwarded by a follower listed the members without the new one, and a member started
    /// with that `--initial-cluster` failed with "member count is unequal"; robustness
    /// `membership` seed 5004.) Past the bound the answer goes out as it is.
    async fn wait_local_membership(
        &self,
        what: &'static str,
        done: impl Fn(&openraft::Membership<u64, Member>) -> bool + Send + Sync + 'static,
    ) {
        let _ = self
            .raft
            .wait(Some(self.cfg.request_timeout()))
            .metrics(|m| done(m.membership_config.membership()), what)
            .await;
    }

    /// Runs a membership change on the leader (here, or forwarded).
    async fn member_op(&self, op: MemberOpRequest) -> Result<MemberOpResult, Error> {
        let deadline = Instant::now() + self.cfg.request_timeout();
        loop {
            let attempt = match self.leader() {
                Some(l) if l == self.member_id => self.member_op_local(op.clone()).await,
                Some(l) => self.forward_member_op(l, &op, deadline).await,
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

    async fn forward_member_op(
        &self,
        leader: u64,
        op: &MemberOpRequest,
        deadline: Instant,
    ) -> Result<MemberOpResult, Error> {
        let mut client = self.leader_clients.get(self, leader)?;
        let mut request = Request::new(ForwardRequest {
            request: op.encode_to_vec(),
        });
        request.set_timeout(
            deadline
                .saturating_duration_since(Instant::now())
                .max(std::time::Duration::from_millis(1)),
        );
        let resp = client
            .member_op(request)
            .await
            .map_err(|s| super::peer::transport_error(&s))?
            .into_inner();
        if !resp.error.is_empty() {
            return Err(super::peer::error_from_message(&resp.error));
        }
        postcard::from_bytes(&resp.result)
            .map_err(|e| Error::Internal(format!("bad member op result: {e}")))
    }

    /// Validates and executes a membership change; this member must be the leader.
    pub(super) async fn member_op_local(
        &self,
        op: MemberOpRequest,
    ) -> Result<MemberOpResult, Error> {
        if self.leader() != Some(self.member_id) {
            return Err(Error::NotLeader);
        }
        let members = self.members();
        let find = |id: u64| members.iter().find(|(mid, _, _)| *mid == id);
        match op.op {
            None => Err(Error::Internal("empty member operation".into())),
            Some(Op::Add(req)) => {
                let urls = validate_urls(&req.peer_ur_ls)?;
                check_url_conflicts(&members, &urls, None)?;
                let voters = members.iter().filter(|(_, _, l)| !*l).count();
                let started = members
                    .iter()
                    .filter(|(_, m, l)| !*l && !m.name.is_empty())
                    .count();
                // etcd's strict reconfiguration check: after adding a voter, the started
                // voters must still form a quorum, except when growing a one-member cluster
                // (the restore-from-backup path).
                let grow_single = voters == 1 && started == 1;
                if self.cfg.strict_reconfig_check && !req.is_learner {
                    if !grow_single && started < voters.div_ceil(2) + 1 {
                        tracing::warn!("rejecting member add request; not enough healthy members");
                        return Err(Error::Wire(WireError::MemberNotEnoughStarted));
                    }
                    // etcd's isConnectedFullySince: every voter answered for HealthInterval.
                    let voter_ids: Vec<u64> = members
                        .iter()
                        .filter(|(_, _, l)| !*l)
                        .map(|(id, _, _)| *id)
                        .collect();
                    if self.connected_since_health_interval(&voter_ids) != voter_ids.len() {
                        tracing::warn!("rejecting member add request; local member has not been connected to all peers, reconfigure breaks active quorum");
                        return Err(Error::Wire(WireError::Unhealthy));
                    }
                }
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_secs() as i64)
                    .unwrap_or(0);
                let id = compute_member_id_at(&urls, "", Some(now));
                if find(id).is_some() {
                    return Err(Error::Wire(WireError::MemberExist));
                }
                let node = Member {
                    name: String::new(),
                    peer_urls: urls,
                    client_urls: Vec::new(),
                };
                if !req.is_learner && grow_single {
                    // Joint consensus would need the new, not yet started member's vote: it
                    // joins as a learner marked pending, and is promoted once caught up.
                    self.mark_pending_voter(id, true).await?;
                    self.change_membership(ChangeMembers::AddNodes(BTreeMap::from([(id, node)])))
                        .await?;
                    tracing::info!(member_id = %format!("{id:x}"), "added member (voter once caught up)");
                    return Ok(MemberOpResult::Added(id));
                }
                let change = if req.is_learner {
                    ChangeMembers::AddNodes(BTreeMap::from([(id, node)]))
                } else {
                    ChangeMembers::AddVoters(BTreeMap::from([(id, node)]))
                };
                self.change_membership(change).await?;
                tracing::info!(member_id = %format!("{id:x}"), learner = req.is_learner, "added member");
                Ok(MemberOpResult::Added(id))
            }
            Some(Op::Remove(req)) => {
                let Some((_, _, is_learner)) = find(req.id) else {
                    return Err(Error::Wire(WireError::MemberNotFound));
                };
                if self.cfg.strict_reconfig_check && !*is_learner {
                    self.may_remove_voter(&members, req.id)?;
                }
                // A voter leaves with `retain = false` (not kept as a learner); a learner is
                // simply dropped from the node set.
                let change = if *is_learner {
                    ChangeMembers::RemoveNodes(BTreeSet::from([req.id]))
                } else {
                    ChangeMembers::RemoveVoters(BTreeSet::from([req.id]))
                };
                self.change_membership(change).await?;
                tracing::info!(member_id = %format!("{:x}", req.id), "removed member");
                Ok(MemberOpResult::Done)
            }
            Some(Op::Update(req)) => {
                let Some((_, m, _)) = find(req.id) else {
                    return Err(Error::Wire(WireError::MemberNotFound));
                };
                let urls = validate_urls(&req.peer_ur_ls)?;
                check_url_conflicts(&members, &urls, Some(req.id))?;
                let node = Member {
                    name: m.name.clone(),
                    peer_urls: urls,
                    client_urls: m.client_urls.clone(),
                };
                self.change_membership(ChangeMembers::SetNodes(BTreeMap::from([(req.id, node)])))
                    .await?;
                Ok(MemberOpResult::Done)
            }
            Some(Op::Promote(req)) => {
                let Some((_, _, is_learner)) = find(req.id) else {
                    return Err(Error::Wire(WireError::MemberNotFound));
                };
                if !*is_learner {
                    return Err(Error::Wire(WireError::MemberNotLearner));
                }
                let metrics = self.raft.metrics().borrow().clone();
                let leader_match = metrics.last_log_index.unwrap_or(0) as f64;
                let learner_match = metrics
                    .replication
                    .as_ref()
                    .and_then(|r| r.get(&req.id).cloned().flatten())
                    .map(|l| l.index as f64)
                    .unwrap_or(0.0);
                if learner_match < leader_match * LEARNER_READY_PERCENT {
                    return Err(Error::Wire(WireError::LearnerNotReady));
                }
                self.change_membership(ChangeMembers::AddVoterIds(BTreeSet::from([req.id])))
                    .await?;
                Ok(MemberOpResult::Done)
            }
        }
    }

    /// How many of `voters` (this member included) have answered Raft RPCs for at least
    /// etcd's `HealthInterval` (etcd's `numConnectedSince`).
    fn connected_since_health_interval(&self, voters: &[u64]) -> usize {
        let since = Instant::now().checked_sub(HEALTH_INTERVAL);
        voters
            .iter()
            .filter(|id| {
                **id == self.member_id
                    || match (self.peer_activity.active_since(**id), since) {
                        (Some(t), Some(since)) => t <= since,
                        _ => false,
                    }
            })
            .count()
    }

    /// etcd's `mayRemoveMember` for a voter: the started voters left must be a quorum
    /// (`re-configuration failed due to not enough started members`), and, unless the member
    /// removed is down, the voters connected for `HealthInterval` minus the removed one must
    /// still be a quorum (`etcdserver: unhealthy cluster`).
    fn may_remove_voter(&self, members: &[(u64, Member, bool)], id: u64) -> Result<(), Error> {
        let voters: Vec<&(u64, Member, bool)> = members.iter().filter(|(_, _, l)| !*l).collect();
        let remaining = voters.iter().filter(|(mid, _, _)| *mid != id).count();
        let started = voters
            .iter()
            .filter(|(mid, m, _)| *mid != id && !m.name.is_empty())
            .count();
        if started < remaining / 2 + 1 {
            tracing::warn!(requested_member_remove_id = %format!("{id:x}"), "rejecting member remove request; not enough healthy members");
            return Err(Error::Wire(WireError::MemberNotEnoughStarted));
        }
        // A member that is down is safe to remove: it is not part of the active quorum.
        if id != self.member_id && self.peer_activity.active_since(id).is_none() {
            return Ok(());
        }
        let ids: Vec<u64> = voters.iter().map(|(mid, _, _)| *mid).collect();
        let active = self.connected_since_health_interval(&ids);
        if active.saturating_sub(1) < 1 + (ids.len().saturating_sub(1)) / 2 {
            tracing::warn!(requested_member_remove = %format!("{id:x}"), active_peers = active, "rejecting member remove request; local member has not been connected to all peers, reconfigure breaks active quorum");
            return Err(Error::Wire(WireError::Unhealthy));
        }
        Ok(())
    }

    async fn mark_pending_voter(&self, id: u64, pending: bool) -> Result<(), Error> {
        let req = crate::pb::peer::MemberPendingVoterRequest {
            member_id: id,
            pending,
        };
        self.propose(crate::pb::peer::InternalRaftRequest {
            member_pending_voter: Some(req),
            ..Default::default()
        })
        .await?;
        Ok(())
    }

    /// On the leader: promotes members added as voters that joined as learners, once they
    /// have caught up (etcd's learner readiness rule).
    pub(super) async fn promote_pending_voters(&self) {
        if self.leader() != Some(self.member_id) {
            return;
        }
        let metrics = self.raft.metrics().borrow().clone();
        let membership = metrics.membership_config.membership();
        let voters: BTreeSet<u64> = membership.voter_ids().collect();
        let Ok(pending) = self.read(|b, t| {
            Ok::<Vec<u64>, Error>(
                membership
                    .nodes()
                    .map(|(id, _)| *id)
                    .filter(|id| !voters.contains(id))
                    .filter(|id| {
                        b.members
                            .get(t, *id)
                            .ok()
                            .flatten()
                            .is_some_and(|a| a.pending_voter)
                    })
                    .collect(),
            )
        }) else {
            return;
        };
        for id in pending {
            let metrics = self.raft.metrics().borrow().clone();
            let leader_match = metrics.last_log_index.unwrap_or(0) as f64;
            let matched = metrics
                .replication
                .as_ref()
                .and_then(|r| r.get(&id).cloned().flatten())
                .map(|l| l.index as f64);
            let Some(matched) = matched else { continue };
            if matched < leader_match * LEARNER_READY_PERCENT {
                continue;
            }
            match self
                .change_membership(ChangeMembers::AddVoterIds(BTreeSet::from([id])))
                .await
            {
                Ok(()) => {
                    tracing::info!(member_id = %format!("{id:x}"), "promoted caught-up member to voter");
                    let _ = self.mark_pending_voter(id, false).await;
                }
                Err(e) => {
                    tracing::warn!(member_id = %format!("{id:x}"), error = %e, "failed to promote member")
                }
            }
        }
    }

    async fn change_membership(&self, change: ChangeMembers<u64, Member>) -> Result<(), Error> {
        let deadline = Instant::now() + self.cfg.request_timeout();
        loop {
            let fut = self.raft.change_membership(change.clone(), false);
            return match tokio::time::timeout(
                deadline.saturating_duration_since(Instant::now()),
                fut,
            )
            .await
            {
                Err(_) => Err(Error::Timeout),
                Ok(Ok(_)) => Ok(()),
                Ok(Err(RaftError::APIError(ClientWriteError::ForwardToLeader(_)))) => {
                    Err(Error::NotLeader)
                }
                // openraft changes membership in two steps (joint, then uniform). A leader
                // elected while the second step of an earlier change is not yet committed (e.g.
                // after the old leader removed itself) refuses the next change until it commits
                // it; etcd has no such window, so wait it out instead of failing.
                Ok(Err(RaftError::APIError(ClientWriteError::ChangeMembershipError(
                    ChangeMembershipError::InProgress(_),
                )))) if Instant::now() + std::time::Duration::from_millis(50) < deadline => {
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
                Ok(Err(RaftError::APIError(ClientWriteError::ChangeMembershipError(e)))) => {
                    Err(match e {
                        ChangeMembershipError::LearnerNotFound(_) => {
                            Error::Wire(WireError::MemberNotFound)
                        }
                        other => Error::Internal(other.to_string()),
                    })
                }
                Ok(Err(RaftError::Fatal(_))) => Err(Error::Stopped),
            };
        }
    }
}

/// Parses peer URLs as etcd's `types.NewURLs` (etcd: `given member URLs are invalid`).
fn validate_urls(urls: &[Vec<u8>]) -> Result<Vec<String>, Error> {
    if urls.is_empty() {
        return Err(Error::Wire(WireError::MemberBadURLs));
    }
    let mut out = Vec::new();
    for u in urls {
        // Bytes on the wire (etcd never checks UTF-8); a URL must be text.
        let u = std::str::from_utf8(u).map_err(|_| Error::Wire(WireError::MemberBadURLs))?;
        let parsed = crate::config::parse_urls("peer-urls", u)
            .map_err(|_| Error::Wire(WireError::MemberBadURLs))?;
        out.extend(parsed.iter().map(crate::config::url_string));
    }
    out.sort();
    Ok(out)
}

/// etcd refuses a peer URL another member already has (`Peer URLs already exists`).
fn check_url_conflicts(
    members: &[(u64, Member, bool)],
    urls: &[String],
    except: Option<u64>,
) -> Result<(), Error> {
    for (id, m, _) in members {
        if Some(*id) == except {
            continue;
        }
        if m.peer_urls.iter().any(|u| urls.contains(u)) {
            return Err(Error::Wire(WireError::PeerURLExist));
        }
    }
    Ok(())
}
