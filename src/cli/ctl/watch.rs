//! etcdctl 3.4's `watch` (`ctlv3/command/watch_command.go`): one watch from the flags, or
//! `watch -i` reading `watch ...` and `progress` lines, with an optional exec-command run for
//! every event.
//!
//! Departure, on purpose: `watch -i` reads its lines from the process's stdin (tokio), not from
//! the `stdin` given to [`super::run_with`], because it must read while watches print.

use std::ffi::OsString;
use std::io::Write;

use clap::Args;
use futures::stream::SelectAll;
use futures::StreamExt;

use super::connect::{client, env, GlobalArgs};
use super::exit::{
    bad_args, call_err, exec_error, io_err, print_err, Exit, Result, EXIT_ERROR, EXIT_INTERRUPTED,
    EXIT_INVALID_INPUT,
};
use super::flags::{go_bool, go_int, go_parse_int};
use super::printer::{go_quote, Printer};
use crate::client::ClientConfig;
use crate::keys::prefix_end;
use crate::pb::etcdserverpb::{WatchCreateRequest, WatchResponse};

/// `watch [options] [key or prefix] [range_end] [--] [exec-command arg1 arg2 ...]`.
#[derive(Debug, Clone, Args)]
pub struct WatchArgs {
    /// [key or prefix] [range_end]
    pub args: Vec<String>,
    /// exec-command arg1 arg2 ... (after `--`), run for every event
    #[arg(last = true)]
    pub exec: Vec<String>,
    /// Interactive mode
    #[arg(short = 'i', long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_parser = go_bool)]
    pub interactive: bool,
    /// Watch on a prefix if prefix is set
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_parser = go_bool)]
    pub prefix: bool,
    /// Revision to start watching
    #[arg(long, default_value = "0", value_parser = go_int)]
    pub rev: i64,
    /// get the previous key-value pair before the event happens
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_parser = go_bool)]
    pub prev_kv: bool,
    /// get periodic watch progress notification from server (etcdctl 3.5 extension)
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_parser = go_bool)]
    pub progress_notify: bool,
    /// Set by [`run_with`]: the command line has a `--` after `watch` (etcdctl looks at the raw
    /// arguments to tell `watch k --` from `watch k`).
    #[arg(skip)]
    pub separator: bool,
}

const BAD_ARGS_NUM: &str = "bad number of arguments";
const BAD_ARGS_CONFLICT_ENV: &str = "bad number of arguments (found conflicting environment key)";
const BAD_ARGS_SEPARATOR: &str = "bad number of arguments (found separator --, but no commands)";

/// Go's `%q` of a `[]string`: `["a" "b"]`.
fn go_quote_list(v: &[String]) -> String {
    let items: Vec<String> = v.iter().map(|s| go_quote(s.as_bytes())).collect();
    format!("[{}]", items.join(" "))
}

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
            Some(v) => go_bool(v).map_err(bad_args),
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
}
