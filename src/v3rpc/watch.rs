//! `etcdserverpb.Watch`: one bidirectional stream carries many watchers (etcd's
//! `v3rpc/watch.go`). Inbound requests create, cancel and ask for progress; outbound
//! responses come from the watch hub through one bounded channel per stream, so a slow
//! reader only ever delays itself.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use futures::StreamExt;
use prost::Message;
use tokio::sync::mpsc;
use tonic::{Request, Response, Status, Streaming};

use crate::keys::KeyRange;
use crate::pb::etcdserverpb::watch_create_request::FilterType;
use crate::pb::etcdserverpb::watch_request::RequestUnion;
use crate::pb::etcdserverpb::watch_server::Watch;
use crate::pb::etcdserverpb::{WatchRequest, WatchResponse};
use crate::server::{EtcdServer, WatchableStore, WatcherKey, WatcherSpec};

/// Responses buffered per stream before its watchers become unsynced (victims).
pub const STREAM_BUFFER: usize = 128;

/// etcd's `clientv3.InvalidWatchID`.
const INVALID_WATCH_ID: i64 = -1;
/// How often a deferred progress request checks whether the stream's watchers caught up.
const PROGRESS_RETRY: std::time::Duration = std::time::Duration::from_millis(50);

/// mvcc.ErrWatcherDuplicateID.
const ERR_DUPLICATE_ID: &str = "mvcc: duplicate watch ID provided on the WatchStream";
/// mvcc.ErrEmptyWatcherRange.
const ERR_EMPTY_RANGE: &str = "mvcc: watcher range is empty";

/// The Watch service.
pub struct WatchService {
    server: Arc<EtcdServer>,
}

impl WatchService {
    /// Wraps the server.
    pub fn new(server: Arc<EtcdServer>) -> WatchService {
        WatchService { server }
    }
}

type BoxStream =
    std::pin::Pin<Box<dyn futures::Stream<Item = Result<WatchResponse, Status>> + Send>>;

#[tonic::async_trait]
impl Watch for WatchService {
    async fn watch(
        &self,
        request: Request<Streaming<WatchRequest>>,
    ) -> Result<Response<BoxStream>, Status> {
        let hub = self.server.watch_hub().clone();
        let server = self.server.clone();
        let token = super::interceptor::token(&request);
        let cert_cn = super::interceptor::cert_cn(&request);
        let mut inbound = request.into_inner();
        let (tx, rx) = mpsc::channel::<WatchResponse>(STREAM_BUFFER);
        let fragmenting: Arc<Mutex<HashSet<i64>>> = Arc::default();
        let frag = fragmenting.clone();
        // A request stream that fails (a message over the size limit) fails the watch stream
        // with that status, as grpc-go does, once the outbound responses are drained.
        let (err_tx, err_rx) = tokio::sync::oneshot::channel::<Status>();
        tokio::spawn(async move {
            // etcd's `etcd_debugging_mvcc_watch_stream_total`: up while the stream lives.
            let _stream = crate::observability::metrics()
                .hold_gauge("etcd_debugging_mvcc_watch_stream_total");
            let mut watchers: HashMap<i64, WatcherKey> = HashMap::new();
            let mut next_id: i64 = 0;
            let mut err_tx = Some(err_tx);
            // A progress request that waits for this stream's watchers to catch up.
            let mut progress_deferred = false;
            loop {
                let next = if progress_deferred {
                    tokio::select! {
                        r = inbound.next() => r,
                        () = tokio::time::sleep(PROGRESS_RETRY) => {
                            let keys: Vec<WatcherKey> = watchers.values().copied().collect();
                            progress_deferred =
                                !hub.request_progress_all(&keys, &tx, INVALID_WATCH_ID);
                            continue;
                        }
                    }
                } else {
                    inbound.next().await
                };
                let req = match next {
                    Some(Ok(req)) => req,
                    Some(Err(status)) => {
                        if let Some(t) = err_tx.take() {
                            let _ = t.send(super::interceptor::grpc_go_status(status));
                        }
                        break;
                    }
                    None => break,
                };
                let Some(union) = req.request_union else {
                    continue;
                };
                let ok = match union {
                    RequestUnion::CreateRequest(c) => {
                        if let Some(denied) =
                            watch_denied(&server, token.as_deref(), cert_cn.as_deref(), &c)
                        {
                            let resp = WatchResponse {
                                header: Some(server.header(hub.current_revision())),
                                watch_id: INVALID_WATCH_ID,
                                created: true,
                                canceled: true,
                                cancel_reason: denied,
                                ..Default::default()
                            };
                            tx.send(resp).await.is_ok()
                        } else {
                            create(&hub, &server, &tx, &frag, &mut watchers, &mut next_id, c).await
                        }
                    }
                    RequestUnion::CancelRequest(c) => {
                        if let Some(key) = watchers.remove(&c.watch_id) {
                            hub.cancel(key);
                            if let Ok(mut f) = frag.lock() {
                                f.remove(&c.watch_id);
                            }
                            let resp = WatchResponse {
                                header: Some(server.header(hub.current_revision())),
                                watch_id: c.watch_id,
                                canceled: true,
                                ..Default::default()
                            };
                            tx.send(resp).await.is_ok()
                        } else {
                            true
                        }
                    }
                    RequestUnion::ProgressRequest(_) => {
                        // Answered once every watcher of the stream is synced, so the
                        // notification never runs ahead of catch-up events (etcd #15220).
                        if !progress_deferred {
                            let keys: Vec<WatcherKey> = watchers.values().copied().collect();
                            progress_deferred =
                                !hub.request_progress_all(&keys, &tx, INVALID_WATCH_ID);
                        }
                        !tx.is_closed()
                    }
                };
                if !ok {
                    break;
                }
            }
            for key in watchers.into_values() {
                hub.cancel(key);
            }
        });
        let max_bytes = self.server.config().max_request_bytes as usize;
        let out = tokio_stream::wrappers::ReceiverStream::new(rx).flat_map(move |resp| {
            let split = match fragmenting.lock() {
                Ok(f) => f.contains(&resp.watch_id),
                Err(_) => false,
            };
            let parts = if split {
                fragment(resp, max_bytes)
            } else {
                vec![resp]
            };
            futures::stream::iter(parts.into_iter().map(Ok))
        });
        let failure = futures::stream::once(err_rx).filter_map(|r| async move { r.ok().map(Err) });
        Ok(Response::new(Box::pin(out.chain(failure))))
    }
}

