//! Per-request metadata: the auth `token` (etcd's `rpctypes.TokenFieldNameGRPC`), resolved
//! into the [`Caller`] a server method runs for.

use tonic::{Request, Status};

use crate::rpctypes::TOKEN_FIELD_NAME_GRPC;
use crate::server::{Caller, EtcdServer};

/// The `token` metadata of a request, if any.
pub fn token<T>(req: &Request<T>) -> Option<String> {
    req.metadata().get(TOKEN_FIELD_NAME_GRPC).and_then(|v| v.to_str().ok()).map(str::to_string)
}

/// Resolves a request's token into its caller.
///
/// # Errors
/// `etcdserver: invalid auth token` for an unknown or expired token.
pub fn caller<T>(server: &EtcdServer, req: &Request<T>) -> Result<Caller, Status> {
    Ok(server.caller(token(req).as_deref())?)
}
