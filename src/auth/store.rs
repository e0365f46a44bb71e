//! The replicated auth store (etcd's `auth/store.go`), on three LMDB databases of the
//! state environment, named as etcd's buckets:
//! - `authUsers`: user name → prost `authpb.User` (password = bcrypt hash, roles sorted);
//! - `authRoles`: role name → prost `authpb.Role` (permissions sorted by key);
//! - `auth`: `enabled` → `[1]`/`[0]`, `authRevision` → 8-byte big-endian revision.
//!
//! Every value is sealed with its CRC-32C ([`record`]) and checked on read: a damaged one
//! is [`AuthStorageError::Checksum`], never a value.
//!
//! Every successful mutation bumps the auth revision (etcd's `commitRevision`), except
//! `AuthEnable` and the read requests, as in etcd. Mutators run only inside apply,
//! in the batch's write transaction; they return `Ok(Err(AuthError))` for deterministic
//! failures and `Err` only for storage failures.

mod etcd_import;

use heed::types::{Bytes, Str};
use heed::{Database, RoTxn, RwTxn};
use prost::Message;

use crate::storage::keymap::{KeyMap, KeyMapError};
use crate::storage::record;
use crate::storage::schema;

use super::perms::{PermCache, UnifiedRangePermissions};
use super::{AuthError, AuthInfo, AuthStorageError, ROOT_ROLE, ROOT_USER};
use crate::pb::authpb::permission::Type as PermType;
use crate::pb::authpb::{Permission, Role, User, UserAddOptions};
use crate::pb::etcdserverpb::{
    AuthRoleAddRequest, AuthRoleDeleteRequest, AuthRoleGetRequest, AuthRoleGetResponse,
    AuthRoleGrantPermissionRequest, AuthRoleListResponse, AuthRoleRevokePermissionRequest,
    AuthUserAddRequest, AuthUserChangePasswordRequest, AuthUserDeleteRequest, AuthUserGetRequest,
    AuthUserGetResponse, AuthUserGrantRoleRequest, AuthUserListResponse, AuthUserRevokeRoleRequest,
};

/// A deterministic outcome (inner) or a storage failure (outer).
pub type AuthResult<T> = Result<Result<T, AuthError>, AuthStorageError>;

const ENABLED_KEY: &str = schema::AUTH_ENABLED.key;
const REVISION_KEY: &str = schema::AUTH_REVISION.key;

/// Handles to the `authUsers`, `authRoles` and `auth` databases. Users and roles are
/// [`KeyMap`]s: a name of any length is a valid key.
#[derive(Debug, Clone, Copy)]
pub struct AuthStore {
    users: KeyMap,
    roles: KeyMap,
    meta: Database<'static, Str, Bytes>,
}

impl From<KeyMapError> for AuthStorageError {
    fn from(e: KeyMapError) -> AuthStorageError {
        match e {
            KeyMapError::Storage(h) => AuthStorageError::Heed(h),
            KeyMapError::Corrupt(m) => AuthStorageError::Corrupt(m),
        }
    }
}

/// The payload of an `auth` database value after checking its CRC-32C.
fn open_meta<'v>(stored: &'v [u8], key: &str) -> Result<&'v [u8], AuthStorageError> {
    Ok(record::open(stored, || {
        format!("auth database record {key:?}")
    })?)
}

fn has_root_role(u: &User) -> bool {
    u.roles
        .binary_search_by(|r| r.as_slice().cmp(ROOT_ROLE.as_bytes()))
        .is_ok()
}

