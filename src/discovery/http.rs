//! A minimal HTTP/1.1 client for the discovery service, on hyper's connection API: one
//! connection per request (discovery makes a handful), `http` and `https` URLs (rustls with
//! the system CA bundle, as etcd's discovery client uses an empty `TLSInfo`), and etcd's
//! `--discovery-proxy`: an HTTP proxy, reached with an absolute-form request for `http` and a
//! `CONNECT` tunnel for `https` (Go's `http.Transport.Proxy`).
//!
//! Depends on: hyper, tokio-rustls, `crate::tls` (the rustls client configuration).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use url::Url;

/// Why an HTTP exchange failed before a response arrived. All of these count as the
/// endpoint being unreachable (Go's `client.ClusterError`): discovery retries them.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The TCP connection (to the server or the proxy) failed.
    #[error("dial tcp {addr}: {source}")]
    Connect {
        /// `host:port` dialled.
        addr: String,
        /// The socket error.
        source: std::io::Error,
    },
    /// The proxy did not answer `200` to `CONNECT`.
    #[error("proxyconnect tcp: {0}")]
    ProxyConnect(String),
    /// The TLS handshake failed or the configuration could not be built.
    #[error("tls: {0}")]
    Tls(String),
    /// An HTTP protocol error.
    #[error("{0}")]
    Http(#[from] hyper::Error),
    /// The URL cannot be requested (no host, not http/https).
    #[error("unsupported URL {0:?}")]
    BadUrl(String),
    /// No response within the deadline.
    #[error("request timed out after {0:?}")]
    Timeout(Duration),
}

/// A complete response: status code, headers and body.
#[derive(Debug)]
pub struct Response {
    /// HTTP status code.
    pub status: u16,
    /// Response headers.
    pub headers: hyper::HeaderMap,
    /// The whole body.
    pub body: Bytes,
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// An HTTP client, optionally through an HTTP proxy.
#[derive(Debug, Clone, Default)]
pub struct HttpClient {
    proxy: Option<Url>,
    tls: crate::tls::ClientTlsOptions,
}

impl HttpClient {
    /// A client that dials servers directly, or through `proxy` (an `http://host:port` URL).
    /// `https` URLs are verified against the system CA bundle.
    pub fn new(proxy: Option<Url>) -> HttpClient {
        HttpClient {
            proxy,
            tls: crate::tls::ClientTlsOptions::default(),
        }
    }

    /// The same client with `tls` (CA bundle, client certificate, skip verification) for
    /// `https` URLs, e.g. etcdctl's `--cacert/--cert/--key` when it reads a member's `/metrics`.
    pub fn with_tls(self, tls: crate::tls::ClientTlsOptions) -> HttpClient {
        HttpClient { tls, ..self }
    }

    /// Sends one request. `form` is sent as an `application/x-www-form-urlencoded` body;
    /// `timeout` bounds the whole exchange (`None`: a long poll without deadline).
    ///
    /// # Errors
    /// [`HttpError`] when no response arrived; any status code is a response.
    pub async fn send(
        &self,
        method: hyper::Method,
        url: &Url,
        form: Option<String>,
        timeout: Option<Duration>,
    ) -> Result<Response, HttpError> {
        let fut = self.exchange(method, url, form);
        match timeout {
            Some(t) => tokio::time::timeout(t, fut)
                .await
                .map_err(|_| HttpError::Timeout(t))?,
            None => fut.await,
        }
    }

