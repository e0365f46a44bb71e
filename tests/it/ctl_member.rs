//! `member add|remove|update|promote`, `move-leader` and `endpoint … --cluster` of our ctl
//! against the official etcdctl 3.4, both talking to one real three-member etcd 3.4 cluster.
//!
//! What it proves:
//! - argument errors and server errors: same `Error:` line (Go's client warning logs dropped)
//!   and exit code, for every case etcdctl checks;
//! - `member add --learner` (simple: the `Member … added` line and the `ETCD_*` block; json;
//!   fields: the add happens then `fields not supported as output format`, exit 4),
//!   `member update`, `member remove`: same bytes once member IDs (random per add) are replaced
//!   by a placeholder; each change made by one CLI is undone by the other;
//! - `move-leader` in simple and json: same bytes (the leader moves back and forth);
//! - `endpoint hashkv|health|status --cluster` visit the member list's client URLs: same
//!   endpoints (hashkv: same bytes).
//!
//! Member changes against OUR server are tested in `reconfig`.
//!
//! Reproduce: `cargo test --test it ctl_member -- --nocapture`.

use std::process::Output;

use crate::differ::Outcome;
use crate::harness::{etcdctl, our_ctl, Cluster, ServerKind};

/// Makes an [`Outcome`] (stdout, stderr without Go's JSON warning logs, exit code)
/// independent of the new member's random ID and peer URL: the ID becomes `<NEW>` (hex,
/// space-padded hex and decimal), the `ETCD_INITIAL_CLUSTER` items and JSON member lists are
/// sorted (etcd lists members by ID), protobuf bytes to whether there were any.
fn canon(o: &Outcome, id: u64, peer: &str, format: &str) -> Outcome {
    if format == "protobuf" {
        // Varint lengths depend on the random ID: only "printed something" is comparable.
        return Outcome {
            stdout: if o.stdout.is_empty() { "" } else { "<bytes>" }.to_string(),
            ..o.clone()
        };
    }
    let scrub = |s: &str| {
        s.replace(peer, "<PEER>")
            .replace(&format!("{id:16x}"), "<NEW>")
            .replace(&format!("{id:x}"), "<NEW>")
            .replace(&id.to_string(), "1")
    }; // decimal (JSON): stays a number
    let out = scrub(&o.stdout)
        .lines()
        .map(|l| {
            if let Some(v) = l.strip_prefix("ETCD_INITIAL_CLUSTER=") {
                let mut items: Vec<&str> = v.trim_matches('"').split(',').collect();
                items.sort();
                format!("ETCD_INITIAL_CLUSTER=\"{}\"", items.join(","))
            } else if l.starts_with('{') {
                let mut v: serde_json::Value = serde_json::from_str(l).expect("json line");
                if let Some(ms) = v.get_mut("members").and_then(|m| m.as_array_mut()) {
                    ms.sort_by_key(|m| m.to_string());
                }
                v.to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    Outcome {
        stdout: out,
        stderr: o.stderr.iter().map(|l| scrub(l)).collect(),
        code: o.code,
    }
}

fn members(ep: &str) -> Vec<(u64, String, bool)> {
    let out = etcdctl(ep, &["member", "list", "-w", "json"], None);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("member list json");
    v["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|m| {
            (
                m["ID"].as_u64().unwrap_or(0),
                m["name"].as_str().unwrap_or("").to_string(),
                m["isLearner"].as_bool().unwrap_or(false),
            )
        })
        .collect()
}

fn learner(ep: &str) -> Option<u64> {
    members(ep).into_iter().find(|m| m.2).map(|m| m.0)
}

#[test]
fn member_and_move_leader_match_etcdctl() {
    crate::require_etcd!();
    let c = Cluster::start(ServerKind::Etcd, 3, "it-ctl-member");
    let ep = c.members[0].client_url();
    let both = |args: &[&str]| {
        (
            Outcome::of(&etcdctl(&ep, args, None)),
            Outcome::of(&our_ctl(&ep, args, None)),
        )
    };

    // Argument and server errors.
    for args in [
        &["member", "add"][..],
        &["member", "add", "x", "y", "http://a"],
        &["member", "add", "x"],
        &["member", "add", "x", "--peer-urls=foo"],
        &["member", "add", "x", "--peer-urls=http://h"],
        &["member", "add", "x", "--peer-urls=http://h:1/p"],
        &["member", "remove"],
        &["member", "remove", "zz"],
        &["member", "remove", "1234"],
        &["member", "update", "12"],
        &["member", "update", "1234", "--peer-urls=http://127.0.0.1:9"],
        &["member", "promote", "1", "2"],
        &["member", "promote", "xyz"],
        &["move-leader"],
        &["move-leader", "qq"],
    ] {
        let (theirs, ours) = both(args);
        assert_eq!(ours, theirs, "{args:?}");
    }
    let voter = format!("{:x}", members(&ep)[0].0);
    let (theirs, ours) = both(&["member", "promote", &voter]);
    assert_eq!(ours, theirs, "promote of a voter");

    // Each format: etcdctl adds a learner, ours updates and removes it; then ours adds, etcdctl
    // updates and removes. The outputs must match once the new (random) ID is a placeholder.
    let peer = format!("http://127.0.0.1:{}", crate::harness::free_port());
    // etcd refuses reconfiguration (`etcdserver: unhealthy cluster`) until every member has been
    // connected for a few seconds: probe with a learner add (bounded).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let probe = etcdctl(
            &ep,
            &[
                "member",
                "add",
                "probe",
                "--learner",
                &format!("--peer-urls={peer}"),
            ],
            None,
        );
        if probe.status.success() {
            let id = learner(&ep).expect("probe learner");
            assert!(
                etcdctl(&ep, &["member", "remove", &format!("{id:x}")], None)
                    .status
                    .success(),
                "remove probe"
            );
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "cluster never ready for reconfiguration: {:?}",
            Outcome::of(&probe)
        );
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    let peer2 = format!("http://127.0.0.1:{}", crate::harness::free_port());
    for format in ["simple", "json", "fields", "protobuf"] {
        let mut runs = Vec::new();
        for etcdctl_adds in [true, false] {
            // A fresh peer URL per add: etcd derives the ID from the URLs and the second, and a
            // removed ID can never come back (`etcdserver: member not found`).
            let peer = format!("http://127.0.0.1:{}", crate::harness::free_port());
            let add = [
                "member",
                "add",
                "newbie",
                "--learner",
                &format!("--peer-urls={peer}"),
                "-w",
                format,
            ];
            let (first, second): (&dyn Fn(&[&str]) -> Output, &dyn Fn(&[&str]) -> Output) =
                if etcdctl_adds {
                    (&|a| etcdctl(&ep, a, None), &|a| our_ctl(&ep, a, None))
                } else {
                    (&|a| our_ctl(&ep, a, None), &|a| etcdctl(&ep, a, None))
                };
            let added = first(&add);
            let id = learner(&ep).unwrap_or_else(|| {
                panic!(
                    "no learner after member add -w {format}: {:?}",
                    Outcome::of(&added)
                )
            });
            let hex = format!("{id:x}");
            let updated = second(&[
                "member",
                "update",
                &hex,
                &format!("--peer-urls={peer2}"),
                "-w",
                format,
            ]);
            let removed = second(&["member", "remove", &hex, "-w", format]);
            assert!(
                !members(&ep).iter().any(|m| m.0 == id),
                "{hex} still a member after remove -w {format}"
            );
            runs.push(
                [added, updated, removed].map(|o| canon(&Outcome::of(&o), id, &peer, format)),
            );
        }
        assert_eq!(
            runs[1], runs[0],
            "member add/update/remove -w {format}: ours-first vs etcdctl-first"
        );
    }

    // move-leader: from the current leader to another member and back, in simple and json.
    for format in ["simple", "json"] {
        for use_ours in [false, true] {
            let st = status(&c.endpoints());
            let leader = st
                .iter()
                .find(|s| s.0 == s.1)
                .map(|s| s.0)
                .expect("a leader");
            let target = st
                .iter()
                .find(|s| s.0 != leader)
                .map(|s| s.0)
                .expect("a follower");
            let args = ["move-leader", &format!("{target:x}"), "-w", format];
            let out = if use_ours {
                our_ctl(&c.endpoints(), &args, None)
            } else {
                etcdctl(&c.endpoints(), &args, None)
            };
            let Outcome {
                stdout: o,
                stderr: e,
                code,
            } = Outcome::of(&out);
            assert_eq!(
                code,
                Some(0),
                "move-leader ({}): {e:?}",
                if use_ours { "ours" } else { "etcdctl" }
            );
            if format == "simple" {
                assert_eq!(
                    o,
                    format!("Leadership transferred from {leader:x} to {target:x}\n")
                );
            } else {
                // etcd 3.4's MoveLeader answers an empty response (no header).
                assert_eq!(o, "{}\n", "move-leader -w json");
            }
        }
    }
    // Not a leader among the endpoints.
    let st = status(&c.endpoints());
    let follower = st.iter().position(|s| s.0 != s.1).expect("a follower");
    let f_ep = c.members[follower].client_url();
    let (theirs, ours) = (
        Outcome::of(&etcdctl(&f_ep, &["move-leader", "1"], None)),
        Outcome::of(&our_ctl(&f_ep, &["move-leader", "1"], None)),
    );
    assert_eq!(
        ours, theirs,
        "move-leader without the leader among the endpoints"
    );

    // endpoint … --cluster.
    let (theirs, ours) = both(&["endpoint", "hashkv", "--cluster"]);
    assert_eq!(ours, theirs, "endpoint hashkv --cluster");
    for sub in ["health", "status"] {
        let eps = |o: &Output| {
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            );
            let mut v: Vec<String> = text
                .lines()
                .filter(|l| !l.starts_with('{'))
                .filter_map(|l| l.split([',', ' ']).next().map(str::to_string))
                .collect();
            v.sort();
            v
        };
        let theirs = etcdctl(&ep, &["endpoint", sub, "--cluster"], None);
        let ours = our_ctl(&ep, &["endpoint", sub, "--cluster"], None);
        assert_eq!(
            (eps(&ours), ours.status.code()),
            (eps(&theirs), theirs.status.code()),
            "endpoint {sub} --cluster"
        );
        assert_eq!(
            eps(&ours).len(),
            3,
            "endpoint {sub} --cluster lists every member"
        );
    }
}

/// (member ID, leader ID) per endpoint.
fn status(eps: &str) -> Vec<(u64, u64)> {
    let out = etcdctl(eps, &["endpoint", "status", "-w", "json"], None);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("status json");
    v.as_array()
        .expect("list")
        .iter()
        .map(|s| {
            (
                s["Status"]["header"]["member_id"].as_u64().unwrap_or(0),
                s["Status"]["leader"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}
