//! etcd's L7 gRPC proxy (`etcd grpc-proxy start`): a stateless front for a cluster that serves
//! the v3 API itself and forwards through one [`Client`] (endpoint failover included).
//!
//! - KV, Lease (keep-alive streams forwarded one to one), Cluster `MemberList` and Maintenance
//!   `Status` / `HashKV` / `Alarm` are forwarded; the cluster's response headers pass through.
//!   Other methods answer Unimplemented.
//! - Watch coalesces ([`watch`]): identical watches from any number of client streams share one
//!   upstream watcher.
//! - `--namespace` prefixes every key on the way in and strips it on the way out ([`namespace`]).
//! - `GET /metrics` on the same port reports the coalescing gauges.
//!
//! Depends on: client, pb, and `serve` (the accept loop shared with the member's client port).

pub mod namespace;
pub mod watch;

use std::future::Future;
use std::sync::Arc;

use futures::StreamExt;
use tokio::net::TcpListener;
use tonic::{Request, Response, Status, Streaming};

use crate::client::{self, Client};
use crate::pb::etcdserverpb::{
    cluster_server::{Cluster, ClusterServer},
    kv_server::{Kv, KvServer},
    lease_server::{Lease, LeaseServer},
    maintenance_server::{Maintenance, MaintenanceServer},
    watch_server::WatchServer,
    AlarmRequest, AlarmResponse, CompactionRequest, CompactionResponse, DeleteRangeRequest,
    DeleteRangeResponse, HashKvRequest, HashKvResponse, LeaseGrantRequest, LeaseGrantResponse,
    LeaseKeepAliveRequest, LeaseKeepAliveResponse, LeaseLeasesRequest, LeaseLeasesResponse,
    LeaseRevokeRequest, LeaseRevokeResponse, LeaseTimeToLiveRequest, LeaseTimeToLiveResponse,
    MemberListRequest, MemberListResponse, PutRequest, PutResponse, RangeRequest, RangeResponse,
    StatusRequest, StatusResponse, TxnRequest, TxnResponse,
};
use namespace::Namespace;

/// A boxed response stream of a streaming method (what the generated server traits expect).
type BoxStream<T> = std::pin::Pin<Box<dyn futures::Stream<Item = Result<T, Status>> + Send>>;

/// A client error as the status the proxy answers with: a cluster status passes through
/// unchanged, an unreachable cluster is `Unavailable`.
pub fn to_status(e: client::Error) -> Status {
    match e {
        client::Error::Grpc { code, message } | client::Error::Authentication { code, message } => {
            Status::new(code, message)
        }
        other => Status::unavailable(other.to_string()),
    }
}

/// What every proxied service shares: the upstream client and the namespace.
#[derive(Debug, Clone)]
pub struct Proxy {
    client: Arc<Client>,
    ns: Namespace,
}

impl Proxy {
    /// A proxy forwarding through `client`, under `namespace` (empty: none).
    pub fn new(client: Arc<Client>, namespace: &str) -> Self {
        Proxy {
            client,
            ns: Namespace::new(namespace.as_bytes().to_vec()),
        }
    }
}

#[tonic::async_trait]
impl Kv for Proxy {
    async fn range(&self, req: Request<RangeRequest>) -> Result<Response<RangeResponse>, Status> {
        let mut resp = self
            .client
            .range(self.ns.range(req.into_inner()))
            .await
            .map_err(to_status)?;
        self.ns.range_resp(&mut resp);
        Ok(Response::new(resp))
    }

    async fn put(&self, req: Request<PutRequest>) -> Result<Response<PutResponse>, Status> {
        let mut resp = self
            .client
            .put(self.ns.put(req.into_inner()))
            .await
            .map_err(to_status)?;
        self.ns.put_resp(&mut resp);
        Ok(Response::new(resp))
    }

    async fn delete_range(
        &self,
        req: Request<DeleteRangeRequest>,
    ) -> Result<Response<DeleteRangeResponse>, Status> {
        let mut resp = self
            .client
            .delete_range(self.ns.delete(req.into_inner()))
            .await
            .map_err(to_status)?;
        self.ns.delete_resp(&mut resp);
        Ok(Response::new(resp))
    }

    async fn txn(&self, req: Request<TxnRequest>) -> Result<Response<TxnResponse>, Status> {
        let mut resp = self
            .client
            .txn(self.ns.txn(req.into_inner()))
            .await
            .map_err(to_status)?;
        self.ns.txn_resp(&mut resp);
        Ok(Response::new(resp))
    }

    async fn compact(
        &self,
        req: Request<CompactionRequest>,
    ) -> Result<Response<CompactionResponse>, Status> {
        self.client
            .compact(req.into_inner())
            .await
            .map(Response::new)
            .map_err(to_status)
    }
}

