//! Alarms (etcd's `etcdserver/api/v3alarm` alarm store): the replicated set of
//! (member, alarm type) pairs in the `alarm` database. Raising and clearing them is apply's
//! (`apply::alarm`); what an active alarm refuses is apply's too (NOSPACE, CORRUPT).
//!
//! Depends on: storage, pb.

use heed::types::Bytes;
use heed::{Database, RoTxn, RwTxn};

use crate::pb::etcdserverpb::{AlarmMember, AlarmType};
use crate::storage::record;
use crate::storage::schema;

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
        let db = schema::create_tables(env, |c| c.create::<Bytes, Bytes>(&schema::ALARM))?;
        Ok(AlarmStore { db })
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

    /// Raises `alarm` for `member_id` (idempotent).
    ///
    /// # Errors
    /// LMDB errors.
    pub fn activate(
        &self,
        wtxn: &mut RwTxn,
        member_id: u64,
        alarm: i32,
    ) -> Result<(), AlarmStoreError> {
        self.db
            .put(wtxn, &alarm_key(member_id, alarm), &record::seal(&[]))?;
        Ok(())
    }

    /// Clears `alarm` for `member_id`; whether it was raised.
    ///
    /// # Errors
    /// LMDB errors.
    pub fn deactivate(
        &self,
        wtxn: &mut RwTxn,
        member_id: u64,
        alarm: i32,
    ) -> Result<bool, AlarmStoreError> {
        Ok(self.db.delete(wtxn, &alarm_key(member_id, alarm))?)
    }
}

/// Checks an `alarm` value's CRC-32C (its payload is empty).
fn open_alarm(stored: &[u8]) -> Result<(), record::ChecksumMismatch> {
    record::open(stored, || "alarm record".to_string()).map(|_| ())
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
        store
            .activate(&mut w, 5, AlarmType::Nospace as i32)
            .expect("activate");
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
