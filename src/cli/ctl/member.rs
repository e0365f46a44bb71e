//! etcdctl 3.4's `member add|remove|update|promote` and `move-leader`
//! (`ctlv3/command/{member,move_leader}_command.go` of 3.4.23): argument checks, messages, exit
//! codes and output.
//!
//! `member add` in the simple format prints, after the `Member … added` line, the block an
//! operator pastes into the new member's environment: `ETCD_NAME`, `ETCD_INITIAL_CLUSTER` (every
//! member's `name=peerURL` from the add response's member list, the new member under its new
//! name), `ETCD_INITIAL_ADVERTISE_PEER_URLS` (the `--peer-urls` value as given) and
//! `ETCD_INITIAL_CLUSTER_STATE="existing"`, each value in Go `%q` quoting.
//!
//! `move-leader` asks every `--endpoints` member for its status, in order, and sends the
//! request to the first one that reports itself as leader; none: `no leader endpoint given at
//! [<endpoints>]` (exit 128).

use std::io::Write;

use clap::Subcommand;

use super::connect::{client, env, GlobalArgs};
use super::exit::{call_err, io_err, print_err, Exit, Result, EXIT_BAD_ARGS, EXIT_BAD_CONNECTION};
use super::flags::go_bool;
use super::printer::{go_quote, PROMOTE_PANIC};
use crate::client::{Client, ClientConfig};
use crate::pb::etcdserverpb::MemberListRequest;

/// `member` subcommands.
#[derive(Debug, Subcommand)]
pub enum MemberCommand {
    /// Adds a member into the cluster
    Add {
        /// <memberName>
        args: Vec<String>,
        /// comma separated peer URLs for the new member.
        #[arg(long, default_value = "")]
        peer_urls: String,
        /// indicates if the new member is raft learner
        #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_parser = go_bool)]
        learner: bool,
    },
    /// Removes a member from the cluster
    Remove {
        /// <memberID>
        args: Vec<String>,
    },
    /// Updates a member in the cluster
    Update {
        /// <memberID>
        args: Vec<String>,
        /// comma separated peer URLs for the updated member.
        #[arg(long, default_value = "")]
        peer_urls: String,
    },
    /// Lists all members in the cluster
    List,
    /// Promotes a non-voting member in the cluster
    Promote {
        /// <memberID>
        args: Vec<String>,
    },
}

/// Go's `strconv.ParseUint(s, 16, 64)` with Go's error text.
fn parse_hex_u64(s: &str) -> std::result::Result<u64, String> {
    let why = if s.is_empty() || s.starts_with(['+', '-']) {
        "invalid syntax"
    } else {
        match u64::from_str_radix(s, 16) {
            Ok(v) => return Ok(v),
            Err(e) if *e.kind() == std::num::IntErrorKind::PosOverflow => "value out of range",
            Err(_) => "invalid syntax",
        }
    };
    Err(format!(
        "strconv.ParseUint: parsing {}: {why}",
        go_quote(s.as_bytes())
    ))
}

/// The member ID argument of `remove`, `update` and `promote`.
fn member_id(args: &[String]) -> Result<u64> {
    if args.len() != 1 {
        return Err(Exit::new(EXIT_BAD_ARGS, "member ID is not provided"));
    }
    parse_hex_u64(&args[0]).map_err(|e| {
        Exit::new(
            EXIT_BAD_ARGS,
            format!("bad member ID arg ({e}), expecting ID in Hex"),
        )
    })
}

