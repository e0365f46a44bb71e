//! Differential test of the v2 etcdctl (`ETCDCTL_API=2`): the official `/usr/bin/etcdctl`
//! and our `etcd ctl` run the same v2 command script, each against a FRESH server of the
//! same kind started with `--enable-v2` on the same loopback ports under the same name (so
//! member IDs agree), and per step stdout, stderr and the exit code must match after
//! normalizing what legitimately varies: store indexes (`[N]`, `createdIndex`, `Index: N`),
//! TTL countdowns and expiration times, member IDs and ports.
//!
//! The server is a parameter ([`v2_differential`]): real etcd 3.4.23 today; our own server
//! once it serves `/v2/keys` (the ignored `v2_ctl_matches_official_etcdctl_on_our_server`).
//!
//! Skips (with a printed reason) when `/usr/bin/etcd` or `/usr/bin/etcdctl` is missing,
//! unless `ETCD_INTEROP_REQUIRED=1`. Every child has a deadline and is killed on drop.

#![allow(clippy::unwrap_used)]

use std::process::Command;
use std::time::Duration;

use regex::Regex;

use crate::differ::{self, assert_no_diffs, Outcome, Step};
use crate::harness::{
    self, cert_path, client_cert_auth_flags, client_cert_dir, free_port, Member, MemberOpts, Proc,
    ServerKind, ETCDCTL_BIN,
};

/// A fresh `kind` server named `default` with the v2 API on these ports.
fn v2_server(kind: ServerKind, client: u16, peer: u16) -> Member {
    Member::start(
        kind,
        MemberOpts {
            ports: Some((client, peer)),
            extra_args: vec!["--enable-v2".into()],
            ..MemberOpts::named("default")
        },
    )
}

/// `ETCDCTL_API=2 <bin> [ctl] --endpoints http://127.0.0.1:<port> args…`, not started.
fn v2_command(bin: &str, port: u16, args: &[&str]) -> Command {
    v2_command_at(bin, &format!("http://127.0.0.1:{port}"), args)
}

/// `ETCDCTL_API=2 <bin> [ctl] --endpoints <url> args…`, not started.
fn v2_command_at(bin: &str, url: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(bin);
    for (k, _) in std::env::vars() {
        if k.starts_with("ETCDCTL_") {
            cmd.env_remove(k);
        }
    }
    if bin != ETCDCTL_BIN {
        cmd.arg("ctl");
    }
    cmd.env("ETCDCTL_API", "2")
        .arg("--endpoints")
        .arg(url)
        .args(args);
    cmd
}

/// Runs one v2 etcdctl invocation (20 s deadline) and normalizes its outcome.
fn run_v2(bin: &str, port: u16, peer: u16, step: &Step) -> Outcome {
    let out = harness::run_with_timeout(
        v2_command(bin, port, step.args),
        step.stdin,
        harness::CLI_TIMEOUT,
    );
    Outcome::with_go_logs(&out).map(|s| normalize(s, port, peer))
}

