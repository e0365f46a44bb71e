//! Replicated member attributes (etcd's `members` bucket): each member's name and client
//! URLs, published by the member itself through the log once it runs (etcd's
//! ClusterMemberAttrSetRequest). Peer URLs and voter/learner roles live in the Raft
//! membership; this store adds what Raft does not know.

use heed::types::Bytes;
use heed::{CommitOrAbort, Database, RoTxn, RwTxn};
use serde::{Deserialize, Serialize};

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

/// Handle to the `members` database: member ID (8 bytes BE) → postcard [`MemberAttrs`].
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
        let wtxn = env.write_txn()?;
        let c =
            env.create_databases_and_commit(wtxn, |opener, wtxn| -> Result<_, heed::Error> {
                Ok(CommitOrAbort::<_, ()>::Commit(
                    opener.create_database::<Bytes, Bytes>(wtxn, Some("members"))?,
                ))
            })?;
        match c {
            CommitOrAbort::Commit(db) => Ok(MemberStore { db }),
            CommitOrAbort::Abort(()) => Err(heed::Error::Io(std::io::Error::other(
                "creating members database aborted",
            ))),
        }
    }

    /// The attributes a member published, if any.
    ///
    /// # Errors
    /// LMDB errors; undecodable records read as absent.
    pub fn get(&self, txn: &RoTxn, id: u64) -> Result<Option<MemberAttrs>, heed::Error> {
        Ok(self
            .db
            .get(txn, &id.to_be_bytes())?
            .and_then(|b| postcard::from_bytes(b).ok()))
    }

    /// Records a member's attributes.
    ///
    /// # Errors
    /// LMDB errors.
    pub fn set(&self, txn: &mut RwTxn, id: u64, attrs: &MemberAttrs) -> Result<(), heed::Error> {
        let bytes = postcard::to_stdvec(attrs)
            .map_err(|e| heed::Error::Io(std::io::Error::other(e.to_string())))?;
        self.db.put(txn, &id.to_be_bytes(), &bytes)
    }

    /// Forgets a removed member.
    ///
    /// # Errors
    /// LMDB errors.
    pub fn remove(&self, txn: &mut RwTxn, id: u64) -> Result<(), heed::Error> {
        self.db.delete(txn, &id.to_be_bytes()).map(|_| ())
    }
}
