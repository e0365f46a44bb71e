//! The write path: [`EtcdServer::propose`] stamps an internal request (request ID, the
//! caller's user and auth revision, the proposer's clock), checks its size and hands it to the
//! leader's proposal batcher (`batcher.rs`) or forwards it to the leader (`peer.rs`), then
//! waits for the apply result; [`EtcdServer::propose_reply`] turns that result into the typed
//! response with etcd's header ([`Reply`]).

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::{Caller, Error, EtcdServer};
use crate::apply::{ApplyResponse, ApplyResult};
use crate::pb::etcdserverpb::{
    CompactionResponse, DeleteRangeResponse, LeaseGrantResponse, LeaseRevokeResponse, PutResponse,
    ResponseHeader, TxnResponse,
};
use crate::pb::peer::{InternalRaftRequest, RequestHeader};

impl EtcdServer {
    pub(super) fn next_id(&self) -> u64 {
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
        req.time_unix_nanos = crate::clock::wall()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as i64)
            .unwrap_or(0);
        if prost::Message::encoded_len(&req) > self.cfg.max_request_bytes as usize {
            return Err(Error::RequestTooLarge);
        }
        let deadline = Instant::now() + self.cfg.request_timeout();
        // etcd's `etcd_server_proposals_pending`: up while this member waits for the proposal.
        let _pending = crate::observability::metrics().hold_gauge("etcd_server_proposals_pending");
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
    pub(super) async fn wait_leader_change(&self, deadline: Instant) {
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
