//! Watch with coalescing (etcd's `grpcproxy/watch_broadcast*.go`).
//!
//! Client watches that start "now" (start revision 0, no progress notifications, no
//! fragmenting) and ask for the same key, range end, filters and `prev_kv` share one upstream
//! watcher: a [`Group`] whose responses are broadcast to every subscriber. Each client stream
//! keeps its own watch IDs; the proxy rewrites them on the way out. Any other watch gets an
//! upstream watcher of its own. The last subscriber leaving a group cancels its upstream
//! watcher.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::{broadcast, mpsc};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};

use super::namespace::Namespace;
use super::{BoxStream, Caller};
use crate::client::Client;
use crate::pb::etcdserverpb::{
    kv_client::KvClient, watch_client::WatchClient, watch_request::RequestUnion,
    watch_server::Watch, RangeRequest, ResponseHeader, WatchCreateRequest, WatchRequest,
    WatchResponse,
};

/// Responses a slow subscriber may fall behind before it is cancelled.
const BROADCAST_CAPACITY: usize = 1024;

/// What makes two watches the same watch (already inside the namespace).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct WatchKey {
    key: Vec<u8>,
    range_end: Vec<u8>,
    filters: Vec<i32>,
    prev_kv: bool,
}

/// The upstream watcher's state as subscribers see it.
#[derive(Debug, Clone)]
enum Upstream {
    /// Not yet created.
    Pending,
    /// Created with this header.
    Created(ResponseHeader),
    /// Creating failed or the cluster refused it: the cancel reason clients get.
    Failed(String),
}

/// One upstream watcher and its subscribers.
#[derive(Debug)]
struct Group {
    /// Event and cancel responses of the upstream watcher.
    tx: broadcast::Sender<Arc<WatchResponse>>,
    state: tokio::sync::watch::Receiver<Upstream>,
    task: tokio::task::AbortHandle,
    /// The metadata the upstream watcher (re)opens with: the newest subscriber's.
    caller: Arc<Mutex<Caller>>,
    /// Subscriber count; changed only under the hub's map lock.
    subscribers: usize,
}

/// The shared upstream watchers of one proxy.
#[derive(Debug)]
pub struct WatchHub {
    client: Arc<Client>,
    ns: Namespace,
    /// See [`WatchHub::events_coalescing`]; shared with the upstream tasks.
    events_coalescing: Arc<AtomicU64>,
    groups: Mutex<HashMap<WatchKey, Group>>,
    /// Upstream watchers of non-coalescable watches.
    solo: AtomicU64,
}

/// One client watch's membership in a group; leaving (drop) cancels the upstream watcher of
/// the last member.
struct Subscription {
    hub: Arc<WatchHub>,
    /// `None`: a solo watcher (its task is aborted on drop).
    key: Option<WatchKey>,
    solo_task: Option<tokio::task::AbortHandle>,
    rx: broadcast::Receiver<Arc<WatchResponse>>,
    state: tokio::sync::watch::Receiver<Upstream>,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if let Some(task) = &self.solo_task {
            task.abort();
            self.hub.solo.fetch_sub(1, Ordering::Relaxed);
        }
        if let Some(key) = &self.key {
            if let Ok(mut groups) = self.hub.groups.lock() {
                let last = match groups.get_mut(key) {
                    Some(g) if self.state.same_channel(&g.state) => {
                        g.subscribers = g.subscribers.saturating_sub(1);
                        g.subscribers == 0
                    }
                    _ => false,
                };
                if last {
                    if let Some(g) = groups.remove(key) {
                        g.task.abort();
                    }
                }
            }
        }
    }
}

/// How long an upstream watcher that lost its member keeps trying to resume on another
/// before its subscribers are cancelled.
const RESUME_WINDOW: std::time::Duration = std::time::Duration::from_secs(30);

