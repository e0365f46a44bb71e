//! Maintenance with the official etcdctl 3.4 against our server, and the offline `etcdutl`
//! tools (`etcd util ...` and the `etcdutl` argv0 personality).
//!
//! - `defrag_shrinks_the_db_and_keeps_data_readers_and_watchers`: ~5 MB written, deleted and
//!   compacted, then `etcdctl defrag`: etcd's `Finished defragmenting etcd member[...]` line,
//!   `dbSize` (Status and `/metrics`) much smaller, data intact, reads keep succeeding while
//!   defrag runs, and a watcher started before it still receives events after it.
//! - `snapshot_save_then_util_restore_serves_the_data_at_its_revision`: `etcdctl snapshot
//!   save` from our server, `etcd util snapshot status -w table` (etcd's columns, the saved
//!   revision), `etcd util snapshot restore` into a new dir, our server started on it: the
//!   keys are there at the snapshot's revision and writes continue from it.
//! - `etcdutl_argv0_defrags_a_stopped_members_data_dir`: `etcdutl defrag --data-dir` on a
//!   stopped member, `etcdutl hashkv` equal before and after, and the member restarts.
//!
//! Reproduce: `cargo test --test it maintenance -- --nocapture`.

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::harness::{
    etcdctl, etcdctl_bg, http_get, ok_stdout, our_bin, Member, MemberOpts, Proc, ServerKind,
    CLI_TIMEOUT,
};

fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("not JSON ({e}): {s}"))
}

/// (dbSize, header revision) from `etcdctl endpoint status -w json`.
fn db_size_and_revision(m: &Member) -> (u64, i64) {
    let out = ok_stdout(
        &etcdctl(&m.client_url(), &["endpoint", "status", "-w", "json"], None),
        "endpoint status",
    );
    let v = json(&out);
    let st = &v[0]["Status"];
    (
        st["dbSize"].as_u64().expect("dbSize"),
        st["header"]["revision"].as_i64().expect("revision"),
    )
}

fn metric(m: &Member, name: &str) -> f64 {
    let (code, body) = http_get(m.client_addr(), "/metrics").expect("GET /metrics");
    assert_eq!(code, 200);
    body.lines()
        .find_map(|l| {
            l.strip_prefix(name)
                .and_then(|rest| rest.trim().parse::<f64>().ok())
        })
        .unwrap_or_else(|| panic!("{name} missing from /metrics"))
}

/// A running `etcdctl watch <key>` (a harness [`Proc`]: killed on drop).
struct Watcher(Proc);

impl Watcher {
    fn start(endpoint: &str, key: &str, start_rev: i64) -> Watcher {
        // From a given revision: events that happen before the watch is registered are
        // replayed rather than lost (the process may start slowly on a busy machine).
        Watcher(etcdctl_bg(
            endpoint,
            &["watch", key, "--rev", &start_rev.to_string()],
        ))
    }

    /// Waits (bounded) for the next three lines: event type, key, value.
    fn next_event(&self) -> Vec<String> {
        (0..3)
            .map(|_| {
                self.0
                    .next_line(CLI_TIMEOUT)
                    .expect("watch event within the CLI timeout")
            })
            .collect()
    }
}

/// Reads `keep` over gRPC in a loop until `stop`; counts successes and failures.
fn reader(url: String, stop: Arc<AtomicBool>, ok: Arc<AtomicUsize>, failed: Arc<AtomicUsize>) {
    use etcd_oxide::pb::etcdserverpb::kv_client::KvClient;
    use etcd_oxide::pb::etcdserverpb::RangeRequest;
    let rt = crate::harness::runtime();
    rt.block_on(async move {
        let timeout = Duration::from_secs(5);
        let Ok(ep) = tonic::transport::Channel::from_shared(url) else {
            return;
        };
        let Ok(Ok(ch)) = tokio::time::timeout(timeout, ep.timeout(timeout).connect()).await else {
            failed.fetch_add(1, Ordering::SeqCst);
            return;
        };
        let mut kv = KvClient::new(ch);
        while !stop.load(Ordering::SeqCst) {
            let req = RangeRequest {
                key: b"keep".to_vec(),
                ..Default::default()
            };
            match tokio::time::timeout(timeout, kv.range(req)).await {
                Ok(Ok(r)) if r.get_ref().kvs.len() == 1 => ok.fetch_add(1, Ordering::SeqCst),
                _ => failed.fetch_add(1, Ordering::SeqCst),
            };
        }
    });
}

