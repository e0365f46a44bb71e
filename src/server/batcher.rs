//! Group commit: proposals that arrive while a Raft append is in flight are packed into one
//! log entry (an `InternalRaftBatch`), so many client writes share one log fsync and one
//! apply transaction. openraft 0.9 appends and flushes each `client_write` on its own, so
//! without this every put would pay a full fsync.
//!
//! Replies do not wait for openraft: each request is registered by ID before its batch is
//! proposed, and the state machine hands the result over as soon as the batch is applied
//! (`StateStore::trigger`, etcd's `wait.Trigger`). openraft's core would pass it on only
//! after the log append it is busy with (the next batch's fsync), one fsync later. What the
//! state machine did not hand over (an error, a duplicate ID) is answered from
//! `client_write`'s own result.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use openraft::error::{ClientWriteError, RaftError};
use prost::Message;
use tokio::sync::{mpsc, oneshot, Semaphore};

use super::Error;
use crate::apply::state::StateStore;
use crate::apply::ApplyResult;
use crate::pb::peer::{InternalRaftBatch, InternalRaftRequest};
use crate::raft::Raft;

/// Most requests packed into one log entry by default; `--backend-batch-limit` overrides it
/// (one entry is applied in one backend transaction, so this bounds the operations committed
/// to the backend together, etcd's meaning of the flag).
pub const MAX_BATCH_REQUESTS: usize = 1024;
/// Most encoded bytes packed into one log entry (a single request may exceed it alone).
pub const MAX_BATCH_BYTES: usize = 4 << 20;
/// Batches in flight at once (appending / committing / applying).
pub const MAX_IN_FLIGHT: usize = 2;

type Reply = oneshot::Sender<Result<ApplyResult, Error>>;

/// The proposals waiting for their apply result on this member: request ID → (the batch
/// that registered it, its reply).
type Waiting = Arc<Mutex<HashMap<u64, (u64, Reply)>>>;

fn lock(waiting: &Waiting) -> std::sync::MutexGuard<'_, HashMap<u64, (u64, Reply)>> {
    // A panic while holding the lock cannot leave the map inconsistent (single inserts and
    // removes), so a poisoned lock is used as it is.
    waiting.lock().unwrap_or_else(|p| p.into_inner())
}

/// The queue in front of `raft.client_write`.
#[derive(Clone)]
pub struct Batcher {
    tx: mpsc::Sender<(InternalRaftRequest, Reply)>,
}

impl Batcher {
    /// Starts the batching task for `raft`, packing at most `max_requests` requests into one
    /// log entry (`None`: [`MAX_BATCH_REQUESTS`]), and makes `store`'s state machine hand
    /// applied results straight to the waiting proposers.
    pub fn start(raft: Raft, store: &StateStore, max_requests: Option<usize>) -> Batcher {
        let max_requests = max_requests.unwrap_or(MAX_BATCH_REQUESTS).max(1);
        let (tx, rx) = mpsc::channel(8 * MAX_BATCH_REQUESTS);
        let waiting = Waiting::default();
        {
            let waiting = waiting.clone();
            store.set_apply_trigger(Box::new(move |id, result| {
                match lock(&waiting).remove(&id) {
                    Some((_, reply)) => {
                        let _ = reply.send(Ok(result));
                        None
                    }
                    None => Some(result),
                }
            }));
        }
        tokio::spawn(run(raft, rx, max_requests, waiting));
        Batcher { tx }
    }

    /// Proposes one stamped request and waits for its apply result.
    ///
    /// # Errors
    /// [`Error::NotLeader`] / [`Error::NoLeader`] when this member cannot append (nothing
    /// was proposed), [`Error::Stopped`] when Raft stopped.
    pub async fn propose(&self, req: InternalRaftRequest) -> Result<ApplyResult, Error> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send((req, reply))
            .await
            .map_err(|_| Error::Stopped)?;
        rx.await.map_err(|_| Error::Stopped)?
    }
}

async fn run(
    raft: Raft,
    mut rx: mpsc::Receiver<(InternalRaftRequest, Reply)>,
    max_requests: usize,
    waiting: Waiting,
) {
    let in_flight = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    let mut seq = 0u64;
    loop {
        // Wait for a free slot first: requests keep queueing meanwhile, so the next batch
        // collects everything that arrived during the previous appends.
        let Ok(permit) = in_flight.clone().acquire_owned().await else {
            return;
        };
        let Some(first) = rx.recv().await else { return };
        let mut bytes = first.0.encoded_len();
        let mut batch = vec![first];
        while batch.len() < max_requests && bytes < MAX_BATCH_BYTES {
            match rx.try_recv() {
                Ok(item) => {
                    bytes += item.0.encoded_len();
                    batch.push(item);
                }
                Err(_) => break,
            }
        }
        seq += 1;
        let raft = raft.clone();
        let waiting = waiting.clone();
        tokio::spawn(propose_batch(raft, batch, seq, waiting, permit));
    }
}

/// Proposes one batch as one log entry and answers each request: from the state machine
/// (see the module doc) or, for what it did not hand over, from `client_write`'s result.
async fn propose_batch(
    raft: Raft,
    batch: Vec<(InternalRaftRequest, Reply)>,
    seq: u64,
    waiting: Waiting,
    permit: tokio::sync::OwnedSemaphorePermit,
) {
    let mut ids = Vec::with_capacity(batch.len());
    let mut requests = Vec::with_capacity(batch.len());
    // Replies not registered (an ID already waiting): answered from `client_write`.
    let mut own: Vec<(usize, Reply)> = Vec::new();
    {
        let mut w = lock(&waiting);
        for (i, (req, reply)) in batch.into_iter().enumerate() {
            ids.push(req.id);
            match w.entry(req.id) {
                std::collections::hash_map::Entry::Vacant(v) => {
                    v.insert((seq, reply));
                }
                std::collections::hash_map::Entry::Occupied(_) => own.push((i, reply)),
            }
            requests.push(req);
        }
    }
    let result = raft.client_write(InternalRaftBatch { requests }).await;
    {
        let mut w = lock(&waiting);
        for (i, id) in ids.iter().enumerate() {
            if w.get(id).is_some_and(|(s, _)| *s == seq) {
                if let Some((_, reply)) = w.remove(id) {
                    own.push((i, reply));
                }
            }
        }
    }
    match result {
        Ok(resp) => {
            let mut results: Vec<Option<ApplyResult>> = resp.data.0.into_iter().map(Some).collect();
            for (i, reply) in own {
                let r = results
                    .get_mut(i)
                    .and_then(Option::take)
                    .ok_or_else(|| Error::Internal("missing apply result".into()));
                let _ = reply.send(r);
            }
        }
        Err(e) => {
            for (_, reply) in own {
                let err = match &e {
                    RaftError::APIError(ClientWriteError::ForwardToLeader(f)) => {
                        if f.leader_id.is_none() {
                            Error::NoLeader
                        } else {
                            Error::NotLeader
                        }
                    }
                    RaftError::APIError(ClientWriteError::ChangeMembershipError(c)) => {
                        Error::Internal(c.to_string())
                    }
                    RaftError::Fatal(_) => Error::Stopped,
                };
                let _ = reply.send(Err(err));
            }
        }
    }
    drop(permit);
}
