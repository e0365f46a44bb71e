//! `etcd` / `etcd server`: etcd's flat server flags (each with its `ETCD_*` env twin and
//! etcd's default) → [`ServerConfig`] → bind the listeners → `server::run` until
//! SIGINT/SIGTERM → exit code. The member itself is assembled in `server/serve.rs`.
//!
//! Go's flag package accepts `-flag` as well as `--flag`; [`normalize_go_flags`] rewrites
//! the single-dash long form so operators' command lines work verbatim.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use clap::{CommandFactory, FromArgMatches, Parser};

use crate::config::{
    parse_initial_cluster, parse_urls, resolve_listen_addr, ClientServing, ClusterState,
    ConfigError, EtcdKnobs, ObservabilityConfig, ServerConfig,
};
use crate::config::{DiscoveryConfig, V3DiscoveryConfig};
use crate::observability::logging::{LogConfig, LogConfigError, LoggerKind};
use crate::server::{Listeners, SERVER_VERSION};
use crate::tls::{TlsInfo, TlsParams, TlsVersion};

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

fn opt_path(v: &str) -> Option<PathBuf> {
    let v = v.trim();
    (!v.is_empty()).then(|| PathBuf::from(v))
}

fn opt_string(v: &str) -> Option<String> {
    let v = v.trim();
    (!v.is_empty()).then(|| v.to_string())
}

/// Rewrites Go-style single-dash long flags (`-name x`, `-data-dir=x`) into `--name`.
/// Short flags and values are left alone; everything after `--` is untouched.
pub fn normalize_go_flags(args: Vec<OsString>) -> Vec<OsString> {
    let mut out = Vec::with_capacity(args.len());
    let mut passthrough = false;
    for (i, a) in args.into_iter().enumerate() {
        if i == 0 || passthrough {
            out.push(a);
            continue;
        }
        match a.to_str() {
            Some("--") => {
                passthrough = true;
                out.push(a);
            }
            Some(s) if s.starts_with('-') && !s.starts_with("--") && s.len() > 2 => {
                out.push(OsString::from(format!("-{s}")));
            }
            _ => out.push(a),
        }
    }
    out
}

fn parse_num<T: std::str::FromStr>(flag: &'static str, v: &str) -> Result<T, ConfigError> {
    v.trim()
        .parse::<T>()
        .map_err(|_| ConfigError::new(flag, v, "parse error"))
}

impl ServerArgs {
    /// Resolves the flags into a validated configuration (no I/O).
    ///
    /// # Errors
    /// A [`ConfigError`] naming the first bad flag.
    pub fn to_config(&self) -> Result<ServerConfig, ConfigError> {
        let initial_advertise_peer_urls = parse_urls(
            "initial-advertise-peer-urls",
            &self.initial_advertise_peer_urls,
        )?;
        let initial_cluster = match &self.initial_cluster {
            Some(v) => parse_initial_cluster(v)?,
            None => initial_advertise_peer_urls
                .iter()
                .map(|u| (self.name.clone(), u.clone()))
                .collect(),
        };
        let discovery = self.discovery_config()?;
        let state = match self.initial_cluster_state.as_str() {
            "new" => ClusterState::New,
            "existing" => ClusterState::Existing,
            other => {
                return Err(ConfigError::new(
                    "initial-cluster-state",
                    other,
                    "valid values include 'new', 'existing'",
                ))
            }
        };
        let level = self.log_level.as_str();
        if !matches!(
            level,
            "debug" | "info" | "warn" | "error" | "panic" | "fatal"
        ) {
            return Err(ConfigError::new(
                "log-level",
                level,
                "valid values include 'debug', 'info', 'warn', 'error', 'panic', 'fatal'",
            ));
        }
        self.check_not_supported_yet()?;
        let serving = self.client_serving()?;
        let knobs = self.etcd_knobs()?;
        let mut cfg = ServerConfig {
            name: self.name.clone(),
            data_dir: self
                .data_dir
                .clone()
                .unwrap_or_else(|| PathBuf::from(format!("{}.etcd", self.name))),
            listen_client_urls: dedup_urls(parse_urls(
                "listen-client-urls",
                &self.listen_client_urls,
            )?),
            advertise_client_urls: parse_urls(
                "advertise-client-urls",
                &self.advertise_client_urls,
            )?,
            listen_peer_urls: parse_urls("listen-peer-urls", &self.listen_peer_urls)?,
            initial_advertise_peer_urls,
            initial_cluster,
            initial_cluster_state: state,
            initial_cluster_token: self.initial_cluster_token.clone(),
            heartbeat_interval: Duration::from_millis(parse_num(
                "heartbeat-interval",
                &self.heartbeat_interval,
            )?),
            election_timeout: Duration::from_millis(parse_num(
                "election-timeout",
                &self.election_timeout,
            )?),
            snapshot_count: parse_num("snapshot-count", &self.snapshot_count)?,
            quota_backend_bytes: parse_num("quota-backend-bytes", &self.quota_backend_bytes)?,
            max_request_bytes: parse_num("max-request-bytes", &self.max_request_bytes)?,
            max_txn_ops: parse_num("max-txn-ops", &self.max_txn_ops)?,
            log_level: self.log_level.clone(),
            watch_progress_notify_interval: crate::config::duration_flag(
                "watch-progress-notify-interval",
                &self.watch_progress_notify_interval,
            )?,
            initial_corrupt_check: self.experimental_initial_corrupt_check,
            corrupt_check_time: crate::config::duration_flag(
                "experimental-corrupt-check-time",
                &self.experimental_corrupt_check_time,
            )?,
            auth_token: self.auth_token.clone(),
            auth_token_ttl: Duration::from_secs(parse_num("auth-token-ttl", &self.auth_token_ttl)?),
            bcrypt_cost: parse_num("bcrypt-cost", &self.bcrypt_cost)?,
            client_tls: TlsInfo {
                cert_file: opt_path(&self.cert_file),
                key_file: opt_path(&self.key_file),
                trusted_ca_file: opt_path(&self.trusted_ca_file),
                client_cert_auth: self.client_cert_auth,
                self_signed: false,
                crl_file: opt_path(&self.client_crl_file),
                allowed_cn: None,
                allowed_hostname: opt_string(&self.client_cert_allowed_hostname),
                skip_client_san_verify: false,
            },
            client_auto_tls: self.auto_tls,
            peer_tls: TlsInfo {
                cert_file: opt_path(&self.peer_cert_file),
                key_file: opt_path(&self.peer_key_file),
                trusted_ca_file: opt_path(&self.peer_trusted_ca_file),
                client_cert_auth: self.peer_client_cert_auth,
                self_signed: false,
                crl_file: opt_path(&self.peer_crl_file),
                allowed_cn: opt_string(&self.peer_cert_allowed_cn),
                allowed_hostname: opt_string(&self.peer_cert_allowed_hostname),
                skip_client_san_verify: self.experimental_peer_skip_client_san_verification,
            },
            peer_auto_tls: self.peer_auto_tls,
            self_signed_cert_validity: parse_num(
                "self-signed-cert-validity",
                &self.self_signed_cert_validity,
            )?,
            tls_params: TlsParams {
                min_version: TlsVersion::parse(&self.tls_min_version).map_err(|e| {
                    ConfigError::new("tls-min-version", &self.tls_min_version, e.to_string())
                })?,
                max_version: TlsVersion::parse(&self.tls_max_version).map_err(|e| {
                    ConfigError::new("tls-max-version", &self.tls_max_version, e.to_string())
                })?,
                cipher_suites: self
                    .cipher_suites
                    .split(',')
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .map(String::from)
                    .collect(),
            },
            dedicated_wal_dir: opt_path(&self.wal_dir),
            serving,
            knobs,
            strict_reconfig_check: self.strict_reconfig_check,
            auto_compaction: crate::config::AutoCompaction::parse(
                &self.auto_compaction_mode,
                &self.auto_compaction_retention,
            )?,
            max_snapshots: parse_num("max-snapshots", &self.max_snapshots)?,
            max_wals: parse_num("max-wals", &self.max_wals)?,
            backend_batch_interval: if self.backend_batch_interval.trim().is_empty() {
                Duration::ZERO
            } else {
                crate::config::duration_flag(
                    "backend-batch-interval",
                    &self.backend_batch_interval,
                )?
            },
            backend_batch_limit: parse_num("backend-batch-limit", &self.backend_batch_limit)?,
            observability: self.observability_config()?,
            discovery,
            force_new_cluster: self.force_new_cluster,
            discovery_srv: (!self.discovery_srv.trim().is_empty()).then(|| {
                crate::config::SrvDiscoveryConfig {
                    domain: self.discovery_srv.trim().to_string(),
                    service_name: self.discovery_srv_name.trim().to_string(),
                }
            }),
            discovery_v3: self.discovery_v3_config()?,
        };
        if let Some(d) = &cfg.discovery {
            // etcd's PeerURLsMapAndToken: a temporary cluster of this member alone, and the
            // discovery URL as the cluster token (member and cluster IDs derive from it).
            cfg.initial_cluster_token = d.url.clone();
        }
        if let Some(d) = &cfg.discovery_v3 {
            // etcd 3.6's PeerURLsMapAndToken: this member alone, and the discovery token as
            // the cluster token.
            cfg.initial_cluster_token = d.token.clone();
        }
        if cfg
            .knobs
            .feature_gates
            .contains(&("InitialCorruptCheck".to_string(), true))
        {
            cfg.initial_corrupt_check = true;
        }
        cfg.validate()?;
        for u in cfg.listen_client_urls.iter() {
            if !matches!(u.scheme(), "unix" | "unixs") {
                resolve_listen_addr("listen-client-urls", u)?;
            }
        }
        for u in cfg.listen_peer_urls.iter() {
            resolve_listen_addr("listen-peer-urls", u)?;
        }
        for u in cfg.serving.listen_client_http_urls.iter() {
            resolve_listen_addr("listen-client-http-urls", u)?;
        }
        Ok(cfg)
    }

