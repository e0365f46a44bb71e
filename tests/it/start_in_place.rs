//! Start in place (issue 9, point 4): a data dir written by the real etcd 3.4.23, stopped
//! cleanly, restarted on our binary with the same flags.
//!
//! - `one_etcd_member_restarts_in_place_on_our_binary`: keys (create/mod revisions,
//!   versions), the lease, user and role, the compaction, member and cluster IDs equal; etcd's
//!   files kept in `member.etcd-backup`; a write afterwards works; a second start is a plain
//!   restart; a stale half-built temp dir is discarded, and a kill between the two renames is
//!   finished by the next start.
//! - `three_member_etcd_cluster_restarts_in_place_as_one_cluster`: every member converted,
//!   one cluster again, the member stopped earlier catches up from the leader, a write
//!   replicates to all.
//! - `a_corrupt_etcd_wal_is_refused_and_left_untouched`: one flipped byte in the WAL: one
//!   clear line, exit, every file as it was.
//! - `util_import_then_our_member_serves_etcds_data` / `util_export_gives_a_data_dir_real_etcd_restarts_from`:
//!   `etcd util import|export` offline, both ways; the other server restarts on the result
//!   with the same flags and serves the same data under the same IDs.
//! - `etcd_member_with_wal_dir_restarts_in_place_with_the_same_flags`: etcd run with
//!   `--wal-dir W`, restarted on ours with the same flags (and refused without it); `util
//!   import --wal-dir`; the documented way back; `util snapshot restore --wal-dir`.
//! - `etcd_v2_store_converts_in_place_and_exports_back`: etcd's v2 store (`--enable-v2`, keys
//!   in the `.snap` and v2 requests in the WAL, v2 auth) served the same by ours after the
//!   start in place (tree with indexes and expirations, gets, role, store index), and by
//!   real etcd again after `etcd util export`.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use crate::etcd_snapshot::write_history;
use crate::harness::{etcdctl, ok_stdout, our_bin, Cluster, Member, MemberOpts, ServerKind};

const STOP: Duration = Duration::from_secs(20);

/// What both servers must answer the same: every kv (JSON, with revisions and versions),
/// the revision, the member list, leases, auth, and the compaction.
#[derive(Debug, PartialEq)]
struct Observed {
    revision: i64,
    kvs: serde_json::Value,
    cluster_id: u64,
    member_id: u64,
    members: Vec<(u64, String, Vec<String>, Vec<String>)>,
    leases: String,
    lease_keys: String,
    users: String,
    alice: String,
    role: String,
    compacted: String,
}

fn json(ep: &str, args: &[&str]) -> serde_json::Value {
    let out = ok_stdout(&etcdctl(ep, args, None), &args.join(" "));
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}: {out}"))
}

fn observe(ep: &str, lease: &str) -> Observed {
    let get = json(ep, &["get", "", "--prefix", "-w", "json"]);
    let list = json(ep, &["member", "list", "-w", "json"]);
    let mut members: Vec<_> = list["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|m| {
            let strs = |k: &str| -> Vec<String> {
                m[k].as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|v| v.as_str().map(String::from))
                            .collect()
                    })
                    .unwrap_or_default()
            };
            (
                m["ID"].as_u64().expect("ID"),
                m["name"].as_str().unwrap_or_default().to_string(),
                strs("peerURLs"),
                strs("clientURLs"),
            )
        })
        .collect();
    members.sort();
    let ttl = ok_stdout(
        &etcdctl(ep, &["lease", "timetolive", lease, "--keys"], None),
        "timetolive",
    );
    let compacted = etcdctl(ep, &["get", "k000", "--rev=30"], None);
    Observed {
        revision: get["header"]["revision"].as_i64().expect("revision"),
        kvs: get["kvs"].clone(),
        cluster_id: list["header"]["cluster_id"].as_u64().expect("cluster_id"),
        member_id: list["header"]["member_id"].as_u64().expect("member_id"),
        members,
        leases: ok_stdout(&etcdctl(ep, &["lease", "list"], None), "lease list"),
        // "granted with TTL(600s), remaining(599s), attached keys([leased])": the remaining
        // time moves, the granted TTL and keys must not.
        lease_keys: ttl
            .split(", ")
            .filter(|p| !p.starts_with("remaining"))
            .collect::<Vec<_>>()
            .join(", "),
        users: ok_stdout(&etcdctl(ep, &["user", "list"], None), "user list"),
        alice: ok_stdout(&etcdctl(ep, &["user", "get", "alice"], None), "user get"),
        role: ok_stdout(&etcdctl(ep, &["role", "get", "r1"], None), "role get"),
        compacted: String::from_utf8_lossy(&compacted.stderr)
            .lines()
            .last()
            .unwrap_or_default()
            .to_string(),
    }
}

