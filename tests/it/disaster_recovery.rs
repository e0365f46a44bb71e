//! Disaster recovery as etcd's operators do it (issue 9, points 5 to 7):
//!
//! - `copied_member_snap_db_restores_with_skip_hash_check`: `member/snap/db` is ONE file;
//!   a copy of it (no sha256 trailer) restores with `etcdutl snapshot restore db
//!   --skip-hash-check` and is refused without it with etcd's message.
//! - `data_dir_with_the_old_directory_layout_still_opens`: a `member/snap/db/` directory (the
//!   layout before the one-file mode) opens as it is.
//! - `force_new_cluster_recovers_a_lost_majority`: a 3-member cluster loses two members; the
//!   survivor restarts with `--force-new-cluster` as a one-member cluster (same IDs, all
//!   data), takes writes, and a new member added with `member add` catches up.
//! - `seed_disaster_recovery_walkthrough_verbatim`: seed 001 §4.1-4.2 as written (`snapshot
//!   save`, three `etcdutl snapshot restore --name ...`, three `etcd --name ...` started in
//!   the directory holding `m1.etcd`..`m3.etcd`).
//! - `restore_bump_revision_mark_compacted`: etcdutl 3.5's `--bump-revision N
//!   --mark-compacted`: the restored member's revision is `latest + N`, older revisions and
//!   watches from them are compacted, new writes go above; the flags go together.
//! - `kill9_during_snapshot_save_and_restore_leaves_no_half_target`: `snapshot save` and
//!   `snapshot restore` of a ~16 MB store SIGKILLed at several points: the snapshot file and
//!   the data dir are absent or complete, never half-written.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use etcd_oxide::pb::etcdserverpb::kv_client::KvClient;
use etcd_oxide::pb::etcdserverpb::PutRequest;

use crate::harness::{
    free_port, ok_stdout, our_bin_as, our_ctl, run_with_timeout, Cluster, Member, MemberOpts, Proc,
    ServerKind, CLI_TIMEOUT,
};

/// Bound for a member to catch up or a cluster to form.
const CONVERGE: Duration = Duration::from_secs(40);

