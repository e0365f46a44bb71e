//! The side effects of an applied membership change outside Raft's own record: etcd 3.4
//! also writes membership into its v2 store (`etcdserver/api/membership/store.go`), so each
//! change advances the v2 store index users see in `X-Etcd-Index`. Adding a member writes
//! `/0/members/<id>/raftAttributes` (one write), updating its peer URLs or promoting a learner
//! rewrites it (one), removing it deletes its directory and creates
//! `/0/removed_members/<id>` (two). Here the writes are counted
//! ([`crate::v2store::store::V2Store::count_internal_writes`]), not stored.
//!
//! Depends on: membership, v2store, storage.

use super::state::{ApplyFailure, StateDb};
use super::{ApplyFatal, Member};

/// One member of a Raft configuration as apply sees it: ID, node (peer URLs) and whether it
/// votes.
pub type ConfMember = (u64, Member, bool);

/// etcd's v2 store writes for the change `before` → `after`. `pending_voter(id)`: the member
/// was added as a voter but joined as a learner (see `MemberAttrs::pending_voter`); its
/// promotion completes the one `MemberAdd` etcd counted, so it writes nothing more.
pub fn v2_writes(
    before: &[ConfMember],
    after: &[ConfMember],
    pending_voter: impl Fn(u64) -> bool,
) -> u64 {
    let find = |set: &[ConfMember], id: u64| set.iter().find(|(i, _, _)| *i == id).cloned();
    let mut writes = 0;
    for (id, node, voter) in after {
        match find(before, *id) {
            None => writes += 1,
            Some((_, old, was_voter)) => {
                if old.peer_urls != node.peer_urls {
                    writes += 1;
                }
                if *voter && !was_voter && !pending_voter(*id) {
                    writes += 1;
                }
            }
        }
    }
    for (id, _, _) in before {
        if find(after, *id).is_none() {
            writes += 2;
        }
    }
    writes
}

impl StateDb {
    /// Records etcd's v2 store writes of the membership change `before` → `after`, in the
    /// write transaction that stores the new membership ([`v2_writes`]).
    ///
    /// # Errors
    /// Storage failures ([`ApplyFailure`]).
    pub fn apply_conf_change(
        &self,
        wtxn: &mut heed::RwTxn,
        before: &[ConfMember],
        after: &[ConfMember],
    ) -> Result<(), ApplyFailure> {
        let mut pending = Vec::new();
        for (id, _, _) in after {
            let attrs = self
                .members
                .get(wtxn, *id)
                .map_err(|e| ApplyFatal::Mvcc(e.into()))?;
            if attrs.is_some_and(|a| a.pending_voter) {
                pending.push(*id);
            }
        }
        let writes = v2_writes(before, after, |id| pending.contains(&id));
        self.v2
            .count_internal_writes(wtxn, writes)
            .map_err(ApplyFatal::from)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(id: u64, url: &str, voter: bool) -> ConfMember {
        (
            id,
            Member {
                peer_urls: vec![url.to_string()],
                ..Member::default()
            },
            voter,
        )
    }

    /// etcd 3.4: bootstrap adds each initial member (one write each), a learner added then
    /// promoted is two, an update one, a removal two; a pending voter's promotion none.
    #[test]
    fn writes_follow_etcd_membership_store() {
        let none = |_| false;
        let three = [m(1, "a", true), m(2, "b", true), m(3, "c", true)];
        assert_eq!(v2_writes(&[], &three, none), 3);
        let learner = [m(1, "a", true), m(4, "d", false)];
        assert_eq!(v2_writes(&[m(1, "a", true)], &learner, none), 1);
        let promoted = [m(1, "a", true), m(4, "d", true)];
        assert_eq!(v2_writes(&learner, &promoted, none), 1);
        assert_eq!(v2_writes(&learner, &promoted, |id| id == 4), 0);
        assert_eq!(
            v2_writes(&promoted, &[m(1, "a", true), m(4, "e", true)], none),
            1
        );
        assert_eq!(v2_writes(&promoted, &[m(1, "a", true)], none), 2);
        assert_eq!(v2_writes(&three, &three, none), 0);
    }
}
