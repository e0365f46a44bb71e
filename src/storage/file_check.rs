//! Checks an LMDB `data.mdb` against its own meta pages before it is mapped, so a truncated
//! file is refused with a clear message instead of killing the process with SIGBUS when a
//! page past the end of the file is touched.
//!
//! LMDB layout (64-bit builds, `mdb.c`): pages 0 and 1 are meta pages. Each starts with a
//! 16-byte page header, then `MDB_meta`: magic `0xBEEFC0DE` (u32 at 16), version (u32 at
//! 20), fixed address (8 bytes at 24), map size (u64 at 32), the free and main DB records
//! (2 × 48 bytes at 40; the free DB's first u32, at 40, holds the page size), the last used
//! page number (u64 at 136) and the transaction ID (u64 at 144). The meta with the higher
//! transaction ID is current. Native byte order (LMDB files are not portable across
//! endianness).
//!
//! Every page up to the last used one is either in a tree or listed in the free-page DB
//! (`mdb.c`: "each non-metapage up to `mm_last_pg` is reachable exactly once"), but the file
//! may end before the last used page: LMDB never writes a *loose* page (dirtied then freed in
//! the same transaction; `mdb_page_flush` skips `P_LOOSE`) and lists it as free instead
//! ("the file may be shorter if the freeDB lists the final pages"; `mdb_env_copy` clamps to
//! the file size for the same reason). So a file shorter than `(last page + 1) × page size`
//! bytes is sound exactly when every page past its end is in the free-page DB, whose tree
//! (root page number: u64 at 80, the free DB record's `md_root`) this check reads. Free pages
//! are never read through the map, so they cannot fault; a page in use past the end would.
//!
//! Page layout: a 16-byte header (page number u64 at 0, flags u16 at 10, `mp_lower` u16 at 12
//! or, on an overflow page, its page count u32 at 12), then u16 node offsets. A node: data
//! size or child page number (`mn_lo`, `mn_hi` u16 at 0 and 2), flags (u16 at 4; on a branch
//! page the child page number's top 16 bits), key size (u16 at 6), the key, then the data; a
//! leaf's data with `F_BIGDATA` is the u64 number of the overflow page that holds it after its
//! header. A free DB record's data is an ID list: a u64 count, then that many page numbers.
//!
//! Depends on: std only.

use std::collections::BTreeSet;
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::path::Path;

use super::StorageError;

/// LMDB's magic number in every meta page.
const MDB_MAGIC: u32 = 0xBEEF_C0DE;
/// Offsets inside a meta page (see the module doc).
const OFF_MAGIC: usize = 16;
const OFF_PSIZE: usize = 40;
const OFF_FREE_ROOT: usize = 80;
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
    /// Root page of the free-page DB, or [`P_INVALID`] when it is empty.
    free_root: u64,
}

/// LMDB's "no page" page number (an empty tree's root).
const P_INVALID: u64 = u64::MAX;
/// Page header size and page flags (`mdb.c`).
const PAGE_HEADER: usize = 16;
const P_BRANCH: u16 = 0x01;
const P_LEAF: u16 = 0x02;
/// Node header size and the node flag of a value stored on overflow pages.
const NODE_HEADER: usize = 8;
const F_BIGDATA: u16 = 0x01;

/// Decodes a meta page (its first [`META_LEN`] bytes); `None` if it is not one.
fn parse_meta(b: &[u8]) -> Option<Meta> {
    if b.len() < META_LEN || u32_in(b, OFF_MAGIC)? != MDB_MAGIC {
        return None;
    }
    let page_size = u64::from(u32_in(b, OFF_PSIZE)?);
    if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
        return None;
    }
    Some(Meta {
        page_size,
        last_page: u64_in(b, OFF_LAST_PG)?,
        txnid: u64_in(b, OFF_TXNID)?,
        free_root: u64_in(b, OFF_FREE_ROOT)?,
    })
}

