//! Differential test: our `etcd ctl` against the official etcdctl 3.4 on a real etcd 3.4.
//!
//! The same script of commands runs twice, each time against a FRESH real etcd started on the
//! same loopback ports with the same name (so cluster ID, member ID and revisions agree): once
//! with `/usr/bin/etcdctl`, once with our binary. Per step we compare stdout, the `Error:`
//! lines of stderr (Go's client warning logs are dropped) and the exit code, after
//! normalising what legitimately differs: durations (`took`), and cobra's usage text that the
//! official binary prints on flag errors.
//!
//! Skips (with a printed reason) when `/usr/bin/etcd` or `/usr/bin/etcdctl` is missing, unless
//! `ETCD_INTEROP_REQUIRED=1`. Every child has a deadline and is killed on drop.

#![allow(clippy::unwrap_used)]

use std::process::Command;
use std::time::Duration;

use crate::differ::{self, assert_no_diffs, Outcome, Step};
use crate::harness::{self, free_port, Member, MemberOpts, ServerKind, ETCDCTL_BIN as ETCDCTL};

/// A fresh real etcd named `default` on these ports (a harness [`Member`], killed on drop).
fn start_server(client: u16, peer: u16) -> Member {
    Member::start(
        ServerKind::Etcd,
        MemberOpts {
            ports: Some((client, peer)),
            ..MemberOpts::named("default")
        },
    )
}

fn ep(port: u16) -> String {
    format!("127.0.0.1:{port}")
}

/// Runs one etcdctl invocation with a 30 s deadline; the child is killed if it overruns.
/// stdout and the non-empty stderr lines (Go's JSON logs dropped) go through [`normalise`].
fn run(bin: &str, endpoint: &str, args: &[&str], stdin: &str) -> Outcome {
    let mut cmd = Command::new(bin);
    if bin != ETCDCTL {
        cmd.arg("ctl");
    }
    cmd.arg("--endpoints")
        .arg(endpoint)
        .args(args)
        .env("ETCDCTL_API", "3");
    let out = harness::run_with_timeout(cmd, Some(stdin), Duration::from_secs(30));
    Outcome::of(&out)
        .keep_stderr(|l| !l.is_empty())
        .map(normalise)
}

/// Replaces durations (`took = 1.2ms`, `"took":"..."`, table cells) with `X`.
fn normalise(s: &str) -> String {
    let mut out = String::new();
    for line in s.split_inclusive('\n') {
        let mut l = line.to_string();
        if let Some(i) = l.find("took = ") {
            l = format!("{}took = X\n", &l[..i]);
        }
        if let Some(i) = l.find("\"took\":\"") {
            let rest = &l[i + 8..];
            let end = rest.find('"').unwrap_or(0);
            l = format!("{}\"took\":\"X\"{}", &l[..i], &rest[end + 1..]);
        }
        if l.starts_with("\"Took\" : ") {
            l = "\"Took\" : X\n".to_string();
        }
        out.push_str(&l);
    }
    out
}

/// A script step and how to compare it.
struct Case {
    step: Step,
    /// Compare stdout too (false where cobra prints its usage text).
    stdout: bool,
    /// Read-only step whose output depends on server internals that vary between two fresh
    /// servers (bbolt's db size): compare both tools against the SAME server back to back.
    live: bool,
}

const fn case(
    args: &'static [&'static str],
    stdin: Option<&'static str>,
    stdout: bool,
    live: bool,
) -> Case {
    Case {
        step: Step { args, stdin },
        stdout,
        live,
    }
}

const fn step(args: &'static [&'static str]) -> Case {
    case(args, None, true, false)
}

const fn live(args: &'static [&'static str]) -> Case {
    case(args, None, true, true)
}

/// A step reading `stdin`.
const fn input(args: &'static [&'static str], stdin: &'static str) -> Case {
    case(args, Some(stdin), true, false)
}

/// A flag error: etcdctl prints cobra's usage text on stdout, only the error is compared.
const fn usage(args: &'static [&'static str]) -> Case {
    case(args, None, false, false)
}

