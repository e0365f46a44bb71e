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
//! - [`kv_store`]: `KvStore` (ranges, the read view) and its write view `TxnWrite`.
//! - [`compaction`]: `KvStore::compact`, dropping history below the compact revision.
//! - [`record`]: the CRC-32C sealing of every stored value (re-exported from `storage`).
//! - [`hash`]: etcd's HashKV (CRC-32C over the `key` database).
//! - [`watchable_store`]: watchers (synced / unsynced / victims) fed by applied batches.

pub mod compaction;
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
    //! A throwaway LMDB environment with a [`KvStore`] for unit tests, and the small
    //! write/read helpers the `kv_store` and `compaction` tests share.
    use super::{KvStore, MvccError};
    use crate::pb::etcdserverpb::{RangeRequest, RangeResponse};

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

    pub(crate) fn put(te: &TestEnv, key: &str, value: &str) -> i64 {
        let mut wtxn = te.env.write_txn().unwrap();
        let mut tw = te.store.write(&mut wtxn).unwrap();
        let rev = tw.put(key.as_bytes(), value.as_bytes(), 0).unwrap();
        tw.end();
        wtxn.commit().unwrap();
        rev
    }

    pub(crate) fn del(te: &TestEnv, key: &str, end: &str) -> i64 {
        let mut wtxn = te.env.write_txn().unwrap();
        let mut tw = te.store.write(&mut wtxn).unwrap();
        let n = tw.delete_range(key.as_bytes(), end.as_bytes()).unwrap();
        tw.end();
        wtxn.commit().unwrap();
        n
    }

    pub(crate) fn compact(te: &TestEnv, rev: i64) -> Result<(), MvccError> {
        let mut wtxn = te.env.write_txn().unwrap();
        te.store.compact(&mut wtxn, rev)?;
        wtxn.commit().unwrap();
        Ok(())
    }

    pub(crate) fn range(te: &TestEnv, req: RangeRequest) -> Result<RangeResponse, MvccError> {
        let rtxn = te.env.read_txn().unwrap();
        te.store.range(&rtxn, &req)
    }

    pub(crate) fn req(key: &str, end: &str) -> RangeRequest {
        RangeRequest {
            key: key.into(),
            range_end: end.into(),
            ..Default::default()
        }
    }

    pub(crate) fn keys(resp: &RangeResponse) -> Vec<String> {
        resp.kvs
            .iter()
            .map(|kv| String::from_utf8(kv.key.clone()).unwrap())
            .collect()
    }

    pub(crate) fn index_len(te: &TestEnv) -> usize {
        let rtxn = te.env.read_txn().unwrap();
        let mut n = 0;
        te.store
            .index
            .for_each_in(&rtxn, b"", None, |_, _| {
                n += 1;
                Ok(())
            })
            .unwrap();
        n
    }

    pub(crate) fn revs(te: &TestEnv) -> (i64, i64) {
        let rtxn = te.env.read_txn().unwrap();
        (
            te.store.current_revision(&rtxn).unwrap(),
            te.store.compact_revision(&rtxn).unwrap(),
        )
    }

    /// Keys a..e, put in the order c, a, e, b, d with distinct values, then `a` updated.
    pub(crate) fn sample() -> TestEnv {
        let te = test_env();
        put(&te, "c", "3"); // 2
        put(&te, "a", "5"); // 3
        put(&te, "e", "1"); // 4
        put(&te, "b", "4"); // 5
        put(&te, "d", "2"); // 6
        put(&te, "a", "6"); // 7: a has version 2
        put(&te, "f\0", "x"); // 8: outside prefix "a".."f"
        te
    }
}
