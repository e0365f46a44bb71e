//! Export of the replicated state as etcd 3.4's backend: one bbolt database with etcd's
//! buckets and encodings, written from ONE LMDB read transaction (so it is consistent at one
//! revision while writes go on), streamed through [`crate::storage::etcd::bbolt::Writer`]
//! (memory: a page per tree level; the `key` database is never collected).
//!
//! Buckets, in bbolt's (byte) order, as etcd 3.4.23 writes them:
//! - `alarm`: `AlarmMember` protobuf → empty (`etcdserver/api/v3alarm`);
//! - `auth`: `authEnabled` → `[1]` (only once enabled; ours keeps `[0]` after a disable as
//!   "not enabled"), `authRevision` → 8-byte big-endian (`auth/store.go`);
//! - `authRoles` / `authUsers`: name → `authpb.Role` / `authpb.User` protobuf;
//! - `cluster`: `clusterVersion` → `3.4.0` (`membership/store.go`);
//! - `key`: our `key` database verbatim (etcd's 17-byte revision keys, `t` for tombstones,
//!   `mvccpb.KeyValue` values), without our CRC-32C seals;
//! - `lease`: 8-byte big-endian ID → `leasepb.Lease{ID, TTL}`;
//! - `members`: hex ID → etcd's member JSON (`{"id","peerURLs","name","clientURLs"}`),
//!   `members_removed`: hex ID → `removed` for every member removed so far (our
//!   `raft/members_removed` set);
//! - `meta`: `consistent_index` → 8-byte big-endian applied index, and when compacted
//!   `finishedCompactRev` / `scheduledCompactRev` → the compact revision as etcd's revision
//!   bytes (`mvcc/kvstore.go`).
//!
//! Depends on: mvcc, lease, auth, storage (bbolt), pb; apply's own alarm store.

use std::fs::File;

use heed::RoTxn;
use prost::Message;

use super::Stores;
use crate::storage::etcd::bbolt::{BoltError, Writer};

/// The cluster version etcd 3.4 records in the `cluster` bucket.
pub(crate) const CLUSTER_VERSION: &str = "3.4.0";

/// A member as etcd's `members` bucket holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EtcdMember {
    /// Member ID.
    pub id: u64,
    /// `--name` (empty until the member publishes it).
    pub name: String,
    /// Peer URLs.
    pub peer_urls: Vec<String>,
    /// Client URLs (empty until published).
    pub client_urls: Vec<String>,
    /// A learner (etcd 3.4's `isLearner`).
    pub is_learner: bool,
}

/// What the export needs besides the stores: Raft-side facts the state database does not
/// hold in etcd's shape.
#[derive(Debug, Clone, Default)]
pub(crate) struct ExportInfo {
    /// The last applied Raft index (etcd's consistent index).
    pub consistent_index: u64,
    /// The cluster's members.
    pub members: Vec<EtcdMember>,
    /// The IDs of the members removed so far (etcd's `members_removed`), sorted.
    pub removed: Vec<u64>,
}

