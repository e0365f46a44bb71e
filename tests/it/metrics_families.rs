//! Metric families that used to be registered but always zero now move with the work they
//! count: `etcd_mvcc_{put,range,delete,txn}_total` and their `etcd_debugging_mvcc_*` twins
//! (etcd's `metricsTxnWrite`: a txn counts when it runs more than one operation), and
//! `etcd_disk_backend_defrag_duration_seconds` (one observation per successful defrag),
//! `etcd_server_slow_apply_total` (applies slower than `--experimental-warning-apply-duration`).
//!
//! Against real etcd 3.4.23 with the same traffic from the official etcdctl: every family it
//! exports (minus `go_*`) is ours with the same type, every family that moved there moved here
//! (bbolt's commit phases, its v2-store membership reads and its always-open read transaction
//! aside), and the deterministic ones hold the same values.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use crate::harness::{etcdctl, etcdctl_bg, http_get, our_ctl, Member, MemberOpts, ServerKind};

/// The value of the sample line that is exactly `name` (no labels), or 0.
fn value(text: &str, name: &str) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| {
            let (n, v) = l.split_once(' ')?;
            (n == name).then(|| v.trim().parse().ok()).flatten()
        })
        .unwrap_or(0.0)
}

#[test]
fn mvcc_operation_counters_move() {
    let mut opts = MemberOpts::named("mfam");
    // Every apply is "slow" against a 1 ns warning duration: etcd_server_slow_apply_total moves.
    opts.extra_args
        .push("--experimental-warning-apply-duration=1ns".into());
    let m = Member::start(ServerKind::Ours, opts);
    let ep = m.client_url();
    let scrape = || {
        let (code, body) = http_get(m.client_addr(), "/metrics").expect("scrape /metrics");
        assert_eq!(code, 200, "{body}");
        body
    };
    let before = scrape();
    for args in [
        vec!["put", "a", "1"],
        vec!["put", "b", "2"],
        vec!["get", "a"],
        vec!["del", "b"],
    ] {
        let out = our_ctl(&ep, &args, None);
        assert!(out.status.success(), "{args:?}: {out:?}");
    }
    let txn = our_ctl(
        &ep,
        &["txn", "--interactive=false"],
        Some("value(\"a\") = \"1\"\n\nput c 3\nget a\n\n\n"),
    );
    assert!(txn.status.success(), "txn: {txn:?}");
    let defrag = our_ctl(&ep, &["defrag"], None);
    assert!(defrag.status.success(), "defrag: {defrag:?}");
    let after = scrape();
    for (family, at_least) in [
        ("etcd_mvcc_put_total", 3.0),
        ("etcd_debugging_mvcc_put_total", 3.0),
        ("etcd_mvcc_range_total", 2.0),
        ("etcd_debugging_mvcc_range_total", 2.0),
        ("etcd_mvcc_delete_total", 1.0),
        ("etcd_debugging_mvcc_delete_total", 1.0),
        ("etcd_mvcc_txn_total", 1.0),
        ("etcd_debugging_mvcc_txn_total", 1.0),
        ("etcd_disk_backend_defrag_duration_seconds_count", 1.0),
        ("etcd_server_slow_apply_total", 3.0),
    ] {
        let moved = value(&after, family) - value(&before, family);
        assert!(
            moved >= at_least,
            "{family} moved by {moved}, expected ≥ {at_least}:\n{after}"
        );
    }
}

/// Families real etcd moves under this traffic and we leave at zero on purpose (see
/// `observability::EXTRA_FAMILIES`): bbolt's commit phases (LMDB commits in one call), the v2
/// store that etcd 3.4 also uses for its membership (ours only serves `--enable-v2`), and the
/// read transaction etcd's backend keeps open at all times.
const NOT_MOVED_HERE: &[&str] = &[
    "etcd_debugging_disk_backend_commit_rebalance_duration_seconds",
    "etcd_debugging_disk_backend_commit_spill_duration_seconds",
    "etcd_debugging_store_reads_total",
    "etcd_debugging_store_writes_total",
    "etcd_mvcc_db_open_read_transactions",
    // etcd 3.4 hashes a new user's password with bcrypt inside apply, which makes `user add`
    // a slow apply there; here the hash is computed before the proposal.
    "etcd_server_slow_apply_total",
    // Counted when the machine is slow, not by the traffic (on a loaded machine real etcd
    // may count some and we none, or the reverse).
    "etcd_server_slow_read_indexes_total",
    "etcd_server_read_indexes_failed_total",
    "etcd_server_heartbeat_send_failures_total",
    "etcd_server_proposals_failed_total",
    "etcd_server_leader_changes_seen_total",
    // Whole milliseconds, as etcd observes them: a compaction under 1 ms adds 0 to the sum
    // (etcd's took longer on a loaded machine, ours not). Their `_count`s are compared exactly.
    "etcd_debugging_mvcc_db_compaction_total_duration_milliseconds_sum",
    "etcd_debugging_mvcc_index_compaction_pause_duration_milliseconds_sum",
];

/// Sum of every sample of each family (histograms: `_count` and `_sum` as their own
/// entries; buckets left out), Go's runtime families left out.
fn sums(text: &str) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    for l in text.lines().filter(|l| !l.starts_with('#')) {
        let Some((name_labels, v)) = l.rsplit_once(' ') else {
            continue;
        };
        let name = name_labels.split('{').next().unwrap_or(name_labels);
        if name.starts_with("go_") || name.ends_with("_bucket") {
            continue;
        }
        *out.entry(name.to_string()).or_insert(0.0) += v.parse::<f64>().unwrap_or(0.0);
    }
    out
}

