//! Logging and metrics: tracing setup, etcd's fixed startup messages that operators'
//! tooling waits for, and the Prometheus registry behind `/metrics` (etcd's metric names).

use std::sync::LazyLock;

/// The etcd server version this binary reports (`/version`, Status, `etcd_server_version`);
/// `server::SERVER_VERSION` is this value. A leaf constant so metrics need not name `server`.
pub const ETCD_SERVER_VERSION: &str = "3.4.23";

pub mod logging;
pub mod startup;

pub use logging::init_logging;

use prometheus::{
    Encoder, Gauge, Histogram, HistogramOpts, IntCounter, IntGauge, Registry, TextEncoder,
};

/// etcd's readiness line: printed once the member serves client requests.
pub const READY_MESSAGE: &str = "ready to serve client requests";

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
    /// [`EXTRA_FAMILIES`] by name.
    extra: std::collections::HashMap<&'static str, Extra>,
    /// `etcd_server_id{server_id}`: 1 for this member's ID (hex).
    pub server_id: prometheus::IntGaugeVec,
    /// `etcd_server_client_requests_total{type,client_api_version}`.
    pub client_requests: prometheus::IntCounterVec,
    /// `promhttp_metric_handler_requests_total{code}`: scrapes of `/metrics`.
    pub scrapes: prometheus::IntCounterVec,
    /// `promhttp_metric_handler_requests_in_flight`.
    pub scrapes_in_flight: IntGauge,
    /// go-grpc-prometheus' `grpc_server_started_total{grpc_type,grpc_service,grpc_method}`.
    pub grpc_started: prometheus::IntCounterVec,
    /// `grpc_server_handled_total{grpc_type,grpc_service,grpc_method,grpc_code}`.
    pub grpc_handled: prometheus::IntCounterVec,
    /// `grpc_server_msg_received_total{grpc_type,grpc_service,grpc_method}`.
    pub grpc_msg_received: prometheus::IntCounterVec,
    /// `grpc_server_msg_sent_total{grpc_type,grpc_service,grpc_method}`.
    pub grpc_msg_sent: prometheus::IntCounterVec,
    /// `grpc_server_handling_seconds{grpc_type,grpc_service,grpc_method}` (Go's default
    /// buckets), registered only with `--metrics extensive` ([`Metrics::enable_extensive`]).
    pub grpc_handling_seconds: prometheus::HistogramVec,
    extensive: std::sync::Once,
    /// v2 store `reads_total`, `writes_total`, `reads_failed_total`, `writes_failed_total`
    /// (`etcd_debugging_store_*{action}`).
    v2_store: [prometheus::IntCounterVec; 4],
}

/// The `process_*` families of prometheus' process collector, with
/// `process_cpu_seconds_total` in fractions of a second as Go's collector reports it (the
/// crate's counter holds whole seconds only, so a quiet member would show 0).
#[cfg(target_os = "linux")]
struct ProcessMetrics(prometheus::process_collector::ProcessCollector);

#[cfg(target_os = "linux")]
impl prometheus::core::Collector for ProcessMetrics {
    fn desc(&self) -> Vec<&prometheus::core::Desc> {
        self.0.desc()
    }

    fn collect(&self) -> Vec<prometheus::proto::MetricFamily> {
        let mut families = self.0.collect();
        let cpu = procfs::process::Process::myself()
            .and_then(|p| p.stat())
            .map(|st| (st.utime + st.stime) as f64 / procfs::ticks_per_second() as f64);
        if let Ok(seconds) = cpu {
            for mf in &mut families {
                if mf.name() == "process_cpu_seconds_total" {
                    for m in mf.mut_metric() {
                        let mut c = prometheus::proto::Counter::default();
                        c.set_value(seconds);
                        m.set_counter(c);
                    }
                }
            }
        }
        families
    }
}

/// A gauge held up by one ([`Metrics::hold_gauge`]); dropping it takes the one back.
pub struct GaugeHold(Option<Gauge>);

