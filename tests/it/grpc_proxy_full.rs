//! `etcd grpc-proxy start` as etcd's: the official etcdctl's command set through the proxy
//! (auth, lock, elect, lease keep-alive, snapshot, member list) in front of a 3-member
//! cluster with a member killed mid-test; per-client permission on coalesced watches that
//! outlive the auth token; the range cache; TLS on both sides; registration tables.
//! Reproduce: `etcd grpc-proxy start --endpoints=<m1>,<m2>,<m3> --listen-addr=127.0.0.1:P`,
//! then `etcdctl --endpoints=127.0.0.1:P user add root:pw ...`.

use std::net::SocketAddr;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::harness::{
    cert_path, client_cert_auth_flags, client_cert_dir, etcdctl, etcdctl_bg, free_port, http_get,
    ok_stdout, wait_listening, Cluster, Member, MemberOpts, Proc, ServerKind,
};

/// Starts a proxy in front of `endpoints` with `extra` flags and waits for its port.
fn start_proxy(endpoints: &str, extra: &[&str]) -> (Proc, String) {
    let listen = format!("127.0.0.1:{}", free_port());
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_etcd"));
    cmd.args(["grpc-proxy", "start"])
        .arg(format!("--endpoints={endpoints}"))
        .arg(format!("--listen-addr={listen}"))
        .args(extra);
    let proxy = Proc::spawn(cmd, false);
    wait_listening(&listen, Duration::from_secs(10));
    (proxy, listen)
}

/// The value of the (untyped) sample `name` in the proxy's `/proxy/metrics`.
fn proxy_metric(listen: &str, name: &str) -> u64 {
    let addr: SocketAddr = listen.parse().expect("proxy address");
    let (code, body) = http_get(addr, "/proxy/metrics").expect("GET /proxy/metrics");
    assert_eq!(code, 200, "{body}");
    body.lines()
        .find_map(|l| {
            l.strip_prefix(name)
                .and_then(|v| v.strip_prefix(' '))
                .and_then(|v| v.trim().parse().ok())
        })
        .unwrap_or_else(|| panic!("{name} missing from:\n{body}"))
}

fn wait_for(what: &str, f: impl FnMut() -> bool) {
    wait_for_within(what, Duration::from_secs(15), f)
}

