//! bbolt's file format (go.etcd.io/bbolt 1.3, format version 2), the database behind etcd's
//! `member/snap/db` and its snapshots: a [`Reader`] that walks buckets with positional reads
//! (memory bounded by the tree depth times the page size, never the file), a [`Writer`] that
//! builds a valid file from sorted buckets streamed in, and etcd's `snapshot status`
//! ([`status`]) and sha256 trailer ([`append_sha256_trailer`]).
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
//! Depends on: std, crc, sha2 (no etcd semantics beyond the snapshot status of etcd).

use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;

use sha2::{Digest, Sha256};

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

/// A bucket found in a file: its root page, or its inline leaf page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket {
    /// Root page id, 0 for an inline bucket.
    pub root: u64,
    /// The bucket's sequence (`NextSequence`).
    pub sequence: u64,
    /// The inline leaf page (header and elements) when `root == 0`.
    inline: Option<Vec<u8>>,
}

impl Bucket {
    fn from_value(value: &[u8], pgid: u64) -> Result<Bucket, BoltError> {
        if value.len() < BUCKET_HEADER {
            return Err(corrupt(pgid, "bucket value shorter than its header"));
        }
        let root = u64_at(value, 0);
        let sequence = u64_at(value, 8);
        let inline = if root == 0 {
            if value.len() < BUCKET_HEADER + PAGE_HEADER {
                return Err(corrupt(pgid, "inline bucket without its page"));
            }
            Some(value[BUCKET_HEADER..].to_vec())
        } else {
            None
        };
        Ok(Bucket {
            root,
            sequence,
            inline,
        })
    }

    #[allow(dead_code, reason = "read by tests only")]
    /// Whether the bucket is stored inline in its parent's leaf.
    pub fn is_inline(&self) -> bool {
        self.inline.is_some()
    }
}

/// One entry of a bucket as [`Reader::for_each`] yields it.
#[derive(Debug)]
pub enum Item<'a> {
    /// A key/value pair.
    Value(&'a [u8]),
    /// A nested bucket under this key (bbolt yields a nil value for it).
    Bucket(Bucket),
}

/// Reads a bbolt file with positional reads: nothing is mapped or loaded whole.
#[derive(Debug)]
pub struct Reader {
    file: File,
    len: u64,
    meta: Meta,
}

impl Reader {
    /// Opens `path` and picks the current meta as bbolt does: the valid one with the highest
    /// txid (a torn meta write falls back to the other).
    ///
    /// # Errors
    /// I/O errors; [`BoltError::Invalid`], [`BoltError::VersionMismatch`] or
    /// [`BoltError::Checksum`] (that of meta 0) when no meta is valid; `Corrupt` when the
    /// meta points past the file.
    pub fn open(path: &Path) -> Result<Reader, BoltError> {
        let file = File::open(path)?;
        Reader::from_file(file)
    }

    /// [`Reader::open`] on an open file.
    ///
    /// # Errors
    /// As [`Reader::open`].
    pub fn from_file(file: File) -> Result<Reader, BoltError> {
        let len = file.metadata()?.len();
        let read_meta = |offset: u64| -> Result<Meta, BoltError> {
            let mut buf = [0u8; PAGE_HEADER + META_CHECKSUM_AT + 8];
            if offset + buf.len() as u64 > len {
                return Err(BoltError::Invalid);
            }
            file.read_exact_at(&mut buf, offset)?;
            Meta::parse(&buf)
        };
        let meta0 = read_meta(0);
        // The page size comes from meta 0; if it is damaged, look for meta 1 at the page
        // sizes bbolt may have used.
        let page_size = match &meta0 {
            Ok(m) => Some(m.page_size),
            Err(_) => [4096u32, 8192, 16384, 65536, 1024, 2048, 32768]
                .into_iter()
                .find(|ps| read_meta(u64::from(*ps)).is_ok_and(|m| m.page_size == *ps)),
        };
        let meta1 = match page_size {
            Some(ps) if PAGE_SIZES.contains(&ps) => read_meta(u64::from(ps)),
            _ => Err(BoltError::Invalid),
        };
        let meta = match (meta0, meta1) {
            (Ok(a), Ok(b)) => {
                if b.txid > a.txid {
                    b
                } else {
                    a
                }
            }
            (Ok(a), Err(_)) => a,
            (Err(_), Ok(b)) => b,
            (Err(e), Err(_)) => return Err(e),
        };
        if !PAGE_SIZES.contains(&meta.page_size) || !meta.page_size.is_power_of_two() {
            return Err(BoltError::Invalid);
        }
        if meta.root >= meta.pgid || meta.root < 2 {
            return Err(corrupt(meta.root, "root bucket page outside the file"));
        }
        if meta.pgid.saturating_mul(u64::from(meta.page_size)) > len {
            return Err(corrupt(
                meta.pgid,
                format!("high-water mark past the end of the file ({len} bytes)"),
            ));
        }
        Ok(Reader { file, len, meta })
    }

