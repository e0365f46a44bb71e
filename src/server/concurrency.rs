//! etcd's concurrency recipes (`clientv3/concurrency`: `Mutex`, `Election`) executed inside
//! the server, as etcd 3.4's `v3lock` and `v3election` gRPC services do with an in-process
//! client. Every mutation goes through the server's own `txn` / `delete_range` /
//! `lease_grant`, i.e. through [`EtcdServer::propose`] and Raft; every read is a
//! linearizable `range`; every wait is a watcher on the member's watch hub (no polling).
//!
//! # Keys
//! A contender for `name` owns the key `name + "/" + hex(lease)` (Go's `%x` of the lease ID,
//! lowercase, e.g. lease `0x694d7c1f4a2e1d05` on `mylock` → `mylock/694d7c1f4a2e1d05`),
//! attached to its lease. The owner (lock holder, election leader) is the key under the
//! prefix `name/` with the smallest create revision. Because the official `etcdctl lock` /
//! `etcdctl elect` run the same recipe on the client side with the same keys, server-side and
//! client-side contenders queue fairly with each other.
//!
//! # Cancellation
//! The gRPC handler's future is dropped when the client goes away. Watchers registered
//! while waiting are cancelled by a guard on drop ([`WatchGuard`]), and a contender that
//! was still waiting gives its key up (etcd: `Mutex.Lock` unlocks and `Election.Campaign`
//! resigns when their context ends) through a task spawned from a second guard.
//!
//! # Deliberate deltas from etcd 3.4.23
//! - While waiting, the contender also watches its own key. If it disappears (its lease
//!   expired or was revoked), `lock` / `campaign` fail with [`ConcurrencyError::SessionExpired`]
//!   (`session expired`, etcd 3.5's `ErrSessionExpired`) instead of reporting ownership of a
//!   key that no longer exists, which etcd 3.4 does.
//! - A watcher cancelled by compaction makes the wait (and `observe`) start over from a
//!   fresh read instead of failing (`lock`, `campaign`) or silently ending the stream
//!   (`observe`).
//!
//! # Files
//! This file holds what both recipes share (contender keys, owner queries, the txn ops,
//! the registration read, the watch and release guards, `wait_deletes`); `lock.rs` has
//! `Lock` / `Unlock`, `election.rs` `Campaign` / `Proclaim` / `Resign` / `Leader` /
//! `Observe`.
//!
//! Depends on: the server's KV, txn and lease methods, the watch hub, pb.

mod election;
mod lock;

use std::sync::Arc;

use tokio::sync::mpsc;

use super::{Error, EtcdServer};
use crate::keys::{prefix_end, KeyRange};
use crate::mvcc::watchable_store::{WatchableStore, WatcherKey, WatcherSpec};
use crate::pb::etcdserverpb::compare::{CompareResult, CompareTarget, TargetUnion};
use crate::pb::etcdserverpb::range_request::{SortOrder, SortTarget};
use crate::pb::etcdserverpb::{
    request_op, response_op, Compare, DeleteRangeRequest, LeaseGrantRequest, PutRequest,
    RangeRequest, RangeResponse, RequestOp, ResponseHeader, TxnResponse, WatchResponse,
};
use crate::pb::mvccpb::event::EventType;

/// TTL in seconds of the lease granted when a request names lease 0 (etcd's
/// `concurrency.defaultSessionTTL`: `NewSession` grants one when given `NoLease`).
pub const DEFAULT_SESSION_TTL: i64 = 60;

/// Watch responses buffered per wait; a fuller channel only makes the watcher catch up.
const WAIT_BUFFER: usize = 16;

/// Leader responses buffered per `observe` stream.
const OBSERVE_BUFFER: usize = 16;

