//! etcd's v2 discovery protocol (`--discovery URL`), the client side of etcd 3.4's
//! `etcdserver/api/v2discovery`.
//!
//! The discovery URL names a v2 keys directory, e.g.
//! `http://host:2379/v2/keys/discovery/<token>`. A new member:
//! 1. reads `<token>/_config/size` (the expected cluster size) and lists `<token>` (hidden
//!    `_config` excluded), sorted by creation index: when `size` other members registered
//!    before it, the cluster is full ([`DiscoveryError::FullCluster`]);
//! 2. registers itself with a create (`PUT <token>/<member id hex>?prevExist=false`, value
//!    `name=peerURL[,name=peerURL...]`); an existing key is [`DiscoveryError::DuplicateId`];
//! 3. lists again and long-polls (`?wait=true&recursive=true&waitIndex=`) until `size`
//!    registrations are known;
//! 4. returns the first `size` registrations joined by `,`: the initial cluster, which must
//!    hold `size` distinct names ([`DiscoveryError::DuplicateName`]).
//!
//! The member ID registered is computed from the member's advertised peer URLs and the
//! discovery URL as the cluster token (etcd's `PeerURLsMapAndToken`), like every member ID of
//! a discovery-bootstrapped cluster.
//!
//! An unreachable service, a `5xx` answer or a failed connection is retried with etcd's
//! exponential back-off (1 s, 2 s, ... capped at 256 s, without limit); a v2 error reply
//! (`100: Key not found (/discovery/x) [5]`) ends discovery with that error, as in etcd 3.4
//! (whose `ErrSizeNotFound` check never matches, so a missing size key reports the v2 error).
//!
//! Depends on: [`super::http`].

use std::time::Duration;

use serde::Deserialize;
use url::Url;

use super::http::{HttpClient, HttpError};

/// The request timeout of etcd's v2 client (`client.DefaultRequestTimeout`).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// Back-off doubles up to `1 << MAX_EXPONENTIAL_RETRIES` seconds.
const MAX_EXPONENTIAL_RETRIES: u32 = 8;

/// Discovery failures, with etcd 3.4's messages (`discovery: cluster is full`, ...).
#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    /// The URL is not a valid discovery URL, or the registrations are not `name=URL` lists.
    #[error("discovery: invalid URL")]
    InvalidUrl,
    /// `_config/size` is not an unsigned integer.
    #[error("discovery: size key is bad")]
    BadSizeKey,
    /// This member's ID is already registered (it registered before and lost its data dir).
    #[error("discovery: found duplicate id")]
    DuplicateId,
    /// Two registrations carry the same member name.
    #[error("discovery: found duplicate name")]
    DuplicateName,
    /// `size` members registered before this one.
    #[error("discovery: cluster is full")]
    FullCluster,
    /// The endpoint answered `200` with something that is not a v2 keys reply.
    #[error("discovery: bad discovery endpoint")]
    BadDiscoveryEndpoint,
    /// A v2 keys error reply, shown as etcd's client shows it: `code: message (cause) [index]`.
    #[error("{code}: {message} ({cause}) [{index}]")]
    Keys {
        /// v2 error code (`100` key not found, `105` key exists, ...).
        code: u64,
        /// v2 error message.
        message: String,
        /// The key concerned.
        cause: String,
        /// The store index of the reply.
        index: u64,
    },
    /// A reply that is not JSON (etcd's `client.ErrInvalidJSON`).
    #[error("client: response is invalid json. The endpoint is probably not valid etcd cluster endpoint")]
    InvalidJson,
    /// `--discovery-proxy` is not a URL.
    #[error("invalid proxy address {0:?}")]
    BadProxy(String),
}

/// One node of a v2 keys reply.
#[derive(Debug, Clone, Deserialize)]
pub struct Node {
    /// Full key path (`/discovery/<token>/<id>`).
    pub key: String,
    /// Value (registrations: `name=peerURL,...`).
    #[serde(default)]
    pub value: Option<String>,
    /// Children of a directory.
    #[serde(default)]
    pub nodes: Vec<Node>,
    /// Store index of the creation.
    #[serde(rename = "createdIndex", default)]
    pub created_index: u64,
    /// Store index of the last modification.
    #[serde(rename = "modifiedIndex", default)]
    pub modified_index: u64,
}

