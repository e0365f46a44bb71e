//! etcd's `v3election` service on the server (`concurrency.Election`):
//! [`EtcdServer::campaign`], [`EtcdServer::proclaim`], [`EtcdServer::resign`],
//! [`EtcdServer::election_leader`] and [`EtcdServer::observe`], on the shared recipe parts of
//! [`super`].

use std::sync::Arc;

use futures::stream::BoxStream;
use tokio::sync::mpsc;

use super::{
    contender_key, create_rev_is, first_create, header_of, op_delete, op_get, op_put, prefix,
    range_at, ConcurrencyError, Release, ReleaseGuard, WatchGuard, OBSERVE_BUFFER,
};
use crate::keys::{prefix_end, KeyRange};
use crate::pb::etcdserverpb::{ResponseHeader, TxnRequest};
use crate::pb::mvccpb::event::EventType;
use crate::pb::v3electionpb::{
    CampaignResponse, LeaderKey, LeaderResponse, ProclaimResponse, ResignResponse,
};
use crate::server::{Error, EtcdServer};

impl EtcdServer {
    /// Campaign (etcd's `v3election` `Campaign` = `concurrency.Election.Campaign`): puts
    /// `value` at `name/<lease hex>` with `lease` (a fresh 60 s lease when 0) unless the key
    /// exists (then its value is proclaimed if different), and waits until every older
    /// candidate's key is deleted. Returns the campaign txn's header and the [`LeaderKey`]
    /// (`rev` is the key's create revision, usable as a fencing token).
    ///
    /// Dropping the future (client gone) resigns, as etcd does when the context ends.
    ///
    /// # Errors
    /// `etcdserver: requested lease not found`; [`ConcurrencyError::NotLeader`] if the
    /// re-proclaim of an existing key failed; [`ConcurrencyError::SessionExpired`] when the
    /// lease ends while waiting; proposal and read errors.
    pub async fn campaign(
        self: &Arc<Self>,
        name: &[u8],
        lease: i64,
        value: &[u8],
        caller: &crate::server::Caller,
    ) -> Result<CampaignResponse, Error> {
        let lease = self.session_lease(lease).await?;
        let pfx = prefix(name);
        let key = contender_key(name, lease);
        let resp = self
            .txn(
                TxnRequest {
                    compare: vec![create_rev_is(&key, 0)],
                    success: vec![op_put(&key, value, lease)],
                    failure: vec![op_get(&key)],
                },
                caller,
            )
            .await?;
        let mut rev = header_of(&resp.header).revision;
        if !resp.succeeded {
            let kv = range_at(&resp, 0)?
                .kvs
                .first()
                .cloned()
                .ok_or_else(|| Error::Internal("campaign: own key missing".into()))?;
            rev = kv.create_revision;
            if kv.value != value {
                if let Err(e) = self.proclaim_key(&key, rev, lease, value, caller).await {
                    let _ = self.resign_key(&key, rev, caller).await;
                    return Err(e);
                }
            }
        }
        let guard = ReleaseGuard {
            server: self.clone(),
            release: Some(Release::Resign(key.clone(), rev)),
        };
        let waited = self.wait_deletes(&pfx, &key, rev, caller).await;
        // etcd resigns only when the context ended (the guard, on drop); other failures
        // leave the key in place.
        guard.disarm();
        waited?;
        Ok(CampaignResponse {
            header: resp.header,
            leader: Some(LeaderKey {
                name: name.to_vec(),
                key,
                rev,
                lease,
            }),
        })
    }

    async fn proclaim_key(
        &self,
        key: &[u8],
        rev: i64,
        lease: i64,
        value: &[u8],
        caller: &crate::server::Caller,
    ) -> Result<ResponseHeader, Error> {
        let resp = self
            .txn(
                TxnRequest {
                    compare: vec![create_rev_is(key, rev)],
                    success: vec![op_put(key, value, lease)],
                    failure: Vec::new(),
                },
                caller,
            )
            .await?;
        if !resp.succeeded {
            return Err(ConcurrencyError::NotLeader.into());
        }
        Ok(header_of(&resp.header))
    }

    pub(super) async fn resign_key(
        &self,
        key: &[u8],
        rev: i64,
        caller: &crate::server::Caller,
    ) -> Result<ResponseHeader, Error> {
        let resp = self
            .txn(
                TxnRequest {
                    compare: vec![create_rev_is(key, rev)],
                    success: vec![op_delete(key)],
                    failure: Vec::new(),
                },
                caller,
            )
            .await?;
        Ok(header_of(&resp.header))
    }

    /// Proclaim (etcd's `v3election` `Proclaim`): puts `value` at the leader's key with
    /// the leader's lease if the key's create revision is still `leader.rev`. Lease 0 gets a
    /// fresh 60 s lease, as etcd's session does.
    ///
    /// # Errors
    /// [`ConcurrencyError::MissingLeaderKey`] without a leader;
    /// [`ConcurrencyError::NotLeader`] when the compare fails; proposal errors.
    pub async fn proclaim(
        &self,
        leader: Option<LeaderKey>,
        value: &[u8],
        caller: &crate::server::Caller,
    ) -> Result<ProclaimResponse, Error> {
        let leader = leader.ok_or(ConcurrencyError::MissingLeaderKey)?;
        let lease = self.session_lease(leader.lease).await?;
        if leader.key.is_empty() {
            return Err(ConcurrencyError::EmptyKey.into());
        }
        let header = self
            .proclaim_key(&leader.key, leader.rev, lease, value, caller)
            .await?;
        Ok(ProclaimResponse {
            header: Some(header),
        })
    }

