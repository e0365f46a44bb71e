//! A length-safe map over one LMDB database: any non-empty byte string is a key, whatever its
//! length, while LMDB itself refuses keys longer than 511 bytes (`MDB_BAD_VALSIZE`).
//!
//! Every place where a request field becomes an LMDB key (the MVCC key index, auth users and
//! roles, lease → key attachments) goes through [`KeyMap`], so no input length can make a put
//! fail in LMDB.
//!
//! Layout (unchanged from the key index's original format):
//! - a key up to [`MAX_DIRECT_KEY`] bytes is its own LMDB key, holding the value as is;
//! - a longer key lives in a *bucket*: the LMDB key is its first [`MAX_DIRECT_KEY`] bytes
//!   followed by a `0x00` marker, and the bucket's value lists every long key with that prefix,
//!   sorted, with its value: repeated (u32 key length, key, u32 value length, value), big-endian.
//!
//! LMDB order then equals user-key order: every long key with prefix `P` sorts after `P` and
//! after `P ++ [0]`, and before any other key a direct entry can hold (a direct key sharing the
//! 400-byte prefix `P` can only be `P` itself), so range scans need no sorting.
//!
//! The empty key is not storable (LMDB refuses it): [`KeyMap::get`] finds nothing for it,
//! [`KeyMap::delete`] deletes nothing, and [`KeyMap::put`] returns LMDB's own
//! `MDB_BAD_VALSIZE`, a deterministic error for apply to report.
//!
//! Values are opaque bytes: their encoding belongs to the caller.
//!
//! Depends on: heed only.

use std::borrow::Cow;
use std::ops::Bound;

use crate::keys::prefix_range_end;
use heed::types::Bytes;
use heed::{Database, RoTxn, RwTxn};

/// Keys up to this many bytes are LMDB keys themselves; longer ones go into buckets.
pub const MAX_DIRECT_KEY: usize = 400;

