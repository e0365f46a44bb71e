//! DNS SRV discovery (etcd's `pkg/srv`), with hickory-resolver.
//!
//! - Servers (`--discovery-srv <domain>`, `--discovery-srv-name <suffix>`): the initial
//!   cluster is read from `_etcd-server-ssl[-<suffix>]._tcp.<domain>` (`https://` peers) and
//!   `_etcd-server[-<suffix>]._tcp.<domain>` (`http://` peers), one member per SRV record,
//!   `target:port` as its peer URL. The record whose target resolves to the same address as
//!   one of this member's `--initial-advertise-peer-urls` gets this member's name; the others
//!   are named `0`, `1`, ... ([`get_cluster`]).
//! - Clients (etcdctl `--discovery-srv`, the gateway, the gRPC proxy): endpoints from
//!   `_etcd-client-ssl[-<suffix>]._tcp.<domain>` (`https://`) and `_etcd-client[-<suffix>]._tcp`
//!   (`http://`) ([`get_client`]).
//!
//! Difference from etcd 3.4 (documented choice): etcd 3.4's server treats a missing
//! `_etcd-server-ssl` record as fatal even when `_etcd-server` exists (its
//! `GetDNSClusterNames` only keeps the `http` records when their own lookup fails). Here the
//! records that exist are used and the missing ones are logged; only a zone with neither
//! fails, with etcd's `error querying DNS SRV records for _<service> ...` message.
//!
//! Records are ordered by priority, then by descending weight (Go shuffles equal priorities
//! by weight; a fixed order keeps the member names stable).
//!
//! Name servers: the system configuration (`/etc/resolv.conf`). For tests only, the
//! undocumented environment variable `ETCD_OXIDE_TEST_DNS=<ip:port>` replaces it with one
//! UDP name server, so tests can serve a zone on loopback without root.
//!
//! Target host names are resolved with the system resolver (`getaddrinfo`, so `/etc/hosts`
//! counts), as Go's `net.ResolveTCPAddr` does in etcd.

use std::net::SocketAddr;

use hickory_resolver::config::{NameServerConfig, ResolverConfig};
use hickory_resolver::name_server::TokioConnectionProvider;
use hickory_resolver::proto::xfer::Protocol;
use hickory_resolver::TokioResolver;
use url::Url;

/// The test-only name server override (`ip:port`, UDP).
pub const TEST_DNS_ENV: &str = "ETCD_OXIDE_TEST_DNS";

/// SRV discovery failures.
#[derive(Debug, thiserror::Error)]
pub enum SrvError {
    /// The resolver could not be configured (unreadable `/etc/resolv.conf`, bad override).
    #[error("dns resolver: {0}")]
    Resolver(String),
    /// etcd's `GetCluster` failure.
    #[error("error querying DNS SRV records for _{service} {reason}")]
    Cluster {
        /// The service queried (`etcd-server-ssl`).
        service: String,
        /// The lookup or resolution error.
        reason: String,
    },
    /// etcd's `GetClient` failure: both lookups failed.
    #[error("dns lookup errors: {https} and {http}")]
    Client {
        /// The `https` service's error.
        https: String,
        /// The `http` service's error.
        http: String,
    },
    /// An advertised peer URL does not resolve.
    #[error("{0}")]
    Advertise(String),
    /// No record matches this member (etcd's `PeerURLsMapAndToken`).
    #[error("cannot find local etcd member {0:?} in SRV records")]
    LocalMemberMissing(String),
}

/// One SRV record: target (without the trailing dot) and port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Srv {
    /// Target host name, without the trailing dot.
    pub target: String,
    /// Port.
    pub port: u16,
}

/// What client discovery found: endpoint URLs (`https://host:port` / `http://host:port`) and
/// the records they came from, in the same order.
#[derive(Debug, Clone, Default)]
pub struct SrvClients {
    /// Endpoint URLs.
    pub endpoints: Vec<String>,
    /// The SRV records.
    pub srvs: Vec<Srv>,
}

/// etcd's `GetSRVService`: `service[-ssl][-name]`.
pub fn srv_service(service: &str, service_name: &str, scheme: &str) -> String {
    let mut s = service.to_string();
    if scheme == "https" {
        s.push_str("-ssl");
    }
    if !service_name.is_empty() {
        s.push('-');
        s.push_str(service_name);
    }
    s
}

