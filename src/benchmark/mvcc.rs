//! `etcd benchmark mvcc put`: etcd's storage benchmark (`tools/benchmark/cmd/mvcc-put.go`),
//! on our MVCC store directly, without Raft, gRPC or the network. It measures what one put
//! costs in the store: the key index lookup, the revision and key records, and (amortised)
//! the LMDB commit.
//!
//! As etcd's backend batches its bolt transactions (`--batch-interval` milliseconds,
//! `--batch-limit` writes), the puts go into one LMDB write transaction that is committed
//! when either bound is reached, and once at the end. With `--txn`, each measured request
//! puts `--txn-ops` keys under one revision and its latency is reported per key (etcd's
//! weighted report: latencies divided by the weight, requests/sec multiplied by it).

use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use super::report::{Outcome, Precision, Stats};
use super::{rand_bytes, Error};
use crate::mvcc::KvStore;
use crate::storage::{open_env, EnvKind};

/// The flags of `benchmark mvcc put` (etcd's defaults in brackets).
#[derive(Debug, Clone)]
pub struct MvccPutOptions {
    /// Measured requests (`--total` [100]).
    pub total: u64,
    /// Key size, bytes (`--key-size` [64]).
    pub key_size: usize,
    /// Value size, bytes (`--value-size` [64]).
    pub value_size: usize,
    /// Put `txn_ops` keys per request under one revision (`--txn`).
    pub txn: bool,
    /// Keys per request with `txn` (`--txn-ops` [1], ≥ 1).
    pub txn_ops: u64,
    /// Commit the write transaction at least this often (`--batch-interval` [100 ms]).
    pub batch_interval: Duration,
    /// Commit after this many puts (`--batch-limit` [10000], ≥ 1).
    pub batch_limit: u64,
    /// Number format of the report.
    pub precision: Precision,
}

/// Runs `benchmark mvcc put` on a fresh store under `dir` (which must not hold one) and
/// returns etcd's report text. Keys and values are random bytes, generated before the
/// clock starts, as etcd's tool does.
///
/// # Errors
/// [`Error::InvalidArgument`] for `--txn-ops 0` or `--batch-limit 0`; [`Error::Store`] if
/// the store cannot be created or a put or commit fails.
pub fn mvcc_put(dir: &Path, o: &MvccPutOptions) -> Result<String, Error> {
    if o.txn_ops == 0 || o.batch_limit == 0 {
        return Err(Error::InvalidArgument(
            "--txn-ops and --batch-limit must be at least 1".into(),
        ));
    }
    let store_err = |e: &dyn std::fmt::Display| Error::Store(e.to_string());
    let env = open_env(&dir.join("db"), EnvKind::StateDeferredSync).map_err(|e| store_err(&e))?;
    let kv = KvStore::open(&env).map_err(|e| store_err(&e))?;

    let per_request = if o.txn { o.txn_ops } else { 1 };
    let n = usize::try_from(o.total.saturating_mul(per_request))
        .map_err(|_| Error::InvalidArgument("--total is too large".into()))?;
    let keys: Vec<Vec<u8>> = (0..n).map(|_| rand_bytes(o.key_size)).collect();
    let vals: Vec<Vec<u8>> = (0..n).map(|_| rand_bytes(o.value_size)).collect();

    let mut outcomes = Vec::with_capacity(usize::try_from(o.total).unwrap_or(0));
    let begin = Instant::now();
    let mut wtxn = env.write_txn().map_err(|e| store_err(&e))?;
    let (mut batch_start, mut in_batch) = (Instant::now(), 0u64);
    for i in 0..n / usize::try_from(per_request).unwrap_or(1) {
        let wall = SystemTime::now();
        let st = Instant::now();
        {
            let mut tw = kv.write(&mut wtxn).map_err(|e| store_err(&e))?;
            for j in i * per_request as usize..(i + 1) * per_request as usize {
                tw.put(&keys[j], &vals[j], 0).map_err(|e| store_err(&e))?;
            }
            tw.end();
        }
        in_batch += per_request;
        if in_batch >= o.batch_limit || batch_start.elapsed() >= o.batch_interval {
            wtxn.commit().map_err(|e| store_err(&e))?;
            wtxn = env.write_txn().map_err(|e| store_err(&e))?;
            (batch_start, in_batch) = (Instant::now(), 0);
        }
        outcomes.push(Outcome {
            start: wall,
            // the weighted report: a request of weight w counts as w requests of 1/w each
            duration: st.elapsed() / u32::try_from(per_request).unwrap_or(u32::MAX),
            error: None,
        });
    }
    wtxn.commit().map_err(|e| store_err(&e))?;
    let mut stats = Stats::compute(&outcomes, begin.elapsed(), false);
    stats.rps *= per_request as f64;
    Ok(stats.render(o.precision))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::pb::etcdserverpb::RangeRequest;

    fn opts(total: u64, txn: bool, txn_ops: u64) -> MvccPutOptions {
        MvccPutOptions {
            total,
            key_size: 16,
            value_size: 8,
            txn,
            txn_ops,
            batch_interval: Duration::from_millis(100),
            batch_limit: 7,
            precision: Precision::Fixed4,
        }
    }

    fn count_and_revision(dir: &Path) -> (i64, i64) {
        let env = open_env(&dir.join("db"), EnvKind::State).unwrap();
        let kv = KvStore::open(&env).unwrap();
        let rtxn = env.read_txn().unwrap();
        let r = kv
            .range(
                &rtxn,
                &RangeRequest {
                    key: vec![0],
                    range_end: vec![0],
                    count_only: true,
                    ..Default::default()
                },
            )
            .unwrap();
        (r.count, kv.current_revision(&rtxn).unwrap())
    }

    /// Every put lands in the store (batches of 7 committed, the rest at the end), one
    /// revision per request; the report is etcd's, with one latency per request.
    #[test]
    fn puts_every_key_and_reports_each_request() {
        let dir = tempfile::tempdir().unwrap();
        let text = mvcc_put(dir.path(), &opts(30, false, 1)).unwrap();
        assert!(text.starts_with("\nSummary:\n  Total:\t"), "{text}");
        assert!(text.contains("Requests/sec:"), "{text}");
        let hist: usize = text
            .lines()
            .filter_map(|l| l.split_once('[').and_then(|(_, r)| r.split_once(']')))
            .map(|(c, _)| c.parse::<usize>().unwrap())
            .sum();
        assert_eq!(hist, 30, "{text}");
        assert_eq!(count_and_revision(dir.path()), (30, 31));
    }

    /// `--txn --txn-ops 4`: 4 keys per revision.
    #[test]
    fn txn_puts_several_keys_per_revision() {
        let dir = tempfile::tempdir().unwrap();
        mvcc_put(dir.path(), &opts(5, true, 4)).unwrap();
        assert_eq!(count_and_revision(dir.path()), (20, 6));
    }

    #[test]
    fn zero_txn_ops_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let err = mvcc_put(dir.path(), &opts(5, true, 0)).unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{err}");
    }
}
