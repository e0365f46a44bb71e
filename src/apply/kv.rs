//! Deterministic KV apply (etcd 3.4's `etcdserver/apply.go`: Put, DeleteRange, Compaction)
//! on top of [`crate::mvcc::KvStore`]; Txn, which runs these operations in one view, is in
//! [`super::txn`].
//!
//! Every function works inside the caller's LMDB write transaction (one per applied batch) and
//! leaves response headers `None`: the caller fills cluster id, member id, revision and raft term.
//! Writes also return the `mvccpb::Event`s they produced (with `prev_kv` always filled when the key
//! existed) so the caller can maintain lease attachments and notify watchers.
//!
//! Lease existence is asked through a `&dyn Fn(i64) -> bool` so this module needs no lessor.
//! Not checked here, because etcd rejects them earlier in `v3rpc/key.go` (`checkPutRequest`):
//! empty keys, `ignore_value` with a value ("etcdserver: value is provided") and `ignore_lease`
//! with a lease ("etcdserver: lease is provided").
//!
//! Depends on `crate::mvcc` and `crate::pb` only.

use crate::mvcc::kv_store::{KvStore, MvccError, TxnWrite};
use crate::pb::etcdserverpb::{
    CompactionRequest, CompactionResponse, DeleteRangeRequest, DeleteRangeResponse, PutRequest,
    PutResponse,
};
use crate::pb::mvccpb::Event;

/// Deterministic failures of a KV request (the same on every member) plus storage failures.
/// Messages are etcd's gRPC wire strings (`rpctypes/error.go`).
#[derive(Debug, thiserror::Error)]
pub enum KvApplyError {
    /// A read asked for a revision below the compact revision, or a compaction for one at or
    /// below it (gRPC `OutOfRange`).
    #[error("etcdserver: mvcc: required revision has been compacted")]
    Compacted,
    /// A read or compaction asked for a revision above the current one (gRPC `OutOfRange`).
    #[error("etcdserver: mvcc: required revision is a future revision")]
    FutureRev,
    /// A put with `ignore_value` or `ignore_lease` on a key that does not exist (gRPC
    /// `InvalidArgument`).
    #[error("etcdserver: key not found")]
    KeyNotFound,
    /// A put attached to a lease that does not exist (gRPC `NotFound`).
    #[error("etcdserver: requested lease not found")]
    LeaseNotFound,
    /// The store failed (LMDB error or corrupt data): not deterministic, fatal for the apply loop.
    #[error(transparent)]
    Storage(MvccError),
}

impl From<MvccError> for KvApplyError {
    fn from(e: MvccError) -> Self {
        match e {
            MvccError::Compacted => KvApplyError::Compacted,
            MvccError::FutureRev => KvApplyError::FutureRev,
            other => KvApplyError::Storage(other),
        }
    }
}

/// Applies a Put at the next revision (etcd's `applierV3backend.Put`): `prev_kv` in the response
/// when asked and the key existed; `ignore_value` / `ignore_lease` reuse the current value / lease.
/// `leases(id)` says whether lease `id` exists. Returns the response and the single PUT event.
///
/// # Errors
/// [`KvApplyError::LeaseNotFound`] if `lease != 0` and `leases(lease)` is false (checked first,
/// as etcd does); [`KvApplyError::KeyNotFound`] for `ignore_value`/`ignore_lease` on a missing
/// key; storage errors. Nothing is written on error.
pub fn put(
    store: &KvStore,
    wtxn: &mut heed::RwTxn,
    req: &PutRequest,
    leases: &dyn Fn(i64) -> bool,
) -> Result<(PutResponse, Vec<Event>), KvApplyError> {
    if req.lease != 0 && !leases(req.lease) {
        return Err(KvApplyError::LeaseNotFound);
    }
    let mut tw = store.write(wtxn)?;
    let resp = put_in(&mut tw, req)?;
    Ok((resp, tw.end()))
}

/// Applies a DeleteRange at the next revision (etcd's `applierV3backend.DeleteRange`):
/// `deleted` counts the keys removed, `prev_kvs` lists them when asked. Deleting nothing does
/// not move the revision. Returns the response and one DELETE event per key, in key order.
///
/// # Errors
/// Storage errors only.
pub fn delete_range(
    store: &KvStore,
    wtxn: &mut heed::RwTxn,
    req: &DeleteRangeRequest,
) -> Result<(DeleteRangeResponse, Vec<Event>), KvApplyError> {
    let mut tw = store.write(wtxn)?;
    let resp = delete_range_in(&mut tw, req)?;
    Ok((resp, tw.end()))
}

