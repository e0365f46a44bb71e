//! etcd 3.6's v3 discovery (`--discovery-token`, `--discovery-endpoints`), the client side of
//! `server/etcdserver/api/v3discovery`: the discovery service is any etcd v3 cluster, spoken to
//! with our v3 client ([`crate::client`]).
//!
//! Key layout on the discovery service (`<token>` is `--discovery-token`):
//! - `/_etcd/registry/<token>/_config/size`: the expected cluster size, a decimal integer the
//!   operator puts beforehand (`etcdctl put /_etcd/registry/<token>/_config/size 3`);
//! - `/_etcd/registry/<token>/members/<member id>`: one key per registered member, the ID in
//!   lower-case hex without padding (Go's `types.ID.String()`), the value this member's
//!   `name=peerURL[,name=peerURL...]` (sorted, Go's `URLsMap.String()`).
//!
//! A new member ([`Discovery::join_cluster`]):
//! 1. reads the size (missing: [`DiscoveryError::SizeNotFound`], not a positive integer:
//!    [`DiscoveryError::BadSizeKey`]; both end discovery at once) and the registrations under
//!    `members/`, ordered by their create revision: when `size` others are there before it,
//!    the cluster is full ([`DiscoveryError::FullCluster`]);
//! 2. registers itself with a plain put (a member that lost its data dir overwrites its own
//!    key and keeps its place);
//! 3. checks again, then watches `members/` from the revision of that read until `size`
//!    registrations are known;
//! 4. returns the first `size` registrations (by create revision) joined by `,`: the
//!    initial cluster, in `--initial-cluster` syntax.
//!
//! Any other failure of a request (service unreachable, timeout, no leader) is retried with
//! etcd's back-off (2 s, 4 s, ... capped at 256 s, without limit), as etcd does; each request
//! is bounded by `--discovery-request-timeout`, each dial by `--discovery-dial-timeout`.
//!
//! Depends on: [`crate::client`] (the v3 client), `config` (flag values, URL list syntax),
//! `pb` (watch and range messages), `tls` (client TLS options).

use std::time::Duration;

use crate::client::{Client, ClientConfig};
use crate::config::V3DiscoveryConfig;
use crate::pb::etcdserverpb::{PutRequest, RangeRequest, WatchCreateRequest};

/// Root of every discovery key (etcd's `discoveryPrefix`).
const DISCOVERY_PREFIX: &str = "/_etcd/registry";
/// Back-off doubles up to `1 << MAX_EXPONENTIAL_RETRIES` seconds, then stays there.
const MAX_EXPONENTIAL_RETRIES: u32 = 8;
/// Pause before watching again after a watch stream ended or could not be opened.
const REWATCH_PAUSE: Duration = Duration::from_secs(1);

/// v3 discovery failures, with etcd 3.6's messages.
#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    /// The registrations do not form a valid initial cluster (`name=URL` lists).
    #[error("discovery: invalid peer URL")]
    InvalidUrl,
    /// `_config/size` is not a positive integer.
    #[error("discovery: size key is bad")]
    BadSizeKey,
    /// There is no `_config/size` under the token.
    #[error("discovery: size key not found")]
    SizeNotFound,
    /// `size` members registered before this one.
    #[error("discovery: cluster is full")]
    FullCluster,
    /// The client could not be built (bad endpoint, unreadable TLS files).
    #[error("{0}")]
    Client(String),
}

/// `/_etcd/registry/<token>/_config/size`.
pub fn size_key(token: &str) -> String {
    format!("{DISCOVERY_PREFIX}/{token}/_config/size")
}

/// `/_etcd/registry/<token>/members` (without the trailing `/`, as etcd's `path.Join`).
pub fn members_prefix(token: &str) -> String {
    format!("{DISCOVERY_PREFIX}/{token}/members")
}

/// `/_etcd/registry/<token>/members/<member id hex>`.
pub fn member_key(token: &str, member_id: u64) -> String {
    format!("{}/{member_id:x}", members_prefix(token))
}

/// One registration read from the discovery service.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Registration {
    key: String,
    /// `name=peerURL[,...]`.
    peers: String,
    create_revision: i64,
}

/// The registrations known so far, ordered by create revision (etcd's `clusterInfo`).
#[derive(Debug, Default)]
struct ClusterInfo {
    members: Vec<Registration>,
}

