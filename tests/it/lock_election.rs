//! Locks and elections end to end: our `etcd` binary serving the official `etcdctl lock` /
//! `etcdctl elect` (etcd's client-side recipes, through KV, Txn, Watch and Lease) and our
//! server-side `v3lockpb.Lock` / `v3electionpb.Election` services over gRPC, mixed on the
//! same names, plus a differential check of the election error statuses against the real
//! etcd server.
//!
//! Needs `/usr/bin/etcdctl` and `/usr/bin/etcd`: without them the tests print why and pass,
//! unless `ETCD_INTEROP_REQUIRED=1` (`require_etcd!`). Servers and etcdctl children are
//! harness processes, killed on drop and by the harness watchdog; every wait is bounded.

#![allow(clippy::unwrap_used)]

use std::process::{Command, ExitStatus};
use std::time::{Duration, Instant};

use etcd_oxide::pb::etcdserverpb::kv_client::KvClient;
use etcd_oxide::pb::etcdserverpb::lease_client::LeaseClient;
use etcd_oxide::pb::etcdserverpb::{LeaseGrantRequest, LeaseRevokeRequest, RangeRequest};
use etcd_oxide::pb::v3electionpb::election_client::ElectionClient;
use etcd_oxide::pb::v3electionpb::{
    CampaignRequest, LeaderKey, LeaderRequest, ProclaimRequest, ResignRequest,
};
use etcd_oxide::pb::v3lockpb::lock_client::LockClient;
use etcd_oxide::pb::v3lockpb::{LockRequest, UnlockRequest};
use tonic::transport::Channel;

use crate::harness::{self, MemberOpts, Proc, ServerKind, ETCDCTL_BIN as ETCDCTL};

/// How long a contender must stay blocked to count as waiting.
const STAYS_BLOCKED: Duration = Duration::from_millis(1500);
/// Bound on anything expected to happen.
const SOON: Duration = Duration::from_secs(15);

/// The waits of a background etcdctl ([`harness::Proc`]) from async tests.
trait CtlProc {
    /// Waits for a stdout line containing `needle`, panicking with the output after `within`.
    async fn expect_line(&self, needle: &str, within: Duration) -> String;
    /// Asserts no line arrives for `d` and the process is still running.
    async fn expect_blocked(&mut self, d: Duration);
    /// Waits for exit, at most `within`.
    async fn exit(&mut self, within: Duration) -> ExitStatus;
}

impl CtlProc for Proc {
    async fn expect_line(&self, needle: &str, within: Duration) -> String {
        let until = Instant::now() + within;
        while let Some(l) = self
            .next_line_async(until.saturating_duration_since(Instant::now()))
            .await
        {
            if l.contains(needle) {
                return l;
            }
        }
        panic!(
            "{}: no line containing {needle:?} within {within:?}; {}",
            self.what(),
            self.output()
        );
    }

    async fn expect_blocked(&mut self, d: Duration) {
        if let Some(l) = self.next_line_async(d).await {
            panic!(
                "{}: expected to block, printed {l:?}; {}",
                self.what(),
                self.output()
            );
        }
        assert!(
            !self.exited(),
            "{} exited early:\n{}",
            self.what(),
            self.output()
        );
    }

    async fn exit(&mut self, within: Duration) -> ExitStatus {
        self.wait_exit_async(within).await
    }
}

/// One single-member server (a harness [`harness::Member`], killed on drop).
struct Member {
    _member: harness::Member,
    endpoint: String,
}

impl Member {
    /// Starts `kind` (ours or the real etcd) and waits until it is ready and healthy.
    async fn start(kind: ServerKind) -> Member {
        let member = tokio::task::block_in_place(|| {
            harness::Member::start(kind, MemberOpts::named("default"))
        });
        Member {
            endpoint: format!("127.0.0.1:{}", member.client_port),
            _member: member,
        }
    }

    async fn ours() -> Member {
        Member::start(ServerKind::Ours).await
    }

    fn ctl(&self, args: &[&str]) -> Proc {
        let mut cmd = Command::new(ETCDCTL);
        cmd.args(["--endpoints", &self.endpoint])
            .args(args)
            .env("ETCDCTL_API", "3");
        Proc::spawn(cmd, false)
    }

