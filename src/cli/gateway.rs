//! `etcd gateway start`: etcd's L4 TCP gateway flags → [`crate::proxy::gateway::Gateway`].

use std::ffi::OsString;
use std::sync::Arc;

use clap::{CommandFactory, Parser, Subcommand};

/// `etcd gateway`.
#[derive(Debug, Parser)]
#[command(
    name = "etcd-gateway",
    about = "Run the stateless pass-through etcd TCP connection forwarding proxy."
)]
pub struct GatewayArgs {
    #[command(subcommand)]
    cmd: GatewayCmd,
}

#[derive(Debug, Subcommand)]
enum GatewayCmd {
    /// Start the gateway.
    Start(StartArgs),
}

/// `etcd gateway start` flags (etcd 3.4's).
#[derive(Debug, clap::Args)]
struct StartArgs {
    /// Comma separated etcd cluster endpoints.
    #[arg(long, value_delimiter = ',', default_value = "127.0.0.1:2379")]
    endpoints: Vec<String>,
    /// Listen address.
    #[arg(long, default_value = "127.0.0.1:23790")]
    listen_addr: String,
    /// Duration of delay before retrying failed endpoints (Go duration).
    #[arg(long, default_value = "1m0s")]
    retry_delay: String,
    /// DNS domain used to bootstrap initial cluster.
    #[arg(long, default_value = "")]
    discovery_srv: String,
    /// Service name to query when using DNS discovery.
    #[arg(long, default_value = "")]
    discovery_srv_name: String,
    /// Accept insecure SRV records.
    #[arg(long, num_args = 0..=1, default_missing_value = "true", default_value = "false", value_parser = super::server::go_bool)]
    insecure_discovery: bool,
    /// Path to the client server TLS CA file for verifying the discovered endpoints when discovery-srv is provided.
    #[arg(long, default_value = "")]
    trusted_ca_file: String,
}

/// The clap tree (for man pages and completions).
pub fn command() -> clap::Command {
    GatewayArgs::command()
}

/// Entry point; `args` exclude the program and `gateway`. Returns the exit code.
pub fn run(args: Vec<OsString>) -> i32 {
    let mut argv = vec![OsString::from("etcd-gateway")];
    argv.extend(
        super::server::normalize_go_flags(
            std::iter::once(OsString::from("x")).chain(args).collect(),
        )
        .into_iter()
        .skip(1),
    );
    let parsed = match GatewayArgs::try_parse_from(argv) {
        Ok(p) => p,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 1 } else { 0 };
        }
    };
    let GatewayCmd::Start(mut start) = parsed.cmd;
    let retry = match crate::go_text::parse_go_duration(&start.retry_delay) {
        Ok(d) => d,
        Err(e) => {
            let e =
                crate::config::ConfigError::new("retry-delay", &start.retry_delay, e.to_string());
            eprintln!("{e}");
            return 1;
        }
    };
    crate::observability::init_logging("info");
    if !start.discovery_srv.is_empty() {
        let ca = (!start.trusted_ca_file.is_empty())
            .then(|| std::path::Path::new(&start.trusted_ca_file));
        match crate::discovery::srv::discover_endpoints_blocking(
            &start.discovery_srv,
            ca,
            start.insecure_discovery,
            &start.discovery_srv_name,
        ) {
            // etcd's stripSchema: the gateway forwards TCP to host:port.
            Ok(found) if !found.srvs.is_empty() => {
                start.endpoints = found
                    .srvs
                    .iter()
                    .map(|s| format!("{}:{}", s.target, s.port))
                    .collect()
            }
            Ok(_) => {}
            Err(e) => {
                eprintln!("{e}");
                return 1;
            }
        }
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
    runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::bind(&start.listen_addr).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("listen tcp {}: bind: {e}", start.listen_addr);
                return 1;
            }
        };
        tracing::info!(address = %start.listen_addr, endpoints = ?start.endpoints, "ready to proxy client requests");
        let gw = Arc::new(crate::proxy::gateway::Gateway::new(&start.endpoints, retry));
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        match gw.serve(listener, shutdown).await {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("{e}");
                1
            }
        }
    })
}
