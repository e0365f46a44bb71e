//! Whole-file operations on an LMDB environment: the compacting copy and swap behind
//! defragmentation, the snapshot image format (LMDB image + 32-byte sha256 trailer, as
//! etcd's snapshot stream), and a content walk for `snapshot status` over the state schema's
//! tables ([`super::schema::STATE_TABLES`]).
//!
//! # Defragmentation = compacting copy + swap
//! LMDB never shrinks its file: pages freed by deletes and compaction go to a free list.
//! [`compact_and_swap`] writes a compacting copy (`mdb_env_copy2` with `MDB_CP_COMPACT`,
//! no free pages) next to the live file ([`defrag_tmp`]: `member/snap/db.defrag`, or
//! [`DEFRAG_TMP_FILE`] inside a directory-layout env), syncs it, closes the environment, and
//! renames the copy over the data file ([`data_file`]). A crash before the rename leaves the
//! old file (the stale copy is removed by [`remove_stale_defrag`] at the next open); a crash
//! after it leaves the complete new file: rename is atomic and the copy is synced first.
//!
//! Depends on: heed, sha2, crc (no etcd semantics).

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::schema::{open_table, STATE_TABLES};
use super::{Env, StorageError};

/// Name of LMDB's data file inside an environment directory.
pub const DATA_FILE: &str = "data.mdb";
/// Name of the compacted copy while a defragmentation runs (inside a directory-layout env).
pub const DEFRAG_TMP_FILE: &str = "data.mdb.defrag";
/// Suffix of the compacted copy of a one-file env (`member/snap/db` → `member/snap/db.defrag`).
pub const DEFRAG_TMP_SUFFIX: &str = ".defrag";

/// The LMDB data file of the environment at `path`: `path/data.mdb` when `path` is a
/// directory (the wal env and the previous state layout), else `path` itself (one-file
/// layout, see [`super::backend::EnvLayout`]).
pub fn data_file(path: &Path) -> PathBuf {
    if path.is_dir() {
        path.join(DATA_FILE)
    } else {
        path.to_path_buf()
    }
}

/// Where a defragmentation of the environment at `path` writes its compacted copy: inside
/// the directory for the directory layout, beside the file (`<path>.defrag`) otherwise.
pub fn defrag_tmp(path: &Path) -> PathBuf {
    if path.is_dir() {
        path.join(DEFRAG_TMP_FILE)
    } else {
        let mut name = path.as_os_str().to_os_string();
        name.push(DEFRAG_TMP_SUFFIX);
        PathBuf::from(name)
    }
}

/// The directory whose entries change when the data file of `path` is renamed over.
fn data_file_dir(path: &Path) -> PathBuf {
    if path.is_dir() {
        path.to_path_buf()
    } else {
        match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        }
    }
}
/// Length of the sha256 trailer of a snapshot image, in bytes.
pub const SHA256_LEN: usize = 32;
/// How long [`compact_and_swap`] waits for the environment to close once its last handle
/// is dropped (closing is synchronous when no other clone exists).
const CLOSE_TIMEOUT: Duration = Duration::from_secs(30);

