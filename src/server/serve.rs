//! [`run`]: the one place that assembles and serves a member, like etcd's `embed/etcd.go`.
//!
//! The caller binds the listeners ([`Listeners::bind`] for the configured URLs, or
//! `127.0.0.1:0` in tests) and hands over a shutdown future; `run` then builds, in order:
//! TLS for the listeners and the peer client (auto-TLS certificates included), the member
//! ([`EtcdServer::start`]) with its peer transport (the peer TLS connector and the
//! fatal-refusal signal, passed as values: nothing here is process-wide, so several members
//! can run in one process), the peer port (Raft RPCs and forwarding), the optional initial
//! corruption check, the client port, and readiness (etcd's `published local member to
//! cluster` and `ready to serve client requests` lines). It serves until the shutdown
//! future resolves, a peer refuses this member for good, or a disk fault stops it.
//!
//! A removed member stops cleanly as etcd 3.4's does (two log lines, `Ok`); every other
//! stop cause is an error the binary turns into exit code 1.
//!
//! This file names `v3rpc` (to serve the client port): it is the assembly, above the
//! layers it wires together (see `layering.rs`).
//!
//! Depends on: raft (peer service and transport), v3rpc (the client port), tls, config.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use url::Url;

use super::{Error, EtcdServer, LeaderService};
use crate::config::{resolve_listen_addr, url_string, ConfigError, ServerConfig};
use crate::observability::startup;
use crate::raft::network::{PeerDialer, PeerTransport, MEMBER_REMOVED};
use crate::tls::{ReloadingServerConfig, TlsError};

/// One bound listener and the URL it serves (its scheme decides TLS: `https`, `unixs`).
#[derive(Debug)]
pub struct Listener {
    /// The `--listen-*-urls` entry this socket was bound for.
    pub url: Url,
    /// The bound socket (TCP, or a Unix socket for `unix`/`unixs` client URLs).
    pub listener: crate::serve::BoundListener,
}

/// The pre-bound sockets of one member.
#[derive(Debug, Default)]
pub struct Listeners {
    /// Peer listeners (`--listen-peer-urls`).
    pub peers: Vec<Listener>,
    /// Client listeners (`--listen-client-urls`).
    pub clients: Vec<Listener>,
    /// Metrics listeners (`--listen-metrics-urls`): `/metrics` and `/health` only.
    pub metrics: Vec<Listener>,
}

impl Listeners {
    /// Binds `--listen-peer-urls` then `--listen-client-urls` (peers first, as etcd),
    /// logging `listening for peers` / `listening for client requests` for each.
    ///
    /// # Errors
    /// [`ServeError::Config`] for a URL without a usable address, [`ServeError::Bind`] when
    /// a socket cannot be bound.
    pub async fn bind(cfg: &ServerConfig) -> Result<Listeners, ServeError> {
        let mut out = Listeners::default();
        for u in &cfg.listen_peer_urls {
            out.peers.push(bind_one("listen-peer-urls", u).await?);
            tracing::info!(address = %url_string(u), "listening for peers");
        }
        let http_only = cfg
            .serving
            .listen_client_http_urls
            .iter()
            .filter(|u| !cfg.listen_client_urls.contains(u))
            .map(|u| ("listen-client-http-urls", u));
        let clients = cfg
            .listen_client_urls
            .iter()
            .map(|u| ("listen-client-urls", u))
            .chain(http_only);
        for (flag, u) in clients {
            tracing::info!(address = %url_string(u), "listening for client requests");
            if let Some(i) = out.clients.iter().position(|l| is_scheme_twin(&l.url, u)) {
                // etcd 3.4 serves `http://a:p` and `https://a:p` on one socket (its cmux tells
                // TLS from plaintext): the address is bound once, for both, with the https URL
                // (so the socket is served with the client TLS configuration).
                let twin = out.clients.remove(i);
                let listener = match twin.listener {
                    crate::serve::BoundListener::Tcp(tcp) => {
                        crate::serve::BoundListener::TcpMixed(tcp)
                    }
                    other => other,
                };
                let url = if u.scheme() == "https" {
                    u.clone()
                } else {
                    twin.url
                };
                out.clients.insert(i, Listener { url, listener });
                continue;
            }
            out.clients.push(bind_client(flag, u).await?);
        }
        for u in &cfg.observability.listen_metrics_urls {
            out.metrics.push(bind_one("listen-metrics-urls", u).await?);
            crate::observability::startup::serving_metrics(&url_string(u));
        }
        Ok(out)
    }
}