    /// `--proxy` (`off`, `readonly`, `on`) and the `--proxy-*` timings (unsigned
    /// milliseconds): invalid values fail here.
    fn check_not_supported_yet(&self) -> Result<(), ConfigError> {
        if !matches!(self.proxy.trim(), "off" | "readonly" | "on") {
            return Err(ConfigError::new(
                "proxy",
                &self.proxy,
                "valid values are off, readonly, on",
            ));
        }
        self.v2_proxy_timings().map(|_| ())
    }

    /// The `--proxy-*` timings in milliseconds: failure wait, refresh interval, dial, write,
    /// read.
    fn v2_proxy_timings(&self) -> Result<[std::time::Duration; 5], ConfigError> {
        let flags: [(&'static str, &str); 5] = [
            ("proxy-failure-wait", &self.proxy_failure_wait),
            ("proxy-refresh-interval", &self.proxy_refresh_interval),
            ("proxy-dial-timeout", &self.proxy_dial_timeout),
            ("proxy-write-timeout", &self.proxy_write_timeout),
            ("proxy-read-timeout", &self.proxy_read_timeout),
        ];
        let mut out = [std::time::Duration::ZERO; 5];
        for (slot, (flag, value)) in out.iter_mut().zip(flags) {
            let ms: u64 = value
                .trim()
                .parse()
                .map_err(|_| ConfigError::new(flag, value, "invalid value"))?;
            *slot = std::time::Duration::from_millis(ms);
        }
        Ok(out)
    }

    /// The v2 proxy configuration (`--proxy on|readonly`, or `on` for the discovery fallback).
    fn v2_proxy_config(
        &self,
        cfg: &ServerConfig,
        mode: crate::proxy::v2http::ProxyMode,
    ) -> Result<crate::proxy::v2http::V2ProxyConfig, ConfigError> {
        let [failure_wait, refresh_interval, dial_timeout, write_timeout, read_timeout] =
            self.v2_proxy_timings()?;
        Ok(crate::proxy::v2http::V2ProxyConfig {
            mode,
            failure_wait,
            refresh_interval,
            dial_timeout,
            write_timeout,
            read_timeout,
            data_dir: cfg.data_dir.clone(),
            initial_peer_urls: cfg.initial_cluster.iter().map(|(_, u)| u.clone()).collect(),
            discovery: cfg
                .discovery
                .as_ref()
                .map(|d| (d.url.clone(), d.proxy.clone())),
            listen_client_urls: cfg.listen_client_urls.clone(),
        })
    }

    /// `--discovery`, `--discovery-proxy`, `--discovery-fallback` (etcd's v2 discovery).
    fn discovery_config(&self) -> Result<Option<DiscoveryConfig>, ConfigError> {
        let fallback_proxy = match self.discovery_fallback.trim() {
            "proxy" => true,
            "exit" => false,
            other => {
                return Err(ConfigError::new(
                    "discovery-fallback",
                    other,
                    "invalid value",
                ))
            }
        };
        let url = self.discovery.trim();
        if url.is_empty() {
            return Ok(None);
        }
        Ok(Some(DiscoveryConfig {
            url: url.to_string(),
            proxy: self.discovery_proxy.trim().to_string(),
            fallback_proxy,
        }))
    }

    /// `--discovery-endpoints` split as etcd's `UniqueStringsFromFlag` (comma-separated,
    /// duplicates dropped, sorted); empty entries are kept for the check that refuses them.
    fn discovery_endpoint_list(&self) -> Vec<String> {
        if self.discovery_endpoints.trim().is_empty() {
            return Vec::new();
        }
        let mut eps: Vec<String> = self
            .discovery_endpoints
            .split(',')
            .map(|e| e.trim().to_string())
            .collect();
        eps.sort();
        eps.dedup();
        eps
    }

    /// `--discovery-token`, `--discovery-endpoints` and the `--discovery-*` client options
    /// (etcd 3.6's v3 discovery); `None` without endpoints (the flag checks in
    /// [`ServerArgs::bootstrap_flag_conflict`] ran before).
    fn discovery_v3_config(&self) -> Result<Option<V3DiscoveryConfig>, ConfigError> {
        use crate::config::duration_flag;
        let endpoints = self.discovery_endpoint_list();
        if endpoints.is_empty() {
            return Ok(None);
        }
        // etcd documents `--discovery-user username[:password]`; the password part is used
        // when --discovery-password is empty (etcdctl's `--user` convention).
        let credentials = match (
            self.discovery_user.as_str(),
            self.discovery_password.as_str(),
        ) {
            ("", "") => None,
            (user, "") => match user.split_once(':') {
                Some((u, p)) => Some((u.to_string(), p.to_string())),
                None => Some((user.to_string(), String::new())),
            },
            (user, password) => Some((user.to_string(), password.to_string())),
        };
        Ok(Some(V3DiscoveryConfig {
            token: self.discovery_token.trim().to_string(),
            endpoints,
            dial_timeout: duration_flag("discovery-dial-timeout", &self.discovery_dial_timeout)?,
            request_timeout: duration_flag(
                "discovery-request-timeout",
                &self.discovery_request_timeout,
            )?,
            keepalive_time: duration_flag(
                "discovery-keepalive-time",
                &self.discovery_keepalive_time,
            )?,
            keepalive_timeout: duration_flag(
                "discovery-keepalive-timeout",
                &self.discovery_keepalive_timeout,
            )?,
            insecure_transport: self.discovery_insecure_transport,
            insecure_skip_tls_verify: self.discovery_insecure_skip_tls_verify,
            cert_file: opt_path(&self.discovery_cert),
            key_file: opt_path(&self.discovery_key),
            ca_file: opt_path(&self.discovery_cacert),
            credentials,
        }))
    }

    /// etcd's bootstrap flag checks, in `embed.Config.Validate`'s order: more than one of
    /// `--initial-cluster` (given explicitly, flag or env), `--discovery`, `--discovery-srv`
    /// and `--discovery-endpoints` (`ErrConflictBootstrapFlags`; etcd 3.4's wording unless
    /// `--discovery-endpoints` is among them, then etcd 3.6's); then etcd 3.6's v3 discovery
    /// checks: v2 and v3 discovery flags together, `--discovery-token` without
    /// `--discovery-endpoints` (or the reverse), an empty endpoint.
    pub fn bootstrap_flag_conflict(&self) -> Option<String> {
        let v3_endpoints = self.discovery_endpoint_list();
        let set = [
            self.initial_cluster.is_some(),
            !self.discovery.trim().is_empty(),
            !self.discovery_srv.trim().is_empty(),
            !v3_endpoints.is_empty(),
        ];
        if set.iter().filter(|b| **b).count() > 1 {
            return Some(if v3_endpoints.is_empty() {
                "error verifying flags, multiple discovery or bootstrap flags are set. Choose one of \"initial-cluster\", \"discovery\" or \"discovery-srv\". See 'etcd --help'.".to_string()
            } else {
                "error verifying flags, multiple discovery or bootstrap flags are set. Choose one of \"initial-cluster\", \"discovery\", \"discovery-endpoints\" or \"discovery-srv\". See 'etcd --help'.".to_string()
            });
        }
        let v2_set = !self.discovery.trim().is_empty() || !self.discovery_proxy.trim().is_empty();
        let v3_set = !v3_endpoints.is_empty()
            || !self.discovery_token.trim().is_empty()
            || !self.discovery_cert.is_empty()
            || !self.discovery_key.is_empty()
            || !self.discovery_cacert.is_empty()
            || !self.discovery_user.is_empty()
            || !self.discovery_password.is_empty();
        if v2_set && v3_set {
            return Some("error verifying flags, both v2 discovery settings (discovery, discovery-proxy) and v3 discovery settings (discovery-token, discovery-endpoints, discovery-cert, discovery-key, discovery-cacert, discovery-user, discovery-password) are set. See 'etcd --help'.".to_string());
        }
        if self.discovery_token.trim().is_empty() != v3_endpoints.is_empty() {
            return Some("error verifying flags, both --discovery-token and --discovery-endpoints must be set. See 'etcd --help'.".to_string());
        }
        if v3_endpoints.iter().any(|e| e.is_empty()) {
            return Some("error verifying flags, --discovery-endpoints must not contain empty endpoints. See 'etcd --help'.".to_string());
        }
        None
    }

    /// `--max-concurrent-streams`, `--grpc-keepalive-*`, `--cors`, `--host-whitelist`,
    /// `--listen-client-http-urls`.
    fn client_serving(&self) -> Result<ClientServing, ConfigError> {
        use crate::config::duration_flag;
        use crate::config::serving::{parse_cors, parse_host_whitelist};
        let http_urls = if self.listen_client_http_urls.trim().is_empty() {
            Vec::new()
        } else {
            dedup_urls(parse_urls(
                "listen-client-http-urls",
                &self.listen_client_http_urls,
            )?)
        };
        Ok(ClientServing {
            max_concurrent_streams: parse_num(
                "max-concurrent-streams",
                &self.max_concurrent_streams,
            )?,
            grpc_keepalive_min_time: duration_flag(
                "grpc-keepalive-min-time",
                &self.grpc_keepalive_min_time,
            )?,
            grpc_keepalive_interval: duration_flag(
                "grpc-keepalive-interval",
                &self.grpc_keepalive_interval,
            )?,
            grpc_keepalive_timeout: duration_flag(
                "grpc-keepalive-timeout",
                &self.grpc_keepalive_timeout,
            )?,
            cors: parse_cors(&self.cors)?,
            host_whitelist: parse_host_whitelist(&self.host_whitelist),
            listen_client_http_urls: http_urls,
        })
    }

    /// The accepted etcd knobs ([`EtcdKnobs`]), validated as etcd validates them.
    fn etcd_knobs(&self) -> Result<EtcdKnobs, ConfigError> {
        let freelist = self.experimental_backend_bbolt_freelist_type.trim();
        if !matches!(freelist, "array" | "map") {
            return Err(ConfigError::new(
                "experimental-backend-bbolt-freelist-type",
                freelist,
                "valid values include 'array', 'map'",
            ));
        }
        Ok(EtcdKnobs {
            initial_election_tick_advance: self.initial_election_tick_advance,
            pre_vote: self.pre_vote,
            enable_lease_checkpoint: self.experimental_enable_lease_checkpoint
                || self.feature_gates.contains("LeaseCheckpoint=true"),
            compaction_batch_limit: parse_num(
                "experimental-compaction-batch-limit",
                &self.experimental_compaction_batch_limit,
            )?,
            warning_apply_duration: crate::config::duration_flag(
                "experimental-warning-apply-duration",
                &self.experimental_warning_apply_duration,
            )?,
            bbolt_freelist_type: freelist.to_string(),
            enable_v2v3: self.experimental_enable_v2v3.clone(),
            feature_gates: crate::config::serving::parse_feature_gates(&self.feature_gates)?,
            enable_v2: self.enable_v2,
        })
    }
}

/// Drops listen URLs whose `scheme://host:port` repeats an earlier one (seed command lines
/// pass `--listen-client-urls http://0.0.0.0:2379,http://0.0.0.0:2379`; etcd 3.4 serves such
/// a client address once).
pub fn dedup_urls(urls: Vec<url::Url>) -> Vec<url::Url> {
    let mut out: Vec<url::Url> = Vec::with_capacity(urls.len());
    for u in urls {
        if !out.iter().any(|o| o == &u) {
            out.push(u);
        }
    }
    out
}

impl ServerArgs {
    /// The logging, metrics and profiling flags, validated as etcd 3.4 validates them.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the flag (etcd's own message as the reason).
    fn observability_config(&self) -> Result<ObservabilityConfig, ConfigError> {
        let log = LogConfig::parse(
            &self.logger,
            &self.log_outputs,
            &self.log_level,
            self.debug,
            &self.log_package_levels,
            &self.log_format,
        )
        .map_err(|e| {
            let (flag, value) = match e {
                LogConfigError::UnknownLogger(_) => ("logger", &self.logger),
                LogConfigError::CapnslogOutputs(_)
                | LogConfigError::CapnslogOutput(_)
                | LogConfigError::MultiDefault => ("log-outputs", &self.log_outputs),
                LogConfigError::Level(_) => ("log-level", &self.log_level),
                LogConfigError::PackageLevel(_) => ("log-package-levels", &self.log_package_levels),
                LogConfigError::Format(_) => ("log-format", &self.log_format),
            };
            ConfigError::new(flag, value.as_str(), e.to_string())
        })?;
        let listen_metrics_urls = if self.listen_metrics_urls.trim().is_empty() {
            Vec::new()
        } else {
            parse_urls("listen-metrics-urls", &self.listen_metrics_urls)?
        };
        for u in &listen_metrics_urls {
            resolve_listen_addr("listen-metrics-urls", u)?;
        }
        Ok(ObservabilityConfig {
            log,
            enable_pprof: self.enable_pprof,
            extensive_metrics: self.metrics == "extensive",
            listen_metrics_urls,
        })
    }
}

/// The clap tree of the server (for help, man page and completions).
pub fn command() -> clap::Command {
    ServerArgs::command()
}

/// The parser `main` uses: the clap tree without clap's own env lookup (etcd's env rules
/// are applied by [`env_args`]) and with Go's "last occurrence wins" for repeated flags.
fn parse_command() -> clap::Command {
    ServerArgs::command()
        .args_override_self(true)
        .mut_args(|a| a.env(None::<&str>))
}

/// Long flag names of the server (aliases included) with the arg id each belongs to.
fn long_names(cmd: &clap::Command) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for a in cmd.get_arguments() {
        let id = a.get_id().as_str().to_string();
        if let Some(l) = a.get_long() {
            if matches!(l, "help" | "version") {
                continue;
            }
            out.push((l.to_string(), id.clone()));
            for alias in a.get_all_aliases().unwrap_or_default() {
                out.push((alias.to_string(), id.clone()));
            }
        }
    }
    out
}

