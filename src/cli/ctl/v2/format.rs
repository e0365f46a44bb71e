//! etcdctl v2's `printResponseKey` (`ctlv2/command/format.go`): `simple` (the value, or
//! `PrevNode.Value: <v>` for a delete), `extended` (key, indexes, TTL, store index, value) and
//! `json` (Go's `json.Marshal` of the response: HTML characters escaped as `\u003c`).

use std::io::Write;

use super::connect::io_fail;
use super::Result;
use crate::client::v2::Response;

/// Go's `json.Marshal` escaping of `<`, `>`, `&`, U+2028 and U+2029 applied to serde_json's
/// output (those characters only occur inside strings there).
pub(super) fn go_json(v: &impl serde::Serialize) -> String {
    let s = serde_json::to_string(v).unwrap_or_default();
    s.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

/// Prints `resp` in `format`; an unknown format is reported on stderr (exit status stays 0,
/// as in etcdctl).
pub(super) fn print_response_key(
    resp: &Response,
    format: &str,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<()> {
    let node = resp.node.clone().unwrap_or_default();
    let prev = resp.prev_node.as_ref();
    let text = match format {
        "simple" => {
            if resp.action != "delete" {
                format!("{}\n", node.value)
            } else {
                format!(
                    "PrevNode.Value: {}\n",
                    prev.map(|p| p.value.as_str()).unwrap_or("")
                )
            }
        }
        "extended" => {
            let mut s = format!(
                "Key: {}\nCreated-Index: {}\nModified-Index: {}\n",
                node.key, node.created_index, node.modified_index
            );
            if let Some(p) = prev {
                s.push_str(&format!("PrevNode.Value: {}\n", p.value));
            }
            s.push_str(&format!("TTL: {}\nIndex: {}\n", node.ttl, resp.index));
            if resp.action != "delete" {
                s.push_str(&format!("\n{}\n", node.value));
            }
            s
        }
        "json" => format!("{}\n", go_json(resp)),
        other => {
            writeln!(err, "Unsupported output format: {other}").map_err(io_fail)?;
            return Ok(());
        }
    };
    out.write_all(text.as_bytes()).map_err(io_fail)
}