/// Whether `a` and `b` name the same TCP address, one as `http` and the other as `https`.
fn is_scheme_twin(a: &Url, b: &Url) -> bool {
    let mut schemes = [a.scheme(), b.scheme()];
    schemes.sort_unstable();
    schemes == ["http", "https"]
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
        && a.port().is_some()
}

async fn bind_one(flag: &'static str, url: &Url) -> Result<Listener, ServeError> {
    if matches!(url.scheme(), "unix" | "unixs") {
        return Err(ServeError::Config(ConfigError::new(
            flag,
            url_string(url),
            "unix peer URLs are not supported by etcd-oxide",
        )));
    }
    let addr = resolve_listen_addr(flag, url)?;
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::Bind { addr, source })?;
    Ok(Listener {
        url: url.clone(),
        listener: listener.into(),
    })
}

/// Binds a client URL: TCP, or for `unix://host:port` / `unixs://` a Unix socket at the
/// path `host:port` (relative to the working directory), as etcd's `transport.NewListener`
/// does, removing a stale socket file first.
async fn bind_client(flag: &'static str, url: &Url) -> Result<Listener, ServeError> {
    #[cfg(unix)]
    if matches!(url.scheme(), "unix" | "unixs") {
        let path = unix_socket_path(url);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(ServeError::BindUnix { path, source }),
        }
        let listener = tokio::net::UnixListener::bind(&path)
            .map_err(|source| ServeError::BindUnix { path, source })?;
        return Ok(Listener {
            url: url.clone(),
            listener: crate::serve::BoundListener::Unix(listener),
        });
    }
    bind_one(flag, url).await
}

/// The socket path of a `unix://` URL: etcd listens on the URL's `host:port` text.
pub fn unix_socket_path(url: &Url) -> String {
    match url.port() {
        Some(p) => format!("{}:{p}", url.host_str().unwrap_or_default()),
        None => url.host_str().unwrap_or_default().to_string(),
    }
}