/// Removes a compacted copy left behind by a defragmentation that crashed before its
/// rename (the live `data.mdb` is then the old, complete file).
///
/// # Errors
/// I/O errors other than "not found".
pub fn remove_stale_defrag(path: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(defrag_tmp(path)) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Writes a compacting copy of `env` (opened at `path`) to [`defrag_tmp`] and syncs it;
/// returns its path. The copy is a consistent read snapshot of the environment.
///
/// # Errors
/// LMDB or I/O errors.
pub fn compact_copy(env: &Env, path: &Path) -> Result<PathBuf, StorageError> {
    let tmp = defrag_tmp(path);
    remove_stale_defrag(path).map_err(|source| io_at(&tmp, source))?;
    let file = env.copy_to_path(&tmp, heed::CompactionOption::Enabled)?;
    file.sync_all().map_err(|source| io_at(&tmp, source))?;
    Ok(tmp)
}

/// Defragments the environment at `path`: [`compact_copy`], then closes `env` (which must be
/// the last handle on it in this process), renames the copy over the data file and syncs the
/// directory. The caller reopens the environment (every database handle must be reopened:
/// heed handles belong to one environment).
///
/// On an error before the rename the old file is untouched and the copy removed.
///
/// # Errors
/// LMDB or I/O errors; [`StorageError::Corrupt`] if another handle kept the environment
/// open past the close timeout.
pub fn compact_and_swap(env: Env, path: &Path) -> Result<(), StorageError> {
    if let Err(e) = compact_copy(&env, path) {
        let _ = remove_stale_defrag(path);
        return Err(e);
    }
    close_and_swap(env, path)
}

/// The second half of [`compact_and_swap`]: closes `env` (the last handle on it), renames
/// the copy written by [`compact_copy`] over the data file and syncs its directory.
///
/// # Errors
/// I/O errors; [`StorageError::Corrupt`] if another handle kept the environment open past
/// the close timeout (the copy is then removed and `data.mdb` untouched).
pub fn close_and_swap(env: Env, path: &Path) -> Result<(), StorageError> {
    let closing = env.prepare_for_closing();
    if !closing.wait_timeout(CLOSE_TIMEOUT) {
        let _ = remove_stale_defrag(path);
        return Err(StorageError::Corrupt(format!(
            "{}: environment still open elsewhere in this process; defragmentation abandoned",
            path.display()
        )));
    }
    let tmp = defrag_tmp(path);
    let data = data_file(path);
    std::fs::rename(&tmp, &data).map_err(|source| io_at(&data, source))?;
    sync_dir(&data_file_dir(path))
}

/// Fsyncs a directory so a rename inside it is durable.
///
/// # Errors
/// I/O errors.
pub fn sync_dir(dir: &Path) -> Result<(), StorageError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|source| io_at(dir, source))
}

fn io_at(path: &Path, source: std::io::Error) -> StorageError {
    StorageError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Whether a snapshot file of `size` bytes carries the sha256 trailer: etcd's rule
/// (`size % 512 == 32`), since database images are whole pages.
pub fn has_sha256_trailer(size: u64) -> bool {
    size % 512 == SHA256_LEN as u64
}

/// Errors of snapshot image handling, with etcd's messages where etcd has one.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// I/O on the snapshot or the destination.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The trailer does not match the image.
    #[error("expected sha256 {}, got {}", go_bytes(expected), go_bytes(got))]
    HashMismatch {
        /// The trailer.
        expected: Vec<u8>,
        /// The sha256 of the image.
        got: Vec<u8>,
    },
    /// No trailer and the check was not skipped.
    #[error("snapshot missing hash but --skip-hash-check=false")]
    MissingHash,
}

/// Go's `%v` of a `[]byte`: `[1 2 3]`.
fn go_bytes(b: &[u8]) -> String {
    let parts: Vec<String> = b.iter().map(u8::to_string).collect();
    format!("[{}]", parts.join(" "))
}

