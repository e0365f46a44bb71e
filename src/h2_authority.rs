//! Tolerating grpc-go's full-URL `:authority` (leaf module: used by the server's client port
//! and by the gRPC proxy).
//!
//! etcdctl 3.4 dials some calls (e.g. `endpoint status`, `endpoint health`) through the
//! target `passthrough:///http://127.0.0.1:2379`, so its HTTP/2 requests carry
//! `:authority: http://127.0.0.1:2379`. Go's server accepts that; hyper's h2 parser
//! rejects it as malformed and resets the stream (`RST_STREAM PROTOCOL_ERROR`).
//!
//! [`AuthorityFix`] sits between the socket and hyper on the read side only. For an
//! HTTP/2 connection (client preface seen) it HPACK-decodes request header blocks (a HEADERS
//! frame and its CONTINUATION frames). A block that needs no change is passed on as it came (hyper's HPACK
//! table then follows the client's, like ours). Once an `:authority` holding
//! `scheme://host:port` is seen, it becomes `host:port` and from then on every block of the
//! connection is re-encoded with our own HPACK encoder (whose dynamic table is the one hyper
//! decodes against). Every other frame passes through untouched, as does HTTP/1 (`/health`,
//! `/metrics`).
//!
//! A gRPC client's `:authority` is a property of its channel, the same on every call of a
//! connection, so once a block carried a correct `:authority` without any rewriting before,
//! the rest of the connection passes through without decoding: HPACK decoding (Huffman
//! tables built per string) cost more CPU than the rest of a put.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The HTTP/2 client connection preface.
const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
const FRAME_HEADERS: u8 = 0x1;
const FRAME_CONTINUATION: u8 = 0x9;
const FLAG_END_STREAM: u8 = 0x1;
const FLAG_END_HEADERS: u8 = 0x4;
const FLAG_PADDED: u8 = 0x8;
const FLAG_PRIORITY: u8 = 0x20;
/// HTTP/2's default SETTINGS_MAX_FRAME_SIZE; re-encoded blocks are split to fit it.
const MAX_FRAME: usize = 16_384;

enum Mode {
    /// Not enough bytes yet to tell HTTP/1 from HTTP/2.
    Sniff,
    /// HTTP/1 or a stream we gave up rewriting: bytes pass through.
    Passthrough,
    /// HTTP/2 after the preface: frame by frame.
    H2,
}

/// A connection whose inbound HTTP/2 header blocks are normalized (see module docs).
pub struct AuthorityFix<S> {
    inner: S,
    mode: Mode,
    /// Raw bytes read from the socket and not yet processed.
    pending: Vec<u8>,
    /// Processed bytes ready for hyper.
    ready: Vec<u8>,
    ready_pos: usize,
    /// A header block being collected: (stream id, END_STREAM, fragment bytes, the raw
    /// frames as received).
    block: Option<(u32, bool, Vec<u8>, Vec<u8>)>,
    /// Whether a block was re-encoded: hyper's HPACK table follows our encoder from then on,
    /// so every later block must be re-encoded too.
    rewriting: bool,
    decoder: loona_hpack::Decoder<'static>,
    encoder: loona_hpack::Encoder<'static>,
    eof: bool,
}

impl<S> AuthorityFix<S> {
    /// Wraps an accepted connection.
    pub fn new(inner: S) -> AuthorityFix<S> {
        AuthorityFix {
            inner,
            mode: Mode::Sniff,
            pending: Vec::new(),
            ready: Vec::new(),
            ready_pos: 0,
            block: None,
            rewriting: false,
            decoder: loona_hpack::Decoder::new(),
            encoder: loona_hpack::Encoder::new(),
            eof: false,
        }
    }

