//! etcdctl 3.4's `snapshot save|status|restore` (`ctlv3/command/snapshot_command.go`).
//!
//! Departures, on purpose:
//! - `snapshot save` checks the sha256 trailer of what it downloaded (etcdctl 3.4 only checks
//!   it on restore) and draws a progress bar on stderr when stderr is a terminal;
//! - `snapshot status` reads both etcd's snapshots (bbolt, what our server's Snapshot RPC
//!   streams too; the same hash, revision, keys and size as etcdctl) and the older
//!   etcd-oxide snapshots (an LMDB image + sha256 trailer).

use std::io::{Read, Write};
use std::path::Path;

use clap::Subcommand;
use futures::StreamExt;
use sha2::{Digest, Sha256};

use super::connect::{env, GlobalArgs};
use super::exit::{
    bad_args, go_io_error, io_err, print_err, Exit, Result, EXIT_ERROR, EXIT_INTERRUPTED,
};
use super::printer::DbStatus;
use crate::client::{Client, ClientConfig};

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
    /// Restores an etcd member snapshot to an etcd directory
    Restore(crate::cli::util::RestoreArgs),
}

/// Size of the sha256 trailer etcd appends to a snapshot stream.
const SHA256_LEN: u64 = 32;

/// Checks the trailer of a downloaded snapshot: the size must be `k·512 + 32` and the last 32
/// bytes the sha256 of the rest.
///
/// # Errors
/// etcd's `sha256 checksum not found [bytes: N]`, or `expected sha256 <hex>, got <hex>`.
pub(crate) fn verify_trailer(path: &Path) -> std::result::Result<(), String> {
    let size = std::fs::metadata(path).map_err(|e| go_io_error(&e))?.len();
    if size < SHA256_LEN || size % 512 != SHA256_LEN {
        return Err(format!("sha256 checksum not found [bytes: {size}]"));
    }
    let mut f = std::io::BufReader::new(std::fs::File::open(path).map_err(|e| go_io_error(&e))?);
    let mut h = Sha256::new();
    let mut left = size - SHA256_LEN;
    let mut buf = vec![0u8; 64 * 1024];
    while left > 0 {
        let n = usize::try_from(left.min(buf.len() as u64)).unwrap_or(buf.len());
        f.read_exact(&mut buf[..n]).map_err(|e| go_io_error(&e))?;
        h.update(&buf[..n]);
        left -= n as u64;
    }
    let mut trailer = [0u8; 32];
    f.read_exact(&mut trailer).map_err(|e| go_io_error(&e))?;
    let got = h.finalize();
    if got.as_slice() != trailer {
        return Err(format!(
            "expected sha256 {}, got {}",
            hex::encode(trailer),
            hex::encode(got)
        ));
    }
    Ok(())
}

