//! `etcd benchmark` (also argv0 `benchmark`): etcd's `tools/benchmark` commands and flags
//! parsed with clap, resolved into [`crate::benchmark`] options, run on a tokio runtime, and
//! the report printed to stdout as etcd's tool prints it. The progress bar goes to stderr,
//! only when stderr is a terminal. Errors: `Error: <message>` on stderr, exit 1.

use std::ffi::OsString;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use clap::{Parser, Subcommand};

use crate::benchmark::{self, report::Precision, Bench, Options};

/// `etcd benchmark`.
#[derive(Debug, Parser)]
#[command(
    name = "benchmark",
    about = "A low-level benchmark tool for etcd3.",
    long_about = "benchmark is a low-level benchmark tool for etcd3.\nIt uses gRPC client directly and does not depend on etcd client library."
)]
pub struct BenchmarkArgs {
    #[command(flatten)]
    global: GlobalFlags,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Debug, clap::Args)]
struct GlobalFlags {
    /// gRPC endpoints.
    #[arg(
        long,
        global = true,
        value_delimiter = ',',
        default_value = "127.0.0.1:2379"
    )]
    endpoints: Vec<String>,
    /// Total number of gRPC connections.
    #[arg(long, global = true, default_value_t = 1)]
    conns: usize,
    /// Total number of gRPC clients.
    #[arg(long, global = true, default_value_t = 1)]
    clients: usize,
    /// Use full floating point precision.
    #[arg(long, global = true)]
    precise: bool,
    /// 'true' to sample requests for every second.
    #[arg(long, global = true)]
    sample: bool,
    /// Verify certificates of HTTPS-enabled servers using this CA bundle.
    #[arg(long, global = true, default_value = "")]
    cacert: String,
    /// Identify HTTPS client using this SSL certificate file.
    #[arg(long = "cert", id = "tls_cert_file", global = true, default_value = "")]
    cert: String,
    /// Identify HTTPS client using this SSL key file.
    #[arg(long = "key", id = "tls_key_file", global = true, default_value = "")]
    key: String,
    /// Provide username[:password] and prompt if password is not supplied.
    #[arg(long, global = true, default_value = "")]
    user: String,
    /// Dial timeout for client connections (Go duration, e.g. 2s).
    #[arg(long, global = true, default_value = "0s")]
    dial_timeout: String,
    /// Benchmark only the leader.
    #[arg(long, global = true)]
    target_leader: bool,
    /// Accepted for etcd compatibility (endpoints are not re-synced during a run).
    #[arg(long, global = true, default_value = "0s")]
    auto_sync_interval: String,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Benchmark put.
    Put {
        /// Key size of put request.
        #[arg(long, default_value_t = 8)]
        key_size: usize,
        /// Value size of put request.
        #[arg(long, default_value_t = 8)]
        val_size: usize,
        /// Maximum puts per second (0 is no limit).
        #[arg(long, default_value_t = 0)]
        rate: u64,
        /// Total number of put requests.
        #[arg(long, default_value_t = 10000)]
        total: u64,
        /// Maximum possible keys.
        #[arg(long, default_value_t = 1)]
        key_space_size: u64,
        /// Use sequential keys.
        #[arg(long)]
        sequential_keys: bool,
        /// Interval to compact database (do not duplicate this with etcd's
        /// 'auto-compaction-retention' flag) (e.g. --compact-interval=5m compacts every 5 minutes).
        #[arg(long, default_value = "0s")]
        compact_interval: String,
        /// Delta between current revision and compact revision (e.g. current revision 10000,
        /// compact at 9000).
        #[arg(long, default_value_t = 1000)]
        compact_index_delta: i64,
        /// Accepted for etcd compatibility; not checked.
        #[arg(long, default_value_t = 0)]
        check_hashkv: i64,
    },
    /// Benchmark range.
    Range {
        /// Key.
        key: String,
        /// End of the range.
        end: Option<String>,
        /// Maximum range requests per second (0 is no limit).
        #[arg(long, default_value_t = 0)]
        rate: u64,
        /// Total number of range requests.
        #[arg(long, default_value_t = 10000)]
        total: u64,
        /// Linearizable(l) or Serializable(s).
        #[arg(long, default_value = "l")]
        consistency: String,
        /// Maximum number of results to return from range request (0 is no limit).
        #[arg(long, default_value_t = 0)]
        limit: i64,
        /// Only returns the count of keys.
        #[arg(long)]
        count_only: bool,
    },
    /// Benchmark txn-put.
    #[command(name = "txn-put")]
    TxnPut {
        /// Key size of txn put.
        #[arg(long, default_value_t = 8)]
        key_size: usize,
        /// Value size of txn put.
        #[arg(long, default_value_t = 8)]
        val_size: usize,
        /// Number of puts per txn.
        #[arg(long, default_value_t = 1)]
        txn_ops: usize,
        /// Maximum txns per second (0 is no limit).
        #[arg(long, default_value_t = 0)]
        rate: u64,
        /// Total number of txn requests.
        #[arg(long, default_value_t = 10000)]
        total: u64,
        /// Maximum possible keys.
        #[arg(long, default_value_t = 1)]
        key_space_size: u64,
    },
    /// Benchmark a mixed load of txn-put & txn-range.
    #[command(name = "txn-mixed")]
    TxnMixed {
        /// Key.
        key: String,
        /// End of the range.
        end: Option<String>,
        /// Maximum txns per second (0 is no limit).
        #[arg(long, default_value_t = 0)]
        rate: u64,
        /// Total number of txn requests.
        #[arg(long, default_value_t = 10000)]
        total: u64,
        /// Read/write ops ratio.
        #[arg(long, default_value_t = 1.0)]
        rw_ratio: f64,
        /// Linearizable(l) or Serializable(s).
        #[arg(long, default_value = "l")]
        consistency: String,
        /// Maximum possible keys.
        #[arg(long, default_value_t = 1)]
        key_space_size: u64,
        /// Key size of txn put.
        #[arg(long, default_value_t = 8)]
        key_size: usize,
        /// Value size of txn put.
        #[arg(long, default_value_t = 8)]
        val_size: usize,
        /// Maximum number of results to return from range request (0 is no limit).
        #[arg(long, default_value_t = 1)]
        limit: i64,
    },
    /// Benchmark watch.
    Watch {
        /// Total watch streams.
        #[arg(long, default_value_t = 10)]
        streams: usize,
        /// Total watchers per stream.
        #[arg(long, default_value_t = 100)]
        watch_per_stream: usize,
        /// Total number of distinct watched keys.
        #[arg(long, default_value_t = 1)]
        watched_key_total: u64,
        /// Number of keys to put per second.
        #[arg(long, default_value_t = 0)]
        put_rate: u64,
        /// Number of put requests.
        #[arg(long, default_value_t = 1000)]
        put_total: u64,
        /// Key size of watch request.
        #[arg(long, default_value_t = 32)]
        key_size: usize,
        /// Maximum possible keys.
        #[arg(long, default_value_t = 1)]
        key_space_size: u64,
        /// Use sequential keys.
        #[arg(long)]
        sequential_keys: bool,
    },
    /// Benchmark watch latency.
    #[command(name = "watch-latency")]
    WatchLatency {
        /// Total number of put requests.
        #[arg(long, default_value_t = 1000)]
        put_total: u64,
        /// Number of keys to put per second.
        #[arg(long, default_value_t = 100)]
        put_rate: u64,
        /// Total watch streams.
        #[arg(long, default_value_t = 10)]
        streams: usize,
        /// Total watchers per stream.
        #[arg(long, default_value_t = 10)]
        watchers_per_stream: usize,
        /// PrevKV enabled on watch requests.
        #[arg(long)]
        prevkv: bool,
        /// Key size of watch request.
        #[arg(long, default_value_t = 32)]
        key_size: usize,
        /// Value size of watch request.
        #[arg(long, default_value_t = 32)]
        val_size: usize,
    },
    /// Benchmark for serialized key gets with many watchers.
    #[command(name = "watch-get")]
    WatchGet {
        /// Total number of watchers.
        #[arg(long, default_value_t = 10000)]
        watchers: usize,
        /// Total number of watcher streams.
        #[arg(long, default_value_t = 1)]
        streams: usize,
        /// Number of events per watcher.
        #[arg(long, default_value_t = 8)]
        watch_events: u64,
    },
    /// Benchmark lease keepalive.
    #[command(name = "lease-keepalive")]
    LeaseKeepalive {
        /// Total number of lease keepalive requests.
        #[arg(long, default_value_t = 10000)]
        total: u64,
    },
    /// Benchmark STM.
    Stm {
        /// Total unique keys accessible by the benchmark.
        #[arg(long, default_value_t = 5)]
        keys: u64,
        /// Total number of completed STM transactions.
        #[arg(long, default_value_t = 10000)]
        total: u64,
        /// Number of keys to access per transaction.
        #[arg(long, default_value_t = 2)]
        keys_per_txn: usize,
        /// Read Committed (c), Repeatable Reads (r), Serializable (s), or Snapshot (ss).
        #[arg(long, default_value = "r")]
        isolation: String,
        /// Only `stm` (etcd's default) is implemented.
        #[arg(long, default_value = "stm")]
        stm_locker: String,
        /// Maximum STM transactions per second (0 is no limit).
        #[arg(long, default_value_t = 0)]
        rate: u64,
    },
    /// Benchmark mvcc.
    #[command(
        long_about = "storage subcommand is a set of various benchmark tools for MVCC storage subsystem of etcd.\nActual benchmarks are implemented as its subcommands."
    )]
    Mvcc {
        /// Interval of batching (milliseconds).
        #[arg(long, global = true, default_value_t = 100)]
        batch_interval: u64,
        /// A limit of batched transaction.
        #[arg(long, global = true, default_value_t = 10000)]
        batch_limit: u64,
        #[command(subcommand)]
        cmd: MvccCmd,
    },
}

