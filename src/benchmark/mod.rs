//! The engine of `etcd benchmark` (etcd's `tools/benchmark`): opens `--conns` connections
//! with our [`crate::client`], runs `--clients` concurrent workers spread over them
//! round-robin on tokio, optionally paced by `--rate`, and collects every request's latency
//! into a [`report::Stats`] printed in etcd's `pkg/report` layout.
//!
//! Each scenario (`put`, `range`, `txn-put`, `txn-mixed`, `watch`, `watch-latency`,
//! `watch-get`, `lease-keepalive`, `stm`) is a function here taking its typed options and
//! returning the text etcd's tool prints. Depends on `client`, `pb` and `tls` only; the
//! clap flags live in `cli::benchmark`.

pub mod report;

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
        // etcd's pb with Format("Bom !"): `B` box start, `o` done, `m` head, ` ` empty, `!`.
        let bar =
            ProgressBar::with_draw_target(Some(total), indicatif::ProgressDrawTarget::stderr());
        if let Ok(style) =
            ProgressStyle::with_template("{pos} / {len} B{bar:60}! {percent}% {elapsed_precise}")
        {
            bar.set_style(style.progress_chars("om "));
        }
        bar
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

/// `benchmark put` options.
#[derive(Debug, Clone)]
pub struct PutOptions {
    /// Requests.
    pub total: u64,
    /// Key size, bytes.
    pub key_size: usize,
    /// Value size, bytes.
    pub val_size: usize,
    /// Distinct keys.
    pub key_space_size: u64,
    /// Keys `i % key_space_size` instead of random.
    pub sequential_keys: bool,
    /// Requests per second, 0: unlimited.
    pub rate: u64,
    /// Compact every interval (zero: never).
    pub compact_interval: Duration,
    /// Keep this many revisions when compacting.
    pub compact_index_delta: i64,
}

/// `benchmark put`: the report text.
///
/// # Errors
/// None today beyond setup; failed puts go to the error distribution.
pub async fn put(b: &Bench, o: PutOptions) -> Result<String, Error> {
    if o.key_space_size == 0 {
        return Err(Error::InvalidArgument(
            "expected positive --key-space-size".into(),
        ));
    }
    let value = Arc::new(rand_bytes(o.val_size));
    let compactor = (!o.compact_interval.is_zero()).then(|| {
        let c = b.conn(0);
        let (every, delta) = (o.compact_interval, o.compact_index_delta);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.tick().await;
            loop {
                tick.tick().await;
                let Ok(r) = c
                    .range(RangeRequest {
                        key: b"foo".to_vec(),
                        ..Default::default()
                    })
                    .await
                else {
                    continue;
                };
                let rev = r.header.map_or(0, |h| h.revision) - delta;
                if rev > 0 {
                    let _ = c
                        .compact(CompactionRequest {
                            revision: rev,
                            physical: false,
                        })
                        .await;
                }
            }
        })
    });
    let (ks, space, seq) = (o.key_size, o.key_space_size, o.sequential_keys);
    let st = b
        .drive(o.total, o.rate, move |c, i| {
            let key = bench_key(ks, i, space, seq);
            let value = value.to_vec();
            async move {
                c.put(PutRequest {
                    key,
                    value,
                    ..Default::default()
                })
                .await
                .map(|_| ())
            }
        })
        .await;
    if let Some(h) = compactor {
        h.abort();
    }
    Ok(b.render(&st))
}

/// `benchmark range` options.
#[derive(Debug, Clone)]
pub struct RangeOptions {
    /// Key.
    pub key: Vec<u8>,
    /// Range end (empty: the key alone).
    pub end: Vec<u8>,
    /// Requests.
    pub total: u64,
    /// Requests per second, 0: unlimited.
    pub rate: u64,
    /// `l` (linearizable) or `s` (serializable).
    pub consistency: String,
    /// Maximum keys returned, 0: no limit.
    pub limit: i64,
    /// Count only.
    pub count_only: bool,
}

fn serializable(consistency: &str) -> Result<bool, Error> {
    match consistency {
        "l" => Ok(false),
        "s" => Ok(true),
        other => Err(Error::InvalidArgument(format!(
            "unknown consistency flag {other:?}"
        ))),
    }
}

