//! Auth on the server (etcd's `v3_server.go` auth methods and `AuthInfoFromCtx`):
//! resolving a token to a user and auth revision before proposing, the read-path
//! permission checks (Range, Watch create), and the Auth service's operations.
//!
//! Everything that varies is decided here, before the proposal: bcrypt hashes of new
//! passwords (`--bcrypt-cost`) and the random prefix of a simple token. Apply then checks
//! permissions again against the auth store as of the entry (see `apply::auth`).
//!
//! With TLS client certificates, a verified certificate's CN is the user when the request
//! carries no token and auth is enabled (etcd's `AuthInfoFromTLS`): see
//! [`EtcdServer::auth_info_from`]; the client listener attaches the CN to each request.

use std::time::{Duration, Instant};

use super::{Error, EtcdServer, Reply};
use crate::apply::auth::AuthApplyResponse;
use crate::apply::ApplyResponse;
use crate::auth::{AuthError, AuthInfo};
use crate::pb::authpb::permission::Type as PermType;
use crate::pb::etcdserverpb::{
    AuthDisableResponse, AuthEnableResponse, AuthRoleAddRequest, AuthRoleAddResponse,
    AuthRoleDeleteRequest, AuthRoleDeleteResponse, AuthRoleGetRequest, AuthRoleGetResponse,
    AuthRoleGrantPermissionRequest, AuthRoleGrantPermissionResponse, AuthRoleListResponse,
    AuthRoleRevokePermissionRequest, AuthRoleRevokePermissionResponse, AuthStatusResponse,
    AuthUserAddRequest, AuthUserAddResponse, AuthUserChangePasswordRequest,
    AuthUserChangePasswordResponse, AuthUserDeleteRequest, AuthUserDeleteResponse,
    AuthUserGetRequest, AuthUserGetResponse, AuthUserGrantRoleRequest, AuthUserGrantRoleResponse,
    AuthUserListResponse, AuthUserRevokeRoleRequest, AuthUserRevokeRoleResponse,
    AuthenticateResponse, ResponseHeader,
};
use crate::pb::peer::{InternalAuthenticateRequest, InternalRaftRequest};

/// On whose behalf a request runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// The server itself (lease expiry, alarms, member attributes, the lock and election
    /// recipes): apply skips auth checks (etcd's `WithRoot`).
    Internal,
    /// A client; `None` when it sent no token.
    Client(Option<AuthInfo>),
}

impl Caller {
    /// The auth info to check permissions with on the read path (an empty one for a
    /// client without a token, which fails with `user name is empty` while auth is on).
    fn info(&self) -> Option<AuthInfo> {
        match self {
            Caller::Internal => None,
            Caller::Client(ai) => Some(ai.clone().unwrap_or_default()),
        }
    }
}

macro_rules! auth_call {
    ($name:ident, $field:ident, $req:ty, $resp:ident, $doc:literal) => {
        #[doc = $doc]
        ///
        /// # Errors
        /// Auth failures as [`Error::Apply`]; see [`EtcdServer::propose`].
        pub async fn $name(&self, req: $req, caller: &Caller) -> Result<$resp, Error> {
            self.propose_reply(
                InternalRaftRequest {
                    $field: Some(req),
                    ..Default::default()
                },
                caller,
            )
            .await
        }
    };
}

/// `TryFrom<ApplyResponse>` and [`Reply`] for the auth responses, so every auth call is one
/// [`EtcdServer::propose_reply`]: those that carry only a header take apply's
/// [`AuthApplyResponse::Done`]; the others take their own kind.
macro_rules! auth_replies {
    (done: $($done:ident),* ; kinds: $($variant:ident($ty:ident)),* $(,)?) => {
        $(
            impl TryFrom<ApplyResponse> for $done {
                type Error = ApplyResponse;

                fn try_from(r: ApplyResponse) -> Result<$done, ApplyResponse> {
                    match r {
                        ApplyResponse::Auth(AuthApplyResponse::Done) => Ok($done { header: None }),
                        other => Err(other),
                    }
                }
            }
        )*
        $(
            impl TryFrom<ApplyResponse> for $ty {
                type Error = ApplyResponse;

                fn try_from(r: ApplyResponse) -> Result<$ty, ApplyResponse> {
                    match r {
                        ApplyResponse::Auth(AuthApplyResponse::$variant(x)) => Ok(x),
                        other => Err(other),
                    }
                }
            }
        )*
        $(
            impl Reply for $done {
                fn set_header(&mut self, header: ResponseHeader) {
                    self.header = Some(header);
                }
            }
        )*
        $(
            impl Reply for $ty {
                fn set_header(&mut self, header: ResponseHeader) {
                    self.header = Some(header);
                }
            }
        )*
    };
}

