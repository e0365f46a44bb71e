//! Leases: the replicated lease table and key attachments in LMDB ([`LeaseStore`]), the
//! leader's in-memory expiry clock ([`lessor::Lessor`]) and the gate that makes it primary
//! ([`lessor::QuorumGate`]).
//!
//! Follows etcd's `lease/lessor.go`: TTLs in seconds, a minimum TTL derived from the
//! election timeout, `MaxLeaseTTL` = 9,000,000,000 s. Expiry is decided only by a primary
//! lessor (on the leader, while a quorum acknowledges it) and applied as a `LeaseRevoke` log
//! entry; keep-alives renew in memory; a promotion extends every lease to its TTL from then.
//!
//! Depends on: storage (heed), pb. No tonic, no openraft.

pub mod lessor;

use heed::types::Bytes;
use heed::{Database, RoTxn, RwTxn};

use crate::storage::keymap::{KeyMap, KeyMapError};
use crate::storage::record;
use crate::storage::schema;

/// etcd's `MaxLeaseTTL`, in seconds.
pub const MAX_LEASE_TTL: i64 = 9_000_000_000;

/// Errors of the lease table.
#[derive(Debug, thiserror::Error)]
pub enum LeaseError {
    /// LMDB failure.
    #[error("lease storage: {0}")]
    Storage(#[from] heed::Error),
    /// A stored record does not decode.
    #[error("lease storage: corrupt record: {0}")]
    Corrupt(String),
    /// A stored value's CRC-32C does not match its bytes (a damaged data file): the value
    /// is not returned ([`crate::storage::record`]).
    #[error("lease storage: {0}")]
    Checksum(#[from] crate::storage::record::ChecksumMismatch),
}

impl From<KeyMapError> for LeaseError {
    fn from(e: KeyMapError) -> LeaseError {
        match e {
            KeyMapError::Storage(h) => LeaseError::Storage(h),
            KeyMapError::Corrupt(m) => LeaseError::Corrupt(m),
        }
    }
}

/// One lease as stored: its ID and granted TTL in seconds (etcd's `leasepb.Lease`).
#[derive(Clone, PartialEq, prost::Message)]
pub struct LeaseRecord {
    /// Lease ID (> 0).
    #[prost(int64, tag = "1")]
    pub id: i64,
    /// Granted TTL in seconds (after raising to the minimum TTL).
    #[prost(int64, tag = "2")]
    pub ttl: i64,
}

/// Handles to the `lease` (ID → [`LeaseRecord`]) and `lease_keys` (ID ‖ key → ∅) databases;
/// `lease_keys` is a [`KeyMap`], so a key of any length can be attached. Every value is
/// sealed with its CRC-32C ([`record`]; an attachment's value is the seal of nothing) and
/// checked on read.
#[derive(Debug, Clone, Copy)]
pub struct LeaseStore {
    leases: Database<'static, Bytes, Bytes>,
    keys: KeyMap,
}

fn id_key(id: i64) -> [u8; 8] {
    id.to_be_bytes()
}

fn attach_key(id: i64, key: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(8 + key.len());
    k.extend_from_slice(&id.to_be_bytes());
    k.extend_from_slice(key);
    k
}

impl LeaseStore {
    /// Creates or opens the lease databases in their own committed transaction.
    ///
    /// # Errors
    /// [`LeaseError::Storage`].
    pub fn open<T>(env: &heed::Env<T>) -> Result<LeaseStore, LeaseError> {
        let (leases, keys) = schema::create_tables(env, |c| {
            Ok((
                c.create::<Bytes, Bytes>(&schema::LEASE)?,
                c.create::<Bytes, Bytes>(&schema::LEASE_KEYS)?,
            ))
        })?;
        Ok(LeaseStore {
            leases,
            keys: KeyMap::new(keys),
        })
    }

    /// The lease with this ID, if granted and not revoked.
    ///
    /// # Errors
    /// Storage or decoding errors; [`LeaseError::Checksum`] for a damaged record.
    pub fn get(&self, txn: &RoTxn, id: i64) -> Result<Option<LeaseRecord>, LeaseError> {
        match self.leases.get(txn, &id_key(id))? {
            None => Ok(None),
            Some(b) => decode_lease(b).map(Some),
        }
    }

    /// Stores a granted lease.
    ///
    /// # Errors
    /// Storage errors.
    pub fn put(&self, txn: &mut RwTxn, rec: &LeaseRecord) -> Result<(), LeaseError> {
        self.leases.put(
            txn,
            &id_key(rec.id),
            &record::seal(&prost::Message::encode_to_vec(rec)),
        )?;
        Ok(())
    }

    /// Deletes a lease and its attachment rows.
    ///
    /// # Errors
    /// Storage errors.
    pub fn delete(&self, txn: &mut RwTxn, id: i64) -> Result<(), LeaseError> {
        self.leases.delete(txn, &id_key(id))?;
        let keys = self.keys(txn, id)?;
        for k in keys {
            self.keys.delete(txn, &attach_key(id, &k))?;
        }
        Ok(())
    }

    /// Every lease, by ID.
    ///
    /// # Errors
    /// Storage or decoding errors; [`LeaseError::Checksum`] for a damaged record.
    pub fn list(&self, txn: &RoTxn) -> Result<Vec<LeaseRecord>, LeaseError> {
        let mut out = Vec::new();
        for item in self.leases.iter(txn)? {
            let (_, v) = item?;
            out.push(decode_lease(v)?);
        }
        Ok(out)
    }

    /// The keys attached to a lease, in key order.
    ///
    /// # Errors
    /// Storage errors; [`LeaseError::Checksum`] for a damaged attachment record.
    pub fn keys(&self, txn: &RoTxn, id: i64) -> Result<Vec<Vec<u8>>, LeaseError> {
        let prefix = id_key(id);
        let mut out = Vec::new();
        self.keys
            .for_each_prefix::<LeaseError>(txn, &prefix, |k, v| {
                record::open(v, || format!("lease_keys record of lease {id:x}"))?;
                out.push(k[prefix.len()..].to_vec());
                Ok(())
            })?;
        Ok(out)
    }

    /// Bytes of pages the lease databases use.
    ///
    /// # Errors
    /// Storage errors.
    pub fn size_in_use(&self, txn: &RoTxn) -> Result<u64, LeaseError> {
        Ok((self.leases.stat(txn)?.non_free_page_size()
            + self.keys.database().stat(txn)?.non_free_page_size()) as u64)
    }

    /// Records that `key` is attached to lease `id`.
    ///
    /// # Errors
    /// Storage errors.
    pub fn attach(&self, txn: &mut RwTxn, id: i64, key: &[u8]) -> Result<(), LeaseError> {
        self.keys
            .put(txn, &attach_key(id, key), &record::seal(&[]))?;
        Ok(())
    }

    /// The raw `lease` database (tests damage its records).
    #[cfg(test)]
    pub(crate) fn records_database(&self) -> Database<'static, Bytes, Bytes> {
        self.leases
    }

    /// Records that `key` is no longer attached to lease `id`.
    ///
    /// # Errors
    /// Storage errors.
    pub fn detach(&self, txn: &mut RwTxn, id: i64, key: &[u8]) -> Result<(), LeaseError> {
        self.keys.delete(txn, &attach_key(id, key))?;
        Ok(())
    }
}

/// Decodes a `lease` value after checking its CRC-32C.
fn decode_lease(stored: &[u8]) -> Result<LeaseRecord, LeaseError> {
    let payload = record::open(stored, || "lease record".to_string())?;
    prost::Message::decode(payload)
        .map_err(|e: prost::DecodeError| LeaseError::Corrupt(e.to_string()))
}

/// etcd's minimum lease TTL in seconds: ceil(1.5 × election timeout), where the election
/// timeout is `election_ticks × heartbeat` (`etcdserver/server.go`).
pub fn min_lease_ttl(heartbeat_ms: u64, election_ms: u64) -> i64 {
    let heartbeat_ms = heartbeat_ms.max(1);
    let ticks = election_ms / heartbeat_ms;
    let min_ms = (3 * ticks / 2) * heartbeat_ms;
    min_ms.div_ceil(1000) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn min_ttl_matches_etcd_defaults() {
        // 100 ms heartbeat, 1000 ms election: (3*10/2)*100ms = 1.5 s → 2 s.
        assert_eq!(min_lease_ttl(100, 1000), 2);
        assert_eq!(min_lease_ttl(100, 500), 1);
    }

    #[test]
    fn table_and_attachments() {
        let dir = tempfile::tempdir().expect("tempdir");
        let env =
            crate::storage::open_env(dir.path(), crate::storage::EnvKind::State).expect("env");
        let store = LeaseStore::open(&env).expect("open");
        let mut w = env.write_txn().expect("txn");
        store
            .put(&mut w, &LeaseRecord { id: 7, ttl: 10 })
            .expect("put");
        store.attach(&mut w, 7, b"a").expect("attach");
        store.attach(&mut w, 7, b"b").expect("attach");
        store.detach(&mut w, 7, b"a").expect("detach");
        w.commit().expect("commit");
        let r = env.read_txn().expect("txn");
        assert_eq!(
            store.get(&r, 7).expect("get"),
            Some(LeaseRecord { id: 7, ttl: 10 })
        );
        assert_eq!(store.keys(&r, 7).expect("keys"), vec![b"b".to_vec()]);
        drop(r);
        let mut w = env.write_txn().expect("txn");
        store.delete(&mut w, 7).expect("delete");
        w.commit().expect("commit");
        let r = env.read_txn().expect("txn");
        assert!(store.get(&r, 7).expect("get").is_none());
        assert!(store.keys(&r, 7).expect("keys").is_empty());
    }

    #[test]
    fn flipped_byte_in_lease_or_attachment_is_a_checksum_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let env =
            crate::storage::open_env(dir.path(), crate::storage::EnvKind::State).expect("env");
        let store = LeaseStore::open(&env).expect("open");
        let mut w = env.write_txn().expect("txn");
        store
            .put(&mut w, &LeaseRecord { id: 7, ttl: 10 })
            .expect("put");
        store.attach(&mut w, 7, b"a").expect("attach");
        w.commit().expect("commit");
        crate::storage::record::flip_stored_values(&env, store.leases);
        let r = env.read_txn().expect("txn");
        assert!(matches!(store.get(&r, 7), Err(LeaseError::Checksum(_))));
        assert!(matches!(store.list(&r), Err(LeaseError::Checksum(_))));
        assert_eq!(store.keys(&r, 7).expect("keys"), vec![b"a".to_vec()]);
        drop(r);
        crate::storage::record::flip_stored_values(&env, store.keys.database());
        let r = env.read_txn().expect("txn");
        assert!(matches!(store.keys(&r, 7), Err(LeaseError::Checksum(_))));
    }
}