/// `benchmark range`: the report text.
///
/// # Errors
/// [`Error::InvalidArgument`] for a consistency other than `l` or `s`.
pub async fn range(b: &Bench, o: RangeOptions) -> Result<String, Error> {
    let req = RangeRequest {
        key: o.key,
        range_end: o.end,
        limit: o.limit,
        count_only: o.count_only,
        serializable: serializable(&o.consistency)?,
        ..Default::default()
    };
    let st = b
        .drive(o.total, o.rate, move |c, _| {
            let req = req.clone();
            async move { c.range(req).await.map(|_| ()) }
        })
        .await;
    Ok(b.render(&st))
}

/// `benchmark txn-put` options.
#[derive(Debug, Clone)]
pub struct TxnPutOptions {
    /// Requests.
    pub total: u64,
    /// Key size, bytes.
    pub key_size: usize,
    /// Value size, bytes.
    pub val_size: usize,
    /// Puts per transaction.
    pub txn_ops: usize,
    /// Distinct keys.
    pub key_space_size: u64,
    /// Requests per second, 0: unlimited.
    pub rate: u64,
}

fn put_op(key: Vec<u8>, value: Vec<u8>) -> RequestOp {
    RequestOp {
        request: Some(request_op::Request::RequestPut(PutRequest {
            key,
            value,
            ..Default::default()
        })),
    }
}

/// `benchmark txn-put`: the report text.
///
/// # Errors
/// [`Error::InvalidArgument`] for a zero key space.
pub async fn txn_put(b: &Bench, o: TxnPutOptions) -> Result<String, Error> {
    if o.key_space_size == 0 {
        return Err(Error::InvalidArgument(
            "expected positive --key-space-size".into(),
        ));
    }
    let value = Arc::new(rand_bytes(o.val_size));
    let st = b
        .drive(o.total, o.rate, move |c, _| {
            let success = (0..o.txn_ops)
                .map(|_| {
                    put_op(
                        bench_key(o.key_size, 0, o.key_space_size, false),
                        value.to_vec(),
                    )
                })
                .collect();
            async move {
                c.txn(TxnRequest {
                    success,
                    ..Default::default()
                })
                .await
                .map(|_| ())
            }
        })
        .await;
    Ok(b.render(&st))
}

/// `benchmark txn-mixed` options.
#[derive(Debug, Clone)]
pub struct TxnMixedOptions {
    /// Key read (and the write key space's base).
    pub key: Vec<u8>,
    /// Range end of the reads.
    pub end: Vec<u8>,
    /// Requests.
    pub total: u64,
    /// Requests per second, 0: unlimited.
    pub rate: u64,
    /// Reads per write.
    pub rw_ratio: f64,
    /// `l` or `s`.
    pub consistency: String,
    /// Distinct written keys.
    pub key_space_size: u64,
    /// Written key size, bytes.
    pub key_size: usize,
    /// Value size, bytes.
    pub val_size: usize,
    /// Read limit.
    pub limit: i64,
}

