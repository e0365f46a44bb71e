//! Issue 9 leftovers on etcd's formats, against our binary only:
//!
//! - `kill9_during_util_export_and_import_leaves_no_half_target`: SIGKILL at a few points of
//!   `etcd util export` and `etcd util import` leaves the target absent or complete (a
//!   complete one converts back and `hashkv` reads it at the source's revision), and a new
//!   run over the leftovers succeeds.
//! - `snapshot_save_streams_with_bounded_memory`: `etcd ctl snapshot save` of a ~64 MB store
//!   grows neither the server's nor the client's anonymous memory (heap) by anything near
//!   the snapshot's size: both stream through a temp file and fixed-size chunks.

use std::path::Path;
use std::time::{Duration, Instant};

use etcd_oxide::pb::etcdserverpb::kv_client::KvClient;
use etcd_oxide::pb::etcdserverpb::PutRequest;

use crate::harness::{
    ok_stdout, our_bin_as, run_with_timeout, Member, MemberOpts, Proc, ServerKind, CLI_TIMEOUT,
};

/// Puts `n` keys `big0000..` of `len` bytes each.
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

/// `etcdutl <args>` (our binary under that name), with the CLI timeout.
fn etcdutl(tools: &Path, args: &[&str]) -> std::process::Output {
    let mut cmd = our_bin_as(tools, "etcdutl");
    cmd.args(args);
    run_with_timeout(cmd, None, CLI_TIMEOUT)
}

/// Spawns `etcdutl args`, sleeps `delay`, SIGKILLs it by PID.
fn kill_after(tools: &Path, args: &[&str], delay: Duration) {
    let mut cmd = our_bin_as(tools, "etcdutl");
    cmd.args(args);
    let mut p = Proc::spawn(cmd, false);
    std::thread::sleep(delay);
    p.kill();
}

/// The revision `hashkv --data-dir` reads in our data dir `dir`.
fn hashed_revision(tools: &Path, dir: &Path) -> i64 {
    let out = ok_stdout(
        &etcdutl(
            tools,
            &[
                "hashkv",
                "--data-dir",
                dir.to_str().expect("utf-8"),
                "-w",
                "json",
            ],
        ),
        "hashkv",
    );
    let v: serde_json::Value = serde_json::from_str(&out).expect("hashkv json");
    v["hashRevision"].as_i64().expect("hashRevision")
}

#[test]
fn kill9_during_util_export_and_import_leaves_no_half_target() {
    let tools = tempfile::tempdir().expect("tempdir");
    let t = tools.path();
    let mut src = Member::start(ServerKind::Ours, MemberOpts::named("exp"));
    put_big(&src.client_url(), 48, 256 * 1024);
    src.stop(Duration::from_secs(20));
    let src_dir = src.data_dir().to_str().expect("utf-8").to_string();
    let rev = hashed_revision(t, src.data_dir());
    assert!(rev >= 49, "revision {rev}");

    let delays = [5u64, 40, 150];
    for d in delays {
        let out = t.join(format!("exp-{d}"));
        let out_s = out.to_str().expect("utf-8");
        kill_after(
            t,
            &["export", "--data-dir", &src_dir, "--out", out_s],
            Duration::from_millis(d),
        );
        if out.exists() {
            // Complete: it converts back to the same revision.
            let back = t.join(format!("back-{d}"));
            ok_stdout(
                &etcdutl(
                    t,
                    &[
                        "import",
                        "--data-dir",
                        out_s,
                        "--out",
                        back.to_str().expect("utf-8"),
                    ],
                ),
                "import of an export that survived a kill",
            );
            assert_eq!(hashed_revision(t, &back), rev);
        }
    }
    // A new export over the leftovers of a killed one.
    let exported = t.join(format!("exp-{}", delays[0]));
    let exported_s = exported.to_str().expect("utf-8");
    if !exported.exists() {
        ok_stdout(
            &etcdutl(t, &["export", "--data-dir", &src_dir, "--out", exported_s]),
            "export after a killed export",
        );
    }

    for d in delays {
        let out = t.join(format!("imp-{d}"));
        let out_s = out.to_str().expect("utf-8");
        kill_after(
            t,
            &["import", "--data-dir", exported_s, "--out", out_s],
            Duration::from_millis(d),
        );
        if out.exists() {
            assert_eq!(hashed_revision(t, &out), rev, "import killed after {d} ms");
        }
    }
    let out = t.join(format!("imp-{}", delays[0]));
    if !out.exists() {
        ok_stdout(
            &etcdutl(
                t,
                &[
                    "import",
                    "--data-dir",
                    exported_s,
                    "--out",
                    out.to_str().expect("utf-8"),
                ],
            ),
            "import after a killed import",
        );
    }
    assert_eq!(hashed_revision(t, &out), rev);
}

/// `RssAnon` of process `pid` in KiB (heap and other private memory, not the page cache
/// or LMDB's file mapping), if it still runs.
fn rss_anon_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("RssAnon:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

#[test]
fn snapshot_save_streams_with_bounded_memory() {
    const DATA_MIB: u64 = 64;
    let tools = tempfile::tempdir().expect("tempdir");
    let t = tools.path();
    let src = Member::start(ServerKind::Ours, MemberOpts::named("mem"));
    let ep = src.client_url();
    put_big(&ep, (DATA_MIB * 4) as usize, 256 * 1024);
    let server_pid = src.pid().expect("server pid");
    let server_before = rss_anon_kib(server_pid).expect("server RssAnon");

    let snap = t.join("snap.db");
    let mut cmd = our_bin_as(t, "etcdctl");
    cmd.args([
        &format!("--endpoints={ep}"),
        "snapshot",
        "save",
        snap.to_str().expect("utf-8"),
    ]);
    let mut client = Proc::spawn(cmd, false);
    let (mut server_peak, mut client_peak) = (server_before, 0u64);
    let deadline = Instant::now() + Duration::from_secs(120);
    while !client.exited() {
        assert!(Instant::now() < deadline, "snapshot save took over 120 s");
        if let Some(k) = rss_anon_kib(server_pid) {
            server_peak = server_peak.max(k);
        }
        if let Some(k) = rss_anon_kib(client.pid()) {
            client_peak = client_peak.max(k);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let out = client.finish(Duration::from_secs(5));
    assert!(out.status.success(), "{}", client.output());
    let size = std::fs::metadata(&snap).expect("snapshot").len();
    assert!(size > DATA_MIB * 1024 * 1024, "snapshot of {size} bytes");
    let limit_kib = DATA_MIB * 1024 / 2;
    assert!(
        server_peak - server_before < limit_kib,
        "server heap grew {} KiB while streaming a {size}-byte snapshot",
        server_peak - server_before
    );
    assert!(
        client_peak < limit_kib,
        "client heap reached {client_peak} KiB while saving a {size}-byte snapshot"
    );
}
