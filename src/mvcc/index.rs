//! The persisted key index (etcd's `treeIndex`, on disk): user key → [`KeyIndex`] in the `index`
//! LMDB database, ordered by user key.
//!
//! LMDB limits keys to 511 bytes while etcd accepts much longer keys, so the index is a
//! [`KeyMap`] (`storage::keymap`): keys longer than [`MAX_DIRECT_KEY`] bytes are kept in
//! buckets, transparently, with LMDB order equal to user-key order.
//!
//! Depends only on heed, storage::keymap and the sibling modules.

use heed::types::Bytes;
use heed::{Database, RoTxn, RwTxn};

use super::key_index::KeyIndex;
use super::kv_store::MvccError;
use crate::storage::keymap::{KeyMap, KeyMapError};

#[allow(unused_imports, reason = "re-export named by kv_store tests only")]
pub use crate::storage::keymap::MAX_DIRECT_KEY;

/// Handle to the `index` database. Cheap to copy.
#[derive(Debug, Clone, Copy)]
pub struct Index {
    map: KeyMap,
}

impl From<KeyMapError> for MvccError {
    fn from(e: KeyMapError) -> MvccError {
        match e {
            KeyMapError::Storage(h) => MvccError::Storage(h),
            KeyMapError::Corrupt(m) => MvccError::Corrupt(format!("index: {m}")),
        }
    }
}

fn corrupt(msg: impl Into<String>) -> MvccError {
    MvccError::Corrupt(msg.into())
}

fn decode_ki(bytes: &[u8]) -> Result<KeyIndex, MvccError> {
    KeyIndex::decode(bytes).map_err(|e| corrupt(e.to_string()))
}

/// Decodes one stored index entry after checking its CRC-32C ([`super::record`]): every
/// entry (direct or inside a bucket) is `encoded KeyIndex ‖ CRC-32C`.
fn unseal_ki(stored: &[u8]) -> Result<KeyIndex, MvccError> {
    decode_ki(super::record::open(stored, || {
        "index database record".to_string()
    })?)
}

impl Index {
    /// Wraps the `index` database handle.
    pub fn new(db: Database<'static, Bytes, Bytes>) -> Self {
        Index {
            map: KeyMap::new(db),
        }
    }

    /// Bytes of pages the `index` database uses.
    ///
    /// # Errors
    /// LMDB errors.
    pub fn size_in_use(&self, txn: &heed::RoTxn) -> heed::Result<u64> {
        Ok(self.map.database().stat(txn)?.non_free_page_size() as u64)
    }

    /// Whether the `index` database holds no entry.
    ///
    /// # Errors
    /// LMDB errors.
    pub fn is_empty(&self, txn: &heed::RoTxn) -> heed::Result<bool> {
        Ok(self.map.database().first(txn)?.is_none())
    }

    /// How many keys are live (their newest generation is not closed by a tombstone): etcd's
    /// `etcd_debugging_mvcc_keys_total` as its index restore leaves it. Walks the whole index.
    ///
    /// # Errors
    /// Storage errors or [`MvccError::Corrupt`].
    pub fn live_keys(&self, txn: &RoTxn) -> Result<u64, MvccError> {
        let mut n = 0;
        self.map.for_each_in::<MvccError>(txn, &[0], None, |_, v| {
            if unseal_ki(v)?.get(i64::MAX).is_some() {
                n += 1;
            }
            Ok(())
        })?;
        Ok(n)
    }

    /// The raw database, for tests that damage records.
    #[cfg(test)]
    pub(crate) fn db_for_tests(&self) -> Database<'static, Bytes, Bytes> {
        self.map.database()
    }

    /// The index of `key`, if any.
    ///
    /// # Errors
    /// Storage errors or [`MvccError::Corrupt`].
    pub fn get(&self, txn: &RoTxn, key: &[u8]) -> Result<Option<KeyIndex>, MvccError> {
        match self.map.get(txn, key)? {
            Some(v) => unseal_ki(&v).map(Some),
            None => Ok(None),
        }
    }

    /// Stores the index of `key` (not empty).
    ///
    /// # Errors
    /// Storage errors or [`MvccError::Corrupt`].
    pub fn put(&self, wtxn: &mut RwTxn, key: &[u8], ki: &KeyIndex) -> Result<(), MvccError> {
        self.map
            .put(wtxn, key, &super::record::seal(&ki.encode()))?;
        Ok(())
    }

    /// Removes the index of `key` (a no-op if absent).
    ///
    /// # Errors
    /// Storage errors or [`MvccError::Corrupt`].
    pub fn delete(&self, wtxn: &mut RwTxn, key: &[u8]) -> Result<(), MvccError> {
        self.map.delete(wtxn, key)?;
        Ok(())
    }

    /// Calls `f` with each user key in `[start, end)` (`end = None`: no upper bound) and its
    /// index, in key order.
    ///
    /// # Errors
    /// Storage errors, [`MvccError::Corrupt`], or whatever `f` returns.
    pub fn for_each_in(
        &self,
        txn: &RoTxn,
        start: &[u8],
        end: Option<&[u8]>,
        mut f: impl FnMut(&[u8], KeyIndex) -> Result<(), MvccError>,
    ) -> Result<(), MvccError> {
        self.map
            .for_each_in(txn, start, end, |k, v| f(k, unseal_ki(v)?))
    }
}
