//! `PowerLossFs`: a FUSE filesystem (on the `fuser` crate, pure-Rust mount, no libfuse) that
//! keeps everything not yet fsynced in memory and loses it at a simulated power cut.
//!
//! # Durability model
//!
//! - **File data and size** (`write`, `truncate`, `fallocate`): kept in a per-file overlay of
//!   4 KiB pages in memory; reads see the overlay over the file's durable content. `fsync` or
//!   `fdatasync` of the file (including the implicit one of an `O_DSYNC` write, which LMDB uses
//!   for its meta pages) applies the overlay to the durable content. Nothing else does:
//!   closing a file, unmounting or another file's fsync never makes its data durable.
//! - **Directory entries** (`create`, `mkdir`, `unlink`, `rmdir`, `rename`): two models
//!   ([`DirSync`]). `Journal` (the default, like ext4 `data=ordered`): every fsync, of any file
//!   or directory, commits all directory changes made so far (one ordered metadata journal).
//!   `PerDirectory` (strict POSIX): a directory's entries become durable only at an fsync of
//!   that directory (a rename needs both directories fsynced; before that, the file may be
//!   durable under both names or neither).
//! - **Power cut** ([`PowerLossMount::cut`]): the caller kills every process using the mount
//!   first (kill -9); the mount is then unmounted and its memory dropped, which discards every
//!   overlay and every directory change not yet durable. [`PowerLossMount::mount`] mounts the
//!   durable state again, with fresh kernel caches.
//!
//! # Layout of the backing directory
//!
//! Durable state lives in a backing directory outside the mount, so a fresh mount (even in
//! another process) reads it back: `objects/<id>` holds the durable content of file `<id>`,
//! and `manifest.json` the durable directory tree (`{id: {"mode", "dir": {name: id}}}`, files
//! without `dir`), replaced atomically (write, rename) at each metadata commit. A file
//! reachable in the manifest whose object is missing reads as empty (its data was never
//! fsynced); objects no manifest entry names are removed at mount (files created, fsynced, but
//! never linked durably). The backing files are not fsynced themselves: the simulated power
//! cut never loses the backing filesystem's page cache, so a real fsync there would add
//! nothing to what the tests check and cost a disk flush per LMDB commit.
//!
//! Kernel caching is kept out of the way: no writeback cache (every `write` reaches the
//! daemon before it returns), no `keep_cache` and no `direct_io` (so `mmap`, which LMDB reads
//! through, is served from the page cache filled by this daemon and invalidated at open), and
//! short attribute and entry TTLs (nothing changes behind the kernel's back). POSIX locks
//! (`fcntl`, used by LMDB's lock file) are handled by the kernel locally.
//!
//! Not supported (`ENOSYS`/`EOPNOTSUPP`): hard links, symlinks, special files, xattrs,
//! `fallocate` modes other than 0 (plain allocate) and `FALLOC_FL_KEEP_SIZE`.

use std::collections::{BTreeMap, HashMap};
use std::ffi::{OsStr, OsString};
use std::fs::{File, OpenOptions};
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use fuser::{
    BackgroundSession, Config, Errno, FileAttr, FileHandle, FileType, FopenFlags, Generation,
    INodeNo, MountOption, OpenFlags, RenameFlags, ReplyAttr, ReplyCreate, ReplyData,
    ReplyDirectory, ReplyEmpty, ReplyEntry, ReplyOpen, ReplyStatfs, ReplyWrite, Request,
    WriteFlags,
};
use serde::{Deserialize, Serialize};

/// Overlay granularity (bytes).
const PAGE: u64 = 4096;
/// Attribute and entry TTL handed to the kernel.
const TTL: Duration = Duration::from_secs(1);
/// The FUSE root inode.
const ROOT: u64 = 1;
/// `FALLOC_FL_KEEP_SIZE`.
const FALLOC_FL_KEEP_SIZE: i32 = 1;

/// When directory changes become durable (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirSync {
    /// Any fsync commits all directory changes so far (ext4 `data=ordered`-like).
    Journal,
    /// A directory's entries become durable only at an fsync of that directory.
    PerDirectory,
}

/// A mounted [`PowerLossFs`]; unmounted (losing what was not fsynced) on [`PowerLossMount::cut`]
/// or on drop.
pub struct PowerLossMount {
    backing: PathBuf,
    mountpoint: PathBuf,
    model: DirSync,
    session: Option<BackgroundSession>,
    stats: Arc<Mutex<Stats>>,
    state: Arc<Mutex<State>>,
}

/// Counters of one mount's life, for the test reports.
#[derive(Debug, Default, Clone, Copy)]
pub struct Stats {
    /// `write` requests served.
    pub writes: u64,
    /// File fsyncs (`fsync`, `fdatasync`, `O_DSYNC` writes).
    pub file_syncs: u64,
    /// Directory fsyncs.
    pub dir_syncs: u64,
    /// Metadata commits (manifest rewrites).
    pub commits: u64,
}

