//! Opening LMDB environments: the one `unsafe` call of the crate lives here.

use std::path::Path;

/// Errors from the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// LMDB reported an error (I/O, map full, corruption...).
    #[error("storage: {0}")]
    Heed(#[from] heed::Error),
    /// Creating the directory failed.
    #[error("storage: {path}: {source}")]
    Io {
        /// The directory we tried to create.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A data file failed the check before mapping (truncated, not LMDB): the member
    /// refuses to start rather than be killed by SIGBUS or serve a damaged file.
    #[error(
        "storage: {path} is damaged: {reason}; to recover, {}",
        super::file_check::RECOVERY_HINT
    )]
    Damaged {
        /// The file.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Stored bytes could not be decoded.
    #[error("storage: corrupt record: {0}")]
    Corrupt(String),
}

/// An LMDB environment whose read transactions are `Send` (no thread-local reader slot),
/// so a read view may move between tokio worker threads.
pub type Env = heed::Env<heed::WithoutTls>;

/// Which environment is being opened; decides the map size and number of databases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnvKind {
    /// `member/wal`: Raft log and vote.
    Wal,
    /// `member/snap/db`: MVCC state, leases, auth, membership, meta. Every commit is synced.
    State,
    /// `member/snap/db` as the running server uses it: a commit fsyncs its data pages but
    /// not its meta page (`MDB_NOMETASYNC`, one `fdatasync` per commit instead of two). The
    /// Raft log is the durable record; the server also syncs this environment every
    /// `--backend-batch-interval` (100 ms by default), before purging any log entry and at
    /// shutdown. A process crash loses nothing (the page cache holds the writes); after a
    /// power loss the last commit may be undone (the log is replayed), never torn.
    ///
    /// Not `MDB_NOSYNC`: LMDB keeps its integrity under `MDB_NOSYNC` only on a filesystem that
    /// writes back in order, which ext4 and XFS do not promise for overwrites. The power-loss
    /// tests' reordered-write cut (`powerloss::power_cut_reordered_writes_one_member`, seed 3)
    /// left a meta page on disk whose pages were not: "file is 118784 bytes but its meta page
    /// (transaction 87) records 34 pages", and the member could not start again.
    StateDeferredSync,
}

/// Maximum size the LMDB map may grow to, in bytes (virtual address space, not disk).
/// The backend quota (`--quota-backend-bytes`) is enforced separately, well below this.
pub const MAP_SIZE_BYTES: usize = 64 << 30;

/// Where an environment's files lie.
///
/// etcd's `member/snap/db` is ONE file, and operators copy it as a backup ("copy
/// `member/snap/db` and `snapshot restore db --skip-hash-check`"), so the state environment
/// is opened in LMDB's no-sub-dir mode: the path IS the data file and LMDB's lock file lies
/// beside it as `<path>-lock` (`member/snap/db-lock`). Data dirs written before this layout
/// hold `member/snap/db/` as a directory (`data.mdb` + `lock.mdb` inside); such a directory is
/// detected at open and used as it is ([`EnvLayout::Dir`]), so old data dirs keep working.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnvLayout {
    /// The path is a directory holding `data.mdb` and `lock.mdb` (the raft log env, the
    /// pre-one-file state env, and scratch copies).
    Dir,
    /// The path is the data file itself (`MDB_NOSUBDIR`); the lock file is `<path>-lock`.
    File,
}

impl EnvLayout {
    /// The layout to open `path` with: the wal env is always a directory; a state env is a
    /// directory only if one already exists at `path` (the previous layout).
    pub fn of(path: &Path, kind: EnvKind) -> EnvLayout {
        if kind == EnvKind::Wal || path.is_dir() {
            EnvLayout::Dir
        } else {
            EnvLayout::File
        }
    }
}

/// Opens (creating if needed) the LMDB environment at `path`: a directory for the wal env
/// (and for a state env left by the previous layout), else a single data file (see
/// [`EnvLayout`]).
///
/// # Errors
/// [`StorageError::Io`] if the directory (or the file's parent) cannot be created,
/// [`StorageError::Heed`] if LMDB cannot open it (for example another process holds it in an
/// incompatible mode), [`StorageError::Damaged`] for a truncated or non-LMDB data file.
pub fn open_env(path: &Path, kind: EnvKind) -> Result<Env, StorageError> {
    let layout = EnvLayout::of(path, kind);
    let dir = match layout {
        EnvLayout::Dir => path,
        EnvLayout::File => path.parent().unwrap_or(Path::new(".")),
    };
    // The directories this open creates: each one's entry must be made durable in its parent.
    let mut created: Vec<&Path> = dir
        .ancestors()
        .take_while(|d| !d.as_os_str().is_empty() && !d.exists())
        .collect();
    if !dir.as_os_str().is_empty() {
        std::fs::create_dir_all(dir).map_err(|source| StorageError::Io {
            path: dir.display().to_string(),
            source,
        })?;
    }
    if kind != EnvKind::Wal {
        // A defragmentation that crashed before its rename left its copy behind.
        super::snapshot::remove_stale_defrag(path).map_err(|source| StorageError::Io {
            path: path.display().to_string(),
            source,
        })?;
    }
    super::file_check::check_data_file(&super::snapshot::data_file(path))?;
    let max_dbs = match kind {
        EnvKind::Wal => 4,
        EnvKind::State | EnvKind::StateDeferredSync => 32,
    };
    let mut opts = heed::EnvOpenOptions::new().read_txn_without_tls();
    opts.map_size(MAP_SIZE_BYTES)
        .max_dbs(max_dbs)
        .max_readers(1024);
    // SAFETY: LMDB requires that one process does not open the same environment twice and
    // that the files are not modified by other means while mapped. The server opens each
    // environment exactly once per process (bootstrap holds the handles for the process
    // lifetime; heed itself refuses a second open of a path that is still open), online
    // defragmentation replaces the data file only after the last handle on the environment
    // was dropped and LMDB closed it (`storage::snapshot::compact_and_swap`), and offline
    // tools (`etcd util`) are only run against a stopped member's data dir, as with etcd's
    // own offline tools.
    // `MDB_NOMETASYNC` (deferred-sync kind only) keeps LMDB's integrity; it only lets the
    // last commit be lost on power failure, which the Raft log replay covers (see EnvKind).
    #[allow(unsafe_code)]
    let env = unsafe {
        let mut flags = heed::EnvFlags::empty();
        if kind == EnvKind::StateDeferredSync {
            flags |= heed::EnvFlags::NO_META_SYNC;
        }
        if layout == EnvLayout::File {
            flags |= heed::EnvFlags::NO_SUB_DIR;
        }
        opts.flags(flags);
        opts.open(path)?
    };
    // LMDB creates its data and lock files but never fsyncs a directory: without this, a
    // power loss can drop the files' names (and with them every fsynced commit) on a
    // filesystem that makes directory entries durable only at a directory fsync (POSIX; the
    // power-loss tests' strict model found a member restarting as a new, empty cluster).
    created.push(dir);
    for d in created {
        let d = if d.as_os_str().is_empty() {
            Path::new(".")
        } else {
            d
        };
        super::snapshot::sync_dir(d)?;
        if let Some(parent) = d.parent().filter(|p| !p.as_os_str().is_empty()) {
            super::snapshot::sync_dir(parent)?;
        }
    }
    Ok(env)
}
