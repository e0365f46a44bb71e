//! The watch guarantees (etcd's robustness suite, `validate/watch.go`), checked on recorded
//! watch streams against the history merged from every stream:
//!
//! - **ordered**: event revisions never go down within a segment;
//! - **unique**: no `(revision, key)` twice in a segment;
//! - **atomic**: the events of one revision arrive in one response, all of them (every event
//!   of that revision in the watched range that any stream saw);
//! - **reliable**: from the segment's start revision to the last revision it covered (its last
//!   event or progress notification), no event of the watched range is missing, except a
//!   delete at the start revision when the store was compacted at exactly that revision
//!   before the segment's first event arrived: compaction removes a tombstone at the compact
//!   revision (etcd's `keyIndex.compact`), so a watch from the compact revision, as a
//!   watcher resumed after a compacted response is, never sees it (regression: `failpoint`
//!   seed 1500066; `watch_from_the_compact_revision_misses_its_tombstone_as_on_etcd`);
//! - **resumable**: a watcher that resumes from `last + 1` after a failure is a new segment
//!   starting there, checked the same way, so a gap at the resume point is caught;
//! - **progress**: after a progress notification at revision `R`, no event at `≤ R` arrives;
//! - **prev_kv**: `prev_kv` is the previous event of that key in the merged history (its
//!   value and mod revision), absent for the first version of a key, and absent where etcd
//!   omits it too: a compaction at or past the event's revision, asked for before the event
//!   arrived, removed the previous version (etcd's watch server reads `prev_kv` at
//!   `revision - 1` and drops it on `ErrCompacted`; regression: `partition_minority` seed
//!   70230, a watcher resumed at the compact revision);
//! - **consistent**: two streams never disagree about the event of `(revision, key)`.
//!
//! A segment is one watch from one start revision until the stream fails, is cancelled, or is
//! compacted (then a new segment starts at the compact revision).

use std::collections::{BTreeMap, BTreeSet};

/// One event as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ev {
    /// `mod_revision` of the event's key-value (the event's revision).
    pub rev: i64,
    /// The key.
    pub key: String,
    /// The value (empty for deletes).
    pub value: String,
    /// A delete event.
    pub delete: bool,
    /// The key's version after the event (0 for deletes).
    pub version: i64,
    /// `prev_kv` as (mod revision, value), when sent.
    pub prev: Option<(i64, String)>,
    /// When the response carrying it arrived: nanoseconds since the run's epoch.
    pub at: u64,
}

/// A compaction the traffic asked for (acknowledged or not: an unanswered one may still
/// have been applied).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Compaction {
    /// When it was asked for: nanoseconds since the run's epoch.
    pub at: u64,
    /// The compact revision.
    pub rev: i64,
}

/// One response of a segment.
#[derive(Debug, Clone)]
pub enum Resp {
    /// Events (non-empty).
    Events(Vec<Ev>),
    /// A progress notification at this header revision.
    Progress(i64),
}

/// One watch, from `start` on keys `[from, to)`.
#[derive(Debug, Clone)]
pub struct Segment {
    /// Which watcher (for messages).
    pub watcher: usize,
    /// Start revision asked for.
    pub start: i64,
    /// Key range start.
    pub from: String,
    /// Key range end (exclusive).
    pub to: String,
    /// Whether `prev_kv` was asked for.
    pub prev_kv: bool,
    /// Responses in arrival order.
    pub resps: Vec<Resp>,
}

impl Segment {
    fn in_range(&self, key: &str) -> bool {
        key >= self.from.as_str() && key < self.to.as_str()
    }
    fn events(&self) -> impl Iterator<Item = &Ev> {
        self.resps.iter().flat_map(|r| match r {
            Resp::Events(e) => e.as_slice(),
            Resp::Progress(_) => &[],
        })
    }
    /// The last revision this segment vouches for (last event or progress notification).
    fn covered_to(&self) -> i64 {
        self.resps
            .iter()
            .map(|r| match r {
                Resp::Events(e) => e.last().map_or(0, |e| e.rev),
                Resp::Progress(p) => *p,
            })
            .max()
            .unwrap_or(0)
    }
}

/// The merged history: revision → key → event.
pub type Merged = BTreeMap<i64, BTreeMap<String, Ev>>;