/// Errors of a [`KeyMap`].
#[derive(Debug, thiserror::Error)]
pub enum KeyMapError {
    /// LMDB failed (including `MDB_BAD_VALSIZE` for an empty key).
    #[error("keymap storage: {0}")]
    Storage(#[from] heed::Error),
    /// A bucket does not decode.
    #[error("keymap: corrupt bucket: {0}")]
    Corrupt(String),
}

/// One long key and its value in a bucket.
type BucketEntry = (Vec<u8>, Vec<u8>);

/// A length-safe typed wrapper over a `Bytes → Bytes` database. Cheap to copy.
#[derive(Debug, Clone, Copy)]
pub struct KeyMap {
    db: Database<'static, Bytes, Bytes>,
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

/// A bucket's LMDB key: a 400-byte prefix and the `0x00` marker.
fn is_bucket(lmdb_key: &[u8]) -> bool {
    lmdb_key.len() == MAX_DIRECT_KEY + 1 && lmdb_key.last() == Some(&0)
}

fn corrupt(msg: &str) -> KeyMapError {
    KeyMapError::Corrupt(msg.to_string())
}

fn decode_bucket(mut bytes: &[u8]) -> Result<Vec<BucketEntry>, KeyMapError> {
    fn take<'a>(bytes: &mut &'a [u8]) -> Result<&'a [u8], KeyMapError> {
        let len: [u8; 4] = bytes
            .get(..4)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| corrupt("truncated bucket"))?;
        let len = usize::try_from(u32::from_be_bytes(len)).map_err(|_| corrupt("bucket length"))?;
        let rest = &bytes[4..];
        if rest.len() < len {
            return Err(corrupt("truncated bucket"));
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

fn encode_bucket(entries: &[BucketEntry]) -> Result<Vec<u8>, KeyMapError> {
    let mut out = Vec::new();
    for (k, v) in entries {
        for part in [k, v] {
            // A part of 4 GiB or more cannot be framed: LMDB's own size error, deterministic.
            let len = u32::try_from(part.len())
                .map_err(|_| KeyMapError::Storage(heed::Error::Mdb(heed::MdbError::BadValSize)))?;
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(part);
        }
    }
    Ok(out)
}

impl KeyMap {
    /// Wraps a database handle.
    pub fn new(db: Database<'static, Bytes, Bytes>) -> Self {
        KeyMap { db }
    }

    /// The underlying database (for statistics).
    pub fn database(&self) -> Database<'static, Bytes, Bytes> {
        self.db
    }

    /// The value of `key`, if any (none for the empty key).
    ///
    /// # Errors
    /// [`KeyMapError::Storage`], [`KeyMapError::Corrupt`].
    pub fn get<'t>(
        &self,
        txn: &'t RoTxn,
        key: &[u8],
    ) -> Result<Option<Cow<'t, [u8]>>, KeyMapError> {
        if key.is_empty() {
            return Ok(None);
        }
        let slot = slot(key);
        let Some(v) = self.db.get(txn, &slot)? else {
            return Ok(None);
        };
        if key.len() <= MAX_DIRECT_KEY {
            return Ok(Some(Cow::Borrowed(v)));
        }
        Ok(decode_bucket(v)?
            .into_iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| Cow::Owned(v)))
    }

    /// Stores `value` under `key`, replacing any previous value.
    ///
    /// # Errors
    /// [`KeyMapError::Storage`] (`MDB_BAD_VALSIZE` for the empty key), [`KeyMapError::Corrupt`].
    pub fn put(&self, wtxn: &mut RwTxn, key: &[u8], value: &[u8]) -> Result<(), KeyMapError> {
        let slot = slot(key);
        if key.len() <= MAX_DIRECT_KEY {
            self.db.put(wtxn, &slot, value)?;
            return Ok(());
        }
        let mut entries = match self.db.get(wtxn, &slot)? {
            Some(v) => decode_bucket(v)?,
            None => Vec::new(),
        };
        match entries.binary_search_by(|(k, _)| k.as_slice().cmp(key)) {
            Ok(i) => entries[i].1 = value.to_vec(),
            Err(i) => entries.insert(i, (key.to_vec(), value.to_vec())),
        }
        self.db.put(wtxn, &slot, &encode_bucket(&entries)?)?;
        Ok(())
    }

    /// Removes `key`; whether it was present.
    ///
    /// # Errors
    /// [`KeyMapError::Storage`], [`KeyMapError::Corrupt`].
    pub fn delete(&self, wtxn: &mut RwTxn, key: &[u8]) -> Result<bool, KeyMapError> {
        if key.is_empty() {
            return Ok(false);
        }
        let slot = slot(key);
        if key.len() <= MAX_DIRECT_KEY {
            return Ok(self.db.delete(wtxn, &slot)?);
        }
        let Some(v) = self.db.get(wtxn, &slot)? else {
            return Ok(false);
        };
        let mut entries = decode_bucket(v)?;
        let before = entries.len();
        entries.retain(|(k, _)| k != key);
        if entries.len() == before {
            return Ok(false);
        }
        if entries.is_empty() {
            self.db.delete(wtxn, &slot)?;
        } else {
            self.db.put(wtxn, &slot, &encode_bucket(&entries)?)?;
        }
        Ok(true)
    }

    /// Calls `f` with each key in `[start, end)` (`end = None`: no upper bound) and its value,
    /// in key order.
    ///
    /// # Errors
    /// Storage or bucket errors (converted into `E`), or whatever `f` returns.
    pub fn for_each_in<E: From<KeyMapError>>(
        &self,
        txn: &RoTxn,
        start: &[u8],
        end: Option<&[u8]>,
        mut f: impl FnMut(&[u8], &[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        if end.is_some_and(|e| e <= start) {
            return Ok(());
        }
        let lower = slot(start);
        // A long end key: entries of the bucket of its 400-byte prefix may sort below it, so
        // the scan runs to the end of that prefix.
        let upper = end.map(|e| {
            if e.len() > MAX_DIRECT_KEY {
                match prefix_range_end(&e[..MAX_DIRECT_KEY]) {
                    Some(pe) => (Cow::Owned(pe), false),
                    None => (Cow::Borrowed(&[][..]), true),
                }
            } else {
                (Cow::Borrowed(e), false)
            }
        });
        let lower_bound = if lower.is_empty() {
            Bound::Unbounded
        } else {
            Bound::Included(&lower[..])
        };
        let upper_bound = match &upper {
            None | Some((_, true)) => Bound::Unbounded,
            Some((s, false)) => Bound::Excluded(&s[..]),
        };
        let in_range = |k: &[u8]| k >= start && end.is_none_or(|e| k < e);
        let range = self
            .db
            .range(txn, &(lower_bound, upper_bound))
            .map_err(KeyMapError::from)?;
        for item in range {
            let (k, v) = item.map_err(KeyMapError::from)?;
            if k.len() <= MAX_DIRECT_KEY {
                if in_range(k) {
                    f(k, v)?;
                }
            } else if is_bucket(k) {
                // A bucket's entries are kept sorted and sort right after its prefix.
                for (bk, bv) in decode_bucket(v)? {
                    if in_range(&bk) {
                        f(&bk, &bv)?;
                    }
                }
            } else {
                return Err(corrupt("a long key outside its bucket").into());
            }
        }
        Ok(())
    }

    /// Calls `f` with every key starting with `prefix` and its value, in key order.
    ///
    /// # Errors
    /// As [`KeyMap::for_each_in`].
    pub fn for_each_prefix<E: From<KeyMapError>>(
        &self,
        txn: &RoTxn,
        prefix: &[u8],
        f: impl FnMut(&[u8], &[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        let end = prefix_range_end(prefix);
        self.for_each_in(txn, prefix, end.as_deref(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open() -> (tempfile::TempDir, crate::storage::Env, KeyMap) {
        let dir = tempfile::tempdir().expect("tempdir");
        let env =
            crate::storage::open_env(dir.path(), crate::storage::EnvKind::State).expect("env");
        let wtxn = env.write_txn().expect("txn");
        let c = env
            .create_databases_and_commit(wtxn, |opener, wtxn| -> Result<_, heed::Error> {
                let db = opener.create_database::<Bytes, Bytes>(wtxn, Some("t"))?;
                Ok(heed::CommitOrAbort::<_, ()>::Commit(db))
            })
            .expect("db");
        let heed::CommitOrAbort::Commit(db) = c else {
            panic!("aborted")
        };
        (dir, env, KeyMap::new(db))
    }

    fn all(env: &crate::storage::Env, m: &KeyMap) -> Vec<(Vec<u8>, Vec<u8>)> {
        let rtxn = env.read_txn().expect("rtxn");
        let mut out = Vec::new();
        m.for_each_in::<KeyMapError>(&rtxn, b"", None, |k, v| {
            out.push((k.to_vec(), v.to_vec()));
            Ok(())
        })
        .expect("scan");
        out
    }

    #[test]
    fn any_length_round_trips_and_deletes() {
        let (_d, env, m) = open();
        let lens = [1usize, 399, 400, 401, 511, 512, 600, 100_000];
        let mut wtxn = env.write_txn().expect("txn");
        for &n in &lens {
            let key = vec![b'k'; n];
            m.put(&mut wtxn, &key, &n.to_be_bytes()).expect("put");
        }
        for &n in &lens {
            let key = vec![b'k'; n];
            let v = m.get(&wtxn, &key).expect("get").expect("present");
            assert_eq!(&v[..], &n.to_be_bytes());
        }
        wtxn.commit().expect("commit");
        let keys: Vec<usize> = all(&env, &m).iter().map(|(k, _)| k.len()).collect();
        assert_eq!(keys, lens.to_vec(), "scan in key order");
        let mut wtxn = env.write_txn().expect("txn");
        for &n in &lens {
            assert!(m.delete(&mut wtxn, &vec![b'k'; n]).expect("delete"));
            assert!(!m.delete(&mut wtxn, &vec![b'k'; n]).expect("delete again"));
            assert!(m.get(&wtxn, &vec![b'k'; n]).expect("get").is_none());
        }
        wtxn.commit().expect("commit");
        assert!(all(&env, &m).is_empty());
        let rtxn = env.read_txn().expect("rtxn");
        assert!(
            m.database().is_empty(&rtxn).expect("empty"),
            "buckets removed"
        );
    }

    #[test]
    fn empty_key_is_absent_and_refused_deterministically() {
        let (_d, env, m) = open();
        let mut wtxn = env.write_txn().expect("txn");
        assert!(m.get(&wtxn, b"").expect("get").is_none());
        assert!(!m.delete(&mut wtxn, b"").expect("delete"));
        let err = m.put(&mut wtxn, b"", b"v").expect_err("empty key refused");
        assert!(matches!(
            err,
            KeyMapError::Storage(heed::Error::Mdb(heed::MdbError::BadValSize))
        ));
    }

    #[test]
    fn order_matches_byte_order_across_prefix_collisions() {
        let (_d, env, m) = open();
        let p = vec![b'a'; MAX_DIRECT_KEY];
        let mut keys: Vec<Vec<u8>> = vec![
            p.clone(),
            [&p[..], &[0u8]].concat(),
            [&p[..], &[0u8, 0]].concat(),
            [&p[..], b"b"].concat(),
            [&p[..], b"a", &[0xffu8; 200][..]].concat(),
            [&p[..], b"z"].concat(),
            vec![b'a'; MAX_DIRECT_KEY - 1],
            [&p[..MAX_DIRECT_KEY - 1], b"b"].concat(),
            [&p[..MAX_DIRECT_KEY - 1], b"b", b"x"].concat(),
            vec![0u8],
            vec![0xff; 700],
        ];
        let mut wtxn = env.write_txn().expect("txn");
        for (i, k) in keys.iter().enumerate() {
            m.put(&mut wtxn, k, &[i as u8]).expect("put");
        }
        // Overwrite one long key: still one entry.
        m.put(&mut wtxn, &keys[3], &[3]).expect("put again");
        wtxn.commit().expect("commit");
        keys.sort();
        let got: Vec<Vec<u8>> = all(&env, &m).into_iter().map(|(k, _)| k).collect();
        assert_eq!(got, keys);

        // Range bounds inside a bucket.
        let rtxn = env.read_txn().expect("rtxn");
        let mut seen = Vec::new();
        let start = [&p[..], &[0u8]].concat();
        let end = [&p[..], b"c"].concat();
        m.for_each_in::<KeyMapError>(&rtxn, &start, Some(&end), |k, _| {
            seen.push(k.to_vec());
            Ok(())
        })
        .expect("range");
        let want: Vec<Vec<u8>> = keys
            .iter()
            .filter(|k| **k >= start && **k < end)
            .cloned()
            .collect();
        assert_eq!(seen, want);
        assert_eq!(seen.len(), 4);
    }

    #[test]
    fn prefix_scan_covers_long_keys() {
        let (_d, env, m) = open();
        let mut wtxn = env.write_txn().expect("txn");
        let mut a = 7i64.to_be_bytes().to_vec();
        a.extend(vec![b'x'; 600]);
        let mut b = 8i64.to_be_bytes().to_vec();
        b.extend(vec![b'x'; 600]);
        m.put(&mut wtxn, &a, &[]).expect("put");
        m.put(&mut wtxn, &b, &[]).expect("put");
        m.put(&mut wtxn, &7i64.to_be_bytes(), &[]).expect("put");
        let mut seen = Vec::new();
        m.for_each_prefix::<KeyMapError>(&wtxn, &7i64.to_be_bytes(), |k, _| {
            seen.push(k.len());
            Ok(())
        })
        .expect("scan");
        assert_eq!(seen, vec![8, 608]);
        assert_eq!(prefix_range_end(&[1, 0xff]), Some(vec![2]));
        assert_eq!(prefix_range_end(&[0xff]), None);
    }
}
