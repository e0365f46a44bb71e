//! The storage schema: every LMDB database ("table", etcd's bucket) of both environments and
//! every fixed key of their metadata tables, in one place (etcd's
//! `server/storage/schema/bucket.go`), and the one helper that creates (or opens) databases.
//!
//! - [`STATE_TABLES`]: the tables of `<data-dir>/member/snap/db`, the replicated state. A
//!   Raft snapshot, `snapshot status` and snapshot install walk this list; defragmentation
//!   and snapshot builds copy the whole environment (LMDB's compacting copy), so every
//!   table in it moves together.
//! - [`WAL_TABLES`]: the tables of `<data-dir>/member/wal`, the Raft log and vote.
//! - [`META_KEYS`]: the fixed keys of the metadata tables ([`TableKind::Meta`]).
//! - [`create_tables`]: creates or opens tables in one committed write transaction; every
//!   store opens its databases through it. [`open_table`] opens an existing one read-only.
//!
//! Values are sealed with their CRC-32C ([`super::record`]) unless a table says otherwise.
//!
//! Depends on: heed only.

use heed::types::{Bytes, Str};
use heed::{CommitOrAbort, Database, DatabaseOpener, OnCommit, RwTxn};

/// Which environment of the data dir a table lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnvDir {
    /// `<data-dir>/member/snap/db`: the applied, replicated state.
    State,
    /// `<data-dir>/member/wal`: the Raft log and vote (this member's own).
    Wal,
}

/// What a table holds, by the shape of its keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableKind {
    /// Records under computed keys (revisions, IDs, user keys, names).
    Records,
    /// A few fixed keys, each listed in [`META_KEYS`].
    Meta,
}

/// One LMDB database (etcd: one bucket).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Table {
    /// The LMDB database name.
    pub name: &'static str,
    /// The environment holding it.
    pub env: EnvDir,
    /// Records or fixed metadata keys.
    pub kind: TableKind,
    /// Its key → value layout.
    pub holds: &'static str,
}

