//! The Lease service through the proxy (etcd's `grpcproxy/lease.go`): unary methods are
//! forwarded with the caller's metadata. Keep-alives coalesce ([`LeaseHub`]): every client
//! stream sending with the same auth token (or none) shares one upstream keep-alive stream,
//! and concurrent keep-alives of one lease are sent upstream once, the answer (with its TTL)
//! going to every client that asked. Lease IDs are cluster-wide (no namespace); `TimeToLive` keys leave
//! the namespace and keys outside it are hidden.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};

use super::{BoxStream, Caller, Proxy};
use crate::pb::etcdserverpb::{
    lease_client::LeaseClient, lease_server::Lease, LeaseGrantRequest, LeaseGrantResponse,
    LeaseKeepAliveRequest, LeaseKeepAliveResponse, LeaseLeasesRequest, LeaseLeasesResponse,
    LeaseRevokeRequest, LeaseRevokeResponse, LeaseTimeToLiveRequest, LeaseTimeToLiveResponse,
};

/// Bound on waiting for the cluster's answer to one keep-alive.
const KEEP_ALIVE_WAIT: Duration = Duration::from_secs(30);

/// An upstream stream nobody renewed through for this long is closed (tokens differ per
/// login, so streams would otherwise pile up).
const IDLE_CLOSE: Duration = Duration::from_secs(60);

/// A pending keep-alive's answer.
type Waiter = oneshot::Sender<Result<LeaseKeepAliveResponse, Status>>;

/// One upstream keep-alive stream and the client keep-alives waiting on it, by lease ID.
#[derive(Debug)]
struct Upstream {
    tx: mpsc::Sender<LeaseKeepAliveRequest>,
    waiters: Mutex<HashMap<i64, Vec<Waiter>>>,
}

/// The shared upstream keep-alive streams of one proxy, one per auth token.
#[derive(Debug)]
pub struct LeaseHub {
    client: Arc<crate::client::Client>,
    streams: Mutex<HashMap<Vec<u8>, Arc<Upstream>>>,
}

impl LeaseHub {
    /// A hub renewing through `client`.
    pub fn new(client: Arc<crate::client::Client>) -> Self {
        LeaseHub {
            client,
            streams: Mutex::new(HashMap::new()),
        }
    }

    /// Upstream keep-alive streams open to the cluster.
    pub fn upstream_streams(&self) -> u64 {
        self.streams.lock().map(|s| s.len() as u64).unwrap_or(0)
    }

    /// Renews lease `id` for `caller`: the answer arrives on the returned receiver. A
    /// keep-alive of the same lease already on its way upstream answers this one too.
    ///
    /// # Errors
    /// The cluster refused or could not open the upstream stream.
    async fn keep_alive(
        self: &Arc<Self>,
        caller: &Caller,
        id: i64,
    ) -> Result<oneshot::Receiver<Result<LeaseKeepAliveResponse, Status>>, Status> {
        let up = self.upstream(caller).await?;
        let (tx, rx) = oneshot::channel();
        let first = match up.waiters.lock() {
            Ok(mut w) => {
                let list = w.entry(id).or_default();
                list.push(tx);
                list.len() == 1
            }
            Err(_) => return Err(Status::internal("lease hub poisoned")),
        };
        if first && up.tx.send(LeaseKeepAliveRequest { id }).await.is_err() {
            self.forget(caller.token_bytes(), &up);
            return Err(Status::unavailable(
                "lease keep-alive stream to the cluster closed",
            ));
        }
        Ok(rx)
    }

    fn forget(&self, token: &[u8], up: &Arc<Upstream>) {
        if let Ok(mut s) = self.streams.lock() {
            if s.get(token).is_some_and(|cur| Arc::ptr_eq(cur, up)) {
                s.remove(token);
            }
        }
    }

    /// The upstream stream of `caller`'s token, opened when there is none.
    async fn upstream(self: &Arc<Self>, caller: &Caller) -> Result<Arc<Upstream>, Status> {
        let token = caller.token_bytes().to_vec();
        if let Some(up) = self
            .streams
            .lock()
            .ok()
            .and_then(|s| s.get(&token).cloned())
        {
            if !up.tx.is_closed() {
                return Ok(up);
            }
        }
        let (tx, rx) = mpsc::channel(64);
        let ch = self
            .client
            .forward_channel()
            .await
            .map_err(super::to_status)?;
        let mut stream = match LeaseClient::new(ch)
            .lease_keep_alive(caller.request(ReceiverStream::new(rx)))
            .await
        {
            Ok(s) => s.into_inner(),
            Err(s) => {
                if s.code() == tonic::Code::Unavailable {
                    self.client.forward_failed().await;
                }
                return Err(s);
            }
        };
        let up = Arc::new(Upstream {
            tx,
            waiters: Mutex::new(HashMap::new()),
        });
        if let Ok(mut s) = self.streams.lock() {
            s.insert(token.clone(), up.clone());
        }
        let hub = self.clone();
        let reader = up.clone();
        tokio::spawn(async move {
            let failure = loop {
                let next = tokio::time::timeout(IDLE_CLOSE, stream.message()).await;
                let Ok(next) = next else {
                    let idle = reader.waiters.lock().map(|w| w.is_empty()).unwrap_or(true);
                    if idle {
                        break Status::unavailable("idle lease keep-alive stream closed");
                    }
                    continue;
                };
                match next {
                    Ok(Some(resp)) => {
                        let waiting = reader
                            .waiters
                            .lock()
                            .ok()
                            .and_then(|mut w| w.remove(&resp.id))
                            .unwrap_or_default();
                        for w in waiting {
                            let _ = w.send(Ok(resp));
                        }
                    }
                    Ok(None) => break Status::unavailable("lease keep-alive stream closed"),
                    Err(s) => break s,
                }
            };
            hub.forget(&token, &reader);
            let waiting: Vec<Waiter> = reader
                .waiters
                .lock()
                .map(|mut w| w.drain().flat_map(|(_, v)| v).collect())
                .unwrap_or_default();
            for w in waiting {
                let _ = w.send(Err(failure.clone()));
            }
        });
        Ok(up)
    }
}

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
        let mut inbound = req.into_inner();
        let hub = self.leases.clone();
        let (out, out_rx) = mpsc::channel::<Result<LeaseKeepAliveResponse, Status>>(64);
        tokio::spawn(async move {
            loop {
                let msg = tokio::select! {
                    m = inbound.message() => m,
                    _ = out.closed() => break,
                };
                let id = match msg {
                    Ok(Some(r)) => r.id,
                    Ok(None) | Err(_) => break,
                };
                let rx = match hub.keep_alive(&caller, id).await {
                    Ok(rx) => rx,
                    Err(s) => {
                        let _ = out.send(Err(s)).await;
                        break;
                    }
                };
                let out = out.clone();
                tokio::spawn(async move {
                    let answer = match tokio::time::timeout(KEEP_ALIVE_WAIT, rx).await {
                        Ok(Ok(Ok(resp))) => Ok(resp),
                        Ok(Ok(Err(s))) => Err(s),
                        Ok(Err(_)) | Err(_) => Err(Status::unavailable(
                            "lease keep-alive stream to the cluster closed",
                        )),
                    };
                    let _ = out.send(answer).await;
                });
            }
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(out_rx))))
    }
}