/// Field by field, so a failure names what differs.
fn assert_same(after: &Observed, before: &Observed) {
    assert_eq!(after.revision, before.revision, "revision");
    assert_eq!(after.cluster_id, before.cluster_id, "cluster ID");
    assert_eq!(after.member_id, before.member_id, "member ID");
    assert_eq!(after.members, before.members, "members");
    assert_eq!(after.leases, before.leases, "leases");
    assert_eq!(after.lease_keys, before.lease_keys, "lease keys");
    assert_eq!(after.users, before.users, "users");
    assert_eq!(after.alice, before.alice, "user alice");
    assert_eq!(after.role, before.role, "role r1");
    assert_eq!(after.compacted, before.compacted, "compaction");
    assert!(after.kvs == before.kvs, "kvs differ");
}

/// Every file under `dir` with its bytes' length and a hash, to show a dir was untouched.
fn tree(dir: &Path) -> BTreeMap<String, (u64, u64)> {
    use std::hash::{Hash, Hasher};
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let bytes = std::fs::read(&p).expect("read");
                let mut h = std::collections::hash_map::DefaultHasher::new();
                bytes.hash(&mut h);
                out.insert(
                    p.strip_prefix(dir).expect("prefix").display().to_string(),
                    (bytes.len() as u64, h.finish()),
                );
            }
        }
    }
    out
}

#[test]
fn one_etcd_member_restarts_in_place_on_our_binary() {
    crate::require_etcd!();
    // Small snapshot count: etcd writes .snap files and WAL snapshot records to read.
    let mut m = Member::start(
        ServerKind::Etcd,
        MemberOpts {
            extra_args: vec!["--snapshot-count=20".into()],
            ..MemberOpts::named("inplace1")
        },
    );
    let ep = m.client_url();
    let lease = write_history(&ep);
    let before = observe(&ep, &lease);
    assert!(
        before.compacted.contains("compacted"),
        "{}",
        before.compacted
    );
    m.stop(STOP); // etcd re-raises SIGTERM after its clean shutdown
    let etcd_files = tree(&m.data_dir().join("member"));
    assert!(
        etcd_files.keys().any(|f| f.ends_with(".snap")),
        "etcd wrote .snap files: {etcd_files:?}"
    );
    // A conversion killed half-way leaves its temp dir behind: discarded, converted again.
    let stale = m.data_dir().join("member.oxide-tmp");
    std::fs::create_dir_all(stale.join("snap")).expect("stale tmp");
    std::fs::write(stale.join("snap").join("junk"), b"half").expect("junk");

    m.kind = ServerKind::Ours;
    m.restart();
    let after = observe(&ep, &lease);
    assert_same(&after, &before);
    let log = m.stderr();
    assert!(log.contains("converted the etcd data dir"), "{log}");
    let backup = m.data_dir().join("member.etcd-backup");
    assert_eq!(
        tree(&backup),
        etcd_files,
        "etcd's files are kept as they were"
    );
    assert!(!m.data_dir().join("member.oxide-tmp").exists());

    ok_stdout(&etcdctl(&ep, &["put", "after", "swap"], None), "put after");
    let got = ok_stdout(
        &etcdctl(&ep, &["get", "after", "--print-value-only"], None),
        "get",
    );
    assert_eq!(got.trim(), "swap");

    // The second start is a plain restart of our own data dir.
    m.restart();
    let again = ok_stdout(
        &etcdctl(&ep, &["get", "after", "--print-value-only"], None),
        "get",
    );
    assert_eq!(again.trim(), "swap");
    assert_eq!(m.stderr().matches("converted the etcd data dir").count(), 1);

    // A kill between the two renames (etcd's dir already in the backup, the complete new dir
    // still under its temp name): the next start finishes the swap.
    m.stop(STOP);
    std::fs::rename(m.data_dir().join("member"), &stale).expect("undo the last rename");
    std::fs::write(stale.join("CONVERTED"), b"converted from etcd\n").expect("marker");
    m.restart();
    assert!(m.stderr().contains("finished converting the etcd data dir"));
    let again = ok_stdout(
        &etcdctl(&ep, &["get", "after", "--print-value-only"], None),
        "get",
    );
    assert_eq!(again.trim(), "swap");
    assert!(!stale.exists());
    assert_eq!(tree(&backup), etcd_files);
}

