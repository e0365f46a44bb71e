//! etcd 3.6's v3 discovery (`--discovery-token`, `--discovery-endpoints`): our members bootstrap
//! through a discovery service that is just an etcd v3 cluster holding
//! `/_etcd/registry/<token>/_config/size` (put with `etcdctl put`), and the error paths print
//! etcd 3.6's messages and exit 1.
//!
//! The discovery service is a parameter of each scenario: real etcd 3.4.23 (v3 KV is all
//! v3 discovery needs) or our own one-member cluster; against real etcd also over TLS with
//! client certificates (`--discovery-cacert/-cert/-key`) and with auth enabled
//! (`--discovery-user/-password`).

use std::time::Duration;

use crate::harness::{etcdctl, ok_stdout, our_ctl, Member, MemberOpts, ServerKind};

/// A one-member discovery service of `kind`; its client URL is the discovery endpoint.
fn service(kind: ServerKind) -> Member {
    Member::start(kind, MemberOpts::named("disco"))
}

/// `etcdctl put /_etcd/registry/<token>/_config/size <size>` with the official etcdctl
/// against real etcd, with ours against ours (the operator's step of etcd 3.6's docs).
fn put_size(svc: &Member, token: &str, size: &str) {
    let key = format!("/_etcd/registry/{token}/_config/size");
    let out = match svc.kind {
        ServerKind::Etcd => etcdctl(&svc.client_url(), &["put", &key, size], None),
        ServerKind::Ours => our_ctl(&svc.client_url(), &["put", &key, size], None),
    };
    assert_eq!(ok_stdout(&out, "put size"), "OK\n");
}

/// Puts `key` = `value` on the service with our ctl (works against both kinds).
fn put(svc: &Member, key: &str, value: &str) {
    let out = our_ctl(&svc.client_url(), &["put", key, value], None);
    assert_eq!(ok_stdout(&out, "put"), "OK\n");
}

fn v3_member(name: &str, token: &str, endpoints: &str, extra: &[&str]) -> MemberOpts {
    MemberOpts {
        name: name.into(),
        bootstrap_args: Some(vec![
            "--discovery-token".into(),
            token.into(),
            "--discovery-endpoints".into(),
            endpoints.into(),
        ]),
        extra_args: extra.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    }
}

/// Three of our members bootstrap through `svc` and form one cluster; a put is visible on
/// every member; the registrations are the members' IDs; a restarted member ignores the token.
fn three_members_bootstrap(svc: &Member) {
    let token = "3fc7d1bc-5ea1-4be4-a3a5-9cfd0a69f1f0";
    put_size(svc, token, "3");
    let mut members = Member::start_together(
        ServerKind::Ours,
        ["infra0", "infra1", "infra2"]
            .iter()
            .map(|n| v3_member(n, token, &svc.client_url(), &[]))
            .collect(),
    );
    for m in &members {
        assert!(
            m.stderr()
                .contains("Bootstrapping cluster using v3 discovery."),
            "{}",
            m.stderr_tail(30)
        );
    }
    let ids = crate::discovery::one_cluster_member_ids(&members);
    // The registrations: one key per member ID, the value `name=peerURL`.
    let prefix = format!("/_etcd/registry/{token}/members/");
    let regs = ok_stdout(
        &our_ctl(&svc.client_url(), &["get", "--prefix", &prefix], None),
        "get registrations",
    );
    for id in &ids {
        assert!(
            regs.contains(&format!("{prefix}{id}\n")),
            "{id} not in {regs}"
        );
    }
    for m in &members {
        let entry = format!("{}={}", m.opts.name, m.peer_url());
        assert!(regs.contains(&entry), "{entry} not in {regs}");
    }
    ok_stdout(
        &our_ctl(&members[0].client_url(), &["put", "foo", "bar"], None),
        "put",
    );
    for m in &members {
        let got = ok_stdout(
            &our_ctl(&m.client_url(), &["get", "foo"], None),
            "get on every member",
        );
        assert_eq!(got, "foo\nbar\n");
    }
    // A restart with the discovery flags still given ignores the token (etcd 3.6's warning).
    members[1].restart();
    assert!(
        members[1].stderr().contains(
            "discovery token is ignored since cluster already initialized; valid logs are found"
        ),
        "{}",
        members[1].stderr_tail(30)
    );
    let got = ok_stdout(
        &our_ctl(&members[1].client_url(), &["get", "foo"], None),
        "get after restart",
    );
    assert_eq!(got, "foo\nbar\n");
}

