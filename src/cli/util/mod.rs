//! `etcdutl` (also `etcd util`): offline tools on a STOPPED member's data dir or on a
//! snapshot file, opening storage directly (etcd 3.4's `etcdctl snapshot restore|status`
//! and `defrag --data-dir`, etcd 3.5's `etcdutl`).
//!
//! - `snapshot restore <file> --data-dir D [--name --initial-cluster --initial-cluster-token
//!   --initial-advertise-peer-urls --skip-hash-check]`: verifies the sha256 trailer, writes
//!   the image as `D/member/snap/db` (one LMDB file, as etcd's), forgets the old Raft apply state (keys,
//!   leases and the revision stay) and seeds a fresh `D/member/wal` with the new cluster's
//!   identity and membership entry, so the server *restarts* a new cluster at the
//!   snapshot's revision (as etcd, the server's `--initial-cluster*` flags are then ignored).
//!   etcdutl 3.5's `--bump-revision N --mark-compacted` (both or neither) moves the revision
//!   to `latest + N` and marks it compacted, so revisions never go back for old clients.
//! - `snapshot status <file> [-w simple|json|table]`: etcd's columns (hash, revision, total
//!   keys, total size). The hash is etcd's: CRC-32C over every table's name, keys and values
//!   (the state tables of `storage::schema`), so equal content gives equal hashes whatever
//!   the page layout.
//!   Files in etcd's format (bbolt, magic 0xED0CDAED) are read as etcd reads them.
//! - `snapshot export --data-dir D <file>` (ours): the member's data as an etcd 3.4 snapshot
//!   file for the official tools ([`etcd_export`]).
//!   An etcd snapshot (bbolt, from etcd 3.4/3.5/3.6) is imported instead: keys with their
//!   revisions, the compaction, leases, auth and alarms ([`etcd_export`]).
//! - `defrag --data-dir D`: compacting copy + atomic swap of `member/snap/db`.
//! - `hashkv --data-dir D [--rev R]`: the HashKV of the stored history (as the server's).
//! - `import --data-dir <etcd dir> [--wal-dir W] --out <our dir>` / `export --data-dir <our
//!   dir> [--wal-dir W] --out <etcd dir>`: a whole data dir between etcd 3.4's layout and ours
//!   ([`etcd_data_dir`]); `--wal-dir` names the source's WAL dir when it ran with one.
//!
//! Entry points: [`run`] and [`command`]. Errors print `Error: <message>` and exit 1, bad
//! arguments exit 128 (etcdctl's codes). Depends on: storage, raft (offline log seeding),
//! mvcc, membership, config.

mod etcd_data_dir;
mod etcd_export;
mod etcd_versions;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{CommandFactory, Parser, Subcommand};

use crate::cli::ctl::printer::{go_quote, humanize_bytes};
use crate::cli::ctl::{EXIT_BAD_ARGS, EXIT_BAD_FEATURE, EXIT_ERROR, EXIT_SUCCESS};
use crate::config::{parse_initial_cluster, parse_urls, url_string};
use crate::membership::{compute_cluster_id, compute_member_id, Member};
use crate::storage::etcd::bbolt;
use crate::storage::snapshot;
use crate::storage::{open_env, EnvKind};