impl PowerLossMount {
    /// Mounts the durable state of `backing` (created if missing) at `mountpoint` (an existing
    /// empty directory).
    ///
    /// # Errors
    /// The mount's error (no `/dev/fuse`, not permitted) or an unreadable backing directory.
    pub fn mount(backing: &Path, mountpoint: &Path, model: DirSync) -> std::io::Result<Self> {
        let stats = Arc::new(Mutex::new(Stats::default()));
        let fs = PowerLossFs::load(backing, model, Arc::clone(&stats))?;
        let state = Arc::clone(&fs.state);
        let mut config = Config::default();
        config.mount_options = vec![
            MountOption::FSName("powerloss".into()),
            MountOption::RW,
            MountOption::NoAtime,
        ];
        let session = fuser::Session::new(fs, mountpoint, &config)?.spawn()?;
        Ok(PowerLossMount {
            backing: backing.to_path_buf(),
            mountpoint: mountpoint.to_path_buf(),
            model,
            session: Some(session),
            stats,
            state,
        })
    }

    /// The mount point.
    pub fn path(&self) -> &Path {
        &self.mountpoint
    }

    /// This mount's counters so far.
    pub fn stats(&self) -> Stats {
        *self.stats.lock().expect("stats lock")
    }

    /// Power cut: unmounts, dropping everything not fsynced, and returns this mount's counters.
    /// Every process using the mount must have been killed (and reaped) before.
    pub fn cut(mut self) -> Stats {
        self.unmount();
        self.stats()
    }

    /// Power cut on a disk that reorders writes: before the cut, each page written since its
    /// file's last fsync that overwrites bytes already durable reaches the disk with
    /// probability 1/2 (drawn from `rng`); appended pages, size changes and directory changes
    /// are lost. This is what ext4 `data=ordered` allows for in-place overwrites (they are not
    /// journaled and may be written back in any order); what a program may count on is only
    /// what it fsynced. Returns the counters and the number of pages that reached the disk.
    pub fn cut_reordered(self, rng: &mut impl rand::Rng) -> (Stats, u64) {
        let mut kept = 0;
        {
            let mut st = self.state.lock().expect("fs lock");
            let mut ids: Vec<u64> = st.nodes.keys().copied().collect();
            ids.sort_unstable();
            for id in ids {
                let Some(Node {
                    kind: Kind::File(f),
                    ..
                }) = st.nodes.get_mut(&id)
                else {
                    continue;
                };
                let mut idxs: Vec<u64> = f.pages.keys().copied().collect();
                idxs.sort_unstable();
                for idx in idxs {
                    let start = idx * PAGE;
                    let end = (start + PAGE).min(f.base_len);
                    if start < end && rng.random_bool(0.5) {
                        let page = &f.pages[&idx];
                        if f.object
                            .write_all_at(&page[..(end - start) as usize], start)
                            .is_ok()
                        {
                            kept += 1;
                        }
                    }
                }
            }
        }
        (self.cut(), kept)
    }

    /// Power cut, then a fresh mount of what survived at the same place.
    ///
    /// # Errors
    /// As [`PowerLossMount::mount`].
    pub fn cut_and_remount(self) -> std::io::Result<(PowerLossMount, Stats)> {
        let (backing, mountpoint, model) =
            (self.backing.clone(), self.mountpoint.clone(), self.model);
        let stats = self.cut();
        Ok((PowerLossMount::mount(&backing, &mountpoint, model)?, stats))
    }

    fn unmount(&mut self) {
        if let Some(s) = self.session.take() {
            if let Err(e) = s.umount_and_join() {
                // Something still holds the mount: detach it so that nothing hangs on it.
                let _ = std::process::Command::new("umount")
                    .arg("-l")
                    .arg(&self.mountpoint)
                    .status();
                eprintln!(
                    "powerloss: unmount of {} failed ({e}); detached lazily",
                    self.mountpoint.display()
                );
            }
        }
    }
}

impl Drop for PowerLossMount {
    fn drop(&mut self) {
        self.unmount();
    }
}

/// Tries a mount in a temp dir: `Err(reason)` when FUSE mounts are impossible here (no
/// `/dev/fuse`, not root, no `CAP_SYS_ADMIN`).
pub fn fuse_unavailable() -> Option<String> {
    if !Path::new("/dev/fuse").exists() {
        return Some(
            "/dev/fuse is missing (modprobe fuse; containers need --device /dev/fuse)".into(),
        );
    }
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => return Some(format!("temp dir: {e}")),
    };
    let (b, m) = (dir.path().join("b"), dir.path().join("m"));
    if let Err(e) = std::fs::create_dir(&b).and_then(|()| std::fs::create_dir(&m)) {
        return Some(format!("temp dir: {e}"));
    }
    match PowerLossMount::mount(&b, &m, DirSync::Journal) {
        Ok(mnt) => {
            drop(mnt);
            None
        }
        Err(e) => Some(format!(
            "cannot mount a FUSE filesystem here ({e}); needs root or CAP_SYS_ADMIN and /dev/fuse"
        )),
    }
}

// ---------------------------------------------------------------------------------------------
// The filesystem

/// The durable directory tree, as `manifest.json` holds it.
#[derive(Serialize, Deserialize, Default)]
struct Manifest {
    nodes: BTreeMap<u64, ManifestNode>,
}

#[derive(Serialize, Deserialize)]
struct ManifestNode {
    mode: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    dir: Option<BTreeMap<String, u64>>,
}

struct FileData {
    /// The durable content (`objects/<id>`).
    object: File,
    /// Current size (bytes).
    size: u64,
    /// Bytes of `object` still valid (a truncation below it discards the rest).
    base_len: u64,
    /// Pages written since the last fsync; bytes past `size` are zero.
    pages: HashMap<u64, Box<[u8]>>,
}

