//! etcd's fixed startup lines, worded per logger as etcd 3.4.23 words them, because operators'
//! tooling (and etcd's own test framework) waits for them. Under every logger the substrings
//! `published`, `ready to serve client requests` (as etcd 3.5 prints under zap too) and
//! `enabled capabilities for version` appear, in that order.
//!
//! | step | capnslog (`embed`, `etcdserver`, `etcdserver/api` packages) | zap `msg` |
//! |---|---|---|
//! | publish | `published {Name:n ClientURLs:[u]} to cluster <id>` | `published local member to cluster through raft` |
//! | ready | `ready to serve client requests` | `ready to serve client requests` |
//! | listener | `serving insecure client requests on <addr>, this is strongly discouraged!` / `serving client requests on <addr>` | `serving client traffic insecurely; this is strongly discouraged!` / `serving client traffic securely` |
//! | version | `enabled capabilities for version 3.4` | `enabled capabilities for version` |

use super::logging::{logger, LoggerKind};
use super::READY_MESSAGE;

/// The member published its attributes through the log (etcd's `publish`).
pub fn published(member_id: u64, name: &str, client_urls: &[String], cluster_id: u64) {
    let attrs = format!("{{Name:{name} ClientURLs:[{}]}}", client_urls.join(" "));
    match logger() {
        LoggerKind::Capnslog => tracing::info!(
            target: "etcdserver",
            "published {attrs} to cluster {cluster_id:x}"
        ),
        LoggerKind::Zap => tracing::info!(
            local_member_id = %format!("{member_id:x}"),
            local_member_attributes = %attrs,
            request_path = %format!("/0/members/{member_id:x}/attributes"),
            cluster_id = %format!("{cluster_id:x}"),
            publish_timeout = "7s",
            "published local member to cluster through raft"
        ),
    }
}

/// The member serves client requests (etcd's `embed: ready to serve client requests`).
pub fn ready() {
    tracing::info!(target: "embed", "{}", READY_MESSAGE);
}

/// One client listener serves (etcd's `serveCtx.serve` line); `addr` is `host:port`.
pub fn serving_client(addr: &str, secure: bool) {
    match (logger(), secure) {
        (LoggerKind::Capnslog, false) => tracing::info!(
            target: "embed",
            "serving insecure client requests on {addr}, this is strongly discouraged!"
        ),
        (LoggerKind::Capnslog, true) => {
            tracing::info!(target: "embed", "serving client requests on {addr}")
        }
        (LoggerKind::Zap, false) => tracing::info!(
            address = addr,
            "serving client traffic insecurely; this is strongly discouraged!"
        ),
        (LoggerKind::Zap, true) => {
            tracing::info!(address = addr, "serving client traffic securely")
        }
    }
}

/// The cluster version's capabilities are on (etcd's `api.UpdateCapability`).
pub fn capabilities(version: &str) {
    match logger() {
        LoggerKind::Capnslog => tracing::info!(
            target: "etcdserver/api",
            "enabled capabilities for version {version}"
        ),
        LoggerKind::Zap => {
            tracing::info!(
                cluster_version = version,
                "enabled capabilities for version"
            )
        }
    }
}

/// `--enable-pprof` is on (etcd's `pprof is enabled under /debug/pprof`).
pub fn pprof_enabled() {
    match logger() {
        LoggerKind::Capnslog => {
            tracing::info!(target: "embed", "pprof is enabled under /debug/pprof")
        }
        LoggerKind::Zap => tracing::info!(path = "/debug/pprof", "pprof is enabled"),
    }
}

/// A `--listen-metrics-urls` listener serves.
pub fn serving_metrics(url: &str) {
    match logger() {
        LoggerKind::Capnslog => {
            tracing::info!(target: "embed", "listening for metrics on {url}")
        }
        LoggerKind::Zap => tracing::info!(address = url, "serving metrics"),
    }
}
