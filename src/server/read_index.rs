//! Read-index rounds shared by concurrent linearizable reads (etcd's linearizable read
//! loop): every read that arrives while no round is running, or while one is in flight,
//! joins the *next* round; one round costs one leadership confirmation on the leader (one
//! heartbeat to a quorum) or one forwarded read-index request on a follower, however many
//! reads it answers. A read never joins a round that started before it arrived, so the
//! index it gets was read after the read began: the linearizability argument of etcd's
//! `linearizableReadLoop`.

use std::future::Future;
use std::sync::{Mutex, Weak};
use std::time::Instant;
#[cfg(test)]
use std::{sync::Arc, time::Duration};

use tokio::sync::watch;

use super::peer::{error_from_message, message_of};
use super::{Error, EtcdServer};

/// The answer of one round: the read index, or the error message as members carry it
/// between them (rebuilt into [`Error`] by each waiter).
type Outcome = Result<u64, String>;

/// Rounds of one kind: who waits for the next one and whether a driver is running.
#[derive(Default)]
pub(super) struct Rounds {
    state: Mutex<RoundsState>,
}

#[derive(Default)]
struct RoundsState {
    /// A driver task is running (it takes `next` when the current round ends).
    driving: bool,
    /// The round that has not started yet, with its waiters subscribed.
    next: Option<watch::Sender<Option<Outcome>>>,
}

impl Rounds {
    fn lock(&self) -> std::sync::MutexGuard<'_, RoundsState> {
        match self.state.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    /// Joins the next round; `true` when the caller must start a driver ([`drive`]).
    fn join(&self) -> (watch::Receiver<Option<Outcome>>, bool) {
        let mut st = self.lock();
        let rx = st
            .next
            .get_or_insert_with(|| watch::channel(None).0)
            .subscribe();
        let start = !st.driving;
        st.driving = true;
        (rx, start)
    }

    /// The round to run now, or `None` (and the driver stops) when nobody waits.
    fn take_next(&self) -> Option<watch::Sender<Option<Outcome>>> {
        let mut st = self.lock();
        let next = st.next.take();
        if next.is_none() {
            st.driving = false;
        }
        next
    }
}

