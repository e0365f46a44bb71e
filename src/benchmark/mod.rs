//! The engine of `etcd benchmark` (etcd's `tools/benchmark`): opens `--conns` connections
//! with our [`crate::client`], runs `--clients` concurrent workers spread over them
//! round-robin on tokio, optionally paced by `--rate`, and collects every request's latency
//! into a [`report::Stats`] printed in etcd's `pkg/report` layout.
//!
//! Each scenario (`put`, `range`, `txn-put`, `txn-mixed`, `watch`, `watch-latency`,
//! `watch-get`, `lease-keepalive`, `stm`) is a function here taking its typed options and
//! returning the text etcd's tool prints. `mvcc put` drives the MVCC store directly, as
//! etcd's does. Depends on `client`, `pb`, `tls`, and `mvcc` and `storage` for `mvcc put`;
//! the clap flags live in `cli::benchmark`.

mod kv;
mod lease;
mod mvcc;
pub mod report;
mod stm;
mod watch;

pub use kv::{
    put, range, txn_mixed, txn_put, PutOptions, RangeOptions, TxnMixedOptions, TxnPutOptions,
};
pub use lease::lease_keepalive;
pub use mvcc::{mvcc_put, MvccPutOptions};
pub use stm::{stm, StmOptions};
pub use watch::{
    watch, watch_get, watch_latency, WatchGetOptions, WatchLatencyOptions, WatchOptions,
};

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use indicatif::{ProgressBar, ProgressStyle};
use rand::Rng;
use tokio::time::Instant;

use crate::client::{self, Client, ClientConfig};
use crate::pb::etcdserverpb::{
    compare, request_op, CompactionRequest, Compare, PutRequest, RangeRequest, RequestOp,
    TxnRequest, WatchCreateRequest,
};
use report::{Outcome, Precision, Stats};

/// Errors of a benchmark run (failed requests are not errors: they are counted in the
/// report's error distribution).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A connection could not be set up or a setup call (lease grant, watch creation,
    /// leader lookup) failed.
    #[error(transparent)]
    Client(#[from] client::Error),
    /// An option is out of range (e.g. `--conns 0`, `--consistency x`).
    #[error("{0}")]
    InvalidArgument(String),
    /// `--target-leader` found no endpoint reporting itself leader.
    #[error("no leader found among the endpoints")]
    NoLeader,
    /// `mvcc put`: the store could not be created, or a put or commit failed (the storage
    /// error's message).
    #[error("{0}")]
    Store(String),
}

/// The global flags of etcd's benchmark (`--endpoints`, `--conns`, `--clients`, TLS,
/// `--user`, `--dial-timeout`, `--target-leader`, `--precise`, `--sample`).
#[derive(Debug, Clone)]
pub struct Options {
    /// Endpoints; connection `i` starts at endpoint `i % len` (etcd's round-robin dial).
    pub endpoints: Vec<String>,
    /// Number of gRPC connections (≥ 1).
    pub conns: usize,
    /// Number of concurrent workers (≥ 1), spread over the connections round-robin.
    pub clients: usize,
    /// Dial timeout per connection attempt (etcd's 0 means none: we use 2 s).
    pub dial_timeout: Duration,
    /// TLS files; `None` for plain text.
    pub tls: Option<crate::tls::ClientTlsOptions>,
    /// User name and password.
    pub credentials: Option<(String, String)>,
    /// Use only the endpoint that reports itself leader.
    pub target_leader: bool,
    /// Number format of the report.
    pub precision: Precision,
    /// Append the per-second series.
    pub sample: bool,
    /// Draw a progress bar on stderr.
    pub progress: bool,
}

/// Connections and options of one run.
pub struct Bench {
    opts: Options,
    conns: Vec<Arc<Client>>,
}

/// etcd's `pb` progress bar with `Format("Bom !")` (`B` box start, `o` done, `m` head, ` `
/// empty, `!` box end) for `total` requests, drawn on stderr with indicatif (nothing is drawn
/// when stderr is not a terminal). Used by `etcd benchmark` and `etcd ctl check datascale`.
pub(crate) fn progress_bar(total: u64) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(total), indicatif::ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("{pos} / {len} B{bar:60}! {percent}% {elapsed_precise}")
    {
        bar.set_style(style.progress_chars("om "));
    }
    bar
}