/// Indexes, TTLs, expiration times, IDs and ports → placeholders.
fn normalize(text: &str, client: u16, peer: u16) -> String {
    let mut t = differ::normalize(text, client, peer);
    let rules: &[(&str, &str)] = &[
        (r"\[\d+\]", "[<I>]"),
        (r#""(createdIndex|modifiedIndex)":\d+"#, r#""$1":<I>"#),
        (r"(Created-Index|Modified-Index|Index): \d+", "$1: <I>"),
        (r#""expiration":"[^"]*""#, r#""expiration":<T>"#),
        (r#""ttl":\d+"#, r#""ttl":<TTL>"#),
        (r"TTL: [1-9]\d*", "TTL: <TTL>"),
        (r"/_etcd/registry/\d+", "/_etcd/registry/<I>"),
        (r"/queue/\d+", "/queue/<I>"),
        (r"\[(\d+) != \d+\]", "[$1 != <I>]"),
    ];
    for (re, with) in rules {
        t = Regex::new(re).unwrap().replace_all(&t, *with).into_owned();
    }
    t
}

const fn step(args: &'static [&'static str]) -> Step {
    Step { args, stdin: None }
}

/// The v2 script: the seed's `set foo bar` / `get foo` first, then every command family,
/// success and error paths. `ls` uses `--sort` (etcd lists children in map order).
fn script() -> Vec<Step> {
    vec![
        step(&["set", "foo", "bar"]),
        step(&["get", "foo"]),
        step(&["get", "/foo"]),
        step(&["-o", "json", "get", "foo"]),
        step(&["-o", "extended", "get", "foo"]),
        step(&["--output=json", "set", "foo", "<b&r>"]),
        step(&["-o", "extended", "set", "foo", "bar2"]),
        step(&["get", "nope"]),
        step(&["-o", "json", "get", "nope"]),
        step(&["mk", "foo", "x"]),
        step(&["mk", "newkey", "v1"]),
        step(&["-o", "json", "mk", "--in-order", "queue", "job1"]),
        step(&["ls", "--sort", "queue"]),
        step(&["mkdir", "dir"]),
        step(&["mkdir", "dir"]),
        step(&["-o", "json", "mkdir", "dir2"]),
        step(&["setdir", "dir3"]),
        step(&["-o", "json", "setdir", "dir3", "--ttl", "100"]),
        step(&["updatedir", "dir3"]),
        step(&["updatedir", "nodir"]),
        step(&["set", "dir/a", "1"]),
        step(&["set", "dir/sub/b", "2"]),
        step(&["get", "dir"]),
        step(&["ls", "--sort"]),
        step(&["ls", "--sort", "-p"]),
        step(&["ls", "--sort", "--recursive", "-p", "/"]),
        step(&["ls", "--sort", "-r", "dir"]),
        step(&["ls", "dir/a"]),
        step(&["-o", "json", "ls", "--sort", "dir"]),
        step(&["ls", "nope"]),
        step(&["update", "foo", "baz"]),
        step(&["update", "nokey", "v"]),
        step(&["-o", "json", "update", "foo", "qux", "--ttl", "300"]),
        step(&["-o", "extended", "get", "foo"]),
        step(&["set", "--swap-with-value", "nope", "foo", "q"]),
        step(&["set", "--swap-with-value", "qux", "foo", "q"]),
        step(&["set", "--swap-with-index", "1", "foo", "q"]),
        step(&["set", "-ttl", "50", "ttlkey", "v"]),
        step(&["rm", "dir"]),
        step(&["rm", "--dir", "dir"]),
        step(&["rmdir", "dir"]),
        step(&["rm", "--with-value", "nope", "newkey"]),
        step(&["rm", "--with-index", "1", "newkey"]),
        step(&["rm", "newkey"]),
        step(&["-o", "extended", "rm", "foo"]),
        step(&["rm", "nokey"]),
        step(&["rm", "-r", "dir"]),
        step(&["rmdir", "dir2"]),
        step(&["-o", "json", "rm", "--dir", "dir3"]),
        step(&["watch", "--after-index", "1", "foo"]),
        step(&["watch", "--after-index", "1", "-r", "/"]),
        step(&["-o", "json", "watch", "--after-index", "1", "foo"]),
        Step {
            args: &["set", "fromstdin"],
            stdin: Some("piped value"),
        },
        step(&["get", "fromstdin"]),
        step(&["member", "list"]),
        step(&["member", "list", "extra"]),
        step(&["member", "add", "x"]),
        step(&["member", "remove", "nope"]),
        step(&["member", "update", "x"]),
        step(&["cluster-health"]),
        step(&["role", "list"]),
        step(&["role", "add", "r1"]),
        step(&["role", "add", "r1"]),
        step(&["role", "grant", "r1", "--path", "/foo/*", "--read"]),
        step(&["role", "grant", "r1", "--path", "foo", "--read"]),
        step(&["role", "grant", "r1", "--path", "/x"]),
        step(&["role", "get", "r1"]),
        step(&["role", "get", "nope"]),
        step(&["user", "add", "u1:pw"]),
        step(&["user", "list"]),
        step(&["user", "grant", "u1", "--roles", "r1"]),
        step(&["user", "grant", "u1"]),
        step(&["user", "get", "u1"]),
        step(&["user", "revoke", "u1", "--roles", "r1"]),
        step(&["user", "get", "nope"]),
        step(&["user", "remove", "u1"]),
        step(&["role", "revoke", "r1", "--path", "/foo/*", "--read"]),
        step(&["role", "remove", "r1"]),
        // v2 auth: basic auth with --username (and -u, ETCDCTL_USERNAME's flag twin).
        step(&["user", "add", "root:rootpw"]),
        step(&["auth", "enable"]),
        step(&["user", "list"]),
        step(&["--username", "root:wrong", "user", "list"]),
        step(&["-u", "root:rootpw", "user", "list"]),
        step(&["-u", "root:rootpw", "set", "authed", "yes"]),
        // Key access: the guest role (requests without credentials) loses its permissions.
        step(&[
            "-u",
            "root:rootpw",
            "role",
            "revoke",
            "guest",
            "--path",
            "/*",
            "--readwrite",
        ]),
        step(&["get", "authed"]),
        step(&["set", "authed", "no"]),
        step(&["-u", "root:rootpw", "get", "authed"]),
        step(&["-u", "root:rootpw", "role", "get", "guest"]),
        step(&["-u", "root:rootpw", "user", "remove", "root"]),
        step(&["-u", "root:rootpw", "auth", "disable"]),
        step(&["get", "authed"]),
        // Argument and flag errors.
        step(&["set"]),
        step(&["set", "k"]),
        step(&["get"]),
        step(&["rm"]),
        step(&["watch"]),
        step(&["exec-watch", "k"]),
        step(&["-o", "yaml", "get", "fromstdin"]),
        step(&["get", "--bogus", "a"]),
        step(&["--bogus", "get", "a"]),
        step(&["set", "--ttl", "x", "a", "b"]),
        step(&["nosuchcommand"]),
        step(&["--version"]),
        step(&["--help"]),
        step(&["get", "--help"]),
        step(&["member"]),
    ]
}

/// Runs the script with `bin` on a fresh `kind` server.
fn run_script(kind: ServerKind, bin: &str, client: u16, peer: u16) -> Vec<Outcome> {
    run_steps(&script(), kind, bin, client, peer)
}

/// Runs `steps` with `bin` on a fresh `kind` server.
fn run_steps(steps: &[Step], kind: ServerKind, bin: &str, client: u16, peer: u16) -> Vec<Outcome> {
    let _server = v2_server(kind, client, peer);
    steps.iter().map(|s| run_v2(bin, client, peer, s)).collect()
}

/// The v2 differential against a `kind` server: the official etcdctl's outcomes, then ours,
/// each on its own fresh server; every step must agree.
fn v2_differential(kind: ServerKind) {
    let (client, peer) = (free_port(), free_port());
    let theirs = run_script(kind, ETCDCTL_BIN, client, peer);
    let ours = run_script(kind, env!("CARGO_BIN_EXE_etcd"), client, peer);
    // Guard against a vacuous comparison (both sides failing to reach the server).
    assert_eq!(
        (theirs[0].stdout.as_str(), theirs[0].code),
        ("bar\n", Some(0)),
        "{:?}",
        theirs[0]
    );
    assert_no_diffs(&differ::diff(
        script().iter().map(Step::label),
        &theirs,
        &ours,
        ("etcdctl", "ours"),
        Outcome::eq,
    ));
}

/// The server side of the v2 script: the official etcdctl against real etcd 3.4.23
/// `--enable-v2` and against ours, each fresh; every step (keys, members, the v2 auth API's
/// users, roles, enable/disable and basic-auth checks) must agree. `watch --after-index`
/// steps are left out: etcd's store index also counts its own membership writes (`/0/...`)
/// at bootstrap, ours starts at 0, so a fixed index names different events.
#[test]
fn v2_server_matches_etcd_for_the_official_etcdctl() {
    crate::require_etcd!();
    let steps: Vec<Step> = script()
        .into_iter()
        .filter(|s| !s.args.contains(&"--after-index"))
        .collect();
    let (client, peer) = (free_port(), free_port());
    let etcd = run_steps(&steps, ServerKind::Etcd, ETCDCTL_BIN, client, peer);
    let ours = run_steps(&steps, ServerKind::Ours, ETCDCTL_BIN, client, peer);
    assert_no_diffs(&differ::diff(
        steps.iter().map(Step::label),
        &etcd,
        &ours,
        ("etcd", "ours"),
        Outcome::eq,
    ));
}

#[test]
fn v2_ctl_matches_official_etcdctl_on_etcd() {
    crate::require_etcd!();
    v2_differential(ServerKind::Etcd);
}

#[test]
fn v2_ctl_matches_official_etcdctl_on_our_server() {
    crate::require_etcd!();
    v2_differential(ServerKind::Ours);
}

/// Connection failures: a dead endpoint fails the cluster sync (exit 2), or with
/// `--no-sync` the request (exit 4); a bare `host:port` is refused like Go's `url.Parse`.
#[test]
fn v2_unreachable_and_bad_endpoints_match() {
    crate::require_etcd!();
    let dead = free_port();
    for args in [
        &["get", "a"][..],
        &["--no-sync", "get", "a"][..],
        &["--no-sync", "--timeout", "300ms", "member", "list"][..],
    ] {
        let step = Step { args, stdin: None };
        let t = run_v2(ETCDCTL_BIN, dead, 0, &step);
        let o = run_v2(env!("CARGO_BIN_EXE_etcd"), dead, 0, &step);
        assert_eq!(t, o, "{args:?}");
    }
    for ep in [format!("127.0.0.1:{dead}"), format!("localhost:{dead}")] {
        let run = |bin: &str| {
            let mut cmd = Command::new(bin);
            if bin != ETCDCTL_BIN {
                cmd.arg("ctl");
            }
            cmd.env("ETCDCTL_API", "2")
                .args(["--endpoints", &ep, "get", "a"]);
            Outcome::with_go_logs(&harness::run_with_timeout(cmd, None, harness::CLI_TIMEOUT))
        };
        assert_eq!(run(ETCDCTL_BIN), run(env!("CARGO_BIN_EXE_etcd")), "{ep}");
    }
}

/// `exec-watch` runs the command with the `ETCD_WATCH_*` environment for an event; both
/// tools print the same line (from the event history via `--after-index`).
#[test]
fn v2_exec_watch_runs_the_command_with_the_event() {
    crate::require_etcd!();
    let (client, peer) = (free_port(), free_port());
    let _server = v2_server(ServerKind::Etcd, client, peer);
    let set = run_v2(ETCDCTL_BIN, client, peer, &step(&["set", "/w/k", "v1"]));
    assert_eq!(set.code, Some(0), "{set:?}");
    let line = |bin: &str| {
        let mut p = Proc::spawn(
            v2_command(
                bin,
                client,
                &[
                    "exec-watch",
                    "--after-index",
                    "1",
                    "--recursive",
                    "/w",
                    "--",
                    "sh",
                    "-c",
                    "echo \"$ETCD_WATCH_ACTION $ETCD_WATCH_KEY $ETCD_WATCH_VALUE\"",
                ],
            ),
            false,
        );
        let l = p.next_line(Duration::from_secs(10));
        p.kill();
        l
    };
    let theirs = line(ETCDCTL_BIN);
    assert_eq!(theirs.as_deref(), Some("set /w/k v1"));
    assert_eq!(line(env!("CARGO_BIN_EXE_etcd")), theirs);
}

/// Through argv0: `etcdctl` (our binary under that name) in v2 mode prints the v2 version.
#[test]
fn v2_version_through_argv0() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = harness::our_bin_as(dir.path(), "etcdctl");
    cmd.env("ETCDCTL_API", "2").arg("--version");
    let out = harness::run_with_timeout(cmd, None, harness::CLI_TIMEOUT);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "etcdctl version: 3.4.23\nAPI version: 2\n"
    );
    assert_eq!(out.status.code(), Some(0));
}