impl ClusterInfo {
    /// Adds one registration (etcd's `clusterInfo.add`), keeping the order.
    ///
    /// # Errors
    /// etcd's warning text when the key is outside `prefix`, the value is not `name=URL`,
    /// or the key is known already.
    fn add(&mut self, prefix: &str, key: &str, value: &str, rev: i64) -> Result<(), &'static str> {
        if !key.starts_with(prefix) {
            return Err("invalid peer registry key");
        }
        if !value.contains('=') {
            return Err("invalid peer info returned from discovery service");
        }
        if self.members.iter().any(|m| m.key == key) {
            return Err("found duplicate peer from discovery service");
        }
        self.members.push(Registration {
            key: key.to_string(),
            peers: value.to_string(),
            create_revision: rev,
        });
        self.members.sort_by_key(|m| m.create_revision);
        Ok(())
    }

    /// Whether `size` registrations came before `self_key` (etcd's self-position check in
    /// `checkCluster`): the cluster is full for this member.
    fn full_for(&self, self_key: &str, size: usize) -> bool {
        for (idx, m) in self.members.iter().enumerate() {
            if m.key == self_key {
                return false;
            }
            if idx + 1 >= size {
                return true;
            }
        }
        false
    }

    /// The first `size` registrations joined by `,` (etcd's `getInitClusterStr`).
    ///
    /// # Errors
    /// [`DiscoveryError::InvalidUrl`] when they are not a valid `--initial-cluster`.
    fn init_cluster_str(&self, size: usize) -> Result<String, DiscoveryError> {
        let peers: Vec<&str> = self
            .members
            .iter()
            .take(size)
            .map(|m| m.peers.as_str())
            .collect();
        let s = peers.join(",");
        crate::config::parse_initial_cluster(&s).map_err(|_| DiscoveryError::InvalidUrl)?;
        Ok(s)
    }
}

/// Why one round of requests did not give an answer.
enum Step {
    /// Ends discovery with this error.
    Fatal(DiscoveryError),
    /// Retried after the back-off (the request failed).
    Retry,
}

/// One member's v3 discovery session against the discovery service.
pub struct Discovery {
    client: Client,
    token: String,
    member_id: u64,
    retries: u32,
}

/// A refused login (`--discovery-user`/`--discovery-password` wrong) ends discovery at once:
/// etcd 3.6 builds its discovery client with clientv3.New, which fails on it, and the member
/// exits with the error; any other failure (an unreachable service) is retried.
fn retry_unless_login_failed(e: crate::client::Error) -> Step {
    match e {
        crate::client::Error::Authentication { message, .. } => {
            Step::Fatal(DiscoveryError::Client(message))
        }
        _ => Step::Retry,
    }
}

impl Discovery {
    /// A session for member `member_id` with the `--discovery-*` settings; no connection is
    /// made yet.
    ///
    /// # Errors
    /// [`DiscoveryError::Client`] for a bad endpoint or unreadable TLS files.
    pub fn new(cfg: &V3DiscoveryConfig, member_id: u64) -> Result<Discovery, DiscoveryError> {
        // clientv3's newTLSConfig: TLS when files are given, when transport security is
        // asked for, or to skip verification.
        let wants_tls = cfg.cert_file.is_some()
            || cfg.key_file.is_some()
            || cfg.ca_file.is_some()
            || !cfg.insecure_transport
            || cfg.insecure_skip_tls_verify;
        let tls = wants_tls.then(|| crate::tls::ClientTlsOptions {
            ca_file: cfg.ca_file.clone(),
            cert_file: cfg.cert_file.clone(),
            key_file: cfg.key_file.clone(),
            insecure_skip_verify: cfg.insecure_skip_tls_verify,
        });
        let client = Client::new(&ClientConfig {
            endpoints: cfg.endpoints.clone(),
            dial_timeout: cfg.dial_timeout,
            request_timeout: cfg.request_timeout,
            credentials: cfg.credentials.clone(),
            tls,
        })
        .map_err(|e| DiscoveryError::Client(e.to_string()))?
        .with_keepalive(cfg.keepalive_time, cfg.keepalive_timeout);
        Ok(Discovery {
            client,
            token: cfg.token.clone(),
            member_id,
            retries: 0,
        })
    }

    /// Registers this member (`contents`: its `name=peerURL,...`) and waits until the
    /// cluster is complete (etcd's `JoinCluster`); returns the initial cluster string.
    ///
    /// # Errors
    /// [`DiscoveryError::SizeNotFound`], [`DiscoveryError::BadSizeKey`],
    /// [`DiscoveryError::FullCluster`], [`DiscoveryError::InvalidUrl`]; unreachable services
    /// are retried without end, as etcd does.
    pub async fn join_cluster(&mut self, contents: &str) -> Result<String, DiscoveryError> {
        let result = self.join(contents).await;
        match &result {
            Ok(cluster) => {
                tracing::info!(discovery_token = %self.token, cluster = %cluster, "discovery joined cluster successfully")
            }
            Err(e) => {
                tracing::error!(discovery_token = %self.token, error = %e, "discovery failed to join cluster")
            }
        }
        result
    }