/// The etcdutl command line.
#[derive(Debug, Parser)]
#[command(
    name = "etcdutl",
    about = "An administrative command line tool for etcd3 data (offline: the member must be stopped).",
    subcommand_required = true,
    arg_required_else_help = true
)]
pub struct Cli {
    /// set the output format (simple, json, table)
    #[arg(short = 'w', long, global = true, default_value = "simple")]
    pub write_out: String,
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// etcdutl commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Manages etcd node snapshots
    #[command(subcommand)]
    Snapshot(SnapshotCommand),
    /// Defragments the storage of a stopped etcd member's data directory
    Defrag {
        /// Path to the data directory
        #[arg(long, required = true)]
        data_dir: PathBuf,
    },
    /// Converts a stopped etcd 3.4/3.5 member's data directory into this server's (data,
    /// membership, term, applied index, member and cluster IDs)
    Import {
        /// Path to the etcd data directory (holding member/)
        #[arg(long, required = true)]
        data_dir: PathBuf,
        /// Path to etcd's WAL directory, if etcd ran with --wal-dir (default: member/wal)
        #[arg(long)]
        wal_dir: Option<PathBuf>,
        /// Path of the data directory to create
        #[arg(long, required = true)]
        out: PathBuf,
    },
    /// Converts a stopped member's data directory into one etcd 3.4 restarts from (same
    /// member and cluster IDs, data, membership, term, applied index)
    Export {
        /// Path to the data directory of the stopped member
        #[arg(long, required = true)]
        data_dir: PathBuf,
        /// Path to the member's WAL directory, if it ran with --wal-dir (default: member/wal)
        #[arg(long)]
        wal_dir: Option<PathBuf>,
        /// Path of the etcd data directory to create
        #[arg(long, required = true)]
        out: PathBuf,
    },
    /// Prints the KV history hash of a stopped member's data directory
    Hashkv {
        /// Path to the data directory
        #[arg(long, required = true)]
        data_dir: PathBuf,
        /// maximum revision to hash (default: all revisions)
        #[arg(long, default_value_t = 0)]
        rev: i64,
    },
    /// Prints the version of etcdutl
    Version,
}

/// `snapshot` subcommands.
#[derive(Debug, Subcommand)]
pub enum SnapshotCommand {
    /// Restores an etcd member snapshot to an etcd directory
    Restore(RestoreArgs),
    /// Gets backend snapshot status of a given file
    Status {
        /// The snapshot file
        filename: PathBuf,
    },
    /// Writes a stopped member's data as an etcd 3.4 snapshot file (bbolt + sha256), for the
    /// official etcdctl's snapshot status and restore
    Export {
        /// Path to the data directory of the stopped member
        #[arg(long, required = true)]
        data_dir: PathBuf,
        /// The snapshot file to write
        filename: PathBuf,
    },
}

/// `snapshot restore` flags (etcdctl 3.4's names and defaults).
#[derive(Debug, Clone, clap::Args)]
pub struct RestoreArgs {
    /// The snapshot file
    pub filename: PathBuf,
    /// Path to the data directory (default: <name>.etcd)
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Path to the WAL directory (use --data-dir if none given)
    #[arg(long)]
    pub wal_dir: Option<PathBuf>,
    /// Human-readable name for this member
    #[arg(long, default_value = "default")]
    pub name: String,
    /// Initial cluster configuration for restore bootstrap (default: <name>=http://localhost:2380)
    #[arg(long)]
    pub initial_cluster: Option<String>,
    /// Initial cluster token for the etcd cluster during restore bootstrap
    #[arg(long, default_value = "etcd-cluster")]
    pub initial_cluster_token: String,
    /// List of this member's peer URLs to advertise to the rest of the cluster
    #[arg(long, default_value = "http://localhost:2380")]
    pub initial_advertise_peer_urls: String,
    /// Ignore snapshot integrity hash value (required if copied from data directory)
    #[arg(long)]
    pub skip_hash_check: bool,
    /// How much to increase the latest revision after restore
    #[arg(long, default_value_t = 0)]
    pub bump_revision: u64,
    /// Mark the latest revision after restore as the point of scheduled compaction (required if --bump-revision > 0, disallowed otherwise)
    #[arg(long)]
    pub mark_compacted: bool,
}

/// The clap tree of `etcdutl`, for man pages and completions.
pub fn command() -> clap::Command {
    Cli::command()
}

/// A failure: exit code and the message printed as `Error: <message>`.
#[derive(Debug)]
struct Exit {
    code: i32,
    message: String,
}

impl Exit {
    fn error(message: impl std::fmt::Display) -> Exit {
        Exit {
            code: EXIT_ERROR,
            message: message.to_string(),
        }
    }
}

/// Runs etcdutl; `args` exclude the program name (and `util` for `etcd util`). Returns the
/// exit code.
pub fn run(args: Vec<OsString>) -> i32 {
    let mut out = std::io::stdout();
    let mut err = std::io::stderr();
    run_with(args, &mut out, &mut err)
}

