//! bbolt's file format (go.etcd.io/bbolt 1.3, format version 2), the database behind etcd's
//! `member/snap/db` and its snapshots: a [`Reader`] that walks buckets with positional reads
//! (memory bounded by the tree depth times the page size, never the file), a [`Writer`] that
//! builds a valid file from sorted buckets streamed in, and etcd's `snapshot status`
//! ([`status()`]) and sha256 trailer ([`append_sha256_trailer`]).
//!
//! # Layout (little-endian, as bbolt on every platform etcd ships)
//! A file is a sequence of pages of `page_size` bytes (4096 here); page `n` starts at
//! `n * page_size`. Every page opens with a 16-byte header: `id u64, flags u16, count u16,
//! overflow u32`; a page with `overflow = k` spans `k + 1` consecutive pages.
//! - Pages 0 and 1 are meta pages (flag 0x04): at offset 16, `magic u32 = 0xED0CDAED,
//!   version u32 = 2, page_size u32, flags u32, root bucket {root pgid u64, sequence u64},
//!   freelist pgid u64, pgid u64 (high-water mark: pages in use), txid u64, checksum u64`,
//!   the checksum being FNV-1a 64 of the 56 bytes before it. The valid meta with the highest
//!   txid is the current one (bbolt's `DB.meta`).
//! - Branch pages (0x01): `count` elements `{pos u32, ksize u32, pgid u64}`, each child's
//!   first key at `element address + pos`.
//! - Leaf pages (0x02): `count` elements `{flags u32, pos u32, ksize u32, vsize u32}`, key at
//!   `element address + pos`, value right after it. Element flag 0x01 marks a nested bucket:
//!   the value is `{root pgid u64, sequence u64}`, and when `root == 0` the bucket is inline:
//!   a leaf page (header and elements) follows in the value itself.
//! - The freelist page (0x10): `count` page ids `u64` (`count = 0xFFFF`: the real count is
//!   the first u64). etcd opens with `NoFreelistSync`, then the meta says `u64::MAX`.
//!
//! Keys of one bucket are in ascending byte order, across the leaves from left to right.
//!
//! # Writing like bbolt
//! [`Writer`] fills pages as bbolt's split does for etcd's sequential writes (fill percent
//! 0.9, at least two elements per page), makes a bucket inline when bbolt would (no page was
//! needed and it fits in a quarter page), writes each leaf as soon as it is full and the
//! branch levels above it as they fill, then an empty freelist and both meta pages. The
//! result passes bbolt's `Tx.Check`, so etcd's `snapshot status` and `restore` accept it.
//!
//! # Files
//! This module holds the shared page layout (constants, [`Meta`], [`BoltError`], the field
//! readers); `reader.rs` the [`Reader`], `writer.rs` the [`Writer`], `status.rs` etcd's
//! snapshot status and sha256 trailer. The tests here run them together (write, read back,
//! check, compare with etcdctl).
//!
//! Depends on: std, crc, sha2 (no etcd semantics beyond the snapshot status of etcd).

mod reader;
mod status;
mod writer;

use std::fs::File;
use std::io::Read;
use std::path::Path;

#[allow(
    unused_imports,
    reason = "the crate reaches these only through type inference"
)]
pub use reader::{Bucket, OwnedItem};
pub use reader::{Item, Reader};
#[allow(unused_imports, reason = "Status is named by the bbolt tests only")]
pub use status::Status;
pub use status::{append_sha256_trailer, status};
pub use writer::Writer;

/// bbolt's magic number at the start of each meta.
pub const MAGIC: u32 = 0xED0C_DAED;
/// The bbolt data file format version.
pub const VERSION: u32 = 2;
/// The page size the [`Writer`] uses (bbolt's default on Linux: the OS page size).
pub const PAGE_SIZE: usize = 4096;
/// bbolt's largest key.
pub const MAX_KEY_SIZE: usize = 32768;
/// bbolt's largest value.
pub const MAX_VALUE_SIZE: usize = (1 << 31) - 2;

