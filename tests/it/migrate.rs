//! `etcd ctl migrate` (issue 11 point 6): v2 keys become v3 keys offline.
//!
//! - `seed_migrate_walkthrough_verbatim`: the seed's walkthrough (001, "如何将 etcd 从 v2 迁移到
//!   v3") on our member named `default` with `--data-dir default.etcd`: `ETCDCTL_API=2 etcdctl
//!   --endpoints=http://$ENDPOINT set foo bar`, `--output="json" get foo`, stop, `ETCDCTL_API=3
//!   etcdctl --endpoints=$ENDPOINT migrate --data-dir="default.etcd"
//!   --wal-dir="default.etcd/member/wal"`, start, `get /foo` prints `/foo` and `bar` (our ctl and
//!   the official etcdctl).
//! - `migrate_matches_etcds_own_migrate`: the same v2 writes (files, a directory, an updated
//!   key, a replaced key, a TTL key, an empty directory) on real etcd 3.4.23 migrated by its own
//!   `etcdctl migrate`, and on our member migrated by ours; after restart `get "" --prefix -w
//!   json` (official etcdctl) gives the same keys, values and versions, in the same
//!   create-revision order. Documented delta (`apply::migrate_v2`): our TTL key is attached to
//!   a lease with its remaining TTL, etcd's has none. `--no-ttl` leaves the TTL key out on both.
//!
//! Every child has a deadline and is killed on drop.

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use serde_json::Value;

use crate::harness::{
    self, etcdctl, interop_or_skip, ok_stdout, Member, MemberOpts, ServerKind, ETCDCTL_BIN,
};

/// `<bin> [ctl] args…` with `ETCDCTL_API=<api>`, in `cwd`, killed after the CLI timeout.
fn ctl(bin: &str, api: &str, cwd: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(bin);
    for (k, _) in std::env::vars() {
        if k.starts_with("ETCDCTL_") {
            cmd.env_remove(k);
        }
    }
    if bin != ETCDCTL_BIN {
        cmd.arg("ctl");
    }
    cmd.current_dir(cwd).env("ETCDCTL_API", api).args(args);
    harness::run_with_timeout(cmd, None, harness::CLI_TIMEOUT)
}

fn ours() -> &'static str {
    env!("CARGO_BIN_EXE_etcd")
}

/// A `default` member with `--enable-v2` on `<dir>/default.etcd`.
fn v2_member(kind: ServerKind, dir: &Path) -> Member {
    Member::start(
        kind,
        MemberOpts {
            extra_args: vec!["--enable-v2".into()],
            data_dir: Some(dir.join("default.etcd")),
            ..MemberOpts::named("default")
        },
    )
}