    /// Resign (etcd's `v3election` `Resign`): deletes the leader's key if its create
    /// revision is still `leader.rev`; succeeds either way (etcd ignores the compare).
    ///
    /// # Errors
    /// [`ConcurrencyError::MissingLeaderKey`] without a leader; proposal errors.
    pub async fn resign(
        &self,
        leader: Option<LeaderKey>,
        caller: &crate::server::Caller,
    ) -> Result<ResignResponse, Error> {
        let leader = leader.ok_or(ConcurrencyError::MissingLeaderKey)?;
        self.session_lease(leader.lease).await?;
        if leader.key.is_empty() {
            return Err(ConcurrencyError::EmptyKey.into());
        }
        let header = self.resign_key(&leader.key, leader.rev, caller).await?;
        Ok(ResignResponse {
            header: Some(header),
        })
    }

    /// Leader (etcd's `v3election` `Leader`): the key-value of the oldest candidate of
    /// `name` (linearizable read).
    ///
    /// # Errors
    /// [`ConcurrencyError::NoLeader`] when nobody campaigns; read errors.
    pub async fn election_leader(
        &self,
        name: &[u8],
        caller: &crate::server::Caller,
    ) -> Result<LeaderResponse, Error> {
        let resp = self.range(&first_create(&prefix(name)), caller).await?;
        let kv = resp
            .kvs
            .into_iter()
            .next()
            .ok_or(ConcurrencyError::NoLeader)?;
        Ok(LeaderResponse {
            header: resp.header,
            kv: Some(kv),
        })
    }

    /// Observe (etcd's `v3election` `Observe`): a stream of the current leader of `name`
    /// (waiting for the first candidate when there is none), then each new value the leader
    /// proclaims, then the next leader once the leader's key is deleted, and so on.
    ///
    /// The stream is fed by a task that ends (cancelling its watchers) when the returned
    /// stream is dropped. It yields an error item and ends on a read failure.
    pub fn observe(
        self: &Arc<Self>,
        name: &[u8],
        caller: &crate::server::Caller,
    ) -> BoxStream<'static, Result<LeaderResponse, Error>> {
        let (tx, rx) = mpsc::channel(OBSERVE_BUFFER);
        let server = self.clone();
        let pfx = prefix(name);
        let caller = caller.clone();
        tokio::spawn(async move {
            let closed = tx.clone();
            tokio::select! {
                r = server.observe_loop(&pfx, &tx, &caller) => {
                    if let Err(e) = r {
                        let _ = tx.send(Err(e)).await;
                    }
                }
                _ = closed.closed() => {}
            }
        });
        Box::pin(tokio_stream::wrappers::ReceiverStream::new(rx))
    }

    /// The body of [`Self::observe`] (etcd's `Election.observe`); returns `Ok` when the
    /// receiver is gone.
    async fn observe_loop(
        &self,
        pfx: &[u8],
        tx: &mpsc::Sender<Result<LeaderResponse, Error>>,
        caller: &crate::server::Caller,
    ) -> Result<(), Error> {
        'outer: loop {
            let resp = self.range(&first_create(pfx), caller).await?;
            let read_rev = header_of(&resp.header).revision;
            let (header, kv) = match resp.kvs.into_iter().next() {
                Some(kv) => (header_of(&resp.header), kv),
                None => {
                    // Wait for the first put under the prefix.
                    let range = KeyRange::new(pfx.to_vec(), prefix_end(pfx));
                    let (_guard, mut rx) =
                        WatchGuard::watch(&self.store.watch, vec![(range, false, read_rev + 1)]);
                    loop {
                        let wr = rx.recv().await.ok_or(ConcurrencyError::LostWatcher)?;
                        if wr.canceled {
                            continue 'outer;
                        }
                        let put = wr
                            .events
                            .into_iter()
                            .find(|e| e.r#type == EventType::Put as i32);
                        if let Some(kv) = put.and_then(|e| e.kv) {
                            // Several puts may share the batch: report the one taken.
                            let mut h = header_of(&wr.header);
                            h.revision = kv.mod_revision;
                            break (h, kv);
                        }
                    }
                }
            };
            let from = header.revision + 1;
            let key = kv.key.clone();
            if tx
                .send(Ok(LeaderResponse {
                    header: Some(header),
                    kv: Some(kv),
                }))
                .await
                .is_err()
            {
                return Ok(());
            }
            let (_guard, mut rx) = WatchGuard::watch(
                &self.store.watch,
                vec![(KeyRange::Single(key), false, from)],
            );
            loop {
                let wr = rx.recv().await.ok_or(ConcurrencyError::LostWatcher)?;
                if wr.canceled {
                    continue 'outer;
                }
                for ev in wr.events {
                    if ev.r#type == EventType::Delete as i32 {
                        continue 'outer;
                    }
                    let out = LeaderResponse {
                        header: wr.header,
                        kv: ev.kv,
                    };
                    if tx.send(Ok(out)).await.is_err() {
                        return Ok(());
                    }
                }
            }
        }
    }
}
