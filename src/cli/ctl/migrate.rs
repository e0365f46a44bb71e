//! `etcdctl migrate` (etcdctl 3.4's `migrate`): offline, on a STOPPED member's data dir,
//! turns the v2 store's keys into v3 keys ([`crate::apply::migrate_v2`] holds the semantics
//! and the differences from etcd). The global flags (`--endpoints`, ...) are accepted and not
//! used: the seed's `etcdctl --endpoints=$ENDPOINT migrate --data-dir=... --wal-dir=...` runs
//! verbatim.
//!
//! Output as etcdctl's: `using default transformer` (no `--transformer`), then
//! `finished transforming keys`; `no v2 keys to migrate` (exit 0) when the v2 store never held
//! a key; `failed to transform keys` then `Error: ...` (exit 1) when the transformer fails.
//!
//! `--wal-dir` is checked to exist when given: this member's v2 store is applied state in
//! `member/snap/db`, so no WAL is replayed (etcd replays its WAL into a fresh v2 store).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use prost::Message;

use super::exit::{io_err, Exit, Result, EXIT_ERROR};
use crate::apply::migrate_v2::{self, MigratedKv};
use crate::pb::mvccpb::KeyValue;
use crate::v2store::NodeExtern;

/// `migrate` flags.
#[derive(Debug, Clone, clap::Args)]
pub struct MigrateArgs {
    /// Do not convert TTL keys
    #[arg(long = "no-ttl")]
    pub no_ttl: bool,
    /// Path to the data directory
    #[arg(long = "data-dir", default_value = "")]
    pub data_dir: String,
    /// Path to the WAL directory
    #[arg(long = "wal-dir", default_value = "")]
    pub wal_dir: String,
    /// Path to the user-provided transformer program
    #[arg(long = "transformer", default_value = "")]
    pub transformer: String,
}

fn err(e: impl std::fmt::Display) -> Exit {
    Exit::new(EXIT_ERROR, e.to_string())
}

/// Runs `migrate`.
///
/// # Errors
/// A missing database or WAL dir, storage failures, a failing transformer (exit 1).
pub fn migrate(a: &MigrateArgs, out: &mut dyn Write) -> Result<()> {
    if a.transformer.is_empty() {
        writeln!(out, "using default transformer").map_err(io_err)?;
    }
    let db_path = Path::new(&a.data_dir)
        .join("member")
        .join("snap")
        .join("db");
    if !crate::storage::snapshot::data_file(&db_path).is_file() {
        return Err(err(format!(
            "open {}: no such file or directory",
            db_path.display()
        )));
    }
    if !a.wal_dir.is_empty() && !Path::new(&a.wal_dir).is_dir() {
        return Err(err(format!(
            "open {}: no such file or directory",
            a.wal_dir
        )));
    }
    let db = crate::apply::state::StateDb::open(&db_path).map_err(err)?;
    let Some(nodes) = migrate_v2::v2_nodes(&db, a.no_ttl).map_err(err)? else {
        writeln!(out, "no v2 keys to migrate").map_err(io_err)?;
        return Ok(());
    };
    let now_ns = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0);
    let kvs: Vec<MigratedKv> = if a.transformer.is_empty() {
        nodes
            .iter()
            .filter_map(|n| migrate_v2::default_transform(n, now_ns))
            .collect()
    } else {
        match run_transformer(Path::new(&a.transformer), &nodes, now_ns) {
            Ok(k) => k,
            Err(e) => {
                writeln!(out, "failed to transform keys").map_err(io_err)?;
                return Err(e);
            }
        }
    };
    migrate_v2::write_keys(&db, kvs).map_err(err)?;
    db.env.force_sync().map_err(err)?;
    writeln!(out, "finished transforming keys").map_err(io_err)?;
    Ok(())
}

/// Runs the user's transformer: the nodes as etcd's v2 JSON on its stdin, 8-byte
/// little-endian length-prefixed `mvccpb.KeyValue` messages read from its stdout. A key's
/// `mod_revision` orders the writes; a non-zero `lease` is not carried over.
fn run_transformer(prog: &Path, nodes: &[NodeExtern], now_ns: i64) -> Result<Vec<MigratedKv>> {
    let mut child = std::process::Command::new(PathBuf::from(prog))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .map_err(|e| err(format!("fork/exec {}: {e}", prog.display())))?;
    let mut stdin = child.stdin.take().ok_or_else(|| err("transformer stdin"))?;
    let mut stdout = child
        .stdout
        .take()
        .ok_or_else(|| err("transformer stdout"))?;
    let body: String = nodes
        .iter()
        .map(|n| n.to_json(now_ns).to_string())
        .collect();
    let writer = std::thread::spawn(move || {
        // A transformer that stops reading early closes the pipe: not an error here.
        let _ = stdin.write_all(body.as_bytes());
    });
    let mut kvs = Vec::new();
    let read: std::io::Result<()> = (|| loop {
        let mut len = [0u8; 8];
        match stdout.read_exact(&mut len) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
            Err(e) => return Err(e),
        }
        let len = u64::from_le_bytes(len);
        let mut buf = Vec::new();
        (&mut stdout).take(len).read_to_end(&mut buf)?;
        if buf.len() as u64 != len {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let kv = KeyValue::decode(buf.as_slice())
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        kvs.push(MigratedKv {
            key: kv.key,
            value: kv.value,
            order: kv.mod_revision,
            lease_ttl: None,
            lease_hint: 0,
        });
    })();
    let _ = writer.join();
    let status = child.wait().map_err(err)?;
    if !status.success() {
        return Err(err(status
            .to_string()
            .replace("exit status: ", "exit status ")));
    }
    read.map_err(err)?;
    Ok(kvs)
}
