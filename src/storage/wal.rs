//! Schema of the `member/wal` environment: the Raft log and the Raft metadata.
//!
//! - `logs`: 8-byte big-endian log index → encoded log entry (opaque bytes here).
//! - `raft_meta`: string key → encoded value (`vote`, `last_purged`, `identity`).

use heed::types::{Bytes, Str};
use heed::{CommitOrAbort, Database};

use super::{Env, StorageError};

/// Key of the persisted vote in `raft_meta`.
pub const META_VOTE: &str = "vote";
/// Key of the last purged log id in `raft_meta`.
pub const META_LAST_PURGED: &str = "last_purged";
/// Key of the cluster identity (cluster ID, member ID) in `raft_meta`.
pub const META_IDENTITY: &str = "identity";

/// Handles to the databases of the wal environment. Cheap to copy.
#[derive(Clone, Copy)]
pub struct WalDbs {
    /// Log index (big-endian u64) → entry bytes.
    pub logs: Database<'static, Bytes, Bytes>,
    /// Metadata key → bytes.
    pub meta: Database<'static, Str, Bytes>,
}

impl WalDbs {
    /// Creates or opens the databases.
    ///
    /// # Errors
    /// [`StorageError::Heed`] on LMDB failure.
    pub fn open(env: &Env) -> Result<WalDbs, StorageError> {
        let wtxn = env.write_txn()?;
        let committed =
            env.create_databases_and_commit(wtxn, |opener, wtxn| -> Result<_, heed::Error> {
                let logs = opener.create_database::<Bytes, Bytes>(wtxn, Some("logs"))?;
                let meta = opener.create_database::<Str, Bytes>(wtxn, Some("raft_meta"))?;
                Ok(CommitOrAbort::<_, ()>::Commit((logs, meta)))
            })?;
        match committed {
            CommitOrAbort::Commit((logs, meta)) => Ok(WalDbs { logs, meta }),
            CommitOrAbort::Abort(()) => Err(StorageError::Corrupt(
                "creating wal databases aborted".into(),
            )),
        }
    }
}

/// Encodes a log index as the `logs` key (big-endian, so LMDB order is log order).
pub fn index_key(index: u64) -> [u8; 8] {
    index.to_be_bytes()
}