/// [`run`] with explicit output streams (used by tests).
pub fn run_with(args: Vec<OsString>, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let argv = std::iter::once(OsString::from("etcdutl")).chain(args);
    let cli = match Cli::try_parse_from(argv) {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            return match e.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
                    let _ = write!(out, "{}", e.render());
                    EXIT_SUCCESS
                }
                _ => {
                    let _ = write!(err, "{}", e.render());
                    EXIT_BAD_ARGS
                }
            };
        }
    };
    let res = match cli.command {
        Command::Snapshot(SnapshotCommand::Restore(a)) => restore(&a, err),
        Command::Snapshot(SnapshotCommand::Status { filename }) => {
            status(&filename).and_then(|st| print_status(&cli.write_out, &st, out))
        }
        Command::Snapshot(SnapshotCommand::Export { data_dir, filename }) => {
            etcd_export::export_snapshot(&db_dir(&data_dir), &filename)
                .map_err(|e| Exit::error(format!("{e:#}")))
                .and_then(|rev| {
                    writeln!(
                        out,
                        "Snapshot exported at {} (revision {rev})",
                        filename.display()
                    )
                    .map_err(Exit::error)
                })
        }
        Command::Defrag { data_dir } => defrag(&data_dir).and_then(|()| {
            writeln!(
                out,
                "Finished defragmenting etcd data[{}]",
                data_dir.display()
            )
            .map_err(Exit::error)
        }),
        Command::Import {
            data_dir,
            wal_dir,
            out: target,
        } => etcd_data_dir::import(&data_dir, wal_dir.as_deref(), &target)
            .map_err(|e| Exit::error(format!("{e:#}")))
            .and_then(|c| {
                writeln!(
                    out,
                    "Imported etcd data dir {} into {} (member {:x}, cluster {:x}, term {}, applied index {}, revision {}, members {})",
                    data_dir.display(),
                    target.display(),
                    c.member_id,
                    c.cluster_id,
                    c.term,
                    c.applied_index,
                    c.revision,
                    c.members
                )
                .map_err(Exit::error)
            }),
        Command::Export {
            data_dir,
            wal_dir,
            out: target,
        } => etcd_data_dir::export(&data_dir, wal_dir.as_deref(), &target)
            .map_err(|e| Exit::error(format!("{e:#}")))
            .and_then(|s| {
                writeln!(
                    out,
                    "Exported {} as etcd data dir {} (member {:x}, cluster {:x}, term {}, applied index {}, revision {})",
                    data_dir.display(),
                    target.display(),
                    s.member_id,
                    s.cluster_id,
                    s.term,
                    s.applied_index,
                    s.revision
                )
                .map_err(Exit::error)
            }),
        Command::Hashkv { data_dir, rev } => {
            hashkv(&data_dir, rev).and_then(|h| print_hashkv(&cli.write_out, &h, out))
        }
        Command::Version => etcd_versions::print_version(out).map_err(Exit::error),
    };
    let _ = out.flush();
    match res {
        Ok(()) => EXIT_SUCCESS,
        Err(e) => {
            let _ = writeln!(err, "Error: {}", e.message);
            e.code
        }
    }
}

/// What `snapshot status` reports (etcd's `snapshot.Status`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotStatus {
    /// CRC-32C of the content (see the module doc).
    pub hash: u32,
    /// Main revision of the last record of the `key` database.
    pub revision: i64,
    /// Records in all databases.
    pub total_keys: u64,
    /// Size of the database image in bytes (without the sha256 trailer).
    pub total_size: u64,
    /// etcd 3.6's storage version (`meta` bucket, `storageVersion`, e.g. `3.6.0`); empty for
    /// files of etcd 3.4/3.5 and ours, which have none.
    pub version: String,
}

