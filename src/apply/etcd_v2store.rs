//! etcd's v2 store as its Raft snapshots hold it (the data of `member/snap/*.snap`:
//! `v2store.store` as JSON, etcd's `store.Save` / `store.Recovery`) to and from our v2 store
//! ([`crate::v2store::store::V2Store`]), for start in place, `etcd util import` and `etcd
//! util export`.
//!
//! etcd's tree: `{"Root": node, "CurrentIndex": n, "CurrentVersion": 2, ...}`, a node being
//! `{"Path","CreatedIndex","ModifiedIndex","ExpireTime","Value","Children"}` where a
//! directory has a `Children` object (possibly empty) and a file `null`; `ExpireTime` is Go's
//! `time.Time` (RFC 3339, `0001-01-01T00:00:00Z` for a permanent node). Under the root:
//! - `/0`: etcd's cluster data (`members/<id>/raftAttributes|attributes`, `version`): our
//!   membership lives elsewhere, so it is not brought in; export writes it from the members;
//! - `/1`: the user's keys (etcd's `StoreKeysPrefix`; `/1/foo` is the user's `/foo`) → our
//!   user space;
//! - `/2`: v2 auth (`enabled`, `users/<name>`, `roles/<name>`, etcd's JSON values) → our
//!   auth space ([`crate::v2store::store::V2Store::auth_space`]);
//! - anything else at the root is reported and skipped (etcd 3.4 writes nothing else).
//!
//! Created and modified indexes, values, directories, hidden nodes and expiration times are
//! kept as they are; the store index is etcd's `CurrentIndex`. etcd's event history
//! (`WatcherHub`) and statistics are not kept (a watcher resumes from the current index).
//!
//! Depends on: v2store, storage, serde_json, time.

use std::collections::BTreeMap;

use heed::{RoTxn, RwTxn};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::etcd_export::EtcdMember;
use crate::v2store::store::{NodeRecord, V2Store, V2StoreError};

/// Go's zero `time.Time` as JSON: a permanent node.
const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

/// etcd's `minExpireTime` (2000-01-01T00:00:00Z) in Unix nanoseconds: an expiration before it
/// is "permanent" (etcd's own rule at `Create`/`Set`).
const MIN_EXPIRE_NS: i128 = 946_684_800 * 1_000_000_000;

/// Why etcd's v2 store JSON could not be brought in.
#[derive(Debug, thiserror::Error)]
pub(crate) enum V2ImportError {
    /// Not etcd's v2 store JSON.
    #[error("etcd v2 store: {0}")]
    Format(String),
    /// Our store.
    #[error(transparent)]
    Store(#[from] V2StoreError),
}

/// One node of etcd's JSON.
#[derive(Debug, Deserialize)]
struct EtcdNode {
    #[serde(rename = "CreatedIndex", default)]
    created: u64,
    #[serde(rename = "ModifiedIndex", default)]
    modified: u64,
    #[serde(rename = "ExpireTime", default)]
    expire: String,
    #[serde(rename = "Value", default)]
    value: String,
    #[serde(rename = "Children", default)]
    children: Option<BTreeMap<String, EtcdNode>>,
}

#[derive(Debug, Deserialize)]
struct EtcdStore {
    #[serde(rename = "Root")]
    root: Option<EtcdNode>,
    #[serde(rename = "CurrentIndex", default)]
    current_index: u64,
}

/// What was brought in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct V2Imported {
    /// Nodes of the user's keys (directories and files).
    pub nodes: u64,
    /// Nodes of the v2 auth space.
    pub auth_nodes: u64,
    /// etcd's `CurrentIndex`, now the store index.
    pub index: u64,
    /// Top-level names other than `0`, `1`, `2`, skipped.
    pub skipped: Vec<String>,
}

/// Go's `time.Time` JSON → Unix nanoseconds, 0 for a permanent node (zero time, or before
/// etcd's `minExpireTime`).
fn expire_ns(s: &str) -> Result<i64, V2ImportError> {
    if s.is_empty() || s == ZERO_TIME {
        return Ok(0);
    }
    let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .map_err(|e| V2ImportError::Format(format!("ExpireTime {s:?}: {e}")))?;
    let ns = t.unix_timestamp_nanos();
    if ns < MIN_EXPIRE_NS {
        return Ok(0);
    }
    i64::try_from(ns).map_err(|_| V2ImportError::Format(format!("ExpireTime {s:?}: out of range")))
}

