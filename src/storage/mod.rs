//! LMDB (heed) environments: bytes and schema only, no etcd semantics.
//!
//! Layout, like etcd's data dir: `<data-dir>/member/wal/` holds the Raft log: its entries
//! in append-only segment files ([`segment_log`], not LMDB: one fdatasync per append, as
//! etcd's WAL) and its vote, identity and purge point in a small LMDB environment ([`wal`]); `<data-dir>/member/snap/db` holds the applied state ([`backend`]): ONE file
//! (LMDB's no-sub-dir mode, lock file `db-lock` beside it) as etcd's, so copying it is a
//! backup; a `db/` directory from the previous layout is opened as it is
//! ([`backend::EnvLayout`]).
//! [`snapshot`]: compacting copy and swap (defragmentation) and the snapshot image format.
//! [`etcd`]: etcd's own formats (bbolt), bytes only.
//! [`schema`]: every database name and meta key of both environments, in one table, and the
//! one helper that creates databases.
//! Depends on: heed, crc.

pub mod backend;
pub mod backup;
pub mod etcd;
pub mod file_check;
pub mod keymap;
pub mod record;
pub mod schema;
pub mod segment_log;
pub mod snapshot;
pub mod wal;

pub use backend::{open_env, Env, EnvKind, StorageError};