/// Runs one upstream watcher: publishes its creation in `state`, broadcasts its responses,
/// and ends on a cancel from the cluster. When the stream breaks (member down) it resumes
/// on the next endpoint from the revision after the last one delivered, with the newest
/// subscriber's metadata (`caller`), so subscribers see neither a gap nor the failure (as
/// etcd's proxy hides endpoint failures); after [`RESUME_WINDOW`] of failures, subscribers
/// get a cancel.
async fn run_upstream(
    client: Arc<Client>,
    caller: Arc<Mutex<Caller>>,
    req: WatchCreateRequest,
    tx: broadcast::Sender<Arc<WatchResponse>>,
    state: tokio::sync::watch::Sender<Upstream>,
    events_coalescing: Arc<AtomicU64>,
) {
    let mut last_header = ResponseHeader::default();
    // 0 until created: the revision to resume from afterwards.
    let mut next_rev = 0i64;
    let mut failing_since: Option<tokio::time::Instant> = None;
    let mut last_failure = String::from("watch closed by the cluster");
    loop {
        if failing_since.is_some_and(|t| t.elapsed() >= RESUME_WINDOW) {
            break;
        }
        let mut r = req.clone();
        if next_rev > 0 {
            r.start_revision = next_rev;
        }
        let who = caller.lock().map(|c| c.clone()).unwrap_or_default();
        let mut stream = match open_upstream(&client, &who, r).await {
            Ok(s) => s,
            Err(s) if next_rev == 0 => {
                let _ = state.send(Upstream::Failed(go_status_text(&s)));
                return;
            }
            Err(s) => {
                last_failure = go_status_text(&s);
                failing_since.get_or_insert_with(tokio::time::Instant::now);
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                continue;
            }
        };
        loop {
            match stream.message().await {
                Ok(Some(resp)) if resp.created => {
                    if resp.canceled {
                        if next_rev == 0 {
                            let _ = state.send(Upstream::Failed(resp.cancel_reason.clone()));
                            return;
                        }
                        // Refused on resumption (e.g. the token expired): subscribers hear it.
                        let _ = tx.send(Arc::new(WatchResponse {
                            header: resp.header.or(Some(last_header)),
                            canceled: true,
                            cancel_reason: resp.cancel_reason.clone(),
                            ..Default::default()
                        }));
                        return;
                    }
                    failing_since = None;
                    if next_rev == 0 {
                        if let Some(h) = &resp.header {
                            last_header = *h;
                        }
                        // A watch from a past revision resumes from there until its
                        // events arrive; one from "now" after the creation revision.
                        next_rev = if req.start_revision > 0 {
                            req.start_revision
                        } else {
                            last_header.revision + 1
                        };
                        let _ = state.send(Upstream::Created(last_header));
                    }
                }
                Ok(Some(resp)) => {
                    if let Some(h) = &resp.header {
                        last_header = *h;
                    }
                    if let Some(rev) = resp
                        .events
                        .iter()
                        .filter_map(|e| e.kv.as_ref())
                        .map(|kv| kv.mod_revision)
                        .max()
                    {
                        next_rev = next_rev.max(rev + 1);
                    }
                    let canceled = resp.canceled;
                    let extra = tx.receiver_count().saturating_sub(1) as u64;
                    events_coalescing
                        .fetch_add(extra * resp.events.len() as u64, Ordering::Relaxed);
                    let _ = tx.send(Arc::new(resp));
                    if canceled {
                        return;
                    }
                }
                Ok(None) | Err(_) => {
                    // The member went away: resume on the next endpoint.
                    client.forward_failed().await;
                    failing_since.get_or_insert_with(tokio::time::Instant::now);
                    break;
                }
            }
        }
    }
    let _ = state.send(Upstream::Failed(last_failure.clone()));
    let _ = tx.send(Arc::new(WatchResponse {
        header: Some(last_header),
        canceled: true,
        cancel_reason: last_failure,
        ..Default::default()
    }));
}

/// A status as grpc-go prints it (`rpc error: code = X desc = msg`), the form etcd puts in
/// a watch's cancel reason.
fn go_status_text(s: &Status) -> String {
    format!("rpc error: code = {:?} desc = {}", s.code(), s.message())
}

