//! `--host-whitelist` as etcd 3.4.23: on a plain-HTTP client listener an HTTP request whose
//! `Host` is not in the list gets `421 Misdirected Request` with etcd's CVE-2018-5702 text
//! (`/health`, the JSON gateway alike); listed hosts are served; gRPC (any `:authority`) is
//! not affected. The same requests run against the real etcd when it is installed.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use etcd_oxide::pb::etcdserverpb::kv_client::KvClient;
use etcd_oxide::pb::etcdserverpb::PutRequest;

use crate::harness::{etcd_available, runtime, Member, MemberOpts, ServerKind};

/// An HTTP/1.1 request with `Host: host` (5 s timeouts, `Connection: close`); returns
/// (status, body).
fn request(addr: SocketAddr, method: &str, path: &str, host: &str, body: &str) -> (u16, String) {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    s.set_write_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("write request");
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_string();
    (status, body)
}

fn check(kind: ServerKind) {
    let m = Member::start(
        kind,
        MemberOpts {
            extra_args: vec!["--host-whitelist=localhost,127.0.0.1".into()],
            ..MemberOpts::named("hostwl")
        },
    );
    let addr = m.client_addr();
    let who = kind.label();
    let (code, body) = request(addr, "GET", "/health", "evil.example:2379", "");
    assert_eq!(code, 421, "{who} /health with a foreign Host: {body}");
    assert!(
        body.contains("etcd received your request, but the Host header was unrecognized.")
            && body.contains("etcd --host-whitelist \"evil.example\"")
            && body.contains("CVE-2018-5702"),
        "{who}: {body}"
    );
    let (code, body) = request(
        addr,
        "POST",
        "/v3/kv/range",
        "evil.example",
        r#"{"key":"YQ=="}"#,
    );
    assert_eq!(code, 421, "{who} gateway with a foreign Host: {body}");
    let (code, body) = request(
        addr,
        "GET",
        "/health",
        &format!("127.0.0.1:{}", addr.port()),
        "",
    );
    assert_eq!(code, 200, "{who} /health with a listed Host: {body}");
    let (code, body) = request(addr, "GET", "/health", "localhost", "");
    assert_eq!(code, 200, "{who} /health with Host localhost: {body}");
    // gRPC is not filtered, whatever its :authority.
    runtime().block_on(async {
        let ep = tonic::transport::Endpoint::from_shared(m.client_url())
            .expect("endpoint")
            .origin("http://evil.example:2379".parse().expect("uri"))
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(5));
        let ch = tokio::time::timeout(Duration::from_secs(5), ep.connect())
            .await
            .expect("connect in time")
            .expect("connect");
        KvClient::new(ch)
            .put(PutRequest {
                key: b"k".to_vec(),
                value: b"v".to_vec(),
                ..Default::default()
            })
            .await
            .unwrap_or_else(|e| panic!("{who} gRPC put with :authority evil.example: {e}"));
    });
}

#[test]
fn foreign_host_gets_421_on_http_but_grpc_is_served() {
    check(ServerKind::Ours);
    if etcd_available() {
        check(ServerKind::Etcd);
    }
}