impl Node {
    /// The last path element of the key.
    fn base(&self) -> &str {
        base(&self.key)
    }
}

fn base(key: &str) -> &str {
    key.trim_end_matches('/').rsplit('/').next().unwrap_or("")
}

#[derive(Debug, Deserialize)]
struct KeysReply {
    node: Option<Node>,
}

#[derive(Debug, Deserialize)]
struct KeysErrorBody {
    #[serde(rename = "errorCode")]
    error_code: u64,
    #[serde(default)]
    message: String,
    #[serde(default)]
    cause: String,
    #[serde(default)]
    index: u64,
}

/// Why one v2 keys call failed.
#[derive(Debug)]
enum CallError {
    /// Unreachable or `5xx`: etcd's `ClusterError`, retried.
    Cluster(String),
    /// Anything else: ends discovery.
    Fatal(DiscoveryError),
}

/// The result of one listing: registrations (sorted by creation), the size, the index.
struct Status {
    nodes: Vec<Node>,
    size: u64,
    index: u64,
}

/// Parses `--discovery-proxy` as etcd's `newProxyFunc` does: empty is none; a value without
/// an `http` scheme gets `http://` prepended.
///
/// # Errors
/// [`DiscoveryError::BadProxy`] when neither form parses.
pub fn parse_proxy(proxy: &str) -> Result<Option<Url>, DiscoveryError> {
    if proxy.is_empty() {
        return Ok(None);
    }
    match Url::parse(proxy) {
        Ok(u) if u.scheme().starts_with("http") && u.host_str().is_some() => Ok(Some(u)),
        _ => Url::parse(&format!("http://{proxy}"))
            .map(Some)
            .map_err(|_| DiscoveryError::BadProxy(proxy.to_string())),
    }
}

/// A v2 discovery session for one member.
pub struct Discovery {
    client: HttpClient,
    /// `scheme://host:port` of the discovery service.
    endpoint: Url,
    /// The token directory: the discovery URL's path (`/v2/keys/discovery/<token>`).
    cluster: String,
    /// Our member ID (hex is the registration key).
    id: u64,
    retries: u32,
}

impl Discovery {
    /// Prepares discovery at `durl` through `proxy` (`--discovery-proxy`, may be empty) for
    /// member `id`.
    ///
    /// # Errors
    /// [`DiscoveryError::InvalidUrl`] for a URL without host or scheme,
    /// [`DiscoveryError::BadProxy`].
    pub fn new(durl: &str, proxy: &str, id: u64) -> Result<Discovery, DiscoveryError> {
        let u = Url::parse(durl).map_err(|_| DiscoveryError::InvalidUrl)?;
        if u.host_str().is_none() {
            return Err(DiscoveryError::InvalidUrl);
        }
        let cluster = u.path().to_string();
        let mut endpoint = u.clone();
        endpoint.set_path("");
        endpoint.set_query(None);
        let proxy = parse_proxy(proxy)?;
        if let Some(p) = &proxy {
            tracing::info!(target: "discovery", proxy = %p, "using proxy {:?}", p.as_str());
        }
        Ok(Discovery {
            client: HttpClient::new(proxy),
            endpoint,
            cluster,
            id,
            retries: 0,
        })
    }

    /// etcd's `JoinCluster`: registers `config` (`name=peerURL,...`) and waits for the whole
    /// cluster; returns the initial cluster string (`name=url,name=url,...`).
    ///
    /// # Errors
    /// Every [`DiscoveryError`]; unreachable services are retried, never returned.
    pub async fn join_cluster(&mut self, config: &str) -> Result<String, DiscoveryError> {
        self.check_cluster().await?;
        self.create_self(config).await?;
        let st = self.check_cluster().await?;
        let (all, size) = self.wait_nodes(st).await?;
        nodes_to_cluster(&all, size)
    }