fn wait_for_within(what: &str, within: Duration, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Runs etcdctl through the proxy and returns stdout, panicking on failure.
fn ctl(px: &str, args: &[&str]) -> String {
    ok_stdout(&etcdctl(px, args, None), &args.join(" "))
}

/// etcdctl through the proxy that must fail; returns stderr.
fn ctl_fails(px: &str, args: &[&str]) -> String {
    let out = etcdctl(px, args, None);
    assert!(
        !out.status.success(),
        "{} should fail: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn etcdctl_command_set_through_the_proxy_with_auth_and_a_member_killed() {
    crate::require_etcd!();
    let mut c = Cluster::start_with(ServerKind::Ours, 3, "pxfull", false, &|_| {
        vec!["--bcrypt-cost=4".to_string()]
    });
    let (_proxy, px) = start_proxy(&c.endpoints(), &[]);

    // Auth set up entirely through the proxy (Auth was Unimplemented before).
    ctl(&px, &["user", "add", "root:rootpw"]);
    ctl(&px, &["user", "add", "alice:alicepw"]);
    ctl(&px, &["role", "add", "app"]);
    ctl(
        &px,
        &[
            "role",
            "grant-permission",
            "app",
            "readwrite",
            "a",
            "--prefix",
        ],
    );
    ctl(&px, &["user", "grant-role", "alice", "app"]);
    assert_eq!(ctl(&px, &["auth", "enable"]), "Authentication Enabled\n");
    let err = ctl_fails(&px, &["put", "a1", "x"]);
    assert!(err.contains("user name is empty"), "{err}");
    let root = ["--user", "root:rootpw"];
    let alice = ["--user", "alice:alicepw"];
    let with = |who: &[&str; 2], args: &[&str]| -> Vec<String> {
        who.iter().chain(args).map(|s| s.to_string()).collect()
    };
    let run = |v: Vec<String>| ctl(&px, &v.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(run(with(&alice, &["put", "a1", "v1"])), "OK\n");
    assert_eq!(run(with(&root, &["put", "b1", "secret"])), "OK\n");
    assert_eq!(run(with(&alice, &["get", "a1"])), "a1\nv1\n");
    let v = with(&alice, &["get", "b1"]);
    let err = ctl_fails(&px, &v.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(err.contains("permission denied"), "{err}");
    let users = run(with(&root, &["user", "list"]));
    assert_eq!(users, "alice\nroot\n");

    // Lock: the command runs while the lock is held, keys under the lock name.
    let locked = run(with(&root, &["lock", "mylock", "echo", "held"]));
    assert_eq!(locked, "held\n");

    // Election: a campaigner, then the listener sees its proposal.
    let mut args = root.to_vec();
    args.extend(["elect", "myelection", "p1"]);
    let campaigner = etcdctl_bg(&px, &args);
    let line = campaigner
        .next_line(Duration::from_secs(10))
        .expect("campaigner leads");
    assert!(line.starts_with("myelection/"), "{line}");
    let mut args = root.to_vec();
    args.extend(["elect", "-l", "myelection"]);
    let listener = etcdctl_bg(&px, &args);
    let lines: Vec<String> = (0..2)
        .map(|_| listener.next_line(Duration::from_secs(10)).expect("leader"))
        .collect();
    assert_eq!(lines[1], "p1", "{lines:?}");
    drop(campaigner);
    drop(listener);

    // Leases, keep-alive, member list, endpoint status, snapshot.
    let grant = run(with(&root, &["lease", "grant", "60"]));
    let id = grant
        .split_whitespace()
        .nth(1)
        .expect("lease id")
        .to_string();
    let ka = run(with(&root, &["lease", "keep-alive", "--once", &id]));
    assert!(ka.contains("keepalived with TTL(60)"), "{ka}");
    let members = run(with(&root, &["member", "list"]));
    assert!(members.contains("127.0.0.1:23790"), "{members}");
    let status = run(with(&root, &["endpoint", "status"]));
    assert!(status.contains(&px), "{status}");
    let dir = tempfile::tempdir().expect("tempdir");
    let snap = dir.path().join("snap.db");
    let snap_s = snap.to_string_lossy().into_owned();
    let saved = run(with(&root, &["snapshot", "save", &snap_s]));
    assert!(saved.contains("Snapshot saved"), "{saved}");
    assert!(std::fs::metadata(&snap).expect("snapshot file").len() > 0);

    // Kill the member the proxy talks to first: the proxy hides the failure, its watch
    // resumes on another member.
    let mut args = root.to_vec();
    args.extend(["watch", "a2"]);
    let watcher = etcdctl_bg(&px, &args);
    std::thread::sleep(Duration::from_millis(500));
    c.members[0].kill9();
    // A new leader may need a few election rounds on a loaded machine.
    wait_for_within(
        "a put through the proxy after the kill",
        Duration::from_secs(40),
        || {
            let v = with(&root, &["put", "a2", "after-kill"]);
            etcdctl(&px, &v.iter().map(String::as_str).collect::<Vec<_>>(), None)
                .status
                .success()
        },
    );
    assert_eq!(
        run(with(&alice, &["get", "a2", "--print-value-only"])),
        "after-kill\n"
    );
    watcher.wait_stdout_contains("after-kill", Duration::from_secs(30));
    ctl(&px, &["--user", "root:rootpw", "auth", "disable"]);
}

#[test]
fn coalesced_watches_check_each_client_and_outlive_the_token() {
    crate::require_etcd!();
    let mut opts = MemberOpts::named("pxw");
    opts.extra_args = vec!["--bcrypt-cost=4".into(), "--auth-token-ttl=2".into()];
    let m = Member::start(ServerKind::Ours, opts);
    let (_proxy, px) = start_proxy(&m.client_url(), &[]);
    ctl(&px, &["user", "add", "root:rootpw"]);
    ctl(&px, &["user", "add", "bob:bobpw"]);
    ctl(&px, &["auth", "enable"]);

    let w1 = etcdctl_bg(&px, &["--user", "root:rootpw", "watch", "wk"]);
    let w2 = etcdctl_bg(&px, &["--user", "root:rootpw", "watch", "wk"]);
    wait_for("two coalesced watchers", || {
        proxy_metric(&px, "etcd_grpc_proxy_watchers_coalescing_total") == 1
    });
    // bob may not read wk: his watch is refused, never joined to the shared watcher.
    let mut w3 = etcdctl_bg(&px, &["--user", "bob:bobpw", "watch", "wk"]);
    w3.wait_exit(Duration::from_secs(10));
    assert_eq!(proxy_metric(&px, "etcd_grpc_proxy_upstream_watchers"), 1);

    // The simple tokens expire after 2 s: the shared watcher keeps delivering.
    std::thread::sleep(Duration::from_secs(3));
    ctl(&px, &["--user", "root:rootpw", "put", "wk", "after-expiry"]);
    for w in [&w1, &w2] {
        let lines: Vec<String> = (0..3)
            .map(|_| w.next_line(Duration::from_secs(10)).expect("watch event"))
            .collect();
        assert_eq!(lines, ["PUT", "wk", "after-expiry"]);
    }
    assert!(
        !w3.stdout().contains("after-expiry"),
        "bob got an event: {}",
        w3.output()
    );
    assert!(proxy_metric(&px, "etcd_grpc_proxy_events_coalescing_total") >= 1);
}

#[test]
fn range_cache_hits_invalidation_and_compaction() {
    crate::require_etcd!();
    let m = Member::start(ServerKind::Ours, MemberOpts::named("pxc"));
    let (_proxy, px) = start_proxy(&m.client_url(), &[]);
    ctl(&px, &["put", "k", "v1"]);
    let hits = |px: &str| proxy_metric(px, "etcd_grpc_proxy_cache_hits_total");
    let s = ["get", "k", "--consistency=s", "--print-value-only"];
    assert_eq!(ctl(&px, &s), "v1\n");
    let h0 = hits(&px);
    assert_eq!(ctl(&px, &s), "v1\n");
    assert_eq!(hits(&px), h0 + 1, "a repeated serializable get is a hit");
    assert!(proxy_metric(&px, "etcd_grpc_proxy_cache_keys_total") >= 1);
    // Linearizable reads go to the cluster.
    ctl(&px, &["get", "k"]);
    assert_eq!(hits(&px), h0 + 1);
    // A write through the proxy invalidates; one made behind its back is not seen (etcd's
    // cache behaves the same).
    ctl(&px, &["put", "k", "v2"]);
    assert_eq!(ctl(&px, &s), "v2\n");
    ctl(&m.client_url(), &["put", "k", "v3"]);
    assert_eq!(ctl(&px, &s), "v2\n");
    assert_eq!(ctl(&px, &["get", "k", "--print-value-only"]), "v3\n");
    // Compaction drops answers for older revisions.
    let old = [
        "get",
        "k",
        "--rev=2",
        "--consistency=s",
        "--print-value-only",
    ];
    assert_eq!(ctl(&px, &old), "v1\n");
    ctl(&px, &["compact", "3"]);
    let err = ctl_fails(&px, &old);
    assert!(
        err.contains("required revision has been compacted"),
        "{err}"
    );
}

#[test]
fn tls_on_both_sides_and_client_certificate_refusal() {
    crate::require_etcd!();
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    client_cert_dir(d, "m1", &[]);
    let (ca, cert, key) = (
        cert_path(d, "ca.pem"),
        cert_path(d, "client.pem"),
        cert_path(d, "client-key.pem"),
    );
    let mut opts = MemberOpts::named("pxt");
    opts.https = true;
    opts.extra_args = client_cert_auth_flags(d);
    let m = Member::start(ServerKind::Ours, opts);
    // The seed's TLS termination recipe: a plain-text proxy in front of an https member.
    let ep = m.client_url();
    let (_p1, plain) = start_proxy(
        &ep,
        &[
            "--cert",
            &cert,
            "--key",
            &key,
            &format!("--cacert={ca}"),
            "--insecure-skip-tls-verify",
        ],
    );
    assert_eq!(ctl(&plain, &["put", "abc", "def"]), "OK\n");

    // A TLS proxy requiring client certificates, with an https metrics listener.
    let metrics_port = free_port();
    let (_p2, secure) = start_proxy(
        &ep,
        &[
            "--cert",
            &cert,
            "--key",
            &key,
            &format!("--cacert={ca}"),
            &format!("--cert-file={}", cert_path(d, "server.pem")),
            &format!("--key-file={}", cert_path(d, "server-key.pem")),
            &format!("--trusted-ca-file={ca}"),
            &format!("--metrics-addr=https://127.0.0.1:{metrics_port}"),
        ],
    );
    let tls_args = [
        format!("--cacert={ca}"),
        format!("--cert={cert}"),
        format!("--key={key}"),
    ];
    let mut args: Vec<&str> = tls_args.iter().map(String::as_str).collect();
    args.extend(["get", "abc", "--print-value-only"]);
    assert_eq!(ctl(&format!("https://{secure}"), &args), "def\n");
    let no_cert = [
        format!("--cacert={ca}"),
        "--dial-timeout=2s".into(),
        "get".into(),
        "abc".into(),
    ];
    let args: Vec<&str> = no_cert.iter().map(String::as_str).collect();
    ctl_fails(&format!("https://{secure}"), &args);
    wait_listening(&format!("127.0.0.1:{metrics_port}"), Duration::from_secs(5));
}

#[test]
fn registration_and_member_list_tables() {
    crate::require_etcd!();
    let m = Member::start(ServerKind::Ours, MemberOpts::named("pxr"));
    let (p1, p2) = (free_port(), free_port());
    let a1 = format!("127.0.0.1:{p1}");
    let a2 = format!("127.0.0.1:{p2}");
    let start = |listen: &str, extra: &[&str]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_etcd"));
        cmd.args(["grpc-proxy", "start"])
            .arg(format!("--endpoints={}", m.client_url()))
            .arg(format!("--listen-addr={listen}"))
            .arg(format!("--advertise-client-url={listen}"))
            .args(extra);
        let p = Proc::spawn(cmd, false);
        wait_listening(listen, Duration::from_secs(10));
        p
    };
    let reg = [
        "--resolver-prefix=___grpc_proxy_endpoint",
        "--resolver-ttl=60",
    ];
    let _x1 = start(&a1, &reg);
    let _x2 = start(&a2, &reg);
    wait_for("both proxies registered", || {
        let out = etcdctl(&format!("http://{a1}"), &["member", "list"], None);
        let s = String::from_utf8_lossy(&out.stdout).into_owned();
        s.contains(&a1) && s.contains(&a2)
    });
    let table = ctl(
        &format!("http://{a1}"),
        &["member", "list", "--write-out", "table"],
    );
    assert!(table.contains("|  0 | started |"), "{table}");
    assert!(table.contains(&format!("| {a1} |")), "{table}");
    let keys = ctl(
        &m.client_url(),
        &["get", "___grpc_proxy_endpoint/", "--prefix", "--keys-only"],
    );
    assert!(
        keys.contains(&format!("___grpc_proxy_endpoint/{a1}")),
        "{keys}"
    );

    // Without a prefix the proxy lists only itself.
    let a3 = format!("127.0.0.1:{}", free_port());
    let _x3 = start(&a3, &[]);
    let out = ctl(&format!("http://{a3}"), &["member", "list"]);
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(
        out.starts_with("0, started, ") && out.trim_end().ends_with(&format!(", , {a3}, false")),
        "{out}"
    );
}

#[test]
fn lease_keep_alives_share_one_upstream_stream() {
    crate::require_etcd!();
    let m = Member::start(ServerKind::Ours, MemberOpts::named("pxl"));
    let (_proxy, px) = start_proxy(&m.client_url(), &[]);
    let grant = ctl(&px, &["lease", "grant", "60"]);
    let id = grant
        .split_whitespace()
        .nth(1)
        .expect("lease id")
        .to_string();
    let clients: Vec<Proc> = (0..3)
        .map(|_| etcdctl_bg(&px, &["lease", "keep-alive", &id]))
        .collect();
    for c in &clients {
        let line = c
            .next_line(Duration::from_secs(10))
            .expect("keep-alive answer");
        assert!(line.contains("keepalived with TTL(60)"), "{line}");
    }
    assert_eq!(
        proxy_metric(&px, "etcd_grpc_proxy_upstream_lease_streams"),
        1,
        "three client streams, one upstream stream"
    );
    let ttl = ctl(&px, &["lease", "timetolive", &id]);
    assert!(ttl.contains("remaining("), "{ttl}");
    drop(clients);
    // A revoked lease answers TTL 0 through the shared stream.
    ctl(&px, &["lease", "revoke", &id]);
    let out = etcdctl(&px, &["lease", "keep-alive", "--once", &id], None);
    assert!(!out.status.success());
}

#[test]
fn auto_tls_metrics_addr_health_and_message_limits() {
    crate::require_etcd!();
    let m = Member::start(ServerKind::Ours, MemberOpts::named("pxm"));
    let dir = tempfile::tempdir().expect("tempdir");
    let data_dir = dir.path().join("proxy-data");
    let metrics = format!("127.0.0.1:{}", free_port());
    let (_p1, tls) = start_proxy(
        &m.client_url(),
        &[
            "--auto-tls",
            &format!("--data-dir={}", data_dir.display()),
            &format!("--metrics-addr=http://{metrics}"),
        ],
    );
    assert!(data_dir.join("fixtures/proxy/cert.pem").exists());
    let secure = format!("https://{tls}");
    assert_eq!(
        ctl(
            &secure,
            &[
                "--insecure-transport=false",
                "--insecure-skip-tls-verify",
                "put",
                "big",
                &"x".repeat(2048)
            ]
        ),
        "OK\n"
    );
    ctl_fails(
        &format!("http://{tls}"),
        &["--dial-timeout=2s", "get", "big"],
    );

    wait_listening(&metrics, Duration::from_secs(5));
    let addr: SocketAddr = metrics.parse().expect("metrics address");
    let (code, body) = http_get(addr, "/metrics").expect("GET /metrics");
    assert_eq!(code, 200, "{body}");
    assert!(
        body.contains("etcd_server_has_leader 1"),
        "the member's metrics"
    );
    assert!(
        body.contains("etcd_grpc_proxy_cache_misses_total"),
        "{body}"
    );
    assert_eq!(
        body.matches("# TYPE etcd_grpc_proxy_cache_hits_total")
            .count(),
        1,
        "one family, the proxy's"
    );
    for path in ["/health", "/proxy/health"] {
        let (code, body) = http_get(addr, path).expect("GET health");
        assert_eq!(
            (code, body.as_str()),
            (200, r#"{"health":"true"}"#),
            "{path}"
        );
    }

    // --max-send-bytes bounds what the proxy sends back.
    let (_p2, small) = start_proxy(&m.client_url(), &["--max-send-bytes=1024"]);
    let err = ctl_fails(&small, &["get", "big"]);
    assert!(err.contains("the limit is: 1024 bytes"), "{err}");
    assert_eq!(ctl(&small, &["get", "big", "--keys-only"]), "big\n\n");
}

#[test]
fn watch_from_a_past_revision_and_namespaced_lock_through_the_proxy() {
    crate::require_etcd!();
    let m = Member::start(ServerKind::Ours, MemberOpts::named("pxh"));
    let (_proxy, px) = start_proxy(&m.client_url(), &["--namespace=ns/"]);
    ctl(&px, &["put", "h", "1"]);
    ctl(&px, &["put", "h", "2"]);
    let w = etcdctl_bg(&px, &["watch", "h", "--rev=1"]);
    let out = w.wait_stdout_lines(6, Duration::from_secs(10));
    assert_eq!(out, "PUT\nh\n1\nPUT\nh\n2\n");
    // Lock keys live inside the namespace, and come back without it.
    let held = ctl(&px, &["lock", "lk", "echo", "held"]);
    assert_eq!(held, "held\n");
    let w2 = etcdctl_bg(&m.client_url(), &["watch", "ns/lk", "--prefix"]);
    std::thread::sleep(Duration::from_millis(300));
    let locker = etcdctl_bg(&px, &["lock", "lk"]);
    let line = locker.next_line(Duration::from_secs(10)).expect("lock key");
    assert!(line.starts_with("lk/"), "{line}");
    let seen = w2
        .next_line(Duration::from_secs(10))
        .expect("event on the member");
    assert_eq!(seen, "PUT");
    let key = w2.next_line(Duration::from_secs(10)).expect("key");
    assert!(key.starts_with("ns/lk/"), "{key}");
}

/// `--endpoints-auto-sync-interval` (clientv3's `AutoSyncInterval` in etcd's proxy): a member
/// added after the proxy started becomes one of its endpoints, and when the only member it
/// was started with is removed (and exits), clients of the proxy keep working through the
/// new member.
#[test]
fn auto_sync_follows_the_member_list_past_the_original_endpoint() {
    crate::require_etcd!();
    let mut m1 = Member::start(ServerKind::Ours, MemberOpts::named("as1"));
    let (proxy, px) = start_proxy(&m1.client_url(), &["--endpoints-auto-sync-interval=200ms"]);
    ctl(&px, &["put", "k", "before"]);
    let (c2, p2) = (free_port(), free_port());
    let peer2 = format!("http://127.0.0.1:{p2}");
    ctl(
        &m1.client_url(),
        &["member", "add", "as2", &format!("--peer-urls={peer2}")],
    );
    let m2 = Member::start(
        ServerKind::Ours,
        MemberOpts {
            ports: Some((c2, p2)),
            initial_cluster: Some(format!("as1={},as2={peer2}", m1.peer_url())),
            cluster_state: Some("existing".into()),
            ..MemberOpts::named("as2")
        },
    );
    let ep2 = m2.client_url();
    wait_for("the proxy to sync the new member's client URL", || {
        proxy.stderr().contains(&ep2)
    });
    let list = ctl(&ep2, &["member", "list"]);
    let id1 = list
        .lines()
        .find(|l| l.contains("as1"))
        .and_then(|l| l.split(',').next())
        .expect("as1 in member list")
        .to_string();
    // etcd's strict reconfig check refuses the removal until the new member has been
    // connected for a while (`etcdserver: unhealthy cluster`).
    wait_for_within("member remove as1", Duration::from_secs(30), || {
        etcdctl(&ep2, &["member", "remove", &id1], None)
            .status
            .success()
    });
    assert!(
        m1.wait_exit(Duration::from_secs(20)).is_some(),
        "removed member did not exit"
    );
    wait_for(
        "a put through the proxy after the original endpoint left",
        || etcdctl(&px, &["put", "k", "after"], None).status.success(),
    );
    assert_eq!(
        ctl(&px, &["get", "k", "--print-value-only"]).trim(),
        "after"
    );
}
