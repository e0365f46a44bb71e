//! The server personality as operators meet it: flag errors, the plain HTTP endpoints, restart
//! on an existing data dir, and etcd's member-ID derivation.
//!
//! What it proves:
//! - a bad flag value exits 1 with exactly one stderr line naming the flag and the value
//!   (`invalid value "abc" for flag -heartbeat-interval: parse error`, etcd's wording); an
//!   unknown flag exits non-zero with one line naming it;
//! - `/health`, `/version` and `/metrics` answer like etcd 3.4 (checked on both servers);
//! - a second start on the same data dir keeps the member ID (checked on both servers);
//! - member and cluster IDs are etcd's: `8e9e05c52164694d` for the default flags
//!   (`--name default`, advertise `http://localhost:2380`, token `etcd-cluster`; the member
//!   listens on a free port, nothing binds 2380), and equal to real etcd's for the same
//!   127.0.0.1 flags.
//!
//! Reproduce a failure: `cargo test --test it server_flags -- --nocapture`.

use std::time::Duration;

use crate::harness::{
    etcdctl, free_port, http_get, ok_stdout, our_bin, Member, MemberOpts, ServerKind,
};

/// Runs our binary with `args` plus loopback URLs on free ports and a temp data dir (so that a
/// wrongly accepted flag cannot bind etcd's default ports), expecting it to exit.
fn run_bad(args: &[&str]) -> (i32, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let c = format!("http://127.0.0.1:{}", free_port());
    let p = format!("http://127.0.0.1:{}", free_port());
    let data_dir = format!("--data-dir={}", dir.path().display());
    let mut all: Vec<String> = vec![
        data_dir,
        format!("--listen-client-urls={c}"),
        format!("--advertise-client-urls={c}"),
        format!("--listen-peer-urls={p}"),
        format!("--initial-advertise-peer-urls={p}"),
        format!("--initial-cluster=default={p}"),
    ];
    // A later occurrence of a flag must not override the bad value under test: put it last
    // and drop our default for the same flag.
    let flag = args[0]
        .trim_start_matches('-')
        .split('=')
        .next()
        .unwrap_or_default()
        .to_string();
    all.retain(|a| !a.starts_with(&format!("--{flag}=")));
    all.extend(args.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = all.iter().map(String::as_str).collect();
    let out = our_bin(&refs, Duration::from_secs(10));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn bad_flag_values_exit_1_with_one_line_naming_the_flag() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["--heartbeat-interval", "abc"],
            r#"invalid value "abc" for flag -heartbeat-interval: parse error"#,
        ),
        (
            &["--listen-client-urls", "foo"],
            r#"invalid value "foo" for flag -listen-client-urls: "#,
        ),
        (
            &["--initial-cluster-state", "bogus"],
            r#"invalid value "bogus" for flag -initial-cluster-state: "#,
        ),
        (
            &["--election-timeout=x1"],
            r#"invalid value "x1" for flag -election-timeout: parse error"#,
        ),
    ];
    for (args, want) in cases {
        let (code, stderr) = run_bad(args);
        let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(code, 1, "{args:?}: exit code {code}, stderr:\n{stderr}");
        assert_eq!(
            lines.len(),
            1,
            "{args:?}: want one stderr line, got:\n{stderr}"
        );
        assert!(
            lines[0].starts_with(want),
            "{args:?}: stderr line {:?} does not start with {want:?}",
            lines[0]
        );
    }
}

#[test]
fn unknown_flag_exits_nonzero_with_one_line() {
    let (code, stderr) = run_bad(&["--no-such-flag=1"]);
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(code != 0, "unknown flag accepted; stderr:\n{stderr}");
    assert_eq!(lines.len(), 1, "want one stderr line, got:\n{stderr}");
    assert!(
        lines[0].contains("no-such-flag"),
        "line does not name the flag: {:?}",
        lines[0]
    );
}

