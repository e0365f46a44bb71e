//! `etcd grpc-proxy start`: etcd 3.4's L7 gRPC proxy flags → [`crate::proxy::grpc`].
//!
//! Flags etcd has and this proxy accepts without acting on them: `--debug`,
//! `--enable-pprof`, `--experimental-leasing-prefix`, `--experimental-serializable-ordering`.
//! `--discovery-srv` / `--discovery-srv-name` belong to the DNS discovery work.

use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{anyhow, Context};
use clap::{CommandFactory, Parser, Subcommand};

use crate::proxy::grpc::{Proxy, ServeOptions};
use crate::tls::{ClientTlsOptions, ReloadingServerConfig, TlsInfo, TlsParams, TlsVersion};

/// `etcd grpc-proxy`.
#[derive(Debug, Parser)]
#[command(
    name = "etcd-grpc-proxy",
    about = "Run the stateless etcd v3 gRPC L7 reverse proxy."
)]
pub struct GrpcProxyArgs {
    #[command(subcommand)]
    cmd: GrpcProxyCmd,
}

#[derive(Debug, Subcommand)]
enum GrpcProxyCmd {
    /// Start the gRPC proxy.
    Start(StartArgs),
}

/// `etcd grpc-proxy start` flags (etcd 3.4's).
#[derive(Debug, clap::Args)]
struct StartArgs {
    /// Comma separated etcd cluster endpoints.
    #[arg(long, value_delimiter = ',', default_value = "127.0.0.1:2379")]
    endpoints: Vec<String>,
    /// Listen address.
    #[arg(long, default_value = "127.0.0.1:23790")]
    listen_addr: String,
    /// Listen for endpoint /metrics requests on an additional interface (http:// or https://).
    #[arg(long, default_value = "")]
    metrics_addr: String,
    /// String to prefix to all keys for namespacing requests.
    #[arg(long, default_value = "")]
    namespace: String,
    /// Advertise address to register (must be reachable by client).
    #[arg(long, default_value = "127.0.0.1:23790")]
    advertise_client_url: String,
    /// Prefix to use for registering proxy (must be shared with other grpc-proxy members).
    #[arg(long, default_value = "")]
    resolver_prefix: String,
    /// Specify TTL, in seconds, when registering proxy endpoints.
    #[arg(long, default_value_t = 0)]
    resolver_ttl: i64,
    /// Identify secure connections with etcd servers using this TLS certificate file.
    #[arg(long, default_value = "")]
    cert: String,
    /// Identify secure connections with etcd servers using this TLS key file.
    #[arg(long, default_value = "")]
    key: String,
    /// Verify certificates of TLS-enabled secure etcd servers using this CA bundle.
    #[arg(long, default_value = "")]
    cacert: String,
    /// Skip authentication of etcd server TLS certificates (CAUTION: testing only).
    #[arg(long)]
    insecure_skip_tls_verify: bool,
    /// Identify secure connections to the proxy using this TLS certificate file.
    #[arg(long, default_value = "")]
    cert_file: String,
    /// Identify secure connections to the proxy using this TLS key file.
    #[arg(long, default_value = "")]
    key_file: String,
    /// Verify certificates of TLS-enabled secure proxy using this CA bundle (clients must
    /// present a certificate it signed).
    #[arg(long, default_value = "")]
    trusted_ca_file: String,
    /// Proxy client certificate revocation list file.
    #[arg(long, default_value = "")]
    client_crl_file: String,
    /// Proxy TLS using generated certificates.
    #[arg(long)]
    auto_tls: bool,
    /// The validity period of the proxy's self-signed certificate, in years.
    #[arg(long, default_value_t = 1)]
    self_signed_cert_validity: u32,
    /// Comma-separated list of supported TLS cipher suites between client/proxy.
    #[arg(
        long,
        alias = "cipher-suites",
        value_delimiter = ',',
        default_value = ""
    )]
    listen_cipher_suites: Vec<String>,
    /// Minimum TLS version between client/proxy (TLS1.2 or TLS1.3).
    #[arg(long, default_value = "")]
    tls_min_version: String,
    /// Data directory for persistent data (auto-TLS files).
    #[arg(long, default_value = "default.proxy")]
    data_dir: PathBuf,
    /// Message send limits in bytes.
    #[arg(long, default_value_t = 1572864)]
    max_send_bytes: i64,
    /// Message receive limits in bytes.
    #[arg(long, default_value_t = 2147483647)]
    max_recv_bytes: i64,
    /// Maximum concurrent streams that each client can open at a time.
    #[arg(long, default_value_t = u32::MAX)]
    max_concurrent_streams: u32,
    /// etcd endpoints auto sync interval, Go duration (0: disabled, the default): the proxy's
    /// endpoints follow the cluster's member list.
    #[arg(long, default_value = "0s")]
    endpoints_auto_sync_interval: String,
    /// Minimum interval a client should wait before pinging the proxy (Go duration).
    #[arg(long, default_value = "5s")]
    grpc_keepalive_min_time: String,
    /// Frequency of the proxy's pings to a client connection (Go duration; 0: off).
    #[arg(long, default_value = "2h0m0s")]
    grpc_keepalive_interval: String,
    /// How long the proxy waits for a ping's answer before closing the connection.
    #[arg(long, default_value = "20s")]
    grpc_keepalive_timeout: String,
    /// Enable debug-level logging for grpc-proxy.
    #[arg(long)]
    debug: bool,
    /// Enable runtime profiling data via HTTP server (accepted, not served).
    #[arg(long)]
    enable_pprof: bool,
    /// Leasing metadata prefix for disconnected linearized reads (accepted, not used).
    #[arg(long, default_value = "")]
    experimental_leasing_prefix: String,
    /// Ensure serializable reads have monotonically increasing store revisions (accepted).
    #[arg(long)]
    experimental_serializable_ordering: bool,
    /// Domain name to query for SRV records describing cluster endpoints.
    #[arg(long, default_value = "")]
    discovery_srv: String,
    /// Service name to query when using DNS discovery.
    #[arg(long, default_value = "")]
    discovery_srv_name: String,
    /// Accept insecure SRV records.
    #[arg(long, num_args = 0..=1, default_missing_value = "true", default_value = "false", value_parser = super::server::go_bool)]
    insecure_discovery: bool,
}

