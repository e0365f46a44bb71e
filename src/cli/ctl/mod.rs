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

pub mod auth;
pub mod check;
mod cmd;
mod member;
mod more;
pub mod printer;
pub mod txn;

use std::ffi::OsString;
use std::io::{self, BufRead, Write};
use std::time::Duration;

use clap::{Args, CommandFactory, Parser, Subcommand};

/// Exit code: success.
pub const EXIT_SUCCESS: i32 = 0;
/// Exit code: generic error (server or client failure).
pub const EXIT_ERROR: i32 = 1;
/// Exit code: the client could not be created.
pub const EXIT_BAD_CONNECTION: i32 = 2;
/// Exit code: malformed txn input.
pub const EXIT_INVALID_INPUT: i32 = 3;
/// Exit code: a valid flag with an unsupported value (e.g. `-w table` for `get`).
pub const EXIT_BAD_FEATURE: i32 = 4;
/// Exit code: interrupted (a watch canceled by the server, a failed snapshot save).
pub const EXIT_INTERRUPTED: i32 = 5;
/// Exit code: an I/O failure (writing output).
pub const EXIT_IO: i32 = 6;
/// Exit code: bad command-line arguments.
pub const EXIT_BAD_ARGS: i32 = 128;

/// The etcdctl version this clone reproduces (printed by `etcdctl version`).
pub const ETCDCTL_VERSION: &str = "3.4.23";
/// The API version printed by `etcdctl version`.
pub const API_VERSION: &str = "3.4";

/// A command failure: the exit code and the message printed as `Error: <message>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Exit {
    /// Process exit code.
    pub code: i32,
    /// The message; empty means exit silently (e.g. `endpoint status` after its own report).
    pub message: String,
}

impl Exit {
    /// An exit with `code` and `message`.
    pub fn new(code: i32, message: impl Into<String>) -> Exit {
        Exit {
            code,
            message: message.into(),
        }
    }
}

/// Result of a command step.
pub type Result<T> = std::result::Result<T, Exit>;

/// Parses a Go boolean (`strconv.ParseBool`) for pflag-style `--flag[=bool]` flags.
fn go_bool(s: &str) -> std::result::Result<bool, String> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        _ => Err(format!(
            "strconv.ParseBool: parsing {}: invalid syntax",
            printer::go_quote(s.as_bytes())
        )),
    }
}

/// Go's `strconv.ParseInt(s, base, 64)` with Go's error text.
pub fn go_parse_int(s: &str, base: u32) -> std::result::Result<i64, String> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || digits.starts_with(['+', '-']) {
        return Err(format!(
            "strconv.ParseInt: parsing {}: invalid syntax",
            printer::go_quote(s.as_bytes())
        ));
    }
    i64::from_str_radix(s, base).map_err(|e| {
        let why = match e.kind() {
            std::num::IntErrorKind::PosOverflow | std::num::IntErrorKind::NegOverflow => {
                "value out of range"
            }
            _ => "invalid syntax",
        };
        format!(
            "strconv.ParseInt: parsing {}: {why}",
            printer::go_quote(s.as_bytes())
        )
    })
}

fn go_int(s: &str) -> std::result::Result<i64, String> {
    go_parse_int(s, 10)
}

/// Go's `time.ParseDuration` (`2s`, `500ms`, `1m30s`, `1.5h`, `0`); negative durations are
/// rejected.
pub fn go_duration(s: &str) -> std::result::Result<Duration, String> {
    let bad = || format!("time: invalid duration {}", printer::go_quote(s.as_bytes()));
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    let mut rest = s.strip_prefix('+').unwrap_or(s);
    if rest.is_empty() {
        return Err(bad());
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if num_len == 0 {
            return Err(bad());
        }
        let n: f64 = rest[..num_len].parse().map_err(|_| bad())?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let mult = match &rest[..unit_len] {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            "" => {
                return Err(format!(
                    "time: missing unit in duration {}",
                    printer::go_quote(s.as_bytes())
                ))
            }
            u => {
                return Err(format!(
                    "time: unknown unit {} in duration {}",
                    printer::go_quote(u.as_bytes()),
                    printer::go_quote(s.as_bytes())
                ))
            }
        };
        total += n * mult;
        rest = &rest[unit_len..];
    }
    Ok(Duration::from_secs_f64(total))
}

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

