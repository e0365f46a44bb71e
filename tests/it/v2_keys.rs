//! The v2 keys API (`--enable-v2`) against etcd 3.4.23 as the oracle, through `curl` as the
//! seeds use it.
//!
//! - `v2_keys_answer_as_etcd`: the same requests (the seeds' discovery-service `_config/size`
//!   PUT verbatim, sets, creates, updates, compare-and-swap/delete, directories, hidden nodes,
//!   in-order POST keys, TTL and refresh, every form error) to our member and to real etcd;
//!   status, `X-Etcd-Index` and JSON bodies compared after shifting indexes to the store index
//!   before the first request (etcd's own store starts at a few internal writes) and replacing
//!   `expiration`/`ttl` by markers.
//! - `v2_keys_are_not_served_without_enable_v2`: `404 page not found`, as etcd 3.4; served
//!   with `ETCD_ENABLE_V2=true`.
//! - `v2_wait_long_poll_returns_on_a_later_set`: `wait=true` answers with headers first and the
//!   set that comes later; `waitIndex` reads the history.
//! - `v2_ttl_key_expires_and_the_waiter_sees_expire`: a `ttl=1` key expires (within 8 s), and a
//!   watcher sees its `expire` event.
//! - `v2_writes_replicate_and_survive_restart`: 3 members; a write on one is read on all, a
//!   TTL key expires on all at the same index, and everything is there after all restart;
//!   `/v2/members` lists, adds and removes a member, `/v2/machines` lists client URLs.
//! - `v2_store_travels_in_raft_snapshots`: with `--snapshot-count 20` and 100 v2 writes, a
//!   member added later (through `POST /v2/members`) catches up from a Raft snapshot and
//!   serves the same v2 tree.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::{free_port, run_with_timeout, Cluster, Member, MemberOpts, ServerKind};

/// `curl` with a JSON body (`/v2/members`).
fn curl_json(method: &str, url: &str, json: &str) -> Answer {
    let mut cmd = std::process::Command::new("curl");
    cmd.args([
        "-sS",
        "-i",
        "--max-time",
        "10",
        "-X",
        method,
        "-H",
        "Content-Type: application/json",
        "-d",
        json,
        url,
    ]);
    parse_curl(
        method,
        url,
        run_with_timeout(cmd, None, Duration::from_secs(15)),
    )
}

/// One HTTP answer: status, `X-Etcd-Index` and body.
#[derive(Debug, Clone, PartialEq)]
struct Answer {
    status: u16,
    etcd_index: Option<u64>,
    body: String,
}

/// `curl -sS -i -X <method> <url> [-d <data>]...` (10 s at most).
fn curl(method: &str, url: &str, data: &[&str]) -> Answer {
    let mut cmd = std::process::Command::new("curl");
    cmd.args(["-sS", "-i", "--max-time", "10", "-X", method, url]);
    for d in data {
        cmd.args(["-d", d]);
    }
    parse_curl(
        method,
        url,
        run_with_timeout(cmd, None, Duration::from_secs(15)),
    )
}

fn parse_curl(method: &str, url: &str, out: std::process::Output) -> Answer {
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("curl {method} {url}: no header end in {text:?}"));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("curl {method} {url}: bad status in {head:?}"));
    let etcd_index = head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case("x-etcd-index")
            .then(|| v.trim().parse().ok())
            .flatten()
    });
    Answer {
        status,
        etcd_index,
        body: body.to_string(),
    }
}

fn v2_member(kind: ServerKind, name: &str) -> Member {
    Member::start(
        kind,
        MemberOpts {
            name: name.into(),
            extra_args: vec!["--enable-v2".into()],
            ..Default::default()
        },
    )
}

/// Shifts every index field (and the 20-digit in-order key names) down by `base`, and
/// replaces `expiration` and `ttl` by markers (after checking the TTL is sane).
fn normalize(v: &mut Value, base: u64) {
    match v {
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                match k.as_str() {
                    "modifiedIndex" | "createdIndex" | "index" => {
                        if let Some(n) = x.as_u64().filter(|n| *n > 0) {
                            *x = Value::from(n - base);
                        }
                    }
                    "expiration" => *x = Value::from("<expiration>"),
                    "ttl" => {
                        let t = x.as_i64().unwrap_or(-1);
                        assert!((1..=1000).contains(&t), "ttl {t}");
                        *x = Value::from("<ttl>");
                    }
                    "key" => {
                        if let Some(s) = x.as_str() {
                            *x = Value::from(shift_in_order_names(s, base));
                        }
                    }
                    _ => normalize(x, base),
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| normalize(x, base)),
        _ => {}
    }
}