auth_replies! {
    done: AuthEnableResponse, AuthDisableResponse, AuthUserAddResponse,
        AuthUserChangePasswordResponse, AuthUserDeleteResponse, AuthUserGrantRoleResponse,
        AuthUserRevokeRoleResponse, AuthRoleAddResponse, AuthRoleDeleteResponse,
        AuthRoleGrantPermissionResponse, AuthRoleRevokePermissionResponse;
    kinds: UserGet(AuthUserGetResponse), UserList(AuthUserListResponse),
        RoleGet(AuthRoleGetResponse), RoleList(AuthRoleListResponse),
}

impl EtcdServer {
    /// Resolves the `token` metadata of a request (etcd's `AuthInfoFromCtx`): `None`
    /// without a token; the token's user with the current auth revision otherwise.
    ///
    /// # Errors
    /// `etcdserver: invalid auth token` for an unknown or expired token.
    pub fn auth_info(&self, token: Option<&str>) -> Result<Option<AuthInfo>, Error> {
        let Some(token) = token else { return Ok(None) };
        if let Some(jwt) = &self.jwt {
            // A JWT carries its user and the auth revision it was issued at; permission
            // checks refuse it once the store moved on (`revision of auth store is old`).
            return match jwt.info(token) {
                Some((username, revision)) => Ok(Some(AuthInfo { username, revision })),
                None => Err(Error::Auth(AuthError::InvalidAuthToken)),
            };
        }
        let Some(username) = self.store.tokens.user(token) else {
            return Err(Error::Auth(AuthError::InvalidAuthToken));
        };
        Ok(Some(AuthInfo {
            username,
            revision: self.auth_revision()?,
        }))
    }

    /// [`EtcdServer::auth_info`], falling back to the verified client certificate's common
    /// name `cert_cn` when there is no token (etcd's `AuthInfoFromTLS`): the CN is the user,
    /// at this member's current auth revision, whether or not auth is enabled here (apply
    /// ignores it while auth is disabled). A member that has not applied `auth enable` yet
    /// must still name the user: apply, which may already see auth enabled, would otherwise
    /// refuse the request with `user name is empty` instead of the retryable `revision of
    /// auth store is old`. A certificate
    /// without a CN (`Some("")`) is the empty user at the current revision, as in etcd:
    /// permission checks then refuse it with `permission denied` (a request without any
    /// identity, revision 0, gets `user name is empty`).
    ///
    /// # Errors
    /// As [`EtcdServer::auth_info`], and storage errors.
    pub fn auth_info_from(
        &self,
        token: Option<&str>,
        cert_cn: Option<&str>,
    ) -> Result<Option<AuthInfo>, Error> {
        if token.is_some() {
            return self.auth_info(token);
        }
        let Some(cn) = cert_cn else {
            return Ok(None);
        };
        Ok(Some(AuthInfo {
            username: cn.to_string(),
            revision: self.auth_revision()?,
        }))
    }

    /// The caller for a request carrying `token` or, without one, a client certificate
    /// whose CN is `cert_cn` (see [`EtcdServer::auth_info_from`]).
    ///
    /// # Errors
    /// As [`EtcdServer::auth_info_from`].
    pub fn caller_from(&self, token: Option<&str>, cert_cn: Option<&str>) -> Result<Caller, Error> {
        Ok(Caller::Client(self.auth_info_from(token, cert_cn)?))
    }

    /// The current auth revision.
    ///
    /// # Errors
    /// Storage errors.
    pub fn auth_revision(&self) -> Result<u64, Error> {
        self.read(|b, t| b.auth.revision(t))
    }

