//! One v2 request over HTTP/1.1: the endpoints in turn from the pinned one (Go's
//! `httpClusterClient.Do`), the header timeout, TLS, basic auth and etcdctl's `--debug` cURL
//! line; one connection per request (hyper's connection API over tokio TCP or rustls).

use std::sync::atomic::Ordering;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use serde::Deserialize;

use super::endpoint::{escape_path, Endpoint};
use super::error::{go_json_error, status_text, EndpointError, V2Error};
use super::V2Client;

/// One HTTP request, independent of the endpoint.
#[derive(Debug, Clone)]
pub(super) struct Request {
    pub(super) method: hyper::Method,
    /// Path below the endpoint's own path, unescaped (`/v2/keys/foo`).
    pub(super) path: String,
    /// Already encoded query, may be empty.
    pub(super) query: String,
    pub(super) body: Option<(String, &'static str)>,
    /// Watch requests have no header timeout.
    pub(super) wait: bool,
}

/// A raw answer.
pub(super) struct Answer {
    pub(super) status: u16,
    pub(super) index: Option<u64>,
    pub(super) body: Bytes,
}

impl V2Client {
    pub(super) fn debug_line(&self, ep: &Endpoint, req: &Request) {
        let Some(sink) = &self.debug else { return };
        let mut line = format!("curl -X {} {}", req.method, self.full_url(ep, req));
        if let Some((b, _)) = &req.body {
            line.push_str(&format!(" -d {}", crate::go_text::go_quote(b.as_bytes())));
        }
        sink(&format!("cURL Command: {line}"));
    }

    pub(super) fn full_url(&self, ep: &Endpoint, req: &Request) -> String {
        let mut u = format!(
            "{}://{}{}",
            ep.scheme,
            ep.authority,
            escape_path(&format!("{}{}", ep.path, req.path))
        );
        if !req.query.is_empty() {
            u.push('?');
            u.push_str(&req.query);
        }
        u
    }

    /// Go's `httpClusterClient.Do`: the endpoints in turn from the pinned one.
    pub(super) async fn send(&self, req: Request) -> Result<Answer, V2Error> {
        let n = self.endpoints.len();
        if n == 0 {
            return Err(V2Error::NoEndpoints);
        }
        let pinned = self.pinned.load(Ordering::Relaxed) % n;
        let mut errs = Vec::new();
        for i in pinned..pinned + n {
            let k = i % n;
            let ep = &self.endpoints[k];
            self.debug_line(ep, &req);
            match self.attempt(ep, &req).await {
                Err(e) => errs.push(e),
                Ok(a) if a.status / 100 == 5 => errs.push(EndpointError {
                    message: if a.status == 500 || a.status == 503 {
                        format!("client: etcd member {} has no leader", ep.url)
                    } else {
                        format!(
                            "client: etcd member {} returns server error [{}]",
                            ep.url,
                            status_text(a.status)
                        )
                    },
                    connection: false,
                }),
                Ok(a) => {
                    self.pinned.store(k, Ordering::Relaxed);
                    return Ok(a);
                }
            }
        }
        Err(V2Error::Cluster(errs))
    }

    /// One request to one endpoint.
    pub(super) async fn attempt(
        &self,
        ep: &Endpoint,
        req: &Request,
    ) -> Result<Answer, EndpointError> {
        let fail = |message: String, connection: bool| EndpointError {
            message,
            connection,
        };
        if ep.scheme != "http" && ep.scheme != "https" {
            return Err(fail(
                format!(
                    "unsupported protocol scheme {}",
                    crate::go_text::go_quote(ep.scheme.as_bytes())
                ),
                false,
            ));
        }
        let head = async {
            let sender = self.connect(ep).await?;
            self.request(sender, ep, req).await
        };
        let resp = if req.wait || self.header_timeout.is_zero() {
            head.await?
        } else {
            match tokio::time::timeout(self.header_timeout, head).await {
                Ok(r) => r?,
                Err(_) => {
                    return Err(fail(
                        format!("client: endpoint {} exceeded header timeout", ep.url),
                        false,
                    ))
                }
            }
        };
        let status = resp.status().as_u16();
        let index = resp
            .headers()
            .get("X-Etcd-Index")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        let body = resp
            .into_body()
            .collect()
            .await
            .map_err(|e| fail(format!("read: {e}"), true))?
            .to_bytes();
        Ok(Answer {
            status,
            index,
            body,
        })
    }

