//! Group commit: proposals that arrive while a Raft append is in flight are packed into one
//! log entry (an `InternalRaftBatch`), so many client writes share one log fsync and one
//! apply transaction. openraft 0.9 appends and flushes each `client_write` on its own, so
//! without this every put would pay a full fsync.

use std::sync::Arc;

use openraft::error::{ClientWriteError, RaftError};
use prost::Message;
use tokio::sync::{mpsc, oneshot, Semaphore};

use super::Error;
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

/// The queue in front of `raft.client_write`.
#[derive(Clone)]
pub struct Batcher {
    tx: mpsc::Sender<(InternalRaftRequest, Reply)>,
}

impl Batcher {
    /// Starts the batching task for `raft`, packing at most `max_requests` requests into one
    /// log entry (`None`: [`MAX_BATCH_REQUESTS`]).
    pub fn start(raft: Raft, max_requests: Option<usize>) -> Batcher {
        let max_requests = max_requests.unwrap_or(MAX_BATCH_REQUESTS).max(1);
        let (tx, rx) = mpsc::channel(8 * MAX_BATCH_REQUESTS);
        tokio::spawn(run(raft, rx, max_requests));
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
) {
    let in_flight = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
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
        let raft = raft.clone();
        tokio::spawn(async move {
            let (requests, replies): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
            let result = raft.client_write(InternalRaftBatch { requests }).await;
            match result {
                Ok(resp) => {
                    let mut results = resp.data.0.into_iter();
                    for reply in replies {
                        let r = results
                            .next()
                            .ok_or_else(|| Error::Internal("missing apply result".into()));
                        let _ = reply.send(r);
                    }
                }
                Err(e) => {
                    for reply in replies {
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
        });
    }
}