impl Bench {
    /// Opens `conns` clients (lazily connecting, like clientv3 without `WithBlock`); with
    /// `target_leader`, asks each endpoint for its status first and keeps only the leader.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for zero conns/clients, [`Error::Client`] for bad endpoints
    /// or TLS files, [`Error::NoLeader`].
    pub async fn connect(mut opts: Options) -> Result<Bench, Error> {
        if opts.conns == 0 || opts.clients == 0 {
            return Err(Error::InvalidArgument(
                "--conns and --clients must be at least 1".into(),
            ));
        }
        if opts.endpoints.is_empty() {
            return Err(client::Error::NoEndpoints.into());
        }
        if opts.target_leader {
            let mut leader = None;
            for ep in &opts.endpoints {
                let c = Client::new(&config(&opts, vec![ep.clone()]))?;
                if let Ok(st) = c.status().await {
                    if st.header.as_ref().map(|h| h.member_id) == Some(st.leader) {
                        leader = Some(ep.clone());
                        break;
                    }
                }
            }
            opts.endpoints = vec![leader.ok_or(Error::NoLeader)?];
        }
        let n = opts.endpoints.len();
        let mut conns = Vec::with_capacity(opts.conns);
        for i in 0..opts.conns {
            let mut eps = opts.endpoints.clone();
            eps.rotate_left(i % n);
            conns.push(Arc::new(Client::new(&config(&opts, eps))?));
        }
        Ok(Bench { opts, conns })
    }

    /// The connection worker `i` uses.
    fn conn(&self, i: usize) -> Arc<Client> {
        self.conns[i % self.conns.len()].clone()
    }

    fn bar(&self, total: u64) -> ProgressBar {
        if !self.opts.progress {
            return ProgressBar::hidden();
        }
        progress_bar(total)
    }

    fn render(&self, st: &Stats) -> String {
        st.render(self.opts.precision)
    }

    /// Runs `total` requests over `clients` workers; `op(conn, i)` issues request `i`.
    async fn drive<F, Fut>(&self, total: u64, rate: u64, op: F) -> Stats
    where
        F: Fn(Arc<Client>, u64) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<(), client::Error>> + Send,
    {
        let (outs, elapsed) = self.drive_outcomes(total, rate, op).await;
        let outs: Vec<Outcome> = outs.into_iter().map(|(_, o)| o).collect();
        Stats::compute(&outs, elapsed, self.opts.sample)
    }

    /// [`Bench::drive`] without the summary: each outcome with its request index, and the
    /// wall time of the run.
    async fn drive_outcomes<F, Fut>(
        &self,
        total: u64,
        rate: u64,
        op: F,
    ) -> (Vec<(u64, Outcome)>, Duration)
    where
        F: Fn(Arc<Client>, u64) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<(), client::Error>> + Send,
    {
        let bar = self.bar(total);
        let next = Arc::new(AtomicU64::new(0));
        let limiter = Arc::new(Limiter::new(rate));
        let op = Arc::new(op);
        let started = Instant::now();
        let mut tasks = Vec::with_capacity(self.opts.clients);
        for w in 0..self.opts.clients {
            let (conn, next, limiter, op, bar) = (
                self.conn(w),
                next.clone(),
                limiter.clone(),
                op.clone(),
                bar.clone(),
            );
            tasks.push(tokio::spawn(async move {
                let mut outs = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= total {
                        break;
                    }
                    limiter.wait().await;
                    let start = SystemTime::now();
                    let t0 = Instant::now();
                    let res = op(conn.clone(), i).await;
                    outs.push((
                        i,
                        Outcome {
                            start,
                            duration: t0.elapsed(),
                            error: res.err().map(|e| e.to_string()),
                        },
                    ));
                    bar.inc(1);
                }
                outs
            }));
        }
        let mut outs = Vec::with_capacity(total as usize);
        for t in tasks {
            if let Ok(o) = t.await {
                outs.extend(o);
            }
        }
        let elapsed = started.elapsed();
        bar.finish_and_clear();
        (outs, elapsed)
    }
}

