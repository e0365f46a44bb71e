//! The watch scenarios of `etcd benchmark`: `watch`, `watch-latency` and `watch-get`
//! (etcd's `tools/benchmark/cmd/watch*.go`).

#[allow(clippy::wildcard_imports)]
use super::*;

/// When put `i` of watch-latency was sent (wall clock for `--sample`, monotonic for latency).
type PutStart = Mutex<Option<(SystemTime, Instant)>>;

/// `benchmark watch-latency` options.
#[derive(Debug, Clone)]
pub struct WatchLatencyOptions {
    /// Puts.
    pub put_total: u64,
    /// Puts per second.
    pub put_rate: u64,
    /// Watch streams.
    pub streams: usize,
    /// Watchers per stream.
    pub watchers_per_stream: usize,
    /// Ask for previous key-values.
    pub prevkv: bool,
    /// Key size, bytes.
    pub key_size: usize,
    /// Value size, bytes.
    pub val_size: usize,
}

/// `benchmark watch-latency`: `streams × watchers_per_stream` watchers on one key, then
/// `put_total` puts at `put_rate`; one latency per (put, watcher): from sending the put to
/// the watcher receiving its event.
///
/// # Errors
/// [`Error::Client`] when a watch stream cannot be opened.
pub async fn watch_latency(b: &Bench, o: WatchLatencyOptions) -> Result<String, Error> {
    let key = rand_bytes(o.key_size);
    let value = rand_bytes(o.val_size);
    let total_watchers = (o.streams * o.watchers_per_stream) as u64;
    let bar = b.bar(o.put_total * total_watchers);
    let starts: Arc<Vec<PutStart>> = Arc::new((0..o.put_total).map(|_| Mutex::new(None)).collect());
    let outs: Arc<Mutex<Vec<Outcome>>> = Arc::new(Mutex::new(Vec::new()));
    let create = WatchCreateRequest {
        key: key.clone(),
        prev_kv: o.prevkv,
        ..Default::default()
    };
    let mut readers = Vec::new();
    for s in 0..o.streams {
        let c = b.conn(s);
        let mut w = c.watch(create.clone()).await?;
        for _ in 1..o.watchers_per_stream {
            w.create(create.clone()).await?;
        }
        let mut created = 0;
        while created < o.watchers_per_stream {
            match tokio::time::timeout(Duration::from_secs(30), w.next()).await {
                Ok(Ok(Some(r))) if r.created => created += 1,
                Ok(Ok(Some(_))) => {}
                Ok(Err(e)) => return Err(e.into()),
                _ => {
                    return Err(Error::InvalidArgument(
                        "watch stream closed before its watchers were created".into(),
                    ))
                }
            }
        }
        let (starts, outs, bar) = (starts.clone(), outs.clone(), bar.clone());
        let per = o.watchers_per_stream;
        let want = o.put_total;
        readers.push(tokio::spawn(async move {
            let mut seen: std::collections::HashMap<i64, u64> = Default::default();
            let mut done = 0;
            while done < per {
                let r = match tokio::time::timeout(Duration::from_secs(60), w.next()).await {
                    Ok(Ok(Some(r))) => r,
                    _ => break,
                };
                let cnt = seen.entry(r.watch_id).or_default();
                for _ in &r.events {
                    let at = Instant::now();
                    if let Some(Ok(slot)) = starts.get(*cnt as usize).map(|m| m.lock()) {
                        if let Some((wall, t0)) = *slot {
                            if let Ok(mut o) = outs.lock() {
                                o.push(Outcome {
                                    start: wall,
                                    duration: at.duration_since(t0),
                                    error: None,
                                });
                            }
                        }
                    }
                    *cnt += 1;
                    bar.inc(1);
                    if *cnt == want {
                        done += 1;
                    }
                }
            }
        }));
    }
    let limiter = Limiter::new(o.put_rate);
    let started = Instant::now();
    let c = b.conn(0);
    let mut put_outs = Vec::new();
    for i in 0..o.put_total {
        limiter.wait().await;
        if let Ok(mut s) = starts[i as usize].lock() {
            *s = Some((SystemTime::now(), Instant::now()));
        }
        let t0 = Instant::now();
        let res = c
            .put(PutRequest {
                key: key.clone(),
                value: value.clone(),
                ..Default::default()
            })
            .await;
        put_outs.push(Outcome {
            start: SystemTime::now(),
            duration: t0.elapsed(),
            error: res.err().map(|e| e.to_string()),
        });
    }
    let put_elapsed = started.elapsed();
    for r in readers {
        let _ = r.await;
    }
    bar.finish_and_clear();
    let outs = outs.lock().map(|o| o.clone()).unwrap_or_default();
    let st = Stats::compute(&outs, started.elapsed(), b.opts.sample);
    let pst = Stats::compute(&put_outs, put_elapsed, b.opts.sample);
    Ok(format!(
        "Put summary:{}\nWatch events summary:{}",
        b.render(&pst),
        b.render(&st)
    ))
}