/// The clap tree (for man pages and completions).
pub fn command() -> clap::Command {
    GrpcProxyArgs::command()
}

fn path(s: &str) -> Option<PathBuf> {
    (!s.is_empty()).then(|| PathBuf::from(s))
}

/// The TLS toward the cluster (etcd's `newClientCfg`): any of `--cert`, `--key`, `--cacert`,
/// `--insecure-skip-tls-verify` turns it on.
fn upstream_tls(s: &StartArgs) -> Option<ClientTlsOptions> {
    let any = !s.cert.is_empty() || !s.key.is_empty() || !s.cacert.is_empty();
    (any || s.insecure_skip_tls_verify).then(|| ClientTlsOptions {
        ca_file: path(&s.cacert),
        cert_file: path(&s.cert),
        key_file: path(&s.key),
        insecure_skip_verify: s.insecure_skip_tls_verify,
    })
}

/// The TLS toward clients (etcd's `newTLS` for the listener, then auto-TLS under
/// `<data-dir>/fixtures/proxy`).
fn listen_tls(s: &StartArgs) -> anyhow::Result<Option<Arc<ReloadingServerConfig>>> {
    let params = TlsParams {
        min_version: TlsVersion::parse(&s.tls_min_version)?,
        max_version: None,
        cipher_suites: s
            .listen_cipher_suites
            .iter()
            .filter(|c| !c.is_empty())
            .cloned()
            .collect(),
    };
    params.validate()?;
    let mut info =
        if s.cert_file.is_empty() && s.key_file.is_empty() && s.trusted_ca_file.is_empty() {
            None
        } else {
            Some(TlsInfo {
                cert_file: path(&s.cert_file),
                key_file: path(&s.key_file),
                trusted_ca_file: path(&s.trusted_ca_file),
                client_cert_auth: !s.trusted_ca_file.is_empty(),
                ..TlsInfo::default()
            })
        };
    if info.is_none() && s.auto_tls {
        let dir = s.data_dir.join("fixtures").join("proxy");
        let host = vec![s.listen_addr.clone()];
        info = Some(crate::tls::self_cert(
            &dir,
            &host,
            s.self_signed_cert_validity,
            false,
        )?);
    }
    let Some(mut info) = info else {
        return Ok(None);
    };
    info.crl_file = path(&s.client_crl_file);
    let cfg = ReloadingServerConfig::new(info, params).context("failed to create TLS listener")?;
    Ok(Some(Arc::new(cfg)))
}

