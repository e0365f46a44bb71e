//! bbolt's writer: [`Writer`] streams sorted buckets of sorted key/values into a new file,
//! filling pages as bbolt's split does, then writes the freelist and both meta pages.
//!
//! Depends on: the page layout in the parent module.

use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};

use super::*;

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
