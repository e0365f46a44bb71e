//! etcd's snapshot format (bbolt) across tools, against the real etcd 3.4.23 (issue 9):
//!
//! - `util_snapshot_status_of_an_etcd_snapshot_equals_etcdctls`: real etcd writes a history
//!   (puts, overwrites, a delete, a lease, a compaction, a user and a role); its snapshot
//!   (`etcdctl snapshot save`) gets the same `snapshot status` from our `etcd util` and from
//!   the official etcdctl, in json, simple and table output.
//! - `our_snapshots_are_read_restored_and_served_by_official_etcd`: our Snapshot RPC and our
//!   offline export → official `etcdctl snapshot status` (revision and key count as etcd's
//!   snapshot of the same history) and `snapshot restore` → real etcd serves everything.
//! - `etcd_snapshot_restores_into_our_member_and_ours_round_trips`: etcd's snapshot → our
//!   `etcd util snapshot restore` → our member serves everything; ours → export → `etcd ctl
//!   snapshot restore` → ours too.

use std::path::Path;
use std::time::Duration;

use crate::harness::{etcdctl, ok_stdout, our_bin, our_ctl, Member, MemberOpts, ServerKind};

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

/// `etcdctl get "" --prefix -w json`: (header revision, every kv as JSON).
fn all_kvs(ep: &str) -> (i64, Vec<serde_json::Value>) {
    let out = ok_stdout(
        &etcdctl(ep, &["get", "", "--prefix", "-w", "json"], None),
        "get all",
    );
    let v: serde_json::Value = serde_json::from_str(&out).expect("get json");
    let rev = v["header"]["revision"].as_i64().expect("revision");
    let kvs = v["kvs"].as_array().cloned().unwrap_or_default();
    (rev, kvs)
}

fn status_json(file: &Path) -> serde_json::Value {
    let (official, _) = both_statuses(file, "json");
    serde_json::from_str(&official).expect("status json")
}

/// The same history on real etcd and on us; both our Snapshot RPC (official `etcdctl
/// snapshot save` against our server) and our offline `etcd util snapshot export` give files
/// the official `etcdctl snapshot status` reads with the same revision and key count as
/// etcd's own snapshot, and that `etcdctl snapshot restore` turns into a data dir real etcd
/// 3.4.23 boots from, serving every key at its revisions and versions, the lease, the user
/// and role, and the compaction.
#[test]
fn our_snapshots_are_read_restored_and_served_by_official_etcd() {
    crate::require_etcd!();
    let dir = tempfile::tempdir().expect("tempdir");

    let etcd = Member::start(ServerKind::Etcd, MemberOpts::named("bbolt-ref"));
    write_history(&etcd.client_url());
    let theirs = dir.path().join("theirs.db");
    ok_stdout(
        &etcdctl(
            &etcd.client_url(),
            &["snapshot", "save", theirs.to_str().expect("utf-8")],
            None,
        ),
        "snapshot save (etcd)",
    );
    drop(etcd);

    let mut ours_member = Member::start(ServerKind::Ours, MemberOpts::named("bbolt-src"));
    let ep = ours_member.client_url();
    let lease = write_history(&ep);
    let (rev, kvs) = all_kvs(&ep);
    let saved = dir.path().join("saved.db");
    ok_stdout(
        &etcdctl(
            &ep,
            &["snapshot", "save", saved.to_str().expect("utf-8")],
            None,
        ),
        "snapshot save (ours)",
    );
    ours_member.kill9();
    let exported = dir.path().join("exported.db");
    let data_dir = ours_member.data_dir().to_str().expect("utf-8").to_string();
    ok_stdout(
        &our_bin(
            &[
                "util",
                "snapshot",
                "export",
                "--data-dir",
                &data_dir,
                exported.to_str().expect("utf-8"),
            ],
            Duration::from_secs(30),
        ),
        "etcd util snapshot export",
    );
    assert!(!dir.path().join("exported.db.part").exists());

    let st_theirs = status_json(&theirs);
    for (i, ours) in [saved, exported].iter().enumerate() {
        let st_ours = status_json(ours);
        assert_eq!(
            st_ours["revision"], st_theirs["revision"],
            "{st_ours} vs {st_theirs}"
        );
        assert_eq!(st_ours["revision"].as_i64(), Some(rev));
        assert_eq!(
            st_ours["totalKey"], st_theirs["totalKey"],
            "{st_ours} vs {st_theirs}"
        );

        // Official restore into a fresh real-etcd member's place, then boot it.
        let name = format!("bbolt-restored{i}");
        let mut restored = Member::start(ServerKind::Etcd, MemberOpts::named(&name));
        restored.kill9();
        let target = dir.path().join(&name);
        let peer = restored.peer_url();
        ok_stdout(
            &etcdctl(
                "http://127.0.0.1:1",
                &[
                    "snapshot",
                    "restore",
                    ours.to_str().expect("utf-8"),
                    "--data-dir",
                    target.to_str().expect("utf-8"),
                    "--name",
                    &name,
                    "--initial-cluster",
                    &format!("{name}={peer}"),
                    "--initial-advertise-peer-urls",
                    &peer,
                ],
                None,
            ),
            "etcdctl snapshot restore",
        );
        std::fs::remove_dir_all(restored.data_dir().join("member")).expect("remove member dir");
        std::fs::rename(target.join("member"), restored.data_dir().join("member"))
            .expect("move restored member dir");
        restored.restart();
        assert_restored(&restored.client_url(), rev, &kvs, &lease);
    }
}

