//! The primary lessor's expiry clock: in memory, on the leader only.
//!
//! Deadlines are `Instant`s, never replicated: a keep-alive moves a deadline forward
//! without a log entry. Whenever the clock (re)learns a lease, from a restart or a new
//! leadership, the lease gets a full TTL from that moment: etcd's rule that no lease
//! expires early because its member was down or leadership moved (`lessor.Promote`).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::LeaseRecord;

/// How long to wait before proposing a revoke again for a lease whose revoke has not been
/// applied yet (etcd's `expiredLeaseRetryInterval`, 3 s).
pub const REVOKE_RETRY: Duration = Duration::from_secs(3);

#[derive(Debug, Clone, Copy)]
struct Clock {
    deadline: Instant,
    revoke_sent: Option<Instant>,
}

/// The leader's lease clock.
#[derive(Debug, Default)]
pub struct Lessor {
    clocks: Mutex<HashMap<i64, Clock>>,
}

fn ttl_duration(ttl: i64) -> Duration {
    Duration::from_secs(ttl.max(0) as u64)
}

impl Lessor {
    /// An empty clock.
    pub fn new() -> Lessor {
        Lessor::default()
    }

    fn with<R>(&self, f: impl FnOnce(&mut HashMap<i64, Clock>) -> R) -> R {
        match self.clocks.lock() {
            Ok(mut g) => f(&mut g),
            Err(poisoned) => f(&mut poisoned.into_inner()),
        }
    }

    /// Reconciles with the lease table: leases not yet on the clock get `now + ttl`,
    /// leases gone from the table are dropped.
    pub fn sync(&self, leases: &[LeaseRecord], now: Instant) {
        self.with(|m| {
            let live: std::collections::HashSet<i64> = leases.iter().map(|l| l.id).collect();
            m.retain(|id, _| live.contains(id));
            for l in leases {
                m.entry(l.id).or_insert(Clock {
                    deadline: now + ttl_duration(l.ttl),
                    revoke_sent: None,
                });
            }
        });
    }

    /// Forgets every deadline (leadership lost); the next [`Lessor::sync`] as leader
    /// extends every lease by its full TTL.
    pub fn demote(&self) {
        self.with(|m| m.clear());
    }

    /// Keep-alive: the lease's deadline becomes `now + ttl`. Returns the TTL in seconds.
    pub fn renew(&self, rec: &LeaseRecord, now: Instant) -> i64 {
        self.with(|m| {
            m.insert(
                rec.id,
                Clock {
                    deadline: now + ttl_duration(rec.ttl),
                    revoke_sent: None,
                },
            );
        });
        rec.ttl
    }

    /// Remaining TTL in whole seconds, rounded up (etcd's `Remaining`), or the full TTL for a
    /// lease not yet on the clock. Never negative.
    pub fn remaining(&self, rec: &LeaseRecord, now: Instant) -> i64 {
        self.with(|m| match m.get(&rec.id) {
            None => rec.ttl,
            Some(c) => {
                let left = c.deadline.saturating_duration_since(now);
                let secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
                secs as i64
            }
        })
    }

    /// Leases past their deadline whose revoke should be proposed now (not proposed in the
    /// last [`REVOKE_RETRY`]); marks them as proposed.
    pub fn take_expired(&self, now: Instant) -> Vec<i64> {
        self.with(|m| {
            let mut out = Vec::new();
            for (id, c) in m.iter_mut() {
                if c.deadline <= now
                    && c.revoke_sent
                        .is_none_or(|t| now.duration_since(t) >= REVOKE_RETRY)
                {
                    c.revoke_sent = Some(now);
                    out.push(*id);
                }
            }
            out.sort_unstable();
            out
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_keepalive_and_promotion() {
        let l = Lessor::new();
        let t0 = Instant::now();
        let rec = LeaseRecord { id: 1, ttl: 5 };
        l.sync(std::slice::from_ref(&rec), t0);
        assert_eq!(l.remaining(&rec, t0 + Duration::from_millis(1500)), 4);
        assert!(l.take_expired(t0 + Duration::from_secs(4)).is_empty());
        // A keep-alive at 4 s moves the deadline to 9 s.
        l.renew(&rec, t0 + Duration::from_secs(4));
        assert!(l.take_expired(t0 + Duration::from_secs(6)).is_empty());
        assert_eq!(l.take_expired(t0 + Duration::from_secs(9)), vec![1]);
        // Not proposed twice within the retry interval, proposed again after it.
        assert!(l.take_expired(t0 + Duration::from_secs(10)).is_empty());
        assert_eq!(l.take_expired(t0 + Duration::from_secs(12)), vec![1]);
        // Demotion then promotion: a full TTL from the promotion.
        l.demote();
        let t1 = t0 + Duration::from_secs(100);
        l.sync(std::slice::from_ref(&rec), t1);
        assert_eq!(l.remaining(&rec, t1), 5);
        // Gone from the table: dropped from the clock.
        l.sync(&[], t1);
        assert!(l.take_expired(t1 + Duration::from_secs(60)).is_empty());
    }
}