/// TLS with client-certificate auth: `--ca-file`, `--cert-file`, `--key-file` against an
/// `https://` endpoint (keys, members and `cluster-health` through the members' TLS client
/// URLs); without a client certificate both tools fail with the same exit code.
#[test]
fn v2_tls_client_certificates_match() {
    crate::require_etcd!();
    let dir = tempfile::tempdir().unwrap();
    client_cert_dir(dir.path(), "default", &[]);
    let mut extra = client_cert_auth_flags(dir.path());
    extra.push("--enable-v2".into());
    let server = Member::start(
        ServerKind::Etcd,
        MemberOpts {
            https: true,
            extra_args: extra,
            ..MemberOpts::named("default")
        },
    );
    let url = server.client_url();
    let (ca, cert, key) = (
        cert_path(dir.path(), "ca.pem"),
        cert_path(dir.path(), "client.pem"),
        cert_path(dir.path(), "client-key.pem"),
    );
    let tls: [&str; 6] = ["--ca-file", &ca, "--cert-file", &cert, "--key-file", &key];
    let run = |bin: &str, args: &[&str]| {
        let out =
            harness::run_with_timeout(v2_command_at(bin, &url, args), None, harness::CLI_TIMEOUT);
        Outcome::with_go_logs(&out).map(|s| normalize(s, server.client_port, server.peer_port))
    };
    for (i, tail) in [
        &["set", "foo", "bar"][..],
        &["get", "foo"][..],
        &["-o", "json", "ls", "/"][..],
        &["member", "list"][..],
        &["cluster-health"][..],
    ]
    .iter()
    .enumerate()
    {
        let args: Vec<&str> = tls.iter().copied().chain(tail.iter().copied()).collect();
        let theirs = run(ETCDCTL_BIN, &args);
        if i == 0 {
            assert_eq!(theirs.code, Some(0), "{theirs:?}");
        }
        assert_eq!(run(env!("CARGO_BIN_EXE_etcd"), &args), theirs, "{args:?}");
    }
    let args = ["--ca-file", &ca, "--no-sync", "get", "foo"];
    let theirs = run(ETCDCTL_BIN, &args);
    let ours = run(env!("CARGO_BIN_EXE_etcd"), &args);
    assert_ne!(theirs.code, Some(0), "{theirs:?}");
    assert_eq!(
        ours.code, theirs.code,
        "etcdctl: {theirs:?}\nours: {ours:?}"
    );
}

