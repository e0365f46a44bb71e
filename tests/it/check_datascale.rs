//! `check datascale` (etcdctl 3.4's memory check): our ctl against our member, the official
//! etcdctl against our member (it reads `process_resident_memory_bytes` from our `/metrics`),
//! and our ctl against the official etcd. Each run puts the small load (10 000 key-values of
//! 1 KiB) and must end with etcd's `PASS: Approximate system memory used : <MB> MB.` line;
//! the figure itself is not checked (no memory or time assertions in tests).
//! Interop cases skip with a printed reason when etcd is missing (see `require_etcd!`).

use std::process::Output;
use std::time::Duration;

use crate::harness::{
    etcdctl_command, our_ctl, our_ctl_command, run_with_timeout, Member, MemberOpts, ServerKind,
};

/// A datascale run on a debug build puts 10 000 keys: allow it minutes, not the CLI default.
const DATASCALE_TIMEOUT: Duration = Duration::from_secs(200);

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Checks a successful run's lines: the start line, the compaction and defragmentation lines
/// when asked for, and the PASS line with a number of MB.
fn assert_pass(o: &Output, endpoint: &str, compacted: bool) {
    let (out, err) = text(o);
    assert!(
        o.status.success(),
        "{:?}\nstdout:\n{out}\nstderr:\n{err}",
        o.status
    );
    let lines: Vec<&str> = out
        .lines()
        .map(|l| l.rsplit('\r').next().unwrap_or(l))
        .collect();
    assert_eq!(
        lines.first().copied(),
        Some("Start data scale check for work load [10000 key-value pairs, 1024 bytes per key-value, 50 concurrent clients]."),
        "{out}"
    );
    if compacted {
        let want = [
            format!("Defragmenting \"{endpoint}\""),
            format!("Defragmented \"{endpoint}\""),
        ];
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("Compacting with revision ")),
            "{out}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("Compacted with revision ")),
            "{out}"
        );
        for w in &want {
            assert!(lines.contains(&w.as_str()), "no {w:?} in:\n{out}");
        }
    }
    let last = lines.last().copied().unwrap_or_default();
    let mb = last
        .strip_prefix("PASS: Approximate system memory used : ")
        .and_then(|r| r.strip_suffix(" MB."))
        .unwrap_or_else(|| panic!("no PASS line in:\n{out}"));
    assert!(mb.parse::<f64>().is_ok(), "{last:?}");
}

#[test]
fn ours_against_ours_with_compact_defrag_and_refusals() {
    let m = Member::start(ServerKind::Ours, MemberOpts::named("ds"));
    let ep = format!("127.0.0.1:{}", m.client_port);
    let o = run_with_timeout(
        our_ctl_command(
            &ep,
            &["check", "datascale", "--auto-compact", "--auto-defrag"],
        ),
        None,
        DATASCALE_TIMEOUT,
    );
    assert_pass(&o, &ep, true);
    // The keys were deleted afterwards.
    let g = our_ctl(
        &ep,
        &[
            "get",
            "--prefix",
            "/etcdctl-check-datascale/",
            "--count-only",
            "-w",
            "fields",
        ],
        None,
    );
    assert!(text(&g).0.contains("\"Count\" : 0"), "{:?}", text(&g));

    // etcd's refusals: an unknown load (exit 4) and a prefix holding keys (exit 3).
    let o = our_ctl(&ep, &["check", "datascale", "--load", "huge"], None);
    assert_eq!(
        (o.status.code(), text(&o).1.as_str()),
        (Some(4), "Error: unknown load option huge\n")
    );
    our_ctl(&ep, &["put", "/ds/a", "1"], None);
    let o = our_ctl(&ep, &["check", "datascale", "--prefix", "/ds/"], None);
    assert_eq!(
        (o.status.code(), text(&o).1.as_str()),
        (
            Some(3),
            "Error: prefix \"/ds/\" has keys. Delete with etcdctl del --prefix /ds/ first\n"
        )
    );
}

#[test]
fn official_etcdctl_against_ours() {
    crate::require_etcd!();
    let m = Member::start(ServerKind::Ours, MemberOpts::named("ds"));
    let ep = format!("127.0.0.1:{}", m.client_port);
    let o = run_with_timeout(
        etcdctl_command(&ep, &["check", "datascale", "--load", "s"]),
        None,
        DATASCALE_TIMEOUT,
    );
    assert_pass(&o, &ep, false);
}

#[test]
fn ours_against_official_etcd() {
    crate::require_etcd!();
    let m = Member::start(ServerKind::Etcd, MemberOpts::named("ds"));
    let ep = format!("127.0.0.1:{}", m.client_port);
    let o = run_with_timeout(
        our_ctl_command(&ep, &["check", "datascale", "--auto-compact"]),
        None,
        DATASCALE_TIMEOUT,
    );
    assert_pass(&o, &ep, false);
    let (out, _) = text(&o);
    assert!(
        out.contains("Compacting with revision 10002\nCompacted with revision 10002\n"),
        "{out}"
    );
}