/// etcd's `FlagToEnv("ETCD", name)`: `ETCD_` + upper case, dashes to underscores.
pub fn flag_to_env(name: &str) -> String {
    format!("ETCD_{}", name.to_uppercase().replace('-', "_"))
}

/// etcd's `SetFlagsFromEnv` failure: a value that does not parse as its flag's type, taken
/// from `ETCD_<FLAG>` (not from the command line nor a config file), is reported under the
/// variable's name: `error verifying flags, invalid value "abc" for ETCD_HEARTBEAT_INTERVAL:
/// parse error. See 'etcd --help'.` (etcd 3.4.23, exit code 1). `None` when `e` is not such
/// a parse error of an environment value.
fn env_parse_error(e: &ConfigError, from_file: bool) -> Option<String> {
    if from_file || e.reason != "parse error" {
        return None;
    }
    let key = flag_to_env(e.flag);
    let value = std::env::var(&key).ok()?;
    (!value.is_empty() && value.trim() == e.value.trim()).then(|| {
        format!(
            "error verifying flags, invalid value {:?} for {key}: {}. See 'etcd --help'.",
            value, e.reason
        )
    })
}

/// A line to log once logging is set up: (is a warning, text).
type Note = (bool, String);

/// etcd's `SetFlagsFromEnv` + `verifyEnv` (etcd 3.4 `pkg/flags`): each non-empty `ETCD_*`
/// variable of a flag not given on the command line becomes `--flag=value` (logged as
/// `recognized and used environment variable ETCD_X=v`, in flag-name order); an `ETCD_*`
/// variable naming no flag is warned about (`unrecognized environment variable ETCD_X=v`).
///
/// # Errors
/// etcd's fatal line when a variable names a flag that was also given on the command line
/// (the command line would shadow it).
pub fn env_args(
    cmd: &clap::Command,
    matches: &clap::ArgMatches,
    env: &[(String, String)],
) -> Result<(Vec<OsString>, Vec<Note>), String> {
    let names = long_names(cmd);
    let on_cmdline =
        |id: &str| matches.value_source(id) == Some(clap::parser::ValueSource::CommandLine);
    let mut used: Vec<(String, String, String)> = Vec::new();
    let mut notes = Vec::new();
    for (key, value) in env {
        // `--version` is a flag of etcd's set too: `ETCD_VERSION` is recognized (a Go bool)
        // but, read after etcd's version check, prints nothing.
        if key == "ETCD_VERSION" && !value.is_empty() && !used.iter().any(|(_, k, _)| k == key) {
            if crate::go_text::parse_go_bool(value).is_none() {
                return Err(format!("error verifying flags, invalid value {value:?} for {key}: parse error. See 'etcd --help'."));
            }
            used.push(("version".to_string(), key.clone(), value.clone()));
            continue;
        }
        let flag = names.iter().find(|(l, _)| flag_to_env(l) == *key);
        match flag {
            Some((_, id)) if on_cmdline(id) => {
                return Err(format!("conflicting environment variable {key:?} is shadowed by corresponding command-line flag (either unset environment variable or disable flag)"));
            }
            Some((long, _)) if !value.is_empty() && !used.iter().any(|(_, k, _)| k == key) => {
                used.push((long.clone(), key.clone(), value.clone()));
            }
            Some(_) => {}
            None if key.starts_with("ETCD_") => {
                notes.push((
                    true,
                    format!("unrecognized environment variable {key}={value}"),
                ));
            }
            None => {}
        }
    }
    used.sort();
    let mut args = Vec::new();
    let mut recognized = Vec::new();
    for (long, key, value) in used {
        recognized.push((
            false,
            format!("recognized and used environment variable {key}={value}"),
        ));
        if long != "version" {
            args.push(OsString::from(format!("--{long}={value}")));
        }
    }
    recognized.extend(notes);
    Ok((args, recognized))
}

