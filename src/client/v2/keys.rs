//! `/v2/keys`: get, set, create in order, delete and one watch poll (Go's `KeysAPI`).

use super::endpoint::{canonical_path, encode_values};
use super::error::{EtcdError, V2Error};
use super::transport::Request;
use super::wire::Response;
use super::V2Client;

/// Options of a set (`PUT /v2/keys/<key>`), Go's `client.SetOptions`.
#[derive(Debug, Clone, Default)]
pub struct SetOptions {
    /// `prevValue`: only if the current value is this (ignored when empty, as in Go).
    pub prev_value: String,
    /// `prevIndex`: only if the modified index is this (ignored when 0).
    pub prev_index: u64,
    /// `prevExist`: `Some(true)` only update, `Some(false)` only create.
    pub prev_exist: Option<bool>,
    /// TTL in seconds (none when 0 or negative).
    pub ttl: i64,
    /// Create a directory instead of a value.
    pub dir: bool,
}

/// Options of a delete, Go's `client.DeleteOptions`.
#[derive(Debug, Clone, Default)]
pub struct DeleteOptions {
    /// `prevValue` (ignored when empty).
    pub prev_value: String,
    /// `prevIndex` (ignored when 0).
    pub prev_index: u64,
    /// Allow deleting an empty directory.
    pub dir: bool,
    /// Delete a directory and everything under it.
    pub recursive: bool,
}

impl V2Client {
    pub(super) fn keys_path(key: &str) -> String {
        let key = if key.starts_with('/') || key.is_empty() {
            key.to_string()
        } else {
            format!("/{key}")
        };
        canonical_path(&format!("/v2/keys{key}"))
    }

    pub(super) async fn keys(&self, req: Request) -> Result<Response, V2Error> {
        let a = self.send(req).await?;
        match a.status {
            200 | 201 => {
                if a.body.is_empty() {
                    return Err(V2Error::EmptyBody);
                }
                let mut r: Response =
                    serde_json::from_slice(&a.body).map_err(|_| V2Error::InvalidJson)?;
                r.index = a.index.unwrap_or(0);
                Ok(r)
            }
            _ => Err(serde_json::from_slice::<EtcdError>(&a.body)
                .map(V2Error::Etcd)
                .unwrap_or(V2Error::InvalidJson)),
        }
    }

    /// `GET /v2/keys/<key>` (Go's `KeysAPI.Get`).
    ///
    /// # Errors
    /// [`V2Error::Etcd`] (e.g. 100 key not found) or a transport error.
    pub async fn get(
        &self,
        key: &str,
        recursive: bool,
        sorted: bool,
        quorum: bool,
    ) -> Result<Response, V2Error> {
        self.keys(Request {
            method: hyper::Method::GET,
            path: Self::keys_path(key),
            query: encode_values(&[
                ("recursive", recursive.to_string()),
                ("sorted", sorted.to_string()),
                ("quorum", quorum.to_string()),
            ]),
            body: None,
            wait: false,
        })
        .await
    }

    /// `PUT /v2/keys/<key>` (Go's `KeysAPI.Set`).
    ///
    /// # Errors
    /// [`V2Error::Etcd`] (100, 101 compare failed, 102 not a file, 105 exists, ...) or a
    /// transport error.
    pub async fn set(&self, key: &str, value: &str, o: &SetOptions) -> Result<Response, V2Error> {
        let mut params = Vec::new();
        let mut form = Vec::new();
        if o.dir {
            params.push(("dir", "true".to_string()));
        } else {
            if !o.prev_value.is_empty() {
                params.push(("prevValue", o.prev_value.clone()));
            }
            form.push(("value", value.to_string()));
        }
        if o.prev_index != 0 {
            params.push(("prevIndex", o.prev_index.to_string()));
        }
        if let Some(p) = o.prev_exist {
            params.push(("prevExist", p.to_string()));
        }
        if o.ttl > 0 {
            form.push(("ttl", o.ttl.to_string()));
        }
        self.keys(Request {
            method: hyper::Method::PUT,
            path: Self::keys_path(key),
            query: encode_values(&params),
            body: Some((encode_values(&form), "application/x-www-form-urlencoded")),
            wait: false,
        })
        .await
    }

    /// `POST /v2/keys/<dir>`: an in-order key under `dir` (Go's `KeysAPI.CreateInOrder`).
    ///
    /// # Errors
    /// As [`V2Client::set`].
    pub async fn create_in_order(
        &self,
        dir: &str,
        value: &str,
        ttl: i64,
    ) -> Result<Response, V2Error> {
        let mut form = vec![("value", value.to_string())];
        if ttl > 0 {
            form.push(("ttl", ttl.to_string()));
        }
        self.keys(Request {
            method: hyper::Method::POST,
            path: Self::keys_path(dir),
            query: String::new(),
            body: Some((encode_values(&form), "application/x-www-form-urlencoded")),
            wait: false,
        })
        .await
    }

    /// `DELETE /v2/keys/<key>` (Go's `KeysAPI.Delete`).
    ///
    /// # Errors
    /// [`V2Error::Etcd`] (100, 101, 102 not a file, 108 directory not empty) or a transport
    /// error.
    pub async fn delete(&self, key: &str, o: &DeleteOptions) -> Result<Response, V2Error> {
        let mut params = Vec::new();
        if !o.prev_value.is_empty() {
            params.push(("prevValue", o.prev_value.clone()));
        }
        if o.prev_index != 0 {
            params.push(("prevIndex", o.prev_index.to_string()));
        }
        if o.dir {
            params.push(("dir", "true".to_string()));
        }
        if o.recursive {
            params.push(("recursive", "true".to_string()));
        }
        self.keys(Request {
            method: hyper::Method::DELETE,
            path: Self::keys_path(key),
            query: encode_values(&params),
            body: None,
            wait: false,
        })
        .await
    }

    /// One long poll `GET /v2/keys/<key>?wait=true&waitIndex=N` (Go's `httpWatcher.Next`):
    /// the first event at or after `wait_index` (0: the next one). Empty answers (the server
    /// closing an idle poll) are retried. No header timeout.
    ///
    /// # Errors
    /// [`V2Error::Etcd`] (401 event index cleared, ...) or a transport error.
    pub async fn watch_next(
        &self,
        key: &str,
        wait_index: u64,
        recursive: bool,
    ) -> Result<Response, V2Error> {
        loop {
            let r = self
                .keys(Request {
                    method: hyper::Method::GET,
                    path: Self::keys_path(key),
                    query: encode_values(&[
                        ("wait", "true".to_string()),
                        ("waitIndex", wait_index.to_string()),
                        ("recursive", recursive.to_string()),
                    ]),
                    body: None,
                    wait: true,
                })
                .await;
            match r {
                Err(V2Error::EmptyBody) => continue,
                r => return r,
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::endpoint::escape_path;
    use super::*;

    #[test]
    pub(super) fn keys_paths_and_queries_are_encoded_like_go() {
        assert_eq!(V2Client::keys_path("foo"), "/v2/keys/foo");
        assert_eq!(V2Client::keys_path("/a//b/../c/"), "/v2/keys/a/c/");
        assert_eq!(V2Client::keys_path(""), "/v2/keys");
        assert_eq!(
            encode_values(&[("sorted", "false".into()), ("recursive", "a b&".into())]),
            "recursive=a+b%26&sorted=false"
        );
        assert_eq!(escape_path("/v2/keys/a b?"), "/v2/keys/a%20b%3F");
    }
}
