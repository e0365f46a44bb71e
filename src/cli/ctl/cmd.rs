//! Command bodies: resolve the parsed flags into requests (etcdctl's argument checks and exit
//! codes), call the cluster and print.

use std::io::{BufRead, Read, Write};
use std::time::Instant;

use super::printer::{
    go_duration as fmt_duration, EpHashKv, EpHealth, EpStatus, OutputFormat, PrintError, Printer,
};
use super::{
    go_parse_int, txn, Cli, Command, CompactionArgs, DelArgs, EndpointArgs, EndpointCommand, Exit,
    GetArgs, GlobalArgs, MemberCommand, PutArgs, Result, API_VERSION, ETCDCTL_VERSION,
    EXIT_BAD_ARGS, EXIT_BAD_CONNECTION, EXIT_BAD_FEATURE, EXIT_ERROR,
};
use crate::client::{Client, ClientConfig};
use crate::pb::etcdserverpb::{
    range_request::{SortOrder, SortTarget},
    CompactionRequest, DeleteRangeRequest, MemberListRequest, PutRequest, RangeRequest,
};

/// clientv3's `GetPrefixRangeEnd`: the smallest key above every key with `prefix`.
pub(crate) fn prefix_end(prefix: &[u8]) -> Vec<u8> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return end;
        }
    }
    vec![0]
}

/// Applies etcdctl's `--prefix` / `--from-key` to a key: returns (key, range_end).
fn key_range(
    key: &str,
    prefix: bool,
    from_key: bool,
    range_end: Option<&str>,
) -> (Vec<u8>, Vec<u8>) {
    let mut key = key.as_bytes().to_vec();
    let mut end = range_end.map(|e| e.as_bytes().to_vec()).unwrap_or_default();
    if prefix {
        if key.is_empty() {
            key = vec![0];
            end = vec![0];
        } else {
            end = prefix_end(&key);
        }
    }
    if from_key {
        if key.is_empty() {
            key = vec![0];
        }
        end = vec![0];
    }
    (key, end)
}

const BOTH: &str = "`--prefix` and `--from-key` cannot be set at the same time, choose one";
const TOO_MANY: &str =
    "too many arguments, only accept one argument when `--prefix` or `--from-key` is set";

/// etcdctl's `getGetOp`.
///
/// # Errors
/// etcdctl's argument errors (exit 128) and unknown `--consistency`, `--order`, `--sort-by`
/// values (exit 4).
pub(crate) fn get_op(a: &GetArgs) -> Result<RangeRequest> {
    let Some(key) = a.args.first() else {
        return Err(Exit::new(
            EXIT_BAD_ARGS,
            "get command needs one argument as key and an optional argument as range_end",
        ));
    };
    if a.prefix && a.from_key {
        return Err(Exit::new(EXIT_BAD_ARGS, BOTH));
    }
    let serializable = match a.consistency.as_str() {
        "s" => true,
        "l" => false,
        c => {
            return Err(Exit::new(
                EXIT_BAD_FEATURE,
                format!(
                    "unknown consistency flag {}",
                    super::printer::go_quote(c.as_bytes())
                ),
            ))
        }
    };
    if a.args.len() > 1 && (a.prefix || a.from_key) {
        return Err(Exit::new(EXIT_BAD_ARGS, TOO_MANY));
    }
    let mut order = match a.order.to_uppercase().as_str() {
        "ASCEND" => SortOrder::Ascend,
        "DESCEND" => SortOrder::Descend,
        "" => SortOrder::None,
        _ => {
            return Err(Exit::new(
                EXIT_BAD_FEATURE,
                format!("bad sort order {}", a.order),
            ))
        }
    };
    let target = match a.sort_by.to_uppercase().as_str() {
        "CREATE" => SortTarget::Create,
        "KEY" | "" => SortTarget::Key,
        "MODIFY" => SortTarget::Mod,
        "VALUE" => SortTarget::Value,
        "VERSION" => SortTarget::Version,
        _ => {
            return Err(Exit::new(
                EXIT_BAD_FEATURE,
                format!("bad sort target {}", a.sort_by),
            ))
        }
    };
    if target == SortTarget::Key && order == SortOrder::Ascend {
        // clientv3.WithSort: the server already returns keys ascending.
        order = SortOrder::None;
    }
    let (key, range_end) = key_range(key, a.prefix, a.from_key, a.args.get(1).map(String::as_str));
    Ok(RangeRequest {
        key,
        range_end,
        limit: a.limit,
        revision: a.rev.max(0),
        sort_order: order as i32,
        sort_target: target as i32,
        serializable,
        keys_only: a.keys_only,
        count_only: a.count_only,
        min_mod_revision: a.min_mod_revision,
        max_mod_revision: a.max_mod_revision,
        min_create_revision: a.min_create_revision,
        max_create_revision: a.max_create_revision,
    })
}

