//! `etcdctl migrate` (etcd 3.4's `ctlv3/command/migrate_command.go`): offline, on a stopped
//! member's state database, turns the v2 store's keys into v3 keys.
//!
//! etcd replays its WAL into a fresh v2 store; here the v2 store is already applied state in
//! the same LMDB file ([`crate::v2store::store::V2Store`]), so the migration reads it and
//! writes the v3 keys in ONE write transaction (all or nothing). As in etcd:
//! - the nodes are walked as etcd's `Get("/1", recursive, sorted)` lists them (hidden `_`
//!   nodes left out), each as etcd's v2 `NodeExtern` JSON with the `/1` prefix removed
//!   ([`v2_nodes`]); `--no-ttl` drops the nodes that have a TTL ("Do not convert TTL keys");
//! - the default transformer ([`default_transform`]) skips directories and turns each file
//!   node into a key `/path` with its value and version 1; a user transformer (`--transformer`)
//!   gets the JSON nodes on stdin and answers 8-byte little-endian length-prefixed
//!   `mvccpb.KeyValue` messages on stdout (done by the CLI);
//! - the v2 store is left as it is (etcd never writes its v2 store back).
//!
//! Differences from etcd, on purpose (issue 11):
//! - etcd writes each key AT its v2 `modifiedIndex` as revision (bbolt `WriteKV`), which can
//!   overwrite or precede existing v3 history. Here each key is put through the MVCC store at
//!   its own NEW revision after the current one, in `createdIndex` order (then key order), so
//!   the v3 history stays consistent (create = mod revision = that revision; a key already
//!   present in v3 gets a new version). A transformer's revisions only order its keys.
//! - etcd attaches no lease: a TTL key becomes permanent. Here a TTL key (without `--no-ttl`)
//!   is attached to a new lease granted with its remaining TTL (at least 1 s) at migration
//!   time. Lease IDs are deterministic (`0x7632` ‖ createdIndex, the next free one on a
//!   collision), so members migrated one by one from the same state get the same IDs; the
//!   granted TTLs depend on when each member was migrated.
//!
//! Depends on: mvcc, lease, v2store, storage, pb.

use super::state::StateDb;
use super::{kv, lease, ApplyFatal};
use crate::lease::MAX_LEASE_TTL;
use crate::pb::etcdserverpb::{LeaseGrantRequest, PutRequest};
use crate::v2store::NodeExtern;

/// High bits of the lease IDs the migration grants (`"v2"`), below them the node's
/// `createdIndex`.
const LEASE_ID_TAG: i64 = 0x7632 << 48;

/// Failures of a migration.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    /// The state database failed.
    #[error("{0}")]
    Storage(#[from] ApplyFatal),
    /// LMDB failed.
    #[error("{0}")]
    Heed(#[from] heed::Error),
    /// A key could not be written (empty key, or over LMDB's limits).
    #[error("cannot migrate key {key:?}: {reason}")]
    BadKey {
        /// The key, lossily as text.
        key: String,
        /// Why.
        reason: String,
    },
}

/// One v3 key to write: key, value, and the TTL (seconds) of the lease to attach it to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigratedKv {
    /// The v3 key (the v2 path, `/a/b`).
    pub key: Vec<u8>,
    /// The value.
    pub value: Vec<u8>,
    /// Orders the writes (the v2 `createdIndex`, or a transformer's revision).
    pub order: i64,
    /// `Some(ttl)`: grant a lease of `ttl` seconds and attach the key; for the lease ID,
    /// `lease_hint` is tried first.
    pub lease_ttl: Option<i64>,
    /// Preferred lease ID (the node's `createdIndex` under [`LEASE_ID_TAG`]).
    pub lease_hint: i64,
}

/// What a migration wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MigrateSummary {
    /// Keys put.
    pub keys: usize,
    /// Leases granted.
    pub leases: usize,
    /// The store revision afterwards.
    pub revision: i64,
}