/// `benchmark txn-mixed`: reads and writes in transactions, two reports (etcd prints
/// `Total Read Ops` / `Total Write Ops` before each).
///
/// # Errors
/// [`Error::InvalidArgument`] for a bad consistency or key space.
pub async fn txn_mixed(b: &Bench, o: TxnMixedOptions) -> Result<String, Error> {
    if o.key_space_size == 0 {
        return Err(Error::InvalidArgument(
            "expected positive --key-space-size".into(),
        ));
    }
    let ser = serializable(&o.consistency)?;
    let value = Arc::new(rand_bytes(o.val_size));
    let read_share = (o.rw_ratio / (o.rw_ratio + 1.0)).clamp(0.0, 1.0);
    // Which requests are reads is drawn up front so the outcomes can be split by kind.
    let kinds: Arc<Vec<bool>> = Arc::new({
        let mut rng = rand::rng();
        (0..o.total).map(|_| rng.random_bool(read_share)).collect()
    });
    let is_read = kinds.clone();
    let (outs, elapsed) = b
        .drive_outcomes(o.total, o.rate, move |c, i| {
            let op = if is_read[i as usize] {
                RequestOp {
                    request: Some(request_op::Request::RequestRange(RangeRequest {
                        key: o.key.clone(),
                        range_end: o.end.clone(),
                        limit: o.limit,
                        serializable: ser,
                        ..Default::default()
                    })),
                }
            } else {
                put_op(
                    bench_key(o.key_size, i, o.key_space_size, false),
                    value.to_vec(),
                )
            };
            async move {
                c.txn(TxnRequest {
                    success: vec![op],
                    ..Default::default()
                })
                .await
                .map(|_| ())
            }
        })
        .await;
    let (reads, writes): (Vec<_>, Vec<_>) = outs.into_iter().partition(|(i, _)| kinds[*i as usize]);
    let reads: Vec<Outcome> = reads.into_iter().map(|(_, o)| o).collect();
    let writes: Vec<Outcome> = writes.into_iter().map(|(_, o)| o).collect();
    let rst = Stats::compute(&reads, elapsed, b.opts.sample);
    let wst = Stats::compute(&writes, elapsed, b.opts.sample);
    let out = format!(
        "Total Read Ops: {}\nDetails:{}\nTotal Write Ops: {}\nDetails:{}",
        reads.len(),
        b.render(&rst),
        writes.len(),
        b.render(&wst)
    );
    Ok(out)
}

/// `benchmark lease-keepalive`: each worker grants one lease (TTL 100 s), then sends
/// keep-alives, one round trip each (clientv3 `KeepAliveOnce`).
///
/// # Errors
/// [`Error::Client`] when a lease cannot be granted.
pub async fn lease_keepalive(b: &Bench, total: u64) -> Result<String, Error> {
    let mut leases = Vec::with_capacity(b.opts.clients);
    for w in 0..b.opts.clients {
        leases.push(b.conn(w).lease_grant(100, 0).await?.id);
    }
    let leases = Arc::new(leases);
    let clients = b.opts.clients as u64;
    let st = b
        .drive(total, 0, move |c, i| {
            let id = leases[(i % clients) as usize];
            async move { c.lease_keep_alive_once(id).await.map(|_| ()) }
        })
        .await;
    Ok(b.render(&st))
}

/// `benchmark stm` options.
#[derive(Debug, Clone)]
pub struct StmOptions {
    /// Distinct keys.
    pub keys: u64,
    /// Keys read and written per transaction.
    pub keys_per_txn: usize,
    /// Transactions.
    pub total: u64,
    /// `r`, `c`, `s` or `ss` (etcd's STM isolation levels); `c` reads serializably.
    pub isolation: String,
    /// Requests per second, 0: unlimited.
    pub rate: u64,
}

/// `benchmark stm`: software transactions reading `keys_per_txn` random keys and writing
/// them back guarded by their mod revisions, retried until they commit; one latency per
/// committed transaction.
///
/// # Errors
/// [`Error::InvalidArgument`] for an unknown isolation level or more keys per transaction
/// than keys.
pub async fn stm(b: &Bench, o: StmOptions) -> Result<String, Error> {
    let ser = match o.isolation.as_str() {
        "r" | "s" | "ss" => false,
        "c" => true,
        other => {
            return Err(Error::InvalidArgument(format!(
                "unexpected isolation {other:?}"
            )))
        }
    };
    if o.keys == 0 || o.keys_per_txn as u64 > o.keys {
        return Err(Error::InvalidArgument(
            "expected --keys-per-txn <= --keys and --keys > 0".into(),
        ));
    }
    let st = b
        .drive(o.total, o.rate, move |c, _| {
            let mut ids: Vec<u64> = Vec::with_capacity(o.keys_per_txn);
            {
                let mut rng = rand::rng();
                while ids.len() < o.keys_per_txn {
                    let k = rng.random_range(0..o.keys);
                    if !ids.contains(&k) {
                        ids.push(k);
                    }
                }
            }
            let keys: Vec<Vec<u8>> = ids.iter().map(|k| format!("{k:08}").into_bytes()).collect();
            async move {
                loop {
                    let mut cmps = Vec::with_capacity(keys.len());
                    let mut puts = Vec::with_capacity(keys.len());
                    for k in &keys {
                        let r = c
                            .range(RangeRequest {
                                key: k.clone(),
                                serializable: ser,
                                ..Default::default()
                            })
                            .await?;
                        let (rev, n) = r.kvs.first().map_or((0, 0u64), |kv| {
                            let n = std::str::from_utf8(&kv.value)
                                .ok()
                                .and_then(|s| s.parse().ok())
                                .unwrap_or(0);
                            (kv.mod_revision, n)
                        });
                        cmps.push(Compare {
                            result: compare::CompareResult::Equal as i32,
                            target: compare::CompareTarget::Mod as i32,
                            key: k.clone(),
                            target_union: Some(compare::TargetUnion::ModRevision(rev)),
                            ..Default::default()
                        });
                        puts.push(put_op(k.clone(), (n + 1).to_string().into_bytes()));
                    }
                    let r = c
                        .txn(TxnRequest {
                            compare: cmps,
                            success: puts,
                            failure: vec![],
                        })
                        .await?;
                    if r.succeeded {
                        return Ok(());
                    }
                }
            }
        })
        .await;
    Ok(b.render(&st))
}