/// A clap error as Go's flag package words it, with etcd's exit code: an unknown flag is
/// `flag provided but not defined: -x` (2), a stray word `error verifying flags, 'x' is not
/// a valid flag. See 'etcd --help'.` (1), a bad boolean `invalid boolean value "v" for -x:
/// parse error` (2), a missing value `flag needs an argument: -x` (2).
fn go_flag_error(e: &clap::Error) -> (String, i32) {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    let ctx = |k: ContextKind| match e.get(k) {
        Some(ContextValue::String(s)) => Some(s.clone()),
        _ => None,
    };
    let flag_name = |raw: &str| {
        raw.trim_start_matches('-')
            .split(['=', ' ', '['])
            .next()
            .unwrap_or_default()
            .to_string()
    };
    match e.kind() {
        ErrorKind::UnknownArgument => {
            let arg = ctx(ContextKind::InvalidArg).unwrap_or_default();
            if arg.starts_with('-') {
                (
                    format!("flag provided but not defined: -{}", flag_name(&arg)),
                    2,
                )
            } else {
                (
                    format!(
                        "error verifying flags, '{arg}' is not a valid flag. See 'etcd --help'."
                    ),
                    1,
                )
            }
        }
        ErrorKind::ValueValidation | ErrorKind::InvalidValue => {
            let arg = flag_name(&ctx(ContextKind::InvalidArg).unwrap_or_default());
            match ctx(ContextKind::InvalidValue) {
                Some(v) if !v.is_empty() => (
                    format!("invalid boolean value {v:?} for -{arg}: parse error"),
                    2,
                ),
                _ => (format!("flag needs an argument: -{arg}"), 2),
            }
        }
        _ => {
            let msg = e.to_string();
            let first = msg
                .lines()
                .next()
                .unwrap_or("invalid arguments")
                .trim_start_matches("error: ")
                .to_string();
            (first, 2)
        }
    }
}

