//! Start in place on a data dir written by etcd 3.4/3.5 (issue 9, point 4), and the offline
//! conversion behind it that `etcd util import` shares.
//!
//! **Detection** looks at the files only, never at how our own database is opened: a
//! `member/` whose `wal/` holds `*.wal` files or whose `snap/db` is a bbolt file is etcd's.
//! A db that a running etcd holds (bbolt's exclusive flock) is refused.
//!
//! **Conversion** ([`convert`]) reads etcd's member dir and builds ours beside it:
//! - `snap/db` (bbolt) → our state database through `apply::etcd_import` (keys with their
//!   revisions, compaction, leases, auth, alarms);
//! - `wal/*.wal`: the metadata record gives the member ID and cluster ID, the last
//!   `HardState` the term and vote; the committed entries after the snapshot are applied
//!   again as etcd does at restart (`applyEntryNormal`): v3 requests above the backend's
//!   `consistent_index` through our apply, v2 member attributes as `MemberAttrSetRequest`,
//!   `EntryConfChange` / `EntryConfChangeV2` to the membership, and every v2 store request
//!   (`POST`/`PUT`/`DELETE`/`SYNC` on `/1`, the user's keys, and `/2`, v2 auth) above the
//!   snapshot index through our v2 apply (etcd's v2 store lives only in its snapshots, so
//!   etcd too applies those again from the snapshot on). Uncommitted entries (beyond
//!   `HardState.commit`) are dropped;
//! - `snap/*.snap`: the newest snapshot the WAL names is read and checked (CRC); its data,
//!   etcd's v2 store, comes into our v2 store first (`apply::etcd_v2store`: keys, dirs,
//!   values, expirations, created/modified indexes, v2 auth, the store index); etcd's own
//!   writes under `/0` (membership, version) advance our v2 index as they advanced etcd's,
//!   so the user's keys keep etcd's indexes;
//! - membership: the backend's `members` bucket (learners kept as learners) plus the conf
//!   changes applied again; removed members: the `members_removed` bucket plus the members
//!   those conf changes remove (peers refuse exactly these);
//! - Raft state: vote = (HardState.term, HardState.vote); the applied index is the highest
//!   of the consistent index, the snapshot index and the last entry applied again; its log id
//!   is `(term of that entry, leader 0, index)` on every member, so converted members' logs
//!   match; the new log is empty with that id as its last purged id.
//!
//! **Atomic swap** ([`convert_in_place_if_etcd`], called once from bootstrap): the new
//! layout is built in `<data-dir>/member.oxide-tmp`, marked complete (a `CONVERTED` file),
//! then `member` → `member.etcd-backup` (etcd's files, untouched: the way back is to stop
//! us, remove `member` and rename `member.etcd-backup` to `member`) and `member.oxide-tmp`
//! → `member`. A kill at any point leaves either the etcd dir intact (the temp dir is
//! discarded and the next start converts again) or a complete new dir that the next start
//! renames into place. A dir that cannot be converted is refused with one line and left as
//! it was.
//!
//! **`--wal-dir W`**: etcd then writes its `*.wal` files straight into `W` (no
//! `member/wal`), and our server keeps its Raft log env in `W` too. The WAL is read from `W`,
//! our log env is built in the sibling `W.oxide-tmp` (same parent, so the renames stay on one
//! file system), and the swap first renames `W` → `W.etcd-backup` and `W.oxide-tmp` → `W`,
//! then the member dirs as above. The way back: stop us, `rm -r <data-dir>/member W`, `mv
//! <data-dir>/member.etcd-backup <data-dir>/member`, `mv W.etcd-backup W`. A `--wal-dir`
//! naming `<data-dir>/member/wal` is etcd's default place and converts as without it.
//!
//! Depends on: storage (etcd formats, LMDB), apply (import, apply), raft (log seeding),
//! config, pb.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use prost::Message;

use crate::apply::etcd_export::EtcdMember;
use crate::apply::etcd_import::{self, EtcdProposal};
use crate::apply::etcd_v2store;
use crate::apply::state::StateDb;
use crate::config::ServerConfig;
use crate::membership::store::MemberAttrs;
use crate::membership::Member;
use crate::pb::raftpb::{ConfChange, ConfChangeV2, Entry};
use crate::storage::etcd::{bbolt, snap, wal};
use crate::storage::{open_env, EnvKind};

use super::Error;

