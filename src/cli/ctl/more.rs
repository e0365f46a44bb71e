//! etcdctl 3.4's `watch`, `lease`, `lock`, `elect`, `snapshot`, `defrag` and `alarm` commands.
//!
//! Messages, exit codes and output follow `ctlv3/command/{watch,lease,lock,elect,snapshot,
//! defrag,alarm}_command.go`. Departures, on purpose:
//! - `lock` and `elect` use the `v3lockpb.Lock` and `v3electionpb.Election` services with a
//!   lease kept alive by this process (etcdctl runs the same recipe client-side with
//!   `clientv3/concurrency`; the keys, `<name>/<lease hex>`, are the same, so both kinds of
//!   contenders exclude each other);
//! - `watch -i` reads its lines from the process's stdin (tokio), not from the `stdin` given to
//!   [`super::run_with`], because it must read while watches print;
//! - `snapshot save` checks the sha256 trailer of what it downloaded (etcdctl 3.4 only checks
//!   it on restore) and draws a progress bar on stderr when stderr is a terminal;
//! - `snapshot status` reads etcd-oxide snapshots (an LMDB image + sha256 trailer) and refuses
//!   bolt files written by Go etcd.

use std::ffi::OsString;
use std::io::{IsTerminal, Read, Write};
use std::path::Path;
use std::time::Duration;

use futures::stream::SelectAll;
use futures::StreamExt;
use sha2::{Digest, Sha256};

use super::cmd::{call_err, client, endpoints, env, io_err, prefix_end, print_err};
use super::printer::{go_quote, DbStatus, Printer};
use super::{
    go_parse_int, AlarmCommand, DefragArgs, ElectArgs, Exit, GlobalArgs, LeaseCommand, LockArgs,
    Result, SnapshotCommand, WatchArgs, EXIT_BAD_ARGS, EXIT_BAD_CONNECTION, EXIT_ERROR,
    EXIT_INTERRUPTED, EXIT_INVALID_INPUT,
};
use crate::client::{Client, ClientConfig, KeepAlive};
use crate::pb::etcdserverpb::{
    alarm_request::AlarmAction, AlarmRequest, AlarmResponse, RangeRequest, RangeResponse,
    WatchCreateRequest, WatchResponse,
};
use crate::pb::v3electionpb::LeaderKey;

const BAD_ARGS_NUM: &str = "bad number of arguments";
const BAD_ARGS_CONFLICT_ENV: &str = "bad number of arguments (found conflicting environment key)";
const BAD_ARGS_SEPARATOR: &str = "bad number of arguments (found separator --, but no commands)";

fn bad_args(msg: impl Into<String>) -> Exit {
    Exit::new(EXIT_BAD_ARGS, msg)
}

/// Go's `%q` of a `[]string`: `["a" "b"]`.
fn go_quote_list(v: &[String]) -> String {
    let items: Vec<String> = v.iter().map(|s| go_quote(s.as_bytes())).collect();
    format!("[{}]", items.join(" "))
}