/// etcdctl's `getPutOp`; the value comes from `stdin` when not given.
///
/// # Errors
/// etcdctl's argument errors (exit 128).
pub(crate) fn put_op(a: &PutArgs, stdin: &mut dyn Read) -> Result<PutRequest> {
    const NEEDS: &str = "put command needs 1 argument and input from stdin or 2 arguments";
    let Some(key) = a.args.first() else {
        return Err(Exit::new(EXIT_BAD_ARGS, NEEDS));
    };
    if a.ignore_value && a.args.len() > 1 {
        return Err(Exit::new(
            EXIT_BAD_ARGS,
            "put command needs only 1 argument when 'ignore-value' is set",
        ));
    }
    let mut value = Vec::new();
    if !a.ignore_value {
        if let Some(v) = a.args.get(1) {
            value = v.as_bytes().to_vec();
        } else if stdin.read_to_end(&mut value).is_err() || value.is_empty() {
            return Err(Exit::new(EXIT_BAD_ARGS, NEEDS));
        }
    }
    let lease = go_parse_int(&a.lease, 16).map_err(|e| {
        Exit::new(
            EXIT_BAD_ARGS,
            format!("bad lease ID ({e}), expecting ID in Hex"),
        )
    })?;
    Ok(PutRequest {
        key: key.as_bytes().to_vec(),
        value,
        lease,
        prev_kv: a.prev_kv,
        ignore_value: a.ignore_value,
        ignore_lease: a.ignore_lease,
    })
}

