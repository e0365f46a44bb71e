//! `member list|add|remove|update` and `cluster-health` (`ctlv2/command/member_commands.go`,
//! `cluster_health.go`) over `/v2/members` and each member's `/health`. Failures print the
//! error alone and exit 1, as etcdctl does; `cluster-health` exits 5 when a member is not
//! healthy.

use std::io::Write;

use clap::{Args, Subcommand};

use super::connect::{handle_error, io_fail, must_client, must_client_no_sync, with_total_timeout};
use super::{Fail, GlobalArgs, Result, EXIT_BAD_ARGS, EXIT_CLUSTER_NOT_HEALTHY, EXIT_SERVER_ERROR};

/// `member` subcommands.
#[derive(Debug, Subcommand)]
pub enum MemberCommand {
    /// enumerate existing cluster members
    #[command(override_usage = " ")]
    List(Rest),
    /// add a new member to the etcd cluster
    #[command(override_usage = "<name> <peerURL>")]
    Add(Rest),
    /// remove an existing member from the etcd cluster
    #[command(override_usage = "<memberID>")]
    Remove(Rest),
    /// update an existing member in the etcd cluster
    #[command(override_usage = "<memberID> <peerURLs>")]
    Update(Rest),
}

/// Positional arguments of a member subcommand.
#[derive(Debug, Clone, Args)]
pub struct Rest {
    /// Arguments.
    pub args: Vec<String>,
}

/// `cluster-health`.
#[derive(Debug, Clone, Args)]
pub struct HealthArgs {
    /// forever check the health every 10 second until CTRL+C
    #[arg(short = 'f', long)]
    pub forever: bool,
    /// Arguments (ignored).
    pub args: Vec<String>,
}

fn fail(e: impl std::fmt::Display) -> Fail {
    Fail::line(EXIT_BAD_ARGS, e)
}

/// Runs a member subcommand.
pub(super) async fn member(
    g: &GlobalArgs,
    cmd: MemberCommand,
    out: &mut dyn Write,
    _err: &mut dyn Write,
) -> Result<()> {
    let mut text = String::new();
    match cmd {
        MemberCommand::List(a) => {
            if !a.args.is_empty() {
                return Err(fail("No arguments accepted"));
            }
            let c = must_client(g).await?;
            let members = with_total_timeout(g, c.member_list()).await.map_err(fail)?;
            let leader = with_total_timeout(g, c.member_leader())
                .await
                .map_err(|e| fail(format!("Failed to get leader:  {e}")))?;
            for m in members {
                if m.name.is_empty() {
                    text.push_str(&format!(
                        "{}[unstarted]: peerURLs={}\n",
                        m.id,
                        m.peer_urls.join(",")
                    ));
                } else {
                    text.push_str(&format!(
                        "{}: name={} peerURLs={} clientURLs={} isLeader={}\n",
                        m.id,
                        m.name,
                        m.peer_urls.join(","),
                        m.client_urls.join(","),
                        m.id == leader.id
                    ));
                }
            }
        }
        MemberCommand::Add(a) => {
            if a.args.len() != 2 {
                return Err(fail("Provide a name and a single member peerURL"));
            }
            let c = must_client(g).await?;
            let name = &a.args[0];
            let m = with_total_timeout(g, c.member_add(&a.args[1]))
                .await
                .map_err(fail)?;
            out.write_all(
                format!("Added member named {name} with ID {} to cluster\n", m.id).as_bytes(),
            )
            .map_err(io_fail)?;
            let members = with_total_timeout(g, c.member_list()).await.map_err(fail)?;
            let mut conf = Vec::new();
            for mb in &members {
                for u in &mb.peer_urls {
                    let n = if mb.id == m.id { name } else { &mb.name };
                    conf.push(format!("{n}={u}"));
                }
            }
            text.push_str(&format!(
                "\nETCD_NAME={}\nETCD_INITIAL_CLUSTER={}\nETCD_INITIAL_CLUSTER_STATE=\"existing\"\n",
                crate::go_text::go_quote(name.as_bytes()),
                crate::go_text::go_quote(conf.join(",").as_bytes())
            ));
        }
        MemberCommand::Remove(a) => {
            if a.args.len() != 1 {
                return Err(fail("Provide a single member ID"));
            }
            let id = &a.args[0];
            let c = must_client(g).await?;
            let members = with_total_timeout(g, c.member_list()).await.map_err(|e| {
                fail(format!(
                    "Error while verifying ID against known members: {e}"
                ))
            })?;
            let mut notes = String::new();
            let mut found = false;
            for m in &members {
                if &m.id == id {
                    found = true;
                }
                if &m.name == id {
                    notes.push_str(&format!(
                        "Found a member named {}; if this is correct, please use its ID, eg:\n\tetcdctl member remove {}\nFor more details, read the documentation at https://github.com/etcd-io/etcd/blob/master/Documentation/runtime-configuration.md#remove-a-member\n\n",
                        m.name, m.id
                    ));
                }
            }
            if !found {
                return Err(Fail {
                    code: EXIT_BAD_ARGS,
                    stderr: format!(
                        "{notes}Couldn't find a member in the cluster with an ID of {id}.\n"
                    ),
                });
            }
            with_total_timeout(g, c.member_remove(id))
                .await
                .map_err(|e| Fail {
                    code: EXIT_BAD_ARGS,
                    stderr: format!("{notes}Received an error trying to remove member {id}: {e}"),
                })?;
            text.push_str(&format!("Removed member {id} from cluster\n"));
        }
        MemberCommand::Update(a) => {
            if a.args.len() != 2 {
                return Err(fail("Provide an ID and a list of comma separated peerURL (0xabcd http://example.com,http://example1.com)"));
            }
            let c = must_client(g).await?;
            let urls: Vec<String> = a.args[1].split(',').map(str::to_string).collect();
            with_total_timeout(g, c.member_update(&a.args[0], &urls))
                .await
                .map_err(fail)?;
            text.push_str(&format!(
                "Updated member with ID {} in cluster\n",
                a.args[0]
            ));
        }
    }
    out.write_all(text.as_bytes()).map_err(io_fail)
}

