//! Network faults of the robustness runs, injected on the per-link proxies
//! ([`crate::harness::links`]): each fault holds for a random time (longer than an election
//! timeout, so leadership moves), then every link is healed before the next one.
//!
//! - `partition_minority`: a random minority (1 of 3; 1 or 2 of 5) cut from the rest.
//! - `partition_leader`: the current leader cut from every other member.
//! - `bridge` (5 members): two pairs that cannot reach each other, the fifth member reaching
//!   both (Jepsen's "bridge").
//! - `one_way`: every packet from one member to another lost, the reverse delivered; at times
//!   every packet from the leader to all others (it still hears votes and grants them).
//! - `delay_loss`: on about half the links, a delay of 5–80 ms and a loss of up to 20 %.
//! - `snapshot_catchup`: a follower cut off while the others snapshot and purge, then healed
//!   (it catches up by a snapshot); half the time one of the snapshot send/install failpoints
//!   is set to crash on the member that reaches it.

use std::time::Duration;

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::Rng;

use super::{Fault, Scenario};
use crate::harness::links::{LinkFault, Links};
use crate::harness::Cluster;

/// Index of the member that reports itself the leader, if one answers within a second (an
/// old leader cut off may still believe it leads until it hears of a newer term).
pub(super) fn leader(rt: &tokio::runtime::Runtime, c: &Cluster) -> Option<usize> {
    let all: Vec<usize> = (0..c.members.len()).collect();
    leader_among(rt, c, &all)
}

/// [`leader`] asking only the members `among`.
pub(super) fn leader_among(
    rt: &tokio::runtime::Runtime,
    c: &Cluster,
    among: &[usize],
) -> Option<usize> {
    c.members.iter().enumerate().find_map(|(i, m)| {
        if !among.contains(&i) {
            return None;
        }
        m.pid()?;
        let cl = super::client(&m.client_url());
        let st = rt
            .block_on(async { tokio::time::timeout(Duration::from_secs(1), cl.status()).await })
            .ok()?
            .ok()?;
        let me = st.header.map(|h| h.member_id)?;
        (st.leader == me && me != 0).then_some(i)
    })
}

fn hold(rng: &mut StdRng, ms: std::ops::Range<u64>) {
    std::thread::sleep(Duration::from_millis(rng.random_range(ms)));
}

/// Injects one network fault of `kind` and heals it; `None` when `kind` is no network fault.
pub(super) fn inject(
    rt: &tokio::runtime::Runtime,
    c: &mut Cluster,
    l: &Links,
    kind: Scenario,
    rng: &mut StdRng,
) -> Option<Fault> {
    let n = l.len();
    let fault = match kind {
        Scenario::PartitionMinority => {
            let mut all: Vec<usize> = (0..n).collect();
            all.shuffle(rng);
            let size = rng.random_range(1..=(n - 1) / 2);
            l.partition(&all[..size]);
            hold(rng, 1000..4000);
            Fault::Partition
        }
        Scenario::PartitionLeader => {
            let lead = leader(rt, c).unwrap_or_else(|| rng.random_range(0..n));
            l.partition(&[lead]);
            hold(rng, 1500..4000);
            Fault::LeaderIsolated
        }
        Scenario::Bridge => {
            let mut all: Vec<usize> = (0..n).collect();
            all.shuffle(rng);
            // all[0] is the bridge; the rest split into two halves.
            let (a, b) = all[1..].split_at((n - 1) / 2);
            for x in a {
                for y in b {
                    l.set(*x, *y, LinkFault::CUT);
                    l.set(*y, *x, LinkFault::CUT);
                }
            }
            hold(rng, 2000..5000);
            Fault::Bridge
        }
        Scenario::OneWay => {
            if rng.random_bool(0.5) {
                let lead = leader(rt, c).unwrap_or_else(|| rng.random_range(0..n));
                for to in (0..n).filter(|to| *to != lead) {
                    l.drop_one_way(lead, to);
                }
            } else {
                let from = rng.random_range(0..n);
                let to = (from + rng.random_range(1..n)) % n;
                l.drop_one_way(from, to);
            }
            hold(rng, 1500..4000);
            Fault::OneWay
        }
        Scenario::DelayLoss => {
            for a in 0..n {
                for b in (0..n).filter(|b| *b != a) {
                    if rng.random_bool(0.5) {
                        l.set(
                            a,
                            b,
                            LinkFault {
                                delay: Duration::from_millis(rng.random_range(5..80)),
                                loss: rng.random_range(0.0..0.2),
                                ..Default::default()
                            },
                        );
                    }
                }
            }
            hold(rng, 2000..5000);
            Fault::DelayLoss
        }
        Scenario::SnapshotCatchUp => return Some(snapshot_catchup(rt, c, l, rng)),
        _ => return None,
    };
    l.heal();
    Some(fault)
}