    async fn channel(&self) -> Channel {
        let endpoint = Channel::from_shared(format!("http://{}", self.endpoint)).unwrap();
        tokio::time::timeout(SOON, endpoint.connect())
            .await
            .expect("connect timed out")
            .expect("connect")
    }

    async fn grant(&self, ttl: i64) -> i64 {
        let mut c = LeaseClient::new(self.channel().await);
        let r = tokio::time::timeout(SOON, c.lease_grant(LeaseGrantRequest { ttl, id: 0 }))
            .await
            .unwrap()
            .unwrap();
        r.into_inner().id
    }

    async fn keys(&self, prefix: &str) -> Vec<String> {
        let mut c = KvClient::new(self.channel().await);
        let mut end = prefix.as_bytes().to_vec();
        *end.last_mut().unwrap() += 1;
        let req = RangeRequest {
            key: prefix.as_bytes().to_vec(),
            range_end: end,
            keys_only: true,
            ..Default::default()
        };
        let r = tokio::time::timeout(SOON, c.range(req))
            .await
            .unwrap()
            .unwrap()
            .into_inner();
        r.kvs
            .into_iter()
            .map(|kv| String::from_utf8(kv.key).unwrap())
            .collect()
    }
}

/// Polls `f` (bounded) until it holds.
async fn eventually<F, Fut>(what: &str, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let until = Instant::now() + SOON;
    while !f().await {
        assert!(Instant::now() < until, "not within {SOON:?}: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn env_field(line: &str, i: usize) -> String {
    line.split_whitespace()
        .nth(i)
        .unwrap_or_default()
        .to_string()
}

/// `etcdctl lock` twice: the second runs its command only after the first's command
/// finished and released, with a larger revision (fencing token).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn etcdctl_lock_second_contender_waits_for_first_to_release() {
    crate::require_etcd!();
    let m = Member::ours().await;
    let mut a = m.ctl(&[
        "lock",
        "mylock",
        "--",
        "sh",
        "-c",
        "echo A $ETCD_LOCK_KEY $ETCD_LOCK_REV; sleep 3",
    ]);
    let la = a.expect_line("A ", SOON).await;
    let mut b = m.ctl(&[
        "lock",
        "mylock",
        "--",
        "sh",
        "-c",
        "echo B $ETCD_LOCK_KEY $ETCD_LOCK_REV",
    ]);
    b.expect_blocked(STAYS_BLOCKED).await;
    assert!(a.exit(SOON).await.success(), "{}", a.output());
    let lb = b.expect_line("B ", SOON).await;
    assert!(b.exit(SOON).await.success(), "{}", b.output());
    assert!(env_field(&la, 1).starts_with("mylock/") && env_field(&lb, 1).starts_with("mylock/"));
    assert_ne!(env_field(&la, 1), env_field(&lb, 1));
    let (ra, rb): (i64, i64) = (
        env_field(&la, 2).parse().unwrap(),
        env_field(&lb, 2).parse().unwrap(),
    );
    assert!(rb > ra, "fencing revisions must grow: {la} / {lb}");
    eventually("lock keys released", || async {
        m.keys("mylock/").await.is_empty()
    })
    .await;
}

/// A holder killed with SIGKILL cannot unlock: the waiter gets the lock when the holder's
/// lease expires (lessor → LeaseRevoke through Raft → DELETE event → waiter wakes).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn etcdctl_lock_holder_killed_releases_at_lease_expiry() {
    crate::require_etcd!();
    let m = Member::ours().await;
    let a = m.ctl(&["lock", "--ttl", "3", "killedlock"]);
    a.expect_line("killedlock/", SOON).await;
    let mut b = m.ctl(&["lock", "killedlock", "--", "echo", "B got it"]);
    b.expect_blocked(STAYS_BLOCKED).await;
    a.signal("KILL");
    b.expect_line("B got it", Duration::from_secs(25)).await;
    assert!(b.exit(SOON).await.success(), "{}", b.output());
}

