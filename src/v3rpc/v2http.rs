//! etcd's v2 HTTP API (`etcdserver/api/v2http`) on the client port, served only with
//! `--enable-v2` (without it these paths answer `404 page not found` as etcd 3.4 does):
//!
//! - `/v2/keys[/<path>]`: GET/HEAD (`recursive`, `sorted`, `quorum`, `wait` with `waitIndex`
//!   and `stream`), PUT (`value`, `dir`, `ttl`, `refresh`, `prevExist`, `prevValue`,
//!   `prevIndex`), POST (in-order keys), DELETE (`dir`, `recursive`, `prevValue`,
//!   `prevIndex`); form values from the query and, for PUT/POST, a urlencoded body first
//!   (Go's `ParseForm`). Answers are etcd's JSON events and `v2error` bodies with its HTTP
//!   statuses and the `X-Etcd-Index`, `X-Raft-Index`, `X-Raft-Term`, `X-Etcd-Cluster-Id`
//!   headers. A watch sends its headers at once and its event when one comes (5 minutes at
//!   most, etcd's `defaultWatchTimeout`).
//! - `/v2/members` (GET the list, `/v2/members/leader`; POST/DELETE/PUT as member add,
//!   remove and peer-URL update), `/v2/machines`, `/v2/stats/self`, `/v2/stats/store` (only
//!   `watchers` is counted), `/v2/stats/leader` (followers without counters).
//!
//! - `/v2/auth/*`: etcd's v2 auth API (`v2auth.rs`); with auth enabled, key requests are
//!   checked against the user's (or the `guest`) role and member changes need `root`.
//!
//! Thin: parsing and rendering here, the store work in `server::v2`.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Extension;
use axum::Router;

use crate::pb::peer::V2Request;
use crate::server::v2::{code, Event, V2Error};
use crate::server::EtcdServer;

/// etcd's `defaultWatchTimeout`: a long poll ends after 5 minutes without an event.
const WATCH_TIMEOUT: Duration = Duration::from_secs(300);

/// The `/v2/...` routes (merge only with `--enable-v2`).
pub fn routes(server: Arc<EtcdServer>) -> Router {
    Router::new()
        .route("/v2/keys", any(keys))
        .route("/v2/keys/", any(keys))
        .route("/v2/keys/{*path}", any(keys))
        .route("/v2/members", any(members))
        .route("/v2/members/", any(members))
        .route("/v2/members/{*rest}", any(members))
        .route("/v2/machines", any(machines))
        .route("/v2/stats/self", any(stats_self))
        .route("/v2/stats/store", any(stats_store))
        .route("/v2/stats/leader", any(stats_leader))
        .with_state(server.clone())
        .merge(super::v2auth::routes(server))
}

fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0)
}

/// Go's `allowMethod`: 405 with `Allow` and `Method Not Allowed`.
pub(super) fn method_not_allowed(allowed: &str) -> Response {
    (
        StatusCode::METHOD_NOT_ALLOWED,
        [
            (header::ALLOW, allowed.to_string()),
            (
                header::CONTENT_TYPE,
                "text/plain; charset=utf-8".to_string(),
            ),
        ],
        "Method Not Allowed\n",
    )
        .into_response()
}

pub(super) fn cluster_id_header(server: &EtcdServer) -> (&'static str, String) {
    ("X-Etcd-Cluster-Id", format!("{:x}", server.cluster_id()))
}

/// A v2 error as etcd writes it (`v2error.Error.WriteTo`).
pub(super) fn error_response(server: &EtcdServer, e: &V2Error) -> Response {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let mut r = (status, format!("{}\n", e.to_json())).into_response();
    let h = r.headers_mut();
    insert(h, "X-Etcd-Index", &e.index.to_string());
    insert(h, "Content-Type", "application/json");
    let (k, v) = cluster_id_header(server);
    insert(h, k, &v);
    r
}

fn insert(h: &mut HeaderMap, k: &'static str, v: &str) {
    if let Ok(v) = HeaderValue::from_str(v) {
        h.insert(k, v);
    }
}

