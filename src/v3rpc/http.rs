//! Plain HTTP endpoints on the client port, beside gRPC: `/health`, `/version`, `/metrics`
//! (etcd's `etcdhttp` handlers), `/livez` and `/readyz` (etcd 3.5's probes), and the answer
//! to any other path (404, or gRPC's `UNIMPLEMENTED` for a gRPC request).

use std::sync::Arc;

use axum::extract::State;
use axum::extract::{Path, RawQuery};
use axum::http::Method;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{any, get};
use axum::Router;

use crate::server::{EtcdServer, CLUSTER_VERSION, SERVER_VERSION};

/// Routes for `/health`, `/version`, `/metrics`, `/livez[/<check>]` and `/readyz[/<check>]`.
pub fn routes(server: Arc<EtcdServer>) -> Router {
    Router::new()
        .route("/health", get(health).fallback(get_only))
        .route("/version", get(version).fallback(get_only))
        .route("/metrics", any(metrics))
        .route("/livez", any(livez))
        .route("/livez/{check}", any(livez))
        .route("/readyz", any(readyz))
        .route("/readyz/{check}", any(readyz))
        .with_state(server)
}

/// `GET /health`: `{"health":"true"}` with 200 when healthy (no alarm, a leader, a quorum
/// read within 1 s), else `{"health":"false"}` with 503 (etcd 3.4).
async fn health(State(server): State<Arc<EtcdServer>>) -> impl IntoResponse {
    let healthy = server.is_healthy().await;
    crate::observability::metrics().inc_counter(if healthy {
        "etcd_server_health_success"
    } else {
        "etcd_server_health_failures"
    });
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

/// The routes of a `--listen-metrics-urls` listener: `/metrics` and `/health` only (etcd's
/// `HandleMetricsHealth`).
pub fn metrics_routes(server: Arc<EtcdServer>) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .with_state(server)
}

/// Failpoint control on the client port (etcd's gofail HTTP endpoint; failpoints builds only,
/// see [`crate::failpoints`]): `GET /debug/failpoints` lists the active ones as `name=action`
/// lines; `PUT /debug/failpoints/<name>` with the action as the body (`panic`, `sleep(100)`,
/// `return`, `off`, ...) sets one (204; 400 with the reason for an unknown name or a bad
/// action); `DELETE /debug/failpoints/<name>` turns it off (204).
///
/// The same build's clock skew ([`crate::clock`]): `GET /debug/clock` shows it
/// (`wall=±<offset> rate=<factor> mono_ahead=<duration>`), `PUT /debug/clock` with settings
/// as the body (`wall=+2h`, `jump=5s`, `rate=1.1`, `reset`) changes it (204; 400 with the
/// reason for a bad setting, which changes nothing).
#[cfg(feature = "failpoints")]
pub fn failpoint_routes() -> Router {
    use axum::routing::put;
    Router::new()
        .route(
            "/debug/failpoints",
            get(|| async { crate::failpoints::list() }),
        )
        .route(
            "/debug/clock",
            get(|| async { crate::clock::describe() }).put(clock_put),
        )
        .route(
            "/debug/failpoints/{name}",
            put(failpoint_put).delete(failpoint_delete),
        )
}

#[cfg(feature = "failpoints")]
async fn failpoint_put(Path(name): Path<String>, body: String) -> axum::response::Response {
    match crate::failpoints::configure(&name, &body) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => (StatusCode::BAD_REQUEST, format!("{e}\n")).into_response(),
    }
}

#[cfg(feature = "failpoints")]
async fn clock_put(body: String) -> axum::response::Response {
    match crate::clock::configure(&body) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => (StatusCode::BAD_REQUEST, format!("{e}\n")).into_response(),
    }
}

#[cfg(feature = "failpoints")]
async fn failpoint_delete(Path(name): Path<String>) -> axum::response::Response {
    match crate::failpoints::remove(&name) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => (StatusCode::BAD_REQUEST, format!("{e}\n")).into_response(),
    }
}

