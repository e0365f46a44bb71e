//! The gateway's streaming: server-streaming and bidirectional calls (Watch, LeaseKeepAlive)
//! answered as newline-delimited `{"result":...}` / `{"error":...}` chunks, and etcd's
//! WebSocket proxy in front of them.
//!
//! Depends on: the parent module (dispatch, HTTP status mapping) and the JSON mapping.

use super::*;

/// etcd's WebSocket proxy in front of the gateway (`tmc/grpc-websocket-proxy`, for browsers):
/// every text or binary message the client sends becomes one line of a POST body to the same
/// path, and every non-empty line of the answer is sent back as one text message; the socket
/// closes when the answer ends. A watch over a WebSocket thus gets one
/// `{"result":{...}}` message per response.
pub(super) async fn websocket(gw: Arc<Gateway>, req: Request) -> Response {
    use axum::extract::ws::{Message, WebSocketUpgrade};
    use axum::extract::FromRequestParts;
    use futures::SinkExt;
    let (mut parts, _) = req.into_parts();
    let ws = match WebSocketUpgrade::from_request_parts(&mut parts, &()).await {
        Ok(ws) => ws,
        Err(rejection) => return rejection.into_response(),
    };
    ws.on_upgrade(move |socket| async move {
        let (mut sink, incoming) = socket.split();
        let lines = incoming
            .take_while(|m| {
                std::future::ready(matches!(m, Ok(m) if !matches!(m, Message::Close(_))))
            })
            .filter_map(|m| {
                std::future::ready(match m {
                    Ok(Message::Text(t)) => Some(Bytes::from(format!("{}\n", t.as_str()))),
                    Ok(Message::Binary(b)) => {
                        let mut line = b.to_vec();
                        line.push(b'\n');
                        Some(Bytes::from(line))
                    }
                    _ => None,
                })
            })
            .map(Ok::<_, std::convert::Infallible>);
        let mut inner = Request::new(Body::from_stream(lines));
        *inner.method_mut() = Method::POST;
        *inner.uri_mut() = parts.uri;
        parts.headers.remove(header::UPGRADE);
        *inner.headers_mut() = parts.headers;
        if let Some(cn) = parts.extensions.get::<super::super::ClientCertCn>() {
            inner.extensions_mut().insert(cn.clone());
        }
        let mut answer = serve(gw, inner).await.into_body();
        let mut buf: Vec<u8> = Vec::new();
        'answer: while let Some(Ok(frame)) = answer.frame().await {
            let Ok(data) = frame.into_data() else {
                continue;
            };
            buf.extend_from_slice(&data);
            while let Some(end) = buf.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = buf.drain(..=end).collect();
                let text = String::from_utf8_lossy(&line[..end]).into_owned();
                if !text.is_empty() && sink.send(Message::Text(text.into())).await.is_err() {
                    break 'answer;
                }
            }
        }
        if !buf.is_empty() {
            let text = String::from_utf8_lossy(&buf).into_owned();
            let _ = sink.send(Message::Text(text.into())).await;
        }
        let _ = sink.send(Message::Close(None)).await;
    })
}

/// grpc-gateway's `streamChunk` for an error: `{"error":{...}}`.
pub(super) fn stream_error_chunk(status: &Status) -> Bytes {
    let http = http_status(status.code());
    let mut out = Vec::new();
    write_go_json(
        &mut out,
        &StreamErrorChunk {
            error: StreamError {
                grpc_code: status.code() as i32,
                http_code: http.as_u16(),
                message: status.message(),
                http_status: http.canonical_reason().unwrap_or(""),
            },
        },
    );
    Bytes::from(out)
}

/// `{"result":<msg>}\n`.
pub(super) fn stream_result_line(msg: &DynamicMessage) -> Bytes {
    let mut out = b"{\"result\":".to_vec();
    write_message(&mut out, msg);
    out.extend_from_slice(b"}\n");
    Bytes::from(out)
}

/// grpc-gateway's `ForwardResponseStream`: the HTTP status comes from the first response (200)
/// or the error the stream fails with first; then one line per message. `guard` lives as long
/// as the answer.
pub(super) async fn stream_response(
    call: Result<tonic::Response<tonic::Streaming<DynamicMessage>>, Status>,
    guard: Option<futures::channel::oneshot::Sender<()>>,
) -> Response {
    let (md, mut stream) = match call {
        Ok(resp) => {
            let (md, stream, _) = resp.into_parts();
            (md, stream)
        }
        Err(status) => return stream_error_response(&status),
    };
    let first = match stream.message().await {
        Ok(Some(m)) => stream_result_line(&m),
        Ok(None) => Bytes::new(),
        Err(status) => return stream_error_response(&status),
    };
    let rest = futures::stream::unfold(Some(stream), |state| async move {
        let mut stream = state?;
        match stream.message().await {
            Ok(Some(m)) => Some((stream_result_line(&m), Some(stream))),
            Ok(None) => None,
            Err(status) => Some((stream_error_chunk(&status), None)),
        }
    });
    let chunks = futures::stream::iter([first])
        .chain(rest)
        .filter(|b| std::future::ready(!b.is_empty()))
        .map(move |chunk| {
            let _alive = &guard;
            Ok::<_, std::convert::Infallible>(chunk)
        });
    let mut out = (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        Body::from_stream(chunks),
    )
        .into_response();
    forward_metadata(&md, out.headers_mut());
    out
}

pub(super) fn stream_error_response(status: &Status) -> Response {
    (
        http_status(status.code()),
        [(header::CONTENT_TYPE, "application/json")],
        stream_error_chunk(status),
    )
        .into_response()
}