/// Restores `snap` with `etcd util snapshot restore` (`via_ctl`: `etcd ctl snapshot
/// restore`) into the place of a fresh member of ours (ports and data dir kept), restarts it
/// and returns it.
fn restore_into_our_member(snap: &Path, dir: &Path, name: &str, via_ctl: bool) -> Member {
    let mut m = Member::start(ServerKind::Ours, MemberOpts::named(name));
    m.kill9();
    let target = dir.join(format!("{name}-restored"));
    let peer = m.peer_url();
    let cluster = format!("{name}={peer}");
    let args = [
        "snapshot",
        "restore",
        snap.to_str().expect("utf-8"),
        "--data-dir",
        target.to_str().expect("utf-8"),
        "--name",
        name,
        "--initial-cluster",
        &cluster,
        "--initial-advertise-peer-urls",
        &peer,
    ];
    let out = if via_ctl {
        our_ctl("http://127.0.0.1:1", &args, None)
    } else {
        let util: Vec<&str> = std::iter::once("util").chain(args).collect();
        our_bin(&util, Duration::from_secs(30))
    };
    ok_stdout(&out, "our snapshot restore");
    std::fs::remove_dir_all(m.data_dir().join("member")).expect("remove member dir");
    std::fs::rename(target.join("member"), m.data_dir().join("member"))
        .expect("move restored member dir");
    m.restart();
    m
}

/// Checks a restored endpoint against the source's keys and the history of [`write_history`].
fn assert_restored(ep: &str, rev: i64, kvs: &[serde_json::Value], lease: &str) {
    let (rev2, kvs2) = all_kvs(ep);
    assert_eq!(rev2, rev, "revision after restore");
    assert_eq!(kvs2, kvs, "every key with its revisions and versions");
    let ttl = ok_stdout(
        &etcdctl(ep, &["lease", "timetolive", lease, "--keys"], None),
        "ttl",
    );
    assert!(ttl.contains("granted with TTL(600s)"), "{ttl}");
    assert!(ttl.contains("leased"), "the key stays attached: {ttl}");
    let user = ok_stdout(&etcdctl(ep, &["user", "get", "alice"], None), "user get");
    assert!(user.contains("r1"), "{user}");
    let role = ok_stdout(&etcdctl(ep, &["role", "get", "r1"], None), "role get");
    assert!(role.contains("[a, b)"), "{role}");
    let compacted = etcdctl(ep, &["get", "k000", "--rev=10"], None);
    assert!(
        String::from_utf8_lossy(&compacted.stderr).contains("compacted"),
        "a read below the compaction fails: {compacted:?}"
    );
    ok_stdout(
        &etcdctl(ep, &["put", "after", "restore"], None),
        "put after restore",
    );
    let (rev3, _) = all_kvs(ep);
    assert_eq!(rev3, rev + 1, "writes continue from the restored revision");
}

/// etcd 3.4.23's snapshot → `etcd util snapshot restore` → our member serves the same keys
/// (revisions, versions), the lease with its key, the user and role and the compaction; and
/// our export of a member of ours → our restore → the same again (ours → ours via etcd's
/// format).
#[test]
fn etcd_snapshot_restores_into_our_member_and_ours_round_trips() {
    crate::require_etcd!();
    let dir = tempfile::tempdir().expect("tempdir");
    let etcd = Member::start(ServerKind::Etcd, MemberOpts::named("bbolt-origin"));
    let lease = write_history(&etcd.client_url());
    let (rev, kvs) = all_kvs(&etcd.client_url());
    let snap = dir.path().join("etcd.db");
    ok_stdout(
        &etcdctl(
            &etcd.client_url(),
            &["snapshot", "save", snap.to_str().expect("utf-8")],
            None,
        ),
        "snapshot save",
    );
    drop(etcd);
    let ours = restore_into_our_member(&snap, dir.path(), "bbolt-in", false);
    assert_restored(&ours.client_url(), rev, &kvs, &lease);

    let mut src = Member::start(ServerKind::Ours, MemberOpts::named("bbolt-own"));
    let lease = write_history(&src.client_url());
    let (rev, kvs) = all_kvs(&src.client_url());
    src.kill9();
    let exported = dir.path().join("own.db");
    ok_stdout(
        &our_bin(
            &[
                "util",
                "snapshot",
                "export",
                "--data-dir",
                src.data_dir().to_str().expect("utf-8"),
                exported.to_str().expect("utf-8"),
            ],
            Duration::from_secs(30),
        ),
        "export",
    );
    let back = restore_into_our_member(&exported, dir.path(), "bbolt-back", true);
    assert_restored(&back.client_url(), rev, &kvs, &lease);
}
