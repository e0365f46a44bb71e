//! Plain HTTP endpoints on the client port, beside gRPC: `/health`, `/version`, `/metrics`
//! (etcd's `etcdhttp` handlers).

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

use crate::server::{EtcdServer, CLUSTER_VERSION, SERVER_VERSION};

/// Routes for `/health`, `/version` and `/metrics`.
pub fn routes(server: Arc<EtcdServer>) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/version", get(version))
        .route("/metrics", get(metrics))
        .with_state(server)
}

/// `GET /health`: `{"health":"true"}` with 200 when healthy (no alarm, a leader, a quorum
/// read within 1 s), else `{"health":"false"}` with 503 (etcd 3.4).
async fn health(State(server): State<Arc<EtcdServer>>) -> impl IntoResponse {
    let healthy = server.is_healthy().await;
    let (code, body) = if healthy {
        (StatusCode::OK, r#"{"health":"true"}"#)
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, r#"{"health":"false"}"#)
    };
    (
        code,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body,
    )
}

/// `GET /version`: `{"etcdserver":"3.4.23","etcdcluster":"3.4.0"}`.
async fn version() -> impl IntoResponse {
    let body = serde_json::json!({"etcdserver": SERVER_VERSION, "etcdcluster": CLUSTER_VERSION})
        .to_string();
    ([(header::CONTENT_TYPE, "application/json")], body)
}

/// `GET /metrics`: Prometheus text format.
async fn metrics() -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        crate::observability::metrics().render(),
    )
}
