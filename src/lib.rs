//! etcd-oxide: etcd rebuilt in Rust. One library behind the multi-call `etcd` binary.
//!
//! # Which way dependencies point
//! ```text
//! cli → anything                     v3rpc → server, pb, rpctypes
//! server → raft, apply, mvcc, lease, auth, membership, storage, pb, tls
//! raft → apply, storage, pb, tls     apply → mvcc, lease, auth, membership, storage, pb
//! v3rpc → tls (the client listener's TLS accept)
//! mvcc, lease, auth, membership → storage, pb     (no tonic, no openraft, no sockets)
//! storage → heed, pb                 client → pb, rpctypes, tls      (never server or v3rpc)
//! certs → rcgen, rsa, x509-parser (no anyhow, no clap: the edge is cli::certs)
//! tls → rustls, tokio-rustls, rcgen, x509-parser (no server, client or cli code)
//! proxy → client, pb, tls, serve   (gateway: sockets only)
//! serve → tls, h2_authority   (the HTTP accept loop of client-facing ports)
//! pb, rpctypes, h2_authority: leaves
//! ```
//! `tests::layering` enforces the rules that matter most.

pub mod apply;
pub mod auth;
pub mod certs;
pub mod cli;
pub mod client;
pub mod config;
pub mod h2_authority;
pub mod keys;
pub mod lease;
pub mod membership;
pub mod mvcc;
pub mod observability;
pub mod pb;
pub mod proxy;
pub mod raft;
pub mod rpctypes;
pub mod serve;
pub mod server;
pub mod storage;
pub mod tls;
pub mod v3rpc;

#[cfg(test)]
mod fuzz;

#[cfg(test)]
mod tests {
    /// The deterministic core never names the wire or the consensus library.
    #[test]
    fn layering() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        for dir in ["storage", "mvcc", "lease", "auth", "membership", "apply"] {
            let d = root.join(dir);
            let Ok(entries) = std::fs::read_dir(&d) else {
                continue;
            };
            for e in entries.flatten() {
                let text = std::fs::read_to_string(e.path()).unwrap_or_default();
                for banned in ["tonic::", "openraft::", "crate::v3rpc", "crate::server"] {
                    assert!(
                        !text.contains(banned),
                        "{} uses {banned}",
                        e.path().display()
                    );
                }
            }
        }
        for e in std::fs::read_dir(root.join("certs"))
            .into_iter()
            .flatten()
            .flatten()
        {
            let text = std::fs::read_to_string(e.path()).unwrap_or_default();
            for banned in ["anyhow::", "clap::", "crate::cli", "crate::server"] {
                assert!(
                    !text.contains(banned),
                    "{} uses {banned}",
                    e.path().display()
                );
            }
        }
        for dir in ["client", "proxy", "proxy/grpc"] {
            let d = root.join(dir);
            let Ok(entries) = std::fs::read_dir(&d) else {
                continue;
            };
            for e in entries.flatten() {
                let text = std::fs::read_to_string(e.path()).unwrap_or_default();
                for banned in ["crate::server", "crate::v3rpc", "crate::raft"] {
                    assert!(
                        !text.contains(banned),
                        "{} uses {banned}",
                        e.path().display()
                    );
                }
            }
        }
    }
}
