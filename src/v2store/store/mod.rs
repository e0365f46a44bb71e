//! The v2 tree in LMDB (one database, [`crate::storage::schema::V2STORE`], through the
//! length-safe [`KeyMap`]) and the mutations of etcd's `v2store/store.go`, applied only from
//! apply with a replicated [`crate::pb::peer::V2Request`].
//!
//! Layout (keys start with a one-byte kind):
//! - `n` ‖ path (`/a/b`) → postcard [`NodeRecord`] (the root `/` is implicit, never stored);
//! - `e` ‖ expiration (u64 big-endian Unix nanoseconds) ‖ path → empty: the TTL queue
//!   (etcd's `ttlKeyHeap`), oldest first;
//! - `m` ‖ `index` → the store index (u64 big-endian; etcd's `CurrentIndex`);
//! - `a` ‖ path → postcard [`NodeRecord`]: the v2 auth namespace (etcd's `/2`: `/enabled`,
//!   `/users/<name>`, `/roles/<name>` holding etcd's JSON), the same tree rules in a space
//!   user keys cannot reach ([`V2Store::auth_space`]); it shares the store index, as in etcd,
//!   and its events are not published to key watchers.
//!
//! A directory's children are the `n` keys under `path/` one level down: listing scans the
//! subtree in key order (v2 directories are small; etcd itself walks its in-memory tree).
//!
//! Layout: this file holds the records, the key layout and the reads; `write.rs` the
//! mutations applied from the log.
//!
//! Depends on: storage, pb.

mod write;

use heed::{RoTxn, RwTxn};
use serde::{Deserialize, Serialize};

use super::{action, clean_path, code, is_hidden_name, parent_of, Event, NodeExtern, V2Error};
use crate::storage::keymap::{KeyMap, KeyMapError};
use crate::storage::schema;

/// etcd's `minExpireTime` (2000-01-01T00:00:00Z) in Unix nanoseconds: an expiration before it
/// means "permanent".
const MIN_EXPIRE_NS: i64 = 946_684_800 * 1_000_000_000;

const NODE: u8 = b'n';
const AUTH_NODE: u8 = b'a';
const EXPIRY: u8 = b'e';
const INDEX_KEY: &[u8] = b"mindex";
/// Set once etcd's `/0/version` write has been counted ([`V2Store::count_cluster_version`]).
const VERSION_KEY: &[u8] = b"mversion";

/// Storage failures of the v2 store (fatal for apply, as every storage failure).
#[derive(Debug, thiserror::Error)]
pub enum V2StoreError {
    /// LMDB or a keymap bucket failed.
    #[error("v2 store: {0}")]
    KeyMap(#[from] KeyMapError),
    /// LMDB failed.
    #[error("v2 store: {0}")]
    Heed(#[from] heed::Error),
    /// A record does not decode.
    #[error("v2 store: corrupt record: {0}")]
    Decode(String),
}

/// One stored node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeRecord {
    /// A file's value; `None` for a directory.
    pub value: Option<String>,
    /// Index of creation.
    pub created: u64,
    /// Index of the last modification.
    pub modified: u64,
    /// Expiration in Unix nanoseconds; 0 for a permanent node.
    pub expire_ns: i64,
}

impl NodeRecord {
    fn is_dir(&self) -> bool {
        self.value.is_none()
    }

    fn root() -> NodeRecord {
        NodeRecord {
            value: None,
            created: 0,
            modified: 0,
            expire_ns: 0,
        }
    }

    fn expiration(&self) -> Option<i64> {
        (self.expire_ns != 0).then_some(self.expire_ns)
    }
}

/// What one applied v2 request produced: its answer (`Ok(None)` for SYNC) or its error, and
/// the events for the watcher hub (the answer's event, or each expiry of a SYNC).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct V2Applied {
    /// The answer to the proposer.
    pub result: Result<Option<Event>, V2Error>,
    /// Events to publish to watchers, in index order.
    pub events: Vec<Event>,
}

/// The v2 store: a handle on its database. Cheap to copy.
#[derive(Debug, Clone, Copy)]
pub struct V2Store {
    map: KeyMap,
    /// The kind byte of node keys: [`NODE`] for user keys, [`AUTH_NODE`] for the auth space.
    node_kind: u8,
}