enum Kind {
    Dir {
        entries: BTreeMap<OsString, u64>,
        durable: BTreeMap<OsString, u64>,
    },
    File(FileData),
}

struct Node {
    mode: u32,
    mtime: SystemTime,
    kind: Kind,
}

struct State {
    nodes: HashMap<u64, Node>,
    next_id: u64,
}

struct PowerLossFs {
    backing: PathBuf,
    model: DirSync,
    uid: u32,
    gid: u32,
    state: Arc<Mutex<State>>,
    stats: Arc<Mutex<Stats>>,
}

fn object_path(backing: &Path, id: u64) -> PathBuf {
    backing.join("objects").join(id.to_string())
}

fn open_object(backing: &Path, id: u64) -> std::io::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(object_path(backing, id))
}

impl PowerLossFs {
    /// Reads the durable state of `backing`; removes objects the manifest does not name.
    fn load(backing: &Path, model: DirSync, stats: Arc<Mutex<Stats>>) -> std::io::Result<Self> {
        std::fs::create_dir_all(backing.join("objects"))?;
        let meta = std::fs::metadata(backing)?;
        let manifest: Manifest = match std::fs::read(backing.join("manifest.json")) {
            Ok(b) => serde_json::from_slice(&b).map_err(std::io::Error::other)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Manifest::default(),
            Err(e) => return Err(e),
        };
        let mut nodes = HashMap::new();
        let now = SystemTime::now();
        nodes.insert(
            ROOT,
            Node {
                mode: 0o755,
                mtime: now,
                kind: Kind::Dir {
                    entries: BTreeMap::new(),
                    durable: BTreeMap::new(),
                },
            },
        );
        // Walk from the root: only what is reachable is durable.
        let mut todo = vec![ROOT];
        while let Some(id) = todo.pop() {
            let Some(m) = manifest.nodes.get(&id) else {
                continue;
            };
            let children: BTreeMap<OsString, u64> = m
                .dir
                .iter()
                .flatten()
                .map(|(n, c)| (OsString::from(n), *c))
                .collect();
            if let Some(Node {
                mode,
                kind: Kind::Dir { entries, durable },
                ..
            }) = nodes.get_mut(&id)
            {
                *mode = m.mode;
                *entries = children.clone();
                *durable = children.clone();
            }
            for c in children.values() {
                if nodes.contains_key(c) {
                    continue;
                }
                let Some(cm) = manifest.nodes.get(c) else {
                    continue;
                };
                let kind = if cm.dir.is_some() {
                    todo.push(*c);
                    Kind::Dir {
                        entries: BTreeMap::new(),
                        durable: BTreeMap::new(),
                    }
                } else {
                    let object = open_object(backing, *c)?;
                    let size = object.metadata()?.len();
                    Kind::File(FileData {
                        object,
                        size,
                        base_len: size,
                        pages: HashMap::new(),
                    })
                };
                nodes.insert(
                    *c,
                    Node {
                        mode: cm.mode,
                        mtime: now,
                        kind,
                    },
                );
            }
        }
        // Objects of files never durably linked are garbage.
        for e in std::fs::read_dir(backing.join("objects"))? {
            let e = e?;
            let keep = e
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<u64>().ok())
                .is_some_and(|id| nodes.contains_key(&id));
            if !keep {
                std::fs::remove_file(e.path())?;
            }
        }
        let next_id = nodes.keys().max().copied().unwrap_or(ROOT) + 1;
        Ok(PowerLossFs {
            backing: backing.to_path_buf(),
            model,
            uid: meta.uid(),
            gid: meta.gid(),
            state: Arc::new(Mutex::new(State { nodes, next_id })),
            stats,
        })
    }

    fn attr(&self, id: u64, n: &Node) -> FileAttr {
        let (kind, size, nlink) = match &n.kind {
            Kind::Dir { .. } => (FileType::Directory, 4096, 2),
            Kind::File(f) => (FileType::RegularFile, f.size, 1),
        };
        FileAttr {
            ino: INodeNo(id),
            size,
            blocks: size.div_ceil(512),
            atime: n.mtime,
            mtime: n.mtime,
            ctime: n.mtime,
            crtime: n.mtime,
            kind,
            perm: (n.mode & 0o7777) as u16,
            nlink,
            uid: self.uid,
            gid: self.gid,
            rdev: 0,
            blksize: PAGE as u32,
            flags: 0,
        }
    }

    fn count(&self, f: impl FnOnce(&mut Stats)) {
        f(&mut self.stats.lock().expect("stats lock"));
    }

    /// Makes directory changes durable (all of them, or `only` this directory's) and rewrites
    /// the manifest.
    fn commit_dirs(&self, st: &mut State, only: Option<u64>) -> std::io::Result<()> {
        for (id, n) in st.nodes.iter_mut() {
            if let Kind::Dir { entries, durable } = &mut n.kind {
                if only.is_none_or(|o| o == *id) {
                    *durable = entries.clone();
                }
            }
        }
        let mut manifest = Manifest::default();
        let mut todo = vec![ROOT];
        while let Some(id) = todo.pop() {
            if manifest.nodes.contains_key(&id) {
                continue;
            }
            let Some(n) = st.nodes.get(&id) else { continue };
            let dir = match &n.kind {
                Kind::Dir { durable, .. } => {
                    todo.extend(durable.values().copied());
                    Some(
                        durable
                            .iter()
                            .map(|(k, v)| (k.to_string_lossy().into_owned(), *v))
                            .collect(),
                    )
                }
                Kind::File(_) => None,
            };
            manifest
                .nodes
                .insert(id, ManifestNode { mode: n.mode, dir });
        }
        let tmp = self.backing.join("manifest.json.tmp");
        std::fs::write(
            &tmp,
            serde_json::to_vec(&manifest).map_err(std::io::Error::other)?,
        )?;
        std::fs::rename(&tmp, self.backing.join("manifest.json"))?;
        self.count(|s| s.commits += 1);
        Ok(())
    }

    fn new_node(
        &self,
        st: &mut State,
        parent: u64,
        name: &OsStr,
        mode: u32,
        dir: bool,
    ) -> Result<u64, Errno> {
        if name.to_str().is_none() {
            return Err(Errno::EINVAL);
        }
        match st.nodes.get(&parent).map(|n| &n.kind) {
            Some(Kind::Dir { entries, .. }) if entries.contains_key(name) => {
                return Err(Errno::EEXIST)
            }
            Some(Kind::Dir { .. }) => {}
            Some(Kind::File(_)) => return Err(Errno::ENOTDIR),
            None => return Err(Errno::ENOENT),
        }
        let id = st.next_id;
        st.next_id += 1;
        let kind = if dir {
            Kind::Dir {
                entries: BTreeMap::new(),
                durable: BTreeMap::new(),
            }
        } else {
            let object = open_object(&self.backing, id).map_err(Errno::from)?;
            object.set_len(0).map_err(Errno::from)?;
            Kind::File(FileData {
                object,
                size: 0,
                base_len: 0,
                pages: HashMap::new(),
            })
        };
        st.nodes.insert(
            id,
            Node {
                mode: mode & 0o7777,
                mtime: SystemTime::now(),
                kind,
            },
        );
        if let Some(Node {
            kind: Kind::Dir { entries, .. },
            mtime,
            ..
        }) = st.nodes.get_mut(&parent)
        {
            entries.insert(name.to_os_string(), id);
            *mtime = SystemTime::now();
        }
        Ok(id)
    }

    fn entries_mut(st: &mut State, dir: u64) -> Result<&mut BTreeMap<OsString, u64>, Errno> {
        match st.nodes.get_mut(&dir).map(|n| &mut n.kind) {
            Some(Kind::Dir { entries, .. }) => Ok(entries),
            Some(Kind::File(_)) => Err(Errno::ENOTDIR),
            None => Err(Errno::ENOENT),
        }
    }

    fn is_empty_dir(st: &State, id: u64) -> Option<bool> {
        match st.nodes.get(&id).map(|n| &n.kind) {
            Some(Kind::Dir { entries, .. }) => Some(entries.is_empty()),
            _ => None,
        }
    }

    fn remove(&self, parent: u64, name: &OsStr, want_dir: bool) -> Result<(), Errno> {
        let mut st = self.state.lock().expect("fs lock");
        let id = *Self::entries_mut(&mut st, parent)?
            .get(name)
            .ok_or(Errno::ENOENT)?;
        match (want_dir, Self::is_empty_dir(&st, id)) {
            (true, None) => return Err(Errno::ENOTDIR),
            (true, Some(false)) => return Err(Errno::ENOTEMPTY),
            (false, Some(_)) => return Err(Errno::EISDIR),
            _ => {}
        }
        Self::entries_mut(&mut st, parent)?.remove(name);
        Ok(())
    }

    fn fsync_file(&self, id: u64) -> Result<(), Errno> {
        let mut st = self.state.lock().expect("fs lock");
        let Some(Node {
            kind: Kind::File(f),
            ..
        }) = st.nodes.get_mut(&id)
        else {
            return Err(Errno::EBADF);
        };
        let cur = f.object.metadata().map_err(Errno::from)?.len();
        if f.base_len < cur {
            f.object.set_len(f.base_len).map_err(Errno::from)?;
        }
        f.object.set_len(f.size).map_err(Errno::from)?;
        for (idx, page) in f.pages.drain() {
            let start = idx * PAGE;
            if start >= f.size {
                continue;
            }
            let len = (f.size - start).min(PAGE) as usize;
            f.object
                .write_all_at(&page[..len], start)
                .map_err(Errno::from)?;
        }
        f.base_len = f.size;
        self.count(|s| s.file_syncs += 1);
        if self.model == DirSync::Journal {
            self.commit_dirs(&mut st, None).map_err(Errno::from)?;
        }
        Ok(())
    }
}

