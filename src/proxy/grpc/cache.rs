//! The proxy's range cache (etcd's `grpcproxy/cache`): an LRU of [`DEFAULT_MAX_ENTRIES`]
//! range responses keyed by the encoded request (serializable flag set, so a linearizable
//! read's answer can serve later serializable ones). Only serializable requests are answered
//! from it. Writes through the proxy invalidate every cached range they overlap; a compaction
//! through the proxy makes requests for revisions below it fail with `ErrCompacted`.
//!
//! Keys here are inside the namespace (the cache sits between the namespace and the cluster).

use std::collections::{BTreeMap, HashMap};

use prost::Message;

use crate::keys::KeyRange;
use crate::pb::etcdserverpb::{RangeRequest, RangeResponse};

/// etcd's `cache.DefaultMaxEntries`.
pub const DEFAULT_MAX_ENTRIES: usize = 2048;

/// A cache lookup that must fail: the request asks for a revision below the compaction.
#[derive(Debug, PartialEq, Eq)]
pub struct Compacted;

/// One cached response and the range it covers.
#[derive(Debug)]
struct Entry {
    key: Vec<u8>,
    range_end: Vec<u8>,
    /// The request's revision (0: the latest).
    revision: i64,
    resp: RangeResponse,
    /// Position in the recency order.
    tick: u64,
}

/// The LRU range cache.
#[derive(Debug)]
pub struct RangeCache {
    max: usize,
    entries: HashMap<Vec<u8>, Entry>,
    /// tick → encoded request, oldest first.
    order: BTreeMap<u64, Vec<u8>>,
    next_tick: u64,
    compacted_rev: i64,
}

/// The cache key of `req` asked with auth `token` (empty: none): the token, a NUL, then the
/// request's encoding with `serializable` set. The token is part of the key (etcd keys by
/// the request only), so a client never gets an answer read with another user's rights.
fn cache_key(req: &RangeRequest, token: &[u8]) -> Vec<u8> {
    let mut r = req.clone();
    r.serializable = true;
    let mut k = token.to_vec();
    k.push(0);
    k.extend_from_slice(&r.encode_to_vec());
    k
}

/// Whether `[a, a_end)` and `[b, b_end)` overlap, each pair read as etcd reads a request's
/// `key` / `range_end` ([`KeyRange`]).
fn overlaps(a: &[u8], a_end: &[u8], b: &[u8], b_end: &[u8]) -> bool {
    KeyRange::new(a, a_end)
        .to_interval()
        .overlaps(&KeyRange::new(b, b_end).to_interval())
}

impl Default for RangeCache {
    fn default() -> Self {
        RangeCache::new(DEFAULT_MAX_ENTRIES)
    }
}

impl RangeCache {
    /// An empty cache of at most `max` entries.
    pub fn new(max: usize) -> Self {
        RangeCache {
            max: max.max(1),
            entries: HashMap::new(),
            order: BTreeMap::new(),
            next_tick: 0,
            compacted_rev: -1,
        }
    }

    /// Cached responses.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// The cached answer of `req` asked with `token` (the caller checks that it is serializable).
    ///
    /// # Errors
    /// [`Compacted`] when `req` asks for a revision below the last compaction seen.
    pub fn get(
        &mut self,
        req: &RangeRequest,
        token: &[u8],
    ) -> Result<Option<RangeResponse>, Compacted> {
        let key = cache_key(req, token);
        if req.revision > 0 && req.revision < self.compacted_rev {
            self.remove(&key);
            return Err(Compacted);
        }
        let tick = self.next_tick;
        let Some(e) = self.entries.get_mut(&key) else {
            return Ok(None);
        };
        self.order.remove(&e.tick);
        e.tick = tick;
        self.order.insert(tick, key);
        self.next_tick += 1;
        Ok(Some(e.resp.clone()))
    }

    /// Caches `resp` as the answer of `req` asked with `token` (not when it asks for a compacted revision),
    /// evicting the least recently used entry when full.
    pub fn add(&mut self, req: &RangeRequest, token: &[u8], resp: &RangeResponse) {
        if req.revision != 0 && req.revision <= self.compacted_rev {
            return;
        }
        let key = cache_key(req, token);
        self.remove(&key);
        while self.entries.len() >= self.max {
            let Some((_, oldest)) = self.order.pop_first() else {
                break;
            };
            self.entries.remove(&oldest);
        }
        let tick = self.next_tick;
        self.next_tick += 1;
        self.order.insert(tick, key.clone());
        self.entries.insert(
            key,
            Entry {
                key: req.key.clone(),
                range_end: req.range_end.clone(),
                revision: req.revision,
                resp: resp.clone(),
                tick,
            },
        );
    }

