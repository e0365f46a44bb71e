//! The Snapshot RPC's payload in etcd 3.4's format: the current state written as a bbolt
//! backend (`apply::etcd_export`) from one read transaction, with the Raft facts etcd keeps
//! in it (consistent index = last applied index, members from the applied membership and
//! their published attributes). The official `etcdctl snapshot save/status/restore` work on
//! it; our `etcd util snapshot restore` imports it.

use std::fs::File;

use super::EtcdServer;
use crate::apply::etcd_export::{etcd_members, export, ExportInfo};

impl EtcdServer {
    /// Writes the etcd backend of the current state into `file` (a temp file; truncated).
    /// Returns the synced file. Memory: one page per bbolt tree level.
    ///
    /// The consistent index (the applied index) and the members are read in the data's own
    /// read transaction, so they describe exactly the exported state; the backend guard is
    /// held throughout, so a defrag's swap waits for the export to end.
    ///
    /// # Errors
    /// Storage errors, as text for the stream's `Internal` status.
    pub(super) fn write_etcd_backend(&self, file: File) -> Result<File, String> {
        let b = self.store.backend().map_err(|e| e.to_string())?;
        let rtxn = b.env.read_txn().map_err(|e| e.to_string())?;
        let (applied, membership) =
            crate::raft::state_machine::applied_state_in(&b, &rtxn).map_err(|e| e.to_string())?;
        let stores = b.stores();
        let config = membership.membership();
        let voters: std::collections::BTreeSet<u64> = config.voter_ids().collect();
        let nodes = config
            .nodes()
            .map(|(id, n)| (*id, n.clone(), !voters.contains(id)));
        let members = etcd_members(&stores, &rtxn, nodes).map_err(|e| e.to_string())?;
        let removed = crate::raft::state_machine::removed_members_in(&b, &rtxn)
            .map_err(|e| e.to_string())?
            .into_iter()
            .collect();
        let info = ExportInfo {
            consistent_index: applied.map_or(0, |l| l.index),
            members,
            removed,
        };
        export(&stores, &rtxn, &info, file).map_err(|e| e.to_string())
    }
}
