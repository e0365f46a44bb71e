//! Schema of the `member/wal` environment: the Raft log and the Raft metadata.
//!
//! - `logs`: 8-byte big-endian log index → encoded log entry (opaque bytes here).
//! - `raft_meta`: string key → encoded value (`vote`, `committed`, `last_purged`).

use heed::types::{Bytes, Str};
use heed::{CommitOrAbort, Database};

use super::{Env, StorageError};

/// Key of the persisted vote in `raft_meta`.
pub const META_VOTE: &str = "vote";
/// Key of the last committed log id in `raft_meta`.
#[allow(
    dead_code,
    reason = "no caller since the module became pub(crate); kept for review"
)]
pub const META_COMMITTED: &str = "committed";
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

/// Decodes a `logs` key.
///
/// # Errors
/// [`StorageError::Corrupt`] if the key is not 8 bytes.
#[allow(
    dead_code,
    reason = "no caller since the module became pub(crate); kept for review"
)]
pub fn decode_index_key(key: &[u8]) -> Result<u64, StorageError> {
    let arr: [u8; 8] = key
        .try_into()
        .map_err(|_| StorageError::Corrupt(format!("log key of {} bytes", key.len())))?;
    Ok(u64::from_be_bytes(arr))
}
