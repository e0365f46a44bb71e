//! `etcd benchmark stm` (etcd's `tools/benchmark/cmd/stm.go`): read-modify-write transactions
//! over random keys, retried on conflict.

#[allow(clippy::wildcard_imports)]
use super::*;

/// `benchmark stm` options.
#[derive(Debug, Clone)]
pub struct StmOptions {
    /// Distinct keys.
    pub keys: u64,
    /// Keys read and written per transaction.
    pub keys_per_txn: usize,
    /// Transactions.
    pub total: u64,
    /// `r`, `c`, `s` or `ss` (etcd's STM isolation levels); `c` reads serializably.
    pub isolation: String,
    /// Requests per second, 0: unlimited.
    pub rate: u64,
}

/// `benchmark stm`: software transactions reading `keys_per_txn` random keys and writing
/// them back guarded by their mod revisions, retried until they commit; one latency per
/// committed transaction.
///
/// # Errors
/// [`Error::InvalidArgument`] for an unknown isolation level or more keys per transaction
/// than keys.
pub async fn stm(b: &Bench, o: StmOptions) -> Result<String, Error> {
    let ser = match o.isolation.as_str() {
        "r" | "s" | "ss" => false,
        "c" => true,
        other => {
            return Err(Error::InvalidArgument(format!(
                "unexpected isolation {other:?}"
            )))
        }
    };
    if o.keys == 0 || o.keys_per_txn as u64 > o.keys {
        return Err(Error::InvalidArgument(
            "expected --keys-per-txn <= --keys and --keys > 0".into(),
        ));
    }
    let st = b
        .drive(o.total, o.rate, move |c, _| {
            let mut ids: Vec<u64> = Vec::with_capacity(o.keys_per_txn);
            {
                let mut rng = rand::rng();
                while ids.len() < o.keys_per_txn {
                    let k = rng.random_range(0..o.keys);
                    if !ids.contains(&k) {
                        ids.push(k);
                    }
                }
            }
            let keys: Vec<Vec<u8>> = ids.iter().map(|k| format!("{k:08}").into_bytes()).collect();
            async move {
                loop {
                    let mut cmps = Vec::with_capacity(keys.len());
                    let mut puts = Vec::with_capacity(keys.len());
                    for k in &keys {
                        let r = c
                            .range(RangeRequest {
                                key: k.clone(),
                                serializable: ser,
                                ..Default::default()
                            })
                            .await?;
                        let (rev, n) = r.kvs.first().map_or((0, 0u64), |kv| {
                            let n = std::str::from_utf8(&kv.value)
                                .ok()
                                .and_then(|s| s.parse().ok())
                                .unwrap_or(0);
                            (kv.mod_revision, n)
                        });
                        cmps.push(Compare {
                            result: compare::CompareResult::Equal as i32,
                            target: compare::CompareTarget::Mod as i32,
                            key: k.clone(),
                            target_union: Some(compare::TargetUnion::ModRevision(rev)),
                            ..Default::default()
                        });
                        puts.push(put_op(k.clone(), (n + 1).to_string().into_bytes()));
                    }
                    let r = c
                        .txn(TxnRequest {
                            compare: cmps,
                            success: puts,
                            failure: vec![],
                        })
                        .await?;
                    if r.succeeded {
                        return Ok(());
                    }
                }
            }
        })
        .await;
    Ok(b.render(&st))
}