#[test]
fn defrag_shrinks_the_db_and_keeps_data_readers_and_watchers() {
    crate::require_etcd!();
    let m = Member::start(ServerKind::Ours, MemberOpts::named("defrag"));
    let ep = m.client_url();
    ok_stdout(&etcdctl(&ep, &["put", "keep", "me"], None), "put keep");
    // ~5 MB: 60 values of 85 kB (through stdin: too long for one argv string).
    let value = "x".repeat(85_000);
    for i in 0..60 {
        ok_stdout(
            &etcdctl(&ep, &["put", &format!("big/{i:02}")], Some(&value)),
            "put big",
        );
    }
    let (full, _) = db_size_and_revision(&m);
    assert!(full > 4_000_000, "db should hold ~5 MB, has {full}");
    ok_stdout(&etcdctl(&ep, &["del", "--prefix", "big/"], None), "del");
    let (_, rev) = db_size_and_revision(&m);
    ok_stdout(
        &etcdctl(&ep, &["compact", &rev.to_string(), "--physical"], None),
        "compact",
    );
    let (before, _) = db_size_and_revision(&m);
    assert!(
        before >= full,
        "LMDB does not shrink by itself: {before} < {full}"
    );

    // The watcher replays from just after the compaction, so this event reaches it whenever
    // it registers.
    let watcher = Watcher::start(&ep, "w", rev + 1);
    ok_stdout(&etcdctl(&ep, &["put", "w", "before"], None), "put w");
    assert_eq!(watcher.next_event(), ["PUT", "w", "before"]);

    let stop = Arc::new(AtomicBool::new(false));
    let (ok, failed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let reader = {
        let (url, stop, ok, failed) = (ep.clone(), stop.clone(), ok.clone(), failed.clone());
        std::thread::spawn(move || reader(url, stop, ok, failed))
    };
    let started = Instant::now();
    while ok.load(Ordering::SeqCst) == 0 && started.elapsed() < CLI_TIMEOUT {
        std::thread::sleep(Duration::from_millis(10));
    }
    let out = ok_stdout(&etcdctl(&ep, &["defrag"], None), "defrag");
    assert_eq!(out, format!("Finished defragmenting etcd member[{ep}]\n"));
    let during = ok.load(Ordering::SeqCst);
    std::thread::sleep(Duration::from_millis(200));
    stop.store(true, Ordering::SeqCst);
    reader.join().expect("reader thread");
    assert_eq!(
        failed.load(Ordering::SeqCst),
        0,
        "reads failed around defrag"
    );
    assert!(
        ok.load(Ordering::SeqCst) > during,
        "reads continue after defrag"
    );

    let (after, rev_after) = db_size_and_revision(&m);
    assert!(
        after * 4 < before,
        "defrag should shrink the db: {before} -> {after}"
    );
    assert!(rev_after >= rev);
    assert!(metric(&m, "etcd_mvcc_db_total_size_in_bytes") <= after as f64);

    let got = ok_stdout(
        &etcdctl(&ep, &["get", "keep", "--print-value-only"], None),
        "get keep",
    );
    assert_eq!(got, "me\n");
    let big = ok_stdout(
        &etcdctl(&ep, &["get", "--prefix", "big/", "--keys-only"], None),
        "get big/",
    );
    assert_eq!(big, "", "deleted keys stay deleted");
    ok_stdout(
        &etcdctl(&ep, &["put", "w", "after"], None),
        "put after defrag",
    );
    assert_eq!(watcher.next_event(), ["PUT", "w", "after"]);
    let got = ok_stdout(
        &etcdctl(&ep, &["get", "w", "--print-value-only"], None),
        "get w",
    );
    assert_eq!(got, "after\n");
}

#[test]
fn snapshot_save_then_util_restore_serves_the_data_at_its_revision() {
    crate::require_etcd!();
    let tmp = tempfile::tempdir().expect("tempdir");
    let snap = tmp.path().join("snap.db");
    let snap_s = snap.to_str().expect("utf-8 path");
    let rev = {
        let a = Member::start(ServerKind::Ours, MemberOpts::named("origin"));
        let ep = a.client_url();
        for i in 0..5 {
            ok_stdout(
                &etcdctl(&ep, &["put", &format!("k{i}"), &format!("v{i}")], None),
                "put",
            );
        }
        ok_stdout(&etcdctl(&ep, &["del", "k4"], None), "del");
        let (_, rev) = db_size_and_revision(&a);
        let out = ok_stdout(
            &etcdctl(&ep, &["snapshot", "save", snap_s], None),
            "snapshot save",
        );
        assert!(out.contains("Snapshot saved at"), "{out}");
        rev
    };

    let status = ok_stdout(
        &our_bin(
            &["util", "snapshot", "status", snap_s, "-w", "table"],
            CLI_TIMEOUT,
        ),
        "status",
    );
    let lines: Vec<&str> = status.lines().collect();
    assert_eq!(lines.len(), 5, "{status}");
    // Column widths follow the values (the hash is printed with %x, so its width varies).
    let header: Vec<&str> = lines[1].split('|').map(str::trim).collect();
    assert_eq!(
        header,
        ["", "HASH", "REVISION", "TOTAL KEYS", "TOTAL SIZE", ""],
        "{status}"
    );
    let cells: Vec<&str> = lines[3].split('|').map(str::trim).collect();
    assert_eq!(cells[2], rev.to_string(), "{status}");
    assert!(
        cells[4].ends_with("kB") || cells[4].ends_with("MB"),
        "{status}"
    );

    // A fresh member's ports and data dir, stopped, with its member dir replaced by the
    // restored one.
    let mut b = Member::start(ServerKind::Ours, MemberOpts::named("restored"));
    b.kill9();
    let restored = tmp.path().join("restored");
    let peer = b.peer_url();
    let out = our_bin(
        &[
            "util",
            "snapshot",
            "restore",
            snap_s,
            "--data-dir",
            restored.to_str().expect("utf-8 path"),
            "--name",
            "restored",
            "--initial-cluster",
            &format!("restored={peer}"),
            "--initial-advertise-peer-urls",
            &peer,
        ],
        CLI_TIMEOUT,
    );
    ok_stdout(&out, "util snapshot restore");
    let again = our_bin(
        &[
            "util",
            "snapshot",
            "restore",
            snap_s,
            "--data-dir",
            restored.to_str().expect("utf-8"),
        ],
        CLI_TIMEOUT,
    );
    assert!(
        !again.status.success(),
        "restoring over an existing data dir must fail"
    );
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists"));

    std::fs::remove_dir_all(b.data_dir().join("member")).expect("remove old member dir");
    std::fs::rename(restored.join("member"), b.data_dir().join("member"))
        .expect("move restored member dir");
    b.restart();
    let ep = b.client_url();
    let out = ok_stdout(
        &etcdctl(&ep, &["get", "k", "--prefix", "-w", "json"], None),
        "get restored",
    );
    let v = json(&out);
    assert_eq!(v["header"]["revision"].as_i64(), Some(rev), "{out}");
    assert_eq!(v["count"].as_i64(), Some(4), "{out}");
    let out = ok_stdout(
        &etcdctl(&ep, &["put", "k9", "v9", "-w", "json"], None),
        "put after restore",
    );
    assert_eq!(
        json(&out)["header"]["revision"].as_i64(),
        Some(rev + 1),
        "{out}"
    );
    let members = ok_stdout(&etcdctl(&ep, &["member", "list"], None), "member list");
    assert!(members.contains(&format!("restored, {peer}")), "{members}");
}

/// Runs our binary as `etcdutl` (argv0 dispatch) through a symlink in `dir`.
fn etcdutl(dir: &Path, args: &[&str]) -> std::process::Output {
    let mut cmd = crate::harness::our_bin_as(dir, "etcdutl");
    cmd.args(args);
    crate::harness::run_with_timeout(cmd, None, CLI_TIMEOUT)
}

#[test]
fn etcdutl_argv0_defrags_a_stopped_members_data_dir() {
    let tools = tempfile::tempdir().expect("tempdir");
    let mut m = Member::start(ServerKind::Ours, MemberOpts::named("offline"));
    let ep = m.client_url();
    let value = "y".repeat(50_000);
    let put = |k: &str| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_etcd"));
        cmd.args(["ctl", &format!("--endpoints={ep}"), "put", k, &value]);
        ok_stdout(
            &crate::harness::run_with_timeout(cmd, None, CLI_TIMEOUT),
            "our ctl put",
        );
    };
    for i in 0..20 {
        put(&format!("o/{i}"));
    }
    put("o/0");
    m.kill9();
    let dir = m.data_dir().to_str().expect("utf-8").to_string();
    let hash_before = ok_stdout(
        &etcdutl(tools.path(), &["hashkv", "--data-dir", &dir]),
        "hashkv",
    );
    let db = m.data_dir().join("member/snap/db");
    let size_before = std::fs::metadata(&db).expect("db").len();
    let out = ok_stdout(
        &etcdutl(tools.path(), &["defrag", "--data-dir", &dir]),
        "etcdutl defrag",
    );
    assert_eq!(out, format!("Finished defragmenting etcd data[{dir}]\n"));
    let size_after = std::fs::metadata(&db).expect("db").len();
    assert!(size_after <= size_before, "{size_before} -> {size_after}");
    assert!(!m.data_dir().join("member/snap/db.defrag").exists());
    assert_eq!(
        ok_stdout(
            &etcdutl(tools.path(), &["hashkv", "--data-dir", &dir]),
            "hashkv"
        ),
        hash_before
    );
    m.restart();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_etcd"));
    cmd.args([
        "ctl",
        &format!("--endpoints={}", m.client_url()),
        "get",
        "o/0",
        "--print-value-only",
    ]);
    assert_eq!(
        ok_stdout(
            &crate::harness::run_with_timeout(cmd, None, CLI_TIMEOUT),
            "get"
        ),
        format!("{value}\n")
    );
}