    pub(super) async fn connect(
        &self,
        ep: &Endpoint,
    ) -> Result<hyper::client::conn::http1::SendRequest<Full<Bytes>>, EndpointError> {
        let dial = |e: String| EndpointError {
            message: e,
            connection: true,
        };
        let addrs: Vec<std::net::SocketAddr> = tokio::net::lookup_host((ep.host.as_str(), ep.port))
            .await
            .map_err(|e| {
                dial(format!(
                    "dial tcp: lookup {}: {}",
                    ep.host,
                    crate::go_text::io_error_text(&e)
                ))
            })?
            .collect();
        let mut last = dial(format!("dial tcp: lookup {}: no such host", ep.host));
        for addr in addrs {
            match tokio::time::timeout(self.dial_timeout, tokio::net::TcpStream::connect(addr))
                .await
            {
                Ok(Ok(tcp)) => {
                    let _ = tcp.set_nodelay(true);
                    return self.handshake(ep, tcp).await;
                }
                Ok(Err(e)) => {
                    last = dial(format!(
                        "dial tcp {addr}: connect: {}",
                        crate::go_text::io_error_text(&e)
                    ));
                }
                Err(_) => last = dial(format!("dial tcp {addr}: i/o timeout")),
            }
        }
        Err(last)
    }

    pub(super) async fn handshake(
        &self,
        ep: &Endpoint,
        tcp: tokio::net::TcpStream,
    ) -> Result<hyper::client::conn::http1::SendRequest<Full<Bytes>>, EndpointError> {
        let fail = |e: String| EndpointError {
            message: e,
            connection: true,
        };
        macro_rules! hs {
            ($io:expr) => {{
                let (sender, conn) =
                    hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new($io))
                        .await
                        .map_err(|e| fail(e.to_string()))?;
                tokio::spawn(async move {
                    let _ = conn.await;
                });
                Ok(sender)
            }};
        }
        if ep.scheme == "https" {
            let cfg = self
                .tls
                .clone()
                .ok_or_else(|| fail("no TLS configuration".to_string()))?;
            let name = rustls::pki_types::ServerName::try_from(ep.host.clone())
                .map_err(|e| fail(e.to_string()))?;
            let tls = tokio_rustls::TlsConnector::from(cfg)
                .connect(name, tcp)
                .await
                .map_err(|e| fail(format!("remote error: tls: {e}")))?;
            hs!(tls)
        } else {
            hs!(tcp)
        }
    }

    pub(super) async fn request(
        &self,
        mut sender: hyper::client::conn::http1::SendRequest<Full<Bytes>>,
        ep: &Endpoint,
        req: &Request,
    ) -> Result<hyper::Response<hyper::body::Incoming>, EndpointError> {
        let mut uri = escape_path(&format!("{}{}", ep.path, req.path));
        if !req.query.is_empty() {
            uri.push('?');
            uri.push_str(&req.query);
        }
        let mut b = hyper::Request::builder()
            .method(req.method.clone())
            .uri(uri)
            .header(hyper::header::HOST, ep.authority.as_str())
            .header(hyper::header::USER_AGENT, "Go-http-client/1.1");
        if let Some(a) = &self.auth {
            b = b.header(hyper::header::AUTHORIZATION, a.as_str());
        }
        let body = match &req.body {
            Some((text, ctype)) => {
                b = b.header(hyper::header::CONTENT_TYPE, *ctype);
                Full::new(Bytes::from(text.clone()))
            }
            None => Full::new(Bytes::new()),
        };
        let r = b.body(body).map_err(|e| EndpointError {
            message: e.to_string(),
            connection: false,
        })?;
        sender.send_request(r).await.map_err(|e| EndpointError {
            message: format!("read: {e}"),
            connection: true,
        })
    }

    pub(super) async fn call(
        &self,
        method: hyper::Method,
        path: &str,
        json: Option<String>,
    ) -> Result<Answer, V2Error> {
        self.send(Request {
            method,
            path: path.to_string(),
            query: String::new(),
            body: json.map(|j| (j, "application/json")),
            wait: false,
        })
        .await
    }

    pub(super) fn expect(a: &Answer, ok: &[u16]) -> Result<(), V2Error> {
        if ok.contains(&a.status) {
            Ok(())
        } else {
            Err(V2Error::Api(format!("unexpected status code {}", a.status)))
        }
    }

    pub(super) fn message(a: &Answer) -> V2Error {
        #[derive(Deserialize)]
        struct Msg {
            #[serde(default)]
            message: String,
        }
        match serde_json::from_slice::<Msg>(&a.body) {
            Ok(m) => V2Error::Api(m.message),
            Err(e) => V2Error::Api(go_json_error(&a.body, &e)),
        }
    }

    pub(super) fn json<T: serde::de::DeserializeOwned>(a: &Answer) -> Result<T, V2Error> {
        serde_json::from_slice(&a.body).map_err(|e| V2Error::Api(go_json_error(&a.body, &e)))
    }
}