/// When put `i` of watch-latency was sent (wall clock for `--sample`, monotonic for latency).
type PutStart = Mutex<Option<(SystemTime, Instant)>>;

/// `benchmark watch-latency` options.
#[derive(Debug, Clone)]
pub struct WatchLatencyOptions {
    /// Puts.
    pub put_total: u64,
    /// Puts per second.
    pub put_rate: u64,
    /// Watch streams.
    pub streams: usize,
    /// Watchers per stream.
    pub watchers_per_stream: usize,
    /// Ask for previous key-values.
    pub prevkv: bool,
    /// Key size, bytes.
    pub key_size: usize,
    /// Value size, bytes.
    pub val_size: usize,
}

/// `benchmark watch-latency`: `streams × watchers_per_stream` watchers on one key, then
/// `put_total` puts at `put_rate`; one latency per (put, watcher): from sending the put to
/// the watcher receiving its event.
///
/// # Errors
/// [`Error::Client`] when a watch stream cannot be opened.
pub async fn watch_latency(b: &Bench, o: WatchLatencyOptions) -> Result<String, Error> {
    let key = rand_bytes(o.key_size);
    let value = rand_bytes(o.val_size);
    let total_watchers = (o.streams * o.watchers_per_stream) as u64;
    let bar = b.bar(o.put_total * total_watchers);
    let starts: Arc<Vec<PutStart>> = Arc::new((0..o.put_total).map(|_| Mutex::new(None)).collect());
    let outs: Arc<Mutex<Vec<Outcome>>> = Arc::new(Mutex::new(Vec::new()));
    let create = WatchCreateRequest {
        key: key.clone(),
        prev_kv: o.prevkv,
        ..Default::default()
    };
    let mut readers = Vec::new();
    for s in 0..o.streams {
        let c = b.conn(s);
        let mut w = c.watch(create.clone()).await?;
        for _ in 1..o.watchers_per_stream {
            w.create(create.clone()).await?;
        }
        let mut created = 0;
        while created < o.watchers_per_stream {
            match tokio::time::timeout(Duration::from_secs(30), w.next()).await {
                Ok(Ok(Some(r))) if r.created => created += 1,
                Ok(Ok(Some(_))) => {}
                Ok(Err(e)) => return Err(e.into()),
                _ => {
                    return Err(Error::InvalidArgument(
                        "watch stream closed before its watchers were created".into(),
                    ))
                }
            }
        }
        let (starts, outs, bar) = (starts.clone(), outs.clone(), bar.clone());
        let per = o.watchers_per_stream;
        let want = o.put_total;
        readers.push(tokio::spawn(async move {
            let mut seen: std::collections::HashMap<i64, u64> = Default::default();
            let mut done = 0;
            while done < per {
                let r = match tokio::time::timeout(Duration::from_secs(60), w.next()).await {
                    Ok(Ok(Some(r))) => r,
                    _ => break,
                };
                let cnt = seen.entry(r.watch_id).or_default();
                for _ in &r.events {
                    let at = Instant::now();
                    if let Some(Ok(slot)) = starts.get(*cnt as usize).map(|m| m.lock()) {
                        if let Some((wall, t0)) = *slot {
                            if let Ok(mut o) = outs.lock() {
                                o.push(Outcome {
                                    start: wall,
                                    duration: at.duration_since(t0),
                                    error: None,
                                });
                            }
                        }
                    }
                    *cnt += 1;
                    bar.inc(1);
                    if *cnt == want {
                        done += 1;
                    }
                }
            }
        }));
    }
    let limiter = Limiter::new(o.put_rate);
    let started = Instant::now();
    let c = b.conn(0);
    let mut put_outs = Vec::new();
    for i in 0..o.put_total {
        limiter.wait().await;
        if let Ok(mut s) = starts[i as usize].lock() {
            *s = Some((SystemTime::now(), Instant::now()));
        }
        let t0 = Instant::now();
        let res = c
            .put(PutRequest {
                key: key.clone(),
                value: value.clone(),
                ..Default::default()
            })
            .await;
        put_outs.push(Outcome {
            start: SystemTime::now(),
            duration: t0.elapsed(),
            error: res.err().map(|e| e.to_string()),
        });
    }
    let put_elapsed = started.elapsed();
    for r in readers {
        let _ = r.await;
    }
    bar.finish_and_clear();
    let outs = outs.lock().map(|o| o.clone()).unwrap_or_default();
    let st = Stats::compute(&outs, started.elapsed(), b.opts.sample);
    let pst = Stats::compute(&put_outs, put_elapsed, b.opts.sample);
    Ok(format!(
        "Put summary:{}\nWatch events summary:{}",
        b.render(&pst),
        b.render(&st)
    ))
}

