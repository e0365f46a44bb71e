//! `etcdctl check perf` (etcd 3.4's `check.go`): a 60 s rate-limited put load under a key
//! prefix, then etcd's verdict lines (throughput ≥ 90 % of the load's rate, slowest request
//! ≤ 500 ms, standard deviation ≤ 100 ms).

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::{Args, Subcommand};

use super::connect::{client, env, GlobalArgs};
use super::exit::{call_err, Exit, Result, EXIT_BAD_FEATURE, EXIT_ERROR, EXIT_INVALID_INPUT};
use super::flags::go_bool;
use crate::keys::prefix_end;
use crate::pb::etcdserverpb::{DeleteRangeRequest, PutRequest, RangeRequest};

/// `check` subcommands.
#[derive(Debug, Subcommand)]
pub enum CheckCommand {
    /// Check the performance of the etcd cluster
    Perf(CheckPerfArgs),
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

/// Runs `check perf`.
pub(super) async fn check(g: &GlobalArgs, cmd: CheckCommand, out: &mut dyn Write) -> Result<()> {
    let CheckCommand::Perf(a) = cmd;
    let load = perf_load(&a.load)
        .ok_or_else(|| Exit::new(EXIT_BAD_FEATURE, format!("unknown load option {}", a.load)))?;
    let env = env(g)?;
    let c = client(&env.cfg)?;
    let prefix = a.prefix.clone().into_bytes();
    let range_end = prefix_end(&prefix);
    let existing = c
        .range(RangeRequest {
            key: prefix.clone(),
            range_end: range_end.clone(),
            limit: 1,
            ..Default::default()
        })
        .await
        .map_err(call_err)?;
    if !existing.kvs.is_empty() {
        return Err(Exit::new(
            EXIT_INVALID_INPUT,
            format!(
                "prefix \"{}\" has keys. Delete with etcdctl del --prefix {} first",
                a.prefix, a.prefix
            ),
        ));
    }
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
        let mut key = prefix.clone();
        let mut k = [0u8; 256];
        let r: i64 = rand::random::<i64>() & i64::MAX;
        let mut v = ((r as u64) << 1) as u64;
        let mut i = 0;
        while v >= 0x80 && i < 9 {
            k[i] = (v as u8) | 0x80;
            v >>= 7;
            i += 1;
        }
        k[i] = v as u8;
        key.extend_from_slice(&k);
        if tx.send(key).await.is_err() {
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
    let dresp = c
        .delete_range(DeleteRangeRequest {
            key: prefix,
            range_end,
            ..Default::default()
        })
        .await
        .map_err(call_err)?;
    if a.auto_compact {
        let rev = dresp.header.map(|h| h.revision).unwrap_or(0);
        let req = crate::pb::etcdserverpb::CompactionRequest {
            revision: rev,
            physical: true,
        };
        c.compact(req).await.map_err(call_err)?;
    }
    if a.auto_defrag {
        let _ = c.defragment().await;
    }
    let ok = verdict(&stats, &load, out).map_err(super::exit::io_err)?;
    if ok {
        Ok(())
    } else {
        Err(Exit::new(EXIT_ERROR, ""))
    }
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
}
