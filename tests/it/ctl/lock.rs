//! `lock` and `elect`: contenders, holders and observers, ours vs etcdctl.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use super::support::*;

#[test]
fn lock_contenders_wait_for_the_holder() {
    let Some(s) = real_etcd() else { return };
    let mut holder = bg(OURS, &s.ep, &["lock", "L"]);
    let line = holder.wait_stdout_lines(1, Duration::from_secs(10));
    assert!(line.starts_with("L/"), "{line:?}");
    let script = "echo locked $ETCD_LOCK_KEY";
    let mut ours = bg(OURS, &s.ep, &["lock", "L", "--", "sh", "-c", script]);
    let mut theirs = bg(ETCDCTL, &s.ep, &["lock", "L", "--", "sh", "-c", script]);
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        !ours.exited() && !theirs.exited(),
        "contenders must block while the lock is held"
    );
    assert!(ours.stdout().is_empty() && theirs.stdout().is_empty());
    let h = holder.interrupt_outcome();
    assert_eq!(h.code, Some(0), "{h:?}");
    let o = ours.outcome(Duration::from_secs(20));
    let t = theirs.outcome(Duration::from_secs(20));
    assert_eq!((o.code, t.code), (Some(0), Some(0)), "{o:?} {t:?}");
    assert!(
        o.stdout.starts_with("locked L/") && t.stdout.starts_with("locked L/"),
        "{o:?} {t:?}"
    );
    // Argument errors.
    same(&s.ep, &["lock"]);
}

#[test]
fn elect_observers_see_the_same_leaders() {
    let Some(s) = real_etcd() else { return };
    let mut first = bg(OURS, &s.ep, &["elect", "E", "p1"]);
    first.wait_stdout_lines(2, Duration::from_secs(10));
    let mut obs_ours = bg(OURS, &s.ep, &["elect", "-l", "E"]);
    let obs_theirs = bg(ETCDCTL, &s.ep, &["elect", "-l", "E"]);
    obs_ours.wait_stdout_lines(2, Duration::from_secs(10));
    obs_theirs.wait_stdout_lines(2, Duration::from_secs(10));
    // A second candidate (etcdctl) waits until ours resigns.
    let mut second = bg(ETCDCTL, &s.ep, &["elect", "E", "p2"]);
    std::thread::sleep(Duration::from_millis(500));
    assert!(second.stdout().is_empty());
    assert_eq!(first.interrupt_outcome().code, Some(0));
    let o = obs_ours.wait_stdout_lines(4, Duration::from_secs(10));
    let t = obs_theirs.wait_stdout_lines(4, Duration::from_secs(10));
    assert_eq!(o, t);
    assert!(o.contains("\np1\n") && o.ends_with("\np2\n"), "{o}");
    second.interrupt_outcome();
    assert_eq!(obs_ours.interrupt_outcome().code, Some(0));
    same(&s.ep, &["elect", "E"]);
    same(&s.ep, &["elect", "-l", "E", "x"]);
}