/// Every node of the v2 store in etcd's walk order (pre-order, children sorted by key; the
/// root first as `/`), with children lists cleared as etcd's `writeKeys` does; `None` when
/// the store never held a key (etcd: `no v2 keys to migrate`). `no_ttl` drops nodes with a
/// TTL (their children are still walked, as etcd does).
///
/// # Errors
/// Storage errors.
pub fn v2_nodes(db: &StateDb, no_ttl: bool) -> Result<Option<Vec<NodeExtern>>, MigrateError> {
    let rtxn = db.env.read_txn()?;
    let index = db.v2.index(&rtxn).map_err(ApplyFatal::from)?;
    let ev = match db
        .v2
        .get(&rtxn, "/", true, true)
        .map_err(ApplyFatal::from)?
    {
        Ok(ev) => ev,
        Err(_) => return Ok(None),
    };
    let root = ev.node;
    if index == 0 && root.nodes.as_ref().is_none_or(|n| n.is_empty()) {
        return Ok(None);
    }
    fn walk(mut n: NodeExtern, no_ttl: bool, out: &mut Vec<NodeExtern>) {
        let children = n.nodes.take().unwrap_or_default();
        if n.key.is_empty() {
            n.key = "/".into();
        }
        if !no_ttl || n.expiration_ns.is_none() {
            out.push(n);
        }
        for c in children {
            walk(c, no_ttl, out);
        }
    }
    let mut out = Vec::new();
    walk(root, no_ttl, &mut out);
    Ok(Some(out))
}

/// etcd's default transformer: `None` for a directory; a file node becomes its key and
/// value, attached (see the module doc) to a lease of its remaining TTL at `now_ns` (Unix
/// nanoseconds), at least 1 s.
pub fn default_transform(n: &NodeExtern, now_ns: i64) -> Option<MigratedKv> {
    if n.dir {
        return None;
    }
    Some(MigratedKv {
        key: n.key.as_bytes().to_vec(),
        value: n.value.clone().unwrap_or_default().into_bytes(),
        order: i64::try_from(n.created_index).unwrap_or(i64::MAX),
        lease_ttl: n
            .expiration_ns
            .map(|exp| crate::v2store::remaining_ttl(exp, now_ns).clamp(1, MAX_LEASE_TTL)),
        lease_hint: LEASE_ID_TAG | (n.created_index as i64 & ((1 << 48) - 1)),
    })
}

