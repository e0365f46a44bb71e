//! Import of an etcd backend (bbolt: a snapshot or a `member/snap/db` of etcd 3.4, 3.5 or
//! 3.6) into our stores, inside ONE write transaction on a fresh state database; the
//! reverse of [`super::etcd_export`], following etcd's own restore (`mvcc/kvstore.go`
//! `restore`, `lease/lessor.go` `initAndRecover`, `auth/store.go` `NewAuthStore`).
//!
//! - `key`: every record in revision order through `KvStore::import_record` (etcd's
//!   `restoreIntoIndex`: create revisions and versions survive compaction);
//! - `meta`: `finishedCompactRev` becomes the compact revision; a `scheduledCompactRev`
//!   beyond it is compacted now (etcd resumes that compaction at start). `consistent_index`,
//!   and 3.5/3.6's `term`, `confState`, `storageVersion` are Raft facts that a restore
//!   replaces with the new cluster's, so they are read by nobody;
//! - `lease`: `leasepb.Lease{ID, TTL}` (3.4's `RemainingTTL` is ignored, as etcd's restore
//!   grants the full TTL); keys are attached from their latest put's lease, when that lease
//!   exists;
//! - `auth`, `authUsers`, `authRoles`: enabled flag, revision, users, roles;
//! - `alarm`: each `AlarmMember` is activated;
//! - `members`, `members_removed`, `cluster`: skipped: a restore takes membership from its
//!   flags, as etcd's does; any other bucket is skipped too (and listed in the summary).
//!
//! Memory: one bbolt page per tree level, plus the leased keys and the lease table.

use heed::RwTxn;
use prost::Message;

use super::Stores;
use crate::lease::LeaseRecord;
use crate::pb::etcdserverpb::AlarmMember;
use crate::storage::etcd::bbolt::{BoltError, Item, Reader};

/// What an import brought in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ImportSummary {
    /// The store's revision after the import.
    pub revision: i64,
    /// The compact revision (-1: never compacted).
    pub compact_revision: i64,
    /// Records of the `key` bucket.
    pub records: u64,
    /// Leases granted.
    pub leases: u64,
    /// Buckets not understood and skipped, by name.
    pub skipped: Vec<String>,
}

