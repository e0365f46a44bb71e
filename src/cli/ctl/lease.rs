//! etcdctl 3.4's `lease grant|revoke|timetolive|list|keep-alive`
//! (`ctlv3/command/lease_command.go`).

use std::io::Write;
use std::time::Duration;

use clap::Subcommand;

use super::connect::{client, env, GlobalArgs};
use super::exit::{bad_args, io_err, print_err, Exit, Result, EXIT_BAD_CONNECTION, EXIT_ERROR};
use super::flags::{go_bool, go_parse_int};

/// `lease` subcommands.
#[derive(Debug, Subcommand)]
pub enum LeaseCommand {
    /// Creates leases
    Grant {
        /// <ttl>
        args: Vec<String>,
    },
    /// Revokes leases
    Revoke {
        /// <leaseID>
        args: Vec<String>,
    },
    /// Get lease information
    Timetolive {
        /// <leaseID>
        args: Vec<String>,
        /// Get keys attached to this lease
        #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_parser = go_bool)]
        keys: bool,
    },
    /// List all active leases
    List,
    /// Keeps leases alive (renew)
    #[command(name = "keep-alive")]
    KeepAlive {
        /// <leaseID>
        args: Vec<String>,
        /// Resets the keep-alive time to its original value and exits immediately
        #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_parser = go_bool)]
        once: bool,
    },
}

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
