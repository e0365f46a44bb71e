//! Checks an LMDB `data.mdb` against its own meta pages before it is mapped, so a truncated
//! file is refused with a clear message instead of killing the process with SIGBUS when a
//! page past the end of the file is touched.
//!
//! LMDB layout (64-bit builds, `mdb.c`): pages 0 and 1 are meta pages. Each starts with a
//! 16-byte page header, then `MDB_meta`: magic `0xBEEFC0DE` (u32 at 16), version (u32 at
//! 20), fixed address (8 bytes at 24), map size (u64 at 32), the free and main DB records
//! (2 × 48 bytes at 40; the free DB's first u32, at 40, holds the page size), the last used
//! page number (u64 at 136) and the transaction ID (u64 at 144). The meta with the higher
//! transaction ID is current; the file must hold at least `(last page + 1) × page size`
//! bytes. Native byte order (LMDB files are not portable across endianness).
//!
//! Depends on: std only.

use std::io::Read;
use std::path::Path;

use super::StorageError;

/// LMDB's magic number in every meta page.
const MDB_MAGIC: u32 = 0xBEEF_C0DE;
/// Offsets inside a meta page (see the module doc).
const OFF_MAGIC: usize = 16;
const OFF_PSIZE: usize = 40;
const OFF_LAST_PG: usize = 136;
const OFF_TXNID: usize = 144;
/// Bytes of a meta page that the check reads.
const META_LEN: usize = 152;

/// What an operator does with a member whose files are damaged (etcd's recovery).
pub const RECOVERY_HINT: &str = "remove this member's data dir and rejoin the cluster \
    (`etcdctl member remove <id>`, `etcdctl member add <name> --peer-urls=...`, then start \
    with `--initial-cluster-state existing`), or restore it from a snapshot \
    (`etcdctl snapshot restore`)";

/// The fields of one meta page the check uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Meta {
    page_size: u64,
    last_page: u64,
    txnid: u64,
}

fn u32_at(b: &[u8], off: usize) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[off..off + 4]);
    u32::from_ne_bytes(a)
}

fn u64_at(b: &[u8], off: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[off..off + 8]);
    u64::from_ne_bytes(a)
}

/// Decodes a meta page (its first [`META_LEN`] bytes); `None` if it is not one.
fn parse_meta(b: &[u8]) -> Option<Meta> {
    if b.len() < META_LEN || u32_at(b, OFF_MAGIC) != MDB_MAGIC {
        return None;
    }
    let page_size = u64::from(u32_at(b, OFF_PSIZE));
    if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
        return None;
    }
    Some(Meta {
        page_size,
        last_page: u64_at(b, OFF_LAST_PG),
        txnid: u64_at(b, OFF_TXNID),
    })
}

