//! The `json` format: Go `encoding/json` of the gogoproto structs, as etcdctl 3.4 prints them.
//!
//! Field names are the proto names Go's generated `json` tags use (`cluster_id`, `dbSize`,
//! `peerURLs`...), in proto field order, every field `omitempty`; bytes are standard base64;
//! 64-bit integers are plain decimal numbers (so `cluster_id` is an unsigned decimal). A
//! `ResponseOp` prints as `{"Response":{"ResponsePut":{...}}}` (the Go oneof wrapper names).

use base64::Engine;

use super::{EpHashKv, EpHealth, EpStatus};
use crate::pb::etcdserverpb::{
    response_op::Response, AlarmResponse, DeleteRangeResponse, LeaseGrantResponse,
    LeaseKeepAliveResponse, LeaseLeasesResponse, LeaseRevokeResponse, LeaseTimeToLiveResponse,
    Member, MemberAddResponse, MemberListResponse, MoveLeaderResponse, PutResponse, RangeResponse,
    ResponseHeader, ResponseOp, StatusResponse, TxnResponse, WatchResponse,
};
use crate::pb::mvccpb::{Event, KeyValue};

/// A JSON object under construction that skips Go's "empty" values (`omitempty`).
struct Obj(Vec<(String, String)>);

impl Obj {
    fn new() -> Obj {
        Obj(Vec::new())
    }
    fn raw(&mut self, k: &str, v: String) -> &mut Obj {
        self.0.push((k.to_string(), v));
        self
    }
    fn num<T: std::fmt::Display + Default + PartialEq>(&mut self, k: &str, v: T) -> &mut Obj {
        if v != T::default() {
            self.raw(k, v.to_string());
        }
        self
    }
    fn boolean(&mut self, k: &str, v: bool) -> &mut Obj {
        if v {
            self.raw(k, "true".to_string());
        }
        self
    }
    fn bytes(&mut self, k: &str, v: &[u8]) -> &mut Obj {
        if !v.is_empty() {
            self.raw(
                k,
                format!(
                    "\"{}\"",
                    base64::engine::general_purpose::STANDARD.encode(v)
                ),
            );
        }
        self
    }
    fn string(&mut self, k: &str, v: &str) -> &mut Obj {
        if !v.is_empty() {
            self.raw(k, go_string(v));
        }
        self
    }
    fn strings(&mut self, k: &str, v: &[String]) -> &mut Obj {
        if !v.is_empty() {
            self.raw(k, array(v.iter().map(|s| go_string(s))));
        }
        self
    }
    fn opt(&mut self, k: &str, v: Option<String>) -> &mut Obj {
        if let Some(v) = v {
            self.raw(k, v);
        }
        self
    }
    fn list(&mut self, k: &str, v: Vec<String>) -> &mut Obj {
        if !v.is_empty() {
            self.raw(k, array(v.into_iter()));
        }
        self
    }
    fn finish(&mut self) -> String {
        let inner: Vec<String> = self.0.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
        format!("{{{}}}", inner.join(","))
    }
}

fn array(items: impl Iterator<Item = String>) -> String {
    format!("[{}]", items.collect::<Vec<_>>().join(","))
}

/// Go `encoding/json` string encoding (HTML-safe: `<`, `>`, `&` escaped; U+2028/9 escaped).
pub fn go_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `ResponseHeader`.
pub fn header(h: &ResponseHeader) -> String {
    Obj::new()
        .num("cluster_id", h.cluster_id)
        .num("member_id", h.member_id)
        .num("revision", h.revision)
        .num("raft_term", h.raft_term)
        .finish()
}

/// `mvccpb.KeyValue`.
pub fn kv(kv: &KeyValue) -> String {
    Obj::new()
        .bytes("key", &kv.key)
        .num("create_revision", kv.create_revision)
        .num("mod_revision", kv.mod_revision)
        .num("version", kv.version)
        .bytes("value", &kv.value)
        .num("lease", kv.lease)
        .finish()
}

/// `RangeResponse` (`get`).
pub fn range(r: &RangeResponse) -> String {
    Obj::new()
        .opt("header", r.header.as_ref().map(header))
        .list("kvs", r.kvs.iter().map(kv).collect())
        .boolean("more", r.more)
        .num("count", r.count)
        .finish()
}

/// `PutResponse` (`put`).
pub fn put(r: &PutResponse) -> String {
    Obj::new()
        .opt("header", r.header.as_ref().map(header))
        .opt("prev_kv", r.prev_kv.as_ref().map(kv))
        .finish()
}