/// Starts a member expected to exit 1 with every needle in its log.
fn expect_exit(opts: MemberOpts, needles: &[&str]) {
    let (m, status) = Member::start_expecting_exit(ServerKind::Ours, opts, Duration::from_secs(20));
    let log = m.stderr();
    assert_eq!(status.and_then(|s| s.code()), Some(1), "{log}");
    for n in needles {
        assert!(log.contains(n), "missing {n:?} in:\n{log}");
    }
}

/// The error paths against `svc`: etcd 3.6's messages and exit code 1.
fn error_paths(svc: &Member) {
    let ep = svc.client_url();
    let advice = "failed to bootstrap; discovery token was already used";
    // No _config/size.
    expect_exit(
        v3_member("a", "nosize", &ep, &[]),
        &[
            "failed to join discovery cluster (discovery: size key not found)",
            advice,
            "do not reuse discovery token; generate a new one to bootstrap a cluster",
        ],
    );
    // A size that is not a positive integer.
    put_size(svc, "badsize", "zero");
    expect_exit(
        v3_member("b", "badsize", &ep, &[]),
        &[
            "failed to join discovery cluster (discovery: size key is bad)",
            advice,
        ],
    );
    // Full: size 1 and one registration already there.
    put_size(svc, "full", "1");
    put(
        svc,
        "/_etcd/registry/full/members/abc",
        "x=http://127.0.0.1:1",
    );
    expect_exit(
        v3_member("c", "full", &ep, &[]),
        &[
            "failed to join discovery cluster (discovery: cluster is full)",
            advice,
        ],
    );
}

/// Flag checks of etcd 3.6's `embed.Config.Validate` (no service needed).
#[test]
fn v3_discovery_flag_checks_follow_etcd() {
    let ep = "http://127.0.0.1:1";
    expect_exit(
        MemberOpts {
            name: "t".into(),
            bootstrap_args: Some(vec!["--discovery-token".into(), "tok".into()]),
            ..Default::default()
        },
        &["both --discovery-token and --discovery-endpoints must be set"],
    );
    expect_exit(
        MemberOpts {
            name: "t".into(),
            bootstrap_args: Some(vec!["--discovery-endpoints".into(), ep.into()]),
            ..Default::default()
        },
        &["both --discovery-token and --discovery-endpoints must be set"],
    );
    // The env twin counts as the flag.
    expect_exit(
        MemberOpts {
            name: "t".into(),
            bootstrap_args: Some(vec![]),
            env: vec![("ETCD_DISCOVERY_TOKEN".into(), "tok".into())],
            ..Default::default()
        },
        &["both --discovery-token and --discovery-endpoints must be set"],
    );
    expect_exit(
        v3_member("t", "tok", ep, &["--initial-cluster", "t=http://127.0.0.1:2"]),
        &["multiple discovery or bootstrap flags are set. Choose one of \"initial-cluster\", \"discovery\", \"discovery-endpoints\" or \"discovery-srv\""],
    );
    expect_exit(
        v3_member("t", "tok", ep, &["--discovery-proxy", "http://127.0.0.1:3"]),
        &["both v2 discovery settings (discovery, discovery-proxy) and v3 discovery settings"],
    );
    expect_exit(
        v3_member("t", "tok", &format!("{ep},,"), &[]),
        &["--discovery-endpoints must not contain empty endpoints"],
    );
    expect_exit(
        v3_member("t", "tok", ep, &["--discovery-dial-timeout", "soon"]),
        &["discovery-dial-timeout"],
    );
}

#[test]
fn three_members_bootstrap_through_etcd_v3_discovery() {
    crate::require_etcd!();
    three_members_bootstrap(&service(ServerKind::Etcd));
}

#[test]
fn three_members_bootstrap_through_our_v3_discovery() {
    three_members_bootstrap(&service(ServerKind::Ours));
}

#[test]
fn v3_discovery_errors_follow_etcd() {
    crate::require_etcd!();
    error_paths(&service(ServerKind::Etcd));
}

#[test]
fn v3_discovery_errors_follow_etcd_on_our_discovery() {
    error_paths(&service(ServerKind::Ours));
}

