//! The server's error type; `v3rpc::error` maps every variant to etcd's wire status.

use crate::apply::ApplyError;
use crate::mvcc::MvccError;

/// Errors of [`super::EtcdServer`] operations.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A deterministic apply failure (the same on every member).
    #[error(transparent)]
    Apply(ApplyError),
    /// `mvcc: required revision has been compacted` on a read.
    #[error("mvcc: required revision has been compacted")]
    Compacted,
    /// `mvcc: required revision is a future revision` on a read.
    #[error("mvcc: required revision is a future revision")]
    FutureRev,
    /// The encoded request exceeds `--max-request-bytes`.
    #[error("etcdserver: request is too large")]
    RequestTooLarge,
    /// No leader is known.
    #[error("etcdserver: no leader")]
    NoLeader,
    /// This member is not the leader and cannot forward.
    #[error("etcdserver: not leader")]
    NotLeader,
    /// The request did not complete within etcd's request timeout.
    #[error("etcdserver: request timed out")]
    Timeout,
    /// The server is shutting down.
    #[error("etcdserver: server stopped")]
    Stopped,
    /// Refusal at bootstrap (configuration conflicts with the data dir or cluster).
    #[error("{0}")]
    Bootstrap(String),
    /// A storage failure (disk, corruption).
    #[error("storage: {0}")]
    Storage(String),
    /// A lock / election recipe failure (etcd sends these as gRPC `Unknown`).
    #[error(transparent)]
    Concurrency(#[from] super::ConcurrencyError),
    /// An invariant broke; reported as an internal error.
    #[error("internal: {0}")]
    Internal(String),
}

impl Error {
    /// Maps an MVCC read error.
    pub fn from_mvcc(e: MvccError) -> Error {
        match e {
            MvccError::Compacted => Error::Compacted,
            MvccError::FutureRev => Error::FutureRev,
            other => Error::Storage(other.to_string()),
        }
    }
}