fn expiry_key(expire_ns: i64, path: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(path.len() + 9);
    k.push(EXPIRY);
    k.extend_from_slice(&(expire_ns.max(0) as u64).to_be_bytes());
    k.extend_from_slice(path.as_bytes());
    k
}

/// The components' paths of a clean path, top down (`/a/b` → `/a`, `/a/b`).
fn prefixes(path: &str) -> Vec<&str> {
    path.match_indices('/')
        .skip(1)
        .map(|(i, _)| &path[..i])
        .chain((path != "/").then_some(path))
        .collect()
}

type Result2<T> = Result<Result<T, V2Error>, V2StoreError>;

impl V2Store {
    /// A store in a fresh state environment under a temp dir, for unit tests: (dir, env,
    /// store); the dir is removed when dropped.
    #[cfg(test)]
    #[allow(clippy::unwrap_used)]
    pub(crate) fn open_temp() -> (tempfile::TempDir, crate::storage::Env, V2Store) {
        let dir = tempfile::tempdir().unwrap();
        let env = crate::storage::open_env(dir.path(), crate::storage::EnvKind::State).unwrap();
        let store = V2Store::open(&env).unwrap();
        (dir, env, store)
    }

    /// Opens (creating) the store's database in the state environment.
    ///
    /// # Errors
    /// LMDB errors.
    pub fn open(env: &crate::storage::Env) -> Result<V2Store, heed::Error> {
        let db = schema::create_tables(env, |c| {
            c.create::<heed::types::Bytes, heed::types::Bytes>(&schema::V2STORE)
        })?;
        Ok(V2Store {
            map: KeyMap::new(db),
            node_kind: NODE,
        })
    }

    /// The same store seen through its auth namespace (etcd's `/2`): reads and mutations on
    /// it touch only auth nodes.
    pub fn auth_space(&self) -> V2Store {
        V2Store {
            map: self.map,
            node_kind: AUTH_NODE,
        }
    }

    fn node_key(&self, path: &str) -> Vec<u8> {
        let mut k = Vec::with_capacity(path.len() + 1);
        k.push(self.node_kind);
        k.extend_from_slice(path.as_bytes());
        k
    }

