//! The `etcd` multi-call binary (minimal stand-in; the integrator owns this file): runs
//! etcdctl when invoked as `etcdctl` or as `etcd ctl ...`.
use std::ffi::OsString;
use std::path::Path;

fn main() {
    let mut args: Vec<OsString> = std::env::args_os().collect();
    let argv0 = args.first().map(|a| Path::new(a).file_name().map(|f| f.to_os_string()).unwrap_or_default()).unwrap_or_default();
    if argv0 == "etcdctl" {
        args.remove(0);
        std::process::exit(etcd_oxide::cli::ctl::run(args));
    }
    if args.get(1).is_some_and(|a| a == "ctl") {
        args.drain(..2);
        std::process::exit(etcd_oxide::cli::ctl::run(args));
    }
    eprintln!("etcd: server not built into this worktree; use `etcd ctl ...`");
    std::process::exit(2);
}
