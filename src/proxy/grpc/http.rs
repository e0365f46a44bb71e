//! The proxy's HTTP endpoints (etcd's `grpcproxy/metrics.go`, `health.go`):
//! - `/metrics`: the metrics of a member (fetched from its `/metrics`, as etcd 3.4's proxy
//!   does), followed by the proxy's own families;
//! - `/proxy/metrics`: the proxy's own families only;
//! - `/health`, `/proxy/health`: `{"health":"true"}` when a read through the proxy's client
//!   succeeds (or is refused for permission) within 1 s, else `{"health":"false"}` with 503.

use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::Proxy;
use crate::pb::etcdserverpb::RangeRequest;

/// Bound on fetching a member's `/metrics`.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// The routes.
pub fn routes(proxy: Proxy) -> axum::Router {
    let (p1, p2, p3, p4) = (proxy.clone(), proxy.clone(), proxy.clone(), proxy);
    axum::Router::new()
        .route("/metrics", get(move || metrics(p1.clone())))
        .route(
            "/proxy/metrics",
            get(move || {
                let p = p2.clone();
                async move { text(p.metrics_text()) }
            }),
        )
        .route("/health", get(move || health(p3.clone())))
        .route("/proxy/health", get(move || health(p4.clone())))
}

fn text(body: String) -> impl IntoResponse {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        body,
    )
}

async fn metrics(proxy: Proxy) -> axum::response::Response {
    let mut body = String::new();
    let mut fetched = false;
    for ep in proxy.client.endpoints() {
        match tokio::time::timeout(FETCH_TIMEOUT, fetch_metrics(&proxy, &ep)).await {
            Ok(Ok(b)) => {
                // A member may export empty proxy families itself; the proxy's replace them.
                body = b
                    .lines()
                    .filter(|l| !is_proxy_family_line(l))
                    .map(|l| format!("{l}\n"))
                    .collect();
                fetched = true;
                break;
            }
            Ok(Err(e)) => {
                tracing::debug!(endpoint = %ep, error = %e, "failed to fetch member metrics")
            }
            Err(_) => tracing::debug!(endpoint = %ep, "fetching member metrics timed out"),
        }
    }
    if !fetched {
        return (StatusCode::INTERNAL_SERVER_ERROR, "Internal server error\n").into_response();
    }
    if !body.is_empty() && !body.ends_with('\n') {
        body.push('\n');
    }
    body.push_str(&proxy.metrics_text());
    text(body).into_response()
}

/// Whether a Prometheus text line belongs to an `etcd_grpc_proxy_*` family.
fn is_proxy_family_line(l: &str) -> bool {
    let name = l
        .strip_prefix("# HELP ")
        .or_else(|| l.strip_prefix("# TYPE "))
        .unwrap_or(l);
    name.starts_with("etcd_grpc_proxy_")
}

/// `GET <endpoint>/metrics` over HTTP/1.1 (TLS for `https://` endpoints, or bare ones when
/// the proxy talks TLS to the cluster).
async fn fetch_metrics(proxy: &Proxy, ep: &str) -> std::io::Result<String> {
    let tls = ep.starts_with("https://") || (!ep.contains("://") && proxy.upstream_tls.is_some());
    let hostport = ep
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .trim_end_matches('/');
    let host = hostport
        .rsplit_once(':')
        .map_or(hostport, |(h, _)| h)
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let request = format!("GET /metrics HTTP/1.1\r\nHost: {hostport}\r\nConnection: close\r\n\r\n");
    let tcp = tokio::net::TcpStream::connect(hostport).await?;
    let mut raw = Vec::new();
    if tls {
        let opts = proxy.upstream_tls.clone().unwrap_or_default();
        let mut cfg = crate::tls::client_config(&opts, &crate::tls::TlsParams::default())
            .map_err(std::io::Error::other)?;
        cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
        let name = rustls_pki_types::ServerName::try_from(host)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        let mut s = tokio_rustls::TlsConnector::from(std::sync::Arc::new(cfg))
            .connect(name, tcp)
            .await?;
        s.write_all(request.as_bytes()).await?;
        let _ = s.read_to_end(&mut raw).await;
    } else {
        let mut s = tcp;
        s.write_all(request.as_bytes()).await?;
        s.read_to_end(&mut raw).await?;
    }
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("malformed HTTP response"))?;
    if !head.starts_with("HTTP/1.1 200") && !head.starts_with("HTTP/1.0 200") {
        return Err(std::io::Error::other(format!(
            "unexpected status {}",
            head.lines().next().unwrap_or_default()
        )));
    }
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        return Ok(dechunk(body));
    }
    Ok(body.to_string())
}

