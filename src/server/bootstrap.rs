//! Bootstrap: open the data dir, decide new cluster vs restart, derive IDs as etcd does,
//! build the Raft node, and initialize a new cluster's membership.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::apply::state::StateStore;
use crate::config::{url_string, ClusterState, ServerConfig};
use crate::membership::{compute_cluster_id, compute_member_id, Member};
use crate::raft::log_store::LogStore;
use crate::raft::network::{Network, PeerDialer, PeerTransport, MEMBER_REMOVED};
use crate::raft::state_machine::StateMachine;
use crate::raft::Raft;
use crate::storage::{open_env, EnvKind};

use super::Error;

/// How long a log purge waits for the state machine to apply (or install a snapshot) up to
/// the purge point before it fails.
const PURGE_WAIT: std::time::Duration = std::time::Duration::from_secs(120);

/// Raft log entries kept after a snapshot so that a slightly lagging follower catches up from
/// the log rather than by a snapshot (etcd 3.4's `snapshotCatchUpEntries`).
const SNAPSHOT_CATCHUP_ENTRIES: u64 = 5000;

/// What bootstrap hands to the server.
pub(super) struct Booted {
    pub raft: Raft,
    pub store: Arc<StateStore>,
    pub member_id: u64,
    pub cluster_id: u64,
    /// `(term, last log index)` when this member restarted as the leader of its saved,
    /// committed vote (see [`super::EtcdServer::local_read_index`]).
    pub restored_leadership: Option<(u64, u64)>,
}

/// Groups `--initial-cluster` (or the discovered cluster) by member name: name → peer URLs
/// (in flag order).
fn initial_members(initial_cluster: &[(String, url::Url)]) -> BTreeMap<String, Vec<String>> {
    let mut by_name: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, url) in initial_cluster {
        by_name
            .entry(name.clone())
            .or_default()
            .push(url_string(url));
    }
    by_name
}

