//! etcd 3.4's grpc-gateway JSON API (`/v3/*`), differentially: the same curl requests
//! against the official etcd 3.4.23 and ours, HTTP status and JSON bodies compared after
//! masking what differs between two clusters (cluster/member IDs, raft term, auth tokens,
//! the remaining TTL). Covers the etcd 3.4 documentation's curl examples
//! (`Documentation/dev-guide/api_grpc_gateway.md`), KV, txn, lease, lock, auth with the
//! `Authorization` header and its error bodies, the watch stream, unknown paths (404 over
//! HTTP, `UNIMPLEMENTED` over gRPC), and our `/livez` and `/readyz` (etcd 3.5's probes; 3.4 has
//! none). Reproduce by hand: start a member and run
//! `curl -L http://127.0.0.1:<port>/v3/kv/put -X POST -d '{"key": "Zm9v", "value": "YmFy"}'`.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::harness::{
    run_with_timeout, skip_unless, Member, MemberOpts, Proc, ServerKind, CLI_TIMEOUT,
};

const CURL: &str = "/usr/bin/curl";

/// True when curl is installed (else skip, or fail with `ETCD_INTEROP_REQUIRED=1`).
fn curl_or_skip(test: &str) -> bool {
    skip_unless(
        test,
        Path::new(CURL).is_file(),
        "curl is missing (apt-get install curl)",
    )
}

/// `curl -X <method> [-H h]... [-d body] <base><path>`: (HTTP status, body). Killed after
/// [`CLI_TIMEOUT`].
fn curl(
    base: &str,
    method: &str,
    path: &str,
    body: Option<&str>,
    headers: &[&str],
) -> (u16, String) {
    curl_with(base, method, path, body, headers, &[])
}

/// [`curl`] with extra curl arguments (e.g. TLS files).
fn curl_with(
    base: &str,
    method: &str,
    path: &str,
    body: Option<&str>,
    headers: &[&str],
    extra: &[String],
) -> (u16, String) {
    let mut cmd = Command::new(CURL);
    cmd.args(["-sS", "-m", "15", "-X", method, "-w", "\n%{http_code}"]);
    cmd.args(extra);
    for h in headers {
        cmd.args(["-H", h]);
    }
    if let Some(b) = body {
        cmd.args(["-d", b]);
    }
    cmd.arg(format!("{base}{path}"));
    let out = run_with_timeout(cmd, None, CLI_TIMEOUT);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", &text));
    (
        code.trim().parse().unwrap_or_else(|_| {
            panic!(
                "curl {path}: no status in {text:?}; stderr {}",
                String::from_utf8_lossy(&out.stderr)
            )
        }),
        body.to_string(),
    )
}