/// `--config-file` (or `ETCD_CONFIG_FILE`): the file's YAML as flags, parsed like a command
/// line without env (etcd ignores other flags and env then).
fn args_from_config_file(path: &str) -> Result<ServerArgs, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("open {path}: {}", crate::go_text::io_error_text(&e)))?;
    let names: Vec<String> = long_names(&ServerArgs::command())
        .into_iter()
        .map(|(l, _)| l)
        .filter(|l| l != "config-file")
        .collect();
    let flags = crate::config::file::yaml_to_args(&text, &names).map_err(|e| e.to_string())?;
    let argv = std::iter::once("etcd".to_string()).chain(flags);
    let m = parse_command()
        .try_get_matches_from(argv)
        .map_err(|e| go_flag_error(&e).0)?;
    ServerArgs::from_arg_matches(&m).map_err(|e| go_flag_error(&e).0)
}

/// Entry point of the server personality. `args[0]` is the program name.
/// Returns the process exit code.
pub fn main(args: Vec<OsString>) -> i32 {
    let args = normalize_go_flags(args);
    let matches = match parse_command().try_get_matches_from(args.clone()) {
        Ok(m) => m,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                let _ = e.print();
                return 0;
            }
            let (line, code) = go_flag_error(&e);
            eprintln!("{line}");
            return code;
        }
    };
    let cli = match ServerArgs::from_arg_matches(&matches) {
        Ok(a) => a,
        Err(e) => {
            let (line, code) = go_flag_error(&e);
            eprintln!("{line}");
            return code;
        }
    };
    if cli.version {
        println!("etcd Version: {SERVER_VERSION}");
        println!("Git SHA: etcd-oxide {}", env!("CARGO_PKG_VERSION"));
        println!("Go Version: not applicable (Rust)");
        println!(
            "Go OS/Arch: {}/{}",
            std::env::consts::OS,
            std::env::consts::ARCH
        );
        return 0;
    }
    let config_file = cli
        .config_file
        .clone()
        .filter(|p| !p.is_empty())
        .or_else(|| {
            std::env::var("ETCD_CONFIG_FILE")
                .ok()
                .filter(|p| !p.is_empty())
        });
    let from_file = config_file.is_some();
    let (parsed, notes) = match config_file {
        Some(path) => match args_from_config_file(&path) {
            Ok(a) => (a, vec![(false, format!("Loading server configuration from {path:?}. Other configuration command line flags and environment variables will be ignored if provided."))]),
            Err(e) => {
                eprintln!("error verifying flags, {e}. See 'etcd --help'.");
                return 1;
            }
        },
        None => {
            let env: Vec<(String, String)> = std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .collect();
            let (extra, notes) = match env_args(&parse_command(), &matches, &env) {
                Ok(x) => x,
                Err(fatal) => {
                    eprintln!("{fatal}");
                    return 1;
                }
            };
            if extra.is_empty() {
                (cli, notes)
            } else {
                // Env values go right after argv0 so the command line's own flags stay last.
                let mut all = vec![args.first().cloned().unwrap_or_else(|| "etcd".into())];
                all.extend(extra);
                all.extend(args.iter().skip(1).cloned());
                let reparsed = parse_command()
                    .try_get_matches_from(all)
                    .and_then(|m| ServerArgs::from_arg_matches(&m));
                match reparsed {
                    Ok(a) => (a, notes),
                    Err(e) => {
                        let (line, _) = go_flag_error(&e);
                        eprintln!("error verifying flags, {line}. See 'etcd --help'.");
                        return 1;
                    }
                }
            }
        }
    };
    if let Some(line) = parsed.bootstrap_flag_conflict() {
        eprintln!("{line}");
        return 1;
    }
    let mut cfg = match parsed.to_config() {
        Ok(c) => c,
        Err(e) => {
            match env_parse_error(&e, from_file) {
                Some(line) => eprintln!("{line}"),
                None => eprintln!("{e}"),
            }
            return 1;
        }
    };
    let log = &cfg.observability.log;
    if log.kind == LoggerKind::Capnslog {
        // etcd 3.4.23 prints this to stderr before its first log line.
        eprintln!(
            "[WARNING] Deprecated '--logger=capnslog' flag is set; use '--logger=zap' flag instead"
        );
    }
    if parsed.debug {
        eprintln!(
            "[WARNING] Deprecated '--debug' flag is set to true (use '--log-level=debug' instead"
        );
    }
    if let Err(e) = crate::observability::logging::init(log) {
        eprintln!("cannot open log output: {e}");
        return 1;
    }
    for (warn, line) in &notes {
        if *warn {
            tracing::warn!("{line}");
        } else {
            tracing::info!("{line}");
        }
    }
    log_knobs(&cfg);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("failed to start runtime: {e}");
            return 1;
        }
    };
    let discovery = cfg.discovery.clone();
    let discovery_v3 = cfg.discovery_v3.clone();
    let data_dir = cfg.data_dir.clone();
    let member_name = cfg.name.clone();
    // etcd's `startEtcdOrProxyV2`: `--proxy on|readonly` makes a v2 proxy unless the data
    // dir already holds a member.
    let proxy_mode = match parsed.proxy.trim() {
        "on" => Some(crate::proxy::v2http::ProxyMode::On),
        "readonly" => Some(crate::proxy::v2http::ProxyMode::Readonly),
        _ => None,
    };
    if let Some(mode) = proxy_mode {
        if !data_dir.join("member").is_dir() {
            return run_v2_proxy(&runtime, &parsed, &cfg, mode);
        }
    }
    if let Some(srv) = cfg.discovery_srv.clone() {
        match runtime.block_on(srv_initial_cluster(&cfg, &srv)) {
            Ok(cluster) => cfg.initial_cluster = cluster,
            Err(e) => {
                // etcd 3.4: `C | etcdmain: <cause>` (the start fails in PeerURLsMapAndToken).
                tracing::error!(target: "etcdmain", fatal = true, "{e}");
                return 1;
            }
        }
    }
    let cfg_for_proxy = cfg.clone();
    let served = runtime.block_on(async {
        tracing::info!(
            version = SERVER_VERSION,
            implementation = concat!("etcd-oxide ", env!("CARGO_PKG_VERSION")),
            "etcd Version: {}",
            SERVER_VERSION
        );
        let listeners = Listeners::bind(&cfg).await?;
        crate::server::run(cfg, listeners, shutdown_signal()).await
    });
    match served {
        Ok(()) => 0,
        Err(crate::server::ServeError::Start(crate::server::Error::Discovery(
            crate::discovery::v2::DiscoveryError::FullCluster,
        ))) if discovery.as_ref().is_some_and(|d| d.fallback_proxy) => {
            tracing::info!(target: "etcdmain", "discovery cluster full, falling back to proxy");
            run_v2_proxy(
                &runtime,
                &parsed,
                &cfg_for_proxy,
                crate::proxy::v2http::ProxyMode::On,
            )
        }
        Err(crate::server::ServeError::Start(crate::server::Error::Discovery(e))) => {
            discovery_failed(&e, discovery.as_ref(), &member_name, &data_dir);
            1
        }
        Err(crate::server::ServeError::Start(e @ crate::server::Error::DiscoveryV3(_))) => {
            // etcd 3.6's etcdmain for a `DiscoveryError`: two warnings, exit 1.
            let (token, endpoints) = discovery_v3
                .as_ref()
                .map(|d| (d.token.clone(), d.endpoints.join(",")))
                .unwrap_or_default();
            tracing::warn!(
                target: "etcdmain",
                discovery_token = %token,
                discovery_endpoints = %endpoints,
                error = %e,
                "failed to bootstrap; discovery token was already used"
            );
            tracing::warn!(target: "etcdmain", "do not reuse discovery token; generate a new one to bootstrap a cluster");
            1
        }
        Err(e) => {
            // etcd 3.4 ends a failed start with `C | etcdmain: <cause>` (`plog.Fatalf`).
            let e = anyhow::Error::new(e);
            tracing::error!(target: "etcdmain", fatal = true, "{e:#}");
            1
        }
    }
}