/// `ETCDCTL_API` values other than empty, `2` and `3` are refused as etcdctl 3.4 does.
#[test]
fn unsupported_api_version_is_refused() {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_etcd"));
    cmd.env("ETCDCTL_API", "4").args(["ctl", "version"]);
    let out = harness::run_with_timeout(cmd, None, harness::CLI_TIMEOUT);
    assert_eq!(
        (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
            out.status.code()
        ),
        (
            String::new(),
            "unsupported API version 4\n".to_string(),
            Some(1)
        )
    );
}

/// (member ID, every member's ID, cluster ID) as `member list -w json` reports them.
fn member_ids(url: &str) -> (u64, Vec<u64>, u64) {
    let out = harness::etcdctl(url, &["member", "list", "-w", "json"], None);
    let v: serde_json::Value =
        serde_json::from_str(&harness::ok_stdout(&out, "member list")).expect("json");
    let ids = v["members"]
        .as_array()
        .map(|a| a.iter().filter_map(|m| m["ID"].as_u64()).collect())
        .unwrap_or_default();
    (
        v["header"]["member_id"].as_u64().unwrap_or_default(),
        ids,
        v["header"]["cluster_id"].as_u64().unwrap_or_default(),
    )
}

/// What a member started with `--force-new-cluster` on a v2 `backup` of `kind`'s data dir
/// shows: the v2 key, and the v3 key only with `--with-v3` (etcd's backup leaves v3 data
/// behind without it). The backup is made by the official etcdctl for etcd's data dir and by
/// ours for our data dir. Returns (v2 get, v3 get) outputs.
fn backup_then_force_new_cluster(kind: ServerKind, with_v3: bool) -> (String, String) {
    let (client, peer) = (free_port(), free_port());
    let mut m = v2_server(kind, client, peer);
    let url = format!("http://127.0.0.1:{client}");
    let set = harness::run_with_timeout(
        v2_command(ETCDCTL_BIN, client, &["set", "foo", "bar"]),
        None,
        harness::CLI_TIMEOUT,
    );
    harness::ok_stdout(&set, "v2 set");
    harness::ok_stdout(&harness::our_ctl(&url, &["put", "k", "v"], None), "v3 put");
    let before = member_ids(&url);
    m.stop(Duration::from_secs(20));
    let backup = tempfile::tempdir().expect("backup dir");
    let bin = match kind {
        ServerKind::Etcd => ETCDCTL_BIN,
        ServerKind::Ours => env!("CARGO_BIN_EXE_etcd"),
    };
    let mut cmd = Command::new(bin);
    if kind == ServerKind::Ours {
        cmd.arg("ctl");
    }
    cmd.env("ETCDCTL_API", "2")
        .arg("backup")
        .arg("--data-dir")
        .arg(m.data_dir())
        .arg("--backup-dir")
        .arg(backup.path().join("b"));
    if with_v3 {
        cmd.arg("--with-v3");
    }
    let out = harness::run_with_timeout(cmd, None, harness::CLI_TIMEOUT);
    harness::ok_stdout(&out, "backup");
    let _restored = Member::start(
        kind,
        MemberOpts {
            ports: Some((client, peer)),
            extra_args: vec!["--enable-v2".into(), "--force-new-cluster".into()],
            data_dir: Some(backup.path().join("b")),
            ..MemberOpts::named("default")
        },
    );
    let v2 = harness::run_with_timeout(
        v2_command(ETCDCTL_BIN, client, &["get", "foo"]),
        None,
        harness::CLI_TIMEOUT,
    );
    let v3 = harness::our_ctl(&url, &["get", "k"], None);
    // As etcd's backup: a new member ID (and cluster ID), the only member after
    // --force-new-cluster.
    let after = member_ids(&url);
    assert_eq!(after.1.len(), 1, "{kind:?}: one member: {after:?}");
    assert_ne!(after.0, before.0, "{kind:?}: a new member ID");
    assert_ne!(after.2, before.2, "{kind:?}: a new cluster ID");
    assert_eq!(after.1, vec![after.0], "{kind:?}: the member is the new ID");
    (
        harness::ok_stdout(&v2, "v2 get"),
        harness::ok_stdout(&v3, "v3 get"),
    )
}

