//! bbolt's reader: [`Reader`] opens a file, picks the current meta page and walks buckets with
//! positional reads (memory bounded by the tree depth times the page size, never the file),
//! looks keys up, and checks the page tree the way bbolt's `Tx.Check` does.
//!
//! Depends on: the page layout in the parent module.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;

use super::*;

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

    #[cfg(test)]
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
    pub(super) meta: Meta,
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

    #[cfg(test)]
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
    pub(super) fn page(&self, pgid: u64) -> Result<Vec<u8>, BoltError> {
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
