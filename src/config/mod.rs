//! Typed, validated server configuration: URLs, durations, sizes, the initial cluster.
//! Parsing only: no sockets, no files opened (DNS of `localhost` excepted, in
//! [`resolve_listen_addr`]).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use url::Url;

use crate::tls::{TlsInfo, TlsParams};

pub mod file;
pub mod serving;

pub use serving::{ClientServing, EtcdKnobs};

/// Default `--max-request-bytes`: 1.5 MiB, as etcd.
#[allow(
    dead_code,
    reason = "etcd's default, documented; unused since pub(crate)"
)]
pub const DEFAULT_MAX_REQUEST_BYTES: u32 = 1_572_864;
/// Default backend quota when `--quota-backend-bytes` is 0: 2 GiB, as etcd.
pub const DEFAULT_QUOTA_BACKEND_BYTES: i64 = 2 << 30;
/// etcd's hard upper bound on `--quota-backend-bytes` it recommends (8 GiB); larger values
/// are accepted with a warning.
#[allow(
    dead_code,
    reason = "etcd's limit, documented; unused since pub(crate)"
)]
pub const MAX_QUOTA_BACKEND_BYTES: i64 = 8 << 30;

/// A configuration error: which flag, which value, why. Displayed like etcd's
/// `invalid value "abc" for flag -heartbeat-interval: parse error`.
#[derive(Debug, thiserror::Error)]
#[error("invalid value {value:?} for flag -{flag}: {reason}")]
pub struct ConfigError {
    /// Flag name without dashes, e.g. `listen-client-urls`.
    pub flag: &'static str,
    /// The offending value.
    pub value: String,
    /// Why it was refused.
    pub reason: String,
}

impl ConfigError {
    /// Builds an error for `flag`.
    pub fn new(
        flag: &'static str,
        value: impl Into<String>,
        reason: impl Into<String>,
    ) -> ConfigError {
        ConfigError {
            flag,
            value: value.into(),
            reason: reason.into(),
        }
    }
}

/// A duration flag of etcd's flat flag set (`--experimental-corrupt-check-time=2m30s`): Go's
/// `time.ParseDuration` syntax ([`crate::go_text::parse_go_duration`]).
///
/// # Errors
/// A [`ConfigError`] for `flag` worded as etcd 3.4.23 words it (Go's flag package hides the
/// duration's own message): `invalid value "soon" for flag -experimental-corrupt-check-time:
/// parse error`.
pub fn duration_flag(flag: &'static str, v: &str) -> Result<Duration, ConfigError> {
    crate::go_text::parse_go_duration(v).map_err(|_| ConfigError::new(flag, v, "parse error"))
}

/// `--initial-cluster-state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClusterState {
    /// Bootstrap a new cluster.
    New,
    /// Join an existing cluster.
    Existing,
}

/// The logging, metrics and profiling flags of a member.
#[derive(Debug, Clone, Default)]
pub struct ObservabilityConfig {
    /// `--logger`, `--log-outputs`, `--log-level`, `--debug`, `--log-package-levels`,
    /// `--log-format`.
    pub log: crate::observability::logging::LogConfig,
    /// `--enable-pprof`: `/debug/pprof/*` on the client (and metrics) listeners.
    pub enable_pprof: bool,
    /// `--metrics extensive`: also `grpc_server_handling_seconds` (etcd accepts any other
    /// value as `basic`).
    pub extensive_metrics: bool,
    /// `--listen-metrics-urls`: extra listeners serving `/metrics` and `/health` only.
    pub listen_metrics_urls: Vec<Url>,
}

