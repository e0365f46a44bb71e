//! Fault tolerance of a three-member cluster: crashes (`kill -9`), pauses (`SIGSTOP`, which looks
//! like a network partition of that member to the others), loss of quorum and whole-cluster
//! restarts, under client load.
//!
//! What each test proves (run against OUR server; the `_etcd` twins run the same scenario against
//! the official etcd 3.4 to validate the test itself):
//! - `kill_leader_under_load_*`: with three clients putting through all endpoints (failing over
//!   on errors), `kill -9` of the leader loses no acknowledged write, the two survivors agree on a
//!   new leader within [`ELECTION_BOUND`], writes go on, and after the killed member restarts all
//!   three converge (same revision, same `HashKV` at that revision).
//! - `paused_follower_*`: with one follower stopped, writes and linearizable reads are served by
//!   the other two; after `SIGCONT` the follower catches up (same revision and hash).
//! - `paused_leader_*`: with the leader stopped, the other two elect a new leader and serve;
//!   after `SIGCONT` the old leader reports the new leader (it stepped down) and catches up; no
//!   acknowledged write is lost.
//! - `majority_paused_*`: with two of three stopped, a put through the live member fails within
//!   a bound with one of etcd's messages (`context deadline exceeded`, `etcdserver: request timed
//!   out`, ...), while a serializable get (`--consistency=s`) still answers there; after `SIGCONT`
//!   writes succeed again.
//! - `restart_all_*`: `kill -9` of every member then a restart of all keeps every acknowledged
//!   key.
//! - `linearizable_history_under_faults_*`: four clients run puts, gets and CAS transactions on
//!   five keys while members are killed, paused and restarted; the recorded history (invoke and
//!   complete times, unknown outcomes for timeouts) must be linearizable per key
//!   (`linearizability::check`), and a watcher from revision 1 (re-subscribing after a failure
//!   from the last revision seen + 1, as clientv3 does) must see every revision exactly once, in
//!   order, each event equal to `get --rev=<rev>` of the final cluster.
//!
//! Every wait is bounded; members are signalled by the PID the harness started, never by name.
//! Stopped members are continued when the guard drops, and the harness kills everything on Drop
//! and prints each member's stderr when a test fails.
//!
//! Reproduce a failure: `cargo test --test it faults -- --nocapture --test-threads=1`.

use std::collections::BTreeMap;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use etcd_oxide::client::{Client, ClientConfig};
use etcd_oxide::pb::etcdserverpb::{
    compare::{CompareResult, CompareTarget, TargetUnion},
    request_op::Request,
    Compare, PutRequest, RangeRequest, RequestOp, TxnRequest, WatchCreateRequest,
};
use rand::Rng;

use crate::harness::{etcdctl, multi_thread_runtime, ok_stdout, Cluster, Member, ServerKind};
use crate::linearizability::{self, In, Op, Out};

/// A new leader must be agreed on within this time after the old one fails: a deadline for
/// "an election happens", not a speed target (a loaded 2-core CI machine starves members for
/// seconds; real etcd once took over 5 s there).
const ELECTION_BOUND: Duration = Duration::from_secs(15);
/// Bound on catching up / converging after a fault heals.
const CONVERGE_BOUND: Duration = Duration::from_secs(15);
/// Per-call deadline of the load clients.
const CALL_TIMEOUT: Duration = Duration::from_millis(1500);

/// A client bound to exactly one member.
pub(crate) fn one(url: &str, timeout: Duration) -> Client {
    Client::new(&ClientConfig {
        endpoints: vec![url.to_string()],
        dial_timeout: Duration::from_secs(1),
        request_timeout: timeout,
        credentials: None,
        tls: None,
    })
    .expect("client")
}

/// One client per member, in member order.
pub(crate) fn clients(c: &Cluster, timeout: Duration) -> Arc<Vec<Client>> {
    Arc::new(
        c.members
            .iter()
            .map(|m| one(&m.client_url(), timeout))
            .collect(),
    )
}

// ---------------------------------------------------------------------------------------------
// Signals

/// Sends `SIGSTOP`/`SIGCONT` to the member's process (by the PID the harness started).
fn signal(m: &Member, sig: &str) {
    let pid = m
        .pid()
        .unwrap_or_else(|| panic!("member {} is not running", m.opts.name));
    let st = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .status()
        .expect("run kill");
    assert!(st.success(), "kill -{sig} {pid} failed: {st}");
}

