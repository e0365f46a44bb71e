//! Watchers over the MVCC store, as etcd's `mvcc/watchable_store.go`: **synced** watchers
//! are caught up and receive each applied batch as it is published; **unsynced** watchers
//! (a past start revision, or a slow reader whose channel was full: etcd's *victims*)
//! are caught up from the `key` database by a background pass, then rejoin the synced set.
//!
//! Apply never blocks on a watcher: delivery uses `try_send` on each stream's bounded
//! channel, and a full channel turns the watcher into an unsynced one that resumes from
//! the first revision it missed. Memory per stream is bounded by its channel capacity and
//! by [`CATCH_UP_MAX_EVENTS`] per catch-up response.
//!
//! A watcher whose next revision is below the compaction revision receives etcd's in-band answer
//! (`compact_revision` set, `canceled`) and is removed.
//!
//! Depends on: the MVCC store (reads), pb, tokio channels. No tonic, no openraft.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;

use super::{KvStore, MvccError};
use crate::keys::KeyRange;
use crate::pb::etcdserverpb::{ResponseHeader, WatchResponse};
use crate::pb::mvccpb::{event::EventType, Event};

/// Most events one catch-up response carries (etcd's `watchBatchMaxRevs` bounds revisions;
/// we bound events, which bounds memory directly).
pub const CATCH_UP_MAX_EVENTS: usize = 1000;

/// The work a [`KvSource`] runs on one read transaction.
pub type ReadFn<'a> =
    dyn FnMut(&heed::RoTxn<'_, heed::WithoutTls>, &KvStore) -> Result<(), MvccError> + 'a;

/// Read access to the MVCC store for the hub's catch-up passes.
///
/// The hub holds no environment of its own: online defragmentation swaps the state
/// environment, and every `Env` handle must be dropped for that. An implementation opens a
/// read transaction on the *current* environment, runs `f` and drops both before
/// returning (the server's implementation holds its backend read guard meanwhile, so a
/// defragmentation waits for the pass to end).
pub trait KvSource: Send + Sync {
    /// Runs `f` on a read transaction of the current environment and its [`KvStore`].
    ///
    /// # Errors
    /// Storage errors opening the transaction, or `f`'s error.
    fn with_read(&self, f: &mut ReadFn<'_>) -> Result<(), MvccError>;
}

/// Time one catch-up pass may spend before yielding (it resumes right away when watchers
/// remain unsynced).
pub const CATCH_UP_PASS_BUDGET: std::time::Duration = std::time::Duration::from_millis(50);

/// A watcher's options.
#[derive(Debug, Clone)]
pub struct WatcherSpec {
    /// Client-visible watch ID (unique within its stream).
    pub watch_id: i64,
    /// Keys observed.
    pub range: KeyRange,
    /// Drop PUT events (filter NOPUT).
    pub no_put: bool,
    /// Drop DELETE events (filter NODELETE).
    pub no_delete: bool,
    /// Include the previous key-value in events.
    pub prev_kv: bool,
    /// Send periodic progress notifications when idle.
    pub progress_notify: bool,
}

impl WatcherSpec {
    fn wants(&self, ev: &Event) -> bool {
        let Some(kv) = &ev.kv else { return false };
        if !self.range.contains(&kv.key) {
            return false;
        }
        let is_put = ev.r#type == EventType::Put as i32;
        !(is_put && self.no_put || !is_put && self.no_delete)
    }

    fn shape(&self, ev: &Event) -> Event {
        let mut e = ev.clone();
        if !self.prev_kv {
            e.prev_kv = None;
        }
        e
    }
}

/// A globally unique handle for a registered watcher.
pub type WatcherKey = u64;

struct Watcher {
    spec: WatcherSpec,
    /// Smallest revision of an event not yet delivered.
    next_rev: i64,
    tx: mpsc::Sender<WatchResponse>,
    /// Whether anything was sent since the last progress tick.
    sent_since_tick: bool,
}

#[derive(Default)]
struct Groups {
    next_key: WatcherKey,
    /// Latest published store revision.
    current_rev: i64,
    synced: HashMap<WatcherKey, Watcher>,
    unsynced: HashMap<WatcherKey, Watcher>,
}

/// The locked watcher groups; on unlock the watcher gauges follow them (etcd's
/// `etcd_debugging_mvcc_watcher_total`, and `etcd_debugging_mvcc_slow_watcher_total` for the
/// unsynced ones).
struct GroupsGuard<'a>(std::sync::MutexGuard<'a, Groups>);

impl std::ops::Deref for GroupsGuard<'_> {
    type Target = Groups;
    fn deref(&self) -> &Groups {
        &self.0
    }
}