/// etcd's `isWatchPermitted`: the stream's token resolved at create time, read
/// permission on the watched range (a from-key watch, range end `\0`, is checked as its
/// start key alone, as etcd does). Returns the cancel reason when refused: etcd puts the
/// gRPC error's Go text there, `rpc error: code = PermissionDenied desc = etcdserver: ...`.
fn watch_denied(
    server: &EtcdServer,
    token: Option<&str>,
    cert_cn: Option<&str>,
    c: &crate::pb::etcdserverpb::WatchCreateRequest,
) -> Option<String> {
    use crate::rpctypes::WireError;
    let range_end: &[u8] = match KeyRange::new(&c.key[..], &c.range_end[..]) {
        KeyRange::From(_) => &[],
        _ => &c.range_end,
    };
    let r = server
        .caller_from(token, cert_cn)
        .and_then(|caller| server.check_range_permitted(&caller, &c.key, range_end));
    match r {
        Ok(()) => None,
        Err(e) => {
            let w = match e.wire() {
                Some(
                    w @ (WireError::InvalidAuthToken
                    | WireError::AuthOldRevision
                    | WireError::UserEmpty),
                ) => w,
                _ => WireError::PermissionDenied,
            };
            // tonic's code names are Go's for these three codes.
            Some(format!(
                "rpc error: code = {:?} desc = {}",
                w.code(),
                w.message()
            ))
        }
    }
}

/// The keys a watch create request observes: [`KeyRange::new`] after etcd's watch server
/// turns an empty `key` into `"\0"` (so an empty key with range end `"\0"` watches every key).
fn watch_range(key: &[u8], range_end: &[u8]) -> KeyRange {
    let key = if key.is_empty() {
        vec![0]
    } else {
        key.to_vec()
    };
    KeyRange::new(key, range_end.to_vec())
}

