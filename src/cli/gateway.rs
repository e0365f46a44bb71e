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

/// Strips a URL's scheme as etcd's `stripSchema`: `http://h:p/x` becomes `h:p`; anything
/// without a `scheme://authority` stays as given.
fn strip_schema(ep: &str) -> &str {
    match ep.split_once("://") {
        Some((_, rest)) => {
            let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
            let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
            if host.is_empty() {
                ep
            } else {
                host
            }
        }
        None => ep,
    }
}

/// Go's `net.SplitHostPort`: `host:port` or `[v6]:port`; `None` when missing a port or
/// with too many colons.
fn split_host_port(s: &str) -> Option<(&str, &str)> {
    if let Some(rest) = s.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = after.strip_prefix(':')?;
        (!port.contains(':')).then_some((host, port))
    } else {
        let (host, port) = s.rsplit_once(':')?;
        (!host.contains(':') && !host.contains('[') && !host.contains(']')).then_some((host, port))
    }
}

/// etcd's start-up checks of the gateway (`etcdmain/gateway.go`), with its messages:
/// endpoints must be `host:port` (after dropping a scheme) and resolve, the listen address
/// must be `host:port` and resolve, and no endpoint may resolve to the listen address.
/// Returns the endpoints to proxy to; `Err` is the line etcd prints before exiting 1.
fn check_endpoints(endpoints: &[String], listen: &str) -> Result<Vec<String>, String> {
    use std::net::ToSocketAddrs;
    let eps: Vec<String> = endpoints
        .iter()
        .map(|e| strip_schema(e).to_string())
        .collect();
    let mut targets = Vec::new();
    for ep in &eps {
        let (h, p) = split_host_port(ep).ok_or_else(|| format!("error parsing endpoint {ep:?}"))?;
        let digits: String = p.chars().take_while(char::is_ascii_digit).collect();
        let port: u16 = digits.parse().unwrap_or(0);
        targets.push((h.to_string(), port));
    }
    let (lhost, lport) = split_host_port(listen)
        .ok_or_else(|| format!("failed to validate listen address: {listen}"))?;
    let lookup = |h: &str| -> Option<Vec<std::net::IpAddr>> {
        let h = if h.is_empty() { "0.0.0.0" } else { h };
        (h, 0u16)
            .to_socket_addrs()
            .ok()
            .map(|a| a.map(|a| a.ip()).collect())
    };
    let laddrs = lookup(lhost).ok_or_else(|| format!("failed to resolve listen host: {lhost}"))?;
    for (host, port) in &targets {
        let eaddrs =
            lookup(host).ok_or_else(|| format!("failed to resolve endpoint host: {host}"))?;
        if port.to_string() != lport {
            continue;
        }
        if let Some(ea) = eaddrs.iter().find(|a| laddrs.contains(a)) {
            return Err(format!(
                "SRV or endpoint ({host}:{port}->{ea}:{port}) should not resolve to the gateway listen addr ({listen})"
            ));
        }
    }
    if eps.is_empty() {
        return Err("no endpoints found".into());
    }
    Ok(eps)
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
    let endpoints = match check_endpoints(&start.endpoints, &start.listen_addr) {
        Ok(e) => e,
        Err(msg) => {
            // etcd prints the parse error without a newline, the others with one.
            if msg.starts_with("error parsing endpoint") {
                print!("{msg}");
            } else {
                println!("{msg}");
            }
            use std::io::Write;
            let _ = std::io::stdout().flush();
            return 1;
        }
    };
    let runtime = match super::multi_thread_runtime_or_exit() {
        Ok(r) => r,
        Err(code) => return code,
    };
    runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::bind(&start.listen_addr).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("listen tcp {}: bind: {e}", start.listen_addr);
                return 1;
            }
        };
        // etcd's tcpproxy line, Go's `%+v` of the endpoint list.
        tracing::info!(target: "tcpproxy", "ready to proxy client requests to [{}]", endpoints.join(" "));
        let gw = Arc::new(crate::proxy::gateway::Gateway::new(&endpoints, retry));
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_checked_like_etcds_gateway() {
        let eps = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            check_endpoints(
                &eps(&["http://127.0.0.1:2379", "127.0.0.1:22379"]),
                "127.0.0.1:23790"
            )
            .unwrap(),
            ["127.0.0.1:2379", "127.0.0.1:22379"]
        );
        assert_eq!(
            check_endpoints(&eps(&["infra0.example.com"]), "127.0.0.1:23790").unwrap_err(),
            "error parsing endpoint \"infra0.example.com\""
        );
        assert_eq!(
            check_endpoints(&eps(&["127.0.0.1:2379"]), "127.0.0.1").unwrap_err(),
            "failed to validate listen address: 127.0.0.1"
        );
        assert!(
            check_endpoints(&eps(&["127.0.0.1:23790"]), "127.0.0.1:23790")
                .unwrap_err()
                .contains("should not resolve to the gateway listen addr")
        );
        assert_eq!(split_host_port("[::1]:2379"), Some(("::1", "2379")));
        assert_eq!(split_host_port("a:b:c"), None);
    }
}
