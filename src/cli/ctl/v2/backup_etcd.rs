//! `backup` of a data dir written by etcd 3.4 (its `*.wal` files), producing what etcdctl
//! 3.4.23's `backup` produces (`etcdctl/ctlv2/command/backup_command.go`), so real etcd starts
//! from it with `--force-new-cluster`:
//!
//! - `member/snap`: the newest readable `.snap` is copied as it is; its (index, term) is the
//!   WAL's snapshot point (none: 0, 0);
//! - the WAL (`--wal-dir` or `member/wal`) is read from that point; `EntryConfChange`
//!   entries, v2 member attribute updates (`PUT /0/members/<id>/attributes`) and, without
//!   `--with-v3`, v3 entries (an `InternalRaftRequest` with a header) are dropped; the
//!   entries after a dropped one move down (index minus the number dropped so far), and the
//!   hard state's commit goes down by the number dropped. Term and vote are kept;
//! - `member/snap/db`: with `--with-v3` the bbolt backend copied without its `members`,
//!   `members_removed` and `cluster` buckets (its `consistent_index` unchanged); without,
//!   a new backend holding only `meta/consistent_index` = the new commit;
//! - a new WAL (`--backup-wal-dir` or `member/wal`; refused if it already holds `*.wal`
//!   files) whose metadata has a new member ID and a new cluster ID from etcd's ID generator
//!   (`idutil.NewGenerator(0, now)`: `(unix milliseconds mod 2^40) << 8`, plus 1 and 2), then
//!   etcd's records in etcd's order: an empty snapshot record, the entries, the hard state,
//!   the snapshot record.
//!
//! Depends on: storage::etcd (WAL, snap, bbolt), pb.

use std::path::Path;

use prost::Message;

use crate::pb::etcdserverpb::{Metadata, Request as EtcdV2Request};
use crate::pb::peer::InternalRaftRequest;
use crate::pb::raftpb::Entry;
use crate::pb::walpb;
use crate::storage::etcd::bbolt::{self, Item, Reader, Writer};
use crate::storage::etcd::snap;
use crate::storage::etcd::wal::{self, WalRecord};

/// Buckets etcd's backup removes ("should be clobbered by --force-new-cluster").
const MEMBERSHIP_BUCKETS: [&[u8]; 3] = [b"members", b"members_removed", b"cluster"];

/// A failure, as the text of etcdctl's `log.Fatal` line.
pub(super) type Failure = String;

/// etcd's `idutil.NewGenerator(0, now)`: the first two IDs it hands out (member, cluster).
pub(super) fn new_ids(unix_ms: u64) -> (u64, u64) {
    let suffix = (unix_ms & ((1u64 << 40) - 1)) << 8;
    let low = |x: u64| x & ((1u64 << 48) - 1);
    (low(suffix + 1), low(suffix + 2))
}

/// Milliseconds since the Unix epoch, now.
pub(super) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Whether an entry's data is a v3 request (etcd's `MaybeUnmarshal` into
/// `InternalRaftRequest` with a header).
fn is_v3(data: &[u8]) -> bool {
    !data.is_empty() && InternalRaftRequest::decode(data).is_ok_and(|r| r.header.is_some())
}