impl FileData {
    /// The page `idx` as it reads now (overlay, else durable bytes below `base_len`, else zero).
    fn page(&self, idx: u64) -> std::io::Result<Box<[u8]>> {
        if let Some(p) = self.pages.get(&idx) {
            return Ok(p.clone());
        }
        let mut p = vec![0u8; PAGE as usize].into_boxed_slice();
        let start = idx * PAGE;
        if start < self.base_len {
            let len = (self.base_len - start).min(PAGE) as usize;
            let mut got = 0;
            while got < len {
                match self.object.read_at(&mut p[got..len], start + got as u64)? {
                    0 => break,
                    n => got += n,
                }
            }
        }
        Ok(p)
    }

    fn read(&self, offset: u64, size: u32) -> std::io::Result<Vec<u8>> {
        let end = (offset + u64::from(size)).min(self.size);
        let mut out = Vec::with_capacity(end.saturating_sub(offset) as usize);
        let mut pos = offset;
        while pos < end {
            let idx = pos / PAGE;
            let in_page = (pos % PAGE) as usize;
            let n = ((end - pos) as usize).min(PAGE as usize - in_page);
            if let Some(p) = self.pages.get(&idx) {
                out.extend_from_slice(&p[in_page..in_page + n]);
            } else {
                out.extend_from_slice(&self.page(idx)?[in_page..in_page + n]);
            }
            pos += n as u64;
        }
        Ok(out)
    }

