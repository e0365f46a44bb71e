//! `etcdctl`: a clone of etcdctl v3.4 (kv, txn, compaction, member, move-leader, endpoint, version,
//! watch, lease, lock, elect, snapshot, defrag, alarm, auth, user, role).
//!
//! Entry points: [`run`] (process arguments → exit code) and [`command`] (the clap tree, for
//! man pages and completions). Parsing is pure (clap structs do no I/O); [`run_with`] resolves
//! the globals, talks to the cluster through [`crate::client`] and prints through
//! [`printer::Printer`] into the writers it is given.
//!
//! Output, `Error: <message>` lines on stderr and exit codes follow etcdctl 3.4.23
//! (`ctlv3/command/error.go`): 0 success, 1 error, 2 bad connection, 3 invalid input (txn),
//! 4 bad feature (unsupported `--write-out` value), 128 bad arguments.
//! `ETCDCTL_API=3` is accepted and ignored; every global flag also reads `ETCDCTL_<FLAG>`.
//! `ETCDCTL_API=2` hands the whole command line to [`v2`] (etcdctl 3.4's v2 mode); other values
//! than empty, `2` and `3` are refused (`unsupported API version <v>`, exit 1) as etcdctl does.
//!
//! Layout: this file holds the clap root ([`Cli`], [`Command`]) and the dispatch ([`run_with`],
//! `execute`); every other file is a leaf that imports its siblings, never this file.
//! Shared: `exit` (exit codes, [`Exit`], error conversions), `flags` (Go-style flag values),
//! `connect` (the global flags → printer, client configuration, client). One file per etcdctl
//! topic, each with its clap arguments and command bodies: `kv` (put, get, del, compaction),
//! [`txn`], `watch`, `lease`, `lock` (lock and elect), `member` (member, move-leader),
//! `endpoint`, `snapshot`, `maintenance` (defrag, alarm), [`auth`] (auth, user, role),
//! [`check`]; [`printer`] follows the same topics.

pub mod auth;
pub mod check;
mod connect;
mod endpoint;
mod exit;
mod flags;
mod kv;
mod lease;
mod lock;
mod maintenance;
mod member;
mod migrate;
pub mod printer;
mod snapshot;
pub mod txn;
pub mod v2;
mod watch;

use std::ffi::OsString;
use std::io::{self, BufRead, Write};

use clap::{CommandFactory, Parser, Subcommand};

pub use connect::GlobalArgs;
pub use endpoint::{EndpointArgs, EndpointCommand};
pub use exit::{
    Exit, Result, EXIT_BAD_ARGS, EXIT_BAD_CONNECTION, EXIT_BAD_FEATURE, EXIT_ERROR,
    EXIT_INTERRUPTED, EXIT_INVALID_INPUT, EXIT_IO, EXIT_SUCCESS,
};
pub use flags::{go_duration, go_parse_int};
pub use kv::{CompactionArgs, DelArgs, GetArgs, PutArgs};
pub use lease::LeaseCommand;
pub use lock::{ElectArgs, LockArgs};
pub use maintenance::{AlarmCommand, DefragArgs};
pub use member::MemberCommand;
pub use snapshot::SnapshotCommand;
pub use txn::TxnArgs;
pub use watch::WatchArgs;

use exit::io_err;

/// The etcdctl version this clone reproduces (printed by `etcdctl version`).
pub const ETCDCTL_VERSION: &str = "3.4.23";
/// The API version printed by `etcdctl version`.
pub const API_VERSION: &str = "3.4";