/// Everything a member needs to start, validated.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// `--name`: human-readable member name.
    pub name: String,
    /// `--data-dir`.
    pub data_dir: PathBuf,
    /// `--listen-client-urls`.
    pub listen_client_urls: Vec<Url>,
    /// `--advertise-client-urls`.
    pub advertise_client_urls: Vec<Url>,
    /// `--listen-peer-urls`.
    pub listen_peer_urls: Vec<Url>,
    /// `--initial-advertise-peer-urls`.
    pub initial_advertise_peer_urls: Vec<Url>,
    /// `--initial-cluster`: (name, peer URL) pairs in the order given.
    pub initial_cluster: Vec<(String, Url)>,
    /// `--initial-cluster-state`.
    pub initial_cluster_state: ClusterState,
    /// `--initial-cluster-token`.
    pub initial_cluster_token: String,
    /// `--heartbeat-interval` (milliseconds in the flag).
    pub heartbeat_interval: Duration,
    /// `--election-timeout` (milliseconds in the flag).
    pub election_timeout: Duration,
    /// `--snapshot-count`: applied entries between Raft snapshots.
    pub snapshot_count: u64,
    /// `--quota-backend-bytes` (0 means etcd's default, 2 GiB), in bytes.
    pub quota_backend_bytes: i64,
    /// `--max-request-bytes`, in bytes.
    pub max_request_bytes: u32,
    /// `--max-txn-ops`: operations allowed in one txn.
    pub max_txn_ops: u32,
    /// `--log-level`.
    pub log_level: String,
    /// `--watch-progress-notify-interval` (etcd's default 10 minutes).
    pub watch_progress_notify_interval: Duration,
    /// `--experimental-initial-corrupt-check`: before serving, a restarted member compares
    /// its HashKV with its peers' and refuses to start on a mismatch (etcd 3.4).
    pub initial_corrupt_check: bool,
    /// `--experimental-corrupt-check-time`: how often the leader compares HashKV with its
    /// followers and raises the CORRUPT alarm on a mismatch; zero disables it.
    pub corrupt_check_time: Duration,
    /// `--auth-token`: the token provider spec as given (`simple`, or `jwt,...`).
    pub auth_token: String,
    /// `--auth-token-ttl` (seconds in the flag): simple tokens live this long after their
    /// last use.
    pub auth_token_ttl: Duration,
    /// `--bcrypt-cost`: cost of the bcrypt hashes of user passwords (4..=31).
    pub bcrypt_cost: u32,
    /// Client listener TLS: `--cert-file`, `--key-file`, `--trusted-ca-file`,
    /// `--client-cert-auth`.
    pub client_tls: TlsInfo,
    /// `--auto-tls`: self-signed client certificates when no client cert/key is given.
    pub client_auto_tls: bool,
    /// Peer listener and peer client TLS: `--peer-cert-file`, `--peer-key-file`,
    /// `--peer-trusted-ca-file`, `--peer-client-cert-auth`.
    pub peer_tls: TlsInfo,
    /// `--peer-auto-tls`: self-signed peer certificates when no peer cert/key is given.
    pub peer_auto_tls: bool,
    /// `--self-signed-cert-validity`: years the auto-TLS certificates are valid (default 1).
    pub self_signed_cert_validity: u32,
    /// `--tls-min-version`, `--tls-max-version`, `--cipher-suites`.
    pub tls_params: TlsParams,
    // --- drop-in flags (issue 14): wal dir, client serving, accepted etcd knobs ---
    /// `--wal-dir`: a dedicated directory for the raft log environment instead of
    /// `<data-dir>/member/wal`.
    pub dedicated_wal_dir: Option<PathBuf>,
    /// How the client port serves (stream and keepalive limits, CORS, Host whitelist).
    pub serving: ClientServing,
    /// etcd knobs accepted and validated (their mapping is in [`EtcdKnobs`]).
    pub knobs: EtcdKnobs,
    // -- reconfiguration, compaction, file retention, backend batching (issue 14) --
    /// `--strict-reconfig-check` (default true): refuse a member add/remove that the started
    /// and connected members could not survive (etcd's `mayAddMember` / `mayRemoveMember`).
    pub strict_reconfig_check: bool,
    /// `--auto-compaction-mode` + `--auto-compaction-retention`; `None` when the retention is
    /// zero (auto compaction off, etcd's default).
    pub auto_compaction: Option<AutoCompaction>,
    /// `--max-snapshots` (default 5, 0 = unlimited): Raft snapshot files kept under
    /// `member/snap` (see README: we keep at most one).
    pub max_snapshots: u32,
    /// `--max-wals` (default 5, 0 = unlimited): WAL segment files kept under `member/wal`
    /// (see README: the Raft log is one LMDB environment, purged by log compaction).
    pub max_wals: u32,
    /// `--backend-batch-interval` (0 = etcd's default, 100 ms): longest time a backend write
    /// stays unsynced; drives the backend sync loop.
    pub backend_batch_interval: Duration,
    /// `--backend-batch-limit` (0 or less = default): most operations committed to the
    /// backend together; caps the requests packed into one Raft entry and so into one apply
    /// transaction (group commit, `server/batcher.rs`).
    pub backend_batch_limit: i64,
    /// Logging, metrics and profiling flags.
    pub observability: ObservabilityConfig,
    /// `--force-new-cluster`: a member with an initialized data dir restarts as a one-member
    /// cluster (same member and cluster IDs, all data kept); see
    /// `raft::log_store::LogStore::force_new_cluster`. Ignored on a fresh data dir, as etcd.
    pub force_new_cluster: bool,
    /// `--discovery`, `--discovery-proxy`, `--discovery-fallback`: etcd's v2 discovery;
    /// `None` without `--discovery`.
    pub discovery: Option<DiscoveryConfig>,
    /// `--discovery-srv` and `--discovery-srv-name`: the initial cluster from DNS SRV records
    /// (resolved at start, before serving); `None` without `--discovery-srv`.
    pub discovery_srv: Option<SrvDiscoveryConfig>,
    /// `--discovery-token`, `--discovery-endpoints` and the `--discovery-*` client options:
    /// etcd 3.6's v3 discovery; `None` without `--discovery-endpoints`.
    pub discovery_v3: Option<V3DiscoveryConfig>,
}