    async fn join(&mut self, contents: &str) -> Result<String, DiscoveryError> {
        self.check_cluster().await?;
        self.register_self(contents).await;
        let (mut cls, size, rev) = self.check_cluster().await?;
        while cls.members.len() < size {
            self.wait_peers(&mut cls, size, rev).await;
        }
        cls.init_cluster_str(size)
    }

    /// Waits etcd's back-off before retrying `step`.
    async fn back_off(&mut self, step: &str) {
        self.retries = self.retries.saturating_add(1);
        let exp = self.retries.min(MAX_EXPONENTIAL_RETRIES);
        let wait = Duration::from_secs(1u64 << exp);
        tracing::warn!(reason = step, backoff = ?wait, "retry connecting to discovery service");
        tokio::time::sleep(wait).await;
    }

    /// The size and the registrations, retried until the service answers (etcd's
    /// `checkCluster`); then the full-cluster check for this member.
    async fn check_cluster(&mut self) -> Result<(ClusterInfo, usize, i64), DiscoveryError> {
        let (cls, size, rev) = loop {
            match self.read_cluster().await {
                Ok(found) => break found,
                Err(Step::Fatal(e)) => return Err(e),
                Err(Step::Retry) => self.back_off("cluster status check").await,
            }
        };
        self.retries = 0;
        if cls.full_for(&member_key(&self.token, self.member_id), size) {
            return Err(DiscoveryError::FullCluster);
        }
        Ok((cls, size, rev))
    }

    /// One read of the size and of the registrations with the revision of that read.
    async fn read_cluster(&self) -> Result<(ClusterInfo, usize, i64), Step> {
        let key = size_key(&self.token);
        let resp = self
            .client
            .range(RangeRequest {
                key: key.clone().into_bytes(),
                ..Default::default()
            })
            .await
            .map_err(|e| {
                tracing::warn!(cluster_size_key = %key, error = %e, "failed to get cluster size from discovery service");
                retry_unless_login_failed(e)
            })?;
        let Some(kv) = resp.kvs.first() else {
            return Err(Step::Fatal(DiscoveryError::SizeNotFound));
        };
        let size = std::str::from_utf8(&kv.value)
            .ok()
            .and_then(|v| v.parse::<i64>().ok())
            .filter(|n| *n > 0)
            .and_then(|n| usize::try_from(n).ok())
            .ok_or(Step::Fatal(DiscoveryError::BadSizeKey))?;
        let prefix = members_prefix(&self.token);
        let resp = self
            .client
            .range(RangeRequest {
                key: prefix.clone().into_bytes(),
                range_end: crate::keys::prefix_end(prefix.as_bytes()),
                ..Default::default()
            })
            .await
            .map_err(|e| {
                tracing::warn!(members_key_prefix = %prefix, error = %e, "failed to get cluster members from discovery service");
                retry_unless_login_failed(e)
            })?;
        let mut cls = ClusterInfo::default();
        for kv in &resp.kvs {
            self.found(&mut cls, &prefix, &kv.key, &kv.value, kv.create_revision);
        }
        let rev = resp.header.map(|h| h.revision).unwrap_or_default();
        Ok((cls, size, rev))
    }

    /// Adds one key/value seen on the service, logged as etcd logs it.
    fn found(&self, cls: &mut ClusterInfo, prefix: &str, key: &[u8], value: &[u8], rev: i64) {
        let key = String::from_utf8_lossy(key);
        let value = String::from_utf8_lossy(value);
        let (key, value) = (key.trim(), value.trim());
        match cls.add(prefix, key, value, rev) {
            Ok(()) => {
                tracing::info!(member_key = %key, member_info = %value, "found peer from discovery service")
            }
            Err(why) => tracing::warn!(member_key = %key, member_info = %value, "{why}"),
        }
    }

    /// Puts this member's registration, retried until the service takes it (etcd's
    /// `registerSelf`).
    async fn register_self(&mut self, contents: &str) {
        let key = member_key(&self.token, self.member_id);
        loop {
            let put = self
                .client
                .put(PutRequest {
                    key: key.clone().into_bytes(),
                    value: contents.as_bytes().to_vec(),
                    ..Default::default()
                })
                .await;
            match put {
                Ok(_) => break,
                Err(e) => {
                    tracing::warn!(member_key = %key, error = %e, "failed to register members itself to the discovery service");
                    self.back_off("register member itself").await;
                }
            }
        }
        self.retries = 0;
        tracing::info!(member_key = %key, member_info = %contents, "register member itself successfully");
    }

