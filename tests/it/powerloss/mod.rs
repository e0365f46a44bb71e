//! Power loss (issue 13, point 2): members whose data dirs (both LMDB environments, the Raft
//! log `member/wal/` and the state `member/snap/db`, and whatever else the server writes there)
//! live on [`fs::PowerLossMount`], a FUSE layer that drops every write not yet fsynced at a
//! simulated power cut.
//!
//! One run ([`power_cut_loop`]): start 1 or 3 members with their data dirs on the mount; then,
//! per cut, writers put unique keys through all members (recording each acknowledged put's
//! value and revision, `faults::start_load`), a seeded random moment later every member is
//! killed with SIGKILL, the mount is cut (unsynced writes and directory changes dropped) and
//! mounted again, and all members restart on what survived. Checks after each cut:
//!
//! - every member starts again (a member that refuses fails the test with its log: a finding);
//! - a linearizable read answers at a revision no lower than the highest acknowledged one
//!   (found a restored leader serving stale linearizable reads, see `server/read.rs`);
//! - every acknowledged put of every cut so far reads back (linearizably) with its value at
//!   its revision;
//! - the members converge (the same revision and `HashKV` at it) at a revision no lower than
//!   the highest acknowledged one (the revision never goes back).
//!
//! The tests: `power_cut_one_member_*` and `power_cut_three_members_*` (journal directory
//! model, every unsynced write dropped), `power_cut_strict_directory_fsync_one_member` (a
//! directory entry is durable only after an fsync of its directory: found the missing
//! directory fsyncs at env creation), `power_cut_reordered_writes_one_member` (a random half
//! of the unsynced overwrites reach the disk first: found the state env's `MDB_NOSYNC`
//! corruption). Each stops after `POWERLOSS_CUTS` cuts (default 4) or when its time budget is
//! spent (`POWERLOSS_BUDGET_SECS`, default 15 s, so CI spends well under a minute here); the
//! seed is `POWERLOSS_SEED` or random, printed at the start. The `#[ignore]`d
//! `power_cut_campaign` runs longer loops over every shape; the robustness runner's
//! `power_cut` scenario uses [`PowerDisk`] too, under its full traffic and checkers.
//! Reproduce: `POWERLOSS_SEED=<seed> cargo test --features failpoints --test it
//! powerloss::<test> -- --nocapture`; the cut moments follow the seed, the server's timing
//! does not.
//!
//! Needs `/dev/fuse` and root (the mount is a plain `mount(2)` of type `fuse`, no fusermount):
//! otherwise the tests print why and skip, except under `ETCD_INTEROP_REQUIRED=1` (CI), where
//! that is a failure.

pub mod fs;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use etcd_oxide::pb::etcdserverpb::RangeRequest;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::faults::{check_acks, clients, start_load, stop_load, wait_converged, Ack};
use crate::harness::{multi_thread_runtime, skip_unless, Cluster, ServerKind};
use fs::{DirSync, PowerLossMount};

/// Per-call deadline of the writers.
const CALL_TIMEOUT: Duration = Duration::from_millis(1500);
/// Bound on the first put being acknowledged after a (re)start.
const FIRST_ACK_BOUND: Duration = Duration::from_secs(20);
/// Bound on the members converging after a restart.
const CONVERGE_BOUND: Duration = Duration::from_secs(30);

/// What one run did.
#[derive(Debug, Default)]
pub struct Report {
    /// Power cuts made.
    pub cuts: usize,
    /// Acknowledged puts checked after the last cut (all cuts' puts).
    pub acks_checked: usize,
    /// `write` requests the layer served, over all mounts.
    pub fs_writes: u64,
    /// File fsyncs the layer served, over all mounts.
    pub fs_syncs: u64,
    /// Unsynced pages that reached the disk at reordered cuts.
    pub pages_reordered: u64,
}

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One power-cut run's shape.
#[derive(Debug, Clone)]
pub struct Run {
    /// Members, all with their data dirs on the mount.
    pub members: usize,
    /// When directory changes become durable.
    pub model: DirSync,
    /// Cut on a disk that reorders unsynced overwrites ([`PowerLossMount::cut_reordered`])
    /// instead of dropping every unsynced write.
    pub reordered: bool,
    /// Extra server flags (every member).
    pub extra_args: Vec<String>,
}

impl Run {
    /// `members` members, the journal directory model, whole-write loss, and a low
    /// `--snapshot-count` so that Raft snapshots and log purges happen between cuts.
    pub fn new(members: usize) -> Run {
        Run {
            members,
            model: DirSync::Journal,
            reordered: false,
            extra_args: vec!["--snapshot-count=200".into()],
        }
    }
}