/// etcdctl's `getDelOp`.
///
/// # Errors
/// etcdctl's argument errors (exit 128).
pub(crate) fn del_op(a: &DelArgs) -> Result<DeleteRangeRequest> {
    if a.args.is_empty() || a.args.len() > 2 {
        return Err(Exit::new(
            EXIT_BAD_ARGS,
            "del command needs one argument as key and an optional argument as range_end",
        ));
    }
    if a.prefix && a.from_key {
        return Err(Exit::new(EXIT_BAD_ARGS, BOTH));
    }
    if a.args.len() > 1 && (a.prefix || a.from_key) {
        return Err(Exit::new(EXIT_BAD_ARGS, TOO_MANY));
    }
    let (key, range_end) = key_range(
        &a.args[0],
        a.prefix,
        a.from_key,
        a.args.get(1).map(String::as_str),
    );
    Ok(DeleteRangeRequest {
        key,
        range_end,
        prev_kv: a.prev_kv,
    })
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
    if g.discovery_srv.as_deref().is_some_and(|d| !d.is_empty()) {
        return Err(Exit::new(
            EXIT_ERROR,
            "DNS discovery is not supported yet by this etcdctl",
        ));
    }
    Ok(Env {
        printer: Printer {
            format,
            hex: g.hex,
            value_only: false,
        },
        cfg: ClientConfig {
            endpoints: g.endpoints.iter().map(|e| e.trim().to_string()).collect(),
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

pub(super) fn call_err(e: crate::client::Error) -> Exit {
    if matches!(e, crate::client::Error::Authentication { .. }) {
        // etcdctl's mustClientFromCmd: the client could not be created.
        return Exit::new(EXIT_BAD_CONNECTION, e.to_string());
    }
    Exit::new(EXIT_ERROR, e.to_string())
}

pub(super) fn print_err(e: PrintError) -> Exit {
    match e {
        PrintError::Unsupported(_) => Exit::new(EXIT_BAD_FEATURE, e.to_string()),
        PrintError::Io(e) => Exit::new(super::EXIT_IO, e.to_string()),
    }
}

/// Runs a parsed command.
pub(crate) async fn execute(
    cli: Cli,
    stdin: &mut dyn BufRead,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<()> {
    let g = &cli.global;
    match cli.command {
        Command::Version => {
            writeln!(out, "etcdctl version: {ETCDCTL_VERSION}").map_err(io_err)?;
            writeln!(out, "API version: {API_VERSION}").map_err(io_err)?;
            Ok(())
        }
        Command::Put(a) => {
            let req = put_op(&a, stdin)?;
            let env = env(g)?;
            let resp = client(&env.cfg)?.put(req).await.map_err(call_err)?;
            env.printer.put(out, &resp).map_err(print_err)
        }
        Command::Get(a) => {
            let req = get_op(&a)?;
            let mut env = env(g)?;
            let resp = client(&env.cfg)?.range(req).await.map_err(call_err)?;
            if a.count_only && env.printer.format != OutputFormat::Fields {
                // etcdctl 3.5's rule for its --count-only flag.
                return Err(Exit::new(
                    EXIT_BAD_ARGS,
                    "--count-only is only for `--write-out=fields`",
                ));
            }
            if a.print_value_only {
                if env.printer.format != OutputFormat::Simple {
                    return Err(Exit::new(
                        EXIT_BAD_ARGS,
                        "print-value-only is only for `--write-out=simple`",
                    ));
                }
                env.printer.value_only = true;
            }
            env.printer.get(out, &resp).map_err(print_err)
        }
        Command::Del(a) => {
            let req = del_op(&a)?;
            let env = env(g)?;
            let resp = client(&env.cfg)?
                .delete_range(req)
                .await
                .map_err(call_err)?;
            env.printer.del(out, &resp).map_err(print_err)
        }
        Command::Txn(a) => {
            if !a.args.is_empty() {
                return Err(Exit::new(
                    EXIT_BAD_ARGS,
                    "txn command does not accept argument",
                ));
            }
            let env = env(g)?;
            let c = client(&env.cfg)?;
            let req = txn::read_txn(stdin, a.interactive, out)?;
            let resp = c.txn(req).await.map_err(call_err)?;
            env.printer.txn(out, &resp).map_err(print_err)
        }
        Command::Compaction(a) => compaction(g, &a, out).await,
        Command::Member {
            command: MemberCommand::List,
        } => {
            let env = env(g)?;
            let resp = client(&env.cfg)?
                .member_list(MemberListRequest::default())
                .await
                .map_err(call_err)?;
            env.printer.member_list(out, &resp).map_err(print_err)
        }
        Command::Member { command } => super::member::member(g, command, out, err).await,
        Command::MoveLeader { args } => super::member::move_leader(g, &args, out).await,
        Command::Endpoint(a) => endpoint(g, &a, out, err).await,
        Command::Watch(a) => super::more::watch(g, a, out, err).await,
        Command::Lease { command } => super::more::lease(g, command, out).await,
        Command::Lock(a) => super::more::lock(g, a, out).await,
        Command::Elect(a) => super::more::elect(g, a, out).await,
        Command::Snapshot { command } => super::more::snapshot(g, command, out, err).await,
        Command::Defrag(a) => super::more::defrag(g, a, out, err).await,
        Command::Check { command } => super::check::check(g, command, out).await,
        Command::Alarm { command } => super::more::alarm(g, command, out).await,
        Command::Auth { command } => super::auth::auth(g, command, out).await,
        Command::User { command } => super::auth::user(g, command, stdin, out).await,
        Command::Role { command } => super::auth::role(g, command, out).await,
    }
}

pub(super) fn io_err(e: std::io::Error) -> Exit {
    Exit::new(super::EXIT_IO, e.to_string())
}

async fn compaction(g: &GlobalArgs, a: &CompactionArgs, out: &mut dyn Write) -> Result<()> {
    if a.args.len() != 1 {
        return Err(Exit::new(
            EXIT_BAD_ARGS,
            "compaction command needs 1 argument",
        ));
    }
    let rev = go_parse_int(&a.args[0], 10).map_err(|e| Exit::new(EXIT_ERROR, e))?;
    let env = env(g)?;
    client(&env.cfg)?
        .compact(CompactionRequest {
            revision: rev,
            physical: a.physical,
        })
        .await
        .map_err(call_err)?;
    writeln!(out, "compacted revision {rev}").map_err(io_err)
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

async fn endpoint(
    g: &GlobalArgs,
    a: &EndpointArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<()> {
    let env = env(g)?;
    let eps = endpoints(&env, a.cluster).await?;
    let one = |ep: &str| ClientConfig {
        endpoints: vec![ep.to_string()],
        ..env.cfg.clone()
    };
    match &a.command {
        EndpointCommand::Health => {
            let checks = eps.iter().map(|ep| {
                let cfg = one(ep);
                async move {
                    let ep = cfg.endpoints[0].clone();
                    let c = match Client::new(&cfg) {
                        Ok(c) => c,
                        Err(e) => {
                            return EpHealth {
                                ep,
                                health: false,
                                took: String::new(),
                                error: e.to_string(),
                            }
                        }
                    };
                    let start = Instant::now();
                    let r = c
                        .range(RangeRequest {
                            key: b"health".to_vec(),
                            ..Default::default()
                        })
                        .await;
                    let took = fmt_duration(start.elapsed());
                    match r {
                        Ok(_) => EpHealth {
                            ep,
                            health: true,
                            took,
                            error: String::new(),
                        },
                        // Permission denied still went through consensus: healthy.
                        Err(e) if e.to_string() == "etcdserver: permission denied" => EpHealth {
                            ep,
                            health: true,
                            took,
                            error: String::new(),
                        },
                        Err(e) => EpHealth {
                            ep,
                            health: false,
                            took,
                            error: e.to_string(),
                        },
                    }
                }
            });
            let hs = futures::future::join_all(checks).await;
            env.printer
                .endpoint_health(out, err, &hs)
                .map_err(print_err)?;
            if hs.iter().any(|h| !h.error.is_empty()) {
                return Err(Exit::new(EXIT_ERROR, "unhealthy cluster"));
            }
            Ok(())
        }
        EndpointCommand::Status => {
            let mut list = Vec::new();
            let mut failed = false;
            for ep in &eps {
                let r = match Client::new(&one(ep)) {
                    Ok(c) => c.status().await,
                    Err(e) => Err(e),
                };
                match r {
                    Ok(resp) => list.push(EpStatus {
                        ep: ep.clone(),
                        resp,
                    }),
                    Err(e) => {
                        failed = true;
                        let _ = writeln!(err, "Failed to get the status of endpoint {ep} ({e})");
                    }
                }
            }
            env.printer.endpoint_status(out, &list).map_err(print_err)?;
            if failed {
                return Err(Exit::new(EXIT_ERROR, ""));
            }
            Ok(())
        }
        EndpointCommand::Hashkv { rev } => {
            let mut last_err = None;
            let mut rows = Vec::new();
            for ep in &eps {
                let r = match Client::new(&one(ep)) {
                    Ok(c) => c.hash_kv(*rev).await,
                    Err(e) => Err(e),
                };
                match r {
                    Ok(resp) => rows.push(EpHashKv {
                        ep: ep.clone(),
                        resp,
                    }),
                    Err(e) => {
                        let _ = writeln!(err, "Failed to get the hash of endpoint {ep} ({e})");
                        last_err = Some(e.to_string());
                    }
                }
            }
            env.printer.endpoint_hashkv(out, &rows).map_err(print_err)?;
            match last_err {
                Some(e) => Err(Exit::new(EXIT_ERROR, e)),
                None => Ok(()),
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn prefix_end_like_clientv3() {
        assert_eq!(prefix_end(b"foo"), b"fop");
        assert_eq!(prefix_end(b"a\xff"), b"b");
        assert_eq!(prefix_end(b"\xff\xff"), b"\0");
    }
}
