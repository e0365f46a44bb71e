//! Disaster recovery as etcd's operators do it (issue 9, points 5 to 7):
//!
//! - `copied_member_snap_db_restores_with_skip_hash_check`: `member/snap/db` is ONE file;
//!   a copy of it (no sha256 trailer) restores with `etcdutl snapshot restore db
//!   --skip-hash-check` and is refused without it with etcd's message.
//! - `data_dir_with_the_old_directory_layout_still_opens`: a `member/snap/db/` directory (the
//!   layout before the one-file mode) opens as it is.

use std::path::Path;
use std::process::Command;

use crate::harness::{
    ok_stdout, our_bin_as, our_ctl, run_with_timeout, Member, MemberOpts, ServerKind, CLI_TIMEOUT,
};

/// Puts `n` keys `prefix<i>` = `v<i>` through our ctl.
fn put_keys(ep: &str, prefix: &str, n: usize) {
    for i in 0..n {
        ok_stdout(
            &our_ctl(
                ep,
                &["put", &format!("{prefix}{i:03}"), &format!("v{i}")],
                None,
            ),
            "put",
        );
    }
}

/// `get <prefix> --prefix -w json` through our ctl: (header revision, kvs).
fn kvs(ep: &str, prefix: &str) -> (i64, Vec<serde_json::Value>) {
    let out = ok_stdout(
        &our_ctl(ep, &["get", prefix, "--prefix", "-w", "json"], None),
        "get",
    );
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    let rev = v["header"]["revision"].as_i64().expect("revision");
    let kvs = v["kvs"].as_array().cloned().unwrap_or_default();
    (rev, kvs)
}

/// `etcdutl <args>` (our binary under that name, in `tools`), within [`CLI_TIMEOUT`].
fn etcdutl(tools: &Path, args: &[&str]) -> std::process::Output {
    let mut cmd: Command = our_bin_as(tools, "etcdutl");
    cmd.args(args);
    run_with_timeout(cmd, None, CLI_TIMEOUT)
}

/// Replaces `m`'s `member` dir with the restored `restored/member` and restarts it.
fn boot_restored(m: &mut Member, restored: &Path) {
    m.kill9();
    std::fs::remove_dir_all(m.data_dir().join("member")).expect("remove member dir");
    std::fs::rename(restored.join("member"), m.data_dir().join("member"))
        .expect("move restored member dir");
    m.restart();
}

/// Seed 001 §4.1/4.2: "a snapshot can also be taken by copying `member/snap/db` from a data
/// dir; it has no integrity hash and restores only with `--skip-hash-check`".
#[test]
fn copied_member_snap_db_restores_with_skip_hash_check() {
    let tools = tempfile::tempdir().expect("tempdir");
    let mut src = Member::start(ServerKind::Ours, MemberOpts::named("src"));
    put_keys(&src.client_url(), "k", 20);
    let (rev, before) = kvs(&src.client_url(), "k");
    src.kill9();
    let db_file = src.data_dir().join("member/snap/db");
    assert!(db_file.is_file(), "member/snap/db must be one file");
    let db = tools.path().join("db");
    std::fs::copy(&db_file, &db).expect("copy member/snap/db");
    let db_s = db.to_str().expect("utf-8");

    let status = ok_stdout(
        &etcdutl(tools.path(), &["snapshot", "status", db_s]),
        "status",
    );
    assert!(
        status.contains(&format!(", {rev}, ")),
        "status of the copied db shows revision {rev}: {status}"
    );

    let mut m = Member::start(ServerKind::Ours, MemberOpts::named("m1"));
    let peer = m.peer_url();
    let cluster = format!("m1={peer}");
    let restored = tools.path().join("m1.etcd");
    let restored_s = restored.to_str().expect("utf-8");
    let restore_args = |skip: bool| {
        let mut a = vec![
            "snapshot",
            "restore",
            db_s,
            "--name",
            "m1",
            "--initial-cluster",
            &cluster,
            "--initial-advertise-peer-urls",
            &peer,
            "--data-dir",
            restored_s,
        ];
        if skip {
            a.push("--skip-hash-check");
        }
        a.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let refused = etcdutl(
        tools.path(),
        &restore_args(false)
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert!(!refused.status.success(), "{refused:?}");
    assert!(
        String::from_utf8_lossy(&refused.stderr)
            .contains("snapshot missing hash but --skip-hash-check=false"),
        "{refused:?}"
    );
    assert!(!restored.exists(), "a refused restore leaves no data dir");
    ok_stdout(
        &etcdutl(
            tools.path(),
            &restore_args(true)
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
        ),
        "restore --skip-hash-check",
    );
    assert!(restored.join("member/snap/db").is_file());
    boot_restored(&mut m, &restored);
    let (rev2, after) = kvs(&m.client_url(), "k");
    assert_eq!(rev2, rev, "same revision after restore");
    assert_eq!(after, before, "same keys, revisions and versions");
    ok_stdout(
        &our_ctl(&m.client_url(), &["put", "k999", "x"], None),
        "put",
    );
}

/// A data dir written before `member/snap/db` became one file (`db/` holding `data.mdb`)
/// still opens, keeps its data and takes writes.
#[test]
fn data_dir_with_the_old_directory_layout_still_opens() {
    let mut m = Member::start(ServerKind::Ours, MemberOpts::named("old"));
    put_keys(&m.client_url(), "o", 5);
    let (rev, before) = kvs(&m.client_url(), "o");
    m.kill9();
    let snap = m.data_dir().join("member/snap");
    let _ = std::fs::remove_file(snap.join("db-lock"));
    std::fs::create_dir(snap.join("db.dir")).expect("mkdir");
    std::fs::rename(snap.join("db"), snap.join("db.dir/data.mdb")).expect("mv");
    std::fs::rename(snap.join("db.dir"), snap.join("db")).expect("mv");
    m.restart();
    let (rev2, after) = kvs(&m.client_url(), "o");
    assert_eq!((rev2, &after), (rev, &before));
    ok_stdout(&our_ctl(&m.client_url(), &["put", "o9", "x"], None), "put");
    m.kill9();
    assert!(snap.join("db").is_dir(), "the old layout is used as it is");
}
