//! Raft snapshots of the state database: building one (a consistent compacting copy of the
//! environment whose meta is read from inside the copy), receiving and installing one
//! (every table of `storage::schema::STATE_TABLES` in the received image replaces ours in one
//! write transaction), and the current snapshot file under `member/snap/raft/`.
//!
//! The state machine's openraft trait methods (`state_machine.rs`) call the functions here.
//!
//! Depends on: apply (the state database), storage, openraft.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use heed::types::Bytes;
use openraft::storage::Snapshot;
use openraft::{ErrorSubject, ErrorVerb, LogId, SnapshotMeta, StorageError, StoredMembership};

#[cfg(feature = "failpoints")]
use super::failpoint_error;
use super::log_store::run_blocking;
use super::{io_err, TypeConfig};
use crate::apply::state::{ApplyFailure, StateStore};
use crate::apply::Member;
use crate::storage::schema;
use crate::storage::snapshot::DATA_FILE;
use crate::storage::{open_env, EnvKind};

/// The snapshot files of one state machine: the current snapshot (its meta and the file
/// under `member/snap/raft/` holding it) and the file an incoming snapshot is received in.
#[derive(Default)]
pub struct SnapshotFiles {
    /// The latest snapshot: its meta and the file holding it.
    current: Mutex<Option<(SnapshotMeta<u64, Member>, PathBuf)>>,
    /// Where an incoming snapshot is being received.
    receiving: Mutex<Option<PathBuf>>,
}

impl SnapshotFiles {
    /// Makes `(meta, path)` the current snapshot, deleting the file of the one it replaces
    /// (a transfer still reading it keeps its open handle).
    fn set_current(&self, meta: SnapshotMeta<u64, Member>, path: PathBuf) {
        if let Ok(mut cur) = self.current.lock() {
            if let Some((_, old)) = cur.replace((meta, path.clone())) {
                if old != path {
                    let _ = std::fs::remove_file(old);
                }
            }
        }
    }
}

/// Builds a snapshot of `store` off the async workers and makes it the current one.
///
/// # Errors
/// Storage or I/O errors, as openraft's snapshot write errors.
pub(super) async fn build(
    store: &Arc<StateStore>,
    files: &SnapshotFiles,
) -> Result<Snapshot<TypeConfig>, StorageError<u64>> {
    let s = store.clone();
    let started = std::time::Instant::now();
    let (meta, path) = tokio::task::spawn_blocking(move || build_blocking(&s))
        .await
        .map_err(|e| {
            io_err(
                ErrorSubject::Snapshot(None),
                ErrorVerb::Write,
                std::io::Error::other(e.to_string()),
            )
        })?
        .map_err(|e| io_err(ErrorSubject::Snapshot(None), ErrorVerb::Write, e))?;
    // etcd's snapshotter `SaveSnap`: the time to write this member's snapshot file.
    crate::observability::metrics().observe(
        "etcd_debugging_snap_save_total_duration_seconds",
        started.elapsed().as_secs_f64(),
    );
    let file = tokio::fs::File::open(&path)
        .await
        .map_err(|e| io_err(ErrorSubject::Snapshot(None), ErrorVerb::Read, e))?;
    files.set_current(meta.clone(), path);
    Ok(Snapshot {
        meta,
        snapshot: Box::new(file),
    })
}

/// Creates the file an incoming snapshot is streamed into (replacing, and deleting, the
/// one of an earlier unfinished transfer).
///
/// # Errors
/// I/O errors, as openraft's snapshot write errors.
pub(super) async fn begin_receiving(
    store: &StateStore,
    files: &SnapshotFiles,
) -> Result<Box<tokio::fs::File>, StorageError<u64>> {
    let werr = |e: std::io::Error| io_err(ErrorSubject::Snapshot(None), ErrorVerb::Write, e);
    let dir = snapshot_dir(store).map_err(|e| werr(std::io::Error::other(e.to_string())))?;
    let path = dir.join(format!("incoming-{}.snap", rand::random::<u32>()));
    let file = tokio::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)
        .await
        .map_err(werr)?;
    if let Ok(mut r) = files.receiving.lock() {
        if let Some(old) = r.replace(path) {
            let _ = std::fs::remove_file(old);
        }
    }
    Ok(Box::new(file))
}