/// Cuts a follower off long enough for the others to snapshot past it, optionally with a
/// snapshot failpoint set to crash, heals, and restarts a member the failpoint crashed.
fn snapshot_catchup(
    rt: &tokio::runtime::Runtime,
    c: &mut Cluster,
    l: &Links,
    rng: &mut StdRng,
) -> Fault {
    let n = l.len();
    let lead = leader(rt, c).unwrap_or(0);
    let follower = (lead + rng.random_range(1..n)) % n;
    let point = rng
        .random_bool(0.5)
        .then(|| super::SNAPSHOT_POINTS[rng.random_range(0..super::SNAPSHOT_POINTS.len())]);
    // The leader sends the snapshot, the follower installs it.
    let target = match point {
        Some("raftBeforeLeaderSendSnap") => lead,
        _ => follower,
    };
    if let Some(name) = point {
        let _ = crate::harness::http_request(
            c.members[target].client_addr(),
            "PUT",
            &format!("/debug/failpoints/{name}"),
            "panic",
        );
    }
    l.partition(&[follower]);
    hold(rng, 2500..4500);
    l.heal();
    let Some(name) = point else {
        hold(rng, 1000..2000);
        return Fault::SnapshotCatchUp;
    };
    let m = &mut c.members[target];
    if m.wait_exit(Duration::from_secs(6)).is_some() {
        m.restart();
        return Fault::SnapshotFailpointCrash;
    }
    let _ = crate::harness::http_request(
        m.client_addr(),
        "DELETE",
        &format!("/debug/failpoints/{name}"),
        "",
    );
    if m.wait_exit(Duration::from_millis(500)).is_some() {
        m.restart();
        return Fault::SnapshotFailpointCrash;
    }
    Fault::SnapshotCatchUp
}

