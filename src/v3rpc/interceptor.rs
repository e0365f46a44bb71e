//! Per-request metadata: the auth `token` (etcd's `rpctypes.TokenFieldNameGRPC`), resolved
//! into the [`Caller`] a server method runs for.

use tonic::{Request, Status};

use crate::rpctypes::TOKEN_FIELD_NAME_GRPC;
use crate::server::{Caller, EtcdServer};

/// The `token` metadata of a request, if any.
pub fn token<T>(req: &Request<T>) -> Option<String> {
    req.metadata()
        .get(TOKEN_FIELD_NAME_GRPC)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// The common name of the verified TLS client certificate of the connection a request
/// came on, attached by the client listener ([`super::ClientCertCn`]).
pub fn cert_cn<T>(req: &Request<T>) -> Option<String> {
    req.extensions()
        .get::<super::ClientCertCn>()
        .map(|c| c.0.clone())
}

/// Resolves a request's token (or, without one, its client certificate CN) into its caller.
///
/// # Errors
/// `etcdserver: invalid auth token` for an unknown or expired token.
pub fn caller<T>(server: &EtcdServer, req: &Request<T>) -> Result<Caller, Status> {
    Ok(server.caller_from(token(req).as_deref(), cert_cn(req).as_deref())?)
}

/// etcd's `hasleader` check (`v3rpc/interceptor.go`): a request carrying the metadata
/// `hasleader: true` fails at once with `etcdserver: no leader` when this member knows no
/// leader, instead of waiting for one.
pub async fn require_leader(
    axum::extract::State(server): axum::extract::State<std::sync::Arc<crate::server::EtcdServer>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let wants_leader = request
        .headers()
        .get(crate::rpctypes::METADATA_REQUIRE_LEADER_KEY)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == crate::rpctypes::METADATA_HAS_LEADER);
    if wants_leader && server.leader().is_none() {
        return crate::rpctypes::WireError::NoLeader.status().into_http();
    }
    next.run(request).await
}
