//! `v3electionpb.Election`: leader election run server-side (etcd's
//! `v3election/election.go`). Thin handlers over the recipe in `server/concurrency.rs`;
//! recipe failures (`election: not leader`, `election: no leader`, `"leader" field must be
//! provided`) travel as gRPC `Unknown`, as etcd's plain Go errors do, and so do etcd wire
//! errors ([`to_recipe_status`], checked against etcd 3.4.23).

use std::pin::Pin;
use std::sync::Arc;

use futures::{Stream, StreamExt};
use tonic::{Request, Response, Status};

use super::error::to_recipe_status;
use crate::pb::v3electionpb::election_server::Election;
use crate::pb::v3electionpb::{
    CampaignRequest, CampaignResponse, LeaderRequest, LeaderResponse, ProclaimRequest,
    ProclaimResponse, ResignRequest, ResignResponse,
};
use crate::server::EtcdServer;

/// The Election service.
pub struct ElectionService {
    server: Arc<EtcdServer>,
}

impl ElectionService {
    /// Wraps the server.
    pub fn new(server: Arc<EtcdServer>) -> ElectionService {
        ElectionService { server }
    }
}

/// The Observe response stream (`tonic::codegen::BoxStream<LeaderResponse>`).
type ObserveStream = Pin<Box<dyn Stream<Item = Result<LeaderResponse, Status>> + Send>>;

#[tonic::async_trait]
impl Election for ElectionService {
    /// Blocks until elected; the client going away drops this future, which resigns.
    async fn campaign(
        &self,
        request: Request<CampaignRequest>,
    ) -> Result<Response<CampaignResponse>, Status> {
        let caller = self
            .server
            .caller_from(
                super::interceptor::token(&request).as_deref(),
                super::interceptor::cert_cn(&request).as_deref(),
            )
            .map_err(to_recipe_status)?;
        let req = request.into_inner();
        Ok(Response::new(
            self.server
                .campaign(&req.name, req.lease, &req.value, &caller)
                .await
                .map_err(to_recipe_status)?,
        ))
    }

    async fn proclaim(
        &self,
        request: Request<ProclaimRequest>,
    ) -> Result<Response<ProclaimResponse>, Status> {
        let caller = self
            .server
            .caller_from(
                super::interceptor::token(&request).as_deref(),
                super::interceptor::cert_cn(&request).as_deref(),
            )
            .map_err(to_recipe_status)?;
        let req = request.into_inner();
        Ok(Response::new(
            self.server
                .proclaim(req.leader, &req.value, &caller)
                .await
                .map_err(to_recipe_status)?,
        ))
    }

    async fn leader(
        &self,
        request: Request<LeaderRequest>,
    ) -> Result<Response<LeaderResponse>, Status> {
        let caller = self
            .server
            .caller_from(
                super::interceptor::token(&request).as_deref(),
                super::interceptor::cert_cn(&request).as_deref(),
            )
            .map_err(to_recipe_status)?;
        Ok(Response::new(
            self.server
                .election_leader(&request.into_inner().name, &caller)
                .await
                .map_err(to_recipe_status)?,
        ))
    }

    async fn observe(
        &self,
        request: Request<LeaderRequest>,
    ) -> Result<Response<ObserveStream>, Status> {
        // etcd's Observe never fails: its recipe's watcher gives up on any error (a bad
        // token, a denied read, no leader) and the stream just ends.
        let Ok(caller) = self.server.caller_from(
            super::interceptor::token(&request).as_deref(),
            super::interceptor::cert_cn(&request).as_deref(),
        ) else {
            return Ok(Response::new(Box::pin(futures::stream::empty())));
        };
        let stream = self
            .server
            .observe(&request.into_inner().name, &caller)
            .take_while(|r| std::future::ready(r.is_ok()))
            .map(|r| r.map_err(to_recipe_status));
        Ok(Response::new(Box::pin(stream)))
    }

    async fn resign(
        &self,
        request: Request<ResignRequest>,
    ) -> Result<Response<ResignResponse>, Status> {
        let caller = self
            .server
            .caller_from(
                super::interceptor::token(&request).as_deref(),
                super::interceptor::cert_cn(&request).as_deref(),
            )
            .map_err(to_recipe_status)?;
        Ok(Response::new(
            self.server
                .resign(request.into_inner().leader, &caller)
                .await
                .map_err(to_recipe_status)?,
        ))
    }
}