impl Drop for GaugeHold {
    fn drop(&mut self) {
        if let Some(g) = &self.0 {
            g.dec();
        }
    }
}

/// One registered [`EXTRA_FAMILIES`] family.
enum Extra {
    Counter(IntCounter),
    Gauge(Gauge),
    Histogram(Histogram),
}

fn disk_buckets() -> Vec<f64> {
    // etcd's: exponential from 1ms, factor 2, 14 buckets.
    prometheus::exponential_buckets(0.001, 2.0, 14).unwrap_or_default()
}

/// etcd's buckets for the [`EXTRA_FAMILIES`] histogram `name` (start, factor 2, count), from
/// its `metrics.go` files; the disk buckets for the others.
fn extra_buckets(name: &str) -> Vec<f64> {
    let (start, count) = match name {
        "etcd_debugging_lease_ttl_total" => (1.0, 24),
        "etcd_debugging_mvcc_index_compaction_pause_duration_milliseconds" => (0.5, 14),
        "etcd_debugging_mvcc_db_compaction_pause_duration_milliseconds" => (1.0, 13),
        "etcd_debugging_mvcc_db_compaction_total_duration_milliseconds" => (100.0, 14),
        "etcd_mvcc_hash_duration_seconds" | "etcd_mvcc_hash_rev_duration_seconds" => (0.01, 15),
        "etcd_disk_backend_defrag_duration_seconds" => (0.1, 13),
        "etcd_disk_backend_snapshot_duration_seconds" => (0.01, 17),
        "etcd_snap_db_save_total_duration_seconds" => (0.1, 10),
        _ => return disk_buckets(),
    };
    prometheus::exponential_buckets(start, 2.0, count).unwrap_or_default()
}

