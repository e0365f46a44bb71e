//! Minimized reproductions of a violation: the smallest part of a run's recorded history that
//! still shows it, found by delta debugging (Zeller and Hildebrandt's `ddmin`, complements
//! only: a result is 1-minimal, i.e. removing any one of its items makes the violation go).
//!
//! - [`linearizability`]: the operations of the violating key, shrunk while they stay not
//!   linearizable and well formed (every value a read returns, or a successful CAS expects, is
//!   written by an operation kept, so no witness is a read of a value from nowhere);
//! - [`watch`]: the watch segments, then their responses, shrunk while the watch check,
//!   against the history merged from all of the run's segments, fails with the same guarantee
//!   (`ordered`, `reliable`, `prev_kv`, ...).
//!
//! Both are bounded by a number of checks; a bound reached returns the smallest failing input
//! found so far (still failing, maybe not 1-minimal).

use super::watch_check::{self, Compaction, Resp, Segment};
use crate::linearizability::{self, In, Op, Out};

/// Checks at most per minimization.
const MAX_CHECKS: usize = 4000;

/// `ddmin` over `items` with the complement test: the smallest sub-list (order kept) found for
/// which `fails` holds, `items` itself if it does not fail. At most `max_checks` calls.
pub fn ddmin<T: Clone>(
    items: Vec<T>,
    mut fails: impl FnMut(&[T]) -> bool,
    max_checks: usize,
) -> Vec<T> {
    let mut checks = 0usize;
    let mut cur = items;
    let mut n = 2usize;
    while cur.len() >= 2 && checks < max_checks {
        let chunk = cur.len().div_ceil(n);
        let mut reduced = false;
        let mut start = 0;
        while start < cur.len() && checks < max_checks {
            let end = (start + chunk).min(cur.len());
            let complement: Vec<T> = cur[..start].iter().chain(&cur[end..]).cloned().collect();
            checks += 1;
            if fails(&complement) {
                cur = complement;
                n = (n - 1).max(2);
                reduced = true;
                break;
            }
            start = end;
        }
        if !reduced {
            if n >= cur.len() {
                break;
            }
            n = (n * 2).min(cur.len());
        }
    }
    cur
}

/// Every value a read returns or a successful CAS expects is written by an op of `ops`.
fn well_formed(ops: &[Op]) -> bool {
    let written = |v: &String| {
        ops.iter().any(|o| match &o.input {
            In::Put(w) => w == v,
            In::Cas { new, .. } => new == v,
            _ => false,
        })
    };
    ops.iter().all(|o| match (&o.input, &o.output) {
        (In::Get, Out::Get(Some(v))) => written(v),
        (In::Cas { expect, .. }, Out::Cas(true)) => written(expect),
        _ => true,
    })
}

/// The operations of `key` in `history`, shrunk to a 1-minimal sub-history that is still not
/// linearizable (a search that runs out of budget counts as passing). Empty when the key's
/// history is linearizable.
pub fn linearizability(history: &[Op], key: &str) -> Vec<Op> {
    let ops: Vec<Op> = history.iter().filter(|o| o.key == key).cloned().collect();
    let fails = |ops: &[Op]| {
        well_formed(ops) && linearizability::check_key(&ops.iter().collect::<Vec<_>>()) == Ok(false)
    };
    if !fails(&ops) {
        return Vec::new();
    }
    ddmin(ops, fails, MAX_CHECKS)
}

/// The guarantee a watch violation names: its text before the first `:`.
fn kind(why: &str) -> &str {
    why.split(':').next().unwrap_or(why)
}