/// Runs a `member` subcommand.
pub(super) async fn member(
    g: &GlobalArgs,
    cmd: MemberCommand,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<()> {
    match cmd {
        MemberCommand::List => {
            let env = env(g)?;
            let resp = client(&env.cfg)?
                .member_list(MemberListRequest::default())
                .await
                .map_err(call_err)?;
            env.printer.member_list(out, &resp).map_err(print_err)
        }
        MemberCommand::Add {
            args,
            peer_urls,
            learner,
        } => add(g, &args, &peer_urls, learner, out).await,
        MemberCommand::Remove { args } => {
            let id = member_id(&args)?;
            let e = env(g)?;
            let resp = client(&e.cfg)?.member_remove(id).await.map_err(call_err)?;
            e.printer.member_remove(out, id, &resp).map_err(print_err)
        }
        MemberCommand::Update { args, peer_urls } => {
            let id = member_id(&args)?;
            if peer_urls.is_empty() {
                return Err(Exit::new(EXIT_BAD_ARGS, "member peer urls not provided"));
            }
            let urls = peer_urls.split(',').map(str::to_string).collect();
            let e = env(g)?;
            let resp = client(&e.cfg)?
                .member_update(id, urls)
                .await
                .map_err(call_err)?;
            e.printer.member_update(out, id, &resp).map_err(print_err)
        }
        MemberCommand::Promote { args } => {
            let id = member_id(&args)?;
            let e = env(g)?;
            let resp = client(&e.cfg)?.member_promote(id).await.map_err(call_err)?;
            if e.printer
                .member_promote(out, id, &resp)
                .map_err(print_err)?
            {
                return Ok(());
            }
            // etcdctl 3.4.23 dereferences a nil printer here (see printer::member).
            writeln!(err, "{PROMOTE_PANIC}").map_err(io_err)?;
            Err(Exit::new(EXIT_BAD_CONNECTION, ""))
        }
    }
}

async fn add(
    g: &GlobalArgs,
    args: &[String],
    peer_urls: &str,
    learner: bool,
    out: &mut dyn Write,
) -> Result<()> {
    let Some(name) = args.first() else {
        return Err(Exit::new(EXIT_BAD_ARGS, "member name not provided"));
    };
    if args.len() > 1 {
        let mut ev = String::from("too many arguments");
        for s in args {
            if s.to_lowercase().starts_with("http") {
                ev.push_str(&format!(", did you mean --peer-urls={s}"));
            }
        }
        return Err(Exit::new(EXIT_BAD_ARGS, ev));
    }
    if peer_urls.is_empty() {
        return Err(Exit::new(EXIT_BAD_ARGS, "member peer urls not provided"));
    }
    let urls: Vec<String> = peer_urls.split(',').map(str::to_string).collect();
    let e = env(g)?;
    let resp = client(&e.cfg)?
        .member_add(urls, learner)
        .await
        .map_err(call_err)?;
    e.printer.member_add(out, &resp).map_err(print_err)?;
    if e.printer.format != super::printer::OutputFormat::Simple {
        return Ok(());
    }
    let new_id = resp.member.as_ref().map_or(0, |m| m.id);
    let conf: Vec<String> = resp
        .members
        .iter()
        .flat_map(|m| {
            let n = if m.id == new_id {
                name.as_str()
            } else {
                m.name.as_str()
            };
            m.peer_ur_ls.iter().map(move |u| format!("{n}={u}"))
        })
        .collect();
    let q = |s: &str| go_quote(s.as_bytes());
    write!(
        out,
        "\nETCD_NAME={}\nETCD_INITIAL_CLUSTER={}\nETCD_INITIAL_ADVERTISE_PEER_URLS={}\nETCD_INITIAL_CLUSTER_STATE=\"existing\"\n",
        q(name),
        q(&conf.join(",")),
        q(peer_urls)
    )
    .map_err(io_err)
}

/// `move-leader <transferee-member-id>`.
pub(super) async fn move_leader(
    g: &GlobalArgs,
    args: &[String],
    out: &mut dyn Write,
) -> Result<()> {
    if args.len() != 1 {
        return Err(Exit::new(
            EXIT_BAD_ARGS,
            "move-leader command needs 1 argument",
        ));
    }
    let target = parse_hex_u64(&args[0]).map_err(|e| Exit::new(EXIT_BAD_ARGS, e))?;
    let e = env(g)?;
    let mut leader: Option<(Client, u64)> = None;
    for ep in &e.cfg.endpoints {
        let cfg = ClientConfig {
            endpoints: vec![ep.clone()],
            ..e.cfg.clone()
        };
        let c = client(&cfg)?;
        let st = c.status().await.map_err(call_err)?;
        if st.header.as_ref().map_or(0, |h| h.member_id) == st.leader {
            leader = Some((c, st.leader));
            break;
        }
    }
    let Some((c, leader_id)) = leader else {
        return Err(Exit::new(
            EXIT_BAD_ARGS,
            format!(
                "no leader endpoint given at [{}]",
                e.cfg.endpoints.join(" ")
            ),
        ));
    };
    let resp = c.move_leader(target).await.map_err(call_err)?;
    e.printer
        .move_leader(out, leader_id, target, &resp)
        .map_err(print_err)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn hex_ids_parse_like_go_parse_uint() {
        assert_eq!(parse_hex_u64("8e9e05c52164694d"), Ok(0x8e9e05c52164694d));
        assert_eq!(
            parse_hex_u64("zz").unwrap_err(),
            "strconv.ParseUint: parsing \"zz\": invalid syntax"
        );
        assert_eq!(
            parse_hex_u64("-1").unwrap_err(),
            "strconv.ParseUint: parsing \"-1\": invalid syntax"
        );
        assert_eq!(
            parse_hex_u64("1ffffffffffffffff").unwrap_err(),
            "strconv.ParseUint: parsing \"1ffffffffffffffff\": value out of range"
        );
        assert_eq!(
            member_id(&[]).unwrap_err().message,
            "member ID is not provided"
        );
    }
}