fn shift_in_order_names(key: &str, base: u64) -> String {
    key.split('/')
        .map(|c| match c.parse::<u64>() {
            Ok(n) if c.len() == 20 => format!("{:020}", n - base),
            _ => c.to_string(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn normalized(a: &Answer, base: u64) -> (u16, Option<u64>, Value) {
    let body = match serde_json::from_str::<Value>(a.body.trim()) {
        Ok(mut v) => {
            normalize(&mut v, base);
            v
        }
        Err(_) => Value::from(a.body.clone()),
    };
    let index = a.etcd_index.map(|i| i.saturating_sub(base));
    (a.status, index, body)
}

/// The requests of the differential: (method, path and query, form data).
const STEPS: &[(&str, &str, &[&str])] = &[
    // The seeds' custom discovery service, verbatim shape.
    (
        "PUT",
        "/v2/keys/discovery/6c007a14875d53d9bf0ef5a6fc0257c817f0fb83/_config/size",
        &["value=3"],
    ),
    (
        "GET",
        "/v2/keys/discovery/6c007a14875d53d9bf0ef5a6fc0257c817f0fb83/_config/size",
        &[],
    ),
    (
        "GET",
        "/v2/keys/discovery/6c007a14875d53d9bf0ef5a6fc0257c817f0fb83",
        &[],
    ),
    (
        "PUT",
        "/v2/keys/discovery/6c007a14875d53d9bf0ef5a6fc0257c817f0fb83/8e9e05c52164694d?prevExist=false",
        &["value=infra0=http://10.0.1.10:2380"],
    ),
    (
        "PUT",
        "/v2/keys/discovery/6c007a14875d53d9bf0ef5a6fc0257c817f0fb83/8e9e05c52164694d?prevExist=false",
        &["value=again"],
    ),
    (
        "GET",
        "/v2/keys/discovery/6c007a14875d53d9bf0ef5a6fc0257c817f0fb83?recursive=true&sorted=true",
        &[],
    ),
    ("PUT", "/v2/keys/foo", &["value=bar"]),
    ("PUT", "/v2/keys/foo", &["value=baz"]),
    ("GET", "/v2/keys/foo", &[]),
    ("GET", "/v2/keys/foo?quorum=true", &[]),
    ("PUT", "/v2/keys/foo?prevExist=false", &["value=x"]),
    ("PUT", "/v2/keys/foo?prevExist=true", &["value=y"]),
    ("PUT", "/v2/keys/nothere?prevExist=true", &["value=y"]),
    ("PUT", "/v2/keys/foo?prevValue=nope", &["value=z"]),
    ("PUT", "/v2/keys/foo?prevValue=y", &["value=z"]),
    ("DELETE", "/v2/keys/foo?prevValue=q", &[]),
    ("DELETE", "/v2/keys/foo?prevValue=z", &[]),
    ("GET", "/v2/keys/foo", &[]),
    ("PUT", "/v2/keys/dir?dir=true", &[]),
    ("PUT", "/v2/keys/dir/a", &["value=1"]),
    ("PUT", "/v2/keys/dir/sub/b", &["value=2"]),
    ("PUT", "/v2/keys/dir/_hidden", &["value=h"]),
    ("GET", "/v2/keys/dir?sorted=true", &[]),
    ("GET", "/v2/keys/dir?recursive=true&sorted=true", &[]),
    ("GET", "/v2/keys/dir/_hidden", &[]),
    ("PUT", "/v2/keys/dir", &["value=x"]),
    ("PUT", "/v2/keys/dir?prevExist=true", &["value=x"]),
    ("DELETE", "/v2/keys/dir", &[]),
    ("DELETE", "/v2/keys/dir?dir=true", &[]),
    ("GET", "/v2/keys/dir/a/b", &[]),
    ("PUT", "/v2/keys/dir/a/b", &["value=1"]),
    ("GET", "/v2/keys/missing/deep/key", &[]),
    ("PUT", "/v2/keys/", &["value=1"]),
    ("DELETE", "/v2/keys/?recursive=true", &[]),
    ("POST", "/v2/keys/queue", &["value=job1"]),
    ("POST", "/v2/keys/queue", &["value=job2"]),
    ("GET", "/v2/keys/queue?sorted=true", &[]),
    ("PUT", "/v2/keys/foo?ttl=abc", &["value=1"]),
    ("PUT", "/v2/keys/foo?refresh=true&ttl=5", &["value=1"]),
    ("PUT", "/v2/keys/foo?refresh=true", &[]),
    ("PUT", "/v2/keys/foo?prevIndex=abc", &["value=1"]),
    ("GET", "/v2/keys/foo?recursive=maybe", &[]),
    ("PUT", "/v2/keys/foo?wait=true", &["value=1"]),
    ("PUT", "/v2/keys/foo?prevValue=", &["value=1"]),
    ("PUT", "/v2/keys/ttlkey?ttl=100", &["value=t"]),
    (
        "PUT",
        "/v2/keys/ttlkey?ttl=200&refresh=true&prevExist=true",
        &[],
    ),
    ("GET", "/v2/keys/ttlkey", &[]),
    ("PUT", "/v2/keys/ttlkey?prevExist=true", &["value=forever"]),
    ("GET", "/v2/keys/ttlkey", &[]),
    ("PUT", "/v2/keys/noval?noValueOnSuccess=true", &["value=v"]),
    ("DELETE", "/v2/keys/dir?recursive=true", &[]),
    ("GET", "/v2/keys/?recursive=true&sorted=true", &[]),
    ("PATCH", "/v2/keys/foo", &[]),
    // A watch answered from the history: the first write of this list (`_config/size`), seen
    // by a recursive watcher on the token's directory (hidden nodes are not filtered there).
    (
        "GET",
        "/v2/keys/discovery/6c007a14875d53d9bf0ef5a6fc0257c817f0fb83?wait=true&recursive=true&waitIndex=FIRST",
        &[],
    ),
];

/// The store index before the test's first request.
fn base_index(url: &str) -> u64 {
    curl("GET", &format!("{url}/v2/keys/"), &[])
        .etcd_index
        .expect("X-Etcd-Index on GET /v2/keys/")
}

#[test]
fn v2_keys_answer_as_etcd() {
    crate::require_etcd!();
    let ours = v2_member(ServerKind::Ours, "v2diff");
    let etcd = v2_member(ServerKind::Etcd, "v2diff");
    let (ou, eu) = (ours.client_url(), etcd.client_url());
    let (ob, eb) = (base_index(&ou), base_index(&eu));
    for (method, path, data) in STEPS {
        let first = |base: u64| path.replace("FIRST", &(base + 1).to_string());
        let o = curl(method, &format!("{ou}{}", first(ob)), data);
        let e = curl(method, &format!("{eu}{}", first(eb)), data);
        assert_eq!(
            normalized(&o, ob),
            normalized(&e, eb),
            "{method} {path} {data:?}\nours: {o:?}\netcd: {e:?}"
        );
    }
}

#[test]
fn v2_keys_are_not_served_without_enable_v2() {
    let ours = Member::start(ServerKind::Ours, MemberOpts::named("nov2"));
    let a = curl("GET", &format!("{}/v2/keys/foo", ours.client_url()), &[]);
    assert_eq!((a.status, a.body.trim()), (404, "404 page not found"));
    drop(ours);
    // ETCD_ENABLE_V2=true turns it on like the flag.
    let env = Member::start(
        ServerKind::Ours,
        MemberOpts {
            name: "envv2".into(),
            env: vec![("ETCD_ENABLE_V2".into(), "true".into())],
            ..Default::default()
        },
    );
    let a = curl(
        "PUT",
        &format!("{}/v2/keys/foo", env.client_url()),
        &["value=1"],
    );
    assert_eq!(a.status, 201, "{a:?}");
}

#[test]
fn v2_wait_long_poll_returns_on_a_later_set() {
    let m = v2_member(ServerKind::Ours, "v2wait");
    let url = m.client_url();
    let first = curl("PUT", &format!("{url}/v2/keys/w/k"), &["value=one"]);
    assert_eq!(first.status, 201, "{first:?}");
    let set_index = first.etcd_index.expect("index");
    let waiter = {
        let url = url.clone();
        std::thread::spawn(move || {
            let started = Instant::now();
            let a = curl(
                "GET",
                &format!("{url}/v2/keys/w?wait=true&recursive=true"),
                &[],
            );
            (a, started.elapsed())
        })
    };
    std::thread::sleep(Duration::from_millis(700));
    curl("PUT", &format!("{url}/v2/keys/w/k"), &["value=two"]);
    let (a, took) = waiter.join().expect("waiter");
    assert_eq!(a.status, 200, "{a:?}");
    assert!(
        took >= Duration::from_millis(500),
        "returned before the set: {took:?}"
    );
    let v: Value = serde_json::from_str(a.body.trim()).expect("json");
    assert_eq!(v["action"], "set");
    assert_eq!(v["node"]["value"], "two");
    assert_eq!(v["prevNode"]["value"], "one");
    assert_eq!(
        a.etcd_index,
        Some(set_index),
        "X-Etcd-Index is the watch's start"
    );
    // From the history: the first set, at once.
    let h = curl(
        "GET",
        &format!("{url}/v2/keys/w/k?wait=true&waitIndex={set_index}"),
        &[],
    );
    let v: Value = serde_json::from_str(h.body.trim()).expect("json");
    assert_eq!(v["node"]["value"], "one", "{h:?}");
    assert_eq!(v["node"]["modifiedIndex"], set_index);
}

#[test]
fn v2_ttl_key_expires_and_the_waiter_sees_expire() {
    let m = v2_member(ServerKind::Ours, "v2ttl");
    let url = m.client_url();
    let a = curl("PUT", &format!("{url}/v2/keys/lease?ttl=1"), &["value=x"]);
    assert_eq!(a.status, 201, "{a:?}");
    let idx = a.etcd_index.expect("index");
    let set_at = Instant::now();
    let waiter = {
        let url = url.clone();
        std::thread::spawn(move || {
            curl(
                "GET",
                &format!("{url}/v2/keys/lease?wait=true&waitIndex={}", idx + 1),
                &[],
            )
        })
    };
    loop {
        let g = curl("GET", &format!("{url}/v2/keys/lease"), &[]);
        if g.status == 404 {
            break;
        }
        assert!(
            // Only says "it expires": wide enough for a loaded machine (the leader's SYNC runs
            // every 500 ms).
            set_at.elapsed() < Duration::from_secs(8),
            "still there 8 s after a ttl=1 set: {g:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let w = waiter.join().expect("waiter");
    let v: Value = serde_json::from_str(w.body.trim()).expect("json");
    assert_eq!(v["action"], "expire", "{w:?}");
    assert_eq!(v["prevNode"]["value"], "x");
}

#[test]
fn v2_writes_replicate_and_survive_restart() {
    let mut c = Cluster::start_with(ServerKind::Ours, 3, "it-v2-repl", false, &|_| {
        vec!["--enable-v2".to_string()]
    });
    let urls: Vec<String> = c.members.iter().map(|m| m.client_url()).collect();
    let a = curl(
        "PUT",
        &format!("{}/v2/keys/discovery/tok/_config/size", urls[0]),
        &["value=3"],
    );
    assert_eq!(a.status, 201, "{a:?}");
    let b = curl("POST", &format!("{}/v2/keys/queue", urls[1]), &["value=q"]);
    assert_eq!(b.status, 201, "{b:?}");
    let t = curl(
        "PUT",
        &format!("{}/v2/keys/short?ttl=1", urls[2]),
        &["value=s"],
    );
    assert_eq!(t.status, 201, "{t:?}");
    // The TTL key expires on every member at the same index (the leader's SYNC).
    let deadline = Instant::now() + Duration::from_secs(5);
    let expired_at: Vec<u64> = urls
        .iter()
        .map(|u| loop {
            let g = curl("GET", &format!("{u}/v2/keys/short?quorum=true"), &[]);
            if g.status == 404 {
                break g.etcd_index.expect("index");
            }
            assert!(Instant::now() < deadline, "{u}: not expired: {g:?}");
            std::thread::sleep(Duration::from_millis(100));
        })
        .collect();
    assert!(
        expired_at.windows(2).all(|w| w[0] == w[1]),
        "{expired_at:?}"
    );
    let dump = |u: &str| {
        let g = curl(
            "GET",
            &format!("{u}/v2/keys/?recursive=true&sorted=true&quorum=true"),
            &[],
        );
        assert_eq!(g.status, 200, "{g:?}");
        (g.etcd_index, g.body)
    };
    let before: Vec<_> = urls.iter().map(|u| dump(u)).collect();
    // `_config` is hidden from listings; the in-order key is listed.
    assert!(before[0].1.contains("\"value\":\"q\""), "{:?}", before[0]);
    assert!(before.iter().all(|d| d == &before[0]), "{before:?}");
    c.kill_all_and_restart();
    let after: Vec<_> = urls.iter().map(|u| dump(u)).collect();
    assert_eq!(after, before);
    let s = curl(
        "GET",
        &format!("{}/v2/keys/discovery/tok/_config/size", urls[2]),
        &[],
    );
    let v: Value = serde_json::from_str(s.body.trim()).expect("json");
    assert_eq!(v["node"]["value"], "3", "{s:?}");
    check_members_api(&urls);
}

/// `/v2/members` add, list and remove on a running 3-member cluster; `/v2/machines`.
fn check_members_api(urls: &[String]) {
    let list = |u: &str| -> Vec<Value> {
        let a = curl("GET", &format!("{u}/v2/members"), &[]);
        assert_eq!(a.status, 200, "{a:?}");
        let v: Value = serde_json::from_str(a.body.trim()).expect("json");
        v["members"].as_array().cloned().unwrap_or_default()
    };
    let ms = list(&urls[0]);
    assert_eq!(ms.len(), 3, "{ms:?}");
    assert!(ms
        .iter()
        .any(|m| m["name"] == "m1" && m["clientURLs"][0] == urls[0].as_str()));
    let machines = curl("GET", &format!("{}/v2/machines", urls[1]), &[]);
    let mut got: Vec<&str> = machines.body.split(", ").collect();
    got.sort_unstable();
    let mut want: Vec<&str> = urls.iter().map(String::as_str).collect();
    want.sort_unstable();
    assert_eq!(got, want);
    let peer = format!("http://127.0.0.1:{}", free_port());
    // Right after a start, etcd's strict reconfiguration check refuses (500) until every
    // peer has been connected for a while.
    let deadline = Instant::now() + Duration::from_secs(15);
    let add = loop {
        let a = curl_json(
            "POST",
            &format!("{}/v2/members", urls[0]),
            &format!("{{\"peerURLs\":[\"{peer}\"]}}"),
        );
        if a.status != 500 || Instant::now() > deadline {
            break a;
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    assert_eq!(add.status, 201, "{add:?}");
    let m: Value = serde_json::from_str(add.body.trim()).expect("json");
    let id = m["id"].as_str().expect("id").to_string();
    assert_eq!(m["peerURLs"][0], peer.as_str());
    assert_eq!(list(&urls[1]).len(), 4);
    let del = curl("DELETE", &format!("{}/v2/members/{id}", urls[2]), &[]);
    assert_eq!(del.status, 204, "{del:?}");
    assert_eq!(list(&urls[0]).len(), 3);
    let again = curl("DELETE", &format!("{}/v2/members/{id}", urls[0]), &[]);
    assert_eq!(again.status, 404, "{again:?}");
    assert_eq!(
        again.body.trim(),
        format!("{{\"message\":\"No such member: {id}\"}}")
    );
}

#[test]
fn v2_store_travels_in_raft_snapshots() {
    let args = || {
        vec![
            "--enable-v2".to_string(),
            "--snapshot-count".into(),
            "20".into(),
        ]
    };
    let g1 = Member::start(
        ServerKind::Ours,
        MemberOpts {
            name: "g1".into(),
            token: "it-v2-snap".into(),
            extra_args: args(),
            ..Default::default()
        },
    );
    let u1 = g1.client_url();
    for i in 0..100 {
        let a = curl(
            "PUT",
            &format!("{u1}/v2/keys/snap/k{i:03}"),
            &[&format!("value=v{i}")],
        );
        assert_eq!(a.status, 201, "{a:?}");
    }
    curl(
        "PUT",
        &format!("{u1}/v2/keys/snap/k000?ttl=600"),
        &["value=ttl"],
    );
    let p2 = free_port();
    let peer2 = format!("http://127.0.0.1:{p2}");
    let add = curl_json(
        "POST",
        &format!("{u1}/v2/members"),
        &format!("{{\"peerURLs\":[\"{peer2}\"]}}"),
    );
    assert_eq!(add.status, 201, "{add:?}");
    let g2 = Member::start(
        ServerKind::Ours,
        MemberOpts {
            name: "g2".into(),
            token: "it-v2-snap".into(),
            ports: Some((free_port(), p2)),
            initial_cluster: Some(format!("g1={},g2={peer2}", g1.peer_url())),
            cluster_state: Some("existing".into()),
            extra_args: args(),
            ..Default::default()
        },
    );
    let u2 = g2.client_url();
    let dump = |u: &str| {
        let a = curl(
            "GET",
            &format!("{u}/v2/keys/snap?recursive=true&sorted=true"),
            &[],
        );
        let mut v: Value = serde_json::from_str(a.body.trim()).unwrap_or_default();
        normalize(&mut v, 0);
        (a.etcd_index, v)
    };
    let want = dump(&u1);
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let got = dump(&u2);
        if got == want {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "g2 never caught up:\n{got:?}\nwant {want:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // The TTL queue came along: the key still has its TTL on g2.
    let t = curl("GET", &format!("{u2}/v2/keys/snap/k000"), &[]);
    assert!(t.body.contains("\"ttl\":"), "{t:?}");
}