/// Writes `node`'s children (recursively) under our `path` (`/` for the space's root).
fn put_children(
    space: &V2Store,
    wtxn: &mut RwTxn,
    path: &str,
    node: &EtcdNode,
    count: &mut u64,
) -> Result<(), V2ImportError> {
    for (name, child) in node.children.iter().flatten() {
        if name.is_empty() || name.contains('/') {
            return Err(V2ImportError::Format(format!(
                "node name {name:?} under {path}"
            )));
        }
        let child_path = if path == "/" {
            format!("/{name}")
        } else {
            format!("{path}/{name}")
        };
        let rec = NodeRecord {
            value: child.children.is_none().then(|| child.value.clone()),
            created: child.created,
            modified: child.modified,
            expire_ns: expire_ns(&child.expire)?,
        };
        space.import_node(wtxn, &child_path, &rec)?;
        *count += 1;
        put_children(space, wtxn, &child_path, child, count)?;
    }
    Ok(())
}

/// Brings etcd's v2 store JSON `data` (a `.snap`'s data) into `v2`, which should be empty:
/// `/1` into the user space, `/2` into the auth space, the store index = `CurrentIndex`.
/// Empty `data` (etcd 3.5+ snapshots without a v2 store) brings nothing.
///
/// # Errors
/// [`V2ImportError::Format`] if `data` is not etcd's v2 store JSON; storage errors.
pub(crate) fn import(
    v2: &V2Store,
    wtxn: &mut RwTxn,
    data: &[u8],
) -> Result<V2Imported, V2ImportError> {
    let mut out = V2Imported::default();
    if data.is_empty() {
        return Ok(out);
    }
    let store: EtcdStore =
        serde_json::from_slice(data).map_err(|e| V2ImportError::Format(e.to_string()))?;
    out.index = store.current_index;
    if let Some(root) = &store.root {
        for (name, node) in root.children.iter().flatten() {
            match name.as_str() {
                "0" => {}
                "1" => put_children(v2, wtxn, "/", node, &mut out.nodes)?,
                "2" => put_children(&v2.auth_space(), wtxn, "/", node, &mut out.auth_nodes)?,
                other => out.skipped.push(other.to_string()),
            }
        }
    }
    v2.import_index(wtxn, out.index)?;
    Ok(out)
}

/// Our v2 store read for export: the index and both spaces' nodes, parents first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct V2Dump {
    /// The store index.
    pub index: u64,
    /// User keys by our path (`/foo`).
    pub keys: Vec<(String, NodeRecord)>,
    /// The auth space by path (`/users/alice`).
    pub auth: Vec<(String, NodeRecord)>,
}

/// Reads our v2 store for [`snapshot_json`].
///
/// # Errors
/// Storage errors.
pub(crate) fn dump(v2: &V2Store, txn: &RoTxn) -> Result<V2Dump, V2StoreError> {
    Ok(V2Dump {
        index: v2.index(txn)?,
        keys: v2.export_nodes(txn)?,
        auth: v2.auth_space().export_nodes(txn)?,
    })
}

/// One of etcd's JSON nodes.
fn node_json(
    path: &str,
    created: u64,
    modified: u64,
    expire_ns: i64,
    value: Option<&str>,
) -> Value {
    let expire = if expire_ns == 0 {
        ZERO_TIME.to_string()
    } else {
        crate::v2store::go_rfc3339_nano(expire_ns)
    };
    json!({
        "Path": path,
        "CreatedIndex": created,
        "ModifiedIndex": modified,
        "ExpireTime": expire,
        "Value": value.unwrap_or_default(),
        "Children": if value.is_some() { Value::Null } else { Value::Object(Map::new()) },
    })
}

/// Builds the subtree under etcd's `prefix` (`/1`, `/2`), created at `created`, from nodes
/// given parents first.
fn tree(prefix: &str, created: u64, nodes: &[(String, NodeRecord)]) -> Value {
    let mut top = node_json(prefix, created, created, 0, None);
    for (path, rec) in nodes {
        let full = format!("{prefix}{path}");
        let names: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
        let Some((last, parents)) = names.split_last() else {
            continue;
        };
        // A JSON pointer to the parent's `Children` (`~` and `/` escaped as RFC 6901 says).
        let mut pointer = String::from("/Children");
        for p in parents {
            pointer.push('/');
            pointer.push_str(&p.replace('~', "~0").replace('/', "~1"));
            pointer.push_str("/Children");
        }
        if let Some(Value::Object(children)) = top.pointer_mut(&pointer) {
            children.insert(
                (*last).to_string(),
                node_json(
                    &full,
                    rec.created,
                    rec.modified,
                    rec.expire_ns,
                    rec.value.as_deref(),
                ),
            );
        }
    }
    top
}