impl std::ops::DerefMut for GroupsGuard<'_> {
    fn deref_mut(&mut self) -> &mut Groups {
        &mut self.0
    }
}

impl Drop for GroupsGuard<'_> {
    fn drop(&mut self) {
        let m = crate::observability::metrics();
        let (synced, unsynced) = (self.0.synced.len(), self.0.unsynced.len());
        m.set_gauge(
            "etcd_debugging_mvcc_watcher_total",
            (synced + unsynced) as f64,
        );
        m.set_gauge("etcd_debugging_mvcc_slow_watcher_total", unsynced as f64);
    }
}

/// etcd's `etcd_debugging_mvcc_events_total`: events handed to watchers.
fn count_events_sent(n: u64) {
    if let Some(c) =
        crate::observability::metrics().extra_counter("etcd_debugging_mvcc_events_total")
    {
        c.inc_by(n);
    }
}

/// Header fields the hub cannot know (cluster, member, term), supplied by the server.
pub type HeaderFn = Arc<dyn Fn(i64) -> ResponseHeader + Send + Sync>;

/// The watch hub of one member.
pub struct WatchableStore {
    source: Arc<dyn KvSource>,
    groups: Mutex<Groups>,
    header: Mutex<Option<HeaderFn>>,
    wake: tokio::sync::Notify,
}

impl WatchableStore {
    /// A hub over the store read through `source`, at `current_rev`.
    pub fn new(source: Arc<dyn KvSource>, current_rev: i64) -> Arc<WatchableStore> {
        let groups = Groups {
            current_rev,
            ..Default::default()
        };
        Arc::new(WatchableStore {
            source,
            groups: Mutex::new(groups),
            header: Mutex::new(None),
            wake: tokio::sync::Notify::new(),
        })
    }