/// `ETCDCTL_API=2 etcdctl backup` then `--force-new-cluster`, on etcd 3.4.23 and on ours:
/// the same keys come back, v3 ones only with `--with-v3`.
#[test]
fn v2_backup_restores_like_etcd() {
    crate::require_etcd!();
    for with_v3 in [false, true] {
        let etcd = backup_then_force_new_cluster(ServerKind::Etcd, with_v3);
        let ours = backup_then_force_new_cluster(ServerKind::Ours, with_v3);
        let want_v3 = if with_v3 { "k\nv\n" } else { "" };
        assert_eq!(
            etcd,
            ("bar\n".to_string(), want_v3.to_string()),
            "etcd, --with-v3={with_v3}"
        );
        assert_eq!(ours, etcd, "ours vs etcd, --with-v3={with_v3}");
    }
}

/// `backup` failures: a missing data dir is Go's `open <dir>/member/snap: no such file or
/// directory` log line and exit 1, as etcdctl 3.4 prints it.
#[test]
fn v2_backup_of_a_missing_data_dir_fails_like_etcd() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("nope");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_etcd"));
    cmd.env("ETCDCTL_API", "2")
        .args(["ctl", "backup", "--data-dir"])
        .arg(&missing)
        .arg("--backup-dir")
        .arg(dir.path().join("out"));
    let out = harness::run_with_timeout(cmd, None, harness::CLI_TIMEOUT);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.ends_with(&format!(
            " I | open {}/member/snap: no such file or directory\n",
            missing.display()
        )),
        "{stderr}"
    );
}