/// Failures of the export: reading a store or writing the file.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ExportError {
    /// Writing the bbolt file.
    #[error("writing etcd backend: {0}")]
    Bolt(#[from] BoltError),
    /// Reading the MVCC store.
    #[error(transparent)]
    Mvcc(#[from] crate::mvcc::MvccError),
    /// Reading the lease table.
    #[error(transparent)]
    Lease(#[from] crate::lease::LeaseError),
    /// Reading the auth store.
    #[error(transparent)]
    Auth(#[from] crate::auth::AuthStorageError),
    /// Reading the alarms.
    #[error(transparent)]
    Alarm(#[from] crate::alarm::AlarmStoreError),
    /// Reading the members' published attributes.
    #[error(transparent)]
    Members(#[from] crate::membership::store::MemberStoreError),
}

/// The cluster's members as etcd's `members` bucket holds them: `nodes` are the Raft
/// membership's `(member ID, member, is learner)`; a member's published attributes (name,
/// client URLs, in the `members` store) win over the ones it joined with.
///
/// # Errors
/// Reading the `members` store.
pub(crate) fn etcd_members(
    stores: &Stores,
    rtxn: &RoTxn,
    nodes: impl IntoIterator<Item = (u64, crate::membership::Member, bool)>,
) -> Result<Vec<EtcdMember>, ExportError> {
    let mut members = Vec::new();
    for (id, node, is_learner) in nodes {
        let (name, client_urls) = match stores.members.get(rtxn, id)? {
            Some(a) => (a.name, a.client_urls),
            None => (node.name, node.client_urls),
        };
        members.push(EtcdMember {
            id,
            name,
            peer_urls: node.peer_urls,
            client_urls,
            is_learner,
        });
    }
    Ok(members)
}

/// etcd's revision bytes of `{main, sub: 0}`: 8-byte big-endian main, `_`, 8-byte big-endian 0.
fn rev_bytes(main: i64) -> Vec<u8> {
    let mut b = main.to_be_bytes().to_vec();
    b.push(b'_');
    b.extend_from_slice(&0i64.to_be_bytes());
    b
}

/// etcd's JSON of a member (`membership.Member`: `id`, then `RaftAttributes` (`peerURLs`,
/// nil as `null`; `isLearner` omitted when false), then `Attributes` (`name`, `clientURLs`,
/// both omitted when empty).
fn member_json(m: &EtcdMember) -> String {
    let mut s = format!("{{\"id\":{},\"peerURLs\":", m.id);
    if m.peer_urls.is_empty() {
        s.push_str("null");
    } else {
        s.push_str(&serde_json::Value::from(m.peer_urls.clone()).to_string());
    }
    if m.is_learner {
        s.push_str(",\"isLearner\":true");
    }
    if !m.name.is_empty() {
        s.push_str(",\"name\":");
        s.push_str(&serde_json::Value::from(m.name.as_str()).to_string());
    }
    if !m.client_urls.is_empty() {
        s.push_str(",\"clientURLs\":");
        s.push_str(&serde_json::Value::from(m.client_urls.clone()).to_string());
    }
    s.push('}');
    s
}

/// Writes the state visible in `txn` into `file` (truncated) as an etcd 3.4 backend; returns
/// the synced file (no sha256 trailer: add
/// [`crate::storage::etcd::bbolt::append_sha256_trailer`] for a snapshot).
///
/// # Errors
/// Store read errors (including damaged records: nothing damaged is exported) and I/O.
pub(crate) fn export(
    stores: &Stores,
    txn: &RoTxn,
    info: &ExportInfo,
    file: File,
) -> Result<File, ExportError> {
    let mut w = Writer::new(file)?;

    let mut alarms: Vec<Vec<u8>> = stores
        .alarms
        .list(txn)?
        .iter()
        .map(Message::encode_to_vec)
        .collect();
    alarms.sort();
    alarms.dedup();
    w.begin_bucket(b"alarm")?;
    for a in &alarms {
        w.put(a, b"")?;
    }
    w.end_bucket()?;

    w.begin_bucket(b"auth")?;
    if stores.auth.is_enabled(txn)? {
        w.put(b"authEnabled", &[1])?;
    }
    w.put(b"authRevision", &stores.auth.revision(txn)?.to_be_bytes())?;
    w.end_bucket()?;

    w.begin_bucket(b"authRoles")?;
    for name in stores.auth.role_names(txn)? {
        if let Some(role) = stores.auth.role(txn, &name)? {
            w.put(&name, &role.encode_to_vec())?;
        }
    }
    w.end_bucket()?;

    w.begin_bucket(b"authUsers")?;
    for name in stores.auth.user_names(txn)? {
        if let Some(user) = stores.auth.user(txn, &name)? {
            w.put(&name, &user.encode_to_vec())?;
        }
    }
    w.end_bucket()?;

    w.begin_bucket(b"cluster")?;
    w.put(b"clusterVersion", CLUSTER_VERSION.as_bytes())?;
    w.end_bucket()?;

    w.begin_bucket(b"key")?;
    stores
        .kv
        .for_each_record(txn, |k, v| -> Result<(), ExportError> { Ok(w.put(k, v)?) })?;
    w.end_bucket()?;

    let mut leases: Vec<([u8; 8], Vec<u8>)> = stores
        .leases
        .list(txn)?
        .iter()
        .map(|l| (l.id.to_be_bytes(), l.encode_to_vec()))
        .collect();
    leases.sort();
    w.begin_bucket(b"lease")?;
    for (id, lease) in &leases {
        w.put(id, lease)?;
    }
    w.end_bucket()?;

    let mut members: Vec<(Vec<u8>, String)> = info
        .members
        .iter()
        .map(|m| (format!("{:x}", m.id).into_bytes(), member_json(m)))
        .collect();
    members.sort();
    members.dedup_by(|a, b| a.0 == b.0);
    w.begin_bucket(b"members")?;
    for (id, json) in &members {
        w.put(id, json.as_bytes())?;
    }
    w.end_bucket()?;
    // Sorted by key bytes (bbolt's order): hex IDs of different lengths do not sort as
    // numbers.
    let mut removed: Vec<Vec<u8>> = info
        .removed
        .iter()
        .map(|id| format!("{id:x}").into_bytes())
        .collect();
    removed.sort();
    removed.dedup();
    w.begin_bucket(b"members_removed")?;
    for id in &removed {
        w.put(id, b"removed")?;
    }
    w.end_bucket()?;

    w.begin_bucket(b"meta")?;
    w.put(b"consistent_index", &info.consistent_index.to_be_bytes())?;
    let compact = stores.kv.compact_revision(txn)?;
    if compact >= 0 {
        w.put(b"finishedCompactRev", &rev_bytes(compact))?;
        w.put(b"scheduledCompactRev", &rev_bytes(compact))?;
    }
    w.end_bucket()?;

    Ok(w.finish()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_json_is_etcds() {
        let m = EtcdMember {
            id: 13_668_033_151_171_901_709,
            name: "default".into(),
            peer_urls: vec!["http://127.0.0.1:23801".into()],
            client_urls: vec!["http://127.0.0.1:23791".into()],
            is_learner: false,
        };
        // Copied from the `members` bucket of etcd 3.4.23's snapshot (storage/etcd/testdata).
        assert_eq!(
            member_json(&m),
            "{\"id\":13668033151171901709,\"peerURLs\":[\"http://127.0.0.1:23801\"],\
             \"name\":\"default\",\"clientURLs\":[\"http://127.0.0.1:23791\"]}"
        );
        let unstarted = EtcdMember {
            name: String::new(),
            client_urls: vec![],
            is_learner: true,
            ..m
        };
        assert_eq!(
            member_json(&unstarted),
            "{\"id\":13668033151171901709,\"peerURLs\":[\"http://127.0.0.1:23801\"],\
             \"isLearner\":true}"
        );
        assert_eq!(rev_bytes(100)[..9], [0, 0, 0, 0, 0, 0, 0, 100, b'_']);
    }
}
