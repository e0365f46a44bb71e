//! go-grpc-prometheus' server metrics for the client port, as etcd 3.4 exports them:
//! `grpc_server_started_total`, `grpc_server_handled_total{grpc_code}`,
//! `grpc_server_msg_received_total`, `grpc_server_msg_sent_total`, with `--metrics extensive`
//! `grpc_server_handling_seconds`, and etcd's own `etcd_server_client_requests_total`.
//!
//! A middleware around the gRPC routes: the method comes from the path
//! (`/etcdserverpb.KV/Range`), messages are counted from gRPC's length-prefixed framing in
//! the request and response bodies, and the code from `grpc-status` (in the headers of a
//! trailers-only answer, else in the trailers). A stream the client drops before its trailers
//! counts as `Canceled`, as grpc-go reports it.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use http_body_util::BodyExt;

use crate::observability::{metrics, GRPC_CODES, GRPC_METHODS};

/// Counts gRPC messages and their bytes in a byte stream of gRPC's framing (1 flag byte,
/// 4-byte big-endian length, message).
#[derive(Default)]
struct MessageCounter {
    header: usize,
    len: [u8; 4],
    remaining: u64,
}

impl MessageCounter {
    /// Feeds `b`; returns how many messages started in it and how many message bytes (the
    /// payloads, without the 5-byte prefixes: what etcd's codec counts) it held.
    fn feed(&mut self, mut b: &[u8]) -> (u64, u64) {
        let mut n = 0;
        let mut bytes = 0;
        while !b.is_empty() {
            if self.remaining > 0 {
                let take = (self.remaining as usize).min(b.len());
                b = &b[take..];
                self.remaining -= take as u64;
                bytes += take as u64;
                continue;
            }
            if self.header > 0 {
                self.len[self.header - 1] = b[0];
            }
            b = &b[1..];
            self.header += 1;
            if self.header == 5 {
                n += 1;
                self.header = 0;
                self.remaining = u64::from(u32::from_be_bytes(self.len));
            }
        }
        (n, bytes)
    }
}

/// grpc-go's type of `service`/`method` (`unary`, `server_stream`, `bidi_stream`).
fn grpc_type(service: &str, method: &str) -> &'static str {
    GRPC_METHODS
        .iter()
        .find(|(s, m, _)| *s == service && *m == method)
        .map(|(_, _, t)| *t)
        .unwrap_or(match (service, method) {
            ("v3electionpb.Election", "Observe") => "server_stream",
            _ => "unary",
        })
}

/// The code name of a `grpc-status` value.
fn code_name(v: &[u8]) -> &'static str {
    std::str::from_utf8(v)
        .ok()
        .and_then(|s| s.trim().parse::<usize>().ok())
        .and_then(|i| GRPC_CODES.get(i).copied())
        .unwrap_or("Unknown")
}

/// One call's labels and its completion (recorded once: at `grpc-status`, or as `Canceled`
/// when the answer is dropped unfinished).
struct Call {
    labels: [String; 3],
    start: Instant,
    done: std::sync::atomic::AtomicBool,
}

impl Call {
    fn labels(&self) -> [&str; 3] {
        [&self.labels[0], &self.labels[1], &self.labels[2]]
    }
    fn handled(&self, code: &str) {
        if self.done.swap(true, std::sync::atomic::Ordering::SeqCst) {
            return;
        }
        let [t, s, m] = self.labels();
        metrics()
            .grpc_handled
            .with_label_values(&[t, s, m, code])
            .inc();
        if metrics().extensive() {
            metrics()
                .grpc_handling_seconds
                .with_label_values(&[t, s, m])
                .observe(self.start.elapsed().as_secs_f64());
        }
    }
}

impl Drop for Call {
    fn drop(&mut self) {
        self.handled("Canceled");
    }
}

/// The middleware (see the module docs); non-gRPC requests pass untouched.
pub async fn count(request: Request, next: Next) -> Response {
    let is_grpc = request
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/grpc"));
    if !is_grpc {
        return next.run(request).await;
    }
    let path = request.uri().path().trim_start_matches('/');
    let (service, method) = path.split_once('/').unwrap_or((path, ""));
    let typ = grpc_type(service, method);
    let call = Arc::new(Call {
        labels: [typ.to_string(), service.to_string(), method.to_string()],
        start: Instant::now(),
        done: Default::default(),
    });
    let m = metrics();
    let api = request
        .headers()
        .get("client-api-version")
        .and_then(|v| v.to_str().ok())
        // The label comes from the client: only a version-shaped value (`3.4`, `3.5.9`) is
        // kept, so a client cannot grow the metric without bound.
        .filter(|v| {
            v.len() <= 16 && !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        })
        .unwrap_or("unknown")
        .to_string();
    let kind = if typ == "unary" { "unary" } else { "stream" };
    m.client_requests.with_label_values(&[kind, &api]).inc();
    let labels = call.labels.clone();
    let [t, s, me] = [labels[0].as_str(), labels[1].as_str(), labels[2].as_str()];
    m.grpc_started.with_label_values(&[t, s, me]).inc();

    let (parts, body) = request.into_parts();
    let received = m.grpc_msg_received.with_label_values(&[t, s, me]);
    let received_bytes = m.extra_counter("etcd_network_client_grpc_received_bytes_total");
    let mut rx = MessageCounter::default();
    let body = body.map_frame(move |frame| {
        if let Some(d) = frame.data_ref() {
            let (n, bytes) = rx.feed(d);
            received.inc_by(n);
            if let Some(c) = received_bytes {
                c.inc_by(bytes);
            }
        }
        frame
    });
    let response = next
        .run(Request::from_parts(parts, axum::body::Body::new(body)))
        .await;
    if let Some(code) = response.headers().get("grpc-status") {
        call.handled(code_name(code.as_bytes()));
        return response;
    }
    let (parts, body) = response.into_parts();
    let sent = m.grpc_msg_sent.with_label_values(&[t, s, me]);
    let sent_bytes = m.extra_counter("etcd_network_client_grpc_sent_bytes_total");
    let mut tx = MessageCounter::default();
    let body = body.map_frame(move |frame| {
        if let Some(d) = frame.data_ref() {
            let (n, bytes) = tx.feed(d);
            sent.inc_by(n);
            if let Some(c) = sent_bytes {
                c.inc_by(bytes);
            }
        }
        if let Some(trailers) = frame.trailers_ref() {
            let code = trailers
                .get("grpc-status")
                .map_or("OK", |v| code_name(v.as_bytes()));
            call.handled(code);
        }
        frame
    });
    Response::from_parts(parts, axum::body::Body::new(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_counted_across_chunks() {
        let mut c = MessageCounter::default();
        let mut framed = vec![0u8, 0, 0, 0, 3, b'a', b'b', b'c'];
        framed.extend([0u8, 0, 0, 0, 0]);
        framed.extend([0u8, 0, 0, 0, 1, b'z']);
        let (mut n, mut bytes) = (0, 0);
        for chunk in framed.chunks(2) {
            let (m, b) = c.feed(chunk);
            n += m;
            bytes += b;
        }
        assert_eq!((n, bytes), (3, 4));
        assert_eq!(grpc_type("etcdserverpb.Watch", "Watch"), "bidi_stream");
        assert_eq!(grpc_type("v3lockpb.Lock", "Lock"), "unary");
        assert_eq!(code_name(b"5"), "NotFound");
    }
}