pub(super) async fn bootstrap(cfg: &ServerConfig, peers: &PeerTransport) -> Result<Booted, Error> {
    super::etcd_data_dir::convert_in_place_if_etcd(cfg)?;
    let wal_env = open_env(&cfg.wal_dir(), EnvKind::Wal)?;
    let log_store = LogStore::open(wal_env)?;
    let store =
        StateStore::open_with(cfg.backend_dir(), cfg.auth_token_ttl).map_err(Error::Mvcc)?;
    store.set_warning_apply_duration(cfg.knobs.warning_apply_duration);

    let identity = log_store.identity()?;
    let fresh = identity.is_none();
    let (cluster_id, member_id, members) = match identity {
        Some((cid, mid)) => {
            if cfg.discovery.is_some() {
                tracing::warn!(
                    "discovery token ignored since a cluster has already been initialized. Valid log found at {:?}",
                    cfg.wal_dir().display().to_string()
                );
            }
            if cfg.discovery_v3.is_some() {
                // etcd 3.6's bootstrapClusterWithWAL.
                tracing::warn!(
                    wal_dir = %cfg.wal_dir().display(),
                    "discovery token is ignored since cluster already initialized; valid logs are found"
                );
            }
            tracing::info!(
                data_dir = %cfg.data_dir.display(),
                "initial cluster flags ignored: data dir already initialized; restarting member"
            );
            if cfg.force_new_cluster {
                let new_self = Member {
                    name: cfg.name.clone(),
                    peer_urls: cfg
                        .initial_advertise_peer_urls
                        .iter()
                        .map(url_string)
                        .collect(),
                    client_urls: cfg.advertise_client_urls.iter().map(url_string).collect(),
                };
                force_new_cluster(&log_store, &store, cid, mid, &new_self)?;
            }
            (cid, mid, BTreeMap::new())
        }
        None => {
            if cfg.initial_cluster_state == ClusterState::Existing {
                let (cluster_id, member_id) = join_existing(cfg, &peers.dialer).await?;
                (cluster_id, member_id, BTreeMap::new())
            } else {
                let discovered;
                let initial: &[(String, url::Url)] = match (&cfg.discovery, &cfg.discovery_v3) {
                    (Some(d), _) => {
                        discovered = discover(cfg, d).await?;
                        &discovered
                    }
                    (None, Some(d)) => {
                        discovered = discover_v3(cfg, d).await?;
                        &discovered
                    }
                    (None, None) => &cfg.initial_cluster,
                };
                let by_name = initial_members(initial);
                let Some(my_urls) = by_name.get(&cfg.name) else {
                    return Err(Error::Bootstrap(format!(
                        "couldn't find local name {:?} in the initial cluster configuration",
                        cfg.name
                    )));
                };
                let mut mine: Vec<String> = my_urls.clone();
                mine.sort();
                let mut adv: Vec<String> = cfg
                    .initial_advertise_peer_urls
                    .iter()
                    .map(url_string)
                    .collect();
                adv.sort();
                // With --discovery-srv the own entry was matched by resolved address (the SRV
                // target may be a name where the flag has an IP), as etcd's URLStringsEqual.
                if mine != adv && cfg.discovery_srv.is_none() {
                    return Err(Error::Bootstrap(format!(
                    "--initial-cluster has {}={} but missing from --initial-advertise-peer-urls={} (resolved urls: \"{}\" != \"{}\")",
                    cfg.name,
                    my_urls.join(","),
                    adv.join(","),
                    adv.join(","),
                    mine.join(",")
                )));
                }
                let mut members = BTreeMap::new();
                for (name, urls) in &by_name {
                    let id = compute_member_id(urls, &cfg.initial_cluster_token);
                    let client_urls = if *name == cfg.name {
                        cfg.advertise_client_urls.iter().map(url_string).collect()
                    } else {
                        Vec::new()
                    };
                    members.insert(
                        id,
                        Member {
                            name: name.clone(),
                            peer_urls: urls.clone(),
                            client_urls,
                        },
                    );
                }
                let ids: Vec<u64> = members.keys().copied().collect();
                let cluster_id = compute_cluster_id(&ids);
                let member_id = compute_member_id(my_urls, &cfg.initial_cluster_token);
                (cluster_id, member_id, members)
            }
        }
    };

    let raft_config = openraft::Config {
        cluster_name: cfg.initial_cluster_token.clone(),
        heartbeat_interval: cfg.heartbeat_interval.as_millis() as u64,
        // openraft waits `leader lease (= max) + random(min..max)` after the last heartbeat
        // before campaigning; min = E/2, max = E gives 1.5E..2E, close to etcd's randomized
        // [E, 2E) election timeout.
        election_timeout_min: (cfg.election_timeout.as_millis() as u64 / 2)
            .max(cfg.heartbeat_interval.as_millis() as u64 + 1),
        election_timeout_max: cfg.election_timeout.as_millis() as u64,
        snapshot_policy: openraft::SnapshotPolicy::LogsSinceLast(cfg.snapshot_count.max(1)),
        max_in_snapshot_log_to_keep: SNAPSHOT_CATCHUP_ENTRIES,
        ..Default::default()
    };
    #[cfg(feature = "failpoints")]
    let raft_config = openraft::Config {
        max_in_snapshot_log_to_keep: crate::failpoints::snapshot_catchup_entries()
            .unwrap_or(SNAPSHOT_CATCHUP_ENTRIES),
        ..raft_config
    };
    let raft_config = Arc::new(
        raft_config
            .validate()
            .map_err(|e| Error::Bootstrap(e.to_string()))?,
    );
    let sm = StateMachine::new(store.clone());
    {
        let store = store.clone();
        log_store.set_before_purge(std::sync::Arc::new(move |upto| {
            crate::raft::state_machine::durable_applied_at_least(&store, upto, PURGE_WAIT)
        }));
    }
    // openraft 0.9 restores a leader whose committed vote names itself without an election
    // and without a new blank entry; its read index is then the commit index it restarted
    // with (the applied one), which a power loss can set below entries already acknowledged.
    let restored_leadership = {
        use openraft::storage::RaftLogStorage;
        let mut ls = log_store.clone();
        let vote = ls
            .read_vote()
            .await
            .map_err(|e| Error::Internal(e.to_string()))?;
        let last = ls
            .get_log_state()
            .await
            .map_err(|e| Error::Internal(e.to_string()))?
            .last_log_id;
        match (vote, last) {
            (Some(v), Some(last))
                if v.is_committed() && v.leader_id().voted_for() == Some(member_id) =>
            {
                Some((v.leader_id().get_term(), last.index))
            }
            _ => None,
        }
    };
    let raft = Raft::new(
        member_id,
        raft_config,
        Network {
            cluster_id,
            member_id,
            transport: peers.clone(),
        },
        log_store.clone(),
        sm,
    )
    .await
    .map_err(|e| Error::Internal(e.to_string()))?;

    if fresh && cfg.initial_cluster_state == ClusterState::Existing {
        // Joining: the leader already lists us; it will replicate the log (or a snapshot).
        log_store.save_identity(cluster_id, member_id).await?;
        tracing::info!(member_id = %format!("{member_id:x}"), cluster_id = %format!("{cluster_id:x}"), "joining existing cluster");
    } else if fresh {
        tracing::info!(member_id = %format!("{member_id:x}"), cluster_id = %format!("{cluster_id:x}"), "starting member in a new cluster");
        // Initialize first, then record the identity: a crash in between re-runs this
        // branch, and an "already initialized" refusal is then expected and harmless.
        match raft.initialize(members).await {
            Ok(()) => {}
            Err(openraft::error::RaftError::APIError(
                openraft::error::InitializeError::NotAllowed(_),
            )) => {}
            Err(e) => return Err(Error::Internal(e.to_string())),
        }
        log_store.save_identity(cluster_id, member_id).await?;
    } else {
        tracing::info!(member_id = %format!("{member_id:x}"), cluster_id = %format!("{cluster_id:x}"), "restarting member");
        check_not_removed(&raft, cluster_id, member_id, peers).await;
    }
    Ok(Booted {
        raft,
        store,
        member_id,
        cluster_id,
        restored_leadership,
    })
}

