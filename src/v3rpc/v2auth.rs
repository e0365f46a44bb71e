//! etcd 3.4's v2 auth HTTP API (`etcdserver/api/v2http/client_auth.go`) behind `--enable-v2`:
//!
//! - `/v2/auth/enable`: GET `{"enabled":bool}`, PUT enables, DELETE disables (writes need the
//!   root role once auth is on);
//! - `/v2/auth/users`, `/v2/auth/users/<name>`: GET the users (each with its roles expanded),
//!   GET one, PUT a user JSON (create, create-or-set-password, or `grant`/`revoke`), DELETE;
//! - `/v2/auth/roles`, `/v2/auth/roles/<name>`: the same for roles (`permissions.kv.read` /
//!   `write` patterns; `grant`/`revoke` to update).
//!
//! Every `/v2/auth` call needs the root role once auth is enabled (HTTP basic credentials);
//! refusals are `401 {"message":"Insufficient credentials"}`, etcd's auth errors
//! `{"message":"auth: ..."}` with etcd's status. Thin: the rules live in `server::v2auth`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Extension;
use axum::Router;
use serde::Serialize;

use super::v2http::{cluster_id_header, error_response, method_not_allowed};
use super::ClientCertCn;
use crate::server::v2auth::{Role, User, V2AuthError, V2Credentials};
use crate::server::EtcdServer;

/// The `/v2/auth/...` routes (merged with the other v2 routes under `--enable-v2`).
pub fn routes(server: Arc<EtcdServer>) -> Router {
    Router::new()
        .route("/v2/auth/enable", any(enable))
        .route("/v2/auth/users", any(users))
        .route("/v2/auth/users/", any(users))
        .route("/v2/auth/users/{*rest}", any(users))
        .route("/v2/auth/roles", any(roles))
        .route("/v2/auth/roles/", any(roles))
        .route("/v2/auth/roles/{*rest}", any(roles))
        .with_state(server)
}

/// Who the request is from (etcd's `client_auth.go`): an `Authorization` header is HTTP
/// basic auth (malformed: refused); without one, the connection's verified client
/// certificate CN ([`ClientCertCn`]), if any.
pub fn credentials(headers: &HeaderMap, cn: Option<Extension<ClientCertCn>>) -> V2Credentials {
    if headers
        .get(header::AUTHORIZATION)
        .is_some_and(|v| !v.is_empty())
    {
        return V2Credentials::Basic(basic_auth(headers));
    }
    match cn {
        Some(Extension(ClientCertCn(cn))) => V2Credentials::CertCn(cn),
        None => V2Credentials::None,
    }
}

