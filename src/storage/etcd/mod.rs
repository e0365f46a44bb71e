//! etcd's own on-disk formats, read and written byte for byte so data can cross between real
//! etcd and us: [`bbolt`] (the bbolt database file behind etcd's `member/snap/db` and its
//! snapshots, with etcd's snapshot status hash and sha256 trailer), [`wal`] (its
//! `member/wal/*.wal` files) and [`snap`] (its `member/snap/*.snap` Raft snapshots).
//!
//! Bytes only: the mapping of etcd's buckets to our domain stores lives above storage (apply,
//! cli). Depends on: std, crc, sha2.

pub mod bbolt;
pub mod snap;
pub mod wal;