impl AuthStore {
    /// Creates or opens the auth databases in their own committed transaction; a new
    /// store starts at auth revision 1, disabled (etcd's `NewAuthStore`).
    ///
    /// # Errors
    /// LMDB errors.
    pub fn open<T>(env: &heed::Env<T>) -> Result<AuthStore, AuthStorageError> {
        let (users, roles, meta) = schema::create_tables(env, |c| {
            Ok((
                c.create::<Bytes, Bytes>(&schema::AUTH_USERS)?,
                c.create::<Bytes, Bytes>(&schema::AUTH_ROLES)?,
                c.create::<Str, Bytes>(&schema::AUTH)?,
            ))
        })?;
        let store = AuthStore {
            users: KeyMap::new(users),
            roles: KeyMap::new(roles),
            meta,
        };
        let mut wtxn = env.write_txn()?;
        if store.meta.get(&wtxn, REVISION_KEY)?.is_none() {
            store
                .meta
                .put(&mut wtxn, REVISION_KEY, &record::seal(&1u64.to_be_bytes()))?;
        }
        let revision = store.revision(&wtxn)?;
        wtxn.commit()?;
        crate::observability::metrics().set_gauge("etcd_debugging_auth_revision", revision as f64);
        Ok(store)
    }

    /// Whether auth is enabled.
    ///
    /// # Errors
    /// LMDB errors.
    pub fn is_enabled(&self, txn: &RoTxn) -> Result<bool, AuthStorageError> {
        match self.meta.get(txn, ENABLED_KEY)? {
            None => Ok(false),
            Some(v) => Ok(open_meta(v, ENABLED_KEY)? == [1]),
        }
    }

    /// The auth revision: bumped by every auth change that can affect permissions.
    ///
    /// # Errors
    /// LMDB errors.
    pub fn revision(&self, txn: &RoTxn) -> Result<u64, AuthStorageError> {
        let Some(stored) = self.meta.get(txn, REVISION_KEY)? else {
            return Ok(0);
        };
        Ok(match open_meta(stored, REVISION_KEY)? {
            b if b.len() == 8 => {
                let mut a = [0u8; 8];
                a.copy_from_slice(b);
                u64::from_be_bytes(a)
            }
            _ => 0,
        })
    }

    fn commit_revision(&self, txn: &mut RwTxn) -> Result<(), AuthStorageError> {
        let next = self.revision(txn)? + 1;
        self.meta
            .put(txn, REVISION_KEY, &record::seal(&next.to_be_bytes()))?;
        crate::observability::metrics().set_gauge("etcd_debugging_auth_revision", next as f64);
        Ok(())
    }

    /// One user.
    ///
    /// # Errors
    /// LMDB errors, undecodable records.
    pub fn user(
        &self,
        txn: &RoTxn,
        name: impl AsRef<[u8]>,
    ) -> Result<Option<User>, AuthStorageError> {
        let name = name.as_ref();
        if name.is_empty() {
            // No user has an empty name (UserAdd refuses it): the empty user of a request
            // without identity (a client certificate without CN, RoleGet without a token) is
            // simply not found.
            return Ok(None);
        }
        self.users
            .get(txn, name)?
            .map(|b| {
                let payload = record::open(&b, || "authUsers record".to_string())?;
                User::decode(payload).map_err(|e| AuthStorageError::Corrupt(e.to_string()))
            })
            .transpose()
    }

    /// One role.
    ///
    /// # Errors
    /// LMDB errors, undecodable records.
    pub fn role(
        &self,
        txn: &RoTxn,
        name: impl AsRef<[u8]>,
    ) -> Result<Option<Role>, AuthStorageError> {
        let name = name.as_ref();
        if name.is_empty() {
            // As for users: no role has an empty name.
            return Ok(None);
        }
        self.roles
            .get(txn, name)?
            .map(|b| {
                let payload = record::open(&b, || "authRoles record".to_string())?;
                Role::decode(payload).map_err(|e| AuthStorageError::Corrupt(e.to_string()))
            })
            .transpose()
    }