/// Merges every segment's events; the first disagreement between streams is an error.
///
/// # Errors
/// A message naming the revision, key and both versions.
pub fn merge(segments: &[Segment]) -> Result<Merged, String> {
    let mut m: Merged = BTreeMap::new();
    for s in segments {
        for e in s.events() {
            let slot = m.entry(e.rev).or_default();
            match slot.get(&e.key) {
                Some(old) if (&old.value, old.delete) != (&e.value, e.delete) => {
                    return Err(format!(
                        "consistent: watchers disagree at revision {} key {}: {old:?} vs {e:?} (watcher {})",
                        e.rev, e.key, s.watcher
                    ))
                }
                Some(_) => {}
                None => {
                    slot.insert(e.key.clone(), e.clone());
                }
            }
        }
    }
    Ok(m)
}

/// Checks every guarantee on every segment, given the compactions asked for during the run;
/// returns the merged history and the number of events checked.
///
/// # Errors
/// The first violation, described.
pub fn check(segments: &[Segment], compactions: &[Compaction]) -> Result<(Merged, usize), String> {
    let merged = merge(segments)?;
    let checked = check_against(segments, &merged, compactions)?;
    Ok((merged, checked))
}

/// [`check`] of `segments` against a merged history given (for a part of a run's segments
/// checked against the history merged from all of them); returns the events checked.
///
/// # Errors
/// The first violation, described.
pub fn check_against(
    segments: &[Segment],
    merged: &Merged,
    compactions: &[Compaction],
) -> Result<usize, String> {
    let mut checked = 0usize;
    for s in segments {
        let tag = format!(
            "watcher {} segment from {} on [{}, {})",
            s.watcher, s.start, s.from, s.to
        );
        let mut last_rev = 0i64;
        let mut progress = 0i64;
        let mut seen: BTreeSet<(i64, String)> = BTreeSet::new();
        let mut per_rev: BTreeMap<i64, BTreeSet<String>> = BTreeMap::new();
        for (i, r) in s.resps.iter().enumerate() {
            match r {
                Resp::Progress(p) => {
                    if *p < progress {
                        return Err(format!(
                            "progress: {tag}: notification {p} after {progress}"
                        ));
                    }
                    progress = *p;
                }
                Resp::Events(evs) => {
                    let first = evs.first().map_or(0, |e| e.rev);
                    if first <= last_rev && per_rev.contains_key(&first) {
                        return Err(format!(
                            "atomic: {tag}: revision {first} split over responses (response {i})"
                        ));
                    }
                    for e in evs {
                        checked += 1;
                        if e.rev < s.start {
                            return Err(format!("ordered: {tag}: event {e:?} before the start"));
                        }
                        if e.rev < last_rev {
                            return Err(format!(
                                "ordered: {tag}: event at {} after one at {last_rev}",
                                e.rev
                            ));
                        }
                        if e.rev <= progress {
                            return Err(format!(
                                "progress: {tag}: event at {} after a progress notification at {progress}",
                                e.rev
                            ));
                        }
                        if !s.in_range(&e.key) {
                            return Err(format!("filter: {tag}: event {e:?} outside the range"));
                        }
                        if !seen.insert((e.rev, e.key.clone())) {
                            return Err(format!("unique: {tag}: event {e:?} twice"));
                        }
                        per_rev.entry(e.rev).or_default().insert(e.key.clone());
                        last_rev = e.rev;
                        if s.prev_kv {
                            check_prev(merged, compactions, e)
                                .map_err(|m| format!("prev_kv: {tag}: {m}"))?;
                        }
                    }
                }
            }
        }
        // Reliable and atomic: every merged event in range within [start, covered] is here.
        let covered = s.covered_to();
        if covered < s.start {
            continue;
        }
        // When the segment's first event arrived (its catch-up read was done by then).
        let first_at = s
            .resps
            .iter()
            .find_map(|r| match r {
                Resp::Events(evs) => evs.first().map(|e| e.at),
                Resp::Progress(_) => None,
            })
            .unwrap_or(u64::MAX);
        let compacted_tombstone = |rev: i64, ev: &Ev| {
            ev.delete
                && rev == s.start
                && compactions.iter().any(|c| c.rev == rev && c.at <= first_at)
        };
        for (rev, evs) in merged.range(s.start..=covered) {
            for (key, ev) in evs.iter().filter(|(k, _)| s.in_range(k)) {
                if !seen.contains(&(*rev, key.clone())) {
                    if compacted_tombstone(*rev, ev) {
                        eprintln!(
                            "watch check: {tag}: no tombstone of {key} at the compact revision {rev}: allowed"
                        );
                        continue;
                    }
                    return Err(format!(
                        "reliable: {tag}: missing the event of {key} at revision {rev} (covered to {covered})"
                    ));
                }
            }
        }
    }
    Ok(checked)
}