fn resolver() -> Result<TokioResolver, SrvError> {
    if let Ok(addr) = std::env::var(TEST_DNS_ENV) {
        let addr: SocketAddr = addr
            .parse()
            .map_err(|_| SrvError::Resolver(format!("{TEST_DNS_ENV}={addr:?}")))?;
        let mut cfg = ResolverConfig::new();
        cfg.add_name_server(NameServerConfig::new(addr, Protocol::Udp));
        return Ok(
            TokioResolver::builder_with_config(cfg, TokioConnectionProvider::default()).build(),
        );
    }
    Ok(TokioResolver::builder_tokio()
        .map_err(|e| SrvError::Resolver(e.to_string()))?
        .build())
}

/// Go's `net.LookupSRV(service, "tcp", domain)`: `_service._tcp.domain`.
async fn lookup_srv(
    resolver: &TokioResolver,
    service: &str,
    domain: &str,
) -> Result<Vec<Srv>, String> {
    let name = format!("_{service}._tcp.{}.", domain.trim_end_matches('.'));
    let lookup = resolver
        .srv_lookup(name.as_str())
        .await
        .map_err(|e| format!("lookup {}: {e}", name.trim_end_matches('.')))?;
    let mut recs: Vec<(u16, u16, Srv)> = lookup
        .iter()
        .map(|r| {
            (
                r.priority(),
                r.weight(),
                Srv {
                    target: r.target().to_utf8().trim_end_matches('.').to_string(),
                    port: r.port(),
                },
            )
        })
        .collect();
    recs.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    Ok(recs.into_iter().map(|r| r.2).collect())
}

/// Go's `net.ResolveTCPAddr("tcp", host:port)`: the first address, IPv4 preferred.
async fn resolve_tcp(host: &str, port: u16) -> Result<SocketAddr, String> {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((h, port))
        .await
        .map_err(|e| format!("lookup {h}: {e}"))?
        .collect();
    addrs
        .iter()
        .find(|a| a.is_ipv4())
        .or_else(|| addrs.first())
        .copied()
        .ok_or_else(|| format!("lookup {h}: no such host"))
}

/// etcd's `srv.GetCluster`: `name=scheme://target:port` entries from `_service._tcp.domain`,
/// this member's entry found by resolved address among `apurls`.
///
/// # Errors
/// [`SrvError::Cluster`] when the lookup fails or no record is usable;
/// [`SrvError::Advertise`] when an advertised peer URL does not resolve.
async fn get_cluster(
    resolver: &TokioResolver,
    scheme: &str,
    service: &str,
    name: &str,
    domain: &str,
    apurls: &[Url],
) -> Result<Vec<String>, SrvError> {
    let mut tcp2ap: Vec<(SocketAddr, &Url)> = Vec::new();
    for u in apurls {
        let host = u.host_str().unwrap_or_default();
        let port = u.port_or_known_default().unwrap_or(0);
        let a = resolve_tcp(host, port).await.map_err(SrvError::Advertise)?;
        tcp2ap.push((a, u));
    }
    let fail = |reason: String| SrvError::Cluster {
        service: service.to_string(),
        reason,
    };
    let records = lookup_srv(resolver, service, domain).await.map_err(fail)?;
    let mut parts = Vec::new();
    let mut last_err = String::from("no SRV records");
    let mut temp_name = 0u32;
    for srv in records {
        let addr = match resolve_tcp(&srv.target, srv.port).await {
            Ok(a) => a,
            Err(e) => {
                last_err = e;
                continue;
            }
        };
        let mine = tcp2ap.iter().find(|(a, _)| *a == addr).map(|(_, u)| *u);
        let n = match mine {
            Some(_) => name.to_string(),
            None => {
                let n = temp_name.to_string();
                temp_name += 1;
                n
            }
        };
        let host = if srv.target.contains(':') {
            format!("[{}]:{}", srv.target, srv.port)
        } else {
            format!("{}:{}", srv.target, srv.port)
        };
        match mine {
            Some(u) if u.scheme() != scheme => {
                last_err = format!(
                    "bootstrap at {scheme}://{host} from DNS for {service} has scheme mismatch with expected peer {}",
                    crate::config::url_string(u)
                );
            }
            _ => parts.push(format!("{n}={scheme}://{host}")),
        }
    }
    if parts.is_empty() {
        return Err(fail(last_err));
    }
    Ok(parts)
}