/// Applies a Compaction (etcd's `applierV3backend.Compaction`), completely inside `wtxn`; the
/// `physical` flag needs no waiting here because the compaction is done when this returns.
///
/// # Errors
/// [`KvApplyError::Compacted`] if `revision` <= the compact revision, [`KvApplyError::FutureRev`]
/// if it is above the current revision; storage errors.
pub fn compaction(
    store: &KvStore,
    wtxn: &mut heed::RwTxn,
    req: &CompactionRequest,
) -> Result<CompactionResponse, KvApplyError> {
    store.compact(wtxn, req.revision)?;
    Ok(CompactionResponse { header: None })
}

pub(super) fn put_in(
    tw: &mut TxnWrite<'_, '_>,
    req: &PutRequest,
) -> Result<PutResponse, KvApplyError> {
    let prev = if req.ignore_value || req.ignore_lease || req.prev_kv {
        tw.get(&req.key)?
    } else {
        None
    };
    if (req.ignore_value || req.ignore_lease) && prev.is_none() {
        return Err(KvApplyError::KeyNotFound);
    }
    let value = match (&prev, req.ignore_value) {
        (Some(kv), true) => kv.value.as_slice(),
        _ => req.value.as_slice(),
    };
    let lease = match (&prev, req.ignore_lease) {
        (Some(kv), true) => kv.lease,
        _ => req.lease,
    };
    // `value` may borrow `prev`; copy before writing to keep the borrow simple.
    let value = value.to_vec();
    tw.put(&req.key, &value, lease)?;
    Ok(PutResponse {
        header: None,
        prev_kv: if req.prev_kv { prev } else { None },
    })
}

