//! etcd's v2 keys store (`etcdserver/api/v2store`), behind `--enable-v2`: a tree of
//! directories and files under `/`, each node with a created and a modified index, an
//! optional expiration, and one store index (etcd's `CurrentIndex`) that every mutation
//! advances by one.
//!
//! - [`store`]: the tree in its own LMDB database ([`crate::storage::schema::V2STORE`]),
//!   separate from the v3 keyspace; changed only by [`store::V2Store::apply`], called from
//!   apply with a replicated [`crate::pb::peer::V2Request`] (set, create, update,
//!   compare-and-swap, delete, compare-and-delete, and SYNC: the leader's expiry of TTL nodes
//!   at a time it chose, so every member expires the same nodes).
//! - [`watcher_hub`]: this member's in-memory history of the last 1000 events and the
//!   long-poll watchers (`wait=true`), fed after each applied batch.
//! - this file: the shapes both share (etcd's `Event`, `NodeExtern`, `v2error.Error`) and the
//!   path rules (`path.Clean`, hidden `_` nodes).
//!
//! Paths here are the user's (`/foo/bar`): etcd keeps user keys under `/1` and trims that
//! prefix from every answer, so its user root is read-only (`107 Root is read only`); the
//! root here is that `/1`.
//!
//! Depends on: storage, pb.

pub mod store;
pub mod watcher_hub;

use serde::{Deserialize, Serialize};

/// The capacity of the event history (etcd's `newWatchHub(1000)`).
pub const HISTORY_CAPACITY: usize = 1000;

/// Event actions (etcd's `v2store` constants).
pub mod action {
    /// A read.
    pub const GET: &str = "get";
    /// PUT without conditions.
    pub const SET: &str = "set";
    /// PUT with `prevExist=false`, and POST.
    pub const CREATE: &str = "create";
    /// PUT with `prevExist=true`.
    pub const UPDATE: &str = "update";
    /// DELETE.
    pub const DELETE: &str = "delete";
    /// PUT with `prevValue` / `prevIndex`.
    pub const COMPARE_AND_SWAP: &str = "compareAndSwap";
    /// DELETE with `prevValue` / `prevIndex`.
    pub const COMPARE_AND_DELETE: &str = "compareAndDelete";
    /// A TTL node removed by the leader's SYNC.
    pub const EXPIRE: &str = "expire";
}

/// One node as answered (etcd's `NodeExtern`). `expiration_ns` is absolute (Unix
/// nanoseconds): the remaining `ttl` is computed when the answer is written
/// ([`NodeExtern::to_json`]), so apply stays deterministic.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct NodeExtern {
    /// The node's path (`/a/b`; empty for the root).
    pub key: String,
    /// A file's value (`None` for directories and for delete/expire events).
    pub value: Option<String>,
    /// Whether it is a directory.
    pub dir: bool,
    /// Expiration, Unix nanoseconds, when the node has a TTL.
    pub expiration_ns: Option<i64>,
    /// Children of a listed directory (`None`: not listed).
    pub nodes: Option<Vec<NodeExtern>>,
    /// Index of its last modification.
    pub modified_index: u64,
    /// Index of its creation.
    pub created_index: u64,
}

/// One v2 event (etcd's `v2store.Event`): an answer to a request, an entry of the history
/// and what a watcher receives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// One of [`action`].
    pub action: String,
    /// The node after the event.
    pub node: NodeExtern,
    /// The node before it (mutations of an existing node).
    pub prev_node: Option<NodeExtern>,
    /// The store index when the event was answered (`X-Etcd-Index`).
    pub etcd_index: u64,
    /// A TTL refresh: kept in the history but not sent to watchers.
    pub refresh: bool,
}

impl Event {
    /// The event's index (its node's modified index), as the history orders them.
    pub fn index(&self) -> u64 {
        self.node.modified_index
    }