/// `snapshot save|status|restore`.
pub(super) async fn snapshot(
    g: &GlobalArgs,
    cmd: SnapshotCommand,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<()> {
    match cmd {
        SnapshotCommand::Save { args } => {
            if args.len() != 1 {
                return Err(bad_args("snapshot save expects one argument"));
            }
            let e = env(g)?;
            if e.cfg.endpoints.len() != 1 {
                return Err(Exit::new(
                    EXIT_INTERRUPTED,
                    format!(
                        "snapshot must be requested to one selected node, not multiple [{}]",
                        e.cfg.endpoints.join(" ")
                    ),
                ));
            }
            let path = &args[0];
            let part = format!("{path}.part");
            let r = save_snapshot(&e.cfg, &part, path, err).await;
            let _ = std::fs::remove_file(&part);
            r.map_err(|m| Exit::new(EXIT_INTERRUPTED, m))?;
            writeln!(out, "Snapshot saved at {path}").map_err(io_err)
        }
        SnapshotCommand::Status { args } => {
            if args.len() != 1 {
                return Err(bad_args("snapshot status requires exactly one argument"));
            }
            let e = env(g)?;
            let st = snapshot_status(Path::new(&args[0])).map_err(|m| Exit::new(EXIT_ERROR, m))?;
            e.printer.db_status(out, &st).map_err(print_err)
        }
        SnapshotCommand::Restore(a) => {
            // The same restore as `etcd util snapshot restore` (etcd's or our snapshots).
            crate::cli::util::restore_for_ctl(&a, err).map_err(|(code, m)| Exit::new(code, m))
        }
    }
}

/// Downloads the snapshot into `part`, checks its trailer, and renames it to `path`.
async fn save_snapshot(
    cfg: &ClientConfig,
    part: &str,
    path: &str,
    err: &mut dyn Write,
) -> std::result::Result<(), String> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(part)
        .map_err(|e| format!("could not open {part} (open {part}: {})", go_io_error(&e)))?;
    let c = Client::new(cfg).map_err(|e| e.to_string())?;
    let mut stream = c.snapshot().await.map_err(|e| e.to_string())?;
    let bar = crate::cli::progress::bytes_bar("snapshot save", 0);
    let mut written = 0u64;
    while let Some(item) = stream.next().await {
        let chunk = item.map_err(|e| e.to_string())?;
        f.write_all(&chunk.blob)
            .map_err(|e| format!("write {part}: {}", go_io_error(&e)))?;
        written += chunk.blob.len() as u64;
        bar.set_length(written + chunk.remaining_bytes);
        bar.set_position(written);
    }
    bar.finish_and_clear();
    let _ = err.flush();
    f.sync_all()
        .map_err(|e| format!("fsync {part}: {}", go_io_error(&e)))?;
    drop(f);
    verify_trailer(Path::new(part))?;
    std::fs::rename(part, path)
        .map_err(|e| format!("could not rename {part} to {path} ({})", go_io_error(&e)))?;
    // The rename itself durable: after a crash `path` is absent or complete.
    let dir = Path::new(path)
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    crate::storage::snapshot::sync_dir(dir).map_err(|e| e.to_string())
}

/// A private temporary directory, removed on drop.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new() -> std::io::Result<TempDir> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let p = std::env::temp_dir().join(format!(
            "etcdctl-snapshot-status-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir(&p)?;
        Ok(TempDir(p))
    }
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// LMDB's meta-page magic (`MDB_MAGIC`), at byte 16 of the file.
const LMDB_MAGIC: u32 = 0xBEEF_C0DE;
/// bolt's meta-page magic, at byte 16 of a Go etcd snapshot.
const BOLT_MAGIC: u32 = 0xED0C_DAED;