/// Failures of the recipes themselves. etcd returns these as plain Go errors, so on the
/// wire they are gRPC `Unknown` with exactly these messages.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConcurrencyError {
    /// Proclaim by a candidate whose key is gone or was re-created
    /// (`concurrency.ErrElectionNotLeader`).
    #[error("election: not leader")]
    NotLeader,
    /// Leader on an election nobody campaigns in (`concurrency.ErrElectionNoLeader`).
    #[error("election: no leader")]
    NoLeader,
    /// The contender's own key vanished while it waited (lease expired or revoked):
    /// etcd 3.5's `concurrency.ErrSessionExpired`.
    #[error("session expired")]
    SessionExpired,
    /// Proclaim / Resign without a leader key (`v3election.ErrMissingLeaderKey`).
    #[error("\"leader\" field must be provided")]
    MissingLeaderKey,
    /// The watch hub dropped a watcher without an answer (etcd: `lost watcher waiting for
    /// delete`); only when the server shuts down.
    #[error("lost watcher waiting for delete")]
    LostWatcher,
    /// Unlock, Proclaim or Resign with an empty key: etcd's recipes send it through the
    /// client, whose request is refused with `etcdserver: key is not provided` (gRPC
    /// `Unknown` once the recipe returns it).
    #[error("etcdserver: key is not provided")]
    EmptyKey,
}

/// The key a contender with `lease` owns under `name`: `name/<lease in lowercase hex>`
/// (Go's `fmt.Sprintf("%s%x", name+"/", lease)`; a negative ID prints as `-<hex>`).
pub fn contender_key(name: &[u8], lease: i64) -> Vec<u8> {
    let mut k = prefix(name);
    let hex = if lease < 0 {
        format!("-{:x}", lease.unsigned_abs())
    } else {
        format!("{lease:x}")
    };
    k.extend_from_slice(hex.as_bytes());
    k
}

/// `name + "/"`: the prefix holding every contender of `name`.
pub fn prefix(name: &[u8]) -> Vec<u8> {
    let mut p = name.to_vec();
    p.push(b'/');
    p
}

/// Range for the first key under `pfx` by create revision (`clientv3.WithFirstCreate`).
pub fn first_create(pfx: &[u8]) -> RangeRequest {
    RangeRequest {
        key: pfx.to_vec(),
        range_end: prefix_end(pfx),
        limit: 1,
        sort_order: SortOrder::Ascend as i32,
        sort_target: SortTarget::Create as i32,
        ..Default::default()
    }
}

/// Range for the last key under `pfx` created at or before `max_create_rev`
/// (`WithLastCreate` + `WithMaxCreateRev`, as etcd's `waitDeletes`).
pub fn last_create_before(pfx: &[u8], max_create_rev: i64) -> RangeRequest {
    RangeRequest {
        key: pfx.to_vec(),
        range_end: prefix_end(pfx),
        limit: 1,
        sort_order: SortOrder::Descend as i32,
        sort_target: SortTarget::Create as i32,
        max_create_revision: max_create_rev,
        ..Default::default()
    }
}

fn create_rev_is(key: &[u8], rev: i64) -> Compare {
    Compare {
        result: CompareResult::Equal as i32,
        target: CompareTarget::Create as i32,
        key: key.to_vec(),
        range_end: Vec::new(),
        target_union: Some(TargetUnion::CreateRevision(rev)),
    }
}

fn op_put(key: &[u8], value: &[u8], lease: i64) -> RequestOp {
    RequestOp {
        request: Some(request_op::Request::RequestPut(PutRequest {
            key: key.to_vec(),
            value: value.to_vec(),
            lease,
            ..Default::default()
        })),
    }
}

fn op_range(r: RangeRequest) -> RequestOp {
    RequestOp {
        request: Some(request_op::Request::RequestRange(r)),
    }
}

fn op_get(key: &[u8]) -> RequestOp {
    op_range(RangeRequest {
        key: key.to_vec(),
        ..Default::default()
    })
}

fn op_delete(key: &[u8]) -> RequestOp {
    RequestOp {
        request: Some(request_op::Request::RequestDeleteRange(
            DeleteRangeRequest {
                key: key.to_vec(),
                ..Default::default()
            },
        )),
    }
}

/// The range response at position `i` of a txn response.
fn range_at(resp: &TxnResponse, i: usize) -> Result<&RangeResponse, Error> {
    match resp.responses.get(i).and_then(|r| r.response.as_ref()) {
        Some(response_op::Response::ResponseRange(r)) => Ok(r),
        other => Err(Error::Internal(format!(
            "txn response {i}: expected a range, got {other:?}"
        ))),
    }
}

/// Where a contender stands after its registration txn (`Mutex.Lock`'s first RPC).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// The contender's key create revision (its place in the queue; the fencing token).
    pub my_rev: i64,
    /// Whether the contender already owns the prefix (no older key exists).
    pub owns: bool,
}