    /// Whether the answer is `201 Created` (etcd's `IsCreated`).
    pub fn is_created(&self) -> bool {
        self.action == action::CREATE || (self.action == action::SET && self.prev_node.is_none())
    }

    /// The event as etcd's JSON body, with remaining TTLs computed at `now_ns` (Unix
    /// nanoseconds). `no_value` drops node and prevNode (`noValueOnSuccess`).
    pub fn to_json(&self, now_ns: i64, no_value: bool) -> String {
        #[derive(Serialize)]
        struct Ev<'a> {
            action: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            node: Option<NodeJson<'a>>,
            #[serde(rename = "prevNode", skip_serializing_if = "Option::is_none")]
            prev_node: Option<NodeJson<'a>>,
        }
        let body = Ev {
            action: &self.action,
            node: (!no_value).then(|| NodeJson::of(&self.node, now_ns)),
            prev_node: if no_value {
                None
            } else {
                self.prev_node.as_ref().map(|n| NodeJson::of(n, now_ns))
            },
        };
        serde_json::to_string(&body).unwrap_or_default()
    }
}

/// etcd's JSON form of a node, fields in etcd's order, empty fields omitted as Go's
/// `omitempty` does.
#[derive(Serialize)]
struct NodeJson<'a> {
    #[serde(skip_serializing_if = "str::is_empty")]
    key: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<&'a str>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    dir: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    expiration: Option<String>,
    #[serde(skip_serializing_if = "is_zero_i64")]
    ttl: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    nodes: Option<Vec<NodeJson<'a>>>,
    #[serde(rename = "modifiedIndex", skip_serializing_if = "is_zero_u64")]
    modified_index: u64,
    #[serde(rename = "createdIndex", skip_serializing_if = "is_zero_u64")]
    created_index: u64,
}

fn is_zero_i64(v: &i64) -> bool {
    *v == 0
}

fn is_zero_u64(v: &u64) -> bool {
    *v == 0
}

