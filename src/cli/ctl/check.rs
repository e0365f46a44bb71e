//! `etcdctl check perf` and `check datascale` (etcd 3.4's `check.go`).
//!
//! `perf`: a 60 s rate-limited put load under a key prefix, then etcd's verdict lines
//! (throughput ≥ 90 % of the load's rate, slowest request ≤ 500 ms, standard deviation
//! ≤ 100 ms).
//!
//! `datascale`: puts the load's number of 1 KiB key-values (512-byte key, 512-byte value) under
//! a key prefix as fast as its clients go, and reports how much the first endpoint's resident
//! memory grew: `process_resident_memory_bytes` read from its `/metrics` before and after.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::{Args, Subcommand};

use super::connect::{client, env, GlobalArgs};
use super::exit::{
    call_err, io_err, Exit, Result, EXIT_BAD_FEATURE, EXIT_ERROR, EXIT_INVALID_INPUT,
};
use super::flags::go_bool;
use crate::client::{Client, ClientConfig};
use crate::keys::prefix_end;
use crate::pb::etcdserverpb::{DeleteRangeRequest, PutRequest, RangeRequest};

/// `check` subcommands.
#[derive(Debug, Subcommand)]
pub enum CheckCommand {
    /// Check the performance of the etcd cluster
    Perf(CheckPerfArgs),
    /// Check the memory usage of holding data for different workloads on a given server endpoint.
    #[command(
        long_about = "Check the memory usage of holding data for different workloads on a given server endpoint.\n\nIf no endpoint is provided, localhost will be used. If multiple endpoints are provided, first endpoint will be used."
    )]
    Datascale(CheckDatascaleArgs),
}

/// `check perf` flags.
#[derive(Debug, Clone, Args)]
pub struct CheckPerfArgs {
    /// The performance check's workload model. Accepted workloads: s(small), m(medium), l(large), xl(xLarge)
    #[arg(long, default_value = "s")]
    pub load: String,
    /// The prefix for writing the performance check's keys.
    #[arg(long, default_value = "/etcdctl-check-perf/")]
    pub prefix: String,
    /// Compact storage with last revision after test is finished.
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_parser = go_bool)]
    pub auto_compact: bool,
    /// Defragment storage after test is finished.
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_parser = go_bool)]
    pub auto_defrag: bool,
}

/// `check datascale` flags.
#[derive(Debug, Clone, Args)]
pub struct CheckDatascaleArgs {
    /// The datascale check's workload model. Accepted workloads: s(small), m(medium), l(large), xl(xLarge)
    #[arg(long, default_value = "s")]
    pub load: String,
    /// The prefix for writing the datascale check's keys.
    #[arg(long, default_value = "/etcdctl-check-datascale/")]
    pub prefix: String,
    /// Compact storage with last revision after test is finished.
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_parser = go_bool)]
    pub auto_compact: bool,
    /// Defragment storage after test is finished.
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_parser = go_bool)]
    pub auto_defrag: bool,
}

/// A datascale workload: how many key-values are put, their size, concurrent clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DatascaleLoad {
    /// Number of puts (key-value pairs).
    pub limit: u64,
    /// Bytes per key-value (key 512 + value 512), as etcd prints it.
    pub kv_size: usize,
    /// Concurrent clients, each with its own connection (etcd's `mustClient` per client).
    pub clients: usize,
}

/// etcd's `checkDatascaleCfgMap` with its aliases (`xl` is 3 versions of 1M objects).
pub fn datascale_load(name: &str) -> Option<DatascaleLoad> {
    let (limit, clients) = match name {
        "s" | "small" => (10_000, 50),
        "m" | "medium" => (100_000, 200),
        "l" | "large" => (1_000_000, 500),
        "xl" | "xLarge" => (3_000_000, 1000),
        _ => return None,
    };
    Some(DatascaleLoad {
        limit,
        kv_size: 1024,
        clients,
    })
}

/// A workload: puts per second, concurrent clients, seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PerfLoad {
    /// Target rate, puts per second.
    pub limit: u32,
    /// Concurrent clients.
    pub clients: usize,
    /// Duration in seconds.
    pub duration: u64,
}

/// etcd's `checkPerfCfgMap` with its aliases.
pub fn perf_load(name: &str) -> Option<PerfLoad> {
    Some(match name {
        "s" | "small" => PerfLoad {
            limit: 150,
            clients: 50,
            duration: 60,
        },
        "m" | "medium" => PerfLoad {
            limit: 1000,
            clients: 200,
            duration: 60,
        },
        "l" | "large" => PerfLoad {
            limit: 8000,
            clients: 500,
            duration: 60,
        },
        "xl" | "xLarge" => PerfLoad {
            limit: 15000,
            clients: 1000,
            duration: 60,
        },
        _ => return None,
    })
}

