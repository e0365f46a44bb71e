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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::client::v2::Node;

    fn printed(r: &Response, format: &str) -> String {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        print_response_key(r, format, &mut out, &mut err).unwrap();
        String::from_utf8(out).unwrap() + &String::from_utf8(err).unwrap()
    }

    #[test]
    fn responses_print_like_etcdctl() {
        let node = Node {
            key: "/foo".into(),
            value: "<b>".into(),
            created_index: 4,
            modified_index: 5,
            ..Default::default()
        };
        let r = Response {
            action: "set".into(),
            node: Some(node.clone()),
            prev_node: Some(node),
            index: 5,
        };
        assert_eq!(printed(&r, "simple"), "<b>\n");
        assert_eq!(
            printed(&r, "extended"),
            "Key: /foo\nCreated-Index: 4\nModified-Index: 5\nPrevNode.Value: <b>\nTTL: 0\nIndex: 5\n\n<b>\n"
        );
        assert!(printed(&r, "json").starts_with(
            r#"{"action":"set","node":{"key":"/foo","value":"\u003cb\u003e","nodes":null,"#
        ));
        assert_eq!(printed(&r, "yaml"), "Unsupported output format: yaml\n");
        let del = Response {
            action: "delete".into(),
            ..r
        };
        assert_eq!(printed(&del, "simple"), "PrevNode.Value: <b>\n");
    }
}