/// Decodes an HTTP/1.1 chunked body.
fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        body = rest[n..].trim_start_matches("\r\n");
    }
    out
}

async fn health(proxy: Proxy) -> impl IntoResponse {
    let req = RangeRequest {
        key: b"a".to_vec(),
        ..Default::default()
    };
    let caller = super::Caller::default();
    let r = tokio::time::timeout(
        Duration::from_secs(1),
        proxy.unary(&caller, req, |ch, r| async move {
            crate::pb::etcdserverpb::kv_client::KvClient::new(ch)
                .range(r)
                .await
        }),
    )
    .await;
    let healthy = match r {
        Ok(Ok(_)) => true,
        Ok(Err(s)) => {
            s.code() == tonic::Code::PermissionDenied
                || s.message() == crate::rpctypes::WireError::UserEmpty.message()
        }
        Err(_) => false,
    };
    if healthy {
        (StatusCode::OK, r#"{"health":"true"}"#)
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, r#"{"health":"false"}"#)
    }
}

impl Proxy {
    /// The proxy's own metric families in Prometheus text format.
    pub fn metrics_text(&self) -> String {
        let keys = self.cache.lock().map(|c| c.len()).unwrap_or(0);
        let m = &self.metrics;
        let mut out = String::new();
        let mut family = |name: &str, kind: &str, help: &str, value: u64| {
            out.push_str(&format!(
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}\n"
            ));
        };
        family(
            "etcd_grpc_proxy_cache_hits_total",
            "counter",
            "Total number of cache hits",
            m.cache_hits.load(Ordering::Relaxed),
        );
        family(
            "etcd_grpc_proxy_cache_keys_total",
            "gauge",
            "Total number of keys/ranges cached",
            keys as u64,
        );
        family(
            "etcd_grpc_proxy_cache_misses_total",
            "counter",
            "Total number of cache misses",
            m.cache_misses.load(Ordering::Relaxed),
        );
        family(
            "etcd_grpc_proxy_events_coalescing_total",
            "counter",
            "Total number of events coalescing",
            self.hub.events_coalescing(),
        );
        family(
            "etcd_grpc_proxy_upstream_lease_streams",
            "gauge",
            "Lease keep-alive streams the proxy holds open on the cluster",
            self.leases.upstream_streams(),
        );
        family(
            "etcd_grpc_proxy_upstream_watchers",
            "gauge",
            "Watchers the proxy holds open on the cluster",
            self.hub.upstream_watchers(),
        );
        family(
            "etcd_grpc_proxy_watchers_coalescing_total",
            "gauge",
            "Total number of current watchers coalescing",
            self.hub.coalescing(),
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_proxy_families_are_dropped() {
        assert!(is_proxy_family_line(
            "# HELP etcd_grpc_proxy_cache_hits_total x"
        ));
        assert!(is_proxy_family_line("etcd_grpc_proxy_cache_hits_total 0"));
        assert!(!is_proxy_family_line("etcd_server_has_leader 1"));
    }

    #[test]
    fn chunked_bodies_decode() {
        assert_eq!(
            dechunk("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"),
            "hello world"
        );
    }
}
