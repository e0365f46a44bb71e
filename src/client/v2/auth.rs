//! `/v2/auth`: enable/disable, users and roles (Go's `AuthAPI`, `AuthUserAPI`,
//! `AuthRoleAPI`).

use serde::Deserialize;

use super::error::V2Error;
use super::transport::Answer;
use super::wire::{Role, User};
use super::V2Client;

impl V2Client {
    pub(super) async fn auth_call(
        &self,
        method: hyper::Method,
        path: &str,
        json: Option<String>,
        ok: &[u16],
    ) -> Result<Answer, V2Error> {
        let a = self.call(method, path, json).await?;
        if ok.contains(&a.status) {
            Ok(a)
        } else {
            Err(Self::message(&a))
        }
    }

    /// `PUT /v2/auth/enable` or `DELETE` it.
    ///
    /// # Errors
    /// The server's message.
    pub async fn auth_enable(&self, enable: bool) -> Result<(), V2Error> {
        let m = if enable {
            hyper::Method::PUT
        } else {
            hyper::Method::DELETE
        };
        self.auth_call(m, "/v2/auth/enable", None, &[200]).await?;
        Ok(())
    }

    /// `GET /v2/auth/users`: the user names.
    ///
    /// # Errors
    /// The server's message.
    pub async fn user_list(&self) -> Result<Vec<String>, V2Error> {
        #[derive(Deserialize)]
        struct Entry {
            #[serde(default)]
            user: String,
        }
        #[derive(Deserialize)]
        struct L {
            #[serde(default)]
            users: Option<Vec<Entry>>,
        }
        let a = self
            .auth_call(hyper::Method::GET, "/v2/auth/users", None, &[200])
            .await?;
        let l: L = Self::json(&a)?;
        Ok(l.users
            .unwrap_or_default()
            .into_iter()
            .map(|u| u.user)
            .collect())
    }

    /// `GET /v2/auth/users/<name>`.
    ///
    /// # Errors
    /// The server's message (`auth: User u does not exist.`).
    pub async fn user_get(&self, name: &str) -> Result<User, V2Error> {
        #[derive(Deserialize)]
        struct U {
            #[serde(default)]
            user: String,
            #[serde(default)]
            roles: Option<Vec<serde_json::Value>>,
        }
        let a = self
            .auth_call(
                hyper::Method::GET,
                &format!("/v2/auth/users/{name}"),
                None,
                &[200],
            )
            .await?;
        let u: U = Self::json(&a)?;
        let roles = u.roles.unwrap_or_default();
        // Go's client first decodes the roles as strings: role objects leave one empty
        // name each (a partial decode), then the names are appended; etcdctl prints both.
        let objects = roles.iter().any(|r| !r.is_string());
        let mut names: Vec<String> = if objects {
            vec![String::new(); roles.len()]
        } else {
            Vec::new()
        };
        names.extend(roles.into_iter().map(|r| {
            match r {
                serde_json::Value::String(s) => s,
                other => other
                    .get("role")
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_string(),
            }
        }));
        Ok(User {
            user: u.user,
            roles: names,
        })
    }

    /// `PUT /v2/auth/users/<name>` with a JSON body (add, grant, revoke, password).
    ///
    /// # Errors
    /// The server's message.
    pub async fn user_put(&self, name: &str, body: serde_json::Value) -> Result<(), V2Error> {
        self.auth_call(
            hyper::Method::PUT,
            &format!("/v2/auth/users/{name}"),
            Some(body.to_string()),
            &[200, 201],
        )
        .await?;
        Ok(())
    }

    /// `DELETE /v2/auth/users/<name>`.
    ///
    /// # Errors
    /// The server's message.
    pub async fn user_remove(&self, name: &str) -> Result<(), V2Error> {
        self.auth_call(
            hyper::Method::DELETE,
            &format!("/v2/auth/users/{name}"),
            None,
            &[200],
        )
        .await?;
        Ok(())
    }

    /// `GET /v2/auth/roles`: the role names.
    ///
    /// # Errors
    /// The server's message.
    pub async fn role_list(&self) -> Result<Vec<String>, V2Error> {
        #[derive(Deserialize)]
        struct L {
            #[serde(default)]
            roles: Option<Vec<Role>>,
        }
        // etcd's client checks only the status here (no error body), unlike users.
        let a = self
            .call(hyper::Method::GET, "/v2/auth/roles", None)
            .await?;
        Self::expect(&a, &[200])?;
        let l: L = Self::json(&a)?;
        Ok(l.roles
            .unwrap_or_default()
            .into_iter()
            .map(|r| r.role)
            .collect())
    }

    /// `GET /v2/auth/roles/<name>`.
    ///
    /// # Errors
    /// The server's message (`auth: Role r does not exist.`).
    pub async fn role_get(&self, name: &str) -> Result<Role, V2Error> {
        let a = self
            .auth_call(
                hyper::Method::GET,
                &format!("/v2/auth/roles/{name}"),
                None,
                &[200],
            )
            .await?;
        Self::json(&a)
    }

    /// `PUT /v2/auth/roles/<name>` with a JSON body (add, grant, revoke); the role after.
    ///
    /// # Errors
    /// The server's message.
    pub async fn role_put(
        &self,
        name: &str,
        body: serde_json::Value,
    ) -> Result<Option<Role>, V2Error> {
        let a = self
            .auth_call(
                hyper::Method::PUT,
                &format!("/v2/auth/roles/{name}"),
                Some(body.to_string()),
                &[200, 201],
            )
            .await?;
        Ok(serde_json::from_slice(&a.body).ok())
    }

    /// `DELETE /v2/auth/roles/<name>`.
    ///
    /// # Errors
    /// The server's message.
    pub async fn role_remove(&self, name: &str) -> Result<(), V2Error> {
        self.auth_call(
            hyper::Method::DELETE,
            &format!("/v2/auth/roles/{name}"),
            None,
            &[200],
        )
        .await?;
        Ok(())
    }
}
