//! The v2 client's errors, worded as Go's `go.etcd.io/etcd/client` and etcdctl 3.4 print them.

use serde::{Deserialize, Serialize};

/// Go's `ErrClusterUnavailable` text, the head of every [`V2Error::Cluster`] message.
pub const CLUSTER_UNAVAILABLE: &str = "client: etcd cluster is unavailable or misconfigured";

/// One endpoint's failure inside a [`V2Error::Cluster`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointError {
    /// Go's error text (`dial tcp 127.0.0.1:1: connect: connection refused`).
    pub message: String,
    /// Whether Go's etcdctl counts it as a connection error (`isConnectionError`: a failed
    /// dial or read), which makes the cluster sync exit with the bad-connection code.
    pub connection: bool,
}

/// etcd's v2 keys error body (`{"errorCode":100,"message":"Key not found","cause":"/foo",
/// "index":4}`); `Display` is Go's `100: Key not found (/foo) [4]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{code}: {message} ({cause}) [{index}]")]
pub struct EtcdError {
    /// etcd's error code (100 key not found, 101 compare failed, 105 key exists, ...).
    #[serde(rename = "errorCode", default)]
    pub code: i64,
    /// The error text.
    #[serde(default)]
    pub message: String,
    /// What it is about (usually the key).
    #[serde(default)]
    pub cause: String,
    /// The store index (`X-Etcd-Index`) when it happened.
    #[serde(default)]
    pub index: u64,
}

/// Errors of [`V2Client`]; `Display` is the text Go's client gives, which etcdctl prints.
#[derive(Debug, Clone, thiserror::Error)]
pub enum V2Error {
    /// An error answer of the keys API.
    #[error("{0}")]
    Etcd(EtcdError),
    /// Every endpoint failed.
    #[error("{}", cluster_message(.0))]
    Cluster(Vec<EndpointError>),
    /// There is no endpoint to talk to.
    #[error("client: no endpoints available")]
    NoEndpoints,
    /// An error message from the members or auth API, or Go's `unexpected status code N`.
    #[error("{0}")]
    Api(String),
    /// A success answer whose body is not the expected JSON.
    #[error("client: response is invalid json. The endpoint is probably not valid etcd cluster endpoint")]
    InvalidJson,
    /// A success answer without a body.
    #[error("client: response body is empty")]
    EmptyBody,
    /// The total deadline passed (Go's `context deadline exceeded`).
    #[error("context deadline exceeded")]
    DeadlineExceeded,
    /// An endpoint Go's `url.Parse` refuses, or an unusable TLS configuration.
    #[error("{0}")]
    Config(String),
}

pub(super) fn cluster_message(errs: &[EndpointError]) -> String {
    let mut s = CLUSTER_UNAVAILABLE.to_string();
    for (i, e) in errs.iter().enumerate() {
        s.push_str(&format!("; error #{i}: {}\n", e.message));
    }
    s
}

impl V2Error {
    /// Go's `ClusterError.Detail()`: one `error #i: <text>` line per endpoint; `None` for
    /// other errors.
    pub fn detail(&self) -> Option<String> {
        match self {
            V2Error::Cluster(errs) => Some(
                errs.iter()
                    .enumerate()
                    .map(|(i, e)| format!("error #{i}: {}\n", e.message))
                    .collect(),
            ),
            _ => None,
        }
    }

    /// etcdctl's `isConnectionError`: every endpoint failed to connect or read, or the
    /// deadline passed (Go's `context.DeadlineExceeded` is a timeout `net.Error`).
    pub fn is_connection_error(&self) -> bool {
        match self {
            V2Error::Cluster(errs) => errs.iter().all(|e| e.connection),
            V2Error::DeadlineExceeded => true,
            _ => false,
        }
    }
}

/// Go's `http.StatusText` for the 5xx codes the client reports.
pub(super) fn status_text(code: u16) -> &'static str {
    match code {
        501 => "Not Implemented",
        502 => "Bad Gateway",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        _ => "",
    }
}

/// The error Go's `json.Unmarshal` gives for `body`, which checks the syntax of the whole
/// input before the types (so a `404 page not found` body reads `invalid character 'p' after
/// top-level value`, as etcdctl prints it); `typed` (serde's error) when the syntax is fine.
pub(super) fn go_json_error(body: &[u8], typed: &serde_json::Error) -> String {
    let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(body) else {
        return typed.to_string();
    };
    if e.is_eof() {
        return "unexpected end of JSON input".into();
    }
    let text = String::from_utf8_lossy(body);
    let line = text
        .lines()
        .nth(e.line().saturating_sub(1))
        .unwrap_or_default();
    let at = line
        .chars()
        .nth(e.column().saturating_sub(1))
        .unwrap_or(' ');
    if e.to_string().starts_with("trailing characters") {
        format!("invalid character '{at}' after top-level value")
    } else {
        format!("invalid character '{at}' looking for beginning of value")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    pub(super) fn errors_print_like_go() {
        let e = V2Error::Etcd(EtcdError {
            code: 100,
            message: "Key not found".into(),
            cause: "/foo".into(),
            index: 4,
        });
        assert_eq!(e.to_string(), "100: Key not found (/foo) [4]");
        let c = V2Error::Cluster(vec![EndpointError {
            message: "dial tcp 127.0.0.1:1: connect: connection refused".into(),
            connection: true,
        }]);
        assert_eq!(
            c.to_string(),
            "client: etcd cluster is unavailable or misconfigured; error #0: dial tcp 127.0.0.1:1: connect: connection refused\n"
        );
        assert!(c.is_connection_error());
    }

    #[test]
    pub(super) fn json_errors_read_as_go_prints_them() {
        let typed = serde_json::from_slice::<u8>(b"x").expect_err("not JSON");
        assert_eq!(
            go_json_error(b"404 page not found\n", &typed),
            "invalid character 'p' after top-level value"
        );
        assert_eq!(go_json_error(b"", &typed), "unexpected end of JSON input");
    }
}