/// Reads a snapshot file's status. An etcd (bbolt) snapshot or `member/snap/db` is read in
/// place, as etcd's `snapshot status` does (same hash, revision, keys and size); our LMDB
/// image is copied to a temp dir and opened there.
fn status(file: &Path) -> Result<SnapshotStatus, Exit> {
    std::fs::metadata(file).map_err(|e| Exit::error(format!("stat {}: {e}", file.display())))?;
    if bbolt::is_bbolt(file).map_err(Exit::error)? {
        let st = bbolt::status(file).map_err(Exit::error)?;
        return Ok(SnapshotStatus {
            hash: st.hash,
            revision: st.revision,
            total_keys: st.total_key,
            total_size: st.total_size,
            version: etcd_versions::storage_version(file).map_err(Exit::error)?,
        });
    }
    let tmp = tempfile::tempdir().map_err(Exit::error)?;
    let db = tmp.path().join("db");
    let total_size = snapshot::write_image(file, &db, true, &mut |_| {}).map_err(Exit::error)?;
    let env = open_env(&db, EnvKind::State).map_err(Exit::error)?;
    let content = snapshot::content_status(&env).map_err(Exit::error)?;
    drop(env);
    let revision = content
        .last_keys
        .iter()
        .find(|(name, _)| name == crate::storage::schema::KEY.name)
        .and_then(|(_, k)| k.as_ref())
        .and_then(|k| crate::mvcc::revision::Revision::from_bytes(k).ok())
        .map(|(rev, _)| rev.main)
        .unwrap_or(0);
    Ok(SnapshotStatus {
        hash: content.hash,
        revision,
        total_keys: content.total_keys,
        total_size,
        version: String::new(),
    })
}

/// Prints `snapshot status` as etcdctl 3.4 and etcdutl 3.5 do (hash, revision, total keys,
/// total size); a file of etcd 3.6 (with a storage version) gets etcdutl 3.6's fifth column
/// `version` (json: `"version"` last), so each file prints as the tool of its own version.
fn print_status(format: &str, st: &SnapshotStatus, out: &mut dyn Write) -> Result<(), Exit> {
    let mut header = vec!["hash", "revision", "total keys", "total size"];
    let mut row = vec![
        format!("{:x}", st.hash),
        st.revision.to_string(),
        st.total_keys.to_string(),
        humanize_bytes(st.total_size),
    ];
    let mut json_version = String::new();
    if !st.version.is_empty() {
        header.push("version");
        row.push(st.version.clone());
        json_version = format!(",\"version\":{}", json_str(&st.version));
    }
    let text = match format {
        "simple" => format!("{}\n", row.join(", ")),
        "table" => crate::cli::ctl::printer::table::render(&header, &[row]),
        "json" => format!(
            "{{\"hash\":{},\"revision\":{},\"totalKey\":{},\"totalSize\":{}{json_version}}}\n",
            st.hash, st.revision, st.total_keys, st.total_size
        ),
        other => {
            return Err(Exit {
                code: EXIT_BAD_FEATURE,
                message: format!("unsupported output format {}", go_quote(other.as_bytes())),
            })
        }
    };
    out.write_all(text.as_bytes()).map_err(Exit::error)
}

/// The member layout under a data dir.
fn db_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("member").join("snap").join("db")
}

/// `snapshot restore` for `etcd ctl snapshot restore` (etcdctl 3.4 has it too): the same
/// restore, logging to `log`; `Err((exit code, message))`.
pub(crate) fn restore_for_ctl(a: &RestoreArgs, log: &mut dyn Write) -> Result<(), (i32, String)> {
    restore(a, log).map_err(|e| (e.code, e.message))
}

