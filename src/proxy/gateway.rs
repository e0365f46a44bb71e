//! The L4 gateway (`etcd gateway start`, etcd's `proxy/tcpproxy`): accepts TCP connections
//! on one address and splices each to an etcd endpoint, round-robin over the endpoints that
//! are not marked failed. An endpoint that refuses a connection is skipped for
//! `retry_delay`, then tried again.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::net::{TcpListener, TcpStream};

/// Time allowed to connect to one endpoint before trying the next.
pub const DIAL_TIMEOUT: Duration = Duration::from_secs(1);

/// One upstream endpoint and when it may be tried again after a failure.
#[derive(Debug)]
struct Remote {
    addr: String,
    failed_until: Mutex<Option<Instant>>,
}

impl Remote {
    fn available(&self, now: Instant) -> bool {
        match self.failed_until.lock() {
            Ok(g) => g.is_none_or(|t| now >= t),
            Err(_) => true,
        }
    }

    fn mark(&self, until: Option<Instant>) {
        if let Ok(mut g) = self.failed_until.lock() {
            *g = until;
        }
    }
}

/// The gateway's endpoint set.
#[derive(Debug)]
pub struct Gateway {
    remotes: Vec<Remote>,
    next: AtomicUsize,
    retry_delay: Duration,
}

impl Gateway {
    /// A gateway over `endpoints` (`host:port`, an `http://` prefix is accepted and dropped).
    pub fn new(endpoints: &[String], retry_delay: Duration) -> Gateway {
        let remotes = endpoints
            .iter()
            .map(|e| {
                let addr = e
                    .trim_start_matches("http://")
                    .trim_end_matches('/')
                    .to_string();
                Remote {
                    addr,
                    failed_until: Mutex::new(None),
                }
            })
            .collect();
        Gateway {
            remotes,
            next: AtomicUsize::new(0),
            retry_delay,
        }
    }

    /// Connects to the next available endpoint (round-robin), marking failures.
    ///
    /// # Errors
    /// When every endpoint failed.
    pub async fn dial(&self) -> std::io::Result<TcpStream> {
        let n = self.remotes.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let now = Instant::now();
        let mut last = std::io::Error::other("no endpoints available");
        // Available endpoints first; when all are marked failed, try them all anyway.
        for pass in 0..2 {
            for i in 0..n {
                let r = &self.remotes[(start + i) % n];
                if pass == 0 && !r.available(now) {
                    continue;
                }
                match tokio::time::timeout(DIAL_TIMEOUT, TcpStream::connect(&r.addr)).await {
                    Ok(Ok(s)) => {
                        r.mark(None);
                        let _ = s.set_nodelay(true);
                        return Ok(s);
                    }
                    Ok(Err(e)) => {
                        tracing::warn!(endpoint = %r.addr, error = %e, "gateway: endpoint failed; skipping it for the retry delay");
                        r.mark(Some(Instant::now() + self.retry_delay));
                        last = e;
                    }
                    Err(_) => {
                        r.mark(Some(Instant::now() + self.retry_delay));
                        last = std::io::Error::new(
                            std::io::ErrorKind::TimedOut,
                            format!("dial {} timed out", r.addr),
                        );
                    }
                }
            }
        }
        Err(last)
    }

    /// Serves connections from `listener` until `shutdown` resolves.
    ///
    /// # Errors
    /// None today: accept errors are logged and retried.
    pub async fn serve(
        self: Arc<Self>,
        listener: TcpListener,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> std::io::Result<()> {
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                accepted = listener.accept() => {
                    let (mut inbound, peer): (TcpStream, SocketAddr) = match accepted {
                        Ok(a) => a,
                        Err(e) => {
                            tracing::warn!(error = %e, "gateway: accept failed");
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            continue;
                        }
                    };
                    let gw = self.clone();
                    tokio::spawn(async move {
                        match gw.dial().await {
                            Ok(mut outbound) => {
                                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                            }
                            Err(e) => tracing::warn!(client = %peer, error = %e, "gateway: no endpoint reachable"),
                        }
                    });
                }
                _ = &mut shutdown => return Ok(()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn splices_to_a_live_endpoint_and_skips_a_dead_one() {
        let upstream = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let live = upstream.local_addr().expect("addr").to_string();
        let dead = {
            let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
            l.local_addr().expect("addr").to_string()
        };
        tokio::spawn(async move {
            while let Ok((mut s, _)) = upstream.accept().await {
                tokio::spawn(async move {
                    let mut buf = [0u8; 4];
                    if s.read_exact(&mut buf).await.is_ok() {
                        let _ = s.write_all(&buf).await;
                    }
                });
            }
        });
        let gw = Arc::new(Gateway::new(
            &[dead, format!("http://{live}")],
            Duration::from_secs(60),
        ));
        let front = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = front.local_addr().expect("addr");
        tokio::spawn(gw.clone().serve(front, std::future::pending()));
        for _ in 0..3 {
            let mut c = TcpStream::connect(addr).await.expect("connect");
            c.write_all(b"ping").await.expect("write");
            let mut buf = [0u8; 4];
            tokio::time::timeout(Duration::from_secs(5), c.read_exact(&mut buf))
                .await
                .expect("in time")
                .expect("read");
            assert_eq!(&buf, b"ping");
        }
        assert!(
            !gw.remotes[0].available(Instant::now()),
            "the dead endpoint is skipped"
        );
    }
}
