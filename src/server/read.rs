//! The read path: local reads on one LMDB read transaction ([`EtcdServer::read`],
//! [`EtcdServer::read_kv`]) and the read-index barrier a linearizable read waits for
//! ([`EtcdServer::linearizable_barrier`]: the leader confirms its leadership with a quorum; a
//! follower asks the leader for the index and waits until it has applied it; concurrent reads
//! share these rounds, see `read_index.rs`).

use std::time::{Duration, Instant};

use openraft::error::RaftError;

use super::{Error, EtcdServer, StateDb};

impl EtcdServer {
    /// A local read (backend → read txn → `op`): `op` runs on one LMDB read transaction of
    /// the current backend, so everything it reads is one consistent view. The backend
    /// guard, which a defragment waits for, is released when this returns. `op`'s error
    /// converts into [`Error`] (storage failures keep their cause as `source()`); an `op`
    /// that reads MVCC data maps with [`EtcdServer::read_error`] and returns [`Error`].
    ///
    /// # Errors
    /// [`Error::Lmdb`] when the backend is closed (a failed defragment) or no read
    /// transaction opens; `op`'s errors ([`Error::Damaged`] for a damaged lease, auth,
    /// members or alarm record, also reported to the CORRUPT alarm loop).
    pub(crate) fn read<T, E>(
        &self,
        op: impl FnOnce(&StateDb, &heed::RoTxn<'_>) -> Result<T, E>,
    ) -> Result<T, Error>
    where
        Error: From<E>,
    {
        let b = self.store.backend()?;
        let rtxn = b.env.read_txn()?;
        // etcd counts its concurrent read transactions; here, the server's LMDB readers.
        let _open =
            crate::observability::metrics().hold_gauge("etcd_mvcc_db_open_read_transactions");
        op(&b, &rtxn).map_err(|e| {
            let e = Error::from(e);
            if let Error::Damaged(c) = &e {
                tracing::error!(error = %c, "damaged record found on read; refusing to serve it");
                self.store.note_corrupt();
            }
            e
        })
    }

    /// [`EtcdServer::read`] of MVCC data: `op`'s error is mapped by
    /// [`EtcdServer::read_error`] (compacted / future revisions as request errors, a
    /// damaged record as `corrupt cluster` and reported to the CORRUPT alarm loop).
    ///
    /// # Errors
    /// As [`EtcdServer::read`]; [`Error::Compacted`], [`Error::FutureRev`],
    /// [`Error::Wire`] with `Corrupt`, [`Error::Mvcc`].
    pub(crate) fn read_kv<T>(
        &self,
        op: impl FnOnce(&StateDb, &heed::RoTxn<'_>) -> Result<T, crate::mvcc::MvccError>,
    ) -> Result<T, Error> {
        self.read(|b, t| op(b, t).map_err(|e| self.read_error(e)))
    }

    /// Read-index on the leader: confirms leadership with a quorum and returns the index a
    /// linearizable read must wait for.
    ///
    /// A member that restarted as the leader of its saved vote (openraft 0.9 restores it
    /// without an election or a new blank entry) answers at least its last log index of that
    /// start while it leads in that term: openraft's read index would be the commit index it
    /// restarted with, the applied one, which after a power loss (the state database syncs
    /// its last commit lazily) lies below entries already acknowledged, and a read there
    /// would miss them (`powerloss::power_cut_three_members_*`). A leader never drops its own
    /// entries, so it commits that index once a quorum answers.
    ///
    /// # Errors
    /// [`Error::NotLeader`], [`Error::Timeout`], [`Error::Stopped`].
    pub async fn local_read_index(&self) -> Result<u64, Error> {
        let deadline = Instant::now() + self.cfg.request_timeout();
        let index =
            match tokio::time::timeout(self.cfg.request_timeout(), self.raft.ensure_linearizable())
                .await
            {
                Err(_) => return Err(Error::Timeout),
                Ok(Ok(log_id)) => log_id.map(|l| l.index).unwrap_or(0),
                Ok(Err(RaftError::APIError(_))) => return Err(Error::NotLeader),
                Ok(Err(RaftError::Fatal(_))) => return Err(Error::Stopped),
            };
        match self.restored_leadership {
            Some((term, floor))
                if index < floor && self.raft.metrics().borrow().current_term == term =>
            {
                let left = deadline.saturating_duration_since(Instant::now());
                self.raft
                    .wait(Some(left))
                    .applied_index_at_least(Some(floor), "read index after a restart as leader")
                    .await
                    .map_err(|_| Error::Timeout)?;
                Ok(floor)
            }
            _ => Ok(index),
        }
    }

    /// Waits until a linearizable read may be served locally (read-index): on the leader
    /// directly, on a follower by asking the leader for the index and waiting until this
    /// member has applied it.
    ///
    /// # Errors
    /// [`Error::Timeout`] (also when no leader appeared in time) / [`Error::Stopped`].
    pub async fn linearizable_barrier(&self) -> Result<(), Error> {
        self.linearizable_barrier_within(self.cfg.request_timeout())
            .await
    }

    /// [`EtcdServer::linearizable_barrier`] with a custom time limit.
    ///
    /// # Errors
    /// As [`EtcdServer::linearizable_barrier`].
    pub async fn linearizable_barrier_within(&self, limit: Duration) -> Result<(), Error> {
        let deadline = Instant::now() + limit;
        loop {
            let attempt = match self.leader() {
                Some(l) if l == self.member_id => self
                    .read_rounds
                    .leader_read_index(deadline)
                    .await
                    .map(|_| ()),
                Some(_) => match self.read_rounds.follower_read_index(deadline).await {
                    Ok(index) => {
                        let left = deadline.saturating_duration_since(Instant::now());
                        self.raft
                            .wait(Some(left))
                            .applied_index_at_least(Some(index), "read index")
                            .await
                            .map(|_| ())
                            .map_err(|_| Error::Timeout)
                    }
                    Err(e) => Err(e),
                },
                None => Err(Error::NoLeader),
            };
            match attempt {
                Err(Error::NoLeader) | Err(Error::NotLeader) if Instant::now() < deadline => {
                    self.wait_leader_change(deadline).await;
                }
                Err(Error::NoLeader) | Err(Error::NotLeader) => return Err(Error::Timeout),
                other => return other,
            }
        }
    }
}