    /// Every user name (bytes, as etcd: not necessarily UTF-8), in byte order.
    ///
    /// # Errors
    /// LMDB errors.
    pub fn user_names(&self, txn: &RoTxn) -> Result<Vec<Vec<u8>>, AuthStorageError> {
        let mut out = Vec::new();
        self.users
            .for_each_in::<AuthStorageError>(txn, b"", None, |k, _| {
                out.push(k.to_vec());
                Ok(())
            })?;
        Ok(out)
    }

    /// Every role name (bytes, as etcd: not necessarily UTF-8), in byte order.
    ///
    /// # Errors
    /// LMDB errors.
    pub fn role_names(&self, txn: &RoTxn) -> Result<Vec<Vec<u8>>, AuthStorageError> {
        let mut out = Vec::new();
        self.roles
            .for_each_in::<AuthStorageError>(txn, b"", None, |k, _| {
                out.push(k.to_vec());
                Ok(())
            })?;
        Ok(out)
    }

    fn put_user(&self, txn: &mut RwTxn, u: &User) -> Result<(), AuthStorageError> {
        self.users
            .put(txn, &u.name, &record::seal(&u.encode_to_vec()))?;
        Ok(())
    }

    fn put_role(&self, txn: &mut RwTxn, r: &Role) -> Result<(), AuthStorageError> {
        self.roles
            .put(txn, &r.name, &record::seal(&r.encode_to_vec()))?;
        Ok(())
    }

    /// The unified permissions of a user from the roles that exist, `None` for an unknown
    /// user (etcd's `getMergedPerms`).
    ///
    /// # Errors
    /// LMDB errors.
    pub fn merged_perms(
        &self,
        txn: &RoTxn,
        user: &str,
    ) -> Result<Option<UnifiedRangePermissions>, AuthStorageError> {
        let Some(u) = self.user(txn, user)? else {
            return Ok(None);
        };
        let mut roles = Vec::new();
        for r in &u.roles {
            if let Some(role) = self.role(txn, r)? {
                roles.push(role);
            }
        }
        Ok(Some(UnifiedRangePermissions::from_roles(&roles)))
    }

    /// etcd's `isOpPermitted`: always allowed while auth is disabled; otherwise the request
    /// needs a user (`UserEmpty`), an auth revision not older than the store's
    /// (`AuthOldRevision`), and the user must hold the root role or a permission of type
    /// `perm` covering `[key, range_end)` (empty `range_end`: the key alone).
    /// `cache`, when given, memoises unified permissions per auth revision.
    ///
    /// # Errors
    /// Storage errors; denials are `Ok(Err(..))`.
    pub fn is_op_permitted(
        &self,
        txn: &RoTxn,
        info: &AuthInfo,
        key: &[u8],
        range_end: &[u8],
        perm: PermType,
        cache: Option<&PermCache>,
    ) -> AuthResult<()> {
        if !self.is_enabled(txn)? {
            return Ok(Ok(()));
        }
        if info.revision == 0 {
            return Ok(Err(AuthError::UserEmpty));
        }
        let rev = self.revision(txn)?;
        if info.revision < rev {
            return Ok(Err(AuthError::AuthOldRevision));
        }
        let Some(user) = self.user(txn, &info.username)? else {
            return Ok(Err(AuthError::PermissionDenied));
        };
        if has_root_role(&user) {
            return Ok(Ok(()));
        }
        let build = || -> Result<UnifiedRangePermissions, AuthStorageError> {
            Ok(self.merged_perms(txn, &info.username)?.unwrap_or_default())
        };
        let permitted = match cache {
            Some(c) => c
                .get_or_build(&info.username, rev, build)?
                .is_permitted(key, range_end, perm),
            None => build()?.is_permitted(key, range_end, perm),
        };
        Ok(if permitted {
            Ok(())
        } else {
            Err(AuthError::PermissionDenied)
        })
    }