const PAGE_HEADER: usize = 16;
const ELEMENT: usize = 16;
const BUCKET_HEADER: usize = 16;
/// Offset of the checksum inside the meta (the bytes it covers).
const META_CHECKSUM_AT: usize = 56;
const BRANCH_PAGE: u16 = 0x01;
const LEAF_PAGE: u16 = 0x02;
const META_PAGE: u16 = 0x04;
const FREELIST_PAGE: u16 = 0x10;
const BUCKET_LEAF: u32 = 0x01;
/// The freelist pgid of a file written with `NoFreelistSync`.
const NO_FREELIST: u64 = u64::MAX;
/// Deeper trees than this are corrupt (a 4 KiB page holds at least two children; 2^64
/// pages would need 64 levels).
const MAX_DEPTH: usize = 64;
/// etcd's fill percent for sequential writes (`batch_tx.go`, defrag).
const FILL_PERCENT: f64 = 0.9;
/// bbolt's `minKeysPerPage`.
const MIN_KEYS_PER_PAGE: usize = 2;
/// Page sizes the reader accepts.
const PAGE_SIZES: std::ops::RangeInclusive<u32> = 512..=(1 << 20);

/// Errors of the bbolt reader and writer.
#[derive(Debug, thiserror::Error)]
pub enum BoltError {
    /// I/O on the file.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// No valid meta page with bbolt's magic (bbolt's `ErrInvalid` message).
    #[error("invalid database")]
    Invalid,
    /// A meta page of another format version (bbolt's `ErrVersionMismatch`).
    #[error("version mismatch")]
    VersionMismatch,
    /// Both meta pages fail their checksum (bbolt's `ErrChecksum`).
    #[error("checksum error")]
    Checksum,
    /// A page that cannot be what the tree says it is.
    #[error("corrupt bbolt page {pgid}: {reason}")]
    Corrupt {
        /// The page id.
        pgid: u64,
        /// What is wrong.
        reason: String,
    },
    /// bbolt's consistency check found problems (etcd's `snapshot status` refuses the file).
    #[error("snapshot file integrity check failed. {} errors found.\n{}", .0.len(), .0.join("\n"))]
    Inconsistent(Vec<String>),
    /// The writer was given keys (or bucket names) out of strictly ascending order.
    #[error("bbolt writer: keys must be strictly ascending (got {key:?} after {prev:?})")]
    Unsorted {
        /// The previous key.
        prev: Vec<u8>,
        /// The offending key.
        key: Vec<u8>,
    },
    /// A key or value beyond bbolt's limits (empty keys included: bbolt's `ErrKeyRequired`).
    #[error("bbolt writer: {0}")]
    Limit(&'static str),
    /// `put` outside a bucket, or `begin_bucket` inside one.
    #[error("bbolt writer: {0}")]
    Misuse(&'static str),
}

fn corrupt(pgid: u64, reason: impl Into<String>) -> BoltError {
    BoltError::Corrupt {
        pgid,
        reason: reason.into(),
    }
}

/// FNV-1a 64, bbolt's meta checksum.
fn fnv1a64(data: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in data {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    let mut a = [0u8; 2];
    a.copy_from_slice(&b[at..at + 2]);
    u16::from_le_bytes(a)
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(a)
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

/// A bbolt meta page's content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    /// Page size in bytes.
    pub page_size: u32,
    /// Meta flags (unused by bbolt 1.3).
    pub flags: u32,
    /// Root page of the root bucket.
    pub root: u64,
    /// The root bucket's sequence.
    pub sequence: u64,
    /// Freelist page, `u64::MAX` when the freelist is not synced.
    pub freelist: u64,
    /// High-water mark: pages `0..pgid` are in use.
    pub pgid: u64,
    /// Transaction id of the commit that wrote this meta.
    pub txid: u64,
}

impl Meta {
    /// Parses and validates the meta stored at offset 16 of `page` (bbolt's `meta.validate`).
    fn parse(page: &[u8]) -> Result<Meta, BoltError> {
        let m = page
            .get(PAGE_HEADER..PAGE_HEADER + META_CHECKSUM_AT + 8)
            .ok_or(BoltError::Invalid)?;
        if u32_at(m, 0) != MAGIC {
            return Err(BoltError::Invalid);
        }
        if u32_at(m, 4) != VERSION {
            return Err(BoltError::VersionMismatch);
        }
        let checksum = u64_at(m, META_CHECKSUM_AT);
        if checksum != 0 && checksum != fnv1a64(&m[..META_CHECKSUM_AT]) {
            return Err(BoltError::Checksum);
        }
        Ok(Meta {
            page_size: u32_at(m, 8),
            flags: u32_at(m, 12),
            root: u64_at(m, 16),
            sequence: u64_at(m, 24),
            freelist: u64_at(m, 32),
            pgid: u64_at(m, 40),
            txid: u64_at(m, 48),
        })
    }

    /// The `page_size`-byte meta page `id` holding this meta.
    fn page(&self, id: u64) -> Vec<u8> {
        let mut p = vec![0u8; self.page_size as usize];
        p[0..8].copy_from_slice(&id.to_le_bytes());
        p[8..10].copy_from_slice(&META_PAGE.to_le_bytes());
        let m = &mut p[PAGE_HEADER..PAGE_HEADER + META_CHECKSUM_AT + 8];
        m[0..4].copy_from_slice(&MAGIC.to_le_bytes());
        m[4..8].copy_from_slice(&VERSION.to_le_bytes());
        m[8..12].copy_from_slice(&self.page_size.to_le_bytes());
        m[12..16].copy_from_slice(&self.flags.to_le_bytes());
        m[16..24].copy_from_slice(&self.root.to_le_bytes());
        m[24..32].copy_from_slice(&self.sequence.to_le_bytes());
        m[32..40].copy_from_slice(&self.freelist.to_le_bytes());
        m[40..48].copy_from_slice(&self.pgid.to_le_bytes());
        m[48..56].copy_from_slice(&self.txid.to_le_bytes());
        let sum = fnv1a64(&m[..META_CHECKSUM_AT]);
        m[META_CHECKSUM_AT..].copy_from_slice(&sum.to_le_bytes());
        p
    }
}

/// Whether the file at `path` starts with a bbolt meta page (magic at offset 16), the test
/// etcd's tools pass implicitly by opening it with bbolt.
///
/// # Errors
/// I/O errors opening or reading the file (a short file is simply not bbolt).
pub fn is_bbolt(path: &Path) -> std::io::Result<bool> {
    let mut head = [0u8; PAGE_HEADER + 4];
    let mut f = File::open(path)?;
    match f.read_exact(&mut head) {
        Ok(()) => Ok(u32_at(&head, PAGE_HEADER) == MAGIC),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(false),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::FileExt;
    use std::path::PathBuf;
    use std::process::Command;

    /// `etcdctl snapshot save` of etcd 3.4.23 after: 150 puts `k0001..k0150`, a 9000-byte
    /// value `big` (overflow pages), 20 more puts of `k0001`, a delete of `k0002`, a lease with
    /// a key, `compact 100`, user `root` with roles `root` and `r1` (readwrite [a, b)), auth
    /// enabled. `etcdctl snapshot status -w json` printed the constants below.
    const FIXTURE: &str = "src/storage/etcd/testdata/etcd-3.4.23.snapshot.db";
    const FIXTURE_STATUS: Status = Status {
        hash: 3_503_537_789,
        revision: 174,
        total_key: 183,
        total_size: 65536,
    };

    fn fixture() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join(FIXTURE)
    }

    type Buckets = Vec<(Vec<u8>, Vec<(Vec<u8>, Vec<u8>)>)>;

    fn write(path: &Path, buckets: &Buckets) {
        let mut w = Writer::new(File::create(path).expect("create")).expect("writer");
        for (name, kvs) in buckets {
            w.begin_bucket(name).expect("bucket");
            for (k, v) in kvs {
                w.put(k, v).expect("put");
            }
            w.end_bucket().expect("end");
        }
        w.finish().expect("finish");
    }

    fn read_all(path: &Path) -> Buckets {
        let r = Reader::open(path).expect("open");
        let mut names = Vec::new();
        r.for_each(&r.root(), |k, item| -> Result<(), BoltError> {
            match item {
                Item::Bucket(b) => names.push((k.to_vec(), b)),
                Item::Value(_) => panic!("value at top level"),
            }
            Ok(())
        })
        .expect("root");
        names
            .into_iter()
            .map(|(name, b)| {
                let mut kvs = Vec::new();
                r.for_each(&b, |k, item| -> Result<(), BoltError> {
                    match item {
                        Item::Value(v) => kvs.push((k.to_vec(), v.to_vec())),
                        Item::Bucket(_) => panic!("nested bucket"),
                    }
                    Ok(())
                })
                .expect("bucket");
                (name, kvs)
            })
            .collect()
    }

    fn sample() -> Buckets {
        let rev = |main: u64| {
            let mut k = main.to_be_bytes().to_vec();
            k.push(b'_');
            k.extend_from_slice(&0u64.to_be_bytes());
            k
        };
        vec![
            (b"alarm".to_vec(), vec![]),
            (
                b"big".to_vec(),
                (0..5u8)
                    .map(|i| (vec![b'b', i], vec![i; 9000 + usize::from(i) * 4096]))
                    .collect(),
            ),
            (
                b"key".to_vec(),
                (1..=40_000u64)
                    .map(|m| {
                        (
                            rev(m),
                            format!("value {m} {}", "x".repeat((m % 200) as usize)).into_bytes(),
                        )
                    })
                    .collect(),
            ),
            (
                b"meta".to_vec(),
                vec![(b"consistent_index".to_vec(), 7u64.to_be_bytes().to_vec())],
            ),
        ]
    }

    #[test]
    fn round_trip_keeps_every_bucket_key_and_value_in_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("db");
        let data = sample();
        write(&path, &data);
        assert_eq!(read_all(&path), data);
        let r = Reader::open(&path).expect("open");
        assert_eq!(r.check().expect("check"), Vec::<String>::new());
        assert_eq!(r.size(), std::fs::metadata(&path).expect("stat").len());
        // Small buckets are inline, as bbolt makes them; the key bucket is a tree.
        assert!(r
            .bucket(b"meta")
            .expect("meta")
            .expect("present")
            .is_inline());
        assert!(r
            .bucket(b"alarm")
            .expect("alarm")
            .expect("present")
            .is_inline());
        let key = r.bucket(b"key").expect("key").expect("present");
        assert!(!key.is_inline());
        for (k, v) in data[2].1.iter().step_by(997) {
            assert_eq!(
                r.get(&key, k).expect("get"),
                Some(OwnedItem::Value(v.clone()))
            );
        }
        assert_eq!(r.get(&key, b"zzz").expect("get"), None);
        assert_eq!(r.bucket(b"nope").expect("get"), None);
        let st = status(&path).expect("status");
        assert_eq!(st.revision, 40_000);
        assert_eq!(st.total_key, 40_000 + 5 + 1);
    }

    #[test]
    fn empty_database_round_trips() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("db");
        write(&path, &vec![]);
        assert_eq!(read_all(&path), Vec::new());
        let st = status(&path).expect("status");
        assert_eq!((st.revision, st.total_key, st.total_size), (0, 0, 4 * 4096));
    }

    #[test]
    fn writer_refuses_unsorted_keys_and_buckets() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut w = Writer::new(File::create(dir.path().join("db")).expect("create")).expect("w");
        w.begin_bucket(b"b").expect("bucket");
        w.put(b"2", b"").expect("put");
        assert!(matches!(w.put(b"1", b""), Err(BoltError::Unsorted { .. })));
        assert!(matches!(w.put(b"2", b""), Err(BoltError::Unsorted { .. })));
        assert!(matches!(w.put(b"", b""), Err(BoltError::Limit(_))));
        w.end_bucket().expect("end");
        assert!(matches!(
            w.begin_bucket(b"a"),
            Err(BoltError::Unsorted { .. })
        ));
        assert!(matches!(w.put(b"3", b""), Err(BoltError::Misuse(_))));
    }