static METRICS: LazyLock<Metrics> = LazyLock::new(|| {
    let registry = Registry::new();
    #[cfg(target_os = "linux")]
    {
        // process_cpu_seconds_total, process_open_fds, process_max_fds,
        // process_virtual_memory_bytes, process_virtual_memory_max_bytes,
        // process_resident_memory_bytes, process_start_time_seconds.
        let _ = registry.register(Box::new(ProcessMetrics(
            prometheus::process_collector::ProcessCollector::for_self(),
        )));
    }
    gauge_vec(
        &registry,
        "etcd_server_version",
        "Which version is running. 1 for 'server_version' label with current version.",
        "server_version",
        ETCD_SERVER_VERSION,
    );
    gauge_vec(
        &registry,
        "etcd_server_go_version",
        "Which Go version server is running with. 1 for 'server_go_version' label with current version.",
        "server_go_version",
        "none (Rust)",
    );
    gauge_vec(
        &registry,
        "etcd_cluster_version",
        "Which version is running. 1 for 'cluster_version' label with current cluster version",
        "cluster_version",
        "3.4",
    );
    // etcd's v2 store counters (`etcdserver/api/v2store/metrics.go`), by action; the failed
    // twins appear at their first failure, as Go's vectors do.
    let v2_store = [
        (
            "etcd_debugging_store_reads_total",
            "Total number of reads action by (get/getRecursive), local to this member.",
            Some("getRecursive"),
        ),
        (
            "etcd_debugging_store_writes_total",
            "Total number of writes (e.g. set/compareAndDelete) seen by this member.",
            Some("create"),
        ),
        (
            "etcd_debugging_store_reads_failed_total",
            "Failed read actions by (get/getRecursive), local to this member.",
            None,
        ),
        (
            "etcd_debugging_store_writes_failed_total",
            "Failed write actions (e.g. set/compareAndDelete), seen by this member.",
            None,
        ),
    ]
    .map(|(name, help, action)| {
        let c = prometheus::IntCounterVec::new(prometheus::Opts::new(name, help), &["action"])
            .expect("invariant: static metric name is valid");
        if let Some(action) = action {
            c.with_label_values(&[action]).inc_by(0);
        }
        register(&registry, c)
    });
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
        let h = Histogram::with_opts(HistogramOpts::new(name, help).buckets(extra_buckets(name)))
            .expect("invariant: static metric name is valid");
        registry
            .register(Box::new(h.clone()))
            .expect("invariant: metric registered once");
        h
    };
    let m = Metrics {
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
        extra: EXTRA_FAMILIES
            .iter()
            .map(|(name, kind, help)| {
                let e = match kind {
                    Kind::Counter => Extra::Counter(counter(name, help)),
                    Kind::Gauge => Extra::Gauge(gauge(name, help)),
                    Kind::Histogram => Extra::Histogram(histogram(name, help)),
                };
                (*name, e)
            })
            .collect(),
        server_id: {
            let g = prometheus::IntGaugeVec::new(
                prometheus::Opts::new(
                    "etcd_server_id",
                    "Server or member ID in hexadecimal format. 1 for 'server_id' label with current ID.",
                ),
                &["server_id"],
            )
            .expect("invariant: static metric name is valid");
            register(&registry, g)
        },
        client_requests: int_counter_vec(
            &registry,
            "etcd_server_client_requests_total",
            "The total number of client requests per client version.",
            &["type", "client_api_version"],
        ),
        scrapes: int_counter_vec(
            &registry,
            "promhttp_metric_handler_requests_total",
            "Total number of scrapes by HTTP status code.",
            &["code"],
        ),
        scrapes_in_flight: int_gauge(
            "promhttp_metric_handler_requests_in_flight",
            "Current number of scrapes being served.",
        ),
        grpc_started: int_counter_vec(
            &registry,
            "grpc_server_started_total",
            "Total number of RPCs started on the server.",
            &["grpc_type", "grpc_service", "grpc_method"],
        ),
        grpc_handled: int_counter_vec(
            &registry,
            "grpc_server_handled_total",
            "Total number of RPCs completed on the server, regardless of success or failure.",
            &["grpc_type", "grpc_service", "grpc_method", "grpc_code"],
        ),
        grpc_msg_received: int_counter_vec(
            &registry,
            "grpc_server_msg_received_total",
            "Total number of RPC stream messages received on the server.",
            &["grpc_type", "grpc_service", "grpc_method"],
        ),
        grpc_msg_sent: int_counter_vec(
            &registry,
            "grpc_server_msg_sent_total",
            "Total number of gRPC stream messages sent by the server.",
            &["grpc_type", "grpc_service", "grpc_method"],
        ),
        grpc_handling_seconds: prometheus::HistogramVec::new(
            HistogramOpts::new(
                "grpc_server_handling_seconds",
                "Histogram of response latency (seconds) of gRPC that had been application-level handled by the server.",
            ),
            &["grpc_type", "grpc_service", "grpc_method"],
        )
        .expect("invariant: static metric name is valid"),
        extensive: std::sync::Once::new(),
        v2_store,
        registry,
    };
    m.init_constants();
    m
});

fn register<C: prometheus::core::Collector + Clone + 'static>(registry: &Registry, c: C) -> C {
    registry
        .register(Box::new(c.clone()))
        .expect("invariant: metric registered once");
    c
}

fn int_counter_vec(
    registry: &Registry,
    name: &str,
    help: &str,
    labels: &[&str],
) -> prometheus::IntCounterVec {
    let c = prometheus::IntCounterVec::new(prometheus::Opts::new(name, help), labels)
        .expect("invariant: static metric name is valid");
    register(registry, c)
}

fn gauge_vec(registry: &Registry, name: &str, help: &str, label: &str, value: &str) {
    let g = prometheus::GaugeVec::new(prometheus::Opts::new(name, help), &[label])
        .expect("invariant: static metric name is valid");
    g.with_label_values(&[value]).set(1.0);
    register(registry, g);
}

/// What kind of family an [`EXTRA_FAMILIES`] entry is.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Counter,
    Gauge,
    Histogram,
}

