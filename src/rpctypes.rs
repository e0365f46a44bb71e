//! Every etcd v3 wire error as a typed value: its gRPC code and its exact message, as in
//! etcd 3.4's `etcdserver/api/v3rpc/rpctypes/error.go`. Leaf module: the server maps its
//! errors into [`WireError`], and the client maps a status message back with
//! [`WireError::from_message`] (etcd's `errStringToError`).

use tonic::Code;

macro_rules! wire_errors {
    ($($name:ident => ($code:ident, $msg:literal),)*) => {
        /// One etcd wire error. `code()` and `message()` give exactly what etcd sends.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum WireError {
            $(
                #[doc = $msg]
                $name,
            )*
        }

        impl WireError {
            /// Every variant, in etcd's order.
            pub const ALL: &'static [WireError] = &[$(WireError::$name,)*];

            /// The gRPC status code etcd uses for this error.
            pub fn code(self) -> Code {
                match self { $(WireError::$name => Code::$code,)* }
            }

            /// The exact status message etcd sends, e.g. `etcdserver: key is not provided`.
            pub fn message(self) -> &'static str {
                match self { $(WireError::$name => $msg,)* }
            }
        }
    };
}

wire_errors! {
    EmptyKey => (InvalidArgument, "etcdserver: key is not provided"),
    KeyNotFound => (InvalidArgument, "etcdserver: key not found"),
    ValueProvided => (InvalidArgument, "etcdserver: value is provided"),
    LeaseProvided => (InvalidArgument, "etcdserver: lease is provided"),
    TooManyOps => (InvalidArgument, "etcdserver: too many operations in txn request"),
    DuplicateKey => (InvalidArgument, "etcdserver: duplicate key given in txn request"),
    Compacted => (OutOfRange, "etcdserver: mvcc: required revision has been compacted"),
    FutureRev => (OutOfRange, "etcdserver: mvcc: required revision is a future revision"),
    NoSpace => (ResourceExhausted, "etcdserver: mvcc: database space exceeded"),
    LeaseNotFound => (NotFound, "etcdserver: requested lease not found"),
    LeaseExist => (FailedPrecondition, "etcdserver: lease already exists"),
    LeaseTTLTooLarge => (OutOfRange, "etcdserver: too large lease TTL"),
    WatchCanceled => (Cancelled, "etcdserver: watch canceled"),
    MemberExist => (FailedPrecondition, "etcdserver: member ID already exist"),
    PeerURLExist => (FailedPrecondition, "etcdserver: Peer URLs already exists"),
    MemberNotEnoughStarted => (FailedPrecondition, "etcdserver: re-configuration failed due to not enough started members"),
    MemberBadURLs => (InvalidArgument, "etcdserver: given member URLs are invalid"),
    MemberNotFound => (NotFound, "etcdserver: member not found"),
    MemberNotLearner => (FailedPrecondition, "etcdserver: can only promote a learner member"),
    LearnerNotReady => (FailedPrecondition, "etcdserver: can only promote a learner member which is in sync with leader"),
    TooManyLearners => (FailedPrecondition, "etcdserver: too many learner members in cluster"),
    RequestTooLarge => (InvalidArgument, "etcdserver: request is too large"),
    RequestTooManyRequests => (ResourceExhausted, "etcdserver: too many requests"),
    RootUserNotExist => (FailedPrecondition, "etcdserver: root user does not exist"),
    RootRoleNotExist => (FailedPrecondition, "etcdserver: root user does not have root role"),
    UserAlreadyExist => (FailedPrecondition, "etcdserver: user name already exists"),
    UserEmpty => (InvalidArgument, "etcdserver: user name is empty"),
    UserNotFound => (FailedPrecondition, "etcdserver: user name not found"),
    RoleAlreadyExist => (FailedPrecondition, "etcdserver: role name already exists"),
    RoleNotFound => (FailedPrecondition, "etcdserver: role name not found"),
    RoleEmpty => (InvalidArgument, "etcdserver: role name is empty"),
    AuthFailed => (InvalidArgument, "etcdserver: authentication failed, invalid user ID or password"),
    PermissionDenied => (PermissionDenied, "etcdserver: permission denied"),
    RoleNotGranted => (FailedPrecondition, "etcdserver: role is not granted to the user"),
    PermissionNotGranted => (FailedPrecondition, "etcdserver: permission is not granted to the role"),
    AuthNotEnabled => (FailedPrecondition, "etcdserver: authentication is not enabled"),
    InvalidAuthToken => (Unauthenticated, "etcdserver: invalid auth token"),
    InvalidAuthMgmt => (InvalidArgument, "etcdserver: invalid auth management"),
    AuthOldRevision => (InvalidArgument, "etcdserver: revision of auth store is old"),
    NoLeader => (Unavailable, "etcdserver: no leader"),
    NotLeader => (FailedPrecondition, "etcdserver: not leader"),
    LeaderChanged => (Unavailable, "etcdserver: leader changed"),
    NotCapable => (Unavailable, "etcdserver: not capable"),
    Stopped => (Unavailable, "etcdserver: server stopped"),
    Timeout => (Unavailable, "etcdserver: request timed out"),
    TimeoutDueToLeaderFail => (Unavailable, "etcdserver: request timed out, possibly due to previous leader failure"),
    TimeoutDueToConnectionLost => (Unavailable, "etcdserver: request timed out, possibly due to connection lost"),
    TimeoutWaitAppliedIndex => (Unavailable, "etcdserver: request timed out, waiting for the applied index took too long"),
    Unhealthy => (Unavailable, "etcdserver: unhealthy cluster"),
    Corrupt => (DataLoss, "etcdserver: corrupt cluster"),
    NotSupportedForLearner => (Unavailable, "etcdserver: rpc not supported for learner"),
    BadLeaderTransferee => (FailedPrecondition, "etcdserver: bad leader transferee"),
}

impl WireError {
    /// Recognises an etcd error from a status message (etcd's `errStringToError`).
    /// Returns `None` for messages that are not etcd wire errors.
    pub fn from_message(message: &str) -> Option<WireError> {
        WireError::ALL
            .iter()
            .copied()
            .find(|e| e.message() == message)
    }

    /// Builds the `tonic::Status` etcd would send.
    pub fn status(self) -> tonic::Status {
        tonic::Status::new(self.code(), self.message())
    }
}

impl std::fmt::Display for WireError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for WireError {}

/// gRPC metadata key etcd clients set to require a leader (`hasleader`).
pub const METADATA_REQUIRE_LEADER_KEY: &str = "hasleader";
/// Value of [`METADATA_REQUIRE_LEADER_KEY`] that turns the check on.
pub const METADATA_HAS_LEADER: &str = "true";
/// gRPC metadata key carrying the auth token.
pub const TOKEN_FIELD_NAME_GRPC: &str = "token";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip_and_are_unique() {
        for e in WireError::ALL {
            assert_eq!(WireError::from_message(e.message()), Some(*e));
            assert!(e.message().starts_with("etcdserver: "), "{e:?}");
        }
        assert_eq!(WireError::Compacted.code(), Code::OutOfRange);
        assert_eq!(
            WireError::Compacted.message(),
            "etcdserver: mvcc: required revision has been compacted"
        );
    }
}
