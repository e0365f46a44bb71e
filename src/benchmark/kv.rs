//! The key-value scenarios of `etcd benchmark`: `put`, `range`, `txn-put` and `txn-mixed`
//! (etcd's `tools/benchmark/cmd/{put,range,txn_put,txn_mixed}.go`).

#[allow(clippy::wildcard_imports)]
use super::*;

/// `benchmark put` options.
#[derive(Debug, Clone)]
pub struct PutOptions {
    /// Requests.
    pub total: u64,
    /// Key size, bytes.
    pub key_size: usize,
    /// Value size, bytes.
    pub val_size: usize,
    /// Distinct keys.
    pub key_space_size: u64,
    /// Keys `i % key_space_size` instead of random.
    pub sequential_keys: bool,
    /// Requests per second, 0: unlimited.
    pub rate: u64,
    /// Compact every interval (zero: never).
    pub compact_interval: Duration,
    /// Keep this many revisions when compacting.
    pub compact_index_delta: i64,
}

/// `benchmark put`: the report text.
///
/// # Errors
/// None today beyond setup; failed puts go to the error distribution.
pub async fn put(b: &Bench, o: PutOptions) -> Result<String, Error> {
    if o.key_space_size == 0 {
        return Err(Error::InvalidArgument(
            "expected positive --key-space-size".into(),
        ));
    }
    let value = Arc::new(rand_bytes(o.val_size));
    let compactor = (!o.compact_interval.is_zero()).then(|| {
        let c = b.conn(0);
        let (every, delta) = (o.compact_interval, o.compact_index_delta);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.tick().await;
            loop {
                tick.tick().await;
                let Ok(r) = c
                    .range(RangeRequest {
                        key: b"foo".to_vec(),
                        ..Default::default()
                    })
                    .await
                else {
                    continue;
                };
                let rev = r.header.map_or(0, |h| h.revision) - delta;
                if rev > 0 {
                    let _ = c
                        .compact(CompactionRequest {
                            revision: rev,
                            physical: false,
                        })
                        .await;
                }
            }
        })
    });
    let (ks, space, seq) = (o.key_size, o.key_space_size, o.sequential_keys);
    let st = b
        .drive(o.total, o.rate, move |c, i| {
            let key = bench_key(ks, i, space, seq);
            let value = value.to_vec();
            async move {
                c.put(PutRequest {
                    key,
                    value,
                    ..Default::default()
                })
                .await
                .map(|_| ())
            }
        })
        .await;
    if let Some(h) = compactor {
        h.abort();
    }
    Ok(b.render(&st))
}

/// `benchmark range` options.
#[derive(Debug, Clone)]
pub struct RangeOptions {
    /// Key.
    pub key: Vec<u8>,
    /// Range end (empty: the key alone).
    pub end: Vec<u8>,
    /// Requests.
    pub total: u64,
    /// Requests per second, 0: unlimited.
    pub rate: u64,
    /// `l` (linearizable) or `s` (serializable).
    pub consistency: String,
    /// Maximum keys returned, 0: no limit.
    pub limit: i64,
    /// Count only.
    pub count_only: bool,
}

fn serializable(consistency: &str) -> Result<bool, Error> {
    match consistency {
        "l" => Ok(false),
        "s" => Ok(true),
        other => Err(Error::InvalidArgument(format!(
            "unknown consistency flag {other:?}"
        ))),
    }
}

/// `benchmark range`: the report text.
///
/// # Errors
/// [`Error::InvalidArgument`] for a consistency other than `l` or `s`.
pub async fn range(b: &Bench, o: RangeOptions) -> Result<String, Error> {
    let req = RangeRequest {
        key: o.key,
        range_end: o.end,
        limit: o.limit,
        count_only: o.count_only,
        serializable: serializable(&o.consistency)?,
        ..Default::default()
    };
    let st = b
        .drive(o.total, o.rate, move |c, _| {
            let req = req.clone();
            async move { c.range(req).await.map(|_| ()) }
        })
        .await;
    Ok(b.render(&st))
}

/// `benchmark txn-put` options.
#[derive(Debug, Clone)]
pub struct TxnPutOptions {
    /// Requests.
    pub total: u64,
    /// Key size, bytes.
    pub key_size: usize,
    /// Value size, bytes.
    pub val_size: usize,
    /// Puts per transaction.
    pub txn_ops: usize,
    /// Distinct keys.
    pub key_space_size: u64,
    /// Requests per second, 0: unlimited.
    pub rate: u64,
}

