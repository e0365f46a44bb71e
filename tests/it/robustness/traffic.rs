//! The robustness runs' clients: concurrent traffic recorded as a history, and watchers
//! recorded as segments.
//!
//! Traffic clients (one task each, seeded): puts, deletes, linearizable gets and CAS txns on
//! five register keys `rob/k0..4` (every one recorded for the linearizability check, a call
//! without an answer as an unknown outcome); serializable gets (counted, not checked: they may
//! be stale by design); lease grant, a put attached to the lease, keep-alive and revoke on keys
//! `rob/lease/..` (an acknowledged revoke is checked: its key is gone afterwards). Each call
//! goes to a random member of the cluster.
//!
//! Watchers: one on all of `rob/` from revision 1 and one on the register keys from a later
//! revision, both with `prev_kv`, asking for progress notifications every half second,
//! resuming from `last + 1` on another member when a stream fails, and from the compact
//! revision when their start was compacted.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use etcd_oxide::client::Client;
use etcd_oxide::pb::etcdserverpb::{
    compare::{CompareResult, CompareTarget, TargetUnion},
    request_op::Request,
    Compare, DeleteRangeRequest, PutRequest, RangeRequest, RequestOp, TxnRequest,
    WatchCreateRequest,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::watch_check::{Compaction, Ev, Resp, Segment};
use crate::linearizability::{In, Op, Out};

/// The register keys.
pub const KEYS: usize = 5;

/// An acknowledged write: (key, value, revision of the response header).
#[derive(Debug, Clone)]
pub struct Ack {
    /// Key written.
    pub key: String,
    /// Value written.
    pub value: String,
    /// Revision the write created.
    pub rev: i64,
}

/// What the traffic recorded, shared by its tasks.
#[derive(Default)]
pub struct Record {
    /// Linearizability history of the register keys.
    pub history: Mutex<Vec<Op>>,
    /// Acknowledged puts (register and lease keys).
    pub acks: Mutex<Vec<Ack>>,
    /// Keys of leases whose revoke was acknowledged, with the revoke's revision.
    pub revoked: Mutex<Vec<(String, i64)>>,
    /// Watch segments.
    pub segments: Mutex<Vec<Segment>>,
    /// Serializable reads answered.
    pub serializable: AtomicU64,
    /// Lease operations answered.
    pub lease_ops: AtomicU64,
    /// Compactions acknowledged.
    pub compactions: AtomicU64,
    /// Every compaction asked for, answered or not (the watch check's `prev_kv` rule).
    pub compaction_log: Mutex<Vec<Compaction>>,
}

/// Shared switches of one run.
pub struct Ctl {
    /// Traffic stops when set.
    pub stop: AtomicBool,
    /// Watchers stop once they have covered this revision (set after the traffic stopped).
    pub until_rev: AtomicI64,
    /// The origin of the history's times.
    pub epoch: Instant,
}

fn ns(epoch: Instant) -> u64 {
    u64::try_from(epoch.elapsed().as_nanos()).unwrap_or(u64::MAX - 1)
}

fn reg(i: usize) -> String {
    format!("rob/k{i}")
}

/// One traffic client until `ctl.stop`.
pub async fn client(id: usize, seed: u64, cs: Arc<Vec<Client>>, ctl: Arc<Ctl>, rec: Arc<Record>) {
    let mut rng = StdRng::seed_from_u64(seed.wrapping_mul(1000).wrapping_add(id as u64));
    let mut n = 0u64;
    while !ctl.stop.load(Ordering::SeqCst) {
        n += 1;
        let c = &cs[rng.random_range(0..cs.len())];
        let key = reg(rng.random_range(0..KEYS));
        let value = format!("c{id}-{n}");
        let roll = rng.random_range(0..100);
        let invoke = ns(ctl.epoch);
        let (input, output) = match roll {
            0..=29 => {
                let r = c
                    .put(PutRequest {
                        key: key.clone().into_bytes(),
                        value: value.clone().into_bytes(),
                        ..Default::default()
                    })
                    .await;
                match r {
                    Ok(resp) => {
                        let rev = resp.header.map_or(0, |h| h.revision);
                        rec.acks.lock().expect("acks").push(Ack {
                            key: key.clone(),
                            value: value.clone(),
                            rev,
                        });
                        (In::Put(value), Out::Put)
                    }
                    Err(_) => (In::Put(value), Out::Unknown),
                }
            }
            30..=54 => match c
                .range(RangeRequest {
                    key: key.clone().into_bytes(),
                    ..Default::default()
                })
                .await
            {
                Ok(r) => (
                    In::Get,
                    Out::Get(
                        r.kvs
                            .first()
                            .map(|kv| String::from_utf8_lossy(&kv.value).into_owned()),
                    ),
                ),
                // A read without an answer changed nothing: leave it out.
                Err(_) => continue,
            },
            55..=64 => {
                if c.range(RangeRequest {
                    key: key.clone().into_bytes(),
                    serializable: true,
                    ..Default::default()
                })
                .await
                .is_ok()
                {
                    rec.serializable.fetch_add(1, Ordering::Relaxed);
                }
                continue;
            }
            65..=79 => {
                let expect = format!(
                    "c{}-{}",
                    rng.random_range(0..4),
                    n.saturating_sub(rng.random_range(1..4))
                );
                let expect = if rng.random_bool(0.5) {
                    // Often: what this client last saw of the key (makes successes common).
                    last_value(&rec, &key).unwrap_or(expect)
                } else {
                    expect
                };
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
                let input = In::Cas {
                    expect,
                    new: value.clone(),
                };
                match c.txn(txn).await {
                    Ok(r) => {
                        if r.succeeded {
                            rec.acks.lock().expect("acks").push(Ack {
                                key: key.clone(),
                                value,
                                rev: r.header.map_or(0, |h| h.revision),
                            });
                        }
                        (input, Out::Cas(r.succeeded))
                    }
                    Err(_) => (input, Out::Unknown),
                }
            }
            80..=89 => match c
                .delete_range(DeleteRangeRequest {
                    key: key.clone().into_bytes(),
                    ..Default::default()
                })
                .await
            {
                Ok(_) => (In::Delete, Out::Delete),
                Err(_) => (In::Delete, Out::Unknown),
            },
            _ => {
                lease_round(c, id, n, &mut rng, &rec).await;
                continue;
            }
        };
        let complete = if output == Out::Unknown {
            u64::MAX
        } else {
            ns(ctl.epoch)
        };
        rec.history.lock().expect("history").push(Op {
            client: id,
            key,
            invoke,
            complete,
            input,
            output,
        });
    }
}

/// The latest value any acknowledged put wrote to `key` (a plausible CAS expectation).
fn last_value(rec: &Record, key: &str) -> Option<String> {
    let acks = rec.acks.lock().expect("acks");
    acks.iter()
        .rev()
        .find(|a| a.key == key)
        .map(|a| a.value.clone())
}

/// Grant a lease, attach a key, keep it alive once, and revoke it (or leave it to expire).
async fn lease_round(c: &Client, id: usize, n: u64, rng: &mut StdRng, rec: &Record) {
    let ttl = rng.random_range(2..6);
    let Ok(g) = c.lease_grant(ttl, 0).await else {
        return;
    };
    rec.lease_ops.fetch_add(1, Ordering::Relaxed);
    let key = format!("rob/lease/{id}-{n}");
    let value = format!("l{id}-{n}");
    if let Ok(r) = c
        .put(PutRequest {
            key: key.clone().into_bytes(),
            value: value.clone().into_bytes(),
            lease: g.id,
            ..Default::default()
        })
        .await
    {
        rec.acks.lock().expect("acks").push(Ack {
            key: key.clone(),
            value,
            rev: r.header.map_or(0, |h| h.revision),
        });
    }
    if c.lease_keep_alive_once(g.id).await.is_ok() {
        rec.lease_ops.fetch_add(1, Ordering::Relaxed);
    }
    if rng.random_bool(0.6) {
        if let Ok(r) = c.lease_revoke(g.id).await {
            rec.lease_ops.fetch_add(1, Ordering::Relaxed);
            rec.revoked
                .lock()
                .expect("revoked")
                .push((key, r.header.map_or(0, |h| h.revision)));
        }
    }
}

/// Compacts now and then to a revision well behind the current one (physical: false).
pub async fn compactor(seed: u64, cs: Arc<Vec<Client>>, ctl: Arc<Ctl>, rec: Arc<Record>) {
    let mut rng = StdRng::seed_from_u64(seed ^ 0xC0);
    while !ctl.stop.load(Ordering::SeqCst) {
        tokio::time::sleep(Duration::from_millis(rng.random_range(1500..3000))).await;
        let c = &cs[rng.random_range(0..cs.len())];
        let Ok(st) = c.status().await else { continue };
        let rev = st.header.map_or(0, |h| h.revision) - rng.random_range(20..80);
        if rev > 1 {
            rec.compaction_log
                .lock()
                .expect("compaction log")
                .push(Compaction {
                    at: ns(ctl.epoch),
                    rev,
                });
        }
        if rev > 1
            && c.compact(etcd_oxide::pb::etcdserverpb::CompactionRequest {
                revision: rev,
                physical: false,
            })
            .await
            .is_ok()
        {
            rec.compactions.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// One watcher: watches `[from, to)` from `start`, resuming on failures, until it covered
/// `ctl.until_rev` (or its own deadline).
#[allow(clippy::too_many_arguments)]
pub async fn watcher(
    idx: usize,
    from: &'static str,
    to: &'static str,
    start: i64,
    cs: Arc<Vec<Client>>,
    ctl: Arc<Ctl>,
    rec: Arc<Record>,
) {
    let mut next = start;
    let mut ep = idx % cs.len();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(300);
    let done = |next: i64| next > ctl.until_rev.load(Ordering::SeqCst);
    while tokio::time::Instant::now() < deadline && !done(next) {
        let req = WatchCreateRequest {
            key: from.as_bytes().to_vec(),
            range_end: to.as_bytes().to_vec(),
            start_revision: next,
            prev_kv: true,
            ..Default::default()
        };
        let mut seg = Segment {
            watcher: idx,
            start: next,
            from: from.into(),
            to: to.into(),
            prev_kv: true,
            resps: Vec::new(),
        };
        let Ok(mut w) = cs[ep].watch(req).await else {
            ep = (ep + 1) % cs.len();
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        let sender = w.sender();
        let mut compacted_to = None;
        let mut last_progress_ask = Instant::now();
        loop {
            if done(next) {
                break;
            }
            if last_progress_ask.elapsed() > Duration::from_millis(500) {
                let _ = sender.request_progress().await;
                last_progress_ask = Instant::now();
            }
            match tokio::time::timeout(Duration::from_secs(2), w.next()).await {
                Ok(Ok(Some(resp))) => {
                    if resp.compact_revision > 0 {
                        compacted_to = Some(resp.compact_revision);
                        break;
                    }
                    if resp.canceled {
                        break;
                    }
                    if resp.events.is_empty() {
                        if !resp.created {
                            let rev = resp.header.map_or(0, |h| h.revision);
                            seg.resps.push(Resp::Progress(rev));
                            next = next.max(rev + 1);
                        }
                        continue;
                    }
                    let at = ns(ctl.epoch);
                    let evs: Vec<Ev> = resp
                        .events
                        .into_iter()
                        .map(|e| {
                            let kv = e.kv.unwrap_or_default();
                            Ev {
                                rev: kv.mod_revision,
                                key: String::from_utf8_lossy(&kv.key).into_owned(),
                                value: String::from_utf8_lossy(&kv.value).into_owned(),
                                delete: e.r#type == 1,
                                version: kv.version,
                                prev: e.prev_kv.map(|p| {
                                    (
                                        p.mod_revision,
                                        String::from_utf8_lossy(&p.value).into_owned(),
                                    )
                                }),
                                at,
                            }
                        })
                        .collect();
                    if let Some(l) = evs.last() {
                        next = next.max(l.rev + 1);
                    }
                    seg.resps.push(Resp::Events(evs));
                }
                Ok(Ok(None)) | Ok(Err(_)) => break,
                // Progress is asked for every half second: a quiet stream is a paused or
                // dead member. Try another one.
                Err(_) => break,
            }
        }
        if ctl.stop.load(Ordering::SeqCst) {
            eprintln!(
                "watcher {idx}: segment from {} ended, next {next}, until {}, {} resps, last {:?}",
                seg.start,
                ctl.until_rev.load(Ordering::SeqCst),
                seg.resps.len(),
                seg.resps.last()
            );
        }
        rec.segments.lock().expect("segments").push(seg);
        if let Some(c) = compacted_to {
            next = next.max(c);
        }
        ep = (ep + 1) % cs.len();
    }
}