/// Every revision: 17-byte revision key (8-byte big-endian main, `_`, 8-byte big-endian sub;
/// an 18th byte `t` marks a tombstone) → sealed prost `mvccpb.KeyValue`. etcd: `key`.
pub const KEY: Table = Table {
    name: "key",
    env: EnvDir::State,
    kind: TableKind::Records,
    holds: "revision (main BE ‖ '_' ‖ sub BE [‖ 't']) → sealed mvccpb.KeyValue",
};
/// The key index (etcd's in-memory `treeIndex`, on disk here): user key (through
/// `storage::keymap`, any length) → sealed encoded `KeyIndex` (generations of revisions).
pub const INDEX: Table = Table {
    name: "index",
    env: EnvDir::State,
    kind: TableKind::Records,
    holds: "user key (keymap) → sealed KeyIndex generations",
};
/// Spilled revisions of keys with a long history (not in etcd, whose key index is in memory):
/// spill id (16 bytes) ‖ revision (16 bytes), integers big-endian → sealed (creation revision,
/// version, tombstone flag). See `mvcc::index`.
pub const INDEX_HISTORY: Table = Table {
    name: "index_history",
    env: EnvDir::State,
    kind: TableKind::Records,
    holds: "spill id BE ‖ revision BE → sealed (created, version, tombstone)",
};
/// MVCC metadata (etcd: `meta`): [`MVCC_COMPACT_REV`], [`MVCC_RECORD_FORMAT`].
pub const META: Table = Table {
    name: "meta",
    env: EnvDir::State,
    kind: TableKind::Meta,
    holds: "mvcc/* meta keys → values",
};
/// Leases (etcd: `lease`): lease ID (8-byte big-endian) → sealed prost `LeaseRecord`
/// (etcd's `leasepb.Lease`: ID and TTL in seconds).
pub const LEASE: Table = Table {
    name: "lease",
    env: EnvDir::State,
    kind: TableKind::Records,
    holds: "lease ID BE → sealed leasepb.Lease {id, ttl}",
};
/// Keys attached to leases: lease ID (8-byte big-endian) ‖ user key (through
/// `storage::keymap`) → the seal of nothing. etcd keeps this in memory only.
pub const LEASE_KEYS: Table = Table {
    name: "lease_keys",
    env: EnvDir::State,
    kind: TableKind::Records,
    holds: "lease ID BE ‖ user key (keymap) → seal of nothing",
};
/// Active alarms (etcd: `alarm`): member ID (8-byte big-endian) ‖ alarm type (4-byte
/// big-endian) → the seal of nothing.
pub const ALARM: Table = Table {
    name: "alarm",
    env: EnvDir::State,
    kind: TableKind::Records,
    holds: "member ID BE ‖ alarm type BE → seal of nothing",
};
/// Published member attributes (etcd: `members`): member ID (8-byte big-endian) → sealed
/// postcard `MemberAttrs` (name, client URLs, pending voter). Peer URLs and roles are in the
/// Raft membership ([`RAFT_STATE`]).
pub const MEMBERS: Table = Table {
    name: "members",
    env: EnvDir::State,
    kind: TableKind::Records,
    holds: "member ID BE → sealed postcard MemberAttrs",
};
/// Auth metadata (etcd: `auth`): [`AUTH_ENABLED`], [`AUTH_REVISION`].
pub const AUTH: Table = Table {
    name: "auth",
    env: EnvDir::State,
    kind: TableKind::Meta,
    holds: "auth meta keys → sealed values",
};
/// Users (etcd: `authUsers`): user name (through `storage::keymap`) → sealed prost
/// `authpb.User`.
pub const AUTH_USERS: Table = Table {
    name: "authUsers",
    env: EnvDir::State,
    kind: TableKind::Records,
    holds: "user name (keymap) → sealed authpb.User",
};
/// Roles (etcd: `authRoles`): role name (through `storage::keymap`) → sealed prost
/// `authpb.Role`.
pub const AUTH_ROLES: Table = Table {
    name: "authRoles",
    env: EnvDir::State,
    kind: TableKind::Records,
    holds: "role name (keymap) → sealed authpb.Role",
};
/// The Raft apply state, written in the same transaction as the entries it describes
/// (etcd keeps its consistent index in `meta`): [`RAFT_APPLIED`], [`RAFT_MEMBERSHIP`],
/// [`RAFT_MEMBERS_REMOVED`].
pub const RAFT_STATE: Table = Table {
    name: "raft_state",
    env: EnvDir::State,
    kind: TableKind::Meta,
    holds: "raft/* meta keys → postcard values (not sealed)",
};
/// The v2 keys store (`--enable-v2`; etcd keeps it in memory and in its `.snap` files):
/// `n` ‖ path → postcard node record, `e` ‖ expiration (u64 BE ns) ‖ path → empty (the TTL
/// queue), `mindex` → the store index (u64 BE). Keys through `storage::keymap`; not sealed.
pub const V2STORE: Table = Table {
    name: "v2store",
    env: EnvDir::State,
    kind: TableKind::Records,
    holds: "n‖path → postcard v2 node; e‖expiry BE‖path → empty; mindex → u64 BE (keymap)",
};
/// The Raft log: log index (8-byte big-endian) → encoded openraft entry (not sealed).
pub const LOGS: Table = Table {
    name: "logs",
    env: EnvDir::Wal,
    kind: TableKind::Records,
    holds: "log index BE → postcard openraft entry (not sealed)",
};
/// Raft metadata of the log: [`WAL_VOTE`], [`WAL_COMMITTED`], [`WAL_LAST_PURGED`],
/// [`WAL_IDENTITY`].
pub const RAFT_META: Table = Table {
    name: "raft_meta",
    env: EnvDir::Wal,
    kind: TableKind::Meta,
    holds: "wal meta keys → postcard values (not sealed)",
};

/// Every table of the state environment, in LMDB's order of names (byte order), which is
/// the order `snapshot status` hashes them in.
pub const STATE_TABLES: &[Table] = &[
    ALARM,
    AUTH,
    AUTH_ROLES,
    AUTH_USERS,
    INDEX,
    INDEX_HISTORY,
    KEY,
    LEASE,
    LEASE_KEYS,
    MEMBERS,
    META,
    RAFT_STATE,
    V2STORE,
];

/// Every table of the wal environment.
#[allow(
    dead_code,
    reason = "the schema's list for the bbolt/WAL export work; checked by the schema test"
)]
pub const WAL_TABLES: &[Table] = &[LOGS, RAFT_META];

/// One fixed key of a [`TableKind::Meta`] table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetaKey {
    /// The table's name.
    pub table: &'static str,
    /// The key.
    pub key: &'static str,
    /// Its value.
    pub holds: &'static str,
}

impl MetaKey {
    /// The key as bytes (for tables with byte keys).
    pub const fn bytes(&self) -> &'static [u8] {
        self.key.as_bytes()
    }
}

