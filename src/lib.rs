//! etcd-oxide: etcd rebuilt in Rust. One library behind the multi-call `etcd` binary.
//!
//! # Which way dependencies point
//! ```text
//! cli → anything                     v3rpc → server, pb, rpctypes, tls, serve
//! server → raft, apply, mvcc, lease, auth, alarm, membership, v2store, storage, pb, rpctypes, tls,
//!   config, discovery
//!   (server/serve.rs, the assembly of a member, also names v3rpc: it serves the client port)
//! raft → apply, storage, pb, tls
//! apply → mvcc, lease, auth, alarm, membership, v2store, storage, pb
//! mvcc, lease, auth, alarm, membership, v2store → storage, pb   (no tonic, no openraft, no sockets)
//! storage → heed, pb (no tonic, no openraft, no sockets)
//! client → pb, rpctypes, tls      (never server or v3rpc)
//! benchmark → client, pb, tls, mvcc, storage   (the engine of `etcd benchmark`; `mvcc put` drives the store)
//! v3rpc: never raft, storage, heed or openraft
//! certs → rcgen, rsa, x509-parser (no anyhow, no clap: the edge is cli::certs)
//! tls → rustls, tokio-rustls, rcgen, x509-parser (no server, client or cli code)
//! proxy → client, pb, rpctypes, tls, serve, discovery, config   (gateway: sockets only; the v2
//!   proxy reads a discovery token and its listen URLs)
//! serve → tls, h2_authority, h2_ping_policy   (the HTTP accept loop of client-facing ports)
//! config → tls, auth (token option syntax)
//! discovery → config, tls, client, pb   (bootstrap discovery; the server's bootstrap names it;
//!   v3 discovery talks to its service through our v3 client)
//! pb, rpctypes, h2_authority, h2_ping_policy: leaves; keys, go_text, observability, clock (the
//! member's clock, skewable in failpoints builds), failpoints (`--features failpoints` builds
//! only): leaves any layer may use
//! ```
//! `layering::layering` (a unit test) checks every arrow in every file under `src/`, subfolders
//! included, with an explicit list of today's exceptions (v3rpc's error map names apply and
//! auth errors; `v3rpc/lease.rs` matches one apply error).

pub(crate) mod alarm;
pub(crate) mod apply;
pub(crate) mod auth;
pub mod benchmark;
pub(crate) mod certs;
pub mod cli;
pub mod client;
pub mod clock;
pub(crate) mod config;
pub(crate) mod discovery;
#[cfg(feature = "failpoints")]
pub mod failpoints;
pub(crate) mod go_text;
pub(crate) mod h2_authority;
pub(crate) mod h2_ping_policy;
pub mod keys;
pub(crate) mod lease;
pub(crate) mod membership;
pub(crate) mod mvcc;
pub(crate) mod observability;
pub mod pb;
pub(crate) mod proxy;
pub(crate) mod raft;
pub(crate) mod rpctypes;
pub(crate) mod serve;
pub(crate) mod server;
pub(crate) mod storage;
pub mod tls;
pub(crate) mod v2store;
pub(crate) mod v3rpc;

#[cfg(test)]
mod fuzz;

#[cfg(test)]
mod layering;