/// `benchmark mvcc` subcommands.
#[derive(Debug, Subcommand)]
enum MvccCmd {
    /// Benchmark put performance of storage.
    Put {
        /// A total number of keys to put.
        #[arg(long, default_value_t = 100)]
        total: u64,
        /// A size of key (Byte).
        #[arg(long, default_value_t = 64)]
        key_size: usize,
        /// A size of value (Byte).
        #[arg(long, default_value_t = 64)]
        value_size: usize,
        /// Put a key in transaction or not.
        #[arg(long)]
        txn: bool,
        /// A number of keys to put per transaction.
        #[arg(long, default_value_t = 1)]
        txn_ops: u64,
        /// The path of file for storing cpu profile result (Go's pprof: not supported; use
        /// `perf record`).
        #[arg(long, default_value = "")]
        cpuprofile: String,
        /// The path of file for storing heap profile result (Go's pprof: not supported).
        #[arg(long, default_value = "")]
        memprofile: String,
    },
}

/// `benchmark mvcc put`: a fresh store in a `mvcc-bench*` directory under the working
/// directory (etcd's tool creates `mvcc-bench` there), removed afterwards.
fn mvcc(
    global: &GlobalFlags,
    batch_interval: u64,
    batch_limit: u64,
    cmd: MvccCmd,
) -> anyhow::Result<String> {
    let MvccCmd::Put {
        total,
        key_size,
        value_size,
        txn,
        txn_ops,
        cpuprofile,
        memprofile,
    } = cmd;
    if !cpuprofile.is_empty() || !memprofile.is_empty() {
        bail!("--cpuprofile and --memprofile write Go pprof files, which this benchmark cannot; profile with `perf record` instead");
    }
    let dir = tempfile::Builder::new()
        .prefix("mvcc-bench")
        .tempdir_in(".")
        .context("creating the mvcc-bench directory")?;
    let o = benchmark::MvccPutOptions {
        total,
        key_size,
        value_size,
        txn,
        txn_ops,
        batch_interval: Duration::from_millis(batch_interval),
        batch_limit,
        precision: if global.precise {
            Precision::Precise
        } else {
            Precision::Fixed4
        },
    };
    Ok(benchmark::mvcc_put(dir.path(), &o)?)
}