/// `snapshot status` of an etcd (bbolt) snapshot, read as etcdctl reads it; or of an older
/// etcd-oxide snapshot: the LMDB image (trailer, if any, left out) is
/// copied to a temporary directory as `data.mdb` and opened there.
///
/// Hash: CRC-32C over each database's name, then its keys and values in order (etcd hashes
/// bucket names, keys and values the same way); keys: entries over all databases; revision:
/// the MVCC store's current revision; size: the image size in bytes.
///
/// # Errors
/// Go's `stat` error for a missing file, bbolt's errors for a damaged bolt file, `not an
/// etcd-oxide snapshot` for anything that is neither, storage errors.
pub(crate) fn snapshot_status(path: &Path) -> std::result::Result<DbStatus, String> {
    let shown = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|e| format!("stat {shown}: {}", go_io_error(&e)))?;
    let mut f =
        std::fs::File::open(path).map_err(|e| format!("open {shown}: {}", go_io_error(&e)))?;
    let mut head = [0u8; 20];
    let magic = match f.read_exact(&mut head) {
        Ok(()) => u32::from_le_bytes([head[16], head[17], head[18], head[19]]),
        Err(_) => 0,
    };
    if magic == BOLT_MAGIC {
        let st = crate::storage::etcd::bbolt::status(path).map_err(|e| e.to_string())?;
        return Ok(DbStatus {
            hash: st.hash,
            revision: st.revision,
            total_key: st.total_key,
            total_size: st.total_size,
        });
    }
    if magic != LMDB_MAGIC {
        return Err(format!("not an etcd-oxide snapshot: {shown}"));
    }
    let size = meta.len();
    let db_size = if size % 512 == SHA256_LEN {
        size - SHA256_LEN
    } else {
        size
    };
    let dir = TempDir::new().map_err(|e| format!("temporary directory: {}", go_io_error(&e)))?;
    {
        let mut src = std::fs::File::open(path)
            .map_err(|e| format!("open {shown}: {}", go_io_error(&e)))?
            .take(db_size);
        let mut dst =
            std::fs::File::create(dir.path().join("data.mdb")).map_err(|e| e.to_string())?;
        std::io::copy(&mut src, &mut dst).map_err(|e| e.to_string())?;
    }
    let env = crate::storage::open_env(dir.path(), crate::storage::EnvKind::State)
        .map_err(|e| e.to_string())?;
    // The same content hash and key count as `etcd util snapshot status`.
    let content = crate::storage::snapshot::content_status(&env).map_err(|e| e.to_string())?;
    let store = crate::mvcc::KvStore::open(&env).map_err(|e| e.to_string())?;
    let rtxn = env.read_txn().map_err(|e| e.to_string())?;
    let revision = store.current_revision(&rtxn).map_err(|e| e.to_string())?;
    Ok(DbStatus {
        hash: content.hash,
        revision,
        total_key: content.total_keys,
        total_size: db_size,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn trailer_check() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.db");
        let body = vec![7u8; 1024];
        let mut data = body.clone();
        data.extend_from_slice(&Sha256::digest(&body));
        std::fs::write(&p, &data).unwrap();
        verify_trailer(&p).unwrap();
        data[0] = 8;
        std::fs::write(&p, &data).unwrap();
        assert!(verify_trailer(&p)
            .unwrap_err()
            .starts_with("expected sha256 "));
        std::fs::write(&p, &body).unwrap();
        assert_eq!(
            verify_trailer(&p).unwrap_err(),
            "sha256 checksum not found [bytes: 1024]"
        );
    }

    #[test]
    fn status_reads_bolt_and_refuses_a_damaged_one() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("b.db");
        let mut page = vec![0u8; 4096];
        page[16..20].copy_from_slice(&BOLT_MAGIC.to_le_bytes());
        std::fs::write(&p, &page).unwrap();
        assert_eq!(snapshot_status(&p).unwrap_err(), "version mismatch");
        std::fs::write(&p, b"neither").unwrap();
        assert!(snapshot_status(&p)
            .unwrap_err()
            .starts_with("not an etcd-oxide snapshot"));
        // etcd 3.4.23's snapshot (see storage::etcd::bbolt's tests for its history).
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("src/storage/etcd/testdata/etcd-3.4.23.snapshot.db");
        let st = snapshot_status(&fixture).unwrap();
        assert_eq!(
            (st.hash, st.revision, st.total_key, st.total_size),
            (3_503_537_789, 174, 183, 65536)
        );
        assert!(snapshot_status(&dir.path().join("none"))
            .unwrap_err()
            .ends_with("no such file or directory"));
    }

    #[test]
    fn status_of_an_lmdb_snapshot_counts_keys_and_revision() {
        let src = tempfile::tempdir().unwrap();
        let env = crate::storage::open_env(src.path(), crate::storage::EnvKind::State).unwrap();
        let store = crate::mvcc::KvStore::open(&env).unwrap();
        for (k, v) in [("a", "1"), ("b", "2"), ("a", "3")] {
            let mut wtxn = env.write_txn().unwrap();
            let mut tw = store.write(&mut wtxn).unwrap();
            tw.put(k.as_bytes(), v.as_bytes(), 0).unwrap();
            tw.end();
            wtxn.commit().unwrap();
        }
        let out = tempfile::tempdir().unwrap();
        let snap = out.path().join("snap.db");
        env.copy_to_path(&snap, heed::CompactionOption::Enabled)
            .unwrap();
        let body = std::fs::read(&snap).unwrap();
        let plain = status_and_size(&snap);
        let mut with_trailer = body.clone();
        with_trailer.extend_from_slice(&Sha256::digest(&body));
        std::fs::write(&snap, &with_trailer).unwrap();
        verify_trailer(&snap).unwrap();
        let st = status_and_size(&snap);
        assert_eq!(st, plain, "the trailer is not part of the image");
        assert_eq!(st.revision, 4);
        assert_eq!(st.total_size, body.len() as u64);
        // 3 revisions in `key`, 2 keys in `index`, plus whatever `meta` holds.
        assert!(st.total_key >= 5, "{st:?}");
    }

    fn status_and_size(p: &Path) -> DbStatus {
        snapshot_status(p).unwrap()
    }
}
