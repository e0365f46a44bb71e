//! Bootstrap discovery: how a new member learns its initial cluster when it is not given
//! `--initial-cluster`. [`v2`] is etcd's v2 discovery protocol (`--discovery URL`, a v2 keys
//! directory on a discovery service) over the small HTTP client of [`http`]; [`v3`] is etcd
//! 3.6's v3 discovery (`--discovery-token`, `--discovery-endpoints`: keys under
//! `/_etcd/registry/<token>` on an etcd v3 cluster) over our v3 client; [`srv`] is DNS
//! SRV discovery (`--discovery-srv`) for the server, etcdctl, the gateway and the gRPC proxy.
//!
//! Used by the server's bootstrap (`server::bootstrap`); the CLI maps its errors to etcd's
//! exit messages.
//!
//! Depends on: `config` (URL list syntax), `tls` (the HTTPS client configuration), `client`
//! and `pb` (v3 discovery).

pub(crate) mod http;
pub(crate) mod srv;
pub(crate) mod v2;
pub(crate) mod v3;
