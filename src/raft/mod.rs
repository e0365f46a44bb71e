//! openraft adapter only: the type configuration, the heed-backed log store, the state
//! machine over apply's state database and its snapshots, and the network. No other module
//! names openraft types (server/propose and server/read excepted). It names no domain module:
//! the state database and the node type ([`crate::apply::Member`]) come from apply.
//!
//! Depends on: apply, storage, pb, tls, openraft.

pub mod log_store;
pub mod network;
pub mod peer_service;
pub mod snapshot;
pub mod state_machine;

use crate::apply::{ApplyResults, Member};
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

/// The error a failpoint's `return` action injects (an I/O error, as a disk fault would).
#[cfg(feature = "failpoints")]
pub(crate) fn failpoint_error(name: &str) -> heed::Error {
    heed::Error::Io(std::io::Error::other(format!("failpoint {name}")))
}

#[cfg(test)]
mod suite {
    //! openraft's storage conformance Suite run against the heed log store and state machine.
    use std::sync::Arc;

    use openraft::testing::{StoreBuilder, Suite};
    use openraft::StorageError;

    use super::log_store::LogStore;
    use super::state_machine::StateMachine;
    use super::TypeConfig;
    use crate::apply::state::StateStore;
    use crate::storage::{open_env, EnvKind};

    struct HeedBuilder;

    impl StoreBuilder<TypeConfig, LogStore, StateMachine, tempfile::TempDir> for HeedBuilder {
        async fn build(
            &self,
        ) -> Result<(tempfile::TempDir, LogStore, StateMachine), StorageError<u64>> {
            let dir = tempfile::tempdir().expect("tempdir");
            let wal = open_env(&dir.path().join("wal"), EnvKind::Wal).expect("wal env");
            let log = LogStore::open(wal).expect("log store");
            let store: Arc<StateStore> =
                StateStore::open(dir.path().join("snap").join("db")).expect("state store");
            Ok((dir, log, StateMachine::new(store)))
        }
    }

    /// Every check of openraft 0.9's storage Suite (logs, vote, purge, membership, apply,
    /// snapshots) passes on our stores.
    #[test]
    fn openraft_storage_suite() {
        Suite::test_all(HeedBuilder).expect("openraft storage suite");
    }
}