    fn write(&mut self, offset: u64, data: &[u8]) -> std::io::Result<()> {
        let mut done = 0usize;
        while done < data.len() {
            let pos = offset + done as u64;
            let idx = pos / PAGE;
            let in_page = (pos % PAGE) as usize;
            let n = (data.len() - done).min(PAGE as usize - in_page);
            if !self.pages.contains_key(&idx) {
                let p = self.page(idx)?;
                self.pages.insert(idx, p);
            }
            let p = self
                .pages
                .get_mut(&idx)
                .expect("invariant: page just inserted");
            p[in_page..in_page + n].copy_from_slice(&data[done..done + n]);
            done += n;
        }
        self.size = self.size.max(offset + data.len() as u64);
        Ok(())
    }

    fn truncate(&mut self, size: u64) -> std::io::Result<()> {
        if size < self.size {
            self.pages.retain(|idx, _| idx * PAGE < size);
            let idx = size / PAGE;
            let in_page = (size % PAGE) as usize;
            if in_page > 0 {
                if !self.pages.contains_key(&idx) {
                    let p = self.page(idx)?;
                    self.pages.insert(idx, p);
                }
                if let Some(p) = self.pages.get_mut(&idx) {
                    p[in_page..].fill(0);
                }
            }
            self.base_len = self.base_len.min(size);
        }
        self.size = size;
        Ok(())
    }
}

impl fuser::Filesystem for PowerLossFs {
    fn lookup(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEntry) {
        let st = self.state.lock().expect("fs lock");
        let id = match st.nodes.get(&parent.0).map(|n| &n.kind) {
            Some(Kind::Dir { entries, .. }) => entries.get(name).copied(),
            _ => None,
        };
        match id.and_then(|id| st.nodes.get(&id).map(|n| (id, n))) {
            Some((id, n)) => reply.entry(&TTL, &self.attr(id, n), Generation(0)),
            None => reply.error(Errno::ENOENT),
        }
    }

    fn getattr(&self, _req: &Request, ino: INodeNo, _fh: Option<FileHandle>, reply: ReplyAttr) {
        let st = self.state.lock().expect("fs lock");
        match st.nodes.get(&ino.0) {
            Some(n) => reply.attr(&TTL, &self.attr(ino.0, n)),
            None => reply.error(Errno::ENOENT),
        }
    }

    fn setattr(
        &self,
        _req: &Request,
        ino: INodeNo,
        mode: Option<u32>,
        _uid: Option<u32>,
        _gid: Option<u32>,
        size: Option<u64>,
        _atime: Option<fuser::TimeOrNow>,
        _mtime: Option<fuser::TimeOrNow>,
        _ctime: Option<SystemTime>,
        _fh: Option<FileHandle>,
        _crtime: Option<SystemTime>,
        _chgtime: Option<SystemTime>,
        _bkuptime: Option<SystemTime>,
        _flags: Option<fuser::BsdFileFlags>,
        reply: ReplyAttr,
    ) {
        let mut st = self.state.lock().expect("fs lock");
        let Some(n) = st.nodes.get_mut(&ino.0) else {
            return reply.error(Errno::ENOENT);
        };
        if let Some(m) = mode {
            n.mode = m & 0o7777;
        }
        if let Some(size) = size {
            match &mut n.kind {
                Kind::File(f) => {
                    if let Err(e) = f.truncate(size) {
                        return reply.error(Errno::from(e));
                    }
                    n.mtime = SystemTime::now();
                }
                Kind::Dir { .. } => return reply.error(Errno::EISDIR),
            }
        }
        reply.attr(&TTL, &self.attr(ino.0, n));
    }

    fn mkdir(
        &self,
        _req: &Request,
        parent: INodeNo,
        name: &OsStr,
        mode: u32,
        umask: u32,
        reply: ReplyEntry,
    ) {
        let mut st = self.state.lock().expect("fs lock");
        match self.new_node(&mut st, parent.0, name, mode & !umask, true) {
            Ok(id) => reply.entry(&TTL, &self.attr(id, &st.nodes[&id]), Generation(0)),
            Err(e) => reply.error(e),
        }
    }

    fn create(
        &self,
        _req: &Request,
        parent: INodeNo,
        name: &OsStr,
        mode: u32,
        umask: u32,
        _flags: i32,
        reply: ReplyCreate,
    ) {
        let mut st = self.state.lock().expect("fs lock");
        match self.new_node(&mut st, parent.0, name, mode & !umask, false) {
            Ok(id) => reply.created(
                &TTL,
                &self.attr(id, &st.nodes[&id]),
                Generation(0),
                FileHandle(0),
                FopenFlags::empty(),
            ),
            Err(e) => reply.error(e),
        }
    }