/// Installs the received `snapshot` described by `meta`: copies it into a file of our own,
/// replaces the whole state with its contents and makes it the current snapshot.
///
/// # Errors
/// Storage or I/O errors, as openraft's snapshot write errors.
pub(super) async fn install(
    store: &Arc<StateStore>,
    files: &SnapshotFiles,
    meta: &SnapshotMeta<u64, Member>,
    snapshot: Box<tokio::fs::File>,
) -> Result<(), StorageError<u64>> {
    use tokio::io::AsyncSeekExt;
    let sig = meta.signature();
    let werr = |e: std::io::Error| {
        io_err(
            ErrorSubject::Snapshot(Some(sig.clone())),
            ErrorVerb::Write,
            e,
        )
    };
    // Copy whatever file we were handed (normally the one begin_receiving created) into a
    // file of our own, streaming, so install never depends on which handle openraft passes
    // back.
    let index = meta.last_log_id.map_or(0, |l| l.index);
    log_install(index, false);
    let mut snapshot = snapshot;
    snapshot
        .seek(std::io::SeekFrom::Start(0))
        .await
        .map_err(werr)?;
    let dir = snapshot_dir(store).map_err(|e| werr(std::io::Error::other(e.to_string())))?;
    let path = dir.join(format!("install-{}.snap", rand::random::<u32>()));
    let m = crate::observability::metrics();
    // etcd's `etcd_server_snapshot_apply_in_progress_total`: 1 while a received snapshot is
    // being applied.
    let _applying = m.hold_gauge("etcd_server_snapshot_apply_in_progress_total");
    {
        // etcd's `SaveDBFrom`: the received database saved to its own file and fsynced.
        let started = std::time::Instant::now();
        let mut out = tokio::fs::File::create(&path).await.map_err(werr)?;
        tokio::io::copy(&mut *snapshot, &mut out)
            .await
            .map_err(werr)?;
        let fsync_started = std::time::Instant::now();
        out.sync_all().await.map_err(werr)?;
        m.observe(
            "etcd_snap_db_fsync_duration_seconds",
            fsync_started.elapsed().as_secs_f64(),
        );
        m.observe(
            "etcd_snap_db_save_total_duration_seconds",
            started.elapsed().as_secs_f64(),
        );
    }
    drop(snapshot);
    if let Some(received) = files.receiving.lock().ok().and_then(|mut r| r.take()) {
        let _ = std::fs::remove_file(received);
    }
    let s = store.clone();
    let src = path.clone();
    run_blocking(move || {
        install_blocking(&s, &src)
            .map_err(|e| heed::Error::Io(std::io::Error::other(e.to_string())))
    })
    .await
    .map_err(|e| {
        io_err(
            ErrorSubject::Snapshot(Some(sig.clone())),
            ErrorVerb::Write,
            e,
        )
    })?;
    let kept = path.with_file_name(format!("{}.snap", meta.snapshot_id));
    std::fs::rename(&path, &kept).map_err(werr)?;
    files.set_current(meta.clone(), kept);
    log_install(index, true);
    Ok(())
}

/// etcd's lines around a follower's install of the leader's snapshot at Raft `index`
/// (`etcdserver.applySnapshot`): capnslog `applying snapshot at index N...` and `finished
/// applying incoming snapshot at index N`; zap `applying snapshot` / `applied snapshot`.
fn log_install(index: u64, finished: bool) {
    use crate::observability::logging::{logger, LoggerKind};
    match (logger(), finished) {
        (LoggerKind::Capnslog, false) => {
            tracing::info!(target: "etcdserver", "applying snapshot at index {index}...")
        }
        (LoggerKind::Capnslog, true) => tracing::info!(
            target: "etcdserver",
            "finished applying incoming snapshot at index {index}"
        ),
        (LoggerKind::Zap, false) => tracing::info!(
            target: "etcdserver",
            incoming_leader_snapshot_index = index,
            "applying snapshot"
        ),
        (LoggerKind::Zap, true) => tracing::info!(
            target: "etcdserver",
            incoming_leader_snapshot_index = index,
            "applied snapshot"
        ),
    }
}