/// etcd 3.4.23's unlabelled families (from its `/metrics` on a one-member cluster) that the
/// [`Metrics`] struct does not name: (name, type, etcd's help). Each is counted where its
/// event happens here (`inc_counter`, `set_gauge`, `observe`, `hold_gauge` at the call site),
/// except these, which stay at zero because the event does not exist in this design:
/// - `etcd_debugging_disk_backend_commit_{rebalance,spill}_duration_seconds`: phases of
///   bbolt's commit; LMDB's commit is one call (observed as the `write` phase);
/// - `etcd_debugging_snap_save_marshalling_duration_seconds`, `etcd_snap_fsync_duration_seconds`:
///   etcd's raft `.snap` file (protobuf-marshalled, fsynced); a snapshot here is the state
///   database copy, observed as `etcd_debugging_snap_save_total_duration_seconds`;
/// - `etcd_debugging_mvcc_pending_events_total`: etcd buffers events for slow watchers; ours
///   re-read them from storage when they catch up, so nothing is pending;
/// - `etcd_grpc_proxy_*`: counted by the gRPC proxy, a separate process (`etcd grpc-proxy`).
///
/// Histograms use etcd's buckets ([`extra_buckets`]).
const EXTRA_FAMILIES: &[(&str, Kind, &str)] = &[
    ("etcd_debugging_auth_revision", Kind::Gauge, "The current revision of auth store."),
    ("etcd_debugging_disk_backend_commit_rebalance_duration_seconds", Kind::Histogram, "The latency distributions of commit.rebalance called by bboltdb backend."),
    ("etcd_debugging_disk_backend_commit_spill_duration_seconds", Kind::Histogram, "The latency distributions of commit.spill called by bboltdb backend."),
    ("etcd_debugging_disk_backend_commit_write_duration_seconds", Kind::Histogram, "The latency distributions of commit.write called by bboltdb backend."),
    ("etcd_debugging_lease_granted_total", Kind::Counter, "The total number of granted leases."),
    ("etcd_debugging_lease_renewed_total", Kind::Counter, "The number of renewed leases seen by the leader."),
    ("etcd_debugging_lease_revoked_total", Kind::Counter, "The total number of revoked leases."),
    ("etcd_debugging_lease_ttl_total", Kind::Histogram, "Bucketed histogram of lease TTLs."),
    ("etcd_debugging_mvcc_compact_revision", Kind::Gauge, "The revision of the last compaction in store."),
    ("etcd_debugging_mvcc_db_compaction_keys_total", Kind::Counter, "Total number of db keys compacted."),
    ("etcd_debugging_mvcc_db_compaction_pause_duration_milliseconds", Kind::Histogram, "Bucketed histogram of db compaction pause duration."),
    ("etcd_debugging_mvcc_db_compaction_total_duration_milliseconds", Kind::Histogram, "Bucketed histogram of db compaction total duration."),
    ("etcd_debugging_mvcc_db_total_size_in_bytes", Kind::Gauge, "Total size of the underlying database physically allocated in bytes."),
    ("etcd_debugging_mvcc_delete_total", Kind::Counter, "Total number of deletes seen by this member."),
    ("etcd_debugging_mvcc_events_total", Kind::Counter, "Total number of events sent by this member."),
    ("etcd_debugging_mvcc_index_compaction_pause_duration_milliseconds", Kind::Histogram, "Bucketed histogram of index compaction pause duration."),
    ("etcd_debugging_mvcc_keys_total", Kind::Gauge, "Total number of keys."),
    ("etcd_debugging_mvcc_pending_events_total", Kind::Gauge, "Total number of pending events to be sent."),
    ("etcd_debugging_mvcc_put_total", Kind::Counter, "Total number of puts seen by this member."),
    ("etcd_debugging_mvcc_range_total", Kind::Counter, "Total number of ranges seen by this member."),
    ("etcd_debugging_mvcc_slow_watcher_total", Kind::Gauge, "Total number of unsynced slow watchers."),
    ("etcd_debugging_mvcc_total_put_size_in_bytes", Kind::Gauge, "The total size of put kv pairs seen by this member."),
    ("etcd_debugging_mvcc_txn_total", Kind::Counter, "Total number of txns seen by this member."),
    ("etcd_debugging_mvcc_watch_stream_total", Kind::Gauge, "Total number of watch streams."),
    ("etcd_debugging_mvcc_watcher_total", Kind::Gauge, "Total number of watchers."),
    ("etcd_debugging_server_lease_expired_total", Kind::Counter, "The total number of expired leases."),
    ("etcd_debugging_snap_save_marshalling_duration_seconds", Kind::Histogram, "The marshalling cost distributions of save called by snapshot."),
    ("etcd_debugging_snap_save_total_duration_seconds", Kind::Histogram, "The total latency distributions of save called by snapshot."),
    ("etcd_debugging_store_expires_total", Kind::Counter, "Total number of expired keys."),
    ("etcd_debugging_store_watch_requests_total", Kind::Counter, "Total number of incoming watch requests (new or reestablished)."),
    ("etcd_debugging_store_watchers", Kind::Gauge, "Count of currently active watchers."),
    ("etcd_disk_backend_defrag_duration_seconds", Kind::Histogram, "The latency distribution of backend defragmentation."),
    ("etcd_disk_backend_snapshot_duration_seconds", Kind::Histogram, "The latency distribution of backend snapshots."),
    ("etcd_disk_defrag_inflight", Kind::Gauge, "Whether or not defrag is active on the member. 1 means active, 0 means not."),
    ("etcd_disk_wal_write_bytes_total", Kind::Gauge, "Total number of bytes written in WAL."),
    ("etcd_grpc_proxy_cache_hits_total", Kind::Gauge, "Total number of cache hits"),
    ("etcd_grpc_proxy_cache_keys_total", Kind::Gauge, "Total number of keys/ranges cached"),
    ("etcd_grpc_proxy_cache_misses_total", Kind::Gauge, "Total number of cache misses"),
    ("etcd_grpc_proxy_events_coalescing_total", Kind::Counter, "Total number of events coalescing"),
    ("etcd_grpc_proxy_watchers_coalescing_total", Kind::Gauge, "Total number of current watchers coalescing"),
    ("etcd_mvcc_db_open_read_transactions", Kind::Gauge, "The number of currently open read transactions"),
    ("etcd_mvcc_delete_total", Kind::Counter, "Total number of deletes seen by this member."),
    ("etcd_mvcc_hash_duration_seconds", Kind::Histogram, "The latency distribution of storage hash operation."),
    ("etcd_mvcc_hash_rev_duration_seconds", Kind::Histogram, "The latency distribution of storage hash by revision operation."),
    ("etcd_mvcc_put_total", Kind::Counter, "Total number of puts seen by this member."),
    ("etcd_mvcc_range_total", Kind::Counter, "Total number of ranges seen by this member."),
    ("etcd_mvcc_txn_total", Kind::Counter, "Total number of txns seen by this member."),
    ("etcd_network_client_grpc_received_bytes_total", Kind::Counter, "The total number of bytes received from grpc clients."),
    ("etcd_network_client_grpc_sent_bytes_total", Kind::Counter, "The total number of bytes sent to grpc clients."),
    ("etcd_server_health_failures", Kind::Counter, "The total number of failed health checks"),
    ("etcd_server_health_success", Kind::Counter, "The total number of successful health checks"),
    ("etcd_server_heartbeat_send_failures_total", Kind::Counter, "The total number of leader heartbeat send failures (likely overloaded from slow disk)."),
    ("etcd_server_learner_promote_successes", Kind::Counter, "The total number of successful learner promotions while this member is leader."),
    ("etcd_server_proposals_pending", Kind::Gauge, "The current number of pending proposals to commit."),
    ("etcd_server_quota_backend_bytes", Kind::Gauge, "Current backend storage quota size in bytes."),
    ("etcd_server_read_indexes_failed_total", Kind::Counter, "The total number of failed read indexes seen."),
    ("etcd_server_slow_apply_total", Kind::Counter, "The total number of slow apply requests (likely overloaded from slow disk)."),
    ("etcd_server_slow_read_indexes_total", Kind::Counter, "The total number of pending read indexes not in sync with leader's or timed out read index requests."),
    ("etcd_server_snapshot_apply_in_progress_total", Kind::Gauge, "1 if the server is applying the incoming snapshot. 0 if none."),
    ("etcd_snap_db_fsync_duration_seconds", Kind::Histogram, "The latency distributions of fsyncing .snap.db file"),
    ("etcd_snap_db_save_total_duration_seconds", Kind::Histogram, "The total latency distributions of v3 snapshot save"),
    ("etcd_snap_fsync_duration_seconds", Kind::Histogram, "The latency distributions of fsync called by snap."),
    ("process_virtual_memory_max_bytes", Kind::Gauge, "Maximum amount of virtual memory available in bytes."),
    ("os_fd_limit", Kind::Gauge, "The file descriptor limit."),
    ("os_fd_used", Kind::Gauge, "The number of used file descriptors."),
];