    fn unlink(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEmpty) {
        match self.remove(parent.0, name, false) {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(e),
        }
    }

    fn rmdir(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEmpty) {
        match self.remove(parent.0, name, true) {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(e),
        }
    }

    fn rename(
        &self,
        _req: &Request,
        parent: INodeNo,
        name: &OsStr,
        newparent: INodeNo,
        newname: &OsStr,
        flags: RenameFlags,
        reply: ReplyEmpty,
    ) {
        let r = (|| {
            if newname.to_str().is_none() {
                return Err(Errno::EINVAL);
            }
            let mut st = self.state.lock().expect("fs lock");
            let id = *Self::entries_mut(&mut st, parent.0)?
                .get(name)
                .ok_or(Errno::ENOENT)?;
            let target = Self::entries_mut(&mut st, newparent.0)?
                .get(newname)
                .copied();
            if flags.bits() & !RenameFlags::RENAME_NOREPLACE.bits() != 0 {
                return Err(Errno::EINVAL);
            }
            if let Some(t) = target {
                if flags.contains(RenameFlags::RENAME_NOREPLACE) {
                    return Err(Errno::EEXIST);
                }
                match (Self::is_empty_dir(&st, id), Self::is_empty_dir(&st, t)) {
                    (Some(_), None) => return Err(Errno::ENOTDIR),
                    (None, Some(_)) => return Err(Errno::EISDIR),
                    (Some(_), Some(false)) => return Err(Errno::ENOTEMPTY),
                    _ => {}
                }
            }
            Self::entries_mut(&mut st, parent.0)?.remove(name);
            Self::entries_mut(&mut st, newparent.0)?.insert(newname.to_os_string(), id);
            Ok(())
        })();
        match r {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(e),
        }
    }

    fn open(&self, _req: &Request, ino: INodeNo, _flags: OpenFlags, reply: ReplyOpen) {
        let st = self.state.lock().expect("fs lock");
        match st.nodes.get(&ino.0).map(|n| &n.kind) {
            Some(Kind::File(_)) => reply.opened(FileHandle(0), FopenFlags::empty()),
            Some(Kind::Dir { .. }) => reply.error(Errno::EISDIR),
            None => reply.error(Errno::ENOENT),
        }
    }

    fn read(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        size: u32,
        _flags: OpenFlags,
        _lock_owner: Option<fuser::LockOwner>,
        reply: ReplyData,
    ) {
        let st = self.state.lock().expect("fs lock");
        match st.nodes.get(&ino.0).map(|n| &n.kind) {
            Some(Kind::File(f)) => match f.read(offset, size) {
                Ok(d) => reply.data(&d),
                Err(e) => reply.error(Errno::from(e)),
            },
            Some(Kind::Dir { .. }) => reply.error(Errno::EISDIR),
            None => reply.error(Errno::ENOENT),
        }
    }

    fn write(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        data: &[u8],
        _write_flags: WriteFlags,
        _flags: OpenFlags,
        _lock_owner: Option<fuser::LockOwner>,
        reply: ReplyWrite,
    ) {
        let mut st = self.state.lock().expect("fs lock");
        let Some(n) = st.nodes.get_mut(&ino.0) else {
            return reply.error(Errno::ENOENT);
        };
        let Kind::File(f) = &mut n.kind else {
            return reply.error(Errno::EISDIR);
        };
        match f.write(offset, data) {
            Ok(()) => {
                n.mtime = SystemTime::now();
                self.count(|s| s.writes += 1);
                reply.written(data.len() as u32)
            }
            Err(e) => reply.error(Errno::from(e)),
        }
    }

    fn flush(
        &self,
        _req: &Request,
        _ino: INodeNo,
        _fh: FileHandle,
        _lock_owner: fuser::LockOwner,
        reply: ReplyEmpty,
    ) {
        reply.ok();
    }

    fn fsync(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        _datasync: bool,
        reply: ReplyEmpty,
    ) {
        match self.fsync_file(ino.0) {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(e),
        }
    }

    fn opendir(&self, _req: &Request, ino: INodeNo, _flags: OpenFlags, reply: ReplyOpen) {
        let st = self.state.lock().expect("fs lock");
        match st.nodes.get(&ino.0).map(|n| &n.kind) {
            Some(Kind::Dir { .. }) => reply.opened(FileHandle(0), FopenFlags::empty()),
            Some(Kind::File(_)) => reply.error(Errno::ENOTDIR),
            None => reply.error(Errno::ENOENT),
        }
    }

    fn readdir(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        mut reply: ReplyDirectory,
    ) {
        let st = self.state.lock().expect("fs lock");
        let Some(Kind::Dir { entries, .. }) = st.nodes.get(&ino.0).map(|n| &n.kind) else {
            return reply.error(Errno::ENOTDIR);
        };
        let mut all: Vec<(u64, FileType, OsString)> = vec![
            (ino.0, FileType::Directory, ".".into()),
            (ino.0, FileType::Directory, "..".into()),
        ];
        for (name, id) in entries {
            let kind = match st.nodes.get(id).map(|n| &n.kind) {
                Some(Kind::Dir { .. }) => FileType::Directory,
                _ => FileType::RegularFile,
            };
            all.push((*id, kind, name.clone()));
        }
        for (i, (id, kind, name)) in all.into_iter().enumerate().skip(offset as usize) {
            if reply.add(INodeNo(id), (i + 1) as u64, kind, &name) {
                break;
            }
        }
        reply.ok();
    }