/// The watch segments shrunk to a small set, each with a 1-minimal list of responses, on which
/// the watch check still fails with the same guarantee as on `segments`. Empty when the check
/// passes.
pub fn watch(segments: &[Segment], compactions: &[Compaction]) -> Vec<Segment> {
    let Err(why) = watch_check::check(segments, compactions) else {
        return Vec::new();
    };
    let want = kind(&why).to_string();
    // Disagreeing streams: the merge itself fails; shrink on the whole check then.
    let merged = watch_check::merge(segments).ok();
    let same = |segs: &[Segment]| {
        let r = match &merged {
            Some(m) => watch_check::check_against(segs, m, compactions).map(|_| ()),
            None => watch_check::check(segs, compactions).map(|_| ()),
        };
        r.is_err_and(|w| kind(&w) == want.as_str())
    };
    let segs = ddmin(segments.to_vec(), same, MAX_CHECKS / 4);
    // Then the responses: (segment, response) units, regrouped into their segments.
    let units: Vec<(usize, Resp)> = segs
        .iter()
        .enumerate()
        .flat_map(|(i, s)| s.resps.iter().cloned().map(move |r| (i, r)))
        .collect();
    let regroup = |units: &[(usize, Resp)]| -> Vec<Segment> {
        segs.iter()
            .enumerate()
            .map(|(i, s)| Segment {
                resps: units
                    .iter()
                    .filter(|(j, _)| *j == i)
                    .map(|(_, r)| r.clone())
                    .collect(),
                ..s.clone()
            })
            .collect()
    };
    let kept = ddmin(units, |u| same(&regroup(u)), MAX_CHECKS);
    regroup(&kept)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linearizability::tests::op;
    use crate::robustness::watch_check::tests::{put, seg};

    #[test]
    fn ddmin_finds_a_one_minimal_failing_subset() {
        let items: Vec<u32> = (0..100).collect();
        let got = ddmin(items, |s| s.contains(&17) && s.contains(&63), 1000);
        assert_eq!(got, vec![17, 63]);
        let unchanged = ddmin(vec![1, 2, 3], |_| false, 1000);
        assert_eq!(unchanged, vec![1, 2, 3]);
    }

    /// A stale read hidden among unrelated operations shrinks to the write it missed, the
    /// read, and the write the read saw (the value must come from somewhere).
    #[test]
    fn a_stale_read_shrinks_to_its_witness() {
        let mut history = vec![
            op(0, 0, 10, In::Put("a".into()), Out::Put),
            op(1, 20, 30, In::Put("b".into()), Out::Put),
            op(2, 40, 50, In::Get, Out::Get(Some("a".into()))),
        ];
        for i in 0..30u64 {
            history.push(op(
                3,
                100 + i * 10,
                105 + i * 10,
                In::Get,
                Out::Get(Some("b".into())),
            ));
            history.push(op(
                4,
                1000 + i * 10,
                1005 + i * 10,
                In::Put(format!("x{i}")),
                Out::Put,
            ));
        }
        assert!(linearizability::check(&history).is_err());
        let min = linearizability(&history, "k");
        let shown: Vec<(In, Out)> = min
            .iter()
            .map(|o| (o.input.clone(), o.output.clone()))
            .collect();
        assert_eq!(
            shown,
            vec![
                (In::Put("a".into()), Out::Put),
                (In::Put("b".into()), Out::Put),
                (In::Get, Out::Get(Some("a".into()))),
            ]
        );
        assert!(linearizability(&history[..1], "k").is_empty());
    }

    /// A missing `prev_kv` among many good events shrinks to that event (checked against the
    /// history merged from all of them, which shows the key existed).
    #[test]
    fn a_prev_kv_violation_shrinks_to_the_event_and_its_predecessor() {
        let mut resps = Vec::new();
        for r in 2..40 {
            resps.push(Resp::Events(vec![put(r, &format!("u{r}"), "v", None)]));
        }
        resps.push(Resp::Events(vec![put(40, "a", "1", None)]));
        resps.push(Resp::Progress(40));
        resps.push(Resp::Events(vec![put(41, "a", "2", None)]));
        let all = [seg(0, 1, resps)];
        let min = watch(&all, &[]);
        assert_eq!(min.len(), 1);
        // The event without `prev_kv` alone: the key's earlier version is in the history
        // merged from every response.
        assert_eq!(min[0].resps.len(), 1, "{:?}", min[0].resps);
        let merged = watch_check::merge(&all).unwrap();
        assert!(watch_check::check_against(&min, &merged, &[])
            .expect_err("still a violation")
            .starts_with("prev_kv"));
    }
}
