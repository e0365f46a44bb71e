//! Test harness: start real server processes (ours or the official etcd) on free loopback
//! ports, each with its own temp data dir, and run the official `etcdctl` or our `etcd ctl`
//! against them.
//!
//! API: [`Member::start`] (one-member cluster; `client_url`, `kill9`, `restart`, `stderr`),
//! [`Cluster::start`] (N members), [`etcdctl`] / [`our_ctl`] (same shape: endpoint, args,
//! stdin), [`Proc`] (a background child), [`runtime`] / [`connect`] (gRPC), [`http_get`], [`free_port`], and `require_etcd!()`
//! for tests that need the official binaries.
//!
//! What it guarantees:
//! - Only 127.0.0.1. Ports are free ports outside the kernel's ephemeral range (so no outgoing
//!   connection takes a stopped member's port) and are remembered process-wide so two tests in
//!   this binary never get the same port; if a member still loses a bind race (to another
//!   process) at its first start it is started on fresh ports, up to 3 times.
//! - Every wait is bounded: readiness ≤ [`READY_TIMEOUT`], CLI calls ≤ [`CLI_TIMEOUT`] (killed on
//!   expiry), every child process ≤ [`MAX_CHILD_LIFETIME`] (a watchdog kills it).
//! - A child's stderr is drained by a thread into a buffer (the pipe never fills); it is printed
//!   when a test panics while the member is alive and it is part of every harness panic message.
//! - Children are killed by PID (`Child::kill`, i.e. SIGKILL) on Drop.
//!
//! Interop skip rule: tests needing the official binaries call [`require_etcd!`]; when
//! `/usr/bin/etcd` or `/usr/bin/etcdctl` is missing they print why and return, unless
//! `ETCD_INTEROP_REQUIRED=1`, in which case they panic (CI sets it).
#![allow(dead_code)]

pub mod links;

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The official etcd server binary (Debian `etcd-server`).
pub const ETCD_BIN: &str = "/usr/bin/etcd";
/// The official etcdctl binary (Debian `etcd-client`).
pub const ETCDCTL_BIN: &str = "/usr/bin/etcdctl";
/// Both servers print this on stderr once they serve clients.
pub const READY_LINE: &str = "ready to serve client requests";
/// How long a member may take to print [`READY_LINE`] and report `/health` true.
pub const READY_TIMEOUT: Duration = Duration::from_secs(20);
/// Deadline of one CLI invocation.
pub const CLI_TIMEOUT: Duration = Duration::from_secs(20);
/// No child outlives this, even if a test hangs.
pub const MAX_CHILD_LIFETIME: Duration = Duration::from_secs(240);

/// Which server executable a member runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerKind {
    /// This crate's `etcd` binary.
    Ours,
    /// The official etcd at [`ETCD_BIN`].
    Etcd,
}

impl ServerKind {
    /// Path of the executable.
    pub fn binary(self) -> PathBuf {
        match self {
            ServerKind::Ours => PathBuf::from(env!("CARGO_BIN_EXE_etcd")),
            ServerKind::Etcd => PathBuf::from(ETCD_BIN),
        }
    }
    /// Short label for messages.
    pub fn label(self) -> &'static str {
        match self {
            ServerKind::Ours => "ours",
            ServerKind::Etcd => "etcd",
        }
    }
}

/// True when both official binaries are installed.
pub fn etcd_available() -> bool {
    Path::new(ETCD_BIN).is_file() && Path::new(ETCDCTL_BIN).is_file()
}

/// Returns true when the test should go on; false (after printing why) when it should be
/// skipped. Panics instead of skipping when `ETCD_INTEROP_REQUIRED=1`.
pub fn interop_or_skip(test: &str) -> bool {
    skip_unless(
        test,
        etcd_available(),
        &format!(
            "{ETCD_BIN} or {ETCDCTL_BIN} is missing (apt-get install etcd-server etcd-client)"
        ),
    )
}

/// The one skip rule for tests needing an outside tool: true when `available`; otherwise
/// prints `<test>: skipped: <missing>` and returns false, or panics when
/// `ETCD_INTEROP_REQUIRED=1`.
pub fn skip_unless(test: &str, available: bool, missing: &str) -> bool {
    if available {
        return true;
    }
    let why = format!("{test}: skipped: {missing}");
    if std::env::var("ETCD_INTEROP_REQUIRED").as_deref() == Ok("1") {
        panic!("{why}, and ETCD_INTEROP_REQUIRED=1");
    }
    eprintln!("{why}");
    false
}

/// `require_etcd!();` at the top of a test: skip (return) or panic per [`interop_or_skip`].
#[macro_export]
macro_rules! require_etcd {
    () => {
        if !$crate::harness::interop_or_skip(module_path!()) {
            return;
        }
    };
}

// ---------------------------------------------------------------------------------------------
// Ports

fn handed_out() -> &'static Mutex<HashSet<u16>> {
    static PORTS: OnceLock<Mutex<HashSet<u16>>> = OnceLock::new();
    PORTS.get_or_init(|| Mutex::new(HashSet::new()))
}

/// The kernel's range of ephemeral ports, the local ports of outgoing connections
/// (`/proc/sys/net/ipv4/ip_local_port_range`; Linux's default when unreadable).
fn ephemeral_range() -> (u16, u16) {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|s| {
            let mut it = s.split_whitespace().map(|p| p.parse::<u16>().ok());
            Some((it.next()??, it.next()??))
        })
        .unwrap_or((32768, 60999))
}

/// A free TCP port on 127.0.0.1 never handed out before in this process, outside the
/// ephemeral range (from 10000 up to it, or above it): while a member is down for a restart,
/// an outgoing connection of any process could otherwise get its port as a local port and
/// the restart would fail with "address already in use" (robustness campaign seed 200050).
pub fn free_port() -> u16 {
    let (lo, hi) = ephemeral_range();
    let spans: Vec<(u32, u32)> = [(10_000, u32::from(lo)), (u32::from(hi) + 1, 65_536)]
        .into_iter()
        .filter(|(a, b)| a < b)
        .collect();
    let total: u32 = spans.iter().map(|(a, b)| b - a).sum();
    for _ in 0..1000 {
        let port = if total >= 1000 {
            let mut k = rand::random_range(0..total);
            let mut port = 0;
            for (a, b) in &spans {
                if k < b - a {
                    port = a + k;
                    break;
                }
                k -= b - a;
            }
            u16::try_from(port).expect("ports are below 65536")
        } else {
            // No room outside the ephemeral range: let the kernel pick.
            let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
            l.local_addr().expect("local_addr").port()
        };
        if handed_out().lock().expect("ports lock").contains(&port) {
            continue;
        }
        if TcpListener::bind(("127.0.0.1", port)).is_ok()
            && handed_out().lock().expect("ports lock").insert(port)
        {
            return port;
        }
    }
    panic!("no free port on 127.0.0.1 after 1000 tries");
}