/// `--enable-pprof` routes on the client port (Go's `net/http/pprof` paths): `/debug/pprof/`
/// (an index) and `/debug/pprof/profile?seconds=N` (a CPU profile of N seconds, default 30,
/// in pprof's protobuf format, uncompressed, readable by `go tool pprof`). Go's heap,
/// goroutine and block views have no counterpart here (no allocation profiler is built in).
pub fn pprof_routes() -> Router {
    Router::new()
        .route("/debug/pprof/", get(pprof_index))
        .route("/debug/pprof/profile", get(pprof_profile))
}

async fn pprof_index() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        "<html><head><title>/debug/pprof/</title></head><body>/debug/pprof/<br><br>\
         <a href=\"profile?seconds=30\">profile</a>: CPU profile (pprof protobuf)</body></html>\n",
    )
}

/// Samples per second of the CPU profiler (Go's `runtime.SetCPUProfileRate` default).
const PPROF_HZ: i32 = 100;

/// `GET /debug/pprof/profile?seconds=N`: samples the whole process for N seconds (1..=3600,
/// default 30). A second profile while one runs answers 500 as Go's handler does.
async fn pprof_profile(RawQuery(query): RawQuery) -> axum::response::Response {
    let seconds = query
        .as_deref()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
        .into_iter()
        .find(|(k, _)| k == "seconds")
        .map(|(_, v)| v.parse::<u64>().unwrap_or(0))
        .unwrap_or(30);
    if seconds == 0 || seconds > 3600 {
        return super::gateway::text_error(StatusCode::BAD_REQUEST, "bad seconds");
    }
    let profiled = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, String> {
        use pprof::protos::Message;
        let guard = pprof::ProfilerGuardBuilder::default()
            .frequency(PPROF_HZ)
            .blocklist(&["libc", "libgcc", "pthread", "vdso"])
            .build()
            .map_err(|e| format!("Could not enable CPU profiling: {e}"))?;
        std::thread::sleep(std::time::Duration::from_secs(seconds));
        let profile = guard
            .report()
            .build()
            .and_then(|r| r.pprof())
            .map_err(|e| format!("Could not build CPU profile: {e}"))?;
        let mut buf = Vec::new();
        profile
            .encode(&mut buf)
            .map_err(|e| format!("Could not encode CPU profile: {e}"))?;
        Ok(buf)
    })
    .await;
    match profiled {
        Ok(Ok(body)) => (
            [
                (header::CONTENT_TYPE, "application/octet-stream"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"profile\"",
                ),
            ],
            body,
        )
            .into_response(),
        Ok(Err(e)) => super::gateway::text_error(StatusCode::INTERNAL_SERVER_ERROR, &e),
        Err(e) => super::gateway::text_error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}

/// `GET /metrics`: Prometheus text format, counted in promhttp's
/// `promhttp_metric_handler_requests_*` as etcd's handler is.
async fn metrics() -> impl IntoResponse {
    let m = crate::observability::metrics();
    m.scrapes_in_flight.inc();
    let body = m.render();
    m.scrapes_in_flight.dec();
    m.scrapes.with_label_values(&["200"]).inc();
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
}