/// Whether `caller` may read the range of `c` (already inside the namespace): a serializable
/// count-only range with the caller's metadata. A client joining a shared upstream watcher
/// is checked this way, so it never receives events it could not read itself.
///
/// # Errors
/// The cluster's refusal (permission denied, invalid token) as a watch cancel reason.
async fn probe_permission(
    client: &Client,
    caller: &Caller,
    c: &WatchCreateRequest,
) -> Result<(), String> {
    let req = RangeRequest {
        key: c.key.clone(),
        range_end: c.range_end.clone(),
        limit: 1,
        serializable: true,
        count_only: true,
        ..Default::default()
    };
    let r = client
        .forward(Some(std::time::Duration::from_secs(5)), |ch| {
            let r = caller.request(req.clone());
            async move { KvClient::new(ch).range(r).await }
        })
        .await;
    match r {
        Ok(_) => Ok(()),
        Err(e) => {
            let s = super::to_status(e);
            match s.code() {
                tonic::Code::PermissionDenied
                | tonic::Code::Unauthenticated
                | tonic::Code::InvalidArgument
                | tonic::Code::FailedPrecondition => Err(go_status_text(&s)),
                // The cluster is unreachable: the upstream watcher reports that itself.
                _ => Ok(()),
            }
        }
    }
}

/// Opens one upstream watch stream with `caller`'s metadata (`hasleader` forced on, as
/// etcd's proxy watches with `WithRequireLeader`) and sends the create request.
async fn open_upstream(
    client: &Client,
    caller: &Caller,
    req: WatchCreateRequest,
) -> Result<Streaming<WatchResponse>, Status> {
    let ch = client.forward_channel().await.map_err(super::to_status)?;
    let (tx, rx) = mpsc::channel(1);
    let first = WatchRequest {
        request_union: Some(RequestUnion::CreateRequest(req)),
    };
    tx.send(first)
        .await
        .map_err(|_| Status::cancelled("watch stream closed"))?;
    let mut request = caller.request(ReceiverStream::new(rx));
    request.metadata_mut().insert(
        crate::rpctypes::METADATA_REQUIRE_LEADER_KEY,
        tonic::metadata::MetadataValue::from_static("true"),
    );
    // The sender lives as long as the stream: dropping it would half-close the watch.
    let stream = WatchClient::new(ch)
        .max_decoding_message_size(usize::MAX)
        .watch(request)
        .await;
    match stream {
        Ok(s) => {
            tokio::spawn(async move {
                tx.closed().await;
            });
            Ok(s.into_inner())
        }
        Err(s) => {
            if s.code() == tonic::Code::Unavailable {
                client.forward_failed().await;
            }
            Err(s)
        }
    }
}

impl WatchHub {
    /// A hub watching through `client`, for clients under namespace `ns`.
    pub fn new(client: Arc<Client>, ns: Namespace) -> Self {
        WatchHub {
            client,
            ns,
            events_coalescing: Arc::new(AtomicU64::new(0)),
            groups: Mutex::new(HashMap::new()),
            solo: AtomicU64::new(0),
        }
    }

    fn spawn(
        &self,
        caller: &Caller,
        req: WatchCreateRequest,
    ) -> (Group, broadcast::Receiver<Arc<WatchResponse>>) {
        let (tx, rx) = broadcast::channel(BROADCAST_CAPACITY);
        let (state_tx, state) = tokio::sync::watch::channel(Upstream::Pending);
        let shared_caller = Arc::new(Mutex::new(caller.clone()));
        let task = tokio::spawn(run_upstream(
            self.client.clone(),
            shared_caller.clone(),
            req,
            tx.clone(),
            state_tx,
            self.events_coalescing.clone(),
        ))
        .abort_handle();
        (
            Group {
                tx,
                state,
                task,
                caller: shared_caller,
                subscribers: 1,
            },
            rx,
        )
    }

