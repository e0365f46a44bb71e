//! etcd's v2 discovery (`--discovery URL`): our members bootstrap through a discovery service,
//! as the seeds' walkthrough does (`curl -X PUT <svc>/v2/keys/discovery/<token>/_config/size
//! -d value=3`, then each member started with `--discovery <svc>/v2/keys/discovery/<token>`),
//! and the error paths print etcd 3.4's messages.
//!
//! The discovery service is a parameter of each scenario ([`Service`]): real etcd 3.4.23 with
//! `--enable-v2`, or our own member with `--enable-v2` (the seeds' "custom etcd discovery
//! service", its token made with the seeds' `curl -X PUT .../_config/size -d value=3`), through
//! which our members and real etcd 3.4.23 members bootstrap.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use crate::harness::{ok_stdout, our_ctl, Member, MemberOpts, ServerKind};

/// A running discovery service: a v2 keys API at `url` (`http://127.0.0.1:<port>`).
pub struct Service {
    /// Keeps the service's process alive.
    _member: Member,
    /// Client URL of the service.
    pub url: String,
}

/// Real etcd 3.4.23 with `--enable-v2` as the discovery service.
fn etcd_service() -> Service {
    let m = Member::start(
        ServerKind::Etcd,
        MemberOpts {
            name: "disco".into(),
            extra_args: vec!["--enable-v2".into()],
            ..Default::default()
        },
    );
    Service {
        url: m.client_url(),
        _member: m,
    }
}

/// Our member with `--enable-v2` as the discovery service.
fn our_service() -> Service {
    let m = Member::start(
        ServerKind::Ours,
        MemberOpts {
            name: "disco".into(),
            extra_args: vec!["--enable-v2".into()],
            ..Default::default()
        },
    );
    Service {
        url: m.client_url(),
        _member: m,
    }
}

/// The seeds' token creation verbatim: `curl -X PUT <svc>/v2/keys/discovery/<token>/_config/size
/// -d value=<size>`; returns the discovery URL.
fn curl_token(svc: &Service, token: &str, size: u32) -> String {
    let durl = format!("{}/v2/keys/discovery/{token}", svc.url);
    let mut cmd = std::process::Command::new("curl");
    cmd.args(["-s", "-X", "PUT", &format!("{durl}/_config/size"), "-d"])
        .arg(format!("value={size}"));
    let out = crate::harness::run_with_timeout(cmd, None, Duration::from_secs(10));
    let body = ok_stdout(&out, "curl _config/size");
    assert!(
        body.contains(r#""action":"set""#) && body.contains(&format!(r#""value":"{size}""#)),
        "{body}"
    );
    durl
}

/// `PUT <url><path>` with a form body (`value=...`); returns (status, body).
fn http_put(url: &str, path: &str, form: &str) -> (u16, String) {
    let addr = url.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).expect("connect to the discovery service");
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("invariant: test setup");
    write!(
        s,
        "PUT {path} HTTP/1.0\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
        form.len()
    )
    .expect("invariant: test setup");
    let mut raw = String::new();
    s.read_to_string(&mut raw).expect("invariant: test setup");
    let status = raw
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = raw.split_once("\r\n\r\n").map(|x| x.1).unwrap_or("");
    (status, body.to_string())
}

/// `GET <url><path>` (bounded); returns the body.
fn http_get(url: &str, path: &str) -> String {
    let addr: std::net::SocketAddr = url
        .trim_start_matches("http://")
        .parse()
        .expect("invariant: test setup");
    let (status, body) = crate::harness::http_get(addr, path).expect("GET");
    assert_eq!(status, 200, "GET {path}: {body}");
    body
}

/// A new token directory with `_config/size` = `size`; returns the discovery URL.
fn new_token(svc: &Service, token: &str, size: Option<u32>) -> String {
    if let Some(size) = size {
        let (status, body) = http_put(
            &svc.url,
            &format!("/v2/keys/discovery/{token}/_config/size"),
            &format!("value={size}"),
        );
        assert!(status == 200 || status == 201, "{status} {body}");
    }
    format!("{}/v2/keys/discovery/{token}", svc.url)
}

fn discovery_member(name: &str, durl: &str, extra: &[&str]) -> MemberOpts {
    MemberOpts {
        name: name.into(),
        bootstrap_args: Some(vec!["--discovery".into(), durl.into()]),
        extra_args: extra.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    }
}

/// `member list` (our ctl) on the first of `members`, checked to list every one of them with
/// its peer and client URL, and nothing else; returns the member IDs (hex).
pub fn one_cluster_member_ids(members: &[Member]) -> Vec<String> {
    let list = ok_stdout(
        &our_ctl(&members[0].client_url(), &["member", "list"], None),
        "member list",
    );
    assert_eq!(list.lines().count(), members.len(), "{list}");
    for m in members {
        assert!(list.contains(&m.peer_url()), "{list}");
        assert!(list.contains(&m.client_url()), "{list}");
    }
    list.lines()
        .map(|line| {
            line.split(',')
                .next()
                .expect("invariant: a member list line")
                .trim()
                .to_string()
        })
        .collect()
}

