//! `ETCDCTL_API=2 etcdctl`: a clone of etcdctl 3.4's v2 mode (`etcdctl/ctlv2`), speaking
//! etcd's v2 HTTP API through [`crate::client::v2`].
//!
//! Entry point: [`run_with`] (arguments without the program name → exit code), called by
//! `ctl::run_with` when `ETCDCTL_API=2`. Command line as urfave/cli parses it for etcdctl:
//! global flags BEFORE the command (`etcdctl -o json --endpoints URL get foo`), command flags
//! anywhere after it, Go's single-dash long forms (`-ttl 5`, `-output json`) accepted;
//! `--help`/`-h`/`help [command]` and `--version`/`-v` print urfave's texts; an unknown
//! command prints `No help topic for '<x>'` and exits 3; a bad flag prints urfave's
//! `Incorrect Usage` and exits 1.
//!
//! Exit codes (`ctlv2/command/error.go`): 0 success, 1 bad arguments (and most member, user
//! and role failures), 2 bad connection (cluster sync could not connect), 4 server error
//! (`Error:  100: Key not found (/foo) [4]`), 5 cluster not healthy.
//!
//! Layout: this file holds the clap tree and the dispatch; `connect` (global flags → client,
//! error reports), `format` (`printResponseKey`), `keys` (set, get, mk, mkdir, setdir,
//! update, updatedir, rm, rmdir, ls), `watch` (watch, exec-watch), `member` (member,
//! cluster-health), `auth` (user, role, auth), `help` (urfave-style help from the clap tree).
//! `backup` copies our data dir (`backup`).

mod auth;
mod backup;
mod backup_etcd;
mod connect;
mod format;
mod help;
mod keys;
mod member;
mod watch;

use std::ffi::OsString;
use std::io::{BufRead, Write};
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use super::flags::go_duration;

/// Exit code: success.
pub const EXIT_SUCCESS: i32 = 0;
/// Exit code: bad arguments (and etcdctl's plain `os.Exit(1)` failures).
pub const EXIT_BAD_ARGS: i32 = 1;
/// Exit code: the cluster sync could not connect to any endpoint.
pub const EXIT_BAD_CONNECTION: i32 = 2;
/// Exit code: an error answer or a failed request.
pub const EXIT_SERVER_ERROR: i32 = 4;
/// Exit code: `cluster-health` found an unhealthy member.
pub const EXIT_CLUSTER_NOT_HEALTHY: i32 = 5;
/// Exit code of urfave/cli for an unknown command or help topic.
pub const EXIT_NO_HELP_TOPIC: i32 = 3;

/// A command failure: the exit code and the exact text for stderr (newlines included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fail {
    /// Process exit code.
    pub code: i32,
    /// Written to stderr verbatim.
    pub stderr: String,
}

impl Fail {
    /// etcdctl's `fmt.Fprintln(os.Stderr, msg); os.Exit(code)`.
    pub fn line(code: i32, msg: impl std::fmt::Display) -> Fail {
        Fail {
            code,
            stderr: format!("{msg}\n"),
        }
    }
}

/// Result of a v2 command.
pub type Result<T> = std::result::Result<T, Fail>;

/// etcdctl v2's global flags (they must come before the command).
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// output cURL commands which can be used to reproduce the request
    #[arg(long)]
    pub debug: bool,
    /// don't synchronize cluster information before sending request
    #[arg(long)]
    pub no_sync: bool,
    /// output response in the given format (`simple`, `extended` or `json`)
    #[arg(short = 'o', long, default_value = "simple")]
    pub output: String,
    /// domain name to query for SRV records describing cluster endpoints
    #[arg(short = 'D', long)]
    pub discovery_srv: Option<String>,
    /// accept insecure SRV records describing cluster endpoints
    #[arg(long)]
    pub insecure_discovery: bool,
    /// DEPRECATED - "--endpoints" should be used instead
    #[arg(short = 'C', long)]
    pub peers: Option<String>,
    /// DEPRECATED - "--endpoints" should be used instead
    #[arg(long)]
    pub endpoint: Option<String>,
    /// a comma-delimited list of machine addresses in the cluster
    #[arg(long)]
    pub endpoints: Option<String>,
    /// identify HTTPS client using this SSL certificate file
    #[arg(long)]
    pub cert_file: Option<String>,
    /// identify HTTPS client using this SSL key file
    #[arg(long)]
    pub key_file: Option<String>,
    /// verify certificates of HTTPS-enabled servers using this CA bundle
    #[arg(long)]
    pub ca_file: Option<String>,
    /// provide username[:password] and prompt if password is not supplied.
    #[arg(short = 'u', long)]
    pub username: Option<String>,
    /// connection timeout per request
    #[arg(long, default_value = "2s", value_parser = go_duration)]
    pub timeout: Duration,
    /// timeout for the command execution (except watch)
    #[arg(long, default_value = "5s", value_parser = go_duration)]
    pub total_timeout: Duration,
}