    /// Joins (or starts) the upstream watcher for `req` (already inside the namespace).
    fn subscribe(
        self: &Arc<Self>,
        caller: &Caller,
        mut req: WatchCreateRequest,
    ) -> Result<Subscription, Status> {
        req.watch_id = 0;
        let coalescable = req.start_revision == 0 && !req.progress_notify && !req.fragment;
        if !coalescable {
            let (g, rx) = self.spawn(caller, req);
            self.solo.fetch_add(1, Ordering::Relaxed);
            return Ok(Subscription {
                hub: self.clone(),
                key: None,
                solo_task: Some(g.task),
                rx,
                state: g.state,
            });
        }
        let key = WatchKey {
            key: req.key.clone(),
            range_end: req.range_end.clone(),
            filters: req.filters.clone(),
            prev_kv: req.prev_kv,
        };
        let mut groups = self
            .groups
            .lock()
            .map_err(|_| Status::internal("watch hub poisoned"))?;
        // A group whose upstream has ended is replaced.
        if groups.get(&key).is_some_and(|g| g.task.is_finished()) {
            groups.remove(&key);
        }
        let (rx, state) = match groups.get_mut(&key) {
            Some(g) => {
                g.subscribers += 1;
                if let Ok(mut c) = g.caller.lock() {
                    *c = caller.clone();
                }
                (g.tx.subscribe(), g.state.clone())
            }
            None => {
                let (g, rx) = self.spawn(caller, req);
                let state = g.state.clone();
                groups.insert(key.clone(), g);
                (rx, state)
            }
        };
        Ok(Subscription {
            hub: self.clone(),
            key: Some(key),
            solo_task: None,
            rx,
            state,
        })
    }

    /// Client watches sharing another's upstream watcher (etcd's
    /// `etcd_grpc_proxy_watchers_coalescing_total`).
    pub fn coalescing(&self) -> u64 {
        self.groups
            .lock()
            .map(|g| {
                g.values()
                    .map(|g| g.subscribers.saturating_sub(1) as u64)
                    .sum()
            })
            .unwrap_or(0)
    }

    /// Upstream watchers open to the cluster.
    pub fn upstream_watchers(&self) -> u64 {
        self.groups.lock().map(|g| g.len() as u64).unwrap_or(0) + self.solo.load(Ordering::Relaxed)
    }

    /// Events delivered to more than one client by one upstream watcher, counted once per
    /// extra client (etcd's `etcd_grpc_proxy_events_coalescing_total`).
    pub fn events_coalescing(&self) -> u64 {
        self.events_coalescing.load(Ordering::Relaxed)
    }
}

/// The `Watch` service of the proxy.
#[derive(Debug)]
pub struct WatchProxy {
    hub: Arc<WatchHub>,
}

impl WatchProxy {
    /// A watch service over `hub`.
    pub fn new(hub: Arc<WatchHub>) -> Self {
        WatchProxy { hub }
    }
}

/// Forwards one client watch: waits for the upstream creation, answers `created` with the
/// client's `id`, then relays events (IDs rewritten, namespace stripped) until a cancel.
async fn forward(
    mut sub: Subscription,
    id: i64,
    ns: Namespace,
    out: mpsc::Sender<Result<WatchResponse, Status>>,
    last_header: Arc<Mutex<ResponseHeader>>,
) {
    let state = match sub
        .state
        .wait_for(|s| !matches!(s, Upstream::Pending))
        .await
    {
        Ok(s) => s.clone(),
        Err(_) => Upstream::Failed("watch closed by the cluster".into()),
    };
    let header = match state {
        Upstream::Created(h) => h,
        Upstream::Failed(reason) => {
            let header = last_header.lock().map(|h| *h).unwrap_or_default();
            let _ = out
                .send(Ok(WatchResponse {
                    header: Some(header),
                    watch_id: id,
                    created: true,
                    canceled: true,
                    cancel_reason: reason,
                    ..Default::default()
                }))
                .await;
            return;
        }
        Upstream::Pending => return,
    };
    if let Ok(mut h) = last_header.lock() {
        *h = header;
    }
    let created = WatchResponse {
        header: Some(header),
        watch_id: id,
        created: true,
        ..Default::default()
    };
    if out.send(Ok(created)).await.is_err() {
        return;
    }
    loop {
        let resp = match sub.rx.recv().await {
            Ok(r) => (*r).clone(),
            Err(broadcast::error::RecvError::Lagged(_))
            | Err(broadcast::error::RecvError::Closed) => WatchResponse {
                header: Some(last_header.lock().map(|h| *h).unwrap_or_default()),
                canceled: true,
                cancel_reason: "watcher fell behind the proxy's broadcast".into(),
                ..Default::default()
            },
        };
        let mut resp = resp;
        resp.watch_id = id;
        resp.events.iter_mut().for_each(|e| ns.strip_event(e));
        if let (Some(h), Ok(mut last)) = (&resp.header, last_header.lock()) {
            *last = *h;
        }
        let canceled = resp.canceled;
        if out.send(Ok(resp)).await.is_err() || canceled {
            return;
        }
    }
}