/// Why a member could not start or stopped abnormally. The messages (with their `source()`
/// chain, joined by `: `) are what the binary prints before exiting 1.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// A listen URL without a usable address.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A socket could not be bound.
    #[error("listen tcp {addr}: bind")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A Unix socket could not be bound.
    #[error("listen unix {path}: bind")]
    BindUnix {
        /// The socket path.
        path: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// `--auto-tls` could not write or read its certificate.
    #[error("cannot create client self-signed certificate")]
    ClientSelfCert(#[source] TlsError),
    /// `--peer-auto-tls` could not write or read its certificate.
    #[error("cannot create peer self-signed certificate")]
    PeerSelfCert(#[source] TlsError),
    /// The client listeners' TLS files do not load.
    #[error("client TLS configuration")]
    ClientTls(#[source] TlsError),
    /// The peer listeners' TLS files do not load.
    #[error("peer TLS configuration")]
    PeerTls(#[source] TlsError),
    /// The peer client's TLS files do not load.
    #[error("peer client TLS configuration")]
    PeerClientTls(#[source] TlsError),
    /// The member did not start (bootstrap refusal, storage error) or the initial
    /// corruption check failed. Shown as the server error's own message.
    #[error("{0}")]
    Start(Error),
    /// A peer refused this member for good (another cluster's ID), or a disk fault.
    #[error("{0}")]
    Fatal(String),
}

/// Starts the member of `cfg` on pre-bound `listeners` and serves until `shutdown`
/// resolves (see the module docs for the order of the steps).
///
/// # Errors
/// TLS setup failures, [`ServeError::Start`] when the member cannot start, and
/// [`ServeError::Fatal`] when a peer refusal or a disk fault stopped it. A removed member
/// returns `Ok` after logging etcd's two lines.
pub async fn run(
    cfg: ServerConfig,
    listeners: Listeners,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let tls = setup_tls(&cfg)?;
    let metrics = crate::observability::metrics();
    if cfg.observability.extensive_metrics {
        metrics.enable_extensive();
    }
    if cfg.observability.enable_pprof {
        crate::observability::startup::pprof_enabled();
    }
    if let Some(g) = metrics.extra_gauge("etcd_server_quota_backend_bytes") {
        g.set(cfg.quota_bytes() as f64);
    }
    // Soft limits from /proc/self/limits, as Go's procfs reads them ("unlimited" is 2^64-1).
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
    let soft = |name: &str| {
        limits
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l[name.len()..].split_whitespace().next())
            .and_then(|v| match v {
                "unlimited" => Some(u64::MAX as f64),
                v => v.parse::<f64>().ok(),
            })
    };
    for (family, limit) in [
        ("os_fd_limit", "Max open files"),
        ("process_virtual_memory_max_bytes", "Max address space"),
    ] {
        if let (Some(g), Some(v)) = (metrics.extra_gauge(family), soft(limit)) {
            g.set(v);
        }
    }
    let transport = PeerTransport {
        dialer: PeerDialer::new(tls.peer_connector),
        fatal: Default::default(),
        activity: Default::default(),
    };
    let server = EtcdServer::start(cfg, transport.clone())
        .await
        .map_err(ServeError::Start)?;
    metrics
        .server_id
        .with_label_values(&[&format!("{:x}", server.member_id())])
        .set(1);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let stopped = move || {
        let mut rx = stop_rx.clone();
        async move {
            let _ = rx.wait_for(|s| *s).await;
        }
    };
    let mut tasks = Vec::new();
    for l in listeners.peers {
        let tls = is_tls_url(&l.url).then(|| tls.peer.clone()).flatten();
        let crate::serve::BoundListener::Tcp(listener) = l.listener else {
            return Err(ServeError::Config(ConfigError::new(
                "listen-peer-urls",
                url_string(&l.url),
                "unix peer URLs are not supported by etcd-oxide",
            )));
        };
        tasks.push(tokio::spawn(serve_peer(
            listener,
            server.clone(),
            stopped(),
            tls,
        )));
    }
    if server.config().initial_corrupt_check {
        if let Err(e) = server.initial_corrupt_check().await {
            let _ = stop_tx.send(true);
            server.shutdown().await;
            return Err(ServeError::Start(e));
        }
    }
    let mut client_addrs = Vec::new();
    for l in listeners.clients {
        let tls = is_tls_url(&l.url).then(|| tls.client.clone()).flatten();
        let addr = l
            .listener
            .local_addr()
            .unwrap_or_else(|_| url_string(&l.url));
        if matches!(l.listener, crate::serve::BoundListener::TcpMixed(_)) && tls.is_some() {
            // Both of etcd's lines for the one socket: insecure, then secure.
            client_addrs.push((addr.clone(), false));
        }
        client_addrs.push((addr, tls.is_some()));
        tasks.push(tokio::spawn(crate::v3rpc::serve_client(
            l.listener,
            server.clone(),
            stopped(),
            tls,
        )));
    }
    for l in listeners.metrics {
        let tls = is_tls_url(&l.url).then(|| tls.client.clone()).flatten();
        tasks.push(tokio::spawn(crate::serve::serve_router_with(
            l.listener,
            crate::v3rpc::http::metrics_routes(server.clone()),
            stopped(),
            tls,
            crate::serve::Http2Limits::default(),
        )));
    }
    announce_ready(server.clone(), client_addrs);
    let mut fatal = transport.fatal.subscribe();
    let mut disk_fault = server.fatal().subscribe();
    let fatal_msg = tokio::select! {
        _ = shutdown => None,
        r = fatal.wait_for(|f| f.is_some()) => r.ok().and_then(|f| f.clone()),
        r = disk_fault.wait_for(|f| f.is_some()) => r.ok().and_then(|f| f.as_ref().map(|f| f.to_string())),
    };
    if let Some(msg) = &fatal_msg {
        tracing::error!(reason = %msg, "stopping member");
    } else {
        tracing::info!("received shutdown signal; stopping member");
    }
    let _ = stop_tx.send(true);
    for t in tasks {
        let _ = tokio::time::timeout(Duration::from_secs(5), t).await;
    }
    server.shutdown().await;
    match fatal_msg {
        // etcd 3.4 stops a removed member cleanly: it logs these two lines and exits 0 (a
        // supervisor's restart-on-failure must not bring it back).
        Some(msg) if msg.starts_with(MEMBER_REMOVED) => {
            tracing::error!("{}", MEMBER_REMOVED);
            tracing::info!("the data-dir used by this member must be removed.");
            Ok(())
        }
        Some(msg) => Err(ServeError::Fatal(msg)),
        None => Ok(()),
    }
}

/// Serves the peer port: Raft RPCs (`RaftPeer`) and forwarded client requests (`Leader`).
async fn serve_peer(
    listener: TcpListener,
    server: Arc<EtcdServer>,
    stop: impl Future<Output = ()> + Send + 'static,
    tls: Option<Arc<ReloadingServerConfig>>,
) -> std::io::Result<()> {
    let grpc = tonic::service::Routes::new(
        crate::pb::peer::raft_peer_server::RaftPeerServer::new(
            crate::raft::peer_service::RaftPeerService::new(
                server.raft().clone(),
                server.cluster_id(),
                server.store.clone(),
            ),
        )
        .max_decoding_message_size(usize::MAX)
        .max_encoding_message_size(usize::MAX),
    )
    .add_service(
        crate::pb::peer::leader_server::LeaderServer::new(LeaderService::new(&server))
            .max_decoding_message_size(usize::MAX)
            .max_encoding_message_size(usize::MAX),
    );
    // etcd's peer HTTP handler (`GET /members`, read by v2 proxies) beside the gRPC services.
    let routes = tonic::service::Routes::from(
        grpc.into_axum_router()
            .merge(crate::v3rpc::peer_http::routes(&server)),
    );
    let router = tonic::transport::Server::builder()
        // Large entries and snapshots arrive in few round trips (h2's default window of
        // 64 KiB would take a round trip per 64 KiB of a 1 MiB entry).
        .initial_connection_window_size(crate::raft::network::PEER_WINDOW_BYTES)
        .initial_stream_window_size(crate::raft::network::PEER_WINDOW_BYTES)
        .accept_http1(true)
        .add_routes(routes);
    // The peer listener must not keep the member alive (the Leader service holds it weakly).
    drop(server);
    match tls {
        Some(tls) => router
            .serve_with_incoming_shutdown(crate::tls::tls_incoming(listener, tls), stop)
            .await
            .map_err(std::io::Error::other),
        None => router
            .serve_with_incoming_shutdown(
                tokio_stream::wrappers::TcpListenerStream::new(listener),
                stop,
            )
            .await
            .map_err(std::io::Error::other),
    }
}

fn is_tls_url(u: &Url) -> bool {
    matches!(u.scheme(), "https" | "unixs")
}

/// The TLS pieces of one member.
struct MemberTls {
    /// Server TLS of the `https` client listeners.
    client: Option<Arc<ReloadingServerConfig>>,
    /// Server TLS of the `https` peer listeners.
    peer: Option<Arc<ReloadingServerConfig>>,
    /// The peer client's connector (peer files, or verification skipped for auto-TLS).
    peer_connector: Option<crate::tls::TlsConnector>,
}

/// Server TLS of the client and peer listeners (when any URL of theirs is `https`), with
/// auto-TLS certificates generated under `<data-dir>/fixtures/{client,peer}`, and the peer
/// client's connector (peer files, or verification skipped for auto-TLS as etcd does).
///
/// # Errors
/// Unreadable or mismatched certificate files, generation failures.
fn setup_tls(cfg: &ServerConfig) -> Result<MemberTls, ServeError> {
    let hosts = |urls: &[Url]| -> Vec<String> {
        urls.iter()
            .filter_map(|u| {
                u.host_str()
                    .map(|h| h.trim_start_matches('[').trim_end_matches(']').to_string())
            })
            .collect()
    };
    let years = cfg.self_signed_cert_validity;
    let mut client_info = cfg.client_tls.clone();
    if cfg.client_auto_tls && client_info.is_empty() {
        let mut h = hosts(&cfg.listen_client_urls);
        h.extend(hosts(&cfg.advertise_client_urls));
        client_info = crate::tls::self_cert(&cfg.client_fixtures_dir(), &h, years, false)
            .map_err(ServeError::ClientSelfCert)?;
    } else if cfg.client_auto_tls {
        tracing::warn!("ignoring client auto TLS since certs given");
    }
    let client = if cfg.client_tls_wanted() {
        Some(Arc::new(
            ReloadingServerConfig::new(client_info, cfg.tls_params.clone())
                .map_err(ServeError::ClientTls)?,
        ))
    } else {
        if !cfg.client_tls.is_empty() {
            tracing::warn!(
                "scheme is HTTP while key and cert files are present; ignoring key and cert files"
            );
        }
        None
    };
    let mut peer_info = cfg.peer_tls.clone();
    if cfg.peer_auto_tls && peer_info.is_empty() {
        let mut h = hosts(&cfg.listen_peer_urls);
        h.extend(hosts(&cfg.initial_advertise_peer_urls));
        peer_info = crate::tls::self_cert(&cfg.peer_fixtures_dir(), &h, years, true)
            .map_err(ServeError::PeerSelfCert)?;
        if cfg.peer_tls.client_cert_auth {
            tracing::warn!(
                "peer auto TLS certificates cannot be verified; --peer-client-cert-auth is ignored"
            );
        }
    } else if cfg.peer_auto_tls {
        tracing::warn!("ignoring peer auto TLS since certs given");
    }
    let mut peer_connector = None;
    if !peer_info.is_empty() || peer_info.trusted_ca_file.is_some() {
        let opts = crate::tls::ClientTlsOptions {
            ca_file: peer_info.trusted_ca_file.clone(),
            cert_file: peer_info.cert_file.clone(),
            key_file: peer_info.key_file.clone(),
            insecure_skip_verify: peer_info.self_signed,
        };
        let client_cfg =
            crate::tls::client_config(&opts, &cfg.tls_params).map_err(ServeError::PeerClientTls)?;
        let mut connector = crate::tls::TlsConnector::new(client_cfg);
        if let Some(srv) = &cfg.discovery_srv {
            // etcd 3.4's documented DNS SRV rule ("Notes for DNS SRV"): peers found through
            // SRV records must present a certificate for the --discovery-srv domain.
            if cfg
                .initial_cluster
                .iter()
                .any(|(_, u)| u.scheme() == "https")
            {
                tracing::info!(server_name = %srv.domain, "peer certificates must hold the --discovery-srv domain");
                connector = connector.with_server_name(&srv.domain);
            }
        }
        peer_connector = Some(connector);
    }
    let peer = if cfg.peer_tls_wanted() && !peer_info.is_empty() {
        Some(Arc::new(
            ReloadingServerConfig::new(peer_info, cfg.tls_params.clone())
                .map_err(ServeError::PeerTls)?,
        ))
    } else {
        None
    };
    Ok(MemberTls {
        client,
        peer,
        peer_connector,
    })
}

/// Once a leader exists, publishes this member's attributes through the log and logs
/// etcd's fixed lines in etcd's order ([`startup`]: published, ready to serve client
/// requests, one `serving ... client` line per client listener, enabled capabilities),
/// retrying while there is no quorum; then tells systemd `READY=1` (`Type=notify` units,
/// when `$NOTIFY_SOCKET` is set).
fn announce_ready(server: Arc<EtcdServer>, client_addrs: Vec<(String, bool)>) {
    tokio::spawn(async move {
        loop {
            match server.wait_for_leader(Duration::from_secs(10)).await {
                Ok(()) => {}
                Err(Error::Stopped) => return,
                Err(_) => {
                    tracing::warn!("no leader yet; waiting before serving");
                    continue;
                }
            }
            match server.publish_attributes().await {
                Ok(()) => {
                    let cfg = server.config();
                    let client_urls: Vec<String> =
                        cfg.advertise_client_urls.iter().map(url_string).collect();
                    startup::published(
                        server.member_id(),
                        &cfg.name,
                        &client_urls,
                        server.cluster_id(),
                    );
                    startup::ready();
                    for (addr, secure) in &client_addrs {
                        startup::serving_client(addr, *secure);
                    }
                    startup::capabilities(CAPABILITY_VERSION);
                    notify_systemd_ready();
                    return;
                }
                Err(Error::Stopped) => return,
                Err(e) => {
                    tracing::warn!(error = %e, "failed to publish local member to cluster; retrying");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
        }
    });
}

/// The cluster version whose capabilities etcd 3.4 enables (`major.minor`).
const CAPABILITY_VERSION: &str = "3.4";

/// `READY=1` to `$NOTIFY_SOCKET` (systemd's `Type=notify`), as etcd's `notifySystemd`; a
/// missing socket is not an error (etcd logs at debug level).
fn notify_systemd_ready() {
    if std::env::var_os("NOTIFY_SOCKET").is_none() {
        return;
    }
    match sd_notify::notify(&[sd_notify::NotifyState::Ready]) {
        Ok(()) => tracing::info!("notified init daemon"),
        Err(e) => tracing::error!(error = %e, "failed to notify systemd for readiness"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ClusterState;
    use crate::pb::etcdserverpb::kv_client::KvClient;
    use crate::pb::etcdserverpb::{PutRequest, RangeRequest};
    use crate::tls::{TlsInfo, TlsParams};

    /// Binds `127.0.0.1:0` and returns the listener with its `http://` URL.
    async fn bind_loopback() -> Listener {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let url = Url::parse(&format!("http://{addr}")).expect("url");
        Listener {
            url,
            listener: listener.into(),
        }
    }

    /// The configuration of member `name` of a cluster whose peers are `cluster`.
    fn config(
        name: &str,
        dir: &std::path::Path,
        peer: &Url,
        client: &Url,
        cluster: &[(String, Url)],
    ) -> ServerConfig {
        ServerConfig {
            name: name.to_string(),
            data_dir: dir.join(name),
            listen_client_urls: vec![client.clone()],
            advertise_client_urls: vec![client.clone()],
            listen_peer_urls: vec![peer.clone()],
            initial_advertise_peer_urls: vec![peer.clone()],
            initial_cluster: cluster.to_vec(),
            initial_cluster_state: ClusterState::New,
            initial_cluster_token: "serve-test".to_string(),
            heartbeat_interval: Duration::from_millis(50),
            election_timeout: Duration::from_millis(500),
            snapshot_count: 100_000,
            quota_backend_bytes: 0,
            max_request_bytes: 1_572_864,
            max_txn_ops: 128,
            log_level: "info".to_string(),
            watch_progress_notify_interval: Duration::from_secs(600),
            initial_corrupt_check: false,
            corrupt_check_time: Duration::ZERO,
            auth_token: "simple".to_string(),
            auth_token_ttl: Duration::from_secs(300),
            bcrypt_cost: 4,
            client_tls: TlsInfo::default(),
            client_auto_tls: false,
            peer_tls: TlsInfo::default(),
            peer_auto_tls: false,
            self_signed_cert_validity: 1,
            tls_params: TlsParams::default(),
            dedicated_wal_dir: None,
            serving: Default::default(),
            knobs: Default::default(),
            strict_reconfig_check: true,
            auto_compaction: None,
            max_snapshots: 5,
            max_wals: 5,
            backend_batch_interval: Duration::ZERO,
            backend_batch_limit: 0,
            observability: Default::default(),
            discovery: None,
            force_new_cluster: false,
            discovery_srv: None,
            discovery_v3: None,
        }
    }

    /// Two members of one cluster run in one process (nothing process-wide couples them): a
    /// put through one member is read linearizably through the other, and both stop cleanly
    /// on their shutdown futures.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn two_members_in_one_process() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut listeners = Vec::new();
        for _ in 0..2 {
            let peer = bind_loopback().await;
            let client = bind_loopback().await;
            listeners.push((peer, client));
        }
        let cluster: Vec<(String, Url)> = listeners
            .iter()
            .enumerate()
            .map(|(i, (p, _))| (format!("m{i}"), p.url.clone()))
            .collect();
        let mut client_urls = Vec::new();
        let mut stops = Vec::new();
        let mut members = Vec::new();
        for (i, (peer, client)) in listeners.into_iter().enumerate() {
            let cfg = config(
                &format!("m{i}"),
                dir.path(),
                &peer.url,
                &client.url,
                &cluster,
            );
            client_urls.push(url_string(&client.url));
            let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
            stops.push(stop_tx);
            let listeners = Listeners {
                peers: vec![peer],
                clients: vec![client],
                metrics: vec![],
            };
            members.push(tokio::spawn(run(cfg, listeners, async move {
                let _ = stop_rx.await;
            })));
        }

        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        let put = PutRequest {
            key: b"serve-key".to_vec(),
            value: b"v1".to_vec(),
            ..Default::default()
        };
        loop {
            assert!(
                tokio::time::Instant::now() < deadline,
                "no put succeeded through m0 within 30 s"
            );
            let done = tokio::time::timeout(Duration::from_secs(5), async {
                let mut kv = KvClient::connect(client_urls[0].clone()).await.ok()?;
                kv.put(put.clone()).await.ok()
            })
            .await;
            if let Ok(Some(_)) = done {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let read = tokio::time::timeout(Duration::from_secs(10), async {
            let mut kv = KvClient::connect(client_urls[1].clone())
                .await
                .expect("connect m1");
            kv.range(RangeRequest {
                key: b"serve-key".to_vec(),
                ..Default::default()
            })
            .await
            .expect("range through m1")
            .into_inner()
        })
        .await
        .expect("range within 10 s");
        assert_eq!(read.kvs.len(), 1, "{read:?}");
        assert_eq!(read.kvs[0].value, b"v1");

        for stop in stops {
            let _ = stop.send(());
        }
        for m in members {
            let stopped = tokio::time::timeout(Duration::from_secs(20), m)
                .await
                .expect("member stops within 20 s")
                .expect("member task");
            assert!(stopped.is_ok(), "{stopped:?}");
        }
    }
}