/// etcdctl's global (persistent) flags, each with its `ETCDCTL_*` environment twin.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// gRPC endpoints
    #[arg(
        long,
        global = true,
        env = "ETCDCTL_ENDPOINTS",
        value_delimiter = ',',
        default_value = "127.0.0.1:2379"
    )]
    pub endpoints: Vec<String>,
    /// enable client-side debug logging
    #[arg(long, global = true, env = "ETCDCTL_DEBUG", num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_parser = go_bool)]
    pub debug: bool,
    /// set the output format (fields, json, protobuf, simple, table)
    #[arg(
        short = 'w',
        long,
        global = true,
        env = "ETCDCTL_WRITE_OUT",
        default_value = "simple"
    )]
    pub write_out: String,
    /// print byte strings as hex encoded strings
    #[arg(long, global = true, env = "ETCDCTL_HEX", num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_parser = go_bool)]
    pub hex: bool,
    /// dial timeout for client connections
    #[arg(long, global = true, env = "ETCDCTL_DIAL_TIMEOUT", default_value = "2s", value_parser = go_duration)]
    pub dial_timeout: Duration,
    /// timeout for short running command (excluding dial timeout)
    #[arg(long, global = true, env = "ETCDCTL_COMMAND_TIMEOUT", default_value = "5s", value_parser = go_duration)]
    pub command_timeout: Duration,
    /// keepalive time for client connections
    #[arg(long, global = true, env = "ETCDCTL_KEEPALIVE_TIME", default_value = "2s", value_parser = go_duration)]
    pub keepalive_time: Duration,
    /// keepalive timeout for client connections
    #[arg(long, global = true, env = "ETCDCTL_KEEPALIVE_TIMEOUT", default_value = "6s", value_parser = go_duration)]
    pub keepalive_timeout: Duration,
    /// disable transport security for client connections
    #[arg(long, global = true, env = "ETCDCTL_INSECURE_TRANSPORT", num_args = 0..=1, require_equals = true, default_value = "true", default_missing_value = "true", value_parser = go_bool)]
    pub insecure_transport: bool,
    /// accept insecure SRV records describing cluster endpoints
    #[arg(long, global = true, env = "ETCDCTL_INSECURE_DISCOVERY", num_args = 0..=1, require_equals = true, default_value = "true", default_missing_value = "true", value_parser = go_bool)]
    pub insecure_discovery: bool,
    /// skip server certificate verification (CAUTION: this option should be enabled only for testing purposes)
    #[arg(long, global = true, env = "ETCDCTL_INSECURE_SKIP_TLS_VERIFY", num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_parser = go_bool)]
    pub insecure_skip_tls_verify: bool,
    /// identify secure client using this TLS certificate file
    #[arg(long, global = true, env = "ETCDCTL_CERT")]
    pub cert: Option<String>,
    /// identify secure client using this TLS key file
    #[arg(long, global = true, env = "ETCDCTL_KEY")]
    pub key: Option<String>,
    /// verify certificates of TLS-enabled secure servers using this CA bundle
    #[arg(long, global = true, env = "ETCDCTL_CACERT")]
    pub cacert: Option<String>,
    /// username[:password] for authentication (prompt if password is not supplied)
    #[arg(long, global = true, env = "ETCDCTL_USER")]
    pub user: Option<String>,
    /// password for authentication (if this option is used, --user option shouldn't include password)
    #[arg(long, global = true, env = "ETCDCTL_PASSWORD")]
    pub password: Option<String>,
    /// domain name to query for SRV records describing cluster endpoints
    #[arg(short = 'd', long, global = true, env = "ETCDCTL_DISCOVERY_SRV")]
    pub discovery_srv: Option<String>,
    /// service name to query when using DNS discovery
    #[arg(long, global = true, env = "ETCDCTL_DISCOVERY_SRV_NAME")]
    pub discovery_srv_name: Option<String>,
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
}

