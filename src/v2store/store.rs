//! The v2 tree in LMDB (one database, [`crate::storage::schema::V2STORE`], through the
//! length-safe [`KeyMap`]) and the mutations of etcd's `v2store/store.go`, applied only from
//! apply with a replicated [`V2Request`].
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
//! Depends on: storage, pb.

use heed::{RoTxn, RwTxn};
use serde::{Deserialize, Serialize};

use super::{action, clean_path, code, is_hidden_name, parent_of, Event, NodeExtern, V2Error};
use crate::pb::peer::V2Request;
use crate::storage::keymap::{KeyMap, KeyMapError};
use crate::storage::schema;

/// etcd's `minExpireTime` (2000-01-01T00:00:00Z) in Unix nanoseconds: an expiration before it
/// means "permanent".
const MIN_EXPIRE_NS: i64 = 946_684_800 * 1_000_000_000;

const NODE: u8 = b'n';
const AUTH_NODE: u8 = b'a';
const EXPIRY: u8 = b'e';
const INDEX_KEY: &[u8] = b"mindex";

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

    /// Applies one replicated v2 request (etcd's `applierV2store`): PUT (set, create with
    /// `prevExist=false`, update with `prevExist=true`, compare-and-swap with
    /// `prevValue`/`prevIndex`), POST (in-order create), DELETE (delete, compare-and-delete),
    /// SYNC (expire TTL nodes due at `time`). Deterministic: everything time-dependent is in
    /// the request.
    ///
    /// # Errors
    /// Storage errors only; etcd's request errors are in [`V2Applied::result`].
    pub fn apply(&self, wtxn: &mut RwTxn, r: &V2Request) -> Result<V2Applied, V2StoreError> {
        if r.auth && self.node_kind == NODE {
            // etcd's `/2` writes: same rules, own space, no events for key watchers.
            let mut applied = self.auth_space().apply(wtxn, r)?;
            applied.events.clear();
            return Ok(applied);
        }
        let refresh = r.refresh.unwrap_or(false);
        let expire = r.expiration;
        let with_prev = r.prev_index > 0 || !r.prev_value.is_empty();
        // etcd's write action for the metrics, as its store methods report it.
        let metric_action = match (r.method.as_str(), r.prev_exist) {
            ("POST", _) | ("PUT", Some(false)) => Some("create"),
            ("PUT", Some(true)) if !with_prev => Some("update"),
            ("PUT", _) if with_prev => Some("compareAndSwap"),
            ("PUT", _) => Some("set"),
            ("DELETE", _) if with_prev => Some("compareAndDelete"),
            ("DELETE", _) => Some("delete"),
            _ => None,
        };
        let outcome: Result<Option<Event>, V2Error> = match r.method.as_str() {
            "POST" => self
                .internal_create(
                    wtxn,
                    &r.path,
                    r.dir,
                    &r.val,
                    true,
                    false,
                    expire,
                    action::CREATE,
                )?
                .map(Some),
            "PUT" => match r.prev_exist {
                Some(true) if r.prev_index == 0 && r.prev_value.is_empty() => self
                    .update(wtxn, &r.path, &r.val, expire, refresh)?
                    .map(Some),
                Some(true) => self
                    .cas(
                        wtxn,
                        &r.path,
                        &r.prev_value,
                        r.prev_index,
                        &r.val,
                        expire,
                        refresh,
                    )?
                    .map(Some),
                Some(false) => self
                    .internal_create(
                        wtxn,
                        &r.path,
                        r.dir,
                        &r.val,
                        false,
                        false,
                        expire,
                        action::CREATE,
                    )?
                    .map(Some),
                None if r.prev_index > 0 || !r.prev_value.is_empty() => self
                    .cas(
                        wtxn,
                        &r.path,
                        &r.prev_value,
                        r.prev_index,
                        &r.val,
                        expire,
                        refresh,
                    )?
                    .map(Some),
                None => self
                    .set(wtxn, &r.path, r.dir, &r.val, expire, refresh)?
                    .map(Some),
            },
            "DELETE" if r.prev_index > 0 || !r.prev_value.is_empty() => self
                .cad(wtxn, &r.path, &r.prev_value, r.prev_index)?
                .map(Some),
            "DELETE" => self.delete(wtxn, &r.path, r.dir, r.recursive)?.map(Some),
            "SYNC" => {
                let events = self.delete_expired(wtxn, r.time)?;
                if let Some(c) = crate::observability::metrics()
                    .extra_counter("etcd_debugging_store_expires_total")
                {
                    c.inc_by(events.len() as u64);
                }
                return Ok(V2Applied {
                    result: Ok(None),
                    events,
                });
            }
            _ => Err(V2Error::new(code::RAFT_INTERNAL, "unknown method", 0)),
        };
        if let Some(a) = metric_action {
            crate::observability::metrics().v2_store_write(a, outcome.is_ok());
        }
        let events = match &outcome {
            Ok(Some(e)) => vec![e.clone()],
            _ => Vec::new(),
        };
        Ok(V2Applied {
            result: outcome,
            events,
        })
    }

    fn set(
        &self,
        wtxn: &mut RwTxn,
        path: &str,
        dir: bool,
        value: &str,
        expire: i64,
        refresh: bool,
    ) -> Result2<Event> {
        let path = clean_path(path);
        let cur = self.index(wtxn)?;
        let prev = match self.internal_get(wtxn, &path, cur)? {
            Ok(n) => Some(n),
            Err(e) if e.code == code::KEY_NOT_FOUND && !refresh => None,
            Err(e) => return Ok(Err(e)),
        };
        let value = match (&prev, refresh) {
            (Some(n), true) => n.value.clone().unwrap_or_default(),
            _ => value.to_string(),
        };
        let prev_node = match &prev {
            Some(n) => Some(self.repr(wtxn, &path, n, false, false)?),
            None => None,
        };
        let mut ev = match self.internal_create(
            wtxn,
            &path,
            dir,
            &value,
            false,
            true,
            expire,
            action::SET,
        )? {
            Ok(e) => e,
            Err(e) => return Ok(Err(e)),
        };
        ev.prev_node = prev_node;
        ev.refresh = refresh;
        Ok(Ok(ev))
    }

    #[allow(clippy::too_many_arguments)]
    fn internal_create(
        &self,
        wtxn: &mut RwTxn,
        path: &str,
        dir: bool,
        value: &str,
        unique: bool,
        replace: bool,
        expire: i64,
        act: &str,
    ) -> Result2<Event> {
        let cur = self.index(wtxn)?;
        let next = cur + 1;
        let mut path = path.to_string();
        if unique {
            path = format!("{path}/{next:020}");
        }
        let path = clean_path(&path);
        if path == "/" {
            return Ok(Err(V2Error::new(code::ROOT_RONLY, "/", cur)));
        }
        let expire = if expire < MIN_EXPIRE_NS { 0 } else { expire };
        // etcd's checkDir walk: missing directories on the way are created.
        let parent = parent_of(&path).to_string();
        for p in prefixes(&parent) {
            match self.node(wtxn, p)? {
                Some(r) if r.is_dir() => {}
                Some(_) => return Ok(Err(V2Error::new(code::NOT_DIR, p, cur))),
                None => self.put_node(
                    wtxn,
                    p,
                    &NodeRecord {
                        value: None,
                        created: next,
                        modified: next,
                        expire_ns: 0,
                    },
                )?,
            }
        }
        let mut prev_node = None;
        if let Some(existing) = self.node(wtxn, &path)? {
            if !replace {
                return Ok(Err(V2Error::new(code::NODE_EXIST, path, cur)));
            }
            if existing.is_dir() {
                return Ok(Err(V2Error::new(code::NOT_FILE, path, cur)));
            }
            prev_node = Some(self.repr(wtxn, &path, &existing, false, false)?);
            self.delete_node(wtxn, &path, &existing)?;
        }
        let rec = NodeRecord {
            value: (!dir).then(|| value.to_string()),
            created: next,
            modified: next,
            expire_ns: expire,
        };
        self.put_node(wtxn, &path, &rec)?;
        self.set_index(wtxn, next)?;
        Ok(Ok(Event {
            action: act.to_string(),
            node: NodeExtern {
                key: path,
                value: rec.value.clone(),
                dir,
                expiration_ns: rec.expiration(),
                nodes: None,
                modified_index: next,
                created_index: next,
            },
            prev_node,
            etcd_index: next,
            refresh: false,
        }))
    }

    fn update(
        &self,
        wtxn: &mut RwTxn,
        path: &str,
        value: &str,
        expire: i64,
        refresh: bool,
    ) -> Result2<Event> {
        let path = clean_path(path);
        let cur = self.index(wtxn)?;
        if path == "/" {
            return Ok(Err(V2Error::new(code::ROOT_RONLY, "/", cur)));
        }
        let next = cur + 1;
        let n = match self.internal_get(wtxn, &path, cur)? {
            Ok(n) => n,
            Err(e) => return Ok(Err(e)),
        };
        if n.is_dir() && !value.is_empty() {
            return Ok(Err(V2Error::new(code::NOT_FILE, path, cur)));
        }
        let value = if refresh {
            n.value.clone().unwrap_or_default()
        } else {
            value.to_string()
        };
        let prev_node = self.repr(wtxn, &path, &n, false, false)?;
        let mut rec = n.clone();
        // etcd's node.Write refuses a directory silently: its modified index stays.
        if !rec.is_dir() {
            rec.value = Some(value.clone());
            rec.modified = next;
        }
        rec.expire_ns = expire.max(0);
        self.delete_node(wtxn, &path, &n)?;
        self.put_node(wtxn, &path, &rec)?;
        self.set_index(wtxn, next)?;
        Ok(Ok(Event {
            action: action::UPDATE.into(),
            node: NodeExtern {
                key: path,
                value: (!rec.is_dir()).then_some(value),
                dir: rec.is_dir(),
                expiration_ns: rec.expiration(),
                nodes: None,
                modified_index: next,
                created_index: n.created,
            },
            prev_node: Some(prev_node),
            etcd_index: next,
            refresh,
        }))
    }

    /// etcd's `Compare`: `None` when it matches, else the failure cause.
    fn compare(n: &NodeRecord, prev_value: &str, prev_index: u64) -> Option<String> {
        let value = n.value.clone().unwrap_or_default();
        let index_match = prev_index == 0 || n.modified == prev_index;
        let value_match = prev_value.is_empty() || value == prev_value;
        match (value_match, index_match) {
            (true, true) => None,
            (false, true) => Some(format!("[{prev_value} != {value}]")),
            (true, false) => Some(format!("[{prev_index} != {}]", n.modified)),
            (false, false) => Some(format!(
                "[{prev_value} != {value}] [{prev_index} != {}]",
                n.modified
            )),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn cas(
        &self,
        wtxn: &mut RwTxn,
        path: &str,
        prev_value: &str,
        prev_index: u64,
        value: &str,
        expire: i64,
        refresh: bool,
    ) -> Result2<Event> {
        let path = clean_path(path);
        let cur = self.index(wtxn)?;
        if path == "/" {
            return Ok(Err(V2Error::new(code::ROOT_RONLY, "/", cur)));
        }
        let n = match self.internal_get(wtxn, &path, cur)? {
            Ok(n) => n,
            Err(e) => return Ok(Err(e)),
        };
        if n.is_dir() {
            return Ok(Err(V2Error::new(code::NOT_FILE, path, cur)));
        }
        if let Some(cause) = Self::compare(&n, prev_value, prev_index) {
            return Ok(Err(V2Error::new(code::TEST_FAILED, cause, cur)));
        }
        let value = if refresh {
            n.value.clone().unwrap_or_default()
        } else {
            value.to_string()
        };
        let next = cur + 1;
        let prev_node = self.repr(wtxn, &path, &n, false, false)?;
        let rec = NodeRecord {
            value: Some(value.clone()),
            created: n.created,
            modified: next,
            expire_ns: expire.max(0),
        };
        self.delete_node(wtxn, &path, &n)?;
        self.put_node(wtxn, &path, &rec)?;
        self.set_index(wtxn, next)?;
        Ok(Ok(Event {
            action: action::COMPARE_AND_SWAP.into(),
            node: NodeExtern {
                key: path,
                value: Some(value),
                dir: false,
                expiration_ns: rec.expiration(),
                nodes: None,
                modified_index: next,
                created_index: n.created,
            },
            prev_node: Some(prev_node),
            etcd_index: next,
            refresh,
        }))
    }

    fn delete(&self, wtxn: &mut RwTxn, path: &str, dir: bool, recursive: bool) -> Result2<Event> {
        let path = clean_path(path);
        let cur = self.index(wtxn)?;
        if path == "/" {
            return Ok(Err(V2Error::new(code::ROOT_RONLY, "/", cur)));
        }
        let dir = dir || recursive;
        let n = match self.internal_get(wtxn, &path, cur)? {
            Ok(n) => n,
            Err(e) => return Ok(Err(e)),
        };
        if n.is_dir() {
            if !dir {
                return Ok(Err(V2Error::new(code::NOT_FILE, path, cur)));
            }
            if !recursive && self.has_children(wtxn, &path)? {
                return Ok(Err(V2Error::new(code::DIR_NOT_EMPTY, path, cur)));
            }
        }
        let next = cur + 1;
        let prev_node = self.repr(wtxn, &path, &n, false, false)?;
        self.remove_subtree(wtxn, &path, &n)?;
        self.set_index(wtxn, next)?;
        Ok(Ok(removal_event(action::DELETE, path, &n, next, prev_node)))
    }

    fn cad(
        &self,
        wtxn: &mut RwTxn,
        path: &str,
        prev_value: &str,
        prev_index: u64,
    ) -> Result2<Event> {
        let path = clean_path(path);
        let cur = self.index(wtxn)?;
        let n = match self.internal_get(wtxn, &path, cur)? {
            Ok(n) => n,
            Err(e) => return Ok(Err(e)),
        };
        if n.is_dir() {
            return Ok(Err(V2Error::new(code::NOT_FILE, path, cur)));
        }
        if let Some(cause) = Self::compare(&n, prev_value, prev_index) {
            return Ok(Err(V2Error::new(code::TEST_FAILED, cause, cur)));
        }
        let next = cur + 1;
        let prev_node = self.repr(wtxn, &path, &n, false, false)?;
        self.remove_subtree(wtxn, &path, &n)?;
        self.set_index(wtxn, next)?;
        let mut e = removal_event(action::COMPARE_AND_DELETE, path, &n, next, prev_node);
        e.node.dir = false;
        Ok(Ok(e))
    }

    /// etcd's `DeleteExpiredKeys(cutoff)`: every node expiring at or before `cutoff_ns`
    /// (oldest first) is removed with its subtree, one `expire` event and one index each.
    fn delete_expired(&self, wtxn: &mut RwTxn, cutoff_ns: i64) -> Result<Vec<Event>, V2StoreError> {
        // One pass over the queue (oldest first); a node already removed with an expired
        // directory above it is skipped, and a queue entry whose node is gone (or now has
        // another expiration) is dropped.
        let mut due: Vec<(i64, String)> = Vec::new();
        self.map
            .for_each_prefix(wtxn, &[EXPIRY], |k, _| -> Result<(), V2StoreError> {
                if k.len() >= 9 {
                    let mut a = [0u8; 8];
                    a.copy_from_slice(&k[1..9]);
                    let exp = u64::from_be_bytes(a) as i64;
                    if exp <= cutoff_ns {
                        due.push((exp, String::from_utf8_lossy(&k[9..]).into_owned()));
                    }
                }
                Ok(())
            })?;
        let mut events = Vec::new();
        for (exp, path) in due {
            let n = match self.node(wtxn, &path)? {
                Some(n) if n.expire_ns == exp => n,
                Some(_) | None => {
                    self.map.delete(wtxn, &expiry_key(exp, &path))?;
                    continue;
                }
            };
            let next = self.index(wtxn)? + 1;
            let prev_node = self.repr(wtxn, &path, &n, false, false)?;
            self.remove_subtree(wtxn, &path, &n)?;
            self.set_index(wtxn, next)?;
            events.push(removal_event(action::EXPIRE, path, &n, next, prev_node));
        }
        Ok(events)
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

/// A delete / compareAndDelete / expire event: the node with only its key, indexes and dir
/// flag, and the node before.
fn removal_event(
    act: &str,
    path: String,
    n: &NodeRecord,
    next: u64,
    prev_node: NodeExtern,
) -> Event {
    Event {
        action: act.to_string(),
        node: NodeExtern {
            key: path,
            value: None,
            dir: n.is_dir(),
            expiration_ns: None,
            nodes: None,
            modified_index: next,
            created_index: n.created,
        },
        prev_node: Some(prev_node),
        etcd_index: next,
        refresh: false,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn open() -> (tempfile::TempDir, crate::storage::Env, V2Store) {
        let dir = tempfile::tempdir().unwrap();
        let env = crate::storage::open_env(dir.path(), crate::storage::EnvKind::State).unwrap();
        let s = V2Store::open(&env).unwrap();
        (dir, env, s)
    }

    fn req(method: &str, path: &str, val: &str) -> V2Request {
        V2Request {
            method: method.into(),
            path: path.into(),
            val: val.into(),
            ..Default::default()
        }
    }

    fn run(env: &crate::storage::Env, s: &V2Store, r: V2Request) -> Result<Option<Event>, V2Error> {
        let mut w = env.write_txn().unwrap();
        let out = s.apply(&mut w, &r).unwrap();
        w.commit().unwrap();
        out.result
    }

    fn get(env: &crate::storage::Env, s: &V2Store, p: &str, rec: bool) -> Result<Event, V2Error> {
        let t = env.read_txn().unwrap();
        s.get(&t, p, rec, true).unwrap()
    }

    #[test]
    fn set_get_and_errors_follow_etcd() {
        let (_d, env, s) = open();
        let e = run(&env, &s, req("PUT", "/foo", "bar")).unwrap().unwrap();
        assert_eq!(
            (e.action.as_str(), e.node.modified_index, e.is_created()),
            ("set", 1, true)
        );
        let e = run(&env, &s, req("PUT", "/foo", "baz")).unwrap().unwrap();
        assert_eq!(e.prev_node.unwrap().value.as_deref(), Some("bar"));
        assert_eq!(
            get(&env, &s, "/foo", false).unwrap().node.value.as_deref(),
            Some("baz")
        );
        let err = get(&env, &s, "/nope/x", false).unwrap_err();
        assert_eq!((err.code, err.cause.as_str(), err.index), (100, "/nope", 2));
        assert_eq!(get(&env, &s, "/foo/x", false).unwrap_err().code, 104);
        assert_eq!(run(&env, &s, req("PUT", "/", "x")).unwrap_err().code, 107);
        // create on an existing key, dir over file, delete a dir without dir=true
        let mut c = req("PUT", "/foo", "x");
        c.prev_exist = Some(false);
        assert_eq!(run(&env, &s, c).unwrap_err().code, 105);
        run(&env, &s, req("PUT", "/d/a", "1")).unwrap();
        assert_eq!(run(&env, &s, req("PUT", "/d", "1")).unwrap_err().code, 102);
        assert_eq!(
            run(&env, &s, req("DELETE", "/d", "")).unwrap_err().code,
            102
        );
        let mut d = req("DELETE", "/d", "");
        d.dir = true;
        assert_eq!(run(&env, &s, d.clone()).unwrap_err().code, 108);
        d.recursive = true;
        assert_eq!(run(&env, &s, d).unwrap().unwrap().action, "delete");
        assert_eq!(get(&env, &s, "/d/a", false).unwrap_err().code, 100);
    }

    #[test]
    fn cas_cad_post_and_listing() {
        let (_d, env, s) = open();
        run(&env, &s, req("PUT", "/k", "one")).unwrap();
        let mut cas = req("PUT", "/k", "two");
        cas.prev_value = "nope".into();
        let err = run(&env, &s, cas.clone()).unwrap_err();
        assert_eq!((err.code, err.cause.as_str()), (101, "[nope != one]"));
        cas.prev_value = "one".into();
        assert_eq!(
            run(&env, &s, cas).unwrap().unwrap().action,
            "compareAndSwap"
        );
        let mut cad = req("DELETE", "/k", "");
        cad.prev_index = 9;
        assert_eq!(run(&env, &s, cad).unwrap_err().cause, "[9 != 2]");
        let p = run(&env, &s, req("POST", "/q", "a")).unwrap().unwrap();
        assert_eq!(p.node.key, "/q/00000000000000000003");
        run(&env, &s, req("PUT", "/q/_hidden", "h")).unwrap();
        run(&env, &s, req("PUT", "/q/sub/x", "x")).unwrap();
        let l = get(&env, &s, "/q", false).unwrap();
        let keys: Vec<_> = l
            .node
            .nodes
            .unwrap()
            .into_iter()
            .map(|n| (n.key, n.nodes.is_some()))
            .collect();
        assert_eq!(
            keys,
            vec![
                ("/q/00000000000000000003".into(), false),
                ("/q/sub".into(), false)
            ]
        );
        let r = get(&env, &s, "/", true).unwrap();
        assert_eq!(r.node.key, "");
        let q = &r.node.nodes.unwrap()[1];
        assert_eq!(
            q.nodes.as_ref().unwrap()[1].nodes.as_ref().unwrap()[0].key,
            "/q/sub/x"
        );
    }

    #[test]
    fn sync_expires_due_nodes_only() {
        let (_d, env, s) = open();
        let t0 = MIN_EXPIRE_NS + 1_000_000_000_000;
        let mut r = req("PUT", "/t/a", "1");
        r.expiration = t0 + 5_000_000_000;
        run(&env, &s, r).unwrap();
        let mut dir = req("PUT", "/dirttl", "");
        dir.dir = true;
        dir.expiration = t0 + 1_000_000_000;
        run(&env, &s, dir).unwrap();
        run(&env, &s, req("PUT", "/dirttl/child", "c")).unwrap();
        {
            let t = env.read_txn().unwrap();
            assert_eq!(s.next_expiry(&t).unwrap(), Some(t0 + 1_000_000_000));
        }
        let mut sync = req("SYNC", "", "");
        sync.time = t0 + 2_000_000_000;
        let mut w = env.write_txn().unwrap();
        let out = s.apply(&mut w, &sync).unwrap();
        w.commit().unwrap();
        assert_eq!(out.events.len(), 1);
        assert_eq!(out.events[0].action, "expire");
        assert_eq!(out.events[0].node.modified_index, 4);
        assert_eq!(get(&env, &s, "/dirttl/child", false).unwrap_err().code, 100);
        assert!(get(&env, &s, "/t/a", false).is_ok());
        sync.time = t0 + 5_000_000_000;
        let mut w = env.write_txn().unwrap();
        assert_eq!(s.apply(&mut w, &sync).unwrap().events.len(), 1);
        w.commit().unwrap();
        let t = env.read_txn().unwrap();
        assert_eq!(s.next_expiry(&t).unwrap(), None);
        assert_eq!(s.index(&t).unwrap(), 5);
    }

    #[test]
    fn sync_removes_a_ttl_dir_once_with_its_ttl_child() {
        let (_d, env, s) = open();
        let t0 = MIN_EXPIRE_NS + 1_000_000_000_000;
        let mut dir = req("PUT", "/d", "");
        dir.dir = true;
        dir.expiration = t0;
        run(&env, &s, dir).unwrap();
        let mut child = req("PUT", "/d/c", "v");
        child.expiration = t0 + 1;
        run(&env, &s, child).unwrap();
        let mut sync = req("SYNC", "", "");
        sync.time = t0 + 10;
        let mut w = env.write_txn().unwrap();
        let out = s.apply(&mut w, &sync).unwrap();
        w.commit().unwrap();
        let keys: Vec<_> = out.events.iter().map(|e| e.node.key.as_str()).collect();
        assert_eq!(keys, vec!["/d"]);
        let t = env.read_txn().unwrap();
        assert_eq!(
            (s.next_expiry(&t).unwrap(), s.index(&t).unwrap()),
            (None, 3)
        );
    }

    #[test]
    fn update_refresh_keeps_value() {
        let (_d, env, s) = open();
        run(&env, &s, req("PUT", "/r", "v")).unwrap();
        let mut u = req("PUT", "/r", "");
        u.prev_exist = Some(true);
        u.refresh = Some(true);
        u.expiration = MIN_EXPIRE_NS + 10;
        let e = run(&env, &s, u).unwrap().unwrap();
        assert_eq!(
            (e.action.as_str(), e.node.value.as_deref(), e.refresh),
            ("update", Some("v"), true)
        );
        let mut missing = req("PUT", "/none", "");
        missing.prev_exist = Some(true);
        assert_eq!(run(&env, &s, missing).unwrap_err().code, 100);
    }
}
