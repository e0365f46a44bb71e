//! `etcd util import` and `etcd util export`: a stopped member's whole data dir converted
//! offline between etcd 3.4's layout and ours, both ways (data, membership, term, applied
//! index; member and cluster IDs).
//!
//! - `import --data-dir <etcd dir> [--wal-dir W] --out <our dir>`: etcd's `member/` (bbolt
//!   `snap/db`, `wal/*.wal` or the `*.wal` files of `W` when etcd ran with `--wal-dir`,
//!   `snap/*.snap`) through the same conversion as the server's start in place
//!   (`server::etcd_data_dir::convert`); the result has the default layout (`out/member/wal`).
//! - `export --data-dir <our dir> [--wal-dir W] --out <etcd dir>` (`W`: our member's
//!   `--wal-dir`, if it had one): `member/snap/db` as etcd's bbolt
//!   backend (`consistent_index` = our applied index), a `.snap` at the applied index whose
//!   v2 store holds the members (etcd 3.4 recovers its membership from it), our v2 store's
//!   keys and v2 auth (`apply::etcd_v2store`) and whose conf state lists voters and
//!   learners, and one WAL file with the metadata (member ID, cluster
//!   ID), the matching snapshot record and the hard state (term, vote, commit = applied).
//!   Real etcd 3.4.23 restarts from it as the same member of the same cluster.
//!
//! Both build the target as `<out>.part` and rename it at the end: a kill leaves no
//! half-written `<out>`. Neither touches the source. Both show progress (bytes of the
//! target file written against the source's size) when stderr is a terminal.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use prost::Message;

use super::etcd_export::write_backend;
use crate::pb::raftpb::{ConfState, HardState, Snapshot, SnapshotMetadata};
use crate::server::etcd_data_dir::{convert, is_etcd_member_dir, Converted};
use crate::storage::etcd::{snap, wal};
use crate::storage::{open_env, schema, EnvKind};

/// `<out>.part`, removed first if a killed run left it.
fn part_dir(out: &Path) -> anyhow::Result<PathBuf> {
    if out.exists() {
        bail!("{} exists", out.display());
    }
    let part = PathBuf::from(format!("{}.part", out.display()));
    if part.exists() {
        std::fs::remove_dir_all(&part).with_context(|| format!("removing {}", part.display()))?;
    }
    Ok(part)
}

/// Renames the finished `part` to `out` and syncs the parent directory.
fn publish(part: &Path, out: &Path) -> anyhow::Result<()> {
    std::fs::rename(part, out).with_context(|| format!("renaming to {}", out.display()))?;
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        crate::storage::snapshot::sync_dir(dir)?;
    }
    Ok(())
}

/// `import`: converts the etcd data dir `etcd_dir` into our layout at `out`.
///
/// # Errors
/// Not an etcd data dir, `out` exists, anything the conversion refuses, I/O.
pub(super) fn import(
    etcd_dir: &Path,
    wal_dir: Option<&Path>,
    out: &Path,
) -> anyhow::Result<Converted> {
    let member = etcd_dir.join("member");
    if !is_etcd_member_dir(&member) {
        bail!(
            "{}: not an etcd data dir (no member/wal/*.wal, no bbolt member/snap/db)",
            etcd_dir.display()
        );
    }
    let etcd_wal = wal_dir.map_or_else(|| member.join("wal"), Path::to_path_buf);
    if !wal::has_wal_files(&etcd_wal) {
        bail!(
            "{}: no etcd WAL (*.wal files){}",
            etcd_wal.display(),
            if wal_dir.is_none() {
                "; if etcd ran with --wal-dir, give the same --wal-dir"
            } else {
                ""
            }
        );
    }
    let part = part_dir(out)?;
    // Progress: the LMDB file being filled, against the size of etcd's bbolt file.
    let bar = crate::cli::progress::bytes_bar(
        "import",
        std::fs::metadata(member.join("snap").join("db")).map_or(0, |m| m.len()),
    );
    let watcher = crate::cli::progress::FileWatcher::start(
        &bar,
        crate::storage::snapshot::data_file(&part.join("member").join("snap").join("db")),
    );
    let out_member = part.join("member");
    let converted = convert(
        &member,
        &etcd_wal,
        &out_member,
        &out_member.join("wal"),
        false,
    );
    drop(watcher);
    bar.finish_and_clear();
    match converted {
        Ok(c) => {
            publish(&part, out)?;
            Ok(c)
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&part);
            Err(e.into())
        }
    }
}

/// What `export` wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ExportSummary {
    /// Member ID.
    pub member_id: u64,
    /// Cluster ID.
    pub cluster_id: u64,
    /// Raft term of the hard state.
    pub term: u64,
    /// Applied (and committed) index.
    pub applied_index: u64,
    /// Store revision.
    pub revision: i64,
}