    /// Watches the registrations from `rev + 1` until `size` are known or the stream ends
    /// (etcd's `waitPeers`; the caller watches again while some are missing).
    async fn wait_peers(&self, cls: &mut ClusterInfo, size: usize, rev: i64) {
        let prefix = members_prefix(&self.token);
        tracing::info!(
            cluster_size = size,
            found_peers = cls.members.len(),
            "waiting for peers from discovery service"
        );
        let watch = self
            .client
            .watch(WatchCreateRequest {
                key: prefix.clone().into_bytes(),
                range_end: crate::keys::prefix_end(prefix.as_bytes()),
                start_revision: rev + 1,
                ..Default::default()
            })
            .await;
        let mut watcher = match watch {
            Ok(w) => w,
            Err(e) => {
                tracing::warn!(error = %e, "failed to watch peers on the discovery service");
                tokio::time::sleep(REWATCH_PAUSE).await;
                return;
            }
        };
        loop {
            match watcher.next().await {
                Ok(Some(resp)) => {
                    for kv in resp.events.iter().filter_map(|ev| ev.kv.as_ref()) {
                        self.found(cls, &prefix, &kv.key, &kv.value, kv.create_revision);
                    }
                    if cls.members.len() >= size {
                        break;
                    }
                    if resp.canceled {
                        tokio::time::sleep(REWATCH_PAUSE).await;
                        return;
                    }
                }
                Ok(None) | Err(_) => {
                    tokio::time::sleep(REWATCH_PAUSE).await;
                    return;
                }
            }
        }
        tracing::info!(
            cluster_size = size,
            found_peers = cls.members.len(),
            "found all needed peers from discovery service"
        );
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const P: &str = "/_etcd/registry/t/members";

    #[test]
    fn keys_follow_etcd_layout() {
        assert_eq!(size_key("abc"), "/_etcd/registry/abc/_config/size");
        assert_eq!(
            member_key("abc", 0x8e9e05c52164694d),
            "/_etcd/registry/abc/members/8e9e05c52164694d"
        );
        assert_eq!(member_key("abc", 0xa), "/_etcd/registry/abc/members/a");
    }

    #[test]
    fn registrations_are_ordered_by_create_revision() {
        let mut c = ClusterInfo::default();
        c.add(P, &format!("{P}/b"), "b=http://127.0.0.1:2", 7)
            .unwrap();
        c.add(P, &format!("{P}/a"), "a=http://127.0.0.1:1", 5)
            .unwrap();
        assert_eq!(
            c.add(P, &format!("{P}/a"), "a=http://127.0.0.1:1", 5),
            Err("found duplicate peer from discovery service")
        );
        assert_eq!(
            c.add(P, &format!("{P}/c"), "garbage", 9),
            Err("invalid peer info returned from discovery service")
        );
        assert_eq!(
            c.add(P, "/elsewhere/c", "c=http://x:1", 9),
            Err("invalid peer registry key")
        );
        assert_eq!(
            c.init_cluster_str(2).unwrap(),
            "a=http://127.0.0.1:1,b=http://127.0.0.1:2"
        );
        assert_eq!(c.init_cluster_str(1).unwrap(), "a=http://127.0.0.1:1");
    }

    #[test]
    fn full_cluster_is_judged_by_position() {
        let mut c = ClusterInfo::default();
        c.add(P, &format!("{P}/a"), "a=http://127.0.0.1:1", 1)
            .unwrap();
        c.add(P, &format!("{P}/b"), "b=http://127.0.0.1:2", 2)
            .unwrap();
        // Self absent: full once `size` others are there.
        assert!(c.full_for(&format!("{P}/me"), 2));
        assert!(!c.full_for(&format!("{P}/me"), 3));
        // Self among the first `size`: not full; after them: full.
        assert!(!c.full_for(&format!("{P}/b"), 2));
        c.add(P, &format!("{P}/me"), "me=http://127.0.0.1:3", 3)
            .unwrap();
        assert!(c.full_for(&format!("{P}/me"), 2));
    }

    #[test]
    fn bad_registrations_are_an_invalid_url() {
        let mut c = ClusterInfo::default();
        c.add(P, &format!("{P}/a"), "a=not a url", 1).unwrap();
        assert!(matches!(
            c.init_cluster_str(1),
            Err(DiscoveryError::InvalidUrl)
        ));
    }
}
