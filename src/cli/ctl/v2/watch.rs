//! `watch` and `exec-watch` (`ctlv2/command/{watch,exec_watch}_command.go`): long polls on
//! `/v2/keys/<key>?wait=true`, from `--after-index` + 1 when given, each next poll from the
//! last event's modified index + 1. Directory events are skipped (`exec-watch` says
//! `Ignored dir <key> change`). Ctrl-C ends either with exit 0, as in etcdctl.

use std::io::Write;

use clap::Args;

use super::connect::{handle_error, must_client};
use super::format::print_response_key;
use super::{Fail, GlobalArgs, Result, EXIT_BAD_ARGS, EXIT_SERVER_ERROR, EXIT_SUCCESS};
use crate::client::v2::{Response, V2Client, V2Error};

fn go_int(s: &str) -> std::result::Result<i64, String> {
    s.parse::<i64>().map_err(|_| "parse error".to_string())
}

/// `watch <key>`.
#[derive(Debug, Clone, Args)]
pub struct WatchArgs {
    /// forever watch a key until CTRL+C
    #[arg(short = 'f', long)]
    pub forever: bool,
    /// watch after the given index
    #[arg(long, default_value = "0", value_parser = go_int)]
    pub after_index: i64,
    /// returns all values for key and child keys
    #[arg(short = 'r', long)]
    pub recursive: bool,
    /// <key>
    pub args: Vec<String>,
}

/// `exec-watch <key> <command> [args...]` or `exec-watch <key> -- <command> [args...]`.
#[derive(Debug, Clone, Args)]
pub struct ExecWatchArgs {
    /// watch after the given index
    #[arg(long, default_value = "0", value_parser = go_int)]
    pub after_index: i64,
    /// watch all values for key and child keys
    #[arg(short = 'r', long)]
    pub recursive: bool,
    /// <key> <command> [args...]
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<String>,
}

/// Go's watcher: the next event, bounded by nothing but Ctrl-C (which exits 0).
struct Watcher<'a> {
    client: &'a V2Client,
    key: String,
    next: u64,
    recursive: bool,
}

impl Watcher<'_> {
    async fn next(&mut self) -> Result<Response> {
        let poll = self.client.watch_next(&self.key, self.next, self.recursive);
        let r: std::result::Result<Response, V2Error> = tokio::select! {
            r = poll => r,
            _ = tokio::signal::ctrl_c() => return Err(Fail { code: EXIT_SUCCESS, stderr: String::new() }),
        };
        let r = r.map_err(|e| handle_error(EXIT_SERVER_ERROR, &e))?;
        self.next = r.node.as_ref().map_or(0, |n| n.modified_index) + 1;
        Ok(r)
    }
}

/// `watch`: prints each event like `get` (with `[action] key` first when `--recursive`);
/// one event unless `--forever`.
pub(super) async fn watch(
    g: &GlobalArgs,
    a: &WatchArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<()> {
    let c = must_client(g).await?;
    let Some(key) = a.args.first() else {
        return Err(Fail {
            code: EXIT_BAD_ARGS,
            stderr: "Error:  key required\n".into(),
        });
    };
    let mut w = Watcher {
        client: &c,
        key: key.clone(),
        next: if a.after_index > 0 {
            a.after_index as u64 + 1
        } else {
            0
        },
        recursive: a.recursive,
    };
    loop {
        let r = w.next().await?;
        let node = r.node.clone().unwrap_or_default();
        if node.dir {
            continue;
        }
        if a.recursive {
            writeln!(out, "[{}] {}", r.action, node.key).map_err(super::connect::io_fail)?;
        }
        print_response_key(&r, &g.output, out, err)?;
        let _ = out.flush();
        if !a.forever {
            return Ok(());
        }
    }
}

/// `exec-watch`: runs the command for every change, with `ETCD_WATCH_ACTION`,
/// `ETCD_WATCH_MODIFIED_INDEX`, `ETCD_WATCH_KEY` and `ETCD_WATCH_VALUE` in its environment,
/// its output going to ours; runs until Ctrl-C.
pub(super) async fn exec_watch(
    g: &GlobalArgs,
    a: &ExecWatchArgs,
    err: &mut dyn Write,
) -> Result<()> {
    let c = must_client(g).await?;
    if a.args.len() < 2 {
        return Err(Fail {
            code: EXIT_BAD_ARGS,
            stderr: "Error:  key and command to exec required\n".into(),
        });
    }
    // etcdctl: a `--` after the key separates the command (`<key> -- <cmd>...`).
    let separator = a.args.iter().skip(1).any(|x| x == "--");
    let (key, cmd) = if separator {
        (a.args[0].clone(), a.args[2..].to_vec())
    } else {
        let n = a.args.len();
        (a.args[n - 1].clone(), a.args[..n - 1].to_vec())
    };
    if cmd.is_empty() {
        return Err(Fail {
            code: EXIT_BAD_ARGS,
            stderr: "Error:  key and command to exec required\n".into(),
        });
    }
    let mut w = Watcher {
        client: &c,
        key,
        next: if a.after_index > 0 {
            a.after_index as u64 + 1
        } else {
            0
        },
        recursive: a.recursive,
    };
    loop {
        let r = w.next().await?;
        let node = r.node.clone().unwrap_or_default();
        if node.dir {
            let _ = writeln!(err, "Ignored dir {} change", node.key);
            continue;
        }
        let child = tokio::process::Command::new(&cmd[0])
            .args(&cmd[1..])
            .env("ETCD_WATCH_ACTION", &r.action)
            .env("ETCD_WATCH_MODIFIED_INDEX", node.modified_index.to_string())
            .env("ETCD_WATCH_KEY", &node.key)
            .env("ETCD_WATCH_VALUE", &node.value)
            .spawn();
        match child {
            Ok(mut child) => {
                tokio::spawn(async move {
                    let _ = child.wait().await;
                });
            }
            Err(e) => {
                // etcdctl: fmt.Fprintf(os.Stderr, err.Error()) without a newline, exit 1.
                let msg = super::super::exit::exec_error(&cmd[0], Err(e)).unwrap_or_default();
                return Err(Fail {
                    code: EXIT_BAD_ARGS,
                    stderr: msg,
                });
            }
        }
    }
}