/// Where the original etcd member dir is kept after a start in place.
pub(crate) const BACKUP_DIR: &str = "member.etcd-backup";
/// Where the converted member dir is built before the swap.
const TMP_DIR: &str = "member.oxide-tmp";
/// Written last into [`TMP_DIR`]: the conversion there is complete.
const DONE_MARKER: &str = "CONVERTED";

/// Why an etcd member dir cannot be converted.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ConvertError {
    /// etcd's WAL.
    #[error(transparent)]
    Wal(#[from] wal::WalError),
    /// An etcd `.snap` file.
    #[error(transparent)]
    Snap(#[from] snap::SnapError),
    /// etcd's backend, or an entry, could not be imported.
    #[error(transparent)]
    Import(#[from] etcd_import::ImportError),
    /// The dir is not something this conversion supports.
    #[error("{0}")]
    Unsupported(String),
    /// Writing our stores.
    #[error("writing the converted data: {0}")]
    Write(String),
    /// File system.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

fn write_err(e: impl std::fmt::Display) -> ConvertError {
    ConvertError::Write(e.to_string())
}

/// What a conversion produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Converted {
    /// The member's ID (etcd's WAL metadata).
    pub member_id: u64,
    /// The cluster ID (etcd's WAL metadata).
    pub cluster_id: u64,
    /// Raft term of the vote (etcd's `HardState.term`).
    pub term: u64,
    /// The applied index the member restarts at.
    pub applied_index: u64,
    /// The store revision.
    pub revision: i64,
    /// Committed entries applied again (above the backend's consistent index, and v2 store
    /// requests above the snapshot index).
    pub reapplied: usize,
    /// Uncommitted entries dropped (beyond `HardState.commit`).
    pub dropped: usize,
    /// Members by ID.
    pub members: usize,
    /// Nodes of the v2 store brought over (user keys and v2 auth).
    pub v2_nodes: u64,
}

/// True if `member` (a `<data-dir>/member`) was written by etcd: `wal/` holds `*.wal`
/// files or `snap/db` is a bbolt file.
pub(crate) fn is_etcd_member_dir(member: &Path) -> bool {
    let db = member.join("snap").join("db");
    wal::has_wal_files(&member.join("wal"))
        || (db.is_file() && bbolt::is_bbolt(&db).unwrap_or(false))
}

/// Where etcd's WAL sits when it ran with `--wal-dir W` (outside `<data-dir>/member`), and
/// the two siblings of `W` (same parent, so same file system: the renames are atomic) that
/// a start in place uses: `W.oxide-tmp` (our Raft log env, built before the swap) and
/// `W.etcd-backup` (etcd's `*.wal` files, untouched, after it).
#[derive(Debug, Clone)]
struct DedicatedWal {
    dir: std::path::PathBuf,
    tmp: std::path::PathBuf,
    backup: std::path::PathBuf,
}

impl DedicatedWal {
    /// `None` without `--wal-dir`, or when it names `<data-dir>/member/wal` itself (etcd's
    /// default place: converted with the member dir).
    fn of(cfg: &ServerConfig) -> Option<DedicatedWal> {
        let dir = cfg.dedicated_wal_dir.clone()?;
        let abs = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
        if abs(&dir) == abs(&cfg.data_dir.join("member").join("wal")) {
            return None;
        }
        let sibling = |suffix: &str| {
            let mut name = dir.file_name().unwrap_or_default().to_os_string();
            name.push(suffix);
            dir.with_file_name(name)
        };
        Some(DedicatedWal {
            tmp: sibling(".oxide-tmp"),
            backup: sibling(WAL_BACKUP_SUFFIX),
            dir,
        })
    }
}

/// Appended to `--wal-dir`'s name for etcd's WAL files kept after a start in place
/// (`W` → `W.etcd-backup`).
pub(crate) const WAL_BACKUP_SUFFIX: &str = ".etcd-backup";

/// The start-in-place hook of bootstrap: if `<data-dir>/member` is etcd's, converts it
/// (see the module doc) before anything opens it; finishes a swap a kill interrupted.
/// Does nothing for our own data dir or an empty one. With `--wal-dir W` (etcd wrote its
/// WAL there), etcd's WAL is read from `W` and our Raft log env replaces it in `W`.
///
/// # Errors
/// [`Error::Bootstrap`] with one line saying why the etcd dir was refused (it is then
/// left untouched) or which file operation failed.
pub(crate) fn convert_in_place_if_etcd(cfg: &ServerConfig) -> Result<(), Error> {
    let data_dir = &cfg.data_dir;
    let member = data_dir.join("member");
    let tmp = data_dir.join(TMP_DIR);
    let backup = data_dir.join(BACKUP_DIR);
    let wal = DedicatedWal::of(cfg);
    let fail = |e: &dyn std::fmt::Display| {
        Error::Bootstrap(format!(
            "cannot start in place on the etcd data dir {}: {e}",
            data_dir.display()
        ))
    };
    // A kill after the conversion completed, during the renames: finish the swap.
    if tmp.join(DONE_MARKER).is_file() && (!member.exists() || is_etcd_member_dir(&member)) {
        finish_swap(data_dir, &member, &tmp, &backup, wal.as_ref()).map_err(|e| fail(&e))?;
        tracing::info!(data_dir = %data_dir.display(), backup = %backup.display(), "finished converting the etcd data dir");
        return Ok(());
    }
    if !is_etcd_member_dir(&member) && !wal.as_ref().is_some_and(|w| wal::has_wal_files(&w.dir)) {
        return Ok(());
    }
    let etcd_wal = match &wal {
        Some(w) => {
            if !wal::has_wal_files(&w.dir) {
                let hint = if wal::has_wal_files(&member.join("wal")) {
                    format!(
                        "etcd's WAL is in {}, but --wal-dir is {}: start with the flags etcd ran with",
                        member.join("wal").display(),
                        w.dir.display()
                    )
                } else {
                    format!(
                        "--wal-dir {} holds no etcd WAL (*.wal files)",
                        w.dir.display()
                    )
                };
                return Err(fail(&hint));
            }
            if !is_etcd_member_dir(&member) {
                return Err(fail(&format!(
                    "--wal-dir {} holds etcd's WAL but {} is not etcd's member dir",
                    w.dir.display(),
                    member.display()
                )));
            }
            for taken in [&w.backup] {
                if taken.exists() {
                    return Err(fail(&format!(
                        "{} already exists (an earlier conversion?): move it away first",
                        taken.display()
                    )));
                }
            }
            w.dir.clone()
        }
        None => {
            let w = member.join("wal");
            if !wal::has_wal_files(&w) {
                return Err(fail(&format!(
                    "{} holds no etcd WAL (*.wal files); if etcd ran with --wal-dir, start with the same --wal-dir",
                    w.display()
                )));
            }
            w
        }
    };
    if backup.exists() {
        return Err(fail(&format!(
            "{} already exists (an earlier conversion?): move it away first",
            backup.display()
        )));
    }
    tracing::info!(data_dir = %data_dir.display(), wal_dir = %etcd_wal.display(), "data dir written by etcd: converting it in place");
    let out_wal = wal
        .as_ref()
        .map_or_else(|| tmp.join("wal"), |w| w.tmp.clone());
    let discard = || {
        let _ = std::fs::remove_dir_all(&tmp);
        if let Some(w) = &wal {
            let _ = std::fs::remove_dir_all(&w.tmp);
        }
    };
    discard();
    let converted = match convert(&member, &etcd_wal, &tmp, &out_wal, cfg.force_new_cluster) {
        Ok(c) => c,
        Err(e) => {
            discard();
            return Err(fail(&e));
        }
    };
    let swap = || -> std::io::Result<()> {
        if let Some(w) = &wal {
            sync_dir(&w.tmp)?;
        }
        let marker = tmp.join(DONE_MARKER);
        std::fs::write(&marker, b"converted from etcd\n")?;
        std::fs::File::open(&marker)?.sync_all()?;
        sync_dir(&tmp)?;
        finish_swap(data_dir, &member, &tmp, &backup, wal.as_ref())
    };
    swap().map_err(|e| fail(&e))?;
    tracing::info!(
        data_dir = %data_dir.display(),
        backup = %backup.display(),
        wal_backup = %wal.as_ref().map(|w| w.backup.display().to_string()).unwrap_or_default(),
        member_id = %format!("{:x}", converted.member_id),
        cluster_id = %format!("{:x}", converted.cluster_id),
        term = converted.term,
        applied_index = converted.applied_index,
        revision = converted.revision,
        reapplied = converted.reapplied,
        dropped_uncommitted = converted.dropped,
        members = converted.members,
        v2_nodes = converted.v2_nodes,
        "converted the etcd data dir; etcd's files are kept in the backup dir (to go back: stop, remove member, rename the backup to member)"
    );
    Ok(())
}

/// The renames after a complete conversion, each skipped when a kill already did it:
/// `W` → `W.etcd-backup` and `W.oxide-tmp` → `W` (with `--wal-dir`), then `member` →
/// `member.etcd-backup` and `member.oxide-tmp` → `member`; the marker is removed last.
fn finish_swap(
    data_dir: &Path,
    member: &Path,
    tmp: &Path,
    backup: &Path,
    wal: Option<&DedicatedWal>,
) -> std::io::Result<()> {
    let refuse = |p: &Path| {
        std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            format!("{} already exists: move it away first", p.display()),
        )
    };
    if let Some(w) = wal {
        if w.tmp.exists() {
            if w.dir.exists() {
                if w.backup.exists() {
                    return Err(refuse(&w.backup));
                }
                std::fs::rename(&w.dir, &w.backup)?;
            }
            std::fs::rename(&w.tmp, &w.dir)?;
            if let Some(parent) = w.dir.parent().filter(|p| !p.as_os_str().is_empty()) {
                sync_dir(parent)?;
            }
        }
    }
    if member.exists() {
        if backup.exists() {
            return Err(refuse(backup));
        }
        std::fs::rename(member, backup)?;
        sync_dir(data_dir)?;
    }
    std::fs::rename(tmp, member)?;
    sync_dir(data_dir)?;
    let _ = std::fs::remove_file(member.join(DONE_MARKER));
    Ok(())
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

/// Raft facts read from etcd's WAL and snapshot.
struct EtcdRaft {
    member_id: u64,
    cluster_id: u64,
    term: u64,
    vote: u64,
    commit: u64,
    entries: Vec<Entry>,
    snapshot: Option<(u64, u64)>,
    /// The snapshot's data: etcd's v2 store as JSON (empty if none).
    v2_store: Vec<u8>,
}

/// Reads and checks etcd's WAL (in `wal_dir`) and newest valid snapshot under
/// `etcd_member`.
fn read_raft(etcd_member: &Path, wal_dir: &Path) -> Result<EtcdRaft, ConvertError> {
    if !wal::has_wal_files(wal_dir) {
        return Err(ConvertError::Unsupported(format!(
            "{}: no etcd WAL (*.wal files)",
            wal_dir.display()
        )));
    }
    let contents = wal::read_all(wal_dir)?;
    let meta = contents.metadata.as_deref().ok_or_else(|| {
        ConvertError::Unsupported(format!("{}: WAL without metadata", wal_dir.display()))
    })?;
    let meta = crate::pb::etcdserverpb::Metadata::decode(meta).map_err(|e| {
        ConvertError::Unsupported(format!("{}: WAL metadata: {e}", wal_dir.display()))
    })?;
    let (member_id, cluster_id) = (meta.node_id.unwrap_or(0), meta.cluster_id.unwrap_or(0));
    if member_id == 0 || cluster_id == 0 {
        return Err(ConvertError::Unsupported(format!(
            "{}: WAL metadata without member or cluster ID",
            wal_dir.display()
        )));
    }
    let hs = &contents.hard_state;
    let commit = hs.commit.unwrap_or(0);
    // etcd's `ValidSnapshotEntries` + `LoadNewestAvailable`: the newest .snap the WAL names.
    let named: BTreeSet<(u64, u64)> = contents
        .snapshots
        .iter()
        .map(|s| (s.term.unwrap_or(0), s.index.unwrap_or(0)))
        .filter(|(_, i)| *i <= commit)
        .collect();
    let (mut snapshot, mut v2_store) = (None, Vec::new());
    for (term, index, path) in snap::snap_files(&etcd_member.join("snap"))? {
        if !named.contains(&(term, index)) {
            continue;
        }
        let s = snap::read(&path)?;
        v2_store = s.data.unwrap_or_default();
        snapshot = Some((term, index));
        break;
    }
    Ok(EtcdRaft {
        member_id,
        cluster_id,
        term: hs.term.unwrap_or(0),
        vote: hs.vote.unwrap_or(0),
        commit,
        entries: contents.entries,
        snapshot,
        v2_store,
    })
}

/// Converts etcd's member dir `etcd_member` (`<data-dir>/member` of etcd 3.4/3.5) with its
/// WAL dir `etcd_wal` (`etcd_member/wal`, or etcd's `--wal-dir`) into our layout:
/// `out_member/snap/db` and our Raft log env in `out_wal` (`out_member/wal`, or a dedicated
/// WAL dir); neither may exist. The etcd files are only read. `force_new_cluster` accepts a
/// member that is not in the membership (an etcdctl `backup`).
///
/// # Errors
/// [`ConvertError`]: unsupported or damaged input, storage failures writing the output.
pub(crate) fn convert(
    etcd_member: &Path,
    etcd_wal: &Path,
    out_member: &Path,
    out_wal: &Path,
    force_new_cluster: bool,
) -> Result<Converted, ConvertError> {
    let db_file = etcd_member.join("snap").join("db");
    if !db_file.is_file() || !bbolt::is_bbolt(&db_file)? {
        return Err(ConvertError::Unsupported(format!(
            "{}: no etcd v3 backend (bbolt); a v2-only data dir is not converted",
            db_file.display()
        )));
    }
    // bbolt holds an exclusive flock on the db while etcd runs: never convert under it.
    let lock = std::fs::File::open(&db_file)?;
    if let Err(std::fs::TryLockError::WouldBlock) = lock.try_lock_shared() {
        return Err(ConvertError::Unsupported(format!(
            "{} is locked: is etcd still running on this data dir?",
            db_file.display()
        )));
    }
    let raft = read_raft(etcd_member, etcd_wal)?;
    let reader = bbolt::Reader::open(&db_file).map_err(etcd_import::ImportError::from)?;
    let consistent_index = etcd_import::consistent_index(&reader)?;
    let mut members: BTreeMap<u64, EtcdMember> = etcd_import::members(&reader)?
        .into_iter()
        .map(|m| (m.id, m))
        .collect();
    let mut removed: BTreeSet<u64> = etcd_import::removed_members(&reader)?.into_iter().collect();

    for out in [out_member, out_wal] {
        if out.exists() {
            return Err(ConvertError::Unsupported(format!(
                "{} exists",
                out.display()
            )));
        }
    }
    let snap_dir = out_member.join("snap");
    std::fs::create_dir_all(&snap_dir)?;
    let db = StateDb::open(&snap_dir.join("db")).map_err(write_err)?;
    let stores = db.stores();
    let mut wtxn = db.env.write_txn().map_err(write_err)?;
    etcd_import::import(&stores, &mut wtxn, &reader)?;

    // etcd's v2 store lives only in its snapshots: the .snap's tree, then every committed
    // v2 request above the snapshot index, as etcd rebuilds it at each restart.
    let snap_index = raft.snapshot.map_or(0, |s| s.1);
    let v2 = etcd_v2store::import(&stores.v2, &mut wtxn, &raft.v2_store)
        .map_err(|e| ConvertError::Unsupported(format!("the .snap's {e}")))?;
    if !v2.skipped.is_empty() {
        tracing::warn!(skipped = ?v2.skipped, "etcd's v2 store: top-level nodes other than /0, /1, /2 skipped");
    }
    // etcd re-applies every committed v3 entry above the backend's consistent index.
    let v3_floor = consistent_index.max(snap_index);
    let mut applied = v3_floor;
    let (mut reapplied, mut v2_reapplied, mut dropped) = (0usize, 0usize, 0usize);
    let mut events = Vec::new();
    for e in &raft.entries {
        let index = e.index.unwrap_or(0);
        if index > raft.commit {
            dropped += 1;
            continue;
        }
        if index <= snap_index {
            continue;
        }
        let v3 = index > v3_floor;
        let data = e.data.as_deref().unwrap_or_default();
        match e.r#type.unwrap_or(0) {
            0 => match etcd_import::decode_proposal(data)? {
                EtcdProposal::Apply(req) if v3 => {
                    db.apply_isolated(&mut wtxn, &req, &mut events)
                        .map_err(write_err)?;
                }
                EtcdProposal::V2(req) => {
                    db.apply_isolated(&mut wtxn, &req, &mut events)
                        .map_err(write_err)?;
                    v2_reapplied += 1;
                }
                EtcdProposal::Cluster(attrs) => {
                    bump_v2_index(&stores, &mut wtxn, 1)?;
                    if let Some(req) = attrs.filter(|_| v3) {
                        db.apply_isolated(&mut wtxn, &req, &mut events)
                            .map_err(write_err)?;
                    }
                }
                _ => {}
            },
            1 => {
                bump_v2_index(&stores, &mut wtxn, conf_change_v2_writes(data))?;
                if v3 {
                    let before: BTreeSet<u64> = members.keys().copied().collect();
                    apply_conf_change(&mut members, data)?;
                    removed.extend(before.into_iter().filter(|id| !members.contains_key(id)));
                }
            }
            2 if v3 => {
                let before: BTreeSet<u64> = members.keys().copied().collect();
                apply_conf_change_v2(&mut members, data)?;
                removed.extend(before.into_iter().filter(|id| !members.contains_key(id)));
            }
            2 => {}
            other => {
                return Err(ConvertError::Unsupported(format!(
                    "raft entry {index} of unknown type {other}"
                )))
            }
        }
        if v3 {
            reapplied += 1;
            applied = index;
        }
    }
    reapplied += v2_reapplied;
    let term = raft
        .entries
        .iter()
        .find(|e| e.index == Some(applied))
        .and_then(|e| e.term)
        .or(raft.snapshot.filter(|s| s.1 == applied).map(|s| s.0))
        .or(raft
            .entries
            .iter()
            .rev()
            .find(|e| e.index.unwrap_or(0) <= applied)
            .and_then(|e| e.term))
        .unwrap_or(raft.term);

    if !members.contains_key(&raft.member_id) {
        // etcdctl's `backup` gives the copy a new member ID and drops the membership: only
        // `--force-new-cluster` starts it (bootstrap then makes this ID the only member).
        if !force_new_cluster {
            return Err(ConvertError::Unsupported(format!(
                "member {:x} is not in the cluster's membership (removed? a backup, to start with --force-new-cluster?)",
                raft.member_id
            )));
        }
        tracing::warn!(member_id = %format!("{:x}", raft.member_id), "member not in the converted membership (a backup's new ID): --force-new-cluster makes it the only member");
    }
    let mut voters = BTreeSet::new();
    let mut nodes = BTreeMap::new();
    for m in members.values() {
        if !m.is_learner {
            voters.insert(m.id);
        }
        nodes.insert(
            m.id,
            Member {
                name: m.name.clone(),
                peer_urls: m.peer_urls.clone(),
                client_urls: m.client_urls.clone(),
            },
        );
        let mut attrs = stores
            .members
            .get(&wtxn, m.id)
            .map_err(write_err)?
            .unwrap_or_else(MemberAttrs::default);
        if attrs.name.is_empty() {
            attrs.name = m.name.clone();
        }
        if attrs.client_urls.is_empty() {
            attrs.client_urls = m.client_urls.clone();
        }
        stores
            .members
            .set(&mut wtxn, m.id, &attrs)
            .map_err(write_err)?;
    }
    crate::raft::state_machine::record_converted_state(
        &db,
        &mut wtxn,
        (term, applied),
        voters,
        nodes,
    )
    .map_err(write_err)?;
    if !removed.is_empty() {
        let removed: Vec<u64> = removed.into_iter().collect();
        crate::raft::state_machine::record_removed(&db, &mut wtxn, &removed).map_err(write_err)?;
    }
    let revision = db.kv.current_revision(&wtxn).map_err(write_err)?;
    let v2_dump = etcd_v2store::dump(&stores.v2, &wtxn).map_err(write_err)?;
    let v2_nodes = (v2_dump.keys.len() + v2_dump.auth.len()) as u64;
    wtxn.commit().map_err(write_err)?;
    db.env.force_sync().map_err(write_err)?;
    drop(db);

    let wal_env = open_env(out_wal, EnvKind::Wal).map_err(write_err)?;
    crate::raft::log_store::seed_converted(
        &wal_env,
        raft.cluster_id,
        raft.member_id,
        (raft.term, raft.vote),
        (term, applied),
    )
    .map_err(write_err)?;
    wal_env.force_sync().map_err(write_err)?;
    drop(lock);
    Ok(Converted {
        member_id: raft.member_id,
        cluster_id: raft.cluster_id,
        term: raft.term,
        applied_index: applied,
        revision,
        reapplied,
        dropped,
        members: members.len(),
        v2_nodes,
    })
}

/// Advances our v2 store index by `n`: etcd's own v2 store writes under `/0` (membership,
/// cluster version), which ours keeps elsewhere, so the user's keys keep etcd's indexes.
fn bump_v2_index(
    stores: &crate::apply::Stores,
    wtxn: &mut heed::RwTxn,
    n: u64,
) -> Result<(), ConvertError> {
    if n == 0 {
        return Ok(());
    }
    let index = stores.v2.index(wtxn).map_err(write_err)?;
    stores.v2.import_index(wtxn, index + n).map_err(write_err)
}

/// How many v2 store writes etcd 3.4's `applyConfChange` makes for a `ConfChange`: add,
/// add learner and update (also a promotion) one (`raftAttributes`), remove two (the
/// member's dir deleted, its `removed_members` key created).
fn conf_change_v2_writes(data: &[u8]) -> u64 {
    match ConfChange::decode(data).map(|cc| cc.r#type.unwrap_or(0)) {
        Ok(1) => 2,
        Ok(_) => 1,
        Err(_) => 0,
    }
}

/// Applies one of etcd's `ConfChange` entries to the membership (etcd's
/// `applyConfChange`): add (voter or learner, member JSON in the context), remove, update
/// (peer URLs from the context). Idempotent: the backend already holds the changes etcd
/// applied.
fn apply_conf_change(
    members: &mut BTreeMap<u64, EtcdMember>,
    data: &[u8],
) -> Result<(), ConvertError> {
    let cc = ConfChange::decode(data)
        .map_err(|e| ConvertError::Unsupported(format!("conf change: {e}")))?;
    let id = cc.node_id.unwrap_or(0);
    let context = cc.context.unwrap_or_default();
    match cc.r#type.unwrap_or(0) {
        0 | 3 => {
            let mut m = etcd_import::parse_member(&context)?;
            m.is_learner = cc.r#type == Some(3) || m.is_learner;
            members.entry(id).or_insert(m);
        }
        1 => {
            members.remove(&id);
        }
        2 => {
            let m = etcd_import::parse_member(&context)?;
            if let Some(cur) = members.get_mut(&id) {
                cur.peer_urls = m.peer_urls;
            }
        }
        other => {
            return Err(ConvertError::Unsupported(format!(
                "conf change of unknown type {other}"
            )))
        }
    }
    Ok(())
}