/// Copies the database image of snapshot file `src` (without its sha256 trailer) to the
/// data file `dst` (its parent is created), verifying the trailer unless `skip_hash_check`:
/// etcd's rule, so a `member/snap/db` copied from a data dir (no trailer) needs
/// `--skip-hash-check`. Returns the image size in bytes. `progress` is told the bytes copied.
///
/// # Errors
/// [`ImageError::HashMismatch`], [`ImageError::MissingHash`], I/O errors. On error the
/// partial `dst` is removed.
pub fn write_image(
    src: &Path,
    dst: &Path,
    skip_hash_check: bool,
    progress: &mut dyn FnMut(u64),
) -> Result<u64, ImageError> {
    let size = std::fs::metadata(src)?.len();
    let has_hash = has_sha256_trailer(size);
    if !has_hash && !skip_hash_check {
        return Err(ImageError::MissingHash);
    }
    let image_len = if has_hash {
        size - SHA256_LEN as u64
    } else {
        size
    };
    if let Some(parent) = dst.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let result = (|| -> Result<(), ImageError> {
        let mut input = File::open(src)?;
        let mut out = File::create(dst)?;
        let mut hasher = Sha256::new();
        let mut left = image_len;
        let mut buf = vec![0u8; 1 << 16];
        while left > 0 {
            let want = usize::try_from(left.min(buf.len() as u64)).unwrap_or(buf.len());
            let n = input.read(&mut buf[..want])?;
            if n == 0 {
                return Err(std::io::Error::from(std::io::ErrorKind::UnexpectedEof).into());
            }
            hasher.update(&buf[..n]);
            out.write_all(&buf[..n])?;
            left -= n as u64;
            progress(n as u64);
        }
        if has_hash && !skip_hash_check {
            let mut expected = vec![0u8; SHA256_LEN];
            input.read_exact(&mut expected)?;
            let got = hasher.finalize().to_vec();
            if got != expected {
                return Err(ImageError::HashMismatch { expected, got });
            }
        }
        out.sync_all()?;
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(dst);
    }
    result.map(|()| image_len)
}

/// A content summary of an environment, as etcd's `snapshot status` computes over bolt
/// buckets: a CRC-32C over every table of [`STATE_TABLES`] present, in name order (its name,
/// then each key and value), and the number of records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentStatus {
    /// CRC-32C (Castagnoli) of names, keys and values.
    pub hash: u32,
    /// Records in all tables.
    pub total_keys: u64,
    /// Last key of each table present, by name (for callers that decode one).
    pub last_keys: Vec<(String, Option<Vec<u8>>)>,
}

