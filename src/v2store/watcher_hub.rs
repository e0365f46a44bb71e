//! etcd's `watcherHub` and `EventHistory` for the v2 API: the last [`HISTORY_CAPACITY`]
//! events of this member's v2 store and the `wait=true` watchers. In memory, per member,
//! fed in index order after each applied batch ([`WatcherHub::notify`]); after a restart
//! the history starts empty (etcd rebuilds it from its v2 snapshot).
//!
//! Depends on: nothing outside v2store (tokio channels only).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;

use super::{
    action, clean_path, code, is_hidden_below, is_under, Event, V2Error, HISTORY_CAPACITY,
};

/// One waiting watcher.
struct Watcher {
    id: u64,
    key: String,
    recursive: bool,
    stream: bool,
    since: u64,
    tx: mpsc::Sender<Event>,
}

#[derive(Default)]
struct Inner {
    history: VecDeque<Event>,
    watchers: Vec<Watcher>,
    next_id: u64,
}

/// The history and the watchers. Shared as `Arc<WatcherHub>`.
#[derive(Default)]
pub struct WatcherHub {
    inner: Mutex<Inner>,
}

/// A registered watch: receive its events from `rx`; dropping it removes the watcher.
pub struct WatchHandle {
    /// Events for this watcher (one for a plain long poll; several with `stream`).
    pub rx: mpsc::Receiver<Event>,
    /// The store index when the watch started (`X-Etcd-Index` of a watch answer).
    pub start_index: u64,
    id: u64,
    hub: Arc<WatcherHub>,
}

impl Drop for WatchHandle {
    fn drop(&mut self) {
        let mut g = self.hub.lock();
        g.watchers.retain(|w| w.id != self.id);
        report_watchers(&g);
    }
}

/// etcd's `etcd_debugging_store_watchers`: the v2 watchers waiting.
fn report_watchers(g: &Inner) {
    crate::observability::metrics()
        .set_gauge("etcd_debugging_store_watchers", g.watchers.len() as f64);
}

fn is_removal(e: &Event) -> bool {
    matches!(
        e.action.as_str(),
        action::DELETE | action::EXPIRE | action::COMPARE_AND_DELETE
    )
}

impl WatcherHub {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How many watchers wait.
    pub fn count(&self) -> usize {
        self.lock().watchers.len()
    }

    /// Starts a watch on `key` (etcd's `store.Watch`): `since` 0 means the next event after
    /// `store_index`; an event already in the history at or after `since` answers at once.
    ///
    /// # Errors
    /// `401 The event in requested index is outdated and cleared` when `since` is older than
    /// the history.
    pub fn watch(
        self: &Arc<Self>,
        key: &str,
        recursive: bool,
        stream: bool,
        since: u64,
        store_index: u64,
    ) -> Result<WatchHandle, V2Error> {
        let key = clean_path(key);
        let since = if since == 0 { store_index + 1 } else { since };
        crate::observability::metrics().inc_counter("etcd_debugging_store_watch_requests_total");
        let mut g = self.lock();
        let start = g.history.front().map(Event::index).unwrap_or(0);
        let last = g.history.back().map(Event::index).unwrap_or(0);
        if since < start {
            return Err(V2Error::new(
                code::EVENT_INDEX_CLEARED,
                format!("the requested history has been cleared [{start}/{since}]"),
                store_index,
            ));
        }
        let (tx, rx) = mpsc::channel(100);
        let found = if since <= last {
            g.history
                .iter()
                .filter(|e| e.index() >= since && !e.refresh)
                .find(|e| scan_matches(e, &key, recursive))
                .cloned()
        } else {
            None
        };
        g.next_id += 1;
        let id = g.next_id;
        if let Some(mut e) = found {
            e.etcd_index = store_index;
            let _ = tx.try_send(e);
            if !stream {
                drop(g);
                return Ok(WatchHandle {
                    rx,
                    start_index: store_index,
                    id,
                    hub: self.clone(),
                });
            }
        }
        g.watchers.push(Watcher {
            id,
            key,
            recursive,
            stream,
            since,
            tx,
        });
        report_watchers(&g);
        drop(g);
        Ok(WatchHandle {
            rx,
            start_index: store_index,
            id,
            hub: self.clone(),
        })
    }