/// The native-endian integer at `off` in `b`, or `None` past its end.
fn u32_in(b: &[u8], off: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(b.get(off..off + 4)?.try_into().ok()?))
}

fn u16_in(b: &[u8], off: usize) -> Option<u16> {
    Some(u16::from_ne_bytes(b.get(off..off + 2)?.try_into().ok()?))
}

fn u64_in(b: &[u8], off: usize) -> Option<u64> {
    Some(u64::from_ne_bytes(b.get(off..off + 8)?.try_into().ok()?))
}

/// Reads `pages` pages from page `pgno` of `f` (`len` bytes long).
///
/// # Errors
/// A reason (for [`StorageError::Damaged`]) when they end past the end of the file, or an
/// I/O error.
fn read_pages(
    f: &std::fs::File,
    len: u64,
    psize: u64,
    pgno: u64,
    pages: u64,
) -> Result<Vec<u8>, FreeListError> {
    let end = pgno
        .checked_add(pages)
        .and_then(|p| p.checked_mul(psize))
        .filter(|end| *end <= len)
        .ok_or_else(|| {
            FreeListError::Damaged(format!("its free-page list's page {pgno} is past its end"))
        })?;
    let start = pgno * psize;
    let mut buf = vec![0u8; usize::try_from(end - start).unwrap_or(usize::MAX)];
    f.read_exact_at(&mut buf, start)
        .map_err(FreeListError::Io)?;
    Ok(buf)
}

/// Why the free-page DB could not be read.
#[derive(Debug)]
enum FreeListError {
    /// The free-page tree is itself damaged or cut (the reason).
    Damaged(String),
    Io(std::io::Error),
}

/// The page numbers the free-page DB rooted at `meta.free_root` lists, read from `f` (`len`
/// bytes long). Visits at most `meta.last_page + 1` pages, so a damaged tree cannot loop.
///
/// # Errors
/// [`FreeListError::Damaged`] when a page of the tree is past the end of the file or is not a
/// branch, leaf or overflow page where one is expected; [`FreeListError::Io`] on a read error.
fn free_pages(f: &std::fs::File, len: u64, meta: &Meta) -> Result<BTreeSet<u64>, FreeListError> {
    let psize = meta.page_size;
    let bad =
        |what: String| FreeListError::Damaged(format!("its free-page list is damaged: {what}"));
    let mut free = BTreeSet::new();
    if meta.free_root == P_INVALID {
        return Ok(free);
    }
    let mut stack = vec![meta.free_root];
    let mut budget = meta.last_page.saturating_add(1);
    while let Some(pgno) = stack.pop() {
        budget = budget
            .checked_sub(1)
            .ok_or_else(|| bad("its tree has more pages than the file".into()))?;
        let page = read_pages(f, len, psize, pgno, 1)?;
        let flags = u16_in(&page, 10).unwrap_or(0);
        let lower = usize::from(u16_in(&page, 12).unwrap_or(0));
        let keys = lower.saturating_sub(PAGE_HEADER) / 2;
        for i in 0..keys {
            let node = usize::from(
                u16_in(&page, PAGE_HEADER + 2 * i).ok_or_else(|| bad(format!("page {pgno}")))?,
            );
            let field = |at: usize| {
                u16_in(&page, node + at).ok_or_else(|| bad(format!("node {i} of page {pgno}")))
            };
            let (lo, hi, nflags, ksize) = (field(0)?, field(2)?, field(4)?, field(6)?);
            let lo_hi = u64::from(lo) | u64::from(hi) << 16;
            if flags & P_BRANCH != 0 {
                stack.push(lo_hi | u64::from(nflags) << 32);
                continue;
            }
            if flags & P_LEAF == 0 {
                return Err(bad(format!("page {pgno} is neither a branch nor a leaf")));
            }
            let data_at = node + NODE_HEADER + usize::from(ksize);
            let size = usize::try_from(lo_hi).unwrap_or(usize::MAX);
            let overflow;
            let data: &[u8] = if nflags & F_BIGDATA != 0 {
                let ov = u64_in(&page, data_at)
                    .ok_or_else(|| bad(format!("node {i} of page {pgno}")))?;
                // OVPAGES: the header and the data, rounded up to whole pages.
                let pages = (PAGE_HEADER as u64 - 1 + lo_hi) / psize + 1;
                budget = budget
                    .checked_sub(pages)
                    .ok_or_else(|| bad("its tree has more pages than the file".into()))?;
                overflow = read_pages(f, len, psize, ov, pages)?;
                overflow
                    .get(PAGE_HEADER..PAGE_HEADER + size)
                    .ok_or_else(|| bad(format!("overflow page {ov}")))?
            } else {
                page.get(data_at..data_at.saturating_add(size))
                    .ok_or_else(|| bad(format!("node {i} of page {pgno}")))?
            };
            // An ID list: a count, then the page numbers.
            let count = u64_in(data, 0).unwrap_or(0);
            let listed = (data.len() / 8).saturating_sub(1) as u64;
            if count > listed {
                return Err(bad(format!(
                    "a record in page {pgno} lists {count} pages in {} bytes",
                    data.len()
                )));
            }
            for k in 0..count as usize {
                free.extend(u64_in(data, 8 + 8 * k));
            }
        }
    }
    Ok(free)
}

