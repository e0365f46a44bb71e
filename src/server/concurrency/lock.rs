//! etcd's `v3lock` service on the server (`concurrency.Mutex`): [`EtcdServer::lock`] and
//! [`EtcdServer::unlock`], on the shared recipe parts of [`super`].

use std::sync::Arc;

use super::{
    contender_key, create_rev_is, first_create, op_get, op_put, op_range, prefix,
    read_registration, ConcurrencyError, Release, ReleaseGuard,
};
use crate::pb::etcdserverpb::{DeleteRangeRequest, TxnRequest};
use crate::pb::v3lockpb::{LockResponse, UnlockResponse};
use crate::server::{Error, EtcdServer};

impl EtcdServer {
    /// Lock (etcd's `v3lock` `Lock` = `concurrency.Mutex.Lock`): registers the key
    /// `name/<lease hex>` attached to `lease` (a fresh 60 s lease when `lease` is 0) unless
    /// it exists already (a session re-locking reuses its key), then waits until every key
    /// under `name/` with a smaller create revision is deleted.
    ///
    /// Returns the response header and the lock `key`. The key's create revision (and the
    /// header revision of the acquiring read) is a **fencing token**: it grows with every
    /// acquisition, so a resource can refuse writes from an older holder by comparing it,
    /// e.g. in a txn `compare create_revision(key) == rev`.
    ///
    /// Blocks until acquired; dropping the future (client gone) cancels the wait and deletes
    /// the key, as etcd's `Mutex.Lock` unlocks when its context ends.
    ///
    /// # Errors
    /// `etcdserver: requested lease not found` when `lease` does not exist;
    /// [`ConcurrencyError::SessionExpired`] when the lease expires or is revoked while waiting;
    /// proposal and read errors.
    pub async fn lock(
        self: &Arc<Self>,
        name: &[u8],
        lease: i64,
        caller: &crate::server::Caller,
    ) -> Result<LockResponse, Error> {
        let lease = self.session_lease(lease).await?;
        let pfx = prefix(name);
        let my_key = contender_key(name, lease);
        let resp = self
            .txn(
                TxnRequest {
                    compare: vec![create_rev_is(&my_key, 0)],
                    success: vec![op_put(&my_key, b"", lease), op_range(first_create(&pfx))],
                    failure: vec![op_get(&my_key), op_range(first_create(&pfx))],
                },
                caller,
            )
            .await?;
        let reg = read_registration(&resp)?;
        if reg.owns {
            return Ok(LockResponse {
                header: resp.header,
                key: my_key,
            });
        }
        let guard = ReleaseGuard {
            server: self.clone(),
            release: Some(Release::Unlock(my_key.clone())),
        };
        match self.wait_deletes(&pfx, &my_key, reg.my_rev, caller).await {
            Ok(header) => {
                guard.disarm();
                Ok(LockResponse {
                    header: Some(header),
                    key: my_key,
                })
            }
            Err(Error::Concurrency(ConcurrencyError::SessionExpired)) => {
                guard.disarm();
                Err(ConcurrencyError::SessionExpired.into())
            }
            // etcd unlocks when the wait fails; the guard does it on drop.
            Err(e) => Err(e),
        }
    }

    /// Unlock (etcd's `v3lock` `Unlock`): deletes `key` (a key returned by [`Self::lock`]).
    /// Deleting a key that does not exist succeeds.
    ///
    /// # Errors
    /// Proposal errors.
    pub async fn unlock(
        &self,
        key: &[u8],
        caller: &crate::server::Caller,
    ) -> Result<UnlockResponse, Error> {
        if key.is_empty() {
            return Err(ConcurrencyError::EmptyKey.into());
        }
        let resp = self
            .delete_range(
                DeleteRangeRequest {
                    key: key.to_vec(),
                    ..Default::default()
                },
                caller,
            )
            .await?;
        Ok(UnlockResponse {
            header: resp.header,
        })
    }
}