    #[allow(dead_code, reason = "read by tests only")]
    /// The current meta.
    pub fn meta(&self) -> Meta {
        self.meta
    }

    /// Size of the database in bytes: high-water mark times page size (bbolt's `Tx.Size`, what
    /// etcd reports as a snapshot's total size).
    pub fn size(&self) -> u64 {
        self.meta.pgid * u64::from(self.meta.page_size)
    }

    /// The root bucket (whose entries are the top-level buckets).
    pub fn root(&self) -> Bucket {
        Bucket {
            root: self.meta.root,
            sequence: self.meta.sequence,
            inline: None,
        }
    }

    /// Reads page `pgid` with its overflow pages.
    fn page(&self, pgid: u64) -> Result<Vec<u8>, BoltError> {
        let ps = u64::from(self.meta.page_size);
        if pgid < 2 || pgid >= self.meta.pgid {
            return Err(corrupt(pgid, "page id outside the database"));
        }
        let mut head = [0u8; PAGE_HEADER];
        self.file.read_exact_at(&mut head, pgid * ps)?;
        if u64_at(&head, 0) != pgid {
            return Err(corrupt(
                pgid,
                format!("header says page {}", u64_at(&head, 0)),
            ));
        }
        let overflow = u64::from(u32_at(&head, 12));
        if pgid + overflow >= self.meta.pgid {
            return Err(corrupt(pgid, "overflow past the high-water mark"));
        }
        let bytes = (overflow + 1) * ps;
        if pgid * ps + bytes > self.len {
            return Err(corrupt(pgid, "page past the end of the file"));
        }
        let n = usize::try_from(bytes).map_err(|_| corrupt(pgid, "page too large"))?;
        let mut buf = vec![0u8; n];
        self.file.read_exact_at(&mut buf, pgid * ps)?;
        Ok(buf)
    }

