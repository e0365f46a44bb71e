//! grpc-go's keepalive enforcement on the server (`--grpc-keepalive-min-time`), as etcd's gRPC
//! server applies it (leaf module: used by the client port's accept loop in `serve`).
//!
//! h2 (0.4) answers every inbound PING itself and offers no hook to police them, and hyper and
//! tonic expose only the server's own keep-alive pings. So [`PingPolicy`] sits between the
//! connection and hyper and watches the HTTP/2 frame headers going both ways (payloads pass
//! untouched; HTTP/1 connections pass through unobserved). Its rule is grpc-go's
//! `http2Server.handlePing` with etcd's `EnforcementPolicy{MinTime, PermitWithoutStream: false}`:
//! - a ping right after the server sent HEADERS or DATA resets the strikes;
//! - otherwise a ping sooner than `min_time` after the previous one (2 hours when the client
//!   has no open stream) is a strike;
//! - more than 2 strikes: the server sends `GOAWAY` with `ENHANCE_YOUR_CALM` and debug data
//!   `too_many_pings` (inserted between two outbound frames) and closes the connection.
//!   grpc clients double their keep-alive time when they receive it (gRFC A8).

use std::collections::HashSet;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The HTTP/2 client connection preface.
const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
const FRAME_DATA: u8 = 0x0;
const FRAME_HEADERS: u8 = 0x1;
const FRAME_RST_STREAM: u8 = 0x3;
const FRAME_PING: u8 = 0x6;
const FRAME_GOAWAY: u8 = 0x7;
const FLAG_ACK: u8 = 0x1;
const FLAG_END_STREAM: u8 = 0x1;
/// HTTP/2's `ENHANCE_YOUR_CALM` error code.
const ENHANCE_YOUR_CALM: u32 = 0xb;
/// grpc-go's `maxPingStrikes`.
const MAX_PING_STRIKES: u32 = 2;
/// grpc-go's `defaultPingTimeout`: the minimum ping interval while no stream is open.
const IDLE_PING_TIME: Duration = Duration::from_secs(2 * 3600);
/// The GOAWAY debug data grpc clients recognize.
const TOO_MANY_PINGS: &[u8] = b"too_many_pings";

/// Where a one-direction frame scanner stands.
#[derive(Default)]
struct FrameScan {
    header: [u8; 9],
    have: usize,
    /// Payload bytes of the current frame still to pass.
    skip: usize,
}

/// A complete frame header: (type, flags, stream id).
type Header = (u8, u8, u32);

impl FrameScan {
    /// Feeds `b`, calling `on` for each complete frame header.
    fn feed(&mut self, mut b: &[u8], mut on: impl FnMut(Header)) {
        while !b.is_empty() {
            if self.skip > 0 {
                let n = self.skip.min(b.len());
                self.skip -= n;
                b = &b[n..];
                continue;
            }
            let n = (9 - self.have).min(b.len());
            self.header[self.have..self.have + n].copy_from_slice(&b[..n]);
            self.have += n;
            b = &b[n..];
            if self.have == 9 {
                self.have = 0;
                let h = &self.header;
                self.skip =
                    (usize::from(h[0]) << 16) | (usize::from(h[1]) << 8) | usize::from(h[2]);
                let stream = u32::from_be_bytes([h[5], h[6], h[7], h[8]]) & 0x7fff_ffff;
                on((h[3], h[4], stream));
            }
        }
    }

    /// Bytes left in the current frame (0 at a frame boundary).
    fn to_boundary(&self) -> usize {
        if self.have > 0 {
            // Mid-header: the frame's length is not known yet; finish the header first.
            9 - self.have
        } else {
            self.skip
        }
    }
}

/// Whether the connection is HTTP/2 (and observed).
enum Mode {
    /// Fewer than 24 bytes read: the preface is still being matched.
    Sniff(usize),
    /// HTTP/2: frames observed.
    H2,
    /// HTTP/1, or policing off: bytes pass unobserved.
    Off,
}