/// Latency statistics of a run (seconds).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PerfStats {
    /// Successful requests per second over the run.
    pub rps: f64,
    /// Slowest request, seconds.
    pub slowest: f64,
    /// Standard deviation of the latencies, seconds.
    pub stddev: f64,
    /// Failed requests.
    pub errors: usize,
}

impl PerfStats {
    /// Statistics from latencies (seconds), the failure count and the run's length.
    pub fn from_latencies(lats: &[f64], errors: usize, total: Duration) -> PerfStats {
        let n = lats.len() as f64;
        let mean = if lats.is_empty() {
            0.0
        } else {
            lats.iter().sum::<f64>() / n
        };
        let var = if lats.is_empty() {
            0.0
        } else {
            lats.iter().map(|l| (l - mean) * (l - mean)).sum::<f64>() / n
        };
        PerfStats {
            rps: if total.is_zero() {
                0.0
            } else {
                n / total.as_secs_f64()
            },
            slowest: lats.iter().copied().fold(0.0, f64::max),
            stddev: var.sqrt(),
            errors,
        }
    }
}

/// etcd's verdict lines for `stats` against `load`; `true` when everything passed.
pub fn verdict(stats: &PerfStats, load: &PerfLoad, out: &mut dyn Write) -> std::io::Result<bool> {
    let mut ok = true;
    if stats.errors > 0 {
        writeln!(out, "FAIL: too many errors")?;
        writeln!(out, "FAIL: ERROR(request failed) -> {}", stats.errors)?;
        ok = false;
    }
    if stats.rps / f64::from(load.limit) <= 0.9 {
        writeln!(
            out,
            "FAIL: Throughput too low: {} writes/s",
            stats.rps as i64 + 1
        )?;
        ok = false;
    } else {
        writeln!(out, "PASS: Throughput is {} writes/s", stats.rps as i64 + 1)?;
    }
    if stats.slowest > 0.5 {
        writeln!(out, "Slowest request took too long: {:.6}s", stats.slowest)?;
        ok = false;
    } else {
        writeln!(out, "PASS: Slowest request took {:.6}s", stats.slowest)?;
    }
    if stats.stddev > 0.1 {
        writeln!(out, "Stddev too high: {:.6}s", stats.stddev)?;
        ok = false;
    } else {
        writeln!(out, "PASS: Stddev is {:.6}s", stats.stddev)?;
    }
    writeln!(out, "{}", if ok { "PASS" } else { "FAIL" })?;
    Ok(ok)
}

/// Runs `check perf` or `check datascale`.
pub(super) async fn check(g: &GlobalArgs, cmd: CheckCommand, out: &mut dyn Write) -> Result<()> {
    match cmd {
        CheckCommand::Perf(a) => perf(g, a, out).await,
        CheckCommand::Datascale(a) => datascale(g, a, out).await,
    }
}

/// etcd's refusal to run on a prefix that already holds keys (exit 3).
async fn ensure_prefix_empty(c: &Client, prefix: &str) -> Result<()> {
    let key = prefix.as_bytes().to_vec();
    let existing = c
        .range(RangeRequest {
            range_end: prefix_end(&key),
            key,
            limit: 1,
            ..Default::default()
        })
        .await
        .map_err(call_err)?;
    if !existing.kvs.is_empty() {
        return Err(Exit::new(
            EXIT_INVALID_INPUT,
            format!(
                "prefix \"{prefix}\" has keys. Delete with etcdctl del --prefix {prefix} first"
            ),
        ));
    }
    Ok(())
}

/// `prefix` followed by a `size`-byte buffer holding Go's `binary.PutVarint` of a random
/// non-negative int63 (zigzag varint, the rest zero bytes), as etcd's checks build keys.
fn random_key(prefix: &[u8], size: usize) -> Vec<u8> {
    let mut key = Vec::with_capacity(prefix.len() + size);
    key.extend_from_slice(prefix);
    let start = key.len();
    key.resize(start + size, 0);
    let r: i64 = rand::random::<i64>() & i64::MAX;
    crate::benchmark::put_varint(&mut key[start..], r);
    key
}