/// `etcdctl elect`: p2 leads only after p1 is terminated (it resigns); an `elect -l`
/// observer sees p1's proposal, then p2's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn etcdctl_elect_second_candidate_leads_after_first_is_killed() {
    crate::require_etcd!();
    let m = Member::ours().await;
    let observer = m.ctl(&["elect", "-l", "myelection"]);
    let mut p1 = m.ctl(&["elect", "myelection", "p1"]);
    p1.expect_line("myelection/", SOON).await;
    p1.expect_line("p1", SOON).await;
    observer.expect_line("p1", SOON).await;
    let mut p2 = m.ctl(&["elect", "myelection", "p2"]);
    p2.expect_blocked(STAYS_BLOCKED).await;
    p1.signal("TERM");
    p1.exit(SOON).await;
    p2.expect_line("myelection/", SOON).await;
    p2.expect_line("p2", SOON).await;
    observer.expect_line("p2", SOON).await;
}

/// Our server-side Lock waits behind an `etcdctl lock` holder (same keys, same queue), and
/// an `etcdctl lock` waits behind our Lock until Unlock.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_lock_queues_with_etcdctl_lock() {
    crate::require_etcd!();
    let m = Member::ours().await;
    let mut a = m.ctl(&["lock", "sharedlock"]);
    a.expect_line("sharedlock/", SOON).await;
    let lease = m.grant(30).await;
    let mut lock = LockClient::new(m.channel().await);
    let mut pending = tokio::spawn(async move {
        lock.lock(LockRequest {
            name: b"sharedlock".to_vec(),
            lease,
        })
        .await
    });
    assert!(
        tokio::time::timeout(STAYS_BLOCKED, &mut pending)
            .await
            .is_err(),
        "Lock must wait for etcdctl's holder"
    );
    a.signal("TERM");
    a.exit(SOON).await;
    let resp = tokio::time::timeout(SOON, pending)
        .await
        .expect("Lock after release")
        .unwrap()
        .unwrap()
        .into_inner();
    assert_eq!(
        String::from_utf8(resp.key.clone()).unwrap(),
        format!("sharedlock/{lease:x}")
    );
    assert!(resp.header.unwrap().revision > 0);

    let mut b = m.ctl(&["lock", "sharedlock", "--", "echo", "B got it"]);
    b.expect_blocked(STAYS_BLOCKED).await;
    let mut lock = LockClient::new(m.channel().await);
    tokio::time::timeout(SOON, lock.unlock(UnlockRequest { key: resp.key }))
        .await
        .unwrap()
        .unwrap();
    b.expect_line("B got it", SOON).await;
    assert!(b.exit(SOON).await.success());
}

/// A Lock waiter whose lease is revoked fails with `session expired`; a waiter (or a
/// candidate) whose client gives up leaves no key behind (the dropped handler deletes it or
/// resigns, and cancels its watchers).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_lock_waiter_lease_revoked_or_client_gone() {
    crate::require_etcd!();
    let m = Member::ours().await;
    let (l1, l2, l3) = (m.grant(30).await, m.grant(30).await, m.grant(30).await);
    let mut c = LockClient::new(m.channel().await);
    let held = tokio::time::timeout(
        SOON,
        c.lock(LockRequest {
            name: b"m6".to_vec(),
            lease: l1,
        }),
    )
    .await
    .unwrap()
    .unwrap();
    let mut c2 = LockClient::new(m.channel().await);
    let mut waiter = tokio::spawn(async move {
        c2.lock(LockRequest {
            name: b"m6".to_vec(),
            lease: l2,
        })
        .await
    });
    assert!(tokio::time::timeout(STAYS_BLOCKED, &mut waiter)
        .await
        .is_err());
    let mut leases = LeaseClient::new(m.channel().await);
    tokio::time::timeout(SOON, leases.lease_revoke(LeaseRevokeRequest { id: l2 }))
        .await
        .unwrap()
        .unwrap();
    let err = tokio::time::timeout(SOON, waiter)
        .await
        .unwrap()
        .unwrap()
        .unwrap_err();
    assert_eq!(
        (err.code(), err.message()),
        (tonic::Code::Unknown, "session expired")
    );

    // The client gives up after a short while: its contender key must go.
    let mut c3 = LockClient::new(m.channel().await);
    let gave_up = tokio::time::timeout(
        Duration::from_millis(800),
        c3.lock(LockRequest {
            name: b"m6".to_vec(),
            lease: l3,
        }),
    )
    .await;
    assert!(gave_up.is_err());
    drop(c3);
    let mine = format!("m6/{l1:x}");
    eventually("abandoned waiter's key deleted", || async {
        m.keys("m6/").await == vec![mine.clone()]
    })
    .await;
    assert_eq!(held.into_inner().key, mine.as_bytes());

    // Same for a candidate: an abandoned Campaign resigns.
    let mut e = ElectionClient::new(m.channel().await);
    let campaign = |lease| CampaignRequest {
        name: b"e7".to_vec(),
        lease,
        value: b"v".to_vec(),
    };
    tokio::time::timeout(SOON, e.campaign(campaign(l1)))
        .await
        .unwrap()
        .unwrap();
    let gave_up = tokio::time::timeout(Duration::from_millis(800), e.campaign(campaign(l3))).await;
    assert!(gave_up.is_err());
    drop(e);
    let leader = format!("e7/{l1:x}");
    eventually("abandoned candidate resigned", || async {
        m.keys("e7/").await == vec![leader.clone()]
    })
    .await;
}

