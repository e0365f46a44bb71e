//! The global flags and what they resolve to (etcdctl's `clientConfigFromCmd`,
//! `initDisplayFromCmd`, `authCfgFromCmd`): the printer, the client configuration, the
//! client, and the endpoint list of the endpoint-wide commands.

use std::time::Duration;

use clap::Args;

use super::exit::{Exit, Result, EXIT_BAD_ARGS, EXIT_BAD_CONNECTION, EXIT_BAD_FEATURE, EXIT_ERROR};
use super::flags::{go_bool, go_duration};
use super::printer::{OutputFormat, Printer};
use crate::client::{Client, ClientConfig};
use crate::pb::etcdserverpb::MemberListRequest;

/// etcdctl's global (persistent) flags, each with its `ETCDCTL_*` environment twin.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// gRPC endpoints
    #[arg(
        long,
        global = true,
        env = "ETCDCTL_ENDPOINTS",
        value_delimiter = ',',
        default_value = "127.0.0.1:2379"
    )]
    pub endpoints: Vec<String>,
    /// enable client-side debug logging
    #[arg(long, global = true, env = "ETCDCTL_DEBUG", num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_parser = go_bool)]
    pub debug: bool,
    /// set the output format (fields, json, protobuf, simple, table)
    #[arg(
        short = 'w',
        long,
        global = true,
        env = "ETCDCTL_WRITE_OUT",
        default_value = "simple"
    )]
    pub write_out: String,
    /// print byte strings as hex encoded strings
    #[arg(long, global = true, env = "ETCDCTL_HEX", num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_parser = go_bool)]
    pub hex: bool,
    /// dial timeout for client connections
    #[arg(long, global = true, env = "ETCDCTL_DIAL_TIMEOUT", default_value = "2s", value_parser = go_duration)]
    pub dial_timeout: Duration,
    /// timeout for short running command (excluding dial timeout)
    #[arg(long, global = true, env = "ETCDCTL_COMMAND_TIMEOUT", default_value = "5s", value_parser = go_duration)]
    pub command_timeout: Duration,
    /// keepalive time for client connections
    #[arg(long, global = true, env = "ETCDCTL_KEEPALIVE_TIME", default_value = "2s", value_parser = go_duration)]
    pub keepalive_time: Duration,
    /// keepalive timeout for client connections
    #[arg(long, global = true, env = "ETCDCTL_KEEPALIVE_TIMEOUT", default_value = "6s", value_parser = go_duration)]
    pub keepalive_timeout: Duration,
    /// disable transport security for client connections
    #[arg(long, global = true, env = "ETCDCTL_INSECURE_TRANSPORT", num_args = 0..=1, require_equals = true, default_value = "true", default_missing_value = "true", value_parser = go_bool)]
    pub insecure_transport: bool,
    /// accept insecure SRV records describing cluster endpoints
    #[arg(long, global = true, env = "ETCDCTL_INSECURE_DISCOVERY", num_args = 0..=1, require_equals = true, default_value = "true", default_missing_value = "true", value_parser = go_bool)]
    pub insecure_discovery: bool,
    /// skip server certificate verification (CAUTION: this option should be enabled only for testing purposes)
    #[arg(long, global = true, env = "ETCDCTL_INSECURE_SKIP_TLS_VERIFY", num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_parser = go_bool)]
    pub insecure_skip_tls_verify: bool,
    /// identify secure client using this TLS certificate file
    #[arg(long, global = true, env = "ETCDCTL_CERT")]
    pub cert: Option<String>,
    /// identify secure client using this TLS key file
    #[arg(long, global = true, env = "ETCDCTL_KEY")]
    pub key: Option<String>,
    /// verify certificates of TLS-enabled secure servers using this CA bundle
    #[arg(long, global = true, env = "ETCDCTL_CACERT")]
    pub cacert: Option<String>,
    /// username[:password] for authentication (prompt if password is not supplied)
    #[arg(long, global = true, env = "ETCDCTL_USER")]
    pub user: Option<String>,
    /// password for authentication (if this option is used, --user option shouldn't include password)
    #[arg(long, global = true, env = "ETCDCTL_PASSWORD")]
    pub password: Option<String>,
    /// domain name to query for SRV records describing cluster endpoints
    #[arg(short = 'd', long, global = true, env = "ETCDCTL_DISCOVERY_SRV")]
    pub discovery_srv: Option<String>,
    /// service name to query when using DNS discovery
    #[arg(long, global = true, env = "ETCDCTL_DISCOVERY_SRV_NAME")]
    pub discovery_srv_name: Option<String>,
}

/// Resolved global settings: the printer and the client configuration.
pub(super) struct Env {
    pub(super) printer: Printer,
    pub(super) cfg: ClientConfig,
}