// ---------------------------------------------------------------------------------------------
// Members

/// How to start a member. The URLs are always `http://127.0.0.1:<port>` on free ports.
#[derive(Debug, Clone)]
pub struct MemberOpts {
    /// `--name`.
    pub name: String,
    /// `--initial-cluster-token`.
    pub token: String,
    /// Extra flags appended verbatim.
    pub extra_args: Vec<String>,
    /// `--initial-advertise-peer-urls` (and this member's `--initial-cluster` entry) when it
    /// must differ from the listen URL, e.g. `http://localhost:2380` to reproduce etcd's default
    /// member ID without binding 2380. Default: the listen peer URL.
    pub advertise_peer_url: Option<String>,
    /// Fixed (client, peer) ports instead of fresh ones, e.g. to start a second server with
    /// exactly the flags of a first one that was stopped.
    pub ports: Option<(u16, u16)>,
    /// `--initial-cluster` for multi-member clusters (see [`Cluster`]). Default: this member
    /// alone.
    pub initial_cluster: Option<String>,
    /// `https://` client and peer URLs instead of `http://` (the TLS flags go in
    /// `extra_args`); readiness is then the ready line alone (no plain-HTTP `/health`).
    pub https: bool,
    /// `--initial-cluster-state`: `new` when `None`; `existing` to join a running cluster
    /// after `member add`.
    pub cluster_state: Option<String>,
    /// More client URLs to listen on (not advertised), e.g. a plain `http://` one beside
    /// the `https://` client URL so that one member serves clients with and without TLS.
    pub extra_client_urls: Vec<String>,
    /// `--data-dir` the test provides (e.g. on a small tmpfs) instead of a fresh temp dir;
    /// the test owns it and removes it.
    pub data_dir: Option<PathBuf>,
    /// Extra environment variables of the process (e.g. `NOTIFY_SOCKET`).
    pub env: Vec<(String, String)>,
    /// Bootstrap flags replacing `--initial-cluster` and `--initial-cluster-token` (e.g.
    /// `--discovery=<url>`, `--discovery-srv=<domain>`). Default: the static flags.
    pub bootstrap_args: Option<Vec<String>>,
}

impl Default for MemberOpts {
    fn default() -> Self {
        MemberOpts {
            name: "infra1".into(),
            token: "etcd-cluster".into(),
            extra_args: vec![],
            advertise_peer_url: None,
            ports: None,
            initial_cluster: None,
            https: false,
            cluster_state: None,
            extra_client_urls: vec![],
            data_dir: None,
            env: vec![],
            bootstrap_args: None,
        }
    }
}

impl MemberOpts {
    /// Options with this member name.
    pub fn named(name: &str) -> Self {
        MemberOpts {
            name: name.into(),
            ..Default::default()
        }
    }
}

/// A running (or killed) single-member cluster process.
pub struct Member {
    /// Which executable runs.
    pub kind: ServerKind,
    /// The options it was started with.
    pub opts: MemberOpts,
    /// Client port on 127.0.0.1.
    pub client_port: u16,
    /// Peer port on 127.0.0.1.
    pub peer_port: u16,
    /// Holds the temp data dir (unused when [`MemberOpts::data_dir`] is set).
    _temp_dir: tempfile::TempDir,
    data_dir: PathBuf,
    child: Arc<Mutex<Option<Child>>>,
    /// Everything the current and previous processes wrote to stderr.
    log: Arc<Mutex<Vec<u8>>>,
    starts: u32,
    /// Fires when the current process prints [`READY_LINE`]; taken by `wait_ready`.
    ready_rx: Option<mpsc::Receiver<()>>,
}

enum StartError {
    /// Lost a bind race: retry on other ports.
    AddrInUse(String),
    Other(String),
}

impl Member {
    /// Starts a fresh single-member cluster and waits (≤ [`READY_TIMEOUT`]) until it prints
    /// [`READY_LINE`] and `/health` reports true. Panics with the stderr on failure.
    pub fn start(kind: ServerKind, opts: MemberOpts) -> Member {
        let mut last = String::new();
        for _attempt in 0..3 {
            let mut m = Member::unstarted(kind, opts.clone());
            match m.spawn().and_then(|()| m.wait_ready()) {
                Ok(()) => return m,
                Err(StartError::AddrInUse(log)) if opts.ports.is_none() => last = log,
                Err(StartError::AddrInUse(log)) => {
                    panic!("fixed ports {:?} are in use:\n{log}", opts.ports)
                }
                Err(StartError::Other(msg)) => panic!("{msg}"),
            }
        }
        panic!(
            "{} member could not bind free ports 3 times; last stderr:\n{last}",
            kind.label()
        );
    }

    /// Starts several members at once (spawns all, then waits until each is ready), for
    /// members that only get ready together (discovery, SRV bootstrap). Fixed ports in the
    /// options are kept; panics with the stderr of the first failure.
    pub fn start_together(kind: ServerKind, opts: Vec<MemberOpts>) -> Vec<Member> {
        let mut members: Vec<Member> = opts
            .into_iter()
            .map(|o| Member::unstarted(kind, o))
            .collect();
        for m in members.iter_mut() {
            if let Err(StartError::AddrInUse(e)) | Err(StartError::Other(e)) = m.spawn() {
                panic!("{e}");
            }
        }
        for m in members.iter_mut() {
            if let Err(StartError::AddrInUse(e)) | Err(StartError::Other(e)) = m.wait_ready() {
                panic!("{e}");
            }
        }
        members
    }

