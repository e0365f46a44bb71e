//! The edge: every personality of the multi-call binary. `anyhow` is allowed only here.
//!
//! Dispatch: the basename of argv[0] (`etcdctl` → ctl, `etcdutl` → util, `cfssl` → certs, `benchmark`), else argv[1]
//! (`ctl`, `util`, `certs`, `benchmark`, `gateway`, `grpc-proxy`, `server`, `completion`), else the server with etcd's flat flags.

pub mod benchmark;
pub mod certs;
pub mod completion;
pub mod ctl;
pub mod gateway;
pub mod grpc_proxy;
pub(crate) mod progress;
pub mod server;
pub mod util;

use std::ffi::OsString;
use std::path::Path;

/// The multi-threaded tokio runtime of a long-running personality (server, gateway, grpc-proxy,
/// benchmark). Errors: the `std::io::Error` of a refused thread or I/O driver.
pub(crate) fn multi_thread_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
}

/// [`multi_thread_runtime`] for the personalities that return an exit code: on error, prints
/// `failed to start runtime: <error>` to stderr and gives exit code 1 as `Err`.
pub(crate) fn multi_thread_runtime_or_exit() -> Result<tokio::runtime::Runtime, i32> {
    multi_thread_runtime().map_err(|e| {
        eprintln!("failed to start runtime: {e}");
        1
    })
}

/// Runs the personality chosen by argv and returns the process exit code.
pub fn main(args: Vec<OsString>) -> i32 {
    let argv0 = args
        .first()
        .and_then(|a| Path::new(a).file_name())
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    if argv0 == "etcdctl" {
        return ctl::run(args.into_iter().skip(1).collect());
    }
    if argv0 == "etcdutl" {
        return util::run(args.into_iter().skip(1).collect());
    }
    if argv0 == "benchmark" {
        return benchmark::run(args.into_iter().skip(1).collect());
    }
    if argv0 == "cfssl" {
        return certs::run(args.into_iter().skip(1).collect());
    }
    match args.get(1).and_then(|a| a.to_str()) {
        Some("benchmark") => benchmark::run(args.into_iter().skip(2).collect()),
        Some("ctl") => ctl::run(args.into_iter().skip(2).collect()),
        Some("gateway") => gateway::run(args.into_iter().skip(2).collect()),
        Some("grpc-proxy") => grpc_proxy::run(args.into_iter().skip(2).collect()),
        Some("certs") => certs::run(args.into_iter().skip(2).collect()),
        Some("util") => util::run(args.into_iter().skip(2).collect()),
        Some("completion") => completion::main(args.into_iter().skip(2).collect()),
        Some("server") => {
            let mut rest = vec![args[0].clone()];
            rest.extend(args.into_iter().skip(2));
            server::main(rest)
        }
        _ => server::main(args),
    }
}
