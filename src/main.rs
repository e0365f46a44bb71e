//! The `etcd` multi-call binary: server, `ctl` (etcdctl) and the other tools.
fn main() {
    #[cfg(feature = "failpoints")]
    etcd_oxide::failpoints::setup();
    let code = etcd_oxide::cli::main(std::env::args_os().collect());
    std::process::exit(code);
}