/// `benchmark watch` options.
#[derive(Debug, Clone)]
pub struct WatchOptions {
    /// Watch streams.
    pub streams: usize,
    /// Watchers per stream.
    pub watch_per_stream: usize,
    /// Distinct watched keys.
    pub watched_key_total: u64,
    /// Puts per second, 0: unlimited.
    pub put_rate: u64,
    /// Puts.
    pub put_total: u64,
    /// Key size, bytes.
    pub key_size: usize,
    /// Key space of the puts.
    pub key_space_size: u64,
    /// Sequential put keys.
    pub sequential_keys: bool,
}

/// `benchmark watch`: creates `streams × watch_per_stream` watchers (one latency per
/// creation), then puts `put_total` keys among the watched ones (one latency per put).
///
/// # Errors
/// [`Error::Client`] when a watch stream cannot be opened.
pub async fn watch(b: &Bench, o: WatchOptions) -> Result<String, Error> {
    let space = o.watched_key_total.max(1);
    let keys: Vec<Vec<u8>> = (0..space)
        .map(|i| bench_key(o.key_size, i, space, true))
        .collect();
    let bar = b.bar((o.streams * o.watch_per_stream) as u64);
    let started = Instant::now();
    let mut creates = Vec::new();
    let mut streams = Vec::new();
    for s in 0..o.streams {
        let c = b.conn(s);
        let mut stream: Option<client::Watcher> = None;
        for j in 0..o.watch_per_stream {
            let req = WatchCreateRequest {
                key: keys[(s * o.watch_per_stream + j) % keys.len()].clone(),
                ..Default::default()
            };
            let wall = SystemTime::now();
            let t0 = Instant::now();
            let res = match stream.as_mut() {
                None => c.watch(req).await.map(|w| stream = Some(w)),
                Some(w) => w.create(req).await,
            };
            let res = match (res, stream.as_mut()) {
                (Ok(()), Some(w)) => loop {
                    match tokio::time::timeout(Duration::from_secs(30), w.next()).await {
                        Ok(Ok(Some(r))) if r.created => break Ok(()),
                        Ok(Ok(Some(_))) => {}
                        Ok(Err(e)) => break Err(e.to_string()),
                        _ => break Err("watch stream closed".to_string()),
                    }
                },
                (Err(e), _) => Err(e.to_string()),
                (Ok(()), None) => Err("watch stream closed".to_string()),
            };
            creates.push(Outcome {
                start: wall,
                duration: t0.elapsed(),
                error: res.err(),
            });
            bar.inc(1);
        }
        streams.extend(stream);
    }
    bar.finish_and_clear();
    let cst = Stats::compute(&creates, started.elapsed(), b.opts.sample);
    // Drain the streams so the server never blocks on them.
    let drains: Vec<_> = streams
        .into_iter()
        .map(|mut w| tokio::spawn(async move { while let Ok(Some(_)) = w.next().await {} }))
        .collect();
    let (ks, seq) = (o.key_size, o.sequential_keys);
    let put_space = o.key_space_size.max(1);
    let pst = b
        .drive(o.put_total, o.put_rate, move |c, i| {
            let key = bench_key(ks, i, put_space, seq);
            async move {
                c.put(PutRequest {
                    key,
                    value: b"value".to_vec(),
                    ..Default::default()
                })
                .await
                .map(|_| ())
            }
        })
        .await;
    for d in drains {
        d.abort();
    }
    Ok(format!(
        "Watch creation summary:{}\nPut summary:{}",
        b.render(&cst),
        b.render(&pst)
    ))
}

