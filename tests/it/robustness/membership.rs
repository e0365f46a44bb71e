//! Membership changes of the robustness runs (`membership` scenario), through our client while
//! the traffic runs: add a learner (`MemberAdd` with `is_learner`) and start it with
//! `--initial-cluster-state existing`, promote it once it is in sync (`MemberPromote`, retried
//! while etcd's "can only promote a learner member which is in sync with leader" answers),
//! then remove the current leader (`MemberRemove` through another member); the removed member
//! exits by itself. At most two leader removals per run. A third of the time one of the
//! conf-change failpoints is set to crash a member while it applies the promotion; that member
//! is restarted.

use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::Rng;

use super::Fault;
use crate::harness::{free_port, Cluster, Member, MemberOpts, ServerKind};

/// Bound on each membership step (add, promote, remove) being accepted.
const STEP_BOUND: Duration = Duration::from_secs(20);

/// Runs one add → promote → remove-leader cycle; returns what was done.
pub(super) fn change(
    rt: &tokio::runtime::Runtime,
    c: &mut Cluster,
    removed: &mut Vec<usize>,
    rng: &mut StdRng,
) -> Vec<Fault> {
    if removed.len() >= 2 {
        return Vec::new();
    }
    let mut done = Vec::new();
    let live = |c: &Cluster, removed: &[usize]| -> Vec<String> {
        c.members
            .iter()
            .enumerate()
            .filter(|(i, m)| !removed.contains(i) && m.pid().is_some())
            .map(|(_, m)| m.client_url())
            .collect()
    };
    let cl = super::client_of(live(c, removed));

    // 1. Add a learner and start it.
    let idx = c.members.len();
    let name = format!("m{}", idx + 1);
    let ports = (free_port(), free_port());
    let peer = format!("http://127.0.0.1:{}", ports.1);
    let Some(added) = retry(rt, "member add", || cl.member_add(vec![peer.clone()], true)) else {
        done.push(Fault::MemberChangeFailed);
        return done;
    };
    let new_id = added.member.as_ref().map_or(0, |m| m.id);
    let initial_cluster = added
        .members
        .iter()
        .map(|m| {
            let n = if m.id == new_id { &name } else { &m.name };
            format!("{n}={}", m.peer_ur_ls.first().cloned().unwrap_or_default())
        })
        .collect::<Vec<_>>()
        .join(",");
    let newbie = Member::start(
        ServerKind::Ours,
        MemberOpts {
            name: name.clone(),
            token: c.members[0].opts.token.clone(),
            ports: Some(ports),
            initial_cluster: Some(initial_cluster),
            cluster_state: Some("existing".into()),
            extra_args: vec!["--snapshot-count=100".into()],
            env: vec![("RUST_BACKTRACE".into(), "0".into())],
            ..Default::default()
        },
    );
    c.members.push(newbie);
    done.push(Fault::LearnerAdded);

    // 2. Promote it, at times with a member set to crash while applying the change.
    #[cfg(feature = "failpoints")]
    let mut crashing = rng.random_bool(0.33).then(|| {
        let i = (0..c.members.len())
            .filter(|i| !removed.contains(i) && *i != idx)
            .nth(rng.random_range(0..2))
            .unwrap_or(0);
        let name = super::CONF_CHANGE_POINTS[rng.random_range(0..2)];
        let _ = crate::harness::http_request(
            c.members[i].client_addr(),
            "PUT",
            &format!("/debug/failpoints/{name}"),
            "panic",
        );
        (i, name)
    });
    #[cfg(not(feature = "failpoints"))]
    let _ = &rng;
    // Promote, restarting at once a member the failpoint crashed (its vote may be needed).
    let start = Instant::now();
    let mut promoted = false;
    let mut last = String::new();
    while start.elapsed() < STEP_BOUND {
        match rt.block_on(async {
            tokio::time::timeout(Duration::from_secs(5), cl.member_promote(new_id)).await
        }) {
            Ok(Ok(_)) => promoted = true,
            // A retry after an answer that got lost: it is a voter already.
            Ok(Err(e)) if e.to_string().ends_with("can only promote a learner member") => {
                promoted = true
            }
            Ok(Err(e)) => last = e.to_string(),
            Err(_) => last = "timed out".into(),
        }
        #[cfg(feature = "failpoints")]
        if let Some((i, name)) = crashing {
            let m = &mut c.members[i];
            if m.wait_exit(Duration::ZERO).is_some() {
                m.restart();
                done.push(Fault::FailpointCrash);
                crashing = None;
            } else if promoted {
                // Applied everywhere by now or soon: give it a moment, then turn it off.
                if m.wait_exit(Duration::from_secs(3)).is_none() {
                    let _ = crate::harness::http_request(
                        m.client_addr(),
                        "DELETE",
                        &format!("/debug/failpoints/{name}"),
                        "",
                    );
                }
                if m.wait_exit(Duration::from_millis(300)).is_some() {
                    m.restart();
                    done.push(Fault::FailpointCrash);
                }
                crashing = None;
            }
        }
        if promoted {
            break;
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    if !promoted {
        eprintln!("robustness: member promote not accepted within {STEP_BOUND:?}: {last}");
    }
    if !promoted {
        done.push(Fault::MemberChangeFailed);
        return done;
    }
    done.push(Fault::LearnerPromoted);

    // 3. Remove the leader through another member.
    let Some(lead) = super::network::leader(rt, c) else {
        done.push(Fault::MemberChangeFailed);
        return done;
    };
    let lead_cl = super::client(&c.members[lead].client_url());
    let Some(lead_id) = rt
        .block_on(async { tokio::time::timeout(Duration::from_secs(2), lead_cl.status()).await })
        .ok()
        .and_then(Result::ok)
        .and_then(|s| s.header.map(|h| h.member_id))
    else {
        done.push(Fault::MemberChangeFailed);
        return done;
    };
    let mut others = live(c, removed);
    others.retain(|u| *u != c.members[lead].client_url());
    let other_cl = super::client_of(others);
    // An answer lost to the leader's removal makes the retry hear "member not found": removed.
    let remove = || async {
        match other_cl.member_remove(lead_id).await {
            Err(e) if e.to_string().contains("member not found") => Ok(()),
            r => r.map(|_| ()),
        }
    };
    if retry(rt, "member remove", remove).is_none() {
        let why: Vec<String> = c.members[lead]
            .stderr()
            .lines()
            .filter(|l| l.contains("rejecting member remove"))
            .map(str::to_string)
            .collect();
        eprintln!(
            "robustness: the leader's refusals: {}",
            why.last().map_or("(none logged)", String::as_str)
        );
        done.push(Fault::MemberChangeFailed);
        return done;
    }
    removed.push(lead);
    // A removed member stops by itself; make sure it is gone either way.
    let m = &mut c.members[lead];
    if m.wait_exit(Duration::from_secs(10)).is_none() {
        m.kill9();
    }
    done.push(Fault::LeaderRemoved);
    done
}

/// Calls `f` until it succeeds or [`STEP_BOUND`] passes (each call bounded to 5 s).
fn retry<T, E: std::fmt::Display, F>(
    rt: &tokio::runtime::Runtime,
    what: &str,
    f: impl Fn() -> F,
) -> Option<T>
where
    F: std::future::Future<Output = Result<T, E>>,
{
    let start = Instant::now();
    let mut last = String::new();
    while start.elapsed() < STEP_BOUND {
        match rt.block_on(async { tokio::time::timeout(Duration::from_secs(5), f()).await }) {
            Ok(Ok(v)) => return Some(v),
            Ok(Err(e)) => last = e.to_string(),
            Err(_) => last = "timed out".into(),
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    eprintln!("robustness: {what} not accepted within {STEP_BOUND:?}: {last}");
    None
}