/// Runs rounds one after another with `fetch` until no read waits.
async fn drive<F, Fut>(rounds: &Rounds, mut fetch: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Outcome>,
{
    while let Some(round) = rounds.take_next() {
        let outcome = fetch().await;
        if let Err(msg) = &outcome {
            let m = crate::observability::metrics();
            let family = if msg.as_str() == Error::Timeout.to_string() {
                "etcd_server_slow_read_indexes_total"
            } else {
                "etcd_server_read_indexes_failed_total"
            };
            if let Some(c) = m.extra_counter(family) {
                c.inc();
            }
        }
        round.send_replace(Some(outcome));
    }
}

/// Waits for the round `rx` until `deadline`.
///
/// # Errors
/// [`Error::Timeout`] past the deadline, [`Error::Stopped`] when the driver went away,
/// the round's own error otherwise.
async fn wait_round(
    mut rx: watch::Receiver<Option<Outcome>>,
    deadline: Instant,
) -> Result<u64, Error> {
    let left = deadline.saturating_duration_since(Instant::now());
    match tokio::time::timeout(left, rx.wait_for(Option::is_some)).await {
        Err(_) => Err(Error::Timeout),
        Ok(Err(_)) => Err(Error::Stopped),
        Ok(Ok(v)) => match v.as_ref() {
            Some(Ok(index)) => Ok(*index),
            Some(Err(msg)) => Err(error_from_message(msg)),
            None => Err(Error::Stopped),
        },
    }
}

/// Which read index a round fetches.
#[derive(Clone, Copy, Debug)]
enum Kind {
    /// This member is the leader: confirm leadership with a quorum.
    Leader,
    /// Ask the current leader (a forwarded read-index request).
    Follower,
}

/// The member's two queues of read-index rounds.
pub(super) struct ReadRounds {
    server: Weak<EtcdServer>,
    leader: Rounds,
    follower: Rounds,
}

impl ReadRounds {
    /// Rounds for the member `server` points to (drivers hold it only while fetching).
    pub(super) fn new(server: Weak<EtcdServer>) -> ReadRounds {
        ReadRounds {
            server,
            leader: Rounds::default(),
            follower: Rounds::default(),
        }
    }

    fn rounds(&self, kind: Kind) -> &Rounds {
        match kind {
            Kind::Leader => &self.leader,
            Kind::Follower => &self.follower,
        }
    }

    /// The leader's read index from a round that starts after this call (shared with every
    /// read, local or forwarded by a follower, that joins the same round).
    ///
    /// # Errors
    /// [`Error::NotLeader`], [`Error::Timeout`], [`Error::Stopped`].
    pub(super) async fn leader_read_index(&self, deadline: Instant) -> Result<u64, Error> {
        self.read_index(Kind::Leader, deadline).await
    }

    /// The leader's read index asked by this follower in a round that starts after this
    /// call.
    ///
    /// # Errors
    /// [`Error::NotLeader`] / [`Error::NoLeader`] when the leader changed, [`Error::Timeout`],
    /// [`Error::Stopped`], the leader's error.
    pub(super) async fn follower_read_index(&self, deadline: Instant) -> Result<u64, Error> {
        self.read_index(Kind::Follower, deadline).await
    }

    async fn read_index(&self, kind: Kind, deadline: Instant) -> Result<u64, Error> {
        let (rx, start) = self.rounds(kind).join();
        if start {
            let Some(server) = self.server.upgrade() else {
                self.rounds(kind).take_next();
                return Err(Error::Stopped);
            };
            tokio::spawn(async move {
                let s = &server;
                drive(s.read_rounds.rounds(kind), || async move {
                    s.fetch_read_index(kind).await.map_err(|e| message_of(&e))
                })
                .await;
            });
        }
        wait_round(rx, deadline).await
    }
}

impl EtcdServer {
    /// One read-index fetch of a round: a leadership confirmation, or a forwarded request
    /// to the current leader, each within the request timeout.
    async fn fetch_read_index(&self, kind: Kind) -> Result<u64, Error> {
        match kind {
            Kind::Leader => self.local_read_index().await,
            Kind::Follower => match self.leader() {
                Some(l) if l != self.member_id => {
                    let deadline = Instant::now() + self.cfg.request_timeout();
                    self.remote_read_index(l, deadline).await
                }
                Some(_) => Err(Error::NotLeader),
                None => Err(Error::NoLeader),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    /// How long a test's reader waits for its round.
    const TEST_WAIT: Duration = Duration::from_secs(5);

    /// Joins a round on `rounds`, driving it with a fetch that returns its call number
    /// after `delay`, as the server's reads do.
    async fn read(rounds: Arc<Rounds>, calls: Arc<AtomicU64>, delay: Duration) -> u64 {
        let (rx, start) = rounds.join();
        if start {
            let r = rounds.clone();
            tokio::spawn(async move {
                drive(&r, || {
                    let calls = calls.clone();
                    async move {
                        let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
                        tokio::time::sleep(delay).await;
                        Ok(n)
                    }
                })
                .await;
            });
        }
        wait_round(rx, Instant::now() + TEST_WAIT)
            .await
            .expect("round answers")
    }

    #[tokio::test]
    async fn concurrent_reads_share_few_rounds() {
        let rounds = Arc::new(Rounds::default());
        let calls = Arc::new(AtomicU64::new(0));
        let mut tasks = Vec::new();
        for _ in 0..200 {
            tasks.push(tokio::spawn(read(
                rounds.clone(),
                calls.clone(),
                Duration::from_millis(20),
            )));
        }
        for t in tasks {
            t.await.expect("reader");
        }
        let n = calls.load(Ordering::SeqCst);
        assert!((1..=3).contains(&n), "200 concurrent reads took {n} rounds");
        // The queue is idle again: the next read starts a fresh round.
        assert_eq!(read(rounds, calls, Duration::ZERO).await, n + 1);
    }

    #[tokio::test]
    async fn a_read_never_joins_a_round_already_in_flight() {
        let rounds = Arc::new(Rounds::default());
        let calls = Arc::new(AtomicU64::new(0));
        let first = tokio::spawn(read(
            rounds.clone(),
            calls.clone(),
            Duration::from_millis(100),
        ));
        // Let round 1 start, then read: this read must be answered by round 2.
        tokio::time::sleep(Duration::from_millis(30)).await;
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        let second = read(rounds.clone(), calls.clone(), Duration::from_millis(100)).await;
        assert_eq!(first.await.expect("first"), 1);
        assert_eq!(second, 2);
    }

    #[tokio::test]
    async fn errors_and_deadlines_reach_every_waiter() {
        let rounds = Rounds::default();
        let (rx1, start) = rounds.join();
        assert!(start);
        let (rx2, start2) = rounds.join();
        assert!(!start2, "one driver per queue");
        drive(&rounds, || async {
            Err("etcdserver: not leader".to_string())
        })
        .await;
        for rx in [rx1, rx2] {
            assert!(matches!(
                wait_round(rx, Instant::now() + TEST_WAIT).await,
                Err(Error::NotLeader)
            ));
        }
        // Nobody drives this one: the waiter gives up at its deadline.
        let (rx, _) = rounds.join();
        let got = wait_round(rx, Instant::now() + Duration::from_millis(20)).await;
        assert!(matches!(got, Err(Error::Timeout)));
    }
}