    #[test]
    fn a_torn_meta_falls_back_to_the_other_and_garbage_is_invalid() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("db");
        write(&path, &sample());
        // Meta 1 (txid 1) is current; damage it: meta 0 takes over.
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .expect("open");
        f.write_all_at(&[0xFF; 8], PAGE_SIZE as u64 + PAGE_HEADER as u64 + 48)
            .expect("write");
        assert_eq!(Reader::open(&path).expect("open").meta().txid, 0);
        f.write_all_at(&[0xFF; 8], PAGE_HEADER as u64 + 48)
            .expect("write");
        assert!(matches!(Reader::open(&path), Err(BoltError::Checksum)));
        let junk = dir.path().join("junk");
        std::fs::write(&junk, vec![7u8; 10_000]).expect("write");
        assert!(matches!(Reader::open(&junk), Err(BoltError::Invalid)));
        assert!(!is_bbolt(&junk).expect("read"));
        std::fs::write(&junk, b"short").expect("write");
        assert!(!is_bbolt(&junk).expect("read"));
    }

    #[test]
    fn a_page_pointing_past_the_database_is_corrupt_not_a_panic() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("db");
        write(&path, &sample());
        let r = Reader::open(&path).expect("open");
        let root = r.meta().root;
        drop(r);
        // Point the first element of the root page at an absurd offset.
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .expect("open");
        f.write_all_at(&u32::MAX.to_le_bytes(), root * PAGE_SIZE as u64 + 16 + 4)
            .expect("write");
        assert!(matches!(status(&path), Err(BoltError::Corrupt { .. })));
    }

    #[test]
    fn reads_a_real_etcd_3_4_snapshot() {
        let path = fixture();
        assert!(is_bbolt(&path).expect("read"));
        assert_eq!(status(&path).expect("status"), FIXTURE_STATUS);
        let r = Reader::open(&path).expect("open");
        assert_eq!(r.meta().freelist, NO_FREELIST, "etcd syncs no freelist");
        let data = read_all(&path);
        let names: Vec<&[u8]> = data.iter().map(|(n, _)| n.as_slice()).collect();
        assert_eq!(
            names,
            [
                &b"alarm"[..],
                b"auth",
                b"authRoles",
                b"authUsers",
                b"cluster",
                b"key",
                b"lease",
                b"members",
                b"members_removed",
                b"meta"
            ]
        );
        let key = &data[5].1;
        assert!(key.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(
            key.iter().any(|(_, v)| v.len() > 9000),
            "the overflowing value"
        );
        // Rewriting the same buckets gives the same etcd hash.
        let dir = tempfile::tempdir().expect("tempdir");
        let copy = dir.path().join("db");
        write(&copy, &data);
        let st = status(&copy).expect("status");
        assert_eq!(
            (st.hash, st.revision, st.total_key),
            (FIXTURE_STATUS.hash, 174, 183)
        );
    }

    /// Damaged files give errors, never a panic or a hang: random bytes of etcd's snapshot
    /// (pages and metas) are overwritten, then status (which walks and checks every page)
    /// and lookups run.
    #[test]
    fn random_damage_is_an_error_not_a_panic() {
        let good = std::fs::read(fixture()).expect("fixture");
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("db");
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..400 {
            let mut bad = good.clone();
            for _ in 0..1 + next() % 8 {
                let at = (next() % bad.len() as u64) as usize;
                bad[at] = next() as u8;
            }
            std::fs::write(&path, &bad).expect("write");
            let _ = status(&path);
            if let Ok(r) = Reader::open(&path) {
                let _ = r.bucket(b"key").map(|b| b.map(|b| r.get(&b, b"k")));
                let _ = r.check();
            }
        }
    }

    /// A branch page whose children are itself is reported, not walked forever.
    #[test]
    fn a_page_cycle_is_reported_not_walked() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("db");
        write(&path, &sample());
        let r = Reader::open(&path).expect("open");
        let key = r.bucket(b"key").expect("key").expect("present");
        let root = r.page(key.root).expect("root page");
        assert_eq!(u16_at(&root, 8), BRANCH_PAGE);
        let count = usize::from(u16_at(&root, 10));
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .expect("open");
        for i in 0..count {
            let at = key.root * PAGE_SIZE as u64 + (PAGE_HEADER + i * ELEMENT + 8) as u64;
            f.write_all_at(&key.root.to_le_bytes(), at).expect("write");
        }
        let err = status(&path).expect_err("a cycle");
        assert!(err.to_string().contains("multiple references"), "{err}");
    }

    /// The official bbolt (through etcdctl 3.4.23's `snapshot status`, which runs `Tx.Check`)
    /// accepts what we write and computes the same status.
    #[test]
    fn official_etcdctl_accepts_what_we_write() {
        let etcdctl = Path::new("/usr/bin/etcdctl");
        if !etcdctl.exists() {
            eprintln!("skipped: /usr/bin/etcdctl (etcd 3.4.23) is not installed");
            return;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("db");
        write(&path, &sample());
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .expect("open");
        append_sha256_trailer(&mut file).expect("trailer");
        let out = Command::new(etcdctl)
            .args(["snapshot", "status", "-w", "json"])
            .arg(&path)
            .env("ETCDCTL_API", "3")
            .output()
            .expect("run etcdctl");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let st = status(&path).expect("status");
        assert_eq!(
            stdout.trim(),
            format!(
                "{{\"hash\":{},\"revision\":{},\"totalKey\":{},\"totalSize\":{}}}",
                st.hash, st.revision, st.total_key, st.total_size
            )
        );
    }
}
