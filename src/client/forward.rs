//! Calls made on behalf of another client (the gRPC proxy): the caller builds each request
//! itself, with its own client's metadata (auth `token`, `hasleader`), so this client adds no
//! token of its own. Endpoint failover and the dial bound are [`Client`]'s.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;
use tonic::transport::Channel;

use super::{is_transport_failure, status_message, Client, Error};

impl Client {
    /// Runs one unary call built by `f` on a connected channel. Connecting (endpoints tried
    /// round-robin) is bounded by the per-call timeout; the call itself by `timeout` when
    /// given (the caller's `grpc-timeout`), else unbounded (a lock may wait for long). A
    /// transport failure moves to the next endpoint and retries, as clientv3 does for the
    /// proxy etcd ships, for at most two rounds over the endpoints.
    ///
    /// # Errors
    /// [`Error::Grpc`] with the server's status, [`Error::DeadlineExceeded`] when no endpoint
    /// connects in time or `timeout` passes.
    pub async fn forward<T, F, Fut>(&self, timeout: Option<Duration>, mut f: F) -> Result<T, Error>
    where
        F: FnMut(Channel) -> Fut,
        Fut: Future<Output = Result<tonic::Response<T>, tonic::Status>>,
    {
        let call_deadline = timeout.map(|t| Instant::now() + t);
        let mut last = None;
        // Transport failures allowed before giving up: two rounds over the endpoints.
        let mut retries_left = 2 * self.endpoints().len();
        loop {
            let dial_deadline = Instant::now() + self.request_timeout;
            let dial_deadline = call_deadline.map_or(dial_deadline, |d| d.min(dial_deadline));
            let ch = self.channel(dial_deadline, &mut last).await?;
            let outcome = match call_deadline {
                Some(d) => {
                    let remaining = d.saturating_duration_since(Instant::now());
                    match tokio::time::timeout(remaining, f(ch)).await {
                        Ok(r) => r,
                        Err(_) => return Err(Error::DeadlineExceeded { last }),
                    }
                }
                None => f(ch).await,
            };
            match outcome {
                Ok(resp) => return Ok(resp.into_inner()),
                Err(status) if is_transport_failure(&status) && retries_left == 0 => {
                    return Err(Error::Grpc {
                        code: status.code(),
                        message: status_message(&status),
                    })
                }
                Err(status) if is_transport_failure(&status) => {
                    retries_left -= 1;
                    last = Some(status_message(&status));
                    self.fail_over().await;
                    if call_deadline.is_some_and(|d| Instant::now() >= d) {
                        return Err(Error::DeadlineExceeded { last });
                    }
                }
                Err(status) => {
                    return Err(Error::Grpc {
                        code: status.code(),
                        message: status_message(&status),
                    })
                }
            }
        }
    }

    /// A connected channel without this client's token, for a stream opened on behalf of
    /// another client (dial bounded by the per-call timeout).
    ///
    /// # Errors
    /// [`Error::DeadlineExceeded`] when no endpoint connects in time.
    pub async fn forward_channel(&self) -> Result<Channel, Error> {
        let deadline = Instant::now() + self.request_timeout;
        let mut last = None;
        self.channel(deadline, &mut last).await
    }

    /// Reports that the current endpoint failed under a forwarded stream: the next call
    /// connects to the next endpoint.
    pub async fn forward_failed(&self) {
        self.fail_over().await;
    }
}