/// The ping policy's state of one connection.
struct Policy {
    min_time: Duration,
    open: HashSet<u32>,
    last_stream: u32,
    last_ping: Option<Instant>,
    strikes: u32,
    reset_strikes: bool,
}

impl Policy {
    /// A client frame; returns true when the connection must be sent away.
    fn inbound(&mut self, (ty, flags, stream): Header) -> bool {
        match ty {
            FRAME_HEADERS if stream % 2 == 1 => {
                self.open.insert(stream);
                self.last_stream = self.last_stream.max(stream);
            }
            FRAME_RST_STREAM => {
                self.open.remove(&stream);
            }
            FRAME_PING if flags & FLAG_ACK == 0 => return self.ping(Instant::now()),
            _ => {}
        }
        false
    }

    /// A server frame.
    fn outbound(&mut self, (ty, flags, stream): Header) {
        match ty {
            FRAME_HEADERS | FRAME_DATA => {
                self.reset_strikes = true;
                if flags & FLAG_END_STREAM != 0 {
                    self.open.remove(&stream);
                }
            }
            FRAME_RST_STREAM => {
                self.open.remove(&stream);
            }
            _ => {}
        }
    }

    /// grpc-go's `handlePing`; true when the strikes exceed the limit.
    fn ping(&mut self, now: Instant) -> bool {
        let last = self.last_ping.replace(now);
        if std::mem::take(&mut self.reset_strikes) {
            self.strikes = 0;
            return false;
        }
        let window = if self.open.is_empty() {
            IDLE_PING_TIME
        } else {
            self.min_time
        };
        if last.is_some_and(|l| l + window > now) {
            self.strikes += 1;
        }
        self.strikes > MAX_PING_STRIKES
    }
}

/// A connection whose inbound PINGs are policed (see the module docs).
pub struct PingPolicy<S> {
    inner: S,
    mode: Mode,
    policy: Policy,
    read_scan: FrameScan,
    write_scan: FrameScan,
    /// The GOAWAY frame to send, and how much of it was written.
    goaway: Option<(Vec<u8>, usize)>,
    /// GOAWAY sent: the connection is over.
    closed: bool,
}

impl<S> PingPolicy<S> {
    /// Wraps an accepted connection; `min_time` is `--grpc-keepalive-min-time` (`None`:
    /// no policing).
    pub fn new(inner: S, min_time: Option<Duration>) -> PingPolicy<S> {
        PingPolicy {
            inner,
            mode: if min_time.is_some() {
                Mode::Sniff(0)
            } else {
                Mode::Off
            },
            policy: Policy {
                min_time: min_time.unwrap_or_default(),
                open: HashSet::new(),
                last_stream: 0,
                last_ping: None,
                strikes: 0,
                reset_strikes: false,
            },
            read_scan: FrameScan::default(),
            write_scan: FrameScan::default(),
            goaway: None,
            closed: false,
        }
    }

