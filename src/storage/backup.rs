//! `etcdctl backup` (v2) for our data dir: consistent copies of the state environment
//! (`member/snap/db`) and of the Raft log environment (`member/wal`) into a backup dir, made
//! with LMDB read transactions (so a running member may be backed up), each compacted, and
//! copies of the Raft log's segment files (a torn last record in a copy taken while the member
//! writes is cut when the copy is opened, as after a crash).
//!
//! Without `with_v3`, as etcd's backup without `--with-v3`, the copy keeps no v3 data: the
//! v3 tables (keys and key index, leases, v3 auth) and the MVCC compaction mark are emptied;
//! the v2 store, membership and the Raft state stay. As etcd's backup, the copy may get a new
//! identity (cluster ID, member ID) in the log's copy: start the backup with
//! `--force-new-cluster`, as etcd documents, so it forms a one-member cluster whose only
//! member is the new ID.
//!
//! Depends on: heed (no etcd semantics beyond the schema's table names).

use std::path::{Path, PathBuf};

use super::backend::{open_env, EnvKind};
use super::schema::{self, Table};
use super::StorageError;

/// Tables holding v3 data (emptied in a backup without `with_v3`).
const V3_TABLES: &[Table] = &[
    schema::KEY,
    schema::INDEX,
    schema::LEASE,
    schema::LEASE_KEYS,
    schema::AUTH,
    schema::AUTH_USERS,
    schema::AUTH_ROLES,
];

/// Where a backup reads and writes.
#[derive(Debug, Clone)]
pub struct BackupPaths {
    /// The state environment to copy (`<data-dir>/member/snap/db`).
    pub src_state: PathBuf,
    /// The Raft log environment to copy (`--wal-dir` or `<data-dir>/member/wal`).
    pub src_wal: PathBuf,
    /// Where the state copy goes (`<backup-dir>/member/snap/db`).
    pub dst_state: PathBuf,
    /// Where the log copy goes (`--backup-wal-dir` or `<backup-dir>/member/wal`).
    pub dst_wal: PathBuf,
}

fn io(path: &Path, source: std::io::Error) -> StorageError {
    StorageError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Refuses a missing source with Go's `open <path>: no such file or directory` wording.
fn must_exist(path: &Path) -> Result<(), StorageError> {
    std::fs::metadata(path).map(|_| ()).map_err(|e| io(path, e))
}

/// Copies the data dir's two environments as described in the module doc; `identity`
/// (cluster ID, member ID), when given, replaces the one in the log's copy.
///
/// # Errors
/// [`StorageError::Io`] for a missing source or an existing destination file, LMDB errors.
pub fn backup(
    p: &BackupPaths,
    with_v3: bool,
    identity: Option<(u64, u64)>,
) -> Result<(), StorageError> {
    if let Some(snap_dir) = p.src_state.parent() {
        must_exist(snap_dir)?;
    }
    must_exist(&p.src_state)?;
    must_exist(&p.src_wal)?;
    for dst in [&p.dst_state, &p.dst_wal.join(super::snapshot::DATA_FILE)] {
        if dst.exists() {
            return Err(io(
                dst,
                std::io::Error::new(std::io::ErrorKind::AlreadyExists, "file exists"),
            ));
        }
        if let Some(dir) = dst.parent() {
            std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        }
    }
    let state = open_env(&p.src_state, EnvKind::State)?;
    let f = state.copy_to_path(&p.dst_state, heed::CompactionOption::Enabled)?;
    f.sync_all().map_err(|e| io(&p.dst_state, e))?;
    drop(state);
    let wal = open_env(&p.src_wal, EnvKind::Wal)?;
    let wal_file = p.dst_wal.join(super::snapshot::DATA_FILE);
    let f = wal.copy_to_path(&wal_file, heed::CompactionOption::Enabled)?;
    f.sync_all().map_err(|e| io(&wal_file, e))?;
    drop(wal);
    // The log's entries live in segment files beside the environment.
    super::segment_log::copy_segments(&p.src_wal, &p.dst_wal)?;
    if let Some(identity) = identity {
        let env = open_env(&p.dst_wal, EnvKind::Wal)?;
        let dbs = super::wal::WalDbs::open(&env)?;
        let bytes =
            postcard::to_stdvec(&identity).map_err(|e| StorageError::Corrupt(e.to_string()))?;
        let mut wtxn = env.write_txn()?;
        dbs.meta.put(&mut wtxn, schema::WAL_IDENTITY.key, &bytes)?;
        wtxn.commit()?;
        env.force_sync()?;
    }
    if !with_v3 {
        drop_v3(&p.dst_state)?;
    }
    Ok(())
}

/// Empties the v3 tables of the state environment at `path` and its compaction mark.
fn drop_v3(path: &Path) -> Result<(), StorageError> {
    let env = open_env(path, EnvKind::State)?;
    let mut dbs = Vec::new();
    for t in V3_TABLES {
        dbs.extend(schema::open_table(&env, t)?);
    }
    let meta = schema::open_table(&env, &schema::META)?;
    let mut wtxn = env.write_txn()?;
    for db in dbs {
        db.clear(&mut wtxn)?;
    }
    if let Some(meta) = meta {
        meta.delete(&mut wtxn, schema::MVCC_COMPACT_REV.bytes())?;
    }
    wtxn.commit()?;
    Ok(())
}
