//! etcd-oxide: etcd rebuilt in Rust.
pub mod cli;
pub mod client;
pub mod pb;
