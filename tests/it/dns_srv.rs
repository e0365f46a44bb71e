//! DNS SRV discovery: a zone like the seeds' (`_etcd-server._tcp.example.com`,
//! `_etcd-client._tcp.example.com`) served by a tiny DNS server on loopback ([`Zone`]); our
//! members bootstrap from it (`--discovery-srv example.com`), `etcd ctl -d example.com`
//! finds them, and `etcd gateway start --discovery-srv example.com` forwards to them.
//!
//! Our processes are pointed at the zone with the test-only `ETCD_OXIDE_TEST_DNS=<ip:port>`
//! (read by `discovery::srv`'s resolver construction; no root, no namespace). SRV targets are
//! `localhost.` with each member's own port, so the peer URLs (`http://localhost:<port>`)
//! resolve through the system resolver as the members dial each other.
//!
//! The zone has no `_etcd-server-ssl` / `_etcd-client-ssl` records: etcd 3.4 refuses such a
//! zone at server bootstrap; etcd-oxide uses the records that exist (see `discovery::srv`).
//!
//! The official etcdctl 3.4 (Go resolver, port 53 only) is pointed at a copy of the zone on
//! 127.0.0.77:53 through a private mount namespace (`unshare -m` + a bind-mounted
//! `/etc/resolv.conf`), when the test runs as root.

use std::net::UdpSocket;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hickory_proto::op::{Message, MessageType, ResponseCode};
use hickory_proto::rr::rdata::SRV;
use hickory_proto::rr::{Name, RData, Record};
use hickory_proto::serialize::binary::{BinDecodable, BinEncodable};

use crate::harness::{
    free_port, ok_stdout, our_ctl, run_with_timeout, wait_listening, Member, MemberOpts, Proc,
    ServerKind,
};

const TEST_DNS_ENV: &str = "ETCD_OXIDE_TEST_DNS";

/// A DNS server on 127.0.0.1 answering from a fixed record list; stops on drop.
struct Zone {
    addr: String,
    stop: Arc<AtomicBool>,
}

impl Zone {
    /// Serves `records` on 127.0.0.1 (exact name + type matches; anything else is NXDOMAIN).
    fn serve(records: Vec<Record>) -> Zone {
        Zone::serve_on(
            UdpSocket::bind("127.0.0.1:0").expect("bind DNS socket"),
            records,
        )
    }

    /// Serves `records` on `sock`.
    fn serve_on(sock: UdpSocket, records: Vec<Record>) -> Zone {
        sock.set_read_timeout(Some(Duration::from_millis(100)))
            .expect("socket timeout");
        let addr = sock.local_addr().expect("DNS address").to_string();
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        std::thread::spawn(move || {
            let mut buf = [0u8; 1500];
            while !stopped.load(Ordering::Relaxed) {
                let Ok((n, peer)) = sock.recv_from(&mut buf) else {
                    continue;
                };
                let Ok(req) = Message::from_bytes(&buf[..n]) else {
                    continue;
                };
                let mut resp = Message::new();
                resp.set_id(req.id())
                    .set_message_type(MessageType::Response)
                    .set_op_code(req.op_code())
                    .set_recursion_desired(req.recursion_desired())
                    .set_recursion_available(true)
                    .set_authoritative(true);
                resp.add_queries(req.queries().to_vec());
                for q in req.queries() {
                    for r in &records {
                        if r.name() == q.name() && r.record_type() == q.query_type() {
                            resp.add_answer(r.clone());
                        }
                    }
                }
                if resp.answers().is_empty() {
                    resp.set_response_code(ResponseCode::NXDomain);
                }
                if let Ok(bytes) = resp.to_bytes() {
                    let _ = sock.send_to(&bytes, peer);
                }
            }
        });
        Zone { addr, stop }
    }
}

