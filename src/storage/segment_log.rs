//! The Raft log's entries in append-only segment files under `member/wal/`, like etcd's WAL:
//! one `fdatasync` per append batch into a preallocated (zero-filled) file, where an LMDB
//! commit syncs twice (data pages, then the meta page through an `O_DSYNC` write).
//!
//! Files: `<seq:016x>-<first index:016x>.seg`, `seq` strictly increasing. Each file starts
//! with the 8-byte magic [`MAGIC`] and is zero-filled to [`SEGMENT_BYTES`] when created, so
//! later writes never change its size or block allocation and `fdatasync` flushes data only.
//! Records follow the magic, back to back:
//!
//! ```text
//! | payload length: u32 LE | crc32c(index LE ++ payload): u32 LE | index: u64 LE | payload |
//! ```
//!
//! A zero length ends the data of a file. Indexes are consecutive inside a file and across
//! files (except below the purge point, which the caller passes to [`SegmentLog::open`]).
//!
//! Damage ([`StorageError::Damaged`], never silently dropped): a bad record in any file but
//! the last, a record that fails its CRC while the next record is valid (a flipped byte in
//! the middle of the log), a gap between indexes. The one repair, as etcd's WAL: a bad or
//! partial record in the LAST file followed by nothing valid is a torn write of a batch
//! that was never acknowledged (a crash before its `fdatasync` returned); it and everything
//! after it are zeroed.
//!
//! A roll to a new file first syncs the file it leaves, so only the last file can hold a
//! torn write.
//!
//! Crash safety of the other operations: a truncation removes the newest files first and
//! then zeroes the tail of the file holding the cut, syncing each step, so every state a
//! crash can leave is a prefix of the log before; a purge removes whole files that lie
//! entirely at or below the purge point (recorded durably by the caller first).
//!
//! Depends on: std, crc.

use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::record::CASTAGNOLI as CRC32C;
use super::StorageError;

/// The first bytes of every segment file.
pub const MAGIC: &[u8; 8] = b"EOXSEG01";
/// Size of a segment file in bytes (etcd's WAL segment size). A record that does not fit
/// in what is left starts a new file; a record larger than this gets a file of its size.
pub const SEGMENT_BYTES: u64 = 64 << 20;
/// Size of the first file of a fresh log, in bytes.
const FIRST_SEGMENT_BYTES: u64 = 4 << 20;
/// The next file made ahead of time (zeros and magic, synced), renamed into place at a roll.
const PREPARED: &str = "next.seg.tmp";
/// [`PREPARED`] while it is being written.
const PREPARING: &str = "next.seg.tmp.part";
/// Bytes of a record's frame before its payload.
const FRAME: u64 = 16;
/// File name suffix of a segment.
const SUFFIX: &str = ".seg";

/// The CRC of a record: over its index (LE) and payload.
fn record_crc(index: u64, payload: &[u8]) -> u32 {
    let mut d = CRC32C.digest();
    d.update(&index.to_le_bytes());
    d.update(payload);
    d.finalize()
}

fn io_at(path: &Path, source: std::io::Error) -> StorageError {
    StorageError::Io {
        path: path.display().to_string(),
        source,
    }
}

fn damaged(path: &Path, offset: u64, reason: impl std::fmt::Display) -> StorageError {
    StorageError::Damaged {
        path: path.display().to_string(),
        reason: format!("raft log record at offset {offset}: {reason}"),
    }
}

/// One segment file.
struct Segment {
    seq: u64,
    /// Index of the first record, as the file name says.
    first: u64,
    path: PathBuf,
    file: Arc<File>,
    /// Where the next record goes (end of data).
    end: u64,
    /// Size of the file (zero-filled up to here).
    cap: u64,
    /// Index of the last record in this file, if any.
    last: Option<u64>,
}

/// Where one entry lies.
#[derive(Clone)]
struct Loc {
    file: Arc<File>,
    offset: u64,
    len: u32,
}

/// Files written since the last [`SegmentLog::take_unsynced`]: what a group `fdatasync` must
/// cover before the appends are acknowledged.
#[derive(Default)]
pub struct Unsynced {
    files: Vec<Arc<File>>,
    dir: Option<PathBuf>,
}