/// Continues every paused PID when dropped (so a failing test leaves nothing stopped; the
/// harness then SIGKILLs them anyway).
pub(crate) struct Paused(Vec<u32>);

impl Paused {
    /// Sends `SIGSTOP` to each member (by the PID the harness started).
    pub(crate) fn pause(members: &[&Member]) -> Paused {
        for m in members {
            signal(m, "STOP");
        }
        Paused(members.iter().filter_map(|m| m.pid()).collect())
    }
    /// Sends `SIGCONT` to every paused member.
    pub(crate) fn resume(mut self) {
        self.cont();
    }
    fn cont(&mut self) {
        for pid in self.0.drain(..) {
            let _ = Command::new("kill")
                .arg("-CONT")
                .arg(pid.to_string())
                .status();
        }
    }
}

impl Drop for Paused {
    fn drop(&mut self) {
        self.cont();
    }
}

// ---------------------------------------------------------------------------------------------
// Cluster state

/// (member ID, leader ID, revision) of each member in `live`, `None` for members that did not
/// answer.
pub(crate) async fn statuses(cs: &[Client], live: &[usize]) -> Vec<Option<(u64, u64, i64)>> {
    let mut out = Vec::new();
    for &i in live {
        out.push(cs[i].status().await.ok().map(|s| {
            let h = s.header.unwrap_or_default();
            (h.member_id, s.leader, h.revision)
        }));
    }
    out
}