    /// etcd's `IsAdminPermitted`: allowed while disabled; otherwise the user must exist and
    /// hold the root role.
    ///
    /// # Errors
    /// Storage errors; denials are `Ok(Err(..))`.
    pub fn is_admin_permitted(&self, txn: &RoTxn, info: &AuthInfo) -> AuthResult<()> {
        if !self.is_enabled(txn)? {
            return Ok(Ok(()));
        }
        if info.username.is_empty() {
            return Ok(Err(AuthError::UserEmpty));
        }
        Ok(match self.user(txn, &info.username)? {
            None => Err(AuthError::UserNotFound),
            Some(u) if !has_root_role(&u) => Err(AuthError::PermissionDenied),
            Some(_) => Ok(()),
        })
    }

    /// Whether `user` has been granted `role`.
    ///
    /// # Errors
    /// Storage errors.
    pub fn has_role(&self, txn: &RoTxn, user: &str, role: &[u8]) -> Result<bool, AuthStorageError> {
        Ok(self
            .user(txn, user)?
            .is_some_and(|u| u.roles.iter().any(|r| r == role)))
    }

    /// The stored password hash to check for an Authenticate (etcd's `CheckPassword`
    /// before the bcrypt comparison) and the auth revision it was read at.
    ///
    /// # Errors
    /// `AuthNotEnabled`, `AuthFailed` (unknown user), `NoPasswordUser`.
    pub fn password_of(&self, txn: &RoTxn, name: &[u8]) -> AuthResult<(Vec<u8>, u64)> {
        if !self.is_enabled(txn)? {
            return Ok(Err(AuthError::AuthNotEnabled));
        }
        let Some(u) = self.user(txn, name)? else {
            return Ok(Err(AuthError::AuthFailed));
        };
        if u.options.as_ref().is_some_and(|o| o.no_password) {
            return Ok(Err(AuthError::NoPasswordUser));
        }
        Ok(Ok((u.password, self.revision(txn)?)))
    }

    /// AuthEnable: needs the root user holding the root role; a no-op when enabled.
    ///
    /// # Errors
    /// `RootUserNotExist`, `RootRoleNotExist`.
    pub fn auth_enable(&self, txn: &mut RwTxn) -> AuthResult<()> {
        if self.is_enabled(txn)? {
            return Ok(Ok(()));
        }
        let Some(root) = self.user(txn, ROOT_USER)? else {
            return Ok(Err(AuthError::RootUserNotExist));
        };
        if !has_root_role(&root) {
            return Ok(Err(AuthError::RootRoleNotExist));
        }
        self.meta.put(txn, ENABLED_KEY, &record::seal(&[1]))?;
        Ok(Ok(()))
    }

    /// AuthDisable: bumps the revision; a no-op when disabled.
    ///
    /// # Errors
    /// Storage errors only.
    pub fn auth_disable(&self, txn: &mut RwTxn) -> AuthResult<()> {
        if !self.is_enabled(txn)? {
            return Ok(Ok(()));
        }
        self.meta.put(txn, ENABLED_KEY, &record::seal(&[0]))?;
        self.commit_revision(txn)?;
        Ok(Ok(()))
    }

    /// Apply side of Authenticate (the password was checked by the proposer): the user
    /// must exist and have a password.
    ///
    /// # Errors
    /// `AuthNotEnabled`, `AuthFailed`.
    pub fn authenticate(&self, txn: &RoTxn, name: &[u8]) -> AuthResult<()> {
        if !self.is_enabled(txn)? {
            return Ok(Err(AuthError::AuthNotEnabled));
        }
        Ok(match self.user(txn, name)? {
            None => Err(AuthError::AuthFailed),
            Some(u) if u.options.as_ref().is_some_and(|o| o.no_password) => {
                Err(AuthError::AuthFailed)
            }
            Some(_) => Ok(()),
        })
    }