    /// Starts a member expected to stop by itself (a refused start) and waits ≤ `timeout`
    /// for its exit status (`None`: still running then; it is killed on drop).
    pub fn start_expecting_exit(
        kind: ServerKind,
        opts: MemberOpts,
        timeout: Duration,
    ) -> (Member, Option<ExitStatus>) {
        let mut m = Member::unstarted(kind, opts);
        if let Err(StartError::AddrInUse(e)) | Err(StartError::Other(e)) = m.spawn() {
            panic!("{e}");
        }
        m.ready_rx = None;
        let status = m.wait_exit(timeout);
        (m, status)
    }

    /// A member with its data dir and ports chosen but no process yet.
    fn unstarted(kind: ServerKind, opts: MemberOpts) -> Member {
        let data_dir = tempfile::Builder::new()
            .prefix(&format!("it-{}-", kind.label()))
            .tempdir()
            .expect("create temp data dir");
        Member {
            kind,
            client_port: opts.ports.map_or_else(free_port, |p| p.0),
            peer_port: opts.ports.map_or_else(free_port, |p| p.1),
            data_dir: opts
                .data_dir
                .clone()
                .unwrap_or_else(|| data_dir.path().to_path_buf()),
            _temp_dir: data_dir,
            opts,
            child: Arc::new(Mutex::new(None)),
            log: Arc::new(Mutex::new(Vec::new())),
            starts: 0,
            ready_rx: None,
        }
    }

    /// `http://127.0.0.1:<client port>` (`https://` with [`MemberOpts::https`]).
    pub fn client_url(&self) -> String {
        format!("{}://127.0.0.1:{}", self.scheme(), self.client_port)
    }
    /// `http://127.0.0.1:<peer port>` (`https://` with [`MemberOpts::https`]).
    pub fn peer_url(&self) -> String {
        format!("{}://127.0.0.1:{}", self.scheme(), self.peer_port)
    }
    fn scheme(&self) -> &'static str {
        if self.opts.https {
            "https"
        } else {
            "http"
        }
    }
    /// `127.0.0.1:<client port>` as a socket address.
    pub fn client_addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.client_port))
    }
    /// The member's data dir (kept across [`Member::restart`]).
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }
    /// PID of the running process, if any.
    pub fn pid(&self) -> Option<u32> {
        self.child
            .lock()
            .expect("child lock")
            .as_ref()
            .map(|c| c.id())
    }

    /// The flags both servers understand.
    pub fn args(&self) -> Vec<String> {
        let adv = self
            .opts
            .advertise_peer_url
            .clone()
            .unwrap_or_else(|| self.peer_url());
        let mut a = vec![
            format!("--name={}", self.opts.name),
            format!("--data-dir={}", self.data_dir.display()),
            format!(
                "--listen-client-urls={}",
                std::iter::once(self.client_url())
                    .chain(self.opts.extra_client_urls.iter().cloned())
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            format!("--advertise-client-urls={}", self.client_url()),
            format!("--listen-peer-urls={}", self.peer_url()),
            format!("--initial-advertise-peer-urls={adv}"),
        ];
        match &self.opts.bootstrap_args {
            Some(b) => a.extend(b.iter().cloned()),
            None => a.extend([
                match &self.opts.initial_cluster {
                    Some(c) => format!("--initial-cluster={c}"),
                    None => format!("--initial-cluster={}={adv}", self.opts.name),
                },
                format!("--initial-cluster-token={}", self.opts.token),
            ]),
        }
        a.extend([format!(
            "--initial-cluster-state={}",
            self.opts.cluster_state.as_deref().unwrap_or("new")
        )]);
        a.extend(self.opts.extra_args.iter().cloned());
        a
    }

    /// Everything written to stderr so far (all starts), lossy UTF-8.
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.log.lock().expect("log lock")).into_owned()
    }

    /// The last `n` lines of stderr.
    pub fn stderr_tail(&self, n: usize) -> String {
        let s = self.stderr();
        let lines: Vec<&str> = s.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }

    /// SIGKILLs the process (by PID, via `Child::kill`) and reaps it. No-op if not running.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.lock().expect("child lock").take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Stops the process cleanly (SIGTERM, as `systemctl stop` does) and waits (≤ `timeout`)
    /// for it to exit; panics with the stderr if it is still running then.
    pub fn stop(&mut self, timeout: Duration) -> ExitStatus {
        if let Some(pid) = self.pid() {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(pid.to_string())
                .status();
        }
        match self.wait_exit(timeout) {
            Some(st) => st,
            None => {
                self.kill9();
                panic!(
                    "{} member still running {timeout:?} after SIGTERM; stderr:\n{}",
                    self.kind.label(),
                    self.stderr()
                )
            }
        }
    }

    /// Waits (≤ `timeout`) for the process to exit by itself and returns its status; `None` if
    /// it is still running at the deadline (it is left running) or was not running.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            {
                let mut g = self.child.lock().expect("child lock");
                match g.as_mut().map(|c| c.try_wait()) {
                    Some(Ok(Some(status))) => {
                        g.take();
                        drop(g);
                        std::thread::sleep(Duration::from_millis(200)); // let the drain thread finish
                        return Some(status);
                    }
                    Some(Ok(None)) => {}
                    _ => return None,
                }
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Starts the process again on the same data dir and ports without waiting for readiness,
    /// for a member that is expected to stop by itself; returns its exit status (≤ `timeout`),
    /// `None` if it is still running then.
    pub fn restart_expecting_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        self.kill9();
        let marker = format!("\n--- restart #{} (expecting exit) ---\n", self.starts);
        self.log
            .lock()
            .expect("log lock")
            .extend_from_slice(marker.as_bytes());
        if let Err(StartError::AddrInUse(e)) | Err(StartError::Other(e)) = self.spawn() {
            panic!("restart of {} member failed: {e}", self.kind.label());
        }
        self.ready_rx = None;
        self.wait_exit(timeout)
    }

    /// Starts the process again on the same data dir and ports (kills it first if running).
    pub fn restart(&mut self) {
        self.kill9();
        let marker = format!("\n--- restart #{} ---\n", self.starts);
        self.log
            .lock()
            .expect("log lock")
            .extend_from_slice(marker.as_bytes());
        match self.spawn().and_then(|()| self.wait_ready()) {
            Ok(()) => {}
            Err(StartError::AddrInUse(log)) | Err(StartError::Other(log)) => {
                panic!("restart of {} member failed:\n{log}", self.kind.label())
            }
        }
    }

    /// Waits until `/health` answers `{"health":"true"}` (bounded by `timeout`).
    pub fn wait_healthy(&self, timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        let mut last = String::from("(no answer)");
        while Instant::now() < deadline {
            match http_get(self.client_addr(), "/health") {
                Ok((200, body)) if body.contains(r#""health":"true""#) => return Ok(()),
                Ok((code, body)) => last = format!("{code} {body}"),
                Err(e) => last = e.to_string(),
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(format!(
            "/health not true within {timeout:?}; last answer: {last}"
        ))
    }

    /// Starts the process (stderr drained into the log, watchdog armed); does not wait.
    fn spawn(&mut self) -> Result<(), StartError> {
        self.starts += 1;
        let mut cmd = Command::new(self.kind.binary());
        for (k, _) in std::env::vars() {
            if k.starts_with("ETCD_") {
                cmd.env_remove(k); // ETCD_* are flag twins for both servers
            }
        }
        cmd.envs(self.opts.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let mut child = cmd
            .args(self.args())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| {
                StartError::Other(format!("spawn {}: {e}", self.kind.binary().display()))
            })?;
        let stderr = child.stderr.take().expect("piped stderr");
        let (ready_tx, ready_rx) = mpsc::channel::<()>();
        let log = Arc::clone(&self.log);
        std::thread::spawn(move || {
            let mut r = BufReader::new(stderr);
            let mut line = Vec::new();
            let mut tx = Some(ready_tx);
            loop {
                line.clear();
                match r.read_until(b'\n', &mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        if String::from_utf8_lossy(&line).contains(READY_LINE) {
                            if let Some(tx) = tx.take() {
                                let _ = tx.send(());
                            }
                        }
                        log.lock().expect("log lock").extend_from_slice(&line);
                    }
                }
            }
        });
        let pid = child.id();
        *self.child.lock().expect("child lock") = Some(child);
        spawn_watchdog(Arc::clone(&self.child), pid);
        self.ready_rx = Some(ready_rx);
        Ok(())
    }

    /// Waits ≤ [`READY_TIMEOUT`] for [`READY_LINE`] from the process started by `spawn`, then
    /// for `/health` true. Kills the process on timeout.
    fn wait_ready(&mut self) -> Result<(), StartError> {
        let ready_rx = self.ready_rx.take().expect("wait_ready after spawn");
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            match ready_rx.recv_timeout(Duration::from_millis(100)) {
                Ok(()) => break,
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                // stderr closed: the process is exiting; poll its status without spinning.
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    std::thread::sleep(Duration::from_millis(50))
                }
            }
            let exited = {
                let mut g = self.child.lock().expect("child lock");
                match g.as_mut().map(|c| c.try_wait()) {
                    Some(Ok(Some(status))) => {
                        g.take();
                        Some(status)
                    }
                    _ => None,
                }
            };
            if let Some(status) = exited {
                std::thread::sleep(Duration::from_millis(200)); // let the drain thread finish
                let log = self.stderr();
                if log.to_ascii_lowercase().contains("address already in use") {
                    return Err(StartError::AddrInUse(log));
                }
                return Err(StartError::Other(format!(
                    "{} member exited ({status}) before `{READY_LINE}`; args {:?}; stderr:\n{log}",
                    self.kind.label(),
                    self.args()
                )));
            }
            if Instant::now() >= deadline {
                self.kill9();
                return Err(StartError::Other(format!(
                    "{} member did not print `{READY_LINE}` within {READY_TIMEOUT:?}; stderr:\n{}",
                    self.kind.label(),
                    self.stderr()
                )));
            }
        }
        if self.opts.https {
            return Ok(());
        }
        self.wait_healthy(READY_TIMEOUT.saturating_sub(Duration::from_secs(5)))
            .map_err(|e| {
                StartError::Other(format!(
                    "{} member: {e}; stderr:\n{}",
                    self.kind.label(),
                    self.stderr()
                ))
            })
    }
}