/// `--discovery-srv`: the initial cluster from DNS SRV records (etcd's
/// `PeerURLsMapAndToken`), logged as etcd logs it; this member must be among them.
async fn srv_initial_cluster(
    cfg: &ServerConfig,
    srv: &crate::config::SrvDiscoveryConfig,
) -> Result<Vec<(String, url::Url)>, ConfigErrorOrSrv> {
    use crate::discovery::srv::{get_dns_cluster_names, SrvError};
    let found = get_dns_cluster_names(
        &cfg.name,
        &srv.domain,
        &srv.service_name,
        &cfg.initial_advertise_peer_urls,
    )
    .await
    .inspect_err(|e| tracing::warn!(error = %e, "failed to resolve during SRV discovery"))?;
    for node in &found {
        tracing::info!(node = %node, "got bootstrap from DNS for etcd-server at {node}");
    }
    let cluster = parse_initial_cluster(&found.join(","))?;
    if !cluster.iter().any(|(n, _)| *n == cfg.name) {
        return Err(SrvError::LocalMemberMissing(cfg.name.clone()).into());
    }
    Ok(cluster)
}

/// Why `--discovery-srv` found no usable initial cluster.
#[derive(Debug, thiserror::Error)]
enum ConfigErrorOrSrv {
    #[error(transparent)]
    Srv(#[from] crate::discovery::srv::SrvError),
    #[error(transparent)]
    Config(#[from] ConfigError),
}

/// Runs etcd's v2 proxy until a signal; the exit code.
fn run_v2_proxy(
    runtime: &tokio::runtime::Runtime,
    parsed: &ServerArgs,
    cfg: &ServerConfig,
    mode: crate::proxy::v2http::ProxyMode,
) -> i32 {
    let pcfg = match parsed.v2_proxy_config(cfg, mode) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            return 1;
        }
    };
    match runtime.block_on(crate::proxy::v2http::run(pcfg, shutdown_signal())) {
        Ok(()) => 0,
        Err(e) => {
            tracing::error!(target: "etcdmain", fatal = true, "{e}");
            1
        }
    }
}

