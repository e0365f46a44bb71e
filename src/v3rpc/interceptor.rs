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

/// Rewrites tonic's refusal of an oversized request message into grpc-go's, as etcd's
/// clients see it: `RESOURCE_EXHAUSTED` with `grpc: received message larger than max
/// (N vs. M)` (tonic answers `OUT_OF_RANGE`, `Error, decoded message length too large: found N
/// bytes, the limit is: M bytes`). Covers unary calls, whose decode failures come back as a
/// trailers-only response (the status in the response headers).
pub async fn grpc_size_errors(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let mut response = next.run(request).await;
    let Some(status) = Status::from_header_map(response.headers()) else {
        return response;
    };
    if status.code() != tonic::Code::OutOfRange {
        return response;
    }
    let Some((found, limit)) = tonic_size_error(status.message()) else {
        return response;
    };
    let grpc_go = Status::resource_exhausted(format!(
        "grpc: received message larger than max ({found} vs. {limit})"
    ));
    let mut headers = axum::http::HeaderMap::new();
    if grpc_go.add_header(&mut headers).is_ok() {
        for (name, value) in headers.iter() {
            response.headers_mut().insert(name.clone(), value.clone());
        }
    }
    response
}

/// `(found, limit)` from tonic's `Error, decoded message length too large: found N bytes,
/// the limit is: M bytes`.
fn tonic_size_error(message: &str) -> Option<(u64, u64)> {
    let rest = message.strip_prefix("Error, decoded message length too large: found ")?;
    let (found, rest) = rest.split_once(" bytes, the limit is: ")?;
    let limit = rest.strip_suffix(" bytes")?;
    Some((found.parse().ok()?, limit.parse().ok()?))
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_tonic_size_error() {
        assert_eq!(
            super::tonic_size_error(
                "Error, decoded message length too large: found 3145735 bytes, the limit is: 2097152 bytes"
            ),
            Some((3_145_735, 2_097_152))
        );
        assert_eq!(super::tonic_size_error("something else"), None);
    }
}
