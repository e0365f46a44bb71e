//! Throughput benchmark: etcd-oxide's `etcd` against the official etcd 3.4.23, side by side,
//! in one run on one machine.
//!
//! Run (builds the release `etcd` and this driver, ~5-6 minutes of measuring):
//!
//! ```sh
//! cargo bench --bench put_throughput
//! ```
//!
//! For each server in turn (the official `/usr/bin/etcd` first, then ours, never both at once)
//! it starts a fresh single member on free 127.0.0.1 ports with a fresh temp data dir and the
//! same flags, then measures:
//!
//! - sequential puts: one client, `BENCH_SEQ_N` puts (default 2000), 256-byte values;
//! - concurrent puts: `BENCH_CLIENTS` clients (default 100) over `BENCH_CONNS` HTTP/2
//!   connections (default 10, like etcd's `benchmark --conns --clients`), `BENCH_CONC_N` puts in
//!   all (default 20000);
//! - linearizable and serializable single-key range reads: same clients, `BENCH_READ_N` reads
//!   each phase (default 20000);
//! - `etcdctl check perf --load s` with the official etcdctl;
//! - the server's peak RSS (`VmHWM` in `/proc/<pid>/status`) at the end.
//!
//! Each measured phase is also capped at `BENCH_PHASE_SECS` (default 60 s): clients stop
//! issuing requests after the cap and the table reports the operations actually done. Every
//! request has a 10 s deadline, every child process is killed after 15 minutes at most, and
//! the servers are killed by PID when the run ends.
//!
//! Profiling knobs: `BENCH_ONLY=ours|etcd` (one server, no table), `BENCH_SKIP_CHECK_PERF=1`,
//! `BENCH_PAUSE_SECS=n` (≤ 60: time to attach `strace -p`/`perf record -p` after start).
//!
//! Output: a markdown table on stdout, also written to `bench/RESULTS.md` with the date, the
//! machine (nproc, CPU model) and the command.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use etcd_oxide::pb::etcdserverpb::kv_client::KvClient;
use etcd_oxide::pb::etcdserverpb::{PutRequest, RangeRequest};
use tonic::transport::{Channel, Endpoint};

const ETCD_BIN: &str = "/usr/bin/etcd";
const ETCDCTL_BIN: &str = "/usr/bin/etcdctl";
const READY_LINE: &str = "ready to serve client requests";
const READY_TIMEOUT: Duration = Duration::from_secs(30);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
const MAX_CHILD_LIFETIME: Duration = Duration::from_secs(15 * 60);
const CHECK_PERF_TIMEOUT: Duration = Duration::from_secs(150);
const VALUE_SIZE: usize = 256;