    /// Calls `f` for every entry of `bucket` in key order: key/value pairs and nested buckets
    /// (which are not descended into; call `for_each` on them). Memory: one page per tree
    /// level. `f` may stop the walk by returning an error. Run [`Reader::check`] first on an
    /// untrusted file: a damaged tree whose pages refer to each other in a cycle is walked
    /// (up to the depth limit) many times over.
    ///
    /// # Errors
    /// `f`'s errors, I/O errors and `Corrupt` pages (as `E: From<BoltError>`).
    pub fn for_each<E, F>(&self, bucket: &Bucket, mut f: F) -> Result<(), E>
    where
        E: From<BoltError>,
        F: FnMut(&[u8], Item<'_>) -> Result<(), E>,
    {
        match &bucket.inline {
            Some(page) => self.walk(page, 0, 0, true, &mut f),
            None => {
                let page = self.page(bucket.root)?;
                self.walk(&page, bucket.root, 0, false, &mut f)
            }
        }
    }

    fn walk<E, F>(
        &self,
        page: &[u8],
        pgid: u64,
        depth: usize,
        inline: bool,
        f: &mut F,
    ) -> Result<(), E>
    where
        E: From<BoltError>,
        F: FnMut(&[u8], Item<'_>) -> Result<(), E>,
    {
        if depth > MAX_DEPTH {
            return Err(corrupt(pgid, "tree deeper than any valid database").into());
        }
        let flags = u16_at(page, 8);
        let count = usize::from(u16_at(page, 10));
        if PAGE_HEADER + count * ELEMENT > page.len() {
            return Err(corrupt(pgid, "element table past the page").into());
        }
        if flags & LEAF_PAGE != 0 {
            for i in 0..count {
                let (key, value, eflags) = leaf_element(page, pgid, i)?;
                if eflags & BUCKET_LEAF != 0 {
                    f(key, Item::Bucket(Bucket::from_value(value, pgid)?))?;
                } else {
                    f(key, Item::Value(value))?;
                }
            }
            Ok(())
        } else if flags & BRANCH_PAGE != 0 && !inline {
            for i in 0..count {
                let (_, child) = branch_element(page, pgid, i)?;
                let child_page = self.page(child)?;
                self.walk(&child_page, child, depth + 1, false, f)?;
            }
            Ok(())
        } else {
            Err(corrupt(
                pgid,
                format!("not a branch or leaf page (flags {flags:#x})"),
            )
            .into())
        }
    }

    /// Looks up `key` in `bucket` by descending the tree (bbolt's `Bucket.Get`/`Bucket`).
    ///
    /// # Errors
    /// I/O errors and `Corrupt` pages.
    pub fn get(&self, bucket: &Bucket, key: &[u8]) -> Result<Option<OwnedItem>, BoltError> {
        let (mut page, mut pgid) = match &bucket.inline {
            Some(p) => (p.clone(), 0),
            None => (self.page(bucket.root)?, bucket.root),
        };
        for _ in 0..=MAX_DEPTH {
            let flags = u16_at(&page, 8);
            let count = usize::from(u16_at(&page, 10));
            if PAGE_HEADER + count * ELEMENT > page.len() {
                return Err(corrupt(pgid, "element table past the page"));
            }
            if flags & LEAF_PAGE != 0 {
                for i in 0..count {
                    let (k, v, eflags) = leaf_element(&page, pgid, i)?;
                    if k == key {
                        return Ok(Some(if eflags & BUCKET_LEAF != 0 {
                            OwnedItem::Bucket(Bucket::from_value(v, pgid)?)
                        } else {
                            OwnedItem::Value(v.to_vec())
                        }));
                    }
                }
                return Ok(None);
            }
            if flags & BRANCH_PAGE == 0 || pgid == 0 || count == 0 {
                return Err(corrupt(pgid, "not a branch or leaf page"));
            }
            // The last child whose first key is <= key (the first child otherwise).
            let mut child = branch_element(&page, pgid, 0)?.1;
            for i in 1..count {
                let (k, c) = branch_element(&page, pgid, i)?;
                if k > key {
                    break;
                }
                child = c;
            }
            page = self.page(child)?;
            pgid = child;
        }
        Err(corrupt(pgid, "tree deeper than any valid database"))
    }

    /// The top-level bucket `name`, if any.
    ///
    /// # Errors
    /// As [`Reader::get`]; `Corrupt` if `name` holds a value, not a bucket.
    pub fn bucket(&self, name: &[u8]) -> Result<Option<Bucket>, BoltError> {
        match self.get(&self.root(), name)? {
            None => Ok(None),
            Some(OwnedItem::Bucket(b)) => Ok(Some(b)),
            Some(OwnedItem::Value(_)) => Err(corrupt(
                self.meta.root,
                "a value where a bucket was expected",
            )),
        }
    }
}

impl Reader {
    /// bbolt's `Tx.Check`, which etcd's `snapshot status` runs first: every page below the
    /// high-water mark is referenced exactly once (metas, freelist, bucket trees) or free,
    /// no reachable page is free, and tree pages are branches or leaves. Returns the problems
    /// found, in bbolt's wording (empty: consistent). Memory: two flags per page.
    ///
    /// # Errors
    /// I/O errors, and `Corrupt` pages that cannot be walked at all.
    pub fn check(&self) -> Result<Vec<String>, BoltError> {
        let n = usize::try_from(self.meta.pgid)
            .map_err(|_| corrupt(self.meta.pgid, "too many pages"))?;
        let mut reachable = vec![false; n];
        let mut freed = vec![false; n];
        let mut errors = Vec::new();
        reachable[0] = true;
        reachable[1] = true;
        if self.meta.freelist != NO_FREELIST {
            let page = self.page(self.meta.freelist)?;
            if u16_at(&page, 8) & FREELIST_PAGE == 0 {
                errors.push(format!(
                    "page {}: invalid freelist page",
                    self.meta.freelist
                ));
            } else {
                let (mut at, mut count) = (PAGE_HEADER, u64::from(u16_at(&page, 10)));
                if count == 0xFFFF {
                    count = u64_at(&page, PAGE_HEADER);
                    at += 8;
                }
                for i in 0..count {
                    let off = usize::try_from(i).ok().map(|i| at + 8 * i);
                    let Some(off) = off.filter(|o| o + 8 <= page.len()) else {
                        return Err(corrupt(self.meta.freelist, "freelist past its page"));
                    };
                    let id = u64_at(&page, off);
                    match usize::try_from(id).ok().and_then(|i| freed.get_mut(i)) {
                        Some(f) if *f => errors.push(format!("page {id}: already freed")),
                        Some(f) => *f = true,
                        None => errors.push(format!("page {id}: out of bounds: {n}")),
                    }
                }
            }
            let overflow = u64::from(u32_at(&page, 12));
            for id in self.meta.freelist..=self.meta.freelist + overflow {
                if let Some(r) = usize::try_from(id).ok().and_then(|i| reachable.get_mut(i)) {
                    *r = true;
                }
            }
        }
        self.check_tree(self.meta.root, 0, &mut reachable, &freed, &mut errors)?;
        if self.meta.freelist != NO_FREELIST {
            for (i, (r, f)) in reachable.iter().zip(&freed).enumerate() {
                if !r && !f {
                    errors.push(format!("page {i}: unreachable unfreed"));
                }
            }
        }
        Ok(errors)
    }

    fn check_tree(
        &self,
        pgid: u64,
        depth: usize,
        reachable: &mut [bool],
        freed: &[bool],
        errors: &mut Vec<String>,
    ) -> Result<(), BoltError> {
        if depth > MAX_DEPTH {
            return Err(corrupt(pgid, "tree deeper than any valid database"));
        }
        let page = self.page(pgid)?;
        let overflow = u64::from(u32_at(&page, 12));
        let mut seen = false;
        for id in pgid..=pgid + overflow {
            // page() checked the range against the high-water mark.
            let i = usize::try_from(id).map_err(|_| corrupt(id, "page id too large"))?;
            if reachable[i] {
                errors.push(format!("page {id}: multiple references"));
                seen = true;
            }
            reachable[i] = true;
        }
        if seen {
            // Not descended again: a cycle would otherwise be walked over and over.
            return Ok(());
        }
        let flags = u16_at(&page, 8);
        if usize::try_from(pgid).is_ok_and(|i| freed[i]) {
            errors.push(format!("page {pgid}: reachable freed"));
        } else if flags & (BRANCH_PAGE | LEAF_PAGE) == 0 {
            errors.push(format!("page {pgid}: invalid type: unknown<{flags:02x}>"));
            return Ok(());
        }
        let count = usize::from(u16_at(&page, 10));
        if PAGE_HEADER + count * ELEMENT > page.len() {
            return Err(corrupt(pgid, "element table past the page"));
        }
        for i in 0..count {
            if flags & BRANCH_PAGE != 0 {
                let (_, child) = branch_element(&page, pgid, i)?;
                self.check_tree(child, depth + 1, reachable, freed, errors)?;
            } else {
                let (_, value, eflags) = leaf_element(&page, pgid, i)?;
                if eflags & BUCKET_LEAF != 0 {
                    let b = Bucket::from_value(value, pgid)?;
                    if b.root != 0 {
                        self.check_tree(b.root, depth + 1, reachable, freed, errors)?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// An entry returned by [`Reader::get`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OwnedItem {
    /// A value.
    Value(Vec<u8>),
    /// A nested bucket.
    Bucket(Bucket),
}

/// Element `i` of a leaf page: key, value, element flags.
fn leaf_element(page: &[u8], pgid: u64, i: usize) -> Result<(&[u8], &[u8], u32), BoltError> {
    let at = PAGE_HEADER + i * ELEMENT;
    let flags = u32_at(page, at);
    let pos = u32_at(page, at + 4) as usize;
    let ksize = u32_at(page, at + 8) as usize;
    let vsize = u32_at(page, at + 12) as usize;
    let start = at + pos;
    let end = start
        .checked_add(ksize)
        .and_then(|k| k.checked_add(vsize))
        .filter(|end| *end <= page.len())
        .ok_or_else(|| corrupt(pgid, format!("leaf element {i} past the page")))?;
    Ok((
        &page[start..start + ksize],
        &page[start + ksize..end],
        flags,
    ))
}

/// Element `i` of a branch page: first key of the child, child page id.
fn branch_element(page: &[u8], pgid: u64, i: usize) -> Result<(&[u8], u64), BoltError> {
    let at = PAGE_HEADER + i * ELEMENT;
    let pos = u32_at(page, at) as usize;
    let ksize = u32_at(page, at + 4) as usize;
    let child = u64_at(page, at + 8);
    let start = at + pos;
    let end = start
        .checked_add(ksize)
        .filter(|end| *end <= page.len())
        .ok_or_else(|| corrupt(pgid, format!("branch element {i} past the page")))?;
    Ok((&page[start..end], child))
}

/// etcd's `snapshot status` of a bbolt file (`clientv3/snapshot.v3Manager.Status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    /// CRC-32C (Castagnoli) over, for each top-level bucket in name order, its name, then each
    /// key and value (a nested bucket contributes its key only).
    pub hash: u32,
    /// Main revision of the last key of the `key` bucket (0 without one).
    pub revision: i64,
    /// Entries in all top-level buckets (bucket names not counted).
    pub total_key: u64,
    /// The database size: high-water mark times page size, in bytes.
    pub total_size: u64,
}

/// Computes etcd's [`Status`] of the bbolt file at `path` (a sha256 trailer after the pages is
/// ignored, as bbolt does).
///
/// # Errors
/// As [`Reader::open`] and [`Reader::for_each`]; `Corrupt` for a top-level entry that is not
/// a bucket (etcd: "cannot get hash of bucket").
pub fn status(path: &Path) -> Result<Status, BoltError> {
    static CASTAGNOLI: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISCSI);
    let reader = Reader::open(path)?;
    let problems = reader.check()?;
    if !problems.is_empty() {
        return Err(BoltError::Inconsistent(problems));
    }
    let mut digest = CASTAGNOLI.digest();
    let mut revision = 0i64;
    let mut total_key = 0u64;
    let mut buckets = Vec::new();
    reader.for_each(&reader.root(), |name, item| -> Result<(), BoltError> {
        match item {
            Item::Bucket(b) => {
                buckets.push((name.to_vec(), b));
                Ok(())
            }
            Item::Value(_) => Err(corrupt(
                reader.meta.root,
                format!(
                    "cannot get hash of bucket {}",
                    String::from_utf8_lossy(name)
                ),
            )),
        }
    })?;
    for (name, bucket) in buckets {
        digest.update(&name);
        let is_key = name == b"key";
        reader.for_each(&bucket, |k, item| -> Result<(), BoltError> {
            digest.update(k);
            if let Item::Value(v) = item {
                digest.update(v);
            }
            if is_key && k.len() >= 8 {
                let mut main = [0u8; 8];
                main.copy_from_slice(&k[..8]);
                revision = i64::from_be_bytes(main);
            }
            total_key += 1;
            Ok(())
        })?;
    }
    Ok(Status {
        hash: digest.finalize(),
        revision,
        total_key,
        total_size: reader.size(),
    })
}

/// Appends the sha256 of the whole of `file` to it, as etcd's Snapshot RPC ends its stream
/// (`etcdctl snapshot restore` verifies it; the file size then is `pages * 4096 + 32`).
///
/// # Errors
/// I/O errors.
pub fn append_sha256_trailer(file: &mut File) -> std::io::Result<()> {
    file.seek(SeekFrom::Start(0))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    file.seek(SeekFrom::End(0))?;
    file.write_all(&hasher.finalize())?;
    file.sync_all()
}

/// The page being filled at one level of a tree under construction.
#[derive(Debug, Default)]
struct PendingPage {
    /// Leaf: (flags, key, value); branch: (0, key, child pgid as 8 bytes).
    elements: Vec<(u32, Vec<u8>, Vec<u8>)>,
    /// Bytes the page needs: header + elements + keys + values.
    size: usize,
}

impl PendingPage {
    fn new() -> PendingPage {
        PendingPage {
            elements: Vec::new(),
            size: PAGE_HEADER,
        }
    }

    /// Whether adding an element of `elsize` bytes must start a new page (bbolt's
    /// `splitIndex`: at least two elements, then no more than the fill threshold).
    fn must_flush_before(&self, elsize: usize) -> bool {
        let threshold = (PAGE_SIZE as f64 * FILL_PERCENT) as usize;
        self.elements.len() >= MIN_KEYS_PER_PAGE && self.size + elsize > threshold
    }

    fn push(&mut self, flags: u32, key: Vec<u8>, value: Vec<u8>) {
        self.size += ELEMENT + key.len() + value.len();
        self.elements.push((flags, key, value));
    }

    /// Serializes as page `id` (header `id`, `flags`, count, overflow) padded to whole pages.
    /// `pad` = false gives the bare bytes (an inline bucket's page).
    fn encode(&self, id: u64, page_flags: u16, pad: bool) -> Vec<u8> {
        let len = if pad {
            self.size.div_ceil(PAGE_SIZE) * PAGE_SIZE
        } else {
            self.size
        };
        let mut p = vec![0u8; len];
        let pages = self.size.div_ceil(PAGE_SIZE).max(1);
        p[0..8].copy_from_slice(&id.to_le_bytes());
        p[8..10].copy_from_slice(&page_flags.to_le_bytes());
        // count < 2^16: a page is flushed at ~3.7 KiB and elements are 16+ bytes.
        let count = u16::try_from(self.elements.len()).unwrap_or(u16::MAX);
        p[10..12].copy_from_slice(&count.to_le_bytes());
        let overflow = if pad {
            u32::try_from(pages - 1).unwrap_or(u32::MAX)
        } else {
            0
        };
        p[12..16].copy_from_slice(&overflow.to_le_bytes());
        let mut data = PAGE_HEADER + self.elements.len() * ELEMENT;
        for (i, (flags, key, value)) in self.elements.iter().enumerate() {
            let at = PAGE_HEADER + i * ELEMENT;
            // Offsets fit u32: keys and values are bounded by MAX_KEY_SIZE/MAX_VALUE_SIZE.
            let pos = (data - at) as u32;
            if page_flags == BRANCH_PAGE {
                p[at..at + 4].copy_from_slice(&pos.to_le_bytes());
                p[at + 4..at + 8].copy_from_slice(&(key.len() as u32).to_le_bytes());
                p[at + 8..at + 16].copy_from_slice(value);
                p[data..data + key.len()].copy_from_slice(key);
                data += key.len();
            } else {
                p[at..at + 4].copy_from_slice(&flags.to_le_bytes());
                p[at + 4..at + 8].copy_from_slice(&pos.to_le_bytes());
                p[at + 8..at + 12].copy_from_slice(&(key.len() as u32).to_le_bytes());
                p[at + 12..at + 16].copy_from_slice(&(value.len() as u32).to_le_bytes());
                p[data..data + key.len()].copy_from_slice(key);
                data += key.len();
                p[data..data + value.len()].copy_from_slice(value);
                data += value.len();
            }
        }
        p
    }
}

/// One bucket's tree under construction: the leaf being filled and one pending branch page
/// per level above it.
#[derive(Debug)]
struct TreeBuilder {
    leaf: PendingPage,
    /// `branches[0]` collects leaves, `branches[1]` collects `branches[0]` pages, ...
    branches: Vec<PendingPage>,
    /// Whether any page of this tree was written yet.
    wrote: bool,
    last_key: Option<Vec<u8>>,
}

impl TreeBuilder {
    fn new() -> TreeBuilder {
        TreeBuilder {
            leaf: PendingPage::new(),
            branches: Vec::new(),
            wrote: false,
            last_key: None,
        }
    }
}

/// Writes pages in pgid order (ids are handed out as pages are written).
#[derive(Debug)]
struct PageOut {
    out: BufWriter<File>,
    next_pgid: u64,
}

impl PageOut {
    /// Writes `pending` as the next page(s); returns its pgid.
    fn write(&mut self, pending: &PendingPage, flags: u16) -> Result<u64, BoltError> {
        let id = self.next_pgid;
        let bytes = pending.encode(id, flags, true);
        self.out.write_all(&bytes)?;
        self.next_pgid += (bytes.len() / PAGE_SIZE) as u64;
        Ok(id)
    }

    /// Adds an element to `tree` at `level` (0: the leaf, n: `branches[n - 1]`), writing the
    /// pending page first when it is full and pushing it into the level above.
    fn add(
        &mut self,
        tree: &mut TreeBuilder,
        level: usize,
        flags: u32,
        key: Vec<u8>,
        value: Vec<u8>,
    ) -> Result<(), BoltError> {
        let elsize = ELEMENT + key.len() + value.len();
        let must_flush = if level == 0 {
            tree.leaf.must_flush_before(elsize)
        } else {
            tree.branches[level - 1].must_flush_before(elsize)
        };
        if must_flush {
            self.flush_level(tree, level)?;
        }
        if level == 0 {
            tree.leaf.push(flags, key, value);
        } else {
            tree.branches[level - 1].push(flags, key, value);
        }
        Ok(())
    }

    /// Writes the pending page of `level` and adds it to the level above.
    fn flush_level(&mut self, tree: &mut TreeBuilder, level: usize) -> Result<(), BoltError> {
        let page = if level == 0 {
            std::mem::replace(&mut tree.leaf, PendingPage::new())
        } else {
            std::mem::replace(&mut tree.branches[level - 1], PendingPage::new())
        };
        let Some(first_key) = page.elements.first().map(|e| e.1.clone()) else {
            return Ok(());
        };
        let flags = if level == 0 { LEAF_PAGE } else { BRANCH_PAGE };
        let pgid = self.write(&page, flags)?;
        tree.wrote = true;
        if tree.branches.len() <= level {
            tree.branches.push(PendingPage::new());
        }
        self.add(tree, level + 1, 0, first_key, pgid.to_le_bytes().to_vec())
    }

    /// Writes what is pending in `tree`, bottom-up; returns the root pgid, or `None` when the
    /// tree needs no page and fits inline (only asked for nested buckets).
    fn finish_tree(
        &mut self,
        mut tree: TreeBuilder,
        may_inline: bool,
    ) -> Result<Finished, BoltError> {
        if !tree.wrote {
            let inlineable = tree.leaf.size <= PAGE_SIZE / 4
                && tree.leaf.elements.iter().all(|e| e.0 & BUCKET_LEAF == 0);
            if may_inline && inlineable {
                return Ok(Finished::Inline(tree.leaf.encode(0, LEAF_PAGE, false)));
            }
            return Ok(Finished::Root(self.write(&tree.leaf, LEAF_PAGE)?));
        }
        self.flush_level(&mut tree, 0)?;
        let mut level = 1;
        loop {
            let top = level == tree.branches.len();
            let pending = &tree.branches[level - 1];
            if top && pending.elements.len() == 1 {
                let child = &pending.elements[0].2;
                return Ok(Finished::Root(u64_at(child, 0)));
            }
            // A level with nothing pending was flushed exactly at its last element; its pages
            // are already in the level above.
            self.flush_level(&mut tree, level)?;
            level += 1;
        }
    }
}

/// A finished tree: its root page, or its inline page bytes.
enum Finished {
    Root(u64),
    Inline(Vec<u8>),
}

/// Checks `key` against the previous key of `tree` and bbolt's key limits.
fn check_key(tree: &mut TreeBuilder, key: &[u8]) -> Result<(), BoltError> {
    if key.is_empty() {
        return Err(BoltError::Limit("key required"));
    }
    if key.len() > MAX_KEY_SIZE {
        return Err(BoltError::Limit("key too large"));
    }
    if let Some(prev) = &tree.last_key {
        if key <= prev.as_slice() {
            return Err(BoltError::Unsorted {
                prev: prev.clone(),
                key: key.to_vec(),
            });
        }
    }
    tree.last_key = Some(key.to_vec());
    Ok(())
}

/// Streams sorted buckets of sorted key/values into a new bbolt file. Memory: about one page
/// per tree level, plus any value larger than a page.
///
/// ```text
/// let mut w = Writer::new(file)?;
/// w.begin_bucket(b"key")?; w.put(k1, v1)?; w.put(k2, v2)?; w.end_bucket()?;
/// w.begin_bucket(b"meta")?; ...; w.end_bucket()?;
/// let file = w.finish()?;   // synced; append_sha256_trailer for a snapshot
/// ```
#[derive(Debug)]
pub struct Writer {
    pages: PageOut,
    root: TreeBuilder,
    current: Option<(Vec<u8>, TreeBuilder)>,
}

impl Writer {
    /// Starts writing into `file`, which is truncated (pages 0 and 1, the metas, are written
    /// last by [`Writer::finish`]).
    ///
    /// # Errors
    /// I/O errors.
    pub fn new(mut file: File) -> Result<Writer, BoltError> {
        file.set_len(0)?;
        file.seek(SeekFrom::Start(2 * PAGE_SIZE as u64))?;
        Ok(Writer {
            pages: PageOut {
                out: BufWriter::with_capacity(1 << 16, file),
                next_pgid: 2,
            },
            root: TreeBuilder::new(),
            current: None,
        })
    }

    /// Opens the top-level bucket `name`; names must come in strictly ascending order.
    ///
    /// # Errors
    /// [`BoltError::Unsorted`], [`BoltError::Misuse`] if a bucket is open, `Limit` for an
    /// empty or too long name.
    pub fn begin_bucket(&mut self, name: &[u8]) -> Result<(), BoltError> {
        if self.current.is_some() {
            return Err(BoltError::Misuse("begin_bucket inside an open bucket"));
        }
        check_key(&mut self.root, name)?;
        self.current = Some((name.to_vec(), TreeBuilder::new()));
        Ok(())
    }

    /// Adds a key/value pair to the open bucket; keys must be strictly ascending.
    ///
    /// # Errors
    /// [`BoltError::Unsorted`], `Limit`, `Misuse` without an open bucket, I/O errors.
    pub fn put(&mut self, key: &[u8], value: &[u8]) -> Result<(), BoltError> {
        if value.len() > MAX_VALUE_SIZE {
            return Err(BoltError::Limit("value too large"));
        }
        let Some((_, tree)) = self.current.as_mut() else {
            return Err(BoltError::Misuse("put outside a bucket"));
        };
        check_key(tree, key)?;
        self.pages.add(tree, 0, 0, key.to_vec(), value.to_vec())
    }

    /// Closes the open bucket: writes its pending pages (or makes it inline) and records it
    /// in the root bucket.
    ///
    /// # Errors
    /// `Misuse` without an open bucket, I/O errors.
    pub fn end_bucket(&mut self) -> Result<(), BoltError> {
        let Some((name, tree)) = self.current.take() else {
            return Err(BoltError::Misuse("end_bucket without an open bucket"));
        };
        let mut value = vec![0u8; BUCKET_HEADER];
        match self.pages.finish_tree(tree, true)? {
            Finished::Root(pgid) => value[0..8].copy_from_slice(&pgid.to_le_bytes()),
            Finished::Inline(page) => value.extend_from_slice(&page),
        }
        self.pages.add(&mut self.root, 0, BUCKET_LEAF, name, value)
    }

    /// Closes any open bucket, writes the root bucket, an empty freelist and both meta pages,
    /// and syncs the file. Returns the file (positioned at its end; its length is the database
    /// size, a whole number of pages).
    ///
    /// # Errors
    /// I/O errors.
    pub fn finish(mut self) -> Result<File, BoltError> {
        if self.current.is_some() {
            self.end_bucket()?;
        }
        let root = match self
            .pages
            .finish_tree(std::mem::replace(&mut self.root, TreeBuilder::new()), false)?
        {
            Finished::Root(pgid) => pgid,
            Finished::Inline(_) => {
                return Err(BoltError::Misuse("the root bucket came out inline"))
            }
        };
        let freelist = self.pages.write(&PendingPage::new(), FREELIST_PAGE)?;
        let meta = Meta {
            page_size: PAGE_SIZE as u32,
            flags: 0,
            root,
            sequence: 0,
            freelist,
            pgid: self.pages.next_pgid,
            txid: 0,
        };
        let mut file = self
            .pages
            .out
            .into_inner()
            .map_err(|e| BoltError::Io(e.into_error()))?;
        file.seek(SeekFrom::Start(0))?;
        file.write_all(&meta.page(0))?;
        file.write_all(&Meta { txid: 1, ..meta }.page(1))?;
        file.sync_all()?;
        file.seek(SeekFrom::End(0))?;
        Ok(file)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