/// `DeleteRangeResponse` (`del`).
pub fn del(r: &DeleteRangeResponse) -> String {
    Obj::new()
        .opt("header", r.header.as_ref().map(header))
        .num("deleted", r.deleted)
        .list("prev_kvs", r.prev_kvs.iter().map(kv).collect())
        .finish()
}

fn response_op(op: &ResponseOp) -> String {
    let inner = match &op.response {
        None => "null".to_string(),
        Some(Response::ResponseRange(r)) => format!("{{\"ResponseRange\":{}}}", range(r)),
        Some(Response::ResponsePut(r)) => format!("{{\"ResponsePut\":{}}}", put(r)),
        Some(Response::ResponseDeleteRange(r)) => format!("{{\"ResponseDeleteRange\":{}}}", del(r)),
        Some(Response::ResponseTxn(r)) => format!("{{\"ResponseTxn\":{}}}", txn(r)),
    };
    format!("{{\"Response\":{inner}}}")
}

/// `TxnResponse` (`txn`).
pub fn txn(r: &TxnResponse) -> String {
    Obj::new()
        .opt("header", r.header.as_ref().map(header))
        .boolean("succeeded", r.succeeded)
        .list("responses", r.responses.iter().map(response_op).collect())
        .finish()
}

fn member(m: &Member) -> String {
    Obj::new()
        .num("ID", m.id)
        .string("name", &m.name)
        .strings("peerURLs", &m.peer_ur_ls)
        .strings("clientURLs", &m.client_ur_ls)
        .boolean("isLearner", m.is_learner)
        .finish()
}

/// `MemberListResponse` (`member list`).
pub fn member_list(r: &MemberListResponse) -> String {
    Obj::new()
        .opt("header", r.header.as_ref().map(header))
        .list("members", r.members.iter().map(member).collect())
        .finish()
}

/// `MemberAddResponse` (`member add`): header, the new member, the resulting member list.
pub fn member_add(r: &MemberAddResponse) -> String {
    Obj::new()
        .opt("header", r.header.as_ref().map(header))
        .opt("member", r.member.as_ref().map(member))
        .list("members", r.members.iter().map(member).collect())
        .finish()
}

/// A header and the resulting member list: the JSON shape of `MemberRemoveResponse`,
/// `MemberUpdateResponse` and `MemberPromoteResponse`.
pub fn member_change(h: Option<&ResponseHeader>, members: &[Member]) -> String {
    Obj::new()
        .opt("header", h.map(header))
        .list("members", members.iter().map(member).collect())
        .finish()
}

/// `MoveLeaderResponse` (`move-leader`).
pub fn move_leader(r: &MoveLeaderResponse) -> String {
    Obj::new()
        .opt("header", r.header.as_ref().map(header))
        .finish()
}

/// `StatusResponse`.
pub fn status(r: &StatusResponse) -> String {
    Obj::new()
        .opt("header", r.header.as_ref().map(header))
        .string("version", &r.version)
        .num("dbSize", r.db_size)
        .num("leader", r.leader)
        .num("raftIndex", r.raft_index)
        .num("raftTerm", r.raft_term)
        .num("raftAppliedIndex", r.raft_applied_index)
        .strings("errors", &r.errors)
        .num("dbSizeInUse", r.db_size_in_use)
        .boolean("isLearner", r.is_learner)
        .finish()
}

/// `endpoint health` rows: `[{"endpoint":..,"health":..,"took":..,"error":..}]`.
pub fn endpoint_health(hs: &[EpHealth]) -> String {
    array(hs.iter().map(|h| {
        let mut o = Obj::new();
        o.raw("endpoint", go_string(&h.ep))
            .raw("health", h.health.to_string())
            .raw("took", go_string(&h.took))
            .string("error", &h.error);
        o.finish()
    }))
}

/// `endpoint status` rows: `[{"Endpoint":..,"Status":{..}}]`.
pub fn endpoint_status(st: &[EpStatus]) -> String {
    array(st.iter().map(|s| {
        Obj::new()
            .raw("Endpoint", go_string(&s.ep))
            .raw("Status", status(&s.resp))
            .finish()
    }))
}

/// `endpoint hashkv` rows: `[{"Endpoint":..,"HashKV":{"header":..,"hash":..,"compact_revision":..}}]`.
pub fn endpoint_hashkv(hs: &[EpHashKv]) -> String {
    array(hs.iter().map(|h| {
        let r = &h.resp;
        let inner = Obj::new()
            .opt("header", r.header.as_ref().map(header))
            .num("hash", r.hash)
            .num("compact_revision", r.compact_revision)
            .finish();
        Obj::new()
            .raw("Endpoint", go_string(&h.ep))
            .raw("HashKV", inner)
            .finish()
    }))
}

