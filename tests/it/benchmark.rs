//! `etcd benchmark` end to end: the put and serializable range scenarios against our member
//! and (when installed) the official etcd 3.4.23, through the real executable; the summary
//! must parse (requests/sec > 0, every request counted in the histogram, no errors).

use std::time::Duration;

use crate::harness::{ok_stdout, our_bin, run_with_timeout, Member, MemberOpts, ServerKind};

/// Runs `etcd benchmark --endpoints <ep> <args>` (≤ 30 s) and returns its stdout.
fn bench(endpoint: &str, args: &[&str]) -> String {
    let ep = format!("--endpoints={endpoint}");
    let mut all = vec!["benchmark", ep.as_str()];
    all.extend_from_slice(args);
    let out = our_bin(&all, Duration::from_secs(30));
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "etcd {all:?}: {:?}\nstdout:\n{stdout}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Requests/sec and the number of requests counted in the response time histogram.
fn summary(out: &str) -> (f64, u64) {
    let rps = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .unwrap_or_else(|| panic!("no Requests/sec in:\n{out}"));
    let hist = out
        .split("Response time histogram:\n")
        .nth(1)
        .unwrap_or_else(|| panic!("no histogram in:\n{out}"));
    let counted = hist
        .lines()
        .take_while(|l| !l.is_empty())
        .map(|l| {
            let n = l.split('[').nth(1).and_then(|r| r.split(']').next());
            n.and_then(|n| n.parse::<u64>().ok())
                .unwrap_or_else(|| panic!("bad histogram line {l:?}"))
        })
        .sum();
    for head in [
        "\nSummary:\n",
        "  Total:\t",
        "  Stddev:\t",
        "\nLatency distribution:\n",
        "  50% in ",
    ] {
        assert!(out.contains(head), "missing {head:?} in:\n{out}");
    }
    assert!(!out.contains("Error distribution"), "errors in:\n{out}");
    (rps, counted)
}

fn put_and_range(m: &Member) {
    let url = m.client_url();
    let out = bench(
        &url,
        &["--conns", "2", "--clients", "4", "put", "--total", "200"],
    );
    let (rps, n) = summary(&out);
    assert!(rps > 0.0, "{out}");
    assert_eq!(n, 200, "{out}");
    let out = bench(
        &url,
        &[
            "--conns",
            "2",
            "--clients",
            "4",
            "range",
            "foo",
            "--consistency",
            "s",
            "--total",
            "100",
        ],
    );
    let (rps, n) = summary(&out);
    assert!(rps > 0.0, "{out}");
    assert_eq!(n, 100, "{out}");
}

#[test]
fn benchmark_put_and_range_against_our_member() {
    let m = Member::start(ServerKind::Ours, MemberOpts::named("bench"));
    put_and_range(&m);
}

#[test]
fn benchmark_put_and_range_against_real_etcd() {
    crate::require_etcd!();
    let m = Member::start(ServerKind::Etcd, MemberOpts::named("bench"));
    put_and_range(&m);
}

/// `benchmark mvcc put` (etcd's storage benchmark, no server): every request is counted,
/// `--txn --txn-ops` is accepted, the scratch store in the working directory is removed, and
/// Go's `--cpuprofile` is refused in one line with exit 1.
#[test]
fn benchmark_mvcc_put_runs_on_the_store_without_a_server() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = |args: &[&str]| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_etcd"));
        cmd.current_dir(dir.path()).arg("benchmark").args(args);
        run_with_timeout(cmd, None, Duration::from_secs(60))
    };
    let out = run(&["mvcc", "put", "--total", "300", "--batch-limit", "50"]);
    let text = ok_stdout(&out, "benchmark mvcc put");
    let (rps, counted) = summary(&text);
    assert!(rps > 0.0, "{text}");
    assert_eq!(counted, 300, "{text}");
    let out = run(&["mvcc", "put", "--total", "40", "--txn", "--txn-ops", "5"]);
    let (_, counted) = summary(&ok_stdout(&out, "benchmark mvcc put --txn"));
    assert_eq!(counted, 40);
    let left: Vec<_> = std::fs::read_dir(dir.path()).expect("read_dir").collect();
    assert!(left.is_empty(), "scratch store left behind: {left:?}");

    let out = run(&["mvcc", "put", "--cpuprofile", "cpu.out"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("Error: --cpuprofile"), "{err}");
}