impl Unsynced {
    /// True if nothing needs syncing.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty() && self.dir.is_none()
    }

    /// `fdatasync`s every written file, then the directory if a file was created in it.
    ///
    /// # Errors
    /// The first I/O error (the caller must then treat the log as failed: a failed
    /// `fdatasync` is never retried).
    pub fn sync(&self) -> std::io::Result<()> {
        for f in &self.files {
            f.sync_data()?;
        }
        if let Some(dir) = &self.dir {
            File::open(dir)?.sync_all()?;
        }
        Ok(())
    }
}

/// The segment files of one `member/wal` directory: an append-only log of `(index, bytes)`
/// records with an in-memory map index → location. Not thread-safe by itself (callers wrap
/// it in a mutex); reads go through [`SegmentLog::locate`] and [`read_at`] so the mutex is
/// not held during disk reads.
pub struct SegmentLog {
    dir: PathBuf,
    segment_bytes: u64,
    segs: VecDeque<Segment>,
    /// Index of `entries[0]`.
    first: u64,
    entries: VecDeque<Loc>,
    unsynced: Unsynced,
    /// True while the preparer thread makes the next file.
    preparing: Arc<std::sync::atomic::AtomicBool>,
}

/// Reads one record's payload located by [`SegmentLog::locate`].
///
/// # Errors
/// I/O errors.
pub fn read_at(loc: &EntryLoc) -> std::io::Result<Vec<u8>> {
    let mut buf = vec![0u8; loc.0.len as usize];
    loc.0.file.read_exact_at(&mut buf, loc.0.offset)?;
    Ok(buf)
}

/// An opaque entry location (see [`SegmentLog::locate`]).
#[derive(Clone)]
pub struct EntryLoc(Loc);

/// True if `dir` holds segment files.
pub fn has_segments(dir: &Path) -> bool {
    list(dir).map(|v| !v.is_empty()).unwrap_or(false)
}