/// etcd 3.4's `etcdmain` advice after a failed v2 discovery (the process then exits 1).
/// A full cluster with `--discovery-fallback=proxy` (the default) would make etcd a v2 proxy,
/// which etcd-oxide does not have: it says so and exits like `--discovery-fallback=exit`.
fn discovery_failed(
    e: &crate::discovery::v2::DiscoveryError,
    discovery: Option<&DiscoveryConfig>,
    name: &str,
    data_dir: &std::path::Path,
) {
    use crate::discovery::v2::DiscoveryError;
    let durl = discovery.map(|d| d.url.as_str()).unwrap_or_default();
    match e {
        DiscoveryError::FullCluster if discovery.is_some_and(|d| d.fallback_proxy) => {
            tracing::info!(target: "etcdmain", "discovery cluster full, falling back to proxy");
            tracing::error!(
                target: "etcdmain",
                "the v2 proxy (--discovery-fallback=proxy) is not supported yet by etcd-oxide; exiting"
            );
        }
        DiscoveryError::DuplicateId => {
            tracing::error!(target: "etcdmain", "member {name:?} has previously registered with discovery service token ({durl}).");
            tracing::error!(target: "etcdmain", "But etcd could not find valid cluster configuration in the given data dir ({}).", data_dir.display());
            tracing::info!(target: "etcdmain", "Please check the given data dir path if the previous bootstrap succeeded");
            tracing::info!(target: "etcdmain", "or use a new discovery token if the previous bootstrap failed.");
        }
        DiscoveryError::DuplicateName => {
            tracing::error!(target: "etcdmain", "member with duplicated name has registered with discovery service token({durl}).");
            tracing::error!(target: "etcdmain", "please check (cURL) the discovery token for more information.");
            tracing::error!(target: "etcdmain", "please do not reuse the discovery token and generate a new one to bootstrap the cluster.");
        }
        _ => {
            tracing::error!(target: "etcdmain", "failed to join discovery cluster ({e})");
            tracing::info!(target: "etcdmain", "discovery token {durl} was used, but failed to bootstrap the cluster.");
            tracing::info!(target: "etcdmain", "please generate a new discovery token and try to bootstrap again.");
        }
    }
}