/// etcdctl's `compact` helper: physical compaction at `rev` with its two lines (30 s deadline).
async fn compact_at(c: &Client, rev: i64, out: &mut dyn Write) -> Result<()> {
    writeln!(out, "Compacting with revision {rev}").map_err(io_err)?;
    let req = crate::pb::etcdserverpb::CompactionRequest {
        revision: rev,
        physical: true,
    };
    tokio::time::timeout(Duration::from_secs(30), c.compact(req))
        .await
        .map_err(|_| Exit::new(EXIT_ERROR, "context deadline exceeded"))?
        .map_err(call_err)?;
    writeln!(out, "Compacted with revision {rev}").map_err(io_err)
}

/// etcdctl's `defrag` helper over every endpoint of the client configuration, with its lines.
async fn defrag_all(cfg: &ClientConfig, out: &mut dyn Write) -> Result<()> {
    for ep in &cfg.endpoints {
        writeln!(out, "Defragmenting {ep:?}").map_err(io_err)?;
        let one = client(&ClientConfig {
            endpoints: vec![ep.clone()],
            ..cfg.clone()
        })?;
        tokio::time::timeout(Duration::from_secs(30), one.defragment())
            .await
            .map_err(|_| Exit::new(EXIT_ERROR, "context deadline exceeded"))?
            .map_err(call_err)?;
        writeln!(out, "Defragmented {ep:?}").map_err(io_err)?;
    }
    Ok(())
}

/// The end of both checks (etcdctl's): deletes the keys under `prefix`, then with
/// `--auto-compact` compacts at that delete's revision and with `--auto-defrag` defragments
/// every endpoint, printing etcdctl's lines.
async fn clean_up(
    c: &Client,
    prefix: Vec<u8>,
    auto_compact: bool,
    auto_defrag: bool,
    cfg: &ClientConfig,
    out: &mut dyn Write,
) -> Result<()> {
    let dresp = c
        .delete_range(DeleteRangeRequest {
            range_end: prefix_end(&prefix),
            key: prefix,
            ..Default::default()
        })
        .await
        .map_err(call_err)?;
    if auto_compact {
        compact_at(c, dresp.header.map(|h| h.revision).unwrap_or(0), out).await?;
    }
    if auto_defrag {
        defrag_all(cfg, out).await?;
    }
    Ok(())
}

/// Runs `check perf`.
async fn perf(g: &GlobalArgs, a: CheckPerfArgs, out: &mut dyn Write) -> Result<()> {
    let load = perf_load(&a.load)
        .ok_or_else(|| Exit::new(EXIT_BAD_FEATURE, format!("unknown load option {}", a.load)))?;
    let env = env(g)?;
    let c = client(&env.cfg)?;
    let prefix = a.prefix.clone().into_bytes();
    ensure_prefix_empty(&c, &a.prefix).await?;
    // A few clients (connections) shared by the workload's concurrent workers.
    let conns: Vec<Arc<crate::client::Client>> = (0..load.clients.clamp(1, 16))
        .map(|_| client(&env.cfg).map(Arc::new))
        .collect::<Result<_>>()?;
    let (tx, rx) = tokio::sync::mpsc::channel::<Vec<u8>>(load.clients);
    let rx = Arc::new(tokio::sync::Mutex::new(rx));
    let lats = Arc::new(Mutex::new(Vec::new()));
    let errors = Arc::new(Mutex::new(0usize));
    let started = Instant::now();
    let mut workers = Vec::new();
    for i in 0..load.clients {
        let c = conns[i % conns.len()].clone();
        let (rx, lats, errors) = (rx.clone(), lats.clone(), errors.clone());
        workers.push(tokio::spawn(async move {
            loop {
                let key = { rx.lock().await.recv().await };
                let Some(key) = key else { return };
                let st = Instant::now();
                let r = c
                    .put(PutRequest {
                        key,
                        value: vec![0u8; 1024],
                        ..Default::default()
                    })
                    .await;
                match r {
                    Ok(_) => lats
                        .lock()
                        .map(|mut l| l.push(st.elapsed().as_secs_f64()))
                        .unwrap_or(()),
                    Err(_) => errors.lock().map(|mut e| *e += 1).unwrap_or(()),
                }
            }
        }));
    }
    let interval = Duration::from_secs_f64(1.0 / f64::from(load.limit));
    let end = started + Duration::from_secs(load.duration);
    let mut next = started;
    while Instant::now() < end {
        if tx.send(random_key(&prefix, 256)).await.is_err() {
            break;
        }
        next += interval;
        if let Some(wait) = next.checked_duration_since(Instant::now()) {
            tokio::time::sleep(wait).await;
        }
    }
    drop(tx);
    for w in workers {
        let _ = w.await;
    }
    let total = started.elapsed();
    let lats = lats.lock().map(|l| l.clone()).unwrap_or_default();
    let errors = errors.lock().map(|e| *e).unwrap_or(0);
    let stats = PerfStats::from_latencies(&lats, errors, total);
    clean_up(&c, prefix, a.auto_compact, a.auto_defrag, &env.cfg, out).await?;
    let ok = verdict(&stats, &load, out).map_err(io_err)?;
    if ok {
        Ok(())
    } else {
        Err(Exit::new(EXIT_ERROR, ""))
    }
}

