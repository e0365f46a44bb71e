//! TEMPORARY STUB.
#![allow(missing_docs)]
use crate::mvcc::{KvStore, MvccError};
use crate::pb::etcdserverpb::*;
use crate::pb::mvccpb::Event;
#[derive(Debug, thiserror::Error)]
pub enum KvApplyError { #[error("c")] Compacted, #[error("f")] FutureRev, #[error("k")] KeyNotFound, #[error("l")] LeaseNotFound, #[error("s")] Storage(#[from] MvccError) }
pub fn put(_s: &KvStore, _w: &mut heed::RwTxn, _r: &PutRequest, _l: &dyn Fn(i64) -> bool) -> Result<(PutResponse, Vec<Event>), KvApplyError> { Ok((PutResponse::default(), vec![])) }
pub fn delete_range(_s: &KvStore, _w: &mut heed::RwTxn, _r: &DeleteRangeRequest) -> Result<(DeleteRangeResponse, Vec<Event>), KvApplyError> { Ok((Default::default(), vec![])) }
pub fn txn(_s: &KvStore, _w: &mut heed::RwTxn, _r: &TxnRequest, _l: &dyn Fn(i64) -> bool) -> Result<(TxnResponse, Vec<Event>), KvApplyError> { Ok((Default::default(), vec![])) }
pub fn compaction(_s: &KvStore, _w: &mut heed::RwTxn, _r: &CompactionRequest) -> Result<CompactionResponse, KvApplyError> { Ok(Default::default()) }
