//! The `etcd` multi-call binary: server, `ctl` (etcdctl) and the other tools.
fn main() {
    let code = etcd_oxide::cli::main(std::env::args_os().collect());
    std::process::exit(code);
}
