//! `etcdserverpb.Auth` calls (clientv3's `Auth` interface). Authentication itself is part
//! of every call (see the module docs of `client`).

use super::{Client, Error};
use crate::pb::authpb::{Permission, UserAddOptions};
use crate::pb::etcdserverpb::auth_client::AuthClient;
use crate::pb::etcdserverpb::*;

macro_rules! unary {
    ($(#[$doc:meta])* $name:ident($($arg:ident: $ty:ty),*) -> $resp:ty = $rpc:ident($req:expr)) => {
        $(#[$doc])*
        ///
        /// # Errors
        /// [`Error::Grpc`] with etcd's message (e.g. `etcdserver: permission denied`), or
        /// [`Error::DeadlineExceeded`].
        pub async fn $name(&self, $($arg: $ty),*) -> Result<$resp, Error> {
            let req = $req;
            self.call(|ch| {
                let req = req.clone();
                async move { AuthClient::new(ch).$rpc(req).await }
            })
            .await
        }
    };
}

impl Client {
    unary!(
        /// `Auth.AuthEnable`.
        auth_enable() -> AuthEnableResponse = auth_enable(AuthEnableRequest {}));
    unary!(
        /// `Auth.AuthDisable`.
        auth_disable() -> AuthDisableResponse = auth_disable(AuthDisableRequest {}));
    unary!(
        /// `Auth.AuthStatus` (etcd 3.5).
        auth_status() -> AuthStatusResponse = auth_status(AuthStatusRequest {}));
    unary!(
    /// `Auth.UserAdd`; `no_password` creates a user that cannot authenticate with a
    /// password (etcd's `UserAddOptions.no_password`).
    user_add(name: &str, password: &str, no_password: bool) -> AuthUserAddResponse = user_add(AuthUserAddRequest {
        name: name.as_bytes().to_vec(),
        password: password.as_bytes().to_vec(),
        options: Some(UserAddOptions { no_password }),
        hashed_password: String::new(),
    }));
    unary!(
        /// `Auth.UserGet`.
        user_get(name: &str) -> AuthUserGetResponse = user_get(AuthUserGetRequest { name: name.as_bytes().to_vec() }));
    unary!(
        /// `Auth.UserList`.
        user_list() -> AuthUserListResponse = user_list(AuthUserListRequest {}));
    unary!(
        /// `Auth.UserDelete`.
        user_delete(name: &str) -> AuthUserDeleteResponse = user_delete(AuthUserDeleteRequest { name: name.as_bytes().to_vec() }));
    unary!(
    /// `Auth.UserChangePassword`.
    user_change_password(name: &str, password: &str) -> AuthUserChangePasswordResponse = user_change_password(
        AuthUserChangePasswordRequest { name: name.as_bytes().to_vec(), password: password.as_bytes().to_vec(), hashed_password: String::new() }
    ));
    unary!(
    /// `Auth.UserGrantRole`.
    user_grant_role(user: &str, role: &str) -> AuthUserGrantRoleResponse = user_grant_role(
        AuthUserGrantRoleRequest { user: user.as_bytes().to_vec(), role: role.as_bytes().to_vec() }
    ));
    unary!(
    /// `Auth.UserRevokeRole`.
    user_revoke_role(name: &str, role: &str) -> AuthUserRevokeRoleResponse = user_revoke_role(
        AuthUserRevokeRoleRequest { name: name.as_bytes().to_vec(), role: role.as_bytes().to_vec() }
    ));
    unary!(
        /// `Auth.RoleAdd`.
        role_add(name: &str) -> AuthRoleAddResponse = role_add(AuthRoleAddRequest { name: name.as_bytes().to_vec() }));
    unary!(
        /// `Auth.RoleGet`.
        role_get(role: &str) -> AuthRoleGetResponse = role_get(AuthRoleGetRequest { role: role.as_bytes().to_vec() }));
    unary!(
        /// `Auth.RoleList`.
        role_list() -> AuthRoleListResponse = role_list(AuthRoleListRequest {}));
    unary!(
        /// `Auth.RoleDelete`.
        role_delete(role: &str) -> AuthRoleDeleteResponse = role_delete(AuthRoleDeleteRequest { role: role.as_bytes().to_vec() }));
    unary!(
    /// `Auth.RoleGrantPermission` of `perm_type` (authpb `Permission.Type` value) on
    /// `[key, range_end)`.
    role_grant_permission(role: &str, key: &[u8], range_end: &[u8], perm_type: i32) -> AuthRoleGrantPermissionResponse =
        role_grant_permission(AuthRoleGrantPermissionRequest {
            name: role.as_bytes().to_vec(),
            perm: Some(Permission { perm_type, key: key.to_vec(), range_end: range_end.to_vec() }),
        }));
    unary!(
    /// `Auth.RoleRevokePermission` of exactly `[key, range_end)`.
    role_revoke_permission(role: &str, key: &[u8], range_end: &[u8]) -> AuthRoleRevokePermissionResponse =
        role_revoke_permission(AuthRoleRevokePermissionRequest {
            role: role.as_bytes().to_vec(),
            key: key.to_vec(),
            range_end: range_end.to_vec(),
        }));
}