/// `body` as JSON with the keys in `mask` (anywhere in the tree) replaced by `"<key>"` and
/// `members` lists sorted; a body that is not JSON is kept as text.
fn normalize(body: &str, mask: &[&str]) -> Value {
    fn walk(v: &mut Value, mask: &[&str]) {
        match v {
            Value::Object(map) => {
                for (k, val) in map.iter_mut() {
                    if mask.contains(&k.as_str()) {
                        *val = Value::String(format!("<{k}>"));
                    } else {
                        walk(val, mask);
                    }
                    // Members come in ID order, and IDs differ between the sides.
                    if let (true, Value::Array(items)) = (k == "members", val) {
                        items.sort_by_key(|i| i.to_string());
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|i| walk(i, mask)),
            _ => {}
        }
    }
    match serde_json::from_str::<Value>(body) {
        Ok(mut v) => {
            walk(&mut v, mask);
            v
        }
        Err(_) => Value::String(body.to_string()),
    }
}

/// Keys that differ between any two clusters.
const ALWAYS: &[&str] = &["cluster_id", "member_id", "raft_term"];

/// One request of the script and what came back (status, normalized body); `step` (with
/// side-specific IDs in it) only names it in reports.
#[derive(Debug, PartialEq)]
struct Outcome {
    step: String,
    status: u16,
    body: Value,
}

/// Runs the request script against one member and returns every outcome.
fn script(base: &str) -> Vec<Outcome> {
    let mut out = Vec::new();
    let mut step = |label: &str,
                    method: &str,
                    path: &str,
                    body: Option<&str>,
                    headers: &[&str],
                    mask: &[&str]| {
        let (status, text) = curl(base, method, path, body, headers);
        let mask: Vec<&str> = ALWAYS.iter().chain(mask).copied().collect();
        out.push(Outcome {
            step: format!("{label}: {method} {path} {}", body.unwrap_or("")),
            status,
            body: normalize(&text, &mask),
        });
        text
    };
    let post = "POST";
    // The etcd 3.4 documentation's examples (api_grpc_gateway.md), verbatim bodies.
    step(
        "doc put",
        post,
        "/v3/kv/put",
        Some(r#"{"key": "Zm9v", "value": "YmFy"}"#),
        &[],
        &[],
    );
    step(
        "doc range",
        post,
        "/v3/kv/range",
        Some(r#"{"key": "Zm9v"}"#),
        &[],
        &[],
    );
    step(
        "doc range_end",
        post,
        "/v3/kv/range",
        Some(r#"{"key": "Zm9v", "range_end": "Zm9w"}"#),
        &[],
        &[],
    );
    step(
        "doc txn create",
        post,
        "/v3/kv/txn",
        Some(
            r#"{"compare":[{"target":"CREATE","key":"Zm9v","createRevision":"2"}],"success":[{"requestPut":{"key":"Zm9v","value":"YmFy"}}]}"#,
        ),
        &[],
        &[],
    );
    step(
        "doc txn version",
        post,
        "/v3/kv/txn",
        Some(
            r#"{"compare":[{"version":"4","result":"EQUAL","target":"VERSION","key":"Zm9v"}],"success":[{"requestRange":{"key":"Zm9v"}}]}"#,
        ),
        &[],
        &[],
    );
    // KV: prefix + count_only (a put through the /v3beta alias), txn both ways, delete with
    // prev_kv, compaction, errors.
    step(
        "put p/a",
        post,
        "/v3/kv/put",
        Some(r#"{"key": "cC9h", "value": "MQ==", "prev_kv": true}"#),
        &[],
        &[],
    );
    step(
        "beta put p/b",
        post,
        "/v3beta/kv/put",
        Some(r#"{"key": "cC9i", "value": "Mg=="}"#),
        &[],
        &[],
    );
    step(
        "put p/a again",
        post,
        "/v3/kv/put",
        Some(r#"{"key": "cC9h", "value": "Mw==", "prev_kv": true}"#),
        &[],
        &[],
    );
    step(
        "prefix",
        post,
        "/v3/kv/range",
        Some(r#"{"key": "cC8=", "range_end": "cDA="}"#),
        &[],
        &[],
    );
    step(
        "prefix count_only",
        post,
        "/v3/kv/range",
        Some(r#"{"key": "cC8=", "range_end": "cDA=", "count_only": true}"#),
        &[],
        &[],
    );
    step(
        "txn success",
        post,
        "/v3/kv/txn",
        Some(
            r#"{"compare":[{"key":"cC9h","result":"EQUAL","target":"VALUE","value":"Mw=="}],"success":[{"request_put":{"key":"cC9h","value":"NA=="}},{"request_range":{"key":"cC9h"}}],"failure":[{"request_range":{"key":"cC9i"}}]}"#,
        ),
        &[],
        &[],
    );
    step(
        "txn failure",
        post,
        "/v3/kv/txn",
        Some(
            r#"{"compare":[{"key":"cC9h","result":"GREATER","target":"MOD","mod_revision":"100"}],"success":[{"request_put":{"key":"cC9h","value":"NQ=="}}],"failure":[{"request_range":{"key":"cC9i"}},{"request_delete_range":{"key":"eA=="}}]}"#,
        ),
        &[],
        &[],
    );
    step(
        "deleterange prev_kv",
        post,
        "/v3/kv/deleterange",
        Some(r#"{"key": "cC8=", "range_end": "cDA=", "prev_kv": true}"#),
        &[],
        &[],
    );
    step(
        "compaction",
        post,
        "/v3/kv/compaction",
        Some(r#"{"revision": "3"}"#),
        &[],
        &[],
    );
    step(
        "range compacted",
        post,
        "/v3/kv/range",
        Some(r#"{"key": "Zm9v", "revision": "2"}"#),
        &[],
        &[],
    );
    step("range no key", post, "/v3/kv/range", Some("{}"), &[], &[]);
    step(
        "range future",
        post,
        "/v3/kv/range",
        Some(r#"{"key": "Zm9v", "revision": "1000"}"#),
        &[],
        &[],
    );
    step("empty body", post, "/v3/kv/put", None, &[], &[]);
    step(
        "unknown field ignored",
        post,
        "/v3/kv/range",
        Some(r#"{"key": "Zm9v", "no_such_field": 1}"#),
        &[],
        &[],
    );
    // Decoding as jsonpb: null is the empty message, base64 must be padded standard
    // base64, enum names must exist (Go's message texts differ there: masked).
    step("null body", post, "/v3/kv/range", Some("null"), &[], &[]);
    step(
        "unpadded base64",
        post,
        "/v3/kv/range",
        Some(r#"{"key": "YQ"}"#),
        &[],
        &[],
    );
    step(
        "bad base64",
        post,
        "/v3/kv/range",
        Some(r#"{"key": "!!"}"#),
        &[],
        &[],
    );
    step(
        "unknown enum name",
        post,
        "/v3/kv/range",
        Some(r#"{"key": "YQ==", "sort_order": "BOGUS"}"#),
        &[],
        &["error", "message"],
    );
    step(
        "enum by number and name",
        post,
        "/v3/kv/range",
        Some(r#"{"key": "YQ==", "sort_order": 1, "sort_target": "MOD"}"#),
        &[],
        &[],
    );
    // Lease: a fixed ID so both sides name the same lease.
    step(
        "lease grant",
        post,
        "/v3/lease/grant",
        Some(r#"{"TTL": 60, "ID": 4660}"#),
        &[],
        &[],
    );
    step(
        "lease grant dup",
        post,
        "/v3/lease/grant",
        Some(r#"{"TTL": 60, "ID": 4660}"#),
        &[],
        &[],
    );
    step(
        "put with lease",
        post,
        "/v3/kv/put",
        Some(r#"{"key": "bA==", "value": "dg==", "lease": "4660"}"#),
        &[],
        &[],
    );
    step(
        "timetolive keys",
        post,
        "/v3/lease/timetolive",
        Some(r#"{"ID": 4660, "keys": true}"#),
        &[],
        &["TTL"],
    );
    step(
        "kv/lease/timetolive",
        post,
        "/v3/kv/lease/timetolive",
        Some(r#"{"ID": 4660}"#),
        &[],
        &["TTL"],
    );
    step("leases", post, "/v3/lease/leases", Some("{}"), &[], &[]);
    step(
        "keepalive",
        post,
        "/v3/lease/keepalive",
        Some(r#"{"ID": 4660}"#),
        &[],
        &[],
    );
    // Lock on a second lease: the key is "<name>/<lease hex>", the same on both sides.
    step(
        "lock lease",
        post,
        "/v3/lease/grant",
        Some(r#"{"TTL": 60, "ID": 4661}"#),
        &[],
        &[],
    );
    let locked = step(
        "lock",
        post,
        "/v3/lock/lock",
        Some(r#"{"name": "bXlsb2Nr", "lease": 4661}"#),
        &[],
        &[],
    );
    let key = serde_json::from_str::<Value>(&locked)
        .ok()
        .and_then(|v| v["key"].as_str().map(str::to_string))
        .unwrap_or_default();
    step(
        "unlock",
        post,
        "/v3/lock/unlock",
        Some(&format!(r#"{{"key": "{key}"}}"#)),
        &[],
        &[],
    );
    // Election on the lock's lease: campaign, leader, proclaim, resign.
    let campaign = step(
        "campaign",
        post,
        "/v3/election/campaign",
        Some(r#"{"name": "ZWxlY3Rpb24=", "lease": 4661, "value": "djE="}"#),
        &[],
        &[],
    );
    let leader = serde_json::from_str::<Value>(&campaign)
        .map(|v| v["leader"].to_string())
        .unwrap_or_default();
    step(
        "leader",
        post,
        "/v3/election/leader",
        Some(r#"{"name": "ZWxlY3Rpb24="}"#),
        &[],
        &[],
    );
    step(
        "proclaim",
        post,
        "/v3/election/proclaim",
        Some(&format!(r#"{{"leader": {leader}, "value": "djI="}}"#)),
        &[],
        &[],
    );
    step(
        "leader after proclaim",
        post,
        "/v3/election/leader",
        Some(r#"{"name": "ZWxlY3Rpb24="}"#),
        &[],
        &[],
    );
    step(
        "resign",
        post,
        "/v3/election/resign",
        Some(&format!(r#"{{"leader": {leader}}}"#)),
        &[],
        &[],
    );
    step(
        "no leader",
        post,
        "/v3/election/leader",
        Some(r#"{"name": "ZWxlY3Rpb24="}"#),
        &[],
        &[],
    );
    step(
        "lease revoke",
        post,
        "/v3/lease/revoke",
        Some(r#"{"ID": 4660}"#),
        &[],
        &[],
    );
    step(
        "kv/lease/revoke",
        post,
        "/v3/kv/lease/revoke",
        Some(r#"{"ID": 4661}"#),
        &[],
        &[],
    );
    step(
        "revoke again",
        post,
        "/v3/lease/revoke",
        Some(r#"{"ID": 4660}"#),
        &[],
        &[],
    );
    step(
        "timetolive revoked",
        post,
        "/v3/lease/timetolive",
        Some(r#"{"ID": 4660}"#),
        &[],
        &[],
    );
    step(
        "lease key gone",
        post,
        "/v3/kv/range",
        Some(r#"{"key": "bA=="}"#),
        &[],
        &[],
    );
    // A stream whose first request does not decode fails before the call (Unknown, 500).
    step(
        "keepalive bad json",
        post,
        "/v3/lease/keepalive",
        Some("xx"),
        &[],
        &["error", "message"],
    );
    // Paths and methods.
    step(
        "unknown /v3 path",
        post,
        "/v3/kv/nope",
        Some("{}"),
        &[],
        &[],
    );
    step("unknown path", "GET", "/no/such/path", None, &[], &[]);
    step("GET on a POST path", "GET", "/v3/kv/range", None, &[], &[]);
    step(
        "maintenance hash is Hash",
        post,
        "/v3/maintenance/hash",
        Some("{}"),
        &[],
        &["hash"],
    );
    step(
        "alarm list",
        post,
        "/v3/maintenance/alarm",
        Some(r#"{"action": "GET"}"#),
        &[],
        &[],
    );
    // Cluster: a learner that never starts (a one-member cluster keeps its quorum), added,
    // updated, refused promotion, removed. IDs, names and URLs differ between the sides.
    let member_mask: &[&str] = &["ID", "name", "peerURLs", "clientURLs"];
    let added = step(
        "member add learner",
        post,
        "/v3/cluster/member/add",
        Some(r#"{"peerURLs": ["http://127.0.0.1:9"], "isLearner": true}"#),
        &[],
        member_mask,
    );
    let learner = serde_json::from_str::<Value>(&added)
        .ok()
        .and_then(|v| v["member"]["ID"].as_str().map(str::to_string))
        .unwrap_or_default();
    step(
        "member list",
        post,
        "/v3/cluster/member/list",
        Some("{}"),
        &[],
        member_mask,
    );
    step(
        "member update",
        post,
        "/v3/cluster/member/update",
        Some(&format!(
            r#"{{"ID": "{learner}", "peerURLs": ["http://127.0.0.1:10"]}}"#
        )),
        &[],
        // etcd 3.4.23's MemberUpdate answer lists the updated learner without `isLearner`
        // (it is still a learner: the promotion below is refused as unsynced, not as a
        // voter); a server-side difference, not the gateway's.
        &["members"],
    );
    step(
        "member promote unsynced learner",
        post,
        "/v3/cluster/member/promote",
        Some(&format!(r#"{{"ID": "{learner}"}}"#)),
        &[],
        member_mask,
    );
    step(
        "member remove",
        post,
        "/v3/cluster/member/remove",
        Some(&format!(r#"{{"ID": "{learner}"}}"#)),
        &[],
        member_mask,
    );
    step(
        "member remove unknown",
        post,
        "/v3/cluster/member/remove",
        Some(r#"{"ID": "1"}"#),
        &[],
        member_mask,
    );
    // Auth (the documentation's sequence), then a call with and without the token.
    step(
        "doc user add",
        post,
        "/v3/auth/user/add",
        Some(r#"{"name": "root", "password": "pass"}"#),
        &[],
        &[],
    );
    step(
        "auth enable without root role",
        post,
        "/v3/auth/enable",
        Some("{}"),
        &[],
        &[],
    );
    step(
        "doc role add",
        post,
        "/v3/auth/role/add",
        Some(r#"{"name": "root"}"#),
        &[],
        &[],
    );
    step(
        "doc user grant",
        post,
        "/v3/auth/user/grant",
        Some(r#"{"user": "root", "role": "root"}"#),
        &[],
        &[],
    );
    step(
        "doc auth enable",
        post,
        "/v3/auth/enable",
        Some("{}"),
        &[],
        &[],
    );
    step(
        "authenticate bad password",
        post,
        "/v3/auth/authenticate",
        Some(r#"{"name": "root", "password": "nope"}"#),
        &[],
        &[],
    );
    let auth = step(
        "doc authenticate",
        post,
        "/v3/auth/authenticate",
        Some(r#"{"name": "root", "password": "pass"}"#),
        &[],
        &["token"],
    );
    let token = serde_json::from_str::<Value>(&auth)
        .ok()
        .and_then(|v| v["token"].as_str().map(str::to_string))
        .unwrap_or_default();
    let with_token = format!("Authorization: {token}");
    step(
        "doc put with token",
        post,
        "/v3/kv/put",
        Some(r#"{"key": "Zm9v", "value": "YmFy"}"#),
        &[&with_token],
        &[],
    );
    step(
        "range with token",
        post,
        "/v3/kv/range",
        Some(r#"{"key": "Zm9v"}"#),
        &[&with_token],
        &[],
    );
    step(
        "user list with token",
        post,
        "/v3/auth/user/list",
        Some("{}"),
        &[&with_token],
        &[],
    );
    step(
        "range without token",
        post,
        "/v3/kv/range",
        Some(r#"{"key": "Zm9v"}"#),
        &[],
        &[],
    );
    step(
        "put bad token",
        post,
        "/v3/kv/put",
        Some(r#"{"key": "Zm9v", "value": "YmFy"}"#),
        &["Authorization: bogus"],
        &[],
    );
    step(
        "snapshot stream without token",
        post,
        "/v3/maintenance/snapshot",
        Some("{}"),
        &[],
        &[],
    );
    step(
        "user get without token",
        post,
        "/v3/auth/user/get",
        Some(r#"{"name": "root"}"#),
        &[],
        &[],
    );
    step(
        "auth disable",
        post,
        "/v3/auth/disable",
        Some("{}"),
        &[&with_token],
        &[],
    );
    step(
        "range after disable",
        post,
        "/v3/kv/range",
        Some(r#"{"key": "Zm9v"}"#),
        &[],
        &[],
    );
    out
}

/// Runs [`script`] on both servers and fails with every differing step.
#[test]
fn json_gateway_answers_as_etcd() {
    crate::require_etcd!();
    if !curl_or_skip("json_gateway_answers_as_etcd") {
        return;
    }
    let etcd = Member::start(ServerKind::Etcd, MemberOpts::named("gw-etcd"));
    let want = script(&etcd.client_url());
    drop(etcd);
    let ours = Member::start(ServerKind::Ours, MemberOpts::named("gw-ours"));
    let got = script(&ours.client_url());
    assert_eq!(want.len(), got.len());
    let diffs: Vec<String> = want
        .iter()
        .zip(&got)
        .filter(|(w, g)| (w.status, &w.body) != (g.status, &g.body))
        .map(|(w, g)| {
            format!(
                "{}\n  etcd: {} {}\n  ours: {} {}",
                w.step, w.status, w.body, g.status, g.body
            )
        })
        .collect();
    // The script really exercised the happy paths (not two identical failures).
    for must in [
        "doc put",
        "txn success",
        "lease grant",
        "lock",
        "unlock",
        "campaign",
        "proclaim",
        "resign",
        "member add learner",
        "member remove",
        "doc auth enable",
        "doc authenticate",
        "range with token",
        "auth disable",
    ] {
        let o = want
            .iter()
            .find(|o| o.step.starts_with(&format!("{must}:")))
            .unwrap_or_else(|| panic!("no step {must}"));
        assert_eq!(
            o.status, 200,
            "etcd answered {} {} to {}",
            o.status, o.body, o.step
        );
    }
    assert!(
        diffs.is_empty(),
        "{} of {} steps differ:\n{}",
        diffs.len(),
        want.len(),
        diffs.join("\n")
    );
}

/// `curl -N` on `/v3/watch` (the documentation's watch example): the created line, then the
/// event of a put, as `{"result":{...}}` lines, the same on both servers.
#[test]
fn watch_stream_lines_match_etcd() {
    crate::require_etcd!();
    if !curl_or_skip("watch_stream_lines_match_etcd") {
        return;
    }
    let run = |kind: ServerKind| -> Vec<Value> {
        let m = Member::start(kind, MemberOpts::named("gw-watch"));
        let base = m.client_url();
        curl(
            &base,
            "POST",
            "/v3/kv/put",
            Some(r#"{"key": "Zm9v", "value": "YmFy"}"#),
            &[],
        );
        let mut cmd = Command::new(CURL);
        cmd.args(["-sS", "-N", "-m", "30", "-X", "POST", "-d"])
            .arg(r#"{"create_request": {"key":"Zm9v", "prev_kv": true} }"#)
            .arg(format!("{base}/v3/watch"));
        let watch = Proc::spawn(cmd, false);
        let created = watch
            .next_line(Duration::from_secs(10))
            .unwrap_or_else(|| panic!("{}: no created line; {}", kind.label(), watch.output()));
        curl(
            &base,
            "POST",
            "/v3/kv/put",
            Some(r#"{"key": "Zm9v", "value": "YmF6"}"#),
            &[],
        );
        curl(
            &base,
            "POST",
            "/v3/kv/deleterange",
            Some(r#"{"key": "Zm9v"}"#),
            &[],
        );
        let put = watch
            .next_line(Duration::from_secs(10))
            .unwrap_or_else(|| panic!("{}: no put event; {}", kind.label(), watch.output()));
        let del = watch
            .next_line(Duration::from_secs(10))
            .unwrap_or_else(|| panic!("{}: no delete event; {}", kind.label(), watch.output()));
        // The stream stays open after the request body ended (etcd ignores the half-close).
        assert!(watch.next_line(Duration::from_millis(300)).is_none());
        drop(watch);
        [created, put, del]
            .iter()
            .map(|l| normalize(l, ALWAYS))
            .collect()
    };
    let want = run(ServerKind::Etcd);
    let got = run(ServerKind::Ours);
    assert_eq!(got, want, "watch lines differ (left ours, right etcd)");
}

/// gRPC requests to an unknown service still get `UNIMPLEMENTED` (grpc-status 12), while the
/// same path over plain HTTP is a 404.
#[test]
fn unknown_grpc_service_is_unimplemented_and_unknown_http_path_is_404() {
    if !curl_or_skip("unknown_grpc_service_is_unimplemented") {
        return;
    }
    let m = Member::start(ServerKind::Ours, MemberOpts::named("gw-404"));
    let mut cmd = Command::new(CURL);
    cmd.args([
        "-sS",
        "-i",
        "-m",
        "10",
        "--http2-prior-knowledge",
        "-X",
        "POST",
    ])
    .args(["-H", "content-type: application/grpc", "-H", "te: trailers"])
    .arg(format!("{}/no.Such/Method", m.client_url()));
    let out = run_with_timeout(cmd, None, CLI_TIMEOUT);
    let text = String::from_utf8_lossy(&out.stdout).to_lowercase();
    assert!(text.contains("grpc-status: 12"), "{text}");
    let (code, body) = curl(&m.client_url(), "POST", "/no.Such/Method", Some("{}"), &[]);
    assert_eq!((code, body.as_str()), (404, "404 page not found\n"));
}

/// `/livez` and `/readyz` (etcd 3.5): 200 `ok` on a serving member with a leader; `?verbose`
/// lists the checks; `?exclude=` drops one; a check's own sub-path; only GET.
#[test]
fn livez_and_readyz_report_ok_on_a_serving_member() {
    let m = Member::start(ServerKind::Ours, MemberOpts::named("gw-probes"));
    let addr = m.client_addr();
    let get =
        |p: &str| crate::harness::http_get(addr, p).unwrap_or_else(|e| panic!("GET {p}: {e}"));
    assert_eq!(get("/livez"), (200, "ok\n".to_string()));
    assert_eq!(get("/readyz"), (200, "ok\n".to_string()));
    assert_eq!(
        get("/readyz?verbose"),
        (
            200,
            "[+]data_corruption ok\n[+]serializable_read ok\n[+]linearizable_read ok\nok\n"
                .to_string()
        )
    );
    assert_eq!(
        get("/readyz?verbose&exclude=linearizable_read"),
        (
            200,
            "[+]data_corruption ok\n[+]serializable_read ok\nok\n".to_string()
        )
    );
    assert_eq!(
        get("/livez?verbose"),
        (200, "[+]serializable_read ok\nok\n".to_string())
    );
    assert_eq!(get("/readyz/linearizable_read"), (200, "ok\n".to_string()));
    assert_eq!(get("/readyz/nope").0, 404);
    if curl_or_skip("livez_post") {
        let (code, body) = curl(&m.client_url(), "POST", "/livez", None, &[]);
        assert_eq!((code, body.as_str()), (405, "Method Not Allowed\n"));
    }
}

/// A member that lost its quorum (the other member of a 2-member cluster is killed) is live
/// but not ready: `/livez` 200, `/readyz` 503 with `[-]linearizable_read failed: ...` (etcd 3.5's
/// failure body: one line per check, then Go's `http.Error` newline).
#[test]
fn readyz_is_503_without_quorum_while_livez_stays_200() {
    if !curl_or_skip("readyz_is_503_without_quorum") {
        return;
    }
    let mut cluster = crate::harness::Cluster::start(ServerKind::Ours, 2, "gw-readyz");
    cluster.members[1].kill9();
    let base = cluster.members[0].client_url();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let (code, body) = loop {
        let (code, body) = curl(&base, "GET", "/readyz", None, &[]);
        if code == 503 || std::time::Instant::now() >= deadline {
            break (code, body);
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    assert_eq!(code, 503, "readyz without quorum: {body}");
    assert!(
        body.starts_with(
            "[+]data_corruption ok\n[+]serializable_read ok\n[-]linearizable_read failed: "
        ),
        "{body:?}"
    );
    assert!(body.ends_with("\n\n"), "{body:?}");
    let (code, body) = curl(&base, "GET", "/livez", None, &[]);
    assert_eq!((code, body.as_str()), (200, "ok\n"));
    let (code, _) = curl(&base, "GET", "/readyz?exclude=linearizable_read", None, &[]);
    assert_eq!(code, 200);
}

/// etcd's default CORS (every origin): the three `Access-Control-Allow-*` headers on HTTP
/// answers (the gateway, `/health`) and an empty 200 for an `OPTIONS` preflight, as etcd.
#[test]
fn cors_headers_as_etcd_default() {
    crate::require_etcd!();
    if !curl_or_skip("cors_headers_as_etcd_default") {
        return;
    }
    let run = |kind: ServerKind| -> Vec<String> {
        let m = Member::start(kind, MemberOpts::named("gw-cors"));
        let mut seen = Vec::new();
        for (method, path) in [
            ("OPTIONS", "/v3/kv/put"),
            ("POST", "/v3/kv/range"),
            ("GET", "/health"),
        ] {
            let mut cmd = Command::new(CURL);
            cmd.args([
                "-sS",
                "-i",
                "-m",
                "10",
                "-X",
                method,
                "-d",
                r#"{"key":"YQ=="}"#,
            ])
            .arg(format!("{}{path}", m.client_url()));
            let out = run_with_timeout(cmd, None, CLI_TIMEOUT);
            let text = String::from_utf8_lossy(&out.stdout).to_lowercase();
            let status = text
                .lines()
                .next()
                .unwrap_or("")
                .split_whitespace()
                .nth(1)
                .unwrap_or("")
                .to_string();
            let mut cors: Vec<String> = text
                .lines()
                .filter(|l| l.starts_with("access-control-"))
                .map(|l| l.trim().to_string())
                .collect();
            cors.sort();
            seen.push(format!("{method} {path}: {status} {cors:?}"));
        }
        seen
    };
    assert_eq!(
        run(ServerKind::Ours),
        run(ServerKind::Etcd),
        "left ours, right etcd"
    );
}

/// With `--client-cert-auth` and auth enabled, a gateway request whose client certificate
/// has a CN is refused with 400 (the gateway would not act as that user); one without a CN
/// goes through and needs a token, as in etcd.
#[test]
fn gateway_refuses_client_cert_cn_once_auth_is_enabled_as_etcd() {
    crate::require_etcd!();
    if !curl_or_skip("gateway_refuses_client_cert_cn") {
        return;
    }
    let run = |kind: ServerKind| -> Vec<(u16, String)> {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        crate::harness::client_cert_dir(d, "gw-tls", &[("nocn", None)]);
        let m = Member::start(
            kind,
            MemberOpts {
                name: "gw-tls".into(),
                https: true,
                extra_args: crate::harness::client_cert_auth_flags(d),
                ..Default::default()
            },
        );
        let tls = |cert: &str| -> Vec<String> {
            let p = |f: &str| crate::harness::cert_path(d, f);
            vec![
                "--cacert".into(),
                p("ca.pem"),
                "--cert".into(),
                p(&format!("{cert}.pem")),
                "--key".into(),
                p(&format!("{cert}-key.pem")),
            ]
        };
        let (root, nocn) = (tls("client"), tls("nocn"));
        let base = m.client_url();
        let mut out = Vec::new();
        let mut call = |path: &str, body: &str, headers: &[&str], certs: &[String]| {
            let (code, text) = curl_with(&base, "POST", path, Some(body), headers, certs);
            let body = normalize(&text, &[ALWAYS, &["token"][..]].concat());
            out.push((code, body.to_string()));
            text
        };
        call(
            "/v3/kv/put",
            r#"{"key": "YQ==", "value": "Yg=="}"#,
            &[],
            &root,
        );
        call(
            "/v3/auth/user/add",
            r#"{"name": "root", "password": "pw"}"#,
            &[],
            &root,
        );
        call("/v3/auth/role/add", r#"{"name": "root"}"#, &[], &root);
        call(
            "/v3/auth/user/grant",
            r#"{"user": "root", "role": "root"}"#,
            &[],
            &root,
        );
        call("/v3/auth/enable", "{}", &[], &root);
        call("/v3/kv/range", r#"{"key": "YQ=="}"#, &[], &root);
        call("/v3/kv/range", r#"{"key": "YQ=="}"#, &[], &nocn);
        let auth = call(
            "/v3/auth/authenticate",
            r#"{"name": "root", "password": "pw"}"#,
            &[],
            &nocn,
        );
        let token = serde_json::from_str::<Value>(&auth)
            .ok()
            .and_then(|v| v["token"].as_str().map(str::to_string))
            .unwrap_or_default();
        call(
            "/v3/kv/range",
            r#"{"key": "YQ=="}"#,
            &[&format!("Authorization: {token}")],
            &nocn,
        );
        out
    };
    let want = run(ServerKind::Etcd);
    let codes: Vec<u16> = want.iter().map(|w| w.0).collect();
    assert_eq!(
        codes,
        [200, 200, 200, 200, 200, 400, 400, 200, 200],
        "etcd: {want:?}"
    );
    assert_eq!(run(ServerKind::Ours), want, "left ours, right etcd");
}

/// The plain HTTP endpoints answer other methods as etcd: `/health` and `/version` 405 with
/// `Method Not Allowed` (etcd's `allowMethod`), `/metrics` any method (promhttp).
#[test]
fn http_endpoint_methods_as_etcd() {
    crate::require_etcd!();
    if !curl_or_skip("http_endpoint_methods_as_etcd") {
        return;
    }
    let run = |kind: ServerKind| -> Vec<(u16, String)> {
        let m = Member::start(kind, MemberOpts::named("gw-methods"));
        let mut out = Vec::new();
        for path in ["/health", "/version"] {
            out.push(curl(&m.client_url(), "POST", path, Some("{}"), &[]));
        }
        let (code, _) = curl(&m.client_url(), "POST", "/metrics", Some("{}"), &[]);
        out.push((code, String::new()));
        out
    };
    assert_eq!(
        run(ServerKind::Ours),
        run(ServerKind::Etcd),
        "left ours, right etcd"
    );
}

/// A minimal WebSocket client (RFC 6455 over a std `TcpStream`, 10 s timeouts): the upgrade
/// on `path`, masked text frames out, text frames in.
struct Ws(std::net::TcpStream);

impl Ws {
    fn open(addr: std::net::SocketAddr, path: &str) -> Ws {
        use std::io::{Read, Write};
        let mut s =
            std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(5)).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        s.set_write_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        .expect("write upgrade");
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            s.read_exact(&mut byte).expect("read upgrade answer");
            head.push(byte[0]);
        }
        let head = String::from_utf8_lossy(&head);
        assert!(head.starts_with("HTTP/1.1 101"), "no upgrade: {head}");
        Ws(s)
    }

    fn send(&mut self, text: &str) {
        use std::io::Write;
        let mask = [1u8, 2, 3, 4];
        let mut frame = vec![0x81u8];
        let len = text.len();
        if len < 126 {
            frame.push(0x80 | len as u8);
        } else {
            frame.push(0x80 | 126);
            frame.extend_from_slice(&(len as u16).to_be_bytes());
        }
        frame.extend_from_slice(&mask);
        frame.extend(text.bytes().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        self.0.write_all(&frame).expect("write frame");
    }

    /// The next text message (control frames skipped); `None` at close or timeout.
    fn recv(&mut self) -> Option<String> {
        use std::io::Read;
        loop {
            let mut h = [0u8; 2];
            self.0.read_exact(&mut h).ok()?;
            let mut len = u64::from(h[1] & 0x7f);
            if len == 126 {
                let mut l = [0u8; 2];
                self.0.read_exact(&mut l).ok()?;
                len = u64::from(u16::from_be_bytes(l));
            } else if len == 127 {
                let mut l = [0u8; 8];
                self.0.read_exact(&mut l).ok()?;
                len = u64::from_be_bytes(l);
            }
            let mut payload = vec![0u8; len as usize];
            self.0.read_exact(&mut payload).ok()?;
            match h[0] & 0x0f {
                0x1 => return Some(String::from_utf8_lossy(&payload).into_owned()),
                0x8 => return None,
                _ => continue,
            }
        }
    }
}

/// The watch over a WebSocket (etcd wraps its gateway in grpc-websocket-proxy): one text
/// message per watch response, the same on both servers.
#[test]
fn watch_over_websocket_matches_etcd() {
    crate::require_etcd!();
    if !curl_or_skip("watch_over_websocket_matches_etcd") {
        return;
    }
    let run = |kind: ServerKind| -> Vec<Value> {
        let m = Member::start(kind, MemberOpts::named("gw-ws"));
        let mut ws = Ws::open(m.client_addr(), "/v3/watch");
        ws.send(r#"{"create_request": {"key": "d3M="}}"#);
        let created = ws
            .recv()
            .unwrap_or_else(|| panic!("{}: no created message", kind.label()));
        curl(
            &m.client_url(),
            "POST",
            "/v3/kv/put",
            Some(r#"{"key": "d3M=", "value": "MQ=="}"#),
            &[],
        );
        let event = ws
            .recv()
            .unwrap_or_else(|| panic!("{}: no event message", kind.label()));
        ws.send(r#"{"cancel_request": {"watch_id": "0"}}"#);
        let canceled = ws
            .recv()
            .unwrap_or_else(|| panic!("{}: no cancel message", kind.label()));
        [created, event, canceled]
            .iter()
            .map(|l| normalize(l, ALWAYS))
            .collect()
    };
    let want = run(ServerKind::Etcd);
    assert_eq!(run(ServerKind::Ours), want, "left ours, right etcd");
}