/// Runs `etcd benchmark` with `args` (without the program name) and returns the exit code.
pub fn run(args: Vec<OsString>) -> i32 {
    let mut argv = vec![OsString::from("benchmark")];
    argv.extend(args);
    let parsed = match BenchmarkArgs::try_parse_from(argv) {
        Ok(p) => p,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 1 } else { 0 };
        }
    };
    match execute(parsed) {
        Ok(out) => {
            println!("{out}");
            0
        }
        Err(e) => {
            eprintln!("Error: {e:#}");
            1
        }
    }
}

fn duration(flag: &str, v: &str) -> anyhow::Result<Duration> {
    crate::go_text::parse_go_duration(v).map_err(|e| anyhow!("invalid --{flag} {v:?}: {e}"))
}

fn file(v: &str) -> Option<PathBuf> {
    (!v.is_empty()).then(|| PathBuf::from(v))
}

/// Resolves the global flags (the password prompt of `--user name` included).
fn options(g: &GlobalFlags) -> anyhow::Result<Options> {
    let tls = (!g.cacert.is_empty() || !g.cert.is_empty() || !g.key.is_empty()).then(|| {
        crate::tls::ClientTlsOptions {
            ca_file: file(&g.cacert),
            cert_file: file(&g.cert),
            key_file: file(&g.key),
            insecure_skip_verify: false,
        }
    });
    let credentials = if g.user.is_empty() {
        None
    } else if let Some((u, p)) = g.user.split_once(':') {
        Some((u.to_string(), p.to_string()))
    } else {
        eprint!("Password: ");
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .context("reading the password")?;
        Some((
            g.user.clone(),
            line.trim_end_matches(['\r', '\n']).to_string(),
        ))
    };
    duration("auto-sync-interval", &g.auto_sync_interval)?;
    Ok(Options {
        endpoints: g.endpoints.clone(),
        conns: g.conns,
        clients: g.clients,
        dial_timeout: duration("dial-timeout", &g.dial_timeout)?,
        tls,
        credentials,
        target_leader: g.target_leader,
        precision: if g.precise {
            Precision::Precise
        } else {
            Precision::Fixed4
        },
        sample: g.sample,
        progress: std::io::stderr().is_terminal(),
    })
}