    fn lock(&self) -> GroupsGuard<'_> {
        GroupsGuard(match self.groups.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        })
    }

    /// Sets how response headers are filled (cluster ID, member ID, term).
    pub fn set_header_fn(&self, f: HeaderFn) {
        if let Ok(mut h) = self.header.lock() {
            *h = Some(f);
        }
    }

    fn header(&self, rev: i64) -> ResponseHeader {
        match self.header.lock().ok().and_then(|h| h.clone()) {
            Some(f) => f(rev),
            None => ResponseHeader {
                revision: rev,
                ..Default::default()
            },
        }
    }

    /// The latest published revision.
    pub fn current_revision(&self) -> i64 {
        self.lock().current_rev
    }

    /// Registers a watcher whose first event may have revision `start_rev` (already
    /// resolved: etcd's "0 means current + 1" is the caller's job). Returns its key.
    pub fn watch(
        &self,
        spec: WatcherSpec,
        start_rev: i64,
        tx: mpsc::Sender<WatchResponse>,
    ) -> WatcherKey {
        let mut g = self.lock();
        let key = g.next_key;
        g.next_key += 1;
        let w = Watcher {
            spec,
            next_rev: start_rev,
            tx,
            sent_since_tick: false,
        };
        if start_rev > g.current_rev {
            g.synced.insert(key, w);
        } else {
            g.unsynced.insert(key, w);
            drop(g);
            self.wake.notify_one();
        }
        key
    }

    /// Removes a watcher; true if it existed.
    pub fn cancel(&self, key: WatcherKey) -> bool {
        let mut g = self.lock();
        g.synced.remove(&key).is_some() || g.unsynced.remove(&key).is_some()
    }

    /// Number of registered watchers (synced, unsynced).
    #[cfg(test)]
    pub fn counts(&self) -> (usize, usize) {
        let g = self.lock();
        (g.synced.len(), g.unsynced.len())
    }

    /// Publishes an applied batch: called by the state machine after each commit, in
    /// order. Never blocks.
    pub fn notify(&self, revision: i64, events: &[Event]) {
        let header = self.header(revision);
        let mut g = self.lock();
        g.current_rev = g.current_rev.max(revision);
        let mut victims = Vec::new();
        let mut closed = Vec::new();
        let mut sent_total = 0u64;
        for (key, w) in g.synced.iter_mut() {
            let evs: Vec<Event> = events
                .iter()
                .filter(|e| {
                    e.kv.as_ref()
                        .is_some_and(|kv| kv.mod_revision >= w.next_rev)
                        && w.spec.wants(e)
                })
                .map(|e| w.spec.shape(e))
                .collect();
            if evs.is_empty() {
                w.next_rev = w.next_rev.max(revision + 1);
                continue;
            }
            let first = evs[0]
                .kv
                .as_ref()
                .map(|k| k.mod_revision)
                .unwrap_or(revision);
            let sent = evs.len() as u64;
            let resp = WatchResponse {
                header: Some(header),
                watch_id: w.spec.watch_id,
                events: evs,
                ..Default::default()
            };
            match w.tx.try_send(resp) {
                Ok(()) => {
                    sent_total += sent;
                    w.next_rev = revision + 1;
                    w.sent_since_tick = true;
                }
                Err(mpsc::error::TrySendError::Full(_)) => {
                    w.next_rev = first;
                    victims.push(*key);
                }
                Err(mpsc::error::TrySendError::Closed(_)) => closed.push(*key),
            }
        }
        for k in closed {
            g.synced.remove(&k);
        }
        let has_victims = !victims.is_empty();
        for k in victims {
            if let Some(w) = g.synced.remove(&k) {
                g.unsynced.insert(k, w);
            }
        }
        drop(g);
        // One metric update per notification, not one per watcher (the fan-out loop above
        // runs under the hub's lock).
        count_events_sent(sent_total);
        if has_victims {
            self.wake.notify_one();
        }
    }

    /// The whole state was replaced at `revision` (an installed Raft snapshot; etcd's
    /// `watchableStore.Restore`): the revisions it brought were never published event by
    /// event, so every synced watcher that was waiting for one of them (next revision at or
    /// below `revision`) becomes unsynced and is caught up from storage by the sync loop, or
    /// told that its next revision was compacted. Watchers waiting for a later revision stay
    /// synced. Regression: robustness `snapshot_catchup` seed 700187 (a watcher on a follower
    /// that caught up by a snapshot went from revision 238 to 266, silently skipping the
    /// snapshot's 27 revisions).
    pub fn restore(&self, revision: i64) {
        let mut g = self.lock();
        g.current_rev = g.current_rev.max(revision);
        let behind: Vec<WatcherKey> = g
            .synced
            .iter()
            .filter(|(_, w)| w.next_rev <= revision)
            .map(|(k, _)| *k)
            .collect();
        if behind.is_empty() {
            return;
        }
        for k in behind {
            if let Some(w) = g.synced.remove(&k) {
                g.unsynced.insert(k, w);
            }
        }
        drop(g);
        self.wake.notify_one();
    }

    /// Answers a client's progress request for the watch stream whose watchers are `keys`
    /// and whose responses go to `tx` (etcd's `RequestProgressAll`, as fixed in 3.4.25 and
    /// 3.5.8 for etcd bug #15220): when every one of those watchers is synced, sends one
    /// progress notification (no events, `watch_id` -1, the current revision) through `tx`
    /// under the hub's lock, so it follows every event already sent for revisions up to it,
    /// and returns true. Returns false, sending nothing, while a watcher is still catching up
    /// (or `tx` is full); the caller asks again later. etcd 3.4.23 answered at once with the
    /// current revision, ahead of the catch-up events.
    pub fn request_progress_all(
        &self,
        keys: &[WatcherKey],
        tx: &mpsc::Sender<WatchResponse>,
        watch_id: i64,
    ) -> bool {
        let g = self.lock();
        if keys.iter().any(|k| g.unsynced.contains_key(k)) {
            return false;
        }
        let resp = WatchResponse {
            header: Some(self.header(g.current_rev)),
            watch_id,
            ..Default::default()
        };
        !matches!(tx.try_send(resp), Err(mpsc::error::TrySendError::Full(_)))
    }

    /// Sends a progress notification (empty response with the current revision) to every
    /// synced watcher that asked for them and got nothing since the last call.
    pub fn progress_tick(&self) {
        let mut g = self.lock();
        let rev = g.current_rev;
        let header = self.header(rev);
        for w in g.synced.values_mut() {
            if w.spec.progress_notify && !w.sent_since_tick {
                let _ = w.tx.try_send(WatchResponse {
                    header: Some(header),
                    watch_id: w.spec.watch_id,
                    ..Default::default()
                });
            }
            w.sent_since_tick = false;
        }
    }

    /// One catch-up pass over unsynced watchers: reads their missed events from storage
    /// (at most [`CATCH_UP_MAX_EVENTS`] each), sends them, and moves watchers that reached
    /// the current revision back to the synced set. Returns whether unsynced watchers remain.
    ///
    /// # Errors
    /// Storage errors.
    pub fn sync_watchers(&self) -> Result<bool, MvccError> {
        let work: Vec<(WatcherKey, WatcherSpec, i64)> = {
            let g = self.lock();
            g.unsynced
                .iter()
                .map(|(k, w)| (*k, w.spec.clone(), w.next_rev))
                .collect()
        };
        if work.is_empty() {
            return Ok(false);
        }
        let mut work = Some(work);
        self.source
            .with_read(&mut |rtxn, kv| self.sync_pass(rtxn, kv, work.take().unwrap_or_default()))?;
        Ok(!self.lock().unsynced.is_empty())
    }

    /// The body of [`WatchableStore::sync_watchers`] on one read transaction.
    fn sync_pass(
        &self,
        rtxn: &heed::RoTxn<'_, heed::WithoutTls>,
        kv: &KvStore,
        work: Vec<(WatcherKey, WatcherSpec, i64)>,
    ) -> Result<(), MvccError> {
        let store_rev = kv.current_revision(rtxn)?;
        let compact_rev = kv.compact_revision(rtxn)?;
        let started = std::time::Instant::now();
        for (key, spec, mut next_rev) in work {
            // Compacted: etcd's in-band answer, then the watcher is gone. As etcd
            // (`w.minRev < compactRev`), a watcher starting at the compaction revision itself
            // is served: that revision's records survive compaction, so a client that
            // re-watches from the `compact_revision` it was told gets its events.
            if compact_rev > 0 && next_rev < compact_rev {
                let mut g = self.lock();
                if let Some(w) = g.unsynced.remove(&key) {
                    // etcd 3.4 sends `WatchResponse{WatchID, CompactRevision}` with Revision 0,
                    // so the header's revision is 0 (omitted on the wire), not the store's.
                    let resp = WatchResponse {
                        header: Some(self.header(0)),
                        watch_id: spec.watch_id,
                        compact_revision: compact_rev,
                        canceled: true,
                        ..Default::default()
                    };
                    // The stream must learn it; if its channel is full, keep the watcher
                    // unsynced and retry on the next pass.
                    if let Err(mpsc::error::TrySendError::Full(_)) = w.tx.try_send(resp) {
                        g.unsynced.insert(key, w);
                    }
                }
                continue;
            }
            // Catch this watcher up chunk by chunk, within the pass's time budget, so a
            // watcher far behind does not fall further behind a busy writer.
            loop {
                let (events, last_rev) =
                    kv.events_between(rtxn, next_rev, store_rev, CATCH_UP_MAX_EVENTS)?;
                let mut evs = Vec::new();
                for e in events.iter().filter(|e| spec.wants(e)) {
                    let mut e = e.clone();
                    if spec.prev_kv {
                        if let Some(cur) = &e.kv {
                            e.prev_kv = kv.get_at(rtxn, &cur.key, cur.mod_revision - 1)?;
                        }
                    }
                    evs.push(e);
                }
                let mut g = self.lock();
                let current_rev = g.current_rev;
                let Some(w) = g.unsynced.get_mut(&key) else {
                    break;
                };
                if w.next_rev != next_rev {
                    break;
                }
                if !evs.is_empty() {
                    let sent = evs.len() as u64;
                    let resp = WatchResponse {
                        header: Some(self.header(last_rev)),
                        watch_id: spec.watch_id,
                        events: evs,
                        ..Default::default()
                    };
                    match w.tx.try_send(resp) {
                        Ok(()) => {
                            count_events_sent(sent);
                            w.sent_since_tick = true;
                        }
                        Err(mpsc::error::TrySendError::Full(_)) => break,
                        Err(mpsc::error::TrySendError::Closed(_)) => {
                            g.unsynced.remove(&key);
                            break;
                        }
                    }
                }
                w.next_rev = last_rev + 1;
                next_rev = w.next_rev;
                // Caught up with everything published so far: rejoin the synced set.
                if w.next_rev > current_rev {
                    if let Some(w) = g.unsynced.remove(&key) {
                        g.synced.insert(key, w);
                    }
                    break;
                }
                if last_rev >= store_rev || started.elapsed() > CATCH_UP_PASS_BUDGET {
                    break;
                }
            }
        }
        Ok(())
    }

    /// Runs catch-up passes for the life of the hub: immediately when woken, and every
    /// 100 ms while unsynced watchers remain (etcd's `syncWatchersLoop`).
    pub fn spawn_sync_loop(self: &Arc<Self>) {
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                let Some(hub) = weak.upgrade() else { return };
                let more = {
                    let h = hub.clone();
                    match tokio::task::spawn_blocking(move || h.sync_watchers()).await {
                        Ok(Ok(m)) => m,
                        Ok(Err(e)) => {
                            tracing::warn!(error = %e, "watch catch-up failed");
                            true
                        }
                        Err(_) => true,
                    }
                };
                let wait = if more {
                    std::time::Duration::from_millis(10)
                } else {
                    std::time::Duration::from_secs(1)
                };
                let _ = tokio::time::timeout(wait, hub.wake.notified()).await;
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A hub over a throwaway store, writing through the store's own write view.
    struct Fixture {
        env: crate::storage::Env,
        kv: KvStore,
        _dir: tempfile::TempDir,
    }

    impl KvSource for Fixture {
        fn with_read(&self, f: &mut ReadFn<'_>) -> Result<(), MvccError> {
            let rtxn = self.env.read_txn()?;
            f(&rtxn, &self.kv)
        }
    }

    fn fixture() -> Arc<Fixture> {
        let dir = tempfile::tempdir().expect("tempdir");
        let env =
            crate::storage::open_env(dir.path(), crate::storage::EnvKind::State).expect("env");
        let kv = KvStore::open(&env).expect("store");
        Arc::new(Fixture { env, kv, _dir: dir })
    }

    /// Puts `key=value` at the next revision; returns the events.
    fn put(f: &Fixture, key: &str, value: &str) -> Vec<Event> {
        let mut w = f.env.write_txn().expect("txn");
        let events = {
            let mut tw = f.kv.write(&mut w).expect("write view");
            tw.put(key.as_bytes(), value.as_bytes(), 0).expect("put");
            tw.end()
        };
        w.commit().expect("commit");
        events
    }

    fn spec(id: i64, key: &str) -> WatcherSpec {
        WatcherSpec {
            watch_id: id,
            range: KeyRange::Single(key.as_bytes().to_vec()),
            no_put: false,
            no_delete: false,
            prev_kv: false,
            progress_notify: false,
        }
    }

    fn revs(resp: &WatchResponse) -> Vec<i64> {
        resp.events
            .iter()
            .filter_map(|e| e.kv.as_ref().map(|k| k.mod_revision))
            .collect()
    }

    #[test]
    fn synced_watchers_get_matching_events_and_slow_ones_become_victims() {
        let f = fixture();
        let hub = WatchableStore::new(f.clone(), 1);
        let (tx_a, mut rx_a) = mpsc::channel(16);
        let (tx_slow, mut rx_slow) = mpsc::channel(1);
        hub.watch(spec(1, "a"), 2, tx_a);
        hub.watch(spec(2, "a"), 2, tx_slow);
        assert_eq!(hub.counts(), (2, 0));
        for (i, v) in ["1", "2", "3"].iter().enumerate() {
            let ev = put(&f, "a", v);
            hub.notify(2 + i as i64, &ev);
            hub.notify(2 + i as i64, &put(&f, "other", v));
        }
        // The fast watcher saw a, a, a (revisions 2, 4, 6); "other" was filtered out.
        let got: Vec<i64> = (0..3)
            .flat_map(|_| revs(&rx_a.try_recv().expect("event")))
            .collect();
        assert_eq!(got, vec![2, 4, 6]);
        // The slow one (capacity 1) took the first and became a victim, without blocking.
        assert_eq!(revs(&rx_slow.try_recv().expect("first event")), vec![2]);
        assert_eq!(hub.counts(), (1, 1));
        // Catch-up resumes it from the first missed revision, then it rejoins the synced set.
        hub.sync_watchers().expect("sync");
        assert_eq!(
            revs(&rx_slow.try_recv().expect("caught-up events")),
            vec![4, 6]
        );
        assert_eq!(hub.counts(), (2, 0));
    }

    #[test]
    fn past_start_revisions_replay_and_compacted_ones_are_cancelled_in_band() {
        let f = fixture();
        for v in ["1", "2", "3"] {
            put(&f, "k", v);
        }
        let hub = WatchableStore::new(f.clone(), 4);
        let (tx, mut rx) = mpsc::channel(16);
        hub.watch(spec(7, "k"), 3, tx);
        assert_eq!(hub.counts(), (0, 1));
        hub.sync_watchers().expect("sync");
        let resp = rx.try_recv().expect("replayed");
        assert_eq!((resp.watch_id, revs(&resp)), (7, vec![3, 4]));
        assert_eq!(hub.counts(), (1, 0));

        let mut w = f.env.write_txn().expect("txn");
        f.kv.compact(&mut w, 3).expect("compact");
        w.commit().expect("commit");
        let (tx, mut rx) = mpsc::channel(16);
        hub.watch(spec(8, "k"), 2, tx);
        hub.sync_watchers().expect("sync");
        let resp = rx.try_recv().expect("cancel");
        assert!(resp.canceled);
        assert_eq!(resp.compact_revision, 3);
        assert_eq!(hub.counts(), (1, 0), "the compacted watcher is gone");

        // Re-watching from the reported compact revision replays from it.
        let (tx, mut rx) = mpsc::channel(16);
        hub.watch(spec(9, "k"), 3, tx);
        hub.sync_watchers().expect("sync");
        let resp = rx.try_recv().expect("replayed from the compact revision");
        assert!(!resp.canceled);
        assert_eq!((resp.watch_id, revs(&resp)), (9, vec![3, 4]));
    }
}