impl<'a> NodeJson<'a> {
    fn of(n: &'a NodeExtern, now_ns: i64) -> NodeJson<'a> {
        let (expiration, ttl) = match n.expiration_ns {
            Some(exp) => (Some(go_rfc3339_nano(exp)), remaining_ttl(exp, now_ns)),
            None => (None, 0),
        };
        NodeJson {
            key: &n.key,
            value: n.value.as_deref(),
            dir: n.dir,
            expiration,
            ttl,
            nodes: n
                .nodes
                .as_ref()
                .filter(|v| !v.is_empty())
                .map(|v| v.iter().map(|c| NodeJson::of(c, now_ns)).collect()),
            modified_index: n.modified_index,
            created_index: n.created_index,
        }
    }
}

impl NodeExtern {
    /// The node as etcd's JSON object (TTL computed at `now_ns`).
    pub fn to_json(&self, now_ns: i64) -> serde_json::Value {
        serde_json::to_value(NodeJson::of(self, now_ns)).unwrap_or_default()
    }
}

/// etcd's remaining TTL: the ceiling of the seconds left (`expirationAndTTL`); 0 or less
/// once expired but not yet removed.
pub fn remaining_ttl(expiration_ns: i64, now_ns: i64) -> i64 {
    let left = expiration_ns.saturating_sub(now_ns);
    let secs = left / 1_000_000_000;
    if left % 1_000_000_000 > 0 {
        secs + 1
    } else {
        secs
    }
}

/// Go's `time.RFC3339Nano` of a UTC instant (`2006-01-02T15:04:05.999999999Z`: trailing zeros
/// of the fraction dropped, and the dot with them).
pub fn go_rfc3339_nano(unix_ns: i64) -> String {
    let Ok(t) = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(unix_ns)) else {
        return String::new();
    };
    let mut frac = format!("{:09}", t.nanosecond());
    while frac.ends_with('0') {
        frac.pop();
    }
    let frac = if frac.is_empty() {
        String::new()
    } else {
        format!(".{frac}")
    };
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{frac}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// A v2 error (etcd's `v2error.Error`): code, cause and the store index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{} ({cause})", message(*code))]
pub struct V2Error {
    /// etcd's error code (100 Key not found, ...).
    pub code: u16,
    /// The cause (usually the path).
    pub cause: String,
    /// The store index when it failed (0 for request errors).
    pub index: u64,
}

/// etcd's v2 error codes used here.
pub mod code {
    /// `Key not found` (404).
    pub const KEY_NOT_FOUND: u16 = 100;
    /// `Compare failed` (412).
    pub const TEST_FAILED: u16 = 101;
    /// `Not a file` (403).
    pub const NOT_FILE: u16 = 102;
    /// `Not a directory` (400).
    pub const NOT_DIR: u16 = 104;
    /// `Key already exists` (412).
    pub const NODE_EXIST: u16 = 105;
    /// `Root is read only` (400).
    pub const ROOT_RONLY: u16 = 107;
    /// `Directory not empty` (403).
    pub const DIR_NOT_EMPTY: u16 = 108;
    /// `PrevValue is Required in POST form`.
    pub const PREV_VALUE_REQUIRED: u16 = 201;
    /// `The given TTL in POST form is not a number`.
    pub const TTL_NAN: u16 = 202;
    /// `The given index in POST form is not a number`.
    pub const INDEX_NAN: u16 = 203;
    /// `Invalid field`.
    pub const INVALID_FIELD: u16 = 209;
    /// `Value provided on refresh`.
    pub const REFRESH_VALUE: u16 = 211;
    /// `A TTL must be provided on refresh`.
    pub const REFRESH_TTL_REQUIRED: u16 = 212;
    /// `The request requires user authentication` (401).
    pub const UNAUTHORIZED: u16 = 110;
    /// `Raft Internal Error` (500).
    pub const RAFT_INTERNAL: u16 = 300;
    /// `The event in requested index is outdated and cleared`.
    pub const EVENT_INDEX_CLEARED: u16 = 401;
}

/// etcd's message for an error code (`v2error.errors`).
pub fn message(code: u16) -> &'static str {
    match code {
        100 => "Key not found",
        101 => "Compare failed",
        102 => "Not a file",
        103 => "Reached the max number of peers in the cluster",
        104 => "Not a directory",
        105 => "Key already exists",
        106 => "The prefix of given key is a keyword in etcd",
        107 => "Root is read only",
        108 => "Directory not empty",
        109 => "Peer address has existed",
        110 => "The request requires user authentication",
        200 => "Value is Required in POST form",
        201 => "PrevValue is Required in POST form",
        202 => "The given TTL in POST form is not a number",
        203 => "The given index in POST form is not a number",
        204 => "Value or TTL is required in POST form",
        205 => "The given timeout in POST form is not a number",
        206 => "Name is required in POST form",
        207 => "Index or value is required",
        208 => "Index and value cannot both be specified",
        209 => "Invalid field",
        210 => "Invalid POST form",
        211 => "Value provided on refresh",
        212 => "A TTL must be provided on refresh",
        300 => "Raft Internal Error",
        301 => "During Leader Election",
        400 => "watcher is cleared due to etcd recovery",
        401 => "The event in requested index is outdated and cleared",
        402 => "Standby Internal Error",
        403 => "Invalid active size",
        404 => "Standby remove delay",
        500 => "Client Internal Error",
        _ => "",
    }
}

impl V2Error {
    /// An error with `code`, `cause` and store `index`.
    pub fn new(code: u16, cause: impl Into<String>, index: u64) -> V2Error {
        V2Error {
            code,
            cause: cause.into(),
            index,
        }
    }

    /// etcd's HTTP status for the code (`errorStatus`; 400 otherwise).
    pub fn status(&self) -> u16 {
        match self.code {
            100 => 404,
            102 | 108 => 403,
            110 => 401,
            101 | 105 => 412,
            300 | 301 => 500,
            _ => 400,
        }
    }

