//! The HTTP side of the peer port: etcd's peer handler `GET /members` (the cluster's
//! members as a JSON array of `membership.Member`, with `X-Etcd-Cluster-ID`), which a v2
//! proxy (`--proxy on|readonly`) reads to learn the cluster's client URLs
//! (etcd's `GetClusterFromRemotePeers`).
//!
//! Served beside the peer gRPC services on the same listener; holds the member weakly so
//! the peer port never keeps a stopped member alive.
//!
//! Depends on: `server` (the member list), axum.

use std::sync::{Arc, Weak};

use axum::extract::State;
use axum::http::{header, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;

use crate::server::EtcdServer;

/// `/members` on the peer port.
pub fn routes(server: &Arc<EtcdServer>) -> Router {
    Router::new()
        .route("/members", any(members))
        .with_state(Arc::downgrade(server))
}

/// One member as etcd's `membership.Member` encodes in JSON: the ID as a number,
/// `peerURLs`, `isLearner` only when true, `name` and `clientURLs` omitted when empty.
pub(crate) fn member_json(
    id: u64,
    name: &str,
    peers: &[String],
    clients: &[String],
    learner: bool,
) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    m.insert("id".into(), id.into());
    m.insert("peerURLs".into(), peers.into());
    if learner {
        m.insert("isLearner".into(), true.into());
    }
    if !name.is_empty() {
        m.insert("name".into(), name.into());
    }
    if !clients.is_empty() {
        m.insert("clientURLs".into(), clients.into());
    }
    serde_json::Value::Object(m)
}

/// etcd's `peerMembersHandler`: GET only (`405` with `Allow: GET` otherwise).
async fn members(State(server): State<Weak<EtcdServer>>, method: Method) -> Response {
    if method != Method::GET {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "GET")],
            "Method Not Allowed\n",
        )
            .into_response();
    }
    let Some(server) = server.upgrade() else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    let list: Vec<serde_json::Value> = server
        .members()
        .iter()
        .map(|(id, m, learner)| member_json(*id, &m.name, &m.peer_urls, &m.client_urls, *learner))
        .collect();
    let body = format!("{}\n", serde_json::Value::Array(list));
    (
        StatusCode::OK,
        [
            ("X-Etcd-Cluster-ID", format!("{:x}", server.cluster_id())),
            (
                header::CONTENT_TYPE.as_str(),
                "application/json".to_string(),
            ),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_json_is_etcds_shape() {
        let v = member_json(10, "a", &["http://p".into()], &[], false);
        assert_eq!(
            v,
            serde_json::json!({"id": 10, "peerURLs": ["http://p"], "name": "a"})
        );
        let v = member_json(1, "", &[], &["http://c".into()], true);
        assert_eq!(
            v,
            serde_json::json!({"id": 1, "peerURLs": [], "isLearner": true, "clientURLs": ["http://c"]})
        );
    }
}