/// Kills the child (if it is still the same process) after [`MAX_CHILD_LIFETIME`].
fn spawn_watchdog(slot: Arc<Mutex<Option<Child>>>, pid: u32) {
    std::thread::spawn(move || {
        std::thread::sleep(MAX_CHILD_LIFETIME);
        if let Ok(mut g) = slot.lock() {
            if g.as_ref().map(|c| c.id()) == Some(pid) {
                if let Some(mut c) = g.take() {
                    eprintln!("watchdog: killing pid {pid} after {MAX_CHILD_LIFETIME:?}");
                    let _ = c.kill();
                    let _ = c.wait();
                }
            }
        }
    });
}

impl Drop for Member {
    fn drop(&mut self) {
        self.kill9();
        if std::thread::panicking() {
            eprintln!(
                "----- stderr of {} member {:?} (client {}) -----\n{}\n----- end -----",
                self.kind.label(),
                self.opts.name,
                self.client_url(),
                self.stderr_tail(40)
            );
        }
    }
}

/// N members of one cluster, started together (a member of a multi-member cluster only prints
/// [`READY_LINE`] once a quorum is up). Members are named `m1..mN`; each has its own data dir
/// and ports. Dropping the cluster kills every member.
pub struct Cluster {
    /// The members, `m1` first.
    pub members: Vec<Member>,
}

impl Cluster {
    /// Starts `n` members of `kind` with token `token` and waits until all are ready and
    /// healthy. Retries on fresh ports (≤ 3 times) when a bind race is lost.
    pub fn start(kind: ServerKind, n: usize, token: &str) -> Cluster {
        Cluster::start_with(kind, n, token, false, &|_| Vec::new())
    }

    /// [`Cluster::start`] with `https` client and peer URLs when `https`, and the extra flags
    /// `extra(i)` for member `m{i+1}` (e.g. its own peer certificate).
    pub fn start_with(
        kind: ServerKind,
        n: usize,
        token: &str,
        https: bool,
        extra: &dyn Fn(usize) -> Vec<String>,
    ) -> Cluster {
        Cluster::start_inner(kind, n, token, https, extra, &[], None).0
    }

