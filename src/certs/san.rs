//! Subject alternative names from cfssl's `hosts` (and `-hostname`): each entry is classified as
//! cfssl does (`signer.go`): an IP address, else an e-mail address, else a URI, else a DNS name.

use std::net::IpAddr;

use rcgen::SanType;

/// The kind of one `hosts` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostKind {
    /// `10.0.0.1`, `::1`.
    Ip(IpAddr),
    /// `ops@example.com`.
    Email(String),
    /// `spiffe://cluster/etcd`, `https://etcd.example.com`.
    Uri(String),
    /// `etcd.example.com`, `*.example.com`, `localhost`.
    Dns(String),
}

/// Classifies one host string the way cfssl does.
pub fn classify_host(host: &str) -> HostKind {
    let h = host.trim();
    let unbracketed = h
        .strip_prefix('[')
        .and_then(|x| x.strip_suffix(']'))
        .unwrap_or(h);
    if let Ok(ip) = unbracketed.parse::<IpAddr>() {
        return HostKind::Ip(ip);
    }
    if is_email(h) {
        return HostKind::Email(h.to_string());
    }
    if is_uri(h) {
        return HostKind::Uri(h.to_string());
    }
    HostKind::Dns(h.to_string())
}

fn is_email(h: &str) -> bool {
    let Some((local, domain)) = h.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.is_empty()
        && !domain.contains('@')
        && !h.contains(char::is_whitespace)
        && !h.contains("://")
}

fn is_uri(h: &str) -> bool {
    // Go's url.ParseRequestURI: an absolute URI ("scheme:...") or an absolute path.
    if h.starts_with('/') {
        return true;
    }
    let Some((scheme, rest)) = h.split_once(':') else {
        return false;
    };
    !rest.is_empty()
        && scheme
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
}

/// Splits `-hostname`'s comma-separated list (cfssl's `signer.SplitHosts`): empty entries dropped.
pub fn split_hosts(list: &str) -> Vec<String> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

/// Converts hosts to rcgen SANs.
///
/// # Errors
/// The offending host when it is not IA5 (ASCII) text.
pub fn to_sans(hosts: &[String]) -> Result<Vec<SanType>, String> {
    let mut out = Vec::new();
    for h in hosts {
        let ia5 = |s: &str| {
            s.to_string()
                .try_into()
                .map_err(|_| format!("host {h:?} is not ASCII"))
        };
        let san = match classify_host(h) {
            HostKind::Ip(ip) => SanType::IpAddress(ip),
            HostKind::Email(e) => SanType::Rfc822Name(ia5(&e)?),
            HostKind::Uri(u) => SanType::URI(ia5(&u)?),
            HostKind::Dns(d) => SanType::DnsName(ia5(&d)?),
        };
        if !out.contains(&san) {
            out.push(san);
        }
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn classification() {
        assert_eq!(
            classify_host("127.0.0.1"),
            HostKind::Ip("127.0.0.1".parse().unwrap())
        );
        assert_eq!(classify_host("::1"), HostKind::Ip("::1".parse().unwrap()));
        assert_eq!(
            classify_host("[fe80::1]"),
            HostKind::Ip("fe80::1".parse().unwrap())
        );
        assert_eq!(
            classify_host("example.net"),
            HostKind::Dns("example.net".into())
        );
        assert_eq!(
            classify_host("*.example.net"),
            HostKind::Dns("*.example.net".into())
        );
        assert_eq!(
            classify_host("localhost"),
            HostKind::Dns("localhost".into())
        );
        assert_eq!(
            classify_host("ops@example.net"),
            HostKind::Email("ops@example.net".into())
        );
        assert_eq!(
            classify_host("spiffe://c/etcd"),
            HostKind::Uri("spiffe://c/etcd".into())
        );
        assert_eq!(
            classify_host("https://e.net:2379"),
            HostKind::Uri("https://e.net:2379".into())
        );
    }

    #[test]
    fn split_and_sans() {
        assert_eq!(split_hosts("a, 10.0.0.1,,b"), vec!["a", "10.0.0.1", "b"]);
        let sans = to_sans(&split_hosts("a,10.0.0.1,a")).unwrap();
        assert_eq!(sans.len(), 2);
        assert!(to_sans(&["ünï.example".to_string()]).is_err());
    }
}
