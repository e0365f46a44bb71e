//! The client's errors ([`Error`], Go's `context deadline exceeded`) and how server and
//! transport failures are recognised (token refresh, TLS refusal, unreachable endpoint).

/// Go's `context.DeadlineExceeded` message, printed by etcdctl when a call times out.
pub const DEADLINE_EXCEEDED: &str = "context deadline exceeded";

/// Errors returned by [`Client`].
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No endpoint was given.
    #[error("no endpoints available")]
    NoEndpoints,
    /// The TLS configuration could not be built (unreadable or mismatched files).
    #[error("{0}")]
    Tls(String),
    /// An endpoint could not be parsed as `host:port` or `http://host:port`.
    #[error("invalid endpoint {endpoint:?}: {reason}")]
    InvalidEndpoint {
        /// The endpoint as given.
        endpoint: String,
        /// Why it was rejected.
        reason: String,
    },
    /// The per-call deadline passed before any endpoint answered. `last` keeps the last
    /// connection error seen, if any, for debugging; `Display` is Go's exact message.
    #[error("context deadline exceeded")]
    DeadlineExceeded {
        /// The last connection or transport error seen before the deadline, if any.
        last: Option<String>,
    },
    /// A request argument was rejected before sending, e.g. a peer URL that Go's
    /// `types.NewURLs` refuses; `Display` is Go's message.
    #[error("{0}")]
    InvalidArgument(String),
    /// The server answered with a gRPC status; `Display` is the status message unchanged.
    #[error("{message}")]
    Grpc {
        /// The gRPC status code.
        code: tonic::Code,
        /// The status message, e.g. `etcdserver: requested lease not found`.
        message: String,
    },
    /// `Auth.Authenticate` with the configured credentials failed (clientv3 fails the
    /// client creation; etcdctl exits with its bad-connection code). `Display` is the status
    /// message, e.g. `etcdserver: authentication failed, invalid user ID or password`.
    #[error("{message}")]
    Authentication {
        /// The gRPC status code.
        code: tonic::Code,
        /// The status message.
        message: String,
    },
}

impl Error {
    /// The gRPC code of a server error, `None` for client-side errors.
    pub fn code(&self) -> Option<tonic::Code> {
        match self {
            Error::Grpc { code, .. } | Error::Authentication { code, .. } => Some(*code),
            _ => None,
        }
    }
}

/// Whether a server error means "authenticate again and retry" (clientv3's
/// `shouldRefreshToken`).
pub(super) fn needs_new_token(e: &Error) -> bool {
    use crate::rpctypes::WireError;
    matches!(
        e,
        Error::Grpc { message, .. }
            if message == WireError::InvalidAuthToken.message() || message == WireError::AuthOldRevision.message()
    )
}

/// Whether a server error is etcd's `revision of auth store is old`.
pub(super) fn is_stale_revision(e: &Error) -> bool {
    matches!(e, Error::Grpc { message, .. } if message == crate::rpctypes::WireError::AuthOldRevision.message())
}

/// A status message with the chain of its transport source errors appended (tonic's
/// `transport error` alone does not say that e.g. a TLS certificate was refused).
pub(crate) fn status_message(status: &tonic::Status) -> String {
    match std::error::Error::source(status) {
        Some(src) => format!("{}: {}", status.message(), error_chain(src)),
        None => status.message().to_string(),
    }
}

/// `e: source: source...`, skipping repeated texts.
pub(crate) fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(s) = cur {
        let t = s.to_string();
        if !parts.iter().any(|p| p.contains(&t)) {
            parts.push(t);
        }
        cur = s.source();
    }
    parts.join(": ")
}

/// Whether a connection error is a TLS certificate failure (ours refused, or theirs not
/// trusted), as opposed to an unreachable endpoint.
pub(super) fn is_tls_refusal(msg: &str) -> bool {
    let m = msg.to_ascii_lowercase();
    m.contains("certificate") || m.contains("fatal alert")
}

/// True when a status reports that the endpoint could not be reached (not a server answer).
pub(super) fn is_transport_failure(status: &tonic::Status) -> bool {
    status.code() == tonic::Code::Unavailable && !status.message().starts_with("etcdserver:")
}
