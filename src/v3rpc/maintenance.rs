//! `etcdserverpb.Maintenance`: Status (Hash, HashKV, Snapshot, Defragment and Alarm come
//! with the watch/lease/maintenance issue; until then they answer `Unimplemented`).

use std::sync::Arc;

use tonic::{Request, Response, Status};

use crate::pb::etcdserverpb::maintenance_server::Maintenance;
use crate::pb::etcdserverpb::{StatusRequest, StatusResponse};
use crate::server::EtcdServer;

/// The Maintenance service.
pub struct MaintenanceService {
    server: Arc<EtcdServer>,
}

impl MaintenanceService {
    /// Wraps the server.
    pub fn new(server: Arc<EtcdServer>) -> MaintenanceService {
        MaintenanceService { server }
    }
}

#[tonic::async_trait]
impl Maintenance for MaintenanceService {
    async fn status(&self, _request: Request<StatusRequest>) -> Result<Response<StatusResponse>, Status> {
        Ok(Response::new(self.server.status()))
    }
}