/// The segment files of `dir`, sorted by sequence number: (seq, first index, path).
fn list(dir: &Path) -> Result<Vec<(u64, u64, PathBuf)>, StorageError> {
    let mut out = Vec::new();
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(io_at(dir, e)),
    };
    for ent in rd {
        let ent = ent.map_err(|e| io_at(dir, e))?;
        let name = ent.file_name().to_string_lossy().into_owned();
        let Some(stem) = name.strip_suffix(SUFFIX) else {
            continue;
        };
        let parsed = stem.split_once('-').and_then(|(a, b)| {
            Some((
                u64::from_str_radix(a, 16).ok()?,
                u64::from_str_radix(b, 16).ok()?,
            ))
        });
        match parsed {
            Some((seq, first)) => out.push((seq, first, ent.path())),
            None => {
                return Err(StorageError::Damaged {
                    path: ent.path().display().to_string(),
                    reason: "not a raft log segment name (<seq>-<index>.seg)".into(),
                })
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Copies the segment files of `src` into `dst` (created if needed) and syncs them, for
/// backups of `member/wal`.
///
/// # Errors
/// I/O errors.
pub fn copy_segments(src: &Path, dst: &Path) -> Result<(), StorageError> {
    let files = list(src)?;
    if files.is_empty() {
        return Ok(());
    }
    std::fs::create_dir_all(dst).map_err(|e| io_at(dst, e))?;
    for (_, _, path) in files {
        let Some(name) = path.file_name() else {
            continue;
        };
        let to = dst.join(name);
        std::fs::copy(&path, &to).map_err(|e| io_at(&to, e))?;
        File::open(&to)
            .and_then(|f| f.sync_all())
            .map_err(|e| io_at(&to, e))?;
    }
    File::open(dst)
        .and_then(|d| d.sync_all())
        .map_err(|e| io_at(dst, e))
}

/// Removes every segment file of `dir` and syncs the directory (an unfinished migration is
/// redone from scratch).
///
/// # Errors
/// I/O errors.
pub fn remove_segments(dir: &Path) -> Result<(), StorageError> {
    let files = list(dir)?;
    if files.is_empty() {
        return Ok(());
    }
    for (_, _, path) in files.iter().rev() {
        std::fs::remove_file(path).map_err(|e| io_at(path, e))?;
    }
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io_at(dir, e))
}

/// Writes zeros over `[from, to)` of `file`.
fn zero_range(file: &File, from: u64, to: u64) -> std::io::Result<()> {
    const CHUNK: u64 = 1 << 20;
    let zeros = vec![0u8; CHUNK.min(to.saturating_sub(from)) as usize];
    let mut at = from;
    while at < to {
        let n = CHUNK.min(to - at) as usize;
        file.write_all_at(&zeros[..n], at)?;
        at += n as u64;
    }
    Ok(())
}

/// Creates `path` holding [`MAGIC`] then zeros up to `cap` bytes, synced.
fn make_zeroed(path: &Path, cap: u64) -> std::io::Result<File> {
    let f = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)?;
    zero_range(&f, 0, cap)?;
    f.write_all_at(MAGIC, 0)?;
    f.sync_all()?;
    Ok(f)
}

/// One record read during the scan.
enum Scanned {
    /// A valid record: index, payload offset, payload length.
    Record(u64, u64, u32),
    /// Zero length: the end of the data.
    End,
    /// Not a valid record, with why.
    Bad(String),
}

fn scan_one(bytes: &[u8], at: usize) -> Scanned {
    if at + FRAME as usize > bytes.len() {
        return if bytes[at..].iter().all(|b| *b == 0) {
            Scanned::End
        } else {
            Scanned::Bad("frame runs past the end of the file".into())
        };
    }
    let word = |o: usize| u32::from_le_bytes(bytes[o..o + 4].try_into().expect("4 bytes"));
    let len = word(at);
    if len == 0 {
        return Scanned::End;
    }
    let crc = word(at + 4);
    let index = u64::from_le_bytes(bytes[at + 8..at + 16].try_into().expect("8 bytes"));
    let start = at + FRAME as usize;
    let Some(end) = start
        .checked_add(len as usize)
        .filter(|e| *e <= bytes.len())
    else {
        return Scanned::Bad(format!("length {len} runs past the end of the file"));
    };
    if record_crc(index, &bytes[start..end]) != crc {
        return Scanned::Bad(format!("checksum mismatch (index {index})"));
    }
    Scanned::Record(index, start as u64, len)
}

impl SegmentLog {
    /// Opens (creating `dir` if needed) the segment files of `dir`, verifying every record.
    /// Records at or below `purged` are dropped (their files are removed when whole).
    ///
    /// # Errors
    /// [`StorageError::Damaged`] for damage other than a torn tail (see the module doc),
    /// [`StorageError::Io`] for I/O errors.
    pub fn open(dir: &Path, purged: Option<u64>) -> Result<SegmentLog, StorageError> {
        SegmentLog::open_with(dir, purged, SEGMENT_BYTES)
    }

    /// [`SegmentLog::open`] with another segment size (tests).
    ///
    /// # Errors
    /// As [`SegmentLog::open`].
    pub fn open_with(
        dir: &Path,
        purged: Option<u64>,
        segment_bytes: u64,
    ) -> Result<SegmentLog, StorageError> {
        std::fs::create_dir_all(dir).map_err(|e| io_at(dir, e))?;
        // A roll that crashed before its rename left its half-made file behind.
        for ent in std::fs::read_dir(dir).map_err(|e| io_at(dir, e))?.flatten() {
            let name = ent.file_name().to_string_lossy().into_owned();
            if name.contains(".seg.tmp") && name != PREPARED {
                std::fs::remove_file(ent.path()).map_err(|e| io_at(&ent.path(), e))?;
            }
        }
        let files = list(dir)?;
        let mut log = SegmentLog {
            dir: dir.to_path_buf(),
            segment_bytes,
            segs: VecDeque::new(),
            first: 0,
            entries: VecDeque::new(),
            unsynced: Unsynced::default(),
            preparing: Arc::default(),
        };
        let n = files.len();
        let mut expected: Option<u64> = None;
        for (i, (seq, first, path)) in files.into_iter().enumerate() {
            let is_last = i + 1 == n;
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .open(&path)
                .map_err(|e| io_at(&path, e))?;
            let bytes = std::fs::read(&path).map_err(|e| io_at(&path, e))?;
            if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
                if is_last && bytes.iter().all(|b| *b == 0) {
                    // Created, not yet initialized: a crash while rolling to a new file.
                    std::fs::remove_file(&path).map_err(|e| io_at(&path, e))?;
                    continue;
                }
                return Err(damaged(&path, 0, "not a raft log segment (bad magic)"));
            }
            let file = Arc::new(file);
            let mut at = MAGIC.len();
            let mut last: Option<u64> = None;
            loop {
                match scan_one(&bytes, at) {
                    Scanned::Record(index, start, len) => {
                        if last.is_none() && index != first {
                            return Err(damaged(
                                &path,
                                at as u64,
                                format!("first index {index}, file name says {first}"),
                            ));
                        }
                        if let Some(l) = last {
                            if index != l + 1 {
                                return Err(damaged(
                                    &path,
                                    at as u64,
                                    format!("index {index} follows {l}"),
                                ));
                            }
                        }
                        last = Some(index);
                        if purged.is_none_or(|p| index > p) {
                            match expected {
                                Some(e) if index != e => {
                                    return Err(damaged(
                                        &path,
                                        at as u64,
                                        format!("index {index} where {e} was expected (gap)"),
                                    ))
                                }
                                None if log.entries.is_empty() => {
                                    if let Some(p) = purged {
                                        if index != p + 1 {
                                            return Err(damaged(
                                                &path,
                                                at as u64,
                                                format!(
                                                    "index {index} after purged index {p} (gap)"
                                                ),
                                            ));
                                        }
                                    }
                                    log.first = index;
                                }
                                _ => {}
                            }
                            log.entries.push_back(Loc {
                                file: file.clone(),
                                offset: start,
                                len,
                            });
                            expected = Some(index + 1);
                        }
                        at = start as usize + len as usize;
                    }
                    Scanned::End => {
                        // A zero length must be followed by zeros only, unless it is a torn
                        // write at the tail of the last file.
                        if bytes[at..].iter().any(|b| *b != 0) {
                            if !is_last {
                                return Err(damaged(
                                    &path,
                                    at as u64,
                                    "data after the end of the records",
                                ));
                            }
                            tracing::warn!(path = %path.display(), offset = at, "raft log: torn write at the tail of the last segment; zeroing it");
                            zero_range(&file, at as u64, bytes.len() as u64)
                                .and_then(|()| file.sync_data())
                                .map_err(|e| io_at(&path, e))?;
                        }
                        break;
                    }
                    Scanned::Bad(reason) => {
                        if !is_last || valid_after(&bytes, at, last) {
                            return Err(damaged(&path, at as u64, reason));
                        }
                        tracing::warn!(path = %path.display(), offset = at, %reason, "raft log: torn record at the tail of the last segment (never acknowledged); zeroing it");
                        zero_range(&file, at as u64, bytes.len() as u64)
                            .and_then(|()| file.sync_data())
                            .map_err(|e| io_at(&path, e))?;
                        break;
                    }
                }
            }
            log.segs.push_back(Segment {
                seq,
                first,
                path,
                file,
                end: at as u64,
                cap: bytes.len() as u64,
                last,
            });
        }
        if let Some(p) = purged {
            if log.entries.is_empty() {
                log.first = p + 1;
            }
            log.remove_purged_files(p)?;
        }
        Ok(log)
    }

    /// Index of the first entry held (or the next to be appended when empty).
    #[cfg(test)]
    pub fn first_index(&self) -> u64 {
        self.first
    }

    /// Index of the last entry held.
    pub fn last_index(&self) -> Option<u64> {
        (self.first + self.entries.len() as u64)
            .checked_sub(1)
            .filter(|_| !self.entries.is_empty())
    }

    /// True if no entry is held.
    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Locations of the entries with index in `[start, end_incl]` (clamped to what is held).
    pub fn locate(&self, start: u64, end_incl: u64) -> Vec<EntryLoc> {
        let Some(last) = self.last_index() else {
            return Vec::new();
        };
        let lo = start.max(self.first);
        let hi = end_incl.min(last);
        if lo > hi {
            return Vec::new();
        }
        let from = (lo - self.first) as usize;
        let to = (hi - self.first) as usize;
        self.entries
            .range(from..=to)
            .map(|l| EntryLoc(l.clone()))
            .collect()
    }

    /// Writes records `(index, payload)` (consecutive indexes continuing the log, or any
    /// start when the log is empty) after the last one, without syncing: durable only after
    /// [`SegmentLog::take_unsynced`]'s [`Unsynced::sync`]. Returns the bytes written.
    ///
    /// # Errors
    /// [`StorageError::Io`]; [`StorageError::Corrupt`] for a non-consecutive index.
    pub fn append(&mut self, records: &[(u64, Vec<u8>)]) -> Result<u64, StorageError> {
        let mut written = 0;
        let mut buf: Vec<u8> = Vec::new();
        for (index, payload) in records {
            if let Some(last) = self.last_index() {
                if *index != last + 1 {
                    return Err(StorageError::Corrupt(format!(
                        "raft log append: index {index} after {last}"
                    )));
                }
            }
            let need = FRAME + payload.len() as u64;
            // A new file when: none yet, the record does not fit, or the active file's last
            // record does not precede this one (everything purged, then a jump ahead).
            let roll = match self.segs.back() {
                None => true,
                Some(s) => {
                    s.end + buf.len() as u64 + need > s.cap
                        || match s.last {
                            Some(l) => l + 1 != *index,
                            None => s.first != *index,
                        }
                }
            };
            if roll {
                self.flush_buf(&mut buf)?;
                self.roll(*index, need)?;
            }
            let seg = self.segs.back().expect("invariant: a segment after roll");
            let offset = seg.end + buf.len() as u64 + FRAME;
            let file = seg.file.clone();
            buf.extend_from_slice(&(payload.len() as u32).to_le_bytes());
            buf.extend_from_slice(&record_crc(*index, payload).to_le_bytes());
            buf.extend_from_slice(&index.to_le_bytes());
            buf.extend_from_slice(payload);
            if self.entries.is_empty() {
                self.first = *index;
            }
            self.entries.push_back(Loc {
                file,
                offset,
                len: payload.len() as u32,
            });
            self.segs
                .back_mut()
                .expect("invariant: active segment")
                .last = Some(*index);
            written += need;
        }
        self.flush_buf(&mut buf)?;
        if let Some(seg) = self.segs.back() {
            if seg.end > seg.cap / 2 {
                self.prepare_next();
            }
        }
        Ok(written)
    }

    /// Writes `buf` at the end of the active file.
    fn flush_buf(&mut self, buf: &mut Vec<u8>) -> Result<(), StorageError> {
        if buf.is_empty() {
            return Ok(());
        }
        let seg = self
            .segs
            .back_mut()
            .expect("invariant: buffered records have a file");
        seg.file
            .write_all_at(buf, seg.end)
            .map_err(|e| io_at(&seg.path, e))?;
        seg.end += buf.len() as u64;
        if !self
            .unsynced
            .files
            .iter()
            .any(|f| Arc::ptr_eq(f, &seg.file))
        {
            self.unsynced.files.push(seg.file.clone());
        }
        buf.clear();
        Ok(())
    }

    /// Creates the next file, zero-filled to its size and synced, its first record `first`.
    fn roll(&mut self, first: u64, need: u64) -> Result<(), StorageError> {
        // The file being left is synced first: only the last file may ever hold a torn
        // write, which is what the open-time repair relies on.
        if let Some(active) = self.segs.back() {
            active
                .file
                .sync_data()
                .map_err(|e| io_at(&active.path, e))?;
        }
        let seq = self.segs.back().map_or(1, |s| s.seq + 1);
        // A fresh log starts with a small file so a new member does not write 64 MiB of
        // zeros before its first entry; later files have the full size.
        let base = if self.segs.is_empty() {
            self.segment_bytes.min(FIRST_SEGMENT_BYTES)
        } else {
            self.segment_bytes
        };
        let cap = base.max(MAGIC.len() as u64 + need);
        let path = self.dir.join(format!("{seq:016x}-{first:016x}{SUFFIX}"));
        let prepared = self.dir.join(PREPARED);
        let file = (|| {
            // A file made ahead by the preparer thread, when it is ready and big enough.
            if cap == self.segment_bytes
                && std::fs::metadata(&prepared).is_ok_and(|m| m.len() == cap)
            {
                let f = OpenOptions::new().read(true).write(true).open(&prepared)?;
                std::fs::rename(&prepared, &path)?;
                return Ok(f);
            }
            let tmp = path.with_extension("seg.tmp");
            let f = make_zeroed(&tmp, cap)?;
            std::fs::rename(&tmp, &path)?;
            Ok(f)
        })()
        .map_err(|e| io_at(&path, e))?;
        self.unsynced.dir = Some(self.dir.clone());
        self.segs.push_back(Segment {
            seq,
            first,
            path,
            file: Arc::new(file),
            end: MAGIC.len() as u64,
            cap,
            last: None,
        });
        Ok(())
    }

    /// Starts making the next full-size file in the background (etcd's file pipeline), so
    /// rolling over does not stall appends while 64 MiB of zeros are written and synced.
    fn prepare_next(&self) {
        if self
            .preparing
            .swap(true, std::sync::atomic::Ordering::SeqCst)
        {
            return;
        }
        let prepared = self.dir.join(PREPARED);
        if prepared.exists() {
            self.preparing
                .store(false, std::sync::atomic::Ordering::SeqCst);
            return;
        }
        let part = self.dir.join(PREPARING);
        let cap = self.segment_bytes;
        let busy = self.preparing.clone();
        let spawned = std::thread::Builder::new()
            .name("raft-log-prealloc".into())
            .spawn(move || {
                let res = make_zeroed(&part, cap).and_then(|_| std::fs::rename(&part, &prepared));
                if let Err(e) = res {
                    tracing::warn!(error = %e, "raft log: preparing the next segment file failed");
                    let _ = std::fs::remove_file(&part);
                }
                busy.store(false, std::sync::atomic::Ordering::SeqCst);
            });
        if spawned.is_err() {
            self.preparing
                .store(false, std::sync::atomic::Ordering::SeqCst);
        }
    }

    /// What must be synced for every append so far to be durable; the caller syncs it
    /// outside its lock, then acknowledges those appends.
    pub fn take_unsynced(&mut self) -> Unsynced {
        std::mem::take(&mut self.unsynced)
    }

    /// Removes the entries with index `>= index` (openraft's `truncate`), durably before
    /// returning. Every intermediate state a crash can leave is a prefix of the log.
    ///
    /// # Errors
    /// [`StorageError::Io`].
    pub fn truncate_from(&mut self, index: u64) -> Result<(), StorageError> {
        let Some(last) = self.last_index() else {
            return Ok(());
        };
        if index > last {
            return Ok(());
        }
        let keep = index.saturating_sub(self.first) as usize;
        let cut = self.entries.get(keep).cloned();
        self.entries.truncate(keep);
        let Some(cut) = cut else {
            return Ok(());
        };
        // Newest files first: whole files at or after the cut's file.
        let mut removed = false;
        while let Some(seg) = self.segs.back() {
            if Arc::ptr_eq(&seg.file, &cut.file) {
                break;
            }
            std::fs::remove_file(&seg.path).map_err(|e| io_at(&seg.path, e))?;
            self.segs.pop_back();
            removed = true;
        }
        if removed {
            File::open(&self.dir)
                .and_then(|d| d.sync_all())
                .map_err(|e| io_at(&self.dir, e))?;
        }
        let seg = self
            .segs
            .back_mut()
            .expect("invariant: the cut entry's file is held");
        let from = cut.offset - FRAME;
        zero_range(&seg.file, from, seg.end)
            .and_then(|()| seg.file.sync_data())
            .map_err(|e| io_at(&seg.path, e))?;
        seg.end = from;
        seg.last = if from == MAGIC.len() as u64 {
            None
        } else {
            index.checked_sub(1)
        };
        if self.entries.is_empty() {
            self.first = index;
        }
        Ok(())
    }

    /// Drops the entries with index `<= index` (openraft's `purge`; the caller has recorded
    /// the purge point durably) and removes files that hold nothing above it.
    ///
    /// # Errors
    /// [`StorageError::Io`].
    pub fn purge_upto(&mut self, index: u64) -> Result<(), StorageError> {
        if index >= self.first {
            let drop = (index - self.first + 1).min(self.entries.len() as u64) as usize;
            self.entries.drain(..drop);
            self.first = index + 1;
        }
        self.remove_purged_files(index)
    }

    /// Removes every file but the active one whose records all lie at or below `index`.
    fn remove_purged_files(&mut self, index: u64) -> Result<(), StorageError> {
        let mut removed = false;
        while self.segs.len() > 1 {
            let seg = &self.segs[0];
            if seg.last.is_some_and(|l| l > index) {
                break;
            }
            std::fs::remove_file(&seg.path).map_err(|e| io_at(&seg.path, e))?;
            self.segs.pop_front();
            removed = true;
        }
        if removed {
            File::open(&self.dir)
                .and_then(|d| d.sync_all())
                .map_err(|e| io_at(&self.dir, e))?;
        }
        Ok(())
    }
}