    /// Moves what can be processed from `pending` to `ready`.
    fn process(&mut self) {
        loop {
            match self.mode {
                Mode::Sniff => {
                    let n = self.pending.len().min(PREFACE.len());
                    if self.pending[..n] != PREFACE[..n] {
                        self.mode = Mode::Passthrough;
                        continue;
                    }
                    if self.pending.len() < PREFACE.len() {
                        if self.eof {
                            self.mode = Mode::Passthrough;
                            continue;
                        }
                        return;
                    }
                    self.ready.extend_from_slice(PREFACE);
                    self.pending.drain(..PREFACE.len());
                    self.mode = Mode::H2;
                }
                Mode::Passthrough => {
                    if let Some((_, _, _, raw)) = self.block.take() {
                        self.ready.extend_from_slice(&raw);
                    }
                    self.ready.append(&mut self.pending);
                    return;
                }
                Mode::H2 => {
                    if self.pending.len() < 9 {
                        return;
                    }
                    let len = (usize::from(self.pending[0]) << 16)
                        | (usize::from(self.pending[1]) << 8)
                        | usize::from(self.pending[2]);
                    if self.pending.len() < 9 + len {
                        return;
                    }
                    let ty = self.pending[3];
                    let flags = self.pending[4];
                    let stream = u32::from_be_bytes([
                        self.pending[5],
                        self.pending[6],
                        self.pending[7],
                        self.pending[8],
                    ]) & 0x7fff_ffff;
                    let frame: Vec<u8> = self.pending.drain(..9 + len).collect();
                    match ty {
                        FRAME_HEADERS => {
                            let Some(fragment) = headers_fragment(flags, &frame[9..]) else {
                                self.give_up(frame);
                                continue;
                            };
                            self.block = Some((
                                stream,
                                flags & FLAG_END_STREAM != 0,
                                fragment.to_vec(),
                                frame.clone(),
                            ));
                            if flags & FLAG_END_HEADERS != 0 {
                                self.finish_block();
                            }
                        }
                        FRAME_CONTINUATION if self.block.is_some() => {
                            if let Some((_, _, frag, raw)) = self.block.as_mut() {
                                frag.extend_from_slice(&frame[9..]);
                                raw.extend_from_slice(&frame);
                            }
                            if flags & FLAG_END_HEADERS != 0 {
                                self.finish_block();
                            }
                        }
                        _ => self.ready.extend_from_slice(&frame),
                    }
                }
            }
        }
    }

    /// Stops rewriting (undecodable input): hyper sees the raw bytes from here on.
    fn give_up(&mut self, frame: Vec<u8>) {
        self.ready.extend_from_slice(&frame);
        self.mode = Mode::Passthrough;
    }

    /// Decodes the collected block; passes it on as it came when nothing needs fixing and
    /// nothing was re-encoded before, else fixes `:authority`, re-encodes and frames it.
    fn finish_block(&mut self) {
        let Some((stream, end_stream, fragment, raw)) = self.block.take() else {
            return;
        };
        let headers = match self.decoder.decode(&fragment) {
            Ok(h) => h,
            Err(_) => {
                // Our decoder state is now unknown: stop rewriting. hyper will judge the
                // (already broken) stream itself.
                self.mode = Mode::Passthrough;
                return;
            }
        };
        if !self.rewriting {
            let authority = headers.iter().find(|(n, _)| n == b":authority");
            match authority {
                Some((_, v)) if strip_scheme(v) != v.as_slice() => self.rewriting = true,
                found => {
                    self.ready.extend_from_slice(&raw);
                    if found.is_some() {
                        // The channel's authority is fine: nothing left to fix here.
                        self.mode = Mode::Passthrough;
                    }
                    return;
                }
            }
        }
        let fixed: Vec<(Vec<u8>, Vec<u8>)> = headers
            .into_iter()
            .map(|(name, value)| {
                if name == b":authority" {
                    (name, strip_scheme(&value).to_vec())
                } else {
                    (name, value)
                }
            })
            .collect();
        let block = self
            .encoder
            .encode(fixed.iter().map(|(n, v)| (n.as_slice(), v.as_slice())));
        let mut chunks = block.chunks(MAX_FRAME).peekable();
        let mut first = true;
        if block.is_empty() {
            let flags = FLAG_END_HEADERS | if end_stream { FLAG_END_STREAM } else { 0 };
            push_frame(&mut self.ready, FRAME_HEADERS, flags, stream, &[]);
            return;
        }
        while let Some(chunk) = chunks.next() {
            let last = chunks.peek().is_none();
            let ty = if first {
                FRAME_HEADERS
            } else {
                FRAME_CONTINUATION
            };
            let mut flags = if last { FLAG_END_HEADERS } else { 0 };
            if first && end_stream {
                flags |= FLAG_END_STREAM;
            }
            push_frame(&mut self.ready, ty, flags, stream, chunk);
            first = false;
        }
    }
}

/// The header block fragment of a HEADERS frame payload (padding and priority removed).
fn headers_fragment(flags: u8, payload: &[u8]) -> Option<&[u8]> {
    let mut body = payload;
    let mut pad = 0usize;
    if flags & FLAG_PADDED != 0 {
        pad = usize::from(*body.first()?);
        body = &body[1..];
    }
    if flags & FLAG_PRIORITY != 0 {
        body = body.get(5..)?;
    }
    body.get(..body.len().checked_sub(pad)?)
}

fn push_frame(out: &mut Vec<u8>, ty: u8, flags: u8, stream: u32, payload: &[u8]) {
    let len = payload.len();
    out.extend_from_slice(&[(len >> 16) as u8, (len >> 8) as u8, len as u8, ty, flags]);
    out.extend_from_slice(&stream.to_be_bytes());
    out.extend_from_slice(payload);
}

