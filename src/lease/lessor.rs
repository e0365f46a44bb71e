//! The primary lessor's expiry clock ([`Lessor`]) and the quorum gate that decides when this
//! member's lessor is primary ([`QuorumGate`]). Both in memory, never replicated.
//!
//! Deadlines are `Instant`s: a keep-alive moves a deadline forward without a log entry. Only a
//! primary lessor has deadlines, renews and reports expired leases; expiry itself is applied as
//! a `LeaseRevoke` log entry proposed by the server.
//!
//! etcd's rules (`lease/lessor.go` `Promote`/`Demote`, `etcdserver/server.go`), followed here:
//! - the lessor is primary only on the leader, and a leader that has not heard from a quorum
//!   within an election timeout stops being leader (raft's CheckQuorum), which demotes its
//!   lessor: no lease expires while the cluster has no quorum;
//! - a promotion gives every lease a full TTL from that moment plus an extension (the election
//!   timeout): no lease expires because the cluster was unavailable or leadership moved.
//!
//! openraft 0.9 has no CheckQuorum (a leader cut off from its quorum keeps its role), so the
//! server feeds the [`QuorumGate`] with the leader's quorum-acknowledgement age from the Raft
//! metrics, and the gate demotes the lessor as etcd's step-down would.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::LeaseRecord;

/// How long to wait before proposing a revoke again for a lease whose revoke has not been
/// applied yet (etcd's `expiredLeaseRetryInterval`, 3 s).
pub const REVOKE_RETRY: Duration = Duration::from_secs(3);

/// A renewal asked of a lessor that is not primary (etcd's `lease.ErrNotPrimary`): the caller
/// waits for a primary or forwards to the leader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a primary lessor")]
pub struct NotPrimary;

#[derive(Debug, Clone, Copy)]
struct Clock {
    deadline: Instant,
    revoke_sent: Option<Instant>,
}

#[derive(Debug, Default)]
struct State {
    primary: bool,
    clocks: HashMap<i64, Clock>,
}

/// The lease clock. Starts demoted (not primary, no deadlines).
#[derive(Debug, Default)]
pub struct Lessor {
    state: Mutex<State>,
}

fn ttl_duration(ttl: i64) -> Duration {
    Duration::from_secs(ttl.max(0) as u64)
}

fn fresh(deadline: Instant) -> Clock {
    Clock {
        deadline,
        revoke_sent: None,
    }
}

impl Lessor {
    /// A demoted lessor with no deadlines.
    pub fn new() -> Lessor {
        Lessor::default()
    }