    async fn exchange(
        &self,
        method: hyper::Method,
        url: &Url,
        form: Option<String>,
    ) -> Result<Response, HttpError> {
        let https = match url.scheme() {
            "http" => false,
            "https" => true,
            _ => return Err(HttpError::BadUrl(url.to_string())),
        };
        let host = url
            .host_str()
            .ok_or_else(|| HttpError::BadUrl(url.to_string()))?;
        let port = url.port_or_known_default().unwrap_or(80);
        let target = format!("{host}:{port}");
        let authority = &url[url::Position::BeforeHost..url::Position::AfterPort];
        let (dial, absolute_form) = match &self.proxy {
            Some(p) => {
                let ph = p
                    .host_str()
                    .ok_or_else(|| HttpError::BadUrl(p.to_string()))?;
                (
                    format!("{ph}:{}", p.port_or_known_default().unwrap_or(80)),
                    !https,
                )
            }
            None => (target.clone(), false),
        };
        let mut tcp = TcpStream::connect(&dial)
            .await
            .map_err(|source| HttpError::Connect {
                addr: dial.clone(),
                source,
            })?;
        if self.proxy.is_some() && https {
            connect_tunnel(&mut tcp, &target).await?;
        }
        let io: Box<dyn Io> = if https {
            let mut cfg = crate::tls::client_config(&self.tls, &crate::tls::TlsParams::default())
                .map_err(|e| HttpError::Tls(e.to_string()))?;
            cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
            let name = rustls_pki_types::ServerName::try_from(
                host.trim_start_matches('[')
                    .trim_end_matches(']')
                    .to_string(),
            )
            .map_err(|e| HttpError::Tls(e.to_string()))?;
            let tls = tokio_rustls::TlsConnector::from(Arc::new(cfg))
                .connect(name, tcp)
                .await
                .map_err(|e| HttpError::Tls(e.to_string()))?;
            Box::new(tls)
        } else {
            Box::new(tcp)
        };
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(io)).await?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        let uri = if absolute_form {
            url.as_str().to_string()
        } else {
            url[url::Position::BeforePath..url::Position::AfterQuery].to_string()
        };
        let mut req = hyper::Request::builder()
            .method(method)
            .uri(uri)
            .header(hyper::header::HOST, authority);
        if form.is_some() {
            req = req.header(
                hyper::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            );
        }
        let req = req
            .body(Full::new(Bytes::from(form.unwrap_or_default())))
            .map_err(|e| HttpError::BadUrl(e.to_string()))?;
        let resp = sender.send_request(req).await?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.into_body().collect().await?.to_bytes();
        Ok(Response {
            status,
            headers,
            body,
        })
    }
}

/// Opens a `CONNECT` tunnel to `target` through the proxy connection `tcp`.
async fn connect_tunnel(tcp: &mut TcpStream, target: &str) -> Result<(), HttpError> {
    let req = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n");
    tcp.write_all(req.as_bytes())
        .await
        .map_err(|e| HttpError::ProxyConnect(e.to_string()))?;
    // Read the response head byte by byte: anything after it belongs to the tunnel.
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 16 * 1024 {
            return Err(HttpError::ProxyConnect("response head too long".into()));
        }
        let b = tcp
            .read_u8()
            .await
            .map_err(|e| HttpError::ProxyConnect(e.to_string()))?;
        head.push(b);
    }
    let text = String::from_utf8_lossy(&head);
    let status_line = text.lines().next().unwrap_or_default();
    if status_line.split_whitespace().nth(1) != Some("200") {
        return Err(HttpError::ProxyConnect(status_line.to_string()));
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn refused_connection_is_a_connect_error() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        drop(l);
        let url = Url::parse(&format!("http://{addr}/v2/keys/x")).unwrap();
        let e = HttpClient::default()
            .send(hyper::Method::GET, &url, None, Some(Duration::from_secs(5)))
            .await
            .unwrap_err();
        assert!(matches!(e, HttpError::Connect { .. }), "{e}");
    }

    #[tokio::test]
    async fn http_proxy_gets_the_absolute_form() {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (mut s, _) = l.accept().await.unwrap();
            let mut buf = vec![0u8; 4096];
            let n = s.read(&mut buf).await.unwrap();
            let text = String::from_utf8_lossy(&buf[..n]).to_string();
            s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                .await
                .unwrap();
            text
        });
        let proxy = Url::parse(&format!("http://{addr}")).unwrap();
        let url = Url::parse("http://discovery.invalid:2379/tok?x=1").unwrap();
        let r = HttpClient::new(Some(proxy))
            .send(hyper::Method::GET, &url, None, Some(Duration::from_secs(5)))
            .await
            .unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(&r.body[..], b"ok");
        let seen = server.await.unwrap();
        assert!(
            seen.starts_with("GET http://discovery.invalid:2379/tok?x=1 HTTP/1.1"),
            "{seen}"
        );
    }
}