/// Reads a `/health` body like etcdctl: `{"health": "true"}` or `{"health": true}`, the field
/// name matched case-insensitively as Go's `encoding/json` does.
fn healthy(body: &[u8]) -> std::result::Result<bool, String> {
    let v: serde_json::Value = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let field = v.as_object().and_then(|o| {
        o.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("health"))
            .map(|(_, v)| v.clone())
    });
    Ok(match field {
        Some(serde_json::Value::String(s)) => s == "true",
        Some(serde_json::Value::Bool(b)) => b,
        _ => false,
    })
}

/// `cluster-health`: every member's `/health` through its client URLs; one line per member
/// and a verdict (`cluster is healthy|degraded|unavailable`); `--forever` repeats every 10 s.
pub(super) async fn cluster_health(
    g: &GlobalArgs,
    a: &HealthArgs,
    out: &mut dyn Write,
    _err: &mut dyn Write,
) -> Result<()> {
    let c = must_client_no_sync(g)?;
    let members = match c.member_list().await {
        Ok(m) => m,
        Err(e) => {
            writeln!(out, "cluster may be unhealthy: failed to list members").map_err(io_fail)?;
            return Err(handle_error(EXIT_SERVER_ERROR, &e));
        }
    };
    loop {
        let mut healthy_members = 0;
        for m in &members {
            if m.client_urls.is_empty() {
                writeln!(
                    out,
                    "member {} is unreachable: no available published client urls",
                    m.id
                )
                .map_err(io_fail)?;
                continue;
            }
            let mut checked = false;
            for url in &m.client_urls {
                let verdict = match c.health(url).await {
                    Ok(body) => healthy(&body),
                    Err(e) => Err(e),
                };
                match verdict {
                    Err(e) => {
                        writeln!(
                            out,
                            "failed to check the health of member {} on {url}: {e}",
                            m.id
                        )
                        .map_err(io_fail)?;
                        continue;
                    }
                    Ok(true) => {
                        writeln!(
                            out,
                            "member {} is healthy: got healthy result from {url}",
                            m.id
                        )
                        .map_err(io_fail)?;
                        healthy_members += 1;
                    }
                    Ok(false) => {
                        writeln!(
                            out,
                            "member {} is unhealthy: got unhealthy result from {url}",
                            m.id
                        )
                        .map_err(io_fail)?;
                    }
                }
                checked = true;
                break;
            }
            if !checked {
                writeln!(
                    out,
                    "member {} is unreachable: [{}] are all unreachable",
                    m.id,
                    m.client_urls.join(" ")
                )
                .map_err(io_fail)?;
            }
        }
        let verdict = if healthy_members == members.len() {
            "cluster is healthy"
        } else if healthy_members == 0 {
            "cluster is unavailable"
        } else {
            "cluster is degraded"
        };
        writeln!(out, "{verdict}").map_err(io_fail)?;
        let _ = out.flush();
        if !a.forever {
            if healthy_members == members.len() {
                return Ok(());
            }
            return Err(Fail {
                code: EXIT_CLUSTER_NOT_HEALTHY,
                stderr: String::new(),
            });
        }
        writeln!(out, "\nnext check after 10 second...\n").map_err(io_fail)?;
        let _ = out.flush();
        tokio::select! {
            _ = tokio::time::sleep(std::time::Duration::from_secs(10)) => {}
            _ = tokio::signal::ctrl_c() => return Ok(()),
        }
    }
}
