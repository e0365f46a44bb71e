//! etcd 3.4's v2 auth (`etcdserver/api/v2auth`) behind `--enable-v2`: users, roles and the
//! enabled flag kept as etcd keeps them, JSON values in the v2 store's auth namespace (etcd's
//! `/2`: `/enabled`, `/users/<name>`, `/roles/<name>`), written only through Raft as v2
//! requests with `auth` set (the one write path) and read from the local store.
//!
//! Rules followed (with etcd's `auth: ...` messages and HTTP statuses, [`V2AuthError::Auth`]):
//! the `root` role is built in (all keys, read and write) and cannot be changed; the `root`
//! user always has it; enabling needs a `root` user and creates the `guest` role (all keys)
//! when missing; user updates are grant/revoke/password sets applied atomically; passwords
//! are bcrypt hashes (cost 10, etcd's `bcrypt.DefaultCost`) computed by the proposing member.
//!
//! Access checks for the HTTP layer ([`EtcdServer::v2_has_root_access`],
//! [`EtcdServer::v2_has_key_access`]) follow etcd's `client_auth.go` ([`V2Credentials`]): an
//! `Authorization` header is HTTP basic auth; without one, and with `--client-cert-auth`, the
//! verified client certificate's CN names the user; a request with neither gets the `guest`
//! role on keys.

use serde::{Deserialize, Serialize};

use super::v2::V2Answer;
use super::{Error, EtcdServer};
use crate::pb::peer::V2Request;
use crate::v2store::{code, Event, V2Error};

/// Who a v2 request says it is (etcd 3.4's `client_auth.go`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum V2Credentials {
    /// No `Authorization` header and no client certificate.
    None,
    /// An `Authorization` header: HTTP basic `(user, password)`, `None` when it is not
    /// valid basic auth (etcd's `malformed basic auth encoding`: refused, not a guest).
    Basic(Option<(String, String)>),
    /// No `Authorization` header, and a verified client certificate with this common name.
    CertCn(String),
}

/// The built-in role with every permission (etcd's `RootRoleName`).
pub const ROOT_ROLE: &str = "root";
/// The role of requests without credentials (etcd's `GuestRoleName`).
pub const GUEST_ROLE: &str = "guest";
/// etcd's `bcrypt.DefaultCost` for v2 user passwords.
const BCRYPT_COST: u32 = 10;

/// A v2 auth failure.
#[derive(Debug, thiserror::Error)]
pub enum V2AuthError {
    /// etcd's `v2auth.Error`: an HTTP status and an `auth: ...` message, written as
    /// `{"message": ...}`.
    #[error("{message}")]
    Auth {
        /// HTTP status.
        status: u16,
        /// `auth: ...`.
        message: String,
    },
    /// A v2 store error, written as etcd's v2 error body.
    #[error("{0}")]
    Store(V2Error),
    /// A server failure (no leader, timeout, storage).
    #[error(transparent)]
    Server(#[from] Error),
}

fn auth_err(status: u16, msg: impl std::fmt::Display) -> V2AuthError {
    V2AuthError::Auth {
        status,
        message: format!("auth: {msg}"),
    }
}

/// A v2 user (etcd's `v2auth.User`); `roles` is `null` when never set, as Go's nil slice.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct User {
    /// Name.
    pub user: String,
    /// bcrypt hash when stored; the plain password in a request.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub password: String,
    /// Granted roles, sorted after an update.
    #[serde(default)]
    pub roles: Option<Vec<String>>,
    /// Roles to grant (requests only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant: Option<Vec<String>>,
    /// Roles to revoke (requests only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoke: Option<Vec<String>>,
}

/// Read and write key patterns (etcd's `RWPermission`): `/foo` is that key, `/foo*` every key
/// starting with `/foo`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RwPermission {
    /// Readable patterns.
    #[serde(default)]
    pub read: Option<Vec<String>>,
    /// Writable patterns.
    #[serde(default)]
    pub write: Option<Vec<String>>,
}

/// A role's permissions (etcd's `Permissions`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Permissions {
    /// Key permissions.
    #[serde(default)]
    pub kv: RwPermission,
}