    /// [`Cluster::start`] with member `m{i+1}`'s data dir at `data_dirs[i]` (the test owns
    /// them, e.g. on a test filesystem) instead of fresh temp dirs, and the `extra` flags on
    /// every member.
    pub fn start_in(
        kind: ServerKind,
        token: &str,
        data_dirs: &[PathBuf],
        extra: &[String],
    ) -> Cluster {
        Cluster::start_inner(
            kind,
            data_dirs.len(),
            token,
            false,
            &|_| extra.to_vec(),
            data_dirs,
            None,
        )
        .0
    }

    /// [`Cluster::start_with`] (plain `http`) with every member dialing the others through a
    /// per-link TCP proxy ([`links::Links`]), so that network faults can be injected per
    /// ordered pair of members, and `env` in every member's environment. Needs our server
    /// built with `--features failpoints` (the redirection of peer URLs exists only there).
    pub fn start_linked(
        n: usize,
        token: &str,
        extra: &dyn Fn(usize) -> Vec<String>,
        env: &[(String, String)],
    ) -> (Cluster, links::Links) {
        let (c, l) = Cluster::start_inner(ServerKind::Ours, n, token, false, extra, &[], Some(env));
        (c, l.expect("invariant: links were asked for"))
    }

    fn start_inner(
        kind: ServerKind,
        n: usize,
        token: &str,
        https: bool,
        extra: &dyn Fn(usize) -> Vec<String>,
        data_dirs: &[PathBuf],
        linked: Option<&[(String, String)]>,
    ) -> (Cluster, Option<links::Links>) {
        let scheme = if https { "https" } else { "http" };
        let mut last = String::new();
        for _attempt in 0..3 {
            let ports: Vec<(u16, u16)> = (0..n).map(|_| (free_port(), free_port())).collect();
            let peer_ports: Vec<u16> = ports.iter().map(|p| p.1).collect();
            let links = linked.map(|_| links::Links::new(&peer_ports));
            let initial_cluster = ports
                .iter()
                .enumerate()
                .map(|(i, (_, p))| format!("m{}={scheme}://127.0.0.1:{p}", i + 1))
                .collect::<Vec<_>>()
                .join(",");
            let mut members: Vec<Member> = ports
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    Member::unstarted(
                        kind,
                        MemberOpts {
                            name: format!("m{}", i + 1),
                            token: token.to_string(),
                            ports: Some(*p),
                            initial_cluster: Some(initial_cluster.clone()),
                            https,
                            extra_args: extra(i),
                            data_dir: data_dirs.get(i).cloned(),
                            env: links
                                .iter()
                                .map(|l| {
                                    (
                                        "FAILPOINTS_PEER_DIAL_MAP".to_string(),
                                        l.dial_map(i, &peer_ports),
                                    )
                                })
                                .chain(linked.unwrap_or_default().iter().cloned())
                                .collect(),
                            ..Default::default()
                        },
                    )
                })
                .collect();
            let mut result = Ok(());
            for m in members.iter_mut() {
                result = result.and_then(|()| m.spawn());
            }
            for m in members.iter_mut() {
                result = result.and_then(|()| m.wait_ready());
            }
            match result {
                Ok(()) => return (Cluster { members }, links),
                Err(StartError::AddrInUse(log)) => last = log, // members dropped: all killed
                Err(StartError::Other(msg)) => panic!("{n}-member {} cluster: {msg}", kind.label()),
            }
        }
        panic!(
            "{n}-member {} cluster could not bind free ports 3 times; last stderr:\n{last}",
            kind.label()
        );
    }

    /// SIGKILLs every member, then starts them all again on their data dirs and ports and waits
    /// until all are ready (a member of a multi-member cluster only gets ready once a quorum is
    /// back, so they are spawned together, as [`Cluster::start`] does).
    pub fn kill_all_and_restart(&mut self) {
        self.kill_all();
        self.restart_all();
    }

    /// SIGKILLs (and reaps) every member.
    pub fn kill_all(&mut self) {
        for m in self.members.iter_mut() {
            m.kill9();
        }
    }

    /// Starts every member again on its data dir and ports (killing any still running) and
    /// waits until all are ready; panics with the logs when one cannot start.
    pub fn restart_all(&mut self) {
        for m in self.members.iter_mut() {
            m.kill9();
            let marker = format!("\n--- restart #{} (whole cluster) ---\n", m.starts);
            m.log
                .lock()
                .expect("log lock")
                .extend_from_slice(marker.as_bytes());
        }
        let mut result = Ok(());
        for m in self.members.iter_mut() {
            result = result.and_then(|()| m.spawn());
        }
        for m in self.members.iter_mut() {
            result = result.and_then(|()| m.wait_ready());
        }
        if let Err(StartError::AddrInUse(log)) | Err(StartError::Other(log)) = result {
            panic!("whole-cluster restart failed:\n{log}");
        }
    }

    /// All client URLs, comma-separated (for `--endpoints`).
    pub fn endpoints(&self) -> String {
        self.members
            .iter()
            .map(Member::client_url)
            .collect::<Vec<_>>()
            .join(",")
    }
}

// ---------------------------------------------------------------------------------------------
// Background processes

/// A background child (e.g. `etcdctl watch`, `etcdctl lock`) whose stdout and stderr are read
/// by threads into buffers (the pipes never fill); complete stdout lines also arrive on a
/// channel for [`Proc::next_line`]. Killed by PID (`Child::kill`) on Drop and by a watchdog
/// after [`MAX_CHILD_LIFETIME`]; every wait has a deadline.
pub struct Proc {
    child: Arc<Mutex<Option<Child>>>,
    pid: u32,
    what: String,
    stdin: Option<ChildStdin>,
    out: Arc<Mutex<Vec<u8>>>,
    err: Arc<Mutex<Vec<u8>>>,
    lines: mpsc::Receiver<String>,
    status: Option<ExitStatus>,
}

impl Proc {
    /// Spawns `cmd` with piped stdout and stderr; stdin is piped (see [`Proc::write_stdin`],
    /// [`Proc::close_stdin`]) when `piped_stdin`, else null. Panics on spawn failure.
    pub fn spawn(mut cmd: Command, piped_stdin: bool) -> Proc {
        let what = format!("{cmd:?}");
        let mut child = spawn_piped(&mut cmd, piped_stdin);
        let stdin = child.stdin.take();
        let (tx, lines) = mpsc::channel();
        let out = collect_lines(child.stdout.take().expect("piped stdout"), Some(tx));
        let err = collect_lines(child.stderr.take().expect("piped stderr"), None);
        let pid = child.id();
        let child = Arc::new(Mutex::new(Some(child)));
        spawn_watchdog(Arc::clone(&child), pid);
        Proc {
            child,
            pid,
            what,
            stdin,
            out,
            err,
            lines,
            status: None,
        }
    }