    /// Records applied events (in index order) and wakes the watchers they match (etcd's
    /// `notify`; refresh events are only recorded).
    pub fn notify(&self, events: &[Event]) {
        if events.is_empty() {
            return;
        }
        let mut g = self.lock();
        for e in events {
            if g.history.len() == HISTORY_CAPACITY {
                g.history.pop_front();
            }
            g.history.push_back(e.clone());
            if e.refresh {
                continue;
            }
            g.watchers.retain(|w| {
                if e.index() < w.since || !notify_matches(e, &w.key, w.recursive) {
                    return true;
                }
                let sent = w.tx.try_send(e.clone()).is_ok();
                // A plain watcher ends with its event; a stream ends when it cannot keep up.
                w.stream && sent
            });
        }
        report_watchers(&g);
    }

    /// Forgets the history and ends every watcher (a snapshot replaced the store: etcd
    /// answers its watchers `400 watcher is cleared due to etcd recovery`).
    pub fn reset(&self) {
        let mut g = self.lock();
        g.history.clear();
        g.watchers.clear();
        report_watchers(&g);
    }
}

/// etcd's `EventHistory.scan` rule: the key itself, below it when recursive, or a removed
/// directory above it.
fn scan_matches(e: &Event, key: &str, recursive: bool) -> bool {
    let k = &e.node.key;
    if k == key || (recursive && is_under(k, key)) {
        return true;
    }
    if matches!(e.action.as_str(), action::DELETE | action::EXPIRE) {
        if let Some(p) = &e.prev_node {
            if p.dir && key.starts_with(p.key.as_str()) {
                return true;
            }
        }
    }
    false
}

/// etcd's `notifyWatchers` rule for a watcher at `key`.
fn notify_matches(e: &Event, key: &str, recursive: bool) -> bool {
    let k = e.node.key.as_str();
    if k == key {
        return true;
    }
    if is_under(k, key) {
        return recursive && !is_hidden_below(key, k);
    }
    // A removed directory notifies the watchers of the nodes it held.
    is_removal(e) && e.node.dir && is_under(key, k)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::v2store::NodeExtern;

    fn ev(action: &str, key: &str, index: u64) -> Event {
        Event {
            action: action.into(),
            node: NodeExtern {
                key: key.into(),
                value: Some("v".into()),
                modified_index: index,
                created_index: index,
                ..Default::default()
            },
            prev_node: None,
            etcd_index: index,
            refresh: false,
        }
    }

    #[tokio::test]
    async fn watch_waits_then_fires_on_a_later_event() {
        let hub = Arc::new(WatcherHub::default());
        let mut w = hub.watch("/foo", false, false, 0, 3).unwrap();
        hub.notify(&[ev("set", "/bar", 4)]);
        assert!(w.rx.try_recv().is_err());
        hub.notify(&[ev("set", "/foo", 5)]);
        assert_eq!(w.rx.recv().await.unwrap().node.modified_index, 5);
        assert_eq!(hub.count(), 0);
    }

    #[test]
    fn history_answers_and_clears_like_etcd() {
        let hub = Arc::new(WatcherHub::default());
        for i in 1..=1005u64 {
            hub.notify(&[ev("set", &format!("/k{}", i % 3), i)]);
        }
        let mut w = hub.watch("/k1", false, false, 1000, 1005).unwrap();
        assert_eq!(w.rx.try_recv().unwrap().node.modified_index, 1000);
        let e = hub.watch("/k1", false, false, 3, 1005).err().unwrap();
        assert_eq!(e.code, 401);
        assert_eq!(e.cause, "the requested history has been cleared [6/3]");
        assert_eq!(e.index, 1005);
    }

    #[test]
    fn recursive_watchers_skip_hidden_nodes() {
        let hub = Arc::new(WatcherHub::default());
        let mut w = hub.watch("/d", true, false, 0, 0).unwrap();
        hub.notify(&[ev("set", "/d/_h", 1)]);
        assert!(w.rx.try_recv().is_err());
        hub.notify(&[ev("set", "/d/x", 2)]);
        assert_eq!(w.rx.try_recv().unwrap().node.key, "/d/x");
    }
}