/// `snapshot restore`, following etcd 3.4's `v3Manager.Restore`.
fn restore(a: &RestoreArgs, log: &mut dyn Write) -> Result<(), Exit> {
    let data_dir = a
        .data_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("{}.etcd", a.name)));
    let wal_dir = a
        .wal_dir
        .clone()
        .unwrap_or_else(|| data_dir.join("member").join("wal"));
    let initial_cluster = a
        .initial_cluster
        .clone()
        .unwrap_or_else(|| format!("{}=http://localhost:2380", a.name));
    if a.bump_revision > 0 && !a.mark_compacted {
        return Err(Exit {
            code: EXIT_BAD_ARGS,
            message: "--mark-compacted required if --bump-revision > 0".into(),
        });
    }
    if a.bump_revision == 0 && a.mark_compacted {
        return Err(Exit {
            code: EXIT_BAD_ARGS,
            message: "--mark-compacted disallowed if --bump-revision is 0".into(),
        });
    }
    let (cluster_id, member_id, members) = restore_members(
        &a.name,
        &initial_cluster,
        &a.initial_advertise_peer_urls,
        &a.initial_cluster_token,
    )?;
    if data_dir.exists() {
        return Err(Exit::error(format!(
            "data-dir {} exists",
            go_quote(data_dir.display().to_string().as_bytes())
        )));
    }
    if wal_dir.exists() {
        return Err(Exit::error(format!(
            "wal-dir {} exists",
            go_quote(wal_dir.display().to_string().as_bytes())
        )));
    }
    let _ = writeln!(
        log,
        "{{\"level\":\"info\",\"msg\":\"restoring snapshot\",\"path\":{},\"wal-dir\":{},\"data-dir\":{}}}",
        json_str(&a.filename.display().to_string()),
        json_str(&wal_dir.display().to_string()),
        json_str(&data_dir.display().to_string())
    );
    // Everything is built under staging names (`<dir>.part`) and renamed into place once
    // synced: after a kill -9 the data dir (and a separate wal dir) is absent or complete.
    let staged_data = staging_name(&data_dir);
    let staged_wal = if a.wal_dir.is_some() {
        staging_name(&wal_dir)
    } else {
        staged_data.join("member").join("wal")
    };
    let _ = std::fs::remove_dir_all(&staged_data);
    let _ = std::fs::remove_dir_all(&staged_wal);
    let size = std::fs::metadata(&a.filename).map_or(0, |m| m.len());
    let bar = crate::cli::progress::bytes_bar("snapshot restore", size);
    let result = restore_into(
        a,
        &staged_data,
        &staged_wal,
        cluster_id,
        member_id,
        members,
        &bar,
    )
    .and_then(|revision| {
        publish_restored(
            &staged_data,
            &data_dir,
            a.wal_dir.as_ref().map(|_| (&staged_wal, &wal_dir)),
        )?;
        Ok(revision)
    });
    bar.finish_and_clear();
    match result {
        Ok(revision) => {
            let _ = writeln!(
                log,
                "{{\"level\":\"info\",\"msg\":\"restored snapshot\",\"path\":{},\"wal-dir\":{},\"data-dir\":{},\"revision\":{revision},\"cluster-id\":\"{cluster_id:x}\",\"member-id\":\"{member_id:x}\"}}",
                json_str(&a.filename.display().to_string()),
                json_str(&wal_dir.display().to_string()),
                json_str(&data_dir.display().to_string())
            );
            Ok(())
        }
        Err(e) => {
            // Leave nothing half-restored behind.
            let _ = std::fs::remove_dir_all(&staged_wal);
            let _ = std::fs::remove_dir_all(&staged_data);
            Err(e)
        }
    }
}

/// `<path>.part`: where a restore builds `path` before renaming it into place.
fn staging_name(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(".part");
    PathBuf::from(name)
}