/// `export`: writes our stopped member's data dir `data_dir` as an etcd 3.4 data dir `out`.
///
/// # Errors
/// Not our data dir, a member that never applied anything, `out` exists, I/O.
pub(super) fn export(
    data_dir: &Path,
    wal_dir: Option<&Path>,
    out: &Path,
) -> anyhow::Result<ExportSummary> {
    let member = data_dir.join("member");
    let wal_dir = wal_dir.map_or_else(|| member.join("wal"), Path::to_path_buf);
    if is_etcd_member_dir(&member) || !wal_dir.is_dir() {
        bail!("{}: not a data dir of this server", data_dir.display());
    }
    let part = part_dir(out)?;
    // Progress: the bbolt file being written, against the size of our LMDB file.
    let bar = crate::cli::progress::bytes_bar(
        "export",
        std::fs::metadata(crate::storage::snapshot::data_file(&super::db_dir(
            data_dir,
        )))
        .map_or(0, |m| m.len()),
    );
    let watcher =
        crate::cli::progress::FileWatcher::start(&bar, part.join("member").join("snap").join("db"));
    let res = export_into(data_dir, &wal_dir, &part);
    drop(watcher);
    bar.finish_and_clear();
    match res {
        Ok(s) => {
            publish(&part, out)?;
            Ok(s)
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&part);
            Err(e)
        }
    }
}

fn export_into(data_dir: &Path, wal_dir: &Path, part: &Path) -> anyhow::Result<ExportSummary> {
    let (cluster_id, member_id, vote) = read_wal_meta(wal_dir)?;
    let out_member = part.join("member");
    let out_snap = out_member.join("snap");
    std::fs::create_dir_all(&out_snap)?;
    let exported = write_backend(&super::db_dir(data_dir), &out_snap.join("db"), false)?;
    let Some(applied) = exported.applied else {
        bail!("{}: the member never applied anything", data_dir.display());
    };
    let applied_term = applied.leader_id.term;
    let (vote_term, voted_for) = vote.map_or((0, 0), |v| (v.leader_id.term, v.leader_id.node_id));
    let term = vote_term.max(applied_term);
    let voted_for = if vote_term == term { voted_for } else { 0 };

    let conf_state = ConfState {
        voters: exported
            .members
            .iter()
            .filter(|m| !m.is_learner)
            .map(|m| m.id)
            .collect(),
        learners: exported
            .members
            .iter()
            .filter(|m| m.is_learner)
            .map(|m| m.id)
            .collect(),
        ..Default::default()
    };
    let snapshot = Snapshot {
        data: Some(
            crate::apply::etcd_v2store::snapshot_json(
                &exported.v2,
                &exported.members,
                applied.index,
            )
            .into_bytes(),
        ),
        metadata: Some(SnapshotMetadata {
            conf_state: Some(conf_state),
            index: Some(applied.index),
            term: Some(applied_term),
        }),
    };
    snap::write(&out_snap, &snapshot)?;
    let metadata = crate::pb::etcdserverpb::Metadata {
        node_id: Some(member_id),
        cluster_id: Some(cluster_id),
    };
    wal::write_new(
        &out_member.join("wal"),
        &metadata.encode_to_vec(),
        &crate::pb::walpb::Snapshot {
            index: Some(applied.index),
            term: Some(applied_term),
        },
        &[],
        &HardState {
            term: Some(term),
            vote: Some(voted_for),
            commit: Some(applied.index),
        },
    )?;
    crate::storage::snapshot::sync_dir(&out_snap)?;
    crate::storage::snapshot::sync_dir(&out_member)?;
    Ok(ExportSummary {
        member_id,
        cluster_id,
        term,
        applied_index: applied.index,
        revision: exported.revision,
    })
}

/// Our WAL's identity (cluster ID, member ID) and vote.
fn read_wal_meta(wal_dir: &Path) -> anyhow::Result<(u64, u64, Option<openraft::Vote<u64>>)> {
    let env = open_env(wal_dir, EnvKind::Wal)?;
    let dbs = crate::storage::wal::WalDbs::open(&env)?;
    let rtxn = env.read_txn()?;
    let Some(identity) = dbs.meta.get(&rtxn, schema::WAL_IDENTITY.key)? else {
        bail!("{}: no member identity (never started?)", wal_dir.display());
    };
    let (cluster_id, member_id): (u64, u64) =
        postcard::from_bytes(identity).context("decoding the member identity")?;
    let vote = dbs
        .meta
        .get(&rtxn, schema::WAL_VOTE.key)?
        .map(postcard::from_bytes::<openraft::Vote<u64>>)
        .transpose()
        .context("decoding the vote")?;
    Ok((cluster_id, member_id, vote))
}
