//! etcd 3.4's grpc-gateway JSON API on the client port: `POST /v3/<service>/<method>` (and
//! the `/v3beta/` aliases etcd rewrites to `/v3/`) with a JSON body, answered in JSON.
//!
//! Like etcd's gateway (`embed/serve.go` registers grpc-gateway v1.9.5 handlers that dial the
//! member's own gRPC port), each request is turned into the gRPC call of the same method and
//! sent to the in-process gRPC services of this member (the tonic router of [`super::router`],
//! called as a tower service, no socket): so the gateway runs exactly the code, checks and
//! errors a gRPC client gets. The `Authorization` header becomes the `token` metadata (etcd
//! accepts its token under both names); `Grpc-Metadata-<key>` headers become metadata `<key>`.
//!
//! The JSON mapping is grpc-gateway's `JSONPb{OrigName: true}` (proto3 JSON through
//! `prost-reflect`, from the descriptor set build.rs writes): field names as in the .proto,
//! bytes in standard base64, 64-bit integers as strings, enums by name, default values
//! omitted; requests may use either field spelling and ignore unknown fields, `null` is the
//! empty message, enum names must exist and bytes are padded standard base64, as etcd's
//! decoder (jsonpb) has it. Shapes, as etcd 3.4.23 answers them:
//! - unary success: 200, `application/json`, the response message;
//! - unary error: grpc-gateway's HTTP status for the gRPC code (e.g. 400 for
//!   `INVALID_ARGUMENT`, 412 for `FAILED_PRECONDITION`) and
//!   `{"error":msg,"message":msg,"code":n}`;
//! - streams (watch, lease keepalive, snapshot, election observe): one
//!   `{"result":{...}}` line per response message; an error ends the stream with
//!   `{"error":{"grpc_code":n,"http_code":n,"message":..,"http_status":..}}` (no newline);
//!   a watch stays open after the request body ends, until the client goes away;
//! - a WebSocket upgrade on any gateway path (etcd wraps its gateway in grpc-websocket-proxy):
//!   each client message is one JSON request, each answer line one text message;
//! - an unknown `/v3/` path: 404 `Not Found`; a known one with another method than POST: 405;
//! - with auth enabled, a request over TLS with a client certificate that has a CN: 400
//!   (etcd's `CommonName of client sending a request against gateway will be ignored ...`):
//!   the CN is not passed on, as etcd's gateway calls gRPC as the member itself.
//!
//! # Files
//! This module holds the route table, the descriptor pool and the dispatch (unary and error
//! answers); `json.rs` the proto3 JSON mapping and the dynamic codec; `stream.rs` the
//! streaming answers (Watch, LeaseKeepAlive) and the WebSocket proxy.
//!
//! Depends on: server (auth enabled), pb (through the descriptor set), tonic, prost-reflect.

mod json;
mod stream;

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures::{Stream, StreamExt};
use http_body_util::BodyExt;
use prost_reflect::prost_types::{DescriptorProto, FileDescriptorSet};
use prost_reflect::{
    DescriptorPool, DeserializeOptions, DynamicMessage, MessageDescriptor, MethodDescriptor,
    SerializeOptions,
};
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::metadata::{MetadataKey, MetadataMap, MetadataValue};
use tonic::{Code, Status};

use crate::server::EtcdServer;

use json::*;
use stream::*;

/// The file descriptor set of `proto/` written by build.rs.
const DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/etcd_descriptor_set.bin"));

