//! A small linearizability checker for one register per key (Wing & Gong's search with Lowe's
//! memoisation, as in Knossos and porcupine).
//!
//! A history is a list of [`Op`]s, each with its invocation and completion time (any monotonic
//! clock, in nanoseconds). Ops whose outcome is unknown (a timeout, a lost connection) have
//! `complete == u64::MAX` and [`Out::Unknown`]: such an op may have taken effect at any point
//! after its invocation, or never. "Never" needs no special case: an op that never took effect is
//! equivalent to one linearized after every other op, since nothing observes the state after it.
//!
//! The model is one register (`Option<String>`, `None` = key absent) with four operations:
//! `Put(v)`, `Delete`, `Get` (returns the value) and `Cas { expect, new }` (etcd's txn
//! `value(key) = expect` then `put(key, new)`; `expect == None` is not used by the workload).
//! Histories are checked per key ([`check`] splits them), which is sound for registers
//! (linearizability is local).
//!
//! Search: the history becomes a sequence of call and return events ordered by time. Walking it,
//! a call may be linearized when the model accepts the op in the current state; it is then
//! removed (with its return) and the walk restarts at the head. Reaching a return whose call was
//! not linearized means backtracking. A cache of (set of linearized ops, state) prunes revisits.
//! The search is bounded by a step budget; exhausting it is reported as an error, never as a
//! pass.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashSet};

/// What a client asked.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum In {
    /// Write the value.
    Put(String),
    /// Delete the key (etcd's `DeleteRange` of one key).
    Delete,
    /// Read the value.
    Get,
    /// Compare-and-set: if the value equals `expect`, write `new`.
    Cas {
        /// Expected current value.
        expect: String,
        /// Value written on success.
        new: String,
    },
}

/// What the client got back.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Out {
    /// The put was acknowledged.
    Put,
    /// The delete was acknowledged.
    Delete,
    /// The read returned this value (`None`: key absent).
    Get(Option<String>),
    /// The CAS answered `succeeded`.
    Cas(bool),
    /// No answer (timeout, connection lost): the op may or may not have taken effect.
    Unknown,
}

/// One operation of a history.
#[derive(Debug, Clone)]
pub struct Op {
    /// Which client ran it (for messages only).
    pub client: usize,
    /// The key (the register).
    pub key: String,
    /// Invocation time.
    pub invoke: u64,
    /// Completion time; `u64::MAX` when the outcome is unknown.
    pub complete: u64,
    /// The request.
    pub input: In,
    /// The response.
    pub output: Out,
}

/// The register model: the state after applying `op`, or `None` if `op` cannot happen in
/// `state`.
fn step(state: &Option<String>, input: &In, output: &Out) -> Option<Option<String>> {
    match (input, output) {
        (In::Put(v), Out::Put | Out::Unknown) => Some(Some(v.clone())),
        (In::Delete, Out::Delete | Out::Unknown) => Some(None),
        (In::Get, Out::Get(seen)) => (seen == state).then(|| state.clone()),
        (In::Get, Out::Unknown) => Some(state.clone()),
        (In::Cas { expect, new }, Out::Cas(true)) => {
            (state.as_ref() == Some(expect)).then(|| Some(new.clone()))
        }
        (In::Cas { expect, .. }, Out::Cas(false)) => {
            (state.as_ref() != Some(expect)).then(|| state.clone())
        }
        (In::Cas { expect, new }, Out::Unknown) => Some(if state.as_ref() == Some(expect) {
            Some(new.clone())
        } else {
            state.clone()
        }),
        _ => None,
    }
}

/// A history that is not linearizable, or a search that ran out of budget.
#[derive(Debug)]
pub struct Violation {
    /// The key whose history failed.
    pub key: String,
    /// Human-readable explanation, with the key's history.
    pub detail: String,
}

/// Maximum search steps per key before giving up (reported as a failure).
pub const STEP_BUDGET: u64 = 20_000_000;