/// Go's `strconv.ParseBool`.
fn go_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// Go's `strconv.ParseUint(s, 10, 64)`.
fn go_uint(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Go's `url.PathUnescape`-like decoding of the URL path (`%XX`).
fn unescape_path(p: &str) -> String {
    fn hex(b: u8) -> Option<u8> {
        (b as char).to_digit(16).map(|d| d as u8)
    }
    let b = p.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The request's form (Go's `r.Form`): a urlencoded body's values first (PUT/POST/PATCH),
/// then the query's.
struct Form(Vec<(String, String)>);

impl Form {
    fn parse(method: &Method, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Form {
        let mut v = Vec::new();
        let form_body = headers
            .get(header::CONTENT_TYPE)
            .and_then(|c| c.to_str().ok())
            .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
        if form_body && matches!(*method, Method::PUT | Method::POST | Method::PATCH) {
            v.extend(url::form_urlencoded::parse(body).into_owned());
        }
        if let Some(q) = uri.query() {
            v.extend(url::form_urlencoded::parse(q.as_bytes()).into_owned());
        }
        Form(v)
    }

    fn has(&self, k: &str) -> bool {
        self.0.iter().any(|(n, _)| n == k)
    }

    /// Go's `FormValue`: the first value, or "".
    fn value(&self, k: &str) -> &str {
        self.0
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    fn bool(&self, k: &str) -> Result<bool, V2Error> {
        if !self.has(k) {
            return Ok(false);
        }
        go_bool(self.value(k)).ok_or_else(|| {
            V2Error::new(code::INVALID_FIELD, format!("invalid value for \"{k}\""), 0)
        })
    }

    fn uint(&self, k: &str) -> Result<u64, V2Error> {
        if !self.has(k) {
            return Ok(0);
        }
        go_uint(self.value(k))
            .ok_or_else(|| V2Error::new(code::INDEX_NAN, format!("invalid value for \"{k}\""), 0))
    }
}

/// A parsed `/v2/keys` request (etcd's `parseKeyRequest`).
struct KeyRequest {
    req: V2Request,
    wait: bool,
    since: u64,
    sorted: bool,
    quorum: bool,
    stream: bool,
    no_value_on_success: bool,
}

fn parse_key_request(method: &Method, path: &str, f: &Form) -> Result<KeyRequest, V2Error> {
    let prev_index = f.uint("prevIndex")?;
    let since = f.uint("waitIndex")?;
    let recursive = f.bool("recursive")?;
    let sorted = f.bool("sorted")?;
    let wait = f.bool("wait")?;
    let dir = f.bool("dir")?;
    let quorum = f.bool("quorum")?;
    let stream = f.bool("stream")?;
    if wait && *method != Method::GET {
        return Err(V2Error::new(
            code::INVALID_FIELD,
            "\"wait\" can only be used with GET requests",
            0,
        ));
    }
    let prev_value = f.value("prevValue").to_string();
    if f.has("prevValue") && prev_value.is_empty() {
        return Err(V2Error::new(
            code::PREV_VALUE_REQUIRED,
            "\"prevValue\" cannot be empty",
            0,
        ));
    }
    let no_value_on_success = f.bool("noValueOnSuccess")?;
    let ttl = if f.value("ttl").is_empty() {
        None
    } else {
        Some(
            go_uint(f.value("ttl"))
                .ok_or_else(|| V2Error::new(code::TTL_NAN, "invalid value for \"ttl\"", 0))?,
        )
    };
    let prev_exist =
        if f.has("prevExist") {
            Some(go_bool(f.value("prevExist")).ok_or_else(|| {
                V2Error::new(code::INVALID_FIELD, "invalid value for prevExist", 0)
            })?)
        } else {
            None
        };
    let refresh = if f.has("refresh") {
        let r = go_bool(f.value("refresh"))
            .ok_or_else(|| V2Error::new(code::INVALID_FIELD, "invalid value for refresh", 0))?;
        if r {
            if f.has("value") && !f.value("value").is_empty() {
                return Err(V2Error::new(
                    code::REFRESH_VALUE,
                    "A value was provided on a refresh",
                    0,
                ));
            }
            if ttl.is_none() {
                return Err(V2Error::new(
                    code::REFRESH_TTL_REQUIRED,
                    "No TTL value set",
                    0,
                ));
            }
        }
        Some(r)
    } else {
        None
    };
    let expiration = ttl
        .map(|t| {
            now_ns().saturating_add((t.min(i64::MAX as u64 / 1_000_000_000) as i64) * 1_000_000_000)
        })
        .unwrap_or(0);
    Ok(KeyRequest {
        req: V2Request {
            method: method.as_str().to_string(),
            path: path.to_string(),
            val: f.value("value").to_string(),
            dir,
            prev_value,
            prev_index,
            prev_exist,
            expiration,
            recursive,
            refresh,
            time: 0,
            auth: false,
        },
        wait,
        since,
        sorted,
        quorum,
        stream,
        no_value_on_success,
    })
}

/// The headers of an answered event (etcd's `writeKeyEvent`).
fn event_headers(server: &EtcdServer, h: &mut HeaderMap, etcd_index: u64) {
    let (raft_index, raft_term) = server.raft_index_term();
    insert(h, "Content-Type", "application/json");
    insert(h, "X-Etcd-Index", &etcd_index.to_string());
    insert(h, "X-Raft-Index", &raft_index.to_string());
    insert(h, "X-Raft-Term", &raft_term.to_string());
    let (k, v) = cluster_id_header(server);
    insert(h, k, &v);
}

fn event_response(server: &EtcdServer, e: &Event, no_value: bool) -> Response {
    let status = if e.is_created() {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let no_value = no_value
        && matches!(
            e.action.as_str(),
            "set" | "compareAndSwap" | "create" | "update"
        );
    let mut r = (status, format!("{}\n", e.to_json(now_ns(), no_value))).into_response();
    event_headers(server, r.headers_mut(), e.etcd_index);
    r
}

/// An error that is not etcd's v2 error (timeout, no leader, storage): etcd's
/// `300 Raft Internal Error` with the error's text.
fn internal(server: &EtcdServer, e: crate::server::Error) -> Response {
    error_response(server, &V2Error::new(code::RAFT_INTERNAL, e.to_string(), 0))
}

/// `/v2/keys[/<path>]`.
async fn keys(
    State(server): State<Arc<EtcdServer>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    cn: Option<Extension<super::ClientCertCn>>,
    body: Bytes,
) -> Response {
    if !matches!(
        method,
        Method::HEAD | Method::GET | Method::PUT | Method::POST | Method::DELETE
    ) {
        return method_not_allowed("HEAD,GET,PUT,POST,DELETE");
    }
    let path = unescape_path(uri.path().strip_prefix("/v2/keys").unwrap_or("/"));
    let form = Form::parse(&method, &uri, &headers, &body);
    let kr = match parse_key_request(&method, &path, &form) {
        Ok(r) => r,
        Err(e) => return error_response(&server, &e),
    };
    // etcd's hasKeyPrefixAccess (v2 auth): basic auth, else the client certificate's user,
    // else the guest role.
    let write = !matches!(method, Method::GET | Method::HEAD);
    if !server
        .v2_has_key_access(
            &super::v2auth::credentials(&headers, cn),
            &path,
            kr.req.recursive,
            write,
        )
        .await
    {
        return error_response(
            &server,
            &V2Error::new(code::UNAUTHORIZED, "Insufficient credentials", 0),
        );
    }
    match method {
        Method::GET | Method::HEAD if kr.wait && method == Method::GET => {
            watch(server, &path, kr.req.recursive, kr.stream, kr.since)
        }
        Method::GET | Method::HEAD => {
            let quorum = kr.quorum && method == Method::GET;
            match server
                .v2_get(&path, kr.req.recursive, kr.sorted, quorum)
                .await
            {
                Ok(Ok(e)) => event_response(&server, &e, false),
                Ok(Err(e)) => error_response(&server, &e),
                Err(e) => internal(&server, e),
            }
        }
        _ => match server.v2_propose(kr.req).await {
            Ok(Ok(e)) => event_response(&server, &e, kr.no_value_on_success),
            Ok(Err(e)) => error_response(&server, &e),
            Err(e) => internal(&server, e),
        },
    }
}

/// A `wait=true` long poll (etcd's `handleKeyWatch`): headers now, then the event(s).
fn watch(
    server: Arc<EtcdServer>,
    path: &str,
    recursive: bool,
    stream: bool,
    since: u64,
) -> Response {
    let handle = match server.v2_watch(path, recursive, stream, since) {
        Ok(Ok(h)) => h,
        Ok(Err(e)) => return error_response(&server, &e),
        Err(e) => return internal(&server, e),
    };
    let start_index = handle.start_index;
    let deadline = tokio::time::Instant::now() + WATCH_TIMEOUT;
    let body = futures::stream::unfold(Some(handle), move |state| async move {
        let mut h = state?;
        let ev = tokio::time::timeout_at(deadline, h.rx.recv())
            .await
            .ok()??;
        let chunk = Bytes::from(format!("{}\n", ev.to_json(now_ns(), false)));
        let next = if stream { Some(h) } else { None };
        Some((Ok::<_, std::convert::Infallible>(chunk), next))
    });
    let mut r = (StatusCode::OK, Body::from_stream(body)).into_response();
    event_headers(&server, r.headers_mut(), start_index);
    r
}

/// `/v2/members`: GET the list (`/v2/members/leader`: the leader); POST `{"peerURLs":[..]}`
/// adds a member (201 with it), DELETE `/v2/members/<id>` removes one (204), PUT
/// `/v2/members/<id>` `{"peerURLs":[..]}` updates its peer URLs (204); through the same
/// membership changes as the v3 Cluster API.
async fn members(
    State(server): State<Arc<EtcdServer>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    cn: Option<Extension<super::ClientCertCn>>,
    body: Bytes,
) -> Response {
    if !matches!(
        method,
        Method::GET | Method::POST | Method::DELETE | Method::PUT
    ) {
        return method_not_allowed("GET,POST,DELETE,PUT");
    }
    if method != Method::GET {
        // etcd's hasWriteRootAccess (v2 auth).
        if !server
            .v2_has_root_access(&super::v2auth::credentials(&headers, cn))
            .await
        {
            return super::v2auth::no_auth();
        }
        return member_change(&server, &method, &uri, &headers, &body).await;
    }
    let rest = uri
        .path()
        .strip_prefix("/v2/members")
        .unwrap_or("")
        .trim_start_matches('/');
    let ms = server.members();
    let (k, v) = cluster_id_header(&server);
    let body = match rest {
        "" => serde_json::json!({
            "members": ms.iter().map(|(id, m, _)| member_json(*id, &m.name, &m.peer_urls, &m.client_urls)).collect::<Vec<_>>()
        }),
        "leader" => match server
            .leader()
            .and_then(|l| ms.iter().find(|(id, _, _)| *id == l))
        {
            Some((id, m, _)) => member_json(*id, &m.name, &m.peer_urls, &m.client_urls),
            None => {
                return (
                    StatusCode::SERVICE_UNAVAILABLE,
                    [(header::CONTENT_TYPE, "application/json")],
                    "{\"message\":\"During election\"}\n",
                )
                    .into_response()
            }
        },
        _ => {
            return (
                StatusCode::NOT_FOUND,
                [(header::CONTENT_TYPE, "application/json")],
                "{\"message\":\"Not found\"}\n",
            )
                .into_response()
        }
    };
    let mut r = format!("{body}\n").into_response();
    insert(r.headers_mut(), "Content-Type", "application/json");
    insert(r.headers_mut(), k, &v);
    r
}

/// etcd's `httptypes.HTTPError` answer: `{"message":...}` with `status`.
fn http_error(server: &EtcdServer, status: StatusCode, message: &str) -> Response {
    let body = serde_json::json!({ "message": message });
    let mut r = (status, format!("{body}\n")).into_response();
    insert(r.headers_mut(), "Content-Type", "application/json");
    let (k, v) = cluster_id_header(server);
    insert(r.headers_mut(), k, &v);
    r
}

/// The `{"peerURLs":[...]}` body of a member POST/PUT (etcd's `unmarshalRequest`).
fn peer_urls_body(
    server: &EtcdServer,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Vec<Vec<u8>>, Box<Response>> {
    let ctype = headers
        .get(header::CONTENT_TYPE)
        .and_then(|c| c.to_str().ok())
        .unwrap_or("");
    if ctype != "application/json" {
        return Err(Box::new(http_error(
            server,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            &format!("Bad Content-Type {ctype}, accept application/json"),
        )));
    }
    #[derive(serde::Deserialize)]
    struct Req {
        #[serde(rename = "peerURLs", default)]
        peer_urls: Vec<String>,
    }
    let req: Req = serde_json::from_slice(body)
        .map_err(|e| Box::new(http_error(server, StatusCode::BAD_REQUEST, &e.to_string())))?;
    for u in &req.peer_urls {
        if url::Url::parse(u).is_err() {
            return Err(Box::new(http_error(
                server,
                StatusCode::BAD_REQUEST,
                &format!("URL address does not have the form \"host:port\": {u}"),
            )));
        }
    }
    Ok(req.peer_urls.into_iter().map(String::into_bytes).collect())
}

/// A membership failure as etcd's v2 members handler answers it.
fn member_error(server: &EtcdServer, e: crate::server::Error, id: &str) -> Response {
    use crate::rpctypes::WireError;
    match e {
        crate::server::Error::Wire(WireError::MemberExist) => {
            http_error(server, StatusCode::CONFLICT, "membership: ID exists")
        }
        crate::server::Error::Wire(WireError::PeerURLExist) => {
            http_error(server, StatusCode::CONFLICT, "membership: peerURL exists")
        }
        crate::server::Error::Wire(WireError::MemberNotFound) => http_error(
            server,
            StatusCode::NOT_FOUND,
            &format!("No such member: {id}"),
        ),
        other => {
            tracing::warn!(error = %other, "v2 members request failed");
            http_error(
                server,
                StatusCode::INTERNAL_SERVER_ERROR,
                "Internal Server Error",
            )
        }
    }
}

async fn member_change(
    server: &EtcdServer,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    use crate::pb::etcdserverpb::{MemberAddRequest, MemberRemoveRequest, MemberUpdateRequest};
    let caller = crate::server::Caller::Internal;
    let id_text = uri
        .path()
        .strip_prefix("/v2/members")
        .unwrap_or("")
        .trim_start_matches('/')
        .to_string();
    if *method == Method::POST {
        let urls = match peer_urls_body(server, headers, body) {
            Ok(u) => u,
            Err(r) => return *r,
        };
        let req = MemberAddRequest {
            peer_ur_ls: urls,
            is_learner: false,
        };
        return match server.member_add(req, &caller).await {
            Ok(resp) => {
                let m = resp.member.unwrap_or_default();
                let body = member_json(m.id, &m.name, &m.peer_ur_ls, &m.client_ur_ls);
                let mut r = (StatusCode::CREATED, format!("{body}\n")).into_response();
                insert(r.headers_mut(), "Content-Type", "application/json");
                r
            }
            Err(e) => member_error(server, e, ""),
        };
    }
    let Ok(id) = u64::from_str_radix(&id_text, 16) else {
        return http_error(
            server,
            StatusCode::NOT_FOUND,
            &format!("No such member: {id_text}"),
        );
    };
    let done = if *method == Method::DELETE {
        server
            .member_remove(MemberRemoveRequest { id }, &caller)
            .await
            .map(|_| ())
    } else {
        let urls = match peer_urls_body(server, headers, body) {
            Ok(u) => u,
            Err(r) => return *r,
        };
        server
            .member_update(
                MemberUpdateRequest {
                    id,
                    peer_ur_ls: urls,
                },
                &caller,
            )
            .await
            .map(|_| ())
    };
    match done {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => member_error(server, e, &format!("{id:x}")),
    }
}

fn member_json(id: u64, name: &str, peers: &[String], clients: &[String]) -> serde_json::Value {
    serde_json::json!({
        "id": format!("{id:x}"),
        "name": name,
        "peerURLs": peers,
        "clientURLs": clients,
    })
}

/// `/v2/machines`: the members' client URLs joined with ", ".
async fn machines(State(server): State<Arc<EtcdServer>>, method: Method) -> Response {
    if !matches!(method, Method::GET | Method::HEAD) {
        return method_not_allowed("GET,HEAD");
    }
    let urls: Vec<String> = server
        .members()
        .into_iter()
        .flat_map(|(_, m, _)| m.client_urls)
        .collect();
    urls.join(", ").into_response()
}

/// `/v2/stats/self`: this member's name, ID, Raft state and leader.
async fn stats_self(State(server): State<Arc<EtcdServer>>, method: Method) -> Response {
    if method != Method::GET {
        return method_not_allowed("GET");
    }
    let id = server.member_id();
    let name = server
        .members()
        .into_iter()
        .find(|(i, _, _)| *i == id)
        .map(|(_, m, _)| m.name)
        .unwrap_or_default();
    let leader = server.leader().unwrap_or(0);
    let state = if leader == id {
        "StateLeader"
    } else {
        "StateFollower"
    };
    let body = serde_json::json!({
        "name": name,
        "id": format!("{id:x}"),
        "state": state,
        "leaderInfo": {"leader": format!("{leader:x}")},
        "recvAppendRequestCnt": 0,
        "sendAppendRequestCnt": 0,
    });
    json_ok(body)
}

/// `/v2/stats/store`: the v2 store's counters (etcd's `Stats`; only `watchers` is kept
/// here, the operation counters read 0).
async fn stats_store(State(server): State<Arc<EtcdServer>>, method: Method) -> Response {
    if method != Method::GET {
        return method_not_allowed("GET");
    }
    let body = serde_json::json!({
        "getsSuccess": 0, "getsFail": 0, "setsSuccess": 0, "setsFail": 0,
        "deleteSuccess": 0, "deleteFail": 0, "updateSuccess": 0, "updateFail": 0,
        "createSuccess": 0, "createFail": 0, "compareAndSwapSuccess": 0,
        "compareAndSwapFail": 0, "compareAndDeleteSuccess": 0, "compareAndDeleteFail": 0,
        "expireCount": 0, "watchers": server.v2_watchers(),
    });
    json_ok(body)
}

/// `/v2/stats/leader`: the leader and its followers; 403 `not current leader` elsewhere.
async fn stats_leader(State(server): State<Arc<EtcdServer>>, method: Method) -> Response {
    if method != Method::GET {
        return method_not_allowed("GET");
    }
    let id = server.member_id();
    if server.leader() != Some(id) {
        return (
            StatusCode::FORBIDDEN,
            [(header::CONTENT_TYPE, "application/json")],
            "{\"message\":\"not current leader\"}\n",
        )
            .into_response();
    }
    let followers: serde_json::Map<String, serde_json::Value> = server
        .members()
        .into_iter()
        .filter(|(i, _, _)| *i != id)
        .map(|(i, _, _)| (format!("{i:x}"), serde_json::json!({})))
        .collect();
    json_ok(serde_json::json!({"leader": format!("{id:x}"), "followers": followers}))
}

fn json_ok(body: serde_json::Value) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_parsing_follows_etcd() {
        let uri: Uri = "/v2/keys/a?ttl=x".parse().unwrap_or_default();
        let f = Form::parse(&Method::PUT, &uri, &HeaderMap::new(), b"");
        let e = parse_key_request(&Method::PUT, "/a", &f).err();
        assert_eq!(e.map(|e| e.code), Some(code::TTL_NAN));
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        let uri: Uri = "/v2/keys/a?value=q".parse().unwrap_or_default();
        let f = Form::parse(&Method::PUT, &uri, &h, b"value=b&prevExist=false");
        let r = parse_key_request(&Method::PUT, "/a", &f).ok();
        assert_eq!(r.as_ref().map(|r| r.req.val.as_str()), Some("b"));
        assert_eq!(r.and_then(|r| r.req.prev_exist), Some(false));
        let uri: Uri = "/v2/keys/a?wait=true".parse().unwrap_or_default();
        let f = Form::parse(&Method::PUT, &uri, &h, b"");
        assert_eq!(
            parse_key_request(&Method::PUT, "/a", &f)
                .err()
                .map(|e| e.code),
            Some(code::INVALID_FIELD)
        );
        assert_eq!(unescape_path("/a%20b"), "/a b");
    }
}
