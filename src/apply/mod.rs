//! The only code that changes replicated state. Deterministic: the same entries applied to the
//! same state give the same state and responses on every member.
//!
//! May depend on `mvcc`, `lease`, `auth`, `membership`, `storage` and `pb`; never on tonic or
//! openraft.
//!
//! - [`kv`]: Put, DeleteRange, Txn and Compaction (etcd's `etcdserver/apply.go`).

pub mod kv;