    /// etcd's `GetCluster` (used by the v2 proxy): the cluster registered under the token,
    /// without registering; waits until `size` members registered, and returns them at once
    /// when the cluster is already full. The session's id should be `0` (no member).
    ///
    /// # Errors
    /// Every [`DiscoveryError`] but [`DiscoveryError::FullCluster`]; unreachable services are
    /// retried.
    pub async fn get_cluster(&mut self) -> Result<String, DiscoveryError> {
        match self.check_cluster().await {
            Ok(st) => {
                let (all, size) = self.wait_nodes(st).await?;
                nodes_to_cluster(&all, size)
            }
            Err(DiscoveryError::FullCluster) => {
                let st = loop {
                    match self.check_cluster_all().await {
                        Ok(st) => break st,
                        Err(CallError::Fatal(e)) => return Err(e),
                        Err(CallError::Cluster(detail)) => {
                            tracing::error!(target: "discovery", "{detail}");
                            self.back_off("cluster status check").await;
                        }
                    }
                };
                let mut all = st.nodes;
                all.truncate(usize::try_from(st.size).unwrap_or(usize::MAX));
                nodes_to_cluster(&all, st.size)
            }
            Err(e) => Err(e),
        }
    }

    /// The registrations and size, without the full-cluster check.
    async fn check_cluster_all(&self) -> Result<Status, CallError> {
        let config_key = join_path(&self.cluster, "_config");
        let (size_node, _) = self.get(&join_path(&config_key, "size")).await?;
        self.registrations(&size_node).await
    }

    /// The cluster size read from `size_node` (`_config/size`) and the registrations under
    /// the token, oldest first.
    async fn registrations(&self, size_node: &Node) -> Result<Status, CallError> {
        let size: u64 = size_node
            .value
            .as_deref()
            .unwrap_or_default()
            .parse()
            .map_err(|_| CallError::Fatal(DiscoveryError::BadSizeKey))?;
        let (dir, index) = self.get(&self.cluster).await?;
        let mut nodes: Vec<Node> = dir
            .nodes
            .into_iter()
            .filter(|n| n.base() != "_config")
            .collect();
        nodes.sort_by_key(|n| n.created_index);
        Ok(Status { nodes, size, index })
    }

    fn self_key(&self) -> String {
        join_path(&self.cluster, &format!("{:x}", self.id))
    }

    fn key_url(&self, key: &str, query: &str) -> Url {
        let mut u = self.endpoint.clone();
        u.set_path(key);
        u.set_query(Some(query));
        u
    }

    /// One v2 keys call; classifies the reply as etcd's client does.
    async fn call(
        &self,
        method: hyper::Method,
        url: Url,
        form: Option<String>,
        timeout: Option<Duration>,
    ) -> Result<Node, CallError> {
        let resp = self
            .client
            .send(method, &url, form, timeout)
            .await
            .map_err(|e: HttpError| CallError::Cluster(format!("{url}: {e}")))?;
        self.classify(resp)
    }