fn check_http_endpoints(kind: ServerKind) {
    let m = Member::start(kind, MemberOpts::named("http"));
    let (code, body) = http_get(m.client_addr(), "/health").expect("GET /health");
    assert_eq!(
        (code, body.trim()),
        (200, r#"{"health":"true"}"#),
        "{kind:?} /health"
    );

    let (code, body) = http_get(m.client_addr(), "/version").expect("GET /version");
    assert_eq!(code, 200, "{kind:?} /version: {body}");
    let v: serde_json::Value = serde_json::from_str(&body)
        .unwrap_or_else(|e| panic!("{kind:?} /version not JSON ({e}): {body}"));
    assert_eq!(v["etcdserver"], "3.4.23", "{kind:?} /version: {body}");
    assert!(
        v["etcdcluster"]
            .as_str()
            .is_some_and(|s| s.starts_with("3.4")),
        "{kind:?} /version: {body}"
    );

    let (code, body) = http_get(m.client_addr(), "/metrics").expect("GET /metrics");
    assert_eq!(code, 200, "{kind:?} /metrics");
    for line in ["etcd_server_has_leader 1", "etcd_server_is_leader 1"] {
        assert!(
            body.lines().any(|l| l == line),
            "{kind:?} /metrics lacks the line {line:?}"
        );
    }
    assert!(
        body.lines()
            .any(|l| l.starts_with("etcd_disk_backend_commit_duration_seconds_bucket{")),
        "{kind:?} /metrics lacks etcd_disk_backend_commit_duration_seconds histogram"
    );
}

#[test]
fn http_endpoints_ours() {
    check_http_endpoints(ServerKind::Ours);
}

#[test]
fn http_endpoints_etcd() {
    crate::require_etcd!();
    check_http_endpoints(ServerKind::Etcd);
}

/// (member ID, cluster ID) in hex from the official `etcdctl member list -w json`.
fn ids(m: &Member) -> (String, String) {
    let out = ok_stdout(
        &etcdctl(&m.client_url(), &["member", "list", "-w", "json"], None),
        "member list",
    );
    let v: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("member list JSON ({e}): {out}"));
    let members = v["members"]
        .as_array()
        .unwrap_or_else(|| panic!("no members in {out}"));
    assert_eq!(members.len(), 1, "{out}");
    let id = members[0]["ID"]
        .as_u64()
        .unwrap_or_else(|| panic!("no ID in {out}"));
    let cid = v["header"]["cluster_id"]
        .as_u64()
        .unwrap_or_else(|| panic!("no cluster_id in {out}"));
    assert_eq!(
        v["header"]["member_id"].as_u64(),
        Some(id),
        "header member_id is not the only member: {out}"
    );
    (format!("{id:016x}"), format!("{cid:016x}"))
}

fn check_restart_keeps_member_id(kind: ServerKind) {
    let mut m = Member::start(kind, MemberOpts::named("restart"));
    let first = ids(&m);
    m.restart();
    assert_eq!(
        ids(&m),
        first,
        "{kind:?}: IDs changed across a restart on the same data dir"
    );
    // And once more after an unclean stop.
    m.kill9();
    m.restart();
    assert_eq!(
        ids(&m),
        first,
        "{kind:?}: IDs changed across kill -9 + restart"
    );
}

#[test]
fn restart_keeps_member_id_ours() {
    crate::require_etcd!(); // etcdctl reads the IDs
    check_restart_keeps_member_id(ServerKind::Ours);
}

#[test]
fn restart_keeps_member_id_etcd() {
    crate::require_etcd!();
    check_restart_keeps_member_id(ServerKind::Etcd);
}

/// etcd's well-known ID for the default flags: 8e9e05c52164694d in cluster cdf818194e3a8c32.
fn default_ids(kind: ServerKind) -> (String, String) {
    let opts = MemberOpts {
        name: "default".into(),
        advertise_peer_url: Some("http://localhost:2380".into()),
        ..Default::default()
    };
    let m = Member::start(kind, opts);
    ids(&m)
}

#[test]
fn default_flags_give_etcds_member_id_ours() {
    crate::require_etcd!();
    assert_eq!(
        default_ids(ServerKind::Ours),
        ("8e9e05c52164694d".into(), "cdf818194e3a8c32".into())
    );
}

#[test]
fn default_flags_give_etcds_member_id_etcd() {
    crate::require_etcd!();
    assert_eq!(
        default_ids(ServerKind::Etcd),
        ("8e9e05c52164694d".into(), "cdf818194e3a8c32".into())
    );
}

/// Same flags (name, token, 127.0.0.1 URLs and ports) → same member and cluster IDs as etcd.
/// The servers run one after the other on the same ports, each with a fresh data dir.
#[test]
fn member_id_matches_etcd_for_same_flags() {
    crate::require_etcd!();
    let ports = (free_port(), free_port());
    let opts = MemberOpts {
        name: "same".into(),
        token: "same-token".into(),
        ports: Some(ports),
        ..Default::default()
    };
    let theirs = {
        let m = Member::start(ServerKind::Etcd, opts.clone());
        ids(&m)
    }; // dropped: etcd is killed and its ports are free again
    let ours = ids(&Member::start(ServerKind::Ours, opts));
    assert_eq!(
        ours, theirs,
        "(member ID, cluster ID): ours vs etcd for the same flags"
    );
}
