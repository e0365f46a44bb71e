//! The gateway's JSON mapping: request JSON into dynamic messages the way grpc-gateway's
//! jsonpb reads it, the dynamic gRPC codec, and messages and errors written as Go's
//! `encoding/json` and jsonpb write them.
//!
//! Depends on: prost-reflect, serde_json, tonic's codec.

use super::*;

/// A JSON value into the request message `desc` the way etcd's gateway decoder (jsonpb)
/// reads it: either field spelling; unknown fields ignored; `null` is the empty message; enum
/// names must exist; bytes are standard padded base64 (see [`jsonpb_prepare`]).
pub(super) fn to_message(
    desc: &MessageDescriptor,
    mut value: serde_json::Value,
) -> Result<DynamicMessage, String> {
    if value.is_null() {
        return Ok(DynamicMessage::new(desc.clone()));
    }
    jsonpb_prepare(&mut value, desc)?;
    DynamicMessage::deserialize_with_options(
        desc.clone(),
        value,
        &DeserializeOptions::new().deny_unknown_fields(true),
    )
    .map_err(|e| e.to_string())
}

/// Brings a JSON value to what jsonpb accepts before prost-reflect reads it strictly: drops
/// the object keys `desc` has no field for (jsonpb ignores them; prost-reflect's lenient mode
/// would also let unknown enum names through, which jsonpb refuses), and checks bytes fields
/// with Go's `base64.StdEncoding` (padding required, no URL alphabet), recursively.
///
/// # Errors
/// Go's `illegal base64 data at input byte N` for a bytes value that is not standard base64.
pub(super) fn jsonpb_prepare(
    value: &mut serde_json::Value,
    desc: &MessageDescriptor,
) -> Result<(), String> {
    use base64::Engine as _;
    use prost_reflect::Kind;
    let serde_json::Value::Object(map) = value else {
        return Ok(());
    };
    let field = |k: &str| {
        desc.get_field_by_name(k)
            .or_else(|| desc.get_field_by_json_name(k))
    };
    map.retain(|k, _| field(k).is_some());
    for (k, v) in map.iter_mut() {
        let Some(f) = field(k) else { continue };
        if f.is_map() {
            continue;
        }
        let items: Vec<&mut serde_json::Value> = match v {
            serde_json::Value::Array(items) if f.is_list() => items.iter_mut().collect(),
            other => vec![other],
        };
        for item in items {
            match (f.kind(), item) {
                (Kind::Message(m), item) => jsonpb_prepare(item, &m)?,
                (Kind::Bytes, serde_json::Value::String(b64)) => {
                    if let Err(e) = base64::engine::general_purpose::STANDARD.decode(b64.as_bytes())
                    {
                        let at = match e {
                            base64::DecodeError::InvalidByte(at, _) => at,
                            _ => b64.len() / 4 * 4,
                        };
                        return Err(format!("illegal base64 data at input byte {at}"));
                    }
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// The JSON values of a request body, one after the other as they arrive (Go's
/// `json.Decoder` over the body: values may be separated by whitespace or nothing).
pub(super) struct JsonValues {
    body: Body,
    buf: Vec<u8>,
    done: bool,
    limit: usize,
}

impl JsonValues {
    pub(super) fn new(body: Body, limit: usize) -> Self {
        JsonValues {
            body,
            buf: Vec::new(),
            done: false,
            limit,
        }
    }

    /// The next value; `None` at the end of the body.
    ///
    /// # Errors
    /// `INVALID_ARGUMENT` for malformed JSON or a failed body read; `RESOURCE_EXHAUSTED`
    /// when a value exceeds the body limit.
    pub(super) async fn next(&mut self) -> Result<Option<serde_json::Value>, Status> {
        loop {
            if self.buf.iter().any(|b| !b.is_ascii_whitespace()) {
                let mut values = serde_json::Deserializer::from_slice(&self.buf)
                    .into_iter::<serde_json::Value>();
                match values.next() {
                    Some(Ok(v)) => {
                        let used = values.byte_offset();
                        self.buf.drain(..used);
                        return Ok(Some(v));
                    }
                    Some(Err(e)) if e.is_eof() && !self.done => {}
                    Some(Err(e)) => {
                        self.done = true;
                        self.buf.clear();
                        return Err(Status::invalid_argument(e.to_string()));
                    }
                    None => self.buf.clear(),
                }
            } else {
                self.buf.clear();
            }
            if self.done {
                return Ok(None);
            }
            match self.body.frame().await {
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        self.buf.extend_from_slice(&data);
                        if self.buf.len() > self.limit {
                            self.done = true;
                            self.buf.clear();
                            return Err(Status::resource_exhausted(format!(
                                "grpc: received message larger than max ({} bytes)",
                                self.limit
                            )));
                        }
                    }
                }
                Some(Err(e)) => {
                    self.done = true;
                    return Err(Status::invalid_argument(e.to_string()));
                }
                None => self.done = true,
            }
        }
    }
}

/// A tonic codec for [`DynamicMessage`]: requests encode themselves, responses decode as
/// `output`.
pub(super) struct DynCodec {
    pub(super) output: MessageDescriptor,
}

pub(super) struct DynEncoder;

pub(super) struct DynDecoder(MessageDescriptor);

impl Codec for DynCodec {
    type Encode = DynamicMessage;
    type Decode = DynamicMessage;
    type Encoder = DynEncoder;
    type Decoder = DynDecoder;

    fn encoder(&mut self) -> DynEncoder {
        DynEncoder
    }

    fn decoder(&mut self) -> DynDecoder {
        DynDecoder(self.output.clone())
    }
}

impl Encoder for DynEncoder {
    type Item = DynamicMessage;
    type Error = Status;

    fn encode(&mut self, item: DynamicMessage, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        prost::Message::encode(&item, dst).map_err(|e| Status::internal(e.to_string()))
    }
}

impl Decoder for DynDecoder {
    type Item = DynamicMessage;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<DynamicMessage>, Status> {
        DynamicMessage::decode(self.0.clone(), src)
            .map(Some)
            .map_err(|e| Status::internal(e.to_string()))
    }
}

/// A message in grpc-gateway's JSON (`JSONPb{OrigName: true}`).
pub(super) fn write_message(out: &mut Vec<u8>, msg: &DynamicMessage) {
    const OPTIONS: SerializeOptions = SerializeOptions::new()
        .use_proto_field_name(true)
        .skip_default_fields(true)
        .stringify_64_bit_integers(true)
        .use_enum_numbers(false);
    let mut ser = serde_json::Serializer::with_formatter(&mut *out, GoFormatter);
    if let Err(e) = msg.serialize_with_options(&mut ser, &OPTIONS) {
        // Serializing into memory fails only on a non-finite float, which etcd's API has not.
        tracing::warn!(error = %e, "gateway: response did not serialize");
    }
}

/// grpc-gateway's unary error body, fields in its order.
#[derive(serde::Serialize)]
pub(super) struct ErrorBody<'a> {
    pub(super) error: &'a str,
    pub(super) message: &'a str,
    pub(super) code: i32,
}

/// grpc-gateway's stream error chunk `{"error":{...}}` (its `internal.StreamError`).
#[derive(serde::Serialize)]
pub(super) struct StreamErrorChunk<'a> {
    pub(super) error: StreamError<'a>,
}

#[derive(serde::Serialize)]
pub(super) struct StreamError<'a> {
    pub(super) grpc_code: i32,
    pub(super) http_code: u16,
    pub(super) message: &'a str,
    pub(super) http_status: &'a str,
}

/// A value as JSON with Go's `encoding/json` string escaping.
pub(super) fn write_go_json(out: &mut Vec<u8>, value: &impl serde::Serialize) {
    let mut ser = serde_json::Serializer::with_formatter(&mut *out, GoFormatter);
    let _ = value.serialize(&mut ser);
}

/// serde_json's compact output with Go's HTML-safe escaping of `<`, `>`, `&`, U+2028 and
/// U+2029 (`encoding/json`'s default, which jsonpb and grpc-gateway inherit).
pub(super) struct GoFormatter;

impl serde_json::ser::Formatter for GoFormatter {
    fn write_string_fragment<W>(&mut self, writer: &mut W, fragment: &str) -> std::io::Result<()>
    where
        W: ?Sized + std::io::Write,
    {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            let esc = match c {
                '<' => "\\u003c",
                '>' => "\\u003e",
                '&' => "\\u0026",
                '\u{2028}' => "\\u2028",
                '\u{2029}' => "\\u2029",
                _ => continue,
            };
            writer.write_all(&fragment.as_bytes()[start..i])?;
            writer.write_all(esc.as_bytes())?;
            start = i + c.len_utf8();
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }
}