/// `benchmark watch-get` options.
#[derive(Debug, Clone)]
pub struct WatchGetOptions {
    /// Watchers.
    pub watchers: usize,
    /// Watch streams.
    pub streams: usize,
    /// Events each watcher receives (puts on the watched key).
    pub watch_events: u64,
}

/// `benchmark watch-get`: serializable gets of a key while `watchers` watchers on it
/// receive `watch_events` events; one latency per get, the gets run until every watcher has
/// its events.
///
/// # Errors
/// [`Error::Client`] when a watch stream cannot be opened or a put fails.
pub async fn watch_get(b: &Bench, o: WatchGetOptions) -> Result<String, Error> {
    let key = b"watchkey".to_vec();
    let streams = o.streams.max(1);
    let per = o.watchers.div_ceil(streams);
    let rev = b
        .conn(0)
        .put(PutRequest {
            key: key.clone(),
            value: b"data".to_vec(),
            ..Default::default()
        })
        .await?
        .header
        .map_or(0, |h| h.revision);
    for _ in 0..o.watch_events {
        b.conn(0)
            .put(PutRequest {
                key: key.clone(),
                value: b"data".to_vec(),
                ..Default::default()
            })
            .await?;
    }
    let want = o.watch_events + 1;
    let create = WatchCreateRequest {
        key: key.clone(),
        start_revision: rev,
        ..Default::default()
    };
    let remaining = Arc::new(AtomicU64::new((per * streams) as u64));
    let mut readers = Vec::new();
    for s in 0..streams {
        let mut w = b.conn(s).watch(create.clone()).await?;
        for _ in 1..per {
            w.create(create.clone()).await?;
        }
        let remaining = remaining.clone();
        readers.push(tokio::spawn(async move {
            let mut seen: std::collections::HashMap<i64, u64> = Default::default();
            loop {
                let r = match tokio::time::timeout(Duration::from_secs(60), w.next()).await {
                    Ok(Ok(Some(r))) => r,
                    _ => break,
                };
                let n = seen.entry(r.watch_id).or_default();
                let before = *n;
                *n += r.events.len() as u64;
                if before < want && *n >= want && remaining.fetch_sub(1, Ordering::SeqCst) == 1 {
                    break;
                }
            }
        }));
    }
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..b.opts.clients {
        let (c, remaining, key) = (b.conn(w), remaining.clone(), key.clone());
        tasks.push(tokio::spawn(async move {
            let mut outs = Vec::new();
            while remaining.load(Ordering::SeqCst) > 0 && outs.len() < 1_000_000 {
                let wall = SystemTime::now();
                let t0 = Instant::now();
                let res = c
                    .range(RangeRequest {
                        key: key.clone(),
                        serializable: true,
                        ..Default::default()
                    })
                    .await;
                outs.push(Outcome {
                    start: wall,
                    duration: t0.elapsed(),
                    error: res.err().map(|e| e.to_string()),
                });
            }
            outs
        }));
    }
    for r in readers {
        let _ = r.await;
    }
    remaining.store(0, Ordering::SeqCst);
    let mut outs = Vec::new();
    for t in tasks {
        if let Ok(o) = t.await {
            outs.extend(o);
        }
    }
    let st = Stats::compute(&outs, started.elapsed(), b.opts.sample);
    Ok(b.render(&st))
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
