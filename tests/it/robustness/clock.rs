//! The `clock_skew` scenario: members' clocks skewed through `PUT /debug/clock` (the
//! failpoints build's injectable clock, `src/clock.rs`) while the usual traffic and checkers
//! run, plus a lease-expiry check that fails if a skew reaches further than it may.
//!
//! etcd is the reference: its lessor measures lease deadlines on the monotonic clock, so a
//! wall-clock jump must change nothing, and Jepsen's etcd analysis (clock skew and strobing)
//! found no safety violation from skewed clocks. Each fault, on a random member (the leader
//! included), is one of:
//! - a wall-clock offset of 1 to 48 hours, ahead or behind;
//! - a monotonic rate between `1/RATE_MAX` and [`RATE_MAX`] (slow or fast clock);
//! - a monotonic jump forward of 0.2 to 3 s (a pause as the member sees it; on a leader of
//!   several members the lessor's quorum gate sees the gap and re-promotes, extending leases).
//!
//! The lease check ([`lease_checker`]): leases of 3 to 6 s, kept alive a few times, then left
//! to expire; the time each is seen gone (TimeToLive -1) must not be earlier than
//! `send of its last acknowledged keep-alive (or grant) + TTL / RATE_MAX - SLACK - jumps`, where
//! `jumps` is the sum of the monotonic jumps injected meanwhile. A revoke seen that early
//! happened that early: the check never blames a slow observation.

#![cfg_attr(
    not(feature = "failpoints"),
    allow(dead_code, reason = "clock faults need the failpoints build")
)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use etcd_oxide::client::Client;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::traffic::Ctl;
use super::Fault;
use crate::harness::{http_request, Cluster};

/// The fastest monotonic rate injected (and 1/RATE_MAX the slowest): a lease's deadline of
/// TTL skewed seconds passes after TTL / RATE_MAX real seconds at the earliest.
pub const RATE_MAX: f64 = 1.2;

/// What the lease bound tolerates beyond the rate: a deposed leader's lessor may renew a
/// keep-alive until its quorum gate closes, one election timeout (1 s here) on its clock after
/// the last quorum acknowledgement, so up to 1 s × RATE_MAX = 1.2 s real after the new leader
/// was elected; the new leader's promotion extends every lease by an election timeout on its
/// clock, at least 1 s / RATE_MAX = 0.83 s real. The difference, 0.37 s, plus the delivery of
/// Raft metrics to the lessor loop, is under this slack.
pub const SLACK: Duration = Duration::from_millis(1000);

/// Lease checkers running at once (each grants, keeps alive and watches one lease at a time).
pub const LEASE_CHECKERS: u64 = 4;

/// Monotonic jumps injected, in milliseconds: `started` is raised before a jump is sent,
/// `done` once the member answered, so `started(later) - done(earlier)` bounds every jump that
/// took effect in between.
#[derive(Debug, Default)]
pub struct Jumps {
    started: AtomicU64,
    done: AtomicU64,
}

fn put_clock(c: &Cluster, i: usize, spec: &str) -> bool {
    matches!(
        http_request(c.members[i].client_addr(), "PUT", "/debug/clock", spec),
        Ok((204, _))
    )
}

/// Injects one clock fault on member `victim`.
pub fn skew(c: &Cluster, victim: usize, jumps: &Jumps, rng: &mut StdRng) -> Fault {
    let spec = match rng.random_range(0..100) {
        0..40 => {
            let h = rng.random_range(1..=48);
            let sign = if rng.random_bool(0.5) { '-' } else { '+' };
            format!("wall={sign}{h}h")
        }
        40..75 => {
            let r = if rng.random_bool(0.5) {
                rng.random_range(1.0..=RATE_MAX)
            } else {
                1.0 / rng.random_range(1.0..=RATE_MAX)
            };
            format!("rate={r:.4}")
        }
        _ => {
            let ms: u64 = rng.random_range(200..3000);
            jumps.started.fetch_add(ms, Ordering::SeqCst);
            let ok = put_clock(c, victim, &format!("jump={ms}ms"));
            jumps.done.fetch_add(ms, Ordering::SeqCst);
            if !ok {
                panic!("PUT /debug/clock jump={ms}ms on member {victim} failed");
            }
            return Fault::ClockSkew;
        }
    };
    if !put_clock(c, victim, &spec) {
        panic!("PUT /debug/clock {spec} on member {victim} failed");
    }
    Fault::ClockSkew
}

/// Puts every member's clock back to real rate and wall time (jumps made stay).
pub fn reset(c: &Cluster) {
    for i in 0..c.members.len() {
        let _ = put_clock(c, i, "reset");
    }
}

/// What the lease checker saw.
#[derive(Debug, Default)]
pub struct LeaseCheck {
    /// Leases seen expiring, each checked against the bound.
    pub checked: usize,
    /// Early revokes, described.
    pub violations: Vec<String>,
}

/// Grants leases, keeps each alive a few times, lets it expire and checks when it went (see
/// the module docs); runs until `ctl.stop`.
pub async fn lease_checker(
    seed: u64,
    cs: Arc<Vec<Client>>,
    ctl: Arc<Ctl>,
    jumps: Arc<Jumps>,
    out: Arc<Mutex<LeaseCheck>>,
) {
    let mut rng = StdRng::seed_from_u64(seed ^ 0xc10c);
    while !ctl.stop.load(Ordering::SeqCst) {
        let ttl: i64 = rng.random_range(3..=6);
        let cl = &cs[rng.random_range(0..cs.len())];
        let send = Instant::now();
        let mut done_at_send = jumps.done.load(Ordering::SeqCst);
        let Ok(g) = cl.lease_grant(ttl, 0).await else {
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        };
        let id = g.id;
        let ttl = g.ttl;
        let mut last = send;
        for _ in 0..rng.random_range(0..3) {
            tokio::time::sleep(Duration::from_millis(rng.random_range(300..1000))).await;
            let cl = &cs[rng.random_range(0..cs.len())];
            let s = Instant::now();
            let d = jumps.done.load(Ordering::SeqCst);
            if let Ok(r) = cl.lease_keep_alive_once(id).await {
                if r.ttl > 0 {
                    last = s;
                    done_at_send = d;
                }
            }
        }
        // Left to expire: poll until it is gone (or the run stops).
        let bound = Duration::from_secs_f64(ttl as f64 / RATE_MAX);
        let give_up = Instant::now() + Duration::from_secs(ttl as u64 * 3 + 15);
        while Instant::now() < give_up && !ctl.stop.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let cl = &cs[rng.random_range(0..cs.len())];
            let Ok(r) = cl.lease_time_to_live(id, false).await else {
                continue;
            };
            if r.ttl != -1 {
                continue;
            }
            let seen = last.elapsed();
            let jumped = Duration::from_millis(jumps.started.load(Ordering::SeqCst) - done_at_send);
            let earliest = bound.saturating_sub(SLACK + jumped);
            let mut o = out.lock().expect("lease check");
            o.checked += 1;
            if seen < earliest {
                o.violations.push(format!(
                    "lease {id:x} (TTL {ttl} s) gone {seen:?} after its last acknowledged keep-alive was sent; \
                     no earlier than {earliest:?} allowed (TTL / {RATE_MAX} - {SLACK:?} - jumps {jumped:?})"
                ));
            }
            break;
        }
    }
}