    fn fsyncdir(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        _datasync: bool,
        reply: ReplyEmpty,
    ) {
        let mut st = self.state.lock().expect("fs lock");
        let only = match self.model {
            DirSync::Journal => None,
            DirSync::PerDirectory => Some(ino.0),
        };
        self.count(|s| s.dir_syncs += 1);
        match self.commit_dirs(&mut st, only) {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(Errno::from(e)),
        }
    }

    fn statfs(&self, _req: &Request, _ino: INodeNo, reply: ReplyStatfs) {
        // Plenty of room: the backing filesystem's limits are not what these tests check.
        reply.statfs(
            1 << 24,
            1 << 23,
            1 << 23,
            1 << 20,
            1 << 19,
            PAGE as u32,
            255,
            PAGE as u32,
        );
    }

    fn access(&self, _req: &Request, _ino: INodeNo, _mask: fuser::AccessFlags, reply: ReplyEmpty) {
        reply.ok();
    }

    fn fallocate(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        length: u64,
        mode: i32,
        reply: ReplyEmpty,
    ) {
        if mode & !FALLOC_FL_KEEP_SIZE != 0 {
            return reply.error(Errno::EOPNOTSUPP);
        }
        let mut st = self.state.lock().expect("fs lock");
        match st.nodes.get_mut(&ino.0).map(|n| &mut n.kind) {
            Some(Kind::File(f)) => {
                if mode & FALLOC_FL_KEEP_SIZE == 0 && offset + length > f.size {
                    f.size = offset + length; // the new bytes read as zeros
                }
                reply.ok()
            }
            Some(Kind::Dir { .. }) => reply.error(Errno::EISDIR),
            None => reply.error(Errno::ENOENT),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Tests of the layer itself

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;
    use crate::harness::skip_unless;

    /// A backing dir and a mount point in one temp dir, mounted.
    fn setup(test: &str, model: DirSync) -> Option<(tempfile::TempDir, PowerLossMount)> {
        let why = fuse_unavailable();
        if !skip_unless(test, why.is_none(), why.as_deref().unwrap_or("")) {
            return None;
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let (b, m) = (dir.path().join("backing"), dir.path().join("mnt"));
        std::fs::create_dir(&b).expect("mkdir backing");
        std::fs::create_dir(&m).expect("mkdir mnt");
        let mnt = PowerLossMount::mount(&b, &m, model).expect("mount");
        Some((dir, mnt))
    }

    fn read(p: &Path) -> Option<Vec<u8>> {
        std::fs::read(p).ok()
    }

    #[test]
    fn unsynced_write_is_lost_at_cut_and_synced_write_kept() {
        let Some((_d, mnt)) = setup("unsynced_write_is_lost", DirSync::Journal) else {
            return;
        };
        let root = mnt.path().to_path_buf();
        let mut f = File::create(root.join("a")).expect("create a");
        f.write_all(b"durable").expect("write");
        f.sync_all().expect("fsync");
        f.write_all(b" and lost").expect("write 2");
        assert_eq!(
            read(&root.join("a")).as_deref(),
            Some(&b"durable and lost"[..])
        );
        // A file created after the last fsync is lost as a whole.
        std::fs::write(root.join("b"), b"never synced").expect("write b");
        drop(f);
        let (mnt, stats) = mnt.cut_and_remount().expect("remount");
        assert!(stats.file_syncs >= 1 && stats.writes >= 3, "{stats:?}");
        assert_eq!(read(&root.join("a")).as_deref(), Some(&b"durable"[..]));
        assert_eq!(read(&root.join("b")), None);
        drop(mnt);
    }

    #[test]
    fn fdatasync_keeps_overwrites_and_truncation() {
        let Some((_d, mnt)) = setup("fdatasync_keeps_overwrites", DirSync::Journal) else {
            return;
        };
        let p = mnt.path().join("f");
        let f = File::create(&p).expect("create");
        f.write_all_at(&vec![7u8; 10_000], 0).expect("write");
        f.sync_data().expect("fdatasync");
        f.set_len(5000).expect("truncate");
        f.write_all_at(b"xy", 6000).expect("write past the end");
        f.sync_data().expect("fdatasync 2");
        f.write_all_at(b"zz", 0).expect("unsynced overwrite");
        drop(f);
        let (mnt, _) = mnt.cut_and_remount().expect("remount");
        let got = read(&p).expect("f after the cut");
        assert_eq!(got.len(), 6002);
        assert!(
            got[..5000].iter().all(|b| *b == 7),
            "synced bytes kept, unsynced overwrite lost"
        );
        assert!(
            got[5000..6000].iter().all(|b| *b == 0),
            "the truncated range reads as zeros"
        );
        assert_eq!(&got[6000..], b"xy");
        drop(mnt);
    }

    #[test]
    fn rename_durable_at_directory_fsync_only_in_per_directory_model() {
        let Some((_d, mnt)) = setup("rename_durable_at_dir_fsync", DirSync::PerDirectory) else {
            return;
        };
        let root = mnt.path().to_path_buf();
        std::fs::create_dir(root.join("d")).expect("mkdir d");
        let f = File::create(root.join("d/tmp")).expect("create tmp");
        f.write_all_at(b"v1", 0).expect("write");
        f.sync_all().expect("fsync file");
        drop(f);
        // The file's data is durable but no directory was fsynced: nothing is reachable.
        let (mnt, _) = mnt.cut_and_remount().expect("remount 1");
        assert!(
            !root.join("d").exists(),
            "d was never fsynced in its parent"
        );

        std::fs::create_dir(root.join("d")).expect("mkdir d again");
        File::open(&root)
            .and_then(|d| d.sync_all())
            .expect("fsync root");
        let f = File::create(root.join("d/tmp")).expect("create tmp");
        f.write_all_at(b"v2", 0).expect("write");
        f.sync_all().expect("fsync file");
        drop(f);
        std::fs::rename(root.join("d/tmp"), root.join("d/final")).expect("rename");
        File::open(root.join("d"))
            .and_then(|d| d.sync_all())
            .expect("fsync d");
        // Renamed and fsynced again, but this rename's directory is not fsynced.
        std::fs::rename(root.join("d/final"), root.join("d/newer")).expect("rename 2");
        let (mnt, _) = mnt.cut_and_remount().expect("remount 2");
        assert_eq!(read(&root.join("d/final")).as_deref(), Some(&b"v2"[..]));
        assert!(!root.join("d/tmp").exists());
        assert!(!root.join("d/newer").exists());
        drop(mnt);
    }

    #[test]
    fn journal_model_commits_directory_changes_at_any_fsync() {
        let Some((_d, mnt)) = setup("journal_model_commits", DirSync::Journal) else {
            return;
        };
        let root = mnt.path().to_path_buf();
        std::fs::create_dir_all(root.join("x/y")).expect("mkdir -p");
        std::fs::write(root.join("x/y/old"), b"o").expect("write old");
        std::fs::write(root.join("x/unsynced"), b"u").expect("write unsynced");
        let f = File::create(root.join("x/y/log")).expect("create log");
        f.write_all_at(b"entry", 0).expect("write");
        std::fs::rename(root.join("x/y/old"), root.join("x/moved")).expect("rename");
        f.sync_data().expect("fdatasync log");
        drop(f);
        let (mnt, _) = mnt.cut_and_remount().expect("remount");
        assert_eq!(read(&root.join("x/y/log")).as_deref(), Some(&b"entry"[..]));
        // The rename is durable, the moved file's data was never fsynced: it is empty.
        assert_eq!(read(&root.join("x/moved")).as_deref(), Some(&b""[..]));
        assert!(!root.join("x/y/old").exists());
        assert_eq!(read(&root.join("x/unsynced")).as_deref(), Some(&b""[..]));
        drop(mnt);
    }

    #[test]
    fn reordered_cut_keeps_some_overwrites_and_no_appends() {
        use rand::SeedableRng;
        let Some((d, mnt)) = setup("reordered_cut", DirSync::Journal) else {
            return;
        };
        let p = mnt.path().join("f");
        let f = File::create(&p).expect("create");
        f.write_all_at(&vec![1u8; 16 * PAGE as usize], 0)
            .expect("write");
        f.sync_all().expect("fsync");
        f.write_all_at(&vec![2u8; 17 * PAGE as usize], 0)
            .expect("overwrite and append, not synced");
        drop(f);
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let (_, kept) = mnt.cut_reordered(&mut rng);
        assert!(
            0 < kept && kept < 16,
            "some, not all, of 16 overwritten pages: {kept}"
        );
        let mnt = PowerLossMount::mount(
            &d.path().join("backing"),
            &d.path().join("mnt"),
            DirSync::Journal,
        )
        .expect("remount");
        let got = read(&p).expect("f after the cut");
        assert_eq!(got.len(), 16 * PAGE as usize, "the append is lost");
        let new_pages = got
            .chunks(PAGE as usize)
            .filter(|c| c.iter().all(|b| *b == 2))
            .count();
        assert!(
            got.chunks(PAGE as usize)
                .all(|c| c.iter().all(|b| *b == 2) || c.iter().all(|b| *b == 1)),
            "every page is old or new, never torn inside"
        );
        assert_eq!(new_pages as u64, kept);
        drop(mnt);
    }

    #[test]
    fn o_dsync_write_is_durable_without_fsync() {
        use std::os::unix::fs::OpenOptionsExt;
        let Some((_d, mnt)) = setup("o_dsync_write_is_durable", DirSync::Journal) else {
            return;
        };
        // LMDB writes its meta pages through a second descriptor opened with O_DSYNC.
        let p = mnt.path().join("meta");
        File::create(&p)
            .and_then(|f| f.sync_all())
            .expect("create and fsync");
        let f = OpenOptions::new()
            .write(true)
            .custom_flags(0o10000) // O_DSYNC on Linux
            .open(&p)
            .expect("open O_DSYNC");
        f.write_all_at(b"meta", 0).expect("write");
        drop(f);
        let (mnt, stats) = mnt.cut_and_remount().expect("remount");
        assert!(
            stats.file_syncs >= 2,
            "the O_DSYNC write sent an fsync: {stats:?}"
        );
        assert_eq!(read(&p).as_deref(), Some(&b"meta"[..]));
        drop(mnt);
    }
}