/// `meta`: the last compaction's main revision (8-byte big-endian i64). etcd:
/// `finishedCompactRev`.
pub const MVCC_COMPACT_REV: MetaKey = MetaKey {
    table: META.name,
    key: "mvcc/compact_rev",
    holds: "compact revision, i64 BE",
};
/// `meta`: the record format of the data dir (`crc32c-v2`; see `storage::record`).
pub const MVCC_RECORD_FORMAT: MetaKey = MetaKey {
    table: META.name,
    key: "mvcc/record_format",
    holds: "record format marker, ASCII",
};
/// `auth`: whether auth is enabled (sealed `[1]` or `[0]`). etcd: `authEnabled`.
pub const AUTH_ENABLED: MetaKey = MetaKey {
    table: AUTH.name,
    key: "enabled",
    holds: "sealed [1] enabled / [0] disabled",
};
/// `auth`: the auth revision (sealed u64 big-endian). etcd: `authRevision`.
pub const AUTH_REVISION: MetaKey = MetaKey {
    table: AUTH.name,
    key: "authRevision",
    holds: "sealed auth revision, u64 BE",
};
/// `raft_state`: the last applied log id (postcard `Option<LogId<u64>>`). etcd:
/// `consistent_index` and `term` in `meta`.
pub const RAFT_APPLIED: MetaKey = MetaKey {
    table: RAFT_STATE.name,
    key: "raft/applied",
    holds: "postcard Option<LogId<u64>>",
};
/// `raft_state`: the last applied membership (postcard `StoredMembership`).
pub const RAFT_MEMBERSHIP: MetaKey = MetaKey {
    table: RAFT_STATE.name,
    key: "raft/membership",
    holds: "postcard StoredMembership<u64, Member>",
};
/// `raft_state`: every member ever removed from the membership (postcard `BTreeSet<u64>` of
/// member IDs), added to in the transaction that applies the removal. etcd: the
/// `members_removed` bucket. Peers answer these IDs, and only these, "the member has been
/// permanently removed from the cluster".
pub const RAFT_MEMBERS_REMOVED: MetaKey = MetaKey {
    table: RAFT_STATE.name,
    key: "raft/members_removed",
    holds: "postcard BTreeSet<u64>",
};
/// `raft_meta`: the persisted vote (postcard openraft `Vote`).
pub const WAL_VOTE: MetaKey = MetaKey {
    table: RAFT_META.name,
    key: "vote",
    holds: "postcard Vote<u64>",
};
/// `raft_meta`: the last committed log id (postcard `Option<LogId<u64>>`). Not written
/// today (openraft 0.9's `save_committed` is optional and not implemented).
#[allow(dead_code, reason = "reserved key, listed so the name stays taken")]
pub const WAL_COMMITTED: MetaKey = MetaKey {
    table: RAFT_META.name,
    key: "committed",
    holds: "postcard Option<LogId<u64>>",
};
/// `raft_meta`: the last purged log id (postcard `Option<LogId<u64>>`).
pub const WAL_LAST_PURGED: MetaKey = MetaKey {
    table: RAFT_META.name,
    key: "last_purged",
    holds: "postcard Option<LogId<u64>>",
};
/// `raft_meta`: this member's identity (postcard `(cluster ID, member ID)`).
pub const WAL_IDENTITY: MetaKey = MetaKey {
    table: RAFT_META.name,
    key: "identity",
    holds: "postcard (cluster ID, member ID)",
};

/// Every fixed key of every [`TableKind::Meta`] table.
#[allow(
    dead_code,
    reason = "the schema's list for the bbolt export work; checked by the schema test"
)]
pub const META_KEYS: &[MetaKey] = &[
    MVCC_COMPACT_REV,
    MVCC_RECORD_FORMAT,
    AUTH_ENABLED,
    AUTH_REVISION,
    RAFT_APPLIED,
    RAFT_MEMBERSHIP,
    RAFT_MEMBERS_REMOVED,
    WAL_VOTE,
    WAL_COMMITTED,
    WAL_LAST_PURGED,
    WAL_IDENTITY,
];

/// Creates tables inside the write transaction of [`create_tables`].
pub struct Creator<'o, 'e, T> {
    opener: &'o DatabaseOpener<'e, T>,
    wtxn: &'o mut RwTxn<'e>,
}

impl<'e, T> Creator<'_, 'e, T> {
    /// Creates (or opens) `table` with heed key and value codecs `KC`, `DC`.
    ///
    /// # Errors
    /// LMDB errors (`MDB_DBS_FULL` if the environment has no room for another database).
    pub fn create<KC: 'static, DC: 'static>(
        &mut self,
        table: &Table,
    ) -> heed::Result<Database<'e, KC, DC>> {
        self.opener.create_database(self.wtxn, Some(table.name))
    }
}