/// Reads a `lock` registration txn: `[put | get mine, get first-created]`. `my_rev` is the
/// txn revision when the put ran, else the existing key's create revision; the contender
/// owns the lock when the prefix is empty or its first key is ours.
///
/// # Errors
/// [`Error::Internal`] when the response does not have that shape.
pub fn read_registration(resp: &TxnResponse) -> Result<Registration, Error> {
    let header_rev = resp.header.as_ref().map(|h| h.revision).unwrap_or(0);
    let my_rev = if resp.succeeded {
        header_rev
    } else {
        range_at(resp, 0)?
            .kvs
            .first()
            .map(|kv| kv.create_revision)
            .ok_or_else(|| Error::Internal("lock registration: own key missing".into()))?
    };
    let owner = range_at(resp, 1)?.kvs.first().map(|kv| kv.create_revision);
    Ok(Registration {
        my_rev,
        owns: owner.is_none_or(|r| r == my_rev),
    })
}

/// Cancels the watchers it holds when dropped (the handler's future may be dropped at any
/// await when the client goes away).
pub struct WatchGuard {
    hub: Arc<WatchableStore>,
    keys: Vec<WatcherKey>,
}

impl WatchGuard {
    /// Registers one watcher per `(range, no_put, start revision)` on `hub`, all feeding one
    /// channel; the watch ID of each is its index in `specs`.
    pub fn watch(
        hub: &Arc<WatchableStore>,
        specs: Vec<(KeyRange, bool, i64)>,
    ) -> (WatchGuard, mpsc::Receiver<WatchResponse>) {
        let (tx, rx) = mpsc::channel(WAIT_BUFFER);
        let keys = specs
            .into_iter()
            .enumerate()
            .map(|(i, (range, no_put, start_rev))| {
                let spec = WatcherSpec {
                    watch_id: i as i64,
                    range,
                    no_put,
                    no_delete: false,
                    prev_kv: false,
                    progress_notify: false,
                };
                hub.watch(spec, start_rev, tx.clone())
            })
            .collect();
        (
            WatchGuard {
                hub: hub.clone(),
                keys,
            },
            rx,
        )
    }
}

impl Drop for WatchGuard {
    fn drop(&mut self) {
        for k in &self.keys {
            self.hub.cancel(*k);
        }
    }
}

/// What a contender gives up if its wait is abandoned.
enum Release {
    /// `Mutex.Unlock`: delete the key.
    Unlock(Vec<u8>),
    /// `Election.Resign`: delete the key if its create revision is still `rev`.
    Resign(Vec<u8>, i64),
}

/// Gives the contender's key up from a spawned task when dropped while armed.
struct ReleaseGuard {
    server: Arc<EtcdServer>,
    release: Option<Release>,
}

impl ReleaseGuard {
    fn disarm(mut self) {
        self.release = None;
    }
}

impl Drop for ReleaseGuard {
    fn drop(&mut self) {
        let Some(release) = self.release.take() else {
            return;
        };
        let server = self.server.clone();
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return;
        };
        rt.spawn(async move {
            let (key, result) = match release {
                Release::Unlock(key) => {
                    let r = server.delete_range(DeleteRangeRequest { key: key.clone(), ..Default::default() }, &super::Caller::Internal).await;
                    (key, r.map(|_| ()))
                }
                Release::Resign(key, rev) => {
                    let r = server.resign_key(&key, rev, &super::Caller::Internal).await;
                    (key, r.map(|_| ()))
                }
            };
            if let Err(e) = result {
                tracing::warn!(key = %String::from_utf8_lossy(&key), error = %e, "failed to release abandoned contender key");
            }
        });
    }
}

/// How a wait on watched keys ended.
enum Woken {
    /// The key watched at this index was deleted.
    Deleted(usize),
    /// A watcher was cancelled by compaction: read again.
    Restart,
}

