//! Bootstrap discovery: how a new member learns its initial cluster when it is not given
//! `--initial-cluster`. [`v2`] is etcd's v2 discovery protocol (`--discovery URL`, a v2 keys
//! directory on a discovery service) over the small HTTP client of [`http`]; [`srv`] is DNS
//! SRV discovery (`--discovery-srv`) for the server, etcdctl, the gateway and the gRPC proxy.
//!
//! Used by the server's bootstrap (`server::bootstrap`); the CLI maps its errors to etcd's
//! exit messages.
//!
//! Depends on: `config` (URL list syntax), `tls` (the HTTPS client configuration).

pub(crate) mod http;
pub(crate) mod srv;
pub(crate) mod v2;