    fn observe_read(&mut self, mut b: &[u8]) {
        if let Mode::Sniff(seen) = self.mode {
            let n = (PREFACE.len() - seen).min(b.len());
            if b[..n] != PREFACE[seen..seen + n] {
                self.mode = Mode::Off;
                return;
            }
            b = &b[n..];
            self.mode = if seen + n == PREFACE.len() {
                Mode::H2
            } else {
                Mode::Sniff(seen + n)
            };
        }
        if !matches!(self.mode, Mode::H2) || self.goaway.is_some() {
            return;
        }
        let policy = &mut self.policy;
        let mut send_away = false;
        self.read_scan.feed(b, |h| send_away |= policy.inbound(h));
        if send_away {
            let mut f = Vec::with_capacity(9 + 8 + TOO_MANY_PINGS.len());
            let len = 8 + TOO_MANY_PINGS.len();
            f.extend_from_slice(&(len as u32).to_be_bytes()[1..]);
            f.extend_from_slice(&[FRAME_GOAWAY, 0, 0, 0, 0, 0]);
            f.extend_from_slice(&self.policy.last_stream.to_be_bytes());
            f.extend_from_slice(&ENHANCE_YOUR_CALM.to_be_bytes());
            f.extend_from_slice(TOO_MANY_PINGS);
            tracing::warn!(
                "client sent too many pings; sending GOAWAY ENHANCE_YOUR_CALM too_many_pings"
            );
            self.goaway = Some((f, 0));
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for PingPolicy<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.closed {
            return Poll::Ready(Ok(()));
        }
        let before = buf.filled().len();
        let r = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = &r {
            if !matches!(this.mode, Mode::Off) {
                let new = buf.filled()[before..].to_vec();
                this.observe_read(&new);
            }
        }
        r
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for PingPolicy<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.closed {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "got too many pings from the client",
            )));
        }
        let mut limit = buf.len();
        if let Some((frame, written)) = &mut this.goaway {
            let at_boundary = this.write_scan.to_boundary() == 0;
            if at_boundary {
                while *written < frame.len() {
                    match Pin::new(&mut this.inner).poll_write(cx, &frame[*written..]) {
                        Poll::Ready(Ok(0)) => {
                            return Poll::Ready(Err(io::ErrorKind::WriteZero.into()))
                        }
                        Poll::Ready(Ok(n)) => *written += n,
                        Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                        Poll::Pending => return Poll::Pending,
                    }
                }
                match Pin::new(&mut this.inner).poll_flush(cx) {
                    Poll::Ready(Ok(())) => {}
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Pending => return Poll::Pending,
                }
                this.closed = true;
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::ConnectionAborted,
                    "got too many pings from the client",
                )));
            }
            limit = limit.min(this.write_scan.to_boundary());
        }
        let r = Pin::new(&mut this.inner).poll_write(cx, &buf[..limit]);
        if let Poll::Ready(Ok(n)) = &r {
            if matches!(this.mode, Mode::H2) {
                let policy = &mut this.policy;
                this.write_scan.feed(&buf[..*n], |h| policy.outbound(h));
            }
        }
        r
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(min: u64) -> Policy {
        Policy {
            min_time: Duration::from_secs(min),
            open: HashSet::new(),
            last_stream: 0,
            last_ping: None,
            strikes: 0,
            reset_strikes: false,
        }
    }

    /// grpc-go's rule: the third strike is tolerated, the fourth quick ping sends away; an
    /// open stream lowers the window to `min_time`; server HEADERS/DATA reset the strikes.
    #[test]
    fn strikes_follow_grpc_go() {
        let t0 = Instant::now();
        let mut p = policy(5);
        let quick: Vec<bool> = (0..4)
            .map(|i| p.ping(t0 + Duration::from_secs(i)))
            .collect();
        assert_eq!(quick, [false, false, false, true]);

        let mut p = policy(5);
        p.inbound((FRAME_HEADERS, 0x4, 1));
        let spaced: Vec<bool> = (0..6)
            .map(|i| p.ping(t0 + Duration::from_secs(6 * i)))
            .collect();
        assert!(
            spaced.iter().all(|b| !b),
            "pings min_time apart never strike"
        );

        let mut p = policy(5);
        for i in 0..10 {
            p.outbound((FRAME_DATA, 0, 1));
            assert!(
                !p.ping(t0 + Duration::from_millis(i)),
                "data between pings resets"
            );
        }
    }

    /// Frame headers are found across arbitrary read chunks, payloads skipped.
    #[test]
    fn frame_headers_across_chunks() {
        let mut bytes = vec![0, 0, 8, FRAME_PING, 0, 0, 0, 0, 0];
        bytes.extend([7u8; 8]);
        bytes.extend([0, 0, 0, FRAME_HEADERS, 0x5, 0, 0, 0, 3]);
        let mut scan = FrameScan::default();
        let mut seen = Vec::new();
        for c in bytes.chunks(5) {
            scan.feed(c, |h| seen.push(h));
        }
        assert_eq!(seen, [(FRAME_PING, 0, 0), (FRAME_HEADERS, 0x5, 3)]);
        assert_eq!(scan.to_boundary(), 0);
    }
}
