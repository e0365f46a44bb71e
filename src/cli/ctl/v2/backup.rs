//! `backup` (etcdctl 3.4's `ctlv2/command/backup_command.go`): `--data-dir` (with its WAL in
//! `--wal-dir` when given) into `--backup-dir` (the WAL into `--backup-wal-dir` when given);
//! v3 data only with `--with-v3`; the copy gets a new member ID and a new cluster ID from
//! etcd's ID generator, as etcd's. Start it with `--force-new-cluster`. A failure prints Go's
//! log line (`2006-01-02 15:04:05.000000 I | open x/member/snap: no such file or directory`)
//! and exits 1.
//!
//! - A data dir written by etcd (`*.wal` files) gets exactly etcd 3.4's backup
//!   ([`super::backup_etcd`]): etcd's formats, for real etcd or our start in place.
//! - Our data dir: consistent LMDB copies of `member/snap/db` and the Raft log
//!   (`storage::backup`) with the new identity written into the log's copy; at
//!   `--force-new-cluster` the new member ID joins the one-member membership (with the
//!   flags' name and URLs) and every old member is removed, as etcd's
//!   `restartAsStandaloneNode` does.

use std::path::{Path, PathBuf};

use super::keys::BackupArgs;
use super::{Fail, Result};

/// The Go `log` line etcdctl prints before `os.Exit(1)`.
fn go_log_line(msg: &str) -> String {
    let fmt = time::macros::format_description!(
        "[year]-[month]-[day] [hour]:[minute]:[second].[subsecond digits:6]"
    );
    let now = time::OffsetDateTime::now_utc()
        .format(&fmt)
        .unwrap_or_default();
    format!("{now} I | {msg}")
}

/// Go's text for an I/O error (`no such file or directory`, ...).
fn go_io(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        std::io::ErrorKind::AlreadyExists => "file exists".into(),
        _ => e.to_string(),
    }
}

fn is_etcd_wal_dir(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|rd| {
        rd.flatten()
            .any(|e| e.file_name().to_string_lossy().ends_with(".wal"))
    })
}

/// Runs `backup`.
///
/// # Errors
/// Exit code 1 with Go's log line.
pub fn backup(a: &BackupArgs) -> Result<()> {
    let data = PathBuf::from(&a.data_dir);
    let backup = PathBuf::from(&a.backup_dir);
    let src_wal = if a.wal_dir.is_empty() {
        data.join("member").join("wal")
    } else {
        PathBuf::from(&a.wal_dir)
    };
    let dst_wal = if a.backup_wal_dir.is_empty() {
        backup.join("member").join("wal")
    } else {
        PathBuf::from(&a.backup_wal_dir)
    };
    let paths = crate::storage::backup::BackupPaths {
        src_state: data.join("member").join("snap").join("db"),
        src_wal,
        dst_state: backup.join("member").join("snap").join("db"),
        dst_wal,
    };
    let fail = |msg: &str| Err(Fail::line(1, go_log_line(msg)));
    let src_snap = data.join("member").join("snap");
    if is_etcd_wal_dir(&paths.src_wal) {
        if let Err(e) = std::fs::read_dir(&src_snap) {
            return fail(&format!("open {}: {}", src_snap.display(), go_io(&e)));
        }
        let mut log = |line: &str| eprintln!("{}", go_log_line(line));
        return match super::backup_etcd::backup(
            &src_snap,
            &paths.src_wal,
            &backup.join("member").join("snap"),
            &paths.dst_wal,
            a.with_v3,
            &mut log,
        ) {
            Ok(_) => Ok(()),
            Err(e) => fail(&e),
        };
    }
    let (member_id, cluster_id) = super::backup_etcd::new_ids(super::backup_etcd::now_ms());
    match crate::storage::backup::backup(&paths, a.with_v3, Some((cluster_id, member_id))) {
        Ok(()) => Ok(()),
        Err(crate::storage::StorageError::Io { path, source }) => {
            fail(&format!("open {path}: {}", go_io(&source)))
        }
        Err(e) => fail(&e.to_string()),
    }
}
