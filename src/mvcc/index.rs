//! The persisted key index (etcd's `treeIndex`, on disk): user key → [`KeyIndex`] in the `index`
//! LMDB database, ordered by user key.
//!
//! LMDB limits keys to 511 bytes while etcd accepts much longer keys, so a user key longer than
//! [`MAX_DIRECT_KEY`] bytes is stored in a *bucket*: the LMDB key is its first `MAX_DIRECT_KEY`
//! bytes followed by `0x00`, and the value lists every long key with that prefix (sorted) with its
//! index. This keeps LMDB order equal to user-key order: every long key with prefix `P` sorts
//! after `P` and after `P ++ [0]`, and before any other key a direct entry can hold.
//!
//! Depends only on heed and the sibling modules.

use std::borrow::Cow;
use std::ops::Bound;

use heed::types::Bytes;
use heed::{Database, RoTxn, RwTxn};

use super::key_index::KeyIndex;
use super::kv_store::MvccError;

/// User keys up to this many bytes are LMDB keys themselves; longer ones go into buckets.
pub const MAX_DIRECT_KEY: usize = 400;

/// Handle to the `index` database. Cheap to copy.
#[derive(Debug, Clone, Copy)]
pub struct Index {
    db: Database<'static, Bytes, Bytes>,
}

impl Index {
    /// Bytes of pages the `index` database uses.
    ///
    /// # Errors
    /// LMDB errors.
    pub fn size_in_use(&self, txn: &heed::RoTxn) -> heed::Result<u64> {
        Ok(self.db.stat(txn)?.non_free_page_size() as u64)
    }

    /// The raw database, for tests that damage records.
    #[cfg(test)]
    pub(crate) fn db_for_tests(&self) -> Database<'static, Bytes, Bytes> {
        self.db
    }

    /// Whether the `index` database holds no entry.
    ///
    /// # Errors
    /// LMDB errors.
    pub fn is_empty(&self, txn: &heed::RoTxn) -> heed::Result<bool> {
        Ok(self.db.first(txn)?.is_none())
    }
}

/// The LMDB key holding `key`: the key itself, or its bucket key.
fn slot(key: &[u8]) -> Cow<'_, [u8]> {
    if key.len() <= MAX_DIRECT_KEY {
        Cow::Borrowed(key)
    } else {
        let mut b = Vec::with_capacity(MAX_DIRECT_KEY + 1);
        b.extend_from_slice(&key[..MAX_DIRECT_KEY]);
        b.push(0);
        Cow::Owned(b)
    }
}

fn is_bucket(lmdb_key: &[u8]) -> bool {
    lmdb_key.len() > MAX_DIRECT_KEY
}

fn corrupt(msg: impl Into<String>) -> MvccError {
    MvccError::Corrupt(msg.into())
}

fn decode_ki(bytes: &[u8]) -> Result<KeyIndex, MvccError> {
    KeyIndex::decode(bytes).map_err(|e| corrupt(e.to_string()))
}

/// The payload of an `index` database value after checking its CRC-32C
/// ([`super::record`]).
fn unseal(stored: &[u8]) -> Result<&[u8], MvccError> {
    Ok(super::record::open(stored, || {
        "index database record".to_string()
    })?)
}

/// One long user key and its encoded [`KeyIndex`].
type BucketEntry = (Vec<u8>, Vec<u8>);

/// A bucket value: repeated (u32 key length, key, u32 index length, encoded index), big-endian,
/// sorted by key.
fn decode_bucket(mut bytes: &[u8]) -> Result<Vec<BucketEntry>, MvccError> {
    fn take<'a>(bytes: &mut &'a [u8]) -> Result<&'a [u8], MvccError> {
        let len: [u8; 4] = bytes
            .get(..4)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| corrupt("truncated index bucket"))?;
        let len =
            usize::try_from(u32::from_be_bytes(len)).map_err(|_| corrupt("index bucket length"))?;
        let rest = &bytes[4..];
        if rest.len() < len {
            return Err(corrupt("truncated index bucket"));
        }
        let (item, tail) = rest.split_at(len);
        *bytes = tail;
        Ok(item)
    }
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let k = take(&mut bytes)?.to_vec();
        let v = take(&mut bytes)?.to_vec();
        out.push((k, v));
    }
    Ok(out)
}