/// This member's ID before discovery and its registration value: the ID derives from the
/// advertised peer URLs and the cluster token (the discovery URL or token); the value is
/// `name=url` pairs, sorted (Go's `types.URLsMap.String()`).
fn registration(cfg: &ServerConfig) -> (u64, String) {
    let my_urls: Vec<String> = cfg
        .initial_advertise_peer_urls
        .iter()
        .map(url_string)
        .collect();
    let id = compute_member_id(&my_urls, &cfg.initial_cluster_token);
    let mut pairs: Vec<String> = my_urls
        .iter()
        .map(|u| format!("{}={u}", cfg.name))
        .collect();
    pairs.sort();
    (id, pairs.join(","))
}

/// The discovered cluster, refused when two members share a peer URL (etcd's
/// `CheckDuplicateURL` after discovery).
///
/// # Errors
/// [`Error::Bootstrap`] `discovery cluster ... has duplicate url`.
fn check_discovered(cluster: Vec<(String, url::Url)>) -> Result<Vec<(String, url::Url)>, Error> {
    if crate::discovery::v2::duplicate_url(&cluster) {
        let mut all: Vec<String> = cluster
            .iter()
            .map(|(n, u)| format!("{n}={}", url_string(u)))
            .collect();
        all.sort();
        return Err(Error::Bootstrap(format!(
            "discovery cluster {} has duplicate url",
            all.join(",")
        )));
    }
    Ok(cluster)
}

