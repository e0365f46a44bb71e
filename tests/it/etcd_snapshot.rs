//! etcd's snapshot format (bbolt) across tools, against the real etcd 3.4.23 (issue 9):
//!
//! - `util_snapshot_status_of_an_etcd_snapshot_equals_etcdctls`: real etcd writes a history
//!   (puts, overwrites, a delete, a lease, a compaction, a user and a role); its snapshot
//!   (`etcdctl snapshot save`) gets the same `snapshot status` from our `etcd util` and from
//!   the official etcdctl, in json and simple output.

use std::path::Path;
use std::time::Duration;

use crate::harness::{etcdctl, ok_stdout, our_bin, Member, MemberOpts, ServerKind};

/// Writes a small history through the official etcdctl: 60 puts, overwrites, a large value,
/// a delete, a leased key, `compact 40`, a user and a role. Returns the lease id (hex).
pub(crate) fn write_history(ep: &str) -> String {
    for i in 0..60 {
        let key = format!("k{i:03}");
        ok_stdout(&etcdctl(ep, &["put", &key, &format!("v{i}")], None), "put");
    }
    for i in 0..5 {
        ok_stdout(
            &etcdctl(ep, &["put", "k000", &format!("again{i}")], None),
            "put",
        );
    }
    let big = "x".repeat(9000);
    ok_stdout(&etcdctl(ep, &["put", "big", &big], None), "put big");
    ok_stdout(&etcdctl(ep, &["del", "k001"], None), "del");
    let grant = ok_stdout(
        &etcdctl(ep, &["lease", "grant", "600"], None),
        "lease grant",
    );
    let lease = grant
        .split_whitespace()
        .nth(1)
        .expect("lease id in `lease <id> granted with TTL(600s)`")
        .to_string();
    ok_stdout(
        &etcdctl(
            ep,
            &["put", "leased", "v", &format!("--lease={lease}")],
            None,
        ),
        "put leased",
    );
    ok_stdout(&etcdctl(ep, &["compact", "40"], None), "compact");
    ok_stdout(&etcdctl(ep, &["user", "add", "alice:pw"], None), "user add");
    ok_stdout(&etcdctl(ep, &["role", "add", "r1"], None), "role add");
    ok_stdout(
        &etcdctl(
            ep,
            &["role", "grant-permission", "r1", "readwrite", "a", "b"],
            None,
        ),
        "grant",
    );
    ok_stdout(
        &etcdctl(ep, &["user", "grant-role", "alice", "r1"], None),
        "grant-role",
    );
    lease
}

/// `etcdctl snapshot status -w <format> <file>` (official) and `etcd util snapshot status`.
fn both_statuses(file: &Path, format: &str) -> (String, String) {
    let f = file.to_str().expect("utf-8 path");
    let official = ok_stdout(
        &etcdctl(
            "http://127.0.0.1:1",
            &["snapshot", "status", "-w", format, f],
            None,
        ),
        "etcdctl snapshot status",
    );
    let ours = ok_stdout(
        &our_bin(
            &["util", "snapshot", "status", "-w", format, f],
            Duration::from_secs(20),
        ),
        "etcd util snapshot status",
    );
    (official, ours)
}

#[test]
fn util_snapshot_status_of_an_etcd_snapshot_equals_etcdctls() {
    crate::require_etcd!();
    let etcd = Member::start(ServerKind::Etcd, MemberOpts::named("bbolt-status"));
    let ep = etcd.client_url();
    write_history(&ep);
    let dir = tempfile::tempdir().expect("tempdir");
    let snap = dir.path().join("etcd.db");
    ok_stdout(
        &etcdctl(
            &ep,
            &["snapshot", "save", snap.to_str().expect("utf-8")],
            None,
        ),
        "snapshot save",
    );
    drop(etcd);
    for format in ["json", "simple", "table"] {
        let (official, ours) = both_statuses(&snap, format);
        assert_eq!(ours, official, "-w {format}");
    }
    let (official, _) = both_statuses(&snap, "json");
    assert!(official.contains("\"revision\":"), "{official}");
}