    /// UserAdd with the proposer's bcrypt hash in `hashed_password` (empty for
    /// `--no-password` users).
    ///
    /// # Errors
    /// `UserEmpty`, `UserAlreadyExist`.
    pub fn user_add(&self, txn: &mut RwTxn, r: &AuthUserAddRequest) -> AuthResult<()> {
        if r.name.is_empty() {
            return Ok(Err(AuthError::UserEmpty));
        }
        if self.user(txn, &r.name)?.is_some() {
            return Ok(Err(AuthError::UserAlreadyExist));
        }
        let options = r.options.unwrap_or(UserAddOptions { no_password: false });
        let password = if options.no_password {
            Vec::new()
        } else {
            r.hashed_password.as_bytes().to_vec()
        };
        let user = User {
            name: r.name.clone(),
            password,
            roles: Vec::new(),
            options: Some(options),
        };
        self.put_user(txn, &user)?;
        self.commit_revision(txn)?;
        Ok(Ok(()))
    }

    /// UserDelete (root cannot be deleted while auth is enabled).
    ///
    /// # Errors
    /// `InvalidAuthMgmt`, `UserNotFound`.
    pub fn user_delete(&self, txn: &mut RwTxn, r: &AuthUserDeleteRequest) -> AuthResult<()> {
        if self.is_enabled(txn)? && r.name == ROOT_USER.as_bytes() {
            return Ok(Err(AuthError::InvalidAuthMgmt));
        }
        if !self.users.delete(txn, &r.name)? {
            return Ok(Err(AuthError::UserNotFound));
        }
        self.commit_revision(txn)?;
        Ok(Ok(()))
    }

    /// UserChangePassword with the proposer's bcrypt hash.
    ///
    /// # Errors
    /// `UserNotFound`.
    pub fn user_change_password(
        &self,
        txn: &mut RwTxn,
        r: &AuthUserChangePasswordRequest,
    ) -> AuthResult<()> {
        let Some(mut u) = self.user(txn, &r.name)? else {
            return Ok(Err(AuthError::UserNotFound));
        };
        u.password = r.hashed_password.as_bytes().to_vec();
        self.put_user(txn, &u)?;
        self.commit_revision(txn)?;
        Ok(Ok(()))
    }

    /// UserGrantRole: the role must exist unless it is `root`; granting twice is a no-op.
    ///
    /// # Errors
    /// `UserNotFound`, `RoleNotFound`.
    pub fn user_grant_role(&self, txn: &mut RwTxn, r: &AuthUserGrantRoleRequest) -> AuthResult<()> {
        let Some(mut u) = self.user(txn, &r.user)? else {
            return Ok(Err(AuthError::UserNotFound));
        };
        if r.role != ROOT_ROLE.as_bytes() && self.role(txn, &r.role)?.is_none() {
            return Ok(Err(AuthError::RoleNotFound));
        }
        match u.roles.binary_search(&r.role) {
            Ok(_) => return Ok(Ok(())),
            Err(i) => u.roles.insert(i, r.role.clone()),
        }
        self.put_user(txn, &u)?;
        self.commit_revision(txn)?;
        Ok(Ok(()))
    }

    /// UserRevokeRole (root keeps root while auth is enabled).
    ///
    /// # Errors
    /// `InvalidAuthMgmt`, `UserNotFound`, `RoleNotGranted`.
    pub fn user_revoke_role(
        &self,
        txn: &mut RwTxn,
        r: &AuthUserRevokeRoleRequest,
    ) -> AuthResult<()> {
        if self.is_enabled(txn)? && r.name == ROOT_USER.as_bytes() && r.role == ROOT_ROLE.as_bytes()
        {
            return Ok(Err(AuthError::InvalidAuthMgmt));
        }
        let Some(mut u) = self.user(txn, &r.name)? else {
            return Ok(Err(AuthError::UserNotFound));
        };
        let before = u.roles.len();
        u.roles.retain(|x| x != &r.role);
        if u.roles.len() == before {
            return Ok(Err(AuthError::RoleNotGranted));
        }
        self.put_user(txn, &u)?;
        self.commit_revision(txn)?;
        Ok(Ok(()))
    }