#[test]
fn three_member_etcd_cluster_restarts_in_place_as_one_cluster() {
    crate::require_etcd!();
    let mut c = Cluster::start_with(ServerKind::Etcd, 3, "inplace-3", false, &|_| {
        vec!["--snapshot-count=20".into()]
    });
    let ep = c.members[0].client_url();
    let lease = write_history(&ep);
    // m3 stops first and misses the last writes: it must catch up from the leader.
    c.members[2].stop(STOP);
    for i in 0..5 {
        ok_stdout(
            &etcdctl(&ep, &["put", &format!("late{i}"), "v"], None),
            "put while m3 is down",
        );
    }
    let before = observe(&ep, &lease);
    for m in c.members.iter_mut() {
        if m.pid().is_some() {
            m.stop(STOP);
        }
        m.kind = ServerKind::Ours;
    }
    c.kill_all_and_restart();
    // The member that was behind catches up (a snapshot from the leader: the converted
    // logs start empty at each member's own applied index).
    let m3 = c.members[2].client_url();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let got = etcdctl(
            &m3,
            &["get", "late4", "--print-value-only", "--consistency=s"],
            None,
        );
        if String::from_utf8_lossy(&got.stdout).trim() == "v" {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "m3 did not catch up: {}",
            c.members[2].stderr_tail(30)
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    for m in &c.members {
        let after = observe(&m.client_url(), &lease);
        assert_eq!(after.kvs, before.kvs, "{}", m.opts.name);
        assert_eq!(after.cluster_id, before.cluster_id);
        assert_eq!(after.members, before.members);
        assert_eq!(after.revision, before.revision);
    }
    ok_stdout(
        &etcdctl(&c.endpoints(), &["put", "after", "swap"], None),
        "put",
    );
    for m in &c.members {
        let got = ok_stdout(
            &etcdctl(
                &m.client_url(),
                &["get", "after", "--print-value-only", "--consistency=s"],
                None,
            ),
            "get",
        );
        // A serializable read on a follower may lag the commit by a heartbeat.
        if got.trim() != "swap" {
            std::thread::sleep(Duration::from_secs(1));
            let got = ok_stdout(
                &etcdctl(
                    &m.client_url(),
                    &["get", "after", "--print-value-only"],
                    None,
                ),
                "get",
            );
            assert_eq!(got.trim(), "swap", "{}", m.opts.name);
        }
    }
}

/// Restarts `m` expecting our server to refuse the start in place: it exits non-zero with
/// one `cannot start in place` line, returned.
fn refusal_line(m: &mut Member) -> String {
    let st = m.restart_expecting_exit(Duration::from_secs(20));
    assert!(st.is_some_and(|s| !s.success()), "refused: {st:?}");
    let log = m.stderr();
    log.lines()
        .find(|l| l.contains("cannot start in place"))
        .unwrap_or_else(|| panic!("one clear line: {log}"))
        .to_string()
}

#[test]
fn a_corrupt_etcd_wal_is_refused_and_left_untouched() {
    crate::require_etcd!();
    let mut m = Member::start(ServerKind::Etcd, MemberOpts::named("inplace-bad"));
    let ep = m.client_url();
    ok_stdout(&etcdctl(&ep, &["put", "a", "1"], None), "put");
    m.stop(STOP);
    let wal_dir = m.data_dir().join("member").join("wal");
    let wal = std::fs::read_dir(&wal_dir)
        .expect("wal dir")
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "wal"))
        .expect("a .wal file");
    let mut bytes = std::fs::read(&wal).expect("read wal");
    let last = bytes.iter().rposition(|b| *b != 0).expect("records");
    bytes[last] ^= 0x01;
    std::fs::write(&wal, &bytes).expect("write wal");
    let files = tree(m.data_dir());

    m.kind = ServerKind::Ours;
    let line = refusal_line(&mut m);
    assert!(
        line.contains("crc mismatch") || line.contains(".wal"),
        "{line}"
    );
    assert_eq!(tree(m.data_dir()), files, "the etcd dir is untouched");
}

