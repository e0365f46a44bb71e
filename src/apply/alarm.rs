//! Alarms (etcd's `etcdserver/api/v3alarm`): the replicated set of (member, alarm type)
//! pairs in the `alarm` database, and how an active NOSPACE alarm caps writes.

use heed::types::Bytes;
use heed::{CommitOrAbort, Database, RoTxn, RwTxn};

use super::{ApplyError, ApplyFatal};
use crate::pb::etcdserverpb::alarm_request::AlarmAction;
use crate::pb::etcdserverpb::{AlarmMember, AlarmRequest, AlarmResponse, AlarmType};
use crate::storage::record;

/// Errors of the `alarm` database.
#[derive(Debug, thiserror::Error)]
pub enum AlarmStoreError {
    /// LMDB failure.
    #[error("alarm storage: {0}")]
    Storage(#[from] heed::Error),
    /// A stored value's CRC-32C does not match its bytes (a damaged data file): the alarm
    /// is not reported as set or unset from it ([`record`]).
    #[error("alarm storage: {0}")]
    Checksum(#[from] record::ChecksumMismatch),
}

impl From<AlarmStoreError> for crate::mvcc::MvccError {
    fn from(e: AlarmStoreError) -> crate::mvcc::MvccError {
        match e {
            AlarmStoreError::Storage(h) => crate::mvcc::MvccError::Storage(h),
            AlarmStoreError::Checksum(c) => crate::mvcc::MvccError::Checksum(c),
        }
    }
}

/// Handle to the `alarm` database: member ID (8 bytes BE) ‖ alarm type (4 bytes BE) → the
/// seal of nothing (its CRC-32C, [`record`]), checked on read.
#[derive(Debug, Clone, Copy)]
pub struct AlarmStore {
    db: Database<'static, Bytes, Bytes>,
}

fn alarm_key(member_id: u64, alarm: i32) -> [u8; 12] {
    let mut k = [0u8; 12];
    k[..8].copy_from_slice(&member_id.to_be_bytes());
    k[8..].copy_from_slice(&alarm.to_be_bytes());
    k
}

impl AlarmStore {
    /// Creates or opens the `alarm` database in its own committed transaction.
    ///
    /// # Errors
    /// LMDB errors.
    pub fn open<T>(env: &heed::Env<T>) -> Result<AlarmStore, heed::Error> {
        let wtxn = env.write_txn()?;
        let c =
            env.create_databases_and_commit(wtxn, |opener, wtxn| -> Result<_, heed::Error> {
                Ok(CommitOrAbort::<_, ()>::Commit(
                    opener.create_database::<Bytes, Bytes>(wtxn, Some("alarm"))?,
                ))
            })?;
        match c {
            CommitOrAbort::Commit(db) => Ok(AlarmStore { db }),
            CommitOrAbort::Abort(()) => Err(heed::Error::Io(std::io::Error::other(
                "creating alarm database aborted",
            ))),
        }
    }

    /// Every active alarm, ordered by member then type.
    ///
    /// # Errors
    /// LMDB errors; [`AlarmStoreError::Checksum`] for a damaged record.
    pub fn list(&self, txn: &RoTxn) -> Result<Vec<AlarmMember>, AlarmStoreError> {
        let mut out = Vec::new();
        for item in self.db.iter(txn)? {
            let (k, v) = item?;
            if k.len() != 12 {
                continue;
            }
            open_alarm(v)?;
            let mut id = [0u8; 8];
            id.copy_from_slice(&k[..8]);
            let mut ty = [0u8; 4];
            ty.copy_from_slice(&k[8..]);
            out.push(AlarmMember {
                member_id: u64::from_be_bytes(id),
                alarm: i32::from_be_bytes(ty),
            });
        }
        Ok(out)
    }

    /// Whether any member has raised `alarm`.
    ///
    /// # Errors
    /// LMDB errors; [`AlarmStoreError::Checksum`] for a damaged record of that type.
    pub fn is_active(&self, txn: &RoTxn, alarm: AlarmType) -> Result<bool, AlarmStoreError> {
        // Checked on every capped write: scan without collecting (usually an empty table).
        for item in self.db.iter(txn)? {
            let (k, v) = item?;
            if k.len() == 12 && k[8..] == (alarm as i32).to_be_bytes() {
                open_alarm(v)?;
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Applies an AlarmRequest as etcd's `applierV3backend.Alarm`: GET lists, ACTIVATE adds
    /// (answering the activated alarm), DEACTIVATE removes (answering the removed alarm).
    ///
    /// # Errors
    /// LMDB errors as [`ApplyFatal`].
    pub fn apply(
        &self,
        wtxn: &mut RwTxn,
        req: &AlarmRequest,
    ) -> Result<Result<AlarmResponse, ApplyError>, ApplyFatal> {
        let key = alarm_key(req.member_id, req.alarm);
        let alarms = match AlarmAction::try_from(req.action) {
            Ok(AlarmAction::Get) => self.list(wtxn).map_err(|e| ApplyFatal::Mvcc(e.into()))?,
            Ok(AlarmAction::Activate) => {
                // An unknown type is refused at the wire; one in the log is ignored.
                if req.alarm == AlarmType::None as i32 || AlarmType::try_from(req.alarm).is_err() {
                    Vec::new()
                } else {
                    self.db
                        .put(wtxn, &key, &record::seal(&[]))
                        .map_err(heed_fatal)?;
                    vec![AlarmMember {
                        member_id: req.member_id,
                        alarm: req.alarm,
                    }]
                }
            }
            Ok(AlarmAction::Deactivate) => {
                if self.db.delete(wtxn, &key).map_err(heed_fatal)? {
                    vec![AlarmMember {
                        member_id: req.member_id,
                        alarm: req.alarm,
                    }]
                } else {
                    Vec::new()
                }
            }
            Err(_) => Vec::new(),
        };
        Ok(Ok(AlarmResponse {
            header: None,
            alarms,
        }))
    }
}

/// Checks an `alarm` value's CRC-32C (its payload is empty).
fn open_alarm(stored: &[u8]) -> Result<(), record::ChecksumMismatch> {
    record::open(stored, || "alarm record".to_string()).map(|_| ())
}

fn heed_fatal(e: heed::Error) -> ApplyFatal {
    ApplyFatal::Mvcc(crate::mvcc::MvccError::Storage(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flipped_byte_in_alarm_is_a_checksum_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let env =
            crate::storage::open_env(dir.path(), crate::storage::EnvKind::State).expect("env");
        let store = AlarmStore::open(&env).expect("open");
        let mut w = env.write_txn().expect("txn");
        let req = AlarmRequest {
            action: AlarmAction::Activate as i32,
            member_id: 5,
            alarm: AlarmType::Nospace as i32,
        };
        store.apply(&mut w, &req).expect("fatal").expect("apply");
        w.commit().expect("commit");
        let r = env.read_txn().expect("txn");
        assert_eq!(store.list(&r).expect("list").len(), 1);
        assert!(store.is_active(&r, AlarmType::Nospace).expect("active"));
        drop(r);
        record::flip_stored_values(&env, store.db);
        let r = env.read_txn().expect("txn");
        assert!(matches!(store.list(&r), Err(AlarmStoreError::Checksum(_))));
        assert!(matches!(
            store.is_active(&r, AlarmType::Nospace),
            Err(AlarmStoreError::Checksum(_))
        ));
        assert!(!store.is_active(&r, AlarmType::Corrupt).expect("other type"));
    }
}
