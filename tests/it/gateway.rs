//! `etcd gateway start` (etcd's L4 TCP gateway) in front of our server: the official etcdctl
//! reads and writes through it, and a dead endpoint listed first is skipped. Reproduce:
//! `etcd gateway start --endpoints=<dead>,<live> --listen-addr=127.0.0.1:P`, then
//! `etcdctl --endpoints=127.0.0.1:P put k v`.

use std::process::Command;
use std::time::Duration;

use crate::harness::{
    etcdctl, free_port, ok_stdout, wait_listening, Member, MemberOpts, Proc, ServerKind,
};

#[test]
fn etcdctl_through_the_gateway_reads_and_writes() {
    crate::require_etcd!();
    let m = Member::start(ServerKind::Ours, MemberOpts::named("gw"));
    let dead = format!("127.0.0.1:{}", free_port());
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_etcd"));
    cmd.args(["gateway", "start"])
        .arg(format!("--endpoints={dead},{}", m.client_addr()))
        .arg(format!("--listen-addr={listen}"));
    let _gw = Proc::spawn(cmd, false);
    wait_listening(&listen, Duration::from_secs(10));
    for i in 0..3 {
        ok_stdout(
            &etcdctl(&listen, &["put", "via-gw", &i.to_string()], None),
            "put through the gateway",
        );
    }
    let got = ok_stdout(
        &etcdctl(&listen, &["get", "via-gw", "--print-value-only"], None),
        "get through the gateway",
    );
    assert_eq!(got, "2\n");
    let direct = ok_stdout(
        &etcdctl(
            &m.client_url(),
            &["get", "via-gw", "--print-value-only"],
            None,
        ),
        "direct get",
    );
    assert_eq!(direct, "2\n", "the gateway reached the member itself");
}

#[test]
fn gateway_refuses_unparseable_endpoints_and_logs_the_ready_line() {
    let port = free_port();
    let out = crate::harness::our_bin(
        &[
            "gateway",
            "start",
            "--endpoints=infra0.example.com",
            &format!("--listen-addr=127.0.0.1:{port}"),
        ],
        Duration::from_secs(10),
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "error parsing endpoint \"infra0.example.com\"",
        "etcd's message"
    );

    let listen = format!("127.0.0.1:{port}");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_etcd"));
    cmd.args(["gateway", "start"])
        .arg("--endpoints=http://127.0.0.1:2379,127.0.0.1:22379")
        .arg(format!("--listen-addr={listen}"))
        .arg("--retry-delay=5s")
        .arg("--insecure-discovery")
        .arg("--trusted-ca-file=ca.pem");
    let gw = Proc::spawn(cmd, false);
    wait_listening(&listen, Duration::from_secs(10));
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let want = "tcpproxy: ready to proxy client requests to [127.0.0.1:2379 127.0.0.1:22379]";
    while !gw.stderr().contains(want) {
        assert!(std::time::Instant::now() < deadline, "{}", gw.stderr());
        std::thread::sleep(Duration::from_millis(50));
    }
}