impl Drop for Zone {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn srv(service: &str, port: u16) -> Record {
    Record::from_rdata(
        Name::from_ascii(format!("{service}.example.com.")).expect("name"),
        300,
        RData::SRV(SRV::new(
            0,
            0,
            port,
            Name::from_ascii("localhost.").expect("name"),
        )),
    )
}

/// Three members bootstrapped from `_etcd-server._tcp.example.com`; returns the zone (keep
/// it alive), the members and the zone's records.
fn srv_cluster() -> (Zone, Vec<Member>, Vec<Record>) {
    let ports: Vec<(u16, u16)> = (0..3).map(|_| (free_port(), free_port())).collect();
    let mut records = Vec::new();
    for (c, p) in &ports {
        records.push(srv("_etcd-server._tcp", *p));
        records.push(srv("_etcd-client._tcp", *c));
    }
    // Go keeps the target's trailing dot (`localhost.:port`) and asks DNS for it.
    records.push(Record::from_rdata(
        Name::from_ascii("localhost.").expect("name"),
        300,
        RData::A(std::net::Ipv4Addr::LOCALHOST.into()),
    ));
    let zone = Zone::serve(records.clone());
    let opts = ports
        .iter()
        .enumerate()
        .map(|(i, (c, p))| MemberOpts {
            name: format!("infra{i}"),
            ports: Some((*c, *p)),
            // infra0 advertises its IP, the others the SRV target's name: both match by
            // resolved address.
            advertise_peer_url: Some(if i == 0 {
                format!("http://127.0.0.1:{p}")
            } else {
                format!("http://localhost:{p}")
            }),
            bootstrap_args: Some(vec!["--discovery-srv".into(), "example.com".into()]),
            env: vec![(TEST_DNS_ENV.into(), zone.addr.clone())],
            ..Default::default()
        })
        .collect();
    let members = Member::start_together(ServerKind::Ours, opts);
    (zone, members, records)
}

/// `etcd ctl <args>` with the test zone as DNS.
fn ctl_with_dns(zone: &Zone, args: &[&str]) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_etcd"));
    cmd.env("ETCDCTL_API", "3")
        .env(TEST_DNS_ENV, &zone.addr)
        .arg("ctl")
        .args(args);
    run_with_timeout(cmd, None, Duration::from_secs(30))
}

#[test]
fn members_bootstrap_from_srv_and_ctl_finds_them() {
    let (zone, members, _) = srv_cluster();
    let list = ok_stdout(
        &our_ctl(&members[0].client_url(), &["member", "list"], None),
        "member list",
    );
    assert_eq!(list.lines().count(), 3, "{list}");
    for (i, m) in members.iter().enumerate() {
        assert!(
            list.contains(&format!("http://localhost:{}", m.peer_port)),
            "{list}"
        );
        assert!(list.contains(&format!(", infra{i}, ")), "{list}");
        assert!(members[i]
            .stderr()
            .contains("got bootstrap from DNS for etcd-server"));
    }
    // etcdctl -d: endpoints from _etcd-client._tcp (http records kept: --insecure-discovery
    // defaults to true in etcdctl).
    let out = ok_stdout(
        &ctl_with_dns(&zone, &["-d", "example.com", "put", "srv", "ok"]),
        "put -d",
    );
    assert_eq!(out, "OK\n");
    let got = ok_stdout(
        &ctl_with_dns(
            &zone,
            &[
                "--discovery-srv=example.com",
                "get",
                "srv",
                "--print-value-only",
            ],
        ),
        "get --discovery-srv",
    );
    assert_eq!(got, "ok\n");
    let listed = ok_stdout(
        &ctl_with_dns(&zone, &["-d", "example.com", "member", "list"]),
        "member list -d",
    );
    assert_eq!(listed.lines().count(), 3, "{listed}");
    // --insecure-discovery=false drops the http:// endpoints (etcdctl's notice) and falls
    // back to --endpoints.
    let out = ctl_with_dns(
        &zone,
        &[
            "-d",
            "example.com",
            "--insecure-discovery=false",
            &format!("--endpoints={}", members[1].client_url()),
            "get",
            "srv",
            "--print-value-only",
        ],
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "ok\n");
    assert!(String::from_utf8_lossy(&out.stderr).contains("ignoring discovered insecure endpoint"));

    // The gateway forwards to the SRV endpoints.
    let listen = format!("127.0.0.1:{}", free_port());
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_etcd"));
    cmd.env(TEST_DNS_ENV, &zone.addr)
        .args([
            "gateway",
            "start",
            "--discovery-srv=example.com",
            "--insecure-discovery",
        ])
        .arg(format!("--listen-addr={listen}"));
    let _gw = Proc::spawn(cmd, false);
    wait_listening(&listen, Duration::from_secs(10));
    let got = ok_stdout(
        &our_ctl(&listen, &["get", "srv", "--print-value-only"], None),
        "get through the SRV gateway",
    );
    assert_eq!(got, "ok\n");

    // So does the gRPC proxy.
    let listen = format!("127.0.0.1:{}", free_port());
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_etcd"));
    cmd.env(TEST_DNS_ENV, &zone.addr)
        .args([
            "grpc-proxy",
            "start",
            "--discovery-srv=example.com",
            "--insecure-discovery",
        ])
        .arg(format!("--listen-addr={listen}"));
    let _proxy = Proc::spawn(cmd, false);
    wait_listening(&listen, Duration::from_secs(10));
    let got = ok_stdout(
        &our_ctl(&listen, &["get", "srv", "--print-value-only"], None),
        "get through the SRV gRPC proxy",
    );
    assert_eq!(got, "ok\n");
}