/// Whether a valid record continuing the log follows a bad record at `at` whose length
/// field may still be right (a flipped byte inside a record rather than a torn write).
fn valid_after(bytes: &[u8], at: usize, last: Option<u64>) -> bool {
    if at + FRAME as usize > bytes.len() {
        return false;
    }
    let len = u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes")) as usize;
    let Some(next) = (at + FRAME as usize)
        .checked_add(len)
        .filter(|n| *n < bytes.len())
    else {
        return false;
    };
    match scan_one(bytes, next) {
        Scanned::Record(index, _, _) => last.is_none_or(|l| index == l + 2),
        _ => false,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const SEG: u64 = 4096;

    fn recs(from: u64, to: u64) -> Vec<(u64, Vec<u8>)> {
        (from..=to)
            .map(|i| (i, format!("entry-{i}-").repeat(20).into_bytes()))
            .collect()
    }

    fn read_all(log: &SegmentLog) -> Vec<(u64, Vec<u8>)> {
        let first = log.first_index();
        log.locate(0, u64::MAX)
            .iter()
            .enumerate()
            .map(|(i, l)| (first + i as u64, read_at(l).unwrap()))
            .collect()
    }

    fn append_synced(log: &mut SegmentLog, r: &[(u64, Vec<u8>)]) {
        log.append(r).unwrap();
        log.take_unsynced().sync().unwrap();
    }

    #[test]
    fn append_read_reopen_across_segments() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = SegmentLog::open_with(dir.path(), None, SEG).unwrap();
        assert!(log.is_empty());
        append_synced(&mut log, &recs(0, 99));
        assert!(list(dir.path()).unwrap().len() > 2, "rolled over files");
        assert_eq!(read_all(&log), recs(0, 99));
        assert_eq!(log.locate(10, 12).len(), 3);
        drop(log);
        let log = SegmentLog::open_with(dir.path(), None, SEG).unwrap();
        assert_eq!(read_all(&log), recs(0, 99));
        assert_eq!(log.last_index(), Some(99));
    }

    #[test]
    fn truncate_then_append_shorter_survives_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = SegmentLog::open_with(dir.path(), None, SEG).unwrap();
        append_synced(&mut log, &recs(1, 80));
        log.truncate_from(40).unwrap();
        assert_eq!(log.last_index(), Some(39));
        // Shorter records than the removed ones: stale bytes must not come back.
        append_synced(&mut log, &[(40, b"x".to_vec()), (41, b"y".to_vec())]);
        drop(log);
        let log = SegmentLog::open_with(dir.path(), None, SEG).unwrap();
        let all = read_all(&log);
        assert_eq!(all.len(), 41);
        assert_eq!(all[39], (40, b"x".to_vec()));
        assert_eq!(all[40], (41, b"y".to_vec()));
        // Truncating everything.
        let mut log = log;
        log.truncate_from(0).unwrap();
        assert!(log.is_empty());
        append_synced(&mut log, &recs(5, 6));
        drop(log);
        let log = SegmentLog::open_with(dir.path(), None, SEG).unwrap();
        assert_eq!(read_all(&log), recs(5, 6));
    }

    #[test]
    fn purge_removes_whole_files_and_jumps_ahead() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = SegmentLog::open_with(dir.path(), None, SEG).unwrap();
        append_synced(&mut log, &recs(1, 100));
        let before = list(dir.path()).unwrap().len();
        log.purge_upto(60).unwrap();
        assert!(list(dir.path()).unwrap().len() < before);
        assert_eq!(log.first_index(), 61);
        assert_eq!(read_all(&log), recs(61, 100));
        drop(log);
        let mut log = SegmentLog::open_with(dir.path(), Some(60), SEG).unwrap();
        assert_eq!(read_all(&log), recs(61, 100));
        // A snapshot beyond the log: everything purged, the log continues further on.
        log.purge_upto(500).unwrap();
        assert!(log.is_empty());
        append_synced(&mut log, &recs(501, 503));
        drop(log);
        let log = SegmentLog::open_with(dir.path(), Some(500), SEG).unwrap();
        assert_eq!(read_all(&log), recs(501, 503));
        assert!(
            SegmentLog::open_with(dir.path(), Some(400), SEG).is_err(),
            "gap 401..500"
        );
    }

    fn last_file(dir: &Path) -> PathBuf {
        list(dir).unwrap().pop().unwrap().2
    }

    #[test]
    fn torn_tail_is_cut_and_log_continues() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = SegmentLog::open_with(dir.path(), None, 1 << 20).unwrap();
        append_synced(&mut log, &recs(1, 10));
        let end = log.segs.back().unwrap().end;
        drop(log);
        // A batch of two records whose second half never reached the disk.
        let f = OpenOptions::new()
            .write(true)
            .open(last_file(dir.path()))
            .unwrap();
        let mut torn = Vec::new();
        for (i, p) in recs(11, 12) {
            torn.extend_from_slice(&(p.len() as u32).to_le_bytes());
            torn.extend_from_slice(&record_crc(i, &p).to_le_bytes());
            torn.extend_from_slice(&i.to_le_bytes());
            torn.extend_from_slice(&p);
        }
        let half = torn.len() - 20;
        f.write_all_at(&torn[..half], end).unwrap();
        drop(f);
        let mut log = SegmentLog::open_with(dir.path(), None, 1 << 20).unwrap();
        assert_eq!(log.last_index(), Some(11), "11 complete, torn 12 cut");
        append_synced(&mut log, &recs(12, 13));
        drop(log);
        let log = SegmentLog::open_with(dir.path(), None, 1 << 20).unwrap();
        assert_eq!(read_all(&log), recs(1, 13));
    }

    #[test]
    fn damage_in_the_middle_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = SegmentLog::open_with(dir.path(), None, 1 << 20).unwrap();
        append_synced(&mut log, &recs(1, 10));
        let loc = log.locate(5, 5).pop().unwrap();
        drop(log);
        let path = last_file(dir.path());
        let f = OpenOptions::new().write(true).open(&path).unwrap();
        f.write_all_at(b"Z", loc.0.offset + 3).unwrap();
        drop(f);
        let err = SegmentLog::open_with(dir.path(), None, 1 << 20)
            .err()
            .expect("refused");
        let msg = err.to_string();
        assert!(
            msg.contains("checksum mismatch") && msg.contains(&path.display().to_string()),
            "{msg}"
        );
    }

    #[test]
    fn damage_in_an_older_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = SegmentLog::open_with(dir.path(), None, SEG).unwrap();
        append_synced(&mut log, &recs(1, 100));
        drop(log);
        let first = list(dir.path()).unwrap().remove(0).2;
        let f = OpenOptions::new().write(true).open(&first).unwrap();
        f.write_all_at(&[0xff; 4], 8 + 16 + 3).unwrap();
        drop(f);
        assert!(matches!(
            SegmentLog::open_with(dir.path(), None, SEG),
            Err(StorageError::Damaged { .. })
        ));
    }

    /// Past half of the active file, the next file is made in the background and a roll
    /// renames it into place instead of writing zeros while appends wait.
    #[test]
    fn next_file_is_prepared_ahead_and_used_at_roll() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = SegmentLog::open_with(dir.path(), None, SEG).unwrap();
        let mut next = 1;
        while log.segs.back().is_none_or(|s| s.end <= s.cap / 2) {
            append_synced(&mut log, &recs(next, next));
            next += 1;
        }
        let prepared = dir.path().join(PREPARED);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !prepared.exists() {
            assert!(
                std::time::Instant::now() < deadline,
                "next file never prepared"
            );
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let files = list(dir.path()).unwrap().len();
        while list(dir.path()).unwrap().len() == files {
            append_synced(&mut log, &recs(next, next));
            next += 1;
        }
        assert!(!prepared.exists() || log.preparing.load(std::sync::atomic::Ordering::SeqCst));
        drop(log);
        let log = SegmentLog::open_with(dir.path(), None, SEG).unwrap();
        assert_eq!(read_all(&log), recs(1, next - 1));
    }
}