/// Waits until every member in `live` answers and they all name the same leader, a member of
/// `live` whose ID is not `not`. Returns (leader index, its member ID, time taken).
fn wait_leader(
    rt: &tokio::runtime::Runtime,
    cs: &[Client],
    live: &[usize],
    not: u64,
    bound: Duration,
) -> (usize, u64, Duration) {
    let start = Instant::now();
    let mut last = Vec::new();
    while start.elapsed() < bound {
        let st = rt.block_on(statuses(cs, live));
        if st.iter().all(Option::is_some) {
            let st: Vec<(u64, u64, i64)> = st.into_iter().flatten().collect();
            let leader = st[0].1;
            if leader != 0 && leader != not && st.iter().all(|s| s.1 == leader) {
                if let Some(pos) = st.iter().position(|s| s.0 == leader) {
                    return (live[pos], leader, start.elapsed());
                }
            }
            last = st.iter().map(|s| Some(*s)).collect();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("no agreed leader among members {live:?} (excluding {not:x}) within {bound:?}; last (id, leader, rev): {last:?}");
}

/// Waits until all members answer with the same revision and the same `HashKV` at it; returns
/// the revision.
pub(crate) fn wait_converged(rt: &tokio::runtime::Runtime, cs: &[Client], bound: Duration) -> i64 {
    let all: Vec<usize> = (0..cs.len()).collect();
    let start = Instant::now();
    let mut last = String::from("(nothing yet)");
    while start.elapsed() < bound {
        let st = rt.block_on(statuses(cs, &all));
        if st.iter().all(Option::is_some) {
            let revs: Vec<i64> = st.iter().flatten().map(|s| s.2).collect();
            if revs.iter().all(|r| *r == revs[0]) {
                let rev = revs[0];
                let hashes: Vec<Option<u32>> = rt
                    .block_on(async {
                        futures::future::join_all(cs.iter().map(|c| c.hash_kv(rev))).await
                    })
                    .into_iter()
                    .map(|r| r.ok().map(|h| h.hash))
                    .collect();
                if hashes.iter().all(|h| h.is_some() && *h == hashes[0]) {
                    return rev;
                }
                last = format!("revision {rev} everywhere but hashes {hashes:?}");
            } else {
                last = format!("revisions {revs:?}");
            }
        } else {
            last = format!("statuses {st:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("members did not converge within {bound:?}: {last}");
}

// ---------------------------------------------------------------------------------------------
// Write load

/// An acknowledged put.
#[derive(Debug, Clone)]
pub(crate) struct Ack {
    pub(crate) key: String,
    pub(crate) value: String,
    pub(crate) revision: i64,
}

/// A running write load: its stop flag, the acknowledged puts so far, the writer tasks.
pub(crate) type Load = (
    Arc<AtomicBool>,
    Arc<Mutex<Vec<Ack>>>,
    Vec<tokio::task::JoinHandle<()>>,
);

/// Runs `n` writer tasks putting `load/<tag><t>/<i>` through all members (moving to the next member
/// after any error) until the returned flag is set; acknowledged puts land in the vector.
pub(crate) fn start_load(
    rt: &tokio::runtime::Runtime,
    cs: &Arc<Vec<Client>>,
    n: usize,
    tag: &str,
) -> Load {
    let stop = Arc::new(AtomicBool::new(false));
    let acks = Arc::new(Mutex::new(Vec::new()));
    let mut handles = Vec::new();
    for t in 0..n {
        let (cs, stop, acks) = (Arc::clone(cs), Arc::clone(&stop), Arc::clone(&acks));
        let tag = tag.to_string();
        handles.push(rt.spawn(async move {
            let mut ep = t % cs.len();
            let mut i = 0u64;
            while !stop.load(Ordering::SeqCst) {
                let key = format!("load/{tag}{t}/{i:06}");
                let value = format!("v{t}-{i}");
                let req = PutRequest {
                    key: key.clone().into_bytes(),
                    value: value.clone().into_bytes(),
                    ..Default::default()
                };
                match cs[ep].put(req).await {
                    Ok(r) => acks.lock().expect("acks").push(Ack {
                        key,
                        value,
                        revision: r.header.map_or(0, |h| h.revision),
                    }),
                    Err(_) => {
                        ep = (ep + 1) % cs.len();
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                }
                i += 1;
            }
        }));
    }
    (stop, acks, handles)
}

pub(crate) fn stop_load(
    rt: &tokio::runtime::Runtime,
    stop: &AtomicBool,
    handles: Vec<tokio::task::JoinHandle<()>>,
) {
    stop.store(true, Ordering::SeqCst);
    rt.block_on(async {
        for h in handles {
            // Each task stops after its current call (≤ CALL_TIMEOUT).
            let _ = tokio::time::timeout(CALL_TIMEOUT * 3, h).await;
        }
    });
}

/// Every acknowledged put is readable (linearizably, through member `via`) with its value at
/// its revision.
pub(crate) fn check_acks(rt: &tokio::runtime::Runtime, c: &Client, acks: &[Ack], what: &str) {
    assert!(!acks.is_empty(), "{what}: no put was acknowledged at all");
    let resp = rt
        .block_on(c.range(RangeRequest {
            key: b"load/".to_vec(),
            range_end: b"load0".to_vec(),
            ..Default::default()
        }))
        .expect("range load/");
    let got: BTreeMap<Vec<u8>, (Vec<u8>, i64)> = resp
        .kvs
        .into_iter()
        .map(|kv| (kv.key, (kv.value, kv.mod_revision)))
        .collect();
    let mut lost = Vec::new();
    for a in acks {
        match got.get(a.key.as_bytes()) {
            Some((v, rev)) if v == a.value.as_bytes() && *rev == a.revision => {}
            other => lost.push(format!(
                "{} (acked {} at rev {}): found {:?}",
                a.key,
                a.value,
                a.revision,
                other.map(|(v, r)| (String::from_utf8_lossy(v).into_owned(), *r))
            )),
        }
    }
    assert!(
        lost.is_empty(),
        "{what}: {} of {} acknowledged puts lost or wrong, first: {:#?}",
        lost.len(),
        acks.len(),
        &lost[..lost.len().min(5)]
    );
}

fn ids(rt: &tokio::runtime::Runtime, cs: &[Client]) -> Vec<u64> {
    let all: Vec<usize> = (0..cs.len()).collect();
    rt.block_on(statuses(cs, &all))
        .into_iter()
        .map(|s| s.expect("status of every member").0)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Scenarios

fn kill_leader_under_load(kind: ServerKind) {
    let mut c = Cluster::start(kind, 3, "it-faults-kill");
    let rt = multi_thread_runtime();
    let cs = clients(&c, CALL_TIMEOUT);
    let (leader, leader_id, _) = wait_leader(&rt, &cs, &[0, 1, 2], 0, ELECTION_BOUND);
    let (stop, acks, handles) = start_load(&rt, &cs, 3, "");
    std::thread::sleep(Duration::from_millis(1500));
    let before = acks.lock().expect("acks").len();
    c.members[leader].kill9();
    let survivors: Vec<usize> = (0..3).filter(|i| *i != leader).collect();
    let (_, new_leader, took) = wait_leader(&rt, &cs, &survivors, leader_id, ELECTION_BOUND);
    eprintln!("{kind:?}: leader {leader_id:x} killed after {before} acks; new leader {new_leader:x} after {took:?}");
    let at_election = acks.lock().expect("acks").len();
    std::thread::sleep(Duration::from_millis(1500));
    stop_load(&rt, &stop, handles);
    let acks = acks.lock().expect("acks").clone();
    assert!(
        acks.len() > at_election,
        "{kind:?}: no put acknowledged after the new leader was elected ({} acks)",
        acks.len()
    );
    check_acks(
        &rt,
        &cs[survivors[0]],
        &acks,
        &format!("{kind:?} after leader kill"),
    );
    c.members[leader].restart();
    let rev = wait_converged(&rt, &cs, CONVERGE_BOUND);
    check_acks(
        &rt,
        &cs[leader],
        &acks,
        &format!("{kind:?} on the restarted old leader"),
    );
    // The etcdctl view: hashkv --cluster lists three endpoints with one hash.
    let out = ok_stdout(
        &etcdctl(
            &c.members[0].client_url(),
            &["endpoint", "hashkv", "--cluster", &format!("--rev={rev}")],
            None,
        ),
        "endpoint hashkv --cluster",
    );
    let hashes: Vec<&str> = out.lines().filter_map(|l| l.split(", ").nth(1)).collect();
    assert_eq!(hashes.len(), 3, "{kind:?}: {out}");
    assert!(
        hashes.iter().all(|h| *h == hashes[0]),
        "{kind:?}: hashes differ: {out}"
    );
}

#[test]
fn kill_leader_under_load_ours() {
    crate::require_etcd!();
    kill_leader_under_load(ServerKind::Ours);
}

#[test]
fn kill_leader_under_load_etcd() {
    crate::require_etcd!();
    kill_leader_under_load(ServerKind::Etcd);
}

fn paused_follower(kind: ServerKind) {
    let c = Cluster::start(kind, 3, "it-faults-minority");
    let rt = multi_thread_runtime();
    let cs = clients(&c, Duration::from_secs(3));
    let (leader, leader_id, _) = wait_leader(&rt, &cs, &[0, 1, 2], 0, ELECTION_BOUND);
    let follower = (leader + 1) % 3;
    let other = (leader + 2) % 3;
    let paused = Paused::pause(&[&c.members[follower]]);
    for i in 0..20 {
        let via = if i % 2 == 0 { leader } else { other };
        let key = format!("minority/{i:02}");
        let out = ok_stdout(
            &etcdctl(
                &c.members[via].client_url(),
                &["put", &key, &format!("v{i}")],
                None,
            ),
            "put with a follower paused",
        );
        assert_eq!(out.trim(), "OK", "{kind:?}");
        // Linearizable read through the other live member.
        let reader = if via == leader { other } else { leader };
        let out = ok_stdout(
            &etcdctl(
                &c.members[reader].client_url(),
                &["get", &key, "--print-value-only"],
                None,
            ),
            "linearizable get with a follower paused",
        );
        assert_eq!(
            out.trim(),
            format!("v{i}"),
            "{kind:?}: read of {key} via member {reader}"
        );
    }
    let (_, still, _) = wait_leader(&rt, &cs, &[leader, other], 0, ELECTION_BOUND);
    assert_eq!(
        still, leader_id,
        "{kind:?}: pausing a follower changed the leader"
    );
    paused.resume();
    wait_converged(&rt, &cs, CONVERGE_BOUND);
    let out = ok_stdout(
        &etcdctl(
            &c.members[follower].client_url(),
            &[
                "get",
                "minority/19",
                "--print-value-only",
                "--consistency=s",
            ],
            None,
        ),
        "serializable get on the resumed follower",
    );
    assert_eq!(
        out.trim(),
        "v19",
        "{kind:?}: resumed follower did not catch up"
    );
}

#[test]
fn paused_follower_ours() {
    crate::require_etcd!();
    paused_follower(ServerKind::Ours);
}

fn paused_leader(kind: ServerKind) {
    let c = Cluster::start(kind, 3, "it-faults-pause-leader");
    let rt = multi_thread_runtime();
    let cs = clients(&c, CALL_TIMEOUT);
    let (leader, leader_id, _) = wait_leader(&rt, &cs, &[0, 1, 2], 0, ELECTION_BOUND);
    let (stop, acks, handles) = start_load(&rt, &cs, 3, "");
    std::thread::sleep(Duration::from_millis(1000));
    let paused = Paused::pause(&[&c.members[leader]]);
    let majority: Vec<usize> = (0..3).filter(|i| *i != leader).collect();
    let (_, new_leader, took) = wait_leader(&rt, &cs, &majority, leader_id, ELECTION_BOUND);
    eprintln!("{kind:?}: leader {leader_id:x} paused; new leader {new_leader:x} after {took:?}");
    let at_election = acks.lock().expect("acks").len();
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        acks.lock().expect("acks").len() > at_election,
        "{kind:?}: the majority did not serve writes after electing {new_leader:x}"
    );
    paused.resume();
    // The old leader must step down: all three name the new leader.
    let (_, agreed, _) = wait_leader(&rt, &cs, &[0, 1, 2], leader_id, CONVERGE_BOUND);
    assert_eq!(
        agreed, new_leader,
        "{kind:?}: after SIGCONT the members agree on {agreed:x}, not {new_leader:x}"
    );
    std::thread::sleep(Duration::from_millis(500));
    stop_load(&rt, &stop, handles);
    wait_converged(&rt, &cs, CONVERGE_BOUND);
    let acks = acks.lock().expect("acks").clone();
    check_acks(
        &rt,
        &cs[leader],
        &acks,
        &format!("{kind:?} read on the old leader after it resumed"),
    );
}

#[test]
fn paused_leader_ours() {
    crate::require_etcd!();
    paused_leader(ServerKind::Ours);
}

/// The messages etcdctl may print when a write cannot reach a quorum.
const NO_QUORUM_ERRORS: &[&str] = &[
    "context deadline exceeded",
    "etcdserver: request timed out",
    "etcdserver: request timed out, possibly due to previous leader failure",
    "etcdserver: request timed out, possibly due to connection lost",
    "etcdserver: leader changed",
    "etcdserver: no leader",
];

fn majority_paused(kind: ServerKind) {
    let c = Cluster::start(kind, 3, "it-faults-majority");
    let url = |i: usize| c.members[i].client_url();
    ok_stdout(
        &etcdctl(&url(0), &["put", "majority/k", "before"], None),
        "put before the pause",
    );
    let paused = Paused::pause(&[&c.members[1], &c.members[2]]);
    let start = Instant::now();
    let out = etcdctl(
        &url(0),
        &["--command-timeout=3s", "put", "majority/k", "during"],
        None,
    );
    let took = start.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let msg = stderr
        .lines()
        .rev()
        .find(|l| l.starts_with("Error: "))
        .unwrap_or("")
        .trim_start_matches("Error: ")
        .to_string();
    eprintln!(
        "{kind:?}: put without quorum: exit {:?} after {took:?}: {msg:?}",
        out.status.code()
    );
    assert!(
        !out.status.success(),
        "{kind:?}: put succeeded without a quorum"
    );
    assert!(
        took < Duration::from_secs(10),
        "{kind:?}: put without quorum took {took:?}"
    );
    assert!(
        NO_QUORUM_ERRORS.contains(&msg.as_str()),
        "{kind:?}: unexpected error for a put without quorum: {stderr}"
    );
    let out = ok_stdout(
        &etcdctl(
            &url(0),
            &["get", "majority/k", "--consistency=s", "--print-value-only"],
            None,
        ),
        "serializable get without quorum",
    );
    assert_eq!(
        out.trim(),
        "before",
        "{kind:?}: serializable read on the live member"
    );
    paused.resume();
    let deadline = Instant::now() + CONVERGE_BOUND;
    loop {
        let out = etcdctl(
            &url(0),
            &["--command-timeout=2s", "put", "majority/k", "after"],
            None,
        );
        if out.status.success() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{kind:?}: writes did not resume within {CONVERGE_BOUND:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // The timed-out "during" put may still commit after the resume (its outcome is unknown
    // to the client, for etcd as for us), possibly after "after": either value is legal.
    let out = ok_stdout(
        &etcdctl(
            &c.endpoints(),
            &["get", "majority/k", "--print-value-only"],
            None,
        ),
        "get after resume",
    );
    assert!(
        matches!(out.trim(), "after" | "during"),
        "{kind:?}: unexpected value {out:?}"
    );
    ok_stdout(
        &etcdctl(&c.endpoints(), &["put", "majority/k", "final"], None),
        "put after resume",
    );
    let out = ok_stdout(
        &etcdctl(
            &c.endpoints(),
            &["get", "majority/k", "--print-value-only"],
            None,
        ),
        "get final",
    );
    assert_eq!(out.trim(), "final", "{kind:?}");
}

#[test]
fn majority_paused_ours() {
    crate::require_etcd!();
    majority_paused(ServerKind::Ours);
}

#[test]
fn majority_paused_etcd() {
    crate::require_etcd!();
    majority_paused(ServerKind::Etcd);
}

fn restart_all(kind: ServerKind) {
    let mut c = Cluster::start(kind, 3, "it-faults-restart-all");
    let rt = multi_thread_runtime();
    let cs = clients(&c, Duration::from_secs(3));
    let mut acks = Vec::new();
    for i in 0..60 {
        let key = format!("load/all/{i:03}");
        let value = format!("v{i}");
        let r = rt
            .block_on(cs[i % 3].put(PutRequest {
                key: key.clone().into_bytes(),
                value: value.clone().into_bytes(),
                ..Default::default()
            }))
            .expect("put before the restart");
        acks.push(Ack {
            key,
            value,
            revision: r.header.map_or(0, |h| h.revision),
        });
    }
    c.kill_all_and_restart();
    let cs = clients(&c, Duration::from_secs(3));
    wait_leader(&rt, &cs, &[0, 1, 2], 0, ELECTION_BOUND);
    for (i, client) in cs.iter().enumerate() {
        check_acks(
            &rt,
            client,
            &acks,
            &format!(
                "{kind:?} after restarting every member, read via m{}",
                i + 1
            ),
        );
    }
    wait_converged(&rt, &cs, CONVERGE_BOUND);
    ok_stdout(
        &etcdctl(&c.endpoints(), &["put", "after-restart", "x"], None),
        "put after the restart",
    );
}

#[test]
fn restart_all_ours() {
    crate::require_etcd!();
    restart_all(ServerKind::Ours);
}

// ---------------------------------------------------------------------------------------------
// Concurrent history + watch

const KEYS: usize = 5;

/// One client of the history test: random puts, gets and CAS txns on `reg/0..reg/4` through
/// all members (moving on after errors), until `stop`.
async fn history_client(
    t: usize,
    cs: Arc<Vec<Client>>,
    stop: Arc<AtomicBool>,
    epoch: Instant,
    out: Arc<Mutex<Vec<Op>>>,
) {
    let now = || u64::try_from(epoch.elapsed().as_nanos()).unwrap_or(u64::MAX - 1);
    let mut ep = t % cs.len();
    let mut last_seen: Vec<Option<String>> = vec![None; KEYS];
    let mut i = 0u64;
    while !stop.load(Ordering::SeqCst) {
        let (k, choice) = {
            let mut rng = rand::rng();
            (rng.random_range(0..KEYS), rng.random_range(0..10u8))
        };
        let key = format!("reg/{k}");
        let value = format!("c{t}-{i}");
        i += 1;
        let invoke = now();
        let (input, output) = if choice < 4 {
            let r = cs[ep]
                .put(PutRequest {
                    key: key.clone().into_bytes(),
                    value: value.clone().into_bytes(),
                    ..Default::default()
                })
                .await;
            (
                In::Put(value),
                if r.is_ok() { Out::Put } else { Out::Unknown },
            )
        } else if choice < 7 || last_seen[k].is_none() {
            match cs[ep]
                .range(RangeRequest {
                    key: key.clone().into_bytes(),
                    ..Default::default()
                })
                .await
            {
                Ok(r) => {
                    let v = r
                        .kvs
                        .first()
                        .map(|kv| String::from_utf8_lossy(&kv.value).into_owned());
                    last_seen[k] = v.clone();
                    (In::Get, Out::Get(v))
                }
                Err(_) => {
                    ep = (ep + 1) % cs.len();
                    continue; // a failed read has no effect: not part of the history
                }
            }
        } else {
            let expect = last_seen[k].clone().unwrap_or_default();
            let txn = TxnRequest {
                compare: vec![Compare {
                    result: CompareResult::Equal as i32,
                    target: CompareTarget::Value as i32,
                    key: key.clone().into_bytes(),
                    range_end: vec![],
                    target_union: Some(TargetUnion::Value(expect.clone().into_bytes())),
                }],
                success: vec![RequestOp {
                    request: Some(Request::RequestPut(PutRequest {
                        key: key.clone().into_bytes(),
                        value: value.clone().into_bytes(),
                        ..Default::default()
                    })),
                }],
                failure: vec![],
            };
            let r = cs[ep].txn(txn).await;
            (
                In::Cas { expect, new: value },
                r.map_or(Out::Unknown, |r| Out::Cas(r.succeeded)),
            )
        };
        let complete = if output == Out::Unknown {
            u64::MAX
        } else {
            now()
        };
        if output == Out::Unknown {
            ep = (ep + 1) % cs.len();
        }
        out.lock().expect("history").push(Op {
            client: t,
            key,
            invoke,
            complete,
            input,
            output,
        });
    }
}

/// One watch event as seen: (revision, key, value, is_delete).
type Seen = (i64, String, String, bool);

/// Watches `reg/` from revision 1 through the members in turn, re-subscribing from the last
/// revision seen + 1 after any failure, until `stop` and `until_rev` is reached.
async fn watcher(
    cs: Arc<Vec<Client>>,
    stop: Arc<AtomicBool>,
    until_rev: Arc<std::sync::atomic::AtomicI64>,
    seen: Arc<Mutex<Vec<Seen>>>,
) {
    let mut ep = 0usize;
    let mut next_rev = 1i64;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    while tokio::time::Instant::now() < deadline {
        if stop.load(Ordering::SeqCst) && next_rev > until_rev.load(Ordering::SeqCst) {
            return;
        }
        let req = WatchCreateRequest {
            key: b"reg/".to_vec(),
            range_end: b"reg0".to_vec(),
            start_revision: next_rev,
            ..Default::default()
        };
        let Ok(mut w) = cs[ep].watch(req).await else {
            ep = (ep + 1) % cs.len();
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        loop {
            if stop.load(Ordering::SeqCst) && next_rev > until_rev.load(Ordering::SeqCst) {
                return;
            }
            // A paused member sends nothing: give up on it after a quiet spell.
            match tokio::time::timeout(Duration::from_secs(3), w.next()).await {
                Ok(Ok(Some(resp))) => {
                    if resp.canceled {
                        break;
                    }
                    for ev in resp.events {
                        let kv = ev.kv.unwrap_or_default();
                        let rev = kv.mod_revision;
                        seen.lock().expect("seen").push((
                            rev,
                            String::from_utf8_lossy(&kv.key).into_owned(),
                            String::from_utf8_lossy(&kv.value).into_owned(),
                            ev.r#type == 1,
                        ));
                        next_rev = next_rev.max(rev + 1);
                    }
                }
                Ok(Ok(None)) | Ok(Err(_)) => break,
                Err(_) => {
                    if !stop.load(Ordering::SeqCst) {
                        continue;
                    }
                    break;
                }
            }
        }
        ep = (ep + 1) % cs.len();
    }
}

fn linearizable_history_under_faults(kind: ServerKind) {
    let mut c = Cluster::start(kind, 3, "it-faults-history");
    let rt = multi_thread_runtime();
    let cs = clients(&c, CALL_TIMEOUT);
    let member_ids = ids(&rt, &cs);
    let (leader0, _, _) = wait_leader(&rt, &cs, &[0, 1, 2], 0, ELECTION_BOUND);
    let stop = Arc::new(AtomicBool::new(false));
    let until_rev = Arc::new(std::sync::atomic::AtomicI64::new(i64::MAX));
    let history = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let epoch = Instant::now();
    let mut handles: Vec<_> = (0..4)
        .map(|t| {
            rt.spawn(history_client(
                t,
                Arc::clone(&cs),
                Arc::clone(&stop),
                epoch,
                Arc::clone(&history),
            ))
        })
        .collect();
    let watch = rt.spawn(watcher(
        Arc::clone(&cs),
        Arc::clone(&stop),
        Arc::clone(&until_rev),
        Arc::clone(&seen),
    ));

    let pause = |d: u64| std::thread::sleep(Duration::from_millis(d));
    pause(1000);
    // 1. kill -9 a follower, restart it.
    let f = (leader0 + 1) % 3;
    c.members[f].kill9();
    pause(1000);
    c.members[f].restart();
    pause(500);
    // 2. pause the leader (a partition of the leader), continue it.
    let (l, lid, _) = wait_leader(&rt, &cs, &[0, 1, 2], 0, CONVERGE_BOUND);
    let p = Paused::pause(&[&c.members[l]]);
    let others: Vec<usize> = (0..3).filter(|i| *i != l).collect();
    wait_leader(&rt, &cs, &others, lid, ELECTION_BOUND);
    pause(1000);
    p.resume();
    pause(500);
    // 3. kill -9 the (new) leader, restart it.
    let (l, lid, _) = wait_leader(&rt, &cs, &[0, 1, 2], 0, CONVERGE_BOUND);
    c.members[l].kill9();
    let others: Vec<usize> = (0..3).filter(|i| *i != l).collect();
    // Bounded by CONVERGE_BOUND, not ELECTION_BOUND: right after a paused ex-leader resumed,
    // the two survivors took more than 5 s to agree in 2 of ~8 runs (election rounds of
    // ~3 s that split); this test checks the history, the election time is issue 13's.
    wait_leader(&rt, &cs, &others, lid, CONVERGE_BOUND);
    pause(800);
    c.members[l].restart();
    pause(1000);

    stop.store(true, Ordering::SeqCst);
    rt.block_on(async {
        for h in handles.drain(..) {
            let _ = tokio::time::timeout(CALL_TIMEOUT * 3, h).await;
        }
    });
    let final_rev = wait_converged(&rt, &cs, CONVERGE_BOUND);
    until_rev.store(final_rev, Ordering::SeqCst);
    let _ = rt.block_on(async { tokio::time::timeout(Duration::from_secs(20), watch).await });

    let history = history.lock().expect("history").clone();
    let unknown = history.iter().filter(|o| o.output == Out::Unknown).count();
    eprintln!("{kind:?}: {} ops ({unknown} with unknown outcome), final revision {final_rev}, member IDs {member_ids:x?}", history.len());
    assert!(
        history.len() > 50,
        "{kind:?}: too few operations completed: {}",
        history.len()
    );
    if let Err(v) = linearizability::check(&history) {
        panic!("{kind:?}: history of {} is {}", v.key, v.detail);
    }

    // Watch: every revision 2..=final_rev exactly once, in order, equal to the stored history.
    let seen = seen.lock().expect("seen").clone();
    let revs: Vec<i64> = seen.iter().map(|s| s.0).collect();
    let expected: Vec<i64> = (2..=final_rev).collect();
    if revs != expected {
        let dup = revs.windows(2).find(|w| w[1] <= w[0]);
        let gap = revs.windows(2).find(|w| w[1] > w[0] + 1);
        panic!(
            "{kind:?}: watcher saw {} events, expected revisions 2..={final_rev}; first out-of-order/duplicate {dup:?}, first gap {gap:?}, first {:?}, last {:?}",
            revs.len(),
            revs.first(),
            revs.last()
        );
    }
    for (rev, key, value, deleted) in &seen {
        assert!(!deleted, "{kind:?}: unexpected delete event at {rev}");
        let r = rt
            .block_on(cs[0].range(RangeRequest {
                key: key.clone().into_bytes(),
                revision: *rev,
                ..Default::default()
            }))
            .expect("get --rev");
        let kv = r
            .kvs
            .first()
            .unwrap_or_else(|| panic!("{kind:?}: {key} missing at revision {rev}"));
        assert_eq!(
            (
                kv.mod_revision,
                String::from_utf8_lossy(&kv.value).into_owned()
            ),
            (*rev, value.clone()),
            "{kind:?}: watch event vs get {key} --rev={rev}"
        );
    }
}

#[test]
fn linearizable_history_under_faults_ours() {
    crate::require_etcd!();
    linearizable_history_under_faults(ServerKind::Ours);
}

#[test]
fn linearizable_history_under_faults_etcd() {
    crate::require_etcd!();
    linearizable_history_under_faults(ServerKind::Etcd);
}