/// The root of the v2 clap tree.
#[derive(Debug, Parser)]
#[command(
    name = "etcdctl",
    about = "A simple command line client for etcd.",
    disable_help_flag = true,
    disable_help_subcommand = true,
    disable_version_flag = true
)]
pub struct Cli {
    /// Flags shared by every command.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// The command.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// etcdctl v2's commands, in its help order.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// backup an etcd directory
    #[command(override_usage = " ")]
    Backup(keys::BackupArgs),
    /// check the health of the etcd cluster
    #[command(name = "cluster-health", override_usage = " ")]
    ClusterHealth(member::HealthArgs),
    /// make a new key with a given value
    #[command(override_usage = "<key> <value>")]
    Mk(keys::MkArgs),
    /// make a new directory
    #[command(override_usage = "<key>")]
    Mkdir(keys::DirArgs),
    /// remove a key or a directory
    #[command(override_usage = "<key>")]
    Rm(keys::RmArgs),
    /// removes the key if it is an empty directory or a key-value pair
    #[command(override_usage = "<key>")]
    Rmdir(keys::KeyArgs),
    /// retrieve the value of a key
    #[command(override_usage = "<key>")]
    Get(keys::GetArgs),
    /// retrieve a directory
    #[command(override_usage = "[key]")]
    Ls(keys::LsArgs),
    /// set the value of a key
    #[command(
        override_usage = "<key> <value>",
        after_help = "Set sets the value of a key.\n\n   When <value> begins with '-', <value> is interpreted as a flag.\n   Insert '--' for workaround:\n\n   $ set -- <key> <value>"
    )]
    Set(keys::SetArgs),
    /// create a new directory or update an existing directory TTL
    #[command(override_usage = "<key>")]
    Setdir(keys::DirArgs),
    /// update an existing key with a given value
    #[command(override_usage = "<key> <value>")]
    Update(keys::UpdateArgs),
    /// update an existing directory
    #[command(override_usage = "<key> <value>")]
    Updatedir(keys::DirArgs),
    /// watch a key for changes
    #[command(override_usage = "<key>")]
    Watch(watch::WatchArgs),
    /// watch a key for changes and exec an executable
    #[command(name = "exec-watch", override_usage = "<key> <command> [args...]")]
    ExecWatch(watch::ExecWatchArgs),
    /// member add, remove and list subcommands
    Member {
        /// The member subcommand.
        #[command(subcommand)]
        command: member::MemberCommand,
    },
    /// user add, grant and revoke subcommands
    User {
        /// The user subcommand.
        #[command(subcommand)]
        command: auth::UserCommand,
    },
    /// role add, grant and revoke subcommands
    Role {
        /// The role subcommand.
        #[command(subcommand)]
        command: auth::RoleCommand,
    },
    /// overall auth controls
    Auth {
        /// The auth subcommand.
        #[command(subcommand)]
        command: auth::AuthCommand,
    },
}

/// Runs `ETCDCTL_API=2 etcdctl` with `args` (without the program name); returns the exit code.
pub fn run_with(
    args: Vec<OsString>,
    stdin: &mut dyn BufRead,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let args: Vec<String> = args
        .into_iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let args = help::normalize(&args);
    if let Some(code) = help::intercept(&args, out, err) {
        return code;
    }
    let argv = std::iter::once("etcdctl".to_string()).chain(args.iter().cloned());
    let cli = match Cli::try_parse_from(argv) {
        Ok(cli) => cli,
        Err(e) => return help::usage_error(&args, &e, out, err),
    };
    let Some(command) = cli.command else {
        let _ = write!(out, "{}", help::ROOT_HELP);
        return EXIT_SUCCESS;
    };
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let _ = writeln!(err, "{e}");
            return EXIT_BAD_ARGS;
        }
    };
    let g = cli.global;
    let res = rt.block_on(async {
        match command {
            Command::Backup(a) => backup::backup(&a),
            Command::ClusterHealth(a) => member::cluster_health(&g, &a, out, err).await,
            Command::Mk(a) => keys::mk(&g, &a, stdin, out, err).await,
            Command::Mkdir(a) => keys::mkdir(&g, &a, Some(false), out, err).await,
            Command::Setdir(a) => keys::mkdir(&g, &a, None, out, err).await,
            Command::Updatedir(a) => keys::mkdir(&g, &a, Some(true), out, err).await,
            Command::Rm(a) => keys::rm(&g, &a, out, err).await,
            Command::Rmdir(a) => keys::rmdir(&g, &a, out, err).await,
            Command::Get(a) => keys::get(&g, &a, out, err).await,
            Command::Ls(a) => keys::ls(&g, &a, out, err).await,
            Command::Set(a) => keys::set(&g, &a, stdin, out, err).await,
            Command::Update(a) => keys::update(&g, &a, stdin, out, err).await,
            Command::Watch(a) => watch::watch(&g, &a, out, err).await,
            Command::ExecWatch(a) => watch::exec_watch(&g, &a, err).await,
            Command::Member { command } => member::member(&g, command, out, err).await,
            Command::User { command } => auth::user(&g, command, stdin, out, err).await,
            Command::Role { command } => auth::role(&g, command, out, err).await,
            Command::Auth { command } => auth::auth(&g, command, out, err).await,
        }
    });
    let _ = out.flush();
    match res {
        Ok(()) => EXIT_SUCCESS,
        Err(f) => {
            let _ = err.write_all(f.stderr.as_bytes());
            let _ = err.flush();
            f.code
        }
    }
}