struct Params {
    seq_n: usize,
    conc_n: usize,
    read_n: usize,
    clients: usize,
    conns: usize,
    phase_cap: Duration,
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

impl Params {
    fn from_env() -> Params {
        Params {
            seq_n: env_usize("BENCH_SEQ_N", 2000),
            conc_n: env_usize("BENCH_CONC_N", 20000),
            read_n: env_usize("BENCH_READ_N", 20000),
            clients: env_usize("BENCH_CLIENTS", 100).max(1),
            conns: env_usize("BENCH_CONNS", 10).max(1),
            phase_cap: Duration::from_secs(env_usize("BENCH_PHASE_SECS", 60) as u64),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Server processes

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Etcd,
    Ours,
}

impl Kind {
    fn binary(self) -> PathBuf {
        match self {
            Kind::Etcd => PathBuf::from(ETCD_BIN),
            Kind::Ours => PathBuf::from(env!("CARGO_BIN_EXE_etcd")),
        }
    }
    fn label(self) -> &'static str {
        match self {
            Kind::Etcd => "etcd 3.4.23",
            Kind::Ours => "etcd-oxide",
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Server {
    child: Arc<Mutex<Option<Child>>>,
    pid: u32,
    client_url: String,
    log: Arc<Mutex<Vec<u8>>>,
    _data_dir: tempfile::TempDir,
}

impl Server {
    fn args(data_dir: &Path, client_url: &str, peer_url: &str) -> Vec<String> {
        vec![
            "--name=bench1".into(),
            format!("--data-dir={}", data_dir.display()),
            format!("--listen-client-urls={client_url}"),
            format!("--advertise-client-urls={client_url}"),
            format!("--listen-peer-urls={peer_url}"),
            format!("--initial-advertise-peer-urls={peer_url}"),
            format!("--initial-cluster=bench1={peer_url}"),
            "--initial-cluster-token=bench".into(),
            "--initial-cluster-state=new".into(),
        ]
    }

    /// Starts a fresh member and waits (bounded) for its ready line.
    fn start(kind: Kind) -> Server {
        let data_dir = tempfile::Builder::new()
            .prefix("etcd-bench-")
            .tempdir()
            .unwrap();
        let client_url = format!("http://127.0.0.1:{}", free_port());
        let peer_url = format!("http://127.0.0.1:{}", free_port());
        let mut cmd = Command::new(kind.binary());
        for (k, _) in std::env::vars() {
            if k.starts_with("ETCD_") {
                cmd.env_remove(k);
            }
        }
        let mut child = cmd
            .args(Server::args(data_dir.path(), &client_url, &peer_url))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {}: {e}", kind.binary().display()));
        let pid = child.id();
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        {
            let log = Arc::clone(&log);
            std::thread::spawn(move || {
                let mut r = BufReader::new(stderr);
                let mut line = Vec::new();
                let mut tx = Some(tx);
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
                            let mut g = log.lock().unwrap();
                            if g.len() < 4 << 20 {
                                g.extend_from_slice(&line);
                            }
                        }
                    }
                }
            });
        }
        let child = Arc::new(Mutex::new(Some(child)));
        {
            // Watchdog: no server outlives MAX_CHILD_LIFETIME even if the run hangs.
            let slot = Arc::clone(&child);
            std::thread::spawn(move || {
                std::thread::sleep(MAX_CHILD_LIFETIME);
                if let Some(mut c) = slot.lock().unwrap().take() {
                    eprintln!("watchdog: killing pid {pid}");
                    let _ = c.kill();
                    let _ = c.wait();
                }
            });
        }
        let server = Server {
            child,
            pid,
            client_url,
            log,
            _data_dir: data_dir,
        };
        if rx.recv_timeout(READY_TIMEOUT).is_err() {
            panic!(
                "{} did not print `{READY_LINE}` within {READY_TIMEOUT:?}; stderr:\n{}",
                kind.label(),
                server.stderr()
            );
        }
        server
    }

    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.log.lock().unwrap()).into_owned()
    }

