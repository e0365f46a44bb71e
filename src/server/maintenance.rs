//! Maintenance operations: alarms and the backend quota, Hash / HashKV, consistent
//! snapshots of the backend and online defragmentation (etcd's
//! `etcdserver/api/v3rpc/maintenance.go`, `mvcc/backend/backend.go` and
//! `etcdserver/quota.go`).

use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::{response, Error, EtcdServer, SERVER_VERSION};
use crate::apply::ApplyError;
use crate::pb::etcdserverpb::alarm_request::AlarmAction;
use crate::pb::etcdserverpb::{
    AlarmRequest, AlarmResponse, AlarmType, DefragmentResponse, HashKvResponse, HashResponse,
    SnapshotResponse, StatusResponse,
};
use crate::pb::peer::InternalRaftRequest;

/// Bytes per snapshot message (etcd's `snapshotSendBufferSize`, 32 KiB).
pub const SNAPSHOT_CHUNK_BYTES: usize = 32 * 1024;

impl EtcdServer {
    /// Maintenance.Status.
    pub fn status(&self) -> StatusResponse {
        let m = self.raft.metrics().borrow().clone();
        let is_learner = self
            .members()
            .iter()
            .any(|(id, _, l)| *id == self.member_id && *l);
        // etcd 3.4 lists active alarms in `errors`, in the AlarmMember text form.
        let alarms = self.read(|b, t| b.alarms.list(t));
        let errors = match alarms {
            Ok(alarms) => alarms
                .into_iter()
                .map(|a| {
                    let name = crate::pb::etcdserverpb::AlarmType::try_from(a.alarm)
                        .map(|t| t.as_str_name().to_string())
                        .unwrap_or_else(|_| a.alarm.to_string());
                    format!("memberID:{} alarm:{} ", a.member_id, name)
                })
                .collect(),
            Err(_) => Vec::new(),
        };
        StatusResponse {
            header: Some(self.header(self.current_revision())),
            version: SERVER_VERSION.to_string(),
            db_size: self.store.db_size() as i64,
            leader: m.current_leader.unwrap_or(0),
            raft_index: m.last_log_index.unwrap_or(0),
            raft_term: m.current_term,
            raft_applied_index: m.last_applied.map(|l| l.index).unwrap_or(0),
            errors,
            db_size_in_use: self.store.db_size_in_use() as i64,
            is_learner,
        }
    }

