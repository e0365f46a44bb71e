//! The drop-in flags of etcd 3.4 (and the 3.5/3.6 spellings manifests pass) that shape how
//! the client port serves ([`ClientServing`]: HTTP/2 stream and keepalive limits, CORS, the
//! Host whitelist, HTTP-only client URLs) and the etcd knobs that are accepted and validated
//! but map onto something else here or have no effect on LMDB/openraft ([`EtcdKnobs`]).
//! Parsing only: no sockets, no files.

use std::time::Duration;

use url::Url;

use super::{parse_urls, ConfigError};

/// How the client port serves (etcd's `--max-concurrent-streams`, `--grpc-keepalive-*`,
/// `--cors`, `--host-whitelist`, `--listen-client-http-urls`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientServing {
    /// `--max-concurrent-streams`: HTTP/2 streams one client connection may open at a time
    /// (etcd's default `math.MaxUint32`).
    pub max_concurrent_streams: u32,
    /// `--grpc-keepalive-min-time` (default 5 s): the minimum interval etcd lets a client ping
    /// at; enforced as grpc-go does by `h2_ping_policy`.
    pub grpc_keepalive_min_time: Duration,
    /// `--grpc-keepalive-interval` (default 2 h; zero disables): how often the server pings an
    /// idle HTTP/2 connection.
    pub grpc_keepalive_interval: Duration,
    /// `--grpc-keepalive-timeout` (default 20 s): how long a ping may stay unanswered before
    /// the connection is closed.
    pub grpc_keepalive_timeout: Duration,
    /// `--cors`: allowed origins as etcd stores them (`scheme://host:port`); empty or `*`
    /// allows every origin.
    pub cors: Vec<String>,
    /// `--host-whitelist`: Host header names accepted on plain-HTTP (non-TLS) requests other
    /// than gRPC; empty or `*` allows all (etcd's DNS-rebinding guard).
    pub host_whitelist: Vec<String>,
    /// `--listen-client-http-urls` (etcd 3.5): extra client URLs. Ours serves gRPC and HTTP
    /// on every client URL, so these are plain extra client listeners.
    pub listen_client_http_urls: Vec<Url>,
}

impl Default for ClientServing {
    fn default() -> Self {
        ClientServing {
            max_concurrent_streams: u32::MAX,
            grpc_keepalive_min_time: Duration::from_secs(5),
            grpc_keepalive_interval: Duration::from_secs(2 * 3600),
            grpc_keepalive_timeout: Duration::from_secs(20),
            cors: vec!["*".to_string()],
            host_whitelist: vec!["*".to_string()],
            listen_client_http_urls: Vec::new(),
        }
    }
}

impl ClientServing {
    /// etcd's `OriginAllowed`: empty list or `*` allows all, otherwise an exact match.
    pub fn origin_allowed(&self, origin: &str) -> bool {
        self.cors.is_empty() || self.cors.iter().any(|c| c == "*" || c == origin)
    }

    /// Whether every origin is allowed (etcd then answers `Access-Control-Allow-Origin: *`).
    pub fn all_origins(&self) -> bool {
        self.cors.is_empty() || self.cors.iter().any(|c| c == "*")
    }

    /// etcd's `IsHostWhitelisted`: empty list or `*` allows all, otherwise an exact match on
    /// the host name (port stripped by the caller).
    pub fn host_allowed(&self, host: &str) -> bool {
        self.host_whitelist.is_empty() || self.host_whitelist.iter().any(|h| h == "*" || h == host)
    }
}

/// etcd knobs accepted and validated whose effect differs here (see README's flag table).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EtcdKnobs {
    /// `--initial-election-tick-advance` (default true): etcd fast-forwards election ticks at
    /// boot. openraft's first election timer already starts at boot; accepted.
    pub initial_election_tick_advance: bool,
    /// `--pre-vote` (default false): openraft 0.9 always runs a vote whose term is only
    /// persisted once granted, the effect pre-vote has in etcd/raft; accepted.
    pub pre_vote: bool,
    /// `--experimental-enable-lease-checkpoint`: leases' remaining TTL survives a leader
    /// change here already (the lessor keeps expiry in the replicated state); accepted.
    pub enable_lease_checkpoint: bool,
    /// `--experimental-compaction-batch-limit` (default 1000; 3.6 `--compaction-batch-limit`).
    pub compaction_batch_limit: i32,
    /// `--experimental-warning-apply-duration` (default 100 ms; 3.6 `--warning-apply-duration`):
    /// applies slower than this are logged as warnings.
    pub warning_apply_duration: Duration,
    /// `--experimental-backend-bbolt-freelist-type` (`array` or `map`): a bbolt knob, no
    /// effect on LMDB.
    pub bbolt_freelist_type: String,
    /// `--experimental-enable-v2v3` (a key prefix): serves v2 through v3 in etcd, which needs
    /// `--enable-v2`; no effect here.
    pub enable_v2v3: String,
    /// `--feature-gates` (etcd 3.6): `Name=bool` pairs in the order given.
    pub feature_gates: Vec<(String, bool)>,
    /// `--enable-v2` (`ETCD_ENABLE_V2`, default false as in etcd 3.4): serve the v2 keys API
    /// (`/v2/keys`, `/v2/members`, `/v2/machines`, `/v2/stats`).
    pub enable_v2: bool,
}

