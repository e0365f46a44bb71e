//! The one exhaustive mapping from server errors to etcd's gRPC status (code and exact
//! message, from [`crate::rpctypes`]).

use tonic::Status;

use crate::apply::ApplyError;
use crate::rpctypes::WireError;
use crate::server::Error;

/// The etcd wire error for a server error, when etcd has one (see [`Error::wire`]).
pub fn wire_error(e: &Error) -> Option<WireError> {
    e.wire()
}

/// Converts a server error into the status etcd would send.
pub fn to_status(e: Error) -> Status {
    match wire_error(&e) {
        Some(w) => w.status(),
        None => match e {
            Error::Apply(ApplyError::UnknownRequest) => Status::unimplemented(e.to_string()),
            // etcd's togRPCError: auth errors without a wire twin go out as `Unknown`.
            Error::Apply(ApplyError::Auth(a)) | Error::Auth(a) | Error::UntranslatedAuth(a) => {
                Status::unknown(a.to_string())
            }
            // etcd's v3election / v3lock return these as plain Go errors: gRPC `Unknown`.
            Error::Concurrency(c) => Status::unknown(c.to_string()),
            other => Status::internal(other.to_string()),
        },
    }
}

/// The status etcd's `v3lock` / `v3election` services send for a server error. Those run
/// the recipes through an in-process clientv3, which turns every etcd wire error back into
/// a client-side `rpctypes.EtcdError`; gRPC cannot see a code in that, so etcd sends it as
/// `Unknown` with the same message (e.g. `etcdserver: requested lease not found`). Errors
/// that are not etcd wire errors keep their status.
pub fn to_recipe_status(e: Error) -> Status {
    let s = to_status(e);
    match WireError::from_message(s.message()) {
        Some(w) => Status::unknown(w.message()),
        None => s,
    }
}

