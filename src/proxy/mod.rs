//! Proxies in front of a cluster. [`gateway`]: etcd's L4 TCP gateway.
//!
//! Depends on: tokio sockets only (the L7 gRPC proxy, when built, goes through `client`).

pub mod gateway;
