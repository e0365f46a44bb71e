//! The server's error type; `v3rpc::error` maps every variant to etcd's wire status.

use crate::apply::ApplyError;
use crate::auth::{AuthError, AuthStorageError};
use crate::lease::LeaseError;
use crate::mvcc::MvccError;

/// Errors of [`super::EtcdServer`] operations.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A deterministic apply failure (the same on every member).
    #[error(transparent)]
    Apply(ApplyError),
    /// An auth failure found before proposing (bad token, bad password, read denied).
    #[error(transparent)]
    Auth(AuthError),
    /// `mvcc: required revision has been compacted` on a read.
    #[error("mvcc: required revision has been compacted")]
    Compacted,
    /// `mvcc: required revision is a future revision` on a read.
    #[error("mvcc: required revision is a future revision")]
    FutureRev,
    /// The encoded request exceeds `--max-request-bytes`.
    #[error("etcdserver: request is too large")]
    RequestTooLarge,
    /// No leader is known.
    #[error("etcdserver: no leader")]
    NoLeader,
    /// This member is not the leader and cannot forward.
    #[error("etcdserver: not leader")]
    NotLeader,
    /// The request did not complete within etcd's request timeout.
    #[error("etcdserver: request timed out")]
    Timeout,
    /// The server is shutting down.
    #[error("etcdserver: server stopped")]
    Stopped,
    /// Refusal at bootstrap (configuration conflicts with the data dir or cluster).
    #[error("{0}")]
    Bootstrap(String),
    /// An etcd wire error decided by the server itself (membership checks and the like).
    #[error("{0}")]
    Wire(crate::rpctypes::WireError),
    /// An auth failure etcd sends untranslated, as gRPC `Unknown` with the auth store's
    /// own message (`auth: permission denied`, `auth: user name is empty`, `auth: invalid
    /// auth token`): the Maintenance service's admin check (etcd 3.4's
    /// `authMaintenanceServer.isAuthenticated` returns the auth store's error as is).
    #[error(transparent)]
    UntranslatedAuth(AuthError),
    /// An LMDB failure on the server's own reads (opening a read transaction, a lookup in
    /// the alarm or member tables). Like every storage variant it goes out as gRPC
    /// `Internal` with `storage: ` and the cause's message, and keeps the cause as its
    /// `source()`.
    #[error("storage: {0}")]
    Lmdb(#[from] heed::Error),
    /// A storage layer failure (opening an environment, defragmentation).
    #[error("storage: {0}")]
    Backend(#[from] crate::storage::StorageError),
    /// An MVCC failure that is not a request error (disk, corrupt store). Built by
    /// [`Error::from_mvcc`], never by `?`: compacted / future revisions and damaged records
    /// have wire errors of their own.
    #[error("storage: {0}")]
    Mvcc(#[source] MvccError),
    /// A lease table failure (a damaged record converts to [`Error::Damaged`]).
    #[error("storage: {0}")]
    Lease(#[source] LeaseError),
    /// An auth store failure (LMDB, an undecodable record, bcrypt; a damaged record
    /// converts to [`Error::Damaged`]).
    #[error("storage: {0}")]
    AuthStore(#[source] AuthStorageError),
    /// A damaged record (CRC-32C mismatch) of the lease, auth, members or alarm stores,
    /// found by a read: never served; sent as etcd's `etcdserver: corrupt cluster` and
    /// reported to the CORRUPT alarm loop by [`super::EtcdServer::read`].
    #[error("{0}")]
    Damaged(crate::storage::record::ChecksumMismatch),
    /// A Raft log store failure (the member identity in the WAL environment); boxed, as
    /// openraft's error is large and every `Result<_, Error>` would carry its size.
    #[error("storage: {0}")]
    Log(#[source] Box<openraft::StorageError<u64>>),
    /// A lock / election recipe failure (etcd sends these as gRPC `Unknown`).
    #[error(transparent)]
    Concurrency(#[from] super::ConcurrencyError),
    /// An invariant broke; reported as an internal error.
    #[error("internal: {0}")]
    Internal(String),
    /// A blocking task (bcrypt, defragment) panicked or was cancelled; reported as an
    /// internal error.
    #[error("internal: {0}")]
    Task(#[from] tokio::task::JoinError),
    /// etcd's `DiscoveryError{Op: "join"}`: v2 discovery (`--discovery`) failed at bootstrap.
    #[error("failed to join discovery cluster ({0})")]
    Discovery(crate::discovery::v2::DiscoveryError),
    /// etcd 3.6's `DiscoveryError{Op: "join"}` for v3 discovery (`--discovery-token`,
    /// `--discovery-endpoints`).
    #[error("failed to join discovery cluster ({0})")]
    DiscoveryV3(crate::discovery::v3::DiscoveryError),
}

impl From<LeaseError> for Error {
    fn from(e: LeaseError) -> Error {
        match e {
            LeaseError::Checksum(c) => Error::Damaged(c),
            other => Error::Lease(other),
        }
    }
}

impl From<AuthStorageError> for Error {
    fn from(e: AuthStorageError) -> Error {
        match e {
            AuthStorageError::Checksum(c) => Error::Damaged(c),
            other => Error::AuthStore(other),
        }
    }
}

impl From<crate::alarm::AlarmStoreError> for Error {
    fn from(e: crate::alarm::AlarmStoreError) -> Error {
        match e {
            crate::alarm::AlarmStoreError::Checksum(c) => Error::Damaged(c),
            crate::alarm::AlarmStoreError::Storage(h) => Error::Lmdb(h),
        }
    }
}

impl From<crate::membership::store::MemberStoreError> for Error {
    fn from(e: crate::membership::store::MemberStoreError) -> Error {
        use crate::membership::store::MemberStoreError as M;
        match e {
            M::Checksum(c) => Error::Damaged(c),
            M::Storage(h) => Error::Lmdb(h),
            M::Encode(m) => Error::Internal(m),
        }
    }
}

impl From<openraft::StorageError<u64>> for Error {
    fn from(e: openraft::StorageError<u64>) -> Error {
        Error::Log(Box::new(e))
    }
}

impl Error {
    /// The etcd wire error for this error, when etcd has one.
    pub fn wire(&self) -> Option<crate::rpctypes::WireError> {
        use crate::rpctypes::WireError;
        Some(match self {
            Error::Apply(a) => match a {
                ApplyError::Compacted => WireError::Compacted,
                ApplyError::FutureRev => WireError::FutureRev,
                ApplyError::KeyNotFound => WireError::KeyNotFound,
                ApplyError::LeaseNotFound => WireError::LeaseNotFound,
                ApplyError::NoSpace => WireError::NoSpace,
                ApplyError::LeaseExist => WireError::LeaseExist,
                ApplyError::LeaseTtlTooLarge => WireError::LeaseTTLTooLarge,
                ApplyError::Auth(e) => return auth_wire(*e),
                ApplyError::UnknownRequest => return None,
                ApplyError::Corrupt => WireError::Corrupt,
                ApplyError::RequestTooLarge => WireError::RequestTooLarge,
            },
            Error::Auth(e) => return auth_wire(*e),
            Error::Compacted => WireError::Compacted,
            Error::FutureRev => WireError::FutureRev,
            Error::RequestTooLarge => WireError::RequestTooLarge,
            Error::NoLeader => WireError::NoLeader,
            Error::NotLeader => WireError::NotLeader,
            Error::Timeout => WireError::Timeout,
            Error::Stopped => WireError::Stopped,
            Error::Wire(w) => *w,
            Error::Damaged(_) => WireError::Corrupt,
            _ => return None,
        })
    }

    /// The same failure as etcd's Maintenance service sends it: an [`Error::Auth`] becomes
    /// [`Error::UntranslatedAuth`]; anything else is kept.
    pub fn untranslated_auth(self) -> Error {
        match self {
            Error::Auth(a) => Error::UntranslatedAuth(a),
            other => other,
        }
    }

    /// Maps an MVCC read error.
    pub fn from_mvcc(e: MvccError) -> Error {
        match e {
            MvccError::Compacted => Error::Compacted,
            MvccError::FutureRev => Error::FutureRev,
            MvccError::Checksum(_) => Error::Wire(crate::rpctypes::WireError::Corrupt),
            other => Error::Mvcc(other),
        }
    }
}

/// etcd's `toGRPCErrorMap` for auth errors; `None` for those etcd sends as plain errors
/// (gRPC `Unknown` with the `auth: ...` message): only `NoPasswordUser`.
pub fn auth_wire(e: AuthError) -> Option<crate::rpctypes::WireError> {
    use crate::rpctypes::WireError as W;
    Some(match e {
        AuthError::RootUserNotExist => W::RootUserNotExist,
        AuthError::RootRoleNotExist => W::RootRoleNotExist,
        AuthError::UserAlreadyExist => W::UserAlreadyExist,
        AuthError::UserEmpty => W::UserEmpty,
        AuthError::UserNotFound => W::UserNotFound,
        AuthError::RoleAlreadyExist => W::RoleAlreadyExist,
        AuthError::RoleNotFound => W::RoleNotFound,
        AuthError::RoleEmpty => W::RoleEmpty,
        AuthError::AuthFailed => W::AuthFailed,
        AuthError::NoPasswordUser => return None,
        AuthError::PermissionDenied => W::PermissionDenied,
        AuthError::RoleNotGranted => W::RoleNotGranted,
        AuthError::PermissionNotGranted => W::PermissionNotGranted,
        AuthError::AuthNotEnabled => W::AuthNotEnabled,
        AuthError::AuthOldRevision => W::AuthOldRevision,
        AuthError::InvalidAuthToken => W::InvalidAuthToken,
        AuthError::InvalidAuthMgmt => W::InvalidAuthMgmt,
    })
}

/// Sample errors for the golden test of `v3rpc::error`, built here so the wire layer's test
/// names no storage type.
#[cfg(test)]
pub(crate) mod samples {
    use super::*;

    /// A damaged lease / auth / members / alarm record (CRC-32C mismatch).
    pub(crate) fn damaged() -> Error {
        Error::Damaged(crate::storage::record::ChecksumMismatch {
            what: "lease record".into(),
            stored: 1,
            computed: 2,
            len: 8,
        })
    }

    /// One error per storage variant, with the message clients get for it (gRPC
    /// `Internal`): `storage: ` and the cause's own message, as before the causes were typed.
    pub(crate) fn storage() -> Vec<(Error, &'static str)> {
        let io = || std::io::Error::other("disk on fire");
        vec![
            (Error::Lmdb(heed::Error::Io(io())), "storage: disk on fire"),
            (
                Error::Backend(crate::storage::StorageError::Corrupt("bad meta".into())),
                "storage: storage: corrupt record: bad meta",
            ),
            (
                Error::from_mvcc(MvccError::Corrupt("index".into())),
                "storage: mvcc: corrupt store: index",
            ),
            (
                Error::from_mvcc(MvccError::Storage(heed::Error::Io(io()))),
                "storage: mvcc: storage error: disk on fire",
            ),
            (
                Error::Lease(LeaseError::Corrupt("lease".into())),
                "storage: lease storage: corrupt record: lease",
            ),
            (
                Error::AuthStore(AuthStorageError::Bcrypt("cost".into())),
                "storage: auth: bcrypt: cost",
            ),
            (
                Error::from(openraft::StorageError::from_io_error(
                    openraft::ErrorSubject::Store,
                    openraft::ErrorVerb::Read,
                    io(),
                )),
                "storage: when Read Store: std::io::error::Error: disk on fire",
            ),
        ]
    }

    /// [`Error::Task`] of a blocking task that panicked (built on a throwaway runtime).
    pub(crate) fn task_panicked() -> Error {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("invariant: a current-thread runtime builds");
        let join = rt.block_on(async {
            tokio::task::spawn_blocking(|| std::panic::resume_unwind(Box::new("sample"))).await
        });
        match join {
            Err(e) => Error::from(e),
            Ok(()) => unreachable!("the task panics"),
        }
    }
}
