//! `ServerArgs` → [`ServerConfig`]: every flag checked and typed as etcd 3.4 checks it
//! (no I/O; DNS, files and sockets come later in `cli::server::main`).

use std::path::PathBuf;
use std::time::Duration;

use crate::config::{
    parse_initial_cluster, parse_urls, resolve_listen_addr, ClientServing, ClusterState,
    ConfigError, EtcdKnobs, ObservabilityConfig, ServerConfig,
};
use crate::config::{DiscoveryConfig, V3DiscoveryConfig};
use crate::observability::logging::{LogConfig, LogConfigError};
use crate::tls::{TlsInfo, TlsParams, TlsVersion};

use super::args::ServerArgs;

fn opt_path(v: &str) -> Option<PathBuf> {
    let v = v.trim();
    (!v.is_empty()).then(|| PathBuf::from(v))
}

fn opt_string(v: &str) -> Option<String> {
    let v = v.trim();
    (!v.is_empty()).then(|| v.to_string())
}

/// Rewrites Go-style single-dash long flags (`-name x`, `-data-dir=x`) into `--name`.

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
    pub(super) fn check_not_supported_yet(&self) -> Result<(), ConfigError> {
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
    pub(super) fn v2_proxy_timings(&self) -> Result<[std::time::Duration; 5], ConfigError> {
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
    pub(super) fn v2_proxy_config(
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
    pub(super) fn discovery_config(&self) -> Result<Option<DiscoveryConfig>, ConfigError> {
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
    pub(super) fn discovery_endpoint_list(&self) -> Vec<String> {
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
    pub(super) fn discovery_v3_config(&self) -> Result<Option<V3DiscoveryConfig>, ConfigError> {
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
    pub(super) fn client_serving(&self) -> Result<ClientServing, ConfigError> {
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
    pub(super) fn etcd_knobs(&self) -> Result<EtcdKnobs, ConfigError> {
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
    pub(super) fn observability_config(&self) -> Result<ObservabilityConfig, ConfigError> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    pub(super) fn bad_values_name_the_flag() {
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
    pub(super) fn corrupt_check_flags() {
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

#[cfg(test)]
mod flagfx_tests {
    use super::*;
    use clap::Parser;

    pub(super) fn cfg(args: &[&str]) -> Result<ServerConfig, ConfigError> {
        let mut v = vec!["etcd"];
        v.extend_from_slice(args);
        ServerArgs::try_parse_from(v).expect("parses").to_config()
    }

    /// etcd 3.4.23's defaults and forms of the reconfiguration, compaction, retention,
    /// batching and TLS-check flags.
    #[test]
    pub(super) fn defaults_and_forms() {
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
    pub(super) fn bad_values_are_refused_as_etcd() {
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
