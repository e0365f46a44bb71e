//! `backup` (etcdctl 3.4's `ctlv2/command/backup_command.go`) for our data dir: copies
//! `member/snap/db` and the Raft log into `--backup-dir` (the log into `--backup-wal-dir`
//! when given, read from `--wal-dir` when given); v3 data only with `--with-v3`. Start the
//! copy with `--force-new-cluster`. Success prints nothing; a failure prints Go's log line
//! (`2006-01-02 15:04:05.000000 I | open x/member/snap: no such file or directory`) and exits 1.
//!
//! An etcd data dir (`.wal` files) is refused: etcd 3.4's own etcdctl backs those up.

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
    if is_etcd_wal_dir(&paths.src_wal) {
        return fail(&format!(
            "{} holds an etcd data dir (.wal files): back it up with etcd 3.4's etcdctl",
            paths.src_wal.display()
        ));
    }
    match crate::storage::backup::backup(&paths, a.with_v3) {
        Ok(()) => Ok(()),
        Err(crate::storage::StorageError::Io { path, source }) => {
            fail(&format!("open {path}: {}", go_io(&source)))
        }
        Err(e) => fail(&e.to_string()),
    }
}