/// Three of our members bootstrap through `svc` and form one cluster.
fn three_members_bootstrap(svc: &Service) {
    let durl = new_token(svc, "6c007a14875d53d9bf0ef5a6fc0257c817f0fb83", Some(3));
    let mut members = Member::start_together(
        ServerKind::Ours,
        ["infra0", "infra1", "infra2"]
            .iter()
            .map(|n| discovery_member(n, &durl, &[]))
            .collect(),
    );
    let ids = one_cluster_member_ids(&members);
    // Member IDs are the registration keys: derived from the peer URLs and the discovery URL.
    let dir = http_get(
        &svc.url,
        "/v2/keys/discovery/6c007a14875d53d9bf0ef5a6fc0257c817f0fb83",
    );
    for id in &ids {
        assert!(dir.contains(&format!("/{id}\"")), "{id} not in {dir}");
    }
    ok_stdout(
        &our_ctl(&members[0].client_url(), &["put", "foo", "bar"], None),
        "put",
    );
    let got = ok_stdout(
        &our_ctl(&members[2].client_url(), &["get", "foo"], None),
        "get",
    );
    assert_eq!(got, "foo\nbar\n");
    // A restart with --discovery still given ignores the token (etcd's warning) and rejoins.
    members[1].restart();
    assert!(
        members[1]
            .stderr()
            .contains("discovery token ignored since a cluster has already been initialized"),
        "{}",
        members[1].stderr_tail(30)
    );
    let got = ok_stdout(
        &our_ctl(&members[1].client_url(), &["get", "foo"], None),
        "get after restart",
    );
    assert_eq!(got, "foo\nbar\n");
}

/// The error paths against `svc`, with etcd 3.4's messages and exit code 1.
fn error_paths(svc: &Service) {
    let wait = Duration::from_secs(20);
    let expect_exit = |opts: MemberOpts, needles: &[&str]| {
        let (m, status) = Member::start_expecting_exit(ServerKind::Ours, opts, wait);
        let log = m.stderr();
        assert_eq!(status.and_then(|s| s.code()), Some(1), "{log}");
        for n in needles {
            assert!(log.contains(n), "missing {n:?} in:\n{log}");
        }
    };
    // No _config/size: etcd 3.4 reports the v2 error itself.
    let durl = new_token(svc, "nosize", None);
    expect_exit(
        discovery_member("a", &durl, &[]),
        &[
            // The cause is the first missing directory (`/discovery` on a fresh service).
            "failed to join discovery cluster (100: Key not found (/discovery",
            &format!("discovery token {durl} was used, but failed to bootstrap the cluster."),
        ],
    );
    // Full: size 1 and one registration already there.
    let durl = new_token(svc, "full", Some(1));
    http_put(
        &svc.url,
        "/v2/keys/discovery/full/abc",
        "value=x%3Dhttp%3A%2F%2F127.0.0.1%3A1",
    );
    expect_exit(
        discovery_member("b", &durl, &["--discovery-fallback", "exit"]),
        &["failed to join discovery cluster (discovery: cluster is full)"],
    );
    // Full with the default fallback (proxy): a v2 proxy starts instead
    // (tests/it/v2_proxy.rs::discovery_full_cluster_falls_back_to_proxy).
    // Duplicate name: another registration named like us.
    let durl = new_token(svc, "dupname", Some(2));
    http_put(
        &svc.url,
        "/v2/keys/discovery/dupname/abc",
        "value=c%3Dhttp%3A%2F%2F127.0.0.1%3A1",
    );
    expect_exit(
        discovery_member("c", &durl, &[]),
        &[&format!(
            "member with duplicated name has registered with discovery service token({durl})."
        )],
    );
    // --initial-cluster beside --discovery: etcd 3.4 refuses the conflicting flags.
    expect_exit(
        discovery_member("d", &durl, &["--initial-cluster", "d=http://127.0.0.1:1"]),
        &["error verifying flags, multiple discovery or bootstrap flags are set. Choose one of \"initial-cluster\", \"discovery\" or \"discovery-srv\". See 'etcd --help'."],
    );
}

#[test]
fn three_members_bootstrap_through_etcd_discovery() {
    crate::require_etcd!();
    three_members_bootstrap(&etcd_service());
}

#[test]
fn discovery_errors_follow_etcd() {
    crate::require_etcd!();
    error_paths(&etcd_service());
}

#[test]
fn three_members_bootstrap_through_our_discovery() {
    three_members_bootstrap(&our_service());
}

#[test]
fn discovery_errors_follow_etcd_on_our_discovery() {
    error_paths(&our_service());
}

/// Three REAL etcd 3.4.23 members bootstrap through our member as the discovery service.
#[test]
fn etcd_members_bootstrap_through_our_discovery() {
    crate::require_etcd!();
    let svc = our_service();
    let durl = curl_token(&svc, "6c007a14875d53d9bf0ef5a6fc0257c817f0fb83", 3);
    let members = Member::start_together(
        ServerKind::Etcd,
        ["etcd0", "etcd1", "etcd2"]
            .iter()
            .map(|n| discovery_member(n, &durl, &[]))
            .collect(),
    );
    let ep = format!("127.0.0.1:{}", members[0].client_port);
    let list = ok_stdout(
        &crate::harness::etcdctl(&ep, &["member", "list"], None),
        "etcdctl member list",
    );
    assert_eq!(list.lines().count(), 3, "{list}");
    for m in &members {
        assert!(list.contains(&m.peer_url()), "{list}");
        assert!(list.contains(&m.client_url()), "{list}");
    }
    // The registrations are in our v2 store, one per member, under the token.
    let dir = http_get(
        &svc.url,
        "/v2/keys/discovery/6c007a14875d53d9bf0ef5a6fc0257c817f0fb83",
    );
    for m in &members {
        let entry = format!("{}={}", m.opts.name, m.peer_url());
        assert!(dir.contains(&entry), "{entry} not in {dir}");
    }
}