    /// UserGet: the user's roles.
    ///
    /// # Errors
    /// `UserNotFound`.
    pub fn user_get(&self, txn: &RoTxn, r: &AuthUserGetRequest) -> AuthResult<AuthUserGetResponse> {
        Ok(match self.user(txn, &r.name)? {
            None => Err(AuthError::UserNotFound),
            Some(u) => Ok(AuthUserGetResponse {
                header: None,
                roles: u.roles,
            }),
        })
    }

    /// UserList: every user name in byte order.
    ///
    /// # Errors
    /// Storage errors only.
    pub fn user_list(&self, txn: &RoTxn) -> AuthResult<AuthUserListResponse> {
        Ok(Ok(AuthUserListResponse {
            header: None,
            users: self.user_names(txn)?,
        }))
    }

    /// RoleAdd.
    ///
    /// # Errors
    /// `RoleEmpty`, `RoleAlreadyExist`.
    pub fn role_add(&self, txn: &mut RwTxn, r: &AuthRoleAddRequest) -> AuthResult<()> {
        if r.name.is_empty() {
            return Ok(Err(AuthError::RoleEmpty));
        }
        if self.role(txn, &r.name)?.is_some() {
            return Ok(Err(AuthError::RoleAlreadyExist));
        }
        self.put_role(
            txn,
            &Role {
                name: r.name.clone(),
                key_permission: Vec::new(),
            },
        )?;
        self.commit_revision(txn)?;
        Ok(Ok(()))
    }

    /// RoleGet: the role's permissions, sorted by key.
    ///
    /// # Errors
    /// `RoleNotFound`.
    pub fn role_get(&self, txn: &RoTxn, r: &AuthRoleGetRequest) -> AuthResult<AuthRoleGetResponse> {
        Ok(match self.role(txn, &r.role)? {
            None => Err(AuthError::RoleNotFound),
            Some(role) => Ok(AuthRoleGetResponse {
                header: None,
                perm: role.key_permission,
            }),
        })
    }

    /// RoleList: every role name in byte order.
    ///
    /// # Errors
    /// Storage errors only.
    pub fn role_list(&self, txn: &RoTxn) -> AuthResult<AuthRoleListResponse> {
        Ok(Ok(AuthRoleListResponse {
            header: None,
            roles: self.role_names(txn)?,
        }))
    }

    /// RoleDelete: also revokes the role from every user (root role is kept while enabled).
    ///
    /// # Errors
    /// `InvalidAuthMgmt`, `RoleNotFound`.
    pub fn role_delete(&self, txn: &mut RwTxn, r: &AuthRoleDeleteRequest) -> AuthResult<()> {
        if self.is_enabled(txn)? && r.role == ROOT_ROLE.as_bytes() {
            return Ok(Err(AuthError::InvalidAuthMgmt));
        }
        if !self.roles.delete(txn, &r.role)? {
            return Ok(Err(AuthError::RoleNotFound));
        }
        for name in self.user_names(txn)? {
            if let Some(mut u) = self.user(txn, &name)? {
                let before = u.roles.len();
                u.roles.retain(|x| x != &r.role);
                if u.roles.len() != before {
                    self.put_user(txn, &u)?;
                }
            }
        }
        self.commit_revision(txn)?;
        Ok(Ok(()))
    }