fn script() -> Vec<Case> {
    vec![
        step(&["put", "foo", "bar"]),
        step(&["put", "foo", "bar2", "--prev-kv"]),
        step(&["put", "foo2", "a b", "-w", "json"]),
        step(&["put", "zoo", "z", "-w", "fields", "--prev-kv"]),
        input(&["put", "fromstdin"], "val\n"),
        step(&["get", "foo"]),
        step(&["get", "foo", "-w", "json"]),
        step(&["get", "foo", "-w", "fields"]),
        step(&["get", "foo", "--prefix"]),
        step(&["get", "foo", "--prefix", "-w", "json"]),
        step(&["get", "foo", "--prefix", "--hex"]),
        step(&["get", "foo", "--rev", "2"]),
        step(&[
            "get",
            "",
            "--from-key",
            "--sort-by",
            "value",
            "--order",
            "descend",
        ]),
        step(&[
            "get",
            "",
            "--prefix",
            "--sort-by=CREATE",
            "--order=DESCEND",
            "--limit",
            "2",
            "-w",
            "json",
        ]),
        step(&["get", "a", "z", "--keys-only"]),
        step(&["get", "foo", "--prefix", "--print-value-only"]),
        step(&["get", "foo", "--consistency", "s", "-w", "fields"]),
        step(&["del", "foo2"]),
        step(&["del", "foo", "--prefix", "--prev-kv"]),
        step(&["del", "nothing", "-w", "json"]),
        input(
            &["txn"],
            "mod(\"zoo\") > \"0\"\n\nput t1 v1\nget zoo\n\nget t1\n\n",
        ),
        input(
            &["txn", "-w", "json"],
            "value(\"zoo\") = \"nope\"\n\nput t1 v1\n\nget zoo --prefix\nput t2 v2 --prev-kv\n\n",
        ),
        input(
            &["txn", "-w", "fields"],
            "ver(\"t1\") = \"1\"\ncreate(\"zoo\") != \"0\"\n\ndel t1 --prev-kv\n\n\n",
        ),
        input(&["txn", "-i"], "\n\n\n"),
        step(&["compaction", "3"]),
        step(&["get", "foo", "--rev", "2"]),
        step(&["member", "list"]),
        step(&["member", "list", "-w", "table"]),
        step(&["member", "list", "-w", "json"]),
        live(&["endpoint", "status"]),
        live(&["endpoint", "status", "-w", "table"]),
        live(&["endpoint", "status", "-w", "json"]),
        live(&["endpoint", "status", "-w", "fields"]),
        step(&["endpoint", "hashkv"]),
        step(&["endpoint", "hashkv", "-w", "json"]),
        step(&["endpoint", "hashkv", "-w", "table"]),
        step(&["endpoint", "health"]),
        step(&["endpoint", "health", "-w", "json"]),
        step(&["version"]),
        // Error cases.
        step(&["get"]),
        step(&["get", "foo", "-w", "table"]),
        step(&["get", "a", "--prefix", "--from-key"]),
        step(&["get", "a", "--consistency", "x"]),
        step(&["put", "a", "b", "--lease", "zz"]),
        step(&["put", "a", "b", "--lease", "123"]),
        step(&["del"]),
        step(&["compaction", "x"]),
        step(&["-w", "yaml", "get", "a"]),
        usage(&["get", "--bogus"]),
        usage(&["bogus"]),
        input(&["txn"], "bad(\"k\") = \"v\"\n\n"),
        input(&["txn"], "mod(\"k\") > \"x\"\n\n"),
        input(&["txn"], "\nfoo a\n\n"),
        input(&["txn"], "\nput a b\n"),
    ]
}

/// Runs the script with `bin` on a fresh server. Returns `bin`'s outcomes and, for `live`
/// steps, the official etcdctl's outcome on the same server just before.
fn run_script(bin: &str, client: u16, peer: u16) -> Vec<(Outcome, Option<Outcome>)> {
    let _server = start_server(client, peer);
    let on = |bin: &str, s: &Step| run(bin, &ep(client), s.args, s.stdin.unwrap_or(""));
    script()
        .iter()
        .map(|c| (on(bin, &c.step), c.live.then(|| on(ETCDCTL, &c.step))))
        .collect()
}

/// What a case compares: the exit code, the first error line and (unless it is a usage
/// error) stdout.
fn compared(c: &Case, o: &Outcome) -> Outcome {
    let mut o = o.clone();
    o.stderr.truncate(1);
    if !c.stdout {
        o.stdout = "<usage text>".into();
    }
    o
}

#[test]
fn ctl_matches_official_etcdctl() {
    crate::require_etcd!();
    let (client, peer) = (free_port(), free_port());
    let theirs: Vec<Outcome> = run_script(ETCDCTL, client, peer)
        .into_iter()
        .map(|(o, _)| o)
        .collect();
    let ours = run_script(env!("CARGO_BIN_EXE_etcd"), client, peer);
    // Guard against a vacuous comparison (e.g. both sides failing to reach the server).
    assert_eq!(
        theirs[0],
        Outcome {
            stdout: "OK\n".into(),
            stderr: vec![],
            code: Some(0)
        }
    );
    let cases = script();
    // For `live` steps the reference is etcdctl on the same server just before.
    let theirs: Vec<Outcome> = cases
        .iter()
        .zip(&theirs)
        .zip(&ours)
        .map(|((c, t), (_, live_ref))| compared(c, live_ref.as_ref().unwrap_or(t)))
        .collect();
    let ours: Vec<Outcome> = cases
        .iter()
        .zip(&ours)
        .map(|(c, (o, _))| compared(c, o))
        .collect();
    assert_no_diffs(&differ::diff(
        cases.iter().map(|c| c.step.label()),
        &theirs,
        &ours,
        ("etcdctl", "ours"),
        Outcome::eq,
    ));
}

#[test]
fn unreachable_endpoint_matches() {
    crate::require_etcd!();
    let port = free_port(); // nothing listens here
    for args in [
        &["--command-timeout", "300ms", "get", "a"][..],
        &["--command-timeout", "300ms", "endpoint", "health"][..],
        &[
            "--command-timeout",
            "300ms",
            "endpoint",
            "status",
            "-w",
            "table",
        ][..],
    ] {
        let t = run(ETCDCTL, &ep(port), args, "");
        let o = run(env!("CARGO_BIN_EXE_etcd"), &ep(port), args, "");
        assert_eq!(t, o, "{args:?}");
    }
}

#[test]
fn fails_over_to_the_next_endpoint() {
    crate::require_etcd!();
    let (client, peer, dead) = (free_port(), free_port(), free_port());
    let _server = start_server(client, peer);
    let eps = format!("{},{}", ep(dead), ep(client));
    let put = run(env!("CARGO_BIN_EXE_etcd"), &eps, &["put", "fo", "ok"], "");
    assert_eq!(
        (put.stdout.as_str(), put.code),
        ("OK\n", Some(0)),
        "{put:?}"
    );
    let get = run(
        env!("CARGO_BIN_EXE_etcd"),
        &eps,
        &["get", "fo", "--print-value-only"],
        "",
    );
    assert_eq!(
        (get.stdout.as_str(), get.code),
        ("ok\n", Some(0)),
        "{get:?}"
    );
}
