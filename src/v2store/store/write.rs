//! The mutations of etcd's `v2store/store.go` (set, create, update, compare-and-swap,
//! delete, compare-and-delete, TTL expiry), applied only from apply with a replicated
//! [`V2Request`]. Each advances the store index by one, as etcd's `CurrentIndex`.

use heed::RwTxn;

use super::{
    expiry_key, prefixes, NodeRecord, Result2, V2Applied, V2Store, V2StoreError, EXPIRY,
    MIN_EXPIRE_NS, NODE,
};
use crate::pb::peer::V2Request;
use crate::v2store::{action, clean_path, code, parent_of, Event, NodeExtern, V2Error};

impl V2Store {
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
        V2Store::open_temp()
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