/// The value of the first `process_resident_memory_bytes` sample in a Prometheus text page
/// (etcdctl's `endpointMemoryMetrics` parsing); `None` when absent or not a number.
fn resident_memory_in(page: &str) -> Option<f64> {
    const KEY: &str = "process_resident_memory_bytes";
    let line = page.lines().find(|l| l.starts_with(KEY))?;
    line[KEY.len()..].trim().parse::<f64>().ok()
}

/// Reads `process_resident_memory_bytes` from `endpoint`'s `/metrics` (`http://` is assumed
/// without a scheme; `https://` uses the ctl's TLS files). Like etcdctl, a failure prints its
/// reason on `out` and gives 0.
async fn endpoint_memory(endpoint: &str, cfg: &ClientConfig, out: &mut dyn Write) -> f64 {
    let host = if endpoint.starts_with("http://") || endpoint.starts_with("https://") {
        endpoint.to_string()
    } else {
        format!("http://{endpoint}")
    };
    let url = format!("{}/metrics", host.trim_end_matches('/'));
    let fetched = match url::Url::parse(&url) {
        Ok(u) => {
            let http = crate::discovery::http::HttpClient::new(None)
                .with_tls(cfg.tls.clone().unwrap_or_default());
            http.send(hyper::Method::GET, &u, None, Some(cfg.request_timeout))
                .await
                .map_err(|e| e.to_string())
        }
        Err(e) => Err(e.to_string()),
    };
    let page = match fetched {
        Ok(resp) => String::from_utf8_lossy(&resp.body).into_owned(),
        Err(e) => {
            let _ = writeln!(out, "fetch error: {e}");
            return 0.0;
        }
    };
    match resident_memory_in(&page) {
        Some(v) => v,
        None => {
            let _ = writeln!(out, "could not find: process_resident_memory_bytes");
            0.0
        }
    }
}

