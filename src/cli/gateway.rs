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
    let GatewayCmd::Start(start) = parsed.cmd;
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