/// `http://host:port` → `host:port`; anything else unchanged.
pub fn strip_scheme(authority: &[u8]) -> &[u8] {
    match authority.windows(3).position(|w| w == b"://") {
        Some(i) => {
            let rest = &authority[i + 3..];
            match rest.iter().position(|&b| b == b'/') {
                Some(j) => &rest[..j],
                None => rest,
            }
        }
        None => authority,
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for AuthorityFix<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        loop {
            if this.ready_pos < this.ready.len() {
                let n = (this.ready.len() - this.ready_pos).min(buf.remaining());
                buf.put_slice(&this.ready[this.ready_pos..this.ready_pos + n]);
                this.ready_pos += n;
                if this.ready_pos == this.ready.len() {
                    this.ready.clear();
                    this.ready_pos = 0;
                }
                return Poll::Ready(Ok(()));
            }
            if this.eof {
                // Flush whatever could not form a frame; hyper reports the truncation.
                this.ready.append(&mut this.pending);
                if this.ready.is_empty() {
                    return Poll::Ready(Ok(()));
                }
                continue;
            }
            let mut tmp = [0u8; 16 * 1024];
            let mut rb = ReadBuf::new(&mut tmp);
            match Pin::new(&mut this.inner).poll_read(cx, &mut rb) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Ready(Ok(())) => {
                    if rb.filled().is_empty() {
                        this.eof = true;
                    } else {
                        this.pending.extend_from_slice(rb.filled());
                    }
                    this.process();
                }
            }
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for AuthorityFix<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    #[test]
    fn strips_scheme_only_from_urls() {
        assert_eq!(strip_scheme(b"http://127.0.0.1:2379"), b"127.0.0.1:2379");
        assert_eq!(strip_scheme(b"https://h:1/x"), b"h:1");
        assert_eq!(strip_scheme(b"127.0.0.1:2379"), b"127.0.0.1:2379");
    }

    /// A block whose `:authority` needs no fix reaches hyper byte for byte, and so does the
    /// rest of the connection (no HPACK work per request).
    #[tokio::test]
    async fn correct_authority_passes_through_verbatim() {
        let mut enc = loona_hpack::Encoder::new();
        let headers = vec![
            (&b":method"[..], &b"POST"[..]),
            (b":authority", b"127.0.0.1:2379"),
        ];
        let first = enc.encode(headers.clone());
        let second = enc.encode(headers);
        let mut input = PREFACE.to_vec();
        push_frame(&mut input, FRAME_HEADERS, FLAG_END_HEADERS, 1, &first);
        push_frame(&mut input, 0x0, 0, 1, b"data");
        push_frame(&mut input, FRAME_HEADERS, FLAG_END_HEADERS, 3, &second);
        let mut out = Vec::new();
        AuthorityFix::new(&input[..])
            .read_to_end(&mut out)
            .await
            .expect("read");
        assert_eq!(out, input);
    }

    #[tokio::test]
    async fn rewrites_authority_in_h2_headers_and_passes_http1() {
        let mut enc = loona_hpack::Encoder::new();
        let block = enc.encode(vec![
            (&b":method"[..], &b"POST"[..]),
            (b":scheme", b"http"),
            (b":path", b"/etcdserverpb.Maintenance/Status"),
            (b":authority", b"http://127.0.0.1:2379"),
        ]);
        let mut input = PREFACE.to_vec();
        // A SETTINGS frame passes through untouched.
        push_frame(&mut input, 0x4, 0, 0, &[]);
        // HEADERS split into HEADERS + CONTINUATION, padded.
        let (a, b) = block.split_at(block.len() / 2);
        let mut padded = vec![2u8];
        padded.extend_from_slice(a);
        padded.extend_from_slice(&[0, 0]);
        push_frame(&mut input, FRAME_HEADERS, FLAG_PADDED, 1, &padded);
        push_frame(&mut input, FRAME_CONTINUATION, FLAG_END_HEADERS, 1, b);
        let mut out = Vec::new();
        AuthorityFix::new(&input[..])
            .read_to_end(&mut out)
            .await
            .expect("read");
        assert_eq!(&out[..PREFACE.len()], PREFACE);
        let rest = &out[PREFACE.len() + 9..];
        assert_eq!(rest[3], FRAME_HEADERS);
        assert_eq!(rest[4], FLAG_END_HEADERS);
        let len = (usize::from(rest[0]) << 16) | (usize::from(rest[1]) << 8) | usize::from(rest[2]);
        let mut dec = loona_hpack::Decoder::new();
        let headers = dec.decode(&rest[9..9 + len]).expect("decodes");
        assert!(headers.contains(&(b":authority".to_vec(), b"127.0.0.1:2379".to_vec())));
        assert!(headers.contains(&(
            b":path".to_vec(),
            b"/etcdserverpb.Maintenance/Status".to_vec()
        )));

        let http1 = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
        let mut out = Vec::new();
        AuthorityFix::new(&http1[..])
            .read_to_end(&mut out)
            .await
            .expect("read");
        assert_eq!(out, http1);
    }
}