/// `prev_kv` of `e` against the merged history: the latest earlier event of the key, if the
/// merged history knows one after the claimed previous revision, must be that previous one.
/// A missing `prev_kv` is excused by a compaction to `e.rev` or later asked for before `e`
/// arrived (the version at `e.rev - 1` may be gone; etcd then sends no `prev_kv` either).
fn check_prev(merged: &Merged, compactions: &[Compaction], e: &Ev) -> Result<(), String> {
    let latest_before = merged
        .range(..e.rev)
        .rev()
        .find_map(|(r, evs)| evs.get(&e.key).map(|ev| (*r, ev)));
    let compacted = || match compactions.iter().find(|c| c.at <= e.at && c.rev >= e.rev) {
        Some(c) => {
            eprintln!("watch check: {e:?} has no prev_kv after {c:?}: allowed");
            true
        }
        None => false,
    };
    match (&e.prev, latest_before) {
        (None, Some((r, ev))) if !ev.delete && !compacted() => Err(format!(
            "{e:?} has no prev_kv but the key was {:?} at revision {r} (no compaction to {} or later asked for before it arrived)",
            ev.value, e.rev
        )),
        (Some((pr, pv)), Some((r, ev))) => {
            if *pr < r || (*pr == r && (ev.delete || &ev.value != pv)) {
                Err(format!(
                    "{e:?} has prev_kv at {pr} = {pv:?} but the key was last changed at {r} ({ev:?})"
                ))
            } else {
                Ok(())
            }
        }
        (Some((pr, _)), None) if *pr >= e.rev => Err(format!(
            "{e:?} has prev_kv from its own or a later revision"
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A put event at `rev` (arriving at `10 * rev` ns).
    pub(in crate::robustness) fn put(
        rev: i64,
        key: &str,
        value: &str,
        prev: Option<(i64, &str)>,
    ) -> Ev {
        Ev {
            rev,
            key: key.into(),
            value: value.into(),
            delete: false,
            version: 1,
            prev: prev.map(|(r, v)| (r, v.to_string())),
            at: u64::try_from(rev).expect("test revisions are positive") * 10,
        }
    }
    /// A segment on `[a, z)` with `prev_kv`.
    pub(in crate::robustness) fn seg(watcher: usize, start: i64, resps: Vec<Resp>) -> Segment {
        Segment {
            watcher,
            start,
            from: "a".into(),
            to: "z".into(),
            prev_kv: true,
            resps,
        }
    }

    fn good() -> Vec<Segment> {
        vec![seg(
            0,
            1,
            vec![
                Resp::Events(vec![put(2, "a", "1", None)]),
                Resp::Events(vec![put(3, "b", "1", None), put(3, "c", "1", None)]),
                Resp::Progress(3),
                Resp::Events(vec![put(4, "a", "2", Some((2, "1")))]),
            ],
        )]
    }

    #[test]
    fn a_good_stream_passes() {
        let (_, n) = check(&good(), &[]).expect("no violation");
        assert_eq!(n, 4);
    }

    #[test]
    fn out_of_order_duplicate_and_split_revisions_fail() {
        let mut s = good();
        s[0].resps.swap(0, 1);
        assert!(check(&s, &[])
            .expect_err("a violation")
            .starts_with("ordered"));
        let mut s = good();
        s[0].resps
            .push(Resp::Events(vec![put(4, "a", "2", Some((2, "1")))]));
        assert!(check(&s, &[]).is_err());
        let mut s = good();
        s[0].resps[1] = Resp::Events(vec![put(3, "b", "1", None)]);
        s[0].resps
            .insert(2, Resp::Events(vec![put(3, "c", "1", None)]));
        assert!(check(&s, &[])
            .expect_err("a violation")
            .starts_with("atomic"));
    }

    #[test]
    fn a_gap_fails_when_another_stream_saw_the_event() {
        let mut s = good();
        let other = s[0].clone();
        s[0].resps.remove(0);
        s.push(Segment {
            watcher: 1,
            ..other
        });
        assert!(check(&s, &[])
            .expect_err("a violation")
            .starts_with("reliable"));
        // A resumed segment that starts past an event it should have had.
        let mut s = good();
        s.push(seg(
            2,
            4,
            vec![Resp::Events(vec![put(4, "a", "2", Some((2, "1")))])],
        ));
        assert!(check(&s, &[]).is_ok());
        s.push(seg(
            3,
            3,
            vec![Resp::Events(vec![put(4, "a", "2", Some((2, "1")))])],
        ));
        assert!(check(&s, &[])
            .expect_err("a violation")
            .starts_with("reliable"));
    }

    #[test]
    fn an_empty_segment_passes() {
        let mut s = good();
        s.push(seg(1, 9, vec![]));
        assert!(check(&s, &[]).is_ok());
    }

    #[test]
    fn progress_ahead_of_events_fails() {
        let mut s = good();
        s[0].resps.insert(1, Resp::Progress(3));
        assert!(check(&s, &[])
            .expect_err("a violation")
            .starts_with("progress"));
    }

    #[test]
    fn wrong_prev_kv_and_disagreeing_streams_fail() {
        let mut s = good();
        s[0].resps[3] = Resp::Events(vec![put(4, "a", "2", Some((2, "other")))]);
        assert!(check(&s, &[])
            .expect_err("a violation")
            .starts_with("prev_kv"));
        let mut s = good();
        s[0].resps[3] = Resp::Events(vec![put(4, "a", "2", None)]);
        assert!(check(&s, &[])
            .expect_err("a violation")
            .starts_with("prev_kv"));
        let mut s = good();
        let mut other = s[0].clone();
        other.watcher = 1;
        other.resps[0] = Resp::Events(vec![put(2, "a", "X", None)]);
        s.push(other);
        assert!(check(&s, &[])
            .expect_err("a violation")
            .starts_with("consistent"));
    }

    /// Regression: `partition_minority` seed 70230. A watcher resumed at the compact revision
    /// gets that revision's event without `prev_kv` (the previous version was compacted
    /// away), as from etcd; without a compaction asked for first it stays a violation.
    #[test]
    fn missing_prev_kv_is_excused_only_by_an_earlier_compaction_at_or_past_the_event() {
        let mut s = good();
        s.push(seg(1, 4, vec![Resp::Events(vec![put(4, "a", "2", None)])]));
        let at_event = s[1].events().next().expect("event").at;
        assert!(check(&s, &[])
            .expect_err("a violation")
            .starts_with("prev_kv"));
        let before = |rev| Compaction {
            at: at_event - 1,
            rev,
        };
        assert!(check(&s, &[before(4)]).is_ok());
        assert!(check(&s, &[before(5)]).is_ok());
        // A compaction below the event's revision keeps the previous version.
        assert!(check(&s, &[before(3)])
            .expect_err("a violation")
            .starts_with("prev_kv"));
        // A compaction asked for after the event arrived excuses nothing.
        let after = Compaction {
            at: at_event + 1,
            rev: 4,
        };
        assert!(check(&s, &[after])
            .expect_err("a violation")
            .starts_with("prev_kv"));
    }

    /// Regression: `failpoint` seed 1500066. A watcher resumed at the compact revision after
    /// a compacted response does not get a delete at that revision (compaction removed the
    /// tombstone, as on etcd); only an exact compaction asked for before the segment's first
    /// event excuses it, and never a missing put.
    #[test]
    fn a_tombstone_at_the_compact_revision_is_excused_only_by_that_compaction() {
        let del = |rev: i64, key: &str, prev: (i64, &str)| Ev {
            delete: true,
            value: String::new(),
            version: 0,
            ..put(rev, key, "", Some(prev))
        };
        let segments = |missing_is_put: bool| {
            let third = if missing_is_put {
                put(3, "a", "2", Some((2, "1")))
            } else {
                del(3, "a", (2, "1"))
            };
            vec![
                seg(
                    0,
                    1,
                    vec![
                        Resp::Events(vec![put(2, "a", "1", None)]),
                        Resp::Events(vec![third]),
                        Resp::Events(vec![put(4, "b", "1", None)]),
                    ],
                ),
                seg(1, 3, vec![Resp::Events(vec![put(4, "b", "1", None)])]),
            ]
        };
        let first_at = 40;
        let asked = |at, rev| Compaction { at, rev };
        let reliable = |s: &[Segment], c: &[Compaction]| {
            check(s, c)
                .expect_err("a violation")
                .starts_with("reliable: watcher 1")
        };
        assert!(reliable(&segments(false), &[]));
        assert!(check(&segments(false), &[asked(first_at - 1, 3)]).is_ok());
        // Asked for after the segment's first event, or at another revision: no excuse.
        assert!(reliable(&segments(false), &[asked(first_at + 1, 3)]));
        assert!(reliable(&segments(false), &[asked(first_at - 1, 2)]));
        // A put at the compact revision is kept by the compaction: it must arrive.
        assert!(reliable(&segments(true), &[asked(first_at - 1, 3)]));
    }
}
