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
//!
//! Last, the token check ([`token_check`], after every other check since it turns auth on):
//! each member issues a simple token, every member's wall clock jumps by hours, and each token
//! must still work on its member, as etcd's simple tokens do.

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

/// Bound on each step of the token check (the cluster has just healed).
const TOKEN_STEP_BOUND: Duration = Duration::from_secs(10);

/// Retries `f` until it succeeds or [`TOKEN_STEP_BOUND`] passes; the last error otherwise.
async fn retrying<T, E: std::fmt::Debug, F: std::future::Future<Output = Result<T, E>>>(
    what: &str,
    mut f: impl FnMut() -> F,
) -> Result<T, String> {
    let deadline = Instant::now() + TOKEN_STEP_BOUND;
    loop {
        match f().await {
            Ok(v) => return Ok(v),
            Err(e) if Instant::now() >= deadline => return Err(format!("{what}: {e:?}")),
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

/// A simple auth token from member `url` (no client-side token handling).
async fn authenticate(url: &str) -> Result<String, tonic::Status> {
    use etcd_oxide::pb::etcdserverpb::{auth_client::AuthClient, AuthenticateRequest};
    let ch = tonic::transport::Endpoint::from_shared(url.to_string())
        .map_err(|e| tonic::Status::invalid_argument(e.to_string()))?
        .connect()
        .await
        .map_err(|e| tonic::Status::unavailable(e.to_string()))?;
    Ok(AuthClient::new(ch)
        .authenticate(AuthenticateRequest {
            name: "root".into(),
            password: "rob".into(),
        })
        .await?
        .into_inner()
        .token)
}

/// A serializable read on member `url` carrying `token` as is.
async fn read_with(url: &str, token: &str) -> Result<(), tonic::Status> {
    use etcd_oxide::pb::etcdserverpb::{kv_client::KvClient, RangeRequest};
    let ch = tonic::transport::Endpoint::from_shared(url.to_string())
        .map_err(|e| tonic::Status::invalid_argument(e.to_string()))?
        .connect()
        .await
        .map_err(|e| tonic::Status::unavailable(e.to_string()))?;
    let mut r = tonic::Request::new(RangeRequest {
        key: b"rob/k0".to_vec(),
        serializable: true,
        ..Default::default()
    });
    let t = token
        .parse()
        .map_err(|_| tonic::Status::invalid_argument("token metadata"))?;
    r.metadata_mut().insert("token", t);
    KvClient::new(ch).range(r).await.map(|_| ())
}

/// The token check, after every other check of a `clock_skew` run (it turns auth on): each
/// member issues a simple token, then every member's wall clock jumps by hours (ahead on some,
/// behind on others),
/// and each token must still work on the member that issued it, as etcd's simple tokens do
/// (their TTL is on the monotonic clock). Returns the number of tokens checked.
///
/// # Errors
/// The token refused after the jump, or a step that did not succeed within its bound.
pub fn token_check(
    rt: &tokio::runtime::Runtime,
    c: &Cluster,
    live: &[Client],
    rng: &mut StdRng,
) -> Result<usize, String> {
    let urls: Vec<String> = c.members.iter().map(|m| m.client_url()).collect();
    let admin = &live[0];
    rt.block_on(async {
        // A retried add whose first try was applied finds the user there.
        retrying("user add", || async {
            match admin.user_add("root", "rob", false).await {
                Err(e) if format!("{e}").contains("already exists") => Ok(()),
                r => r.map(|_| ()),
            }
        })
        .await?;
        retrying("grant root", || admin.user_grant_role("root", "root")).await?;
        retrying("auth enable", || admin.auth_enable()).await?;
        let mut tokens = Vec::new();
        for u in &urls {
            tokens.push(retrying("authenticate", || authenticate(u)).await?);
        }
        // Every member's sweep has run at least once past the jump (it ticks every second).
        // Both ways across the members, ahead on a single member (a jump ahead is the one
        // that expires a token kept on the wall clock).
        let first_ahead = urls.len() == 1 || rng.random_bool(0.5);
        for (i, _) in urls.iter().enumerate() {
            let h = rng.random_range(1..=48);
            let sign = if (i % 2 == 0) == first_ahead {
                '+'
            } else {
                '-'
            };
            if !put_clock(c, i, &format!("wall={sign}{h}h")) {
                return Err(format!("PUT /debug/clock on member {i} failed"));
            }
        }
        tokio::time::sleep(Duration::from_millis(1500)).await;
        for (i, (u, t)) in urls.iter().zip(&tokens).enumerate() {
            let deadline = Instant::now() + TOKEN_STEP_BOUND;
            loop {
                match read_with(u, t).await {
                    Ok(()) => break,
                    Err(e) if e.message().contains("invalid auth token") => {
                        return Err(format!(
                            "member {i}'s simple token refused by it after a wall-clock jump: {e:?}"
                        ))
                    }
                    Err(e) if Instant::now() >= deadline => {
                        return Err(format!("read with member {i}'s token: {e:?}"))
                    }
                    Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
                }
            }
        }
        Ok(tokens.len())
    })
}
