//! etcd-oxide: etcd rebuilt in Rust.
pub mod pb;
