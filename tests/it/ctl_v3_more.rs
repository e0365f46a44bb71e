//! Differential tests for `watch`, `lease`, `lock`, `elect`, `snapshot save`, `alarm` and
//! `defrag`: our `etcd ctl` and the official etcdctl 3.4 against ONE real etcd 3.4.
//!
//! Both tools talk to the same server, so outputs are compared directly, after replacing what
//! legitimately differs (lease IDs, remaining TTL seconds). Long-running commands (watch,
//! lock, elect) run in the background with a deadline and are stopped with SIGINT (sent to
//! their own PID) or killed on drop.
//!
//! Skips (with a printed reason) when `/usr/bin/etcd` or `/usr/bin/etcdctl` is missing, unless
//! `ETCD_INTEROP_REQUIRED=1`, then fails.

#![allow(clippy::unwrap_used)]

use std::io::Read;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const ETCD: &str = "/usr/bin/etcd";
const ETCDCTL: &str = "/usr/bin/etcdctl";
const OURS: &str = env!("CARGO_BIN_EXE_etcd");

/// A real etcd server on free loopback ports, killed on drop.
struct Server {
    child: Child,
    ep: String,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts the real etcd, or returns `None` (after printing why) when it is not installed.
fn real_etcd() -> Option<Server> {
    if !Path::new(ETCD).exists() || !Path::new(ETCDCTL).exists() {
        assert!(
            std::env::var("ETCD_INTEROP_REQUIRED").as_deref() != Ok("1"),
            "ETCD_INTEROP_REQUIRED=1 but {ETCD} or {ETCDCTL} is missing"
        );
        eprintln!("skipping: {ETCD} or {ETCDCTL} is not installed");
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let (client, peer) = (free_port(), free_port());
    let c = format!("http://127.0.0.1:{client}");
    let p = format!("http://127.0.0.1:{peer}");
    let child = Command::new(ETCD)
        .args(["--name", "default", "--data-dir"])
        .arg(dir.path())
        .args(["--listen-client-urls", &c, "--advertise-client-urls", &c])
        .args([
            "--listen-peer-urls",
            &p,
            "--initial-advertise-peer-urls",
            &p,
        ])
        .args(["--initial-cluster", &format!("default={p}")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = Server {
        child,
        ep: format!("127.0.0.1:{client}"),
        _dir: dir,
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if run(
            ETCDCTL,
            &server.ep,
            &["--command-timeout", "1s", "get", "ready-probe"],
        )
        .code
            == 0
        {
            return Some(server);
        }
        assert!(Instant::now() < deadline, "etcd did not become ready");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Outcome {
    stdout: String,
    /// stderr without Go's JSON log lines.
    stderr: String,
    code: i32,
}

fn command(bin: &str, ep: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(bin);
    if bin == OURS {
        cmd.arg("ctl");
    }
    cmd.arg("--endpoints")
        .arg(ep)
        .args(args)
        .env("ETCDCTL_API", "3");
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

fn clean_stderr(s: &[u8]) -> String {
    String::from_utf8_lossy(s)
        .lines()
        .filter(|l| !l.starts_with("{\"level\""))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// A background child whose stdout/stderr are collected; killed on drop.
struct Bg {
    child: Child,
    out: Arc<Mutex<Vec<u8>>>,
    err: Arc<Mutex<Vec<u8>>>,
}

fn collect(mut r: impl Read + Send + 'static) -> Arc<Mutex<Vec<u8>>> {
    let buf = Arc::new(Mutex::new(Vec::new()));
    let b = buf.clone();
    std::thread::spawn(move || {
        let mut chunk = [0u8; 4096];
        while let Ok(n) = r.read(&mut chunk) {
            if n == 0 {
                break;
            }
            b.lock().unwrap().extend_from_slice(&chunk[..n]);
        }
    });
    buf
}

impl Bg {
    fn spawn(bin: &str, ep: &str, args: &[&str]) -> Bg {
        let mut child = command(bin, ep, args).spawn().unwrap();
        let out = collect(child.stdout.take().unwrap());
        let err = collect(child.stderr.take().unwrap());
        Bg { child, out, err }
    }

    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.out.lock().unwrap()).into_owned()
    }

    /// Waits (bounded) until stdout has at least `n` lines.
    fn wait_lines(&self, n: usize, within: Duration) -> String {
        let deadline = Instant::now() + within;
        loop {
            let s = self.stdout();
            if s.lines().count() >= n {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {n} lines, have {s:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn exited(&mut self) -> bool {
        self.child.try_wait().unwrap().is_some()
    }

    /// Sends SIGINT to this child (its own PID only) and waits (bounded) for it to exit.
    fn interrupt(&mut self) -> Outcome {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-INT", &pid]).status();
        self.finish(Duration::from_secs(10))
    }

    /// Waits for the child to exit within `within` (killed and failed otherwise).
    fn finish(&mut self, within: Duration) -> Outcome {
        let deadline = Instant::now() + within;
        let status = loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                break st;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "background child overran its deadline; stdout {:?}",
                    self.stdout()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        std::thread::sleep(Duration::from_millis(50)); // let the reader threads drain
        Outcome {
            stdout: self.stdout(),
            stderr: clean_stderr(&self.err.lock().unwrap()),
            code: status.code().unwrap_or(-1),
        }
    }
}

impl Drop for Bg {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs one command to completion with a 30 s deadline.
fn run(bin: &str, ep: &str, args: &[&str]) -> Outcome {
    let mut bg = Bg::spawn(bin, ep, args);
    bg.finish(Duration::from_secs(30))
}

/// Runs `args` with both tools (ours first) and asserts identical outcomes.
fn same(ep: &str, args: &[&str]) -> Outcome {
    let ours = run(OURS, ep, args);
    let theirs = run(ETCDCTL, ep, args);
    assert_eq!(
        ours, theirs,
        "etcdctl {args:?}: ours (left) vs etcdctl (right)"
    );
    ours
}

/// The current store revision (from `get -w json`).
fn revision(ep: &str) -> i64 {
    let o = run(ETCDCTL, ep, &["get", "nothing", "-w", "json"]);
    let v: serde_json::Value = serde_json::from_str(o.stdout.trim()).unwrap();
    v["header"]["revision"].as_i64().unwrap()
}

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
        assert_eq!(run(ETCDCTL, &s.ep, args).code, 0);
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
            watchers.push((fmt, bin, Bg::spawn(bin, &s.ep, &args)));
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
    let exec = [
        Bg::spawn(OURS, &s.ep, &exec_args),
        Bg::spawn(ETCDCTL, &s.ep, &exec_args),
    ];
    // 5 events, 3 with a previous pair. simple: type + kv (2) [+ prev (2)] lines per event;
    // json: one line per response; fields: a 4-line header per response, type + 6 kv lines
    // per event, 6 more with a previous pair.
    let replay = |fmt: &str| match fmt {
        "simple" => 5 + 5 * 2 + 3 * 2,
        "json" => 1,
        _ => 4 + 5 * 7 + 3 * 6,
    };
    for (fmt, _, w) in &watchers {
        w.wait_lines(replay(fmt), Duration::from_secs(15));
    }
    // 3 events on "w": the event lines (type, key, value) then one output line each.
    for w in &exec {
        w.wait_lines(12, Duration::from_secs(15));
    }
    // Phase 2, live: one put and one delete, each its own response.
    assert_eq!(run(ETCDCTL, &s.ep, &["put", "w", "live"]).code, 0);
    assert_eq!(run(ETCDCTL, &s.ep, &["del", "w"]).code, 0);
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
            w.wait_lines(total(fmt), Duration::from_secs(15)),
        );
    }
    for fmt in ["simple", "json", "fields"] {
        assert_eq!(got[&(fmt, OURS)], got[&(fmt, ETCDCTL)], "watch -w {fmt}");
    }
    assert!(got[&("simple", OURS)].starts_with("PUT\nw\na\nPUT\nw\na\nw\nb c\n"));
    assert!(got[&("simple", OURS)].ends_with("PUT\nw\nlive\nDELETE\nw\nlive\nw\n\n"));
    let ours = exec[0].wait_lines(12 + 2 * 4, Duration::from_secs(15));
    let theirs = exec[1].wait_lines(12 + 2 * 4, Duration::from_secs(15));
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
        let mut cmd = command(bin, &s.ep, &["watch", "-i"]);
        cmd.stdin(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let mut stdin = child.stdin.take().unwrap();
        std::io::Write::write_all(&mut stdin, script.as_bytes()).unwrap();
        let out = collect(child.stdout.take().unwrap());
        let err = collect(child.stderr.take().unwrap());
        kids.push((Bg { child, out, err }, stdin));
    }
    run(ETCDCTL, &s.ep, &["put", "iw1", "x"]);
    run(ETCDCTL, &s.ep, &["del", "iw1"]);
    let mut outs = Vec::new();
    for (bg, stdin) in &mut kids {
        bg.wait_lines(5, Duration::from_secs(15));
        // Closing stdin ends interactive mode: etcdctl reports EOF and exits 3.
        drop(std::mem::replace(stdin, tempfile_stdin()));
        outs.push(bg.finish(Duration::from_secs(10)));
    }
    assert_eq!(outs[0], outs[1]);
    assert_eq!(outs[0].stdout, "PUT\niw1\nx\nDELETE\niw1\n\n");
    assert_eq!(outs[0].code, 3);
    assert!(
        outs[0]
            .stderr
            .ends_with("Error: Error reading watch request line: EOF\n"),
        "{:?}",
        outs[0]
    );
}

/// A throwaway `ChildStdin` stand-in: a pipe to `true` (used to drop the real one).
fn tempfile_stdin() -> std::process::ChildStdin {
    let mut c = Command::new("true").stdin(Stdio::piped()).spawn().unwrap();
    let s = c.stdin.take().unwrap();
    let _ = c.wait();
    s
}

#[test]
fn watch_of_a_compacted_revision_is_canceled_like_etcdctl() {
    let Some(s) = real_etcd() else { return };
    for v in ["1", "2", "3"] {
        run(ETCDCTL, &s.ep, &["put", "c", v]);
    }
    let rev = revision(&s.ep).to_string();
    assert_eq!(run(ETCDCTL, &s.ep, &["compaction", &rev]).code, 0);
    let o = same(&s.ep, &["watch", "c", "--rev", "1"]);
    assert_eq!(o.code, 5);
    assert_eq!(
        o.stderr,
        "watch was canceled (etcdserver: mvcc: required revision has been compacted)\nError: watch is canceled by the server\n"
    );
    same(&s.ep, &["-w", "json", "watch", "c", "--rev", "1"]);
    // Argument errors.
    same(&s.ep, &["watch"]);
    same(&s.ep, &["watch", "a", "b", "--prefix"]);
    same(&s.ep, &["watch", "a", "--"]);
}

/// Replaces lease `id` (hex and decimal) with `<ID>` and remaining-TTL numbers with `N`.
fn norm_lease(s: &str, id: &str) -> String {
    let dec = i64::from_str_radix(id, 16).unwrap().to_string();
    let mut out = s.replace(id, "<ID>").replace(&dec, "<ID>");
    for pat in ["remaining(", "\"ttl\":", "\"TTL\" : "] {
        let mut res = String::new();
        let mut rest = out.as_str();
        while let Some(i) = rest.find(pat) {
            res.push_str(&rest[..i + pat.len()]);
            rest = &rest[i + pat.len()..];
            let digits = rest
                .find(|c: char| !c.is_ascii_digit() && c != '-')
                .unwrap_or(rest.len());
            res.push('N');
            rest = &rest[digits..];
        }
        res.push_str(rest);
        out = res;
    }
    out
}

fn granted_id(o: &Outcome) -> String {
    // "lease 694d77aa9e3a1b0c granted with TTL(100s)"
    o.stdout.split_whitespace().nth(1).unwrap().to_string()
}

#[test]
fn lease_commands_match_etcdctl() {
    let Some(s) = real_etcd() else { return };
    let ours = run(OURS, &s.ep, &["lease", "grant", "1000"]);
    let theirs = run(ETCDCTL, &s.ep, &["lease", "grant", "1000"]);
    assert_eq!(ours.code, 0);
    let (a, b) = (granted_id(&ours), granted_id(&theirs));
    assert_eq!(norm_lease(&ours.stdout, &a), norm_lease(&theirs.stdout, &b));
    assert_eq!(
        norm_lease(&ours.stdout, &a),
        "lease <ID> granted with TTL(1000s)\n"
    );
    for (id, k) in [(&a, "ka"), (&b, "kb")] {
        assert_eq!(run(ETCDCTL, &s.ep, &["put", k, "v", "--lease", id]).code, 0);
    }
    for fmt in ["simple", "json", "fields"] {
        for cmd in [
            &["timetolive", "--keys"][..],
            &["timetolive"],
            &["keep-alive", "--once"],
        ] {
            let mut args = vec!["-w", fmt, "lease"];
            args.extend_from_slice(cmd);
            let o = run(OURS, &s.ep, &[&args[..], &[a.as_str()]].concat());
            let t = run(ETCDCTL, &s.ep, &[&args[..], &[b.as_str()]].concat());
            let (o2, t2) = (
                norm_lease(&o.stdout, &a).replace("ka", "K"),
                norm_lease(&t.stdout, &b).replace("kb", "K"),
            );
            // JSON keys are base64: "a2E=" (ka) vs "a2I=" (kb).
            assert_eq!(
                o2.replace("a2E=", "K"),
                t2.replace("a2I=", "K"),
                "lease {cmd:?} -w {fmt}"
            );
            assert_eq!((o.code, o.stderr), (t.code, t.stderr));
        }
    }
    for fmt in ["simple", "json", "fields", "protobuf", "table"] {
        same(&s.ep, &["-w", fmt, "lease", "list"]);
    }
    let o = run(OURS, &s.ep, &["lease", "revoke", &a]);
    let t = run(ETCDCTL, &s.ep, &["lease", "revoke", &b]);
    assert_eq!(norm_lease(&o.stdout, &a), norm_lease(&t.stdout, &b));
    assert_eq!(norm_lease(&o.stdout, &a), "lease <ID> revoked\n");
    // Gone now: same messages and exit codes.
    for args in [
        &["lease", "timetolive"][..],
        &["lease", "revoke"],
        &["lease", "keep-alive", "--once"],
        &["lease", "keep-alive"],
    ] {
        let o = run(OURS, &s.ep, &[args, &[a.as_str()]].concat());
        let t = run(ETCDCTL, &s.ep, &[args, &[b.as_str()]].concat());
        assert_eq!(
            (norm_lease(&o.stdout, &a), o.stderr, o.code),
            (norm_lease(&t.stdout, &b), t.stderr, t.code),
            "{args:?}"
        );
    }
    same(&s.ep, &["lease", "grant", "x"]);
    same(&s.ep, &["lease", "revoke", "zz"]);
    same(&s.ep, &["lease", "timetolive"]);
}

#[test]
fn lock_contenders_wait_for_the_holder() {
    let Some(s) = real_etcd() else { return };
    let mut holder = Bg::spawn(OURS, &s.ep, &["lock", "L"]);
    let line = holder.wait_lines(1, Duration::from_secs(10));
    assert!(line.starts_with("L/"), "{line:?}");
    let script = "echo locked $ETCD_LOCK_KEY";
    let mut ours = Bg::spawn(OURS, &s.ep, &["lock", "L", "--", "sh", "-c", script]);
    let mut theirs = Bg::spawn(ETCDCTL, &s.ep, &["lock", "L", "--", "sh", "-c", script]);
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        !ours.exited() && !theirs.exited(),
        "contenders must block while the lock is held"
    );
    assert!(ours.stdout().is_empty() && theirs.stdout().is_empty());
    let h = holder.interrupt();
    assert_eq!(h.code, 0, "{h:?}");
    let o = ours.finish(Duration::from_secs(20));
    let t = theirs.finish(Duration::from_secs(20));
    assert_eq!((o.code, t.code), (0, 0), "{o:?} {t:?}");
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
    let mut first = Bg::spawn(OURS, &s.ep, &["elect", "E", "p1"]);
    first.wait_lines(2, Duration::from_secs(10));
    let mut obs_ours = Bg::spawn(OURS, &s.ep, &["elect", "-l", "E"]);
    let obs_theirs = Bg::spawn(ETCDCTL, &s.ep, &["elect", "-l", "E"]);
    obs_ours.wait_lines(2, Duration::from_secs(10));
    obs_theirs.wait_lines(2, Duration::from_secs(10));
    // A second candidate (etcdctl) waits until ours resigns.
    let mut second = Bg::spawn(ETCDCTL, &s.ep, &["elect", "E", "p2"]);
    std::thread::sleep(Duration::from_millis(500));
    assert!(second.stdout().is_empty());
    assert_eq!(first.interrupt().code, 0);
    let o = obs_ours.wait_lines(4, Duration::from_secs(10));
    let t = obs_theirs.wait_lines(4, Duration::from_secs(10));
    assert_eq!(o, t);
    assert!(o.contains("\np1\n") && o.ends_with("\np2\n"), "{o}");
    second.interrupt();
    assert_eq!(obs_ours.interrupt().code, 0);
    same(&s.ep, &["elect", "E"]);
    same(&s.ep, &["elect", "-l", "E", "x"]);
}

#[test]
fn snapshot_save_alarm_and_defrag() {
    let Some(s) = real_etcd() else { return };
    run(ETCDCTL, &s.ep, &["put", "k", "v"]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("snap.db");
    let p = path.to_str().unwrap();
    let o = run(OURS, &s.ep, &["snapshot", "save", p]);
    assert_eq!(
        (o.stdout.as_str(), o.code),
        (format!("Snapshot saved at {p}\n").as_str(), 0),
        "{o:?}"
    );
    let size = std::fs::metadata(&path).unwrap().len();
    assert_eq!(size % 512, 32);
    assert!(!dir.path().join("snap.db.part").exists());
    // The official tool reads what we saved (a valid bolt file).
    let st = run(ETCDCTL, &s.ep, &["snapshot", "status", p, "-w", "json"]);
    assert_eq!(st.code, 0, "{st:?}");
    // Our status refuses etcd's bolt format clearly.
    let ours = run(OURS, &s.ep, &["snapshot", "status", p]);
    assert_eq!(ours.code, 1);
    assert!(
        ours.stderr.starts_with("Error: not an etcd-oxide snapshot"),
        "{ours:?}"
    );
    same(&s.ep, &["snapshot", "save"]);
    same(&s.ep, &["snapshot", "save", "/nonexistent-dir/x.db"]);
    same(&s.ep, &["snapshot", "status", "/nonexistent-file"]);

    for fmt in ["simple", "json", "protobuf", "table"] {
        same(&s.ep, &["-w", fmt, "alarm", "list"]);
        same(&s.ep, &["-w", fmt, "alarm", "disarm"]);
    }
    same(&s.ep, &["alarm", "list", "x"]);
    let d = same(&s.ep, &["defrag"]);
    assert_eq!(
        d.stdout,
        format!("Finished defragmenting etcd member[{}]\n", s.ep)
    );
    same(&s.ep, &["defrag", "--cluster"]);
}
