//! etcdctl 3.4's `lock` and `elect` (`ctlv3/command/{lock,elect}_command.go`).
//!
//! Departure, on purpose: both use the `v3lockpb.Lock` and `v3electionpb.Election` services
//! with a lease kept alive by this process (etcdctl runs the same recipe client-side with
//! `clientv3/concurrency`; the keys, `<name>/<lease hex>`, are the same, so both kinds of
//! contenders exclude each other).

use std::ffi::OsString;
use std::io::Write;
use std::time::Duration;

use clap::Args;
use futures::StreamExt;

use super::connect::{client, env, GlobalArgs};
use super::exit::{bad_args, call_err, exec_error, io_err, print_err, Exit, Result, EXIT_ERROR};
use super::flags::{go_bool, go_int};
use super::printer::Printer;
use crate::client::{Client, KeepAlive};
use crate::pb::etcdserverpb::{RangeRequest, RangeResponse};
use crate::pb::v3electionpb::LeaderKey;

/// `lock <lockname> [exec-command arg1 arg2 ...]`.
#[derive(Debug, Clone, Args)]
pub struct LockArgs {
    /// <lockname> [exec-command arg1 arg2 ...]
    pub args: Vec<String>,
    /// timeout for session
    #[arg(long, default_value = "60", value_parser = go_int)]
    pub ttl: i64,
}

/// `elect <election-name> [proposal]`.
#[derive(Debug, Clone, Args)]
pub struct ElectArgs {
    /// <election-name> [proposal]
    pub args: Vec<String>,
    /// observation mode
    #[arg(short = 'l', long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_parser = go_bool)]
    pub listen: bool,
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
