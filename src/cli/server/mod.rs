//! `etcd` / `etcd server`: etcd's flat server flags (each with its `ETCD_*` env twin and
//! etcd's default) → [`ServerConfig`] → bind the listeners → `server::run` until
//! SIGINT/SIGTERM → exit code. The member itself is assembled in `server/serve.rs`.
//!
//! Go's flag package accepts `-flag` as well as `--flag`; [`normalize_go_flags`] rewrites
//! the single-dash long form so operators' command lines work verbatim.
//!
//! Layout: `args.rs` the clap struct, `config.rs` its resolution to [`ServerConfig`],
//! `env.rs` the `ETCD_*` environment, Go-flag syntax and `--config-file` handling; this file
//! the main flow.

mod args;
mod config;
mod env;

use std::ffi::OsString;

use clap::{CommandFactory, FromArgMatches};

use crate::config::DiscoveryConfig;
use crate::config::{parse_initial_cluster, ConfigError, EtcdKnobs, ServerConfig};
use crate::observability::logging::LoggerKind;
use crate::server::{Listeners, SERVER_VERSION};

pub(crate) use args::go_bool;
pub use args::ServerArgs;
pub use config::dedup_urls;
use env::{args_from_config_file, env_parse_error, go_flag_error};
pub use env::{env_args, flag_to_env, normalize_go_flags};

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
    let runtime = match crate::cli::multi_thread_runtime_or_exit() {
        Ok(r) => r,
        Err(code) => return code,
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