/// Three of our members bootstrap through real etcd 3.4.23 serving the discovery keys over
/// TLS with client-certificate auth (`--discovery-cacert`, `--discovery-cert`,
/// `--discovery-key`); the registrations are read back with the official etcdctl over TLS.
#[test]
fn three_members_bootstrap_through_etcd_v3_discovery_over_tls() {
    crate::require_etcd!();
    let dir = tempfile::tempdir().expect("tempdir");
    crate::harness::client_cert_dir(dir.path(), "disco", &[]);
    let svc = Member::start(
        ServerKind::Etcd,
        MemberOpts {
            https: true,
            extra_args: crate::harness::client_cert_auth_flags(dir.path()),
            ..MemberOpts::named("disco")
        },
    );
    let path = |f: &str| crate::harness::cert_path(dir.path(), f);
    let (ca, cert, key) = (path("ca.pem"), path("client.pem"), path("client-key.pem"));
    let token = "5d2c7a4e-tls";
    let size_key = format!("/_etcd/registry/{token}/_config/size");
    let tls = ["--cacert", &ca, "--cert", &cert, "--key", &key];
    let mut args: Vec<&str> = tls.to_vec();
    args.extend(["put", &size_key, "3"]);
    assert_eq!(
        ok_stdout(&etcdctl(&svc.client_url(), &args, None), "put size"),
        "OK\n"
    );
    let flags = [
        format!("--discovery-cacert={ca}"),
        format!("--discovery-cert={cert}"),
        format!("--discovery-key={key}"),
    ];
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let members = Member::start_together(
        ServerKind::Ours,
        ["tls0", "tls1", "tls2"]
            .iter()
            .map(|n| v3_member(n, token, &svc.client_url(), &flags))
            .collect(),
    );
    let ids = crate::discovery::one_cluster_member_ids(&members);
    let mut args: Vec<&str> = tls.to_vec();
    let prefix = format!("/_etcd/registry/{token}/members/");
    args.extend(["get", "--prefix", "--keys-only", &prefix]);
    let regs = ok_stdout(&etcdctl(&svc.client_url(), &args, None), "registrations");
    for id in &ids {
        assert!(
            regs.contains(&format!("{prefix}{id}\n")),
            "{id} not in {regs}"
        );
    }
}

/// Three of our members bootstrap through real etcd 3.4.23 with auth enabled: a user
/// `disco` (password `disco-pw`) whose role may read and write the registry prefix,
/// given as `--discovery-user` / `--discovery-password`; a fourth member with a wrong
/// password exits 1 with the login error.
#[test]
fn three_members_bootstrap_through_etcd_v3_discovery_with_auth() {
    crate::require_etcd!();
    let svc = service(ServerKind::Etcd);
    let url = svc.client_url();
    let token = "5d2c7a4e-auth";
    let prefix = "/_etcd/registry/";
    for args in [
        vec!["user", "add", "root", "--new-user-password=root-pw"],
        vec!["user", "add", "disco", "--new-user-password=disco-pw"],
        vec!["role", "add", "disco"],
        vec![
            "role",
            "grant-permission",
            "disco",
            "readwrite",
            prefix,
            "--prefix=true",
        ],
        vec!["user", "grant-role", "disco", "disco"],
        vec!["auth", "enable"],
    ] {
        ok_stdout(&etcdctl(&url, &args, None), &args.join(" "));
    }
    let size_key = format!("/_etcd/registry/{token}/_config/size");
    assert_eq!(
        ok_stdout(
            &etcdctl(
                &url,
                &["--user", "root:root-pw", "put", &size_key, "3"],
                None
            ),
            "put size"
        ),
        "OK\n"
    );
    let members = Member::start_together(
        ServerKind::Ours,
        ["auth0", "auth1", "auth2"]
            .iter()
            .map(|n| {
                v3_member(
                    n,
                    token,
                    &url,
                    &["--discovery-user=disco", "--discovery-password=disco-pw"],
                )
            })
            .collect(),
    );
    let ids = crate::discovery::one_cluster_member_ids(&members);
    let regs = ok_stdout(
        &etcdctl(
            &url,
            &[
                "--user",
                "disco:disco-pw",
                "get",
                "--prefix",
                "--keys-only",
                prefix,
            ],
            None,
        ),
        "registrations",
    );
    for id in &ids {
        assert!(
            regs.contains(&format!("/members/{id}\n")),
            "{id} not in {regs}"
        );
    }
    // A wrong password ends the start with the login error and exit 1 (etcd 3.6's
    // clientv3.New fails on it), instead of retrying for ever.
    expect_exit(
        v3_member(
            "auth-bad",
            "5d2c7a4e-auth-bad",
            &url,
            &["--discovery-user=disco", "--discovery-password=wrong"],
        ),
        &["authentication failed, invalid user ID or password"],
    );
}
