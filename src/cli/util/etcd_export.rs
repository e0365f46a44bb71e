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
use heed::types::{Bytes, Str};
use heed::CommitOrAbort;
use openraft::{LogId, StoredMembership};

use crate::apply::etcd_export::{export, EtcdMember, ExportInfo};
use crate::apply::state::StateDb;
use crate::membership::Member;
use crate::storage::etcd::bbolt::append_sha256_trailer;
use crate::storage::snapshot::DATA_FILE;

/// The raft state database and keys of `raft::state_machine` (postcard values).
const RAFT_STATE_DB: &str = "raft_state";
const META_APPLIED: &str = "raft/applied";
const META_MEMBERSHIP: &str = "raft/membership";

/// Writes the etcd-format snapshot of the member whose state dir is `db_dir` to `out`.
/// Returns the store revision exported.
///
/// # Errors
/// A missing or unreadable state database, store read errors, I/O.
pub(super) fn export_snapshot(db_dir: &Path, out: &Path) -> anyhow::Result<i64> {
    if !db_dir.join(DATA_FILE).is_file() {
        bail!("{}: no member state database", db_dir.display());
    }
    let backend = StateDb::open(db_dir).map_err(|e| anyhow::anyhow!("{e}"))?;
    let rtxn = backend.env.read_txn()?;
    let opened =
        backend
            .env
            .open_databases_and_commit(rtxn, |opener, rtxn| -> Result<_, heed::Error> {
                Ok(CommitOrAbort::<_, ()>::Commit(
                    opener.open_database::<Str, Bytes>(rtxn, Some(RAFT_STATE_DB))?,
                ))
            })?;
    let CommitOrAbort::Commit(raft_state) = opened else {
        bail!("opening {RAFT_STATE_DB} aborted");
    };
    let rtxn = backend.env.read_txn()?;
    let (applied, membership) = match raft_state {
        None => (None, StoredMembership::default()),
        Some(db) => {
            let applied: Option<LogId<u64>> = db
                .get(&rtxn, META_APPLIED)?
                .map(postcard::from_bytes::<Option<LogId<u64>>>)
                .transpose()
                .context("decoding the applied log id")?
                .flatten();
            let membership: StoredMembership<u64, Member> = db
                .get(&rtxn, META_MEMBERSHIP)?
                .map(postcard::from_bytes)
                .transpose()
                .context("decoding the membership")?
                .unwrap_or_default();
            (applied, membership)
        }
    };
    let stores = backend.stores();
    let config = membership.membership();
    let voters: std::collections::BTreeSet<u64> = config.voter_ids().collect();
    let mut members = Vec::new();
    for (id, node) in config.nodes() {
        let attrs = stores.members.get(&rtxn, *id)?;
        let (name, client_urls) = match attrs {
            Some(a) => (a.name, a.client_urls),
            None => (node.name.clone(), node.client_urls.clone()),
        };
        members.push(EtcdMember {
            id: *id,
            name,
            peer_urls: node.peer_urls.clone(),
            client_urls,
            is_learner: !voters.contains(id),
        });
    }
    let info = ExportInfo {
        consistent_index: applied.map_or(0, |l| l.index),
        members,
    };
    let revision = backend.kv.current_revision(&rtxn)?;
    let part = PathBuf::from(format!("{}.part", out.display()));
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&part)
        .with_context(|| format!("creating {}", part.display()))?;
    let written = export(&stores, &rtxn, &info, file)
        .map_err(anyhow::Error::from)
        .and_then(|mut f| Ok(append_sha256_trailer(&mut f)?));
    drop(rtxn);
    if let Err(e) = written {
        let _ = std::fs::remove_file(&part);
        return Err(e);
    }
    std::fs::rename(&part, out).with_context(|| format!("renaming to {}", out.display()))?;
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        crate::storage::snapshot::sync_dir(dir)?;
    }
    Ok(revision)
}
