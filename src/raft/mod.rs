//! openraft adapter only: the type configuration, the heed-backed log store and state
//! machine, and the network. No other module names openraft types (server/propose and
//! server/read excepted).
//!
//! Depends on: apply, storage, membership, pb, openraft.

pub mod log_store;
pub mod network;
pub mod peer_service;
pub mod state_machine;

use crate::apply::ApplyResults;
use crate::membership::Member;
use crate::pb::peer::InternalRaftBatch;

openraft::declare_raft_types!(
    /// etcd-oxide's Raft types: the payload is a batch of etcd-style `InternalRaftRequest`s
    /// (one append for many proposals), the response their deterministic apply results,
    /// nodes are etcd members keyed by member ID.
    pub TypeConfig:
        D = InternalRaftBatch,
        R = ApplyResults,
        NodeId = u64,
        Node = Member,
        Entry = openraft::Entry<TypeConfig>,
        SnapshotData = tokio::fs::File,
        AsyncRuntime = openraft::TokioRuntime,
);

/// The Raft handle used by the server.
pub type Raft = openraft::Raft<TypeConfig>;

/// Converts any displayable error into openraft's storage I/O error for reads of `subject`.
fn io_err<E: std::error::Error + 'static>(
    subject: openraft::ErrorSubject<u64>,
    verb: openraft::ErrorVerb,
    e: E,
) -> openraft::StorageError<u64> {
    openraft::StorageIOError::new(subject, verb, openraft::AnyError::new(&e)).into()
}