/// Syncs the staged directories and renames them into place (a separate wal dir first, the
/// data dir last), syncing each parent so the renames are durable.
fn publish_restored(
    staged_data: &Path,
    data_dir: &Path,
    wal: Option<(&PathBuf, &PathBuf)>,
) -> Result<(), Exit> {
    let sync = |d: &Path| snapshot::sync_dir(d).map_err(Exit::error);
    let parent = |p: &Path| {
        p.parent()
            .filter(|d| !d.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
    };
    let member = staged_data.join("member");
    for d in [
        member.join("snap"),
        member.clone(),
        staged_data.to_path_buf(),
    ] {
        if d.is_dir() {
            sync(&d)?;
        }
    }
    if let Some((staged_wal, wal_dir)) = wal {
        sync(staged_wal)?;
        std::fs::create_dir_all(parent(wal_dir)).map_err(Exit::error)?;
        std::fs::rename(staged_wal, wal_dir).map_err(Exit::error)?;
        sync(&parent(wal_dir))?;
    } else if member.join("wal").is_dir() {
        sync(&member.join("wal"))?;
    }
    std::fs::rename(staged_data, data_dir).map_err(Exit::error)?;
    sync(&parent(data_dir))
}

fn restore_into(
    a: &RestoreArgs,
    data_dir: &Path,
    wal_dir: &Path,
    cluster_id: u64,
    member_id: u64,
    members: BTreeMap<u64, Member>,
    bar: &indicatif::ProgressBar,
) -> Result<i64, Exit> {
    let db = db_dir(data_dir);
    let mut revision = if bbolt::is_bbolt(&a.filename).map_err(Exit::error)? {
        let rev = etcd_export::restore_etcd_snapshot(&a.filename, &db, a.skip_hash_check)
            .map_err(|e| Exit::error(format!("{e:#}")))?;
        bar.set_position(bar.length().unwrap_or(0));
        rev
    } else {
        restore_own_image(a, &db, bar)?
    };
    if a.bump_revision > 0 {
        revision = bump_revision(&db, a.bump_revision)?;
    }
    let wal = open_env(wal_dir, EnvKind::Wal).map_err(Exit::error)?;
    crate::raft::log_store::seed_new_cluster(&wal, cluster_id, member_id, members)
        .map_err(Exit::error)?;
    Ok(revision)
}

/// Our own snapshot image (LMDB + sha256): copied into place, its Raft apply state forgotten.
fn restore_own_image(
    a: &RestoreArgs,
    db: &Path,
    bar: &indicatif::ProgressBar,
) -> Result<i64, Exit> {
    snapshot::write_image(&a.filename, db, a.skip_hash_check, &mut |n| bar.inc(n))
        .map_err(Exit::error)?;
    let revision = {
        let backend = crate::apply::state::StateDb::open(db).map_err(|e| {
            Exit::error(format!(
                "{}: not a snapshot of this server's storage: {e}",
                a.filename.display()
            ))
        })?;
        let rev = backend.reset_raft_state().map_err(Exit::error)?;
        backend.env.force_sync().map_err(Exit::error)?;
        rev
    };
    Ok(revision)
}

/// `--bump-revision N --mark-compacted` on the restored state at `db` (see
/// `mvcc::KvStore::bump_revision_mark_compacted`); returns the new revision.
fn bump_revision(db: &Path, amount: u64) -> Result<i64, Exit> {
    let backend = crate::apply::state::StateDb::open(db).map_err(Exit::error)?;
    let mut wtxn = backend.env.write_txn().map_err(Exit::error)?;
    let bumped = backend
        .kv
        .bump_revision_mark_compacted(&mut wtxn, amount)
        .map_err(Exit::error)?;
    wtxn.commit().map_err(Exit::error)?;
    backend.env.force_sync().map_err(Exit::error)?;
    Ok(bumped)
}

/// The new cluster's identity from the restore flags, derived as the server's bootstrap
/// does: (cluster ID, this member's ID, members by ID).
fn restore_members(
    name: &str,
    initial_cluster: &str,
    advertise_peer_urls: &str,
    token: &str,
) -> Result<(u64, u64, BTreeMap<u64, Member>), Exit> {
    let parsed = parse_initial_cluster(initial_cluster).map_err(Exit::error)?;
    let mut by_name: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (n, url) in &parsed {
        by_name.entry(n.clone()).or_default().push(url_string(url));
    }
    let Some(mine) = by_name.get(name) else {
        return Err(Exit::error(format!(
            "couldn't find local name {} in the initial cluster configuration",
            go_quote(name.as_bytes())
        )));
    };
    let mut mine_sorted = mine.clone();
    mine_sorted.sort();
    let mut adv: Vec<String> = parse_urls("initial-advertise-peer-urls", advertise_peer_urls)
        .map_err(Exit::error)?
        .iter()
        .map(url_string)
        .collect();
    adv.sort();
    if mine_sorted != adv {
        return Err(Exit::error(format!(
            "--initial-cluster has {name}={} but missing from --initial-advertise-peer-urls={}",
            mine.join(","),
            adv.join(",")
        )));
    }
    let mut members = BTreeMap::new();
    for (n, urls) in &by_name {
        members.insert(
            compute_member_id(urls, token),
            Member {
                name: n.clone(),
                peer_urls: urls.clone(),
                client_urls: Vec::new(),
            },
        );
    }
    let ids: Vec<u64> = members.keys().copied().collect();
    Ok((
        compute_cluster_id(&ids),
        compute_member_id(mine, token),
        members,
    ))
}

/// `defrag --data-dir`: compacting copy and swap of the stopped member's database.
fn defrag(data_dir: &Path) -> Result<(), Exit> {
    let db = db_dir(data_dir);
    if !snapshot::data_file(&db).is_file() {
        return Err(Exit::error(format!(
            "{}: no database at {}",
            data_dir.display(),
            db.display()
        )));
    }
    let env = open_env(&db, EnvKind::State).map_err(|e| {
        Exit::error(format!(
            "Failed to defragment etcd data[{}] ({e})",
            data_dir.display()
        ))
    })?;
    let bar = crate::cli::progress::bytes_bar(
        "defrag",
        std::fs::metadata(snapshot::data_file(&db)).map_or(0, |m| m.len()),
    );
    let watcher = crate::cli::progress::FileWatcher::start(&bar, snapshot::defrag_tmp(&db));
    let swapped = snapshot::compact_and_swap(env, &db);
    drop(watcher);
    bar.finish_and_clear();
    swapped.map_err(|e| {
        Exit::error(format!(
            "Failed to defragment etcd data[{}] ({e})",
            data_dir.display()
        ))
    })
}

/// HashKV of a stopped member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashKv {
    /// CRC-32C of the history up to `hash_revision` (the server's HashKV).
    pub hash: u32,
    /// The revision hashed up to.
    pub hash_revision: i64,
    /// The compact revision.
    pub compact_revision: i64,
}