/// Waits for the first DELETE among the guard's watchers.
async fn next_delete(rx: &mut mpsc::Receiver<WatchResponse>) -> Result<Woken, Error> {
    loop {
        let Some(resp) = rx.recv().await else {
            return Err(ConcurrencyError::LostWatcher.into());
        };
        if resp.canceled {
            return Ok(Woken::Restart);
        }
        if resp
            .events
            .iter()
            .any(|e| e.r#type == EventType::Delete as i32)
        {
            return Ok(Woken::Deleted(resp.watch_id as usize));
        }
    }
}

fn header_of(h: &Option<ResponseHeader>) -> ResponseHeader {
    (*h).unwrap_or_default()
}

impl EtcdServer {
    /// The lease a recipe session runs with: `lease` itself, or for lease 0 a fresh lease
    /// of [`DEFAULT_SESSION_TTL`] seconds (etcd's `NewSession` without `WithLease` ID).
    async fn session_lease(&self, lease: i64) -> Result<i64, Error> {
        if lease != 0 {
            return Ok(lease);
        }
        let g = self
            .lease_grant(LeaseGrantRequest {
                ttl: DEFAULT_SESSION_TTL,
                id: 0,
            })
            .await?;
        Ok(g.id)
    }

    /// etcd's `waitDeletes` plus an own-key check: until no key under `pfx` has a create
    /// revision below `my_rev`, watch the youngest such key for its deletion. Returns the
    /// header of the final read of the contender's own key.
    ///
    /// # Errors
    /// [`ConcurrencyError::SessionExpired`] when `my_key` is gone (or was re-created) while
    /// waiting; read and watch errors.
    async fn wait_deletes(
        &self,
        pfx: &[u8],
        my_key: &[u8],
        my_rev: i64,
        caller: &super::Caller,
    ) -> Result<ResponseHeader, Error> {
        loop {
            let older = self
                .range(&last_create_before(pfx, my_rev - 1), caller)
                .await?;
            // After the read-index above, a serializable read is at least as recent.
            let mine = self
                .range(
                    &RangeRequest {
                        key: my_key.to_vec(),
                        serializable: true,
                        ..Default::default()
                    },
                    caller,
                )
                .await?;
            if mine.kvs.first().map(|kv| kv.create_revision) != Some(my_rev) {
                return Err(ConcurrencyError::SessionExpired.into());
            }
            let Some(last) = older.kvs.first() else {
                return Ok(header_of(&mine.header));
            };
            let older_rev = header_of(&older.header).revision;
            let mine_rev = header_of(&mine.header).revision;
            let (_guard, mut rx) = WatchGuard::watch(
                &self.store.watch,
                vec![
                    (KeyRange::Single(last.key.clone()), true, older_rev + 1),
                    (KeyRange::Single(my_key.to_vec()), true, mine_rev + 1),
                ],
            );
            match next_delete(&mut rx).await? {
                Woken::Deleted(1) => return Err(ConcurrencyError::SessionExpired.into()),
                Woken::Deleted(_) | Woken::Restart => continue,
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::pb::etcdserverpb::{ResponseOp, TxnResponse};
    use crate::pb::mvccpb::KeyValue;

    #[test]
    fn contender_key_is_name_slash_lowercase_hex_lease() {
        assert_eq!(
            contender_key(b"mylock", 0x694d7c1f4a2e1d05),
            b"mylock/694d7c1f4a2e1d05".to_vec()
        );
        assert_eq!(contender_key(b"e", 255), b"e/ff".to_vec());
        // Go's %x of a negative int64.
        assert_eq!(contender_key(b"e", -255), b"e/-ff".to_vec());
    }

    #[test]
    fn owner_queries_sort_by_create_revision() {
        let f = first_create(b"l/");
        assert_eq!(
            (f.limit, f.sort_order(), f.sort_target()),
            (1, SortOrder::Ascend, SortTarget::Create)
        );
        assert_eq!(f.range_end, b"l0".to_vec());
        let l = last_create_before(b"l/", 41);
        assert_eq!(
            (
                l.limit,
                l.sort_order(),
                l.sort_target(),
                l.max_create_revision
            ),
            (1, SortOrder::Descend, SortTarget::Create, 41)
        );
    }

    fn range_op(create: &[i64]) -> ResponseOp {
        ResponseOp {
            response: Some(response_op::Response::ResponseRange(RangeResponse {
                kvs: create
                    .iter()
                    .map(|r| KeyValue {
                        create_revision: *r,
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            })),
        }
    }

    fn txn(succeeded: bool, rev: i64, ops: Vec<ResponseOp>) -> TxnResponse {
        TxnResponse {
            header: Some(ResponseHeader {
                revision: rev,
                ..Default::default()
            }),
            succeeded,
            responses: ops,
        }
    }

    #[test]
    fn registration_decides_ownership_like_mutex_lock() {
        let put = ResponseOp {
            response: Some(response_op::Response::ResponsePut(Default::default())),
        };
        // Fresh key on an empty prefix: the owner is our own put.
        let r = read_registration(&txn(true, 7, vec![put.clone(), range_op(&[7])])).unwrap();
        assert_eq!(
            r,
            Registration {
                my_rev: 7,
                owns: true
            }
        );
        // Fresh key behind an older holder: wait.
        let r = read_registration(&txn(true, 9, vec![put, range_op(&[4])])).unwrap();
        assert_eq!(
            r,
            Registration {
                my_rev: 9,
                owns: false
            }
        );
        // Existing key (same session re-locking): its create revision is the place in line.
        let r = read_registration(&txn(false, 12, vec![range_op(&[4]), range_op(&[4])])).unwrap();
        assert_eq!(
            r,
            Registration {
                my_rev: 4,
                owns: true
            }
        );
        let r = read_registration(&txn(false, 12, vec![range_op(&[6]), range_op(&[4])])).unwrap();
        assert_eq!(
            r,
            Registration {
                my_rev: 6,
                owns: false
            }
        );
        // A malformed response is an internal error, not a panic.
        assert!(read_registration(&txn(false, 12, vec![])).is_err());
    }

    #[test]
    fn recipe_errors_carry_etcds_messages() {
        assert_eq!(
            ConcurrencyError::NotLeader.to_string(),
            "election: not leader"
        );
        assert_eq!(
            ConcurrencyError::NoLeader.to_string(),
            "election: no leader"
        );
        assert_eq!(
            ConcurrencyError::MissingLeaderKey.to_string(),
            "\"leader\" field must be provided"
        );
        assert_eq!(
            ConcurrencyError::SessionExpired.to_string(),
            "session expired"
        );
    }

    fn hub() -> (tempfile::TempDir, Arc<WatchableStore>) {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::apply::state::StateStore::open(dir.path().to_path_buf()).unwrap();
        (dir, store.watch.clone())
    }

    fn event(kind: EventType, key: &[u8], rev: i64) -> crate::pb::mvccpb::Event {
        crate::pb::mvccpb::Event {
            r#type: kind as i32,
            kv: Some(KeyValue {
                key: key.to_vec(),
                mod_revision: rev,
                ..Default::default()
            }),
            prev_kv: None,
        }
    }

    /// The waiters' building blocks: puts are filtered out, the first DELETE names the
    /// watcher that saw it, and dropping the guard (a dropped handler future) leaves no
    /// watcher behind.
    #[tokio::test]
    async fn wait_wakes_on_delete_and_guard_cancels_watchers_on_drop() {
        let (_dir, hub) = hub();
        let start = hub.current_revision() + 1;
        let (guard, mut rx) = WatchGuard::watch(
            &hub,
            vec![
                (KeyRange::Single(b"l/a".to_vec()), true, start),
                (KeyRange::Single(b"l/b".to_vec()), true, start),
            ],
        );
        assert_eq!(hub.counts(), (2, 0));
        hub.notify(start, &[event(EventType::Put, b"l/a", start)]);
        hub.notify(start + 1, &[event(EventType::Delete, b"l/b", start + 1)]);
        let woken = tokio::time::timeout(std::time::Duration::from_secs(5), next_delete(&mut rx))
            .await
            .unwrap()
            .unwrap();
        assert!(matches!(woken, Woken::Deleted(1)));
        drop(guard);
        assert_eq!(hub.counts(), (0, 0));
        // The hub gone silent with every sender dropped is a lost watcher, not a hang.
        drop(hub);
        let r = tokio::time::timeout(std::time::Duration::from_secs(5), next_delete(&mut rx))
            .await
            .unwrap();
        assert!(matches!(
            r,
            Err(Error::Concurrency(ConcurrencyError::LostWatcher))
        ));
    }

    /// A compaction cancel (in-band) restarts the wait instead of failing it.
    #[tokio::test]
    async fn compaction_cancel_restarts_the_wait() {
        let (tx, mut rx) = mpsc::channel(1);
        tx.send(WatchResponse {
            canceled: true,
            compact_revision: 5,
            ..Default::default()
        })
        .await
        .unwrap();
        let r = tokio::time::timeout(std::time::Duration::from_secs(5), next_delete(&mut rx))
            .await
            .unwrap()
            .unwrap();
        assert!(matches!(r, Woken::Restart));
    }
}
