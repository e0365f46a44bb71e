//! The member's injectable clock (`src/clock.rs`, failpoints build only) reaches the places the
//! server reads time for expiry, and follows etcd's choice of clock for each:
//!
//! - wall-clock jumps of hours, forward and back, change nothing: leases keep their deadlines
//!   (etcd's lessor reads the monotonic clock) and a simple auth token keeps working on the
//!   member that issued it (etcd's simple-token keeper is on the monotonic clock too);
//! - a fast monotonic clock (`rate=20`) expires a 30 s lease within a couple of real seconds,
//!   and a monotonic jump of an hour expires a 600 s lease and the simple token: proof that the
//!   lessor and the token keeper read the injected clock (without it neither lease would
//!   expire within the test's waits).
//!
//! One member: it is its own quorum, so the lessor's quorum gate stays open across the jump.
//!
//! `leader_clock_jump_extends_leases_instead_of_expiring_them` (three members): on a leader a
//! monotonic jump looks like a pause, and the lessor's quorum gate must see the gap before any
//! lease is judged expired, then re-promote (every lease gets a full TTL again). The jump is
//! made while the leader's lessor tick is held (`lessorBeforeExpiry=1*return(1500)`, an asynchronous wait) between
//! the gate's check and the expiry check: the regression test of the lessor judging expiry at
//! a fresh clock reading taken after the gate's (the jump, or a pause, landing between the two
//! revoked every lease).
//!
//! Reproduce: `cargo test --features failpoints --test it clock_skew -- --nocapture`.

#![cfg(feature = "failpoints")]

use std::time::{Duration, Instant};

use etcd_oxide::client::{Client, ClientConfig};
use etcd_oxide::pb::etcdserverpb::auth_client::AuthClient;
use etcd_oxide::pb::etcdserverpb::kv_client::KvClient;
use etcd_oxide::pb::etcdserverpb::{AuthenticateRequest, PutRequest, RangeRequest};

use crate::harness::{http_request, runtime, Cluster, Member, ServerKind};
use crate::lease_quorum::wait_leader;

/// Bound on a skewed lease being revoked.
const EXPIRY_BOUND: Duration = Duration::from_secs(15);

fn set_clock(m: &Member, spec: &str) {
    match http_request(m.client_addr(), "PUT", "/debug/clock", spec) {
        Ok((204, _)) => {}
        other => panic!("PUT /debug/clock {spec:?}: {other:?}"),
    }
}

/// A KV read carrying `token` as is (no client-side re-authentication).
async fn read_with_token(url: &str, token: &str) -> Result<(), tonic::Status> {
    let ch = tonic::transport::Endpoint::from_shared(url.to_string())
        .expect("url")
        .connect()
        .await
        .map_err(|e| tonic::Status::unavailable(e.to_string()))?;
    let mut r = tonic::Request::new(RangeRequest {
        key: b"held".to_vec(),
        ..Default::default()
    });
    r.metadata_mut()
        .insert("token", token.parse().expect("token metadata"));
    KvClient::new(ch).range(r).await.map(|_| ())
}

/// Waits until lease `id` is gone (TTL -1) and `key` with it.
async fn wait_revoked(cl: &Client, id: i64, key: &str) -> Result<(), String> {
    let deadline = Instant::now() + EXPIRY_BOUND;
    let mut last = String::new();
    while Instant::now() < deadline {
        let ttl = cl.lease_time_to_live(id, false).await.map(|r| r.ttl);
        let kvs = cl
            .range(RangeRequest {
                key: key.as_bytes().to_vec(),
                ..Default::default()
            })
            .await
            .map(|r| r.kvs.len());
        if matches!(ttl, Ok(-1)) && matches!(kvs, Ok(0)) {
            return Ok(());
        }
        last = format!("ttl {ttl:?}, {key} count {kvs:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Err(format!(
        "lease {id:x} not revoked within {EXPIRY_BOUND:?}: {last}"
    ))
}

async fn alive(cl: &Client, id: i64, key: &str) -> (i64, usize) {
    let ttl = cl.lease_time_to_live(id, false).await.expect("ttl").ttl;
    let n = cl
        .range(RangeRequest {
            key: key.as_bytes().to_vec(),
            ..Default::default()
        })
        .await
        .expect("range")
        .kvs
        .len();
    (ttl, n)
}

