//! The v2 global flags and what they resolve to (etcdctl's `ctlv2/command/util.go`): the
//! endpoints (`--endpoints`, `ETCDCTL_ENDPOINTS`, `--endpoint`, `ETCDCTL_ENDPOINT`, `--peers`,
//! `ETCDCTL_PEERS`, else `http://127.0.0.1:2379,http://127.0.0.1:4001`; `--discovery-srv`
//! first), TLS files (`--ca-file`, `--cert-file`, `--key-file` or `ETCDCTL_*_FILE`), the
//! user (`--username`, `ETCDCTL_USERNAME`), the cluster sync (`mustNewClient`), the total
//! timeout, and the `Error:  <err>` report (`handleError`).

use std::future::Future;
use std::io::{BufRead, Write};
use std::sync::Arc;
use std::time::Duration;

use super::{Fail, GlobalArgs, Result, EXIT_BAD_ARGS, EXIT_BAD_CONNECTION, EXIT_SERVER_ERROR};
use crate::client::v2::{V2Client, V2Config, V2Error};

/// etcdctl's `handleError`: `Error:  <err>` (Go's `Println` puts two spaces) and, for a
/// cluster error, its per-endpoint detail.
pub(super) fn handle_error(code: i32, e: &V2Error) -> Fail {
    let mut stderr = format!("Error:  {e}\n");
    if let Some(d) = e.detail() {
        stderr.push_str(&d);
        stderr.push('\n');
    }
    Fail { code, stderr }
}

/// An error printed bare (`fmt.Fprintln(os.Stderr, err.Error())`) with exit 1.
pub(super) fn plain(e: &V2Error) -> Fail {
    Fail::line(EXIT_BAD_ARGS, e)
}

/// `value` unless empty, else the environment variable.
fn flag_or_env(value: &Option<String>, env: &str) -> String {
    match value.as_deref() {
        Some(v) if !v.is_empty() => v.to_string(),
        _ => std::env::var(env).unwrap_or_default(),
    }
}

/// etcdctl's `getPeersFlagValue`.
fn peers(g: &GlobalArgs) -> Vec<String> {
    let candidates = [
        (&g.endpoints, "ETCDCTL_ENDPOINTS"),
        (&g.endpoint, "ETCDCTL_ENDPOINT"),
        (&g.peers, "ETCDCTL_PEERS"),
    ];
    let mut s = String::new();
    for (flag, env) in candidates {
        s = flag_or_env(flag, env);
        if !s.is_empty() {
            break;
        }
    }
    if s.is_empty() {
        s = "http://127.0.0.1:2379,http://127.0.0.1:4001".to_string();
    }
    s.split(',').map(str::to_string).collect()
}

/// etcdctl's `getDomainDiscoveryFlagValue`: the endpoints found through DNS SRV for
/// `--discovery-srv` / `-D` / `ETCDCTL_DISCOVERY_SRV` (`_etcd-client-ssl[-<name>]._tcp`, then
/// `_etcd-client[-<name>]._tcp`, the name from `ETCDCTL_DISCOVERY_SRV_NAME`), `None` when no
/// domain is given. Unless `--insecure-discovery` (or `ETCDCTL_INSECURE_DISCOVERY` set),
/// `http://` endpoints are dropped with etcdctl's `ignoring discovered insecure endpoint`
/// line on stderr. A failed lookup is printed bare, exit 1 (etcdctl's `mustNewClient`).
fn discovered(g: &GlobalArgs) -> Result<Option<Vec<String>>> {
    let domain = flag_or_env(&g.discovery_srv, "ETCDCTL_DISCOVERY_SRV");
    if domain.is_empty() {
        return Ok(None);
    }
    let insecure = g.insecure_discovery
        || std::env::var_os("ETCDCTL_INSECURE_DISCOVERY").is_some_and(|v| !v.is_empty());
    let name = std::env::var("ETCDCTL_DISCOVERY_SRV_NAME").unwrap_or_default();
    let found = crate::discovery::srv::get_client_blocking("etcd-client", &domain, &name)
        .map_err(|e| Fail::line(EXIT_BAD_ARGS, e))?;
    if insecure {
        return Ok(Some(found.endpoints));
    }
    let mut eps = Vec::new();
    for ep in found.endpoints {
        if ep.starts_with("http://") {
            eprintln!("ignoring discovered insecure endpoint {ep:?}");
            continue;
        }
        eps.push(ep);
    }
    Ok(Some(eps))
}