/// One line per accepted etcd knob that has no effect here (given a non-default value), so
/// operators see that it was read and why it does not apply.
fn log_knobs(cfg: &ServerConfig) {
    let k = &cfg.knobs;
    let d = EtcdKnobs::default();
    if k.bbolt_freelist_type != d.bbolt_freelist_type {
        tracing::info!(value = %k.bbolt_freelist_type, "--experimental-backend-bbolt-freelist-type has no effect: the backend is LMDB, not bbolt");
    }
    if !k.enable_v2v3.is_empty() {
        tracing::info!(prefix = %k.enable_v2v3, "--experimental-enable-v2v3 has no effect: the v2 API (--enable-v2) keeps its own store");
    }
    if k.pre_vote {
        tracing::info!("--pre-vote: openraft grants votes without disrupting a live leader (its vote is persisted only once granted); no separate pre-vote phase");
    }
    if !k.initial_election_tick_advance {
        tracing::info!("--initial-election-tick-advance=false has no effect: openraft starts its election timer at boot");
    }
    if k.enable_lease_checkpoint {
        tracing::info!("--experimental-enable-lease-checkpoint: lease remaining TTLs already survive leader changes here");
    }
    if k.compaction_batch_limit != d.compaction_batch_limit {
        tracing::info!(limit = k.compaction_batch_limit, "--experimental-compaction-batch-limit has no effect: LMDB compaction runs in one write transaction");
    }
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_style_flags_are_normalized() {
        let v: Vec<OsString> = [
            "etcd",
            "-name",
            "n1",
            "--data-dir",
            "d",
            "-x",
            "-initial-cluster=a=b",
        ]
        .iter()
        .map(OsString::from)
        .collect();
        let n = normalize_go_flags(v);
        let s: Vec<_> = n.iter().map(|o| o.to_string_lossy().to_string()).collect();
        assert_eq!(
            s,
            [
                "etcd",
                "--name",
                "n1",
                "--data-dir",
                "d",
                "-x",
                "--initial-cluster=a=b"
            ]
        );
    }

    #[test]
    fn bad_values_name_the_flag() {
        let a = ServerArgs::try_parse_from(["etcd", "--heartbeat-interval", "abc"])
            .expect("parses as string");
        let e = a.to_config().expect_err("bad number");
        assert_eq!(
            e.to_string(),
            "invalid value \"abc\" for flag -heartbeat-interval: parse error"
        );
        let a = ServerArgs::try_parse_from(["etcd"]).expect("defaults");
        let c = a.to_config().expect("defaults are valid");
        assert_eq!(c.data_dir, PathBuf::from("default.etcd"));
        assert_eq!(c.initial_cluster.len(), 1);
    }

    /// etcd 3.4's corruption-check flags: off by default; a bare bool flag and a Go duration.
    #[test]
    fn corrupt_check_flags() {
        let c = ServerArgs::try_parse_from(["etcd"])
            .expect("defaults")
            .to_config()
            .expect("valid");
        assert!(!c.initial_corrupt_check);
        assert!(c.corrupt_check_time.is_zero());
        let c = ServerArgs::try_parse_from([
            "etcd",
            "--experimental-initial-corrupt-check",
            "--experimental-corrupt-check-time=2m30s",
        ])
        .expect("parses")
        .to_config()
        .expect("valid");
        assert!(c.initial_corrupt_check);
        assert_eq!(c.corrupt_check_time, Duration::from_secs(150));
        let e = ServerArgs::try_parse_from(["etcd", "--experimental-corrupt-check-time=soon"])
            .expect("parses as string")
            .to_config()
            .expect_err("bad duration");
        assert_eq!(
            e.to_string(),
            "invalid value \"soon\" for flag -experimental-corrupt-check-time: parse error"
        );
    }

    /// etcd 3.4's env rules: used (sorted by flag), unknown warned, aliases recognized,
    /// empty values ignored, a flag given both ways refused.
    #[test]
    fn env_rules_follow_etcd() {
        let cmd = parse_command();
        let m = parse_command()
            .try_get_matches_from(["etcd", "--data-dir=d"])
            .expect("parses");
        let env = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let (args, notes) = env_args(
            &cmd,
            &m,
            &env(&[
                ("ETCD_NAME", "n"),
                ("ETCD_BOGUS", "1"),
                ("ETCD_EXPERIMENTAL_WATCH_PROGRESS_NOTIFY_INTERVAL", "5s"),
                ("ETCD_WAL_DIR", ""),
                ("HOME", "/root"),
            ]),
        )
        .expect("no conflict");
        let args: Vec<String> = args
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            args,
            [
                "--experimental-watch-progress-notify-interval=5s",
                "--name=n"
            ]
        );
        assert_eq!(notes.len(), 3);
        assert_eq!(
            notes[2],
            (
                true,
                "unrecognized environment variable ETCD_BOGUS=1".to_string()
            )
        );
        let e = env_args(&cmd, &m, &env(&[("ETCD_DATA_DIR", "x")])).expect_err("shadowed");
        assert!(
            e.starts_with("conflicting environment variable \"ETCD_DATA_DIR\""),
            "{e}"
        );
    }
}

#[cfg(test)]
mod flagfx_tests {
    use super::*;

    fn cfg(args: &[&str]) -> Result<ServerConfig, ConfigError> {
        let mut v = vec!["etcd"];
        v.extend_from_slice(args);
        ServerArgs::try_parse_from(v).expect("parses").to_config()
    }

    /// etcd 3.4.23's defaults and forms of the reconfiguration, compaction, retention,
    /// batching and TLS-check flags.
    #[test]
    fn defaults_and_forms() {
        let c = cfg(&[]).expect("defaults");
        assert!(c.strict_reconfig_check);
        assert_eq!(c.auto_compaction, None);
        assert_eq!((c.max_snapshots, c.max_wals), (5, 5));
        assert_eq!(c.backend_batch_interval(), Duration::from_millis(100));
        assert_eq!(c.backend_batch_limit(), None);
        assert_eq!(c.peer_tls.crl_file, None);
        let c = cfg(&[
            "--strict-reconfig-check=false",
            "--auto-compaction-mode=revision",
            "--auto-compaction-retention=100",
            "--max-snapshots=0",
            "--max-wals=2",
            "--backend-batch-interval=10ms",
            "--backend-batch-limit=50",
            "--client-crl-file=/x/crl.pem",
            "--client-cert-allowed-hostname=client.example",
            "--peer-cert-allowed-cn=etcd-peer",
            "--experimental-peer-skip-client-san-verification",
        ])
        .expect("valid");
        assert!(!c.strict_reconfig_check);
        assert_eq!(
            c.auto_compaction,
            Some(crate::config::AutoCompaction::Revision(100))
        );
        assert_eq!((c.max_snapshots, c.max_wals), (0, 2));
        assert_eq!(c.backend_batch_interval(), Duration::from_millis(10));
        assert_eq!(c.backend_batch_limit(), Some(50));
        assert_eq!(c.client_tls.crl_file, Some(PathBuf::from("/x/crl.pem")));
        assert_eq!(
            c.client_tls.allowed_hostname.as_deref(),
            Some("client.example")
        );
        assert_eq!(c.peer_tls.allowed_cn.as_deref(), Some("etcd-peer"));
        assert!(c.peer_tls.skip_client_san_verify);
    }

    #[test]
    fn bad_values_are_refused_as_etcd() {
        let e = cfg(&["--max-wals=-1"]).expect_err("uint");
        assert_eq!(
            e.to_string(),
            "invalid value \"-1\" for flag -max-wals: parse error"
        );
        let e = cfg(&["--backend-batch-interval=fast"]).expect_err("duration");
        assert_eq!(
            e.to_string(),
            "invalid value \"fast\" for flag -backend-batch-interval: parse error"
        );
        let e = cfg(&["--auto-compaction-mode=hourly"]).expect_err("mode");
        assert_eq!(e.flag, "auto-compaction-mode");
        let e = cfg(&["--peer-cert-allowed-cn=a", "--peer-cert-allowed-hostname=b"])
            .expect_err("exclusive");
        assert!(e.reason.contains("mutually exclusive"), "{e}");
        assert!(
            ServerArgs::try_parse_from(["etcd", "--strict-reconfig-check=maybe"]).is_err(),
            "Go's ParseBool"
        );
    }
}