/// The root of the clap tree: global flags and the subcommand.
#[derive(Debug, Parser)]
#[command(
    name = "etcdctl",
    about = "A simple command line client for etcd3.",
    version = ETCDCTL_VERSION,
    disable_version_flag = true,
    subcommand_required = true,
    arg_required_else_help = true
)]
pub struct Cli {
    /// Flags shared by every command.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The etcdctl commands implemented so far.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Puts the given key into the store
    Put(PutArgs),
    /// Gets the key or a range of keys
    Get(GetArgs),
    /// Removes the specified key or range of keys [key, range_end)
    Del(DelArgs),
    /// Txn processes all the requests in one transaction
    Txn(TxnArgs),
    /// Compacts the event history in etcd
    Compaction(CompactionArgs),
    /// Membership related commands
    Member {
        /// The member subcommand.
        #[command(subcommand)]
        command: MemberCommand,
    },
    /// Endpoint related commands
    Endpoint(EndpointArgs),
    /// Transfers leadership to another etcd cluster member.
    #[command(name = "move-leader")]
    MoveLeader {
        /// <transferee-member-id>
        args: Vec<String>,
    },
    /// Watches events stream on keys or prefixes
    Watch(WatchArgs),
    /// Lease related commands
    Lease {
        /// The lease subcommand.
        #[command(subcommand)]
        command: LeaseCommand,
    },
    /// Acquires a named lock
    Lock(LockArgs),
    /// Observes and participates in leader election
    Elect(ElectArgs),
    /// Manages etcd node snapshots
    Snapshot {
        /// The snapshot subcommand.
        #[command(subcommand)]
        command: SnapshotCommand,
    },
    /// Defragments the storage of the etcd members with given endpoints
    Defrag(DefragArgs),
    /// commands for checking properties of the etcd cluster
    Check {
        /// The check subcommand.
        #[command(subcommand)]
        command: check::CheckCommand,
    },
    /// Alarm related commands
    Alarm {
        /// The alarm subcommand.
        #[command(subcommand)]
        command: AlarmCommand,
    },
    /// Enable or disable authentication
    Auth {
        /// The auth subcommand.
        #[command(subcommand)]
        command: auth::AuthCommand,
    },
    /// User related commands
    User {
        /// The user subcommand.
        #[command(subcommand)]
        command: auth::UserCommand,
    },
    /// Role related commands
    Role {
        /// The role subcommand.
        #[command(subcommand)]
        command: auth::RoleCommand,
    },
    /// Prints the version of etcdctl
    Version,
    /// Migrates keys in a v2 store to a mvcc store
    Migrate(migrate::MigrateArgs),
}

/// The clap tree of `etcdctl` (root named `etcdctl`), for man pages and completions.
pub fn command() -> clap::Command {
    Cli::command()
}

/// Runs etcdctl with the process's stdin, stdout and stderr; returns the exit code.
///
/// `args` are the etcdctl arguments WITHOUT the program name: for `etcdctl get foo` and for
/// `etcd ctl get foo` alike, `args == ["get", "foo"]` (so `args[0]` is the first flag or the
/// command name, never `etcdctl`, `etcd` or `ctl`).
pub fn run(args: Vec<OsString>) -> i32 {
    // Not `stdin().lock()`: `watch -i` reads the process stdin through tokio, which takes the
    // lock per read and would block forever behind a lock held here.
    let mut stdin = io::BufReader::new(io::stdin());
    let mut stdout = io::stdout();
    let mut stderr = io::stderr();
    let code = run_with(args, &mut stdin, &mut stdout, &mut stderr);
    let _ = stdout.flush();
    code
}

/// [`run`] with explicit streams (used by tests). `args` as in [`run`].
pub fn run_with(
    args: Vec<OsString>,
    stdin: &mut dyn BufRead,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    match std::env::var("ETCDCTL_API").as_deref() {
        Ok("2") => return v2::run_with(args, stdin, out, err),
        Ok("") | Ok("3") | Err(_) => {}
        Ok(other) => {
            // etcdctl 3.4's main: any other value is refused.
            let _ = writeln!(err, "unsupported API version {other}");
            return EXIT_ERROR;
        }
    }
    let argv = std::iter::once(OsString::from("etcdctl")).chain(args);
    let raw: Vec<OsString> = argv.clone().collect();
    let mut cli = match Cli::try_parse_from(argv) {
        Ok(cli) => cli,
        Err(e) => return clap_error(e, out, err),
    };
    if let Command::Watch(w) = &mut cli.command {
        // etcdctl's parseWatchArgs: a `--` anywhere after the `watch` word.
        w.separator = raw
            .iter()
            .skip_while(|a| *a != "watch")
            .skip(1)
            .any(|a| a == "--");
    }
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let _ = writeln!(err, "Error: {e}");
            return EXIT_ERROR;
        }
    };
    let res = rt.block_on(execute(cli, stdin, out, err));
    let _ = out.flush();
    match res {
        Ok(()) => EXIT_SUCCESS,
        Err(e) => {
            if !e.message.is_empty() {
                let _ = writeln!(err, "Error: {}", e.message);
            }
            e.code
        }
    }
}