/// `put [options] <key> <value>` (value from stdin when omitted).
#[derive(Debug, Clone, Args)]
pub struct PutArgs {
    /// <key> <value>; <value> is read from stdin when omitted
    pub args: Vec<String>,
    /// lease ID (in hexadecimal) to attach to the key
    #[arg(long, default_value = "0")]
    pub lease: String,
    /// return the previous key-value pair before modification
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_parser = go_bool)]
    pub prev_kv: bool,
    /// updates the key using its current value
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_parser = go_bool)]
    pub ignore_value: bool,
    /// updates the key using its current lease
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_parser = go_bool)]
    pub ignore_lease: bool,
}

/// `get [options] <key> [range_end]`.
#[derive(Debug, Clone, Args)]
pub struct GetArgs {
    /// <key> [range_end]
    pub args: Vec<String>,
    /// Linearizable(l) or Serializable(s)
    #[arg(long, default_value = "l")]
    pub consistency: String,
    /// Order of results; ASCEND or DESCEND (ASCEND by default)
    #[arg(long, default_value = "")]
    pub order: String,
    /// Sort target; CREATE, KEY, MODIFY, VALUE, or VERSION
    #[arg(long, default_value = "")]
    pub sort_by: String,
    /// Maximum number of results
    #[arg(long, default_value = "0", value_parser = go_int)]
    pub limit: i64,
    /// Get keys with matching prefix
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_parser = go_bool)]
    pub prefix: bool,
    /// Get keys that are greater than or equal to the given key using byte compare
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_parser = go_bool)]
    pub from_key: bool,
    /// Specify the kv revision
    #[arg(long, default_value = "0", value_parser = go_int)]
    pub rev: i64,
    /// Get only the keys
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_parser = go_bool)]
    pub keys_only: bool,
    /// Get only the count (etcdctl 3.5 extension)
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_parser = go_bool)]
    pub count_only: bool,
    /// Only write values when using the "simple" output format
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_parser = go_bool)]
    pub print_value_only: bool,
    /// Minimum modify revision (etcdctl 3.5 extension)
    #[arg(long = "min-mod-rev", alias = "min-mod-revision", default_value = "0", value_parser = go_int)]
    pub min_mod_revision: i64,
    /// Maximum modify revision (etcdctl 3.5 extension)
    #[arg(long = "max-mod-rev", alias = "max-mod-revision", default_value = "0", value_parser = go_int)]
    pub max_mod_revision: i64,
    /// Minimum create revision (etcdctl 3.5 extension)
    #[arg(long = "min-create-rev", alias = "min-create-revision", default_value = "0", value_parser = go_int)]
    pub min_create_revision: i64,
    /// Maximum create revision (etcdctl 3.5 extension)
    #[arg(long = "max-create-rev", alias = "max-create-revision", default_value = "0", value_parser = go_int)]
    pub max_create_revision: i64,
}

/// `del [options] <key> [range_end]`.
#[derive(Debug, Clone, Args)]
pub struct DelArgs {
    /// <key> [range_end]
    pub args: Vec<String>,
    /// delete keys with matching prefix
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_parser = go_bool)]
    pub prefix: bool,
    /// return deleted key-value pairs
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_parser = go_bool)]
    pub prev_kv: bool,
    /// delete keys that are greater than or equal to the given key using byte compare
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_parser = go_bool)]
    pub from_key: bool,
}

/// `txn [options]`: reads compares, success and failure requests from stdin.
#[derive(Debug, Clone, Args)]
pub struct TxnArgs {
    /// (no arguments accepted)
    #[arg(hide = true)]
    pub args: Vec<String>,
    /// Input transaction in interactive mode
    #[arg(short = 'i', long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_parser = go_bool)]
    pub interactive: bool,
}

/// `compaction [options] <revision>`.
#[derive(Debug, Clone, Args)]
pub struct CompactionArgs {
    /// <revision>
    pub args: Vec<String>,
    /// 'true' to wait for compaction to physically remove all old revisions
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "false", default_missing_value = "true", value_parser = go_bool)]
    pub physical: bool,
}

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

/// `snapshot` subcommands.
#[derive(Debug, Subcommand)]
pub enum SnapshotCommand {
    /// Stores an etcd node backend snapshot to a given file
    Save {
        /// <filename>
        args: Vec<String>,
    },
    /// Gets backend snapshot status of a given file
    Status {
        /// <filename>
        args: Vec<String>,
    },
}

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
    let res = rt.block_on(cmd::execute(cli, stdin, out, err));
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
