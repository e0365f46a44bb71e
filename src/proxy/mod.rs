//! Proxies in front of a cluster. [`gateway`]: etcd's L4 TCP gateway; [`grpc`]: etcd's L7
//! gRPC proxy (forwarding, watch coalescing, namespaces).
//!
//! Depends on: tokio sockets (gateway); client and pb (grpc).

pub mod gateway;
pub mod grpc;
pub mod v2http;