    /// A GET that also returns `X-Etcd-Index`.
    async fn get(&self, key: &str) -> Result<(Node, u64), CallError> {
        let url = self.key_url(key, "quorum=false&recursive=false&sorted=false");
        let resp = self
            .client
            .send(hyper::Method::GET, &url, None, Some(REQUEST_TIMEOUT))
            .await
            .map_err(|e| CallError::Cluster(format!("{url}: {e}")))?;
        let index = resp
            .headers
            .get("X-Etcd-Index")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0);
        let node = self.classify(resp)?;
        Ok((node, index))
    }

    fn classify(&self, resp: super::http::Response) -> Result<Node, CallError> {
        if resp.status / 100 == 5 {
            return Err(CallError::Cluster(format!(
                "client: etcd member {} returns server error [{}]",
                self.endpoint.as_str().trim_end_matches('/'),
                resp.status
            )));
        }
        if resp.status == 200 || resp.status == 201 {
            let reply: KeysReply = serde_json::from_slice(&resp.body)
                .map_err(|_| CallError::Fatal(DiscoveryError::InvalidJson))?;
            return reply
                .node
                .ok_or(CallError::Fatal(DiscoveryError::InvalidJson));
        }
        let e: KeysErrorBody = serde_json::from_slice(&resp.body)
            .map_err(|_| CallError::Fatal(DiscoveryError::InvalidJson))?;
        Err(CallError::Fatal(DiscoveryError::Keys {
            code: e.error_code,
            message: e.message,
            cause: e.cause,
            index: e.index,
        }))
    }

    async fn create_self(&self, config: &str) -> Result<(), DiscoveryError> {
        let url = self.key_url(&self.self_key(), "prevExist=false");
        let form = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("value", config)
            .finish();
        match self
            .call(hyper::Method::PUT, url, Some(form), Some(REQUEST_TIMEOUT))
            .await
        {
            Ok(_) => Ok(()),
            Err(CallError::Fatal(DiscoveryError::Keys { code: 105, .. })) => {
                Err(DiscoveryError::DuplicateId)
            }
            Err(CallError::Fatal(e)) => Err(e),
            // etcd's create is a single request: an unreachable service fails it.
            Err(CallError::Cluster(detail)) => Err(DiscoveryError::Keys {
                code: 0,
                message: detail,
                cause: String::new(),
                index: 0,
            }),
        }
    }

    /// etcd's `checkCluster` (with its retry on unreachable services).
    async fn check_cluster(&mut self) -> Result<Status, DiscoveryError> {
        loop {
            match self.check_cluster_once().await {
                Ok(st) => return Ok(st),
                Err(CallError::Fatal(e)) => return Err(e),
                Err(CallError::Cluster(detail)) => {
                    tracing::error!(target: "discovery", "{detail}");
                    self.back_off("cluster status check").await;
                }
            }
        }
    }

    async fn check_cluster_once(&self) -> Result<Status, CallError> {
        let config_key = join_path(&self.cluster, "_config");
        let (size_node, _) = match self.get(&join_path(&config_key, "size")).await {
            Err(CallError::Fatal(DiscoveryError::InvalidJson)) => {
                return Err(CallError::Fatal(DiscoveryError::BadDiscoveryEndpoint))
            }
            other => other?,
        };
        let Status { nodes, size, index } = self.registrations(&size_node).await?;
        let me = format!("{:x}", self.id);
        for (i, n) in nodes.iter().enumerate() {
            if n.base() == me {
                break;
            }
            // Go's `uint64(i) >= size-1` (wrapping for size 0).
            if (i as u64) >= size.wrapping_sub(1) {
                return Err(CallError::Fatal(DiscoveryError::FullCluster));
            }
        }
        Ok(Status { nodes, size, index })
    }

    async fn back_off(&mut self, step: &str) {
        self.retries += 1;
        let secs = 1u64 << self.retries.min(MAX_EXPONENTIAL_RETRIES);
        tracing::info!(
            target: "discovery",
            "{step}: error connecting to {}, retrying in {secs}s",
            self.endpoint.as_str().trim_end_matches('/')
        );
        tokio::time::sleep(Duration::from_secs(secs)).await;
    }

    /// etcd's `waitNodes`: long-polls the token directory until `size` registrations.
    async fn wait_nodes(&mut self, mut st: Status) -> Result<(Vec<Node>, u64), DiscoveryError> {
        'restart: loop {
            let size = st.size;
            let mut all = st.nodes.clone();
            all.truncate(usize::try_from(size).unwrap_or(usize::MAX));
            let me = format!("{:x}", self.id);
            for n in &all {
                if n.base() == me {
                    tracing::info!(target: "discovery", "found self {} in the cluster", n.base());
                } else {
                    tracing::info!(target: "discovery", "found peer {} in the cluster", n.base());
                }
            }
            let mut next_wait = st.index + 1;
            while (all.len() as u64) < size {
                tracing::info!(
                    target: "discovery",
                    "found {} peer(s), waiting for {} more",
                    all.len(),
                    size - all.len() as u64
                );
                let url = self.key_url(
                    &self.cluster,
                    &format!("wait=true&waitIndex={next_wait}&recursive=true"),
                );
                let resp = match self.client.send(hyper::Method::GET, &url, None, None).await {
                    // A long poll the server ended without an event: ask again.
                    Ok(r) if r.status == 200 && r.body.is_empty() => continue,
                    Ok(r) => self.classify(r),
                    Err(e) => Err(CallError::Cluster(format!("{url}: {e}"))),
                };
                match resp {
                    Ok(node) => {
                        tracing::info!(target: "discovery", "found peer {} in the cluster", node.base());
                        next_wait = node.modified_index + 1;
                        all.push(node);
                    }
                    Err(CallError::Fatal(e)) => return Err(e),
                    Err(CallError::Cluster(detail)) => {
                        tracing::error!(target: "discovery", "{detail}");
                        self.back_off("waiting for other nodes").await;
                        st = self.check_cluster().await?;
                        continue 'restart;
                    }
                }
            }
            tracing::info!(target: "discovery", "found {} needed peer(s)", all.len());
            return Ok((all, size));
        }
    }
}

