//! etcdctl 3.4's `defrag` and `alarm list|disarm` (`ctlv3/command/{defrag,alarm}_command.go`).

use std::io::Write;

use clap::{Args, Subcommand};

use super::connect::{client, endpoints, env, GlobalArgs};
use super::exit::{bad_args, call_err, io_err, print_err, Exit, Result, EXIT_ERROR};
use super::flags::go_bool;
use crate::client::{Client, ClientConfig};
use crate::pb::etcdserverpb::{alarm_request::AlarmAction, AlarmRequest, AlarmResponse};

/// `defrag [--cluster]`.
#[derive(Debug, Clone, Args)]
pub struct DefragArgs {
    /// use all endpoints from the cluster member list
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_parser = go_bool)]
    pub cluster: bool,
    /// Optional. If present, defragments a data directory not in use by etcd.
    #[arg(long, default_value = "")]
    pub data_dir: String,
}

/// `alarm` subcommands.
#[derive(Debug, Subcommand)]
pub enum AlarmCommand {
    /// Disarms all alarms
    Disarm {
        /// (no arguments accepted)
        #[arg(hide = true)]
        args: Vec<String>,
    },
    /// Lists all alarms
    List {
        /// (no arguments accepted)
        #[arg(hide = true)]
        args: Vec<String>,
    },
}

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