    fn remove(&mut self, key: &[u8]) {
        if let Some(e) = self.entries.remove(key) {
            self.order.remove(&e.tick);
        }
    }

    /// Drops every entry whose range overlaps `[key, range_end)` (a write went through).
    pub fn invalidate(&mut self, key: &[u8], range_end: &[u8]) {
        let stale: Vec<Vec<u8>> = self
            .entries
            .iter()
            .filter(|(_, e)| overlaps(&e.key, &e.range_end, key, range_end))
            .map(|(k, _)| k.clone())
            .collect();
        for k in stale {
            self.remove(&k);
        }
    }

    /// Records a compaction at `revision`: cached answers for older revisions are dropped
    /// and later requests for them fail.
    pub fn compact(&mut self, revision: i64) {
        if revision > self.compacted_rev {
            self.compacted_rev = revision;
        }
        let stale: Vec<Vec<u8>> = self
            .entries
            .iter()
            .filter(|(_, e)| e.revision != 0 && e.revision < revision)
            .map(|(k, _)| k.clone())
            .collect();
        for k in stale {
            self.remove(&k);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn req(key: &str, end: &str, rev: i64) -> RangeRequest {
        RangeRequest {
            key: key.into(),
            range_end: end.into(),
            revision: rev,
            serializable: true,
            ..Default::default()
        }
    }

    fn resp(count: i64) -> RangeResponse {
        RangeResponse {
            count,
            ..Default::default()
        }
    }

    #[test]
    fn linearizable_answers_serve_serializable_requests() {
        let mut c = RangeCache::default();
        let mut lin = req("a", "", 0);
        lin.serializable = false;
        c.add(&lin, b"", &resp(1));
        assert_eq!(c.get(&req("a", "", 0), b"").unwrap().unwrap().count, 1);
    }

    #[test]
    fn writes_invalidate_overlapping_ranges_only() {
        let mut c = RangeCache::default();
        c.add(&req("a", "", 0), b"", &resp(1));
        c.add(&req("b", "d", 0), b"", &resp(2));
        c.add(&req("x", "y", 0), b"", &resp(3));
        c.invalidate(b"c", b"");
        assert!(c.get(&req("b", "d", 0), b"").unwrap().is_none());
        assert!(c.get(&req("a", "", 0), b"").unwrap().is_some());
        c.invalidate(b"zzz", b"");
        assert!(c.get(&req("x", "y", 0), b"").unwrap().is_some());
        let mut all = req("x", "", 0);
        all.range_end = vec![0];
        c.add(&all, b"", &resp(4));
        c.invalidate(b"zzz", b"");
        assert!(c.get(&all, b"").unwrap().is_none());
        c.invalidate(b"", &[0]);
        assert_eq!(c.len(), 0);
    }

    #[test]
    fn compaction_drops_older_revisions_and_refuses_them() {
        let mut c = RangeCache::default();
        c.add(&req("a", "", 3), b"", &resp(1));
        c.add(&req("a", "", 9), b"", &resp(2));
        c.add(&req("a", "", 0), b"", &resp(3));
        c.compact(5);
        assert_eq!(c.len(), 2);
        assert_eq!(c.get(&req("a", "", 3), b""), Err(Compacted));
        assert!(c.get(&req("a", "", 9), b"").unwrap().is_some());
        c.add(&req("a", "", 4), b"", &resp(1));
        assert_eq!(c.len(), 2);
    }

    #[test]
    fn answers_are_kept_per_token() {
        let mut c = RangeCache::default();
        c.add(&req("a", "", 0), b"root-token", &resp(1));
        assert!(c.get(&req("a", "", 0), b"other").unwrap().is_none());
        assert!(c.get(&req("a", "", 0), b"").unwrap().is_none());
        assert!(c.get(&req("a", "", 0), b"root-token").unwrap().is_some());
    }

    #[test]
    fn least_recently_used_is_evicted() {
        let mut c = RangeCache::new(2);
        c.add(&req("a", "", 0), b"", &resp(1));
        c.add(&req("b", "", 0), b"", &resp(2));
        c.get(&req("a", "", 0), b"").unwrap();
        c.add(&req("c", "", 0), b"", &resp(3));
        assert!(c.get(&req("b", "", 0), b"").unwrap().is_none());
        assert!(c.get(&req("a", "", 0), b"").unwrap().is_some());
        assert_eq!(c.len(), 2);
    }
}