/// `# TYPE` lines (name and type), Go's runtime families left out.
fn typed(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter(|l| l.starts_with("# TYPE ") && !l.starts_with("# TYPE go_"))
        .map(String::from)
        .collect()
}

/// The same etcdctl traffic on one member: puts, a range, a delete, a lease granted, renewed
/// with keys attached and revoked, a compaction, a snapshot, a health check and auth, then a
/// scrape taken while a watcher that received one event is still open. Returns the page and
/// how many puts of `w`=`x` it took until the watcher saw one (the watcher registers
/// asynchronously).
fn traffic_then_scrape(m: &Member) -> (String, u32) {
    let ep = m.client_url();
    let ctl = |args: &[&str]| {
        let out = etcdctl(&ep, args, None);
        assert!(out.status.success(), "{args:?}: {out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    ctl(&["put", "a", "1"]);
    ctl(&["put", "b", "22"]);
    ctl(&["get", "a"]);
    ctl(&["del", "b"]);
    let grant = ctl(&["lease", "grant", "60"]);
    let lease = grant
        .split_whitespace()
        .nth(1)
        .expect("lease id")
        .to_string();
    ctl(&["put", "--lease", &lease, "c", "333"]);
    ctl(&["put", "--lease", &lease, "d", "4"]);
    ctl(&["lease", "keep-alive", "--once", &lease]);
    ctl(&["lease", "revoke", &lease]);
    ctl(&["compact", "3"]);
    let dir = tempfile::tempdir().expect("tempdir");
    let snap = dir.path().join("s.db");
    ctl(&["snapshot", "save", &snap.display().to_string()]);
    ctl(&["user", "add", "root:pw"]);
    let (code, body) = http_get(m.client_addr(), "/health").expect("GET /health");
    assert_eq!(code, 200, "{body}");
    let watch = etcdctl_bg(&ep, &["watch", "w"]);
    // The watcher is registered once its stream is up; a put after that reaches it.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let mut puts = 0;
    loop {
        ctl(&["put", "w", "x"]);
        puts += 1;
        if watch.next_line(Duration::from_millis(500)).is_some() {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "watch got no event");
    }
    let (code, body) = http_get(m.client_addr(), "/metrics").expect("scrape /metrics");
    assert_eq!(code, 200, "{body}");
    drop(watch);
    (body, puts)
}

/// The ⊇ check against real etcd 3.4.23, exact per family and type, and the values: what
/// moved there moved here, and the deterministic families agree.
#[test]
fn families_and_values_follow_real_etcd_under_the_same_traffic() {
    crate::require_etcd!();
    let (theirs, their_puts) =
        traffic_then_scrape(&Member::start(ServerKind::Etcd, MemberOpts::named("mr")));
    let (ours, our_puts) =
        traffic_then_scrape(&Member::start(ServerKind::Ours, MemberOpts::named("mo")));
    let missing: Vec<_> = typed(&theirs).difference(&typed(&ours)).cloned().collect();
    assert!(
        missing.is_empty(),
        "families etcd has and we lack: {missing:#?}"
    );

    let (mut t, mut o) = (sums(&theirs), sums(&ours));
    // The `w`=`x` puts (2 bytes each) until the watcher saw one differ between runs.
    for (sums, puts) in [(&mut t, their_puts), (&mut o, our_puts)] {
        if let Some(v) = sums.get_mut("etcd_debugging_mvcc_total_put_size_in_bytes") {
            *v -= 2.0 * f64::from(puts);
        }
    }
    let not_moved: Vec<_> = t
        .iter()
        .filter(|(name, v)| **v != 0.0 && o.get(*name).copied().unwrap_or(0.0) == 0.0)
        .map(|(name, _)| name.clone())
        .filter(|n| !NOT_MOVED_HERE.iter().any(|f| n.starts_with(f)))
        .collect();
    assert!(
        not_moved.is_empty(),
        "moved on etcd, zero here: {not_moved:#?}\n{ours}"
    );

    for family in [
        "etcd_debugging_mvcc_keys_total",
        "etcd_debugging_mvcc_compact_revision",
        "etcd_debugging_mvcc_total_put_size_in_bytes",
        "etcd_debugging_lease_granted_total",
        "etcd_debugging_lease_revoked_total",
        "etcd_debugging_lease_renewed_total",
        "etcd_debugging_lease_ttl_total_count",
        "etcd_debugging_lease_ttl_total_sum",
        "etcd_debugging_mvcc_watcher_total",
        "etcd_debugging_mvcc_watch_stream_total",
        "etcd_debugging_mvcc_slow_watcher_total",
        "etcd_server_health_success",
        "etcd_disk_backend_snapshot_duration_seconds_count",
        "etcd_debugging_mvcc_db_compaction_total_duration_milliseconds_count",
        "etcd_debugging_mvcc_index_compaction_pause_duration_milliseconds_count",
    ] {
        assert_eq!(
            o.get(family),
            t.get(family),
            "{family}: ours vs etcd's\n{ours}"
        );
    }
    for family in [
        "etcd_network_client_grpc_sent_bytes_total",
        "etcd_network_client_grpc_received_bytes_total",
        "etcd_debugging_mvcc_events_total",
        "etcd_disk_wal_write_bytes_total",
        "etcd_debugging_auth_revision",
        "etcd_debugging_mvcc_db_total_size_in_bytes",
        "process_cpu_seconds_total",
    ] {
        assert!(
            o.get(family).copied().unwrap_or(0.0) > 0.0,
            "{family} did not move\n{ours}"
        );
    }
}