/// Checks `file` (an LMDB `data.mdb`) before it is opened. A missing file is fine (LMDB
/// creates it).
///
/// # Errors
/// [`StorageError::Damaged`] naming the file when it is shorter than its two meta pages,
/// when neither meta page is valid, or when a page past its end is in use (not listed in the
/// free-page DB of the current meta page: a truncated file) or the free-page DB itself is
/// cut or damaged; [`StorageError::Io`] if it cannot be read.
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
    if len >= needed {
        return Ok(());
    }
    // The file ends before the last used page: sound only if every page past its end is
    // free (unwritten loose pages, see the module doc).
    let truncated = |detail: String| {
        damaged(format!(
            "file is {len} bytes but its meta page (transaction {}) records {} pages of {} \
             bytes ({needed} bytes), and {detail}: truncated",
            current.txnid,
            current.last_page + 1,
            current.page_size
        ))
    };
    let free = match free_pages(&f, len, &current) {
        Ok(free) => free,
        Err(FreeListError::Damaged(why)) => return Err(truncated(why)),
        Err(FreeListError::Io(e)) => return Err(io(e)),
    };
    let first_missing = len / current.page_size;
    if let Some(pgno) = (first_missing..=current.last_page).find(|p| !free.contains(p)) {
        return Err(truncated(format!(
            "page {pgno}, which is in use, is past its end"
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
        set_free_root(&mut p, P_INVALID);
        p
    }

    fn set_free_root(meta: &mut [u8], root: u64) {
        meta[OFF_FREE_ROOT..OFF_FREE_ROOT + 8].copy_from_slice(&root.to_ne_bytes());
    }

    /// An LMDB ID list: the count, then the page numbers (descending, as LMDB keeps them).
    fn id_list(pages: &[u64]) -> Vec<u8> {
        let mut ids: Vec<u64> = pages.to_vec();
        ids.sort_unstable_by(|a, b| b.cmp(a));
        let mut out = (ids.len() as u64).to_ne_bytes().to_vec();
        for id in ids {
            out.extend(id.to_ne_bytes());
        }
        out
    }

    /// A free-page DB leaf page `pgno` with one record (key: transaction 9) whose data is
    /// `data`, inline or (`big`) as the number of an overflow page.
    fn free_leaf(pgno: u64, data: &[u8], size: usize, big: bool) -> Vec<u8> {
        let mut p = vec![0u8; 4096];
        p[0..8].copy_from_slice(&pgno.to_ne_bytes());
        p[10..12].copy_from_slice(&P_LEAF.to_ne_bytes());
        p[12..14].copy_from_slice(&(PAGE_HEADER as u16 + 2).to_ne_bytes());
        let node = 64usize;
        p[16..18].copy_from_slice(&(node as u16).to_ne_bytes());
        p[node..node + 2].copy_from_slice(&((size & 0xffff) as u16).to_ne_bytes());
        p[node + 2..node + 4].copy_from_slice(&((size >> 16) as u16).to_ne_bytes());
        let flags = if big { F_BIGDATA } else { 0 };
        p[node + 4..node + 6].copy_from_slice(&flags.to_ne_bytes());
        p[node + 6..node + 8].copy_from_slice(&8u16.to_ne_bytes());
        p[node + 8..node + 16].copy_from_slice(&9u64.to_ne_bytes());
        p[node + 16..node + 16 + data.len()].copy_from_slice(data);
        p
    }

    /// Meta pages recording 6 pages (last page 5) and a free-page DB at page 2 listing
    /// `free`; the file stops after page 3, so pages 4 and 5 are past its end.
    fn short_file(dir: &Path, free: &[u64], overflow: bool) -> std::path::PathBuf {
        let mut m1 = meta_page(4096, 5, 7);
        set_free_root(&mut m1, 2);
        let list = id_list(free);
        let (leaf, page3) = if overflow {
            let mut ov = vec![0u8; 4096];
            ov[0..8].copy_from_slice(&3u64.to_ne_bytes());
            ov[10..12].copy_from_slice(&0x04u16.to_ne_bytes());
            ov[12..16].copy_from_slice(&1u32.to_ne_bytes());
            ov[16..16 + list.len()].copy_from_slice(&list);
            (free_leaf(2, &3u64.to_ne_bytes(), list.len(), true), ov)
        } else {
            (free_leaf(2, &list, list.len(), false), vec![0u8; 4096])
        };
        let path = dir.join("data.mdb");
        let bytes = [meta_page(4096, 3, 6), m1, leaf, page3].concat();
        std::fs::write(&path, bytes).unwrap();
        path
    }

    /// A file shorter than its last used page is sound when the pages past its end are
    /// free (LMDB's unwritten loose pages): campaign seeds 900163 and 1100125 refused such a
    /// member. A page in use past the end is still refused, naming it.
    #[test]
    fn free_pages_past_the_end_pass_and_a_page_in_use_there_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        for overflow in [false, true] {
            let p = short_file(dir.path(), &[4, 5], overflow);
            check_data_file(&p).unwrap();
            let p = short_file(dir.path(), &[1000, 5], overflow);
            let msg = check_data_file(&p).unwrap_err().to_string();
            assert!(
                msg.contains("page 4, which is in use, is past its end"),
                "{msg}"
            );
            assert!(msg.contains("truncated"), "{msg}");
        }
        // A free-page tree whose root is past the end is itself cut.
        let mut m1 = meta_page(4096, 5, 7);
        set_free_root(&mut m1, 5);
        let p = crafted(dir.path(), meta_page(4096, 3, 6), m1, 2);
        let msg = check_data_file(&p).unwrap_err().to_string();
        assert!(
            msg.contains("free-page list's page 5 is past its end"),
            "{msg}"
        );
        // An ID list claiming more pages than its record holds is refused, not read past.
        let mut m1 = meta_page(4096, 5, 7);
        set_free_root(&mut m1, 2);
        let mut list = id_list(&[4, 5]);
        list[0..8].copy_from_slice(&1000u64.to_ne_bytes());
        let leaf = free_leaf(2, &list, list.len(), false);
        let path = dir.path().join("data.mdb");
        std::fs::write(&path, [meta_page(4096, 3, 6), m1, leaf].concat()).unwrap();
        let msg = check_data_file(&path).unwrap_err().to_string();
        assert!(msg.contains("lists 1000 pages"), "{msg}");
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

    /// Puts a 1000-byte value of `byte` at every index of `range` in the wal env's log
    /// database, in one committed transaction.
    fn put_logs(
        env: &crate::storage::Env,
        dbs: &crate::storage::wal::WalDbs,
        range: std::ops::Range<u64>,
        byte: u8,
    ) {
        let mut wtxn = env.write_txn().unwrap();
        for i in range {
            dbs.logs
                .put(&mut wtxn, &crate::storage::wal::index_key(i), &[byte; 1000])
                .unwrap();
        }
        wtxn.commit().unwrap();
    }

    /// A real LMDB file whose last used pages were dirtied and freed in one transaction
    /// (loose pages, never written): LMDB leaves it shorter than its meta page records, and
    /// it passes and opens with its data.
    #[test]
    fn real_lmdb_file_with_unwritten_loose_pages_passes() {
        let dir = tempfile::tempdir().unwrap();
        {
            let env = crate::storage::open_env(dir.path(), crate::storage::EnvKind::State).unwrap();
            let dbs = crate::storage::wal::WalDbs::open(&env).unwrap();
            let key = crate::storage::wal::index_key;
            put_logs(&env, &dbs, 0..300, 7);
            let mut wtxn = env.write_txn().unwrap();
            for i in 0..150u64 {
                dbs.logs.delete(&mut wtxn, &key(i)).unwrap();
            }
            wtxn.commit().unwrap();
            // Pages allocated past the end and freed again in the same transaction.
            let mut wtxn = env.write_txn().unwrap();
            for i in 1000..1400u64 {
                dbs.logs.put(&mut wtxn, &key(i), &[8u8; 1000]).unwrap();
            }
            // Freed from the highest key down: the pages LMDB reuses first (the last freed)
            // are the lower ones, so the highest stay loose.
            for i in (1000..1400u64).rev() {
                dbs.logs.delete(&mut wtxn, &key(i)).unwrap();
            }
            wtxn.commit().unwrap();
            env.prepare_for_closing().wait();
        }
        let file = dir.path().join("data.mdb");
        let len = std::fs::metadata(&file).unwrap().len();
        let mut head = vec![0u8; 2 * 4096];
        std::fs::File::open(&file)
            .unwrap()
            .read_exact(&mut head)
            .unwrap();
        let (a, b) = (
            parse_meta(&head).unwrap(),
            parse_meta(&head[4096..]).unwrap(),
        );
        let current = if b.txnid > a.txnid { b } else { a };
        assert!(
            len < (current.last_page + 1) * current.page_size,
            "the file must end before its last used page for this test to mean anything"
        );
        check_data_file(&file).unwrap();
        let env = crate::storage::open_env(dir.path(), crate::storage::EnvKind::State).unwrap();
        let dbs = crate::storage::wal::WalDbs::open(&env).unwrap();
        let rtxn = env.read_txn().unwrap();
        assert_eq!(dbs.logs.len(&rtxn).unwrap(), 150);
        drop(rtxn);
        // Writing on reuses the free pages, extending the file as LMDB needs.
        put_logs(&env, &dbs, 2000..2400, 9);
        let rtxn = env.read_txn().unwrap();
        assert_eq!(dbs.logs.len(&rtxn).unwrap(), 550);
        drop(rtxn);
        env.prepare_for_closing().wait();
        check_data_file(&file).unwrap();
    }

    /// A real environment written by LMDB passes; cutting its last page is refused.
    #[test]
    fn real_lmdb_file_passes_and_its_truncation_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        {
            let env = crate::storage::open_env(dir.path(), crate::storage::EnvKind::State).unwrap();
            let dbs = crate::storage::wal::WalDbs::open(&env).unwrap();
            put_logs(&env, &dbs, 0..200, 7);
            env.prepare_for_closing().wait();
        }
        let file = dir.path().join("data.mdb");
        check_data_file(&file).unwrap();
        let len = std::fs::metadata(&file).unwrap().len();
        let f = std::fs::OpenOptions::new().write(true).open(&file).unwrap();
        f.set_len(len - 4096).unwrap();
        let Err(err) = crate::storage::open_env(dir.path(), crate::storage::EnvKind::State) else {
            panic!("truncated file must be refused");
        };
        assert!(err.to_string().contains("truncated"), "{err}");
    }
}