/// `benchmark watch` options.
#[derive(Debug, Clone)]
pub struct WatchOptions {
    /// Watch streams.
    pub streams: usize,
    /// Watchers per stream.
    pub watch_per_stream: usize,
    /// Distinct watched keys.
    pub watched_key_total: u64,
    /// Puts per second, 0: unlimited.
    pub put_rate: u64,
    /// Puts.
    pub put_total: u64,
    /// Key size, bytes.
    pub key_size: usize,
    /// Key space of the puts.
    pub key_space_size: u64,
    /// Sequential put keys.
    pub sequential_keys: bool,
}

/// `benchmark watch`: creates `streams × watch_per_stream` watchers (one latency per
/// creation), then puts `put_total` keys among the watched ones (one latency per put).
///
/// # Errors
/// [`Error::Client`] when a watch stream cannot be opened.
pub async fn watch(b: &Bench, o: WatchOptions) -> Result<String, Error> {
    let space = o.watched_key_total.max(1);
    let keys: Vec<Vec<u8>> = (0..space)
        .map(|i| bench_key(o.key_size, i, space, true))
        .collect();
    let bar = b.bar((o.streams * o.watch_per_stream) as u64);
    let started = Instant::now();
    let mut creates = Vec::new();
    let mut streams = Vec::new();
    for s in 0..o.streams {
        let c = b.conn(s);
        let mut stream: Option<client::Watcher> = None;
        for j in 0..o.watch_per_stream {
            let req = WatchCreateRequest {
                key: keys[(s * o.watch_per_stream + j) % keys.len()].clone(),
                ..Default::default()
            };
            let wall = SystemTime::now();
            let t0 = Instant::now();
            let res = match stream.as_mut() {
                None => c.watch(req).await.map(|w| stream = Some(w)),
                Some(w) => w.create(req).await,
            };
            let res = match (res, stream.as_mut()) {
                (Ok(()), Some(w)) => loop {
                    match tokio::time::timeout(Duration::from_secs(30), w.next()).await {
                        Ok(Ok(Some(r))) if r.created => break Ok(()),
                        Ok(Ok(Some(_))) => {}
                        Ok(Err(e)) => break Err(e.to_string()),
                        _ => break Err("watch stream closed".to_string()),
                    }
                },
                (Err(e), _) => Err(e.to_string()),
                (Ok(()), None) => Err("watch stream closed".to_string()),
            };
            creates.push(Outcome {
                start: wall,
                duration: t0.elapsed(),
                error: res.err(),
            });
            bar.inc(1);
        }
        streams.extend(stream);
    }
    bar.finish_and_clear();
    let cst = Stats::compute(&creates, started.elapsed(), b.opts.sample);
    // Drain the streams so the server never blocks on them.
    let drains: Vec<_> = streams
        .into_iter()
        .map(|mut w| tokio::spawn(async move { while let Ok(Some(_)) = w.next().await {} }))
        .collect();
    let (ks, seq) = (o.key_size, o.sequential_keys);
    let put_space = o.key_space_size.max(1);
    let pst = b
        .drive(o.put_total, o.put_rate, move |c, i| {
            let key = bench_key(ks, i, put_space, seq);
            async move {
                c.put(PutRequest {
                    key,
                    value: b"value".to_vec(),
                    ..Default::default()
                })
                .await
                .map(|_| ())
            }
        })
        .await;
    for d in drains {
        d.abort();
    }
    Ok(format!(
        "Watch creation summary:{}\nPut summary:{}",
        b.render(&cst),
        b.render(&pst)
    ))
}