fn encode_bucket(entries: &[BucketEntry]) -> Vec<u8> {
    let mut out = Vec::new();
    for (k, v) in entries {
        for part in [k, v] {
            let len =
                u32::try_from(part.len()).expect("invariant: keys and indexes are below 4 GiB");
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(part);
        }
    }
    out
}

impl Index {
    /// Wraps the `index` database handle.
    pub fn new(db: Database<'static, Bytes, Bytes>) -> Self {
        Index { db }
    }

    /// The index of `key`, if any.
    ///
    /// # Errors
    /// Storage errors or [`MvccError::Corrupt`].
    pub fn get(&self, txn: &RoTxn, key: &[u8]) -> Result<Option<KeyIndex>, MvccError> {
        if key.is_empty() {
            return Ok(None);
        }
        let slot = slot(key);
        let Some(v) = self.db.get(txn, &slot)? else {
            return Ok(None);
        };
        let v = unseal(v)?;
        if !is_bucket(&slot) {
            return decode_ki(v).map(Some);
        }
        match decode_bucket(v)?.into_iter().find(|(k, _)| k == key) {
            Some((_, ki)) => decode_ki(&ki).map(Some),
            None => Ok(None),
        }
    }

    /// Stores the index of `key` (not empty).
    ///
    /// # Errors
    /// Storage errors or [`MvccError::Corrupt`].
    pub fn put(&self, wtxn: &mut RwTxn, key: &[u8], ki: &KeyIndex) -> Result<(), MvccError> {
        let slot = slot(key);
        if !is_bucket(&slot) {
            self.db
                .put(wtxn, &slot, &super::record::seal(&ki.encode()))?;
            return Ok(());
        }
        let mut entries = match self.db.get(wtxn, &slot)? {
            Some(v) => decode_bucket(unseal(v)?)?,
            None => Vec::new(),
        };
        match entries.binary_search_by(|(k, _)| k.as_slice().cmp(key)) {
            Ok(i) => entries[i].1 = ki.encode(),
            Err(i) => entries.insert(i, (key.to_vec(), ki.encode())),
        }
        self.db
            .put(wtxn, &slot, &super::record::seal(&encode_bucket(&entries)))?;
        Ok(())
    }

    /// Removes the index of `key` (a no-op if absent).
    ///
    /// # Errors
    /// Storage errors or [`MvccError::Corrupt`].
    pub fn delete(&self, wtxn: &mut RwTxn, key: &[u8]) -> Result<(), MvccError> {
        let slot = slot(key);
        if !is_bucket(&slot) {
            self.db.delete(wtxn, &slot)?;
            return Ok(());
        }
        let Some(v) = self.db.get(wtxn, &slot)? else {
            return Ok(());
        };
        let mut entries = decode_bucket(unseal(v)?)?;
        entries.retain(|(k, _)| k != key);
        if entries.is_empty() {
            self.db.delete(wtxn, &slot)?;
        } else {
            self.db
                .put(wtxn, &slot, &super::record::seal(&encode_bucket(&entries)))?;
        }
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
        if end.is_some_and(|e| e <= start) {
            return Ok(());
        }
        let lower = slot(start);
        let upper = end.map(|e| (slot(e), e.len() > MAX_DIRECT_KEY));
        let lower_bound = if lower.is_empty() {
            Bound::Unbounded
        } else {
            Bound::Included(&lower[..])
        };
        // A long end key's own bucket may hold keys below it, so include that bucket.
        let upper_bound = match &upper {
            None => Bound::Unbounded,
            Some((s, true)) => Bound::Included(&s[..]),
            Some((s, false)) => Bound::Excluded(&s[..]),
        };
        let in_range = |k: &[u8]| k >= start && end.is_none_or(|e| k < e);
        for item in self.db.range(txn, &(lower_bound, upper_bound))? {
            let (k, v) = item?;
            let v = unseal(v)?;
            if !is_bucket(k) {
                if in_range(k) {
                    f(k, decode_ki(v)?)?;
                }
                continue;
            }
            for (bk, bv) in decode_bucket(v)? {
                if in_range(&bk) {
                    f(&bk, decode_ki(&bv)?)?;
                }
            }
        }
        Ok(())
    }
}