/// The current snapshot, opened for reading; `None` when there is none or its file is gone
/// (replaced meanwhile: openraft builds a new one).
pub(super) async fn current(files: &SnapshotFiles) -> Option<Snapshot<TypeConfig>> {
    let cur = match files.current.lock() {
        Ok(c) => c.clone(),
        Err(_) => None,
    };
    let (meta, path) = cur?;
    match tokio::fs::File::open(&path).await {
        Ok(file) => Some(Snapshot {
            meta,
            snapshot: Box::new(file),
        }),
        Err(_) => None,
    }
}

/// Makes a consistent compacting copy of the environment and reads the applied state
/// recorded inside the copy, so the snapshot's meta matches its contents exactly.
fn build_blocking(
    store: &StateStore,
) -> Result<(SnapshotMeta<u64, Member>, PathBuf), ApplyFailure> {
    let tmp = store
        .dir()
        .with_file_name(format!("snapshot.tmp.{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(|e| ApplyFailure::Encode(e.to_string()))?;
    let path = tmp.join(DATA_FILE);
    fail::fail_point!("raftBeforeSaveSnap", |_| Err(failpoint_error(
        "raftBeforeSaveSnap"
    )
    .into()));
    store
        .backend()?
        .env
        .copy_to_path(&path, heed::CompactionOption::Enabled)?;
    let copy = open_env(&tmp, EnvKind::State).map_err(|e| ApplyFailure::Encode(e.to_string()))?;
    let (applied, membership) = match schema::open_meta_table(&copy, &schema::RAFT_STATE)? {
        Some(db) => {
            let rtxn = copy.read_txn()?;
            let applied: Option<LogId<u64>> = db
                .get(&rtxn, schema::RAFT_APPLIED.key)?
                .map(postcard::from_bytes)
                .transpose()
                .map_err(|e| ApplyFailure::Encode(e.to_string()))?
                .flatten();
            let membership = db
                .get(&rtxn, schema::RAFT_MEMBERSHIP.key)?
                .map(postcard::from_bytes)
                .transpose()
                .map_err(|e| ApplyFailure::Encode(e.to_string()))?
                .unwrap_or_default();
            (applied, membership)
        }
        None => (None, StoredMembership::default()),
    };
    drop(copy);
    let snapshot_id = match applied {
        Some(l) => format!("{}-{}-{}", l.leader_id.term, l.index, rand::random::<u32>()),
        None => format!("0-0-{}", rand::random::<u32>()),
    };
    let kept = snapshot_dir(store)?.join(format!("{snapshot_id}.snap"));
    std::fs::rename(&path, &kept).map_err(|e| ApplyFailure::Encode(e.to_string()))?;
    let _ = std::fs::remove_dir_all(&tmp);
    fail::fail_point!("raftAfterSaveSnap", |_| Err(failpoint_error(
        "raftAfterSaveSnap"
    )
    .into()));
    let meta = SnapshotMeta {
        last_log_id: applied,
        last_membership: membership,
        snapshot_id,
    };
    Ok((meta, kept))
}

/// `member/snap/raft/`: Raft snapshot files (created on demand).
fn snapshot_dir(store: &StateStore) -> Result<PathBuf, ApplyFailure> {
    let dir = store.dir().with_file_name("raft");
    std::fs::create_dir_all(&dir).map_err(|e| ApplyFailure::Encode(e.to_string()))?;
    Ok(dir)
}

/// Replaces the whole state with the snapshot's: in one write transaction, every table of
/// the state schema the snapshot holds is cleared and refilled, and every one it lacks (a
/// snapshot from a build without that table) is emptied.
fn install_blocking(store: &StateStore, file: &Path) -> Result<(), ApplyFailure> {
    let tmp = store
        .dir()
        .with_file_name(format!("snapshot.install.{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(|e| ApplyFailure::Encode(e.to_string()))?;
    std::fs::copy(file, tmp.join(DATA_FILE)).map_err(|e| ApplyFailure::Encode(e.to_string()))?;
    let b = store.backend()?;
    let src = open_env(&tmp, EnvKind::State).map_err(|e| ApplyFailure::Encode(e.to_string()))?;
    {
        let mut tables = Vec::new();
        // A table the snapshot lacks (written by a build without it) is emptied here too.
        let mut absent = Vec::new();
        for table in schema::STATE_TABLES {
            let to = schema::create_tables(&b.env, |c| c.create::<Bytes, Bytes>(table))?;
            match schema::open_table(&src, table)? {
                Some(from) => tables.push((from, to)),
                None => absent.push(to),
            }
        }
        fail::fail_point!("raftBeforeApplySnap", |_| Err(failpoint_error(
            "raftBeforeApplySnap"
        )
        .into()));
        let rtxn = src.read_txn()?;
        let mut wtxn = b.env.write_txn()?;
        for to in &absent {
            to.clear(&mut wtxn)?;
        }
        for (from, to) in &tables {
            to.clear(&mut wtxn)?;
            for item in from.iter(&rtxn)? {
                let (k, v) = item?;
                to.put(&mut wtxn, k, v)?;
            }
        }
        wtxn.commit()?;
        fail::fail_point!("raftAfterApplySnap", |_| Err(failpoint_error(
            "raftAfterApplySnap"
        )
        .into()));
    }
    drop(src);
    let _ = std::fs::remove_dir_all(&tmp);
    let rtxn = b.env.read_txn()?;
    let rev = b.kv.current_revision(&rtxn)?;
    b.kv.report_restored(&rtxn)?;
    drop(rtxn);
    drop(b);
    store.publish_installed(rev);
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// A snapshot from a build without a table (here `index_history`) empties ours: nothing
    /// of the replaced state stays behind, while the tables it holds are copied.
    #[test]
    fn install_empties_tables_the_snapshot_lacks() {
        let dir = tempfile::tempdir().unwrap();
        let store = StateStore::open(dir.path().join("db")).unwrap();
        {
            let b = store.backend().unwrap();
            let ours =
                schema::create_tables(&b.env, |c| c.create::<Bytes, Bytes>(&schema::INDEX_HISTORY))
                    .unwrap();
            let mut wtxn = b.env.write_txn().unwrap();
            ours.put(&mut wtxn, b"stale", b"x").unwrap();
            wtxn.commit().unwrap();
        }
        // The snapshot: a state environment with only the `key` table, holding revision 2
        // (etcd's revision key: main, `_`, sub) of key `k`.
        let src_dir = dir.path().join("src");
        std::fs::create_dir_all(&src_dir).unwrap();
        let rev: Vec<u8> = [&2i64.to_be_bytes()[..], b"_", &0i64.to_be_bytes()].concat();
        let kv = crate::storage::record::seal(&prost::Message::encode_to_vec(
            &crate::pb::mvccpb::KeyValue {
                key: b"k".to_vec(),
                create_revision: 2,
                mod_revision: 2,
                version: 1,
                ..Default::default()
            },
        ));
        {
            let src = open_env(&src_dir, EnvKind::State).unwrap();
            let key =
                schema::create_tables(&src, |c| c.create::<Bytes, Bytes>(&schema::KEY)).unwrap();
            let mut wtxn = src.write_txn().unwrap();
            key.put(&mut wtxn, &rev, &kv).unwrap();
            wtxn.commit().unwrap();
        }
        install_blocking(&store, &src_dir.join(DATA_FILE)).unwrap();
        let b = store.backend().unwrap();
        let rtxn = b.env.read_txn().unwrap();
        let history = schema::open_table(&b.env, &schema::INDEX_HISTORY)
            .unwrap()
            .unwrap();
        assert_eq!(history.len(&rtxn).unwrap(), 0, "stale history left behind");
        let key = schema::open_table(&b.env, &schema::KEY).unwrap().unwrap();
        assert_eq!(key.get(&rtxn, &rev).unwrap(), Some(&kv[..]));
    }
}