/// What a `kind` server started with `--force-new-cluster --enable-v2` on the backup `dir`
/// serves (ours converts it in place): the v2 tree (`ls --recursive --sort` and two `get`s,
/// official etcdctl), and every v3 key with its value (no revisions: etcd's backup
/// renumbers entries).
fn served_on_backup(kind: ServerKind, dir: &std::path::Path) -> (String, String) {
    let (client, peer) = (free_port(), free_port());
    let _m = Member::start(
        kind,
        MemberOpts {
            ports: Some((client, peer)),
            extra_args: vec!["--enable-v2".into(), "--force-new-cluster".into()],
            data_dir: Some(dir.to_path_buf()),
            ..MemberOpts::named("default")
        },
    );
    let v2 = |args: &[&str]| {
        let out = harness::run_with_timeout(
            v2_command(ETCDCTL_BIN, client, args),
            None,
            harness::CLI_TIMEOUT,
        );
        harness::ok_stdout(&out, &args.join(" "))
    };
    let tree = [
        v2(&["ls", "--recursive", "--sort", "/"]),
        v2(&["get", "/foo"]),
        v2(&["get", "/dir/b"]),
    ]
    .concat();
    let url = format!("http://127.0.0.1:{client}");
    let v3 = harness::ok_stdout(
        &harness::etcdctl(&url, &["get", "", "--prefix"], None),
        "v3 get",
    );
    (tree, v3)
}