    /// The underlying database (statistics).
    pub fn database(&self) -> heed::Database<'static, heed::types::Bytes, heed::types::Bytes> {
        self.map.database()
    }

    /// The store index (etcd's `CurrentIndex`): 0 on a new store.
    ///
    /// # Errors
    /// Storage errors.
    pub fn index(&self, txn: &RoTxn) -> Result<u64, V2StoreError> {
        Ok(match self.map.get(txn, INDEX_KEY)? {
            Some(b) if b.len() == 8 => {
                let mut a = [0u8; 8];
                a.copy_from_slice(&b);
                u64::from_be_bytes(a)
            }
            Some(_) => return Err(V2StoreError::Decode("store index".into())),
            None => 0,
        })
    }

    fn set_index(&self, wtxn: &mut RwTxn, index: u64) -> Result<(), V2StoreError> {
        Ok(self.map.put(wtxn, INDEX_KEY, &index.to_be_bytes())?)
    }

    /// Counts `writes` of etcd's internal `/0` tree: etcd 3.4 keeps membership in its v2 store
    /// too (`/0/members/<id>/raftAttributes` when a member is added, updated or promoted,
    /// `/0/members/<id>/attributes` when it publishes, `/0/removed_members/<id>` and the
    /// deletion of its directory when it is removed, `/0/version`), and each of those writes
    /// advances the store index users see in `X-Etcd-Index`. Users never read `/0`, and here
    /// membership lives in Raft and the member store, so the writes are counted, not stored.
    ///
    /// # Errors
    /// Storage errors.
    pub fn count_internal_writes(&self, wtxn: &mut RwTxn, writes: u64) -> Result<(), V2StoreError> {
        if writes == 0 {
            return Ok(());
        }
        let index = self.index(wtxn)?;
        self.set_index(wtxn, index + writes)
    }

    /// etcd's one write of `/0/version` when the cluster version is first decided (after the
    /// first member published): counted the first time only ([`Self::count_internal_writes`]).
    ///
    /// # Errors
    /// Storage errors.
    pub fn count_cluster_version(&self, wtxn: &mut RwTxn) -> Result<(), V2StoreError> {
        if self.map.get(wtxn, VERSION_KEY)?.is_some() {
            return Ok(());
        }
        self.map.put(wtxn, VERSION_KEY, b"3.4.0")?;
        self.count_internal_writes(wtxn, 1)
    }

    /// The earliest expiration of a TTL node (Unix nanoseconds), if any: the leader proposes a
    /// SYNC once it has passed.
    ///
    /// # Errors
    /// Storage errors.
    pub fn next_expiry(&self, txn: &RoTxn) -> Result<Option<i64>, V2StoreError> {
        let mut first = None;
        let r: Result<(), V2StoreError> = self.map.for_each_prefix(txn, &[EXPIRY], |k, _| {
            if first.is_none() && k.len() >= 9 {
                let mut a = [0u8; 8];
                a.copy_from_slice(&k[1..9]);
                first = Some(u64::from_be_bytes(a) as i64);
            }
            Ok(())
        });
        r?;
        Ok(first)
    }

    fn node(&self, txn: &RoTxn, path: &str) -> Result<Option<NodeRecord>, V2StoreError> {
        if path == "/" {
            return Ok(Some(NodeRecord::root()));
        }
        match self.map.get(txn, &self.node_key(path))? {
            Some(b) => postcard::from_bytes(&b)
                .map(Some)
                .map_err(|e| V2StoreError::Decode(e.to_string())),
            None => Ok(None),
        }
    }

    fn put_node(&self, wtxn: &mut RwTxn, path: &str, rec: &NodeRecord) -> Result<(), V2StoreError> {
        let bytes = postcard::to_stdvec(rec).map_err(|e| V2StoreError::Decode(e.to_string()))?;
        self.map.put(wtxn, &self.node_key(path), &bytes)?;
        if rec.expire_ns != 0 {
            self.map.put(wtxn, &expiry_key(rec.expire_ns, path), &[])?;
        }
        Ok(())
    }

    fn delete_node(
        &self,
        wtxn: &mut RwTxn,
        path: &str,
        rec: &NodeRecord,
    ) -> Result<(), V2StoreError> {
        self.map.delete(wtxn, &self.node_key(path))?;
        if rec.expire_ns != 0 {
            self.map.delete(wtxn, &expiry_key(rec.expire_ns, path))?;
        }
        Ok(())
    }

    /// Every node below `dir` (not `dir` itself), in key order.
    fn descendants(
        &self,
        txn: &RoTxn,
        dir: &str,
    ) -> Result<Vec<(String, NodeRecord)>, V2StoreError> {
        let prefix = if dir == "/" {
            self.node_key("/")
        } else {
            self.node_key(&format!("{dir}/"))
        };
        let mut out = Vec::new();
        self.map
            .for_each_prefix(txn, &prefix, |k, v| -> Result<(), V2StoreError> {
                let path = String::from_utf8_lossy(&k[1..]).into_owned();
                let rec: NodeRecord =
                    postcard::from_bytes(v).map_err(|e| V2StoreError::Decode(e.to_string()))?;
                out.push((path, rec));
                Ok(())
            })?;
        Ok(out)
    }

    fn has_children(&self, txn: &RoTxn, dir: &str) -> Result<bool, V2StoreError> {
        Ok(!self.descendants(txn, dir)?.is_empty())
    }

    /// Removes `path` and everything below it.
    fn remove_subtree(
        &self,
        wtxn: &mut RwTxn,
        path: &str,
        rec: &NodeRecord,
    ) -> Result<(), V2StoreError> {
        if rec.is_dir() {
            for (p, r) in self.descendants(wtxn, path)? {
                self.delete_node(wtxn, &p, &r)?;
            }
        }
        self.delete_node(wtxn, path, rec)
    }

    /// etcd's `internalGet`: the node at `path`, or `104 Not a directory` (a file on the way)
    /// / `100 Key not found` (the first missing component).
    fn internal_get(&self, txn: &RoTxn, path: &str, cur: u64) -> Result2<NodeRecord> {
        let mut rec = NodeRecord::root();
        let mut parent = "/";
        for p in prefixes(path) {
            if !rec.is_dir() {
                return Ok(Err(V2Error::new(code::NOT_DIR, parent, cur)));
            }
            match self.node(txn, p)? {
                Some(r) => rec = r,
                None => return Ok(Err(V2Error::new(code::KEY_NOT_FOUND, p, cur))),
            }
            parent = p;
        }
        Ok(Ok(rec))
    }

    /// etcd's `Repr`: the node alone, or with its (non-hidden) subtree when `recursive`.
    fn repr(
        &self,
        txn: &RoTxn,
        path: &str,
        rec: &NodeRecord,
        recursive: bool,
        sorted: bool,
    ) -> Result<NodeExtern, V2StoreError> {
        let mut n = NodeExtern {
            key: if path == "/" {
                String::new()
            } else {
                path.to_string()
            },
            value: rec.value.clone(),
            dir: rec.is_dir(),
            expiration_ns: rec.expiration(),
            nodes: None,
            modified_index: rec.modified,
            created_index: rec.created,
        };
        if rec.is_dir() && recursive {
            n.nodes = Some(self.list(txn, path, true, sorted)?);
        }
        Ok(n)
    }

    /// The non-hidden children of directory `dir`, each as [`Self::repr`] with `recursive`.
    fn list(
        &self,
        txn: &RoTxn,
        dir: &str,
        recursive: bool,
        _sorted: bool,
    ) -> Result<Vec<NodeExtern>, V2StoreError> {
        let all = self.descendants(txn, dir)?;
        // Build the tree from the flat, key-ordered subtree (children keep LMDB's order,
        // which is the sorted order etcd's `sorted=true` gives).
        fn build(all: &[(String, NodeRecord)], dir: &str, recursive: bool) -> Vec<NodeExtern> {
            let mut out = Vec::new();
            for (p, r) in all {
                if parent_of(p) != dir || is_hidden_name(p) {
                    continue;
                }
                let mut n = NodeExtern {
                    key: p.clone(),
                    value: r.value.clone(),
                    dir: r.is_dir(),
                    expiration_ns: r.expiration(),
                    nodes: None,
                    modified_index: r.modified,
                    created_index: r.created,
                };
                if r.is_dir() && recursive {
                    let below: Vec<(String, NodeRecord)> = all
                        .iter()
                        .filter(|(q, _)| super::is_under(q, p) && q != p)
                        .cloned()
                        .collect();
                    n.nodes = Some(build(&below, p, true));
                }
                out.push(n);
            }
            out.sort_by(|a, b| a.key.cmp(&b.key));
            out
        }
        Ok(build(&all, dir, recursive))
    }

    /// etcd's `Get`: the node at `path` (a directory with its children, all levels when
    /// `recursive`; hidden nodes are not listed), as a `get` event at the current index.
    ///
    /// # Errors
    /// Storage errors; `100` / `104` as values.
    pub fn get(&self, txn: &RoTxn, path: &str, recursive: bool, sorted: bool) -> Result2<Event> {
        let path = clean_path(path);
        let cur = self.index(txn)?;
        let rec = match self.internal_get(txn, &path, cur)? {
            Ok(r) => r,
            Err(e) => {
                crate::observability::metrics().v2_store_read(recursive, false);
                return Ok(Err(e));
            }
        };
        crate::observability::metrics().v2_store_read(recursive, true);
        let mut node = self.repr(txn, &path, &rec, false, sorted)?;
        if rec.is_dir() {
            node.nodes = Some(self.list(txn, &path, recursive, sorted)?);
        }
        Ok(Ok(Event {
            action: action::GET.into(),
            node,
            prev_node: None,
            etcd_index: cur,
            refresh: false,
        }))
    }

    /// Writes one node as given (etcd's v2 store brought in by `apply::etcd_v2store`): no
    /// index change, no event. The parents must be written too.
    ///
    /// # Errors
    /// Storage errors.
    pub(crate) fn import_node(
        &self,
        wtxn: &mut RwTxn,
        path: &str,
        rec: &NodeRecord,
    ) -> Result<(), V2StoreError> {
        self.put_node(wtxn, path, rec)
    }

    /// Sets the store index (etcd's `CurrentIndex`, brought in by `apply::etcd_v2store`).
    ///
    /// # Errors
    /// Storage errors.
    pub(crate) fn import_index(&self, wtxn: &mut RwTxn, index: u64) -> Result<(), V2StoreError> {
        self.set_index(wtxn, index)
    }

    /// Every node of this space (user keys, or the auth space) with its path, parents first,
    /// hidden and expired-but-not-yet-removed ones included (for `apply::etcd_v2store`).
    ///
    /// # Errors
    /// Storage errors.
    pub(crate) fn export_nodes(
        &self,
        txn: &RoTxn,
    ) -> Result<Vec<(String, NodeRecord)>, V2StoreError> {
        self.descendants(txn, "/")
    }
}