/// Every gateway path of etcd 3.4.23 (the `google.api.http` annotations of `rpc.proto`,
/// `v3lock.proto` and `v3election.proto`) → (gRPC service, method).
///
/// `HashKV` is annotated with the same path as `Hash`; grpc-gateway keeps the first one
/// registered, so `/v3/maintenance/hash` answers `Hash` (as etcd does) and `HashKV` has no path.
const PATHS: &[(&str, &str, &str)] = &[
    ("/v3/kv/range", "etcdserverpb.KV", "Range"),
    ("/v3/kv/put", "etcdserverpb.KV", "Put"),
    ("/v3/kv/deleterange", "etcdserverpb.KV", "DeleteRange"),
    ("/v3/kv/txn", "etcdserverpb.KV", "Txn"),
    ("/v3/kv/compaction", "etcdserverpb.KV", "Compact"),
    ("/v3/watch", "etcdserverpb.Watch", "Watch"),
    ("/v3/lease/grant", "etcdserverpb.Lease", "LeaseGrant"),
    ("/v3/lease/revoke", "etcdserverpb.Lease", "LeaseRevoke"),
    ("/v3/kv/lease/revoke", "etcdserverpb.Lease", "LeaseRevoke"),
    (
        "/v3/lease/keepalive",
        "etcdserverpb.Lease",
        "LeaseKeepAlive",
    ),
    (
        "/v3/lease/timetolive",
        "etcdserverpb.Lease",
        "LeaseTimeToLive",
    ),
    (
        "/v3/kv/lease/timetolive",
        "etcdserverpb.Lease",
        "LeaseTimeToLive",
    ),
    ("/v3/lease/leases", "etcdserverpb.Lease", "LeaseLeases"),
    ("/v3/kv/lease/leases", "etcdserverpb.Lease", "LeaseLeases"),
    (
        "/v3/cluster/member/add",
        "etcdserverpb.Cluster",
        "MemberAdd",
    ),
    (
        "/v3/cluster/member/remove",
        "etcdserverpb.Cluster",
        "MemberRemove",
    ),
    (
        "/v3/cluster/member/update",
        "etcdserverpb.Cluster",
        "MemberUpdate",
    ),
    (
        "/v3/cluster/member/list",
        "etcdserverpb.Cluster",
        "MemberList",
    ),
    (
        "/v3/cluster/member/promote",
        "etcdserverpb.Cluster",
        "MemberPromote",
    ),
    ("/v3/maintenance/alarm", "etcdserverpb.Maintenance", "Alarm"),
    (
        "/v3/maintenance/status",
        "etcdserverpb.Maintenance",
        "Status",
    ),
    (
        "/v3/maintenance/defragment",
        "etcdserverpb.Maintenance",
        "Defragment",
    ),
    ("/v3/maintenance/hash", "etcdserverpb.Maintenance", "Hash"),
    (
        "/v3/maintenance/snapshot",
        "etcdserverpb.Maintenance",
        "Snapshot",
    ),
    (
        "/v3/maintenance/transfer-leadership",
        "etcdserverpb.Maintenance",
        "MoveLeader",
    ),
    ("/v3/auth/enable", "etcdserverpb.Auth", "AuthEnable"),
    ("/v3/auth/disable", "etcdserverpb.Auth", "AuthDisable"),
    ("/v3/auth/authenticate", "etcdserverpb.Auth", "Authenticate"),
    ("/v3/auth/user/add", "etcdserverpb.Auth", "UserAdd"),
    ("/v3/auth/user/get", "etcdserverpb.Auth", "UserGet"),
    ("/v3/auth/user/list", "etcdserverpb.Auth", "UserList"),
    ("/v3/auth/user/delete", "etcdserverpb.Auth", "UserDelete"),
    (
        "/v3/auth/user/changepw",
        "etcdserverpb.Auth",
        "UserChangePassword",
    ),
    ("/v3/auth/user/grant", "etcdserverpb.Auth", "UserGrantRole"),
    (
        "/v3/auth/user/revoke",
        "etcdserverpb.Auth",
        "UserRevokeRole",
    ),
    ("/v3/auth/role/add", "etcdserverpb.Auth", "RoleAdd"),
    ("/v3/auth/role/get", "etcdserverpb.Auth", "RoleGet"),
    ("/v3/auth/role/list", "etcdserverpb.Auth", "RoleList"),
    ("/v3/auth/role/delete", "etcdserverpb.Auth", "RoleDelete"),
    (
        "/v3/auth/role/grant",
        "etcdserverpb.Auth",
        "RoleGrantPermission",
    ),
    (
        "/v3/auth/role/revoke",
        "etcdserverpb.Auth",
        "RoleRevokePermission",
    ),
    ("/v3/lock/lock", "v3lockpb.Lock", "Lock"),
    ("/v3/lock/unlock", "v3lockpb.Lock", "Unlock"),
    ("/v3/election/campaign", "v3electionpb.Election", "Campaign"),
    ("/v3/election/proclaim", "v3electionpb.Election", "Proclaim"),
    ("/v3/election/leader", "v3electionpb.Election", "Leader"),
    ("/v3/election/observe", "v3electionpb.Election", "Observe"),
    ("/v3/election/resign", "v3electionpb.Election", "Resign"),
];

