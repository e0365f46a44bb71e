//! `etcd grpc-proxy start`: etcd's L7 gRPC proxy flags → [`crate::proxy::grpc`].

use std::ffi::OsString;
use std::sync::Arc;

use clap::{CommandFactory, Parser, Subcommand};

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

/// `etcd grpc-proxy start` flags (the subset of etcd 3.4's this proxy honours).
#[derive(Debug, clap::Args)]
struct StartArgs {
    /// Comma separated etcd cluster endpoints.
    #[arg(long, value_delimiter = ',', default_value = "127.0.0.1:2379")]
    endpoints: Vec<String>,
    /// Listen address.
    #[arg(long, default_value = "127.0.0.1:23790")]
    listen_addr: String,
    /// String to prefix to all keys for namespacing requests.
    #[arg(long, default_value = "")]
    namespace: String,
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
    let cfg = crate::client::ClientConfig {
        endpoints: start.endpoints.clone(),
        ..Default::default()
    };
    let client = match crate::client::Client::new(&cfg) {
        Ok(c) => Arc::new(c),
        Err(e) => {
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
        tracing::info!(address = %start.listen_addr, endpoints = ?start.endpoints, namespace = %start.namespace, "ready to proxy client requests");
        let proxy = crate::proxy::grpc::Proxy::new(client, &start.namespace);
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        match crate::proxy::grpc::serve(listener, proxy, shutdown).await {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("{e}");
                1
            }
        }
    })
}