/// etcd's `GetDNSClusterNames` for `--discovery-srv`: the `https` and `http` server records
/// combined. A missing record set is logged and skipped (etcd 3.4 fails when the `https`
/// one is missing, see the module doc); an error only when neither yields a member.
///
/// # Errors
/// The `https` lookup's [`SrvError`] when neither record set is usable.
pub async fn get_dns_cluster_names(
    name: &str,
    domain: &str,
    service_name: &str,
    apurls: &[Url],
) -> Result<Vec<String>, SrvError> {
    let resolver = resolver()?;
    let suffix = if service_name.is_empty() {
        String::new()
    } else {
        format!("-{service_name}")
    };
    let ssl_service = format!("etcd-server-ssl{suffix}");
    let http_service = format!("etcd-server{suffix}");
    let ssl = get_cluster(&resolver, "https", &ssl_service, name, domain, apurls).await;
    let http = get_cluster(&resolver, "http", &http_service, name, domain, apurls).await;
    let mut all = Vec::new();
    let mut first_err = None;
    for (service, scheme, r) in [(&ssl_service, "https", ssl), (&http_service, "http", http)] {
        match r {
            Ok(found) => {
                tracing::info!(
                    service_scheme = scheme,
                    service_name = %service,
                    server_name = name,
                    discovery_srv = domain,
                    found_cluster = ?found,
                    "get cluster for {service} SRV"
                );
                all.extend(found);
            }
            Err(e) => {
                tracing::info!(
                    service_scheme = scheme,
                    service_name = %service,
                    discovery_srv = domain,
                    error = %e,
                    "no usable SRV records for {service}; using the other record set"
                );
                first_err.get_or_insert(e);
            }
        }
    }
    match first_err {
        Some(e) if all.is_empty() => Err(e),
        _ => Ok(all),
    }
}

/// etcd's `srv.GetClient`: client endpoints from `_<service>-ssl[-name]._tcp` (`https`) and
/// `_<service>[-name]._tcp` (`http`), `https` first.
///
/// # Errors
/// [`SrvError::Client`] when both lookups fail.
pub async fn get_client(
    service: &str,
    domain: &str,
    service_name: &str,
) -> Result<SrvClients, SrvError> {
    let resolver = resolver()?;
    let mut out = SrvClients::default();
    let mut errs = Vec::new();
    for scheme in ["https", "http"] {
        match lookup_srv(
            &resolver,
            &srv_service(service, service_name, scheme),
            domain,
        )
        .await
        {
            Ok(recs) => {
                for r in recs {
                    let host = if r.target.contains(':') {
                        format!("[{}]", r.target)
                    } else {
                        r.target.clone()
                    };
                    out.endpoints.push(format!("{scheme}://{host}:{}", r.port));
                    out.srvs.push(r);
                }
            }
            Err(e) => errs.push(e),
        }
    }
    if errs.len() == 2 {
        return Err(SrvError::Client {
            https: errs[0].clone(),
            http: errs[1].clone(),
        });
    }
    Ok(out)
}

/// [`get_client`] from synchronous code, even inside a Tokio runtime (a helper thread runs
/// its own runtime): for the CLIs' resolve step.
///
/// # Errors
/// As [`get_client`]; [`SrvError::Resolver`] if the helper runtime cannot start.
pub fn get_client_blocking(
    service: &str,
    domain: &str,
    service_name: &str,
) -> Result<SrvClients, SrvError> {
    let (service, domain, service_name) = (
        service.to_string(),
        domain.to_string(),
        service_name.to_string(),
    );
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| SrvError::Resolver(e.to_string()))?;
        rt.block_on(get_client(&service, &domain, &service_name))
    })
    .join()
    .map_err(|_| SrvError::Resolver("DNS lookup thread panicked".into()))?
}

