//! `etcdserverpb.Lease`: grant, revoke, keep-alive stream, time-to-live, leases
//! (etcd's `v3rpc/lease.go`, including its quirks: a time-to-live query for a missing
//! lease answers TTL -1, and a keep-alive for one answers TTL 0, neither as an error).

use std::pin::Pin;
use std::sync::Arc;

use futures::{Stream, StreamExt};
use tonic::{Request, Response, Status, Streaming};

use crate::apply::ApplyError;
use crate::pb::etcdserverpb::lease_server::Lease;
use crate::pb::etcdserverpb::{
    LeaseGrantRequest, LeaseGrantResponse, LeaseKeepAliveRequest, LeaseKeepAliveResponse,
    LeaseLeasesRequest, LeaseLeasesResponse, LeaseRevokeRequest, LeaseRevokeResponse,
    LeaseTimeToLiveRequest, LeaseTimeToLiveResponse,
};
use crate::server::{Error, EtcdServer};

/// The Lease service.
pub struct LeaseService {
    server: Arc<EtcdServer>,
}

impl LeaseService {
    /// Wraps the server.
    pub fn new(server: Arc<EtcdServer>) -> LeaseService {
        LeaseService { server }
    }
}

type KeepAliveStream = Pin<Box<dyn Stream<Item = Result<LeaseKeepAliveResponse, Status>> + Send>>;

#[tonic::async_trait]
impl Lease for LeaseService {
    async fn lease_grant(
        &self,
        request: Request<LeaseGrantRequest>,
    ) -> Result<Response<LeaseGrantResponse>, Status> {
        // No permission check (as etcd 3.4), but a bad token is refused like any proposal's.
        super::interceptor::caller(&self.server, &request)?;
        Ok(Response::new(
            self.server.lease_grant(request.into_inner()).await?,
        ))
    }

    async fn lease_revoke(
        &self,
        request: Request<LeaseRevokeRequest>,
    ) -> Result<Response<LeaseRevokeResponse>, Status> {
        let caller = super::interceptor::caller(&self.server, &request)?;
        Ok(Response::new(
            self.server
                .lease_revoke(request.into_inner(), &caller)
                .await?,
        ))
    }

    async fn lease_keep_alive(
        &self,
        request: Request<Streaming<LeaseKeepAliveRequest>>,
    ) -> Result<Response<KeepAliveStream>, Status> {
        let server = self.server.clone();
        let mut inbound = request.into_inner();
        let out = async_stream_from(move |tx| async move {
            while let Some(msg) = inbound.next().await {
                let req = match msg {
                    Ok(r) => r,
                    Err(_) => return,
                };
                // The header is taken before the renewal, as etcd does.
                let header = server.header(server.current_revision());
                let ttl = match server.lease_keep_alive(req.id).await {
                    Ok(ttl) => ttl,
                    Err(Error::Apply(ApplyError::LeaseNotFound)) => 0,
                    Err(e) => {
                        let _ = tx.send(Err(Status::from(e))).await;
                        return;
                    }
                };
                let resp = LeaseKeepAliveResponse {
                    header: Some(header),
                    id: req.id,
                    ttl,
                };
                if tx.send(Ok(resp)).await.is_err() {
                    return;
                }
            }
        });
        Ok(Response::new(out))
    }

    async fn lease_time_to_live(
        &self,
        request: Request<LeaseTimeToLiveRequest>,
    ) -> Result<Response<LeaseTimeToLiveResponse>, Status> {
        let req = request.into_inner();
        let id = req.id;
        match self.server.lease_time_to_live(req).await {
            Ok(r) => Ok(Response::new(r)),
            Err(Error::Apply(ApplyError::LeaseNotFound)) => {
                Ok(Response::new(LeaseTimeToLiveResponse {
                    header: Some(self.server.header(self.server.current_revision())),
                    id,
                    ttl: -1,
                    granted_ttl: 0,
                    keys: Vec::new(),
                }))
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn lease_leases(
        &self,
        _request: Request<LeaseLeasesRequest>,
    ) -> Result<Response<LeaseLeasesResponse>, Status> {
        Ok(Response::new(self.server.lease_leases().await?))
    }
}

/// Runs `f` as a task feeding a bounded channel and returns the channel as a stream.
pub(crate) fn async_stream_from<T, F, Fut>(
    f: F,
) -> Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>
where
    T: Send + 'static,
    F: FnOnce(tokio::sync::mpsc::Sender<Result<T, Status>>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel(64);
    tokio::spawn(f(tx));
    Box::pin(tokio_stream::wrappers::ReceiverStream::new(rx))
}