#[test]
fn wall_jumps_change_nothing_and_the_monotonic_clock_drives_expiry() {
    let c = Cluster::start(ServerKind::Ours, 1, "clock-skew");
    let m = &c.members[0];
    let url = m.client_url();
    let rt = runtime();
    let client = |credentials| {
        Client::new(&ClientConfig {
            endpoints: vec![url.clone()],
            credentials,
            ..Default::default()
        })
        .expect("client")
    };
    let plain = client(None);
    rt.block_on(async {
        plain.user_add("root", "pw", false).await.expect("user add");
        plain
            .user_grant_role("root", "root")
            .await
            .expect("grant root");
        plain.auth_enable().await.expect("auth enable");
    });
    let cl = client(Some(("root".into(), "pw".into())));
    let (long, short, token) = rt.block_on(async {
        let long = cl.lease_grant(600, 0).await.expect("grant long").id;
        let short = cl.lease_grant(30, 0).await.expect("grant short").id;
        for (key, lease) in [("held", long), ("short", short)] {
            cl.put(PutRequest {
                key: key.as_bytes().to_vec(),
                value: b"v".to_vec(),
                lease,
                ..Default::default()
            })
            .await
            .expect("put");
        }
        let ch = tonic::transport::Endpoint::from_shared(url.clone())
            .expect("url")
            .connect()
            .await
            .expect("connect");
        let token = AuthClient::new(ch)
            .authenticate(AuthenticateRequest {
                name: "root".into(),
                password: "pw".into(),
            })
            .await
            .expect("authenticate")
            .into_inner()
            .token;
        (long, short, token)
    });
    assert!(
        token.matches('.').count() == 1,
        "a simple token, not a JWT: {token:?}"
    );

    // Wall jumps of hours both ways: a few lessor ticks later, nothing expired.
    for spec in ["wall=+5h", "wall=-5h"] {
        set_clock(m, spec);
        std::thread::sleep(Duration::from_millis(1500));
        rt.block_on(async {
            read_with_token(&url, &token)
                .await
                .unwrap_or_else(|e| panic!("simple token refused after {spec}: {e:?}"));
            let (ttl, n) = alive(&cl, long, "held").await;
            assert!(
                ttl > 500 && n == 1,
                "after {spec}: long lease ttl {ttl}, key count {n}"
            );
            let (ttl, n) = alive(&cl, short, "short").await;
            assert!(
                ttl > 20 && n == 1,
                "after {spec}: short lease ttl {ttl}, key count {n}"
            );
        });
    }
    let (_, shown) = http_request(m.client_addr(), "GET", "/debug/clock", "").expect("GET");
    assert!(shown.contains("wall=-18000s"), "{shown}");
    assert!(
        matches!(
            http_request(m.client_addr(), "PUT", "/debug/clock", "rate=0"),
            Ok((400, _))
        ),
        "a bad setting is refused"
    );

    // A monotonic clock twenty times too fast: the 30 s lease expires within a few real
    // seconds, the 600 s one not.
    set_clock(m, "rate=20");
    rt.block_on(async {
        wait_revoked(&cl, short, "short")
            .await
            .unwrap_or_else(|e| panic!("rate=20: {e}"));
        let (ttl, n) = alive(&cl, long, "held").await;
        assert!(ttl > 0 && n == 1, "long lease ttl {ttl}, key count {n}");
    });

    // Back to real speed, then a jump of an hour: the long lease and the simple token (TTL
    // five minutes, on the same clock) expire.
    set_clock(m, "reset");
    set_clock(m, "jump=1h");
    rt.block_on(async {
        wait_revoked(&cl, long, "held")
            .await
            .unwrap_or_else(|e| panic!("jump=1h: {e}"));
        let e = read_with_token(&url, &token)
            .await
            .expect_err("the simple token outlived a monotonic jump past its TTL");
        assert!(e.message().contains("invalid auth token"), "{e:?}");
    });
}

#[test]
fn leader_clock_jump_extends_leases_instead_of_expiring_them() {
    let c = Cluster::start(ServerKind::Ours, 3, "clock-jump");
    let rt = runtime();
    let leader = wait_leader(&c);
    let m = &c.members[leader];
    let cl = Client::new(&ClientConfig {
        endpoints: vec![m.client_url()],
        ..Default::default()
    })
    .expect("client");
    let id = rt.block_on(async {
        let id = cl.lease_grant(20, 0).await.expect("grant").id;
        cl.put(PutRequest {
            key: b"held".to_vec(),
            value: b"v".to_vec(),
            lease: id,
            ..Default::default()
        })
        .await
        .expect("put");
        id
    });
    // The next lessor tick (within 500 ms) waits 1.5 s after the gate's check; the jump of
    // an hour lands in that wait.
    match http_request(
        m.client_addr(),
        "PUT",
        "/debug/failpoints/lessorBeforeExpiry",
        "1*return(1500)",
    ) {
        Ok((204, _)) => {}
        other => panic!("PUT failpoint: {other:?}"),
    }
    std::thread::sleep(Duration::from_millis(700));
    set_clock(m, "jump=1h");
    // Past the held tick and a few more (the gate closes on the gap, then reopens).
    std::thread::sleep(Duration::from_millis(3000));
    rt.block_on(async {
        let (ttl, n) = alive(&cl, id, "held").await;
        assert!(
            ttl > 0 && n == 1,
            "the lease went with the leader's clock jump: ttl {ttl}, key count {n}\n{}",
            m.stderr_tail(20)
        );
    });
    // The gate saw the gap and re-promoted the lessor (the promotion at start had no lease).
    assert!(
        m.stderr()
            .lines()
            .any(|l| l.contains("lessor promoted") && l.contains("leases=1")),
        "the gate did not see the jump:\n{}",
        m.stderr_tail(20)
    );
}