/// Checks `file` (an LMDB `data.mdb`) before it is opened. A missing file is fine (LMDB
/// creates it).
///
/// # Errors
/// [`StorageError::Damaged`] naming the file when it is shorter than its two meta pages,
/// when neither meta page is valid, or when it is shorter than the last page its current
/// meta page records (a truncated file); [`StorageError::Io`] if it cannot be read.
pub fn check_data_file(file: &Path) -> Result<(), StorageError> {
    let io = |source| StorageError::Io {
        path: file.display().to_string(),
        source,
    };
    let damaged = |reason: String| StorageError::Damaged {
        path: file.display().to_string(),
        reason,
    };
    let mut f = match std::fs::File::open(file) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io(e)),
    };
    let len = f.metadata().map_err(io)?.len();
    let mut first = vec![0u8; META_LEN];
    if len < META_LEN as u64 {
        return Err(damaged(format!(
            "file is {len} bytes, shorter than an LMDB meta page (truncated)"
        )));
    }
    f.read_exact(&mut first).map_err(io)?;
    let meta0 = parse_meta(&first);
    // The second meta page sits one page further; the page size comes from the first meta
    // (or the common 4 KiB when the first is damaged).
    let psize = meta0.map_or(4096, |m| m.page_size);
    let meta1 = if len >= psize + META_LEN as u64 {
        let mut second = vec![0u8; META_LEN];
        std::io::Seek::seek(&mut f, std::io::SeekFrom::Start(psize)).map_err(io)?;
        f.read_exact(&mut second).map_err(io)?;
        parse_meta(&second)
    } else {
        None
    };
    let current = match (meta0, meta1) {
        (Some(a), Some(b)) => {
            if b.txnid > a.txnid {
                b
            } else {
                a
            }
        }
        (Some(a), None) | (None, Some(a)) => a,
        (None, None) => {
            return Err(damaged(
                "no valid LMDB meta page (not an LMDB file, or its first pages are damaged)".into(),
            ))
        }
    };
    let needed = current
        .last_page
        .saturating_add(1)
        .saturating_mul(current.page_size)
        .max(2 * current.page_size);
    if len < needed {
        return Err(damaged(format!(
            "file is {len} bytes but its meta page (transaction {}) records {} pages of {} bytes \
             ({needed} bytes): truncated",
            current.txnid,
            current.last_page + 1,
            current.page_size
        )));
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn meta_page(psize: u32, last_pg: u64, txnid: u64) -> Vec<u8> {
        let mut p = vec![0u8; psize as usize];
        p[OFF_MAGIC..OFF_MAGIC + 4].copy_from_slice(&MDB_MAGIC.to_ne_bytes());
        p[20..24].copy_from_slice(&1u32.to_ne_bytes());
        p[OFF_PSIZE..OFF_PSIZE + 4].copy_from_slice(&psize.to_ne_bytes());
        p[OFF_LAST_PG..OFF_LAST_PG + 8].copy_from_slice(&last_pg.to_ne_bytes());
        p[OFF_TXNID..OFF_TXNID + 8].copy_from_slice(&txnid.to_ne_bytes());
        p
    }

    /// A crafted file: two meta pages then `extra` zero pages.
    fn crafted(dir: &Path, m0: Vec<u8>, m1: Vec<u8>, extra_pages: usize) -> std::path::PathBuf {
        let path = dir.join("data.mdb");
        let mut bytes = m0;
        let ps = m1.len();
        bytes.extend(m1);
        bytes.extend(vec![0u8; extra_pages * ps]);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    #[test]
    fn missing_file_is_fine_and_complete_file_passes() {
        let dir = tempfile::tempdir().unwrap();
        check_data_file(&dir.path().join("data.mdb")).unwrap();
        // Current meta (txn 7) says last page 5 → 6 pages; the file has 2 + 4.
        let p = crafted(dir.path(), meta_page(4096, 3, 6), meta_page(4096, 5, 7), 4);
        check_data_file(&p).unwrap();
    }

    #[test]
    fn truncated_file_is_refused_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = crafted(dir.path(), meta_page(4096, 9, 8), meta_page(4096, 5, 7), 4);
        let err = check_data_file(&p).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, StorageError::Damaged { .. }), "{err:?}");
        assert!(msg.contains(&p.display().to_string()), "{msg}");
        assert!(msg.contains("truncated"), "{msg}");
        assert!(msg.contains("member add"), "{msg}");
    }

    #[test]
    fn short_and_garbage_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("data.mdb");
        std::fs::write(&p, b"").unwrap();
        assert!(matches!(
            check_data_file(&p),
            Err(StorageError::Damaged { .. })
        ));
        std::fs::write(&p, vec![0xabu8; 3 * 4096]).unwrap();
        let msg = check_data_file(&p).unwrap_err().to_string();
        assert!(msg.contains("no valid LMDB meta page"), "{msg}");
    }

    /// A real environment written by LMDB passes; cutting its last page is refused.
    #[test]
    fn real_lmdb_file_passes_and_its_truncation_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        {
            let env = crate::storage::open_env(dir.path(), crate::storage::EnvKind::State).unwrap();
            let dbs = crate::storage::wal::WalDbs::open(&env).unwrap();
            let mut wtxn = env.write_txn().unwrap();
            for i in 0..200u64 {
                dbs.logs
                    .put(&mut wtxn, &crate::storage::wal::index_key(i), &[7u8; 1000])
                    .unwrap();
            }
            wtxn.commit().unwrap();
            env.prepare_for_closing().wait();
        }
        let file = dir.path().join("data.mdb");
        check_data_file(&file).unwrap();
        let len = std::fs::metadata(&file).unwrap().len();
        let f = std::fs::OpenOptions::new().write(true).open(&file).unwrap();
        f.set_len(len - 4096).unwrap();
        let err = crate::storage::open_env(dir.path(), crate::storage::EnvKind::State)
            .err()
            .expect("truncated file must be refused");
        assert!(err.to_string().contains("truncated"), "{err}");
    }
}