    fn with<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        match self.state.lock() {
            Ok(mut g) => f(&mut g),
            Err(poisoned) => f(&mut poisoned.into_inner()),
        }
    }

    /// True while this lessor is primary (may renew and expire leases); only the tests ask.
    #[cfg(test)]
    pub fn is_primary(&self) -> bool {
        self.with(|s| s.primary)
    }

    /// Makes the lessor primary: every lease's deadline becomes `now + extend + ttl` (etcd's
    /// `Promote(extend)`, with `extend` = the election timeout), replacing any deadline kept
    /// from before.
    pub fn promote(&self, leases: &[LeaseRecord], now: Instant, extend: Duration) {
        self.with(|s| {
            s.primary = true;
            s.clocks = leases
                .iter()
                .map(|l| (l.id, fresh(now + extend + ttl_duration(l.ttl))))
                .collect();
        });
    }

    /// Stops expiring: forgets every deadline (etcd's `Demote` sets them to forever). The next
    /// [`Lessor::promote`] extends every lease by its full TTL.
    pub fn demote(&self) {
        self.with(|s| {
            s.primary = false;
            s.clocks.clear();
        });
    }

    /// Reconciles a primary lessor with the lease table: leases not yet on the clock (granted
    /// since) get `now + ttl`, leases gone from the table are dropped. Does nothing when not
    /// primary.
    pub fn sync(&self, leases: &[LeaseRecord], now: Instant) {
        self.with(|s| {
            if !s.primary {
                return;
            }
            let live: HashSet<i64> = leases.iter().map(|l| l.id).collect();
            s.clocks.retain(|id, _| live.contains(id));
            for l in leases {
                s.clocks
                    .entry(l.id)
                    .or_insert_with(|| fresh(now + ttl_duration(l.ttl)));
            }
        });
    }

    /// Keep-alive (or a fresh grant): the lease's deadline becomes `now + ttl`. Returns the
    /// TTL in seconds.
    ///
    /// # Errors
    /// [`NotPrimary`] when the lessor is demoted; nothing is recorded then (the next
    /// promotion gives the lease a full TTL anyway).
    pub fn renew(&self, rec: &LeaseRecord, now: Instant) -> Result<i64, NotPrimary> {
        self.with(|s| {
            if !s.primary {
                return Err(NotPrimary);
            }
            s.clocks.insert(rec.id, fresh(now + ttl_duration(rec.ttl)));
            Ok(rec.ttl)
        })
    }

    /// Remaining TTL in whole seconds, rounded up (etcd's `Remaining`), or the granted TTL for
    /// a lease not on the clock (a demoted lessor, a lease granted a moment ago). Never
    /// negative. Right after a promotion this exceeds the granted TTL by the extension, as in
    /// etcd.
    pub fn remaining(&self, rec: &LeaseRecord, now: Instant) -> i64 {
        self.with(|s| match s.clocks.get(&rec.id) {
            None => rec.ttl,
            Some(c) => {
                let left = c.deadline.saturating_duration_since(now);
                let secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
                secs as i64
            }
        })
    }

    /// Leases past their deadline whose revoke should be proposed now (not proposed in the
    /// last [`REVOKE_RETRY`]); marks them as proposed. Always empty when not primary.
    pub fn take_expired(&self, now: Instant) -> Vec<i64> {
        self.with(|s| {
            if !s.primary {
                return Vec::new();
            }
            let mut out = Vec::new();
            for (id, c) in s.clocks.iter_mut() {
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

/// What the gate is told about this member's Raft role at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RaftView {
    /// This member is the leader.
    pub leader: bool,
    /// The current Raft term.
    pub term: u64,
    /// This member is the only voter: it is its own quorum.
    pub sole_voter: bool,
}

/// What the server must do to the lessor after a [`QuorumGate::observe`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GateChange {
    /// Nothing changed.
    None,
    /// The gate opened (new leadership, or quorum regained, possibly after a gap seen only
    /// now): [`Lessor::promote`].
    Promote,
    /// The gate closed (leadership lost, term changed, or no quorum acknowledgement within
    /// the window): [`Lessor::demote`].
    Demote,
}

/// Decides whether this member's lessor may be primary: only while it is the leader of one
/// term and a quorum acknowledged it (replied to its appends or heartbeats) within `window`
/// (the election timeout: etcd's CheckQuorum bound).
///
/// Acknowledgements are fed as ages measured when the Raft metrics were produced; the gate
/// turns them into instants. Staleness is checked against what was known *before* a new
/// acknowledgement is taken in, so a gap longer than the window (a paused or isolated leader
/// that hears from its followers again) always closes the gate, and the reopening promotes the
/// lessor with fresh deadlines instead of expiring leases by the time the gap lasted.
#[derive(Debug, Clone)]
pub struct QuorumGate {
    window: Duration,
    /// The term the gate is open in.
    open: Option<u64>,
    /// The latest instant a quorum acknowledged this member as leader of `ack_term`.
    last_ack: Option<Instant>,
    ack_term: Option<u64>,
}

impl QuorumGate {
    /// A closed gate; `window` is the longest time without a quorum acknowledgement the
    /// leader keeps its lessor primary.
    pub fn new(window: Duration) -> QuorumGate {
        QuorumGate {
            window,
            open: None,
            last_ack: None,
            ack_term: None,
        }
    }

    /// True while the gate is open.
    pub fn is_open(&self) -> bool {
        self.open.is_some()
    }

    fn ack_fresh(&self, now: Instant) -> bool {
        self.last_ack
            .is_some_and(|a| now.saturating_duration_since(a) < self.window)
    }

    /// Takes in one observation at `now`: the role, and `ack_age` when a quorum acknowledged
    /// this leader that long before `now` (openraft's `millis_since_quorum_ack` of a metrics
    /// update just received; `None` when this observation carries no new acknowledgement).
    pub fn observe(
        &mut self,
        view: RaftView,
        ack_age: Option<Duration>,
        now: Instant,
    ) -> GateChange {
        let was_open = self.open.is_some();
        // 1. Close on what was known before this observation.
        if let Some(term) = self.open {
            if !view.leader || view.term != term || (!view.sole_voter && !self.ack_fresh(now)) {
                self.open = None;
            }
        }
        let closed_now = was_open && self.open.is_none();
        // 2. Take in the new acknowledgement (acknowledgements are per leadership term).
        if !view.leader {
            self.last_ack = None;
            self.ack_term = None;
        } else {
            if self.ack_term != Some(view.term) {
                self.last_ack = None;
                self.ack_term = Some(view.term);
            }
            let ack = if view.sole_voter {
                Some(now)
            } else {
                ack_age.and_then(|age| now.checked_sub(age))
            };
            if let Some(a) = ack {
                self.last_ack = Some(self.last_ack.map_or(a, |l| l.max(a)));
            }
        }
        // 3. Open when leader with a fresh acknowledgement.
        if self.open.is_none() && view.leader && self.ack_fresh(now) {
            self.open = Some(view.term);
        }
        match (was_open, closed_now, self.open.is_some()) {
            (false, _, true) | (true, true, true) => GateChange::Promote,
            (true, true, false) => GateChange::Demote,
            _ => GateChange::None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    fn leader(term: u64) -> RaftView {
        RaftView {
            leader: true,
            term,
            sole_voter: false,
        }
    }

    fn follower(term: u64) -> RaftView {
        RaftView {
            leader: false,
            term,
            sole_voter: false,
        }
    }

    #[test]
    fn lessor_expiry_keepalive_and_promotion() {
        let l = Lessor::new();
        let t0 = Instant::now();
        let rec = LeaseRecord { id: 1, ttl: 5 };
        l.promote(std::slice::from_ref(&rec), t0, Duration::ZERO);
        assert_eq!(l.remaining(&rec, t0 + Duration::from_millis(1500)), 4);
        assert!(l.take_expired(t0 + 4 * S).is_empty());
        // A keep-alive at 4 s moves the deadline to 9 s.
        assert_eq!(l.renew(&rec, t0 + 4 * S), Ok(5));
        assert!(l.take_expired(t0 + 6 * S).is_empty());
        assert_eq!(l.take_expired(t0 + 9 * S), vec![1]);
        // Not proposed twice within the retry interval, proposed again after it.
        assert!(l.take_expired(t0 + 10 * S).is_empty());
        assert_eq!(l.take_expired(t0 + 12 * S), vec![1]);
        // Demotion then promotion: a full TTL plus the extension from the promotion.
        l.demote();
        let t1 = t0 + 100 * S;
        l.promote(std::slice::from_ref(&rec), t1, S);
        assert_eq!(l.remaining(&rec, t1), 6);
        assert!(l.take_expired(t1 + 5 * S).is_empty());
        assert_eq!(l.take_expired(t1 + 6 * S), vec![1]);
        // Gone from the table: dropped from the clock.
        l.sync(&[], t1);
        assert!(l.take_expired(t1 + 60 * S).is_empty());
        // A lease granted since the promotion joins with a full TTL.
        let rec2 = LeaseRecord { id: 2, ttl: 3 };
        l.sync(std::slice::from_ref(&rec2), t1 + 10 * S);
        assert_eq!(l.take_expired(t1 + 13 * S), vec![2]);
    }

    #[test]
    fn lessor_demoted_never_expires_nor_renews() {
        let l = Lessor::new();
        let t0 = Instant::now();
        let rec = LeaseRecord { id: 7, ttl: 2 };
        assert!(!l.is_primary());
        // A fresh lessor is demoted: no renewals, no deadlines, nothing expires.
        assert_eq!(l.renew(&rec, t0), Err(NotPrimary));
        l.sync(std::slice::from_ref(&rec), t0);
        assert!(l.take_expired(t0 + 3600 * S).is_empty());
        assert_eq!(l.remaining(&rec, t0 + 3600 * S), 2);
        // Primary, then demoted past the deadline: nothing expires while demoted.
        l.promote(std::slice::from_ref(&rec), t0, Duration::ZERO);
        assert!(l.is_primary());
        l.demote();
        assert!(!l.is_primary());
        assert!(l.take_expired(t0 + 3600 * S).is_empty());
        // Deadlines kept from an earlier primacy do not survive a promotion.
        l.promote(std::slice::from_ref(&rec), t0, Duration::ZERO);
        let later = t0 + 3600 * S;
        l.demote();
        l.promote(std::slice::from_ref(&rec), later, S);
        assert!(l.take_expired(later + 2 * S).is_empty());
        assert_eq!(l.take_expired(later + 3 * S), vec![7]);
    }

    #[test]
    fn lessor_gate_opens_on_leadership_with_a_quorum_ack() {
        let mut g = QuorumGate::new(S);
        let t0 = Instant::now();
        assert_eq!(g.observe(follower(1), None, t0), GateChange::None);
        // Leader, but no quorum acknowledgement yet: still closed.
        assert_eq!(g.observe(leader(2), None, t0), GateChange::None);
        assert!(!g.is_open());
        // First acknowledgement: open.
        assert_eq!(
            g.observe(leader(2), Some(Duration::from_millis(5)), t0),
            GateChange::Promote
        );
        assert!(g.is_open());
        // Acknowledgements keep coming: stays open, no new promotion.
        for i in 1..20u32 {
            let now = t0 + Duration::from_millis(100) * i;
            assert_eq!(
                g.observe(leader(2), Some(Duration::from_millis(30)), now),
                GateChange::None
            );
        }
        // Ticks without new metrics within the window: still open.
        let last = t0 + Duration::from_millis(1900) - Duration::from_millis(30);
        assert_eq!(
            g.observe(leader(2), None, last + Duration::from_millis(900)),
            GateChange::None
        );
    }

    #[test]
    fn lessor_gate_closes_without_quorum_and_reopens_with_promotion() {
        let mut g = QuorumGate::new(S);
        let t0 = Instant::now();
        assert_eq!(
            g.observe(leader(3), Some(Duration::ZERO), t0),
            GateChange::Promote
        );
        // The followers stop answering: the age of the last acknowledgement grows.
        assert_eq!(
            g.observe(leader(3), Some(Duration::from_millis(500)), t0 + S / 2),
            GateChange::None
        );
        assert_eq!(g.observe(leader(3), Some(S), t0 + S), GateChange::Demote);
        assert_eq!(
            g.observe(leader(3), Some(35 * S), t0 + 35 * S),
            GateChange::None
        );
        assert!(!g.is_open());
        // The followers answer again, same term: promote (leases get a full TTL).
        let t1 = t0 + 36 * S;
        assert_eq!(
            g.observe(leader(3), Some(Duration::from_millis(2)), t1),
            GateChange::Promote
        );
    }

    #[test]
    fn lessor_gate_repromotes_after_a_gap_seen_late() {
        // A leader paused (SIGSTOP) longer than the window: after it resumes, the first
        // observation may already carry a fresh-looking acknowledgement. The gap must still be
        // seen, so the lessor is promoted again (fresh deadlines) instead of staying primary
        // with deadlines that ran out during the pause.
        let mut g = QuorumGate::new(S);
        let t0 = Instant::now();
        assert_eq!(
            g.observe(leader(4), Some(Duration::ZERO), t0),
            GateChange::Promote
        );
        let resumed = t0 + 40 * S;
        assert_eq!(
            g.observe(leader(4), Some(Duration::from_millis(1)), resumed),
            GateChange::Promote
        );
        // The same after a tick saw the gap first.
        let mut g = QuorumGate::new(S);
        assert_eq!(
            g.observe(leader(4), Some(Duration::ZERO), t0),
            GateChange::Promote
        );
        assert_eq!(g.observe(leader(4), None, resumed), GateChange::Demote);
        assert_eq!(
            g.observe(leader(4), Some(Duration::from_millis(1)), resumed),
            GateChange::Promote
        );
    }

    #[test]
    fn lessor_gate_follows_leadership_and_terms() {
        let mut g = QuorumGate::new(S);
        let t0 = Instant::now();
        assert_eq!(
            g.observe(leader(5), Some(Duration::ZERO), t0),
            GateChange::Promote
        );
        // Stepped down: demote.
        assert_eq!(g.observe(follower(6), None, t0), GateChange::Demote);
        assert_eq!(g.observe(follower(6), None, t0 + S), GateChange::None);
        // An acknowledgement of an earlier term does not count for a new one.
        assert_eq!(g.observe(leader(7), None, t0 + S), GateChange::None);
        assert_eq!(
            g.observe(leader(7), Some(Duration::ZERO), t0 + S),
            GateChange::Promote
        );
        // Leader again in a later term without a step-down seen in between: re-promote once
        // the new term is acknowledged, never stay primary across terms.
        assert_eq!(g.observe(leader(9), None, t0 + S), GateChange::Demote);
        assert_eq!(
            g.observe(leader(9), Some(Duration::ZERO), t0 + S),
            GateChange::Promote
        );
        // An age larger than the monotonic clock's past does not panic and does not open.
        let mut g = QuorumGate::new(S);
        let _ = g.observe(leader(1), Some(Duration::from_secs(u64::MAX / 4)), t0);
        assert!(!g.is_open());
    }

    #[test]
    fn lessor_gate_sole_voter_is_its_own_quorum() {
        let mut g = QuorumGate::new(S);
        let t0 = Instant::now();
        let solo = RaftView {
            leader: true,
            term: 2,
            sole_voter: true,
        };
        assert_eq!(g.observe(solo, None, t0), GateChange::Promote);
        // No metrics updates (an idle single member: its metrics do not change): the lessor
        // loop's ticks alone keep the gate open.
        for i in 1..200u32 {
            let now = t0 + Duration::from_millis(500) * i;
            assert_eq!(g.observe(solo, None, now), GateChange::None);
        }
        assert!(g.is_open());
        // A gap longer than the window (a stalled or stopped process) changes nothing: a sole
        // voter never loses its quorum (etcd's single member keeps its lessor primary).
        let resumed = t0 + 500 * S;
        assert_eq!(g.observe(solo, None, resumed), GateChange::None);
        // Another voter joins: from then on acknowledgements are needed.
        let joined = RaftView {
            sole_voter: false,
            ..solo
        };
        assert_eq!(g.observe(joined, None, resumed), GateChange::None);
        assert_eq!(g.observe(joined, None, resumed + 2 * S), GateChange::Demote);
    }
}