/// etcd's `allowMethod(w, r, "GET")`: 405 `Method Not Allowed` with `Allow: GET`.
async fn get_only() -> axum::response::Response {
    let mut resp = super::gateway::text_error(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed");
    resp.headers_mut()
        .insert(header::ALLOW, axum::http::HeaderValue::from_static("GET"));
    resp
}

/// Any path no route serves: a gRPC request (content-type `application/grpc...`) gets gRPC's
/// `UNIMPLEMENTED` (grpc-go's `unknown service`); anything else Go's `404 page not found`.
pub async fn not_found(request: axum::extract::Request) -> axum::response::Response {
    if is_grpc(request.headers()) {
        let path = request.uri().path();
        let service = path.trim_start_matches('/').split('/').next().unwrap_or("");
        return tonic::Status::unimplemented(format!("unknown service {service}")).into_http();
    }
    super::gateway::text_error(StatusCode::NOT_FOUND, "404 page not found")
}

/// The checks `/livez` runs (etcd 3.5): the member can read its own state.
const LIVEZ_CHECKS: &[&str] = &["serializable_read"];
/// The checks `/readyz` runs (etcd 3.5/3.6): no CORRUPT alarm, a local read, and a quorum
/// (linearizable) read, which needs a leader.
const READYZ_CHECKS: &[&str] = &["data_corruption", "serializable_read", "linearizable_read"];

/// `GET /livez[/<check>]` (etcd 3.5's `installLivezEndpoints`).
async fn livez(
    State(server): State<Arc<EtcdServer>>,
    method: Method,
    check: Option<Path<String>>,
    RawQuery(query): RawQuery,
) -> axum::response::Response {
    probe(&server, LIVEZ_CHECKS, &method, check.map(|c| c.0), query).await
}

/// `GET /readyz[/<check>]` (etcd 3.5's `installReadyzEndpoints`).
async fn readyz(
    State(server): State<Arc<EtcdServer>>,
    method: Method,
    check: Option<Path<String>>,
    RawQuery(query): RawQuery,
) -> axum::response::Response {
    probe(&server, READYZ_CHECKS, &method, check.map(|c| c.0), query).await
}

/// etcd's health-check registry: runs `checks` (or only `check` for a sub-path), minus those
/// named by `?exclude=`; 200 `ok` (preceded by `[+]name ok` lines with `?verbose`) when all
/// pass, else 503 with a `[+]`/`[-]name failed: reason` line per check. Only GET.
async fn probe(
    server: &EtcdServer,
    checks: &[&'static str],
    method: &Method,
    check: Option<String>,
    query: Option<String>,
) -> axum::response::Response {
    if method != Method::GET {
        return get_only().await;
    }
    let params: Vec<(String, String)> = query
        .as_deref()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let selected: Vec<&str> = match &check {
        Some(c) => match checks.iter().find(|n| **n == c.as_str()) {
            Some(n) => vec![*n],
            None => return super::gateway::text_error(StatusCode::NOT_FOUND, "404 page not found"),
        },
        None => checks
            .iter()
            .copied()
            .filter(|n| !params.iter().any(|(k, v)| k == "exclude" && v == n))
            .collect(),
    };
    let mut report = String::new();
    let mut healthy = true;
    for name in selected {
        match run_check(server, name).await {
            Ok(()) => report.push_str(&format!("[+]{name} ok\n")),
            Err(reason) => {
                healthy = false;
                tracing::warn!(check = name, %reason, "health check failed");
                report.push_str(&format!("[-]{name} failed: {reason}\n"));
            }
        }
    }
    if !healthy {
        return super::gateway::text_error(StatusCode::SERVICE_UNAVAILABLE, &report);
    }
    let verbose = params.iter().any(|(k, _)| k == "verbose");
    let body = if verbose {
        format!("{report}ok\n")
    } else {
        "ok\n".to_string()
    };
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        body,
    )
        .into_response()
}

/// One named probe check; `Err` carries etcd's reason text.
async fn run_check(server: &EtcdServer, name: &str) -> Result<(), String> {
    use crate::pb::etcdserverpb::{AlarmType, RangeRequest};
    match name {
        "data_corruption" => {
            let corrupt = server
                .read(|b, t| b.alarms.is_active(t, AlarmType::Corrupt))
                .map_err(|e| format!("range error: {e}"))?;
            if corrupt {
                return Err("alarm activated: CORRUPT".to_string());
            }
            Ok(())
        }
        "serializable_read" => {
            // A member whose storage failed (fatal) is about to exit: its reads are not served.
            if let Some(fault) = server.fatal().get() {
                return Err(format!("range error: {}", fault.cause));
            }
            let req = RangeRequest {
                key: vec![0],
                keys_only: true,
                limit: 1,
                serializable: true,
                ..Default::default()
            };
            server
                .range(&req, &crate::server::Caller::Internal)
                .await
                .map(|_| ())
                .map_err(|e| format!("range error: {e}"))
        }
        "linearizable_read" => {
            if server.leader().is_none() {
                return Err("range error: etcdserver: no leader".to_string());
            }
            tokio::time::timeout(
                server.config().request_timeout(),
                server.linearizable_barrier_within(server.config().request_timeout()),
            )
            .await
            .map_err(|_| "range error: etcdserver: request timed out".to_string())?
            .map_err(|e| format!("range error: {e}"))
        }
        _ => Ok(()),
    }
}

/// Whether a request is gRPC (content-type `application/grpc...`).
fn is_grpc(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/grpc"))
}

/// etcd's `accessController` for HTTP (non-gRPC) requests: on a plain (non-TLS) connection
/// the Host must be in `--host-whitelist` (else 421 with etcd's CVE-2018-5702 text); CORS
/// headers follow `--cors` (`Access-Control-Allow-Origin: *` when every origin is allowed,
/// else the request's `Origin` when listed) with `Access-Control-Allow-Methods: POST, GET,
/// OPTIONS, PUT, DELETE` and `Access-Control-Allow-Headers: accept, content-type,
/// authorization`; `OPTIONS` (a preflight) is an empty 200 on any path. gRPC requests pass
/// untouched.
pub async fn cors(
    State(server): State<Arc<EtcdServer>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    if is_grpc(request.headers()) {
        return next.run(request).await;
    }
    let serving = &server.config().serving;
    if request
        .extensions()
        .get::<crate::serve::OverTls>()
        .is_none()
    {
        let host = request_hostname(&request);
        if !serving.host_allowed(&host) {
            tracing::warn!(host = %host, "rejecting HTTP request to prevent DNS rebinding attacks");
            return (
                StatusCode::MISDIRECTED_REQUEST,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                format!("\netcd received your request, but the Host header was unrecognized.\n\nTo fix this, choose one of the following options:\n- Enable TLS, then any HTTPS request will be allowed.\n- Add the hostname you want to use to the whitelist in settings.\n  - e.g. etcd --host-whitelist {host:?}\n\nThis requirement has been added to help prevent \"DNS Rebinding\" attacks (CVE-2018-5702).\n\n"),
            )
                .into_response();
        }
    }
    let allow_origin = if serving.all_origins() {
        Some("*".to_string())
    } else {
        request
            .headers()
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok())
            .filter(|o| serving.origin_allowed(o))
            .map(str::to_string)
    };
    let mut response = if request.method() == Method::OPTIONS {
        StatusCode::OK.into_response()
    } else {
        next.run(request).await
    };
    if let Some(origin) = allow_origin {
        use axum::http::HeaderValue;
        let h = response.headers_mut();
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("POST, GET, OPTIONS, PUT, DELETE"),
        );
        if let Ok(v) = HeaderValue::from_str(&origin) {
            h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
        }
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("accept, content-type, authorization"),
        );
    }
    response
}

/// Go's `httputil.GetHostname`: the request's Host (HTTP/1 `Host` header or HTTP/2
/// `:authority`) without its port.
fn request_hostname(request: &axum::extract::Request) -> String {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| request.uri().authority().map(|a| a.as_str().to_string()))
        .unwrap_or_default();
    if let Some(rest) = host.strip_prefix('[') {
        if let Some((h, _)) = rest.split_once(']') {
            return h.to_string();
        }
    }
    match host.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') && p.chars().all(|c| c.is_ascii_digit()) => h.to_string(),
        _ => host,
    }
}
