//! The clap struct of the server personality: etcd 3.4's flat flags, each with its `ETCD_*`
//! env twin and etcd's default, and Go's boolean syntax for them. Parsing only, no I/O.

use clap::Parser;
use std::path::PathBuf;

/// etcd server flags (etcd 3.4 names and defaults).
#[derive(Debug, Parser)]
#[command(
    name = "etcd",
    about = "Start an etcd member (etcd-oxide).",
    disable_version_flag = true
)]
pub struct ServerArgs {
    /// Human-readable name for this member.
    #[arg(long, env = "ETCD_NAME", default_value = "default")]
    pub name: String,
    /// Path to the data directory [default: ${name}.etcd].
    #[arg(long, env = "ETCD_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// List of URLs to listen on for client traffic.
    #[arg(
        long,
        env = "ETCD_LISTEN_CLIENT_URLS",
        default_value = "http://localhost:2379"
    )]
    pub listen_client_urls: String,
    /// List of this member's client URLs to advertise to the public.
    #[arg(
        long,
        env = "ETCD_ADVERTISE_CLIENT_URLS",
        default_value = "http://localhost:2379"
    )]
    pub advertise_client_urls: String,
    /// List of URLs to listen on for peer traffic.
    #[arg(
        long,
        env = "ETCD_LISTEN_PEER_URLS",
        default_value = "http://localhost:2380"
    )]
    pub listen_peer_urls: String,
    /// List of this member's peer URLs to advertise to the rest of the cluster.
    #[arg(
        long,
        env = "ETCD_INITIAL_ADVERTISE_PEER_URLS",
        default_value = "http://localhost:2380"
    )]
    pub initial_advertise_peer_urls: String,
    /// Initial cluster configuration for bootstrapping [default: ${name}=${initial-advertise-peer-urls}].
    #[arg(long, env = "ETCD_INITIAL_CLUSTER")]
    pub initial_cluster: Option<String>,
    /// Initial cluster state ('new' or 'existing').
    #[arg(long, env = "ETCD_INITIAL_CLUSTER_STATE", default_value = "new")]
    pub initial_cluster_state: String,
    /// Initial cluster token for the etcd cluster during bootstrap.
    #[arg(
        long,
        env = "ETCD_INITIAL_CLUSTER_TOKEN",
        default_value = "etcd-cluster"
    )]
    pub initial_cluster_token: String,
    /// Time (in milliseconds) of a heartbeat interval.
    #[arg(long, env = "ETCD_HEARTBEAT_INTERVAL", default_value = "100")]
    pub heartbeat_interval: String,
    /// Time (in milliseconds) for an election to timeout.
    #[arg(long, env = "ETCD_ELECTION_TIMEOUT", default_value = "1000")]
    pub election_timeout: String,
    /// Number of committed transactions to trigger a snapshot to disk.
    #[arg(long, env = "ETCD_SNAPSHOT_COUNT", default_value = "100000")]
    pub snapshot_count: String,
    /// Raise alarms when backend size exceeds the given quota (0 defaults to low space quota).
    #[arg(long, env = "ETCD_QUOTA_BACKEND_BYTES", default_value = "0")]
    pub quota_backend_bytes: String,
    /// Maximum client request size in bytes the server will accept.
    #[arg(long, env = "ETCD_MAX_REQUEST_BYTES", default_value = "1572864")]
    pub max_request_bytes: String,
    /// Maximum number of operations permitted in a transaction.
    #[arg(long, env = "ETCD_MAX_TXN_OPS", default_value = "128")]
    pub max_txn_ops: String,
    /// Configures log level. Only supports debug, info, warn, error, panic, or fatal.
    #[arg(long, env = "ETCD_LOG_LEVEL", default_value = "info")]
    pub log_level: String,
    /// Duration of periodic watch progress notifications (e.g. 10m, 5s, 100ms).
    #[arg(
        long,
        env = "ETCD_WATCH_PROGRESS_NOTIFY_INTERVAL",
        alias = "experimental-watch-progress-notify-interval",
        default_value = "10m"
    )]
    pub watch_progress_notify_interval: String,
    /// Enable to check data corruption before serving any client/peer traffic.
    #[arg(long, env = "ETCD_EXPERIMENTAL_INITIAL_CORRUPT_CHECK", num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_parser = go_bool)]
    pub experimental_initial_corrupt_check: bool,
    /// Duration of time between cluster corruption check passes.
    #[arg(
        long,
        env = "ETCD_EXPERIMENTAL_CORRUPT_CHECK_TIME",
        alias = "corrupt-check-time",
        default_value = "0s"
    )]
    pub experimental_corrupt_check_time: String,
    // -- reconfiguration, compaction, retention, backend batching, TLS checks (flagfx) --
    /// Reject reconfiguration requests that would cause quorum loss.
    #[arg(long, env = "ETCD_STRICT_RECONFIG_CHECK", num_args = 0..=1, require_equals = true, default_value = "true", default_missing_value = "true", value_parser = go_bool)]
    pub strict_reconfig_check: bool,
    /// Auto compaction retention length. 0 means disable auto compaction.
    #[arg(long, env = "ETCD_AUTO_COMPACTION_RETENTION", default_value = "0")]
    pub auto_compaction_retention: String,
    /// Interpret 'auto-compaction-retention' one of: periodic|revision. 'periodic' for duration based retention, defaulting to hours if no time unit is provided (e.g. '5m'). 'revision' for revision number based retention.
    #[arg(long, env = "ETCD_AUTO_COMPACTION_MODE", default_value = "periodic")]
    pub auto_compaction_mode: String,
    /// Maximum number of snapshot files to retain (0 is unlimited).
    #[arg(long, env = "ETCD_MAX_SNAPSHOTS", default_value = "5")]
    pub max_snapshots: String,
    /// Maximum number of wal files to retain (0 is unlimited).
    #[arg(long, env = "ETCD_MAX_WALS", default_value = "5")]
    pub max_wals: String,
    /// BackendBatchInterval is the maximum time before commit the backend transaction.
    #[arg(long, env = "ETCD_BACKEND_BATCH_INTERVAL", default_value = "")]
    pub backend_batch_interval: String,
    /// BackendBatchLimit is the maximum operations before commit the backend transaction.
    #[arg(long, env = "ETCD_BACKEND_BATCH_LIMIT", default_value = "0")]
    pub backend_batch_limit: String,
    /// Path to the client certificate revocation list file.
    #[arg(long, env = "ETCD_CLIENT_CRL_FILE", default_value = "")]
    pub client_crl_file: String,
    /// Allowed TLS hostname for client cert authentication.
    #[arg(long, env = "ETCD_CLIENT_CERT_ALLOWED_HOSTNAME", default_value = "")]
    pub client_cert_allowed_hostname: String,
    /// Path to the peer certificate revocation list file.
    #[arg(long, env = "ETCD_PEER_CRL_FILE", default_value = "")]
    pub peer_crl_file: String,
    /// Allowed CN for inter peer authentication.
    #[arg(long, env = "ETCD_PEER_CERT_ALLOWED_CN", default_value = "")]
    pub peer_cert_allowed_cn: String,
    /// Allowed TLS hostname for inter peer authentication.
    #[arg(long, env = "ETCD_PEER_CERT_ALLOWED_HOSTNAME", default_value = "")]
    pub peer_cert_allowed_hostname: String,
    /// Skip verification of SAN field in client certificate for peer connections.
    #[arg(long, env = "ETCD_EXPERIMENTAL_PEER_SKIP_CLIENT_SAN_VERIFICATION", num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_parser = go_bool)]
    pub experimental_peer_skip_client_san_verification: bool,
    /// Specify auth token type and options: 'simple' or 'jwt,pub-key=...,priv-key=...,sign-method=...'.
    #[arg(long, env = "ETCD_AUTH_TOKEN", default_value = "simple")]
    pub auth_token: String,
    /// The lifetime in seconds of the auth token.
    #[arg(long, env = "ETCD_AUTH_TOKEN_TTL", default_value = "300")]
    pub auth_token_ttl: String,
    /// Specify bcrypt algorithm cost factor for auth password hashing.
    #[arg(long, env = "ETCD_BCRYPT_COST", default_value = "10")]
    pub bcrypt_cost: String,
    /// Path to the client server TLS cert file.
    #[arg(long, env = "ETCD_CERT_FILE", default_value = "")]
    pub cert_file: String,
    /// Path to the client server TLS key file.
    #[arg(long, env = "ETCD_KEY_FILE", default_value = "")]
    pub key_file: String,
    /// Enable client cert authentication.
    #[arg(long, env = "ETCD_CLIENT_CERT_AUTH", num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_parser = go_bool)]
    pub client_cert_auth: bool,
    /// Path to the client server TLS trusted CA cert file.
    #[arg(long, env = "ETCD_TRUSTED_CA_FILE", default_value = "")]
    pub trusted_ca_file: String,
    /// Client TLS using generated certificates.
    #[arg(long, env = "ETCD_AUTO_TLS", num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_parser = go_bool)]
    pub auto_tls: bool,
    /// Path to the peer server TLS cert file.
    #[arg(long, env = "ETCD_PEER_CERT_FILE", default_value = "")]
    pub peer_cert_file: String,
    /// Path to the peer server TLS key file.
    #[arg(long, env = "ETCD_PEER_KEY_FILE", default_value = "")]
    pub peer_key_file: String,
    /// Enable peer client cert authentication.
    #[arg(long, env = "ETCD_PEER_CLIENT_CERT_AUTH", num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_parser = go_bool)]
    pub peer_client_cert_auth: bool,
    /// Path to the peer server TLS trusted CA file.
    #[arg(long, env = "ETCD_PEER_TRUSTED_CA_FILE", default_value = "")]
    pub peer_trusted_ca_file: String,
    /// Peer TLS using generated certificates.
    #[arg(long, env = "ETCD_PEER_AUTO_TLS", num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_parser = go_bool)]
    pub peer_auto_tls: bool,
    /// The validity period of the client and peer certificates that are automatically generated by etcd when you specify ClientAutoTLS and PeerAutoTLS, the unit is year, and the default is 1.
    #[arg(long, env = "ETCD_SELF_SIGNED_CERT_VALIDITY", default_value = "1")]
    pub self_signed_cert_validity: String,
    /// Comma-separated list of supported TLS cipher suites between client/server and peers (empty will be auto-populated by rustls).
    #[arg(long, env = "ETCD_CIPHER_SUITES", default_value = "")]
    pub cipher_suites: String,
    /// Minimum TLS version supported by etcd (TLS1.2 or TLS1.3; empty means TLS1.2).
    #[arg(long, env = "ETCD_TLS_MIN_VERSION", default_value = "TLS1.2")]
    pub tls_min_version: String,
    /// Maximum TLS version supported by etcd (TLS1.2 or TLS1.3; empty means the highest, TLS1.3).
    #[arg(long, env = "ETCD_TLS_MAX_VERSION", default_value = "")]
    pub tls_max_version: String,
    // --- drop-in flags of etcd 3.4 (+3.5/3.6 spellings), issue 14: see README's flag table ---
    /// Path to the server configuration file. Note that if a configuration file is provided, other command line flags and environment variables will be ignored.
    #[arg(long, env = "ETCD_CONFIG_FILE")]
    pub config_file: Option<String>,
    /// Path to the dedicated wal directory.
    #[arg(long, env = "ETCD_WAL_DIR", default_value = "")]
    pub wal_dir: String,
    /// Whether to fast-forward initial election ticks on boot for faster election.
    #[arg(long, env = "ETCD_INITIAL_ELECTION_TICK_ADVANCE", num_args = 0..=1, require_equals = true, default_value = "true", default_missing_value = "true", value_parser = go_bool)]
    pub initial_election_tick_advance: bool,
    /// Maximum concurrent streams that each client can open at a time.
    #[arg(
        long,
        env = "ETCD_MAX_CONCURRENT_STREAMS",
        default_value = "4294967295"
    )]
    pub max_concurrent_streams: String,
    /// Minimum duration interval that a client should wait before pinging server.
    #[arg(long, env = "ETCD_GRPC_KEEPALIVE_MIN_TIME", default_value = "5s")]
    pub grpc_keepalive_min_time: String,
    /// Frequency duration of server-to-client ping to check if a connection is alive (0 to disable).
    #[arg(long, env = "ETCD_GRPC_KEEPALIVE_INTERVAL", default_value = "2h")]
    pub grpc_keepalive_interval: String,
    /// Additional duration of wait before closing a non-responsive connection (0 to disable).
    #[arg(long, env = "ETCD_GRPC_KEEPALIVE_TIMEOUT", default_value = "20s")]
    pub grpc_keepalive_timeout: String,
    /// Comma-separated whitelist of origins for CORS, or cross-origin resource sharing, (empty or * means allow all).
    #[arg(long, env = "ETCD_CORS", default_value = "*")]
    pub cors: String,
    /// Acceptable hostnames from HTTP client requests, if server is not secure (empty or * means allow all).
    #[arg(long, env = "ETCD_HOST_WHITELIST", default_value = "*")]
    pub host_whitelist: String,
    /// Enable to run an additional Raft election phase.
    #[arg(long, env = "ETCD_PRE_VOTE", num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_parser = go_bool)]
    pub pre_vote: bool,
    /// Enables the primary lessor to persist lease remainingTTL (leases survive leader changes here already).
    #[arg(long, env = "ETCD_EXPERIMENTAL_ENABLE_LEASE_CHECKPOINT", num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_parser = go_bool)]
    pub experimental_enable_lease_checkpoint: bool,
    /// Sets the maximum revisions deleted in each compaction batch.
    #[arg(
        long,
        env = "ETCD_EXPERIMENTAL_COMPACTION_BATCH_LIMIT",
        alias = "compaction-batch-limit",
        default_value = "1000"
    )]
    pub experimental_compaction_batch_limit: String,
    /// Warning is generated if requests take more than this duration.
    #[arg(
        long,
        env = "ETCD_EXPERIMENTAL_WARNING_APPLY_DURATION",
        alias = "warning-apply-duration",
        default_value = "100ms"
    )]
    pub experimental_warning_apply_duration: String,
    /// bbolt's freelist type (array or map); no effect on LMDB.
    #[arg(
        long,
        env = "ETCD_EXPERIMENTAL_BACKEND_BBOLT_FREELIST_TYPE",
        alias = "backend-bbolt-freelist-type",
        default_value = "array"
    )]
    pub experimental_backend_bbolt_freelist_type: String,
    /// Serve v2 requests through the v3 backend under a given prefix (no effect here).
    #[arg(long, env = "ETCD_EXPERIMENTAL_ENABLE_V2V3", default_value = "")]
    pub experimental_enable_v2v3: String,
    /// Accept etcd V2 client requests.
    #[arg(long, env = "ETCD_ENABLE_V2", num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_parser = go_bool)]
    pub enable_v2: bool,
    /// Discovery URL used to bootstrap the cluster.
    #[arg(long, env = "ETCD_DISCOVERY", default_value = "")]
    pub discovery: String,
    /// Expected behavior ('exit' or 'proxy') when discovery services fails.
    #[arg(long, env = "ETCD_DISCOVERY_FALLBACK", default_value = "proxy")]
    pub discovery_fallback: String,
    /// HTTP proxy to use for traffic to discovery service.
    #[arg(long, env = "ETCD_DISCOVERY_PROXY", default_value = "")]
    pub discovery_proxy: String,
    /// DNS srv domain used to bootstrap the cluster.
    #[arg(long, env = "ETCD_DISCOVERY_SRV", default_value = "")]
    pub discovery_srv: String,
    /// Suffix to the dns srv name queried when bootstrapping.
    #[arg(long, env = "ETCD_DISCOVERY_SRV_NAME", default_value = "")]
    pub discovery_srv_name: String,
    /// V3 discovery: discovery token for the etcd cluster to be bootstrapped.
    #[arg(long, env = "ETCD_DISCOVERY_TOKEN", default_value = "")]
    pub discovery_token: String,
    /// V3 discovery: List of gRPC endpoints of the discovery service.
    #[arg(long, env = "ETCD_DISCOVERY_ENDPOINTS", default_value = "")]
    pub discovery_endpoints: String,
    /// V3 discovery: dial timeout for client connections.
    #[arg(long, env = "ETCD_DISCOVERY_DIAL_TIMEOUT", default_value = "2s")]
    pub discovery_dial_timeout: String,
    /// V3 discovery: timeout for discovery requests (excluding dial timeout).
    #[arg(long, env = "ETCD_DISCOVERY_REQUEST_TIMEOUT", default_value = "5s")]
    pub discovery_request_timeout: String,
    /// V3 discovery: keepalive time for client connections.
    #[arg(long, env = "ETCD_DISCOVERY_KEEPALIVE_TIME", default_value = "2s")]
    pub discovery_keepalive_time: String,
    /// V3 discovery: keepalive timeout for client connections.
    #[arg(long, env = "ETCD_DISCOVERY_KEEPALIVE_TIMEOUT", default_value = "6s")]
    pub discovery_keepalive_timeout: String,
    /// V3 discovery: disable transport security for client connections.
    #[arg(long, env = "ETCD_DISCOVERY_INSECURE_TRANSPORT", num_args = 0..=1, require_equals = true, default_value = "true", default_missing_value = "true", value_parser = go_bool)]
    pub discovery_insecure_transport: bool,
    /// V3 discovery: skip server certificate verification (CAUTION: this option should be enabled only for testing purposes).
    #[arg(long, env = "ETCD_DISCOVERY_INSECURE_SKIP_TLS_VERIFY", num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_parser = go_bool)]
    pub discovery_insecure_skip_tls_verify: bool,
    /// V3 discovery: identify secure client using this TLS certificate file.
    #[arg(long, env = "ETCD_DISCOVERY_CERT", default_value = "")]
    pub discovery_cert: String,
    /// V3 discovery: identify secure client using this TLS key file.
    #[arg(long, env = "ETCD_DISCOVERY_KEY", default_value = "")]
    pub discovery_key: String,
    /// V3 discovery: verify certificates of TLS-enabled secure servers using this CA bundle.
    #[arg(long, env = "ETCD_DISCOVERY_CACERT", default_value = "")]
    pub discovery_cacert: String,
    /// V3 discovery: username[:password] for authentication.
    #[arg(long, env = "ETCD_DISCOVERY_USER", default_value = "")]
    pub discovery_user: String,
    /// V3 discovery: password for authentication (if this option is used, --discovery-user shouldn't include password).
    #[arg(long, env = "ETCD_DISCOVERY_PASSWORD", default_value = "")]
    pub discovery_password: String,
    /// Proxy mode setting ('off', 'readonly' or 'on'; only 'off' is supported yet).
    #[arg(long, env = "ETCD_PROXY", default_value = "off")]
    pub proxy: String,
    /// Time (in milliseconds) an endpoint will be held in a failed state (v2 proxy, not supported yet).
    #[arg(long, env = "ETCD_PROXY_FAILURE_WAIT", default_value = "5000")]
    pub proxy_failure_wait: String,
    /// Time (in milliseconds) of the endpoints refresh interval (v2 proxy, not supported yet).
    #[arg(long, env = "ETCD_PROXY_REFRESH_INTERVAL", default_value = "30000")]
    pub proxy_refresh_interval: String,
    /// Time (in milliseconds) for a dial to timeout (v2 proxy, not supported yet).
    #[arg(long, env = "ETCD_PROXY_DIAL_TIMEOUT", default_value = "1000")]
    pub proxy_dial_timeout: String,
    /// Time (in milliseconds) for a write to timeout (v2 proxy, not supported yet).
    #[arg(long, env = "ETCD_PROXY_WRITE_TIMEOUT", default_value = "5000")]
    pub proxy_write_timeout: String,
    /// Time (in milliseconds) for a read to timeout (v2 proxy, not supported yet).
    #[arg(long, env = "ETCD_PROXY_READ_TIMEOUT", default_value = "0")]
    pub proxy_read_timeout: String,
    /// Force to create a new one-member cluster (not supported yet).
    #[arg(long, env = "ETCD_FORCE_NEW_CLUSTER", num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_parser = go_bool)]
    pub force_new_cluster: bool,
    /// List of URLs to listen on for HTTP client traffic (etcd 3.5; served like client URLs).
    #[arg(long, env = "ETCD_LISTEN_CLIENT_HTTP_URLS", default_value = "")]
    pub listen_client_http_urls: String,
    /// Feature gates (etcd 3.6), e.g. InitialCorruptCheck=true.
    #[arg(long, env = "ETCD_FEATURE_GATES", default_value = "")]
    pub feature_gates: String,
    // --- end of issue 14's drop-in block ---
    // --- Logging, metrics and profiling (observability) ---
    /// Specify 'zap' for structured logging or 'capnslog'.
    #[arg(long, env = "ETCD_LOGGER", default_value = "capnslog")]
    pub logger: String,
    /// Specify 'stdout' or 'stderr' to skip journald logging even when running under systemd, or list of comma separated output targets.
    #[arg(long, env = "ETCD_LOG_OUTPUTS", default_value = "default")]
    pub log_outputs: String,
    /// Enable debug-level logging for etcd. [WARN] Will be deprecated in v3.5. Use '--log-level=debug' instead.
    #[arg(long, env = "ETCD_DEBUG", num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_parser = go_bool)]
    pub debug: bool,
    /// Specify a particular log level for each etcd package (eg: 'etcdmain=CRITICAL,etcdserver=DEBUG'). Only with --logger=capnslog.
    #[arg(long, env = "ETCD_LOG_PACKAGE_LEVELS", default_value = "")]
    pub log_package_levels: String,
    /// Format of the zap logger's lines: 'json' or 'console' (etcd 3.5).
    #[arg(long, env = "ETCD_LOG_FORMAT", default_value = "json")]
    pub log_format: String,
    /// Enable runtime profiling data via HTTP server. Address is at client URL + "/debug/pprof/"
    #[arg(long, env = "ETCD_ENABLE_PPROF", num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_parser = go_bool)]
    pub enable_pprof: bool,
    /// Set level of detail for exported metrics, specify 'extensive' to include server side grpc histogram metrics.
    #[arg(long, env = "ETCD_METRICS", default_value = "basic")]
    pub metrics: String,
    /// List of URLs to listen on for the metrics and health endpoints.
    #[arg(long, env = "ETCD_LISTEN_METRICS_URLS", default_value = "")]
    pub listen_metrics_urls: String,
    /// Print the version and exit.
    #[arg(long)]
    pub version: bool,
}

/// Go's `strconv.ParseBool`, for boolean flags given as `--flag=value` or through env.
pub(crate) fn go_bool(s: &str) -> Result<bool, String> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        _ => Err(format!("strconv.ParseBool: parsing {s:?}: invalid syntax")),
    }
}