/// Go's `Request.BasicAuth`: `Authorization: Basic base64(user:password)`.
pub fn basic_auth(headers: &HeaderMap) -> Option<(String, String)> {
    use base64::Engine;
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = v.split_at_checked(6)?;
    if !scheme.eq_ignore_ascii_case("basic ") {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(rest)
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (u, p) = text.split_once(':')?;
    Some((u.to_string(), p.to_string()))
}

/// etcd's `httptypes.HTTPError.WriteTo`: `{"message": ...}` with `status`.
fn http_error(status: u16, message: &str) -> Response {
    #[derive(Serialize)]
    struct Body<'a> {
        message: &'a str,
    }
    let body = serde_json::to_string(&Body { message }).unwrap_or_default();
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        [(header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}

/// etcd's `writeNoAuth`.
pub fn no_auth() -> Response {
    http_error(401, "Insufficient credentials")
}

/// etcd's `writeError` for the auth handlers.
fn auth_error(server: &EtcdServer, e: V2AuthError) -> Response {
    match e {
        V2AuthError::Auth { status, message } => http_error(status, &message),
        V2AuthError::Store(e) => error_response(server, &e),
        V2AuthError::Server(e) => error_response(
            server,
            &crate::server::v2::V2Error::new(
                crate::server::v2::code::RAFT_INTERNAL,
                e.to_string(),
                0,
            ),
        ),
    }
}

/// A JSON answer (Go's `json.Encoder`: one line) with etcd's auth headers.
fn json_answer<T: Serialize>(server: &EtcdServer, status: StatusCode, v: &T) -> Response {
    let body = serde_json::to_string(v).unwrap_or_default() + "\n";
    with_headers(server, (status, body).into_response())
}

fn with_headers(server: &EtcdServer, mut r: Response) -> Response {
    let (k, v) = cluster_id_header(server);
    let h = r.headers_mut();
    if let Ok(v) = v.parse() {
        h.insert(k, v);
    }
    h.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    r
}

/// `/v2/auth/enable`.
async fn enable(
    State(server): State<Arc<EtcdServer>>,
    method: Method,
    headers: HeaderMap,
    cn: Option<Extension<ClientCertCn>>,
) -> Response {
    if !matches!(method, Method::GET | Method::PUT | Method::DELETE) {
        return method_not_allowed("GET,PUT,DELETE");
    }
    if method != Method::GET && !server.v2_has_root_access(&credentials(&headers, cn)).await {
        return no_auth();
    }
    let done = match method {
        Method::GET => {
            #[derive(Serialize)]
            struct Enabled {
                enabled: bool,
            }
            return match server.v2_auth_enabled().await {
                Ok(enabled) => json_answer(&server, StatusCode::OK, &Enabled { enabled }),
                Err(e) => auth_error(&server, e),
            };
        }
        Method::PUT => server.v2_enable_auth().await,
        _ => server.v2_disable_auth().await,
    };
    match done {
        Ok(()) => with_headers(&server, StatusCode::OK.into_response()),
        Err(e) => auth_error(&server, e),
    }
}

/// The name after `/v2/auth/<kind>/` (etcd's `path.Clean` and split): `Ok(None)` for the
/// collection itself, `Err` (etcd's `400 Invalid path`) for deeper paths.
fn subject(uri: &Uri, kind: &str) -> Result<Option<String>, InvalidPath> {
    let rest = uri
        .path()
        .strip_prefix("/v2/auth")
        .unwrap_or_default()
        .to_string();
    let cleaned = crate::server::v2::clean_path(&rest);
    let pieces: Vec<&str> = cleaned.split('/').collect();
    match pieces.as_slice() {
        ["", k] if *k == kind => Ok(None),
        ["", k, name] if *k == kind => Ok(Some((*name).to_string())),
        _ => Err(InvalidPath),
    }
}

/// A `/v2/auth/<kind>/a/b` path.
struct InvalidPath;

impl IntoResponse for InvalidPath {
    fn into_response(self) -> Response {
        http_error(400, "Invalid path")
    }
}

/// What the shared checks of `/v2/auth/<kind>[/<name>]` decided.
enum Front {
    /// A GET of the collection, allowed.
    Collection,
    /// A request on one item, allowed.
    Item(String),
    /// A refusal (bad path, method, credentials) to send as is.
    Answer(Response),
}

/// etcd's checks before `baseUsers`/`forUser` (and the role twins): the path, the allowed
/// methods, then the root role when auth is enabled.
async fn front(
    server: &EtcdServer,
    method: &Method,
    uri: &Uri,
    cred: &V2Credentials,
    kind: &str,
) -> Front {
    let name = match subject(uri, kind) {
        Ok(n) => n,
        Err(r) => return Front::Answer(r.into_response()),
    };
    let allowed = match name {
        None if *method != Method::GET => Some("GET"),
        Some(_) if !matches!(*method, Method::GET | Method::PUT | Method::DELETE) => {
            Some("GET,PUT,DELETE")
        }
        _ => None,
    };
    if let Some(allowed) = allowed {
        return Front::Answer(method_not_allowed(allowed));
    }
    if !server.v2_has_root_access(cred).await {
        return Front::Answer(no_auth());
    }
    match name {
        None => Front::Collection,
        Some(n) => Front::Item(n),
    }
}

/// A user with its roles expanded (etcd's `userWithRoles`).
#[derive(Serialize)]
struct UserWithRoles {
    user: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    roles: Vec<Role>,
}

/// `/v2/auth/users[/<name>]`.
async fn users(
    State(server): State<Arc<EtcdServer>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    cn: Option<Extension<ClientCertCn>>,
    body: Bytes,
) -> Response {
    let cred = credentials(&headers, cn);
    let name = match front(&server, &method, &uri, &cred, "users").await {
        Front::Collection => {
            return all_users(&server)
                .await
                .unwrap_or_else(|e| auth_error(&server, e))
        }
        Front::Item(name) => name,
        Front::Answer(r) => return r,
    };
    let r = match method {
        Method::GET => get_user(&server, &name).await,
        Method::PUT => put_user(&server, &name, &body).await,
        _ => server
            .v2_delete_user(&name)
            .await
            .map(|()| with_headers(&server, StatusCode::OK.into_response())),
    };
    r.unwrap_or_else(|e| auth_error(&server, e))
}

async fn all_users(server: &EtcdServer) -> Result<Response, V2AuthError> {
    #[derive(Serialize)]
    struct Users {
        users: Option<Vec<UserWithRoles>>,
    }
    let mut out = Vec::new();
    for name in server.v2_all_users().await? {
        let u = server.v2_get_user(&name, false).await?;
        let mut roles = Vec::new();
        for r in u.roles.iter().flatten() {
            if let Ok(role) = server.v2_get_role(r, false).await {
                roles.push(role);
            }
        }
        out.push(UserWithRoles {
            user: u.user,
            roles,
        });
    }
    let users = (!out.is_empty()).then_some(out);
    Ok(json_answer(server, StatusCode::OK, &Users { users }))
}

async fn get_user(server: &EtcdServer, name: &str) -> Result<Response, V2AuthError> {
    let u = server.v2_get_user(name, false).await?;
    let mut roles = Vec::new();
    for r in u.roles.iter().flatten() {
        roles.push(server.v2_get_role(r, false).await?);
    }
    Ok(json_answer(
        server,
        StatusCode::OK,
        &UserWithRoles {
            user: u.user,
            roles,
        },
    ))
}

async fn put_user(server: &EtcdServer, name: &str, body: &[u8]) -> Result<Response, V2AuthError> {
    let bad = |m: &str| V2AuthError::Auth {
        status: 400,
        message: m.to_string(),
    };
    let u: User = serde_json::from_slice(body).map_err(|_| bad("Invalid JSON in request body."))?;
    if u.user != name {
        return Err(bad("User JSON name does not match the name in the URL"));
    }
    let has = |v: &Option<Vec<String>>| v.as_ref().is_some_and(|v| !v.is_empty());
    let (mut out, created) = if !has(&u.grant) && !has(&u.revoke) {
        if has(&u.roles) {
            (server.v2_create_user(u).await?, false)
        } else {
            server.v2_create_or_update_user(u).await?
        }
    } else {
        if has(&u.roles) {
            return Err(bad("User JSON contains both roles and grant/revoke"));
        }
        (server.v2_update_user(u).await?, false)
    };
    out.password.clear();
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(json_answer(server, status, &out))
}

/// `/v2/auth/roles[/<name>]`.
async fn roles(
    State(server): State<Arc<EtcdServer>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    cn: Option<Extension<ClientCertCn>>,
    body: Bytes,
) -> Response {
    let cred = credentials(&headers, cn);
    let name = match front(&server, &method, &uri, &cred, "roles").await {
        Front::Collection => {
            return all_roles(&server)
                .await
                .unwrap_or_else(|e| auth_error(&server, e))
        }
        Front::Item(name) => name,
        Front::Answer(r) => return r,
    };
    let r = match method {
        Method::GET => server
            .v2_get_role(&name, false)
            .await
            .map(|role| json_answer(&server, StatusCode::OK, &role)),
        Method::PUT => put_role(&server, &name, &body).await,
        _ => server
            .v2_delete_role(&name)
            .await
            .map(|()| with_headers(&server, StatusCode::OK.into_response())),
    };
    r.unwrap_or_else(|e| auth_error(&server, e))
}

async fn all_roles(server: &EtcdServer) -> Result<Response, V2AuthError> {
    #[derive(Serialize)]
    struct Roles {
        roles: Vec<Role>,
    }
    let mut roles = Vec::new();
    for name in server.v2_all_roles().await? {
        roles.push(server.v2_get_role(&name, false).await?);
    }
    Ok(json_answer(server, StatusCode::OK, &Roles { roles }))
}

async fn put_role(server: &EtcdServer, name: &str, body: &[u8]) -> Result<Response, V2AuthError> {
    let bad = |m: &str| V2AuthError::Auth {
        status: 400,
        message: m.to_string(),
    };
    let role: Role =
        serde_json::from_slice(body).map_err(|_| bad("Invalid JSON in request body."))?;
    if role.role != name {
        return Err(bad("Role JSON name does not match the name in the URL"));
    }
    if role.is_create() {
        server.v2_create_role(role.clone()).await?;
        return Ok(json_answer(server, StatusCode::CREATED, &role));
    }
    if role.has_permissions() {
        return Err(bad("Role JSON contains both permissions and grant/revoke"));
    }
    let out = server.v2_update_role(role).await?;
    Ok(json_answer(server, StatusCode::OK, &out))
}
