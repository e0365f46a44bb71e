//! `etcdserverpb.Maintenance` unary calls (clientv3's `Maintenance` interface; the snapshot
//! stream is in `stream.rs`).

use super::{Client, Error};
use crate::pb::etcdserverpb::{
    maintenance_client::MaintenanceClient, AlarmRequest, AlarmResponse, HashKvRequest,
    HashKvResponse, MoveLeaderRequest, MoveLeaderResponse, StatusRequest, StatusResponse,
};

impl Client {
    /// `Maintenance.MoveLeader`: asks the connected member (which must be the leader) to hand
    /// leadership to `target_id`.
    ///
    /// # Errors
    /// As [`Client::range`]; e.g. `etcdserver: not leader`.
    pub async fn move_leader(&self, target_id: u64) -> Result<MoveLeaderResponse, Error> {
        self.call(|ch| async move {
            MaintenanceClient::new(ch)
                .move_leader(MoveLeaderRequest { target_id })
                .await
        })
        .await
    }

    /// `Maintenance.Status` of the endpoint currently connected (build a one-endpoint client to
    /// ask a given member, as etcdctl's `endpoint status` does).
    ///
    /// # Errors
    /// As [`Client::range`].
    pub async fn status(&self) -> Result<StatusResponse, Error> {
        self.call(|ch| async move { MaintenanceClient::new(ch).status(StatusRequest {}).await })
            .await
    }

    /// `Maintenance.HashKV` of the endpoint currently connected, up to `revision` (0: all).
    ///
    /// # Errors
    /// As [`Client::range`].
    pub async fn hash_kv(&self, revision: i64) -> Result<HashKvResponse, Error> {
        self.call(|ch| async move {
            MaintenanceClient::new(ch)
                .hash_kv(HashKvRequest { revision })
                .await
        })
        .await
    }

    /// `Maintenance.Alarm`: get, activate or deactivate alarms.
    ///
    /// # Errors
    /// As [`Client::range`].
    pub async fn alarm(&self, req: AlarmRequest) -> Result<AlarmResponse, Error> {
        self.call(|ch| async move { MaintenanceClient::new(ch).alarm(req).await })
            .await
    }
}