impl Permissions {
    fn is_empty(p: Option<&Permissions>) -> bool {
        p.is_none_or(|p| {
            p.kv.read.as_ref().is_none_or(Vec::is_empty)
                && p.kv.write.as_ref().is_none_or(Vec::is_empty)
        })
    }
}

/// A v2 role (etcd's `v2auth.Role`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Role {
    /// Name.
    pub role: String,
    /// What it may access.
    #[serde(default)]
    pub permissions: Permissions,
    /// Permissions to grant (requests only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant: Option<Permissions>,
    /// Permissions to revoke (requests only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoke: Option<Permissions>,
}

impl Role {
    /// Whether the request JSON holds no grant and no revoke (a create).
    pub fn is_create(&self) -> bool {
        Permissions::is_empty(self.grant.as_ref()) && Permissions::is_empty(self.revoke.as_ref())
    }

    /// Whether the request JSON holds permissions (refused beside grant/revoke).
    pub fn has_permissions(&self) -> bool {
        !Permissions::is_empty(Some(&self.permissions))
    }

    fn all_keys(name: &str) -> Role {
        let all = Some(vec!["/*".to_string()]);
        Role {
            role: name.to_string(),
            permissions: Permissions {
                kv: RwPermission {
                    read: all.clone(),
                    write: all,
                },
            },
            grant: None,
            revoke: None,
        }
    }

    fn patterns(&self, write: bool) -> &[String] {
        let list = if write {
            &self.permissions.kv.write
        } else {
            &self.permissions.kv.read
        };
        list.as_deref().unwrap_or_default()
    }

    /// etcd's `HasKeyAccess`: a pattern ending in `*` is a prefix, otherwise the exact key.
    pub fn has_key_access(&self, key: &str, write: bool) -> bool {
        self.role == ROOT_ROLE
            || self
                .patterns(write)
                .iter()
                .any(|p| match p.strip_suffix('*') {
                    Some(prefix) => key.starts_with(prefix),
                    None => key == p,
                })
    }

    /// etcd's `HasRecursiveAccess`: only prefix patterns cover a recursive request.
    pub fn has_recursive_access(&self, key: &str, write: bool) -> bool {
        self.role == ROOT_ROLE
            || self
                .patterns(write)
                .iter()
                .any(|p| p.strip_suffix('*').is_some_and(|pre| key.starts_with(pre)))
    }
}

/// `current + add`, refusing duplicates with `dup(item)`, sorted.
fn grant_set(
    current: &Option<Vec<String>>,
    add: &[String],
    dup: impl Fn(&str) -> V2AuthError,
) -> Result<Vec<String>, V2AuthError> {
    let mut set: std::collections::BTreeSet<String> = current.iter().flatten().cloned().collect();
    for a in add {
        if !set.insert(a.clone()) {
            return Err(dup(a));
        }
    }
    Ok(set.into_iter().collect())
}

/// `current - remove`, sorted; `missing(item)` for an item not there (`None`: ignored).
fn revoke_set(
    current: Vec<String>,
    remove: &[String],
    missing: impl Fn(&str) -> Option<V2AuthError>,
) -> Result<Vec<String>, V2AuthError> {
    let mut set: std::collections::BTreeSet<String> = current.into_iter().collect();
    for r in remove {
        if !set.remove(r) {
            if let Some(e) = missing(r) {
                return Err(e);
            }
        }
    }
    Ok(set.into_iter().collect())
}

fn attach_root_role(mut u: User) -> User {
    let roles = u.roles.get_or_insert_with(Vec::new);
    if !roles.iter().any(|r| r == ROOT_ROLE) {
        roles.push(ROOT_ROLE.to_string());
    }
    u
}

async fn bcrypt_hash(password: String) -> Result<String, V2AuthError> {
    tokio::task::spawn_blocking(move || {
        crate::auth::password::hash(password.as_bytes(), BCRYPT_COST)
    })
    .await
    .map_err(|e| V2AuthError::Server(Error::Task(e)))?
    .map_err(|e| V2AuthError::Server(Error::Internal(e.to_string())))
}