/// A disk for members' data dirs that can lose power: a [`PowerLossMount`] over a backing dir,
/// both in one temp dir. Drop it after the members (declare it before them).
pub struct PowerDisk {
    // Field order is drop order: unmount before removing the temp dir.
    mnt: Option<PowerLossMount>,
    backing: PathBuf,
    mountpoint: PathBuf,
    model: DirSync,
    _dir: tempfile::TempDir,
}

impl PowerDisk {
    /// A fresh disk, mounted; `None` (after printing why, or panicking under
    /// `ETCD_INTEROP_REQUIRED=1`) when FUSE mounts are impossible here.
    pub fn new(test: &str, model: DirSync) -> Option<PowerDisk> {
        let why = fs::fuse_unavailable();
        if !skip_unless(test, why.is_none(), why.as_deref().unwrap_or("")) {
            return None;
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let (backing, mountpoint) = (dir.path().join("backing"), dir.path().join("mnt"));
        std::fs::create_dir(&backing).expect("mkdir backing");
        std::fs::create_dir(&mountpoint).expect("mkdir mnt");
        let mnt = PowerLossMount::mount(&backing, &mountpoint, model).expect("mount");
        Some(PowerDisk {
            mnt: Some(mnt),
            backing,
            mountpoint,
            model,
            _dir: dir,
        })
    }

    /// Creates `m1..m<n>` on the disk (durably, as an operator's `mkdir` before the first
    /// start) and returns their paths.
    pub fn data_dirs(&self, n: usize) -> Vec<PathBuf> {
        let dirs: Vec<PathBuf> = (1..=n)
            .map(|i| self.mountpoint.join(format!("m{i}")))
            .collect();
        for d in &dirs {
            std::fs::create_dir(d).expect("data dir on the mount");
        }
        std::fs::File::open(&self.mountpoint)
            .and_then(|d| d.sync_all())
            .expect("fsync the mount's root");
        dirs
    }

    /// Power cut (every process using the disk must be dead): drops what was not fsynced
    /// (with `reordered`, lets a random half of the unsynced overwrites through first, see
    /// [`PowerLossMount::cut_reordered`]) and mounts what survived. Returns the counters of
    /// the mount that was cut and the pages let through.
    pub fn cut(&mut self, reordered: bool, rng: &mut impl Rng) -> (fs::Stats, u64) {
        let m = self.mnt.take().expect("invariant: mounted between cuts");
        let (stats, kept) = if reordered {
            m.cut_reordered(rng)
        } else {
            (m.cut(), 0)
        };
        self.mnt = Some(
            PowerLossMount::mount(&self.backing, &self.mountpoint, self.model)
                .expect("remount after the cut"),
        );
        (stats, kept)
    }

    /// The current mount's counters.
    pub fn stats(&self) -> fs::Stats {
        self.mnt
            .as_ref()
            .map(PowerLossMount::stats)
            .unwrap_or_default()
    }
}

/// Runs up to `max_cuts` power cuts (within `budget`; at least one) of `run`; `None` when FUSE
/// is unavailable (skipped). Panics on the first violation, naming the test, seed and cut.
pub fn power_cut_loop(
    test: &str,
    run: &Run,
    seed: u64,
    max_cuts: usize,
    budget: Duration,
) -> Option<Report> {
    let mut disk = PowerDisk::new(test, run.model)?;
    let n = run.members;
    eprintln!("{test}: seed {seed}, {run:?}");
    let mut rng = StdRng::seed_from_u64(seed);
    let data_dirs = disk.data_dirs(n);
    // Declared after the disk: dropped (members killed) before it is unmounted.
    let mut c = Cluster::start_in(
        ServerKind::Ours,
        "it-powerloss",
        &data_dirs,
        &run.extra_args,
    );
    let rt = multi_thread_runtime();
    let cs = clients(&c, CALL_TIMEOUT);
    let mut all: Vec<Ack> = Vec::new();
    let mut report = Report::default();
    let start = Instant::now();
    while report.cuts < max_cuts && (report.cuts == 0 || start.elapsed() < budget) {
        let cut = report.cuts;
        let (stop, acks, handles) = start_load(&rt, &cs, 2 * n + 2, &format!("c{cut}-"));
        // The cut comes a random time after the first acknowledgement (a starved machine may
        // take seconds to serve the first put after a restart).
        let first = Instant::now();
        while acks.lock().expect("acks").is_empty() && first.elapsed() < FIRST_ACK_BOUND {
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(Duration::from_millis(rng.random_range(200..1500)));
        // The power cut: every member dies at once, then whatever was not fsynced is gone.
        c.kill_all();
        stop_load(&rt, &stop, handles);
        let (stats, kept) = disk.cut(run.reordered, &mut rng);
        report.pages_reordered += kept;
        report.cuts += 1;
        report.fs_writes += stats.writes;
        report.fs_syncs += stats.file_syncs;
        let acked = std::mem::take(&mut *acks.lock().expect("acks"));
        let what = format!("{test} seed {seed} cut {cut}");
        assert!(
            !acked.is_empty(),
            "{what}: no put was acknowledged before the cut"
        );
        all.extend(acked);
        c.restart_all();
        let highest = all.iter().map(|a| a.revision).max().unwrap_or(0);
        // A linearizable read first: right after a restart the members may all report (and
        // agree on) the older applied state the log is still being replayed onto.
        let lin = rt
            .block_on(cs[0].range(RangeRequest {
                key: b"load/".to_vec(),
                range_end: b"load0".to_vec(),
                count_only: true,
                ..Default::default()
            }))
            .unwrap_or_else(|e| panic!("{what}: linearizable read after the cut: {e}"));
        let lin_rev = lin.header.map_or(0, |h| h.revision);
        assert!(
            lin_rev >= highest,
            "{what}: a linearizable read after the cut answered at revision {lin_rev}; {highest} was acknowledged"
        );
        check_acks(&rt, &cs[0], &all, &what);
        let rev = wait_converged(&rt, &cs, CONVERGE_BOUND);
        assert!(
            rev >= highest,
            "{what}: the members converged at revision {rev} after the cut; {highest} was acknowledged"
        );
        report.acks_checked = all.len();
    }
    c.kill_all();
    drop(c);
    let stats = disk.stats();
    report.fs_writes += stats.writes;
    report.fs_syncs += stats.file_syncs;
    eprintln!("{test}: seed {seed}: {report:?}");
    Some(report)
}

fn seed() -> u64 {
    std::env::var("POWERLOSS_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(rand::random)
}

fn bounded(test: &str, run: Run) {
    power_cut_loop(
        test,
        &run,
        seed(),
        env_num("POWERLOSS_CUTS", 4) as usize,
        Duration::from_secs(env_num("POWERLOSS_BUDGET_SECS", 15)),
    );
}

#[test]
fn power_cut_one_member_keeps_acknowledged_writes() {
    bounded("power_cut_one_member", Run::new(1));
}

#[test]
fn power_cut_three_members_keeps_acknowledged_writes() {
    bounded("power_cut_three_members", Run::new(3));
}

/// Regression: the state env used `MDB_NOSYNC`; a reordered write-back left a meta page whose
/// pages never reached the disk, and the member refused to start ("member/snap/db is damaged:
/// file is 118784 bytes but its meta page (transaction 87) records 34 pages"). Reproduced
/// before the fix by `POWERLOSS_SEED=3`, first cut.
#[test]
fn power_cut_reordered_writes_one_member() {
    bounded(
        "power_cut_reordered_one_member",
        Run {
            reordered: true,
            ..Run::new(1)
        },
    );
}

/// Regression: LMDB's files were created but no directory was fsynced; under strict
/// directory durability the member restarted after a cut as a new, empty cluster at revision
/// 1 (181 acknowledged). Reproduced before the fix by `POWERLOSS_SEED=3`, first cut.
#[test]
fn power_cut_strict_directory_fsync_one_member() {
    bounded(
        "power_cut_strict_dirs_one_member",
        Run {
            model: DirSync::PerDirectory,
            ..Run::new(1)
        },
    );
}

/// A longer loop for campaigns: `POWERLOSS_CUTS` (default 50) cuts or
/// `POWERLOSS_BUDGET_SECS` (default 600) per shape: 1 and 3 members, whole-write loss and
/// reordered overwrites, and 1 member under the strict directory model (`POWERLOSS_MEMBERS`
/// = 1 or 3: only those shapes). Prints one summary line per shape.
#[test]
#[ignore = "campaign: run by hand or by tests/robustness/run.sh's users"]
fn power_cut_campaign() {
    let cuts = env_num("POWERLOSS_CUTS", 50) as usize;
    let budget = Duration::from_secs(env_num("POWERLOSS_BUDGET_SECS", 600));
    let shapes = [
        (1, DirSync::Journal, false),
        (1, DirSync::Journal, true),
        (1, DirSync::PerDirectory, false),
        (3, DirSync::Journal, false),
        (3, DirSync::Journal, true),
    ];
    let only = env_num("POWERLOSS_MEMBERS", 0) as usize;
    for (n, model, reordered) in shapes {
        if only != 0 && n != only {
            continue;
        }
        let run = Run {
            model,
            reordered,
            ..Run::new(n)
        };
        let seed = seed();
        if let Some(r) = power_cut_loop("power_cut_campaign", &run, seed, cuts, budget) {
            println!(
                "powerloss campaign: members={n} model={model:?} reordered={reordered} seed={seed} cuts={} acks_checked={} fs_writes={} fs_syncs={} pages_reordered={}",
                r.cuts, r.acks_checked, r.fs_writes, r.fs_syncs, r.pages_reordered
            );
        }
    }
}