#[tonic::async_trait]
impl Watch for WatchProxy {
    async fn watch(
        &self,
        req: Request<Streaming<WatchRequest>>,
    ) -> Result<Response<BoxStream<WatchResponse>>, Status> {
        let caller = Caller::of(&req);
        let mut inbound = req.into_inner();
        let (out, out_rx) = mpsc::channel::<Result<WatchResponse, Status>>(128);
        let hub = self.hub.clone();
        let ns = self.hub.ns.clone();
        tokio::spawn(async move {
            let last_header = Arc::new(Mutex::new(ResponseHeader::default()));
            let mut next_id = 0i64;
            let mut watchers: HashMap<i64, tokio::task::JoinHandle<()>> = HashMap::new();
            loop {
                let msg = tokio::select! {
                    m = inbound.message() => m,
                    _ = out.closed() => break,
                };
                let union = match msg {
                    Ok(Some(WatchRequest {
                        request_union: Some(u),
                    })) => u,
                    Ok(Some(_)) => continue,
                    Ok(None) | Err(_) => break,
                };
                watchers.retain(|_, h| !h.is_finished());
                match union {
                    RequestUnion::CreateRequest(mut c) => {
                        let id = if c.watch_id != 0 {
                            c.watch_id
                        } else {
                            while watchers.contains_key(&next_id) {
                                next_id += 1;
                            }
                            next_id
                        };
                        c.key = ns.key(&c.key);
                        c.range_end = ns.range_end(&c.range_end);
                        let coalescable =
                            c.start_revision == 0 && !c.progress_notify && !c.fragment;
                        if coalescable {
                            if let Err(reason) = probe_permission(&hub.client, &caller, &c).await {
                                let header = last_header.lock().map(|h| *h).unwrap_or_default();
                                let resp = WatchResponse {
                                    header: Some(header),
                                    watch_id: -1,
                                    created: true,
                                    canceled: true,
                                    cancel_reason: reason,
                                    ..Default::default()
                                };
                                if out.send(Ok(resp)).await.is_err() {
                                    break;
                                }
                                continue;
                            }
                        }
                        let sub = match hub.subscribe(&caller, c) {
                            Ok(s) => s,
                            Err(e) => {
                                let _ = out.send(Err(e)).await;
                                break;
                            }
                        };
                        let task = tokio::spawn(forward(
                            sub,
                            id,
                            ns.clone(),
                            out.clone(),
                            last_header.clone(),
                        ));
                        watchers.insert(id, task);
                    }
                    RequestUnion::CancelRequest(c) => {
                        if let Some(task) = watchers.remove(&c.watch_id) {
                            task.abort();
                            let header = last_header.lock().map(|h| *h).unwrap_or_default();
                            let resp = WatchResponse {
                                header: Some(header),
                                watch_id: c.watch_id,
                                canceled: true,
                                ..Default::default()
                            };
                            if out.send(Ok(resp)).await.is_err() {
                                break;
                            }
                        }
                    }
                    RequestUnion::ProgressRequest(_) => {}
                }
            }
            for task in watchers.values() {
                task.abort();
            }
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(out_rx))))
    }
}