    /// Peak resident set size (`VmHWM`), in KiB.
    fn peak_rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid)).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }

    fn stop(&self) {
        if let Some(mut c) = self.child.lock().unwrap().take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

// ---------------------------------------------------------------------------------------------
// Load generation

/// Result of one measured phase.
#[derive(Default, Clone)]
struct Phase {
    ok: usize,
    errors: usize,
    first_error: Option<String>,
    elapsed: Duration,
    lat: Vec<Duration>,
}

impl Phase {
    fn ops_per_sec(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
    fn pct(&self, p: f64) -> Duration {
        if self.lat.is_empty() {
            return Duration::ZERO;
        }
        let idx = ((self.lat.len() as f64 * p).ceil() as usize).clamp(1, self.lat.len()) - 1;
        self.lat[idx]
    }
    fn merge(mut parts: Vec<Phase>, elapsed: Duration) -> Phase {
        let mut out = Phase {
            elapsed,
            ..Default::default()
        };
        for p in parts.drain(..) {
            out.ok += p.ok;
            out.errors += p.errors;
            if out.first_error.is_none() {
                out.first_error = p.first_error;
            }
            out.lat.extend(p.lat);
        }
        out.lat.sort_unstable();
        out
    }
}

#[derive(Clone, Copy)]
enum Op {
    Put,
    Range { serializable: bool },
}

async fn connect(url: &str, conns: usize) -> Vec<Channel> {
    let mut chans = Vec::with_capacity(conns);
    for _ in 0..conns {
        let ch = Endpoint::from_shared(url.to_string())
            .unwrap()
            .connect_timeout(Duration::from_secs(5))
            .timeout(REQUEST_TIMEOUT)
            .tcp_nodelay(true)
            .connect()
            .await
            .unwrap_or_else(|e| panic!("connect {url}: {e}"));
        chans.push(ch);
    }
    chans
}

/// `clients` tasks share `conns` connections and do `total` operations in all (each client
/// its share), stopping early at `cap`.
async fn run_phase(
    url: &str,
    conns: usize,
    clients: usize,
    total: usize,
    cap: Duration,
    op: Op,
    tag: &str,
) -> Phase {
    let chans = connect(url, conns).await;
    let value = vec![b'v'; VALUE_SIZE];
    let start = Instant::now();
    let deadline = start + cap;
    let mut tasks = Vec::with_capacity(clients);
    for c in 0..clients {
        let mut kv = KvClient::new(chans[c % chans.len()].clone());
        let n = total / clients + usize::from(c < total % clients);
        let value = value.clone();
        let tag = tag.to_string();
        tasks.push(tokio::spawn(async move {
            let mut p = Phase {
                lat: Vec::with_capacity(n),
                ..Default::default()
            };
            for i in 0..n {
                if Instant::now() >= deadline {
                    break;
                }
                let t0 = Instant::now();
                let res = match op {
                    Op::Put => kv
                        .put(PutRequest {
                            key: format!("{tag}/{c:03}/{i:06}").into_bytes(),
                            value: value.clone(),
                            ..Default::default()
                        })
                        .await
                        .map(|_| ()),
                    Op::Range { serializable } => kv
                        .range(RangeRequest {
                            key: b"bench/read".to_vec(),
                            serializable,
                            ..Default::default()
                        })
                        .await
                        .map(|_| ()),
                };
                let dt = t0.elapsed();
                match res {
                    Ok(()) => {
                        p.ok += 1;
                        p.lat.push(dt);
                    }
                    Err(e) => {
                        p.errors += 1;
                        if p.first_error.is_none() {
                            p.first_error = Some(format!("{}: {}", e.code(), e.message()));
                        }
                    }
                }
            }
            p
        }));
    }
    let mut parts = Vec::with_capacity(clients);
    for t in tasks {
        parts.push(t.await.unwrap());
    }
    Phase::merge(parts, start.elapsed())
}

// ---------------------------------------------------------------------------------------------
// etcdctl check perf

/// Lines of `etcdctl check perf --load s` worth reporting (PASS/FAIL, throughput, slowest,
/// stddev), and its exit status.
fn check_perf(url: &str) -> (Vec<String>, String) {
    let mut child = Command::new(ETCDCTL_BIN)
        .env("ETCDCTL_API", "3")
        .arg(format!("--endpoints={url}"))
        .args(["check", "perf", "--load", "s"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn etcdctl");
    let mut outs = Vec::new();
    for pipe in [
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
    ]
    .into_iter()
    .flatten()
    {
        outs.push(std::thread::spawn(move || {
            let mut s = Vec::new();
            let mut pipe = pipe;
            let _ = std::io::Read::read_to_end(&mut pipe, &mut s);
            String::from_utf8_lossy(&s).into_owned()
        }));
    }
    let deadline = Instant::now() + CHECK_PERF_TIMEOUT;
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break format!("{st}");
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            break format!("killed after {CHECK_PERF_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let text: String = outs
        .into_iter()
        .map(|h| h.join().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n");
    let lines = text
        .split(['\r', '\n'])
        .map(str::trim)
        .filter(|l| {
            l.starts_with("PASS")
                || l.starts_with("FAIL")
                || l.starts_with("Error")
                || l.contains("Throughput")
                || l.contains("Slowest")
                || l.contains("Stddev")
        })
        .map(str::to_string)
        .collect::<Vec<_>>();
    (lines, status)
}

// ---------------------------------------------------------------------------------------------
// One server, all phases

struct Report {
    seq: Phase,
    conc: Phase,
    lin: Phase,
    ser: Phase,
    check_perf: Vec<String>,
    check_perf_status: String,
    peak_rss_kib: Option<u64>,
    load_before: String,
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

fn bench_server(kind: Kind, p: &Params, rt: &tokio::runtime::Runtime) -> Report {
    let load_before = loadavg();
    eprintln!("== {} (load {load_before})", kind.label());
    let server = Server::start(kind);
    let url = server.client_url.clone();
    eprintln!("   started pid {} at {url}", server.pid);
    if let Some(secs) = std::env::var("BENCH_PAUSE_SECS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        // Time to attach a profiler (strace/perf -p PID) before the phases start.
        std::thread::sleep(Duration::from_secs(secs.min(60)));
    }
    let (seq, conc, lin, ser) = rt.block_on(async {
        // Warm-up: a few puts, and the key the read phases fetch.
        let _ = run_phase(&url, 1, 1, 50, p.phase_cap, Op::Put, "warm").await;
        let mut kv = KvClient::new(connect(&url, 1).await.remove(0));
        kv.put(PutRequest {
            key: b"bench/read".to_vec(),
            value: vec![b'r'; VALUE_SIZE],
            ..Default::default()
        })
        .await
        .expect("put bench/read");
        let seq = run_phase(&url, 1, 1, p.seq_n, p.phase_cap, Op::Put, "seq").await;
        eprintln!("   sequential puts: {:.0} ops/s", seq.ops_per_sec());
        let conc = run_phase(
            &url,
            p.conns,
            p.clients,
            p.conc_n,
            p.phase_cap,
            Op::Put,
            "conc",
        )
        .await;
        eprintln!("   concurrent puts: {:.0} ops/s", conc.ops_per_sec());
        let lin = run_phase(
            &url,
            p.conns,
            p.clients,
            p.read_n,
            p.phase_cap,
            Op::Range {
                serializable: false,
            },
            "",
        )
        .await;
        eprintln!("   linearizable reads: {:.0} ops/s", lin.ops_per_sec());
        let ser = run_phase(
            &url,
            p.conns,
            p.clients,
            p.read_n,
            p.phase_cap,
            Op::Range { serializable: true },
            "",
        )
        .await;
        eprintln!("   serializable reads: {:.0} ops/s", ser.ops_per_sec());
        (seq, conc, lin, ser)
    });
    let (check_perf, check_perf_status) = if std::env::var_os("BENCH_SKIP_CHECK_PERF").is_some() {
        (Vec::new(), "skipped (BENCH_SKIP_CHECK_PERF)".to_string())
    } else {
        eprintln!("   etcdctl check perf --load s (60 s)...");
        check_perf(&url)
    };
    for l in &check_perf {
        eprintln!("   {l}");
    }
    let peak_rss_kib = server.peak_rss_kib();
    server.stop();
    Report {
        seq,
        conc,
        lin,
        ser,
        check_perf,
        check_perf_status,
        peak_rss_kib,
        load_before,
    }
}

// ---------------------------------------------------------------------------------------------
// Report

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn phase_rows(rows: &mut Vec<[String; 4]>, name: &str, e: &Phase, o: &Phase) {
    let ratio = |a: f64, b: f64| {
        if a > 0.0 {
            format!("{:.2}×", b / a)
        } else {
            "-".into()
        }
    };
    rows.push([
        format!("{name}: throughput"),
        format!("{:.0} ops/s", e.ops_per_sec()),
        format!("{:.0} ops/s", o.ops_per_sec()),
        ratio(e.ops_per_sec(), o.ops_per_sec()),
    ]);
    for (label, q) in [("p50", 0.50), ("p99", 0.99)] {
        rows.push([
            format!("{name}: {label} latency"),
            ms(e.pct(q)),
            ms(o.pct(q)),
            ratio(e.pct(q).as_secs_f64(), o.pct(q).as_secs_f64()),
        ]);
    }
    let done = |p: &Phase| {
        let mut s = format!(
            "{} ok / {} err in {:.1} s",
            p.ok,
            p.errors,
            p.elapsed.as_secs_f64()
        );
        if let Some(e) = &p.first_error {
            s.push_str(&format!(" (first error: {e})"));
        }
        s
    };
    rows.push([format!("{name}: requests"), done(e), done(o), String::new()]);
}

fn table(p: &Params, e: &Report, o: &Report) -> String {
    let mut rows: Vec<[String; 4]> = Vec::new();
    phase_rows(
        &mut rows,
        &format!("sequential put (1 client, {} × {VALUE_SIZE} B)", p.seq_n),
        &e.seq,
        &o.seq,
    );
    phase_rows(
        &mut rows,
        &format!(
            "concurrent put ({} clients / {} conns, {} × {VALUE_SIZE} B)",
            p.clients, p.conns, p.conc_n
        ),
        &e.conc,
        &o.conc,
    );
    phase_rows(
        &mut rows,
        &format!(
            "linearizable range, 1 key ({} clients, {} reads)",
            p.clients, p.read_n
        ),
        &e.lin,
        &o.lin,
    );
    phase_rows(
        &mut rows,
        &format!(
            "serializable range, 1 key ({} clients, {} reads)",
            p.clients, p.read_n
        ),
        &e.ser,
        &o.ser,
    );
    let cp = |r: &Report| {
        let mut s = r.check_perf.join("<br>");
        if s.is_empty() {
            s = "(no output)".into();
        }
        format!("{s}<br>exit: {}", r.check_perf_status)
    };
    rows.push([
        "`etcdctl check perf --load s`".into(),
        cp(e),
        cp(o),
        String::new(),
    ]);
    let rss = |r: &Report| {
        r.peak_rss_kib
            .map(|k| format!("{:.1} MiB", k as f64 / 1024.0))
            .unwrap_or_else(|| "?".into())
    };
    let rss_ratio = match (e.peak_rss_kib, o.peak_rss_kib) {
        (Some(a), Some(b)) if a > 0 => format!("{:.2}×", b as f64 / a as f64),
        _ => String::new(),
    };
    rows.push([
        "peak RSS (VmHWM) at the end".into(),
        rss(e),
        rss(o),
        rss_ratio,
    ]);
    rows.push([
        "load average before start".into(),
        e.load_before.clone(),
        o.load_before.clone(),
        String::new(),
    ]);

    let mut s =
        String::from("| case | etcd 3.4.23 | etcd-oxide | oxide / etcd |\n|---|---|---|---|\n");
    for r in rows {
        s.push_str(&format!("| {} | {} | {} | {} |\n", r[0], r[1], r[2], r[3]));
    }
    s
}

fn machine() -> String {
    let nproc = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map(str::trim)
        .unwrap_or("?")
        .to_string();
    let mem = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("MemTotal"))
        .map(|l| {
            l.split_whitespace()
                .nth(1)
                .and_then(|k| k.parse::<u64>().ok())
                .unwrap_or(0)
        })
        .unwrap_or(0);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!(
        "nproc {nproc}; CPU model `{model}`; {:.1} GiB RAM; Linux {}; temp data dirs under `{}`",
        mem as f64 / 1048576.0,
        kernel.trim(),
        std::env::temp_dir().display()
    )
}

fn now_utc() -> String {
    Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M:%S UTC"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

fn main() {
    // `cargo bench` passes `--bench`; a `cargo test --benches` run passes nothing and must not
    // start servers for minutes.
    let args: Vec<String> = std::env::args().collect();
    if !args.iter().any(|a| a == "--bench") {
        eprintln!("put_throughput: run with `cargo bench --bench put_throughput`; skipping");
        return;
    }
    if !Path::new(ETCD_BIN).is_file() || !Path::new(ETCDCTL_BIN).is_file() {
        eprintln!(
            "put_throughput: needs {ETCD_BIN} and {ETCDCTL_BIN} (Debian etcd-server, etcd-client)"
        );
        std::process::exit(2);
    }
    let p = Params::from_env();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let date = now_utc();
    // BENCH_ONLY=ours|etcd measures one server and prints its phases only (for profiling).
    match std::env::var("BENCH_ONLY").as_deref() {
        Ok("ours") | Ok("etcd") => {
            let kind = if std::env::var("BENCH_ONLY").as_deref() == Ok("ours") {
                Kind::Ours
            } else {
                Kind::Etcd
            };
            let _ = bench_server(kind, &p, &rt);
            return;
        }
        _ => {}
    }
    let etcd = bench_server(Kind::Etcd, &p, &rt);
    let ours = bench_server(Kind::Ours, &p, &rt);
    let t = table(&p, &etcd, &ours);
    println!("{t}");
    let md = format!(
        "# Benchmark: etcd-oxide vs etcd 3.4.23\n\n\
         Date: {date}\n\n\
         Machine: {}\n\n\
         Command: `cargo bench --bench put_throughput` (release build; driver in \
         `benches/put_throughput.rs`; parameters BENCH_SEQ_N={} BENCH_CONC_N={} BENCH_READ_N={} \
         BENCH_CLIENTS={} BENCH_CONNS={} BENCH_PHASE_SECS={})\n\n\
         Each server in turn, never both at once: a fresh single member on 127.0.0.1 with a fresh \
         temp data dir and the same flags (`{}`). The load generator (tonic, 2 tokio worker \
         threads) runs on the same machine as the server.\n\n{t}",
        machine(),
        p.seq_n,
        p.conc_n,
        p.read_n,
        p.clients,
        p.conns,
        p.phase_cap.as_secs(),
        Server::args(
            Path::new("<tmp>"),
            "http://127.0.0.1:<port>",
            "http://127.0.0.1:<peer>"
        )
        .join(" "),
    );
    let out = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("bench")
        .join("RESULTS.md");
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    std::fs::write(&out, md).unwrap();
    eprintln!("wrote {}", out.display());
}