/// etcd 3.6's v3 discovery flags (`embed.Config.DiscoveryCfg`). With them, `initial_cluster`
/// holds only this member and `initial_cluster_token` is the discovery token (etcd's
/// `PeerURLsMapAndToken`), so member IDs derive from the peer URLs and the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V3DiscoveryConfig {
    /// `--discovery-token`: the cluster's token, the `<token>` of
    /// `/_etcd/registry/<token>/...` on the discovery service.
    pub token: String,
    /// `--discovery-endpoints`: gRPC endpoints of the discovery service (an etcd v3 cluster),
    /// `host:port` or `http(s)://host:port`.
    pub endpoints: Vec<String>,
    /// `--discovery-dial-timeout` (etcd: 2 s).
    pub dial_timeout: Duration,
    /// `--discovery-request-timeout`: bound on each discovery request (etcd: 5 s).
    pub request_timeout: Duration,
    /// `--discovery-keepalive-time`: HTTP/2 keepalive ping interval (etcd: 2 s).
    pub keepalive_time: Duration,
    /// `--discovery-keepalive-timeout`: ping answer timeout (etcd: 6 s).
    pub keepalive_timeout: Duration,
    /// `--discovery-insecure-transport` (etcd: true): no TLS unless TLS files are given or
    /// an endpoint is `https://`.
    pub insecure_transport: bool,
    /// `--discovery-insecure-skip-tls-verify`: accept any server certificate.
    pub insecure_skip_tls_verify: bool,
    /// `--discovery-cert`: client certificate.
    pub cert_file: Option<std::path::PathBuf>,
    /// `--discovery-key`: client key.
    pub key_file: Option<std::path::PathBuf>,
    /// `--discovery-cacert`: CA bundle verifying the discovery service.
    pub ca_file: Option<std::path::PathBuf>,
    /// `--discovery-user` and `--discovery-password`: (name, password) to authenticate with.
    pub credentials: Option<(String, String)>,
}

