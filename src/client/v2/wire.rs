//! The JSON shapes of etcd's v2 API as Go's client marshals them (`client.Node`,
//! `client.Response`, members, users, roles), field order included.

use serde::{Deserialize, Serialize};

/// A v2 node (`client.Node`); field order and JSON names as Go marshals them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Node {
    /// Full key (`/dir/key`).
    #[serde(default)]
    pub key: String,
    /// Whether it is a directory.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dir: bool,
    /// The value (`""` for directories).
    #[serde(default)]
    pub value: String,
    /// Children (for directories read with `recursive` or one level down), `null` otherwise.
    #[serde(default)]
    pub nodes: Option<Vec<Node>>,
    /// Index at creation.
    #[serde(rename = "createdIndex", default)]
    pub created_index: u64,
    /// Index of the last change.
    #[serde(rename = "modifiedIndex", default)]
    pub modified_index: u64,
    /// Expiry time as the server sent it (RFC 3339 with nanoseconds), when it has a TTL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration: Option<String>,
    /// Remaining time to live in seconds, 0 when none.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub ttl: i64,
}

pub(super) fn is_zero(v: &i64) -> bool {
    *v == 0
}

/// A keys API answer (`client.Response`); [`Response::index`] is the `X-Etcd-Index` header
/// and is not part of the JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Response {
    /// `get`, `set`, `create`, `update`, `delete`, `compareAndSwap`, `compareAndDelete`,
    /// `expire`.
    #[serde(default)]
    pub action: String,
    /// The node acted on.
    #[serde(default)]
    pub node: Option<Node>,
    /// The node before the change, if any.
    #[serde(rename = "prevNode", default)]
    pub prev_node: Option<Node>,
    /// The store index of the answer (`X-Etcd-Index`).
    #[serde(skip)]
    pub index: u64,
}

/// A cluster member as `/v2/members` lists it; IDs are hexadecimal strings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Member {
    /// Member ID, hexadecimal.
    #[serde(default)]
    pub id: String,
    /// Name; empty for a member added but not started.
    #[serde(default)]
    pub name: String,
    /// Peer URLs.
    #[serde(rename = "peerURLs", default)]
    pub peer_urls: Vec<String>,
    /// Client URLs.
    #[serde(rename = "clientURLs", default)]
    pub client_urls: Vec<String>,
}

/// A v2 auth user (`/v2/auth/users/<name>`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct User {
    /// User name.
    #[serde(default)]
    pub user: String,
    /// Names of the granted roles.
    #[serde(default)]
    pub roles: Vec<String>,
}

/// The key permissions of a v2 role.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KvPerms {
    /// Readable key patterns.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub read: Vec<String>,
    /// Writable key patterns.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub write: Vec<String>,
}

/// A JSON `null` list read as empty (Go's nil slice).
pub(super) fn null_as_empty<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Vec<String>, D::Error> {
    Ok(Option::<Vec<String>>::deserialize(d)?.unwrap_or_default())
}

/// A v2 auth role (`/v2/auth/roles/<name>`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Role {
    /// Role name.
    #[serde(default)]
    pub role: String,
    /// Its permissions.
    #[serde(default)]
    pub permissions: Perms,
}

/// `{"kv": {...}}` of a role.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Perms {
    /// Key permissions.
    #[serde(default)]
    pub kv: KvPerms,
}

/// Which permission a role grant or revoke names (Go's `client.PermissionType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Read only.
    Read,
    /// Write only.
    Write,
    /// Read and write.
    ReadWrite,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    pub(super) fn responses_marshal_in_gos_field_order() {
        let r: Response = serde_json::from_str(
            r#"{"action":"set","node":{"key":"/d","dir":true,"modifiedIndex":5,"createdIndex":5}}"#,
        )
        .unwrap();
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"action":"set","node":{"key":"/d","dir":true,"value":"","nodes":null,"createdIndex":5,"modifiedIndex":5},"prevNode":null}"#
        );
    }
}