/// Entry point; `args` exclude the program and `grpc-proxy`. Returns the exit code.
pub fn run(args: Vec<OsString>) -> i32 {
    let mut argv = vec![OsString::from("etcd-grpc-proxy")];
    argv.extend(
        super::server::normalize_go_flags(
            std::iter::once(OsString::from("x")).chain(args).collect(),
        )
        .into_iter()
        .skip(1),
    );
    let parsed = match GrpcProxyArgs::try_parse_from(argv) {
        Ok(p) => p,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 1 } else { 0 };
        }
    };
    let GrpcProxyCmd::Start(mut start) = parsed.cmd;
    crate::observability::init_logging(if start.debug { "debug" } else { "info" });
    if !start.discovery_srv.is_empty() {
        // etcd's discoverEndpoints (the system CA bundle verifies discovered https endpoints).
        match crate::discovery::srv::discover_endpoints_blocking(
            &start.discovery_srv,
            None,
            start.insecure_discovery,
            &start.discovery_srv_name,
        ) {
            Ok(found) if !found.endpoints.is_empty() => start.endpoints = found.endpoints,
            Ok(_) => {}
            Err(e) => {
                eprintln!("{e}");
                return 1;
            }
        }
    }
    match start_proxy(start) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("{e:#}");
            1
        }
    }
}

/// etcd's `checkArgs`, with its messages.
fn check_args(s: &StartArgs) -> anyhow::Result<()> {
    if !s.resolver_prefix.is_empty() && s.resolver_ttl < 1 {
        return Err(anyhow!("invalid resolver-ttl {}", s.resolver_ttl));
    }
    if s.resolver_prefix.is_empty() && s.resolver_ttl > 0 {
        return Err(anyhow!("invalid resolver-prefix {:?}", s.resolver_prefix));
    }
    if !s.resolver_prefix.is_empty() && s.advertise_client_url.is_empty() {
        return Err(anyhow!(
            "invalid advertise-client-url {:?}",
            s.advertise_client_url
        ));
    }
    Ok(())
}

fn start_proxy(start: StartArgs) -> anyhow::Result<()> {
    check_args(&start)?;
    let client_tls = upstream_tls(&start);
    if start.insecure_skip_tls_verify {
        tracing::warn!("--insecure-skip-tls-verify was given, this grpc proxy process skips authentication of etcd server TLS certificates. This option should be enabled only for testing purposes.");
    }
    let cfg = crate::client::ClientConfig {
        endpoints: start.endpoints.clone(),
        tls: client_tls.clone(),
        ..Default::default()
    };
    let client = Arc::new(crate::client::Client::new(&cfg)?);
    let tls = listen_tls(&start)?;
    let clamp = |v: i64| usize::try_from(v.max(0)).unwrap_or(usize::MAX);
    let duration = |name: &'static str, v: &str| {
        crate::go_text::parse_go_duration(v).map_err(|e| {
            anyhow!(
                "{}",
                crate::config::ConfigError::new(name, v, e.to_string())
            )
        })
    };
    let min_time = duration("grpc-keepalive-min-time", &start.grpc_keepalive_min_time)?;
    let interval = duration("grpc-keepalive-interval", &start.grpc_keepalive_interval)?;
    let timeout = duration("grpc-keepalive-timeout", &start.grpc_keepalive_timeout)?;
    let sync = duration(
        "endpoints-auto-sync-interval",
        &start.endpoints_auto_sync_interval,
    )?;
    let opts = ServeOptions {
        tls: tls.clone(),
        max_send_bytes: clamp(start.max_send_bytes),
        max_recv_bytes: clamp(start.max_recv_bytes),
        max_concurrent_streams: start.max_concurrent_streams,
        keepalive_interval: (!interval.is_zero()).then_some(interval),
        keepalive_timeout: timeout,
        keepalive_min_time: Some(min_time),
        upstream_tls: client_tls,
    };
    let runtime = super::multi_thread_runtime().context("failed to start runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&start.listen_addr)
            .await
            .map_err(|e| anyhow!("listen tcp {}: bind: {e}", start.listen_addr))?;
        let proxy = Proxy::new(client.clone(), &start.namespace).with_registration(
            start.advertise_client_url.clone(),
            Some(start.resolver_prefix.clone()),
        );
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let shutdown = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|s| *s).await;
        };
        if !start.metrics_addr.is_empty() {
            let (addr, https) = metrics_addr(&start.metrics_addr)?;
            let ml = tokio::net::TcpListener::bind(&addr)
                .await
                .map_err(|e| anyhow!("listen tcp {addr}: bind: {e}"))?;
            let mtls = if https {
                Some(tls.clone().ok_or_else(|| {
                    anyhow!("--metrics-addr {} needs TLS files (--cert-file/--key-file or --auto-tls)", start.metrics_addr)
                })?)
            } else {
                None
            };
            let p = proxy.clone();
            let o = opts.clone();
            let rx = stop_rx.clone();
            tokio::spawn(async move {
                if let Err(e) =
                    crate::proxy::grpc::serve_metrics(ml, p, o, mtls, shutdown(rx)).await
                {
                    tracing::error!(error = %e, "gRPC proxy server metrics URL returned");
                }
            });
            tracing::info!(address = %start.metrics_addr, "gRPC proxy server metrics URL serving");
        }
        if !start.resolver_prefix.is_empty() {
            let host = crate::proxy::grpc::hostname();
            tokio::spawn(crate::proxy::grpc::registration::register(
                client.clone(),
                start.resolver_prefix.clone(),
                start.advertise_client_url.clone(),
                start.resolver_ttl,
                host,
            ));
        }
        if !sync.is_zero() {
            // etcd's proxy client has `AutoSyncInterval` set: its endpoints follow the
            // cluster's member list.
            client.spawn_auto_sync(sync);
        }
        tracing::info!(address = %start.listen_addr, endpoints = ?start.endpoints, namespace = %start.namespace, "started gRPC proxy");
        tracing::info!(address = %start.listen_addr, endpoints = ?start.endpoints, "ready to proxy client requests");
        tokio::spawn(async move {
            shutdown_signal().await;
            let _ = stop_tx.send(true);
        });
        crate::proxy::grpc::serve(listener, proxy, opts, shutdown(stop_rx)).await?;
        Ok(())
    })
}