/// Every gRPC method etcd 3.4.23 registers with go-grpc-prometheus (service, method, type), in
/// the order etcd reports them; their counters start at zero as `grpc_prometheus.Register` does.
pub const GRPC_METHODS: &[(&str, &str, &str)] = &[
    ("etcdserverpb.Auth", "AuthDisable", "unary"),
    ("etcdserverpb.Auth", "AuthEnable", "unary"),
    ("etcdserverpb.Auth", "Authenticate", "unary"),
    ("etcdserverpb.Auth", "RoleAdd", "unary"),
    ("etcdserverpb.Auth", "RoleDelete", "unary"),
    ("etcdserverpb.Auth", "RoleGet", "unary"),
    ("etcdserverpb.Auth", "RoleGrantPermission", "unary"),
    ("etcdserverpb.Auth", "RoleList", "unary"),
    ("etcdserverpb.Auth", "RoleRevokePermission", "unary"),
    ("etcdserverpb.Auth", "UserAdd", "unary"),
    ("etcdserverpb.Auth", "UserChangePassword", "unary"),
    ("etcdserverpb.Auth", "UserDelete", "unary"),
    ("etcdserverpb.Auth", "UserGet", "unary"),
    ("etcdserverpb.Auth", "UserGrantRole", "unary"),
    ("etcdserverpb.Auth", "UserList", "unary"),
    ("etcdserverpb.Auth", "UserRevokeRole", "unary"),
    ("etcdserverpb.Cluster", "MemberAdd", "unary"),
    ("etcdserverpb.Cluster", "MemberList", "unary"),
    ("etcdserverpb.Cluster", "MemberPromote", "unary"),
    ("etcdserverpb.Cluster", "MemberRemove", "unary"),
    ("etcdserverpb.Cluster", "MemberUpdate", "unary"),
    ("etcdserverpb.KV", "Compact", "unary"),
    ("etcdserverpb.KV", "DeleteRange", "unary"),
    ("etcdserverpb.KV", "Put", "unary"),
    ("etcdserverpb.KV", "Range", "unary"),
    ("etcdserverpb.KV", "Txn", "unary"),
    ("etcdserverpb.Lease", "LeaseGrant", "unary"),
    ("etcdserverpb.Lease", "LeaseKeepAlive", "bidi_stream"),
    ("etcdserverpb.Lease", "LeaseLeases", "unary"),
    ("etcdserverpb.Lease", "LeaseRevoke", "unary"),
    ("etcdserverpb.Lease", "LeaseTimeToLive", "unary"),
    ("etcdserverpb.Maintenance", "Alarm", "unary"),
    ("etcdserverpb.Maintenance", "Defragment", "unary"),
    ("etcdserverpb.Maintenance", "Hash", "unary"),
    ("etcdserverpb.Maintenance", "HashKV", "unary"),
    ("etcdserverpb.Maintenance", "MoveLeader", "unary"),
    ("etcdserverpb.Maintenance", "Snapshot", "server_stream"),
    ("etcdserverpb.Maintenance", "Status", "unary"),
    ("etcdserverpb.Watch", "Watch", "bidi_stream"),
    ("grpc.health.v1.Health", "Check", "unary"),
    ("grpc.health.v1.Health", "Watch", "server_stream"),
];

