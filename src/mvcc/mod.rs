//! TEMPORARY STUB (replaced by the real MVCC store on merge).
#![allow(missing_docs)]
use crate::pb::etcdserverpb::{RangeRequest, RangeResponse};
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
}