/// etcd 3.4's v2 store JSON for a `.snap` at Raft index `applied`: `/0/members/<id>/`
/// `raftAttributes` and `attributes` for every member and `/0/version` (etcd 3.4 recovers its
/// membership from here at restart, `membership.RaftCluster.Recover`), `/1` with the user's
/// keys and, when our auth space holds anything, `/2`. `CurrentIndex` is the larger of our
/// store index and `applied` (the `/0` nodes are written at `applied`), so etcd's next
/// writes get higher indexes than every node.
pub(crate) fn snapshot_json(dump: &V2Dump, members: &[EtcdMember], applied: u64) -> String {
    let index = applied;
    let leaf = |path: String, value: String| node_json(&path, index, index, 0, Some(&value));
    let dir = |path: String, children: Map<String, Value>| {
        let mut n = node_json(&path, index, index, 0, None);
        n["Children"] = Value::Object(children);
        n
    };
    let mut by_id = Map::new();
    for m in members {
        let hex = format!("{:x}", m.id);
        let base = format!("/0/members/{hex}");
        let mut raft = json!({"peerURLs": m.peer_urls});
        if m.is_learner {
            raft["isLearner"] = Value::Bool(true);
        }
        let mut children = Map::new();
        children.insert(
            "raftAttributes".into(),
            leaf(format!("{base}/raftAttributes"), raft.to_string()),
        );
        if !m.name.is_empty() || !m.client_urls.is_empty() {
            let attrs = json!({"name": m.name, "clientURLs": m.client_urls});
            children.insert(
                "attributes".into(),
                leaf(format!("{base}/attributes"), attrs.to_string()),
            );
        }
        by_id.insert(hex, dir(base, children));
    }
    let mut zero = Map::new();
    zero.insert("members".into(), dir("/0/members".into(), by_id));
    zero.insert(
        "version".into(),
        leaf(
            "/0/version".into(),
            super::etcd_export::CLUSTER_VERSION.into(),
        ),
    );
    let mut root = Map::new();
    root.insert("0".into(), dir("/0".into(), zero));
    // etcd creates `/1` with the store (index 0), `/2` with the first v2 auth write.
    root.insert("1".into(), tree("/1", 0, &dump.keys));
    if !dump.auth.is_empty() {
        root.insert("2".into(), tree("/2", first_index(&dump.auth), &dump.auth));
    }
    json!({
        "Root": dir("/".into(), root),
        "CurrentIndex": dump.index.max(applied),
        "CurrentVersion": 2
    })
    .to_string()
}

