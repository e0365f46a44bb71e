//! Metric families that used to be registered but always zero now move with the work they
//! count: `etcd_mvcc_{put,range,delete,txn}_total` and their `etcd_debugging_mvcc_*` twins
//! (etcd's `metricsTxnWrite`: a txn counts when it runs more than one operation), and
//! `etcd_disk_backend_defrag_duration_seconds` (one observation per successful defrag).

use crate::harness::{http_get, our_ctl, Member, MemberOpts, ServerKind};

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
    let m = Member::start(ServerKind::Ours, MemberOpts::named("mfam"));
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
    ] {
        let moved = value(&after, family) - value(&before, family);
        assert!(
            moved >= at_least,
            "{family} moved by {moved}, expected ≥ {at_least}:\n{after}"
        );
    }
}