    /// Whether the member is healthy for `/health`, as etcd 3.4's `checkHealth`: no active
    /// alarm, a known leader, and a quorum read (read-index) that completes within 1 s.
    pub async fn is_healthy(&self) -> bool {
        if self.fatal.get().is_some() {
            return false;
        }
        // A closed backend is unhealthy; an unreadable alarm table counts as no alarm.
        let Ok(alarms) = self.read(|b, t| Ok::<_, Error>(b.alarms.list(t).map_or(0, |a| a.len())))
        else {
            return false;
        };
        if alarms > 0 {
            tracing::warn!(alarms, "/health error due to an active alarm");
            return false;
        }
        if self.leader().is_none() {
            tracing::warn!("/health error; no leader");
            return false;
        }
        match self
            .linearizable_barrier_within(Duration::from_secs(1))
            .await
        {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(error = %e, "/health error; quorum read failed");
                false
            }
        }
    }

    /// Alarm: GET is answered from local state; ACTIVATE / DEACTIVATE go through the log.
    /// Like etcd 3.4 the response carries no header (3.4's `maintenanceServer.Alarm` returns the
    /// apply result as is; `etcdctl -w json alarm list` prints `{}` with no alarms).
    ///
    /// # Errors
    /// Proposal errors.
    pub async fn alarm(&self, req: AlarmRequest) -> Result<AlarmResponse, Error> {
        if req.action == AlarmAction::Get as i32 {
            let alarms = self.read(|b, t| b.alarms.list(t))?;
            return Ok(AlarmResponse {
                header: None,
                alarms,
            });
        }
        let r = self
            .propose(InternalRaftRequest {
                alarm: Some(req),
                ..Default::default()
            })
            .await?;
        let (a, _) = response::<crate::pb::etcdserverpb::AlarmResponse>(r)?;
        Ok(a)
    }

    /// Proposes activating `alarm` for this member (through the log, as etcd's quota and
    /// corruption checkers do).
    ///
    /// # Errors
    /// See [`EtcdServer::propose`].
    async fn activate_alarm(&self, alarm: AlarmType) -> Result<(), Error> {
        let req = AlarmRequest {
            action: AlarmAction::Activate as i32,
            member_id: self.member_id,
            alarm: alarm as i32,
        };
        self.propose(InternalRaftRequest {
            alarm: Some(req),
            ..Default::default()
        })
        .await
        .map(drop)
    }

    /// Maps an MVCC read error; a damaged record (CRC-32C mismatch) is logged, reported to
    /// the CORRUPT alarm loop and answered as etcd's `etcdserver: corrupt cluster`
    /// (DataLoss), never with the damaged value.
    pub(super) fn read_error(&self, e: crate::mvcc::MvccError) -> Error {
        if let crate::mvcc::MvccError::Checksum(c) = &e {
            tracing::error!(error = %c, "damaged record found on read; refusing to serve it");
            self.store.note_corrupt();
        }
        Error::from_mvcc(e)
    }

    /// Raises etcd's CORRUPT alarm for this member (through the log, as etcd's corruption
    /// checker does) whenever a damaged record is found while the alarm is not active
    /// (again after an operator disarmed it); retries every second while the proposal
    /// fails (no leader yet), until the alarm is active.
    pub(super) fn spawn_corrupt_alarm_loop(self: &Arc<Self>) {
        let weak = Arc::downgrade(self);
        let mut seen = self.store.subscribe_corrupt();
        tokio::spawn(async move {
            while seen.changed().await.is_ok() {
                loop {
                    let Some(server) = weak.upgrade() else { return };
                    let active = server
                        .read(|b, t| b.alarms.is_active(t, AlarmType::Corrupt))
                        .unwrap_or(false);
                    if active {
                        break;
                    }
                    tracing::error!(
                        member_id = %format!("{:x}", server.member_id),
                        "damaged data found; raising CORRUPT alarm"
                    );
                    let ok = server.activate_alarm(AlarmType::Corrupt).await.is_ok();
                    drop(server);
                    if !ok {
                        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    }
                }
            }
        });
    }

    /// The quota check before a write that grows the store (etcd's `quotaKVServer`): when
    /// the backend in use plus the request would exceed `--quota-backend-bytes`, raise the
    /// NOSPACE alarm through the log and refuse with `database space exceeded`.
    ///
    /// # Errors
    /// [`Error::Apply`] with [`ApplyError::NoSpace`].
    pub(super) async fn check_quota(&self, cost: usize) -> Result<(), Error> {
        let quota = self.cfg.quota_bytes() as u64;
        if self.store.db_size_upper_bound().saturating_add(cost as u64) <= quota {
            return Ok(());
        }
        let used = self.store.db_size_in_use();
        if used.saturating_add(cost as u64) <= quota {
            return Ok(());
        }
        let active = self.read(|b, t| b.alarms.is_active(t, AlarmType::Nospace))?;
        if !active {
            tracing::warn!(
                used_bytes = used,
                quota_bytes = self.cfg.quota_bytes(),
                "backend quota exceeded; raising NOSPACE alarm"
            );
            let _ = self.activate_alarm(AlarmType::Nospace).await;
        }
        Err(Error::Apply(ApplyError::NoSpace))
    }

    /// Defragments this member's backend (Maintenance.Defragment; local, not through the
    /// log, like etcd): a compacting copy swapped in for `data.mdb`, during which every read
    /// and write of this member waits (see `StateStore::defragment_blocking`). `db_size`
    /// shrinks to the pages in use. The response has no header, as etcd 3.4's.
    ///
    /// # Errors
    /// [`Error::Backend`] when the copy, the swap or the reopen fails.
    pub async fn defragment(&self) -> Result<DefragmentResponse, Error> {
        tracing::info!("starting defragment");
        let _inflight = crate::observability::metrics().hold_gauge("etcd_disk_defrag_inflight");
        let started = std::time::Instant::now();
        let store = self.store.clone();
        let stats = tokio::task::spawn_blocking(move || store.defragment_blocking())
            .await?
            .map_err(|e| {
                tracing::warn!(error = %e, "failed to defragment");
                // The environment was closed for the swap and could not be reopened: this
                // member cannot serve any more (a disk fault); exit so it is restarted.
                if self.store.backend().is_err() {
                    self.fatal().raise(super::fatal::FatalFault {
                        env: super::fatal::FaultEnv::State,
                        cause: e.to_string(),
                    });
                }
                Error::Backend(e)
            })?;
        let metrics = crate::observability::metrics();
        // etcd's backend.defrag observes only successful runs.
        if let Some(h) = metrics.extra_histogram("etcd_disk_backend_defrag_duration_seconds") {
            h.observe(started.elapsed().as_secs_f64());
        }
        metrics.db_total_size.set(stats.size_after as i64);
        metrics
            .db_size_in_use
            .set(self.store.db_size_in_use() as i64);
        tracing::info!(
            size_before = stats.size_before,
            size_after = stats.size_after,
            "finished defragment"
        );
        // etcd 3.4's `maintenanceServer.Defragment` answers the empty message: no header.
        Ok(DefragmentResponse { header: None })
    }

    /// HashKV at `rev` (0 = current).
    ///
    /// # Errors
    /// [`Error::Compacted`] / [`Error::FutureRev`]; storage errors.
    pub fn hash_kv(&self, rev: i64) -> Result<HashKvResponse, Error> {
        let started = std::time::Instant::now();
        let (current, (hash, compact_revision)) =
            self.read_kv(|b, t| Ok((b.kv.current_revision(t)?, b.kv.hash_kv(t, rev)?)))?;
        crate::observability::metrics().observe(
            "etcd_mvcc_hash_rev_duration_seconds",
            started.elapsed().as_secs_f64(),
        );
        Ok(HashKvResponse {
            header: Some(self.header(current)),
            hash,
            compact_revision,
        })
    }

    /// Hash of the key-value history at the current revision (etcd hashes its whole bolt
    /// file; ours hashes the MVCC history, which is what members must agree on).
    ///
    /// # Errors
    /// Storage errors.
    pub fn hash(&self) -> Result<HashResponse, Error> {
        let started = std::time::Instant::now();
        let r = self.hash_kv(0)?;
        crate::observability::metrics().observe(
            "etcd_mvcc_hash_duration_seconds",
            started.elapsed().as_secs_f64(),
        );
        Ok(HashResponse {
            header: r.header,
            hash: r.hash,
        })
    }

    /// Streams a consistent snapshot of the backend in etcd 3.4's format (a bbolt database
    /// with etcd's buckets, see `server::etcd_snapshot`) in [`SNAPSHOT_CHUNK_BYTES`] messages
    /// (with `remaining_bytes`), then one message holding the 32-byte sha256 of everything
    /// sent, as etcd does. The database is staged in a temp file, so memory stays bounded.
    ///
    /// # Errors
    /// Storage errors before the first message; later errors end the stream.
    pub fn snapshot(
        self: &Arc<Self>,
        tx: tokio::sync::mpsc::Sender<Result<SnapshotResponse, tonic::Status>>,
    ) -> Result<(), Error> {
        let dir = self.cfg.data_dir.join("member").join("snap");
        let server = self.clone();
        tokio::task::spawn_blocking(move || {
            let result = (|| -> Result<(), String> {
                let file = tempfile::tempfile_in(&dir).map_err(|e| e.to_string())?;
                let started = std::time::Instant::now();
                let mut file = server.write_etcd_backend(file)?;
                // etcd observes its backend snapshot (the consistent read of the database);
                // here that is the staged copy.
                crate::observability::metrics().observe(
                    "etcd_disk_backend_snapshot_duration_seconds",
                    started.elapsed().as_secs_f64(),
                );
                let total = file.metadata().map_err(|e| e.to_string())?.len();
                use std::io::Seek;
                file.seek(std::io::SeekFrom::Start(0))
                    .map_err(|e| e.to_string())?;
                let header = server.header(server.current_revision());
                let mut hasher = Sha256::new();
                let mut sent = 0u64;
                let mut buf = vec![0u8; SNAPSHOT_CHUNK_BYTES];
                while sent < total {
                    let n = file.read(&mut buf).map_err(|e| e.to_string())?;
                    if n == 0 {
                        return Err("snapshot copy ended early".into());
                    }
                    sent += n as u64;
                    hasher.update(&buf[..n]);
                    let msg = SnapshotResponse {
                        header: Some(header),
                        remaining_bytes: total - sent,
                        blob: buf[..n].to_vec(),
                    };
                    if tx.blocking_send(Ok(msg)).is_err() {
                        return Ok(());
                    }
                }
                let sha = hasher.finalize().to_vec();
                let _ = tx.blocking_send(Ok(SnapshotResponse {
                    header: Some(header),
                    remaining_bytes: 0,
                    blob: sha,
                }));
                Ok(())
            })();
            if let Err(e) = result {
                tracing::warn!(error = %e, "snapshot stream failed");
                let _ = tx.blocking_send(Err(tonic::Status::internal(e)));
            }
        });
        Ok(())
    }
}
