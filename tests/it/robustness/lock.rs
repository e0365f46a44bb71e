//! Locks with and without fencing (Jepsen's etcd analysis: "etcd locks are not safe without
//! fencing"). Workers take the lock `rob-lock` through the `v3lockpb.Lock` service with a
//! lease of 2 s kept alive by the worker; the holder then writes to two logs:
//!
//! - **fenced**: a txn `If(create_revision(<lock key>) == <its revision>) Then(put
//!   rob-fence/fenced)`; it commits only while the lock key still exists, i.e. while the
//!   holder still holds the lock;
//! - **unfenced**: a plain put of `rob-fence/unfenced`.
//!
//! A worker at times stops its keep-alives and sleeps past the lease TTL (a process pause, a
//! GC pause): the lease expires, its lock key is deleted, another worker gets the lock, and
//! the paused worker wakes up still believing it holds the lock. The check: in revision order,
//! the acknowledged fenced writes of two holdings never interleave (no holding appears again
//! after another holding's write). The unfenced writes are only counted: they do interleave
//! under such pauses, which [`unfenced_writes_interleave_after_a_pause`] shows on purpose
//! (deterministically: the paused holder writes after the next holder has written).
//!
//! Reproduce: `cargo test --features failpoints --test it robustness::lock -- --nocapture`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use etcd_oxide::client::Client;
use etcd_oxide::pb::etcdserverpb::{
    compare::{CompareResult, CompareTarget, TargetUnion},
    request_op::Request,
    Compare, PutRequest, RangeRequest, RequestOp, TxnRequest,
};
use etcd_oxide::pb::v3lockpb::lock_client::LockClient;
use etcd_oxide::pb::v3lockpb::{LockRequest, UnlockRequest};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::faults::Paused;
use crate::harness::{multi_thread_runtime, Cluster, ServerKind};

/// Lease TTL of a lock holder (seconds).
const TTL: i64 = 2;
/// Bound on any one call.
const CALL: Duration = Duration::from_secs(5);

/// A holding: (worker, create revision of its lock key).
type Holding = (usize, i64);

/// One acknowledged write to a log.
#[derive(Debug, Clone, Copy)]
struct Write {
    rev: i64,
    holding: Holding,
}

#[derive(Default)]
struct Logs {
    fenced: Mutex<Vec<Write>>,
    unfenced: Mutex<Vec<Write>>,
    /// Fenced writes refused because the lock key was gone.
    refused: Mutex<usize>,
    holdings: Mutex<usize>,
}

/// The holdings that appear again after another holding's write, in revision order: each is
/// (holding, the other holding that wrote in between).
fn interleavings(log: &[Write]) -> Vec<(Holding, Holding)> {
    let mut log = log.to_vec();
    log.sort_by_key(|w| w.rev);
    let mut done: Vec<Holding> = Vec::new();
    let mut out = Vec::new();
    for w in log {
        match done.last() {
            Some(h) if *h == w.holding => {}
            Some(prev) => {
                if done.contains(&w.holding) {
                    out.push((w.holding, *prev));
                }
                done.push(w.holding);
            }
            None => done.push(w.holding),
        }
    }
    out
}

/// A holder: the lock key, its create revision, and the switch of its keep-alives.
struct Held {
    key: Vec<u8>,
    rev: i64,
    lease: i64,
    keep_alive: Arc<AtomicBool>,
}

/// Grants a lease kept alive while `keep_alive` is set, takes the lock (waiting at most
/// `wait`), and reads its key's create revision.
async fn acquire(cl: &Client, url: &str, wait: Duration) -> Option<Held> {
    let lease = tokio::time::timeout(CALL, cl.lease_grant(TTL, 0))
        .await
        .ok()?
        .ok()?
        .id;
    let keep_alive = Arc::new(AtomicBool::new(true));
    {
        let cl = super::client(url);
        let on = keep_alive.clone();
        tokio::spawn(async move {
            while on.load(Ordering::SeqCst) {
                let _ = tokio::time::timeout(CALL, cl.lease_keep_alive_once(lease)).await;
                tokio::time::sleep(Duration::from_millis(400)).await;
            }
        });
    }
    let got = async {
        let ch = crate::harness::try_connect(url, CALL).await.ok()?;
        let r = tokio::time::timeout(
            wait,
            LockClient::new(ch).lock(LockRequest {
                name: b"rob-lock".to_vec(),
                lease,
            }),
        )
        .await
        .ok()?
        .ok()?
        .into_inner();
        let kv = tokio::time::timeout(
            CALL,
            cl.range(RangeRequest {
                key: r.key.clone(),
                ..Default::default()
            }),
        )
        .await
        .ok()?
        .ok()?;
        let rev = kv.kvs.first()?.create_revision;
        Some((r.key, rev))
    }
    .await;
    match got {
        Some((key, rev)) => Some(Held {
            key,
            rev,
            lease,
            keep_alive,
        }),
        None => {
            keep_alive.store(false, Ordering::SeqCst);
            let _ = tokio::time::timeout(CALL, cl.lease_revoke(lease)).await;
            None
        }
    }
}

