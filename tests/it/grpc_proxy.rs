//! `etcd grpc-proxy start` (etcd's L7 gRPC proxy) in front of our server, driven by the
//! official etcdctl: KV, txn, leases, member list, coalesced watches (two `etcdctl watch`
//! processes on one key share one upstream watcher, per the proxy's `/metrics`), and
//! `--namespace`. Reproduce: `etcd grpc-proxy start --endpoints=<member>
//! --listen-addr=127.0.0.1:P [--namespace=ns/]`, then `etcdctl --endpoints=127.0.0.1:P put k v`.

use std::net::SocketAddr;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::harness::{
    etcdctl, etcdctl_bg, free_port, http_get, ok_stdout, wait_listening, Member, MemberOpts, Proc,
    ServerKind,
};

/// Starts the proxy in front of `member` and waits for its port.
fn start_proxy(member: &Member, extra: &[&str]) -> (Proc, String) {
    let listen = format!("127.0.0.1:{}", free_port());
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_etcd"));
    cmd.args(["grpc-proxy", "start"])
        .arg(format!("--endpoints={}", member.client_addr()))
        .arg(format!("--listen-addr={listen}"))
        .args(extra);
    let proxy = Proc::spawn(cmd, false);
    wait_listening(&listen, Duration::from_secs(10));
    (proxy, listen)
}

/// The value of gauge `name` in the proxy's `/metrics`.
fn gauge(listen: &str, name: &str) -> u64 {
    let addr: SocketAddr = listen.parse().expect("proxy address");
    let (code, body) = http_get(addr, "/metrics").expect("GET /metrics from the proxy");
    assert_eq!(code, 200, "{body}");
    body.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|v| v.trim().parse().ok()))
        .unwrap_or_else(|| panic!("{name} missing from:\n{body}"))
}

fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn etcdctl_through_the_grpc_proxy() {
    crate::require_etcd!();
    let m = Member::start(ServerKind::Ours, MemberOpts::named("px"));
    let (_proxy, px) = start_proxy(&m, &[]);

    ok_stdout(&etcdctl(&px, &["put", "a1", "v1"], None), "put");
    ok_stdout(&etcdctl(&px, &["put", "a2", "v2"], None), "put");
    assert_eq!(
        ok_stdout(&etcdctl(&px, &["get", "a1"], None), "get"),
        "a1\nv1\n"
    );
    assert_eq!(
        ok_stdout(
            &etcdctl(&px, &["get", "a", "--prefix", "--keys-only"], None),
            "get --prefix"
        ),
        "a1\n\na2\n\n"
    );
    assert_eq!(ok_stdout(&etcdctl(&px, &["del", "a2"], None), "del"), "1\n");
    let txn = "value(\"a1\") = \"v1\"\n\nput t yes\n\nput t no\n\n";
    assert_eq!(
        ok_stdout(&etcdctl(&px, &["txn"], Some(txn)), "txn"),
        "SUCCESS\n\nOK\n"
    );
    assert_eq!(
        ok_stdout(
            &etcdctl(&m.client_url(), &["get", "t", "--print-value-only"], None),
            "direct get"
        ),
        "yes\n"
    );

    // Leases.
    let grant = ok_stdout(
        &etcdctl(&px, &["lease", "grant", "100"], None),
        "lease grant",
    );
    let id = grant
        .split_whitespace()
        .nth(1)
        .expect("lease id")
        .to_string();
    ok_stdout(
        &etcdctl(&px, &["put", "leased", "x", &format!("--lease={id}")], None),
        "put --lease",
    );
    let ttl = ok_stdout(
        &etcdctl(&px, &["lease", "timetolive", &id, "--keys"], None),
        "timetolive",
    );
    assert!(
        ttl.contains("granted with TTL(100s)") && ttl.contains("attached keys([leased])"),
        "{ttl}"
    );
    ok_stdout(
        &etcdctl(&px, &["lease", "keep-alive", "--once", &id], None),
        "keep-alive --once",
    );

    // Members.
    let members = ok_stdout(&etcdctl(&px, &["member", "list"], None), "member list");
    assert!(
        members.contains("127.0.0.1:23790"),
        "the proxy lists itself, as etcd 3.4: {members}"
    );

    // Watch coalescing: two etcdctl watch processes, one upstream watcher.
    let w1 = etcdctl_bg(&px, &["watch", "wk"]);
    let w2 = etcdctl_bg(&px, &["watch", "wk"]);
    wait_for("both watchers coalesced", || {
        gauge(&px, "etcd_grpc_proxy_watchers_coalescing_total") == 1
    });
    assert_eq!(gauge(&px, "etcd_grpc_proxy_upstream_watchers"), 1);
    ok_stdout(
        &etcdctl(&px, &["put", "wk", "seen"], None),
        "put watched key",
    );
    for w in [&w1, &w2] {
        let lines: Vec<String> = (0..3)
            .map(|_| w.next_line(Duration::from_secs(10)).expect("watch event"))
            .collect();
        assert_eq!(lines, ["PUT", "wk", "seen"]);
    }
}

#[test]
fn grpc_proxy_namespace_prefixes_keys() {
    crate::require_etcd!();
    let m = Member::start(ServerKind::Ours, MemberOpts::named("px"));
    let (_proxy, px) = start_proxy(&m, &["--namespace=ns/"]);
    ok_stdout(
        &etcdctl(&px, &["put", "k", "v"], None),
        "put through the namespaced proxy",
    );
    let direct = ok_stdout(
        &etcdctl(&m.client_url(), &["get", "", "--prefix"], None),
        "direct get",
    );
    assert_eq!(
        direct, "ns/k\nv\n",
        "only the prefixed key exists on the server"
    );
    assert_eq!(
        ok_stdout(&etcdctl(&px, &["get", "k"], None), "get through the proxy"),
        "k\nv\n"
    );
    assert_eq!(
        ok_stdout(
            &etcdctl(&px, &["get", "", "--prefix", "--keys-only"], None),
            "prefix get"
        ),
        "k\n\n"
    );
    ok_stdout(
        &etcdctl(&m.client_url(), &["put", "outside", "o"], None),
        "direct put outside the namespace",
    );
    assert_eq!(
        ok_stdout(&etcdctl(&px, &["get", "outside"], None), "get outside"),
        ""
    );
}
