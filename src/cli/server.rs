//! `etcd` / `etcd server`: etcd's flat server flags (each with its `ETCD_*` env twin and
//! etcd's default) → [`ServerConfig`] → bind the listeners → `server::run` until
//! SIGINT/SIGTERM → exit code. The member itself is assembled in `server/serve.rs`.
//!
//! Go's flag package accepts `-flag` as well as `--flag`; [`normalize_go_flags`] rewrites
//! the single-dash long form so operators' command lines work verbatim.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use clap::{CommandFactory, Parser};

use crate::config::{
    parse_initial_cluster, parse_urls, resolve_listen_addr, ClusterState, ConfigError,
    ObservabilityConfig, ServerConfig,
};
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
        default_value = "0s"
    )]
    pub experimental_corrupt_check_time: String,
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
fn go_bool(s: &str) -> Result<bool, String> {
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
        let cfg = ServerConfig {
            name: self.name.clone(),
            data_dir: self
                .data_dir
                .clone()
                .unwrap_or_else(|| PathBuf::from(format!("{}.etcd", self.name))),
            listen_client_urls: parse_urls("listen-client-urls", &self.listen_client_urls)?,
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
            },
            client_auto_tls: self.auto_tls,
            peer_tls: TlsInfo {
                cert_file: opt_path(&self.peer_cert_file),
                key_file: opt_path(&self.peer_key_file),
                trusted_ca_file: opt_path(&self.peer_trusted_ca_file),
                client_cert_auth: self.peer_client_cert_auth,
                self_signed: false,
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
            observability: self.observability_config()?,
        };
        cfg.validate()?;
        for u in cfg.listen_client_urls.iter() {
            resolve_listen_addr("listen-client-urls", u)?;
        }
        for u in cfg.listen_peer_urls.iter() {
            resolve_listen_addr("listen-peer-urls", u)?;
        }
        Ok(cfg)
    }
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

/// Entry point of the server personality. `args[0]` is the program name.
/// Returns the process exit code.
pub fn main(args: Vec<OsString>) -> i32 {
    let args = normalize_go_flags(args);
    let parsed = match ServerArgs::try_parse_from(args) {
        Ok(a) => a,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                let _ = e.print();
                return 0;
            }
            let msg = e.to_string();
            let first = msg
                .lines()
                .next()
                .unwrap_or("invalid arguments")
                .trim_start_matches("error: ");
            eprintln!("{first}");
            return 1;
        }
    };
    if parsed.version {
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
    let cfg = match parsed.to_config() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
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
        Err(e) => {
            let e = anyhow::Error::new(e);
            tracing::error!(error = %format!("{e:#}"), "etcd member stopped with an error");
            eprintln!("{e:#}");
            1
        }
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
}