/// The fields of a `ResponseHeader` embedded by pointer in a clientv3 struct (Go's JSON
/// flattens them into the outer object; a nil header adds nothing).
fn flat_header(o: &mut Obj, h: Option<&ResponseHeader>) {
    if let Some(h) = h {
        o.num("cluster_id", h.cluster_id)
            .num("member_id", h.member_id)
            .num("revision", h.revision)
            .num("raft_term", h.raft_term);
    }
}

/// `mvccpb.Event`: `type` (omitted for PUT), `kv`, `prev_kv`.
pub fn event(e: &Event) -> String {
    Obj::new()
        .num("type", e.r#type)
        .opt("kv", e.kv.as_ref().map(kv))
        .opt("prev_kv", e.prev_kv.as_ref().map(kv))
        .finish()
}

/// clientv3's `WatchResponse` (`watch -w json`): `Header` always present, `Events` `null`
/// when the response carries none (`[]` for a cancellation, as clientv3 builds it).
pub fn watch(r: &WatchResponse) -> String {
    let events = if r.events.is_empty() {
        if r.canceled {
            "[]".to_string()
        } else {
            "null".to_string()
        }
    } else {
        array(r.events.iter().map(event))
    };
    Obj::new()
        .raw(
            "Header",
            r.header
                .as_ref()
                .map(header)
                .unwrap_or_else(|| "{}".to_string()),
        )
        .raw("Events", events)
        .raw("CompactRevision", r.compact_revision.to_string())
        .raw("Canceled", r.canceled.to_string())
        .raw("Created", r.created.to_string())
        .finish()
}

/// clientv3's `LeaseGrantResponse`: flattened header, `ID`, `TTL`, `Error`.
pub fn lease_grant(r: &LeaseGrantResponse) -> String {
    let mut o = Obj::new();
    flat_header(&mut o, r.header.as_ref());
    o.raw("ID", r.id.to_string())
        .raw("TTL", r.ttl.to_string())
        .raw("Error", go_string(&r.error));
    o.finish()
}

/// `LeaseRevokeResponse` (the protobuf struct): `{"header":{..}}`.
pub fn lease_revoke(r: &LeaseRevokeResponse) -> String {
    Obj::new()
        .opt("header", r.header.as_ref().map(header))
        .finish()
}

/// clientv3's `LeaseKeepAliveResponse`: flattened header, `ID`, `TTL`.
pub fn lease_keep_alive(r: &LeaseKeepAliveResponse) -> String {
    let mut o = Obj::new();
    flat_header(&mut o, r.header.as_ref());
    o.raw("ID", r.id.to_string()).raw("TTL", r.ttl.to_string());
    o.finish()
}

/// clientv3's `LeaseTimeToLiveResponse`: flattened header, `id`, `ttl`, `granted-ttl`, `keys`
/// (`null` without keys).
pub fn lease_time_to_live(r: &LeaseTimeToLiveResponse) -> String {
    let mut o = Obj::new();
    flat_header(&mut o, r.header.as_ref());
    let keys = if r.keys.is_empty() {
        "null".to_string()
    } else {
        array(r.keys.iter().map(|k| {
            format!(
                "\"{}\"",
                base64::engine::general_purpose::STANDARD.encode(k)
            )
        }))
    };
    o.raw("id", r.id.to_string())
        .raw("ttl", r.ttl.to_string())
        .raw("granted-ttl", r.granted_ttl.to_string())
        .raw("keys", keys);
    o.finish()
}

/// clientv3's `LeaseLeasesResponse`: flattened header, `leases` (`[{"id":..}]`, `[]` if none).
pub fn lease_leases(r: &LeaseLeasesResponse) -> String {
    let mut o = Obj::new();
    flat_header(&mut o, r.header.as_ref());
    o.raw(
        "leases",
        array(r.leases.iter().map(|l| format!("{{\"id\":{}}}", l.id))),
    );
    o.finish()
}

/// `AlarmResponse`: `header` and `alarms` (`memberID`, `alarm` as its number), omitempty.
pub fn alarm(r: &AlarmResponse) -> String {
    Obj::new()
        .opt("header", r.header.as_ref().map(header))
        .list(
            "alarms",
            r.alarms
                .iter()
                .map(|a| {
                    Obj::new()
                        .num("memberID", a.member_id)
                        .num("alarm", a.alarm)
                        .finish()
                })
                .collect(),
        )
        .finish()
}

/// clientv3/snapshot's `Status`: `{"hash":..,"revision":..,"totalKey":..,"totalSize":..}`.
pub fn db_status(s: &super::DbStatus) -> String {
    format!(
        "{{\"hash\":{},\"revision\":{},\"totalKey\":{},\"totalSize\":{}}}",
        s.hash, s.revision, s.total_key, s.total_size
    )
}
