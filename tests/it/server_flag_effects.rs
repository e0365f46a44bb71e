//! What the reconfiguration and compaction flags do, through our real binary:
//! `--strict-reconfig-check` (etcd's `mayAddMember` / `mayRemoveMember`: a change the connected
//! members could not survive is refused with `etcdserver: unhealthy cluster`) and
//! `--auto-compaction-mode` / `--auto-compaction-retention` (the leader's compactor proposes
//! compactions through Raft). Our `etcd ctl` drives them, so no official binary is needed.
//! Reproduce: `cargo test --locked --test it server_flag_effects:: -- --nocapture`.

use std::time::{Duration, Instant};

use crate::harness::{ok_stdout, our_ctl, Cluster, Member, MemberOpts, ServerKind};

/// Bound of every convergence wait here.
const BOUND: Duration = Duration::from_secs(40);

/// The output's stdout and stderr together.
fn text(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// (member ID, leader ID) of each member of `c`, by index.
fn status(c: &Cluster) -> Vec<(u64, u64)> {
    c.members
        .iter()
        .map(|m| {
            let out = ok_stdout(
                &our_ctl(&m.client_url(), &["endpoint", "status", "-w", "json"], None),
                "endpoint status",
            );
            let v: serde_json::Value =
                serde_json::from_str(&out).unwrap_or_else(|e| panic!("status json ({e}): {out}"));
            let s = &v[0]["Status"];
            (
                s["header"]["member_id"].as_u64().unwrap_or(0),
                s["leader"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

/// (leader index, follower indexes) once every member agrees on a leader.
fn roles(c: &Cluster) -> (usize, Vec<usize>, Vec<u64>) {
    let deadline = Instant::now() + BOUND;
    loop {
        let st = status(c);
        let leader = st[0].1;
        if leader != 0 && st.iter().all(|s| s.1 == leader) {
            let li = st
                .iter()
                .position(|s| s.0 == leader)
                .expect("leader listed");
            let followers = (0..st.len()).filter(|i| *i != li).collect();
            return (li, followers, st.iter().map(|s| s.0).collect());
        }
        assert!(Instant::now() < deadline, "no agreed leader: {st:x?}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Number of members `member list` shows through `ep`.
fn member_count(ep: &str) -> Option<usize> {
    let o = our_ctl(ep, &["member", "list", "-w", "json"], None);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).ok()?;
    v["members"].as_array().map(Vec::len)
}

/// 3 members, one follower killed: with the default `--strict-reconfig-check`, removing the
/// other (live) follower or adding a member is refused with `etcdserver: unhealthy cluster`;
/// removing the killed member is allowed (it is not part of the active quorum), as etcd 3.4.
#[test]
fn strict_reconfig_check_refuses_a_change_the_cluster_cannot_survive() {
    let mut c = Cluster::start(ServerKind::Ours, 3, "it-flagfx-strict");
    let (li, followers, ids) = roles(&c);
    // etcd counts a peer as connected once it has answered for HealthInterval (5 s).
    std::thread::sleep(Duration::from_secs(6));
    let (dead, live) = (followers[0], followers[1]);
    c.members[dead].kill9();
    // Let the leader's heartbeats to the killed member fail.
    std::thread::sleep(Duration::from_secs(2));
    let ep = c.members[li].client_url();
    let o = our_ctl(
        &ep,
        &["member", "remove", &format!("{:x}", ids[live])],
        None,
    );
    assert!(
        !o.status.success(),
        "remove of a live member allowed: {}",
        text(&o)
    );
    assert!(
        text(&o).contains("etcdserver: unhealthy cluster"),
        "{}",
        text(&o)
    );
    let o = our_ctl(
        &ep,
        &["member", "add", "m4", "--peer-urls=http://127.0.0.1:1"],
        None,
    );
    assert!(!o.status.success(), "add allowed: {}", text(&o));
    assert!(
        text(&o).contains("etcdserver: unhealthy cluster"),
        "{}",
        text(&o)
    );
    assert_eq!(member_count(&ep), Some(3));
    let o = our_ctl(
        &ep,
        &["member", "remove", &format!("{:x}", ids[dead])],
        None,
    );
    assert!(
        o.status.success(),
        "remove of the killed member: {}",
        text(&o)
    );
    assert_eq!(member_count(&ep), Some(2));
}

/// The same change with `--strict-reconfig-check=false` is not refused by the check. (openraft
/// changes membership by joint consensus, so the removal cannot commit while the new
/// configuration lacks a quorum: the request times out instead of
/// leaving a cluster without quorum as etcd 3.4 would.)
#[test]
fn strict_reconfig_check_false_lets_the_change_through() {
    let mut c = Cluster::start_with(ServerKind::Ours, 3, "it-flagfx-lax", false, &|_| {
        vec!["--strict-reconfig-check=false".to_string()]
    });
    let (li, followers, ids) = roles(&c);
    std::thread::sleep(Duration::from_secs(6));
    let (dead, live) = (followers[0], followers[1]);
    c.members[dead].kill9();
    std::thread::sleep(Duration::from_secs(2));
    let ep = c.members[li].client_url();
    let o = our_ctl(
        &ep,
        &["member", "remove", &format!("{:x}", ids[live])],
        None,
    );
    let out = text(&o);
    assert!(
        !out.contains("unhealthy cluster") && !out.contains("not enough started members"),
        "refused although --strict-reconfig-check=false: {out}"
    );
    assert!(
        o.status.success()
            || out.contains("request timed out")
            || out.contains("context deadline exceeded"),
        "{out}"
    );
}

/// `--auto-compaction-mode=periodic --auto-compaction-retention=2s`: the compactor keeps about
/// 2 s of history, so a read at an early revision is soon refused as compacted, and the
/// member logs its compactions.
#[test]
fn periodic_auto_compaction_advances_the_compact_revision() {
    let m = Member::start(
        ServerKind::Ours,
        MemberOpts {
            extra_args: vec![
                "--auto-compaction-mode=periodic".into(),
                "--auto-compaction-retention=2s".into(),
            ],
            ..MemberOpts::named("flagfx-compact")
        },
    );
    let ep = m.client_url();
    let deadline = Instant::now() + BOUND;
    let mut i = 0;
    loop {
        ok_stdout(&our_ctl(&ep, &["put", "k", &format!("v{i}")], None), "put");
        i += 1;
        let o = our_ctl(&ep, &["get", "k", "--rev=2"], None);
        if !o.status.success() {
            assert!(
                text(&o).contains("required revision has been compacted"),
                "{}",
                text(&o)
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "revision 2 never compacted; stderr:\n{}",
            m.stderr_tail(30)
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    assert!(
        m.stderr().contains("completed auto compaction"),
        "{}",
        m.stderr_tail(30)
    );
}

/// `--client-crl-file`: a client certificate the CA revoked (CRL made with `openssl ca
/// -gencrl`) is refused at the handshake, a good one still works.
#[test]
fn client_crl_file_refuses_a_revoked_certificate() {
    use crate::harness::{cert_path, client_cert_auth_flags, client_cert_dir, run_with_timeout};
    use std::process::Command;
    if !crate::harness::skip_unless(
        "server_flag_effects::client_crl_file_refuses_a_revoked_certificate",
        std::path::Path::new("/usr/bin/openssl").is_file(),
        "/usr/bin/openssl is missing",
    ) {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    client_cert_dir(d, "infra1", &[("bob", Some("bob"))]);
    std::fs::write(
        d.join("ca.cnf"),
        "[ ca ]\ndefault_ca = CA_default\n[ CA_default ]\ndatabase = index.txt\ncrlnumber = crlnumber\ndefault_md = sha256\ndefault_crl_days = 30\n",
    )
    .expect("ca.cnf");
    std::fs::write(d.join("index.txt"), "").expect("index");
    std::fs::write(d.join("crlnumber"), "01\n").expect("crlnumber");
    for args in [
        &["-revoke", "bob.pem"][..],
        &["-gencrl", "-out", "crl.pem"][..],
    ] {
        let mut cmd = Command::new("/usr/bin/openssl");
        cmd.current_dir(d)
            .args([
                "ca",
                "-config",
                "ca.cnf",
                "-keyfile",
                "ca-key.pem",
                "-cert",
                "ca.pem",
            ])
            .args(args);
        let o = run_with_timeout(cmd, None, Duration::from_secs(20));
        assert!(o.status.success(), "openssl ca {args:?}: {}", text(&o));
    }
    let mut extra = client_cert_auth_flags(d);
    extra.push(format!("--client-crl-file={}", cert_path(d, "crl.pem")));
    let m = Member::start(
        ServerKind::Ours,
        MemberOpts {
            https: true,
            extra_args: extra,
            ..MemberOpts::named("infra1")
        },
    );
    let ctl_as = |name: &str| {
        our_ctl(
            &m.client_url(),
            &[
                &format!("--cacert={}", cert_path(d, "ca.pem")),
                &format!("--cert={}", cert_path(d, &format!("{name}.pem"))),
                &format!("--key={}", cert_path(d, &format!("{name}-key.pem"))),
                "--dial-timeout=3s",
                "put",
                "k",
                "v",
            ],
            None,
        )
    };
    let good = ctl_as("client");
    assert!(good.status.success(), "good certificate: {}", text(&good));
    let revoked = ctl_as("bob");
    assert!(
        !revoked.status.success(),
        "revoked certificate accepted: {}",
        text(&revoked)
    );
}

/// `--grpc-keepalive-min-time` as grpc-go enforces it for etcd: a client that pings with no
/// stream open more than twice within the window is sent `GOAWAY ENHANCE_YOUR_CALM` with
/// debug data `too_many_pings` and its connection closed, while a client that does not ping
/// keeps its connection. (An HTTP/2 client with 50 ms keep-alive pings while idle.)
#[test]
fn keepalive_min_time_sends_away_clients_that_ping_too_often() {
    let m = Member::start(
        ServerKind::Ours,
        MemberOpts {
            extra_args: vec!["--grpc-keepalive-min-time=1s".into()],
            ..MemberOpts::named("pings")
        },
    );
    let addr = m.client_addr();
    let rt = crate::harness::runtime();
    let outcome = rt.block_on(async move {
        let tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let (_send, conn) =
            hyper::client::conn::http2::Builder::new(hyper_util::rt::TokioExecutor::new())
                .timer(hyper_util::rt::TokioTimer::new())
                .keep_alive_interval(Duration::from_millis(50))
                .keep_alive_while_idle(true)
                .handshake::<_, http_body_util::Empty<bytes::Bytes>>(hyper_util::rt::TokioIo::new(
                    tcp,
                ))
                .await
                .expect("HTTP/2 handshake");
        tokio::time::timeout(Duration::from_secs(20), conn).await
    });
    let err = match outcome {
        Ok(Err(e)) => e,
        other => panic!("connection not sent away: {other:?}\n{}", m.stderr()),
    };
    let text = format!("{err:?}");
    assert!(
        text.contains("ENHANCE_YOUR_CALM") && text.contains("too_many_pings"),
        "{text}"
    );
    // The member still serves.
    let out = our_ctl(&m.client_url(), &["put", "k", "v"], None);
    assert!(out.status.success(), "{out:?}");
}