/// Runs `check datascale`: etcd's output lines and exit codes (4 for an unknown load, 3 when
/// the prefix holds keys, 1 when the memory metric cannot be read or a put failed).
async fn datascale(g: &GlobalArgs, a: CheckDatascaleArgs, out: &mut dyn Write) -> Result<()> {
    let load = datascale_load(&a.load)
        .ok_or_else(|| Exit::new(EXIT_BAD_FEATURE, format!("unknown load option {}", a.load)))?;
    let env = env(g)?;
    let clients: Vec<Arc<Client>> = (0..load.clients)
        .map(|_| client(&env.cfg).map(Arc::new))
        .collect::<Result<_>>()?;
    let first = env
        .cfg
        .endpoints
        .first()
        .cloned()
        .ok_or_else(|| Exit::new(EXIT_ERROR, "no endpoints"))?;
    let c = clients[0].clone();
    ensure_prefix_empty(&c, &a.prefix).await?;
    let before = endpoint_memory(&first, &env.cfg, out).await;
    if before == 0.0 {
        writeln!(
            out,
            "FAIL: Could not read process_resident_memory_bytes before the put operations."
        )
        .map_err(io_err)?;
        return Err(Exit::new(EXIT_ERROR, ""));
    }
    writeln!(
        out,
        "Start data scale check for work load [{} key-value pairs, {} bytes per key-value, {} concurrent clients].",
        load.limit, load.kv_size, load.clients
    )
    .map_err(io_err)?;
    out.flush().map_err(io_err)?;
    let bar = crate::benchmark::progress_bar(load.limit);
    let prefix = a.prefix.clone().into_bytes();
    let (tx, rx) = tokio::sync::mpsc::channel::<Vec<u8>>(load.clients);
    let rx = Arc::new(tokio::sync::Mutex::new(rx));
    let errors = Arc::new(Mutex::new(std::collections::BTreeMap::<String, u64>::new()));
    let mut workers = Vec::with_capacity(clients.len());
    for c in &clients {
        let (c, rx, errors, bar) = (c.clone(), rx.clone(), errors.clone(), bar.clone());
        workers.push(tokio::spawn(async move {
            loop {
                let key = { rx.lock().await.recv().await };
                let Some(key) = key else { return };
                let r = c
                    .put(PutRequest {
                        key,
                        value: vec![0u8; 512],
                        ..Default::default()
                    })
                    .await;
                if let Err(e) = r {
                    if let Ok(mut m) = errors.lock() {
                        *m.entry(e.to_string()).or_default() += 1;
                    }
                }
                bar.inc(1);
            }
        }));
    }
    for _ in 0..load.limit {
        if tx.send(random_key(&prefix, 512)).await.is_err() {
            break;
        }
    }
    drop(tx);
    for w in workers {
        let _ = w.await;
    }
    bar.finish();
    let after = endpoint_memory(&first, &env.cfg, out).await;
    if after == 0.0 {
        writeln!(
            out,
            "FAIL: Could not read process_resident_memory_bytes after the put operations."
        )
        .map_err(io_err)?;
        return Err(Exit::new(EXIT_ERROR, ""));
    }
    clean_up(&c, prefix, a.auto_compact, a.auto_defrag, &env.cfg, out).await?;
    let errors = errors.lock().map(|m| m.clone()).unwrap_or_default();
    if !errors.is_empty() {
        writeln!(out, "FAIL: too many errors").map_err(io_err)?;
        for (e, n) in &errors {
            writeln!(out, "FAIL: ERROR({e}) -> {n}").map_err(io_err)?;
        }
        return Err(Exit::new(EXIT_ERROR, ""));
    }
    writeln!(
        out,
        "PASS: Approximate system memory used : {:.2} MB.",
        (after - before) / (1024.0 * 1024.0)
    )
    .map_err(io_err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_and_verdict_follow_etcd() {
        assert_eq!(perf_load("small"), perf_load("s"));
        assert_eq!(perf_load("xLarge").map(|l| l.clients), Some(1000));
        assert!(perf_load("huge").is_none());
        let load = perf_load("s").expect("s");
        let good = PerfStats {
            rps: 149.5,
            slowest: 0.0971,
            stddev: 0.0058,
            errors: 0,
        };
        let mut out = Vec::new();
        assert!(verdict(&good, &load, &mut out).expect("write"));
        assert_eq!(
            String::from_utf8(out).expect("utf8"),
            "PASS: Throughput is 150 writes/s\nPASS: Slowest request took 0.097100s\nPASS: Stddev is 0.005800s\nPASS\n"
        );
        let bad = PerfStats {
            rps: 100.0,
            slowest: 0.7,
            stddev: 0.2,
            errors: 0,
        };
        let mut out = Vec::new();
        assert!(!verdict(&bad, &load, &mut out).expect("write"));
        let text = String::from_utf8(out).expect("utf8");
        assert!(text.starts_with("FAIL: Throughput too low: 101 writes/s\nSlowest request took too long: 0.700000s\n"), "{text}");
        assert!(text.ends_with("FAIL\n"));
        let s = PerfStats::from_latencies(&[0.1, 0.3], 0, Duration::from_secs(2));
        assert_eq!((s.rps, s.slowest), (1.0, 0.3));
        assert!((s.stddev - 0.1).abs() < 1e-9);
    }

    #[test]
    fn datascale_loads_keys_and_metric_follow_etcd() {
        assert_eq!(datascale_load("small"), datascale_load("s"));
        let s = datascale_load("s").expect("s");
        assert_eq!((s.limit, s.kv_size, s.clients), (10_000, 1024, 50));
        assert_eq!(datascale_load("xLarge").map(|l| l.limit), Some(3_000_000));
        assert!(datascale_load("XL").is_none());
        let k = random_key(b"/p/", 512);
        assert_eq!(k.len(), 515);
        assert!(k.starts_with(b"/p/"));
        // zigzag varint of a non-negative int63: even first byte, at most 10 bytes used
        // (zigzag doubles it: up to 64 bits, 7 per byte).
        assert_eq!(k[3] & 1, 0);
        assert!(k[13..].iter().all(|b| *b == 0));
        let page = "# HELP process_resident_memory_bytes Resident memory size in bytes.\n\
                    # TYPE process_resident_memory_bytes gauge\n\
                    process_resident_memory_bytes 4.9565696e+07\nprocess_start_time_seconds 1\n";
        assert_eq!(resident_memory_in(page), Some(49_565_696.0));
        assert_eq!(resident_memory_in("process_open_fds 3\n"), None);
    }
}