/// Creates (or opens) the tables `f` asks for in one write transaction of `env`, commits it
/// and returns the handles, valid for the life of the environment. Call before any other
/// write transaction on `env` is alive (LMDB allows one writer).
///
/// # Errors
/// LMDB errors, or `f`'s.
pub fn create_tables<'e, T, D: OnCommit>(
    env: &'e heed::Env<T>,
    f: impl FnOnce(&mut Creator<'_, 'e, T>) -> heed::Result<D>,
) -> heed::Result<D::Committed> {
    let wtxn = env.write_txn()?;
    let committed = env.create_databases_and_commit(wtxn, |opener, wtxn| -> heed::Result<_> {
        let mut c = Creator { opener, wtxn };
        Ok(CommitOrAbort::<_, ()>::Commit(f(&mut c)?))
    })?;
    match committed {
        CommitOrAbort::Commit(d) => Ok(d),
        CommitOrAbort::Abort(()) => Err(heed::Error::Io(std::io::Error::other(
            "creating databases aborted",
        ))),
    }
}

/// Opens `table` read-only if `env` has it (a snapshot image, a copy), with byte keys and
/// values.
///
/// # Errors
/// LMDB errors.
pub fn open_table(
    env: &super::Env,
    table: &Table,
) -> heed::Result<Option<Database<'static, Bytes, Bytes>>> {
    let rtxn = env.read_txn()?;
    let opened = env.open_databases_and_commit(rtxn, |opener, rtxn| -> heed::Result<_> {
        Ok(CommitOrAbort::<_, ()>::Commit(
            opener.open_database::<Bytes, Bytes>(rtxn, Some(table.name))?,
        ))
    })?;
    Ok(match opened {
        CommitOrAbort::Commit(db) => db,
        CommitOrAbort::Abort(()) => None,
    })
}

/// [`open_table`] for a [`TableKind::Meta`] table with string keys.
///
/// # Errors
/// LMDB errors.
pub fn open_meta_table(
    env: &super::Env,
    table: &Table,
) -> heed::Result<Option<Database<'static, Str, Bytes>>> {
    Ok(open_table(env, table)?.map(|db| db.remap_key_type::<Str>()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Names are unique, the state list is in LMDB's (byte) order, every table is listed in
    /// the list of its environment, and every meta key belongs to a meta table.
    #[test]
    fn the_table_is_consistent() {
        let all: Vec<&Table> = STATE_TABLES.iter().chain(WAL_TABLES).collect();
        let mut names: Vec<&str> = all.iter().map(|t| t.name).collect();
        assert!(
            STATE_TABLES.windows(2).all(|w| w[0].name < w[1].name),
            "STATE_TABLES sorted by name bytes"
        );
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), all.len(), "unique names");
        assert!(STATE_TABLES.iter().all(|t| t.env == EnvDir::State));
        assert!(WAL_TABLES.iter().all(|t| t.env == EnvDir::Wal));
        for k in META_KEYS {
            let t = all
                .iter()
                .find(|t| t.name == k.table)
                .expect("meta key of a listed table");
            assert_eq!(t.kind, TableKind::Meta, "{}", k.key);
        }
        for t in all.iter().filter(|t| t.kind == TableKind::Meta) {
            assert!(META_KEYS.iter().any(|k| k.table == t.name), "{}", t.name);
        }
    }

    /// Tables created through the helper exist afterwards and open read-only by name.
    #[test]
    fn create_then_open() {
        let dir = tempfile::tempdir().expect("tempdir");
        let env = super::super::open_env(dir.path(), super::super::EnvKind::State).expect("env");
        let (alarm, auth) = create_tables(&env, |c| {
            Ok((
                c.create::<Bytes, Bytes>(&ALARM)?,
                c.create::<Str, Bytes>(&AUTH)?,
            ))
        })
        .expect("create");
        let mut wtxn = env.write_txn().expect("txn");
        alarm.put(&mut wtxn, b"a", b"1").expect("put");
        auth.put(&mut wtxn, AUTH_ENABLED.key, b"2").expect("put");
        wtxn.commit().expect("commit");
        let a = open_table(&env, &ALARM).expect("open").expect("exists");
        let m = open_meta_table(&env, &AUTH).expect("open").expect("exists");
        let rtxn = env.read_txn().expect("txn");
        assert_eq!(a.get(&rtxn, b"a").expect("get"), Some(&b"1"[..]));
        assert_eq!(m.get(&rtxn, "enabled").expect("get"), Some(&b"2"[..]));
        assert!(open_table(&env, &KEY).expect("open").is_none());
    }
}
