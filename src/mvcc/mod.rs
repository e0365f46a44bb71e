//! Multi-version concurrency control: etcd's `mvcc` package on LMDB.
//!
//! Job: store every revision of every key, answer reads at any uncompacted revision, apply
//! writes at the next revision, compact history. May depend only on `crate::storage`,
//! `crate::pb` and heed: no tonic, no openraft, no sockets.
//!
//! - [`revision`]: `Revision { main, sub }` and etcd's 17/18-byte key layout.
//! - [`key_index`]: `KeyIndex`, the per-key generations of revisions (persisted in `index`).
//! - [`index`]: the `index` database (user key → `KeyIndex`), with buckets for keys too long
//!   for LMDB.
//! - [`kv_store`]: `KvStore` (ranges, compaction) and its write view `TxnWrite`.
//! - [`record`]: the CRC-32C sealing of every stored value (re-exported from `storage`).
//! - [`hash`]: etcd's HashKV (CRC-32C over the `key` database).
//! - [`watchable_store`]: watchers (synced / unsynced / victims) fed by applied batches.

pub mod hash;
pub mod index;
pub mod key_index;
pub mod kv_store;
mod records;
pub use crate::storage::record;
pub mod revision;
pub mod watchable_store;

#[allow(
    unused_imports,
    reason = "mvcc API surface; no caller outside mvcc today"
)]
pub use key_index::KeyIndex;
#[allow(unused_imports, reason = "TxnWrite re-export named by mvcc tests only")]
pub use kv_store::{KvStore, MvccError, TxnWrite};
#[allow(
    unused_imports,
    reason = "mvcc API surface; no caller outside mvcc today"
)]
pub use revision::Revision;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) mod testutil {
    //! A throwaway LMDB environment with a [`KvStore`] for unit tests.
    use super::KvStore;

    /// Keeps the temp dir alive as long as the env.
    pub(crate) struct TestEnv {
        pub(crate) env: heed::Env,
        pub(crate) store: KvStore,
        pub(crate) _dir: tempfile::TempDir,
    }

    #[allow(unsafe_code)]
    pub(crate) fn open_env(dir: &std::path::Path) -> heed::Env {
        // SAFETY: test-only; the directory is private to this test and opened once.
        unsafe {
            heed::EnvOpenOptions::new()
                .max_dbs(16)
                .map_size(1 << 30)
                .open(dir)
        }
        .unwrap()
    }

    pub(crate) fn test_env() -> TestEnv {
        let dir = tempfile::tempdir().unwrap();
        let env = open_env(dir.path());
        let store = KvStore::open(&env).unwrap();
        TestEnv {
            env,
            store,
            _dir: dir,
        }
    }
}
