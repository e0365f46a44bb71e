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

#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    stdout: String,
    errors: Vec<String>,
    code: i32,
}

/// Runs one etcdctl invocation with a 30 s deadline; the child is killed if it overruns.
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
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    Outcome {
        stdout: normalise(&stdout),
        errors: stderr
            .lines()
            .filter(|l| !l.starts_with("{\"level\""))
            .filter(|l| !l.is_empty())
            .map(normalise)
            .collect(),
        code: out.status.code().unwrap_or(-1),
    }
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

struct Step {
    args: &'static [&'static str],
    stdin: &'static str,
    /// Compare stdout too (false where cobra prints its usage text).
    stdout: bool,
    /// Read-only step whose output depends on server internals that vary between two fresh
    /// servers (bbolt's db size): compare both tools against the SAME server back to back.
    live: bool,
}

const fn step(args: &'static [&'static str]) -> Step {
    Step {
        args,
        stdin: "",
        stdout: true,
        live: false,
    }
}

const fn live(args: &'static [&'static str]) -> Step {
    Step {
        args,
        stdin: "",
        stdout: true,
        live: true,
    }
}

fn script() -> Vec<Step> {
    vec![
        step(&["put", "foo", "bar"]),
        step(&["put", "foo", "bar2", "--prev-kv"]),
        step(&["put", "foo2", "a b", "-w", "json"]),
        step(&["put", "zoo", "z", "-w", "fields", "--prev-kv"]),
        Step { args: &["put", "fromstdin"], stdin: "val\n", stdout: true, live: false },
        step(&["get", "foo"]),
        step(&["get", "foo", "-w", "json"]),
        step(&["get", "foo", "-w", "fields"]),
        step(&["get", "foo", "--prefix"]),
        step(&["get", "foo", "--prefix", "-w", "json"]),
        step(&["get", "foo", "--prefix", "--hex"]),
        step(&["get", "foo", "--rev", "2"]),
        step(&["get", "", "--from-key", "--sort-by", "value", "--order", "descend"]),
        step(&["get", "", "--prefix", "--sort-by=CREATE", "--order=DESCEND", "--limit", "2", "-w", "json"]),
        step(&["get", "a", "z", "--keys-only"]),
        step(&["get", "foo", "--prefix", "--print-value-only"]),
        step(&["get", "foo", "--consistency", "s", "-w", "fields"]),
        step(&["del", "foo2"]),
        step(&["del", "foo", "--prefix", "--prev-kv"]),
        step(&["del", "nothing", "-w", "json"]),
        Step { args: &["txn"], stdin: "mod(\"zoo\") > \"0\"\n\nput t1 v1\nget zoo\n\nget t1\n\n", stdout: true, live: false },
        Step { args: &["txn", "-w", "json"], stdin: "value(\"zoo\") = \"nope\"\n\nput t1 v1\n\nget zoo --prefix\nput t2 v2 --prev-kv\n\n", stdout: true, live: false },
        Step { args: &["txn", "-w", "fields"], stdin: "ver(\"t1\") = \"1\"\ncreate(\"zoo\") != \"0\"\n\ndel t1 --prev-kv\n\n\n", stdout: true, live: false },
        Step { args: &["txn", "-i"], stdin: "\n\n\n", stdout: true, live: false },
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
        Step { args: &["get", "--bogus"], stdin: "", stdout: false, live: false },
        Step { args: &["bogus"], stdin: "", stdout: false, live: false },
        Step { args: &["txn"], stdin: "bad(\"k\") = \"v\"\n\n", stdout: true, live: false },
        Step { args: &["txn"], stdin: "mod(\"k\") > \"x\"\n\n", stdout: true, live: false },
        Step { args: &["txn"], stdin: "\nfoo a\n\n", stdout: true, live: false },
        Step { args: &["txn"], stdin: "\nput a b\n", stdout: true, live: false },
    ]
}

/// Runs the script with `bin` on a fresh server. Returns `bin`'s outcomes and, for `live`
/// steps, the official etcdctl's outcome on the same server just before.
fn run_script(bin: &str, client: u16, peer: u16) -> Vec<(Outcome, Option<Outcome>)> {
    let _server = start_server(client, peer);
    script()
        .iter()
        .map(|s| {
            let reference = s.live.then(|| run(ETCDCTL, &ep(client), s.args, s.stdin));
            (run(bin, &ep(client), s.args, s.stdin), reference)
        })
        .collect()
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
            errors: vec![],
            code: 0
        }
    );
    let mut failures = Vec::new();
    for ((s, t), (o, live_ref)) in script().iter().zip(&theirs).zip(&ours) {
        let t = live_ref.as_ref().unwrap_or(t);
        let same = t.code == o.code
            && t.errors.first() == o.errors.first()
            && (!s.stdout || t.stdout == o.stdout);
        if !same {
            failures.push(format!(
                "{:?} (stdin {:?})\n  etcdctl: {t:?}\n  ours:    {o:?}",
                s.args, s.stdin
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures.join("\n")
    );
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
    assert_eq!((put.stdout.as_str(), put.code), ("OK\n", 0), "{put:?}");
    let get = run(
        env!("CARGO_BIN_EXE_etcd"),
        &eps,
        &["get", "fo", "--print-value-only"],
        "",
    );
    assert_eq!((get.stdout.as_str(), get.code), ("ok\n", 0), "{get:?}");
}
