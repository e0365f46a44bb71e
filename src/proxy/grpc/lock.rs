//! The Lock and Election services through the proxy (etcd's `grpcproxy/lock.go`,
//! `election.go`): forwarded with the caller's metadata; under `--namespace` the lock and
//! election names and the keys they hand out enter and leave the namespace like KV keys.

use futures::StreamExt;
use tonic::{Request, Response, Status};

use super::{BoxStream, Caller, Proxy};
use crate::pb::v3electionpb::{
    election_client::ElectionClient, election_server::Election, CampaignRequest, CampaignResponse,
    LeaderKey, LeaderRequest, LeaderResponse, ProclaimRequest, ProclaimResponse, ResignRequest,
    ResignResponse,
};
use crate::pb::v3lockpb::{
    lock_client::LockClient, lock_server::Lock, LockRequest, LockResponse, UnlockRequest,
    UnlockResponse,
};

impl Proxy {
    /// A leader key inside the namespace.
    fn leader_in(&self, l: Option<LeaderKey>) -> Option<LeaderKey> {
        l.map(|mut l| {
            l.name = self.ns.key(&l.name);
            l.key = self.ns.key(&l.key);
            l
        })
    }

    /// A leader key out of the namespace.
    fn leader_out(&self, l: &mut Option<LeaderKey>) {
        if let Some(l) = l.as_mut() {
            self.ns.strip(&mut l.name);
            self.ns.strip(&mut l.key);
        }
    }
}

#[tonic::async_trait]
impl Lock for Proxy {
    async fn lock(&self, req: Request<LockRequest>) -> Result<Response<LockResponse>, Status> {
        let caller = Caller::of(&req);
        let mut r = req.into_inner();
        r.name = self.ns.key(&r.name);
        let mut resp = self
            .unary(&caller, r, |ch, r| async move {
                LockClient::new(ch).lock(r).await
            })
            .await?;
        self.ns.strip(&mut resp.key);
        Ok(Response::new(resp))
    }

    async fn unlock(
        &self,
        req: Request<UnlockRequest>,
    ) -> Result<Response<UnlockResponse>, Status> {
        let caller = Caller::of(&req);
        let mut r = req.into_inner();
        r.key = self.ns.key(&r.key);
        self.unary(&caller, r, |ch, r| async move {
            LockClient::new(ch).unlock(r).await
        })
        .await
        .map(Response::new)
    }
}

#[tonic::async_trait]
impl Election for Proxy {
    async fn campaign(
        &self,
        req: Request<CampaignRequest>,
    ) -> Result<Response<CampaignResponse>, Status> {
        let caller = Caller::of(&req);
        let mut r = req.into_inner();
        r.name = self.ns.key(&r.name);
        let mut resp = self
            .unary(&caller, r, |ch, r| async move {
                ElectionClient::new(ch).campaign(r).await
            })
            .await?;
        self.leader_out(&mut resp.leader);
        Ok(Response::new(resp))
    }

    async fn proclaim(
        &self,
        req: Request<ProclaimRequest>,
    ) -> Result<Response<ProclaimResponse>, Status> {
        let caller = Caller::of(&req);
        let mut r = req.into_inner();
        r.leader = self.leader_in(r.leader);
        self.unary(&caller, r, |ch, r| async move {
            ElectionClient::new(ch).proclaim(r).await
        })
        .await
        .map(Response::new)
    }

    async fn leader(
        &self,
        req: Request<LeaderRequest>,
    ) -> Result<Response<LeaderResponse>, Status> {
        let caller = Caller::of(&req);
        let mut r = req.into_inner();
        r.name = self.ns.key(&r.name);
        let mut resp = self
            .unary(&caller, r, |ch, r| async move {
                ElectionClient::new(ch).leader(r).await
            })
            .await?;
        if let Some(kv) = resp.kv.as_mut() {
            self.ns.strip_kv(kv);
        }
        Ok(Response::new(resp))
    }

    async fn observe(
        &self,
        req: Request<LeaderRequest>,
    ) -> Result<Response<BoxStream<LeaderResponse>>, Status> {
        let caller = Caller::of(&req);
        let mut r = req.into_inner();
        r.name = self.ns.key(&r.name);
        let ch = self
            .client
            .forward_channel()
            .await
            .map_err(super::to_status)?;
        let stream = match ElectionClient::new(ch).observe(caller.request(r)).await {
            Ok(resp) => resp.into_inner(),
            Err(s) => {
                if s.code() == tonic::Code::Unavailable {
                    self.client.forward_failed().await;
                }
                return Err(s);
            }
        };
        let ns = self.ns.clone();
        Ok(Response::new(Box::pin(stream.map(move |r| {
            r.map(|mut resp| {
                if let Some(kv) = resp.kv.as_mut() {
                    ns.strip_kv(kv);
                }
                resp
            })
        }))))
    }

    async fn resign(
        &self,
        req: Request<ResignRequest>,
    ) -> Result<Response<ResignResponse>, Status> {
        let caller = Caller::of(&req);
        let mut r = req.into_inner();
        r.leader = self.leader_in(r.leader);
        self.unary(&caller, r, |ch, r| async move {
            ElectionClient::new(ch).resign(r).await
        })
        .await
        .map(Response::new)
    }
}