/// gRPC status code names as grpc-go spells them, indexed by code.
pub const GRPC_CODES: [&str; 17] = [
    "OK",
    "Canceled",
    "Unknown",
    "InvalidArgument",
    "DeadlineExceeded",
    "NotFound",
    "AlreadyExists",
    "PermissionDenied",
    "ResourceExhausted",
    "FailedPrecondition",
    "Aborted",
    "OutOfRange",
    "Unimplemented",
    "Internal",
    "Unavailable",
    "DataLoss",
    "Unauthenticated",
];

/// The process-wide metrics.
pub fn metrics() -> &'static Metrics {
    &METRICS
}

impl Metrics {
    /// Sets the families whose value is known at start and zeroes go-grpc-prometheus'
    /// counters for every method and code, as `grpc_prometheus.Register` does.
    fn init_constants(&self) {
        for (service, method, typ) in GRPC_METHODS {
            self.grpc_started
                .with_label_values(&[typ, service, method])
                .inc_by(0);
            self.grpc_msg_received
                .with_label_values(&[typ, service, method])
                .inc_by(0);
            self.grpc_msg_sent
                .with_label_values(&[typ, service, method])
                .inc_by(0);
            for code in GRPC_CODES {
                self.grpc_handled
                    .with_label_values(&[typ, service, method, code])
                    .inc_by(0);
            }
        }
        for code in ["200", "500", "503"] {
            self.scrapes.with_label_values(&[code]).inc_by(0);
        }
    }