/// etcd's `etcdmain.discoverEndpoints` for the gateway and the gRPC proxy: the
/// `_etcd-client[-ssl]` endpoints of `domain`; unless `insecure`, only `https://` endpoints
/// whose TLS handshake succeeds with `ca` (or the system roots) and the server name `domain`
/// are kept (etcd's `ValidateSecureEndpoints`; the rejected ones are logged).
///
/// # Errors
/// As [`get_client`] (etcd prints it and exits 1).
pub fn discover_endpoints_blocking(
    domain: &str,
    ca: Option<&std::path::Path>,
    insecure: bool,
    service_name: &str,
) -> Result<SrvClients, SrvError> {
    let srvs = get_client_blocking("etcd-client", domain, service_name)?;
    tracing::info!(srv_server = domain, endpoints = ?srvs.endpoints, "discovered cluster from SRV");
    if insecure {
        return Ok(srvs);
    }
    tracing::info!(srv_server = domain, endpoints = ?srvs.endpoints, "validating discovered SRV endpoints");
    let (domain_s, ca) = (domain.to_string(), ca.map(std::path::Path::to_path_buf));
    let eps = srvs.endpoints.clone();
    let checked: Vec<Result<String, String>> = std::thread::spawn(move || {
        let rt = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(rt) => rt,
            Err(e) => return vec![Err(e.to_string())],
        };
        rt.block_on(async {
            let mut out = Vec::new();
            for ep in eps {
                out.push(
                    validate_secure(&ep, &domain_s, ca.as_deref())
                        .await
                        .map(|()| ep),
                );
            }
            out
        })
    })
    .join()
    .map_err(|_| SrvError::Resolver("endpoint validation thread panicked".into()))?;
    let errs: Vec<&String> = checked.iter().filter_map(|r| r.as_ref().err()).collect();
    if !errs.is_empty() {
        tracing::warn!(srv_server = domain, error = %errs.iter().map(|e| e.as_str()).collect::<Vec<_>>().join(","), "failed to validate discovered endpoints");
    }
    let ok: Vec<&String> = checked.iter().filter_map(|r| r.as_ref().ok()).collect();
    let mut out = SrvClients::default();
    for (ep, srv) in srvs.endpoints.iter().zip(srvs.srvs) {
        if ok.contains(&ep) {
            out.endpoints.push(ep.clone());
            out.srvs.push(srv);
        }
    }
    tracing::info!(srv_server = domain, endpoints = ?out.endpoints, "using validated discovered SRV endpoints");
    Ok(out)
}

/// One endpoint of etcd's `ValidateSecureEndpoints`: `https://` and a TLS handshake (5 s).
async fn validate_secure(
    ep: &str,
    server_name: &str,
    ca: Option<&std::path::Path>,
) -> Result<(), String> {
    let Some(hostport) = ep.strip_prefix("https://") else {
        return Err(format!("{ep:?} is insecure"));
    };
    let dial = async {
        let opts = crate::tls::ClientTlsOptions {
            ca_file: ca.map(std::path::Path::to_path_buf),
            ..Default::default()
        };
        let cfg = crate::tls::client_config(&opts, &crate::tls::TlsParams::default())
            .map_err(|e| e.to_string())?;
        let name = rustls_pki_types::ServerName::try_from(server_name.to_string())
            .map_err(|e| e.to_string())?;
        let tcp = tokio::net::TcpStream::connect(hostport)
            .await
            .map_err(|e| e.to_string())?;
        tokio_rustls::TlsConnector::from(std::sync::Arc::new(cfg))
            .connect(name, tcp)
            .await
            .map_err(|e| e.to_string())?;
        Ok::<(), String>(())
    };
    match tokio::time::timeout(std::time::Duration::from_secs(5), dial).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(format!("{ep:?} failed to dial ({e})")),
        Err(_) => Err(format!("{ep:?} failed to dial (i/o timeout)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_names_follow_etcd() {
        assert_eq!(srv_service("etcd-client", "", "https"), "etcd-client-ssl");
        assert_eq!(srv_service("etcd-client", "", "http"), "etcd-client");
        assert_eq!(
            srv_service("etcd-client", "foo", "https"),
            "etcd-client-ssl-foo"
        );
        assert_eq!(srv_service("etcd-server", "foo", "http"), "etcd-server-foo");
    }

    #[test]
    fn errors_read_as_etcds() {
        let e = SrvError::Cluster {
            service: "etcd-server-ssl".into(),
            reason: "lookup _etcd-server-ssl._tcp.example.com: no records found".into(),
        };
        assert_eq!(
            e.to_string(),
            "error querying DNS SRV records for _etcd-server-ssl lookup _etcd-server-ssl._tcp.example.com: no records found"
        );
        assert_eq!(
            SrvError::LocalMemberMissing("infra0".into()).to_string(),
            "cannot find local etcd member \"infra0\" in SRV records"
        );
    }
}