/// etcd's v2 discovery for a new member: registers `name=peerURL,...` under this member's ID
/// (derived from its advertised peer URLs and the discovery URL, the cluster token) and waits
/// for the whole cluster (`etcdserver.NewServer`'s `ShouldDiscover` branch).
///
/// # Errors
/// [`Error::Discovery`] for protocol failures (the CLI prints etcd's advice for each),
/// [`Error::Bootstrap`] `discovery cluster ... has duplicate url`.
async fn discover(
    cfg: &ServerConfig,
    d: &crate::config::DiscoveryConfig,
) -> Result<Vec<(String, url::Url)>, Error> {
    use crate::discovery::v2::{Discovery, DiscoveryError};
    let (id, contents) = registration(cfg);
    let mut session = Discovery::new(&d.url, &d.proxy, id).map_err(Error::Discovery)?;
    let joined = session
        .join_cluster(&contents)
        .await
        .map_err(Error::Discovery)?;
    let cluster = crate::config::parse_initial_cluster(&joined)
        .map_err(|_| Error::Discovery(DiscoveryError::InvalidUrl))?;
    check_discovered(cluster)
}

/// etcd 3.6's v3 discovery for a new member (`bootstrapNewClusterNoWAL`): registers
/// `name=peerURL,...` under `/_etcd/registry/<token>/members/<member id>` (the ID derived
/// from the advertised peer URLs and the discovery token) and waits for the whole cluster.
///
/// # Errors
/// [`Error::DiscoveryV3`] for protocol failures (size missing or bad, cluster full),
/// [`Error::Bootstrap`] `discovery cluster ... has duplicate url`.
async fn discover_v3(
    cfg: &ServerConfig,
    d: &crate::config::V3DiscoveryConfig,
) -> Result<Vec<(String, url::Url)>, Error> {
    use crate::discovery::v3::{Discovery, DiscoveryError};
    tracing::info!("Bootstrapping cluster using v3 discovery.");
    let (id, contents) = registration(cfg);
    let mut session = Discovery::new(d, id).map_err(Error::DiscoveryV3)?;
    let joined = session
        .join_cluster(&contents)
        .await
        .map_err(Error::DiscoveryV3)?;
    let cluster = crate::config::parse_initial_cluster(&joined)
        .map_err(|_| Error::DiscoveryV3(DiscoveryError::InvalidUrl))?;
    check_discovered(cluster)
}

/// `--force-new-cluster` on an initialized data dir (etcd's `restartAsStandaloneNode`): the
/// log gets a membership entry holding only this member before Raft starts, so it elects
/// itself alone and commits it through the normal apply path; data stays as it is.
fn force_new_cluster(
    log_store: &LogStore,
    store: &StateStore,
    cluster_id: u64,
    member_id: u64,
    new_self: &Member,
) -> Result<(), Error> {
    let (_, applied) = crate::raft::state_machine::applied_state(store)
        .map_err(|e| Error::Internal(e.to_string()))?;
    match log_store
        .force_new_cluster(member_id, &applied, new_self)
        .map_err(|e| Error::Bootstrap(e.to_string()))?
    {
        Some(forced) => {
            let removed: Vec<String> = forced.removed.iter().map(|id| format!("{id:x}")).collect();
            tracing::warn!(
                member_id = %format!("{member_id:x}"),
                cluster_id = %format!("{cluster_id:x}"),
                removed = %removed.join(","),
                index = forced.log_id.index,
                term = forced.log_id.leader_id.term,
                "forcing restart of member as a one-member cluster (--force-new-cluster); add the other members back with member add"
            );
        }
        None => tracing::info!("--force-new-cluster ignored: the data dir holds no raft log"),
    }
    Ok(())
}