    /// `--metrics extensive`: registers `grpc_server_handling_seconds` (once).
    pub fn enable_extensive(&self) {
        self.extensive.call_once(|| {
            let _ = self
                .registry
                .register(Box::new(self.grpc_handling_seconds.clone()));
        });
    }

    /// Whether `grpc_server_handling_seconds` is exported.
    pub fn extensive(&self) -> bool {
        self.extensive.is_completed()
    }

    /// The [`EXTRA_FAMILIES`] gauge `name`, if it is one.
    pub fn extra_gauge(&self, name: &str) -> Option<&Gauge> {
        match self.extra.get(name) {
            Some(Extra::Gauge(g)) => Some(g),
            _ => None,
        }
    }

    /// The [`EXTRA_FAMILIES`] counter `name`, if it is one.
    pub fn extra_counter(&self, name: &str) -> Option<&IntCounter> {
        match self.extra.get(name) {
            Some(Extra::Counter(c)) => Some(c),
            _ => None,
        }
    }

    /// The [`EXTRA_FAMILIES`] histogram `name`, if it is one.
    pub fn extra_histogram(&self, name: &str) -> Option<&Histogram> {
        match self.extra.get(name) {
            Some(Extra::Histogram(h)) => Some(h),
            _ => None,
        }
    }

    /// etcd's v2 store `reportReadSuccess`/`reportReadFailure`: one `get` (or
    /// `getRecursive`) read of the v2 store.
    pub fn v2_store_read(&self, recursive: bool, ok: bool) {
        let action = if recursive { "getRecursive" } else { "get" };
        self.v2_store[0].with_label_values(&[action]).inc();
        if !ok {
            self.v2_store[2].with_label_values(&[action]).inc();
        }
    }

    /// etcd's v2 store `reportWriteSuccess`/`reportWriteFailure`: one write of `action`
    /// (`set`, `create`, `update`, `compareAndSwap`, `delete`, `compareAndDelete`).
    pub fn v2_store_write(&self, action: &str, ok: bool) {
        self.v2_store[1].with_label_values(&[action]).inc();
        if !ok {
            self.v2_store[3].with_label_values(&[action]).inc();
        }
    }