/// Handles a create request; false when the stream is gone.
async fn create(
    hub: &Arc<WatchableStore>,
    server: &Arc<EtcdServer>,
    tx: &mpsc::Sender<WatchResponse>,
    frag: &Arc<Mutex<HashSet<i64>>>,
    watchers: &mut HashMap<i64, WatcherKey>,
    next_id: &mut i64,
    c: crate::pb::etcdserverpb::WatchCreateRequest,
) -> bool {
    let range = watch_range(&c.key, &c.range_end);
    let wsrev = hub.current_revision();
    let start = if c.start_revision == 0 {
        wsrev + 1
    } else {
        c.start_revision
    };
    let (id, err) = if range.is_empty() {
        (INVALID_WATCH_ID, Some(ERR_EMPTY_RANGE))
    } else if c.watch_id != 0 {
        if watchers.contains_key(&c.watch_id) {
            (INVALID_WATCH_ID, Some(ERR_DUPLICATE_ID))
        } else {
            (c.watch_id, None)
        }
    } else {
        while watchers.contains_key(next_id) {
            *next_id += 1;
        }
        let id = *next_id;
        *next_id += 1;
        (id, None)
    };
    let created = WatchResponse {
        header: Some(server.header(wsrev)),
        watch_id: id,
        created: true,
        canceled: err.is_some(),
        cancel_reason: err.unwrap_or_default().to_string(),
        ..Default::default()
    };
    if tx.send(created).await.is_err() {
        return false;
    }
    if err.is_some() {
        return true;
    }
    if c.fragment {
        if let Ok(mut f) = frag.lock() {
            f.insert(id);
        }
    }
    let spec = WatcherSpec {
        watch_id: id,
        range,
        no_put: c.filters.contains(&(FilterType::Noput as i32)),
        no_delete: c.filters.contains(&(FilterType::Nodelete as i32)),
        prev_kv: c.prev_kv,
        progress_notify: c.progress_notify,
    };
    let key = hub.watch(spec, start, tx.clone());
    watchers.insert(id, key);
    true
}

/// Splits a response whose encoding exceeds `max_bytes` into fragments (etcd's
/// `sendFragments`): every part but the last has `fragment = true`; each part holds at
/// least one event.
pub fn fragment(resp: WatchResponse, max_bytes: usize) -> Vec<WatchResponse> {
    if resp.encoded_len() <= max_bytes || resp.events.len() < 2 {
        return vec![resp];
    }
    let mut parts = Vec::new();
    let mut cur = WatchResponse {
        events: Vec::new(),
        ..resp.clone()
    };
    for ev in resp.events {
        let before = cur.encoded_len();
        if !cur.events.is_empty() && before + ev.encoded_len() + 8 > max_bytes {
            let mut done = std::mem::replace(
                &mut cur,
                WatchResponse {
                    events: Vec::new(),
                    ..parts_template(&resp.header, resp.watch_id)
                },
            );
            done.fragment = true;
            parts.push(done);
        }
        cur.events.push(ev);
    }
    cur.fragment = false;
    parts.push(cur);
    parts
}

fn parts_template(
    header: &Option<crate::pb::etcdserverpb::ResponseHeader>,
    watch_id: i64,
) -> WatchResponse {
    WatchResponse {
        header: *header,
        watch_id,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watch_range_follows_etcd() {
        assert_eq!(watch_range(b"", b""), KeyRange::Single(vec![0]));
        assert_eq!(watch_range(b"", b"\0"), KeyRange::From(vec![0]));
        let r = watch_range(b"a", b"\0");
        assert!(r.contains(b"zzz") && !r.contains(b"0"));
        let r = watch_range(b"a", b"c");
        assert!(r.contains(b"b") && !r.contains(b"c"));
        assert!(watch_range(b"c", b"a").is_empty());
    }
    use crate::pb::mvccpb::{Event, KeyValue};

    #[test]
    fn fragments_large_responses() {
        let ev = |i: u8| Event {
            kv: Some(KeyValue {
                key: vec![i],
                value: vec![0; 100],
                ..Default::default()
            }),
            ..Default::default()
        };
        let resp = WatchResponse {
            watch_id: 3,
            events: (0..10).map(ev).collect(),
            ..Default::default()
        };
        let parts = fragment(resp, 300);
        assert!(parts.len() > 1);
        assert!(parts[..parts.len() - 1].iter().all(|p| p.fragment));
        assert!(!parts[parts.len() - 1].fragment);
        assert_eq!(parts.iter().map(|p| p.events.len()).sum::<usize>(), 10);
        assert!(parts.iter().all(|p| p.watch_id == 3));
    }
}