/// etcdctl's `clientConfigFromCmd` + `initDisplayFromCmd`.
pub(super) fn env(g: &GlobalArgs) -> Result<Env> {
    let format = OutputFormat::parse(&g.write_out)
        .ok_or_else(|| Exit::new(EXIT_BAD_FEATURE, "unsupported output format"))?;
    for (name, v) in [("cert", &g.cert), ("key", &g.key), ("cacert", &g.cacert)] {
        if let Some(v) = v {
            if v.is_empty() {
                return Err(Exit::new(
                    EXIT_BAD_ARGS,
                    format!("empty string is passed to --{name} option"),
                ));
            }
        }
    }
    let path = |v: &Option<String>| v.as_ref().map(std::path::PathBuf::from);
    let mut tls = if g.cert.is_some() || g.key.is_some() || g.cacert.is_some() {
        Some(crate::tls::ClientTlsOptions {
            ca_file: path(&g.cacert),
            cert_file: path(&g.cert),
            key_file: path(&g.key),
            insecure_skip_verify: false,
        })
    } else if !g.insecure_transport {
        // etcdctl: a secure connection without files still gets an (empty) TLS config.
        Some(crate::tls::ClientTlsOptions::default())
    } else {
        None
    };
    if let Some(t) = tls.as_mut() {
        t.insecure_skip_verify = g.insecure_skip_tls_verify;
    }
    let endpoints = match discovered_endpoints(g)? {
        Some(eps) if !eps.is_empty() => eps,
        _ => g.endpoints.iter().map(|e| e.trim().to_string()).collect(),
    };
    Ok(Env {
        printer: Printer {
            format,
            hex: g.hex,
            value_only: false,
        },
        cfg: ClientConfig {
            endpoints,
            dial_timeout: g.dial_timeout,
            request_timeout: g.command_timeout,
            credentials: credentials(g)?,
            tls,
        },
    })
}

/// etcdctl's `authCfgFromCmd`: `--user name:password`, `--user name --password pw`, or
/// `--user name` with the password read from stdin after a `Password: ` prompt (on stderr).
///
/// # Errors
/// When the password cannot be read (exit 1).
/// etcdctl's `endpointsFromFlagValue`: with `--discovery-srv`, the endpoints of the
/// `_etcd-client-ssl._tcp` / `_etcd-client._tcp` records (`--discovery-srv-name` suffix);
/// `http://` ones are dropped (with etcdctl's notice) unless `--insecure-discovery`.
/// `None` without `--discovery-srv`; an empty list falls back to `--endpoints`.
fn discovered_endpoints(g: &GlobalArgs) -> Result<Option<Vec<String>>> {
    let Some(domain) = g.discovery_srv.as_deref().filter(|d| !d.is_empty()) else {
        return Ok(None);
    };
    let found = crate::discovery::srv::get_client_blocking(
        "etcd-client",
        domain,
        g.discovery_srv_name.as_deref().unwrap_or_default(),
    )
    .map_err(|e| Exit::new(EXIT_ERROR, e.to_string()))?;
    if g.insecure_discovery {
        return Ok(Some(found.endpoints));
    }
    let mut secure = Vec::new();
    for ep in found.endpoints {
        if ep.starts_with("http://") {
            eprintln!("ignoring discovered insecure endpoint {ep:?}");
        } else {
            secure.push(ep);
        }
    }
    Ok(Some(secure))
}

fn credentials(g: &GlobalArgs) -> Result<Option<(String, String)>> {
    let Some(user) = g.user.as_deref().filter(|u| !u.is_empty()) else {
        return Ok(None);
    };
    if let Some(pw) = g.password.as_deref().filter(|p| !p.is_empty()) {
        return Ok(Some((user.to_string(), pw.to_string())));
    }
    if let Some((name, pw)) = user.split_once(':') {
        return Ok(Some((name.to_string(), pw.to_string())));
    }
    eprint!("Password: ");
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| Exit::new(EXIT_ERROR, e.to_string()))?;
    Ok(Some((
        user.to_string(),
        line.trim_end_matches(['\n', '\r']).to_string(),
    )))
}

pub(super) fn client(cfg: &ClientConfig) -> Result<Client> {
    Client::new(cfg).map_err(|e| Exit::new(EXIT_BAD_CONNECTION, e.to_string()))
}

/// The endpoints an endpoint command visits: `--endpoints`, or with `--cluster` every client
/// URL of the member list.
pub(super) async fn endpoints(env: &Env, cluster: bool) -> Result<Vec<String>> {
    if !cluster {
        return Ok(env.cfg.endpoints.clone());
    }
    let resp = client(&env.cfg)?
        .member_list(MemberListRequest::default())
        .await
        .map_err(|e| {
            Exit::new(
                EXIT_ERROR,
                format!("failed to fetch endpoints from etcd cluster member list: {e}"),
            )
        })?;
    Ok(resp
        .members
        .into_iter()
        .flat_map(|m| m.client_ur_ls)
        .collect())
}
