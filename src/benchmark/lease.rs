//! `etcd benchmark lease-keepalive` (etcd's `tools/benchmark/cmd/lease.go`).

#[allow(clippy::wildcard_imports)]
use super::*;

/// `benchmark lease-keepalive`: each worker grants one lease (TTL 100 s), then sends
/// keep-alives, one round trip each (clientv3 `KeepAliveOnce`).
///
/// # Errors
/// [`Error::Client`] when a lease cannot be granted.
pub async fn lease_keepalive(b: &Bench, total: u64) -> Result<String, Error> {
    let mut leases = Vec::with_capacity(b.opts.clients);
    for w in 0..b.opts.clients {
        leases.push(b.conn(w).lease_grant(100, 0).await?.id);
    }
    let leases = Arc::new(leases);
    let clients = b.opts.clients as u64;
    let st = b
        .drive(total, 0, move |c, i| {
            let id = leases[(i % clients) as usize];
            async move { c.lease_keep_alive_once(id).await.map(|_| ()) }
        })
        .await;
    Ok(b.render(&st))
}