#[test]
fn seed_migrate_walkthrough_verbatim() {
    let dir = tempfile::tempdir().unwrap();
    let mut m = v2_member(ServerKind::Ours, dir.path());
    let endpoint = format!("127.0.0.1:{}", m.client_port);
    let ep_url = format!("--endpoints=http://{endpoint}");
    let out = ctl(ours(), "2", dir.path(), &[&ep_url, "set", "foo", "bar"]);
    assert_eq!(ok_stdout(&out, "v2 set"), "bar\n");
    let ep = format!("--endpoints={endpoint}");
    // `$ENDPOINTS` must carry a scheme for v2: etcdctl 3.4 refuses `host:port` the same way.
    let out = ctl(
        ours(),
        "2",
        dir.path(),
        &[&ep, "--output=json", "get", "foo"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!("parse \"{endpoint}\": first path segment in URL cannot contain colon\n")
    );
    let out = ctl(
        ours(),
        "2",
        dir.path(),
        &[&ep_url, "--output=json", "get", "foo"],
    );
    let got = ok_stdout(&out, "v2 get");
    assert!(got.contains(r#""key":"/foo","value":"bar""#), "{got}");
    m.stop(Duration::from_secs(20));

    let out = ctl(
        ours(),
        "3",
        dir.path(),
        &[
            &ep,
            "migrate",
            "--data-dir=default.etcd",
            "--wal-dir=default.etcd/member/wal",
        ],
    );
    assert_eq!(
        ok_stdout(&out, "migrate"),
        "using default transformer\nfinished transforming keys\n"
    );
    m.restart();
    let out = ctl(ours(), "3", dir.path(), &[&ep, "get", "/foo"]);
    assert_eq!(ok_stdout(&out, "get /foo"), "/foo\nbar\n");
    if harness::etcd_available() {
        let out = etcdctl(&endpoint, &["get", "/foo"], None);
        assert_eq!(ok_stdout(&out, "etcdctl get /foo"), "/foo\nbar\n");
    }
    // The v2 store is left as it was.
    let out = ctl(ours(), "2", dir.path(), &[&ep_url, "get", "foo"]);
    assert_eq!(ok_stdout(&out, "v2 get after migrate"), "bar\n");
}

/// The v2 writes of the differential (etcdctl v2 commands).
const V2_WRITES: &[&[&str]] = &[
    &["set", "foo", "bar"],
    &["set", "/dir/a", "1"],
    &["set", "--ttl", "100", "t", "tv"],
    &["set", "foo", "bar2"],
    &["mkdir", "emptydir"],
    &["set", "/dir/b", "2"],
    &["update", "/dir/a", "11"],
];

/// Writes [`V2_WRITES`] on a fresh `kind` member, stops it, migrates with `migrate_bin`
/// (extra flags `extra`), restarts and returns the member and the official etcdctl's
/// `get "" --prefix -w json` kvs.
/// The temp dir is returned after the member so that it is dropped (removed) after it.
fn migrated(
    kind: ServerKind,
    migrate_bin: &str,
    extra: &[&str],
) -> (Member, tempfile::TempDir, Vec<Value>) {
    let dir = tempfile::tempdir().unwrap();
    let mut m = v2_member(kind, dir.path());
    let ep = format!("--endpoints=http://127.0.0.1:{}", m.client_port);
    for w in V2_WRITES {
        let mut args = vec![ep.as_str()];
        args.extend_from_slice(w);
        let out = ctl(ETCDCTL_BIN, "2", dir.path(), &args);
        ok_stdout(&out, &format!("{} {w:?}", kind.label()));
    }
    m.stop(Duration::from_secs(20));
    let mut args = vec![ep.as_str(), "migrate", "--data-dir=default.etcd"];
    args.extend_from_slice(extra);
    let out = ctl(migrate_bin, "3", dir.path(), &args);
    let text = ok_stdout(&out, &format!("{} migrate", kind.label()));
    assert!(text.contains("finished transforming keys"), "{text}");
    m.restart();
    let out = etcdctl(
        &format!("127.0.0.1:{}", m.client_port),
        &["get", "", "--prefix", "-w", "json"],
        None,
    );
    let v: Value = serde_json::from_str(&ok_stdout(&out, "get -w json")).unwrap();
    let mut kvs = v["kvs"].as_array().cloned().unwrap_or_default();
    kvs.sort_by_key(|kv| kv["create_revision"].as_i64().unwrap());
    (m, dir, kvs)
}

/// (key, value, version) in create-revision order.
fn shape(kvs: &[Value]) -> Vec<(String, String, i64)> {
    kvs.iter()
        .map(|kv| {
            (
                kv["key"].as_str().unwrap().to_string(),
                kv["value"].as_str().unwrap().to_string(),
                kv["version"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn lease_of(kvs: &[Value], key_b64: &str) -> i64 {
    kvs.iter()
        .find(|kv| kv["key"] == key_b64)
        .map(|kv| kv["lease"].as_i64().unwrap_or(0))
        .unwrap_or(-1)
}

#[test]
fn migrate_matches_etcds_own_migrate() {
    if !interop_or_skip("migrate_matches_etcds_own_migrate") {
        return;
    }
    let (_e, _ed, theirs) = migrated(ServerKind::Etcd, ETCDCTL_BIN, &[]);
    let (ours_m, _od, mine) = migrated(
        ServerKind::Ours,
        ours(),
        &["--wal-dir=default.etcd/member/wal"],
    );
    assert_eq!(
        shape(&mine),
        shape(&theirs),
        "\nours: {mine:?}\netcd: {theirs:?}"
    );
    // "/dir/a", "/t", "/foo", "/dir/b" in createdIndex order.
    let keys: Vec<String> = shape(&mine).into_iter().map(|s| s.0).collect();
    assert_eq!(keys, ["L2Rpci9h", "L3Q=", "L2Zvbw==", "L2Rpci9i"]);
    // Our own revisions: one per key, consecutive, create == mod.
    let revs: Vec<(i64, i64)> = mine
        .iter()
        .map(|kv| {
            (
                kv["create_revision"].as_i64().unwrap(),
                kv["mod_revision"].as_i64().unwrap(),
            )
        })
        .collect();
    let first = revs[0].0;
    for (i, (c, m)) in revs.iter().enumerate() {
        assert_eq!((*c, *m), (first + i as i64, first + i as i64), "{revs:?}");
    }
    // The documented delta: etcd drops the TTL, we attach a lease with the remaining TTL.
    assert_eq!(lease_of(&theirs, "L3Q="), 0);
    let lease = lease_of(&mine, "L3Q=");
    assert!(lease > 0, "{mine:?}");
    let ep = format!("127.0.0.1:{}", ours_m.client_port);
    let out = etcdctl(
        &ep,
        &["lease", "timetolive", &format!("{lease:x}"), "--keys"],
        None,
    );
    let ttl = ok_stdout(&out, "lease timetolive");
    assert!(ttl.contains("attached keys([/t])"), "{ttl}");
    assert!(
        ttl.contains("granted with TTL(100s)") || ttl.contains("granted with TTL(99s)"),
        "{ttl}"
    );
    assert_eq!(lease_of(&theirs, "L2Zvbw=="), 0);
    assert_eq!(lease_of(&mine, "L2Zvbw=="), 0);

    // --no-ttl: the TTL key is not converted, on both.
    let (_e2, _ed2, theirs) = migrated(ServerKind::Etcd, ETCDCTL_BIN, &["--no-ttl"]);
    let (_o2, _od2, mine) = migrated(ServerKind::Ours, ours(), &["--no-ttl"]);
    assert_eq!(shape(&mine), shape(&theirs));
    assert_eq!(lease_of(&mine, "L3Q="), -1);
}

/// A data dir without a database is refused (exit 1), nothing is created.
#[test]
fn migrate_refuses_a_missing_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let out = ctl(ours(), "3", dir.path(), &["migrate", "--data-dir=nowhere"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Error: open nowhere/member/snap/db"), "{err}");
    assert!(!dir.path().join("nowhere").exists());
}