    /// RoleGrantPermission: replaces the type of an identical `[key, range_end)` grant or
    /// adds it, keeping permissions sorted by key.
    ///
    /// # Errors
    /// `RoleNotFound`.
    pub fn role_grant_permission(
        &self,
        txn: &mut RwTxn,
        r: &AuthRoleGrantPermissionRequest,
    ) -> AuthResult<()> {
        let Some(mut role) = self.role(txn, &r.name)? else {
            return Ok(Err(AuthError::RoleNotFound));
        };
        let perm = r.perm.clone().unwrap_or_default();
        if let Some(p) = role
            .key_permission
            .iter_mut()
            .find(|p| p.key == perm.key && p.range_end == perm.range_end)
        {
            p.perm_type = perm.perm_type;
        } else {
            role.key_permission.push(Permission {
                perm_type: perm.perm_type,
                key: perm.key,
                range_end: perm.range_end,
            });
            role.key_permission.sort_by(|a, b| a.key.cmp(&b.key));
        }
        self.put_role(txn, &role)?;
        self.commit_revision(txn)?;
        Ok(Ok(()))
    }

    /// RoleRevokePermission of exactly `[key, range_end)`.
    ///
    /// # Errors
    /// `RoleNotFound`, `PermissionNotGranted`.
    pub fn role_revoke_permission(
        &self,
        txn: &mut RwTxn,
        r: &AuthRoleRevokePermissionRequest,
    ) -> AuthResult<()> {
        let Some(mut role) = self.role(txn, &r.role)? else {
            return Ok(Err(AuthError::RoleNotFound));
        };
        let before = role.key_permission.len();
        role.key_permission
            .retain(|p| !(p.key == r.key && p.range_end == r.range_end));
        if role.key_permission.len() == before {
            return Ok(Err(AuthError::PermissionNotGranted));
        }
        self.put_role(txn, &role)?;
        self.commit_revision(txn)?;
        Ok(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::record::flip_stored_values;

    #[test]
    fn flipped_byte_in_user_role_or_meta_is_a_checksum_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let env =
            crate::storage::open_env(dir.path(), crate::storage::EnvKind::State).expect("env");
        let store = AuthStore::open(&env).expect("open");
        let mut w = env.write_txn().expect("txn");
        let user = AuthUserAddRequest {
            name: b"alice".to_vec(),
            options: Some(UserAddOptions { no_password: true }),
            ..Default::default()
        };
        store
            .user_add(&mut w, &user)
            .expect("storage")
            .expect("add");
        let role = AuthRoleAddRequest {
            name: b"r".to_vec(),
        };
        store
            .role_add(&mut w, &role)
            .expect("storage")
            .expect("add");
        store
            .auth_disable(&mut w)
            .expect("storage")
            .expect("disable");
        w.commit().expect("commit");
        let r = env.read_txn().expect("txn");
        assert!(store.user(&r, "alice").expect("user").is_some());
        assert!(store.role(&r, "r").expect("role").is_some());
        assert_eq!(store.revision(&r).expect("rev"), 3);
        drop(r);

        flip_stored_values(&env, store.users.database());
        flip_stored_values(&env, store.roles.database());
        flip_stored_values(&env, store.meta);
        let r = env.read_txn().expect("txn");
        assert!(matches!(
            store.user(&r, "alice"),
            Err(AuthStorageError::Checksum(_))
        ));
        assert!(matches!(
            store.role(&r, "r"),
            Err(AuthStorageError::Checksum(_))
        ));
        assert!(matches!(
            store.revision(&r),
            Err(AuthStorageError::Checksum(_))
        ));
    }

    #[test]
    fn flipped_enabled_flag_is_a_checksum_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let env =
            crate::storage::open_env(dir.path(), crate::storage::EnvKind::State).expect("env");
        let store = AuthStore::open(&env).expect("open");
        let mut w = env.write_txn().expect("txn");
        store
            .meta
            .put(&mut w, ENABLED_KEY, &record::seal(&[1]))
            .expect("put");
        w.commit().expect("commit");
        assert!(store
            .is_enabled(&env.read_txn().expect("txn"))
            .expect("enabled"));
        flip_stored_values(&env, store.meta);
        let r = env.read_txn().expect("txn");
        assert!(matches!(
            store.is_enabled(&r),
            Err(AuthStorageError::Checksum(_))
        ));
    }
}