pub(super) fn delete_range_in(
    tw: &mut TxnWrite<'_, '_>,
    req: &DeleteRangeRequest,
) -> Result<DeleteRangeResponse, KvApplyError> {
    let deleted = tw.delete_range(&req.key, &req.range_end)?;
    let prev_kvs = if req.prev_kv {
        let from = tw.events().len()
            - usize::try_from(deleted).expect("invariant: deleted count is small");
        tw.events()[from..]
            .iter()
            .filter_map(|ev| ev.prev_kv.clone())
            .collect()
    } else {
        Vec::new()
    };
    Ok(DeleteRangeResponse {
        header: None,
        deleted,
        prev_kvs,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::apply::testutil::{current, do_put, get, preq, LEASE};
    use crate::mvcc::testutil::test_env;
    use crate::pb::mvccpb::event::EventType;

    #[test]
    fn put_prev_kv_and_events() {
        let te = test_env();
        let (resp, evs) = do_put(
            &te,
            PutRequest {
                prev_kv: true,
                ..preq("k", "1")
            },
        )
        .unwrap();
        assert_eq!(resp.prev_kv, None);
        assert!(resp.header.is_none());
        assert_eq!(evs.len(), 1);
        assert!(evs[0].prev_kv.is_none());
        let (resp, evs) = do_put(&te, preq("k", "2")).unwrap();
        assert_eq!(resp.prev_kv, None, "prev_kv only when asked");
        assert_eq!(
            evs[0].prev_kv.as_ref().unwrap().value,
            b"1",
            "events always carry prev_kv"
        );
        let (resp, _) = do_put(
            &te,
            PutRequest {
                prev_kv: true,
                ..preq("k", "3")
            },
        )
        .unwrap();
        assert_eq!(resp.prev_kv.unwrap().value, b"2");
    }

    #[test]
    fn put_lease_checks() {
        let te = test_env();
        assert!(matches!(
            do_put(
                &te,
                PutRequest {
                    lease: 7,
                    ..preq("k", "v")
                }
            ),
            Err(KvApplyError::LeaseNotFound)
        ));
        assert_eq!(current(&te), 1, "nothing written on error");
        do_put(
            &te,
            PutRequest {
                lease: LEASE,
                ..preq("k", "v")
            },
        )
        .unwrap();
        assert_eq!(get(&te, "k").unwrap().lease, LEASE);
    }

    #[test]
    fn put_ignore_value_and_lease() {
        let te = test_env();
        let ignore_value = PutRequest {
            ignore_value: true,
            ..preq("k", "")
        };
        assert!(matches!(
            do_put(&te, ignore_value.clone()),
            Err(KvApplyError::KeyNotFound)
        ));
        let ignore_lease = PutRequest {
            ignore_lease: true,
            ..preq("k", "v2")
        };
        assert!(matches!(
            do_put(&te, ignore_lease.clone()),
            Err(KvApplyError::KeyNotFound)
        ));
        assert_eq!(current(&te), 1);

        do_put(
            &te,
            PutRequest {
                lease: LEASE,
                ..preq("k", "v1")
            },
        )
        .unwrap();
        do_put(
            &te,
            PutRequest {
                lease: LEASE,
                ..ignore_value
            },
        )
        .unwrap();
        let kv = get(&te, "k").unwrap();
        assert_eq!(
            (kv.value.as_slice(), kv.lease, kv.version),
            (&b"v1"[..], LEASE, 2)
        );
        do_put(&te, ignore_lease).unwrap();
        let kv = get(&te, "k").unwrap();
        assert_eq!(
            (kv.value.as_slice(), kv.lease, kv.version),
            (&b"v2"[..], LEASE, 3)
        );
        // a plain put drops the lease
        do_put(&te, preq("k", "v3")).unwrap();
        assert_eq!(get(&te, "k").unwrap().lease, 0);
    }

    #[test]
    fn delete_range_counts_and_prev_kvs() {
        let te = test_env();
        for k in ["a", "b", "c"] {
            do_put(&te, preq(k, k)).unwrap();
        }
        let mut wtxn = te.env.write_txn().unwrap();
        let req = DeleteRangeRequest {
            key: "a".into(),
            range_end: "c".into(),
            prev_kv: true,
        };
        let (resp, evs) = delete_range(&te.store, &mut wtxn, &req).unwrap();
        wtxn.commit().unwrap();
        assert_eq!(resp.deleted, 2);
        assert_eq!(
            resp.prev_kvs
                .iter()
                .map(|kv| kv.key.clone())
                .collect::<Vec<_>>(),
            [b"a".to_vec(), b"b".to_vec()]
        );
        assert!(evs
            .iter()
            .all(|e| e.r#type == EventType::Delete as i32
                && e.kv.as_ref().unwrap().mod_revision == 5));
        assert_eq!(current(&te), 5);

        let mut wtxn = te.env.write_txn().unwrap();
        let req = DeleteRangeRequest {
            key: "a".into(),
            range_end: "c".into(),
            prev_kv: false,
        };
        let (resp, evs) = delete_range(&te.store, &mut wtxn, &req).unwrap();
        wtxn.commit().unwrap();
        assert_eq!((resp.deleted, resp.prev_kvs.len(), evs.len()), (0, 0, 0));
        assert_eq!(current(&te), 5, "deleting nothing keeps the revision");
    }

    #[test]
    fn compaction_errors_and_messages() {
        let te = test_env();
        do_put(&te, preq("k", "v")).unwrap(); // 2
        let mut wtxn = te.env.write_txn().unwrap();
        let err = compaction(
            &te.store,
            &mut wtxn,
            &CompactionRequest {
                revision: 3,
                physical: true,
            },
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "etcdserver: mvcc: required revision is a future revision"
        );
        compaction(
            &te.store,
            &mut wtxn,
            &CompactionRequest {
                revision: 2,
                physical: true,
            },
        )
        .unwrap();
        let err = compaction(
            &te.store,
            &mut wtxn,
            &CompactionRequest {
                revision: 2,
                physical: true,
            },
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "etcdserver: mvcc: required revision has been compacted"
        );
        wtxn.commit().unwrap();
        assert_eq!(
            KvApplyError::KeyNotFound.to_string(),
            "etcdserver: key not found"
        );
        assert_eq!(
            KvApplyError::LeaseNotFound.to_string(),
            "etcdserver: requested lease not found"
        );
    }

    #[test]
    fn apply_layers_do_not_name_tonic_or_openraft() {
        for dir in ["src/mvcc", "src/apply"] {
            let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
            for entry in std::fs::read_dir(root).unwrap() {
                let path = entry.unwrap().path();
                let text = std::fs::read_to_string(&path).unwrap();
                for banned in [
                    concat!("tonic", "::"),
                    concat!("openraft", "::"),
                    concat!("crate::", "v3rpc"),
                ] {
                    assert!(!text.contains(banned), "{} names {banned}", path.display());
                }
            }
        }
    }
}