/// The descriptors of `proto/` as etcd declares them, decoded once (see [`etcd_types`]).
fn pool() -> &'static DescriptorPool {
    static POOL: OnceLock<DescriptorPool> = OnceLock::new();
    POOL.get_or_init(|| {
        let mut set = <FileDescriptorSet as prost::Message>::decode(DESCRIPTOR_SET)
            .expect("invariant: build.rs writes a valid file descriptor set");
        for file in &mut set.file {
            let package = file.package().to_string();
            for msg in &mut file.message_type {
                etcd_types(&package, msg);
            }
        }
        DescriptorPool::from_file_descriptor_set(set)
            .expect("invariant: build.rs writes a valid file descriptor set")
    })
}

/// Field names our `proto/` declares `bytes` where etcd's `rpc.proto` says `string` (see
/// proto/README.md: prost refuses non-UTF-8 strings, etcd does not). The wire encoding is the
/// same, but JSON is not (base64 vs text), so the gateway maps them with etcd's type.
const ETCD_STRING_FIELDS: &[&str] = &[
    "name", "password", "user", "role", "roles", "users", "peerURLs",
];

/// Gives `msg`'s fields of [`ETCD_STRING_FIELDS`] etcd's `string` type: every such field of
/// `etcdserverpb`, and `authpb.User.roles` (`User.name` and `password` are `bytes` in etcd too).
fn etcd_types(package: &str, msg: &mut DescriptorProto) {
    use prost_reflect::prost_types::field_descriptor_proto::Type;
    for field in &mut msg.field {
        let patch = match package {
            "etcdserverpb" => ETCD_STRING_FIELDS.contains(&field.name()),
            "authpb" => msg.name.as_deref() == Some("User") && field.name() == "roles",
            _ => false,
        };
        if patch && field.r#type() == Type::Bytes {
            field.set_type(Type::String);
        }
    }
}

/// One gateway path's gRPC method.
#[derive(Clone)]
struct Route {
    /// `/etcdserverpb.KV/Range`.
    grpc_path: axum::http::uri::PathAndQuery,
    method: MethodDescriptor,
}

/// What the gateway handler needs: the routes and the in-process gRPC services.
struct Gateway {
    server: Arc<EtcdServer>,
    routes: HashMap<&'static str, Route>,
    grpc: axum::Router,
    /// Largest JSON request body read, in bytes.
    max_body: usize,
}

/// The gateway routes (`/v3/*`, `/v3beta/*`) of `server`, calling `grpc` (its gRPC services
/// as one axum router). A JSON body may be up to about 3 times `--max-request-bytes` (base64
/// and JSON overhead); the gRPC service enforces the real limit.
///
/// # Panics
/// When a [`PATHS`] entry names a method missing from `proto/` (a build mistake the unit
/// test catches).
pub fn routes(server: Arc<EtcdServer>, grpc: axum::Router) -> axum::Router {
    let max_request_bytes = server.config().max_request_bytes as usize;
    let mut routes = HashMap::new();
    for &(path, service, method) in PATHS {
        let desc = pool()
            .get_service_by_name(service)
            .and_then(|s| s.methods().find(|m| m.name() == method))
            .unwrap_or_else(|| panic!("invariant: proto/ defines {service}.{method}"));
        let grpc_path = axum::http::uri::PathAndQuery::try_from(format!("/{service}/{method}"))
            .unwrap_or_else(|_| panic!("invariant: /{service}/{method} is a valid path"));
        routes.insert(
            path,
            Route {
                grpc_path,
                method: desc,
            },
        );
    }
    let gateway = Arc::new(Gateway {
        server,
        routes,
        grpc,
        max_body: max_request_bytes
            .saturating_add(super::GRPC_OVERHEAD_BYTES)
            .saturating_mul(3),
    });
    axum::Router::new()
        .route("/v3/{*rest}", axum::routing::any(handle))
        .route("/v3beta/{*rest}", axum::routing::any(handle))
        .with_state(gateway)
}

/// Go's `http.Error(w, msg, code)`: text/plain, `nosniff`, `msg\n`.
pub(crate) fn text_error(code: StatusCode, msg: &str) -> Response {
    (
        code,
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        format!("{msg}\n"),
    )
        .into_response()
}

