//! etcd-oxide: etcd rebuilt in Rust.
pub mod apply;
pub mod mvcc;
pub mod pb;
