//! `watch`: one-shot, interactive (`-i`) and canceled watches, ours vs etcdctl.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use super::support::*;
use crate::harness::Proc;

#[test]
fn watch_of_puts_and_deletes_matches_etcdctl() {
    let Some(s) = real_etcd() else { return };
    let start = (revision(&s.ep) + 1).to_string();
    // Phase 1, history: the events exist before the watchers start, so every watcher gets them
    // replayed in one response (how the server batches a catch-up must not make the outputs of
    // two clients differ).
    for args in [
        &["put", "w", "a"][..],
        &["put", "w", "b c"],
        &["put", "wx", "1"],
        &["del", "w"],
        &["del", "wx"],
    ] {
        assert_eq!(run(ETCDCTL, &s.ep, args).code, Some(0));
    }
    let mut watchers = Vec::new();
    for fmt in ["simple", "json", "fields"] {
        for bin in [OURS, ETCDCTL] {
            let args = [
                "-w",
                fmt,
                "watch",
                "--prefix",
                "w",
                "--prev-kv",
                "--rev",
                start.as_str(),
            ];
            watchers.push((fmt, bin, bg(bin, &s.ep, &args)));
        }
    }
    // Exec mode: the command runs once per event with etcdctl's environment.
    let exec_args = [
        "watch",
        "w",
        "--rev",
        start.as_str(),
        "--",
        "sh",
        "-c",
        "echo \"$ETCD_WATCH_REVISION $ETCD_WATCH_EVENT_TYPE $ETCD_WATCH_KEY $ETCD_WATCH_VALUE\"",
    ];
    let exec = [bg(OURS, &s.ep, &exec_args), bg(ETCDCTL, &s.ep, &exec_args)];
    // 5 events, 3 with a previous pair. simple: type + kv (2) [+ prev (2)] lines per event;
    // json: one line per response; fields: a 4-line header per response, type + 6 kv lines
    // per event, 6 more with a previous pair.
    let replay = |fmt: &str| match fmt {
        "simple" => 5 + 5 * 2 + 3 * 2,
        "json" => 1,
        _ => 4 + 5 * 7 + 3 * 6,
    };
    for (fmt, _, w) in &watchers {
        w.wait_stdout_lines(replay(fmt), Duration::from_secs(15));
    }
    // 3 events on "w": the event lines (type, key, value) then one output line each.
    for w in &exec {
        w.wait_stdout_lines(12, Duration::from_secs(15));
    }
    // Phase 2, live: one put and one delete, each its own response.
    assert_eq!(run(ETCDCTL, &s.ep, &["put", "w", "live"]).code, Some(0));
    assert_eq!(run(ETCDCTL, &s.ep, &["del", "w"]).code, Some(0));
    let total = |fmt: &str| {
        replay(fmt)
            + match fmt {
                "simple" => 3 + 5,
                "json" => 2,
                _ => (4 + 7) + (4 + 7 + 6),
            }
    };
    let mut got = std::collections::HashMap::new();
    for (fmt, bin, w) in &watchers {
        got.insert(
            (*fmt, *bin),
            w.wait_stdout_lines(total(fmt), Duration::from_secs(15)),
        );
    }
    for fmt in ["simple", "json", "fields"] {
        assert_eq!(got[&(fmt, OURS)], got[&(fmt, ETCDCTL)], "watch -w {fmt}");
    }
    assert!(got[&("simple", OURS)].starts_with("PUT\nw\na\nPUT\nw\na\nw\nb c\n"));
    assert!(got[&("simple", OURS)].ends_with("PUT\nw\nlive\nDELETE\nw\nlive\nw\n\n"));
    let ours = exec[0].wait_stdout_lines(12 + 2 * 4, Duration::from_secs(15));
    let theirs = exec[1].wait_stdout_lines(12 + 2 * 4, Duration::from_secs(15));
    assert_eq!(ours, theirs);
    assert!(ours.contains(" \"PUT\" \"w\" \"a\"\n"), "{ours}");
    assert!(ours.ends_with(" \"DELETE\" \"w\" \"\"\n"), "{ours}");
}

#[test]
fn interactive_watch_matches_etcdctl() {
    let Some(s) = real_etcd() else { return };
    let start = (revision(&s.ep) + 1).to_string();
    let script = format!("watch --prefix iw --rev {start}\nbogus\n\nwatch\n");
    let mut kids = Vec::new();
    for bin in [OURS, ETCDCTL] {
        let mut p = Proc::spawn(command(bin, &s.ep, &["watch", "-i"]), true);
        p.write_stdin(&script);
        kids.push(p);
    }
    run(ETCDCTL, &s.ep, &["put", "iw1", "x"]);
    run(ETCDCTL, &s.ep, &["del", "iw1"]);
    let mut outs = Vec::new();
    for p in &mut kids {
        p.wait_stdout_lines(5, Duration::from_secs(15));
        // Closing stdin ends interactive mode: etcdctl reports EOF and exits 3.
        p.close_stdin();
        outs.push(p.outcome(Duration::from_secs(10)));
    }
    assert_eq!(outs[0], outs[1]);
    assert_eq!(outs[0].stdout, "PUT\niw1\nx\nDELETE\niw1\n\n");
    assert_eq!(outs[0].code, Some(3));
    assert!(
        outs[0]
            .stderr_text()
            .ends_with("Error: Error reading watch request line: EOF"),
        "{:?}",
        outs[0]
    );
}

#[test]
fn watch_of_a_compacted_revision_is_canceled_like_etcdctl() {
    let Some(s) = real_etcd() else { return };
    for v in ["1", "2", "3"] {
        run(ETCDCTL, &s.ep, &["put", "c", v]);
    }
    let rev = revision(&s.ep).to_string();
    assert_eq!(run(ETCDCTL, &s.ep, &["compaction", &rev]).code, Some(0));
    let o = same(&s.ep, &["watch", "c", "--rev", "1"]);
    assert_eq!(o.code, Some(5));
    assert_eq!(
        o.stderr_text(),
        "watch was canceled (etcdserver: mvcc: required revision has been compacted)\nError: watch is canceled by the server"
    );
    same(&s.ep, &["-w", "json", "watch", "c", "--rev", "1"]);
    // Argument errors.
    same(&s.ep, &["watch"]);
    same(&s.ep, &["watch", "a", "b", "--prefix"]);
    same(&s.ep, &["watch", "a", "--"]);
}
