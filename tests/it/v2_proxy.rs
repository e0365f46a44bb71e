//! etcd 3.4's v2 proxy (`--proxy on|readonly`, and the `--discovery-fallback=proxy` path):
//! a non-member process that learns the cluster's client URLs from the peers' `GET /members`
//! and forwards every HTTP request on its client URL to them.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::harness::{free_port, wait_listening, Cluster, Member, MemberOpts, Proc, ServerKind};

/// One HTTP/1.0 request with a form body (5 s timeouts); returns (status, body).
fn try_http(addr: &str, method: &str, path: &str, form: &str) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(
        s,
        "{method} {path} HTTP/1.0\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
        form.len()
    )?;
    let mut raw = String::new();
    s.read_to_string(&mut raw)?;
    let status = raw
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = raw.split_once("\r\n\r\n").map(|x| x.1).unwrap_or("");
    Ok((status, body.to_string()))
}

/// [`try_http`], panicking on a transport error.
fn http(addr: &str, method: &str, path: &str, form: &str) -> (u16, String) {
    try_http(addr, method, path, form).unwrap_or_else(|e| panic!("{method} {addr}{path}: {e}"))
}

/// Our binary as a v2 proxy on a fresh client port: returns the process and `127.0.0.1:port`.
fn start_proxy(data_dir: &Path, args: &[&str]) -> (Proc, String) {
    start_proxy_with(env!("CARGO_BIN_EXE_etcd"), "http", data_dir, args)
}

/// `bin` (ours or etcd 3.4.23) as a v2 proxy on a fresh `scheme://` client port.
fn start_proxy_with(bin: &str, scheme: &str, data_dir: &Path, args: &[&str]) -> (Proc, String) {
    let port = free_port();
    let url = format!("{scheme}://127.0.0.1:{port}");
    let peer = format!("http://127.0.0.1:{}", free_port());
    let mut cmd = Command::new(bin);
    for (k, _) in std::env::vars() {
        if k.starts_with("ETCD_") {
            cmd.env_remove(k);
        }
    }
    cmd.args(["--name", "proxy", "--data-dir"])
        .arg(data_dir)
        .args([
            "--listen-client-urls",
            &url,
            "--advertise-client-urls",
            &url,
            "--listen-peer-urls",
            &peer,
            "--initial-advertise-peer-urls",
            &peer,
        ])
        .args(args);
    let p = Proc::spawn(cmd, false);
    let addr = format!("127.0.0.1:{port}");
    wait_listening(&addr, Duration::from_secs(30));
    (p, addr)
}

/// Retries `f` (≤ 20 s) until it returns `Some`.
fn eventually<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "{what}: no success within 20 s");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn proxy_on_and_readonly_forward_to_the_initial_cluster() {
    let cluster = Cluster::start_with(ServerKind::Ours, 3, "v2proxy", false, &|_| {
        vec!["--enable-v2".into()]
    });
    let initial = cluster
        .members
        .iter()
        .map(|m| format!("{}={}", m.opts.name, m.peer_url()))
        .collect::<Vec<_>>()
        .join(",");
    // The peer port answers etcd's `GET /members` (what the proxy reads).
    let (status, members) = http(
        cluster.members[0].peer_url().trim_start_matches("http://"),
        "GET",
        "/members",
        "",
    );
    assert_eq!(status, 200, "{members}");
    for m in &cluster.members {
        assert!(members.contains(&m.client_url()), "{members}");
    }

    let dir = tempfile::tempdir().expect("temp dir");
    let (proxy, addr) = start_proxy(
        dir.path(),
        &["--proxy", "on", "--initial-cluster", &initial],
    );
    let (status, body) = eventually("PUT through the proxy", || {
        let r = http(&addr, "PUT", "/v2/keys/foo", "value=bar");
        (r.0 == 201).then_some(r)
    });
    assert!(body.contains("\"value\":\"bar\""), "{status} {body}");
    // The proxy may forward the GET to a member that applies the write a moment later (a
    // v2 GET is a local read there, as on etcd).
    let (_, body) = eventually("GET through the proxy", || {
        let r = http(&addr, "GET", "/v2/keys/foo", "");
        (r.0 == 200).then_some(r)
    });
    assert!(
        body.contains("\"value\":\"bar\""),
        "{body}\n{}",
        proxy.stderr()
    );
    // Written through the proxy, readable on a member (a v2 GET is a local read: the member
    // may apply the write a moment later).
    let direct_addr = cluster.members[2].client_addr().to_string();
    eventually("the write on another member", || {
        let (_, direct) = http(&direct_addr, "GET", "/v2/keys/foo", "");
        direct.contains("\"value\":\"bar\"").then_some(())
    });
    let (status, version) = http(&addr, "GET", "/version", "");
    assert_eq!(status, 200, "{version}");
    assert!(version.contains("etcdserver"), "{version}");
    // etcd's cluster file: the peer URLs the cluster reported.
    let file = std::fs::read_to_string(dir.path().join("proxy/cluster")).expect("cluster file");
    for m in &cluster.members {
        assert!(file.contains(&m.peer_url()), "{file}");
    }
    assert!(file.starts_with("{\"PeerURLs\":["), "{file}");

    let dir2 = tempfile::tempdir().expect("temp dir");
    let (ro, addr2) = start_proxy(
        dir2.path(),
        &["--proxy", "readonly", "--initial-cluster", &initial],
    );
    let (status, body) = http(&addr2, "PUT", "/v2/keys/foo", "value=nope");
    assert_eq!(status, 501, "{body}\n{}", ro.stderr());
    let (status, body) = eventually("GET through the readonly proxy", || {
        let r = http(&addr2, "GET", "/v2/keys/foo", "");
        (r.0 == 200).then_some(r)
    });
    assert!(body.contains("\"value\":\"bar\""), "{status} {body}");
}