/// `path.Join(dir, name)` for the absolute key paths used here.
fn join_path(dir: &str, name: &str) -> String {
    format!("{}/{}", dir.trim_end_matches('/'), name)
}

/// etcd's `nodesToCluster`: the registrations' values joined by `,`, checked to be a
/// `name=URL` list with `size` distinct names.
///
/// # Errors
/// [`DiscoveryError::InvalidUrl`], [`DiscoveryError::DuplicateName`].
pub fn nodes_to_cluster(nodes: &[Node], size: u64) -> Result<String, DiscoveryError> {
    let s = nodes
        .iter()
        .map(|n| n.value.clone().unwrap_or_default())
        .collect::<Vec<_>>()
        .join(",");
    let pairs = crate::config::parse_initial_cluster(&s).map_err(|_| DiscoveryError::InvalidUrl)?;
    let names: std::collections::BTreeSet<&str> = pairs.iter().map(|(n, _)| n.as_str()).collect();
    if names.len() as u64 != size {
        return Err(DiscoveryError::DuplicateName);
    }
    Ok(s)
}

/// etcd's `checkDuplicateURL`: a peer URL registered by two members (or twice).
pub fn duplicate_url(cluster: &[(String, Url)]) -> bool {
    let mut seen = std::collections::BTreeSet::new();
    cluster
        .iter()
        .any(|(_, u)| !seen.insert(crate::config::url_string(u)))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn node(key: &str, value: &str, idx: u64) -> Node {
        Node {
            key: key.into(),
            value: Some(value.into()),
            nodes: vec![],
            created_index: idx,
            modified_index: idx,
        }
    }

    #[test]
    fn proxy_forms_follow_etcd() {
        assert!(parse_proxy("").unwrap().is_none());
        assert_eq!(
            parse_proxy("10.0.0.1:8080").unwrap().unwrap().as_str(),
            "http://10.0.0.1:8080/"
        );
        assert_eq!(
            parse_proxy("https://p:1").unwrap().unwrap().as_str(),
            "https://p:1/"
        );
    }

    #[test]
    fn url_splits_into_endpoint_and_token_dir() {
        let d = Discovery::new("http://127.0.0.1:2379/v2/keys/discovery/abc", "", 0x1a).unwrap();
        assert_eq!(d.endpoint.as_str(), "http://127.0.0.1:2379/");
        assert_eq!(d.cluster, "/v2/keys/discovery/abc");
        assert_eq!(d.self_key(), "/v2/keys/discovery/abc/1a");
        assert!(matches!(
            Discovery::new("not a url", "", 1),
            Err(DiscoveryError::InvalidUrl)
        ));
    }

    #[test]
    fn cluster_string_checks_names() {
        let a = node("/d/t/1", "a=http://127.0.0.1:1", 5);
        let b = node("/d/t/2", "b=http://127.0.0.1:2", 6);
        let a2 = node("/d/t/3", "a=http://127.0.0.1:3", 7);
        assert_eq!(
            nodes_to_cluster(&[a.clone(), b.clone()], 2).unwrap(),
            "a=http://127.0.0.1:1,b=http://127.0.0.1:2"
        );
        assert!(matches!(
            nodes_to_cluster(&[a.clone(), a2], 2),
            Err(DiscoveryError::DuplicateName)
        ));
        let bad = node("/d/t/4", "nonsense", 8);
        assert!(matches!(
            nodes_to_cluster(&[a, bad], 2),
            Err(DiscoveryError::InvalidUrl)
        ));
    }

    #[test]
    fn messages_are_etcds() {
        assert_eq!(
            DiscoveryError::FullCluster.to_string(),
            "discovery: cluster is full"
        );
        let e = DiscoveryError::Keys {
            code: 100,
            message: "Key not found".into(),
            cause: "/discovery/nosize".into(),
            index: 5,
        };
        assert_eq!(e.to_string(), "100: Key not found (/discovery/nosize) [5]");
    }

    #[test]
    fn duplicate_urls_are_found() {
        let u = Url::parse("http://127.0.0.1:1").unwrap();
        assert!(duplicate_url(&[
            ("a".into(), u.clone()),
            ("b".into(), u.clone())
        ]));
        assert!(!duplicate_url(&[("a".into(), u)]));
    }
}