/// The same member flags (name, ports) on another data dir and server kind.
fn same_flags(m: &Member, kind: ServerKind, data_dir: &Path) -> Member {
    Member::start(
        kind,
        MemberOpts {
            name: m.opts.name.clone(),
            ports: Some((m.client_port, m.peer_port)),
            data_dir: Some(data_dir.to_path_buf()),
            ..Default::default()
        },
    )
}

fn util(args: &[&str]) -> String {
    ok_stdout(&our_bin(args, Duration::from_secs(60)), &args.join(" "))
}

#[test]
fn util_import_then_our_member_serves_etcds_data() {
    crate::require_etcd!();
    let mut m = Member::start(ServerKind::Etcd, MemberOpts::named("import1"));
    let lease = write_history(&m.client_url());
    let before = observe(&m.client_url(), &lease);
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("ours");
    let etcd_dir = m.data_dir().to_str().expect("utf-8").to_string();
    // Not while etcd runs on it.
    let busy = our_bin(
        &[
            "util",
            "import",
            "--data-dir",
            &etcd_dir,
            "--out",
            out.to_str().expect("utf-8"),
        ],
        Duration::from_secs(60),
    );
    let err = String::from_utf8_lossy(&busy.stderr);
    assert!(
        !busy.status.success() && err.contains("still running"),
        "{err}"
    );
    assert!(!out.exists() && !dir.path().join("ours.part").exists());
    m.stop(STOP);
    let files = tree(m.data_dir());
    let said = util(&[
        "util",
        "import",
        "--data-dir",
        &etcd_dir,
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert!(said.starts_with("Imported etcd data dir"), "{said}");
    assert_eq!(tree(m.data_dir()), files, "the source is only read");
    assert!(!dir.path().join("ours.part").exists());
    let ours = same_flags(&m, ServerKind::Ours, &out);
    assert_same(&observe(&ours.client_url(), &lease), &before);
    ok_stdout(
        &etcdctl(&ours.client_url(), &["put", "after", "import"], None),
        "put",
    );
}

/// `etcd util export --data-dir <ours> --out <out>`, which must say `Exported`.
fn util_export(ours: &Path, out: &Path) {
    let said = util(&[
        "util",
        "export",
        "--data-dir",
        ours.to_str().expect("utf-8"),
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert!(said.starts_with("Exported"), "{said}");
}

#[test]
fn util_export_gives_a_data_dir_real_etcd_restarts_from() {
    crate::require_etcd!();
    let mut m = Member::start(ServerKind::Ours, MemberOpts::named("export1"));
    let lease = write_history(&m.client_url());
    let before = observe(&m.client_url(), &lease);
    m.stop(STOP);
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("etcd");
    util_export(m.data_dir(), &out);
    let etcd = same_flags(&m, ServerKind::Etcd, &out);
    assert_same(&observe(&etcd.client_url(), &lease), &before);
    ok_stdout(
        &etcdctl(&etcd.client_url(), &["put", "after", "export"], None),
        "put",
    );
    let got = ok_stdout(
        &etcdctl(
            &etcd.client_url(),
            &["get", "after", "--print-value-only"],
            None,
        ),
        "get",
    );
    assert_eq!(got.trim(), "export");
}

/// `flags` with the `--wal-dir=` flag replaced by `wal_dir` (or removed).
fn with_wal_dir(flags: &[String], wal_dir: Option<&Path>) -> Vec<String> {
    flags
        .iter()
        .filter(|a| !a.starts_with("--wal-dir"))
        .cloned()
        .chain(wal_dir.map(|w| format!("--wal-dir={}", w.display())))
        .collect()
}

/// etcd 3.4.23 run with `--wal-dir W` (its `*.wal` files in `W`, no `member/wal`), then our
/// binary with the very same flags: converted in place, `W` now our Raft log env, etcd's WAL
/// kept in `W.etcd-backup` and its member dir in `member.etcd-backup`. Started without the
/// `--wal-dir` etcd used, ours refuses in one line and touches nothing. `etcd util import
/// --wal-dir W` converts the same dir offline, and `etcd util snapshot restore --wal-dir`
/// gives a member of ours that runs with that `--wal-dir`.
#[test]
fn etcd_member_with_wal_dir_restarts_in_place_with_the_same_flags() {
    crate::require_etcd!();
    let dir = tempfile::tempdir().expect("tempdir");
    let wal = dir.path().join("dedicated-wal");
    let mut m = Member::start(
        ServerKind::Etcd,
        MemberOpts {
            extra_args: vec![
                "--snapshot-count=20".into(),
                format!("--wal-dir={}", wal.display()),
            ],
            ..MemberOpts::named("inplace-waldir")
        },
    );
    let ep = m.client_url();
    let lease = write_history(&ep);
    let before = observe(&ep, &lease);
    let snap = dir.path().join("etcd.db");
    ok_stdout(
        &etcdctl(
            &ep,
            &["snapshot", "save", snap.to_str().expect("utf-8")],
            None,
        ),
        "snapshot save",
    );
    m.stop(STOP);
    assert!(
        !m.data_dir().join("member").join("wal").exists(),
        "etcd wrote its WAL to --wal-dir only"
    );
    let etcd_member = tree(&m.data_dir().join("member"));
    let etcd_wal = tree(&wal);
    assert!(etcd_wal.keys().any(|f| f.ends_with(".wal")), "{etcd_wal:?}");

    // Offline first: `etcd util import --wal-dir`, the source only read.
    let imported = dir.path().join("imported");
    let said = util(&[
        "util",
        "import",
        "--data-dir",
        m.data_dir().to_str().expect("utf-8"),
        "--wal-dir",
        wal.to_str().expect("utf-8"),
        "--out",
        imported.to_str().expect("utf-8"),
    ]);
    assert!(said.starts_with("Imported etcd data dir"), "{said}");
    assert_eq!(tree(&wal), etcd_wal);
    {
        let ours = same_flags(&m, ServerKind::Ours, &imported);
        assert_same(&observe(&ours.client_url(), &lease), &before);
    }

    // Without the --wal-dir etcd ran with: refused, nothing touched.
    let flags = m.opts.extra_args.clone();
    m.opts.extra_args = with_wal_dir(&flags, None);
    m.kind = ServerKind::Ours;
    let line = refusal_line(&mut m);
    assert!(line.contains("--wal-dir"), "{line}");
    assert_eq!(tree(&m.data_dir().join("member")), etcd_member);
    assert_eq!(tree(&wal), etcd_wal);

    // The same flags as etcd: converted in place.
    m.opts.extra_args = flags;
    m.restart();
    assert_same(&observe(&ep, &lease), &before);
    assert!(m.stderr().contains("converted the etcd data dir"));
    let wal_backup = dir.path().join("dedicated-wal.etcd-backup");
    assert_eq!(tree(&wal_backup), etcd_wal, "etcd's WAL kept beside W");
    assert_eq!(
        tree(&m.data_dir().join("member.etcd-backup")),
        etcd_member,
        "etcd's member dir kept"
    );
    assert!(
        !tree(&wal).keys().any(|f| f.ends_with(".wal")),
        "W is our Raft log env now"
    );
    assert!(!m.data_dir().join("member").join("wal").exists());
    ok_stdout(&etcdctl(&ep, &["put", "after", "swap"], None), "put after");
    m.restart();
    let got = ok_stdout(
        &etcdctl(&ep, &["get", "after", "--print-value-only"], None),
        "get",
    );
    assert_eq!(got.trim(), "swap");

    // The documented way back: real etcd restarts on its own files with the same flags.
    m.stop(STOP);
    std::fs::remove_dir_all(m.data_dir().join("member")).expect("rm member");
    std::fs::remove_dir_all(&wal).expect("rm W");
    std::fs::rename(
        m.data_dir().join("member.etcd-backup"),
        m.data_dir().join("member"),
    )
    .expect("mv member back");
    std::fs::rename(&wal_backup, &wal).expect("mv W back");
    m.kind = ServerKind::Etcd;
    m.restart();
    assert_same(&observe(&ep, &lease), &before);
    drop(m);

    // etcd's snapshot restored by ours with --wal-dir, served by ours with that --wal-dir.
    let restored = dir.path().join("restored");
    let restored_wal = dir.path().join("restored-wal");
    let mut r = Member::start(
        ServerKind::Ours,
        MemberOpts {
            extra_args: vec![format!("--wal-dir={}", restored_wal.display())],
            data_dir: Some(restored.clone()),
            ..MemberOpts::named("waldir-restored")
        },
    );
    r.kill9();
    std::fs::remove_dir_all(&restored).expect("rm data dir");
    std::fs::remove_dir_all(&restored_wal).expect("rm wal dir");
    let peer = r.peer_url();
    util(&[
        "util",
        "snapshot",
        "restore",
        snap.to_str().expect("utf-8"),
        "--data-dir",
        restored.to_str().expect("utf-8"),
        "--wal-dir",
        restored_wal.to_str().expect("utf-8"),
        "--name",
        "waldir-restored",
        "--initial-cluster",
        &format!("waldir-restored={peer}"),
        "--initial-advertise-peer-urls",
        &peer,
    ]);
    assert!(!restored.join("member").join("wal").exists());
    r.restart();
    let got = observe(&r.client_url(), &lease);
    assert_eq!(got.kvs, before.kvs, "restored keys");
    assert_eq!(got.revision, before.revision);
}

/// `ETCDCTL_API=2 /usr/bin/etcdctl --endpoints <ep> args…`: its stdout (must succeed).
fn v2ctl(ep: &str, args: &[&str]) -> String {
    let mut cmd = std::process::Command::new(crate::harness::ETCDCTL_BIN);
    for (k, _) in std::env::vars() {
        if k.starts_with("ETCDCTL_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("ETCDCTL_API", "2")
        .args(["--endpoints", ep])
        .args(args);
    let out = crate::harness::run_with_timeout(cmd, None, crate::harness::CLI_TIMEOUT);
    ok_stdout(&out, &format!("etcdctl v2 {}", args.join(" ")))
}

/// What a v2 client sees: the whole tree (`GET /v2/keys/?recursive=true&sorted=true`, every
/// node with its value, dir flag, created/modified indexes and absolute expiration; the
/// remaining `ttl` dropped as it counts down), `get` of some keys through the official
/// etcdctl, the role written through v2 auth, and the store index (`-o extended`'s `Index`).
#[derive(Debug, PartialEq)]
struct V2Observed {
    tree: serde_json::Value,
    gets: Vec<String>,
    role: String,
    index: String,
}

fn drop_ttls(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(m) => {
            m.remove("ttl");
            m.values_mut().for_each(drop_ttls);
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(drop_ttls),
        _ => {}
    }
}

fn observe_v2(m: &Member) -> V2Observed {
    let (status, body) =
        crate::harness::http_get(m.client_addr(), "/v2/keys/?recursive=true&sorted=true")
            .expect("GET /v2/keys");
    assert_eq!(status, 200, "{body}");
    let mut tree: serde_json::Value = serde_json::from_str(&body).expect("v2 JSON");
    drop_ttls(&mut tree);
    let ep = m.client_url();
    let gets = ["/a", "/dir/x", "/k7", "/late", "/ttl"]
        .iter()
        .map(|k| v2ctl(&ep, &["get", k]))
        .collect();
    let extended = v2ctl(&ep, &["-o", "extended", "get", "/dir/x"]);
    let index = extended
        .lines()
        .find(|l| l.starts_with("Index:"))
        .unwrap_or_default()
        .to_string();
    V2Observed {
        tree,
        gets,
        role: v2ctl(&ep, &["role", "get", "r1"]),
        index,
    }
}

/// etcd 3.4.23 with `--enable-v2 --snapshot-count=20`: v2 keys written by the official
/// etcdctl in v2 mode, some before etcd's last snapshot (in the `.snap`'s v2 store), some
/// after (v2 requests in the WAL: set, update, rm, mkdir, in-order create, TTL), plus a v2
/// auth role; restarted in place on ours with the same flags: the same tree (values, dirs,
/// created/modified indexes, expirations), the same `get`s, the role, the same store index.
/// Then a v2 write on ours, `etcd util export`, and real etcd serves every v2 key back.
#[test]
fn etcd_v2_store_converts_in_place_and_exports_back() {
    crate::require_etcd!();
    let flags = vec!["--enable-v2".to_string(), "--snapshot-count=20".to_string()];
    let mut m = Member::start(
        ServerKind::Etcd,
        MemberOpts {
            extra_args: flags.clone(),
            ..MemberOpts::named("inplace-v2")
        },
    );
    let ep = m.client_url();
    v2ctl(&ep, &["set", "/a", "1"]);
    v2ctl(&ep, &["mkdir", "/dir"]);
    v2ctl(&ep, &["set", "/dir/x", "y"]);
    v2ctl(&ep, &["mkdir", "/empty"]);
    v2ctl(&ep, &["role", "add", "r1"]);
    v2ctl(
        &ep,
        &["role", "grant", "r1", "--path", "/dir/*", "--readwrite"],
    );
    // Until etcd's first snapshot (20 entries past none); the next one is 20 entries later,
    // so what follows (a few writes and the leader's SYNCs) stays in the WAL only.
    let snap_dir = m.data_dir().join("member").join("snap");
    let has_snap = || {
        std::fs::read_dir(&snap_dir).is_ok_and(|rd| {
            rd.flatten()
                .any(|e| e.file_name().to_string_lossy().ends_with(".snap"))
        })
    };
    for i in 0..40 {
        v2ctl(&ep, &["set", &format!("/k{i}"), &format!("v{i}")]);
        if i >= 8 && has_snap() {
            break;
        }
    }
    assert!(has_snap(), "etcd took a snapshot");
    v2ctl(&ep, &["set", "/late", "after-snapshot"]);
    v2ctl(&ep, &["update", "/a", "2"]);
    v2ctl(&ep, &["rm", "/k3"]);
    v2ctl(&ep, &["mk", "--in-order", "/queue", "job"]);
    v2ctl(&ep, &["set", "/ttl", "soon", "--ttl", "600"]);
    v2ctl(&ep, &["mkdir", "/ttldir", "--ttl", "900"]);
    ok_stdout(&etcdctl(&ep, &["put", "v3key", "v3"], None), "v3 put");
    let before = observe_v2(&m);
    m.stop(STOP);
    let snaps: Vec<_> = std::fs::read_dir(m.data_dir().join("member").join("snap"))
        .expect("snap dir")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".snap"))
        .map(|e| std::fs::read(e.path()).expect("read .snap"))
        .collect();
    assert!(
        snaps.iter().any(|s| s.windows(5).any(|w| w == b"/1/k0")),
        "etcd's .snap holds v2 user keys"
    );
    assert!(
        !snaps.iter().any(|s| s.windows(5).any(|w| w == b"/late")),
        "the last writes are in the WAL only"
    );

    m.kind = ServerKind::Ours;
    m.restart();
    assert!(m.stderr().contains("converted the etcd data dir"));
    let after = observe_v2(&m);
    assert_eq!(after.gets, before.gets, "v2 gets");
    assert_eq!(after.role, before.role, "v2 role");
    assert_eq!(after.tree, before.tree, "the v2 tree");
    assert_eq!(after.index, before.index, "the v2 store index");
    let got = ok_stdout(
        &etcdctl(&ep, &["get", "v3key", "--print-value-only"], None),
        "v3 get",
    );
    assert_eq!(got.trim(), "v3");

    // A write on ours, then the way out: real etcd serves every v2 key.
    v2ctl(&ep, &["set", "/dir/ours", "z"]);
    let ours = observe_v2(&m);
    m.stop(STOP);
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("etcd");
    util(&[
        "util",
        "export",
        "--data-dir",
        m.data_dir().to_str().expect("utf-8"),
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    let etcd = Member::start(
        ServerKind::Etcd,
        MemberOpts {
            name: m.opts.name.clone(),
            ports: Some((m.client_port, m.peer_port)),
            data_dir: Some(out.clone()),
            extra_args: flags,
            ..Default::default()
        },
    );
    let back = observe_v2(&etcd);
    assert_eq!(back.gets, ours.gets, "v2 gets on etcd after export");
    assert_eq!(back.role, ours.role, "v2 role on etcd after export");
    assert_eq!(back.tree["node"], ours.tree["node"], "the v2 tree on etcd");
    v2ctl(&etcd.client_url(), &["set", "/after", "export"]);
    assert_eq!(
        v2ctl(&etcd.client_url(), &["get", "/after"]).trim(),
        "export"
    );
}

/// A Raft RPC to `m`'s peer port from member `from` (hex ID): the refusal message when the
/// member answers it "removed" (`PermissionDenied`), `None` for any other answer.
fn removed_refusal(m: &Member, from: &str) -> Option<String> {
    use etcd_oxide::pb::peer::raft_peer_client::RaftPeerClient;
    use etcd_oxide::pb::peer::RaftBytes;
    let rt = crate::harness::multi_thread_runtime();
    rt.block_on(async {
        let channel = tonic::transport::Channel::from_shared(m.peer_url())
            .expect("peer url")
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(5))
            .connect()
            .await
            .expect("peer port");
        let mut req = tonic::Request::new(RaftBytes { data: Vec::new() });
        req.metadata_mut()
            .insert("x-server-from", from.parse().expect("metadata"));
        match RaftPeerClient::new(channel).vote(req).await {
            Err(s) if s.code() == tonic::Code::PermissionDenied => Some(s.message().to_string()),
            _ => None,
        }
    })
}

/// etcd's removed members (its `members_removed` bucket) stay removed through a start in
/// place and through `etcd util export` and back: our peer port answers a Raft RPC from the
/// removed member "permanently removed" (etcd answers it 410 Gone), and one from a member ID
/// it never saw is not refused as removed (it may have been added by a change not applied
/// here yet).
#[test]
fn removed_members_stay_removed_in_place_and_through_export() {
    crate::require_etcd!();
    let mut m = Member::start(ServerKind::Etcd, MemberOpts::named("inplace-removed"));
    let ep = m.client_url();
    let port = crate::harness::free_port();
    let added = ok_stdout(
        &etcdctl(
            &ep,
            &[
                "member",
                "add",
                "gone",
                "--learner",
                &format!("--peer-urls=http://127.0.0.1:{port}"),
            ],
            None,
        ),
        "member add",
    );
    // "Member 8e9e05c52164694d added to cluster ..."
    let id = added
        .split_whitespace()
        .nth(1)
        .unwrap_or_else(|| panic!("member add said: {added}"))
        .to_string();
    ok_stdout(
        &etcdctl(&ep, &["member", "remove", &id], None),
        "member remove",
    );
    m.stop(STOP);

    m.kind = ServerKind::Ours;
    m.restart();
    assert!(m.stderr().contains("converted the etcd data dir"));
    let refusal = removed_refusal(&m, &id);
    assert!(
        refusal
            .as_deref()
            .is_some_and(|r| r.contains("permanently removed")),
        "{refusal:?}"
    );
    assert_eq!(removed_refusal(&m, "1234abcd"), None);

    m.stop(STOP);
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("etcd");
    util_export(m.data_dir(), &out);
    let back = same_flags(&m, ServerKind::Ours, &out);
    assert!(back.stderr().contains("converted the etcd data dir"));
    assert!(removed_refusal(&back, &id).is_some());
    assert_eq!(removed_refusal(&back, "1234abcd"), None);
}