    /// Read permission on `[key, range_end)` for the caller (Range and Watch create).
    ///
    /// # Errors
    /// `permission denied`, `user name is empty`, `revision of auth store is old`.
    pub fn check_range_permitted(
        &self,
        caller: &Caller,
        key: &[u8],
        range_end: &[u8],
    ) -> Result<(), Error> {
        let Some(ai) = caller.info() else {
            return Ok(());
        };
        self.read(|b, t| {
            b.auth.is_op_permitted(
                t,
                &ai,
                key,
                range_end,
                PermType::Read,
                Some(&self.store.perm_cache),
            )
        })?
        .map_err(Error::Auth)
    }

    /// Whether the caller may run an admin-only operation: root while auth is enabled
    /// (etcd's `IsAdminPermitted`), checked before anything is proposed. Used by the
    /// membership changes (etcd's `checkMembershipOperationPermission`) and, through
    /// [`EtcdServer::check_maintenance_admin`], by Snapshot, Hash, HashKV and Defragment.
    /// The auth requests themselves are checked at apply (see `apply::auth`). A
    /// [`Caller::Internal`] passes.
    ///
    /// # Errors
    /// `user name is empty` (no user), `user name not found`, `permission denied`.
    pub fn check_admin(&self, caller: &Caller) -> Result<(), Error> {
        let Some(ai) = caller.info() else {
            return Ok(());
        };
        self.read(|b, t| b.auth.is_admin_permitted(t, &ai))?
            .map_err(Error::Auth)
    }

    /// The admin check of the Maintenance service's Snapshot, Hash, HashKV and Defragment
    /// (etcd 3.4's `authMaintenanceServer`): resolves the caller from its token or client
    /// certificate CN and requires root while auth is enabled. etcd sends these failures
    /// untranslated, so every auth error comes back as [`Error::UntranslatedAuth`]
    /// (gRPC `Unknown`, `auth: permission denied`).
    ///
    /// # Errors
    /// [`Error::UntranslatedAuth`] with `invalid auth token`, `user name is empty`, `user
    /// not found` or `permission denied`; storage errors.
    pub fn check_maintenance_admin(
        &self,
        token: Option<&str>,
        cert_cn: Option<&str>,
    ) -> Result<(), Error> {
        let caller = self
            .caller_from(token, cert_cn)
            .map_err(Error::untranslated_auth)?;
        self.check_admin(&caller).map_err(Error::untranslated_auth)
    }