/// etcd's DNS SRV bootstrap flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SrvDiscoveryConfig {
    /// `--discovery-srv`: the DNS domain.
    pub domain: String,
    /// `--discovery-srv-name`: suffix of the service names (empty: none).
    pub service_name: String,
}

/// etcd's v2 discovery flags. With `--discovery`, `initial_cluster` holds only this member
/// and `initial_cluster_token` is the discovery URL (etcd's `PeerURLsMapAndToken`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveryConfig {
    /// `--discovery`: the token directory URL, e.g. `http://h:2379/v2/keys/discovery/<token>`.
    pub url: String,
    /// `--discovery-proxy`: HTTP proxy for the discovery service (empty: none).
    pub proxy: String,
    /// `--discovery-fallback`: `true` for `proxy` (etcd's default), `false` for `exit`.
    pub fallback_proxy: bool,
}

/// etcd's default `--backend-batch-interval` (used when the flag is 0).
pub const DEFAULT_BACKEND_BATCH_INTERVAL: Duration = Duration::from_millis(100);

/// etcd's auto compactor (`etcdserver/api/v3compactor`), as configured by
/// `--auto-compaction-mode` and `--auto-compaction-retention`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AutoCompaction {
    /// `periodic`: keep (at least) this much history; checked every retention/10 (every hour
    /// once the retention is an hour or more).
    Periodic(Duration),
    /// `revision`: every 5 minutes, compact to `current revision - N` when it moved.
    Revision(i64),
}

impl AutoCompaction {
    /// Parses the two flags as etcd's `parseCompactionRetention` does: a non-negative
    /// integer is hours (`periodic`) or revisions (`revision`); anything else is a Go duration
    /// (a duration in `revision` mode counts its nanoseconds as revisions, as etcd). Zero
    /// disables auto compaction (`Ok(None)`).
    ///
    /// # Errors
    /// `unknown auto-compaction-mode "x"` for a mode other than periodic|revision,
    /// `error parsing CompactionRetention: time: ...` for a bad retention.
    pub fn parse(mode: &str, retention: &str) -> Result<Option<AutoCompaction>, ConfigError> {
        if !matches!(mode, "periodic" | "revision") {
            return Err(ConfigError::new(
                "auto-compaction-mode",
                mode,
                format!("unknown auto-compaction-mode {mode:?}"),
            ));
        }
        let retention = if retention.is_empty() { "0" } else { retention };
        let periodic = mode == "periodic";
        let parsed = match retention.parse::<i64>() {
            Ok(h) if h >= 0 && periodic => AutoCompaction::Periodic(Duration::from_secs(
                u64::try_from(h).unwrap_or(0).saturating_mul(3600),
            )),
            Ok(h) if h >= 0 => AutoCompaction::Revision(h),
            _ => {
                let d = crate::go_text::parse_go_duration(retention).map_err(|e| {
                    ConfigError::new(
                        "auto-compaction-retention",
                        retention,
                        format!("error parsing CompactionRetention: {e}"),
                    )
                })?;
                if periodic {
                    AutoCompaction::Periodic(d)
                } else {
                    AutoCompaction::Revision(i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
                }
            }
        };
        Ok(match parsed {
            AutoCompaction::Periodic(d) if d.is_zero() => None,
            AutoCompaction::Revision(0) => None,
            other => Some(other),
        })
    }
}

impl ServerConfig {
    /// The effective backend quota in bytes (`0` → 2 GiB).
    pub fn quota_bytes(&self) -> i64 {
        if self.quota_backend_bytes <= 0 {
            DEFAULT_QUOTA_BACKEND_BYTES
        } else {
            self.quota_backend_bytes
        }
    }