/// The Election service end to end, mixed with etcdctl candidates and observers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_election_campaign_proclaim_observe_resign() {
    crate::require_etcd!();
    let m = Member::ours().await;
    let mut e = ElectionClient::new(m.channel().await);
    let err = tokio::time::timeout(
        SOON,
        e.leader(LeaderRequest {
            name: b"e5".to_vec(),
        }),
    )
    .await
    .unwrap()
    .unwrap_err();
    assert_eq!(
        (err.code(), err.message()),
        (tonic::Code::Unknown, "election: no leader")
    );

    // Observe before anyone campaigns: the first candidate is reported when it appears.
    let mut observe = tokio::time::timeout(
        SOON,
        e.observe(LeaderRequest {
            name: b"e5".to_vec(),
        }),
    )
    .await
    .unwrap()
    .unwrap()
    .into_inner();
    let ctl_observer = m.ctl(&["elect", "-l", "e5"]);
    let lease = m.grant(30).await;
    let won = tokio::time::timeout(
        SOON,
        e.campaign(CampaignRequest {
            name: b"e5".to_vec(),
            lease,
            value: b"v1".to_vec(),
        }),
    )
    .await
    .unwrap()
    .unwrap()
    .into_inner();
    let leader = won.leader.unwrap();
    assert_eq!(leader.key, format!("e5/{lease:x}").into_bytes());
    assert_eq!((leader.name.as_slice(), leader.lease), (&b"e5"[..], lease));
    assert_eq!(leader.rev, won.header.unwrap().revision);
    assert_eq!(next_value(&mut observe).await, "v1");
    ctl_observer.expect_line("v1", SOON).await;

    tokio::time::timeout(
        SOON,
        e.proclaim(ProclaimRequest {
            leader: Some(leader.clone()),
            value: b"v1b".to_vec(),
        }),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(next_value(&mut observe).await, "v1b");
    ctl_observer.expect_line("v1b", SOON).await;
    let l = tokio::time::timeout(
        SOON,
        e.leader(LeaderRequest {
            name: b"e5".to_vec(),
        }),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(l.into_inner().kv.unwrap().value, b"v1b");

    let stale = LeaderKey {
        rev: leader.rev + 1000,
        ..leader.clone()
    };
    let err = tokio::time::timeout(
        SOON,
        e.proclaim(ProclaimRequest {
            leader: Some(stale),
            value: b"x".to_vec(),
        }),
    )
    .await
    .unwrap()
    .unwrap_err();
    assert_eq!(
        (err.code(), err.message()),
        (tonic::Code::Unknown, "election: not leader")
    );
    let err = tokio::time::timeout(
        SOON,
        e.proclaim(ProclaimRequest {
            leader: None,
            value: b"x".to_vec(),
        }),
    )
    .await
    .unwrap()
    .unwrap_err();
    assert_eq!(
        (err.code(), err.message()),
        (tonic::Code::Unknown, "\"leader\" field must be provided")
    );

    // etcdctl's candidate queues behind ours, and a second server-side candidate behind it.
    let mut p2 = m.ctl(&["elect", "e5", "p2"]);
    p2.expect_blocked(STAYS_BLOCKED).await;
    let lease3 = m.grant(30).await;
    let mut e3 = ElectionClient::new(m.channel().await);
    let mut third = tokio::spawn(async move {
        e3.campaign(CampaignRequest {
            name: b"e5".to_vec(),
            lease: lease3,
            value: b"v3".to_vec(),
        })
        .await
    });
    assert!(tokio::time::timeout(Duration::from_millis(500), &mut third)
        .await
        .is_err());

    tokio::time::timeout(
        SOON,
        e.resign(ResignRequest {
            leader: Some(leader),
        }),
    )
    .await
    .unwrap()
    .unwrap();
    p2.expect_line("p2", SOON).await;
    assert_eq!(next_value(&mut observe).await, "p2");
    ctl_observer.expect_line("p2", SOON).await;
    assert!(
        tokio::time::timeout(Duration::from_millis(500), &mut third)
            .await
            .is_err(),
        "v3 must wait for p2"
    );

    p2.signal("TERM");
    p2.exit(SOON).await;
    let won3 = tokio::time::timeout(SOON, third)
        .await
        .expect("third candidate elected")
        .unwrap()
        .unwrap()
        .into_inner();
    assert_eq!(
        won3.leader.unwrap().key,
        format!("e5/{lease3:x}").into_bytes()
    );
    assert_eq!(next_value(&mut observe).await, "v3");
    ctl_observer.expect_line("v3", SOON).await;
}

/// The value of the next Observe message, waiting at most [`SOON`].
async fn next_value(
    observe: &mut tonic::Streaming<etcd_oxide::pb::v3electionpb::LeaderResponse>,
) -> String {
    let msg = tokio::time::timeout(SOON, observe.message())
        .await
        .expect("observe timed out")
        .unwrap()
        .unwrap();
    String::from_utf8(msg.kv.unwrap().value).unwrap()
}

/// Differential: the election error statuses and the lock key shape of the real etcd and
/// ours are the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lock_and_election_statuses_match_real_etcd() {
    crate::require_etcd!();
    let mut seen = Vec::new();
    for bin in [ServerKind::Etcd, ServerKind::Ours] {
        let m = Member::start(bin).await;
        let mut e = ElectionClient::new(m.channel().await);
        let mut out = Vec::new();
        let r = tokio::time::timeout(
            SOON,
            e.leader(LeaderRequest {
                name: b"none".to_vec(),
            }),
        )
        .await
        .unwrap();
        out.push(
            r.map(|_| ())
                .map_err(|s| (s.code(), s.message().to_string())),
        );
        let bogus = LeaderKey {
            name: b"none".to_vec(),
            key: b"none/1".to_vec(),
            rev: 99,
            lease: 0,
        };
        let r = tokio::time::timeout(
            SOON,
            e.proclaim(ProclaimRequest {
                leader: Some(bogus),
                value: b"x".to_vec(),
            }),
        )
        .await
        .unwrap();
        out.push(
            r.map(|_| ())
                .map_err(|s| (s.code(), s.message().to_string())),
        );
        let r = tokio::time::timeout(SOON, e.resign(ResignRequest { leader: None }))
            .await
            .unwrap();
        out.push(
            r.map(|_| ())
                .map_err(|s| (s.code(), s.message().to_string())),
        );
        let r = tokio::time::timeout(
            SOON,
            e.campaign(CampaignRequest {
                name: b"c".to_vec(),
                lease: 0x7fff_0001,
                value: vec![],
            }),
        )
        .await
        .unwrap();
        out.push(
            r.map(|_| ())
                .map_err(|s| (s.code(), s.message().to_string())),
        );
        let lease = m.grant(30).await;
        let mut l = LockClient::new(m.channel().await);
        let key = tokio::time::timeout(
            SOON,
            l.lock(LockRequest {
                name: b"k".to_vec(),
                lease,
            }),
        )
        .await
        .unwrap()
        .unwrap();
        assert_eq!(
            key.into_inner().key,
            format!("k/{lease:x}").into_bytes(),
            "{}",
            bin.label()
        );
        seen.push(out);
        drop(m);
    }
    assert_eq!(seen[0], seen[1], "real etcd (left) vs ours (right)");
}