/// Copies `data_dir/member` into `to` (`cp -a`, as an operator would) and returns `to`.
fn copy_member(data_dir: &std::path::Path, to: &std::path::Path) -> std::path::PathBuf {
    let st = Command::new("cp")
        .arg("-a")
        .arg(data_dir.join("member"))
        .arg(to)
        .status()
        .expect("cp");
    assert!(st.success(), "cp -a {}", data_dir.display());
    to.to_path_buf()
}

/// `ETCDCTL_API=2 backup` of a data dir written by etcd 3.4.23 (v2 keys before and after
/// its snapshot, v3 keys), by the official etcdctl 3.4.23 and by `etcd ctl`, with and
/// without `--with-v3`: real etcd started with `--force-new-cluster` on either backup serves
/// the same v2 tree and the same v3 keys (none without `--with-v3`), and so does our server
/// started in place on either; both backups get a new member ID (etcd's ID generator) and
/// the same `.snap` file.
#[test]
fn v2_backup_of_an_etcd_data_dir_matches_etcdctl() {
    crate::require_etcd!();
    let (client, peer) = (free_port(), free_port());
    let mut m = Member::start(
        ServerKind::Etcd,
        MemberOpts {
            ports: Some((client, peer)),
            extra_args: vec!["--enable-v2".into(), "--snapshot-count=20".into()],
            ..MemberOpts::named("default")
        },
    );
    let url = format!("http://127.0.0.1:{client}");
    let v2 = |args: &[&str]| {
        let out = harness::run_with_timeout(
            v2_command(ETCDCTL_BIN, client, args),
            None,
            harness::CLI_TIMEOUT,
        );
        harness::ok_stdout(&out, &args.join(" "));
    };
    v2(&["set", "/foo", "bar"]);
    v2(&["mkdir", "/dir"]);
    for i in 0..22 {
        v2(&["set", &format!("/k{i}"), "v"]);
    }
    v2(&["set", "/dir/b", "after-snapshot"]);
    harness::ok_stdout(&harness::etcdctl(&url, &["put", "k", "v"], None), "v3 put");
    harness::ok_stdout(
        &harness::etcdctl(&url, &["put", "k2", "v2"], None),
        "v3 put",
    );
    m.stop(Duration::from_secs(20));
    let temp = tempfile::tempdir().expect("temp dir");
    let fresh = |name: &str| {
        let d = temp.path().join(name);
        std::fs::create_dir_all(&d).expect("mkdir");
        d
    };
    let member_id_of = |dir: &std::path::Path| {
        // The metadata record's member ID, as real etcd reports it once started.
        let (c, p) = (free_port(), free_port());
        let _m = Member::start(
            ServerKind::Etcd,
            MemberOpts {
                ports: Some((c, p)),
                extra_args: vec!["--force-new-cluster".into()],
                data_dir: Some(dir.to_path_buf()),
                ..MemberOpts::named("default")
            },
        );
        let out = harness::etcdctl(
            &format!("http://127.0.0.1:{c}"),
            &["endpoint", "status", "-w", "json"],
            None,
        );
        let v: serde_json::Value =
            serde_json::from_str(&harness::ok_stdout(&out, "endpoint status")).expect("json");
        v[0]["Status"]["header"]["member_id"]
            .as_u64()
            .expect("member_id")
    };
    // On a copy: starting etcd on the original would change it.
    let original_id = member_id_of(&copy_member(m.data_dir(), &fresh("original")));
    for with_v3 in [false, true] {
        let mut served = Vec::new();
        let mut snaps = Vec::new();
        let mut ids = Vec::new();
        for bin in [ETCDCTL_BIN, env!("CARGO_BIN_EXE_etcd")] {
            let tool = if bin == ETCDCTL_BIN {
                "etcdctl"
            } else {
                "ours"
            };
            let b = fresh(&format!("{tool}-{with_v3}")).join("b");
            let mut cmd = Command::new(bin);
            if bin != ETCDCTL_BIN {
                cmd.arg("ctl");
            }
            cmd.env("ETCDCTL_API", "2")
                .arg("backup")
                .arg("--data-dir")
                .arg(m.data_dir())
                .arg("--backup-dir")
                .arg(&b);
            if with_v3 {
                cmd.arg("--with-v3");
            }
            let out = harness::run_with_timeout(cmd, None, harness::CLI_TIMEOUT);
            assert!(out.status.success(), "{bin} backup: {out:?}");
            snaps.push(
                std::fs::read_dir(b.join("member").join("snap"))
                    .expect("snap dir")
                    .flatten()
                    .filter(|e| e.file_name().to_string_lossy().ends_with(".snap"))
                    .map(|e| (e.file_name(), std::fs::read(e.path()).expect("read")))
                    .collect::<Vec<_>>(),
            );
            ids.push(member_id_of(&copy_member(
                &b,
                &fresh(&format!("{tool}-{with_v3}-id")),
            )));
            // Ours starts in place on a copy of the same backup.
            let ours_copy = copy_member(&b, &fresh(&format!("{tool}-{with_v3}-ours")));
            served.push(served_on_backup(ServerKind::Etcd, &b));
            served.push(served_on_backup(ServerKind::Ours, &ours_copy));
        }
        assert_eq!(snaps[0], snaps[1], "the same .snap, --with-v3={with_v3}");
        assert!(!snaps[0].is_empty(), "etcd took a snapshot");
        // [etcd on etcdctl's, ours on etcdctl's, etcd on ours, ours on ours]
        for (i, what) in [
            (1, "our server on etcdctl's backup"),
            (2, "etcd on our ctl's backup"),
            (3, "our server on our ctl's backup"),
        ] {
            assert_eq!(served[i], served[0], "{what}, --with-v3={with_v3}");
        }
        let (tree, v3) = &served[0];
        assert!(
            tree.contains("/dir/b") && tree.contains("after-snapshot"),
            "{tree}"
        );
        assert!(tree.contains("bar"), "{tree}");
        assert_eq!(v3.as_str(), if with_v3 { "k\nv\nk2\nv2\n" } else { "" });
        for id in &ids {
            assert_ne!(*id, original_id, "a new member ID, --with-v3={with_v3}");
        }
    }
}