    /// `--wal-dir` when given, else `<data-dir>/member/wal`.
    pub fn wal_dir(&self) -> PathBuf {
        match &self.dedicated_wal_dir {
            Some(d) => d.clone(),
            None => self.data_dir.join("member").join("wal"),
        }
    }

    /// `<data-dir>/member/snap/db`.
    pub fn backend_dir(&self) -> PathBuf {
        self.data_dir.join("member").join("snap").join("db")
    }

    /// `<data-dir>/fixtures/client`: where `--auto-tls` writes `cert.pem` and `key.pem`.
    pub fn client_fixtures_dir(&self) -> PathBuf {
        self.data_dir.join("fixtures").join("client")
    }

    /// `<data-dir>/fixtures/peer`: where `--peer-auto-tls` writes `cert.pem` and `key.pem`.
    pub fn peer_fixtures_dir(&self) -> PathBuf {
        self.data_dir.join("fixtures").join("peer")
    }

    /// Whether any client URL is `https` (or `unixs`).
    pub fn client_tls_wanted(&self) -> bool {
        self.listen_client_urls
            .iter()
            .any(|u| matches!(u.scheme(), "https" | "unixs"))
    }

    /// Whether any peer URL (listen or advertised) is `https` (or `unixs`).
    pub fn peer_tls_wanted(&self) -> bool {
        self.listen_peer_urls
            .iter()
            .chain(self.initial_advertise_peer_urls.iter())
            .any(|u| matches!(u.scheme(), "https" | "unixs"))
    }

    /// The effective `--backend-batch-interval` (0 → 100 ms).
    pub fn backend_batch_interval(&self) -> Duration {
        if self.backend_batch_interval.is_zero() {
            DEFAULT_BACKEND_BATCH_INTERVAL
        } else {
            self.backend_batch_interval
        }
    }

    /// `--backend-batch-limit` when set (`None` for 0 or less: etcd would use 10000; we keep
    /// the group-commit default, `server::batcher::MAX_BATCH_REQUESTS`).
    pub fn backend_batch_limit(&self) -> Option<usize> {
        match usize::try_from(self.backend_batch_limit) {
            Ok(n) if n > 0 => Some(n),
            _ => None,
        }
    }

    /// etcd's request timeout: 5 s + 2 × election timeout.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(5) + 2 * self.election_timeout
    }

