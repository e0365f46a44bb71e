//! The `member/wal` environment's databases: the Raft metadata ([`super::schema::RAFT_META`],
//! keys `WAL_*` in [`super::schema`]) and the Raft log's entries as older versions kept them
//! ([`super::schema::LOGS`]; entries now live in [`super::segment_log`] files, and
//! `raft::log_store::LogStore::open` moves any left here into them; offline seeding
//! (`snapshot restore`) still writes its first entry here).

use heed::types::{Bytes, Str};
use heed::Database;

use super::schema::{self, create_tables};
use super::{Env, StorageError};

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
        let (logs, meta) = create_tables(env, |c| {
            Ok((
                c.create::<Bytes, Bytes>(&schema::LOGS)?,
                c.create::<Str, Bytes>(&schema::RAFT_META)?,
            ))
        })?;
        Ok(WalDbs { logs, meta })
    }
}

/// Encodes a log index as the `logs` key (big-endian, so LMDB order is log order).
pub fn index_key(index: u64) -> [u8; 8] {
    index.to_be_bytes()
}