impl From<Error> for Status {
    fn from(e: Error) -> Status {
        to_status(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Golden: every server error variant maps to etcd's code and message.
    #[test]
    fn every_variant_maps_to_etcd_wire_status() {
        use crate::auth::AuthError as A;
        let cases: Vec<(Error, tonic::Code, &str)> = vec![
            (
                Error::Apply(ApplyError::Compacted),
                tonic::Code::OutOfRange,
                "etcdserver: mvcc: required revision has been compacted",
            ),
            (
                Error::Apply(ApplyError::FutureRev),
                tonic::Code::OutOfRange,
                "etcdserver: mvcc: required revision is a future revision",
            ),
            (
                Error::Apply(ApplyError::KeyNotFound),
                tonic::Code::InvalidArgument,
                "etcdserver: key not found",
            ),
            (
                Error::Apply(ApplyError::LeaseNotFound),
                tonic::Code::NotFound,
                "etcdserver: requested lease not found",
            ),
            (
                Error::Apply(ApplyError::NoSpace),
                tonic::Code::ResourceExhausted,
                "etcdserver: mvcc: database space exceeded",
            ),
            (
                Error::Apply(ApplyError::LeaseExist),
                tonic::Code::FailedPrecondition,
                "etcdserver: lease already exists",
            ),
            (
                Error::Apply(ApplyError::Corrupt),
                tonic::Code::DataLoss,
                "etcdserver: corrupt cluster",
            ),
            (
                Error::Apply(ApplyError::LeaseTtlTooLarge),
                tonic::Code::OutOfRange,
                "etcdserver: too large lease TTL",
            ),
            (
                Error::Compacted,
                tonic::Code::OutOfRange,
                "etcdserver: mvcc: required revision has been compacted",
            ),
            (
                Error::FutureRev,
                tonic::Code::OutOfRange,
                "etcdserver: mvcc: required revision is a future revision",
            ),
            (
                Error::RequestTooLarge,
                tonic::Code::InvalidArgument,
                "etcdserver: request is too large",
            ),
            (
                Error::NoLeader,
                tonic::Code::Unavailable,
                "etcdserver: no leader",
            ),
            (
                Error::NotLeader,
                tonic::Code::FailedPrecondition,
                "etcdserver: not leader",
            ),
            (
                Error::Timeout,
                tonic::Code::Unavailable,
                "etcdserver: request timed out",
            ),
            (
                Error::Stopped,
                tonic::Code::Unavailable,
                "etcdserver: server stopped",
            ),
            (
                Error::Apply(ApplyError::Auth(A::PermissionDenied)),
                tonic::Code::PermissionDenied,
                "etcdserver: permission denied",
            ),
            (
                Error::Apply(ApplyError::Auth(A::AuthOldRevision)),
                tonic::Code::InvalidArgument,
                "etcdserver: revision of auth store is old",
            ),
            (
                Error::Apply(ApplyError::Auth(A::UserEmpty)),
                tonic::Code::InvalidArgument,
                "etcdserver: user name is empty",
            ),
            (
                Error::Apply(ApplyError::Auth(A::RootUserNotExist)),
                tonic::Code::FailedPrecondition,
                "etcdserver: root user does not exist",
            ),
            (
                Error::Apply(ApplyError::Auth(A::RootRoleNotExist)),
                tonic::Code::FailedPrecondition,
                "etcdserver: root user does not have root role",
            ),
            (
                Error::Apply(ApplyError::Auth(A::UserAlreadyExist)),
                tonic::Code::FailedPrecondition,
                "etcdserver: user name already exists",
            ),
            (
                Error::Apply(ApplyError::Auth(A::UserNotFound)),
                tonic::Code::FailedPrecondition,
                "etcdserver: user name not found",
            ),
            (
                Error::Apply(ApplyError::Auth(A::RoleAlreadyExist)),
                tonic::Code::FailedPrecondition,
                "etcdserver: role name already exists",
            ),
            (
                Error::Apply(ApplyError::Auth(A::RoleNotFound)),
                tonic::Code::FailedPrecondition,
                "etcdserver: role name not found",
            ),
            (
                Error::Apply(ApplyError::Auth(A::RoleEmpty)),
                tonic::Code::InvalidArgument,
                "etcdserver: role name is empty",
            ),
            (
                Error::Apply(ApplyError::Auth(A::RoleNotGranted)),
                tonic::Code::FailedPrecondition,
                "etcdserver: role is not granted to the user",
            ),
            (
                Error::Apply(ApplyError::Auth(A::PermissionNotGranted)),
                tonic::Code::FailedPrecondition,
                "etcdserver: permission is not granted to the role",
            ),
            (
                Error::Apply(ApplyError::Auth(A::InvalidAuthMgmt)),
                tonic::Code::InvalidArgument,
                "etcdserver: invalid auth management",
            ),
            (
                Error::Apply(ApplyError::Auth(A::AuthNotEnabled)),
                tonic::Code::FailedPrecondition,
                "etcdserver: authentication is not enabled",
            ),
            (
                Error::Auth(A::AuthFailed),
                tonic::Code::InvalidArgument,
                "etcdserver: authentication failed, invalid user ID or password",
            ),
            (
                Error::Auth(A::InvalidAuthToken),
                tonic::Code::Unauthenticated,
                "etcdserver: invalid auth token",
            ),
            (
                Error::Auth(A::NoPasswordUser),
                tonic::Code::Unknown,
                "auth: authentication failed, password was given for no password user",
            ),
        ];
        for (e, code, msg) in cases {
            let s = to_status(e);
            assert_eq!(s.code(), code, "{msg}");
            assert_eq!(s.message(), msg);
        }
        for (w, code, msg) in [
            (
                WireError::MemberNotFound,
                tonic::Code::NotFound,
                "etcdserver: member not found",
            ),
            (
                WireError::Corrupt,
                tonic::Code::DataLoss,
                "etcdserver: corrupt cluster",
            ),
        ] {
            let s = to_status(Error::Wire(w));
            assert_eq!((s.code(), s.message()), (code, msg));
        }
        // A damaged lease / auth / members / alarm record: etcd's corrupt cluster.
        let s = to_status(crate::server::error_samples::damaged());
        assert_eq!(
            (s.code(), s.message()),
            (tonic::Code::DataLoss, "etcdserver: corrupt cluster")
        );
        for (e, msg) in [
            (
                Error::Bootstrap("member count is unequal".into()),
                "member count is unequal",
            ),
            (Error::Internal("broke".into()), "internal: broke"),
        ] {
            let s = to_status(e);
            assert_eq!((s.code(), s.message()), (tonic::Code::Internal, msg));
        }
        // A blocking task that panicked: `Internal`, `internal: ` and tokio's message.
        let e = crate::server::error_samples::task_panicked();
        assert!(
            std::error::Error::source(&e).is_some(),
            "task error: no source"
        );
        let s = to_status(e);
        assert_eq!(s.code(), tonic::Code::Internal);
        assert!(
            s.message().starts_with("internal: task ")
                && s.message().ends_with(" panicked with message \"sample\""),
            "{}",
            s.message()
        );
        // Storage failures: `Internal` with `storage: ` and the cause, which stays the
        // error's source.
        for (e, msg) in crate::server::error_samples::storage() {
            assert!(std::error::Error::source(&e).is_some(), "{msg}: no source");
            let s = to_status(e);
            assert_eq!((s.code(), s.message()), (tonic::Code::Internal, msg));
        }
        // The Maintenance admin check (checked against etcd 3.4.23 by
        // `admin_rpcs::admin_rpc_table_matches_real_etcd`).
        for (a, msg) in [
            (A::PermissionDenied, "auth: permission denied"),
            (A::UserEmpty, "auth: user name is empty"),
            (A::UserNotFound, "auth: user not found"),
            (A::InvalidAuthToken, "auth: invalid auth token"),
        ] {
            let s = to_status(Error::UntranslatedAuth(a));
            assert_eq!((s.code(), s.message()), (tonic::Code::Unknown, msg));
        }
        use crate::server::ConcurrencyError as C;
        for (c, msg) in [
            (C::NotLeader, "election: not leader"),
            (C::NoLeader, "election: no leader"),
            (C::SessionExpired, "session expired"),
            (C::MissingLeaderKey, "\"leader\" field must be provided"),
            (C::LostWatcher, "lost watcher waiting for delete"),
        ] {
            let s = to_status(Error::Concurrency(c));
            assert_eq!((s.code(), s.message()), (tonic::Code::Unknown, msg));
        }
    }

    /// Golden, checked against etcd 3.4.23 (`lock_and_election_statuses_match_real_etcd`):
    /// the lock and election services send etcd wire errors as `Unknown`.
    #[test]
    fn recipe_services_send_wire_errors_as_unknown() {
        let s = to_recipe_status(Error::Apply(ApplyError::LeaseNotFound));
        assert_eq!(
            (s.code(), s.message()),
            (
                tonic::Code::Unknown,
                "etcdserver: requested lease not found"
            )
        );
        let s = to_recipe_status(Error::NoLeader);
        assert_eq!(
            (s.code(), s.message()),
            (tonic::Code::Unknown, "etcdserver: no leader")
        );
        let s = to_recipe_status(Error::Concurrency(
            crate::server::ConcurrencyError::NotLeader,
        ));
        assert_eq!(
            (s.code(), s.message()),
            (tonic::Code::Unknown, "election: not leader")
        );
        for (e, msg) in crate::server::error_samples::storage() {
            let s = to_recipe_status(e);
            assert_eq!((s.code(), s.message()), (tonic::Code::Internal, msg));
        }
    }

    /// Every variant has a golden case above: adding a variant breaks this match until the
    /// golden test covers it.
    #[test]
    fn golden_cases_cover_every_variant() {
        fn covered(e: &Error) -> bool {
            match e {
                Error::Apply(_)
                | Error::Auth(_)
                | Error::Compacted
                | Error::FutureRev
                | Error::RequestTooLarge
                | Error::NoLeader
                | Error::NotLeader
                | Error::Timeout
                | Error::Stopped
                | Error::Bootstrap(_)
                | Error::Discovery(_)
                | Error::DiscoveryV3(_)
                | Error::Wire(_)
                | Error::Damaged(_)
                | Error::UntranslatedAuth(_)
                | Error::Concurrency(_)
                | Error::Internal(_)
                | Error::Task(_) => true,
                // Each has a sample in `server::error_samples::storage`.
                Error::Lmdb(_)
                | Error::Backend(_)
                | Error::Mvcc(_)
                | Error::Lease(_)
                | Error::AuthStore(_)
                | Error::Log(_) => true,
            }
        }
        let samples = crate::server::error_samples::storage();
        assert!(samples.iter().all(|(e, _)| covered(e)));
        for kind in ["Lmdb", "Backend", "Mvcc", "Lease", "AuthStore", "Log"] {
            assert!(
                samples
                    .iter()
                    .any(|(e, _)| format!("{e:?}").starts_with(kind)),
                "no storage sample for {kind}"
            );
        }
    }
}