    /// Checks cross-flag rules (etcd's `Config.Validate`).
    ///
    /// # Errors
    /// A [`ConfigError`] naming the flag.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(4..=31).contains(&self.bcrypt_cost) {
            return Err(ConfigError::new(
                "bcrypt-cost",
                self.bcrypt_cost.to_string(),
                "must be between 4 and 31",
            ));
        }
        if let Err(e) = crate::auth::token::parse_auth_token_opt(&self.auth_token) {
            return Err(ConfigError::new("auth-token", self.auth_token.clone(), e));
        }
        if self.heartbeat_interval.is_zero() {
            return Err(ConfigError::new(
                "heartbeat-interval",
                "0",
                "must be greater than 0",
            ));
        }
        if self.election_timeout < 5 * self.heartbeat_interval {
            return Err(ConfigError::new(
                "election-timeout",
                self.election_timeout.as_millis().to_string(),
                format!(
                    "--election-timeout[{}ms] should be at least as 5 times as --heartbeat-interval[{}ms]",
                    self.election_timeout.as_millis(),
                    self.heartbeat_interval.as_millis()
                ),
            ));
        }
        if self.election_timeout > Duration::from_millis(50_000) {
            return Err(ConfigError::new(
                "election-timeout",
                self.election_timeout.as_millis().to_string(),
                "is too long, and should be set less than 50000 ms",
            ));
        }
        if self.max_txn_ops == 0 {
            return Err(ConfigError::new(
                "max-txn-ops",
                "0",
                "must be greater than 0",
            ));
        }
        if self.max_request_bytes == 0 {
            return Err(ConfigError::new(
                "max-request-bytes",
                "0",
                "must be greater than 0",
            ));
        }
        if let Err(e) = self.tls_params.validate() {
            let (flag, value) = match e {
                crate::tls::TlsError::UnsupportedCipherSuite(..) => {
                    ("cipher-suites", self.tls_params.cipher_suites.join(","))
                }
                _ => (
                    "tls-min-version",
                    format!("{:?}", self.tls_params.min_version),
                ),
            };
            return Err(ConfigError::new(flag, value, e.to_string()));
        }
        if self.peer_tls.allowed_cn.is_some() && self.peer_tls.allowed_hostname.is_some() {
            return Err(ConfigError::new(
                "peer-cert-allowed-cn",
                self.peer_tls.allowed_cn.clone().unwrap_or_default(),
                format!(
                    "AllowedCN and AllowedHostname are mutually exclusive (cn={:?}, hostname={:?})",
                    self.peer_tls.allowed_cn.as_deref().unwrap_or_default(),
                    self.peer_tls
                        .allowed_hostname
                        .as_deref()
                        .unwrap_or_default()
                ),
            ));
        }
        if self.client_tls.cert_file.is_some() != self.client_tls.key_file.is_some() {
            return Err(ConfigError::new(
                "cert-file",
                "",
                "--cert-file and --key-file must be given together",
            ));
        }
        if self.peer_tls.cert_file.is_some() != self.peer_tls.key_file.is_some() {
            return Err(ConfigError::new(
                "peer-cert-file",
                "",
                "--peer-cert-file and --peer-key-file must be given together",
            ));
        }
        for u in &self.listen_client_urls {
            if matches!(u.scheme(), "https" | "unixs")
                && self.client_tls.is_empty()
                && !self.client_auto_tls
            {
                return Err(ConfigError::new(
                    "listen-client-urls",
                    url_string(u),
                    format!("TLS key/cert (--cert-file, --key-file) must be provided for client url {} with HTTPS scheme", url_string(u)),
                ));
            }
        }
        for u in &self.listen_peer_urls {
            if matches!(u.scheme(), "https" | "unixs")
                && self.peer_tls.is_empty()
                && !self.peer_auto_tls
            {
                return Err(ConfigError::new(
                    "listen-peer-urls",
                    url_string(u),
                    format!("TLS key/cert (--peer-cert-file, --peer-key-file) must be provided for peer url {} with HTTPS scheme", url_string(u)),
                ));
            }
        }
        Ok(())
    }
}

/// Parses a comma-separated URL list as etcd does (`types.NewURLs`): schemes http, https,
/// unix or unixs; a host with a port; no path.
///
/// # Errors
/// A [`ConfigError`] for `flag` naming the bad URL.
pub fn parse_urls(flag: &'static str, value: &str) -> Result<Vec<Url>, ConfigError> {
    let mut out = Vec::new();
    for part in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let url = Url::parse(part).map_err(|e| ConfigError::new(flag, value, e.to_string()))?;
        match url.scheme() {
            "http" | "https" | "unix" | "unixs" => {}
            _ => {
                return Err(ConfigError::new(
                    flag,
                    value,
                    format!("URL scheme must be http, https, unix, or unixs: {part}"),
                ))
            }
        }
        if url.host_str().is_none() || url.port().is_none() {
            return Err(ConfigError::new(
                flag,
                value,
                format!("URL address does not have the form \"host:port\": {part}"),
            ));
        }
        if !(url.path().is_empty() || url.path() == "/") {
            return Err(ConfigError::new(
                flag,
                value,
                format!("URL must not contain a path: {part}"),
            ));
        }
        out.push(url);
    }
    if out.is_empty() {
        return Err(ConfigError::new(flag, value, "no URLs given"));
    }
    Ok(out)
}

