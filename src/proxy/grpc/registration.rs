//! `--resolver-prefix` registration (etcd's `grpcproxy/register.go`): the proxy writes
//! `<prefix>/<advertise-url>` with a lease of `--resolver-ttl` seconds and keeps the lease
//! alive; the value is the JSON etcd's `endpoints.Manager` writes
//! (`{"Op":0,"Addr":"<url>","Metadata":"{\"name\":\"<host>\"}"}`), so etcd's proxies and
//! ours read each other's registrations. When the lease is lost it registers again, at most
//! once a second.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::client::Client;
use crate::pb::etcdserverpb::PutRequest;

/// One registration value (Go's `naming/endpoints/internal.Update`).
#[derive(Debug, Serialize, Deserialize)]
struct Update {
    #[serde(rename = "Op", default)]
    op: u8,
    #[serde(rename = "Addr")]
    addr: String,
    #[serde(rename = "Metadata", default, skip_serializing_if = "Option::is_none")]
    metadata: Option<serde_json::Value>,
}

/// The value written for `addr`.
pub fn value_for(addr: &str, hostname: &str) -> Vec<u8> {
    let meta = serde_json::json!({ "name": hostname }).to_string();
    let u = Update {
        op: 0,
        addr: addr.to_string(),
        metadata: Some(serde_json::Value::String(meta)),
    };
    serde_json::to_vec(&u).unwrap_or_default()
}

/// The endpoint address of a registration value; `None` for values that are not one.
pub fn endpoint_of(value: &[u8]) -> Option<String> {
    serde_json::from_slice::<Update>(value)
        .ok()
        .filter(|u| u.op == 0 && !u.addr.is_empty())
        .map(|u| u.addr)
}

/// Registers `addr` under `prefix` with a lease of `ttl` seconds and keeps it alive until the
/// task is dropped; registers again after any failure (once a second at most).
pub async fn register(client: Arc<Client>, prefix: String, addr: String, ttl: i64, host: String) {
    loop {
        match register_once(&client, &prefix, &addr, ttl, &host).await {
            Ok(()) => tracing::warn!(addr = %addr, "registration lease lost; registering again"),
            Err(e) => tracing::warn!(addr = %addr, error = %e, "failed to register grpc-proxy"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

async fn register_once(
    client: &Client,
    prefix: &str,
    addr: &str,
    ttl: i64,
    host: &str,
) -> Result<(), crate::client::Error> {
    let lease = client.lease_grant(ttl, 0).await?;
    let put = PutRequest {
        key: format!("{prefix}/{addr}").into_bytes(),
        value: value_for(addr, host),
        lease: lease.id,
        ..Default::default()
    };
    client.put(put).await?;
    tracing::info!(addr = %addr, ttl, "registered {:?} with {}-second lease", addr, ttl);
    let mut ka = client.lease_keep_alive(lease.id).await?;
    // Renew at a third of the TTL, like clientv3's keep-alive loop.
    let every =
        Duration::from_millis((ttl.max(1) as u64) * 1000 / 3).max(Duration::from_millis(500));
    loop {
        match tokio::time::timeout(Duration::from_secs(ttl.max(1) as u64), ka.next()).await {
            Ok(Ok(Some(r))) if r.ttl > 0 => {}
            _ => return Ok(()),
        }
        tokio::time::sleep(every).await;
        ka.keep_alive().await?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registration_value_round_trips_and_matches_etcd() {
        let v = value_for("127.0.0.1:23790", "host");
        assert_eq!(
            String::from_utf8_lossy(&v),
            r#"{"Op":0,"Addr":"127.0.0.1:23790","Metadata":"{\"name\":\"host\"}"}"#
        );
        assert_eq!(endpoint_of(&v).as_deref(), Some("127.0.0.1:23790"));
        assert_eq!(endpoint_of(b"junk"), None);
    }
}