/// `benchmark txn-put`: the report text.
///
/// # Errors
/// [`Error::InvalidArgument`] for a zero key space.
pub async fn txn_put(b: &Bench, o: TxnPutOptions) -> Result<String, Error> {
    if o.key_space_size == 0 {
        return Err(Error::InvalidArgument(
            "expected positive --key-space-size".into(),
        ));
    }
    let value = Arc::new(rand_bytes(o.val_size));
    let st = b
        .drive(o.total, o.rate, move |c, _| {
            let success = (0..o.txn_ops)
                .map(|_| {
                    put_op(
                        bench_key(o.key_size, 0, o.key_space_size, false),
                        value.to_vec(),
                    )
                })
                .collect();
            async move {
                c.txn(TxnRequest {
                    success,
                    ..Default::default()
                })
                .await
                .map(|_| ())
            }
        })
        .await;
    Ok(b.render(&st))
}

/// `benchmark txn-mixed` options.
#[derive(Debug, Clone)]
pub struct TxnMixedOptions {
    /// Key read (and the write key space's base).
    pub key: Vec<u8>,
    /// Range end of the reads.
    pub end: Vec<u8>,
    /// Requests.
    pub total: u64,
    /// Requests per second, 0: unlimited.
    pub rate: u64,
    /// Reads per write.
    pub rw_ratio: f64,
    /// `l` or `s`.
    pub consistency: String,
    /// Distinct written keys.
    pub key_space_size: u64,
    /// Written key size, bytes.
    pub key_size: usize,
    /// Value size, bytes.
    pub val_size: usize,
    /// Read limit.
    pub limit: i64,
}

/// `benchmark txn-mixed`: reads and writes in transactions, two reports (etcd prints
/// `Total Read Ops` / `Total Write Ops` before each).
///
/// # Errors
/// [`Error::InvalidArgument`] for a bad consistency or key space.
pub async fn txn_mixed(b: &Bench, o: TxnMixedOptions) -> Result<String, Error> {
    if o.key_space_size == 0 {
        return Err(Error::InvalidArgument(
            "expected positive --key-space-size".into(),
        ));
    }
    let ser = serializable(&o.consistency)?;
    let value = Arc::new(rand_bytes(o.val_size));
    let read_share = (o.rw_ratio / (o.rw_ratio + 1.0)).clamp(0.0, 1.0);
    // Which requests are reads is drawn up front so the outcomes can be split by kind.
    let kinds: Arc<Vec<bool>> = Arc::new({
        let mut rng = rand::rng();
        (0..o.total).map(|_| rng.random_bool(read_share)).collect()
    });
    let is_read = kinds.clone();
    let (outs, elapsed) = b
        .drive_outcomes(o.total, o.rate, move |c, i| {
            let op = if is_read[i as usize] {
                RequestOp {
                    request: Some(request_op::Request::RequestRange(RangeRequest {
                        key: o.key.clone(),
                        range_end: o.end.clone(),
                        limit: o.limit,
                        serializable: ser,
                        ..Default::default()
                    })),
                }
            } else {
                put_op(
                    bench_key(o.key_size, i, o.key_space_size, false),
                    value.to_vec(),
                )
            };
            async move {
                c.txn(TxnRequest {
                    success: vec![op],
                    ..Default::default()
                })
                .await
                .map(|_| ())
            }
        })
        .await;
    let (reads, writes): (Vec<_>, Vec<_>) = outs.into_iter().partition(|(i, _)| kinds[*i as usize]);
    let reads: Vec<Outcome> = reads.into_iter().map(|(_, o)| o).collect();
    let writes: Vec<Outcome> = writes.into_iter().map(|(_, o)| o).collect();
    let rst = Stats::compute(&reads, elapsed, b.opts.sample);
    let wst = Stats::compute(&writes, elapsed, b.opts.sample);
    let out = format!(
        "Total Read Ops: {}\nDetails:{}\nTotal Write Ops: {}\nDetails:{}",
        reads.len(),
        b.render(&rst),
        writes.len(),
        b.render(&wst)
    );
    Ok(out)
}