/// `--metrics-addr`: `http://host:port`, `https://host:port` or `host:port` → the address to
/// bind and whether it serves TLS.
fn metrics_addr(s: &str) -> anyhow::Result<(String, bool)> {
    if let Some(rest) = s.strip_prefix("https://") {
        Ok((rest.trim_end_matches('/').to_string(), true))
    } else if let Some(rest) = s.strip_prefix("http://") {
        Ok((rest.trim_end_matches('/').to_string(), false))
    } else if s.contains("://") {
        Err(anyhow!("invalid metrics-addr {s:?}: unsupported scheme"))
    } else {
        Ok((s.to_string(), false))
    }
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {},
                _ = term.recv() => {},
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn start(args: &[&str]) -> StartArgs {
        let mut argv = vec!["etcd-grpc-proxy", "start"];
        argv.extend(args);
        let GrpcProxyCmd::Start(s) = GrpcProxyArgs::try_parse_from(argv).unwrap().cmd;
        s
    }

    #[test]
    fn resolver_flags_are_checked_as_etcd() {
        let e = |args: &[&str]| check_args(&start(args)).map_err(|e| e.to_string());
        assert_eq!(
            e(&["--resolver-prefix=p"]).unwrap_err(),
            "invalid resolver-ttl 0"
        );
        assert_eq!(
            e(&["--resolver-ttl=60"]).unwrap_err(),
            "invalid resolver-prefix \"\""
        );
        assert_eq!(
            e(&[
                "--resolver-prefix=p",
                "--resolver-ttl=60",
                "--advertise-client-url="
            ])
            .unwrap_err(),
            "invalid advertise-client-url \"\""
        );
        assert!(e(&["--resolver-prefix=p", "--resolver-ttl=60"]).is_ok());
    }

    #[test]
    fn metrics_addr_schemes() {
        assert_eq!(
            metrics_addr("https://0.0.0.0:4443").unwrap(),
            ("0.0.0.0:4443".into(), true)
        );
        assert_eq!(
            metrics_addr("http://127.0.0.1:1/").unwrap(),
            ("127.0.0.1:1".into(), false)
        );
        assert!(metrics_addr("unix://x").is_err());
    }

    #[test]
    fn upstream_tls_turns_on_with_any_flag() {
        assert!(upstream_tls(&start(&[])).is_none());
        let t = upstream_tls(&start(&["--insecure-skip-tls-verify"])).unwrap();
        assert!(t.insecure_skip_verify);
        let t = upstream_tls(&start(&["--cacert=ca.pem"])).unwrap();
        assert_eq!(t.ca_file.unwrap(), PathBuf::from("ca.pem"));
    }
}