/// Parses `--initial-cluster` (`name1=url1,name2=url2`).
///
/// # Errors
/// A [`ConfigError`] for a part without `=` or with a bad URL.
pub fn parse_initial_cluster(value: &str) -> Result<Vec<(String, Url)>, ConfigError> {
    let mut out = Vec::new();
    for part in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (name, url) = part.split_once('=').ok_or_else(|| {
            ConfigError::new("initial-cluster", value, format!("missing '=' in {part:?}"))
        })?;
        let urls = parse_urls("initial-cluster", url)?;
        for u in urls {
            out.push((name.to_string(), u));
        }
    }
    Ok(out)
}

/// Renders a URL as etcd prints it: `scheme://host:port` without a trailing slash.
pub fn url_string(url: &Url) -> String {
    let s = url.as_str();
    s.strip_suffix('/').unwrap_or(s).to_string()
}

/// Resolves a listen URL to a socket address; `localhost` means 127.0.0.1 (loopback only,
/// as etcd binds it).
///
/// # Errors
/// A [`ConfigError`] if the host is neither an IP address nor `localhost`.
pub fn resolve_listen_addr(flag: &'static str, url: &Url) -> Result<SocketAddr, ConfigError> {
    let port = url
        .port()
        .ok_or_else(|| ConfigError::new(flag, url.as_str(), "missing port"))?;
    let host = match url.host() {
        Some(url::Host::Ipv4(ip)) => std::net::IpAddr::V4(ip),
        Some(url::Host::Ipv6(ip)) => std::net::IpAddr::V6(ip),
        Some(url::Host::Domain("localhost")) => std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
        _ => {
            return Err(ConfigError::new(
                flag,
                url.as_str(),
                "listen host must be an IP address or localhost",
            ))
        }
    };
    Ok(SocketAddr::new(host, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_urls_like_etcd() {
        let u = parse_urls(
            "listen-client-urls",
            "http://127.0.0.1:2379,http://localhost:2379",
        )
        .expect("valid");
        assert_eq!(u.len(), 2);
        assert_eq!(url_string(&u[0]), "http://127.0.0.1:2379");
        let e = parse_urls("listen-client-urls", "foo").expect_err("no scheme");
        assert!(
            e.to_string()
                .starts_with("invalid value \"foo\" for flag -listen-client-urls"),
            "{e}"
        );
        assert!(parse_urls("x", "ftp://a:1").is_err());
        assert!(parse_urls("x", "http://a").is_err());
    }

    #[test]
    fn parses_auto_compaction_like_etcd() {
        let p = |m, r| AutoCompaction::parse(m, r);
        assert_eq!(p("periodic", "0").expect("valid"), None);
        assert_eq!(p("periodic", "").expect("valid"), None);
        assert_eq!(
            p("periodic", "1").expect("valid"),
            Some(AutoCompaction::Periodic(Duration::from_secs(3600)))
        );
        assert_eq!(
            p("periodic", "2s").expect("valid"),
            Some(AutoCompaction::Periodic(Duration::from_secs(2)))
        );
        assert_eq!(
            p("revision", "1000").expect("valid"),
            Some(AutoCompaction::Revision(1000))
        );
        assert_eq!(
            p("sometimes", "1").expect_err("bad mode").to_string(),
            "invalid value \"sometimes\" for flag -auto-compaction-mode: unknown auto-compaction-mode \"sometimes\""
        );
        assert_eq!(
            p("periodic", "-1").expect_err("negative").reason,
            "error parsing CompactionRetention: time: missing unit in duration \"-1\""
        );
        assert!(p("periodic", "soon").is_err());
    }

    #[test]
    fn parses_initial_cluster() {
        let c = parse_initial_cluster("infra0=http://10.0.1.10:2380,infra1=http://10.0.1.11:2380")
            .expect("valid");
        assert_eq!(c[1].0, "infra1");
        assert!(parse_initial_cluster("infra0").is_err());
    }
}
