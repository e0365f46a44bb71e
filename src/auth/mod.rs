//! Authentication and authorization (etcd's `auth` package): the replicated auth store
//! (users, roles, the enabled flag and the auth revision, in the `authUsers`, `authRoles`
//! and `auth` LMDB databases), the range permission checks, simple tokens, and bcrypt
//! password hashing.
//!
//! Only `apply` mutates the [`store::AuthStore`]. Whatever varies between members (bcrypt
//! salts and hashes, token prefixes) is computed by the proposer before proposing and
//! carried in the log entry; see `server::auth`.
//!
//! Depends on: storage (heed), pb. No tonic, no openraft, no sockets.

pub mod password;
pub mod perms;
pub mod store;
pub mod token;

use serde::{Deserialize, Serialize};

/// The name of etcd's superuser; it must exist and hold [`ROOT_ROLE`] to enable auth.
pub const ROOT_USER: &str = "root";
/// The role that bypasses every permission check. It exists implicitly: granting it to
/// a user needs no `role add root` (etcd's `UserGrantRole` skips the lookup for it).
pub const ROOT_ROLE: &str = "root";

/// Who sends a request, as resolved from its token before proposing (etcd's `AuthInfo`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthInfo {
    /// The user name; empty when the request carried no token.
    pub username: String,
    /// The auth store revision when the token was resolved (0: no user).
    pub revision: u64,
}

/// A deterministic auth failure, mirroring etcd's `auth.Err*`; the server maps each to
/// etcd's wire error (`etcdserver: ...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AuthError {
    /// `auth: root user does not exist` (auth enable without a root user).
    #[error("auth: root user does not exist")]
    RootUserNotExist,
    /// `auth: root user does not have root role`.
    #[error("auth: root user does not have root role")]
    RootRoleNotExist,
    /// `auth: user already exists`.
    #[error("auth: user already exists")]
    UserAlreadyExist,
    /// `auth: user name is empty` (also: a request without a user while auth is enabled).
    #[error("auth: user name is empty")]
    UserEmpty,
    /// `auth: user not found`.
    #[error("auth: user not found")]
    UserNotFound,
    /// `auth: role already exists`.
    #[error("auth: role already exists")]
    RoleAlreadyExist,
    /// `auth: role not found`.
    #[error("auth: role not found")]
    RoleNotFound,
    /// `auth: role name is empty`.
    #[error("auth: role name is empty")]
    RoleEmpty,
    /// `auth: authentication failed, invalid user ID or password`.
    #[error("auth: authentication failed, invalid user ID or password")]
    AuthFailed,
    /// `auth: authentication failed, password was given for no password user` (etcd sends
    /// it as a plain error, gRPC `Unknown`).
    #[error("auth: authentication failed, password was given for no password user")]
    NoPasswordUser,
    /// `auth: permission denied`.
    #[error("auth: permission denied")]
    PermissionDenied,
    /// `auth: role is not granted to the user`.
    #[error("auth: role is not granted to the user")]
    RoleNotGranted,
    /// `auth: permission is not granted to the role`.
    #[error("auth: permission is not granted to the role")]
    PermissionNotGranted,
    /// `auth: authentication is not enabled`.
    #[error("auth: authentication is not enabled")]
    AuthNotEnabled,
    /// `auth: revision in header is old`: the auth store changed after the token was
    /// resolved and before the request applied.
    #[error("auth: revision in header is old")]
    AuthOldRevision,
    /// `auth: invalid auth token`.
    #[error("auth: invalid auth token")]
    InvalidAuthToken,
    /// `auth: invalid auth management` (deleting root, revoking root from root while
    /// enabled).
    #[error("auth: invalid auth management")]
    InvalidAuthMgmt,
}

/// Failures of the auth store's own storage (never request failures).
#[derive(Debug, thiserror::Error)]
pub enum AuthStorageError {
    /// LMDB failure.
    #[error("auth storage: {0}")]
    Heed(#[from] heed::Error),
    /// A stored user or role does not decode.
    #[error("auth storage: corrupt record: {0}")]
    Corrupt(String),
    /// A stored value's CRC-32C does not match its bytes (a damaged data file): the value
    /// is not returned ([`crate::storage::record`]).
    #[error("auth storage: {0}")]
    Checksum(#[from] crate::storage::record::ChecksumMismatch),
    /// bcrypt failed (bad cost).
    #[error("auth: bcrypt: {0}")]
    Bcrypt(String),
}