    /// Drops expired simple tokens once a second for as long as the server lives.
    pub(super) fn spawn_token_sweeper(self: &std::sync::Arc<Self>) {
        let weak = std::sync::Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            loop {
                tick.tick().await;
                let Some(server) = weak.upgrade() else { return };
                server.store.tokens.sweep();
            }
        });
    }

    /// AuthEnable: needs the user `root` with the role `root`.
    ///
    /// # Errors
    /// `root user does not exist`, `root user does not have root role`; see
    /// [`EtcdServer::propose`].
    pub async fn auth_enable(&self, caller: &Caller) -> Result<AuthEnableResponse, Error> {
        let req = InternalRaftRequest {
            auth_enable: Some(Default::default()),
            ..Default::default()
        };
        self.propose_reply(req, caller).await
    }

    /// AuthDisable (root only while enabled).
    ///
    /// # Errors
    /// See [`EtcdServer::propose`].
    pub async fn auth_disable(&self, caller: &Caller) -> Result<AuthDisableResponse, Error> {
        let req = InternalRaftRequest {
            auth_disable: Some(Default::default()),
            ..Default::default()
        };
        self.propose_reply(req, caller).await
    }

    /// AuthStatus (etcd 3.5): whether auth is enabled and the auth revision, read locally.
    ///
    /// # Errors
    /// Storage errors.
    pub fn auth_status(&self) -> Result<AuthStatusResponse, Error> {
        let (enabled, auth_revision) =
            self.read(|b, t| Ok::<_, Error>((b.auth.is_enabled(t)?, b.auth.revision(t)?)))?;
        Ok(AuthStatusResponse {
            header: Some(self.header(self.current_revision())),
            enabled,
            auth_revision,
        })
    }

    /// Authenticate (etcd's `EtcdServer.Authenticate`): after a read-index, checks the
    /// password against the local store (bcrypt, off the async workers), then proposes the
    /// user name and a fresh random token prefix (never the password). Retries when the
    /// user's password (or the user) changed between the check and the apply. Returns once this
    /// member knows the token. A `token` the request carried is resolved after the password check, as
    /// etcd resolves it for the proposal: an unknown one fails the call.
    ///
    /// # Errors
    /// `authentication is not enabled`, `authentication failed, invalid user ID or
    /// password`, `invalid auth token`; see [`EtcdServer::propose`].
    pub async fn authenticate(
        &self,
        name_bytes: &[u8],
        password: &[u8],
        token: Option<&str>,
    ) -> Result<AuthenticateResponse, Error> {
        // Tokens and the log's Authenticate entry name the user as text (lossy for a
        // non-UTF-8 name, which then cannot use its token); the store is looked up by bytes.
        let name_text = String::from_utf8_lossy(name_bytes).into_owned();
        let name = name_text.as_str();
        loop {
            self.linearizable_barrier().await?;
            let (hash, checked_rev) = self
                .read(|b, t| b.auth.password_of(t, name_bytes))?
                .map_err(Error::Auth)?;
            let pw = password.to_vec();
            let checked_hash = hash.clone();
            let ok = tokio::task::spawn_blocking(move || crate::auth::password::verify(&pw, &hash))
                .await?;
            if !ok {
                tracing::info!(user = name, "invalid password");
                return Err(Error::Auth(AuthError::AuthFailed));
            }
            self.auth_info(token)?;
            if let Some(jwt) = &self.jwt {
                // JWTs change no replicated state: sign one for the revision the password
                // was checked at.
                let token = jwt.assign(name, checked_rev).map_err(Error::Internal)?;
                return Ok(AuthenticateResponse {
                    header: Some(self.header(self.current_revision())),
                    token,
                });
            }
            let req = InternalRaftRequest {
                authenticate: Some(InternalAuthenticateRequest {
                    name: name.to_string(),
                    password: String::new(),
                    simple_token: crate::auth::token::gen_token_prefix(),
                }),
                ..Default::default()
            };
            let (resp, rev): (AuthApplyResponse, i64) =
                super::response(self.propose_as(req, &Caller::Client(None)).await?)?;
            let AuthApplyResponse::Token(token) = resp else {
                return Err(Error::Internal(
                    "authenticate answered without a token".into(),
                ));
            };
            if checked_rev != self.auth_revision()?
                && !self.same_password(name_bytes, &checked_hash)?
            {
                tracing::info!("revision when password checked became stale; retrying");
                continue;
            }
            self.wait_token_known(&token).await;
            return Ok(AuthenticateResponse {
                header: Some(self.header(rev)),
                token,
            });
        }
    }

    /// Whether `name` still exists with the password hash `checked` (after an Authenticate
    /// during which the auth store changed). etcd retries on any auth change; only a change
    /// of this user's password (a new hash: every bcrypt hash has its own salt) or the user
    /// itself can make the password check stale, so unrelated churn (other users added and
    /// deleted) no longer keeps a login retrying until its deadline.
    fn same_password(&self, name: &[u8], checked: &[u8]) -> Result<bool, Error> {
        Ok(matches!(
            self.read(|b, t| b.auth.password_of(t, name))?,
            Ok((now, _)) if now == checked
        ))
    }

    /// Waits (bounded) until this member applied the Authenticate that created `token`
    /// (a follower forwards the proposal and may apply it after the leader answered).
    async fn wait_token_known(&self, token: &str) {
        let deadline = Instant::now() + self.cfg.request_timeout();
        while self.store.tokens.user(token).is_none() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    async fn bcrypt(&self, password: Vec<u8>) -> Result<String, Error> {
        let cost = self.cfg.bcrypt_cost;
        tokio::task::spawn_blocking(move || crate::auth::password::hash(&password, cost))
            .await?
            .map_err(Error::from)
    }

    /// UserAdd: hashes the password here (unless `--no-password`) and proposes only the
    /// hash.
    ///
    /// # Errors
    /// `user name is empty`, `user name already exists`, `permission denied`; see
    /// [`EtcdServer::propose`].
    pub async fn user_add(
        &self,
        mut req: AuthUserAddRequest,
        caller: &Caller,
    ) -> Result<AuthUserAddResponse, Error> {
        let no_password = req.options.as_ref().is_some_and(|o| o.no_password);
        req.hashed_password = if no_password {
            String::new()
        } else {
            self.bcrypt(std::mem::take(&mut req.password)).await?
        };
        req.password.clear();
        self.propose_reply(
            InternalRaftRequest {
                auth_user_add: Some(req),
                ..Default::default()
            },
            caller,
        )
        .await
    }

    /// UserChangePassword: hashes here, proposes only the hash.
    ///
    /// # Errors
    /// `user name not found`, `permission denied`; see [`EtcdServer::propose`].
    pub async fn user_change_password(
        &self,
        mut req: AuthUserChangePasswordRequest,
        caller: &Caller,
    ) -> Result<AuthUserChangePasswordResponse, Error> {
        req.hashed_password = self.bcrypt(std::mem::take(&mut req.password)).await?;
        let r = InternalRaftRequest {
            auth_user_change_password: Some(req),
            ..Default::default()
        };
        self.propose_reply(r, caller).await
    }

    auth_call!(
        user_delete,
        auth_user_delete,
        AuthUserDeleteRequest,
        AuthUserDeleteResponse,
        "UserDelete (not root while enabled)."
    );
    auth_call!(
        user_grant_role,
        auth_user_grant_role,
        AuthUserGrantRoleRequest,
        AuthUserGrantRoleResponse,
        "UserGrantRole."
    );
    auth_call!(
        user_revoke_role,
        auth_user_revoke_role,
        AuthUserRevokeRoleRequest,
        AuthUserRevokeRoleResponse,
        "UserRevokeRole."
    );
    auth_call!(
        role_add,
        auth_role_add,
        AuthRoleAddRequest,
        AuthRoleAddResponse,
        "RoleAdd."
    );
    auth_call!(
        role_delete,
        auth_role_delete,
        AuthRoleDeleteRequest,
        AuthRoleDeleteResponse,
        "RoleDelete (also revokes it from every user)."
    );
    auth_call!(
        role_grant_permission,
        auth_role_grant_permission,
        AuthRoleGrantPermissionRequest,
        AuthRoleGrantPermissionResponse,
        "RoleGrantPermission."
    );
    auth_call!(
        role_revoke_permission,
        auth_role_revoke_permission,
        AuthRoleRevokePermissionRequest,
        AuthRoleRevokePermissionResponse,
        "RoleRevokePermission."
    );

    /// UserGet through the log (as etcd 3.4): root, or the user itself.
    ///
    /// # Errors
    /// `user name not found`, `permission denied`; see [`EtcdServer::propose`].
    pub async fn user_get(
        &self,
        req: AuthUserGetRequest,
        caller: &Caller,
    ) -> Result<AuthUserGetResponse, Error> {
        self.propose_reply(
            InternalRaftRequest {
                auth_user_get: Some(req),
                ..Default::default()
            },
            caller,
        )
        .await
    }

    /// UserList through the log (root only while enabled).
    ///
    /// # Errors
    /// See [`EtcdServer::propose`].
    pub async fn user_list(&self, caller: &Caller) -> Result<AuthUserListResponse, Error> {
        let req = InternalRaftRequest {
            auth_user_list: Some(Default::default()),
            ..Default::default()
        };
        self.propose_reply(req, caller).await
    }

    /// RoleGet through the log: root, or a user holding the role.
    ///
    /// # Errors
    /// `role name not found`, `permission denied`; see [`EtcdServer::propose`].
    pub async fn role_get(
        &self,
        req: AuthRoleGetRequest,
        caller: &Caller,
    ) -> Result<AuthRoleGetResponse, Error> {
        self.propose_reply(
            InternalRaftRequest {
                auth_role_get: Some(req),
                ..Default::default()
            },
            caller,
        )
        .await
    }

    /// RoleList through the log (root only while enabled).
    ///
    /// # Errors
    /// See [`EtcdServer::propose`].
    pub async fn role_list(&self, caller: &Caller) -> Result<AuthRoleListResponse, Error> {
        let req = InternalRaftRequest {
            auth_role_list: Some(Default::default()),
            ..Default::default()
        };
        self.propose_reply(req, caller).await
    }
}