/// Whether an entry's data is a v2 `PUT /0/members/<hex id>/attributes`.
fn is_member_attrs(data: &[u8]) -> Result<bool, Failure> {
    if data.is_empty() || is_v3(data) {
        return Ok(false);
    }
    let r =
        EtcdV2Request::decode(data).map_err(|e| format!("unmarshal should never fail ({e})"))?;
    let path = r.path.unwrap_or_default();
    let id = path
        .strip_prefix("/0/members/")
        .and_then(|p| p.strip_suffix("/attributes"))
        .unwrap_or_default();
    Ok(r.method.as_deref() == Some("PUT")
        && (1..=16).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Backs up the etcd data dir as described in the module doc. `log` receives etcdctl's
/// informational lines (Go's `log.Println` text, without the timestamp).
///
/// # Errors
/// The message of etcdctl's fatal log line.
pub(super) fn backup(
    src_snap: &Path,
    src_wal: &Path,
    dest_snap: &Path,
    dest_wal: &Path,
    with_v3: bool,
    log: &mut dyn FnMut(&str),
) -> Result<(u64, u64), Failure> {
    std::fs::create_dir_all(dest_snap).map_err(|e| {
        format!(
            "failed creating backup snapshot dir {}: {e}",
            dest_snap.display()
        )
    })?;
    // saveSnap: the newest snapshot that loads.
    let mut walsnap = walpb::Snapshot {
        index: Some(0),
        term: Some(0),
    };
    for (_, _, path) in snap::snap_files(src_snap).map_err(|e| e.to_string())? {
        let Ok(s) = snap::read(&path) else {
            continue;
        };
        let meta = s.metadata.clone().unwrap_or_default();
        walsnap = walpb::Snapshot {
            index: meta.index,
            term: meta.term,
        };
        snap::write(dest_snap, &s).map_err(|e| e.to_string())?;
        break;
    }
    let snap_index = walsnap.index.unwrap_or(0);

    // loadWAL
    let contents = wal::read_all(src_wal).map_err(|e| e.to_string())?;
    let snap_found = snap_index == 0
        || contents.snapshots.iter().any(|s| {
            s.index.unwrap_or(0) == snap_index && s.term.unwrap_or(0) == walsnap.term.unwrap_or(0)
        });
    if !snap_found {
        log(&format!(
            "Failed to find the match snapshot record {{Index:{} Term:{}}} in wal {}.",
            snap_index,
            walsnap.term.unwrap_or(0),
            src_wal.display()
        ));
        log("etcdctl will add it back. Start auto fixing...");
    }
    let mut removed = 0u64;
    let mut ents: Vec<Entry> = Vec::new();
    for mut e in contents
        .entries
        .into_iter()
        .filter(|e| e.index.unwrap_or(0) > snap_index)
    {
        e.index = Some(e.index.unwrap_or(0) - removed);
        let data = e.data.as_deref().unwrap_or_default();
        if e.r#type.unwrap_or(0) == 1 {
            log("ignoring EntryConfChange raft entry");
            removed += 1;
            continue;
        }
        if is_member_attrs(data)? {
            let path = EtcdV2Request::decode(data)
                .ok()
                .and_then(|r| r.path)
                .unwrap_or_default();
            log(&format!("ignoring member attribute update on {path}"));
            removed += 1;
            continue;
        }
        if !with_v3 && is_v3(data) {
            log("ignoring v3 raft entry");
            removed += 1;
            continue;
        }
        ents.push(e);
    }
    let mut state = contents.hard_state;
    state.commit = Some(state.commit.unwrap_or(0).saturating_sub(removed));
    let mut metadata = Metadata::decode(contents.metadata.as_deref().unwrap_or_default())
        .map_err(|e| e.to_string())?;

    // saveDB
    save_db(
        &dest_snap.join("db"),
        &src_snap.join("db"),
        state.commit.unwrap_or(0),
        with_v3,
    )?;

    let (member_id, cluster_id) = new_ids(now_ms());
    metadata.node_id = Some(member_id);
    metadata.cluster_id = Some(cluster_id);
    if wal::has_wal_files(dest_wal) {
        return Err("file exists".into());
    }
    let empty = walpb::Snapshot::default();
    let records: Vec<WalRecord<'_>> = std::iter::once(WalRecord::Snapshot(&empty))
        .chain(ents.iter().map(WalRecord::Entry))
        .chain(std::iter::once(WalRecord::State(&state)))
        .chain(std::iter::once(WalRecord::Snapshot(&walsnap)))
        .collect();
    wal::write_records(dest_wal, &metadata.encode_to_vec(), &records).map_err(|e| e.to_string())?;
    Ok((member_id, cluster_id))
}

/// etcd's `saveDB`: the backend without its membership buckets (`with_v3`), or a new one
/// holding only `meta/consistent_index` = `commit`.
fn save_db(dest: &Path, src: &Path, commit: u64, with_v3: bool) -> Result<(), Failure> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(dest)
        .map_err(|e| format!("open {}: {e}", dest.display()))?;
    let mut w = Writer::new(file).map_err(|e| e.to_string())?;
    if with_v3 {
        let r = Reader::open(src).map_err(|e| format!("open {}: {e}", src.display()))?;
        let mut buckets = Vec::new();
        r.for_each(&r.root(), |name, item| -> Result<(), bbolt::BoltError> {
            if let Item::Bucket(b) = item {
                buckets.push((name.to_vec(), b));
            }
            Ok(())
        })
        .map_err(|e| e.to_string())?;
        for (name, b) in buckets {
            if MEMBERSHIP_BUCKETS.contains(&name.as_slice()) {
                continue;
            }
            w.begin_bucket(&name).map_err(|e| e.to_string())?;
            r.for_each(&b, |k, item| match item {
                Item::Value(v) => w.put(k, v),
                Item::Bucket(_) => Err(bbolt::BoltError::Misuse("nested bucket in etcd's backend")),
            })
            .map_err(|e| e.to_string())?;
            w.end_bucket().map_err(|e| e.to_string())?;
        }
    } else {
        w.begin_bucket(b"meta").map_err(|e| e.to_string())?;
        w.put(b"consistent_index", &commit.to_be_bytes())
            .map_err(|e| e.to_string())?;
        w.end_bucket().map_err(|e| e.to_string())?;
    }
    w.finish().map_err(|e| e.to_string())?;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn ids_follow_etcds_generator() {
        // NewGenerator(0, t) with t = 1_700_000_000_123 ms: suffix = (ms mod 2^40) << 8.
        let ms = 1_700_000_000_123u64;
        let base = (ms & ((1 << 40) - 1)) << 8;
        assert_eq!(new_ids(ms), (base + 1, base + 2));
    }

    #[test]
    fn member_attribute_updates_are_recognised() {
        let put = |path: &str| {
            EtcdV2Request {
                method: Some("PUT".into()),
                path: Some(path.into()),
                ..Default::default()
            }
            .encode_to_vec()
        };
        assert!(is_member_attrs(&put("/0/members/8e9e05c52164694d/attributes")).unwrap());
        assert!(!is_member_attrs(&put("/0/members/8e9e05c52164694d/raftAttributes")).unwrap());
        assert!(!is_member_attrs(&put("/1/foo")).unwrap());
        assert!(!is_member_attrs(&[]).unwrap());
    }
}