fn execute(a: BenchmarkArgs) -> anyhow::Result<String> {
    if let Cmd::Mvcc {
        batch_interval,
        batch_limit,
        cmd,
    } = a.cmd
    {
        return mvcc(&a.global, batch_interval, batch_limit, cmd);
    }
    let opts = options(&a.global)?;
    let rt = super::multi_thread_runtime().context("starting the runtime")?;
    rt.block_on(async move {
        let b = Bench::connect(opts).await?;
        let out = match a.cmd {
            Cmd::Put {
                key_size,
                val_size,
                rate,
                total,
                key_space_size,
                sequential_keys,
                compact_interval,
                compact_index_delta,
                check_hashkv: _,
            } => {
                benchmark::put(
                    &b,
                    benchmark::PutOptions {
                        total,
                        key_size,
                        val_size,
                        key_space_size,
                        sequential_keys,
                        rate,
                        compact_interval: duration("compact-interval", &compact_interval)?,
                        compact_index_delta,
                    },
                )
                .await?
            }
            Cmd::Range {
                key,
                end,
                rate,
                total,
                consistency,
                limit,
                count_only,
            } => {
                benchmark::range(
                    &b,
                    benchmark::RangeOptions {
                        key: key.into_bytes(),
                        end: end.unwrap_or_default().into_bytes(),
                        total,
                        rate,
                        consistency,
                        limit,
                        count_only,
                    },
                )
                .await?
            }
            Cmd::TxnPut {
                key_size,
                val_size,
                txn_ops,
                rate,
                total,
                key_space_size,
            } => {
                benchmark::txn_put(
                    &b,
                    benchmark::TxnPutOptions {
                        total,
                        key_size,
                        val_size,
                        txn_ops,
                        key_space_size,
                        rate,
                    },
                )
                .await?
            }
            Cmd::TxnMixed {
                key,
                end,
                rate,
                total,
                rw_ratio,
                consistency,
                key_space_size,
                key_size,
                val_size,
                limit,
            } => {
                benchmark::txn_mixed(
                    &b,
                    benchmark::TxnMixedOptions {
                        key: key.into_bytes(),
                        end: end.unwrap_or_default().into_bytes(),
                        total,
                        rate,
                        rw_ratio,
                        consistency,
                        key_space_size,
                        key_size,
                        val_size,
                        limit,
                    },
                )
                .await?
            }
            Cmd::Watch {
                streams,
                watch_per_stream,
                watched_key_total,
                put_rate,
                put_total,
                key_size,
                key_space_size,
                sequential_keys,
            } => {
                benchmark::watch(
                    &b,
                    benchmark::WatchOptions {
                        streams,
                        watch_per_stream,
                        watched_key_total,
                        put_rate,
                        put_total,
                        key_size,
                        key_space_size,
                        sequential_keys,
                    },
                )
                .await?
            }
            Cmd::WatchLatency {
                put_total,
                put_rate,
                streams,
                watchers_per_stream,
                prevkv,
                key_size,
                val_size,
            } => {
                benchmark::watch_latency(
                    &b,
                    benchmark::WatchLatencyOptions {
                        put_total,
                        put_rate,
                        streams,
                        watchers_per_stream,
                        prevkv,
                        key_size,
                        val_size,
                    },
                )
                .await?
            }
            Cmd::WatchGet {
                watchers,
                streams,
                watch_events,
            } => {
                benchmark::watch_get(
                    &b,
                    benchmark::WatchGetOptions {
                        watchers,
                        streams,
                        watch_events,
                    },
                )
                .await?
            }
            Cmd::LeaseKeepalive { total } => benchmark::lease_keepalive(&b, total).await?,
            // handled above, before any connection
            Cmd::Mvcc { .. } => bail!("benchmark mvcc runs without a server"),
            Cmd::Stm {
                keys,
                total,
                keys_per_txn,
                isolation,
                stm_locker,
                rate,
            } => {
                if stm_locker != "stm" {
                    bail!("unexpected stm locker {stm_locker:?} (only \"stm\" is implemented)");
                }
                benchmark::stm(
                    &b,
                    benchmark::StmOptions {
                        keys,
                        keys_per_txn,
                        total,
                        isolation,
                        rate,
                    },
                )
                .await?
            }
        };
        Ok(out)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_parse_like_etcds() {
        let a = BenchmarkArgs::try_parse_from([
            "benchmark",
            "--endpoints=a:1,b:2",
            "--conns=10",
            "--clients=100",
            "put",
            "--total=200",
            "--sequential-keys",
            "--key-size=16",
        ])
        .expect("parses");
        assert_eq!(a.global.endpoints, vec!["a:1", "b:2"]);
        assert_eq!((a.global.conns, a.global.clients), (10, 100));
        assert!(matches!(
            a.cmd,
            Cmd::Put {
                total: 200,
                sequential_keys: true,
                key_size: 16,
                ..
            }
        ));
        // global flags after the subcommand, as cobra's persistent flags allow
        let a = BenchmarkArgs::try_parse_from([
            "benchmark",
            "range",
            "foo",
            "--consistency",
            "s",
            "--clients",
            "4",
        ])
        .expect("parses");
        assert_eq!(a.global.clients, 4);
    }
}
