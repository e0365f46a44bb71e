//! The Lease service through the proxy (etcd's `grpcproxy/lease.go`): unary methods are
//! forwarded with the caller's metadata; keep-alive streams are forwarded one to one with
//! the caller's metadata. Lease IDs are cluster-wide (no namespace); `TimeToLive` keys leave
//! the namespace and keys outside it are hidden.

use futures::StreamExt;
use tonic::{Request, Response, Status, Streaming};

use super::{BoxStream, Caller, Proxy};
use crate::pb::etcdserverpb::{
    lease_client::LeaseClient, lease_server::Lease, LeaseGrantRequest, LeaseGrantResponse,
    LeaseKeepAliveRequest, LeaseKeepAliveResponse, LeaseLeasesRequest, LeaseLeasesResponse,
    LeaseRevokeRequest, LeaseRevokeResponse, LeaseTimeToLiveRequest, LeaseTimeToLiveResponse,
};

#[tonic::async_trait]
impl Lease for Proxy {
    async fn lease_grant(
        &self,
        req: Request<LeaseGrantRequest>,
    ) -> Result<Response<LeaseGrantResponse>, Status> {
        let caller = Caller::of(&req);
        self.unary(&caller, req.into_inner(), |ch, r| async move {
            LeaseClient::new(ch).lease_grant(r).await
        })
        .await
        .map(Response::new)
    }

    async fn lease_revoke(
        &self,
        req: Request<LeaseRevokeRequest>,
    ) -> Result<Response<LeaseRevokeResponse>, Status> {
        let caller = Caller::of(&req);
        self.unary(&caller, req.into_inner(), |ch, r| async move {
            LeaseClient::new(ch).lease_revoke(r).await
        })
        .await
        .map(Response::new)
    }

    async fn lease_time_to_live(
        &self,
        req: Request<LeaseTimeToLiveRequest>,
    ) -> Result<Response<LeaseTimeToLiveResponse>, Status> {
        let caller = Caller::of(&req);
        let mut resp = self
            .unary(&caller, req.into_inner(), |ch, r| async move {
                LeaseClient::new(ch)
                    .max_decoding_message_size(usize::MAX)
                    .lease_time_to_live(r)
                    .await
            })
            .await?;
        if !self.ns.prefix().is_empty() {
            resp.keys.retain(|k| k.starts_with(self.ns.prefix()));
            resp.keys.iter_mut().for_each(|k| self.ns.strip(k));
        }
        Ok(Response::new(resp))
    }

    async fn lease_leases(
        &self,
        req: Request<LeaseLeasesRequest>,
    ) -> Result<Response<LeaseLeasesResponse>, Status> {
        let caller = Caller::of(&req);
        self.unary(&caller, req.into_inner(), |ch, r| async move {
            LeaseClient::new(ch)
                .max_decoding_message_size(usize::MAX)
                .lease_leases(r)
                .await
        })
        .await
        .map(Response::new)
    }

    async fn lease_keep_alive(
        &self,
        req: Request<Streaming<LeaseKeepAliveRequest>>,
    ) -> Result<Response<BoxStream<LeaseKeepAliveResponse>>, Status> {
        let caller = Caller::of(&req);
        let inbound = req
            .into_inner()
            .take_while(|r| futures::future::ready(r.is_ok()))
            .filter_map(|r| futures::future::ready(r.ok()));
        let ch = self
            .client
            .forward_channel()
            .await
            .map_err(super::to_status)?;
        match LeaseClient::new(ch)
            .lease_keep_alive(caller.request(inbound))
            .await
        {
            Ok(resp) => Ok(Response::new(Box::pin(resp.into_inner()))),
            Err(s) => {
                if s.code() == tonic::Code::Unavailable {
                    self.client.forward_failed().await;
                }
                Err(s)
            }
        }
    }
}
