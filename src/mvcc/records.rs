//! Raw walk of the `key` database for exports: every stored revision in revision order, as
//! etcd's `key` bucket holds it (17-byte revision key, 18 with the tombstone `t`, and the
//! `mvccpb.KeyValue` payload without our CRC). Depends on: storage (record), heed.

use heed::RoTxn;

use super::kv_store::{KvStore, MvccError};

impl KvStore {
    /// Calls `f(revision key, KeyValue bytes)` for every record of the `key` database in
    /// revision order, checking each record's CRC-32C. Streams: nothing is collected.
    ///
    /// # Errors
    /// `f`'s errors; [`MvccError::Storage`] and [`MvccError::Checksum`] as `E`.
    pub(crate) fn for_each_record<E, F>(&self, txn: &RoTxn, mut f: F) -> Result<(), E>
    where
        E: From<MvccError>,
        F: FnMut(&[u8], &[u8]) -> Result<(), E>,
    {
        for item in self.key_db().iter(txn).map_err(MvccError::from)? {
            let (k, v) = item.map_err(MvccError::from)?;
            let payload = super::record::open(v, || {
                format!("key database record {}", String::from_utf8_lossy(k))
            })
            .map_err(MvccError::from)?;
            f(k, payload)?;
        }
        Ok(())
    }
}