    /// etcd's JSON body (`{"errorCode":..,"message":..,"cause":..,"index":..}`), no newline.
    pub fn to_json(&self) -> String {
        #[derive(Serialize)]
        struct E<'a> {
            #[serde(rename = "errorCode")]
            error_code: u16,
            message: &'a str,
            #[serde(skip_serializing_if = "str::is_empty")]
            cause: &'a str,
            index: u64,
        }
        serde_json::to_string(&E {
            error_code: self.code,
            message: message(self.code),
            cause: &self.cause,
            index: self.index,
        })
        .unwrap_or_default()
    }
}

/// Go's `path.Clean(path.Join("/", p))`: an absolute path without empty, `.` or `..`
/// components and without a trailing slash (`/` for the root).
pub fn clean_path(p: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    format!("/{}", parts.join("/"))
}

/// The parent directory of a clean path (`/` for top-level nodes and the root).
pub fn parent_of(p: &str) -> &str {
    match p.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &p[..i],
    }
}

/// Whether a clean path's last component is hidden (starts with `_`): hidden nodes are not
/// listed, but can be read by name.
pub fn is_hidden_name(p: &str) -> bool {
    p.rsplit('/').next().is_some_and(|n| n.starts_with('_'))
}

/// etcd's watcher rule `isHidden(watchPath, keyPath)`: whether the part of `key` below
/// `watch` has a hidden component.
pub fn is_hidden_below(watch: &str, key: &str) -> bool {
    if watch.len() > key.len() {
        return false;
    }
    clean_path(&format!("/{}", &key[watch.len()..])).contains("/_")
}

/// Whether `p` is `dir` itself or below it (both clean).
pub fn is_under(p: &str, dir: &str) -> bool {
    if dir == "/" {
        return true;
    }
    p == dir || (p.starts_with(dir) && p.as_bytes().get(dir.len()) == Some(&b'/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_clean_like_go() {
        assert_eq!(clean_path(""), "/");
        assert_eq!(clean_path("/"), "/");
        assert_eq!(clean_path("foo//bar/"), "/foo/bar");
        assert_eq!(clean_path("/a/./b/../c"), "/a/c");
        assert_eq!(clean_path("/../a"), "/a");
        assert_eq!(parent_of("/a"), "/");
        assert_eq!(parent_of("/a/b"), "/a");
        assert!(is_hidden_name("/a/_b"));
        assert!(!is_hidden_name("/_a/b"));
        assert!(is_hidden_below("/a", "/a/_b/c"));
        assert!(!is_hidden_below("/a/_b", "/a/_b/c"));
        assert!(is_under("/a/b", "/a"));
        assert!(!is_under("/ab", "/a"));
    }

    #[test]
    fn ttl_and_time_formats_follow_go() {
        assert_eq!(remaining_ttl(10_000_000_001, 0), 11);
        assert_eq!(remaining_ttl(10_000_000_000, 0), 10);
        assert_eq!(go_rfc3339_nano(0), "1970-01-01T00:00:00Z");
        assert_eq!(go_rfc3339_nano(1_500_000_000), "1970-01-01T00:00:01.5Z");
    }

    #[test]
    fn json_bodies_have_etcds_shape() {
        let e = Event {
            action: action::SET.into(),
            node: NodeExtern {
                key: "/foo".into(),
                value: Some("bar".into()),
                modified_index: 5,
                created_index: 5,
                ..Default::default()
            },
            prev_node: None,
            etcd_index: 5,
            refresh: false,
        };
        assert_eq!(
            e.to_json(0, false),
            r#"{"action":"set","node":{"key":"/foo","value":"bar","modifiedIndex":5,"createdIndex":5}}"#
        );
        assert!(e.is_created());
        let err = V2Error::new(code::KEY_NOT_FOUND, "/foo", 7);
        assert_eq!(
            err.to_json(),
            r#"{"errorCode":100,"message":"Key not found","cause":"/foo","index":7}"#
        );
        assert_eq!(err.status(), 404);
    }
}