/// Reports a clap parse failure the way cobra does in etcdctl (`Error: unknown flag: --x`,
/// exit 1); help requests print help and exit 0.
fn clap_error(e: clap::Error, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    let ctx = |k: ContextKind| match e.get(k) {
        Some(ContextValue::String(s)) => s.clone(),
        Some(ContextValue::Strings(v)) => v.join(" "),
        Some(other) => other.to_string(),
        None => String::new(),
    };
    let msg = match e.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = write!(out, "{}", e.render());
            return if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                EXIT_ERROR
            } else {
                EXIT_SUCCESS
            };
        }
        ErrorKind::UnknownArgument => {
            let arg = ctx(ContextKind::InvalidArg);
            let arg = arg.split('=').next().unwrap_or("").to_string();
            if arg.starts_with("--") || !arg.starts_with('-') {
                format!("unknown flag: {arg}")
            } else {
                format!(
                    "unknown shorthand flag: '{}' in {arg}",
                    arg.trim_start_matches('-').chars().next().unwrap_or('?')
                )
            }
        }
        ErrorKind::InvalidSubcommand => {
            // cobra's own report, then etcdctl's ExitWithError.
            let msg = format!(
                "unknown command {} for \"etcdctl\"",
                printer::go_quote(ctx(ContextKind::InvalidSubcommand).as_bytes())
            );
            let _ = writeln!(err, "Error: {msg}\nRun 'etcdctl --help' for usage.");
            msg
        }
        ErrorKind::ValueValidation | ErrorKind::InvalidValue => {
            let flag = ctx(ContextKind::InvalidArg);
            let flag = flag.split([' ', '=']).next().unwrap_or("").to_string();
            let val = ctx(ContextKind::InvalidValue);
            let why = std::error::Error::source(&e)
                .map(|s| s.to_string())
                .unwrap_or_default();
            format!(
                "invalid argument {} for {} flag: {why}",
                printer::go_quote(val.as_bytes()),
                printer::go_quote(flag.as_bytes())
            )
        }
        _ => {
            let rendered = e.render().to_string();
            let first = rendered
                .lines()
                .next()
                .unwrap_or("")
                .trim_start_matches("error: ")
                .to_string();
            first
        }
    };
    if matches!(
        e.kind(),
        ErrorKind::UnknownArgument | ErrorKind::ValueValidation | ErrorKind::InvalidValue
    ) {
        // cobra prints the flag error and the usage (to stdout), then a blank line.
        let _ = writeln!(err, "Error: {msg}\n");
    }
    let _ = writeln!(err, "Error: {msg}");
    EXIT_ERROR
}

/// Runs a parsed command.
pub(crate) async fn execute(
    cli: Cli,
    stdin: &mut dyn BufRead,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<()> {
    let g = &cli.global;
    match cli.command {
        Command::Version => {
            writeln!(out, "etcdctl version: {ETCDCTL_VERSION}").map_err(io_err)?;
            writeln!(out, "API version: {API_VERSION}").map_err(io_err)?;
            Ok(())
        }
        Command::Put(a) => kv::put(g, &a, stdin, out).await,
        Command::Get(a) => kv::get(g, &a, out).await,
        Command::Del(a) => kv::del(g, &a, out).await,
        Command::Txn(a) => txn::txn(g, &a, stdin, out).await,
        Command::Compaction(a) => kv::compaction(g, &a, out).await,
        Command::Member { command } => member::member(g, command, out, err).await,
        Command::MoveLeader { args } => member::move_leader(g, &args, out).await,
        Command::Endpoint(a) => endpoint::endpoint(g, &a, out, err).await,
        Command::Watch(a) => watch::watch(g, a, out, err).await,
        Command::Lease { command } => lease::lease(g, command, out).await,
        Command::Lock(a) => lock::lock(g, a, out).await,
        Command::Elect(a) => lock::elect(g, a, out).await,
        Command::Snapshot { command } => snapshot::snapshot(g, command, out, err).await,
        Command::Defrag(a) => maintenance::defrag(g, a, out, err).await,
        Command::Check { command } => check::check(g, command, out).await,
        Command::Alarm { command } => maintenance::alarm(g, command, out).await,
        Command::Auth { command } => auth::auth(g, command, out).await,
        Command::User { command } => auth::user(g, command, stdin, out).await,
        Command::Role { command } => auth::role(g, command, out).await,
        Command::Migrate(a) => migrate::migrate(&a, out),
    }
}