/// The lowest created index of `nodes` (0 if none).
fn first_index(nodes: &[(String, NodeRecord)]) -> u64 {
    nodes.iter().map(|(_, r)| r.created).min().unwrap_or(0)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn open() -> (tempfile::TempDir, crate::storage::Env, V2Store) {
        V2Store::open_temp()
    }

    /// A store as etcd 3.4.23 saved it (`--enable-v2`, `set /dir/a 1`, `mkdir /empty`,
    /// `set /ttl x --ttl 600`, v2 auth with a root user): brought in with its indexes, dirs,
    /// values and expiration; `/0` left out; exported back as the same tree.
    #[test]
    fn etcds_v2_store_json_round_trips() {
        let etcd = r#"{"Root":{"Path":"/","CreatedIndex":0,"ModifiedIndex":0,"ExpireTime":"0001-01-01T00:00:00Z","Value":"","Children":{
          "0":{"Path":"/0","CreatedIndex":0,"ModifiedIndex":0,"ExpireTime":"0001-01-01T00:00:00Z","Value":"","Children":{"version":{"Path":"/0/version","CreatedIndex":3,"ModifiedIndex":3,"ExpireTime":"0001-01-01T00:00:00Z","Value":"3.4.0","Children":null}}},
          "1":{"Path":"/1","CreatedIndex":0,"ModifiedIndex":0,"ExpireTime":"0001-01-01T00:00:00Z","Value":"","Children":{
            "dir":{"Path":"/1/dir","CreatedIndex":5,"ModifiedIndex":5,"ExpireTime":"0001-01-01T00:00:00Z","Value":"","Children":{"a":{"Path":"/1/dir/a","CreatedIndex":5,"ModifiedIndex":7,"ExpireTime":"0001-01-01T00:00:00Z","Value":"1","Children":null}}},
            "empty":{"Path":"/1/empty","CreatedIndex":8,"ModifiedIndex":8,"ExpireTime":"0001-01-01T00:00:00Z","Value":"","Children":{}},
            "ttl":{"Path":"/1/ttl","CreatedIndex":9,"ModifiedIndex":9,"ExpireTime":"2030-01-02T03:04:05.5+01:00","Value":"x","Children":null}}},
          "2":{"Path":"/2","CreatedIndex":10,"ModifiedIndex":10,"ExpireTime":"0001-01-01T00:00:00Z","Value":"","Children":{
            "users":{"Path":"/2/users","CreatedIndex":10,"ModifiedIndex":10,"ExpireTime":"0001-01-01T00:00:00Z","Value":"","Children":{"root":{"Path":"/2/users/root","CreatedIndex":11,"ModifiedIndex":11,"ExpireTime":"0001-01-01T00:00:00Z","Value":"{\"user\":\"root\"}","Children":null}}}}}}},
          "WatcherHub":{"EventHistory":{"Queue":{"Events":[],"Size":0,"Front":0,"Back":0,"Capacity":1000},"StartIndex":0,"LastIndex":0}},
          "CurrentIndex":11,"Stats":{},"CurrentVersion":2}"#;
        let (_d, env, v2) = open();
        let mut w = env.write_txn().unwrap();
        let got = import(&v2, &mut w, etcd.as_bytes()).unwrap();
        w.commit().unwrap();
        assert_eq!((got.nodes, got.auth_nodes, got.index), (4, 2, 11));
        let r = env.read_txn().unwrap();
        let ev = v2.get(&r, "/dir/a", false, false).unwrap().unwrap();
        assert_eq!(ev.node.value.as_deref(), Some("1"));
        assert_eq!((ev.node.created_index, ev.node.modified_index), (5, 7));
        assert_eq!(ev.etcd_index, 11);
        assert!(
            v2.get(&r, "/empty", false, false)
                .unwrap()
                .unwrap()
                .node
                .dir
        );
        let ttl = v2.get(&r, "/ttl", false, false).unwrap().unwrap().node;
        // 2030-01-02T02:04:05.5Z
        assert_eq!(ttl.expiration_ns, Some(1_893_549_845_500_000_000));
        assert_eq!(v2.next_expiry(&r).unwrap(), ttl.expiration_ns);
        let user = v2
            .auth_space()
            .get(&r, "/users/root", false, false)
            .unwrap()
            .unwrap();
        assert_eq!(user.node.value.as_deref(), Some("{\"user\":\"root\"}"));
        assert!(
            v2.get(&r, "/0", false, false).unwrap().is_err(),
            "/0 stays out"
        );

        let d = dump(&v2, &r).unwrap();
        let back: Value = serde_json::from_str(&snapshot_json(&d, &[], 11)).unwrap();
        assert_eq!(back["CurrentIndex"], 11);
        let a = &back["Root"]["Children"]["1"]["Children"]["dir"]["Children"]["a"];
        assert_eq!(a["Path"], "/1/dir/a");
        assert_eq!(
            (a["CreatedIndex"].as_u64(), a["ModifiedIndex"].as_u64()),
            (Some(5), Some(7))
        );
        assert_eq!(a["Value"], "1");
        assert!(a["Children"].is_null());
        let empty = &back["Root"]["Children"]["1"]["Children"]["empty"];
        assert_eq!(empty["Children"], json!({}));
        assert_eq!(
            back["Root"]["Children"]["1"]["Children"]["ttl"]["ExpireTime"],
            "2030-01-02T02:04:05.5Z"
        );
        assert_eq!(
            back["Root"]["Children"]["2"]["Children"]["users"]["Children"]["root"]["Value"],
            "{\"user\":\"root\"}"
        );
        // And in again: the same store.
        let (_d2, env2, v2b) = open();
        let mut w = env2.write_txn().unwrap();
        import(&v2b, &mut w, back.to_string().as_bytes()).unwrap();
        w.commit().unwrap();
        let r2 = env2.read_txn().unwrap();
        assert_eq!(dump(&v2b, &r2).unwrap(), d);
    }

    #[test]
    fn not_etcds_json_is_refused_and_empty_data_brings_nothing() {
        let (_d, env, v2) = open();
        let mut w = env.write_txn().unwrap();
        assert!(import(&v2, &mut w, b"not json").is_err());
        assert_eq!(import(&v2, &mut w, b"").unwrap(), V2Imported::default());
        let bad_time = r#"{"Root":{"Children":{"1":{"Children":{"k":{"ExpireTime":"yesterday","Value":"v","Children":null}}}}},"CurrentIndex":3}"#;
        assert!(import(&v2, &mut w, bad_time.as_bytes()).is_err());
    }
}