/// The fenced write of `value`; `Some(revision)` when it committed.
async fn fenced_put(cl: &Client, h: &Held, value: &str) -> Option<i64> {
    let r = tokio::time::timeout(
        CALL,
        cl.txn(TxnRequest {
            compare: vec![Compare {
                result: CompareResult::Equal as i32,
                target: CompareTarget::Create as i32,
                key: h.key.clone(),
                target_union: Some(TargetUnion::CreateRevision(h.rev)),
                ..Default::default()
            }],
            success: vec![RequestOp {
                request: Some(Request::RequestPut(PutRequest {
                    key: b"rob-fence/fenced".to_vec(),
                    value: value.as_bytes().to_vec(),
                    ..Default::default()
                })),
            }],
            failure: vec![],
        }),
    )
    .await
    .ok()?
    .ok()?;
    if r.succeeded {
        r.header.map(|h| h.revision)
    } else {
        None
    }
}

/// The unfenced write of `value`; `Some(revision)` when acknowledged.
async fn unfenced_put(cl: &Client, value: &str) -> Option<i64> {
    tokio::time::timeout(
        CALL,
        cl.put(PutRequest {
            key: b"rob-fence/unfenced".to_vec(),
            value: value.as_bytes().to_vec(),
            ..Default::default()
        }),
    )
    .await
    .ok()?
    .ok()?
    .header
    .map(|h| h.revision)
}

async fn release(cl: &Client, url: &str, h: Held) {
    h.keep_alive.store(false, Ordering::SeqCst);
    if let Ok(ch) = crate::harness::try_connect(url, CALL).await {
        let _ = tokio::time::timeout(
            CALL,
            LockClient::new(ch).unlock(UnlockRequest { key: h.key }),
        )
        .await;
    }
    let _ = tokio::time::timeout(CALL, cl.lease_revoke(h.lease)).await;
}

/// One worker until `stop`: take the lock, write fenced and unfenced a few times (pausing at
/// times past the lease TTL), release.
async fn worker(
    id: usize,
    seed: u64,
    urls: Arc<Vec<String>>,
    stop: Arc<AtomicBool>,
    logs: Arc<Logs>,
) {
    let mut rng = StdRng::seed_from_u64(seed.wrapping_mul(31).wrapping_add(id as u64));
    while !stop.load(Ordering::SeqCst) {
        let url = urls[rng.random_range(0..urls.len())].clone();
        let cl = super::client(&url);
        let Some(h) = acquire(&cl, &url, Duration::from_secs(8)).await else {
            continue;
        };
        *logs.holdings.lock().expect("holdings") += 1;
        let holding = (id, h.rev);
        for i in 0..rng.random_range(2..6) {
            if rng.random_bool(0.15) {
                // A pause longer than the lease: the lock is lost without the worker knowing.
                h.keep_alive.store(false, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(rng.random_range(2500..4000))).await;
            }
            let value = format!("w{id}-{}-{i}", h.rev);
            match fenced_put(&cl, &h, &value).await {
                Some(rev) => logs
                    .fenced
                    .lock()
                    .expect("fenced")
                    .push(Write { rev, holding }),
                None => *logs.refused.lock().expect("refused") += 1,
            }
            if let Some(rev) = unfenced_put(&cl, &value).await {
                logs.unfenced
                    .lock()
                    .expect("unfenced")
                    .push(Write { rev, holding });
            }
            tokio::time::sleep(Duration::from_millis(rng.random_range(20..150))).await;
        }
        release(&cl, &url, h).await;
    }
}