    /// The child's PID.
    pub fn pid(&self) -> u32 {
        self.pid
    }
    /// The command line, for messages.
    pub fn what(&self) -> &str {
        &self.what
    }
    /// stdout so far, lossy UTF-8.
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.out.lock().expect("out lock")).into_owned()
    }
    /// stderr so far, lossy UTF-8.
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.err.lock().expect("err lock")).into_owned()
    }
    /// Both streams so far, for failure messages.
    pub fn output(&self) -> String {
        format!("stdout:\n{}\nstderr:\n{}", self.stdout(), self.stderr())
    }

    /// Writes `input` to the piped stdin. Panics if stdin is not piped or closed.
    pub fn write_stdin(&mut self, input: &str) {
        let w = self.stdin.as_mut().expect("Proc spawned with piped stdin");
        w.write_all(input.as_bytes()).expect("write child stdin");
    }
    /// Closes stdin (the child reads EOF).
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// The next complete stdout line (without its newline) if one is already there;
    /// `Err(Disconnected)` once stdout is closed and every line was taken.
    pub fn try_next_line(&self) -> Result<String, mpsc::TryRecvError> {
        self.lines.try_recv()
    }
    /// The next complete stdout line, waiting at most `within`; `None` on timeout or EOF.
    pub fn next_line(&self, within: Duration) -> Option<String> {
        self.lines.recv_timeout(within).ok()
    }
    /// [`Proc::next_line`] for async tests: polls without blocking the runtime's thread.
    pub async fn next_line_async(&self, within: Duration) -> Option<String> {
        let until = Instant::now() + within;
        loop {
            match self.try_next_line() {
                Ok(l) => return Some(l),
                Err(mpsc::TryRecvError::Disconnected) => return None,
                Err(mpsc::TryRecvError::Empty) if Instant::now() >= until => return None,
                Err(mpsc::TryRecvError::Empty) => {
                    tokio::time::sleep(Duration::from_millis(20)).await
                }
            }
        }
    }

    /// Waits (≤ `within`) until stdout satisfies `done` and returns it; panics with the output
    /// (and `what`, the awaited condition) otherwise.
    pub fn wait_stdout(&self, what: &str, within: Duration, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + within;
        loop {
            let s = self.stdout();
            if done(&s) {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "{}: no {what} on stdout within {within:?}; {}",
                self.what,
                self.output()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    /// Waits (≤ `within`) until stdout has at least `n` lines and returns it.
    pub fn wait_stdout_lines(&self, n: usize, within: Duration) -> String {
        self.wait_stdout(&format!("{n} lines"), within, |s| s.lines().count() >= n)
    }
    /// Waits (≤ `within`) until stdout contains `needle` and returns it.
    pub fn wait_stdout_contains(&self, needle: &str, within: Duration) -> String {
        self.wait_stdout(&format!("{needle:?}"), within, |s| s.contains(needle))
    }

    /// The exit status if the child has exited (reaps it), else `None`.
    pub fn try_exit(&mut self) -> Option<ExitStatus> {
        if self.status.is_none() {
            let mut g = self.child.lock().expect("child lock");
            if let Some(Ok(Some(st))) = g.as_mut().map(|c| c.try_wait()) {
                g.take();
                self.status = Some(st);
            }
        }
        self.status
    }
    /// True once the child has exited.
    pub fn exited(&mut self) -> bool {
        self.try_exit().is_some()
    }

    /// Sends `kill -<sig>` to this child's PID while it is still running (never to a PID
    /// that may have been reused).
    pub fn signal(&self, sig: &str) {
        let mut g = self.child.lock().expect("child lock");
        if let Some(Ok(None)) = g.as_mut().map(|c| c.try_wait()) {
            let _ = Command::new("kill")
                .arg(format!("-{sig}"))
                .arg(self.pid.to_string())
                .status();
        }
    }

    /// The exit status if the child has exited; after `deadline` kills it and panics with its
    /// output (`within` names the wait in the message).
    fn exit_by(&mut self, deadline: Instant, within: Duration) -> Option<ExitStatus> {
        let st = self.try_exit();
        if st.is_none() && Instant::now() >= deadline {
            self.kill();
            panic!(
                "{} still running after {within:?}; {}",
                self.what,
                self.output()
            );
        }
        st
    }
    /// Waits (≤ `within`) for the child to exit; on overrun kills it and panics with its output.
    pub fn wait_exit(&mut self, within: Duration) -> ExitStatus {
        let deadline = Instant::now() + within;
        loop {
            if let Some(st) = self.exit_by(deadline, within) {
                return st;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    /// [`Proc::wait_exit`] for async tests.
    pub async fn wait_exit_async(&mut self, within: Duration) -> ExitStatus {
        let deadline = Instant::now() + within;
        loop {
            if let Some(st) = self.exit_by(deadline, within) {
                return st;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// [`Proc::wait_exit`], then both streams once the reader threads have drained them.
    pub fn finish(&mut self, within: Duration) -> Output {
        let status = self.wait_exit(within);
        std::thread::sleep(Duration::from_millis(100)); // let the reader threads drain
        Output {
            status,
            stdout: self.out.lock().expect("out lock").clone(),
            stderr: self.err.lock().expect("err lock").clone(),
        }
    }

    /// SIGINT to this child's PID, then [`Proc::finish`] within 10 s.
    pub fn interrupt(&mut self) -> Output {
        self.signal("INT");
        self.finish(Duration::from_secs(10))
    }

    /// SIGKILLs the child (by PID, via `Child::kill`) and reaps it. No-op once reaped.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.lock().expect("child lock").take() {
            let _ = c.kill();
            if let Ok(st) = c.wait() {
                self.status.get_or_insert(st);
            }
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Spawns `cmd` with piped stdout and stderr, stdin piped or null. Panics on failure.
fn spawn_piped(cmd: &mut Command, piped_stdin: bool) -> Child {
    cmd.stdin(if piped_stdin {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap_or_else(|e| panic!("spawn {cmd:?}: {e}"))
}

/// Reads `r` line by line into a shared buffer (newlines kept), sending each complete line
/// (without its newline; a last line without one at EOF too) on `tx` when given.
fn collect_lines(
    r: impl Read + Send + 'static,
    tx: Option<mpsc::Sender<String>>,
) -> Arc<Mutex<Vec<u8>>> {
    let buf = Arc::new(Mutex::new(Vec::new()));
    let b = Arc::clone(&buf);
    std::thread::spawn(move || {
        let mut r = BufReader::new(r);
        let mut line = Vec::new();
        loop {
            line.clear();
            match r.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    b.lock().expect("buffer lock").extend_from_slice(&line);
                    if let Some(tx) = &tx {
                        let l = line.strip_suffix(b"\n").unwrap_or(&line);
                        let _ = tx.send(String::from_utf8_lossy(l).into_owned());
                    }
                }
            }
        }
    });
    buf
}

/// Waits (≤ `within`) until something accepts TCP connections on `addr` (`127.0.0.1:<port>`),
/// e.g. a gateway or proxy [`Proc`] that prints no ready line. Panics at the deadline.
pub fn wait_listening(addr: &str, within: Duration) {
    let deadline = Instant::now() + within;
    while TcpStream::connect(addr).is_err() {
        assert!(
            Instant::now() < deadline,
            "nothing listens on {addr} after {within:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

// ---------------------------------------------------------------------------------------------
// CLIs

/// Runs `program args` with `stdin`, killing it after `timeout`. Panics on spawn failure or
/// on timeout (with what it printed so far).
pub fn run_with_timeout(mut cmd: Command, stdin: Option<&str>, timeout: Duration) -> Output {
    let desc = format!("{cmd:?}");
    let mut child = spawn_piped(&mut cmd, stdin.is_some());
    if let Some(input) = stdin {
        let mut w = child.stdin.take().expect("piped stdin");
        let input = input.to_string();
        std::thread::spawn(move || {
            let _ = w.write_all(input.as_bytes());
        });
    }
    let out_h = drain(child.stdout.take().expect("piped stdout"));
    let err_h = drain(child.stderr.take().expect("piped stderr"));
    let deadline = Instant::now() + timeout;
    let status: ExitStatus = loop {
        if let Some(s) = child.try_wait().expect("try_wait") {
            break s;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            let so = out_h.join().unwrap_or_default();
            let se = err_h.join().unwrap_or_default();
            panic!(
                "{desc} timed out after {timeout:?}\nstdout:\n{}\nstderr:\n{}",
                String::from_utf8_lossy(&so),
                String::from_utf8_lossy(&se)
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Output {
        status,
        stdout: out_h.join().unwrap_or_default(),
        stderr: err_h.join().unwrap_or_default(),
    }
}

fn drain<R: Read + Send + 'static>(mut r: R) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = r.read_to_end(&mut buf);
        buf
    })
}

/// The official etcdctl (v3 API) against `endpoint`: `etcdctl --endpoints=<endpoint> args…`.
/// Killed after [`CLI_TIMEOUT`].
pub fn etcdctl(endpoint: &str, args: &[&str], stdin: Option<&str>) -> Output {
    run_with_timeout(etcdctl_command(endpoint, args), stdin, CLI_TIMEOUT)
}

/// The [`etcdctl`] command line, not started (e.g. for [`Proc::spawn`]).
pub fn etcdctl_command(endpoint: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(ETCDCTL_BIN);
    clean_ctl_env(&mut cmd);
    cmd.env("ETCDCTL_API", "3")
        .arg(format!("--endpoints={endpoint}"))
        .args(args);
    cmd
}

/// [`etcdctl`] in the background (a [`Proc`], stdin null).
pub fn etcdctl_bg(endpoint: &str, args: &[&str]) -> Proc {
    Proc::spawn(etcdctl_command(endpoint, args), false)
}

/// Our ctl: `etcd ctl --endpoints=<endpoint> args…`, same shape as [`etcdctl`].
pub fn our_ctl(endpoint: &str, args: &[&str], stdin: Option<&str>) -> Output {
    run_with_timeout(our_ctl_command(endpoint, args), stdin, CLI_TIMEOUT)
}

/// The [`our_ctl`] command line, not started (e.g. for [`run_with_timeout`] with a longer
/// deadline, or [`Proc::spawn`]).
pub fn our_ctl_command(endpoint: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_etcd"));
    clean_ctl_env(&mut cmd);
    cmd.env("ETCDCTL_API", "3")
        .arg("ctl")
        .arg(format!("--endpoints={endpoint}"))
        .args(args);
    cmd
}

/// Our binary with arbitrary arguments (e.g. server flags), killed after `timeout`.
pub fn our_bin(args: &[&str], timeout: Duration) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_etcd"));
    for (k, _) in std::env::vars() {
        if k.starts_with("ETCD_") {
            cmd.env_remove(k);
        }
    }
    cmd.args(args);
    run_with_timeout(cmd, None, timeout)
}

/// A command running our binary under another name (argv0 dispatch: `etcdctl`, `etcdutl`,
/// `cfssl`): a symlink `dir/<argv0>` to it, made once. Run it with [`run_with_timeout`].
pub fn our_bin_as(dir: &Path, argv0: &str) -> Command {
    let link = dir.join(argv0);
    if !link.exists() {
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_etcd"), &link)
            .unwrap_or_else(|e| panic!("symlink {}: {e}", link.display()));
    }
    Command::new(link)
}

fn clean_ctl_env(cmd: &mut Command) {
    for (k, _) in std::env::vars() {
        if k.starts_with("ETCDCTL_") {
            cmd.env_remove(k);
        }
    }
}

/// `stdout` of an [`Output`] as a String; panics (with both streams) unless it exited 0.
pub fn ok_stdout(out: &Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what} failed ({}):\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

// ---------------------------------------------------------------------------------------------
// gRPC clients

/// A current-thread tokio runtime (timers and I/O enabled) for sync tests that make gRPC
/// calls.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// A multi-thread tokio runtime with 2 workers (the machine's core count), timers and I/O
/// enabled.
pub fn multi_thread_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// A tonic channel to `url` (e.g. [`Member::client_url`]) whose connect and every unary call
/// are bounded by `timeout`; the connection is made eagerly, within `timeout`. Errors are
/// the reason as text (bad URL, connect timed out, refused...).
pub async fn try_connect(
    url: &str,
    timeout: Duration,
) -> Result<tonic::transport::Channel, String> {
    let ep = tonic::transport::Channel::from_shared(url.to_string())
        .map_err(|e| e.to_string())?
        .connect_timeout(timeout)
        .timeout(timeout);
    tokio::time::timeout(timeout, ep.connect())
        .await
        .map_err(|_| "connect timed out".to_string())?
        .map_err(|e| e.to_string())
}

/// [`try_connect`], panicking (with the reason) when it fails.
pub async fn connect(url: &str, timeout: Duration) -> tonic::transport::Channel {
    try_connect(url, timeout)
        .await
        .unwrap_or_else(|e| panic!("connect {url}: {e}"))
}

// ---------------------------------------------------------------------------------------------
// Certificates

/// `dir/file` as a String, for flag values.
pub fn cert_path(dir: &Path, file: &str) -> String {
    dir.join(file).to_string_lossy().into_owned()
}

/// `etcd certs init --hosts <hosts> --members <members> [--client-cn <cn>] --dir <dir>` (our
/// own CA, server, `peer-<member>` and, with a CN, `client` certificates), bounded to 60 s;
/// panics with the output on failure.
pub fn certs_init(dir: &Path, hosts: &str, members: &str, client_cn: Option<&str>) {
    let ds = dir.to_string_lossy().into_owned();
    let mut args = vec!["certs", "init", "--hosts", hosts, "--members", members];
    if let Some(cn) = client_cn {
        args.extend(["--client-cn", cn]);
    }
    args.extend(["--dir", &ds]);
    let out = our_bin(&args, Duration::from_secs(60));
    ok_stdout(&out, &format!("etcd {}", args.join(" ")));
}

/// Certificates for client-certificate auth in `dir`, made by our `etcd certs init --hosts
/// 127.0.0.1 --members <member> --client-cn root`: `ca.pem`, `server.pem`, `peer-<member>.pem`
/// and `client.pem` (CN `root`), each with its `-key.pem`. Then, per `(name, cn)` in `extra`,
/// a client certificate `<name>.pem` / `<name>-key.pem` signed by that CA with `etcd certs
/// gencert` from a cfssl CSR JSON (no CN when `cn` is `None`). Every step is bounded; panics
/// with the output on failure.
pub fn client_cert_dir(dir: &Path, member: &str, extra: &[(&str, Option<&str>)]) {
    certs_init(dir, "127.0.0.1", member, Some("root"));
    std::fs::write(
        dir.join("cfg.json"),
        r#"{"signing":{"default":{"expiry":"8760h","usages":["signing","key encipherment","client auth"]}}}"#,
    )
    .expect("write cfg.json");
    for (name, cn) in extra {
        let csr = match cn {
            Some(cn) => format!(r#"{{"CN":"{cn}","key":{{"algo":"ecdsa","size":256}}}}"#),
            None => r#"{"key":{"algo":"ecdsa","size":256}}"#.to_string(),
        };
        std::fs::write(dir.join(format!("{name}.json")), csr).expect("write CSR json");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_etcd"));
        cmd.current_dir(dir).args([
            "certs",
            "gencert",
            "-ca=ca.pem",
            "-ca-key=ca-key.pem",
            "-config=cfg.json",
            &format!("{name}.json"),
            "-bare",
            name,
        ]);
        let out = run_with_timeout(cmd, None, Duration::from_secs(60));
        ok_stdout(&out, &format!("etcd certs gencert {name}"));
    }
}

/// Server flags for client TLS with `--client-cert-auth` on the certificates of
/// [`client_cert_dir`] (peer side `--peer-auto-tls`; `--bcrypt-cost=4` for fast auth tests).
pub fn client_cert_auth_flags(dir: &Path) -> Vec<String> {
    vec![
        format!("--cert-file={}", cert_path(dir, "server.pem")),
        format!("--key-file={}", cert_path(dir, "server-key.pem")),
        format!("--trusted-ca-file={}", cert_path(dir, "ca.pem")),
        "--client-cert-auth".to_string(),
        "--peer-auto-tls".to_string(),
        "--bcrypt-cost=4".to_string(),
    ]
}

// ---------------------------------------------------------------------------------------------
// HTTP

/// A tiny HTTP/1.0 GET over a std `TcpStream` (5 s timeouts). Returns (status, body).
/// Handles `Transfer-Encoding: chunked` in case the server uses it anyway.
pub fn http_get(addr: SocketAddr, path: &str) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    s.set_write_timeout(Some(Duration::from_secs(5)))?;
    write!(
        s,
        "GET {path} HTTP/1.0\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| std::io::Error::other(format!("no header end in {text:?}")))?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse::<u16>().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line in {head:?}")))?;
    let chunked = head.lines().any(|l| {
        let l = l.to_ascii_lowercase();
        l.starts_with("transfer-encoding:") && l.contains("chunked")
    });
    Ok((
        status,
        if chunked {
            dechunk(body)
        } else {
            body.to_string()
        },
    ))
}

/// A tiny HTTP/1.0 request with a text body (5 s timeouts), e.g. `PUT /debug/failpoints/x`.
/// Returns (status, body).
pub fn http_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: &str,
) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    s.set_write_timeout(Some(Duration::from_secs(5)))?;
    write!(
        s,
        "{method} {path} HTTP/1.0\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((text.as_str(), ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse::<u16>().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line in {head:?}")))?;
    Ok((status, body.to_string()))
}

/// [`http_get`] for a binary body (HTTP/1.0: the server answers unchunked), with a read
/// timeout of `within` for slow answers such as a CPU profile. Returns (status, body bytes).
pub fn http_get_bytes(
    addr: SocketAddr,
    path: &str,
    within: Duration,
) -> std::io::Result<(u16, Vec<u8>)> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    s.set_read_timeout(Some(within))?;
    s.set_write_timeout(Some(Duration::from_secs(5)))?;
    write!(
        s,
        "GET {path} HTTP/1.0\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("no header end"))?;
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse::<u16>().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line in {head:?}")))?;
    Ok((status, raw[end + 4..].to_vec()))
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}