/// One gateway request: a WebSocket upgrade goes to [`websocket`], anything else to
/// [`serve`].
async fn handle(State(gw): State<Arc<Gateway>>, req: Request) -> Response {
    let upgrade = req
        .headers()
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    if upgrade {
        websocket(gw, req).await
    } else {
        serve(gw, req).await
    }
}

/// One gateway HTTP request: route lookup (`/v3beta/` read as `/v3/`), method and client-CN
/// checks, then the unary, server-streaming or bidirectional gRPC call (see the module doc).
async fn serve(gw: Arc<Gateway>, req: Request) -> Response {
    let path = req.uri().path();
    let path = match path.strip_prefix("/v3beta/") {
        Some(rest) => format!("/v3/{rest}"),
        None => path.to_string(),
    };
    let Some(route) = gw.routes.get(path.as_str()).cloned() else {
        return text_error(StatusCode::NOT_FOUND, "Not Found");
    };
    if req.method() != Method::POST {
        return text_error(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed");
    }
    // etcd's accessController: the gateway calls gRPC as the member itself, so with auth on
    // a client certificate's CN would not name the user; etcd refuses such requests.
    let has_cn = req
        .extensions()
        .get::<super::ClientCertCn>()
        .is_some_and(|cn| !cn.0.is_empty());
    if has_cn && gw.server.read(|b, t| b.auth.is_enabled(t)).unwrap_or(false) {
        return text_error(
            StatusCode::BAD_REQUEST,
            "CommonName of client sending a request against gateway will be ignored and not used as expected",
        );
    }
    let (parts, body) = req.into_parts();
    let metadata = metadata(&parts.headers);
    let mut body = JsonValues::new(body, gw.max_body);
    let input = route.method.input();
    let output = route.method.output();
    let codec = DynCodec { output };
    let path = route.grpc_path.clone();
    let mut client = tonic::client::Grpc::new(gw.grpc.clone());
    if client.ready().await.is_err() {
        return error_response(&Status::unavailable("gRPC service not ready"));
    }
    match (
        route.method.is_client_streaming(),
        route.method.is_server_streaming(),
    ) {
        (false, server_streaming) => {
            // grpc-gateway decodes the first JSON value; an empty body is the default message.
            let msg = match body.next().await {
                Ok(Some(v)) => match to_message(&input, v) {
                    Ok(m) => m,
                    Err(e) => return error_response(&Status::invalid_argument(e)),
                },
                Ok(None) => DynamicMessage::new(input),
                Err(e) => return error_response(&e),
            };
            let request = tonic::Request::from_parts(metadata, Default::default(), msg);
            if server_streaming {
                let call = client.server_streaming(request, path, codec).await;
                stream_response(call, None).await
            } else {
                match client.unary(request, path, codec).await {
                    Ok(resp) => unary_response(resp),
                    Err(status) => error_response(&status),
                }
            }
        }
        (true, _) => {
            // grpc-gateway sends the first value before answering: a body that does not
            // decode fails the request (as a non-gRPC error: Unknown, 500).
            let first = match body.next().await {
                Ok(Some(v)) => match to_message(&input, v) {
                    Ok(m) => Some(m),
                    Err(e) => return error_response(&Status::unknown(e)),
                },
                Ok(None) => None,
                Err(e) => return error_response(&Status::unknown(e.message())),
            };
            // etcd's watch server ignores the end of the request stream (the watch stays
            // until the client goes away); other streams end with it.
            let keep_open = route.method.name() == "Watch";
            let rest = futures::stream::unfold((body, input), |(mut body, input)| async move {
                match body.next().await {
                    Ok(Some(v)) => to_message(&input, v).ok().map(|m| (m, (body, input))),
                    _ => None,
                }
            });
            let requests = futures::stream::iter(first).chain(rest);
            let requests: Pin<Box<dyn Stream<Item = DynamicMessage> + Send>> = if keep_open {
                Box::pin(requests.chain(futures::stream::pending()))
            } else {
                Box::pin(requests)
            };
            // The request stream ends when the HTTP answer is dropped (the client went away,
            // or the call failed): in process nothing else would reset it, and the service's
            // task would wait on it forever.
            let (answer_alive, answer_dropped) = futures::channel::oneshot::channel::<()>();
            let requests = requests.take_until(answer_dropped);
            let request = tonic::Request::from_parts(metadata, Default::default(), requests);
            let call = client.streaming(request, path, codec).await;
            stream_response(call, Some(answer_alive)).await
        }
    }
}

/// gRPC metadata for a gateway request: `Authorization` → `token` (etcd reads the token
/// from either), `Grpc-Metadata-<key>` → `<key>` (grpc-gateway's convention).
fn metadata(headers: &HeaderMap) -> MetadataMap {
    let mut md = MetadataMap::new();
    for (name, value) in headers {
        let key = if name == header::AUTHORIZATION {
            crate::rpctypes::TOKEN_FIELD_NAME_GRPC
        } else if let Some(key) = name.as_str().strip_prefix("grpc-metadata-") {
            key
        } else {
            continue;
        };
        let (Ok(key), Ok(value)) = (
            MetadataKey::from_bytes(key.as_bytes()),
            value.to_str().map(MetadataValue::try_from),
        ) else {
            continue;
        };
        if let Ok(value) = value {
            md.insert(key, value);
        }
    }
    md
}

/// grpc-gateway v1.9.5's `HTTPStatusFromCode` (as etcd 3.4.23 answers: `FAILED_PRECONDITION`
/// is 412 there).
pub(crate) fn http_status(code: Code) -> StatusCode {
    match code {
        Code::Ok => StatusCode::OK,
        Code::Cancelled => StatusCode::REQUEST_TIMEOUT,
        Code::Unknown => StatusCode::INTERNAL_SERVER_ERROR,
        Code::InvalidArgument => StatusCode::BAD_REQUEST,
        Code::DeadlineExceeded => StatusCode::GATEWAY_TIMEOUT,
        Code::NotFound => StatusCode::NOT_FOUND,
        Code::AlreadyExists => StatusCode::CONFLICT,
        Code::PermissionDenied => StatusCode::FORBIDDEN,
        Code::Unauthenticated => StatusCode::UNAUTHORIZED,
        Code::ResourceExhausted => StatusCode::TOO_MANY_REQUESTS,
        Code::FailedPrecondition => StatusCode::PRECONDITION_FAILED,
        Code::Aborted => StatusCode::CONFLICT,
        Code::OutOfRange => StatusCode::BAD_REQUEST,
        Code::Unimplemented => StatusCode::NOT_IMPLEMENTED,
        Code::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Code::DataLoss => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// grpc-gateway's unary error answer: `{"error":msg,"message":msg,"code":n}` with the
/// mapped HTTP status (and `WWW-Authenticate` for `UNAUTHENTICATED`).
fn error_response(status: &Status) -> Response {
    let mut body = Vec::new();
    write_go_json(
        &mut body,
        &ErrorBody {
            error: status.message(),
            message: status.message(),
            code: status.code() as i32,
        },
    );
    let mut resp = (
        http_status(status.code()),
        [(header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response();
    if status.code() == Code::Unauthenticated {
        if let Ok(v) = HeaderValue::from_str(status.message()) {
            resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
        }
    }
    resp
}

/// A unary success: the message as JSON, the response's header metadata as
/// `Grpc-Metadata-<key>` headers (grpc-go passes `content-type` on).
fn unary_response(resp: tonic::Response<DynamicMessage>) -> Response {
    let (md, msg, _) = resp.into_parts();
    let mut body = Vec::new();
    write_message(&mut body, &msg);
    let mut out = (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response();
    forward_metadata(&md, out.headers_mut());
    out
}

fn forward_metadata(md: &MetadataMap, headers: &mut HeaderMap) {
    let headers_in = md.clone().into_headers();
    let mut saw_content_type = false;
    for (name, value) in &headers_in {
        let name = name.as_str();
        if name.starts_with("grpc-") {
            continue;
        }
        saw_content_type |= name == "content-type";
        if let Ok(h) = header::HeaderName::from_bytes(format!("grpc-metadata-{name}").as_bytes()) {
            headers.append(h, value.clone());
        }
    }
    if !saw_content_type {
        headers.insert(
            header::HeaderName::from_static("grpc-metadata-content-type"),
            HeaderValue::from_static("application/grpc"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_path_names_a_method_of_proto() {
        for &(path, service, method) in PATHS {
            let found = pool()
                .get_service_by_name(service)
                .and_then(|s| s.methods().find(|m| m.name() == method));
            assert!(found.is_some(), "{path}: {service}.{method} missing");
        }
    }

    #[test]
    fn put_request_decodes_from_etcd_doc_json_and_range_response_prints_as_etcd() {
        let put = pool()
            .get_message_by_name("etcdserverpb.PutRequest")
            .expect("PutRequest");
        let msg = to_message(
            &put,
            serde_json::json!({"key": "Zm9v", "value": "YmFy", "lease": "7", "unknown": 1}),
        )
        .expect("decodes");
        assert_eq!(
            to_message(&put, serde_json::json!({"key": "YQ"}))
                .err()
                .as_deref(),
            Some("illegal base64 data at input byte 0")
        );
        assert_eq!(
            to_message(&put, serde_json::json!({"key": "Y!=="}))
                .err()
                .as_deref(),
            Some("illegal base64 data at input byte 1")
        );
        let range = pool()
            .get_message_by_name("etcdserverpb.RangeRequest")
            .expect("RangeRequest");
        assert!(to_message(&range, serde_json::json!({"sort_order": "BOGUS"})).is_err());
        assert!(to_message(&range, serde_json::json!({"sort_order": "DESCEND"})).is_ok());
        assert!(to_message(&range, serde_json::Value::Null).is_ok());
        let txn = pool()
            .get_message_by_name("etcdserverpb.TxnRequest")
            .expect("TxnRequest");
        assert!(to_message(
            &txn,
            serde_json::json!({"success": [{"request_put": {"key": "YQ==", "x": 1}}], "y": 2})
        )
        .is_ok());
        assert!(to_message(
            &txn,
            serde_json::json!({"success": [{"requestPut": {"key": "YQ"}}]})
        )
        .is_err());
        let mut out = Vec::new();
        write_message(&mut out, &msg);
        assert_eq!(
            String::from_utf8_lossy(&out),
            r#"{"key":"Zm9v","value":"YmFy","lease":"7"}"#
        );
        let range = pool()
            .get_message_by_name("etcdserverpb.RangeResponse")
            .expect("RangeResponse");
        let resp = to_message(
            &range,
            serde_json::json!({"header": {"revision": 2, "raftTerm": "3"}, "kvs": [], "count": 0}),
        )
        .expect("decodes");
        let mut out = Vec::new();
        write_message(&mut out, &resp);
        assert_eq!(
            String::from_utf8_lossy(&out),
            r#"{"header":{"revision":"2","raft_term":"3"}}"#
        );
    }

    #[test]
    fn enums_print_by_name_and_default_enum_is_omitted() {
        let ev = pool().get_message_by_name("mvccpb.Event").expect("Event");
        let put = to_message(
            &ev,
            serde_json::json!({"type": "PUT", "kv": {"key": "YQ=="}}),
        )
        .expect("decodes");
        let del = to_message(&ev, serde_json::json!({"type": 1})).expect("decodes");
        let (mut a, mut b) = (Vec::new(), Vec::new());
        write_message(&mut a, &put);
        write_message(&mut b, &del);
        assert_eq!(String::from_utf8_lossy(&a), r#"{"kv":{"key":"YQ=="}}"#);
        assert_eq!(String::from_utf8_lossy(&b), r#"{"type":"DELETE"}"#);
    }

    #[test]
    fn auth_names_are_strings_as_in_etcd() {
        let add = pool()
            .get_message_by_name("etcdserverpb.AuthUserAddRequest")
            .expect("AuthUserAddRequest");
        let msg = to_message(
            &add,
            serde_json::json!({"name": "root", "password": "pass"}),
        )
        .expect("decodes");
        let mut out = Vec::new();
        write_message(&mut out, &msg);
        assert_eq!(
            String::from_utf8_lossy(&out),
            r#"{"name":"root","password":"pass"}"#
        );
        let kv = pool()
            .get_message_by_name("mvccpb.KeyValue")
            .expect("KeyValue");
        let key = kv.get_field_by_name("key").expect("key");
        assert_eq!(key.kind(), prost_reflect::Kind::Bytes);
    }

    #[test]
    fn go_escaping_of_html_characters() {
        let mut out = Vec::new();
        write_go_json(&mut out, &serde_json::json!({"m": "a<b>&c"}));
        assert_eq!(
            String::from_utf8_lossy(&out),
            r#"{"m":"a\u003cb\u003e\u0026c"}"#
        );
    }

    #[test]
    fn error_body_is_grpc_gateways() {
        let resp = error_response(&Status::failed_precondition(
            "etcdserver: root user does not exist",
        ));
        assert_eq!(resp.status(), StatusCode::PRECONDITION_FAILED);
    }
}