/// Polls `f` every 200 ms until it returns true, panicking with `what` after `within`.
fn wait_until(within: Duration, what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !f() {
        assert!(
            Instant::now() < deadline,
            "timed out after {within:?}: {what}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// `member list -w json` through our ctl: (cluster ID, answering member ID, [(ID, name)]).
fn member_list(ep: &str) -> (u64, u64, Vec<(u64, String)>) {
    let out = ok_stdout(
        &our_ctl(ep, &["member", "list", "-w", "json"], None),
        "list",
    );
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    let members = v["members"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|m| {
            (
                m["ID"].as_u64().expect("ID"),
                m["name"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    (
        v["header"]["cluster_id"].as_u64().expect("cluster_id"),
        v["header"]["member_id"].as_u64().expect("member_id"),
        members,
    )
}

/// `get <prefix> --prefix --consistency=s -w json` kvs through our ctl, `None` on failure.
fn serializable_kvs(ep: &str, prefix: &str) -> Option<Vec<serde_json::Value>> {
    let out = our_ctl(
        ep,
        &["get", prefix, "--prefix", "--consistency=s", "-w", "json"],
        None,
    );
    if !out.status.success() {
        return None;
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
    Some(v["kvs"].as_array().cloned().unwrap_or_default())
}

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

/// Seed 001 §3.3/§4 ("`--force-new-cluster` overrides the membership while keeping the
/// application data"): 3 members, two killed (by PID), the survivor restarted with
/// `--force-new-cluster` serves every key at its revision and the lease, with the same member
/// and cluster IDs as a one-member cluster; it takes writes; a member added back catches up.
#[test]
fn force_new_cluster_recovers_a_lost_majority() {
    let mut c = Cluster::start(ServerKind::Ours, 3, "fnc-token");
    let ep = c.members[0].client_url();
    put_keys(&ep, "k", 10);
    let lease = ok_stdout(&our_ctl(&ep, &["lease", "grant", "600"], None), "grant");
    let lease_id = lease
        .split_whitespace()
        .nth(1)
        .expect("lease id")
        .to_string();
    ok_stdout(
        &our_ctl(&ep, &["put", "kleased", "v", "--lease", &lease_id], None),
        "put leased",
    );
    let (rev, before) = kvs(&ep, "k");
    let (cid, mid, ms) = member_list(&ep);
    assert_eq!(ms.len(), 3);

    c.members[1].kill9();
    c.members[2].kill9();
    let m1 = &mut c.members[0];
    m1.opts.extra_args.push("--force-new-cluster".into());
    m1.restart();
    let (cid2, mid2, ms2) = member_list(&ep);
    assert_eq!((cid2, mid2), (cid, mid), "same cluster and member IDs");
    assert_eq!(ms2.len(), 1, "one-member cluster: {ms2:?}");
    assert_eq!(ms2[0].0, mid);
    let (rev2, after) = kvs(&ep, "k");
    assert_eq!((rev2, &after), (rev, &before), "data intact");
    let ttl = ok_stdout(
        &our_ctl(&ep, &["lease", "timetolive", &lease_id], None),
        "ttl",
    );
    assert!(ttl.contains("granted with TTL(600s)"), "{ttl}");
    ok_stdout(
        &our_ctl(&ep, &["put", "k100", "after"], None),
        "write after",
    );

    // Add a new member back; it catches up from the survivor.
    let ports = (free_port(), free_port());
    let peer = format!("http://127.0.0.1:{}", ports.1);
    let added = ok_stdout(
        &our_ctl(
            &ep,
            &["member", "add", "m4", &format!("--peer-urls={peer}")],
            None,
        ),
        "member add",
    );
    let ic = added
        .lines()
        .find_map(|l| l.strip_prefix("ETCD_INITIAL_CLUSTER="))
        .expect("ETCD_INITIAL_CLUSTER line")
        .trim_matches('"')
        .to_string();
    let m4 = Member::start(
        ServerKind::Ours,
        MemberOpts {
            name: "m4".into(),
            token: "fnc-token".into(),
            ports: Some(ports),
            initial_cluster: Some(ic),
            cluster_state: Some("existing".into()),
            ..Default::default()
        },
    );
    let want = kvs(&ep, "k").1;
    wait_until(CONVERGE, "m4 catches up", || {
        serializable_kvs(&m4.client_url(), "k").as_ref() == Some(&want)
    });
    ok_stdout(
        &our_ctl(&m4.client_url(), &["put", "k101", "via-m4"], None),
        "write through m4",
    );
    let (_, _, ms3) = member_list(&ep);
    assert_eq!(ms3.len(), 2, "{ms3:?}");
}

/// Our binary as `etcd` in `cwd` with `args` (no `ETCD_*` from the test's environment).
fn spawn_etcd(tools: &Path, cwd: &Path, args: &[String]) -> Proc {
    let mut cmd = our_bin_as(tools, "etcd");
    for (k, _) in std::env::vars() {
        if k.starts_with("ETCD_") {
            cmd.env_remove(k);
        }
    }
    cmd.current_dir(cwd).args(args);
    Proc::spawn(cmd, false)
}

/// Seed 001 §4.1-4.2 verbatim, `hostN` being 127.0.0.1 with free ports: `ETCDCTL_API=3
/// etcdctl --endpoints $ENDPOINT snapshot save snapshot.db`, then `etcdutl snapshot restore
/// snapshot.db --name mN --initial-cluster ... --initial-cluster-token etcd-cluster-1
/// --initial-advertise-peer-urls http://hostN:2380` for each member (default data dir
/// `mN.etcd`), then `etcd --name mN --listen-client-urls ... --advertise-client-urls ...
/// --listen-peer-urls ...` in that directory: the new cluster has 3 members and the data.
#[test]
fn seed_disaster_recovery_walkthrough_verbatim() {
    let tools = tempfile::tempdir().expect("tempdir");
    let work = tempfile::tempdir().expect("tempdir");
    let src = Member::start(ServerKind::Ours, MemberOpts::named("src"));
    put_keys(&src.client_url(), "k", 10);
    let (rev, before) = kvs(&src.client_url(), "k");

    let mut save = our_bin_as(tools.path(), "etcdctl");
    save.env("ETCDCTL_API", "3").current_dir(work.path()).args([
        "--endpoints",
        &src.client_url(),
        "snapshot",
        "save",
        "snapshot.db",
    ]);
    let out = run_with_timeout(save, None, CLI_TIMEOUT);
    assert!(
        ok_stdout(&out, "snapshot save").contains("Snapshot saved at snapshot.db"),
        "{out:?}"
    );
    drop(src);

    let hosts: Vec<(u16, u16)> = (0..3).map(|_| (free_port(), free_port())).collect();
    let cluster = hosts
        .iter()
        .enumerate()
        .map(|(i, (_, p))| format!("m{}=http://127.0.0.1:{p}", i + 1))
        .collect::<Vec<_>>()
        .join(",");
    for (i, (_, p)) in hosts.iter().enumerate() {
        let mut cmd = our_bin_as(tools.path(), "etcdutl");
        cmd.current_dir(work.path()).args([
            "snapshot",
            "restore",
            "snapshot.db",
            "--name",
            &format!("m{}", i + 1),
            "--initial-cluster",
            &cluster,
            "--initial-cluster-token",
            "etcd-cluster-1",
            "--initial-advertise-peer-urls",
            &format!("http://127.0.0.1:{p}"),
        ]);
        ok_stdout(&run_with_timeout(cmd, None, CLI_TIMEOUT), "restore");
        assert!(work.path().join(format!("m{}.etcd", i + 1)).is_dir());
    }
    let procs: Vec<Proc> = hosts
        .iter()
        .enumerate()
        .map(|(i, (c, p))| {
            let client = format!("http://127.0.0.1:{c}");
            spawn_etcd(
                tools.path(),
                work.path(),
                &[
                    "--name".into(),
                    format!("m{}", i + 1),
                    "--listen-client-urls".into(),
                    client.clone(),
                    "--advertise-client-urls".into(),
                    client,
                    "--listen-peer-urls".into(),
                    format!("http://127.0.0.1:{p}"),
                ],
            )
        })
        .collect();
    for ((c, _), proc) in hosts.iter().zip(&procs) {
        let ep = format!("http://127.0.0.1:{c}");
        wait_until(CONVERGE, &format!("{ep} serves the restored keys"), || {
            let got = our_ctl(&ep, &["get", "k", "--prefix", "-w", "json"], None);
            got.status.success()
                && serde_json::from_slice::<serde_json::Value>(&got.stdout)
                    .map(|v| {
                        v["header"]["revision"].as_i64() == Some(rev)
                            && v["kvs"].as_array() == Some(&before)
                    })
                    .unwrap_or(false)
                || {
                    assert!(
                        !proc.stderr().contains("etcdmain:"),
                        "member failed: {}",
                        proc.output()
                    );
                    false
                }
        });
    }
    let ep1 = format!("http://127.0.0.1:{}", hosts[0].0);
    let (_, _, ms) = member_list(&ep1);
    let mut names: Vec<String> = ms.into_iter().map(|(_, n)| n).collect();
    names.sort();
    assert_eq!(names, ["m1", "m2", "m3"]);
    ok_stdout(&our_ctl(&ep1, &["put", "k100", "new"], None), "write");
    drop(procs);
}

/// etcdutl 3.5: `snapshot restore --bump-revision 1000 --mark-compacted` on a snapshot at
/// revision R: the member serves revision R+1000, every key unchanged; a read or a watch
/// from an older revision gets the compacted error; the next write is R+1001. Either flag
/// alone is refused (exit 128).
#[test]
fn restore_bump_revision_mark_compacted() {
    let tools = tempfile::tempdir().expect("tempdir");
    let src = Member::start(ServerKind::Ours, MemberOpts::named("src"));
    put_keys(&src.client_url(), "k", 10);
    let (rev, before) = kvs(&src.client_url(), "k");
    let snap = tools.path().join("snap.db");
    let snap_s = snap.to_str().expect("utf-8");
    ok_stdout(
        &our_ctl(&src.client_url(), &["snapshot", "save", snap_s], None),
        "save",
    );
    drop(src);

    let mut m = Member::start(ServerKind::Ours, MemberOpts::named("m1"));
    let peer = m.peer_url();
    let cluster = format!("m1={peer}");
    let restored = tools.path().join("m1.etcd");
    let restored_s = restored.to_str().expect("utf-8");
    let base = [
        "snapshot",
        "restore",
        snap_s,
        "--name",
        "m1",
        "--initial-cluster",
        &cluster,
        "--initial-advertise-peer-urls",
        &peer,
        "--data-dir",
        restored_s,
    ];
    for alone in [&["--bump-revision", "1000"][..], &["--mark-compacted"][..]] {
        let args: Vec<&str> = base.iter().copied().chain(alone.iter().copied()).collect();
        let out = etcdutl(tools.path(), &args);
        assert_eq!(out.status.code(), Some(128), "{alone:?}: {out:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("--mark-compacted"),
            "{out:?}"
        );
        assert!(!restored.exists());
    }
    let args: Vec<&str> = base
        .iter()
        .copied()
        .chain(["--bump-revision", "1000", "--mark-compacted"])
        .collect();
    ok_stdout(&etcdutl(tools.path(), &args), "restore --bump-revision");
    boot_restored(&mut m, &restored);
    let ep = m.client_url();
    let (rev2, after) = kvs(&ep, "k");
    assert_eq!(rev2, rev + 1000, "revision bumped by 1000");
    assert_eq!(after, before, "keys keep their revisions and versions");
    let old = our_ctl(&ep, &["get", "k000", &format!("--rev={rev}")], None);
    assert!(
        String::from_utf8_lossy(&old.stderr).contains("required revision has been compacted"),
        "{old:?}"
    );
    let mut watch_cmd = our_bin_as(tools.path(), "etcdctl");
    watch_cmd.args([
        &format!("--endpoints={ep}"),
        "watch",
        "k000",
        &format!("--rev={rev}"),
    ]);
    let watch = Proc::spawn(watch_cmd, false);
    wait_until(
        Duration::from_secs(15),
        "the old watch is compacted",
        || watch.output().contains("compacted"),
    );
    drop(watch);
    ok_stdout(&our_ctl(&ep, &["put", "k100", "new"], None), "put");
    assert_eq!(kvs(&ep, "k").0, rev + 1001, "the next write goes above");
}

/// Puts `n` keys `big<i>` of `len` bytes each over gRPC (bounded per request).
fn put_big(url: &str, n: usize, len: usize) {
    crate::harness::runtime().block_on(async {
        let ch = crate::harness::connect(url, Duration::from_secs(10)).await;
        let mut kv = KvClient::new(ch);
        for i in 0..n {
            let req = PutRequest {
                key: format!("big{i:04}").into_bytes(),
                value: vec![b'a' + (i % 26) as u8; len],
                ..Default::default()
            };
            tokio::time::timeout(Duration::from_secs(10), kv.put(req))
                .await
                .expect("put timed out")
                .expect("put");
        }
    });
}

/// Spawns `argv0 args` (our binary under that name), sleeps `delay`, SIGKILLs it by PID.
fn kill_after(tools: &Path, argv0: &str, args: &[&str], delay: Duration) {
    let mut cmd = our_bin_as(tools, argv0);
    cmd.args(args);
    let mut p = Proc::spawn(cmd, false);
    std::thread::sleep(delay);
    p.kill();
}

/// Issue 9 point 7: SIGKILL during `snapshot save` leaves the target absent or a complete
/// snapshot (status reads it at the store's revision); during `snapshot restore` the data dir
/// is absent or complete (hashkv reads it at the snapshot's revision), and a new restore
/// over the leftovers of a killed one succeeds.
#[test]
fn kill9_during_snapshot_save_and_restore_leaves_no_half_target() {
    let tools = tempfile::tempdir().expect("tempdir");
    let t = tools.path();
    let src = Member::start(ServerKind::Ours, MemberOpts::named("big"));
    let ep = src.client_url();
    put_big(&ep, 64, 256 * 1024);
    let rev = kvs(&ep, "big0000").0;
    let delays = [10u64, 60, 250];

    for d in delays {
        let target = t.join(format!("save-{d}.db"));
        let target_s = target.to_str().expect("utf-8");
        kill_after(
            t,
            "etcdctl",
            &[&format!("--endpoints={ep}"), "snapshot", "save", target_s],
            Duration::from_millis(d),
        );
        if target.exists() {
            let st = ok_stdout(
                &etcdutl(t, &["snapshot", "status", target_s, "-w", "json"]),
                "status of a saved snapshot after kill",
            );
            assert!(st.contains(&format!("\"revision\":{rev}")), "{st}");
        }
    }
    let snap = t.join("snap.db");
    let snap_s = snap.to_str().expect("utf-8");
    let mut save = our_bin_as(t, "etcdctl");
    save.args([&format!("--endpoints={ep}"), "snapshot", "save", snap_s]);
    ok_stdout(&run_with_timeout(save, None, CLI_TIMEOUT), "save");
    drop(src);

    let peer = "http://127.0.0.1:1";
    let cluster = format!("m1={peer}");
    for d in delays {
        let dd = t.join(format!("restore-{d}.etcd"));
        let dd_s = dd.to_str().expect("utf-8");
        let args = [
            "snapshot",
            "restore",
            snap_s,
            "--data-dir",
            dd_s,
            "--name",
            "m1",
            "--initial-cluster",
            &cluster,
            "--initial-advertise-peer-urls",
            peer,
        ];
        kill_after(t, "etcdutl", &args, Duration::from_millis(d));
        if !dd.exists() {
            ok_stdout(
                &etcdutl(t, &args),
                "restore over a killed restore's leftovers",
            );
        }
        let h = ok_stdout(
            &etcdutl(t, &["hashkv", "--data-dir", dd_s, "-w", "json"]),
            "hashkv of a restored data dir",
        );
        assert!(h.contains(&format!("{rev}")), "{h}");
        assert!(dd.join("member/wal").is_dir(), "complete: the wal is there");
    }
}
