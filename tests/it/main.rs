//! The one integration-test binary (`cargo test --test it`): every test runs the real `etcd`
//! executable (and, where installed, the official etcd 3.4 server and etcdctl) as child
//! processes on free 127.0.0.1 ports. See `harness` for the guarantees (bounded waits, kill on
//! Drop, stderr in failures) and the `ETCD_INTEROP_REQUIRED` skip rule.

mod differ;
mod harness;

mod admin_rpcs;
mod auth;
mod bad_input;
mod benchmark;
mod certs;
mod check_datascale;
mod clock_skew;
mod cluster;
mod crash;
mod ctl;
mod ctl_member;
mod ctl_v2;
mod ctl_vs_etcd;
mod differential;
mod disaster_recovery;
mod discovery;
mod discovery_v3;
mod disk_faults;
mod dns_srv;
mod drop_in_flags;
mod env_bad_value;
mod etcd_answers;
mod etcd_formats;
mod etcd_snapshot;
mod faults;
mod gateway;
mod grpc_proxy;
mod grpc_proxy_full;
mod host_whitelist;
mod json_gateway;
mod large_range;
mod lease_quorum;
mod linearizability;
mod lock_election;
mod maintenance;
mod metrics_families;
mod migrate;
mod observability;
mod peer_tls_checks;
mod powerloss;
mod reconfig;
mod robustness;
mod server_flag_effects;
mod server_flags;
mod start_in_place;
mod tls;
mod v2_keys;
mod v2_proxy;
mod v3_api;
