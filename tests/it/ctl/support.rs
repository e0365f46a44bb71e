//! Shared by the `ctl` tests: a real etcd 3.4 on free loopback ports, our `etcd ctl` and the
//! official etcdctl run side by side, background children with bounded waits.

#![allow(clippy::unwrap_used)]

use std::io::Read;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub(super) const ETCD: &str = "/usr/bin/etcd";
pub(super) const ETCDCTL: &str = "/usr/bin/etcdctl";
pub(super) const OURS: &str = env!("CARGO_BIN_EXE_etcd");

/// A real etcd server on free loopback ports, killed on drop.
pub(super) struct Server {
    pub(super) child: Child,
    pub(super) ep: String,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(super) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts the real etcd, or returns `None` (after printing why) when it is not installed.
pub(super) fn real_etcd() -> Option<Server> {
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
pub(super) struct Outcome {
    pub(super) stdout: String,
    /// stderr without Go's JSON log lines.
    pub(super) stderr: String,
    pub(super) code: i32,
}

pub(super) fn command(bin: &str, ep: &str, args: &[&str]) -> Command {
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

pub(super) fn clean_stderr(s: &[u8]) -> String {
    String::from_utf8_lossy(s)
        .lines()
        .filter(|l| !l.starts_with("{\"level\""))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// A background child whose stdout/stderr are collected; killed on drop.
pub(super) struct Bg {
    pub(super) child: Child,
    pub(super) out: Arc<Mutex<Vec<u8>>>,
    pub(super) err: Arc<Mutex<Vec<u8>>>,
}

pub(super) fn collect(mut r: impl Read + Send + 'static) -> Arc<Mutex<Vec<u8>>> {
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
    pub(super) fn spawn(bin: &str, ep: &str, args: &[&str]) -> Bg {
        let mut child = command(bin, ep, args).spawn().unwrap();
        let out = collect(child.stdout.take().unwrap());
        let err = collect(child.stderr.take().unwrap());
        Bg { child, out, err }
    }

    pub(super) fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.out.lock().unwrap()).into_owned()
    }

    /// Waits (bounded) until stdout has at least `n` lines.
    pub(super) fn wait_lines(&self, n: usize, within: Duration) -> String {
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

    pub(super) fn exited(&mut self) -> bool {
        self.child.try_wait().unwrap().is_some()
    }

    /// Sends SIGINT to this child (its own PID only) and waits (bounded) for it to exit.
    pub(super) fn interrupt(&mut self) -> Outcome {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-INT", &pid]).status();
        self.finish(Duration::from_secs(10))
    }

    /// Waits for the child to exit within `within` (killed and failed otherwise).
    pub(super) fn finish(&mut self, within: Duration) -> Outcome {
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
pub(super) fn run(bin: &str, ep: &str, args: &[&str]) -> Outcome {
    let mut bg = Bg::spawn(bin, ep, args);
    bg.finish(Duration::from_secs(30))
}

/// Runs `args` with both tools (ours first) and asserts identical outcomes.
pub(super) fn same(ep: &str, args: &[&str]) -> Outcome {
    let ours = run(OURS, ep, args);
    let theirs = run(ETCDCTL, ep, args);
    assert_eq!(
        ours, theirs,
        "etcdctl {args:?}: ours (left) vs etcdctl (right)"
    );
    ours
}

/// The current store revision (from `get -w json`).
pub(super) fn revision(ep: &str) -> i64 {
    let o = run(ETCDCTL, ep, &["get", "nothing", "-w", "json"]);
    let v: serde_json::Value = serde_json::from_str(o.stdout.trim()).unwrap();
    v["header"]["revision"].as_i64().unwrap()
}