/// Three workers on a 3-member cluster for about 20 s, with worker pauses past the lease TTL
/// and SIGSTOP of random members: fenced writes of two holdings never interleave.
#[test]
fn fenced_lock_writes_never_interleave() {
    let seed = super::env_or("ROBUSTNESS_SEED", rand::random::<u32>() as u64);
    eprintln!("robustness lock: seed {seed} (reproduce: ROBUSTNESS_SEED={seed})");
    let c = Cluster::start(ServerKind::Ours, 3, &format!("rob-lock-{seed}"));
    let rt = multi_thread_runtime();
    let urls: Arc<Vec<String>> = Arc::new(c.members.iter().map(|m| m.client_url()).collect());
    let stop = Arc::new(AtomicBool::new(false));
    let logs = Arc::new(Logs::default());
    let tasks: Vec<_> = (0..3)
        .map(|i| rt.spawn(worker(i, seed, urls.clone(), stop.clone(), logs.clone())))
        .collect();
    let mut rng = StdRng::seed_from_u64(seed);
    let end = Instant::now() + Duration::from_secs(20);
    let mut pauses = 0;
    while Instant::now() < end {
        std::thread::sleep(Duration::from_millis(rng.random_range(1000..3000)));
        let p = Paused::pause(&[&c.members[rng.random_range(0..3)]]);
        std::thread::sleep(Duration::from_millis(rng.random_range(300..2000)));
        p.resume();
        pauses += 1;
    }
    stop.store(true, Ordering::SeqCst);
    rt.block_on(async {
        for t in tasks {
            let _ = tokio::time::timeout(Duration::from_secs(30), t).await;
        }
    });
    let fenced = logs.fenced.lock().expect("fenced").clone();
    let unfenced = logs.unfenced.lock().expect("unfenced").clone();
    let bad = interleavings(&fenced);
    let unfenced_bad = interleavings(&unfenced);
    eprintln!(
        "robustness lock: seed {seed}: holdings {}, member pauses {pauses}, fenced writes {} (refused {}), unfenced writes {}, unfenced interleavings {}",
        logs.holdings.lock().expect("holdings"),
        fenced.len(),
        logs.refused.lock().expect("refused"),
        unfenced.len(),
        unfenced_bad.len()
    );
    assert!(
        fenced.len() >= 5,
        "too few fenced writes to check: {fenced:?}"
    );
    assert!(
        bad.is_empty(),
        "fenced writes of two holdings interleave (seed {seed}): {bad:?}\n{fenced:?}"
    );
}

/// Jepsen's finding, shown on purpose: holder A stops renewing its lease (a pause), the lease
/// expires and B gets the lock and writes; A wakes up and writes too. A's unfenced write is
/// acknowledged after B's (the unfenced log interleaves A, B, A) while A's fenced write is
/// refused.
#[test]
fn unfenced_writes_interleave_after_a_pause() {
    let c = Cluster::start(ServerKind::Ours, 1, "rob-lock-demo");
    let rt = multi_thread_runtime();
    let url = c.members[0].client_url();
    rt.block_on(async {
        let cl = super::client(&url);
        let a = acquire(&cl, &url, CALL).await.expect("A takes the lock");
        let mut unfenced = Vec::new();
        let a_rev = unfenced_put(&cl, "A before").await.expect("A writes");
        unfenced.push(Write {
            rev: a_rev,
            holding: (0, a.rev),
        });
        assert!(
            fenced_put(&cl, &a, "A before").await.is_some(),
            "A's fenced write while holding"
        );
        // A pauses: no more keep-alives. B waits for the lock and gets it once A's lease expired.
        a.keep_alive.store(false, Ordering::SeqCst);
        let b = acquire(&cl, &url, Duration::from_secs(15))
            .await
            .expect("B gets the lock after A's lease expired");
        let b_rev = unfenced_put(&cl, "B").await.expect("B writes");
        unfenced.push(Write {
            rev: b_rev,
            holding: (1, b.rev),
        });
        // A wakes up, still "holding" the lock.
        let a_late = unfenced_put(&cl, "A after the pause")
            .await
            .expect("A's unfenced write");
        unfenced.push(Write {
            rev: a_late,
            holding: (0, a.rev),
        });
        assert_eq!(
            interleavings(&unfenced),
            vec![((0, a.rev), (1, b.rev))],
            "the unfenced log interleaves A, B, A"
        );
        assert!(
            fenced_put(&cl, &a, "A after the pause").await.is_none(),
            "A's fenced write after losing the lock must be refused"
        );
        release(&cl, &url, b).await;
    });
}

#[test]
fn interleavings_are_found_in_revision_order() {
    let w = |rev, h| Write {
        rev,
        holding: (h, h as i64),
    };
    assert!(interleavings(&[w(1, 0), w(2, 0), w(3, 1), w(4, 2)]).is_empty());
    assert_eq!(
        interleavings(&[w(3, 1), w(1, 0), w(4, 0)]),
        vec![((0, 0), (1, 1))]
    );
}
