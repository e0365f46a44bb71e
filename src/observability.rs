//! Logging and metrics: tracing setup, etcd's fixed startup messages that operators'
//! tooling waits for, and the Prometheus registry behind `/metrics` (etcd's metric names).

use std::sync::LazyLock;

use prometheus::{
    Encoder, Gauge, Histogram, HistogramOpts, IntCounter, IntGauge, Registry, TextEncoder,
};

/// etcd's readiness line: printed once the member serves client requests.
pub const READY_MESSAGE: &str = "ready to serve client requests";

/// Installs the tracing subscriber writing to stderr at `level` (`debug`, `info`, `warn`,
/// `error`, `panic`, `fatal` as etcd's --log-level; the last two map to `error`).
/// Calling it twice is harmless.
pub fn init_logging(level: &str) {
    let level = match level {
        "panic" | "fatal" => "error",
        other => other,
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(format!("{level},openraft=error,h2=warn,tower=warn"))
    });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init();
}

/// The server's metrics, registered once per process under etcd's names.
pub struct Metrics {
    registry: Registry,
    /// `etcd_server_has_leader`: 1 if a leader exists, else 0.
    pub has_leader: IntGauge,
    /// `etcd_server_is_leader`: 1 if this member is the leader.
    pub is_leader: IntGauge,
    /// `etcd_server_is_learner`: 1 if this member is a learner.
    pub is_learner: IntGauge,
    /// `etcd_server_leader_changes_seen_total`.
    pub leader_changes: IntCounter,
    /// `etcd_server_proposals_committed_total`: committed Raft index.
    pub proposals_committed: Gauge,
    /// `etcd_server_proposals_applied_total`: applied Raft index.
    pub proposals_applied: Gauge,
    /// `etcd_server_proposals_failed_total`.
    pub proposals_failed: IntCounter,
    /// `etcd_mvcc_db_total_size_in_bytes`.
    pub db_total_size: IntGauge,
    /// `etcd_mvcc_db_total_size_in_use_in_bytes`.
    pub db_size_in_use: IntGauge,
    /// `etcd_debugging_mvcc_current_revision`... exposed as `etcd_mvcc_current_revision`? etcd
    /// 3.4 names it `etcd_debugging_mvcc_current_revision`; we keep etcd's name.
    pub current_revision: IntGauge,
    /// `etcd_network_peer_round_trip_time_seconds{To}`: peer RPC round trips.
    pub peer_rtt: prometheus::HistogramVec,
    /// `etcd_disk_wal_fsync_duration_seconds`: Raft log append (commit + fsync) latency.
    pub wal_fsync_duration: Histogram,
    /// `etcd_disk_backend_commit_duration_seconds`: state commit latency per applied batch.
    pub backend_commit_duration: Histogram,
}

fn disk_buckets() -> Vec<f64> {
    // etcd's: exponential from 1ms, factor 2, 14 buckets.
    prometheus::exponential_buckets(0.001, 2.0, 14).unwrap_or_default()
}

static METRICS: LazyLock<Metrics> = LazyLock::new(|| {
    let registry = Registry::new();
    let int_gauge = |name: &str, help: &str| {
        let g = IntGauge::new(name, help).expect("invariant: static metric name is valid");
        registry
            .register(Box::new(g.clone()))
            .expect("invariant: metric registered once");
        g
    };
    let gauge = |name: &str, help: &str| {
        let g = Gauge::new(name, help).expect("invariant: static metric name is valid");
        registry
            .register(Box::new(g.clone()))
            .expect("invariant: metric registered once");
        g
    };
    let counter = |name: &str, help: &str| {
        let c = IntCounter::new(name, help).expect("invariant: static metric name is valid");
        registry
            .register(Box::new(c.clone()))
            .expect("invariant: metric registered once");
        c
    };
    let histogram = |name: &str, help: &str| {
        let h = Histogram::with_opts(HistogramOpts::new(name, help).buckets(disk_buckets()))
            .expect("invariant: static metric name is valid");
        registry
            .register(Box::new(h.clone()))
            .expect("invariant: metric registered once");
        h
    };
    Metrics {
        has_leader: int_gauge(
            "etcd_server_has_leader",
            "Whether or not a leader exists. 1 is existence, 0 is not.",
        ),
        is_leader: int_gauge(
            "etcd_server_is_leader",
            "Whether or not this member is a leader. 1 if is, 0 otherwise.",
        ),
        is_learner: int_gauge(
            "etcd_server_is_learner",
            "Whether or not this member is a learner. 1 if is, 0 otherwise.",
        ),
        leader_changes: counter(
            "etcd_server_leader_changes_seen_total",
            "The number of leader changes seen.",
        ),
        proposals_committed: gauge(
            "etcd_server_proposals_committed_total",
            "The total number of consensus proposals committed.",
        ),
        proposals_applied: gauge(
            "etcd_server_proposals_applied_total",
            "The total number of consensus proposals applied.",
        ),
        proposals_failed: counter(
            "etcd_server_proposals_failed_total",
            "The total number of failed proposals seen.",
        ),
        db_total_size: int_gauge(
            "etcd_mvcc_db_total_size_in_bytes",
            "Total size of the underlying database physically allocated in bytes.",
        ),
        db_size_in_use: int_gauge(
            "etcd_mvcc_db_total_size_in_use_in_bytes",
            "Total size of the underlying database logically in use in bytes.",
        ),
        current_revision: int_gauge(
            "etcd_debugging_mvcc_current_revision",
            "The current revision of store.",
        ),
        wal_fsync_duration: histogram(
            "etcd_disk_wal_fsync_duration_seconds",
            "The latency distributions of fsync called by WAL.",
        ),
        peer_rtt: {
            let h = prometheus::HistogramVec::new(
                HistogramOpts::new(
                    "etcd_network_peer_round_trip_time_seconds",
                    "Round-Trip-Time histogram between peers",
                )
                .buckets(prometheus::exponential_buckets(0.0001, 2.0, 16).unwrap_or_default()),
                &["To"],
            )
            .expect("invariant: static metric name is valid");
            registry
                .register(Box::new(h.clone()))
                .expect("invariant: metric registered once");
            h
        },
        backend_commit_duration: histogram(
            "etcd_disk_backend_commit_duration_seconds",
            "The latency distributions of commit called by backend.",
        ),
        registry,
    }
});

/// The process-wide metrics.
pub fn metrics() -> &'static Metrics {
    &METRICS
}

impl Metrics {
    /// Renders every metric in the Prometheus text exposition format.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        let encoder = TextEncoder::new();
        let _ = encoder.encode(&self.registry.gather(), &mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    }
}
