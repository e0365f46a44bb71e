//! Logs, readiness, metrics and the container entrypoint (issue 14 points 1, 5-8): etcd's
//! startup lines per logger and in etcd's order, systemd's `READY=1` on a fake
//! `$NOTIFY_SOCKET`, zap's JSON lines, `/metrics` families ⊇ etcd 3.4.23's (minus `go_*`),
//! go-grpc-prometheus' counters on a `--listen-metrics-urls` listener, and the
//! `Containerfile`'s entrypoint run with the seeds' command line.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::os::unix::net::UnixDatagram;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::harness::{
    etcdctl, free_port, http_get, http_get_bytes, our_ctl, Member, MemberOpts, Proc, ServerKind,
    READY_LINE, READY_TIMEOUT,
};

/// Waits (≤ 10 s) until the member's stderr contains `needle`; returns the stderr.
fn wait_log(m: &Member, needle: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let log = m.stderr();
        if log.contains(needle) {
            return log;
        }
        assert!(
            Instant::now() < deadline,
            "`{needle}` not logged within 10 s; stderr:\n{log}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The byte offsets of `needles` in `log`, asserting each appears after the previous one.
fn assert_in_order(log: &str, needles: &[&str]) {
    let mut from = 0;
    for n in needles {
        let at = log[from..]
            .find(n)
            .unwrap_or_else(|| panic!("`{n}` missing after byte {from}; log:\n{log}"));
        from += at + n.len();
    }
}

/// A `Type=notify` unit: the member sends `READY=1` to `$NOTIFY_SOCKET` once it serves, after
/// etcd 3.4's capnslog startup lines, which appear in etcd's order.
#[test]
fn systemd_notify_ready_after_capnslog_startup_lines() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("notify.sock");
    let sock = UnixDatagram::bind(&path).expect("bind fake NOTIFY_SOCKET");
    sock.set_read_timeout(Some(READY_TIMEOUT))
        .expect("read timeout");
    let m = Member::start(
        ServerKind::Ours,
        MemberOpts {
            env: vec![("NOTIFY_SOCKET".into(), path.display().to_string())],
            ..Default::default()
        },
    );
    let mut buf = [0u8; 512];
    let n = sock
        .recv(&mut buf)
        .unwrap_or_else(|e| panic!("no READY=1 within {READY_TIMEOUT:?}: {e}; {}", m.stderr()));
    let msg = String::from_utf8_lossy(&buf[..n]).to_string();
    assert!(msg.lines().any(|l| l == "READY=1"), "{msg:?}");
    let log = wait_log(&m, "enabled capabilities for version");
    assert_in_order(
        &log,
        &[
            "I | etcdserver: published {Name:infra1 ClientURLs:[http://127.0.0.1:",
            "I | embed: ready to serve client requests",
            "serving insecure client requests on 127.0.0.1:",
            ", this is strongly discouraged!",
            "I | etcdserver/api: enabled capabilities for version 3.4",
        ],
    );
}

/// `--logger=zap`: every line is a JSON object with zap's `level`, `ts`, `caller`, `msg`;
/// etcd 3.4's zap messages appear in order (with 3.5's `ready to serve client requests`);
/// `--log-outputs=stderr,<file>` writes the same lines to the file.
#[test]
fn zap_logger_writes_json_lines_with_etcds_messages() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("etcd.log");
    let m = Member::start(
        ServerKind::Ours,
        MemberOpts {
            extra_args: vec![
                "--logger=zap".into(),
                format!("--log-outputs=stderr,{}", file.display()),
            ],
            ..Default::default()
        },
    );
    let log = wait_log(&m, "enabled capabilities for version");
    let mut msgs = Vec::new();
    for line in log.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
        for key in ["level", "ts", "caller", "msg"] {
            assert!(v[key].is_string(), "no string `{key}` in {line}");
        }
        assert!(line.starts_with("{\"level\":"), "{line}");
        msgs.push(v["msg"].as_str().unwrap_or_default().to_string());
    }
    let joined = msgs.join("\n");
    assert_in_order(
        &joined,
        &[
            "published local member to cluster through raft",
            READY_LINE,
            "serving client traffic insecurely; this is strongly discouraged!",
            "enabled capabilities for version",
        ],
    );
    let from_file = std::fs::read_to_string(&file).expect("log file");
    assert!(
        from_file.contains("published local member to cluster through raft"),
        "{from_file}"
    );
}