    /// Adds one to the [`EXTRA_FAMILIES`] counter `name` (nothing for another name).
    pub fn inc_counter(&self, name: &str) {
        if let Some(c) = self.extra_counter(name) {
            c.inc();
        }
    }

    /// Sets the [`EXTRA_FAMILIES`] gauge `name` to `value` (nothing for another name).
    pub fn set_gauge(&self, name: &str, value: f64) {
        if let Some(g) = self.extra_gauge(name) {
            g.set(value);
        }
    }

    /// Adds one to the [`EXTRA_FAMILIES`] gauge `name` until the returned guard drops (a
    /// request in flight, a read transaction open).
    pub fn hold_gauge(&self, name: &str) -> GaugeHold {
        let gauge = self.extra_gauge(name).cloned();
        if let Some(g) = &gauge {
            g.inc();
        }
        GaugeHold(gauge)
    }

    /// Observes `value` (in the family's unit) in the [`EXTRA_FAMILIES`] histogram `name`
    /// (nothing for another name).
    pub fn observe(&self, name: &str, value: f64) {
        if let Some(h) = self.extra_histogram(name) {
            h.observe(value);
        }
    }

    /// etcd's `metricsTxnWrite.End` (mvcc/metrics_txn.go): one store transaction that ran
    /// `ranges` ranges, `puts` puts and `deletes` delete-ranges adds them to
    /// `etcd_mvcc_{range,put,delete}_total` (and their `etcd_debugging_mvcc_*` twins), and
    /// counts in `etcd_mvcc_txn_total` when it ran more than one operation.
    pub fn count_mvcc_ops(&self, ranges: u64, puts: u64, deletes: u64) {
        let add = |names: [&str; 2], n: u64| {
            for name in names {
                if let (Some(c), true) = (self.extra_counter(name), n > 0) {
                    c.inc_by(n);
                }
            }
        };
        add(
            ["etcd_mvcc_range_total", "etcd_debugging_mvcc_range_total"],
            ranges,
        );
        add(
            ["etcd_mvcc_put_total", "etcd_debugging_mvcc_put_total"],
            puts,
        );
        add(
            ["etcd_mvcc_delete_total", "etcd_debugging_mvcc_delete_total"],
            deletes,
        );
        if ranges + puts + deletes > 1 {
            add(["etcd_mvcc_txn_total", "etcd_debugging_mvcc_txn_total"], 1);
        }
    }

    /// Renders every metric in the Prometheus text exposition format.
    pub fn render(&self) -> String {
        if let Some(g) = self.extra_gauge("os_fd_used") {
            if let Ok(rd) = std::fs::read_dir("/proc/self/fd") {
                g.set(rd.count() as f64);
            }
        }
        let mut buf = Vec::new();
        let encoder = TextEncoder::new();
        let _ = encoder.encode(&self.registry.gather(), &mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every family registers once (a duplicate name would panic at first use) and the
    /// go-grpc-prometheus counters start at zero for every method, as etcd's.
    #[test]
    fn every_family_registers_once() {
        let text = metrics().render();
        for family in [
            "etcd_server_has_leader",
            "etcd_server_version",
            "grpc_server_handled_total",
            "grpc_server_started_total",
            "process_start_time_seconds",
            "promhttp_metric_handler_requests_total",
            "etcd_debugging_store_reads_total",
        ] {
            assert!(
                text.contains(&format!("# TYPE {family} ")),
                "{family} missing"
            );
        }
        assert!(text.contains(
            "grpc_server_handled_total{grpc_code=\"OK\",grpc_method=\"Range\",grpc_service=\"etcdserverpb.KV\",grpc_type=\"unary\"}"
        ));
        assert!(!text.contains("grpc_server_handling_seconds"));
    }
}