fn decode<T: serde::de::DeserializeOwned>(e: &Event) -> Result<T, V2AuthError> {
    serde_json::from_str(e.node.value.as_deref().unwrap_or_default())
        .map_err(|err| V2AuthError::Server(Error::Internal(format!("v2 auth record: {err}"))))
}

impl EtcdServer {
    /// Reads `res` (`/users/x`) in the auth namespace (`quorum`: after the read-index
    /// barrier, etcd's `QGET`).
    async fn v2_auth_get(&self, res: &str, quorum: bool) -> Result<V2Answer<Event>, Error> {
        if quorum {
            self.linearizable_barrier().await?;
        }
        self.read(|b, t| {
            b.v2.auth_space()
                .get(t, res, false, false)
                .map_err(|e| Error::Internal(e.to_string()))
        })
    }

    /// Proposes a write in the auth namespace; a v2 error is [`V2AuthError::Store`].
    async fn v2_auth_write(&self, mut req: V2Request) -> Result<Event, V2AuthError> {
        req.auth = true;
        self.v2_propose(req).await?.map_err(V2AuthError::Store)
    }

    /// etcd's `ensureAuthDirectories`: `/users`, `/roles` and `/enabled` = `false`, once.
    async fn v2_auth_ensure(&self) -> Result<(), V2AuthError> {
        if self.v2_auth_get("/enabled", false).await?.is_ok() {
            return Ok(());
        }
        for (path, dir, val) in [
            ("/users", true, ""),
            ("/roles", true, ""),
            ("/enabled", false, "false"),
        ] {
            let r = self
                .v2_auth_write(V2Request {
                    method: "PUT".into(),
                    path: path.into(),
                    dir,
                    val: val.into(),
                    prev_exist: Some(false),
                    ..Default::default()
                })
                .await;
            match r {
                Ok(_) => {}
                Err(V2AuthError::Store(e)) if e.code == code::NODE_EXIST => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Puts `value`'s JSON at `res` (`prev_exist`: update, otherwise create).
    async fn v2_auth_set<T: Serialize>(
        &self,
        res: &str,
        value: &T,
        prev_exist: bool,
    ) -> Result<Event, V2AuthError> {
        self.v2_auth_ensure().await?;
        let val = serde_json::to_string(value)
            .map_err(|e| V2AuthError::Server(Error::Internal(e.to_string())))?;
        self.v2_auth_write(V2Request {
            method: "PUT".into(),
            path: res.into(),
            val,
            prev_exist: Some(prev_exist),
            ..Default::default()
        })
        .await
    }

    async fn v2_auth_delete(&self, res: &str) -> Result<Event, V2AuthError> {
        self.v2_auth_ensure().await?;
        self.v2_auth_write(V2Request {
            method: "DELETE".into(),
            path: res.into(),
            prev_exist: Some(true),
            ..Default::default()
        })
        .await
    }

    /// The children names of `/users` or `/roles`, sorted.
    async fn v2_auth_names(&self, dir: &str) -> Result<Vec<String>, V2AuthError> {
        match self.v2_auth_get(dir, false).await? {
            Ok(e) => {
                let mut names: Vec<String> = e
                    .node
                    .nodes
                    .unwrap_or_default()
                    .iter()
                    .map(|n| n.key.rsplit('/').next().unwrap_or_default().to_string())
                    .collect();
                names.sort();
                Ok(names)
            }
            Err(e) if e.code == code::KEY_NOT_FOUND => Ok(Vec::new()),
            Err(e) => Err(V2AuthError::Store(e)),
        }
    }

    /// Every user name, sorted (etcd's `AllUsers`).
    ///
    /// # Errors
    /// Server failures.
    pub async fn v2_all_users(&self) -> Result<Vec<String>, V2AuthError> {
        self.v2_auth_names("/users").await
    }

    /// Every role name with `root`, sorted (etcd's `AllRoles`).
    ///
    /// # Errors
    /// Server failures.
    pub async fn v2_all_roles(&self) -> Result<Vec<String>, V2AuthError> {
        let mut names = self.v2_auth_names("/roles").await?;
        names.push(ROOT_ROLE.to_string());
        names.sort();
        Ok(names)
    }

    /// One user (etcd's `GetUser`); `root` always lists the root role.
    ///
    /// # Errors
    /// `404 auth: User <name> does not exist.`
    pub async fn v2_get_user(&self, name: &str, quorum: bool) -> Result<User, V2AuthError> {
        match self.v2_auth_get(&format!("/users/{name}"), quorum).await? {
            Ok(e) => {
                let u: User = decode(&e)?;
                Ok(if u.user == "root" {
                    attach_root_role(u)
                } else {
                    u
                })
            }
            Err(e) if e.code == code::KEY_NOT_FOUND => {
                Err(auth_err(404, format!("User {name} does not exist.")))
            }
            Err(e) => Err(V2AuthError::Store(e)),
        }
    }

    /// One role (etcd's `GetRole`); `root` is built in.
    ///
    /// # Errors
    /// `404 auth: Role <name> does not exist.`
    pub async fn v2_get_role(&self, name: &str, quorum: bool) -> Result<Role, V2AuthError> {
        if name == ROOT_ROLE {
            return Ok(Role::all_keys(ROOT_ROLE));
        }
        match self.v2_auth_get(&format!("/roles/{name}"), quorum).await? {
            Ok(e) => decode(&e),
            Err(e) if e.code == code::KEY_NOT_FOUND => {
                Err(auth_err(404, format!("Role {name} does not exist.")))
            }
            Err(e) => Err(V2AuthError::Store(e)),
        }
    }

    /// Creates a user (etcd's `CreateUser`): the password is hashed; `root` gets the root
    /// role.
    ///
    /// # Errors
    /// `400` empty password, `409 auth: User <name> already exists.`
    pub async fn v2_create_user(&self, user: User) -> Result<User, V2AuthError> {
        let mut user = if user.user == "root" {
            attach_root_role(user)
        } else {
            user
        };
        if user.password.is_empty() {
            return Err(auth_err(
                400,
                format!("Cannot create user {} with an empty password", user.user),
            ));
        }
        user.password = bcrypt_hash(std::mem::take(&mut user.password)).await?;
        match self
            .v2_auth_set(&format!("/users/{}", user.user), &user, false)
            .await
        {
            Ok(_) => {
                tracing::info!(user_name = %user.user, "created a user");
                Ok(user)
            }
            Err(V2AuthError::Store(e)) if e.code == code::NODE_EXIST => {
                Err(auth_err(409, format!("User {} already exists.", user.user)))
            }
            Err(e) => Err(e),
        }
    }

    /// Applies grants, revokes and a new password to an existing user (etcd's `UpdateUser`).
    ///
    /// # Errors
    /// `404` unknown user, `409` duplicate grant or ungranted revoke, `400` nothing changed.
    pub async fn v2_update_user(&self, user: User) -> Result<User, V2AuthError> {
        let old = self.v2_get_user(&user.user, true).await?;
        let password = if user.password.is_empty() {
            old.password.clone()
        } else {
            bcrypt_hash(user.password.clone()).await?
        };
        let roles = grant_set(&old.roles, user.grant.as_deref().unwrap_or_default(), |g| {
            auth_err(
                409,
                format!("Granting duplicate role {g} for user {}", user.user),
            )
        })?;
        let roles = revoke_set(roles, user.revoke.as_deref().unwrap_or_default(), |r| {
            Some(auth_err(
                409,
                format!("Revoking ungranted role {r} for user {}", user.user),
            ))
        })?;
        let new = User {
            user: old.user.clone(),
            password,
            roles: Some(roles),
            grant: None,
            revoke: None,
        };
        if new == old {
            return Err(auth_err(
                400,
                "User not updated. Use grant/revoke/password to update the user.",
            ));
        }
        self.v2_auth_set(&format!("/users/{}", user.user), &new, true)
            .await?;
        tracing::info!(user_name = %user.user, "updated a user");
        Ok(new)
    }

    /// etcd's `CreateOrUpdateUser`: an update when the user exists; `true` when created.
    ///
    /// # Errors
    /// As [`EtcdServer::v2_create_user`] and [`EtcdServer::v2_update_user`].
    pub async fn v2_create_or_update_user(&self, user: User) -> Result<(User, bool), V2AuthError> {
        if self.v2_get_user(&user.user, true).await.is_ok() {
            return Ok((self.v2_update_user(user).await?, false));
        }
        Ok((self.v2_create_user(user).await?, true))
    }

    /// Deletes a user (etcd's `DeleteUser`).
    ///
    /// # Errors
    /// `403` for `root` while auth is enabled, `404 auth: User <name> does not exist`.
    pub async fn v2_delete_user(&self, name: &str) -> Result<(), V2AuthError> {
        if name == "root" && self.v2_auth_enabled().await? {
            return Err(auth_err(
                403,
                "Cannot delete root user while auth is enabled.",
            ));
        }
        match self.v2_auth_delete(&format!("/users/{name}")).await {
            Ok(_) => {
                tracing::info!(user_name = %name, "deleted a user");
                Ok(())
            }
            Err(V2AuthError::Store(e)) if e.code == code::KEY_NOT_FOUND => {
                Err(auth_err(404, format!("User {name} does not exist")))
            }
            Err(e) => Err(e),
        }
    }

    /// Creates a role (etcd's `CreateRole`).
    ///
    /// # Errors
    /// `403` for `root`, `409 auth: Role <name> already exists.`
    pub async fn v2_create_role(&self, role: Role) -> Result<(), V2AuthError> {
        if role.role == ROOT_ROLE {
            return Err(root_role_refused(&role.role));
        }
        match self
            .v2_auth_set(&format!("/roles/{}", role.role), &role, false)
            .await
        {
            Ok(_) => {
                tracing::info!(role_name = %role.role, "created a new role");
                Ok(())
            }
            Err(V2AuthError::Store(e)) if e.code == code::NODE_EXIST => {
                Err(auth_err(409, format!("Role {} already exists.", role.role)))
            }
            Err(e) => Err(e),
        }
    }

    /// Deletes a role (etcd's `DeleteRole`).
    ///
    /// # Errors
    /// `403` for `root`, `404 auth: Role <name> doesn't exist.`
    pub async fn v2_delete_role(&self, name: &str) -> Result<(), V2AuthError> {
        if name == ROOT_ROLE {
            return Err(root_role_refused(name));
        }
        match self.v2_auth_delete(&format!("/roles/{name}")).await {
            Ok(_) => {
                tracing::info!(role_name = %name, "deleted a role");
                Ok(())
            }
            Err(V2AuthError::Store(e)) if e.code == code::KEY_NOT_FOUND => {
                Err(auth_err(404, format!("Role {name} doesn't exist.")))
            }
            Err(e) => Err(e),
        }
    }

    /// Applies a role's grant and revoke (etcd's `UpdateRole`; ungranted revokes are ignored).
    ///
    /// # Errors
    /// `403` for `root`, `404` unknown role, `409` duplicate grant, `400` nothing changed.
    pub async fn v2_update_role(&self, role: Role) -> Result<Role, V2AuthError> {
        if role.role == ROOT_ROLE {
            return Err(root_role_refused(&role.role));
        }
        let old = self.v2_get_role(&role.role, true).await?;
        let mut kv = old.permissions.kv.clone();
        if let Some(g) = &role.grant {
            kv = RwPermission {
                read: Some(grant_set(
                    &kv.read,
                    g.kv.read.as_deref().unwrap_or_default(),
                    |r| auth_err(409, format!("Granting duplicate read permission {r}")),
                )?),
                write: Some(grant_set(
                    &kv.write,
                    g.kv.write.as_deref().unwrap_or_default(),
                    |w| auth_err(409, format!("Granting duplicate write permission {w}")),
                )?),
            };
        }
        if let Some(r) = &role.revoke {
            kv = RwPermission {
                read: Some(revoke_set(
                    kv.read.unwrap_or_default(),
                    r.kv.read.as_deref().unwrap_or_default(),
                    |_| None,
                )?),
                write: Some(revoke_set(
                    kv.write.unwrap_or_default(),
                    r.kv.write.as_deref().unwrap_or_default(),
                    |_| None,
                )?),
            };
        }
        let new = Role {
            role: old.role.clone(),
            permissions: Permissions { kv },
            grant: None,
            revoke: None,
        };
        if new == old {
            return Err(auth_err(
                400,
                "Role not updated. Use grant/revoke to update the role.",
            ));
        }
        self.v2_auth_set(&format!("/roles/{}", role.role), &new, true)
            .await?;
        tracing::info!(role_name = %role.role, "updated a role");
        Ok(new)
    }

    /// Whether v2 auth is enabled (etcd's `AuthEnabled`: `/enabled` is JSON `true`).
    ///
    /// # Errors
    /// Server failures.
    pub async fn v2_auth_enabled(&self) -> Result<bool, V2AuthError> {
        match self.v2_auth_get("/enabled", false).await? {
            Ok(e) => Ok(decode::<bool>(&e).unwrap_or(false)),
            Err(_) => Ok(false),
        }
    }

    /// Enables auth (etcd's `EnableAuth`), creating the `guest` role when missing.
    ///
    /// # Errors
    /// `409 auth: already enabled`, `409 auth: No root user available, please create one`.
    pub async fn v2_enable_auth(&self) -> Result<(), V2AuthError> {
        if self.v2_auth_enabled().await? {
            return Err(auth_err(409, "already enabled"));
        }
        if self.v2_get_user("root", true).await.is_err() {
            return Err(auth_err(409, "No root user available, please create one"));
        }
        if self.v2_get_role(GUEST_ROLE, true).await.is_err() {
            tracing::info!(
                role_name = GUEST_ROLE,
                "no guest role access found; creating default"
            );
            self.v2_create_role(Role::all_keys(GUEST_ROLE)).await?;
        }
        self.v2_auth_set("/enabled", &true, true).await?;
        tracing::info!("enabled auth");
        Ok(())
    }

    /// Disables auth (etcd's `DisableAuth`).
    ///
    /// # Errors
    /// `409 auth: already disabled`.
    pub async fn v2_disable_auth(&self) -> Result<(), V2AuthError> {
        if !self.v2_auth_enabled().await? {
            return Err(auth_err(409, "already disabled"));
        }
        self.v2_auth_set("/enabled", &false, true).await?;
        tracing::info!("disabled auth");
        Ok(())
    }

    /// The user of HTTP basic credentials (`user`, `password`) when the password matches.
    async fn v2_basic_user(&self, user: &str, password: &str) -> Option<User> {
        let u = self.v2_get_user(user, false).await.ok()?;
        let (hash, pw) = (u.password.clone(), password.to_string());
        let ok = tokio::task::spawn_blocking(move || {
            crate::auth::password::verify(pw.as_bytes(), hash.as_bytes())
        })
        .await
        .unwrap_or(false);
        ok.then_some(u)
    }

    /// etcd's `userFromClientCertificate`: with `--client-cert-auth`, the v2 user named by the
    /// client certificate's CN, if there is one.
    async fn v2_cert_user(&self, cn: &str) -> Option<User> {
        if !self.cfg.client_tls.client_cert_auth {
            return None;
        }
        let user = self.v2_get_user(cn, false).await.ok()?;
        tracing::debug!(user_name = %user.user, common_name = %cn, "authenticated a user via common name");
        Some(user)
    }

    /// etcd's `hasRootAccess`: true while auth is disabled; otherwise the basic credentials,
    /// or without an `Authorization` header the client certificate's user (with
    /// `--client-cert-auth`), must name a user with the root role.
    pub async fn v2_has_root_access(&self, cred: &V2Credentials) -> bool {
        if !self.v2_auth_enabled().await.unwrap_or(false) {
            return true;
        }
        let user = match cred {
            V2Credentials::Basic(Some((name, password))) => {
                self.v2_basic_user(name, password).await
            }
            V2Credentials::CertCn(cn) => self.v2_cert_user(cn).await,
            V2Credentials::Basic(None) | V2Credentials::None => None,
        };
        let Some(user) = user else {
            return false;
        };
        if user.roles.iter().flatten().any(|r| r == ROOT_ROLE) {
            return true;
        }
        tracing::warn!(user_name = %user.user, "a user does not have root role for resource");
        false
    }

    /// etcd's `hasKeyPrefixAccess` for `key` (`write`: not GET/HEAD; `recursive`: the
    /// request's flag): true while auth is disabled; without an `Authorization` header the
    /// client certificate's user (with `--client-cert-auth`), or else the `guest` role,
    /// decides; otherwise the basic credentials' user, by any of its roles.
    pub async fn v2_has_key_access(
        &self,
        cred: &V2Credentials,
        key: &str,
        recursive: bool,
        write: bool,
    ) -> bool {
        if !self.v2_auth_enabled().await.unwrap_or(false) {
            return true;
        }
        let user = match cred {
            V2Credentials::Basic(Some((name, password))) => {
                self.v2_basic_user(name, password).await
            }
            V2Credentials::Basic(None) => None,
            V2Credentials::CertCn(cn) => match self.v2_cert_user(cn).await {
                Some(u) => Some(u),
                None => return self.v2_has_guest_access(key, write).await,
            },
            V2Credentials::None => return self.v2_has_guest_access(key, write).await,
        };
        let Some(user) = user else {
            return false;
        };
        for role_name in user.roles.iter().flatten() {
            let Ok(role) = self.v2_get_role(role_name, false).await else {
                continue;
            };
            let ok = if recursive {
                role.has_recursive_access(key, write)
            } else {
                role.has_key_access(key, write)
            };
            if ok {
                return true;
            }
        }
        tracing::warn!(user_name = %user.user, key = %key, "invalid access for user on key");
        false
    }

    /// etcd's `hasGuestAccess`: the `guest` role's access to `key`.
    async fn v2_has_guest_access(&self, key: &str, write: bool) -> bool {
        match self.v2_get_role(GUEST_ROLE, false).await {
            Ok(role) => role.has_key_access(key, write),
            Err(_) => false,
        }
    }
}

fn root_role_refused(name: &str) -> V2AuthError {
    auth_err(403, format!("Cannot modify role {name}: is root role."))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn patterns_follow_etcd() {
        let r = Role {
            role: "r".into(),
            permissions: Permissions {
                kv: RwPermission {
                    read: Some(vec!["/foo/*".into(), "/x".into()]),
                    write: None,
                },
            },
            ..Default::default()
        };
        assert!(r.has_key_access("/foo/a", false));
        assert!(r.has_key_access("/x", false));
        assert!(!r.has_key_access("/xy", false));
        assert!(!r.has_key_access("/foo/a", true));
        assert!(r.has_recursive_access("/foo/a", false));
        assert!(!r.has_recursive_access("/x", false));
        assert!(Role::all_keys(ROOT_ROLE).has_key_access("/any", true));
    }

    #[test]
    fn json_shapes_follow_go() {
        let u = User {
            user: "u".into(),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_string(&u).unwrap(),
            r#"{"user":"u","roles":null}"#
        );
        let r: Role =
            serde_json::from_str(r#"{"role":"r","grant":{"kv":{"read":["/a"]}}}"#).unwrap();
        assert!(!r.is_create());
        assert!(!r.has_permissions());
        assert_eq!(
            serde_json::to_string(&Role::all_keys("guest")).unwrap(),
            r#"{"role":"guest","permissions":{"kv":{"read":["/*"],"write":["/*"]}}}"#
        );
    }

    #[test]
    fn grants_and_revokes_are_sets() {
        let dup = |_: &str| auth_err(409, "dup");
        assert_eq!(
            grant_set(&Some(vec!["b".into()]), &["a".into()], dup).unwrap(),
            ["a", "b"]
        );
        assert!(grant_set(&Some(vec!["a".into()]), &["a".into()], dup).is_err());
        assert_eq!(
            revoke_set(
                vec!["a".into(), "b".into()],
                &["a".into(), "z".into()],
                |_| None
            )
            .unwrap(),
            ["b"]
        );
    }
}