fn hashkv(data_dir: &Path, rev: i64) -> Result<HashKv, Exit> {
    let db = db_dir(data_dir);
    if !snapshot::data_file(&db).is_file() {
        return Err(Exit::error(format!(
            "{}: no database at {}",
            data_dir.display(),
            db.display()
        )));
    }
    let env = open_env(&db, EnvKind::State).map_err(Exit::error)?;
    let kv = crate::mvcc::KvStore::open(&env).map_err(Exit::error)?;
    let rtxn = env.read_txn().map_err(Exit::error)?;
    let current = kv.current_revision(&rtxn).map_err(Exit::error)?;
    let (hash, compact_revision) = kv.hash_kv(&rtxn, rev).map_err(Exit::error)?;
    Ok(HashKv {
        hash,
        hash_revision: if rev > 0 { rev } else { current },
        compact_revision,
    })
}

fn print_hashkv(format: &str, h: &HashKv, out: &mut dyn Write) -> Result<(), Exit> {
    let row = vec![
        h.hash.to_string(),
        h.hash_revision.to_string(),
        h.compact_revision.to_string(),
    ];
    let text = match format {
        "simple" => format!("{}\n", row.join(", ")),
        "table" => crate::cli::ctl::printer::table::render(
            &["hash", "hash revision", "compact revision"],
            &[row],
        ),
        "json" => format!(
            "{{\"hash\":{},\"hashRevision\":{},\"compactRevision\":{}}}\n",
            h.hash, h.hash_revision, h.compact_revision
        ),
        other => {
            return Err(Exit {
                code: EXIT_BAD_FEATURE,
                message: format!("unsupported output format {}", go_quote(other.as_bytes())),
            })
        }
    };
    out.write_all(text.as_bytes()).map_err(Exit::error)
}