/// Applies etcd's `ConfChangeV2` (etcd 3.4/3.5 servers never propose one; raft may):
/// removals, and additions of members the backend already knows (promotions).
fn apply_conf_change_v2(
    members: &mut BTreeMap<u64, EtcdMember>,
    data: &[u8],
) -> Result<(), ConvertError> {
    let cc = ConfChangeV2::decode(data)
        .map_err(|e| ConvertError::Unsupported(format!("conf change v2: {e}")))?;
    for c in cc.changes {
        let id = c.node_id.unwrap_or(0);
        match (c.r#type.unwrap_or(0), members.get_mut(&id)) {
            (1, _) => {
                members.remove(&id);
            }
            (0, Some(m)) => m.is_learner = false,
            (3, Some(m)) => m.is_learner = true,
            (2, Some(_)) => {}
            (t, _) => {
                return Err(ConvertError::Unsupported(format!(
                    "conf change v2 of type {t} for unknown member {id:x}"
                )))
            }
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::pb::raftpb::ConfChangeSingle;

    fn member(id: u64, learner: bool) -> EtcdMember {
        EtcdMember {
            id,
            name: format!("m{id}"),
            peer_urls: vec![format!("http://127.0.0.1:{id}")],
            client_urls: vec![],
            is_learner: learner,
        }
    }

    /// etcd's conf changes: add (context = member JSON), add learner, update peer URLs,
    /// remove; applied again on top of the backend's members they change nothing twice.
    #[test]
    fn conf_changes_apply_like_etcds_and_idempotently() {
        let mut members: BTreeMap<u64, EtcdMember> = [(1, member(1, false))].into();
        let cc = |t: i32, id: u64, ctx: &str| {
            ConfChange {
                r#type: Some(t),
                node_id: Some(id),
                context: Some(ctx.as_bytes().to_vec()),
                id: Some(0),
            }
            .encode_to_vec()
        };
        let add2 = cc(0, 2, r#"{"id":2,"peerURLs":["http://127.0.0.1:2"]}"#);
        apply_conf_change(&mut members, &add2).unwrap();
        apply_conf_change(&mut members, &add2).unwrap();
        apply_conf_change(
            &mut members,
            &cc(
                3,
                3,
                r#"{"id":3,"peerURLs":["http://127.0.0.1:3"],"isLearner":true}"#,
            ),
        )
        .unwrap();
        apply_conf_change(
            &mut members,
            &cc(2, 2, r#"{"id":2,"peerURLs":["http://127.0.0.1:22"]}"#),
        )
        .unwrap();
        assert_eq!(members[&2].peer_urls, ["http://127.0.0.1:22"]);
        assert!(members[&3].is_learner);
        apply_conf_change(&mut members, &cc(1, 1, "")).unwrap();
        assert_eq!(members.keys().copied().collect::<Vec<_>>(), [2, 3]);

        let promote = ConfChangeV2 {
            transition: Some(0),
            changes: vec![ConfChangeSingle {
                r#type: Some(0),
                node_id: Some(3),
            }],
            context: None,
        };
        apply_conf_change_v2(&mut members, &promote.encode_to_vec()).unwrap();
        assert!(!members[&3].is_learner);
        let unknown = ConfChangeV2 {
            changes: vec![ConfChangeSingle {
                r#type: Some(0),
                node_id: Some(9),
            }],
            ..Default::default()
        };
        assert!(apply_conf_change_v2(&mut members, &unknown.encode_to_vec()).is_err());
    }

    #[test]
    fn a_dir_without_etcd_files_is_not_etcds() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!is_etcd_member_dir(&dir.path().join("member")));
        std::fs::create_dir_all(dir.path().join("member/wal")).unwrap();
        std::fs::write(dir.path().join("member/wal/data.mdb"), b"").unwrap();
        assert!(!is_etcd_member_dir(&dir.path().join("member")));
        std::fs::write(
            dir.path()
                .join("member/wal/0000000000000000-0000000000000000.wal"),
            b"",
        )
        .unwrap();
        assert!(is_etcd_member_dir(&dir.path().join("member")));
    }

    /// A synthetic etcd member dir (etcd 3.4.23's backend + a WAL written here): the
    /// committed entries above the consistent index are applied again (a lease grant, a
    /// member added), the uncommitted one is dropped, IDs, vote and applied index are kept.
    #[test]
    fn convert_reapplies_committed_entries_and_keeps_raft_state() {
        use crate::pb::etcdserverpb::{LeaseGrantRequest, Metadata};
        use crate::pb::peer::{InternalRaftRequest, RequestHeader};
        use crate::pb::raftpb::HardState;
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("src/storage/etcd/testdata/etcd-3.4.23.snapshot.db");
        let reader = bbolt::Reader::open(&fixture).unwrap();
        let ci = etcd_import::consistent_index(&reader).unwrap();
        let me = etcd_import::members(&reader).unwrap()[0].id;
        drop(reader);

        let dir = tempfile::tempdir().unwrap();
        let etcd = dir.path().join("etcd");
        std::fs::create_dir_all(etcd.join("snap")).unwrap();
        std::fs::copy(&fixture, etcd.join("snap").join("db")).unwrap();
        let put = InternalRaftRequest {
            header: Some(RequestHeader {
                id: 1,
                ..Default::default()
            }),
            // The fixture has auth enabled: a lease grant needs no permission.
            lease_grant: Some(LeaseGrantRequest { ttl: 100, id: 4242 }),
            ..Default::default()
        };
        let add = ConfChange {
            r#type: Some(0),
            node_id: Some(42),
            context: Some(br#"{"id":42,"peerURLs":["http://127.0.0.1:9"]}"#.to_vec()),
            id: Some(0),
        };
        let entry = |index: u64, t: i32, data: Vec<u8>| Entry {
            term: Some(3),
            index: Some(index),
            r#type: Some(t),
            data: Some(data),
        };
        let entries = vec![
            entry(ci, 0, put.encode_to_vec()), // already in the backend: skipped
            entry(ci + 1, 0, put.encode_to_vec()),
            entry(ci + 2, 1, add.encode_to_vec()),
            entry(ci + 3, 0, put.encode_to_vec()), // beyond commit: dropped
        ];
        let meta = Metadata {
            node_id: Some(me),
            cluster_id: Some(77),
        };
        wal::write_new(
            &etcd.join("wal"),
            &meta.encode_to_vec(),
            &crate::pb::walpb::Snapshot {
                index: Some(0),
                term: Some(0),
            },
            &entries,
            &HardState {
                term: Some(4),
                vote: Some(me),
                commit: Some(ci + 2),
            },
        )
        .unwrap();

        let out = dir.path().join("ours");
        let c = convert(&etcd, &etcd.join("wal"), &out, &out.join("wal"), false).unwrap();
        assert_eq!((c.member_id, c.cluster_id, c.term), (me, 77, 4));
        assert_eq!(c.applied_index, ci + 2);
        assert_eq!((c.reapplied, c.dropped, c.members), (2, 1, 2));
        assert_eq!(c.revision, 174);
        let db = StateDb::open(&out.join("snap").join("db")).unwrap();
        let r = db.env.read_txn().unwrap();
        assert!(db.leases.get(&r, 4242).unwrap().is_some(), "replayed grant");
        drop(r);
        drop(db);
        let wal_env = open_env(&out.join("wal"), EnvKind::Wal).unwrap();
        let log = crate::raft::log_store::LogStore::open(wal_env).unwrap();
        assert_eq!(log.identity().unwrap(), Some((77, me)));
        assert!(
            convert(&etcd, &etcd.join("wal"), &out, &out.join("wal"), false).is_err(),
            "the target must not exist"
        );
    }
}