impl Default for EtcdKnobs {
    fn default() -> Self {
        EtcdKnobs {
            initial_election_tick_advance: true,
            pre_vote: false,
            enable_lease_checkpoint: false,
            compaction_batch_limit: 1000,
            warning_apply_duration: Duration::from_millis(100),
            bbolt_freelist_type: "array".to_string(),
            enable_v2v3: String::new(),
            feature_gates: Vec::new(),
            enable_v2: false,
        }
    }
}

/// etcd 3.6's feature gates this member knows (component-base names).
pub const KNOWN_FEATURE_GATES: &[&str] = &[
    "AllAlpha",
    "AllBeta",
    "CompactHashCheck",
    "InitialCorruptCheck",
    "LeaseCheckpoint",
    "LeaseCheckpointPersist",
    "SetMemberLocalAddr",
    "StopGRPCServiceOnDefrag",
    "TxnModeWriteWithSharedBuffer",
];

/// Parses `--feature-gates` (`A=true,B=false`), as Kubernetes' component-base does.
///
/// # Errors
/// A [`ConfigError`] for a pair without `=`, an unknown gate or a non-boolean value.
pub fn parse_feature_gates(value: &str) -> Result<Vec<(String, bool)>, ConfigError> {
    let mut out = Vec::new();
    for part in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (k, v) = part.split_once('=').ok_or_else(|| {
            ConfigError::new(
                "feature-gates",
                value,
                format!("missing bool value for {part}"),
            )
        })?;
        let (k, v) = (k.trim(), v.trim());
        if !KNOWN_FEATURE_GATES.contains(&k) {
            return Err(ConfigError::new(
                "feature-gates",
                value,
                format!("unrecognized feature gate: {k}"),
            ));
        }
        let b = crate::go_text::parse_go_bool(v).ok_or_else(|| {
            ConfigError::new(
                "feature-gates",
                value,
                format!("invalid value of {k}={v}, err: strconv.ParseBool: parsing {v:?}: invalid syntax"),
            )
        })?;
        out.push((k.to_string(), b));
    }
    Ok(out)
}

/// Parses `--cors` as etcd 3.4 (`UniqueURLsWithExceptions(.., "*")`): `*`, or URLs with a
/// scheme and `host:port`, kept as etcd prints them; empty means all.
///
/// # Errors
/// A [`ConfigError`] naming the bad origin.
pub fn parse_cors(value: &str) -> Result<Vec<String>, ConfigError> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(Vec::new());
    }
    if v == "*" {
        return Ok(vec!["*".to_string()]);
    }
    let urls = parse_urls("cors", v)?;
    let mut out: Vec<String> = Vec::new();
    for u in urls {
        let s = super::url_string(&u);
        if !out.contains(&s) {
            out.push(s);
        }
    }
    Ok(out)
}

/// Parses `--host-whitelist`: comma-separated names (etcd's `UniqueStringsValue`).
pub fn parse_host_whitelist(value: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for h in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if !out.iter().any(|o| o == h) {
            out.push(h.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cors_and_whitelist_follow_etcd() {
        assert!(ClientServing::default().origin_allowed("http://x:1"));
        let c = parse_cors("http://a.example:8080,http://a.example:8080").expect("valid");
        assert_eq!(c, vec!["http://a.example:8080".to_string()]);
        let s = ClientServing {
            cors: c,
            host_whitelist: parse_host_whitelist("example.com, 127.0.0.1"),
            ..Default::default()
        };
        assert!(s.origin_allowed("http://a.example:8080"));
        assert!(!s.origin_allowed("http://b.example:8080"));
        assert!(!s.all_origins());
        assert!(s.host_allowed("127.0.0.1"));
        assert!(!s.host_allowed("evil.example"));
        assert!(parse_cors("not a url").is_err());
        assert!(parse_cors("").expect("empty").is_empty());
    }

    #[test]
    fn feature_gates_parse() {
        let g = parse_feature_gates("InitialCorruptCheck=true,LeaseCheckpoint=false").expect("ok");
        assert_eq!(
            g,
            vec![
                ("InitialCorruptCheck".to_string(), true),
                ("LeaseCheckpoint".to_string(), false)
            ]
        );
        let e = parse_feature_gates("Bogus=true").expect_err("unknown");
        assert!(
            e.to_string().contains("unrecognized feature gate: Bogus"),
            "{e}"
        );
        assert!(parse_feature_gates("InitialCorruptCheck=maybe").is_err());
        assert!(parse_feature_gates("InitialCorruptCheck").is_err());
    }
}
