//! `etcd util snapshot export --data-dir D <file>`: a stopped member's state written as an
//! etcd 3.4 snapshot file (bbolt database + sha256 trailer, what `etcdctl snapshot save`
//! stores), which the official `etcdctl snapshot status` and `snapshot restore` accept.
//!
//! Opens `D/member/snap/db` directly, reads the Raft apply state (applied index, membership)
//! and every store in ONE read transaction, and streams them through
//! `apply::etcd_export` into `<file>.part`, then adds the trailer, syncs and renames: a kill
//! leaves no half-written `<file>`.

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use openraft::{LogId, StoredMembership};

use crate::apply::etcd_export::{etcd_members, export, EtcdMember, ExportInfo};
use crate::apply::state::StateDb;
use crate::membership::Member;
use crate::storage::etcd::bbolt::append_sha256_trailer;
use crate::storage::schema;
use crate::storage::snapshot::data_file;

/// Writes the etcd-format snapshot of the member whose state dir is `db_dir` to `out`.
/// Returns the store revision exported.
///
/// # Errors
/// A missing or unreadable state database, store read errors, I/O.
pub(super) fn export_snapshot(db_dir: &Path, out: &Path) -> anyhow::Result<i64> {
    let part = PathBuf::from(format!("{}.part", out.display()));
    let exported = match write_backend(db_dir, &part, true) {
        Ok(e) => e,
        Err(e) => {
            let _ = std::fs::remove_file(&part);
            return Err(e);
        }
    };
    std::fs::rename(&part, out).with_context(|| format!("renaming to {}", out.display()))?;
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        crate::storage::snapshot::sync_dir(dir)?;
    }
    Ok(exported.revision)
}

/// What [`write_backend`] exported besides the file.
pub(super) struct Exported {
    /// The store revision.
    pub revision: i64,
    /// The last applied log id (etcd's consistent index is its index).
    pub applied: Option<LogId<u64>>,
    /// The members, as etcd's `members` bucket holds them.
    pub members: Vec<EtcdMember>,
    /// The v2 store (for the `.snap` of `etcd util export`), read in the same transaction.
    pub v2: crate::apply::etcd_v2store::V2Dump,
}

/// Writes the state database at `db_dir` as etcd's bbolt backend to `file` (created or
/// truncated, synced), with the sha256 trailer of a snapshot when `trailer`. The caller
/// removes `file` on error.
///
/// # Errors
/// A missing or unreadable state database, store read errors, I/O.
pub(super) fn write_backend(db_dir: &Path, file: &Path, trailer: bool) -> anyhow::Result<Exported> {
    if !data_file(db_dir).is_file() {
        bail!("{}: no member state database", db_dir.display());
    }
    let backend = StateDb::open(db_dir).map_err(|e| anyhow::anyhow!("{e}"))?;
    let rtxn = backend.env.read_txn()?;
    let db = backend.raft_state;
    let applied: Option<LogId<u64>> = db
        .get(&rtxn, schema::RAFT_APPLIED.key)?
        .map(postcard::from_bytes::<Option<LogId<u64>>>)
        .transpose()
        .context("decoding the applied log id")?
        .flatten();
    let membership: StoredMembership<u64, Member> = db
        .get(&rtxn, schema::RAFT_MEMBERSHIP.key)?
        .map(postcard::from_bytes)
        .transpose()
        .context("decoding the membership")?
        .unwrap_or_default();
    let stores = backend.stores();
    let config = membership.membership();
    let voters: std::collections::BTreeSet<u64> = config.voter_ids().collect();
    let nodes = config
        .nodes()
        .map(|(id, n)| (*id, n.clone(), !voters.contains(id)));
    let members = etcd_members(&stores, &rtxn, nodes)?;
    let removed = crate::raft::state_machine::removed_members_in(&backend, &rtxn)
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .into_iter()
        .collect();
    let info = ExportInfo {
        consistent_index: applied.map_or(0, |l| l.index),
        members: members.clone(),
        removed,
    };
    let revision = backend.kv.current_revision(&rtxn)?;
    let v2 = crate::apply::etcd_v2store::dump(&stores.v2, &rtxn)?;
    let f = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(file)
        .with_context(|| format!("creating {}", file.display()))?;
    let mut f = export(&stores, &rtxn, &info, f)?;
    if trailer {
        append_sha256_trailer(&mut f)?;
    }
    f.sync_all()?;
    Ok(Exported {
        revision,
        applied,
        members,
        v2,
    })
}

/// Restores the etcd (bbolt) snapshot `file` into a fresh state database at `db_dir`: checks
/// the sha256 trailer like etcd (`snapshot missing hash but --skip-hash-check=false` without
/// one, unless skipped), then imports every store in one write transaction
/// (`apply::etcd_import`). Returns the restored revision.
///
/// # Errors
/// Hash mismatch or missing hash, a file that is not a consistent etcd backend, storage.
pub(super) fn restore_etcd_snapshot(
    file: &Path,
    db_dir: &Path,
    skip_hash_check: bool,
) -> anyhow::Result<i64> {
    use crate::storage::snapshot::{has_sha256_trailer, ImageError, SHA256_LEN};
    use sha2::{Digest, Sha256};
    use std::io::Read;

    let size = std::fs::metadata(file)?.len();
    let has_hash = has_sha256_trailer(size);
    if !has_hash && !skip_hash_check {
        return Err(ImageError::MissingHash.into());
    }
    if has_hash && !skip_hash_check {
        let mut f = std::fs::File::open(file)?;
        let mut left = size - SHA256_LEN as u64;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 1 << 16];
        while left > 0 {
            let want = usize::try_from(left.min(buf.len() as u64)).unwrap_or(buf.len());
            f.read_exact(&mut buf[..want])?;
            hasher.update(&buf[..want]);
            left -= want as u64;
        }
        let mut expected = vec![0u8; SHA256_LEN];
        f.read_exact(&mut expected)?;
        let got = hasher.finalize().to_vec();
        if got != expected {
            return Err(ImageError::HashMismatch { expected, got }.into());
        }
    }
    let reader = crate::storage::etcd::bbolt::Reader::open(file)
        .with_context(|| format!("{}: not an etcd snapshot", file.display()))?;
    let backend = StateDb::open(db_dir).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut wtxn = backend.env.write_txn()?;
    let summary = crate::apply::etcd_import::import(&backend.stores(), &mut wtxn, &reader)
        .with_context(|| format!("importing {}", file.display()))?;
    wtxn.commit()?;
    backend.env.force_sync()?;
    Ok(summary.revision)
}