fn config(opts: &Options, endpoints: Vec<String>) -> ClientConfig {
    ClientConfig {
        endpoints,
        dial_timeout: if opts.dial_timeout.is_zero() {
            Duration::from_secs(2)
        } else {
            opts.dial_timeout
        },
        // etcd's benchmark uses context.Background(): no per-request deadline. A long bound
        // keeps a dead server from hanging the run forever.
        request_timeout: Duration::from_secs(60),
        credentials: opts.credentials.clone(),
        tls: opts.tls.clone(),
    }
}

/// Paces requests to `rate` per second over all workers (0: unlimited), like etcd's
/// `rate.NewLimiter(rate, 1)`.
struct Limiter {
    interval: Option<Duration>,
    next: Mutex<Option<Instant>>,
}

impl Limiter {
    fn new(rate: u64) -> Limiter {
        Limiter {
            interval: (rate > 0).then(|| Duration::from_secs_f64(1.0 / rate as f64)),
            next: Mutex::new(None),
        }
    }

    async fn wait(&self) {
        let Some(interval) = self.interval else {
            return;
        };
        let slot = {
            let Ok(mut next) = self.next.lock() else {
                return;
            };
            let now = Instant::now();
            let slot = next.map_or(now, |n| n.max(now));
            *next = Some(slot + interval);
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

/// Go's `binary.PutVarint` (zig-zag) into `buf`, truncated to its length; etcd's benchmark
/// makes keys this way.
pub fn put_varint(buf: &mut [u8], v: i64) {
    let mut ux = (v as u64) << 1;
    if v < 0 {
        ux = !ux;
    }
    let mut i = 0;
    while ux >= 0x80 && i < buf.len() {
        buf[i] = (ux as u8) | 0x80;
        ux >>= 7;
        i += 1;
    }
    if i < buf.len() {
        buf[i] = ux as u8;
    }
}

fn rand_bytes(n: usize) -> Vec<u8> {
    let mut v = vec![0u8; n];
    rand::rng().fill(&mut v[..]);
    v
}

fn bench_key(size: usize, i: u64, space: u64, sequential: bool) -> Vec<u8> {
    let n = if sequential {
        i % space.max(1)
    } else {
        rand::rng().random_range(0..space.max(1))
    };
    let mut k = vec![0u8; size];
    put_varint(&mut k, n as i64);
    k
}

pub(crate) fn put_op(key: Vec<u8>, value: Vec<u8>) -> RequestOp {
    RequestOp {
        request: Some(request_op::Request::RequestPut(PutRequest {
            key,
            value,
            ..Default::default()
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_varint_matches_go() {
        // Go: binary.PutVarint(buf, 1) = [2], (-1) = [1], 64 = [128 1]
        let mut b = [0u8; 8];
        put_varint(&mut b, 1);
        assert_eq!(b[..1], [2]);
        put_varint(&mut b, -1);
        assert_eq!(b[..1], [1]);
        let mut b = [0u8; 8];
        put_varint(&mut b, 64);
        assert_eq!(b[..2], [128, 1]);
        // a short buffer is filled, not overrun
        let mut b = [0u8; 1];
        put_varint(&mut b, 1 << 40);
        assert_eq!(b[0] & 0x80, 0x80);
    }

    #[test]
    fn keys_stay_in_the_key_space() {
        for i in 0..50 {
            let k = bench_key(8, i, 3, true);
            assert_eq!(k.len(), 8);
            assert!(k[0] <= 4, "{k:?}");
        }
    }

    #[tokio::test]
    async fn limiter_paces_requests() {
        let l = Limiter::new(100);
        let t0 = Instant::now();
        for _ in 0..6 {
            l.wait().await;
        }
        assert!(
            t0.elapsed() >= Duration::from_millis(45),
            "{:?}",
            t0.elapsed()
        );
    }
}
