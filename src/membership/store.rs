//! Replicated member attributes (etcd's `members` bucket): each member's name and client
//! URLs, published by the member itself through the log once it runs (etcd's
//! ClusterMemberAttrSetRequest). Peer URLs and voter/learner roles live in the Raft
//! membership; this store adds what Raft does not know.

use heed::types::Bytes;
use heed::{Database, RoTxn, RwTxn};
use serde::{Deserialize, Serialize};

use crate::storage::record;
use crate::storage::schema;

/// Errors of the `members` database.
#[derive(Debug, thiserror::Error)]
pub enum MemberStoreError {
    /// LMDB failure.
    #[error("members storage: {0}")]
    Storage(#[from] heed::Error),
    /// A stored value's CRC-32C does not match its bytes (a damaged data file): the value
    /// is not returned ([`record`]).
    #[error("members storage: {0}")]
    Checksum(#[from] record::ChecksumMismatch),
    /// The attributes do not encode (postcard).
    #[error("members storage: encoding attributes: {0}")]
    Encode(String),
}

/// A member's published attributes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberAttrs {
    /// `--name`.
    pub name: String,
    /// `--advertise-client-urls`, as given.
    pub client_urls: Vec<String>,
    /// Added as a voter, still a learner until it catches up (see `MemberAttrSetRequest`).
    pub pending_voter: bool,
}

/// Handle to the `members` database: member ID (8 bytes BE) → postcard [`MemberAttrs`],
/// sealed with its CRC-32C ([`record`]) and checked on read.
#[derive(Debug, Clone, Copy)]
pub struct MemberStore {
    db: Database<'static, Bytes, Bytes>,
}

impl MemberStore {
    /// Creates or opens the `members` database in its own committed transaction.
    ///
    /// # Errors
    /// LMDB errors.
    pub fn open<T>(env: &heed::Env<T>) -> Result<MemberStore, heed::Error> {
        let db = schema::create_tables(env, |c| c.create::<Bytes, Bytes>(&schema::MEMBERS))?;
        Ok(MemberStore { db })
    }

    /// The attributes a member published, if any.
    ///
    /// # Errors
    /// LMDB errors; [`MemberStoreError::Checksum`] for a damaged record (a record with a
    /// good checksum that does not decode reads as absent).
    pub fn get(&self, txn: &RoTxn, id: u64) -> Result<Option<MemberAttrs>, MemberStoreError> {
        let Some(stored) = self.db.get(txn, &id.to_be_bytes())? else {
            return Ok(None);
        };
        let payload = record::open(stored, || format!("members record of {id:x}"))?;
        Ok(postcard::from_bytes(payload).ok())
    }

    /// Records a member's attributes.
    ///
    /// # Errors
    /// LMDB errors; [`MemberStoreError::Encode`].
    pub fn set(
        &self,
        txn: &mut RwTxn,
        id: u64,
        attrs: &MemberAttrs,
    ) -> Result<(), MemberStoreError> {
        let bytes =
            postcard::to_stdvec(attrs).map_err(|e| MemberStoreError::Encode(e.to_string()))?;
        self.db.put(txn, &id.to_be_bytes(), &record::seal(&bytes))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flipped_byte_in_member_attrs_is_a_checksum_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let env =
            crate::storage::open_env(dir.path(), crate::storage::EnvKind::State).expect("env");
        let store = MemberStore::open(&env).expect("open");
        let attrs = MemberAttrs {
            name: "m1".into(),
            client_urls: vec!["http://127.0.0.1:2379".into()],
            pending_voter: false,
        };
        let mut w = env.write_txn().expect("txn");
        store.set(&mut w, 9, &attrs).expect("set");
        w.commit().expect("commit");
        let r = env.read_txn().expect("txn");
        assert_eq!(store.get(&r, 9).expect("get"), Some(attrs));
        drop(r);
        record::flip_stored_values(&env, store.db);
        let r = env.read_txn().expect("txn");
        assert!(matches!(
            store.get(&r, 9),
            Err(MemberStoreError::Checksum(_))
        ));
    }
}