/// The `# TYPE` family names of a Prometheus text page, minus Go's runtime families.
fn families(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| !n.starts_with("go_"))
        .map(String::from)
        .collect()
}

/// The value of the sample line starting with `prefix` (labels included), 0 when absent.
fn sample(text: &str, prefix: &str) -> f64 {
    text.lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

fn scrape(addr: SocketAddr) -> String {
    let (code, body) = http_get(addr, "/metrics").expect("GET /metrics");
    assert_eq!(code, 200, "{body}");
    body
}

const RANGE_OK: &str = "grpc_server_handled_total{grpc_code=\"OK\",grpc_method=\"Range\",grpc_service=\"etcdserverpb.KV\",grpc_type=\"unary\"}";

/// `/metrics` on a `--listen-metrics-urls` listener (which also answers `/health`):
/// `grpc_server_handled_total` counts one Range, `grpc_server_started_total` and the message
/// counters too, and `--metrics=extensive` adds `grpc_server_handling_seconds`.
#[test]
fn metrics_listener_counts_a_range_call() {
    let port = free_port();
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let m = Member::start(
        ServerKind::Ours,
        MemberOpts {
            extra_args: vec![
                format!("--listen-metrics-urls=http://127.0.0.1:{port}"),
                "--metrics=extensive".into(),
            ],
            ..Default::default()
        },
    );
    let (code, body) = http_get(addr, "/health").expect("GET /health");
    assert_eq!((code, body.trim()), (200, r#"{"health":"true"}"#));
    let before = scrape(addr);
    let out = our_ctl(&m.client_url(), &["get", "k"], None);
    assert!(out.status.success(), "{out:?}");
    let after = scrape(addr);
    assert_eq!(sample(&after, RANGE_OK) - sample(&before, RANGE_OK), 1.0);
    let started = "grpc_server_started_total{grpc_method=\"Range\",grpc_service=\"etcdserverpb.KV\",grpc_type=\"unary\"}";
    assert_eq!(sample(&after, started) - sample(&before, started), 1.0);
    let sent = "grpc_server_msg_sent_total{grpc_method=\"Range\",grpc_service=\"etcdserverpb.KV\",grpc_type=\"unary\"}";
    assert_eq!(sample(&after, sent) - sample(&before, sent), 1.0);
    assert!(
        after.contains("grpc_server_handling_seconds_count{grpc_method=\"Range\""),
        "{after}"
    );
    // The metrics listener serves nothing else.
    let (code, _) = http_get(addr, "/version").expect("GET /version");
    assert_eq!(code, 404);
}

/// Every metric family etcd 3.4.23 exports after a Range (Go's runtime ones aside) is
/// exported by ours, under the same name and type.
#[test]
fn metrics_families_cover_etcds() {
    crate::require_etcd!();
    let mut pages = Vec::new();
    for kind in [ServerKind::Etcd, ServerKind::Ours] {
        let m = Member::start(kind, MemberOpts::default());
        let out = etcdctl(&m.client_url(), &["get", "k"], None);
        assert!(out.status.success(), "{out:?}");
        pages.push(scrape(m.client_addr()));
    }
    let typed = |text: &str| -> BTreeSet<String> {
        text.lines()
            .filter(|l| l.starts_with("# TYPE ") && !l.starts_with("# TYPE go_"))
            .map(String::from)
            .collect()
    };
    let missing: Vec<_> = typed(&pages[0])
        .difference(&typed(&pages[1]))
        .cloned()
        .collect();
    assert!(
        missing.is_empty(),
        "families etcd has and we lack: {missing:#?}"
    );
    assert!(families(&pages[1]).len() >= families(&pages[0]).len());
    assert!(sample(&pages[1], RANGE_OK) >= 1.0);
}

/// The `Containerfile` lays the binary out as etcd's image (`/usr/local/bin/etcd` with
/// `etcdctl` and `etcdutl` beside it, `CMD ["/usr/local/bin/etcd"]`), and that entrypoint
/// starts with the seeds' `docker run` flags, long and single-dash (Go) forms mixed.
#[test]
fn containerfile_entrypoint_runs_the_seeds_command_line() {
    let containerfile =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Containerfile"))
            .expect("Containerfile at the repository root");
    assert!(
        containerfile.contains("CMD [\"/usr/local/bin/etcd\"]"),
        "{containerfile}"
    );
    for tool in ["etcdctl", "etcdutl"] {
        assert!(
            containerfile.contains(&format!("ln -s etcd /out/usr/local/bin/{tool}")),
            "{tool} link missing"
        );
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let (client, peer) = (free_port(), free_port());
    let node = "127.0.0.1";
    let data = dir.path().join("etcd-data");
    // The seed's node1 command (0.0.0.0 listeners narrowed to loopback for the test), with the
    // other seed's single-dash spellings for half of the flags.
    let args: Vec<String> = vec![
        format!("--data-dir={}", data.display()),
        "--name".into(),
        "node1".into(),
        "-initial-advertise-peer-urls".into(),
        format!("http://{node}:{peer}"),
        "--listen-peer-urls".into(),
        format!("http://{node}:{peer}"),
        "-advertise-client-urls".into(),
        format!("http://{node}:{client}"),
        "-listen-client-urls".into(),
        format!("http://{node}:{client}"),
        "--initial-cluster".into(),
        format!("node1=http://{node}:{peer}"),
        "-initial-cluster-token".into(),
        "etcd-cluster".into(),
        "-initial-cluster-state".into(),
        "new".into(),
    ];
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_etcd"));
    for (k, _) in std::env::vars() {
        if k.starts_with("ETCD_") {
            cmd.env_remove(k);
        }
    }
    cmd.args(&args);
    let mut p = Proc::spawn(cmd, false);
    let deadline = Instant::now() + READY_TIMEOUT;
    while !p.stderr().contains(READY_LINE) {
        assert!(
            !p.exited() && Instant::now() < deadline,
            "not ready within {READY_TIMEOUT:?}: {}",
            p.stderr()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let endpoint = format!("http://{node}:{client}");
    let out = our_ctl(&endpoint, &["put", "foo", "bar"], None);
    assert!(out.status.success(), "{out:?}");
    let out = our_ctl(&endpoint, &["get", "foo", "--print-value-only"], None);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "bar");
    p.kill();
}

/// `--enable-pprof`: `/debug/pprof/profile?seconds=1` answers a CPU profile in pprof's
/// protobuf format (it decodes as `perftools.profiles.Profile` with a sample type), and
/// without the flag the path is 404 as in etcd.
#[test]
fn pprof_profile_is_a_pprof_protobuf() {
    use pprof::protos::Message;
    let m = Member::start(
        ServerKind::Ours,
        MemberOpts {
            extra_args: vec!["--enable-pprof".into()],
            ..Default::default()
        },
    );
    let log = wait_log(&m, "pprof is enabled under /debug/pprof");
    assert!(log.contains("I | embed: pprof is enabled"), "{log}");
    let (code, body) = http_get_bytes(
        m.client_addr(),
        "/debug/pprof/profile?seconds=1",
        Duration::from_secs(15),
    )
    .expect("GET profile");
    assert_eq!(code, 200, "{}", String::from_utf8_lossy(&body));
    let profile = pprof::protos::Profile::decode(body.as_slice()).expect("pprof protobuf");
    assert!(!profile.sample_type.is_empty(), "{profile:?}");
    assert!(profile.period > 0, "{profile:?}");

    let plain = Member::start(ServerKind::Ours, MemberOpts::default());
    let (code, _) = http_get(plain.client_addr(), "/debug/pprof/").expect("GET index");
    assert_eq!(code, 404);
}