/// Go's `os/exec` error text for a command that could not run or failed.
fn exec_error(prog: &str, r: std::io::Result<std::process::ExitStatus>) -> Option<String> {
    match r {
        Ok(st) if st.success() => None,
        Ok(st) => Some(match st.code() {
            Some(c) => format!("exit status {c}"),
            None => "signal: killed".to_string(),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some(format!(
            "exec: {}: executable file not found in $PATH",
            go_quote(prog.as_bytes())
        )),
        Err(e) => Some(go_io_error(&e)),
    }
}

/// An `io::Error` the way Go's `syscall.Errno` prints (`no such file or directory`).
fn go_io_error(e: &std::io::Error) -> String {
    let s = e.to_string();
    let s = s.split(" (os error").next().unwrap_or(&s).to_string();
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
        None => s,
    }
}

/// Resolves when the process receives SIGINT or SIGTERM (etcdctl's `signal.Notify`).
async fn interrupted() {
    use tokio::signal::unix::{signal, SignalKind};
    match (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) {
        (Ok(mut i), Ok(mut t)) => {
            tokio::select! {
                _ = i.recv() => {}
                _ = t.recv() => {}
            }
        }
        // Without signal handlers the default action (terminate) still applies.
        _ => futures::future::pending::<()>().await,
    }
}

// ---------------------------------------------------------------------------------------
// watch

/// The options of one watch (the command's flags, or one interactive `watch ...` line).
#[derive(Debug, Clone, Default)]
struct WatchSpec {
    args: Vec<String>,
    exec: Vec<String>,
    prefix: bool,
    rev: i64,
    prev_kv: bool,
    progress_notify: bool,
}

/// etcdctl's `getWatchChan` option building.
fn watch_request(s: &WatchSpec) -> Result<WatchCreateRequest> {
    let Some(key) = s.args.first() else {
        return Err(bad_args(BAD_ARGS_NUM));
    };
    let mut key = key.as_bytes().to_vec();
    let mut range_end = Vec::new();
    if s.args.len() == 2 {
        if s.prefix {
            return Err(bad_args(
                "`range_end` and `--prefix` are mutually exclusive",
            ));
        }
        range_end = s.args[1].as_bytes().to_vec();
    }
    if s.prefix {
        if key.is_empty() {
            key = vec![0];
            range_end = vec![0];
        } else {
            range_end = prefix_end(&key);
        }
    }
    Ok(WatchCreateRequest {
        key,
        range_end,
        start_revision: s.rev,
        prev_kv: s.prev_kv,
        progress_notify: s.progress_notify,
        ..Default::default()
    })
}

/// clientv3's `WatchResponse.Err()` text for a canceled response.
fn cancel_reason(r: &WatchResponse) -> String {
    if r.compact_revision != 0 {
        "etcdserver: mvcc: required revision has been compacted".to_string()
    } else if !r.cancel_reason.is_empty() {
        r.cancel_reason.clone()
    } else {
        "etcdserver: mvcc: required revision is a future revision".to_string()
    }
}

/// clientv3's `IsProgressNotify`.
fn is_progress_notify(r: &WatchResponse) -> bool {
    r.events.is_empty()
        && !r.canceled
        && !r.created
        && r.compact_revision == 0
        && r.header.as_ref().is_some_and(|h| h.revision != 0)
}

/// What to do after one item of a watch stream.
enum Next {
    Continue,
    /// The watch ended (canceled or failed); the message went to stderr.
    Ended,
}

/// etcdctl's `printWatchCh` for one response: cancel notice, progress line, the response,
/// then the exec command once per event.
fn print_watch_item(
    p: &Printer,
    item: std::result::Result<WatchResponse, crate::client::Error>,
    exec: &[String],
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Next> {
    let resp = match item {
        Ok(r) => r,
        Err(e) => {
            let _ = writeln!(err, "watch was canceled ({e})");
            return Ok(Next::Ended);
        }
    };
    // clientv3 swallows the creation confirmation.
    if resp.created && resp.events.is_empty() && !resp.canceled {
        return Ok(Next::Continue);
    }
    if resp.canceled {
        let _ = writeln!(err, "watch was canceled ({})", cancel_reason(&resp));
    }
    if is_progress_notify(&resp) {
        let rev = resp.header.as_ref().map(|h| h.revision).unwrap_or(0);
        writeln!(out, "progress notify: {rev}").map_err(io_err)?;
    }
    p.watch(out, &resp).map_err(print_err)?;
    out.flush().map_err(io_err)?;
    if let Some((prog, rest)) = exec.split_first() {
        let rev = resp.header.as_ref().map(|h| h.revision).unwrap_or(0);
        for ev in &resp.events {
            let kv = ev.kv.clone().unwrap_or_default();
            let r = std::process::Command::new(prog)
                .args(rest)
                .env("ETCD_WATCH_REVISION", rev.to_string())
                .env(
                    "ETCD_WATCH_EVENT_TYPE",
                    go_quote(super::printer::simple::event_type(ev.r#type).as_bytes()),
                )
                .env("ETCD_WATCH_KEY", OsString::from(go_quote(&kv.key)))
                .env("ETCD_WATCH_VALUE", OsString::from(go_quote(&kv.value)))
                .status();
            if let Some(e) = exec_error(prog, r) {
                let _ = writeln!(err, "command {} error ({e})", go_quote_list(exec));
                return Err(Exit::new(EXIT_ERROR, ""));
            }
        }
    }
    Ok(if resp.canceled {
        Next::Ended
    } else {
        Next::Continue
    })
}

/// `watch`.
pub(super) async fn watch(
    g: &GlobalArgs,
    a: WatchArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<()> {
    let env_key = std::env::var("ETCDCTL_WATCH_KEY").unwrap_or_default();
    let env_range = std::env::var("ETCDCTL_WATCH_RANGE_END").unwrap_or_default();
    if env_key.is_empty() && !env_range.is_empty() {
        return Err(bad_args(format!(
            "ETCDCTL_WATCH_KEY is empty but got ETCDCTL_WATCH_RANGE_END={}",
            go_quote(env_range.as_bytes())
        )));
    }
    let e = env(g)?;
    if a.interactive {
        return watch_interactive(&e.printer, &e.cfg, &env_key, &env_range, out, err).await;
    }
    // etcdctl's parseWatchArgs (non-interactive).
    if a.separator && a.exec.is_empty() {
        return Err(bad_args(BAD_ARGS_SEPARATOR));
    }
    if !env_key.is_empty() && !a.args.is_empty() {
        return Err(bad_args(BAD_ARGS_CONFLICT_ENV));
    }
    let mut args = Vec::new();
    if !env_key.is_empty() {
        args.push(env_key.clone());
        if !env_range.is_empty() {
            args.push(env_range.clone());
        }
    }
    args.extend(a.args.iter().cloned());
    let spec = WatchSpec {
        args,
        exec: a.exec.clone(),
        prefix: a.prefix,
        rev: a.rev,
        prev_kv: a.prev_kv,
        progress_notify: a.progress_notify,
    };
    let req = watch_request(&spec)?;
    let c = client(&e.cfg)?;
    let mut stream = c.watch(req).await.map_err(call_err)?.into_stream();
    while let Some(item) = stream.next().await {
        if let Next::Ended = print_watch_item(&e.printer, item, &spec.exec, out, err)? {
            break;
        }
    }
    Err(Exit::new(
        EXIT_INTERRUPTED,
        "watch is canceled by the server",
    ))
}

/// Parses the flags of one interactive `watch ...` line (pflag rules: flags anywhere before
/// `--`, `--flag=value` or `--flag value` for `--rev`).
fn parse_watch_line(words: &[String], env_key: &str, env_range: &str) -> Result<WatchSpec> {
    let mut spec = WatchSpec::default();
    let (flags_part, exec) = match words.iter().position(|w| w == "--") {
        Some(i) => {
            if i == words.len() - 1 {
                return Err(bad_args(BAD_ARGS_SEPARATOR));
            }
            (&words[..i], words[i + 1..].to_vec())
        }
        None => (words, Vec::new()),
    };
    let bool_val = |v: Option<&str>| -> Result<bool> {
        match v {
            None => Ok(true),
            Some(v) => super::go_bool(v).map_err(bad_args),
        }
    };
    let mut it = flags_part.iter();
    while let Some(w) = it.next() {
        if let Some(flag) = w.strip_prefix("--").filter(|f| !f.is_empty()) {
            let (name, val) = match flag.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (flag, None),
            };
            match name {
                "prefix" => spec.prefix = bool_val(val)?,
                "prev-kv" => spec.prev_kv = bool_val(val)?,
                "progress-notify" => spec.progress_notify = bool_val(val)?,
                "interactive" => {
                    bool_val(val)?;
                }
                "rev" => {
                    let v = match val {
                        Some(v) => v.to_string(),
                        None => it
                            .next()
                            .cloned()
                            .ok_or_else(|| bad_args("flag needs an argument: --rev"))?,
                    };
                    spec.rev = go_parse_int(&v, 10).map_err(|e| {
                        bad_args(format!(
                            "invalid argument {} for \"--rev\" flag: {e}",
                            go_quote(v.as_bytes())
                        ))
                    })?;
                }
                other => return Err(bad_args(format!("unknown flag: --{other}"))),
            }
        } else if w.starts_with('-') && w.len() > 1 {
            if w.as_str() != "-i" {
                let c = w.chars().nth(1).unwrap_or('?');
                return Err(bad_args(format!("unknown shorthand flag: '{c}' in {w}")));
            }
        } else {
            spec.args.push(w.clone());
        }
    }
    if exec.is_empty() && env_key.is_empty() && spec.args.is_empty() {
        return Err(bad_args(BAD_ARGS_NUM));
    }
    if exec.is_empty() && !spec.args.is_empty() && !env_key.is_empty() {
        return Err(bad_args(BAD_ARGS_CONFLICT_ENV));
    }
    if !env_key.is_empty() {
        let mut ranges = vec![env_key.to_string()];
        if !env_range.is_empty() {
            ranges.push(env_range.to_string());
        }
        ranges.extend(spec.args);
        spec.args = ranges;
    }
    spec.exec = exec;
    Ok(spec)
}

/// One interactive watch: its exec command with each response.
type Tagged = std::pin::Pin<
    Box<
        dyn futures::Stream<
                Item = (
                    Vec<String>,
                    std::result::Result<WatchResponse, crate::client::Error>,
                ),
            > + Send,
    >,
>;

/// etcdctl's `watchInteractiveFunc`: `watch ...` and `progress` lines from stdin.
async fn watch_interactive(
    p: &Printer,
    cfg: &ClientConfig,
    env_key: &str,
    env_range: &str,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<()> {
    use tokio::io::AsyncBufReadExt;
    let c = client(cfg)?;
    let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    let mut streams: SelectAll<Tagged> = SelectAll::new();
    let mut senders = Vec::new();
    loop {
        tokio::select! {
            line = lines.next_line() => {
                let l = match line {
                    Ok(Some(l)) => l,
                    Ok(None) => return Err(Exit::new(EXIT_INVALID_INPUT, "Error reading watch request line: EOF")),
                    Err(e) => return Err(Exit::new(EXIT_INVALID_INPUT, format!("Error reading watch request line: {e}"))),
                };
                let words = super::txn::argify(&l).unwrap_or_default();
                let Some(first) = words.first() else {
                    let _ = writeln!(err, "Invalid command: {l} (watch and progress supported)");
                    continue;
                };
                match first.as_str() {
                    "watch" => {
                        if words.len() < 2 && env_key.is_empty() {
                            let _ = writeln!(err, "Invalid command {l} (command type or key is not provided)");
                            continue;
                        }
                        let spec = parse_watch_line(&words[1..], env_key, env_range)?;
                        let req = match watch_request(&spec) {
                            Ok(r) => r,
                            Err(e) => {
                                let _ = writeln!(err, "Invalid command {l} ({})", e.message);
                                continue;
                            }
                        };
                        let w = c.watch(req).await.map_err(call_err)?;
                        senders.push(w.sender());
                        let exec = spec.exec.clone();
                        streams.push(Box::pin(w.into_stream().map(move |r| (exec.clone(), r))));
                    }
                    "progress" => {
                        for s in &senders {
                            s.request_progress().await.map_err(call_err)?;
                        }
                    }
                    _ => {
                        let _ = writeln!(err, "Invalid command {l} (only support watch)");
                    }
                }
            }
            Some((exec, item)) = streams.next(), if !streams.is_empty() => {
                // A canceled watch just stops printing; the others go on.
                print_watch_item(p, item, &exec, out, err)?;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// lease

/// etcdctl's `leaseFromArgs`: a hexadecimal lease ID.
fn lease_from_arg(s: &str) -> Result<i64> {
    go_parse_int(s, 16)
        .map_err(|e| bad_args(format!("bad lease ID arg ({e}), expecting ID in Hex")))
}

/// `lease grant|revoke|timetolive|list|keep-alive`.
pub(super) async fn lease(g: &GlobalArgs, cmd: LeaseCommand, out: &mut dyn Write) -> Result<()> {
    match cmd {
        LeaseCommand::Grant { args } => {
            if args.len() != 1 {
                return Err(bad_args("lease grant command needs TTL argument"));
            }
            let ttl = go_parse_int(&args[0], 10).map_err(|e| bad_args(format!("bad TTL ({e})")))?;
            let e = env(g)?;
            let r = client(&e.cfg)?
                .lease_grant(ttl, 0)
                .await
                .map_err(|x| Exit::new(EXIT_ERROR, format!("failed to grant lease ({x})")))?;
            e.printer.lease_grant(out, &r).map_err(print_err)
        }
        LeaseCommand::Revoke { args } => {
            if args.len() != 1 {
                return Err(bad_args("lease revoke command needs 1 argument"));
            }
            let e = env(g)?;
            let id = lease_from_arg(&args[0])?;
            let r = client(&e.cfg)?
                .lease_revoke(id)
                .await
                .map_err(|x| Exit::new(EXIT_ERROR, format!("failed to revoke lease ({x})")))?;
            e.printer.lease_revoke(out, id, &r).map_err(print_err)
        }
        LeaseCommand::Timetolive { args, keys } => {
            if args.len() != 1 {
                return Err(bad_args(
                    "lease timetolive command needs lease ID as argument",
                ));
            }
            let e = env(g)?;
            let id = lease_from_arg(&args[0])?;
            let r = client(&e.cfg)?
                .lease_time_to_live(id, keys)
                .await
                .map_err(|x| Exit::new(EXIT_BAD_CONNECTION, x.to_string()))?;
            e.printer
                .lease_time_to_live(out, &r, keys)
                .map_err(print_err)
        }
        LeaseCommand::List => {
            let e = env(g)?;
            let r = client(&e.cfg)?
                .lease_leases()
                .await
                .map_err(|x| Exit::new(EXIT_BAD_CONNECTION, x.to_string()))?;
            e.printer.lease_leases(out, &r).map_err(print_err)
        }
        LeaseCommand::KeepAlive { args, once } => {
            if args.len() != 1 {
                return Err(bad_args(
                    "lease keep-alive command needs lease ID as argument",
                ));
            }
            let e = env(g)?;
            let id = lease_from_arg(&args[0])?;
            let c = client(&e.cfg)?;
            if once {
                let r = c
                    .lease_keep_alive_once(id)
                    .await
                    .map_err(|x| Exit::new(EXIT_BAD_CONNECTION, x.to_string()))?;
                return e.printer.lease_keep_alive(out, &r).map_err(print_err);
            }
            let mut ka = c
                .lease_keep_alive(id)
                .await
                .map_err(|x| Exit::new(EXIT_BAD_CONNECTION, x.to_string()))?;
            loop {
                let r = match ka.next().await {
                    Ok(Some(r)) if r.ttl > 0 => r,
                    _ => break,
                };
                e.printer.lease_keep_alive(out, &r).map_err(print_err)?;
                out.flush().map_err(io_err)?;
                // clientv3 renews every TTL/3.
                tokio::time::sleep(Duration::from_millis((r.ttl as u64 * 1000 / 3).max(500))).await;
                if ka.keep_alive().await.is_err() {
                    break;
                }
            }
            if e.printer.format == super::printer::OutputFormat::Simple {
                writeln!(out, "lease {id:016x} expired or revoked.").map_err(io_err)?;
            }
            Ok(())
        }
    }
}

// ---------------------------------------------------------------------------------------
// lock and elect

/// A `concurrency.Session`: a lease of `ttl` seconds kept alive until dropped.
struct Session {
    id: i64,
    ka: KeepAlive,
}

impl Session {
    async fn new(c: &Client, ttl: i64) -> Result<Session> {
        let g = c.lease_grant(ttl, 0).await.map_err(call_err)?;
        let ka = c.lease_keep_alive(g.id).await.map_err(call_err)?;
        Ok(Session { id: g.id, ka })
    }

    /// Keeps the lease alive; returns when it expired or the stream broke (`s.Done()`).
    async fn done(&mut self) {
        loop {
            let ttl = match self.ka.next().await {
                Ok(Some(r)) if r.ttl > 0 => r.ttl,
                _ => return,
            };
            tokio::time::sleep(Duration::from_millis((ttl as u64 * 1000 / 3).max(500))).await;
            if self.ka.keep_alive().await.is_err() {
                return;
            }
        }
    }
}

/// `display.Get` of one key read at the current revision.
async fn print_key(
    c: &Client,
    p: &Printer,
    key: &[u8],
    out: &mut dyn Write,
) -> Result<RangeResponse> {
    let r = c
        .range(RangeRequest {
            key: key.to_vec(),
            ..Default::default()
        })
        .await
        .map_err(call_err)?;
    if !r.kvs.is_empty() {
        p.get(out, &r).map_err(print_err)?;
        out.flush().map_err(io_err)?;
    }
    Ok(r)
}

/// `lock <name> [command...]`.
pub(super) async fn lock(g: &GlobalArgs, a: LockArgs, out: &mut dyn Write) -> Result<()> {
    let Some((name, cmd)) = a.args.split_first() else {
        return Err(bad_args(
            "lock takes a lock name argument and an optional command to execute",
        ));
    };
    let e = env(g)?;
    let c = client(&e.cfg)?;
    let mut s = Session::new(&c, a.ttl).await?;
    let lock = tokio::select! {
        r = c.lock(name.as_bytes(), s.id) => r.map_err(call_err)?,
        _ = interrupted() => return Err(Exit::new(EXIT_ERROR, "context canceled")),
    };
    if let Some((prog, rest)) = cmd.split_first() {
        out.flush().map_err(io_err)?;
        let rev = lock.header.as_ref().map(|h| h.revision).unwrap_or(0);
        let r = std::process::Command::new(prog)
            .args(rest)
            .env(
                "ETCD_LOCK_KEY",
                OsString::from(String::from_utf8_lossy(&lock.key).into_owned()),
            )
            .env("ETCD_LOCK_REV", rev.to_string())
            .status();
        let unlocked = c.unlock(&lock.key).await;
        if let Some(msg) = exec_error(prog, r) {
            return Err(Exit::new(EXIT_ERROR, msg));
        }
        return unlocked.map(|_| ()).map_err(call_err);
    }
    let r = print_key(&c, &e.printer, &lock.key, out).await?;
    if r.kvs.is_empty() {
        return Err(Exit::new(EXIT_ERROR, "lock lost on init"));
    }
    tokio::select! {
        _ = interrupted() => c.unlock(&lock.key).await.map(|_| ()).map_err(call_err),
        _ = s.done() => Err(Exit::new(EXIT_ERROR, "session expired")),
    }
}

/// `elect <name> [proposal]` and `elect -l <name>`.
pub(super) async fn elect(g: &GlobalArgs, a: ElectArgs, out: &mut dyn Write) -> Result<()> {
    if a.args.len() != 1 && a.args.len() != 2 {
        return Err(bad_args(
            "elect takes one election name argument and an optional proposal argument",
        ));
    }
    if a.args.len() == 1 && !a.listen {
        return Err(bad_args("no proposal argument but -l not set"));
    }
    if a.args.len() == 2 && a.listen {
        return Err(bad_args("proposal given but -l is set"));
    }
    let e = env(g)?;
    let c = client(&e.cfg)?;
    let name = a.args[0].as_bytes();
    if a.listen {
        let mut obs = c.observe(name).await.map_err(call_err)?;
        loop {
            tokio::select! {
                item = obs.next() => match item {
                    Some(Ok(r)) => {
                        let kvs: Vec<_> = r.kv.into_iter().collect();
                        let resp = RangeResponse { header: r.header, count: kvs.len() as i64, kvs, more: false };
                        e.printer.get(out, &resp).map_err(print_err)?;
                        out.flush().map_err(io_err)?;
                    }
                    _ => return Err(Exit::new(EXIT_ERROR, "elect: observer lost")),
                },
                _ = interrupted() => return Ok(()),
            }
        }
    }
    let mut s = Session::new(&c, 60).await?;
    let camp = tokio::select! {
        r = c.campaign(name, s.id, a.args[1].as_bytes()) => r.map_err(call_err)?,
        _ = interrupted() => return Err(Exit::new(EXIT_ERROR, "context canceled")),
    };
    let leader: LeaderKey = camp.leader.unwrap_or_default();
    print_key(&c, &e.printer, &leader.key, out).await?;
    tokio::select! {
        _ = interrupted() => {}
        _ = s.done() => return Err(Exit::new(EXIT_ERROR, "elect: session expired")),
    }
    c.resign(leader).await.map(|_| ()).map_err(call_err)
}

// ---------------------------------------------------------------------------------------
// snapshot

/// Size of the sha256 trailer etcd appends to a snapshot stream.
const SHA256_LEN: u64 = 32;

/// Checks the trailer of a downloaded snapshot: the size must be `k·512 + 32` and the last 32
/// bytes the sha256 of the rest.
///
/// # Errors
/// etcd's `sha256 checksum not found [bytes: N]`, or `expected sha256 <hex>, got <hex>`.
pub(crate) fn verify_trailer(path: &Path) -> std::result::Result<(), String> {
    let size = std::fs::metadata(path).map_err(|e| go_io_error(&e))?.len();
    if size < SHA256_LEN || size % 512 != SHA256_LEN {
        return Err(format!("sha256 checksum not found [bytes: {size}]"));
    }
    let mut f = std::io::BufReader::new(std::fs::File::open(path).map_err(|e| go_io_error(&e))?);
    let mut h = Sha256::new();
    let mut left = size - SHA256_LEN;
    let mut buf = vec![0u8; 64 * 1024];
    while left > 0 {
        let n = usize::try_from(left.min(buf.len() as u64)).unwrap_or(buf.len());
        f.read_exact(&mut buf[..n]).map_err(|e| go_io_error(&e))?;
        h.update(&buf[..n]);
        left -= n as u64;
    }
    let mut trailer = [0u8; 32];
    f.read_exact(&mut trailer).map_err(|e| go_io_error(&e))?;
    let got = h.finalize();
    if got.as_slice() != trailer {
        return Err(format!(
            "expected sha256 {}, got {}",
            hex::encode(trailer),
            hex::encode(got)
        ));
    }
    Ok(())
}

/// `snapshot save|status`.
pub(super) async fn snapshot(
    g: &GlobalArgs,
    cmd: SnapshotCommand,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<()> {
    match cmd {
        SnapshotCommand::Save { args } => {
            if args.len() != 1 {
                return Err(bad_args("snapshot save expects one argument"));
            }
            let e = env(g)?;
            if e.cfg.endpoints.len() != 1 {
                return Err(Exit::new(
                    EXIT_INTERRUPTED,
                    format!(
                        "snapshot must be requested to one selected node, not multiple [{}]",
                        e.cfg.endpoints.join(" ")
                    ),
                ));
            }
            let path = &args[0];
            let part = format!("{path}.part");
            let r = save_snapshot(&e.cfg, &part, path, err).await;
            let _ = std::fs::remove_file(&part);
            r.map_err(|m| Exit::new(EXIT_INTERRUPTED, m))?;
            writeln!(out, "Snapshot saved at {path}").map_err(io_err)
        }
        SnapshotCommand::Status { args } => {
            if args.len() != 1 {
                return Err(bad_args("snapshot status requires exactly one argument"));
            }
            let e = env(g)?;
            let st = snapshot_status(Path::new(&args[0])).map_err(|m| Exit::new(EXIT_ERROR, m))?;
            e.printer.db_status(out, &st).map_err(print_err)
        }
    }
}

/// Downloads the snapshot into `part`, checks its trailer, and renames it to `path`.
async fn save_snapshot(
    cfg: &ClientConfig,
    part: &str,
    path: &str,
    err: &mut dyn Write,
) -> std::result::Result<(), String> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(part)
        .map_err(|e| format!("could not open {part} (open {part}: {})", go_io_error(&e)))?;
    let c = Client::new(cfg).map_err(|e| e.to_string())?;
    let mut stream = c.snapshot().await.map_err(|e| e.to_string())?;
    let bar = if std::io::stderr().is_terminal() {
        let b = indicatif::ProgressBar::new(0);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {bytes}/{total_bytes} ({bytes_per_sec})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Some(b)
    } else {
        None
    };
    let mut written = 0u64;
    while let Some(item) = stream.next().await {
        let chunk = item.map_err(|e| e.to_string())?;
        f.write_all(&chunk.blob)
            .map_err(|e| format!("write {part}: {}", go_io_error(&e)))?;
        written += chunk.blob.len() as u64;
        if let Some(b) = &bar {
            b.set_length(written + chunk.remaining_bytes);
            b.set_position(written);
        }
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let _ = err.flush();
    f.sync_all()
        .map_err(|e| format!("fsync {part}: {}", go_io_error(&e)))?;
    drop(f);
    verify_trailer(Path::new(part))?;
    std::fs::rename(part, path)
        .map_err(|e| format!("could not rename {part} to {path} ({})", go_io_error(&e)))
}

/// A private temporary directory, removed on drop.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new() -> std::io::Result<TempDir> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let p = std::env::temp_dir().join(format!(
            "etcdctl-snapshot-status-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir(&p)?;
        Ok(TempDir(p))
    }
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// LMDB's meta-page magic (`MDB_MAGIC`), at byte 16 of the file.
const LMDB_MAGIC: u32 = 0xBEEF_C0DE;
/// bolt's meta-page magic, at byte 16 of a Go etcd snapshot.
const BOLT_MAGIC: u32 = 0xED0C_DAED;

/// `snapshot status` of an etcd-oxide snapshot: the LMDB image (trailer, if any, left out) is
/// copied to a temporary directory as `data.mdb` and opened there.
///
/// Hash: CRC-32C over each database's name, then its keys and values in order (etcd hashes
/// bucket names, keys and values the same way); keys: entries over all databases; revision:
/// the MVCC store's current revision; size: the image size in bytes.
///
/// # Errors
/// Go's `stat` error for a missing file, `not an etcd-oxide snapshot` for bolt files and
/// anything else that is not an LMDB image, storage errors.
pub(crate) fn snapshot_status(path: &Path) -> std::result::Result<DbStatus, String> {
    let shown = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|e| format!("stat {shown}: {}", go_io_error(&e)))?;
    let mut f =
        std::fs::File::open(path).map_err(|e| format!("open {shown}: {}", go_io_error(&e)))?;
    let mut head = [0u8; 20];
    let magic = match f.read_exact(&mut head) {
        Ok(()) => u32::from_le_bytes([head[16], head[17], head[18], head[19]]),
        Err(_) => 0,
    };
    if magic == BOLT_MAGIC {
        return Err(format!(
            "not an etcd-oxide snapshot: {shown} is a bolt database written by Go etcd"
        ));
    }
    if magic != LMDB_MAGIC {
        return Err(format!("not an etcd-oxide snapshot: {shown}"));
    }
    let size = meta.len();
    let db_size = if size % 512 == SHA256_LEN {
        size - SHA256_LEN
    } else {
        size
    };
    let dir = TempDir::new().map_err(|e| format!("temporary directory: {}", go_io_error(&e)))?;
    {
        let mut src = std::fs::File::open(path)
            .map_err(|e| format!("open {shown}: {}", go_io_error(&e)))?
            .take(db_size);
        let mut dst =
            std::fs::File::create(dir.path().join("data.mdb")).map_err(|e| e.to_string())?;
        std::io::copy(&mut src, &mut dst).map_err(|e| e.to_string())?;
    }
    let env = crate::storage::open_env(dir.path(), crate::storage::EnvKind::State)
        .map_err(|e| e.to_string())?;
    // The same content hash and key count as `etcd util snapshot status`.
    let content = crate::storage::snapshot::content_status(&env).map_err(|e| e.to_string())?;
    let store = crate::mvcc::KvStore::open(&env).map_err(|e| e.to_string())?;
    let rtxn = env.read_txn().map_err(|e| e.to_string())?;
    let revision = store.current_revision(&rtxn).map_err(|e| e.to_string())?;
    Ok(DbStatus {
        hash: content.hash,
        revision,
        total_key: content.total_keys,
        total_size: db_size,
    })
}

// ---------------------------------------------------------------------------------------
// defrag and alarm

/// `defrag [--cluster]`.
pub(super) async fn defrag(
    g: &GlobalArgs,
    a: DefragArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<()> {
    if !a.data_dir.is_empty() {
        let _ = writeln!(
            err,
            "Failed to defragment etcd data[{}] (offline defragmentation is `etcd util defrag`)",
            a.data_dir
        );
        return Err(Exit::new(EXIT_ERROR, ""));
    }
    let e = env(g)?;
    let eps = endpoints(&e, a.cluster).await?;
    let mut failures = 0;
    for ep in &eps {
        let cfg = ClientConfig {
            endpoints: vec![ep.clone()],
            ..e.cfg.clone()
        };
        let r = match Client::new(&cfg) {
            Ok(c) => c.defragment().await.map(|_| ()),
            Err(x) => Err(x),
        };
        match r {
            Ok(()) => writeln!(out, "Finished defragmenting etcd member[{ep}]").map_err(io_err)?,
            Err(x) => {
                let _ = writeln!(err, "Failed to defragment etcd member[{ep}] ({x})");
                failures += 1;
            }
        }
    }
    if failures != 0 {
        return Err(Exit::new(EXIT_ERROR, ""));
    }
    Ok(())
}

/// `alarm list|disarm`. `disarm` deactivates every listed alarm one by one and prints the
/// alarms it deactivated without a header, as clientv3's `AlarmDisarm(&AlarmMember{})`.
pub(super) async fn alarm(g: &GlobalArgs, cmd: AlarmCommand, out: &mut dyn Write) -> Result<()> {
    let (args, disarm) = match cmd {
        AlarmCommand::List { args } => (args, false),
        AlarmCommand::Disarm { args } => (args, true),
    };
    if !args.is_empty() {
        let which = if disarm { "disarm" } else { "list" };
        return Err(bad_args(format!(
            "alarm {which} command accepts no arguments"
        )));
    }
    let e = env(g)?;
    let c = client(&e.cfg)?;
    let list = c
        .alarm(AlarmRequest {
            action: AlarmAction::Get as i32,
            member_id: 0,
            alarm: 0,
        })
        .await
        .map_err(call_err)?;
    let resp = if disarm {
        let mut ret = AlarmResponse::default();
        for a in &list.alarms {
            let r = c
                .alarm(AlarmRequest {
                    action: AlarmAction::Deactivate as i32,
                    member_id: a.member_id,
                    alarm: a.alarm,
                })
                .await
                .map_err(call_err)?;
            ret.alarms.extend(r.alarms);
        }
        ret
    } else {
        list
    };
    e.printer.alarm(out, &resp).map_err(print_err)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn watch_line_flags_like_pflag() {
        let w = |s: &str| s.split_whitespace().map(String::from).collect::<Vec<_>>();
        let s = parse_watch_line(&w("--prefix foo --rev 3 --prev-kv"), "", "").unwrap();
        assert!(s.prefix && s.prev_kv);
        assert_eq!((s.rev, s.args.clone()), (3, vec!["foo".to_string()]));
        let s = parse_watch_line(&w("k -- echo hi"), "", "").unwrap();
        assert_eq!(s.exec, vec!["echo", "hi"]);
        assert_eq!(
            parse_watch_line(&w("k --"), "", "").unwrap_err().message,
            BAD_ARGS_SEPARATOR
        );
        assert_eq!(
            parse_watch_line(&w("--bogus k"), "", "")
                .unwrap_err()
                .message,
            "unknown flag: --bogus"
        );
    }

    #[test]
    fn watch_request_prefix_and_range() {
        let spec = WatchSpec {
            args: vec!["a".into(), "b".into()],
            prefix: true,
            ..Default::default()
        };
        assert_eq!(
            watch_request(&spec).unwrap_err().message,
            "`range_end` and `--prefix` are mutually exclusive"
        );
        let spec = WatchSpec {
            args: vec!["fo".into()],
            prefix: true,
            rev: 4,
            ..Default::default()
        };
        let r = watch_request(&spec).unwrap();
        assert_eq!(
            (r.key, r.range_end, r.start_revision),
            (b"fo".to_vec(), b"fp".to_vec(), 4)
        );
        assert_eq!(
            watch_request(&WatchSpec::default()).unwrap_err().message,
            BAD_ARGS_NUM
        );
    }

    #[test]
    fn trailer_check() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.db");
        let body = vec![7u8; 1024];
        let mut data = body.clone();
        data.extend_from_slice(&Sha256::digest(&body));
        std::fs::write(&p, &data).unwrap();
        verify_trailer(&p).unwrap();
        data[0] = 8;
        std::fs::write(&p, &data).unwrap();
        assert!(verify_trailer(&p)
            .unwrap_err()
            .starts_with("expected sha256 "));
        std::fs::write(&p, &body).unwrap();
        assert_eq!(
            verify_trailer(&p).unwrap_err(),
            "sha256 checksum not found [bytes: 1024]"
        );
    }

    #[test]
    fn status_refuses_bolt() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("b.db");
        let mut page = vec![0u8; 4096];
        page[16..20].copy_from_slice(&BOLT_MAGIC.to_le_bytes());
        std::fs::write(&p, &page).unwrap();
        assert!(snapshot_status(&p)
            .unwrap_err()
            .starts_with("not an etcd-oxide snapshot"));
        assert!(snapshot_status(&dir.path().join("none"))
            .unwrap_err()
            .ends_with("no such file or directory"));
    }

    #[test]
    fn status_of_an_lmdb_snapshot_counts_keys_and_revision() {
        let src = tempfile::tempdir().unwrap();
        let env = crate::storage::open_env(src.path(), crate::storage::EnvKind::State).unwrap();
        let store = crate::mvcc::KvStore::open(&env).unwrap();
        for (k, v) in [("a", "1"), ("b", "2"), ("a", "3")] {
            let mut wtxn = env.write_txn().unwrap();
            let mut tw = store.write(&mut wtxn).unwrap();
            tw.put(k.as_bytes(), v.as_bytes(), 0).unwrap();
            tw.end();
            wtxn.commit().unwrap();
        }
        let out = tempfile::tempdir().unwrap();
        let snap = out.path().join("snap.db");
        env.copy_to_path(&snap, heed::CompactionOption::Enabled)
            .unwrap();
        let body = std::fs::read(&snap).unwrap();
        let plain = status_and_size(&snap);
        let mut with_trailer = body.clone();
        with_trailer.extend_from_slice(&Sha256::digest(&body));
        std::fs::write(&snap, &with_trailer).unwrap();
        verify_trailer(&snap).unwrap();
        let st = status_and_size(&snap);
        assert_eq!(st, plain, "the trailer is not part of the image");
        assert_eq!(st.revision, 4);
        assert_eq!(st.total_size, body.len() as u64);
        // 3 revisions in `key`, 2 keys in `index`, plus whatever `meta` holds.
        assert!(st.total_key >= 5, "{st:?}");
    }

    fn status_and_size(p: &Path) -> DbStatus {
        snapshot_status(p).unwrap()
    }
}
