//! TEMPORARY STUB (replaced by the real MVCC store on merge).
#![allow(missing_docs)]
pub mod watchable_store;
use crate::pb::etcdserverpb::{RangeRequest, RangeResponse};
use crate::pb::mvccpb::{Event, KeyValue};
#[derive(Debug, thiserror::Error)]
pub enum MvccError {
    #[error("mvcc: required revision has been compacted")]
    Compacted,
    #[error("mvcc: required revision is a future revision")]
    FutureRev,
    #[error("storage: {0}")]
    Storage(#[from] heed::Error),
    #[error("corrupt: {0}")]
    Corrupt(String),
}
#[derive(Debug, Clone, Copy)]
pub struct KvStore;
impl KvStore {
    pub fn open<T>(_env: &heed::Env<T>) -> Result<KvStore, MvccError> { Ok(KvStore) }
    pub fn current_revision(&self, _t: &heed::RoTxn) -> Result<i64, MvccError> { Ok(1) }
    pub fn range(&self, _t: &heed::RoTxn, _r: &RangeRequest) -> Result<RangeResponse, MvccError> { Ok(RangeResponse::default()) }
    pub fn compact_revision(&self, _t: &heed::RoTxn) -> Result<i64, MvccError> { Ok(-1) }
    pub fn get_at(&self, _t: &heed::RoTxn, _k: &[u8], _r: i64) -> Result<Option<KeyValue>, MvccError> { Ok(None) }
    pub fn events_between(&self, _t: &heed::RoTxn, _from: i64, to: i64, _limit: usize) -> Result<(Vec<Event>, i64), MvccError> { Ok((vec![], to)) }
}
