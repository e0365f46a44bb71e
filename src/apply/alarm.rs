//! Alarms (etcd's `etcdserver/api/v3alarm`): the replicated set of (member, alarm type)
//! pairs in the `alarm` database, and how an active NOSPACE alarm caps writes.

use heed::types::Bytes;
use heed::{CommitOrAbort, Database, RoTxn, RwTxn};

use super::{ApplyError, ApplyFatal};
use crate::pb::etcdserverpb::alarm_request::AlarmAction;
use crate::pb::etcdserverpb::{AlarmMember, AlarmRequest, AlarmResponse, AlarmType};

/// Handle to the `alarm` database: member ID (8 bytes BE) ‖ alarm type (4 bytes BE) → ∅.
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
    /// LMDB errors.
    pub fn list(&self, txn: &RoTxn) -> Result<Vec<AlarmMember>, heed::Error> {
        let mut out = Vec::new();
        for item in self.db.iter(txn)? {
            let (k, _) = item?;
            if k.len() != 12 {
                continue;
            }
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
    /// LMDB errors.
    pub fn is_active(&self, txn: &RoTxn, alarm: AlarmType) -> Result<bool, heed::Error> {
        // Checked on every capped write: scan without collecting (usually an empty table).
        for item in self.db.iter(txn)? {
            let (k, _) = item?;
            if k.len() == 12 && k[8..] == (alarm as i32).to_be_bytes() {
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
            Ok(AlarmAction::Get) => self.list(wtxn).map_err(heed_fatal)?,
            Ok(AlarmAction::Activate) => {
                // An unknown type is refused at the wire; one in the log is ignored.
                if req.alarm == AlarmType::None as i32 || AlarmType::try_from(req.alarm).is_err() {
                    Vec::new()
                } else {
                    self.db.put(wtxn, &key, &[]).map_err(heed_fatal)?;
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

fn heed_fatal(e: heed::Error) -> ApplyFatal {
    ApplyFatal::Mvcc(crate::mvcc::MvccError::Storage(e))
}