/// `benchmark watch-get` options.
#[derive(Debug, Clone)]
pub struct WatchGetOptions {
    /// Watchers.
    pub watchers: usize,
    /// Watch streams.
    pub streams: usize,
    /// Events each watcher receives (puts on the watched key).
    pub watch_events: u64,
}

/// `benchmark watch-get`: serializable gets of a key while `watchers` watchers on it
/// receive `watch_events` events; one latency per get, the gets run until every watcher has
/// its events.
///
/// # Errors
/// [`Error::Client`] when a watch stream cannot be opened or a put fails.
pub async fn watch_get(b: &Bench, o: WatchGetOptions) -> Result<String, Error> {
    let key = b"watchkey".to_vec();
    let streams = o.streams.max(1);
    let per = o.watchers.div_ceil(streams);
    let rev = b
        .conn(0)
        .put(PutRequest {
            key: key.clone(),
            value: b"data".to_vec(),
            ..Default::default()
        })
        .await?
        .header
        .map_or(0, |h| h.revision);
    for _ in 0..o.watch_events {
        b.conn(0)
            .put(PutRequest {
                key: key.clone(),
                value: b"data".to_vec(),
                ..Default::default()
            })
            .await?;
    }
    let want = o.watch_events + 1;
    let create = WatchCreateRequest {
        key: key.clone(),
        start_revision: rev,
        ..Default::default()
    };
    let remaining = Arc::new(AtomicU64::new((per * streams) as u64));
    let mut readers = Vec::new();
    for s in 0..streams {
        let mut w = b.conn(s).watch(create.clone()).await?;
        for _ in 1..per {
            w.create(create.clone()).await?;
        }
        let remaining = remaining.clone();
        readers.push(tokio::spawn(async move {
            let mut seen: std::collections::HashMap<i64, u64> = Default::default();
            loop {
                let r = match tokio::time::timeout(Duration::from_secs(60), w.next()).await {
                    Ok(Ok(Some(r))) => r,
                    _ => break,
                };
                let n = seen.entry(r.watch_id).or_default();
                let before = *n;
                *n += r.events.len() as u64;
                if before < want && *n >= want && remaining.fetch_sub(1, Ordering::SeqCst) == 1 {
                    break;
                }
            }
        }));
    }
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..b.opts.clients {
        let (c, remaining, key) = (b.conn(w), remaining.clone(), key.clone());
        tasks.push(tokio::spawn(async move {
            let mut outs = Vec::new();
            while remaining.load(Ordering::SeqCst) > 0 && outs.len() < 1_000_000 {
                let wall = SystemTime::now();
                let t0 = Instant::now();
                let res = c
                    .range(RangeRequest {
                        key: key.clone(),
                        serializable: true,
                        ..Default::default()
                    })
                    .await;
                outs.push(Outcome {
                    start: wall,
                    duration: t0.elapsed(),
                    error: res.err().map(|e| e.to_string()),
                });
            }
            outs
        }));
    }
    for r in readers {
        let _ = r.await;
    }
    remaining.store(0, Ordering::SeqCst);
    let mut outs = Vec::new();
    for t in tasks {
        if let Ok(o) = t.await {
            outs.extend(o);
        }
    }
    let st = Stats::compute(&outs, started.elapsed(), b.opts.sample);
    Ok(b.render(&st))
}