/// etcdctl's `newClient`: the endpoints, TLS, header timeout and credentials.
pub(super) fn new_client(g: &GlobalArgs, stdin: Option<&mut dyn BufRead>) -> Result<V2Client> {
    let eps = match discovered(g)? {
        Some(eps) if !eps.is_empty() => eps,
        _ => peers(g),
    };
    let file = |v: &Option<String>, env: &str| {
        let f = flag_or_env(v, env);
        (!f.is_empty()).then(|| std::path::PathBuf::from(f))
    };
    let ca = file(&g.ca_file, "ETCDCTL_CA_FILE");
    let cert = file(&g.cert_file, "ETCDCTL_CERT_FILE");
    let key = file(&g.key_file, "ETCDCTL_KEY_FILE");
    let tls = if ca.is_some() || cert.is_some() || key.is_some() {
        Some(crate::tls::ClientTlsOptions {
            ca_file: ca,
            cert_file: cert,
            key_file: key,
            insecure_skip_verify: false,
        })
    } else {
        None
    };
    let user = flag_or_env(&g.username, "ETCDCTL_USERNAME");
    let credentials = if user.is_empty() {
        None
    } else {
        Some(username_password("Password: ", &user, stdin)?)
    };
    let total = g.total_timeout;
    let dial = if !total.is_zero() && total < Duration::from_secs(30) {
        total
    } else {
        Duration::from_secs(30)
    };
    let mut c = V2Client::new(&V2Config {
        endpoints: eps,
        tls,
        header_timeout: g.timeout,
        dial_timeout: dial,
        credentials,
    })
    .map_err(|e| plain(&e))?;
    if g.debug {
        c.set_debug(Arc::new(|line: &str| eprintln!("{line}")));
    }
    Ok(c)
}

/// etcdctl's `getUsernamePassword`: `name:password`, or `name` and the password read after
/// `prompt` (on stdout) from stdin.
pub(super) fn username_password(
    prompt: &str,
    flag: &str,
    stdin: Option<&mut dyn BufRead>,
) -> Result<(String, String)> {
    if let Some((u, p)) = flag.split_once(':') {
        return Ok((u.to_string(), p.to_string()));
    }
    // speakeasy (etcdctl's prompt) writes the prompt and, after the answer, a newline to
    // stdout.
    print!("{prompt}");
    let _ = std::io::stdout().flush();
    let mut line = String::new();
    let r = match stdin {
        Some(s) => s.read_line(&mut line),
        None => std::io::stdin().read_line(&mut line),
    };
    println!();
    r.map_err(|e| Fail::line(EXIT_BAD_ARGS, e))?;
    Ok((
        flag.to_string(),
        line.trim_end_matches(['\n', '\r']).to_string(),
    ))
}

/// etcdctl's `mustNewClient`: [`new_client`], then (unless `--no-sync`) the member list
/// replaces the endpoints; a sync that cannot connect exits 2, other sync failures are
/// ignored as in etcdctl.
pub(super) async fn must_client(g: &GlobalArgs) -> Result<V2Client> {
    let mut c = new_client(g, None)?;
    if !g.no_sync {
        if g.debug {
            eprintln!(
                "start to sync cluster using endpoints({})",
                c.endpoints().join(",")
            );
        }
        match with_total_timeout(g, c.sync()).await {
            Ok(()) => {}
            Err(V2Error::NoEndpoints) => {
                let mut f = handle_error(EXIT_SERVER_ERROR, &V2Error::NoEndpoints);
                f.stderr = format!(
                    "etcd cluster has no published client endpoints.\nTry '--no-sync' if you want to access non-published client endpoints({}).\n{}",
                    c.endpoints().join(","),
                    f.stderr
                );
                return Err(f);
            }
            Err(e) if e.is_connection_error() => {
                return Err(handle_error(EXIT_BAD_CONNECTION, &e));
            }
            Err(_) => {}
        }
        if g.debug {
            eprintln!("got endpoints({}) after sync", c.endpoints().join(","));
        }
    }
    if g.debug {
        eprintln!("Cluster-Endpoints: {}", c.endpoints().join(", "));
    }
    Ok(c)
}

/// etcdctl's `mustNewClientNoSync`.
pub(super) fn must_client_no_sync(g: &GlobalArgs) -> Result<V2Client> {
    let c = new_client(g, None)?;
    if g.debug {
        eprintln!("Cluster-Endpoints: {}", c.endpoints().join(", "));
    }
    Ok(c)
}

/// etcdctl's `contextWithTotalTimeout`: `fut` bounded by `--total-timeout`.
pub(super) async fn with_total_timeout<T>(
    g: &GlobalArgs,
    fut: impl Future<Output = std::result::Result<T, V2Error>>,
) -> std::result::Result<T, V2Error> {
    match tokio::time::timeout(g.total_timeout, fut).await {
        Ok(r) => r,
        Err(_) => Err(V2Error::DeadlineExceeded),
    }
}

/// A write failure of stdout (etcdctl would die on SIGPIPE; report and exit 1).
pub(super) fn io_fail(e: std::io::Error) -> Fail {
    Fail::line(EXIT_BAD_ARGS, e)
}