/// Writes `kvs` as v3 keys in ONE write transaction: sorted by `order` then key, each put at
/// its own new revision, TTL keys attached to newly granted leases.
///
/// # Errors
/// Storage errors; [`MigrateError::BadKey`] for a key MVCC refuses (nothing is written then).
pub fn write_keys(db: &StateDb, mut kvs: Vec<MigratedKv>) -> Result<MigrateSummary, MigrateError> {
    kvs.sort_by(|a, b| a.order.cmp(&b.order).then_with(|| a.key.cmp(&b.key)));
    let stores = db.stores();
    let mut wtxn = db.env.write_txn()?;
    let mut summary = MigrateSummary::default();
    for m in kvs {
        if m.key.is_empty() {
            return Err(MigrateError::BadKey {
                key: String::new(),
                reason: "empty key".into(),
            });
        }
        let mut lease_id = 0;
        if let Some(ttl) = m.lease_ttl {
            let mut id = m.lease_hint.max(1);
            while stores
                .leases
                .get(&wtxn, id)
                .map_err(ApplyFatal::from)?
                .is_some()
            {
                id = id.checked_add(1).unwrap_or(1);
            }
            let granted = lease::grant(&stores, &mut wtxn, &LeaseGrantRequest { ttl, id })?;
            if let Err(e) = granted {
                return Err(MigrateError::BadKey {
                    key: String::from_utf8_lossy(&m.key).into_owned(),
                    reason: e.to_string(),
                });
            }
            lease_id = id;
            summary.leases += 1;
        }
        let put = PutRequest {
            key: m.key.clone(),
            value: m.value,
            lease: lease_id,
            ..Default::default()
        };
        let events = match kv::put(&stores.kv, &mut wtxn, &put, &|id| id == lease_id) {
            Ok((_, events)) => events,
            Err(kv::KvApplyError::Storage(s)) => {
                let fatal = ApplyFatal::Mvcc(s);
                if fatal.is_input_caused() {
                    return Err(MigrateError::BadKey {
                        key: String::from_utf8_lossy(&m.key).into_owned(),
                        reason: "key or value too large".into(),
                    });
                }
                return Err(fatal.into());
            }
            Err(other) => {
                return Err(MigrateError::BadKey {
                    key: String::from_utf8_lossy(&m.key).into_owned(),
                    reason: format!("{other:?}"),
                })
            }
        };
        lease::follow_events(&stores, &mut wtxn, &events)?;
        summary.keys += 1;
    }
    summary.revision = stores
        .kv
        .current_revision(&wtxn)
        .map_err(ApplyFatal::from)?;
    wtxn.commit()?;
    Ok(summary)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::lease::LeaseRecord;
    use crate::pb::peer::V2Request;

    fn v2(db: &StateDb, method: &str, path: &str, val: &str, expiration: i64) {
        let mut wtxn = db.env.write_txn().unwrap();
        let r = V2Request {
            method: method.into(),
            path: path.into(),
            val: val.into(),
            expiration,
            ..Default::default()
        };
        db.v2.apply(&mut wtxn, &r).unwrap().result.unwrap();
        wtxn.commit().unwrap();
    }

    fn migrate(db: &StateDb, no_ttl: bool, now_ns: i64) -> MigrateSummary {
        let nodes = v2_nodes(db, no_ttl).unwrap().unwrap();
        let kvs = nodes
            .iter()
            .filter_map(|n| default_transform(n, now_ns))
            .collect();
        write_keys(db, kvs).unwrap()
    }

    /// Files become keys at new revisions in createdIndex order, directories are skipped, a
    /// TTL key gets a lease with its remaining TTL, and the v2 store is left as it was.
    #[test]
    fn files_become_keys_in_created_order_with_leases() {
        let dir = tempfile::tempdir().unwrap();
        let db = StateDb::open(&dir.path().join("db")).unwrap();
        assert!(v2_nodes(&db, false).unwrap().is_none(), "empty store");
        let now = 2_000_000_000 * 1_000_000_000i64;
        v2(&db, "PUT", "/z", "first", 0);
        v2(&db, "PUT", "/dir/a", "1", 0);
        v2(&db, "PUT", "/t", "tv", now + 99_500_000_000);
        v2(&db, "PUT", "/_hidden", "h", 0);
        {
            // A v3 key already there keeps its history: the migrated put is a new version.
            let mut wtxn = db.env.write_txn().unwrap();
            let mut w = db.kv.write(&mut wtxn).unwrap();
            w.put(b"/z", b"v3", 0).unwrap();
            w.end();
            wtxn.commit().unwrap();
        }
        let s = migrate(&db, false, now);
        assert_eq!((s.keys, s.leases, s.revision), (3, 1, 5));
        // Revision 1 is the empty store's, 2 the v3 put; the migrated keys take 3, 4, 5.
        let rtxn = db.env.read_txn().unwrap();
        let z = db.kv.get_at(&rtxn, b"/z", 5).unwrap().unwrap();
        assert_eq!(
            (z.value.as_slice(), z.mod_revision, z.version),
            (&b"first"[..], 3, 2)
        );
        let a = db.kv.get_at(&rtxn, b"/dir/a", 5).unwrap().unwrap();
        assert_eq!(
            (a.create_revision, a.mod_revision, a.version, a.lease),
            (4, 4, 1, 0)
        );
        let t = db.kv.get_at(&rtxn, b"/t", 5).unwrap().unwrap();
        assert_eq!(t.mod_revision, 5);
        assert_eq!(t.lease, LEASE_ID_TAG | 3);
        let l = db.leases.get(&rtxn, t.lease).unwrap().unwrap();
        assert_eq!(l.ttl, 100);
        assert_eq!(
            db.leases.keys(&rtxn, t.lease).unwrap(),
            vec![b"/t".to_vec()]
        );
        assert!(db.kv.get_at(&rtxn, b"/dir", 5).unwrap().is_none());
        assert!(db.kv.get_at(&rtxn, b"/_hidden", 5).unwrap().is_none());
        // The v2 store is untouched.
        let ev = db.v2.get(&rtxn, "/t", false, false).unwrap().unwrap();
        assert_eq!(ev.node.value.as_deref(), Some("tv"));
    }

    /// `--no-ttl` leaves TTL keys out; a lease ID already taken moves to the next free one.
    #[test]
    fn no_ttl_skips_ttl_keys_and_lease_ids_avoid_collisions() {
        let dir = tempfile::tempdir().unwrap();
        let db = StateDb::open(&dir.path().join("db")).unwrap();
        let now = 2_000_000_000 * 1_000_000_000i64;
        v2(&db, "PUT", "/t", "tv", now + 5_000_000_000);
        v2(&db, "PUT", "/p", "pv", 0);
        let nodes = v2_nodes(&db, true).unwrap().unwrap();
        let keys: Vec<&str> = nodes.iter().map(|n| n.key.as_str()).collect();
        assert_eq!(keys, vec!["/", "/p"]);
        {
            let mut wtxn = db.env.write_txn().unwrap();
            db.leases
                .put(
                    &mut wtxn,
                    &LeaseRecord {
                        id: LEASE_ID_TAG | 1,
                        ttl: 10,
                    },
                )
                .unwrap();
            wtxn.commit().unwrap();
        }
        let s = migrate(&db, false, now);
        assert_eq!((s.keys, s.leases), (2, 1));
        let rtxn = db.env.read_txn().unwrap();
        let t = db.kv.get_at(&rtxn, b"/t", s.revision).unwrap().unwrap();
        assert_eq!(t.lease, LEASE_ID_TAG | 2);
    }
}