/// A restarting member whose own membership no longer lists it may have been removed (a
/// removed leader never hears from its peers again). Asks the other members for their view;
/// when one of the same cluster answers without us, raises etcd's "permanently removed"
/// stop. A member still catching up as a joiner (its partial log predates its addition) is
/// listed by the peers and keeps going.
async fn check_not_removed(raft: &Raft, cluster_id: u64, member_id: u64, peers: &PeerTransport) {
    use crate::pb::peer::leader_client::LeaderClient;
    // The Raft core publishes the membership it loaded shortly after start.
    let loaded = raft
        .wait(Some(std::time::Duration::from_secs(2)))
        .metrics(
            |m| m.membership_config.membership().nodes().next().is_some(),
            "membership loaded",
        )
        .await;
    let Ok(metrics) = loaded else { return };
    let membership = metrics.membership_config.membership().clone();
    if membership.nodes().next().is_none() || membership.get_node(&member_id).is_some() {
        return;
    }
    for (id, node) in membership.nodes() {
        let Ok(channel) = peers.dialer.channel(*id, node) else {
            continue;
        };
        let mut req = tonic::Request::new(crate::pb::peer::ClusterInfoRequest {});
        req.set_timeout(std::time::Duration::from_secs(2));
        let Ok(resp) = LeaderClient::new(channel).cluster_info(req).await else {
            continue;
        };
        let info = resp.into_inner();
        if info.cluster_id == cluster_id && !info.members.iter().any(|m| m.id == member_id) {
            peers.fatal.raise(format!("{MEMBER_REMOVED}. Exiting."));
            return;
        }
    }
}

/// Learns this member's ID and the cluster ID from the running members listed in
/// `--initial-cluster` (etcd's `GetClusterFromRemotePeers` + `ValidateClusterAndAssignIDs`).
async fn join_existing(cfg: &ServerConfig, dialer: &PeerDialer) -> Result<(u64, u64), Error> {
    use crate::pb::peer::leader_client::LeaderClient;
    let mine: std::collections::BTreeSet<String> = cfg
        .initial_advertise_peer_urls
        .iter()
        .map(url_string)
        .collect();
    let wanted = initial_members(&cfg.initial_cluster);
    let mut last_err = String::from("no peer URLs to ask");
    for (_, urls) in wanted.iter() {
        if urls.iter().all(|u| mine.contains(u)) {
            continue;
        }
        for url in urls {
            let Ok(endpoint) = tonic::transport::Endpoint::from_shared(url.clone()) else {
                continue;
            };
            let endpoint = endpoint
                .connect_timeout(std::time::Duration::from_secs(1))
                .timeout(std::time::Duration::from_secs(2));
            let channel = match dialer.connect(endpoint, url).await {
                Ok(c) => c,
                Err(e) => {
                    last_err = format!("{url}: {e}");
                    continue;
                }
            };
            let info = match LeaderClient::new(channel)
                .cluster_info(crate::pb::peer::ClusterInfoRequest {})
                .await
            {
                Ok(r) => r.into_inner(),
                Err(s) => {
                    last_err = format!("{url}: {}", s.message());
                    continue;
                }
            };
            if info.members.len() != wanted.len() {
                return Err(Error::Bootstrap(format!(
                    "error validating peerURLs {{ClusterID:{:x} Members:[{}]}}: member count is unequal",
                    info.cluster_id,
                    info.members.iter().map(|m| format!("&{{ID:{:x} PeerURLs:{:?}}}", m.id, m.peer_ur_ls)).collect::<Vec<_>>().join(" ")
                )));
            }
            let found = info.members.iter().find(|m| {
                let theirs: std::collections::BTreeSet<String> =
                    m.peer_ur_ls.iter().cloned().collect();
                theirs == mine
            });
            return match found {
                Some(m) => Ok((info.cluster_id, m.id)),
                None => Err(Error::Bootstrap(format!(
                    "error validating peerURLs {{ClusterID:{:x}}}: unmatched member while checking PeerURLs ({:?} is not a member)",
                    info.cluster_id, mine
                ))),
            };
        }
    }
    Err(Error::Bootstrap(format!(
        "cannot fetch cluster info from peer urls: could not retrieve cluster information from the given URLs ({last_err})"
    )))
}