#[tonic::async_trait]
impl Lease for Proxy {
    async fn lease_grant(
        &self,
        req: Request<LeaseGrantRequest>,
    ) -> Result<Response<LeaseGrantResponse>, Status> {
        let r = req.into_inner();
        self.client
            .lease_grant(r.ttl, r.id)
            .await
            .map(Response::new)
            .map_err(to_status)
    }

    async fn lease_revoke(
        &self,
        req: Request<LeaseRevokeRequest>,
    ) -> Result<Response<LeaseRevokeResponse>, Status> {
        self.client
            .lease_revoke(req.into_inner().id)
            .await
            .map(Response::new)
            .map_err(to_status)
    }

    async fn lease_time_to_live(
        &self,
        req: Request<LeaseTimeToLiveRequest>,
    ) -> Result<Response<LeaseTimeToLiveResponse>, Status> {
        let r = req.into_inner();
        let mut resp = self
            .client
            .lease_time_to_live(r.id, r.keys)
            .await
            .map_err(to_status)?;
        if !self.ns.prefix().is_empty() {
            resp.keys.retain(|k| k.starts_with(self.ns.prefix()));
            resp.keys.iter_mut().for_each(|k| self.ns.strip(k));
        }
        Ok(Response::new(resp))
    }

    async fn lease_leases(
        &self,
        _req: Request<LeaseLeasesRequest>,
    ) -> Result<Response<LeaseLeasesResponse>, Status> {
        self.client
            .lease_leases()
            .await
            .map(Response::new)
            .map_err(to_status)
    }

    async fn lease_keep_alive(
        &self,
        req: Request<Streaming<LeaseKeepAliveRequest>>,
    ) -> Result<Response<BoxStream<LeaseKeepAliveResponse>>, Status> {
        let inbound = req
            .into_inner()
            .take_while(|r| futures::future::ready(r.is_ok()))
            .filter_map(|r| futures::future::ready(r.ok()));
        let upstream = self
            .client
            .lease_keep_alive_stream(inbound)
            .await
            .map_err(to_status)?;
        Ok(Response::new(Box::pin(
            upstream.map(|r| r.map_err(to_status)),
        )))
    }
}

#[tonic::async_trait]
impl Cluster for Proxy {
    async fn member_list(
        &self,
        req: Request<MemberListRequest>,
    ) -> Result<Response<MemberListResponse>, Status> {
        self.client
            .member_list(req.into_inner())
            .await
            .map(Response::new)
            .map_err(to_status)
    }
}

#[tonic::async_trait]
impl Maintenance for Proxy {
    async fn status(
        &self,
        _req: Request<StatusRequest>,
    ) -> Result<Response<StatusResponse>, Status> {
        self.client
            .status()
            .await
            .map(Response::new)
            .map_err(to_status)
    }

    async fn hash_kv(
        &self,
        req: Request<HashKvRequest>,
    ) -> Result<Response<HashKvResponse>, Status> {
        self.client
            .hash_kv(req.into_inner().revision)
            .await
            .map(Response::new)
            .map_err(to_status)
    }

    async fn alarm(&self, req: Request<AlarmRequest>) -> Result<Response<AlarmResponse>, Status> {
        self.client
            .alarm(req.into_inner())
            .await
            .map(Response::new)
            .map_err(to_status)
    }
}

/// The proxy's router: the gRPC services plus `GET /metrics`.
pub fn router(proxy: Proxy) -> axum::Router {
    let hub = Arc::new(watch::WatchHub::new(proxy.client.clone()));
    let metrics_hub = hub.clone();
    let routes = tonic::service::Routes::new(
        KvServer::new(proxy.clone()).max_encoding_message_size(usize::MAX),
    )
    .add_service(WatchServer::new(watch::WatchProxy::new(
        hub,
        proxy.ns.clone(),
    )))
    .add_service(LeaseServer::new(proxy.clone()))
    .add_service(ClusterServer::new(proxy.clone()))
    .add_service(MaintenanceServer::new(proxy).max_encoding_message_size(usize::MAX));
    routes.into_axum_router().route(
        "/metrics",
        axum::routing::get(move || {
            let hub = metrics_hub.clone();
            async move { hub.metrics_text() }
        }),
    )
}

/// Serves the proxy on a pre-bound listener (h2c and HTTP/1 on one port) until `shutdown`
/// completes; in-flight connections get up to 5 s to finish.
///
/// # Errors
/// None today: accept errors are logged and the loop goes on.
pub async fn serve(
    listener: TcpListener,
    proxy: Proxy,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    crate::serve::serve_router(listener, router(proxy), shutdown, None).await
}