/// Checks every key's sub-history; returns the first violation.
///
/// # Errors
/// [`Violation`] for a key whose history admits no linearization (or exhausts the budget).
pub fn check(history: &[Op]) -> Result<(), Violation> {
    let mut by_key: BTreeMap<&str, Vec<&Op>> = BTreeMap::new();
    for op in history {
        by_key.entry(op.key.as_str()).or_default().push(op);
    }
    for (key, ops) in by_key {
        match check_key(&ops) {
            Ok(true) => {}
            Ok(false) => {
                return Err(Violation {
                    key: key.to_string(),
                    detail: format!("not linearizable:\n{}", dump(&ops)),
                })
            }
            Err(steps) => {
                return Err(Violation {
                    key: key.to_string(),
                    detail: format!("search gave up after {steps} steps:\n{}", dump(&ops)),
                })
            }
        }
    }
    Ok(())
}

fn dump(ops: &[&Op]) -> String {
    let mut v: Vec<&&Op> = ops.iter().collect();
    v.sort_by_key(|o| o.invoke);
    v.iter()
        .map(|o| {
            let end = if o.complete == u64::MAX {
                "?".to_string()
            } else {
                format!("{:.3}", o.complete as f64 / 1e9)
            };
            format!(
                "  c{} [{:.3} .. {end}] {:?} -> {:?}",
                o.client,
                o.invoke as f64 / 1e9,
                o.input,
                o.output
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// One event of the search list: the call or the return of op `id`.
#[derive(Debug, Clone, Copy)]
struct Event {
    id: usize,
    is_call: bool,
}

/// Wing & Gong / Lowe search over one key. `Ok(linearizable)`, or `Err(steps)` when the budget
/// ran out.
pub fn check_key(ops: &[&Op]) -> Result<bool, u64> {
    let n = ops.len();
    if n == 0 {
        return Ok(true);
    }
    // Events sorted by time; at equal times calls come before returns (touching intervals
    // overlap, the permissive choice).
    let mut events: Vec<(u64, u8, Event)> = Vec::with_capacity(2 * n);
    for (id, op) in ops.iter().enumerate() {
        events.push((op.invoke, 0, Event { id, is_call: true }));
        events.push((op.complete, 1, Event { id, is_call: false }));
    }
    events.sort_by_key(|e| (e.0, e.1));
    let m = events.len();
    // Doubly linked list over event indices; `m` is the sentinel head/none.
    let mut next: Vec<usize> = (1..=m).collect();
    let mut prev: Vec<usize> = (0..m).map(|i| if i == 0 { m } else { i - 1 }).collect();
    let mut head = 0usize;
    let mut ret_of = vec![0usize; n];
    for (i, e) in events.iter().enumerate() {
        if !e.2.is_call {
            ret_of[e.2.id] = i;
        }
    }
    let words = n.div_ceil(64);
    let mut linearized = vec![0u64; words];
    let mut cache: HashSet<(Vec<u64>, Option<String>)> = HashSet::new();
    // Stack of (call event index, state before).
    let mut stack: Vec<(usize, Option<String>)> = Vec::new();
    let mut state: Option<String> = None;
    let mut cur = head;
    let mut steps = 0u64;

    // Unlinks event i from the list.
    fn lift(i: usize, head: &mut usize, next: &mut [usize], prev: &mut [usize], m: usize) {
        let (p, nx) = (prev[i], next[i]);
        if p == m {
            *head = nx;
        } else {
            next[p] = nx;
        }
        if nx != m {
            prev[nx] = p;
        }
    }
    // Relinks event i (inverse of `lift`, in LIFO order).
    fn unlift(i: usize, head: &mut usize, next: &mut [usize], prev: &mut [usize], m: usize) {
        let (p, nx) = (prev[i], next[i]);
        if p == m {
            *head = i;
        } else {
            next[p] = i;
        }
        if nx != m {
            prev[nx] = i;
        }
    }

    while head != m {
        steps += 1;
        if steps > STEP_BUDGET {
            return Err(steps);
        }
        if cur == m {
            // Only reachable if the list ends with calls, which cannot happen (each call has a
            // later return); treat as backtrack.
            return Ok(false);
        }
        let ev = events[cur].2;
        if ev.is_call {
            let op = ops[ev.id];
            if let Some(new_state) = step(&state, &op.input, &op.output) {
                linearized[ev.id / 64] |= 1 << (ev.id % 64);
                if cache.insert((linearized.clone(), new_state.clone())) {
                    stack.push((cur, state.clone()));
                    state = new_state;
                    lift(cur, &mut head, &mut next, &mut prev, m);
                    lift(ret_of[ev.id], &mut head, &mut next, &mut prev, m);
                    cur = head;
                    continue;
                }
                linearized[ev.id / 64] &= !(1 << (ev.id % 64));
            }
            cur = next[cur];
        } else {
            // A return whose call is not linearized: backtrack.
            let Some((call, old_state)) = stack.pop() else {
                return Ok(false);
            };
            let id = events[call].2.id;
            linearized[id / 64] &= !(1 << (id % 64));
            state = old_state;
            unlift(ret_of[id], &mut head, &mut next, &mut prev, m);
            unlift(call, &mut head, &mut next, &mut prev, m);
            cur = next[call];
        }
    }
    Ok(true)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// An op of client `client` on key `k`.
    pub(crate) fn op(client: usize, invoke: u64, complete: u64, input: In, output: Out) -> Op {
        Op {
            client,
            key: "k".into(),
            invoke,
            complete,
            input,
            output,
        }
    }
    fn put(v: &str) -> In {
        In::Put(v.into())
    }
    fn got(v: Option<&str>) -> Out {
        Out::Get(v.map(str::to_string))
    }
    fn cas(e: &str, n: &str) -> In {
        In::Cas {
            expect: e.into(),
            new: n.into(),
        }
    }
    const U: u64 = u64::MAX;

    #[test]
    fn sequential_history_is_linearizable() {
        let h = vec![
            op(0, 0, 1, In::Get, got(None)),
            op(0, 2, 3, put("a"), Out::Put),
            op(0, 4, 5, In::Get, got(Some("a"))),
            op(0, 6, 7, cas("a", "b"), Out::Cas(true)),
            op(0, 8, 9, cas("a", "c"), Out::Cas(false)),
            op(0, 10, 11, In::Get, got(Some("b"))),
        ];
        assert!(check(&h).is_ok());
    }

    #[test]
    fn stale_read_after_completed_write_is_not_linearizable() {
        let h = vec![
            op(0, 0, 1, put("a"), Out::Put),
            op(0, 2, 3, put("b"), Out::Put),
            op(1, 4, 5, In::Get, got(Some("a"))),
        ];
        assert!(check(&h).is_err());
    }

    #[test]
    fn concurrent_reads_may_see_either_side_of_a_write() {
        let h = vec![
            op(0, 0, 1, put("a"), Out::Put),
            op(0, 2, 10, put("b"), Out::Put),
            op(1, 3, 4, In::Get, got(Some("b"))),
            op(2, 5, 6, In::Get, got(Some("b"))),
        ];
        assert!(check(&h).is_ok());
        // But once a read saw the new value, a later read may not see the old one.
        let h = vec![
            op(0, 0, 1, put("a"), Out::Put),
            op(0, 2, 10, put("b"), Out::Put),
            op(1, 3, 4, In::Get, got(Some("b"))),
            op(2, 5, 6, In::Get, got(Some("a"))),
        ];
        assert!(check(&h).is_err());
    }

    #[test]
    fn two_successful_cas_from_the_same_value_are_not_linearizable() {
        let h = vec![
            op(0, 0, 1, put("a"), Out::Put),
            op(1, 2, 5, cas("a", "b"), Out::Cas(true)),
            op(2, 2, 5, cas("a", "c"), Out::Cas(true)),
        ];
        assert!(check(&h).is_err());
        let h = vec![
            op(0, 0, 1, put("a"), Out::Put),
            op(1, 2, 5, cas("a", "b"), Out::Cas(true)),
            op(2, 2, 5, cas("a", "c"), Out::Cas(false)),
            op(2, 6, 7, In::Get, got(Some("b"))),
        ];
        assert!(check(&h).is_ok());
    }

    #[test]
    fn unknown_ops_may_apply_late_or_never() {
        // A timed-out put that a later read observes.
        let h = vec![
            op(0, 0, U, put("a"), Out::Unknown),
            op(1, 5, 6, In::Get, got(Some("a"))),
        ];
        assert!(check(&h).is_ok());
        // A timed-out put that never took effect.
        let h = vec![
            op(0, 0, U, put("a"), Out::Unknown),
            op(1, 5, 6, In::Get, got(None)),
        ];
        assert!(check(&h).is_ok());
        // Reads may not flip back: a, then absent, is impossible with one put.
        let h = vec![
            op(0, 0, U, put("a"), Out::Unknown),
            op(1, 5, 6, In::Get, got(Some("a"))),
            op(1, 7, 8, In::Get, got(None)),
        ];
        assert!(check(&h).is_err());
        // A value nobody wrote.
        let h = vec![
            op(0, 0, 1, put("a"), Out::Put),
            op(1, 2, 3, In::Get, got(Some("zz"))),
        ];
        assert!(check(&h).is_err());
    }

    #[test]
    fn deletes_are_registers_writes_of_absent() {
        // Sequential put, delete, get absent: fine.
        let h = vec![
            op(0, 0, 1, put("a"), Out::Put),
            op(0, 2, 3, In::Delete, Out::Delete),
            op(1, 4, 5, In::Get, got(None)),
        ];
        assert!(check(&h).is_ok());
        // A read after an acknowledged delete still sees the value: a resurrected key.
        let h = vec![
            op(0, 0, 1, put("a"), Out::Put),
            op(0, 2, 3, In::Delete, Out::Delete),
            op(1, 4, 5, In::Get, got(Some("a"))),
        ];
        assert!(check(&h).is_err());
        // A CAS that succeeded on a value an acknowledged delete removed before it started.
        let h = vec![
            op(0, 0, 1, put("a"), Out::Put),
            op(0, 2, 3, In::Delete, Out::Delete),
            op(1, 4, 5, cas("a", "b"), Out::Cas(true)),
        ];
        assert!(check(&h).is_err());
    }

    #[test]
    fn a_lost_acknowledged_write_is_caught_by_a_final_read() {
        // The put was acknowledged, nothing else wrote, yet the final read finds the old value
        // (what a crash that loses an fsynced entry would show).
        let h = vec![
            op(0, 0, 1, put("a"), Out::Put),
            op(1, 2, 3, put("b"), Out::Put),
            op(2, 10, 11, In::Get, got(Some("a"))),
        ];
        assert!(check(&h).is_err());
        // A revision going back: reads see b, then a again.
        let h = vec![
            op(0, 0, 1, put("a"), Out::Put),
            op(1, 2, U, put("b"), Out::Unknown),
            op(2, 5, 6, In::Get, got(Some("b"))),
            op(2, 7, 8, In::Get, got(Some("a"))),
        ];
        assert!(check(&h).is_err());
    }

    #[test]
    fn keys_are_checked_independently() {
        let mut a = op(0, 0, 1, put("x"), Out::Put);
        a.key = "a".into();
        let mut b = op(1, 2, 3, In::Get, got(None));
        b.key = "b".into();
        assert!(check(&[a, b]).is_ok());
    }

    #[test]
    fn a_larger_concurrent_history_checks_quickly() {
        // 4 clients, 60 rounds of overlapping put/get on one key; every read sees the value of
        // the put that overlaps it or the latest completed one.
        let mut h = Vec::new();
        for r in 0..60u64 {
            let t = r * 10;
            h.push(op(0, t, t + 6, put(&format!("v{r}")), Out::Put));
            h.push(op(1, t + 1, t + 8, In::Get, got(Some(&format!("v{r}")))));
            h.push(op(2, t + 7, t + 9, In::Get, got(Some(&format!("v{r}")))));
            h.push(op(3, t + 2, U, cas("nope", "x"), Out::Unknown));
        }
        assert!(check(&h).is_ok());
    }
}