#[test]
fn discovery_full_cluster_falls_back_to_proxy() {
    // Our member with the v2 API is the discovery service.
    let svc = Member::start(
        ServerKind::Ours,
        MemberOpts {
            name: "disco".into(),
            extra_args: vec!["--enable-v2".into()],
            ..Default::default()
        },
    );
    let svc_addr = svc.client_addr().to_string();
    let (status, body) = http(
        &svc_addr,
        "PUT",
        "/v2/keys/discovery/full/_config/size",
        "value=1",
    );
    assert!(status == 200 || status == 201, "{status} {body}");
    let durl = format!("{}/v2/keys/discovery/full", svc.client_url());
    // One member fills the cluster.
    let member = Member::start(
        ServerKind::Ours,
        MemberOpts {
            name: "only".into(),
            bootstrap_args: Some(vec!["--discovery".into(), durl.clone()]),
            extra_args: vec!["--enable-v2".into()],
            ..Default::default()
        },
    );
    // A second process with the default fallback becomes a proxy to it.
    let dir = tempfile::tempdir().expect("temp dir");
    let (proxy, addr) = start_proxy(dir.path(), &["--discovery", &durl]);
    let (status, body) = eventually("PUT through the fallback proxy", || {
        // The listeners first bound by the member start are dropped before the proxy binds.
        let r = try_http(&addr, "PUT", "/v2/keys/via", "value=proxy").ok()?;
        (r.0 == 201).then_some(r)
    });
    assert!(body.contains("\"value\":\"proxy\""), "{status} {body}");
    let (_, direct) = http(&member.client_addr().to_string(), "GET", "/v2/keys/via", "");
    assert!(direct.contains("\"value\":\"proxy\""), "{direct}");
    let log = proxy.stderr();
    assert!(
        log.contains("discovery cluster full, falling back to proxy"),
        "{log}"
    );
}

/// `curl -sS -o /dev/null -w %{http_code}` over TLS with the test CA (10 s at most); `0`
/// when no HTTP answer came (e.g. a plain-HTTP request refused by a TLS port).
fn curl_status(url: &str, ca: &str, extra: &[&str]) -> u16 {
    let mut cmd = Command::new("curl");
    cmd.args([
        "-sS",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "--max-time",
        "10",
    ])
    .args(["--cacert", ca])
    .args(extra)
    .arg(url);
    let out = crate::harness::run_with_timeout(cmd, None, Duration::from_secs(15));
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(0)
}

/// etcd 3.4's v2 proxy serves `https` listen URLs with `--cert-file`/`--key-file`: the same
/// requests through our proxy and through etcd 3.4.23's, both in front of our cluster, give
/// the same statuses (a PUT and a GET over TLS; a certificate the CA did not sign refused).
#[test]
fn proxy_serves_https_listen_urls() {
    crate::require_etcd!();
    let cluster = Cluster::start_with(ServerKind::Ours, 1, "v2proxy-tls", false, &|_| {
        vec!["--enable-v2".into()]
    });
    let initial = format!(
        "{}={}",
        cluster.members[0].opts.name,
        cluster.members[0].peer_url()
    );
    let certs = tempfile::tempdir().expect("temp dir");
    crate::harness::certs_init(certs.path(), "127.0.0.1", "proxy", None);
    let path = |f: &str| crate::harness::cert_path(certs.path(), f);
    let (ca, cert, key) = (path("ca.pem"), path("server.pem"), path("server-key.pem"));
    let other = tempfile::tempdir().expect("temp dir");
    crate::harness::certs_init(other.path(), "127.0.0.1", "proxy", None);
    let other_ca = crate::harness::cert_path(other.path(), "ca.pem");
    let mut outcomes = Vec::new();
    for bin in [env!("CARGO_BIN_EXE_etcd"), crate::harness::ETCD_BIN] {
        let dir = tempfile::tempdir().expect("temp dir");
        let (proxy, addr) = start_proxy_with(
            bin,
            "https",
            dir.path(),
            &[
                "--proxy",
                "on",
                "--initial-cluster",
                &initial,
                "--cert-file",
                &cert,
                "--key-file",
                &key,
            ],
        );
        let base = format!("https://{addr}");
        let key_name = if bin == crate::harness::ETCD_BIN {
            "etcd"
        } else {
            "ours"
        };
        let put = eventually("PUT over TLS through the proxy", || {
            let s = curl_status(
                &format!("{base}/v2/keys/tls-{key_name}"),
                &ca,
                &["-X", "PUT", "-d", "value=1"],
            );
            (s == 201).then_some(s)
        });
        outcomes.push(vec![
            put,
            curl_status(&format!("{base}/v2/keys/tls-{key_name}"), &ca, &[]),
            curl_status(&format!("{base}/v2/keys/tls-{key_name}"), &other_ca, &[]),
        ]);
        drop(proxy);
    }
    assert_eq!(outcomes[0], vec![201, 200, 0], "ours");
    assert_eq!(outcomes[0], outcomes[1], "ours vs etcd 3.4.23");
}
