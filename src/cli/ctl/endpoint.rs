//! etcdctl 3.4's `endpoint health|status|hashkv` (`ctlv3/command/ep_command.go`), over
//! `--endpoints` or, with `--cluster`, every member's client URLs.

use std::io::Write;
use std::time::Instant;

use clap::{Args, Subcommand};

use super::connect::{endpoints, env, GlobalArgs};
use super::exit::{print_err, Exit, Result, EXIT_ERROR};
use super::flags::{go_bool, go_int};
use super::printer::{go_duration as fmt_duration, EpHashKv, EpHealth, EpStatus};
use crate::client::{Client, ClientConfig};
use crate::pb::etcdserverpb::RangeRequest;

/// `endpoint <subcommand>` and its `--cluster` flag.
#[derive(Debug, Args)]
pub struct EndpointArgs {
    /// use all endpoints from the cluster member list
    #[arg(long, global = true, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_parser = go_bool)]
    pub cluster: bool,
    /// The endpoint subcommand.
    #[command(subcommand)]
    pub command: EndpointCommand,
}

/// `endpoint` subcommands.
#[derive(Debug, Subcommand)]
pub enum EndpointCommand {
    /// Checks the healthiness of endpoints specified in `--endpoints` flag
    Health,
    /// Prints out the status of endpoints specified in `--endpoints` flag
    Status,
    /// Prints the KV history hash for each endpoint in --endpoints
    Hashkv {
        /// maximum revision to hash (default: all revisions)
        #[arg(long, default_value = "0", value_parser = go_int)]
        rev: i64,
    },
}

/// `endpoint health|status|hashkv`.
pub(super) async fn endpoint(
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