/// etcd's historical "stale read after a partition heals" (Jepsen's etcd analysis): an old
/// leader cut off from the others must not answer a linearizable read with a value the new
/// leader has overwritten, neither while cut off nor right after the heal. Also shows that the
/// link proxies do cut members off: the others elect a new leader.
#[test]
fn isolated_old_leader_serves_no_stale_linearizable_read() {
    use etcd_oxide::pb::etcdserverpb::{PutRequest, RangeRequest};
    use std::time::Instant;
    let (c, l) = Cluster::start_linked(3, "rob-stale", &|_| Vec::new(), &[]);
    let rt = crate::harness::multi_thread_runtime();
    let bound = Duration::from_secs(15);
    let start = Instant::now();
    let old = loop {
        if let Some(i) = leader(&rt, &c) {
            break i;
        }
        assert!(start.elapsed() < bound, "no leader within {bound:?}");
        std::thread::sleep(Duration::from_millis(100));
    };
    let _g = rt.enter();
    let on_old = super::client(&c.members[old].client_url());
    let put = |cl: &etcd_oxide::client::Client, v: &str| {
        rt.block_on(async {
            tokio::time::timeout(
                Duration::from_secs(3),
                cl.put(PutRequest {
                    key: b"stale/k".to_vec(),
                    value: v.as_bytes().to_vec(),
                    ..Default::default()
                }),
            )
            .await
        })
    };
    let get = |cl: &etcd_oxide::client::Client| {
        rt.block_on(async {
            tokio::time::timeout(
                Duration::from_secs(3),
                cl.range(RangeRequest {
                    key: b"stale/k".to_vec(),
                    ..Default::default()
                }),
            )
            .await
        })
        .ok()
        .and_then(Result::ok)
        .map(|r| r.kvs.first().map(|kv| kv.value.clone()).unwrap_or_default())
    };
    put(&on_old, "v1").expect("put v1 in time").expect("put v1");
    l.partition(&[old]);
    // The other two elect a new leader and take a write.
    let others: Vec<usize> = (0..3).filter(|i| *i != old).collect();
    let start = Instant::now();
    let new_cl = loop {
        let cl = super::client(
            &c.members[others[start.elapsed().as_millis() as usize % 2]].client_url(),
        );
        if matches!(put(&cl, "v2"), Ok(Ok(_))) {
            break cl;
        }
        assert!(
            start.elapsed() < bound,
            "the majority took no write within {bound:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let _ = new_cl;
    let new_leader = leader_among(&rt, &c, &others);
    assert!(
        new_leader.is_some_and(|i| i != old),
        "the majority reports leader {new_leader:?}, the old one was {old}"
    );
    // Cut off, the old leader answers no linearizable read with v1.
    if let Some(v) = get(&on_old) {
        assert_eq!(
            v, b"v2",
            "stale linearizable read on the isolated old leader"
        );
    }
    l.heal();
    // Right after the heal: v2 or no answer, never v1.
    let start = Instant::now();
    loop {
        match get(&on_old) {
            Some(v) => {
                assert_eq!(
                    v, b"v2",
                    "stale linearizable read after the partition healed"
                );
                break;
            }
            None => assert!(
                start.elapsed() < bound,
                "old leader answered nothing after the heal"
            ),
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Three linked members that snapshot every 40 entries and keep only 10 entries for lagging
/// followers (`FAILPOINTS_SNAPSHOT_CATCHUP_ENTRIES`, failpoints build), so a follower cut off
/// for a few hundred writes catches up by a snapshot; with a runtime and the leader's index
/// (bounded wait of 20 s).
fn short_catch_up_cluster(token: &str) -> (Cluster, Links, tokio::runtime::Runtime, usize) {
    let (c, l) = Cluster::start_linked(
        3,
        token,
        &|_| vec!["--snapshot-count=40".into()],
        &[(
            "FAILPOINTS_SNAPSHOT_CATCHUP_ENTRIES".to_string(),
            "10".to_string(),
        )],
    );
    let rt = crate::harness::multi_thread_runtime();
    let bound = Duration::from_secs(20);
    let start = std::time::Instant::now();
    let lead = loop {
        if let Some(i) = leader(&rt, &c) {
            break i;
        }
        assert!(start.elapsed() < bound, "no leader within {bound:?}");
        std::thread::sleep(Duration::from_millis(100));
    };
    (c, l, rt, lead)
}

/// Regression (campaign seed 5029): a follower that crashes right before it installs a
/// snapshot from the leader (`raftBeforeApplySnap`) restarts and catches up. openraft 0.9
/// purges the log up to an incoming snapshot as soon as it queues the install; before the
/// log store's purge waited for the state machine to cover the purge point, the restarted
/// member found its log purged past its applied state and could not start.
#[test]
fn crash_before_snapshot_install_restarts_and_catches_up() {
    use etcd_oxide::pb::etcdserverpb::{PutRequest, RangeRequest};
    use std::time::Instant;
    if !cfg!(feature = "failpoints") {
        eprintln!("skipping: needs the failpoints build");
        return;
    }
    let (mut c, l, rt, lead) = short_catch_up_cluster("rob-snapcrash");
    let bound = Duration::from_secs(20);
    let f = (lead + 1) % 3;
    let (status, body) = crate::harness::http_request(
        c.members[f].client_addr(),
        "PUT",
        "/debug/failpoints/raftBeforeApplySnap",
        "panic",
    )
    .expect("set the failpoint");
    assert!(status < 300, "failpoint not set: {status} {body}");
    l.partition(&[f]);
    let _g = rt.enter();
    let on_lead = super::client(&c.members[lead].client_url());
    for i in 0..200 {
        rt.block_on(async {
            tokio::time::timeout(
                Duration::from_secs(5),
                on_lead.put(PutRequest {
                    key: format!("snapcrash/{i}").into_bytes(),
                    value: b"v".to_vec(),
                    ..Default::default()
                }),
            )
            .await
        })
        .expect("put in time")
        .expect("put");
    }
    l.heal();
    let crashed = c.members[f].wait_exit(Duration::from_secs(20));
    assert!(
        crashed.is_some(),
        "the follower never reached raftBeforeApplySnap:\n{}",
        c.members[f].stderr_tail(20)
    );
    // The failpoint was set at run time: the restarted member runs without it.
    c.members[f].restart();
    let on_f = super::client(&c.members[f].client_url());
    let start = Instant::now();
    loop {
        let got = rt
            .block_on(async {
                tokio::time::timeout(
                    Duration::from_secs(3),
                    on_f.range(RangeRequest {
                        key: b"snapcrash/199".to_vec(),
                        serializable: true,
                        ..Default::default()
                    }),
                )
                .await
            })
            .ok()
            .and_then(Result::ok)
            .is_some_and(|r| r.kvs.len() == 1);
        if got {
            break;
        }
        assert!(
            start.elapsed() < bound,
            "the restarted follower did not catch up within {bound:?}:\n{}",
            c.members[f].stderr_tail(20)
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Regression (campaign seed 700187, `snapshot_catchup`): a watcher on a follower that catches
/// up by a snapshot gets every event of the revisions the snapshot brought. Before the fix the
/// follower's synced watchers were not told about the installed state: their next event was
/// the first one applied after the install, and the snapshot's revisions were skipped
/// silently (etcd moves them to its unsynced group: `watchableStore.Restore`).
#[test]
fn watch_on_a_follower_catching_up_by_snapshot_misses_no_event() {
    use etcd_oxide::pb::etcdserverpb::{PutRequest, WatchCreateRequest};
    use std::time::Instant;
    if !cfg!(feature = "failpoints") {
        eprintln!("skipping: needs the failpoints build (a short snapshot catch-up log)");
        return;
    }
    let (c, l, rt, lead) = short_catch_up_cluster("rob-snapwatch");
    let f = (lead + 1) % 3;
    let _g = rt.enter();
    let on_f = super::client(&c.members[f].client_url());
    let mut w = rt
        .block_on(on_f.watch(WatchCreateRequest {
            key: b"snapwatch/".to_vec(),
            range_end: b"snapwatch0".to_vec(),
            prev_kv: true,
            ..Default::default()
        }))
        .expect("watch on the follower");
    l.partition(&[f]);
    let on_lead = super::client(&c.members[lead].client_url());
    let mut revs = Vec::new();
    for i in 0..200 {
        let r = rt
            .block_on(async {
                tokio::time::timeout(
                    Duration::from_secs(5),
                    on_lead.put(PutRequest {
                        key: format!("snapwatch/{i}").into_bytes(),
                        value: b"v".to_vec(),
                        ..Default::default()
                    }),
                )
                .await
            })
            .expect("put in time")
            .expect("put");
        revs.push(r.header.map_or(0, |h| h.revision));
    }
    l.heal();
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while seen.len() < revs.len() {
        let left = deadline.saturating_duration_since(Instant::now());
        let resp = rt
            .block_on(tokio::time::timeout(left, w.next()))
            .unwrap_or_else(|_| {
                panic!(
                    "the follower's watcher got {} of {} events within 30 s (last {:?}):\n{}",
                    seen.len(),
                    revs.len(),
                    seen.last(),
                    c.members[f].stderr_tail(20)
                )
            })
            .expect("watch stream")
            .expect("stream open");
        assert_eq!(resp.compact_revision, 0, "not compacted: {resp:?}");
        seen.extend(
            resp.events
                .iter()
                .filter_map(|e| e.kv.as_ref().map(|kv| kv.mod_revision)),
        );
    }
    assert_eq!(seen, revs, "every revision, in order, once");
    assert!(
        c.members[f]
            .stderr()
            .contains("finished applying incoming snapshot at index"),
        "the follower caught up by a snapshot:\n{}",
        c.members[f].stderr_tail(20)
    );
}
