//! Multi-version concurrency control: etcd's `mvcc` package on LMDB.
//!
//! Job: store every revision of every key, answer reads at any uncompacted revision, apply
//! writes at the next revision, compact history. May depend only on `crate::storage`,
//! `crate::pb` and heed: no tonic, no openraft, no sockets.
//!
//! - [`revision`]: `Revision { main, sub }` and etcd's 17/18-byte key layout.
//! - [`key_index`]: `KeyIndex`, the per-key generations of revisions (persisted in `index`).
//! - [`kv_store`]: `KvStore` (ranges, compaction) and its write view `TxnWrite`.

pub mod key_index;
pub mod kv_store;
pub mod revision;

pub use key_index::KeyIndex;
pub use kv_store::{KvStore, MvccError, TxnWrite};
pub use revision::Revision;