#[test]
fn srv_errors_are_clear() {
    // No records at all: the member refuses to start with etcd's message.
    let zone = Zone::serve(vec![]);
    let (m, status) = Member::start_expecting_exit(
        ServerKind::Ours,
        MemberOpts {
            bootstrap_args: Some(vec!["--discovery-srv=example.com".into()]),
            env: vec![(TEST_DNS_ENV.into(), zone.addr.clone())],
            ..Default::default()
        },
        Duration::from_secs(20),
    );
    let log = m.stderr();
    assert_eq!(status.and_then(|s| s.code()), Some(1), "{log}");
    assert!(
        log.contains("error querying DNS SRV records for _etcd-server-ssl"),
        "{log}"
    );
    // Records that do not include this member.
    let zone = Zone::serve(vec![srv("_etcd-server._tcp", free_port())]);
    let (m, status) = Member::start_expecting_exit(
        ServerKind::Ours,
        MemberOpts {
            name: "lonely".into(),
            bootstrap_args: Some(vec!["--discovery-srv=example.com".into()]),
            env: vec![(TEST_DNS_ENV.into(), zone.addr.clone())],
            ..Default::default()
        },
        Duration::from_secs(20),
    );
    let log = m.stderr();
    assert_eq!(status.and_then(|s| s.code()), Some(1), "{log}");
    assert!(
        log.contains("cannot find local etcd member \"lonely\" in SRV records"),
        "{log}"
    );
    // etcdctl -d with no client records: etcd's lookup error, exit 1.
    let out = ctl_with_dns(&zone, &["-d", "example.com", "get", "x"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("dns lookup errors"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The official etcdctl 3.4 (Go resolver: `/etc/resolv.conf`, port 53) finds our members by
/// SRV: it runs in a private mount namespace (`unshare -m`) whose `/etc/resolv.conf` is a
/// bind mount naming a zone served on 127.0.0.77:53. Needs root (skipped otherwise).
#[test]
fn official_etcdctl_discovery_srv_finds_our_members() {
    crate::require_etcd!();
    let Ok(sock53) = UdpSocket::bind("127.0.0.77:53") else {
        eprintln!("official_etcdctl_discovery_srv_finds_our_members: skipped: cannot bind 127.0.0.77:53 (not root?)");
        return;
    };
    let (_zone, members, records) = srv_cluster();
    let _zone53 = Zone::serve_on(sock53, records);
    let dir = tempfile::tempdir().expect("temp dir");
    let resolv = dir.path().join("resolv.conf");
    std::fs::write(
        &resolv,
        "nameserver 127.0.0.77\noptions attempts:2 timeout:2\n",
    )
    .expect("write resolv.conf");
    let mut cmd = Command::new("unshare");
    cmd.env("ETCDCTL_API", "3").args([
        "-m",
        "sh",
        "-c",
        &format!(
            "mount --bind {} /etc/resolv.conf && exec {} --discovery-srv example.com member list",
            resolv.display(),
            crate::harness::ETCDCTL_BIN
        ),
    ]);
    let out = run_with_timeout(cmd, None, Duration::from_secs(30));
    let err = String::from_utf8_lossy(&out.stderr);
    if err.contains("mount") && !out.status.success() {
        eprintln!("official_etcdctl_discovery_srv_finds_our_members: skipped: no private mount namespace: {err}");
        return;
    }
    let list = ok_stdout(&out, "etcdctl --discovery-srv member list");
    assert_eq!(list.lines().count(), 3, "{list}");
    for m in &members {
        assert!(list.contains(&format!(":{}", m.peer_port)), "{list}");
    }
}

/// v2 etcdctl (`ETCDCTL_API=2`) `--discovery-srv` / `-D`: endpoints from
/// `_etcd-client._tcp.example.com`; with `--insecure-discovery` the `http://` record is used,
/// without it the record is dropped with etcdctl's `ignoring discovered insecure endpoint`
/// notice and `--endpoints` is used instead.
#[test]
fn v2_ctl_discovery_srv_finds_the_member() {
    let m = Member::start(
        ServerKind::Ours,
        MemberOpts {
            extra_args: vec!["--enable-v2".into()],
            ..MemberOpts::named("v2srv")
        },
    );
    let zone = Zone::serve(vec![
        srv("_etcd-client._tcp", m.client_port),
        Record::from_rdata(
            Name::from_ascii("localhost.").expect("name"),
            300,
            RData::A(std::net::Ipv4Addr::LOCALHOST.into()),
        ),
    ]);
    let v2 = |args: &[&str]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_etcd"));
        for (k, _) in std::env::vars() {
            if k.starts_with("ETCDCTL_") {
                cmd.env_remove(k);
            }
        }
        cmd.env("ETCDCTL_API", "2")
            .env(TEST_DNS_ENV, &zone.addr)
            .arg("ctl")
            .args(args);
        run_with_timeout(cmd, None, Duration::from_secs(30))
    };
    let out = v2(&[
        "-D",
        "example.com",
        "--insecure-discovery",
        "set",
        "srv",
        "v2",
    ]);
    assert_eq!(ok_stdout(&out, "v2 set -D"), "v2\n");
    let out = v2(&[
        "--discovery-srv=example.com",
        "--insecure-discovery",
        "--no-sync",
        "get",
        "srv",
    ]);
    assert_eq!(ok_stdout(&out, "v2 get --discovery-srv"), "v2\n");
    // Secure only (the default): the http:// record is dropped, --endpoints is used.
    let endpoints = format!("--endpoints={}", m.client_url());
    let out = v2(&["-D", "example.com", &endpoints, "get", "srv"]);
    assert_eq!(ok_stdout(&out, "v2 get -D, secure only"), "v2\n");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "ignoring discovered insecure endpoint \"http://localhost:{}\"",
            m.client_port
        )),
        "{err}"
    );
    // A domain without records: etcd's lookup error, exit 1.
    let out = v2(&[
        "-D",
        "nowhere.example",
        "--insecure-discovery",
        "get",
        "srv",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("dns lookup errors:"), "{err}");
}

/// Three TLS members from `_etcd-server-ssl._tcp.example.com` with peer certificates made
/// for `hosts` (our `etcd certs init`); returns the zone and the members, started but not
/// waited for (each spawned with a short exit check; the caller decides what "ready" means).
fn srv_tls_members(dir: &std::path::Path, hosts: &str) -> (Zone, Vec<Member>) {
    crate::harness::certs_init(dir, hosts, "infra0,infra1,infra2", None);
    let ports: Vec<(u16, u16)> = (0..3).map(|_| (free_port(), free_port())).collect();
    let mut records: Vec<Record> = ports
        .iter()
        .map(|(_, p)| srv("_etcd-server-ssl._tcp", *p))
        .collect();
    records.push(Record::from_rdata(
        Name::from_ascii("localhost.").expect("name"),
        300,
        RData::A(std::net::Ipv4Addr::LOCALHOST.into()),
    ));
    let zone = Zone::serve(records);
    let cert = |f: &str| crate::harness::cert_path(dir, f);
    let members = ports
        .iter()
        .enumerate()
        .map(|(i, (c, p))| {
            let opts = MemberOpts {
                name: format!("infra{i}"),
                ports: Some((*c, *p)),
                https: true,
                advertise_peer_url: Some(format!("https://localhost:{p}")),
                bootstrap_args: Some(vec!["--discovery-srv".into(), "example.com".into()]),
                env: vec![(TEST_DNS_ENV.into(), zone.addr.clone())],
                extra_args: vec![
                    format!("--cert-file={}", cert("server.pem")),
                    format!("--key-file={}", cert("server-key.pem")),
                    format!("--peer-cert-file={}", cert(&format!("peer-infra{i}.pem"))),
                    format!(
                        "--peer-key-file={}",
                        cert(&format!("peer-infra{i}-key.pem"))
                    ),
                    format!("--peer-trusted-ca-file={}", cert("ca.pem")),
                ],
                ..Default::default()
            };
            let (m, status) =
                Member::start_expecting_exit(ServerKind::Ours, opts, Duration::from_millis(300));
            assert!(status.is_none(), "member {i} exited: {}", m.stderr());
            m
        })
        .collect();
    (zone, members)
}

/// Waits (≤ 30 s) until `done` holds for the members' logs; panics with them otherwise.
fn wait_logs(members: &[Member], what: &str, done: impl Fn(&[String]) -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let logs: Vec<String> = members.iter().map(Member::stderr).collect();
        if done(&logs) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{what}; logs:\n{}",
            logs.join("\n-----\n")
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// etcd 3.4's "Notes for DNS SRV": with `--discovery-srv` and TLS peers, a peer certificate
/// must hold the SRV domain (`example.com`) in its SAN. With it the members form a cluster;
/// with certificates for `localhost,127.0.0.1` only, each member refuses the others.
#[test]
fn srv_tls_peers_need_the_domain_in_their_certificate() {
    let good = tempfile::tempdir().expect("cert dir");
    let (_zone, members) = srv_tls_members(good.path(), "localhost,127.0.0.1,example.com");
    wait_logs(&members, "the TLS cluster did not form", |logs| {
        logs.iter()
            .all(|l| l.contains("ready to serve client requests"))
    });
    drop(members);

    let bad = tempfile::tempdir().expect("cert dir");
    let (_zone, members) = srv_tls_members(bad.path(), "localhost,127.0.0.1");
    wait_logs(&members, "no peer certificate was refused", |logs| {
        logs.iter()
            .any(|l| l.contains(r#"certificate not valid for name \"example.com\""#))
    });
    for m in &members {
        assert!(
            !m.stderr().contains("ready to serve client requests"),
            "{}",
            m.stderr()
        );
    }
}