/// Walks every table of the state schema in `env` (see [`ContentStatus`]).
///
/// # Errors
/// LMDB errors.
pub fn content_status(env: &Env) -> Result<ContentStatus, StorageError> {
    use super::record::CASTAGNOLI;
    let mut digest = CASTAGNOLI.digest();
    let mut total_keys = 0u64;
    let mut last_keys = Vec::new();
    for table in STATE_TABLES {
        let Some(db) = open_table(env, table)? else {
            continue;
        };
        let rtxn = env.read_txn()?;
        digest.update(table.name.as_bytes());
        let mut last = None;
        for item in db.iter(&rtxn)? {
            let (k, v) = item?;
            digest.update(k);
            digest.update(v);
            total_keys += 1;
            last = Some(k.to_vec());
        }
        last_keys.push((table.name.to_string(), last));
    }
    Ok(ContentStatus {
        hash: digest.finalize(),
        total_keys,
        last_keys,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::storage::{open_env, EnvKind};

    fn key_db(env: &Env) -> heed::Database<'static, heed::types::Bytes, heed::types::Bytes> {
        crate::storage::schema::create_tables(env, |c| c.create(&crate::storage::schema::KEY))
            .unwrap()
    }

    fn fill(env: &Env, n: usize, value_len: usize) {
        let db = key_db(env);
        let mut wtxn = env.write_txn().unwrap();
        for i in 0..n {
            db.put(
                &mut wtxn,
                format!("k{i:06}").as_bytes(),
                &vec![7u8; value_len],
            )
            .unwrap();
        }
        wtxn.commit().unwrap();
    }

    fn clear(env: &Env) {
        let db = key_db(env);
        let mut wtxn = env.write_txn().unwrap();
        db.clear(&mut wtxn).unwrap();
        db.put(&mut wtxn, b"kept", b"v").unwrap();
        wtxn.commit().unwrap();
    }

    /// Deleting data leaves the file at its size; compact + swap shrinks it and keeps the
    /// content, and the environment reopens at the same path.
    #[test]
    fn compact_and_swap_shrinks_the_file_and_keeps_content() {
        let dir = tempfile::tempdir().unwrap();
        let env = open_env(dir.path(), EnvKind::State).unwrap();
        fill(&env, 2000, 1000);
        clear(&env);
        let before = std::fs::metadata(dir.path().join(DATA_FILE)).unwrap().len();
        let status_before = content_status(&env).unwrap();
        compact_and_swap(env, dir.path()).unwrap();
        assert!(!dir.path().join(DEFRAG_TMP_FILE).exists());
        let after = std::fs::metadata(dir.path().join(DATA_FILE)).unwrap().len();
        assert!(
            after * 10 < before,
            "{after} not much smaller than {before}"
        );
        let env = open_env(dir.path(), EnvKind::State).unwrap();
        assert_eq!(content_status(&env).unwrap(), status_before);
        assert_eq!(status_before.total_keys, 1);
    }

    /// A state env at a path that is not a directory is ONE file (`db` + `db-lock`, as
    /// etcd's `member/snap/db`): it opens, defragments in place beside itself and reopens;
    /// a copy of the file is a readable LMDB image.
    #[test]
    fn one_file_env_opens_defragments_and_copies() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("snap").join("db");
        let env = open_env(&db, EnvKind::State).unwrap();
        fill(&env, 500, 1000);
        clear(&env);
        assert!(db.is_file(), "member/snap/db is one file");
        assert!(dir.path().join("snap").join("db-lock").is_file());
        let before = std::fs::metadata(&db).unwrap().len();
        let status = content_status(&env).unwrap();
        compact_and_swap(env, &db).unwrap();
        assert!(!dir.path().join("snap").join("db.defrag").exists());
        assert!(std::fs::metadata(&db).unwrap().len() < before);
        let env = open_env(&db, EnvKind::State).unwrap();
        assert_eq!(content_status(&env).unwrap(), status);
        drop(env);
        let copy = dir.path().join("copy");
        std::fs::copy(&db, &copy).unwrap();
        let env = open_env(&copy, EnvKind::State).unwrap();
        assert_eq!(content_status(&env).unwrap(), status);
    }

    /// A crash between the copy and the rename leaves a stale copy; it is removed and the
    /// old file is intact.
    #[test]
    fn stale_defrag_copy_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(DEFRAG_TMP_FILE), b"partial").unwrap();
        remove_stale_defrag(dir.path()).unwrap();
        assert!(!dir.path().join(DEFRAG_TMP_FILE).exists());
        remove_stale_defrag(dir.path()).unwrap();
    }

    /// The image is written without its trailer; a wrong trailer or a missing one is
    /// refused with etcd's messages unless the check is skipped.
    #[test]
    fn write_image_checks_the_sha256_trailer() {
        let dir = tempfile::tempdir().unwrap();
        let image = vec![5u8; 8192];
        let mut with_hash = image.clone();
        with_hash.extend_from_slice(&Sha256::digest(&image));
        let snap = dir.path().join("snap.db");
        std::fs::write(&snap, &with_hash).unwrap();
        assert_eq!(
            write_image(&snap, &dir.path().join("a"), false, &mut |_| {}).unwrap(),
            8192
        );
        assert_eq!(std::fs::read(dir.path().join("a")).unwrap(), image);

        let last = with_hash.len() - 1;
        with_hash[last] ^= 1;
        std::fs::write(&snap, &with_hash).unwrap();
        let err = write_image(&snap, &dir.path().join("b"), false, &mut |_| {}).unwrap_err();
        assert!(err.to_string().starts_with("expected sha256 "), "{err}");
        assert!(!dir.path().join("b").exists());
        assert!(write_image(&snap, &dir.path().join("c"), true, &mut |_| {}).is_ok());

        std::fs::write(&snap, &image).unwrap();
        let err = write_image(&snap, &dir.path().join("d"), false, &mut |_| {}).unwrap_err();
        assert_eq!(
            err.to_string(),
            "snapshot missing hash but --skip-hash-check=false"
        );
        assert_eq!(
            write_image(&snap, &dir.path().join("e"), true, &mut |_| {}).unwrap(),
            8192
        );
    }
}