/// A JSON string literal.
fn json_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn run_args(args: &[&str]) -> (i32, String, String) {
        let mut out = Vec::new();
        let mut err = Vec::new();
        let code = run_with(
            args.iter().map(OsString::from).collect(),
            &mut out,
            &mut err,
        );
        (
            code,
            String::from_utf8_lossy(&out).into_owned(),
            String::from_utf8_lossy(&err).into_owned(),
        )
    }

    #[test]
    fn restore_members_follow_the_servers_bootstrap_ids() {
        let (cid, mid, members) = restore_members(
            "default",
            "default=http://localhost:2380",
            "http://localhost:2380",
            "etcd-cluster",
        )
        .unwrap();
        // etcd's well-known IDs for the default single-member flags.
        assert_eq!(format!("{mid:x}"), "8e9e05c52164694d");
        assert_eq!(format!("{cid:x}"), "cdf818194e3a8c32");
        assert_eq!(members.len(), 1);
        let e = restore_members(
            "x",
            "default=http://localhost:2380",
            "http://localhost:2380",
            "t",
        )
        .unwrap_err();
        assert_eq!(
            e.message,
            "couldn't find local name \"x\" in the initial cluster configuration"
        );
        assert!(restore_members("a", "a=http://h:1,b=http://h:2", "http://h:3", "t").is_err());
    }

    #[test]
    fn status_prints_etcds_formats() {
        let st = SnapshotStatus {
            hash: 0xfe01cf57,
            revision: 10,
            total_keys: 7,
            total_size: 2_100_000,
            version: String::new(),
        };
        let mut out = Vec::new();
        print_status("table", &st, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "+----------+----------+------------+------------+\n\
             |   HASH   | REVISION | TOTAL KEYS | TOTAL SIZE |\n\
             +----------+----------+------------+------------+\n\
             | fe01cf57 |       10 |          7 |     2.1 MB |\n\
             +----------+----------+------------+------------+\n"
        );
        let mut out = Vec::new();
        print_status("simple", &st, &mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "fe01cf57, 10, 7, 2.1 MB\n");
        let mut out = Vec::new();
        print_status("json", &st, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"hash\":4261531479,\"revision\":10,\"totalKey\":7,\"totalSize\":2100000}\n"
        );
        assert_eq!(
            print_status("fields", &st, &mut Vec::new())
                .unwrap_err()
                .code,
            EXIT_BAD_FEATURE
        );
    }

    #[test]
    fn restore_refuses_an_existing_data_dir_and_a_missing_hash() {
        let dir = tempfile::tempdir().unwrap();
        let snap = dir.path().join("s.db");
        std::fs::write(&snap, vec![0u8; 4096]).unwrap();
        let d = dir.path().display().to_string();
        let (code, _, err) = run_args(&[
            "snapshot",
            "restore",
            snap.to_str().unwrap(),
            "--data-dir",
            &d,
        ]);
        assert_eq!(code, EXIT_ERROR);
        assert_eq!(err, format!("Error: data-dir \"{d}\" exists\n"));
        let fresh = dir.path().join("new").display().to_string();
        let (code, _, err) = run_args(&[
            "snapshot",
            "restore",
            snap.to_str().unwrap(),
            "--data-dir",
            &fresh,
        ]);
        assert_eq!(code, EXIT_ERROR);
        assert!(
            err.ends_with("Error: snapshot missing hash but --skip-hash-check=false\n"),
            "{err}"
        );
        assert!(
            !dir.path().join("new").exists(),
            "a failed restore leaves nothing behind"
        );
    }

    /// Both snapshot kinds restore: our older LMDB image (+ sha256), as the Snapshot RPC
    /// streamed before it switched to etcd's format, and etcd 3.4.23's bbolt snapshot.
    #[test]
    fn restores_our_lmdb_snapshots_and_etcds() {
        use crate::apply::state::StateDb as Backend;
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("src");
        let snap = dir.path().join("lmdb.db");
        {
            let b = Backend::open(&src).unwrap();
            let mut w = b.env.write_txn().unwrap();
            let mut tw = b.kv.write(&mut w).unwrap();
            tw.put(b"a", b"1", 0).unwrap();
            tw.end();
            let mut tw = b.kv.write(&mut w).unwrap();
            tw.put(b"b", b"2", 0).unwrap();
            tw.end();
            w.commit().unwrap();
            let mut f = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create_new(true)
                .open(&snap)
                .unwrap();
            b.env
                .copy_to_file(&mut f, heed::CompactionOption::Enabled)
                .unwrap();
            bbolt::append_sha256_trailer(&mut f).unwrap();
        }
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("src/storage/etcd/testdata/etcd-3.4.23.snapshot.db");
        for (file, name, rev) in [(&snap, "lmdb", 3), (&fixture, "etcd", 174)] {
            let (code, out, _) =
                run_args(&["snapshot", "status", "-w", "json", file.to_str().unwrap()]);
            assert_eq!(code, EXIT_SUCCESS);
            assert!(
                out.contains(&format!("\"revision\":{rev},")),
                "{name}: {out}"
            );
            let data = dir.path().join(name);
            let (code, _, err) = run_args(&[
                "snapshot",
                "restore",
                file.to_str().unwrap(),
                "--data-dir",
                data.to_str().unwrap(),
            ]);
            assert_eq!(code, EXIT_SUCCESS, "{name}: {err}");
            let b = Backend::open(&db_dir(&data)).unwrap();
            let r = b.env.read_txn().unwrap();
            assert_eq!(b.kv.current_revision(&r).unwrap(), rev, "{name}");
        }
    }
}
