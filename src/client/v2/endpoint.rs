//! Endpoints parsed like Go's `url.Parse` (with etcdctl's "no scheme → http"), and the
//! path and query escaping Go's `net/url` applies to v2 requests.

use super::error::V2Error;

/// A parsed endpoint: Go's `url.URL` string form and where to connect.
#[derive(Debug, Clone)]
pub(super) struct Endpoint {
    /// `scheme://host[:port][path]` as Go prints it.
    pub(super) url: String,
    pub(super) scheme: String,
    /// Host without brackets.
    pub(super) host: String,
    /// `host[:port]` as written (the `Host` header).
    pub(super) authority: String,
    pub(super) port: u16,
    pub(super) path: String,
}

/// Parses an endpoint like Go's `url.Parse` followed by etcdctl's "no scheme → http".
pub(super) fn parse_endpoint(ep: &str) -> Result<Endpoint, V2Error> {
    let (scheme, rest) = match ep.split_once("://") {
        Some((s, r)) => (s.to_ascii_lowercase(), r.to_string()),
        None => {
            let first = ep.chars().next();
            let scheme_like = first.is_some_and(|c| c.is_ascii_alphabetic())
                && ep.split_once(':').is_some_and(|(s, _)| {
                    s.chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
                });
            if scheme_like {
                let (s, r) = ep.split_once(':').unwrap_or((ep, ""));
                // Go: an opaque URL with this scheme; the transport refuses it per request.
                return Ok(Endpoint {
                    url: format!("{}:{r}", s.to_ascii_lowercase()),
                    scheme: s.to_ascii_lowercase(),
                    host: String::new(),
                    authority: String::new(),
                    port: 0,
                    path: String::new(),
                });
            }
            let seg = ep.split('/').next().unwrap_or("");
            if seg.contains(':') {
                return Err(V2Error::Config(format!(
                    "parse {}: first path segment in URL cannot contain colon",
                    crate::go_text::go_quote(ep.as_bytes())
                )));
            }
            ("http".to_string(), ep.to_string())
        }
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (rest[..i].to_string(), rest[i..].to_string()),
        None => (rest.clone(), String::new()),
    };
    let authority = authority
        .rsplit_once('@')
        .map_or(authority.clone(), |(_, a)| a.to_string());
    let (host, port) = if let Some(h) = authority.strip_prefix('[') {
        let (h, p) = h.split_once(']').unwrap_or((h, ""));
        (h.to_string(), p.strip_prefix(':').unwrap_or("").to_string())
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), p.to_string()),
            None => (authority.clone(), String::new()),
        }
    };
    let port = if port.is_empty() {
        if scheme == "https" {
            443
        } else {
            80
        }
    } else {
        port.parse::<u16>().map_err(|_| {
            V2Error::Config(format!(
                "parse {}: invalid port {} after host",
                crate::go_text::go_quote(ep.as_bytes()),
                crate::go_text::go_quote(format!(":{port}").as_bytes())
            ))
        })?
    };
    Ok(Endpoint {
        url: format!("{scheme}://{rest}"),
        scheme,
        host,
        authority,
        port,
        path: path.trim_end_matches('/').to_string(),
    })
}

/// Go's `url.PathEscape`-like escaping of a URL path (slashes kept).
pub(super) fn escape_path(p: &str) -> String {
    let mut s = String::new();
    for b in p.bytes() {
        if b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'_'
                    | b'.'
                    | b'~'
                    | b'$'
                    | b'&'
                    | b'+'
                    | b','
                    | b'/'
                    | b':'
                    | b';'
                    | b'='
                    | b'@'
            )
        {
            s.push(b as char);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    s
}

/// Go's `url.QueryEscape`.
pub(super) fn escape_query(p: &str) -> String {
    let mut s = String::new();
    for b in p.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            s.push(b as char);
        } else if b == b' ' {
            s.push('+');
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    s
}

/// Go's `url.Values.Encode`: sorted by key, query-escaped.
pub(super) fn encode_values(v: &[(&str, String)]) -> String {
    let mut v: Vec<&(&str, String)> = v.iter().collect();
    v.sort_by(|a, b| a.0.cmp(b.0));
    v.iter()
        .map(|(k, val)| format!("{}={}", escape_query(k), escape_query(val)))
        .collect::<Vec<_>>()
        .join("&")
}

/// etcd's `pathutil.CanonicalURLPath`: leading `/`, `.`/`..`/`//` cleaned, trailing `/` kept
/// (`"a/./b/../c//"` → `"/a/c/"`; `""` → `"/"`).
pub fn canonical_path(p: &str) -> String {
    if p.is_empty() {
        return "/".to_string();
    }
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    let mut out = format!("/{}", parts.join("/"));
    if p.ends_with('/') && out != "/" {
        out.push('/');
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_parse_like_go_url_parse() {
        assert_eq!(
            parse_endpoint("127.0.0.1:2379").unwrap_err().to_string(),
            "parse \"127.0.0.1:2379\": first path segment in URL cannot contain colon"
        );
        let e = parse_endpoint("localhost:2379").unwrap();
        assert_eq!(e.scheme, "localhost");
        let e = parse_endpoint("http://127.0.0.1:2379").unwrap();
        assert_eq!((e.host.as_str(), e.port), ("127.0.0.1", 2379));
        assert_eq!(e.url, "http://127.0.0.1:2379");
        let e = parse_endpoint("https://[::1]:2379/").unwrap();
        assert_eq!(
            (e.host.as_str(), e.port, e.path.as_str()),
            ("::1", 2379, "")
        );
    }
}
