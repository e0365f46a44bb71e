//! The single integration-test binary (see STYLE.md); the integrator merges modules here.
mod ctl_vs_etcd;
mod ctl_v3_more;