/// Failures of the import: a file that is not a consistent etcd backend, or storage.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ImportError {
    /// The bbolt file could not be read.
    #[error("reading etcd backend: {0}")]
    Bolt(#[from] BoltError),
    /// A bucket holds something etcd would not have written.
    #[error("etcd backend: {0}")]
    Format(String),
    /// The MVCC store.
    #[error(transparent)]
    Mvcc(#[from] crate::mvcc::MvccError),
    /// The lease table.
    #[error(transparent)]
    Lease(#[from] crate::lease::LeaseError),
    /// The auth store.
    #[error(transparent)]
    Auth(#[from] crate::auth::AuthStorageError),
    /// The alarm store.
    #[error(transparent)]
    Alarm(#[from] crate::alarm::AlarmStoreError),
}

/// Buckets this import reads or knowingly ignores.
const KNOWN: &[&[u8]] = &[
    b"alarm",
    b"auth",
    b"authRoles",
    b"authUsers",
    b"cluster",
    b"key",
    b"lease",
    b"members",
    b"members_removed",
    b"meta",
];

/// Calls `f` on every key/value of top-level bucket `name` (nothing if it is absent; nested
/// buckets are a format error).
fn each<F>(reader: &Reader, name: &[u8], mut f: F) -> Result<(), ImportError>
where
    F: FnMut(&[u8], &[u8]) -> Result<(), ImportError>,
{
    let Some(bucket) = reader.bucket(name)? else {
        return Ok(());
    };
    reader.for_each(&bucket, |k, item| match item {
        Item::Value(v) => f(k, v),
        Item::Bucket(_) => Err(ImportError::Format(format!(
            "unexpected nested bucket in {}",
            String::from_utf8_lossy(name)
        ))),
    })
}

/// The main revision of etcd's revision bytes (`revToBytes`), if `b` is one.
fn rev_main(b: &[u8]) -> Option<i64> {
    let main: [u8; 8] = b.get(..8)?.try_into().ok()?;
    (b.len() >= 17).then(|| i64::from_be_bytes(main))
}

/// Imports the etcd backend read by `reader` into `stores` within `wtxn` (which should hold
/// an empty state database; the caller commits). bbolt's consistency check runs first, as
/// etcd's `snapshot status` does: a damaged file is refused before anything is written.
///
/// # Errors
/// [`ImportError`]; on error the caller aborts the transaction, leaving nothing.
pub(crate) fn import(
    stores: &Stores,
    wtxn: &mut RwTxn,
    reader: &Reader,
) -> Result<ImportSummary, ImportError> {
    let problems = reader.check()?;
    if !problems.is_empty() {
        return Err(ImportError::Format(format!(
            "integrity check failed, {} errors: {}",
            problems.len(),
            problems.join("; ")
        )));
    }
    let mut summary = ImportSummary::default();
    reader.for_each(&reader.root(), |name, _| -> Result<(), ImportError> {
        if !KNOWN.contains(&name) {
            summary
                .skipped
                .push(String::from_utf8_lossy(name).into_owned());
        }
        Ok(())
    })?;

    each(reader, b"key", |k, v| {
        summary.records += 1;
        Ok(stores.kv.import_record(wtxn, k, v)?)
    })?;

    let (mut finished, mut scheduled) = (None, None);
    each(reader, b"meta", |k, v| {
        match k {
            b"finishedCompactRev" => finished = rev_main(v),
            b"scheduledCompactRev" => scheduled = rev_main(v),
            _ => {}
        }
        Ok(())
    })?;
    if let Some(rev) = finished {
        stores.kv.import_compact_revision(wtxn, rev)?;
    }
    if let Some(rev) = scheduled.filter(|s| Some(*s) > finished) {
        stores.kv.compact(wtxn, rev)?;
    }

    each(reader, b"lease", |_, v| {
        let l = LeaseRecord::decode(v).map_err(|e| ImportError::Format(format!("lease: {e}")))?;
        if l.id <= 0 {
            return Err(ImportError::Format(format!("lease: invalid ID {}", l.id)));
        }
        summary.leases += 1;
        Ok(stores.leases.put(wtxn, &l)?)
    })?;
    for (lease, key) in stores.kv.leased_keys(wtxn)? {
        if stores.leases.get(wtxn, lease)?.is_some() {
            stores.leases.attach(wtxn, lease, &key)?;
        }
    }

    let (mut enabled, mut auth_rev) = (false, 1u64);
    each(reader, b"auth", |k, v| {
        match k {
            b"authEnabled" => enabled = v == [1],
            b"authRevision" => {
                let b: [u8; 8] = v
                    .try_into()
                    .map_err(|_| ImportError::Format("authRevision is not 8 bytes".into()))?;
                auth_rev = u64::from_be_bytes(b);
            }
            _ => {}
        }
        Ok(())
    })?;
    stores.auth.import_state(wtxn, enabled, auth_rev)?;
    each(reader, b"authUsers", |_, v| {
        Ok(stores.auth.import_user(wtxn, v)?)
    })?;
    each(reader, b"authRoles", |_, v| {
        Ok(stores.auth.import_role(wtxn, v)?)
    })?;

    each(reader, b"alarm", |k, _| {
        let a = AlarmMember::decode(k).map_err(|e| ImportError::Format(format!("alarm: {e}")))?;
        stores.alarms.activate(wtxn, a.member_id, a.alarm)?;
        Ok(())
    })?;

    summary.revision = stores.kv.current_revision(wtxn)?;
    summary.compact_revision = stores.kv.compact_revision(wtxn)?;
    Ok(summary)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::apply::etcd_export::{export, EtcdMember, ExportInfo};
    use crate::pb::etcdserverpb::RangeRequest;
    use crate::storage::etcd::bbolt::{status, OwnedItem};

    /// etcd 3.4.23's snapshot; its history is described in `storage::etcd::bbolt`'s tests.
    fn fixture() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("src/storage/etcd/testdata/etcd-3.4.23.snapshot.db")
    }

    /// Import of etcd's snapshot, then export: every bucket comes back byte for byte, so
    /// etcd's snapshot hash is the same.
    #[test]
    fn etcd_snapshot_imports_and_exports_back_to_the_same_hash() {
        let dir = tempfile::tempdir().unwrap();
        let env = crate::storage::open_env(dir.path(), crate::storage::EnvKind::State).unwrap();
        let stores = Stores {
            kv: crate::mvcc::KvStore::open(&env).unwrap(),
            leases: crate::lease::LeaseStore::open(&env).unwrap(),
            alarms: crate::alarm::AlarmStore::open(&env).unwrap(),
            members: crate::membership::store::MemberStore::open(&env).unwrap(),
            auth: crate::auth::store::AuthStore::open(&env).unwrap(),
            v2: crate::v2store::store::V2Store::open(&env).unwrap(),
        };
        let reader = Reader::open(&fixture()).unwrap();
        let mut w = env.write_txn().unwrap();
        let summary = import(&stores, &mut w, &reader).unwrap();
        w.commit().unwrap();
        assert_eq!(
            (summary.revision, summary.compact_revision, summary.leases),
            (174, 100, 1)
        );
        assert!(summary.skipped.is_empty(), "{:?}", summary.skipped);

        let r = env.read_txn().unwrap();
        // k0001: put at 2, then 20 more puts (versions survive the compaction at 100).
        let got = stores
            .kv
            .range(
                &r,
                &RangeRequest {
                    key: b"k0001".to_vec(),
                    ..Default::default()
                },
            )
            .unwrap();
        assert_eq!(got.kvs[0].version, 21);
        assert_eq!(got.kvs[0].create_revision, 2);
        assert!(stores.auth.is_enabled(&r).unwrap());
        assert_eq!(stores.auth.revision(&r).unwrap(), 6);
        let lease = stores.leases.list(&r).unwrap()[0].clone();
        assert_eq!(lease.ttl, 600);
        assert_eq!(
            stores.leases.keys(&r, lease.id).unwrap(),
            [b"leased".to_vec()]
        );

        let meta = reader.bucket(b"meta").unwrap().unwrap();
        let Some(OwnedItem::Value(ci)) = reader.get(&meta, b"consistent_index").unwrap() else {
            panic!("consistent_index");
        };
        let info = ExportInfo {
            consistent_index: u64::from_be_bytes(ci.try_into().unwrap()),
            members: vec![EtcdMember {
                id: 13_668_033_151_171_901_709,
                name: "default".into(),
                peer_urls: vec!["http://127.0.0.1:23801".into()],
                client_urls: vec!["http://127.0.0.1:23791".into()],
                is_learner: false,
            }],
        };
        let out = dir.path().join("out.db");
        let file = std::fs::File::create(&out).unwrap();
        export(&stores, &r, &info, file).unwrap();
        assert_eq!(status(&out).unwrap().hash, status(&fixture()).unwrap().hash);
    }
}
