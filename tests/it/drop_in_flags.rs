//! The server as a drop-in for etcd 3.4's command lines (issue 14): every flag of
//! `/usr/bin/etcd --help` accepted with a non-default value, unknown flags and env shadowing
//! failing as etcd, `--config-file` with etcd's sample YAML, duplicated listen URLs and a
//! `unix://` client URL served to etcdctl.
//!
//! Reproduce a failure: `cargo test --test it drop_in_flags -- --nocapture`.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::harness::{
    etcd_available, etcdctl, free_port, http_get, our_bin, run_with_timeout, skip_unless, Member,
    MemberOpts, Proc, ServerKind,
};

/// Flags set by [`member_cmd`] itself, or needing files (the TLS ones are covered in tls.rs).
const SET_BY_TEST: &[&str] = &[
    "name",
    "data-dir",
    "listen-client-urls",
    "advertise-client-urls",
    "listen-peer-urls",
    "initial-advertise-peer-urls",
    "initial-cluster",
    "config-file",
    "version",
    "help",
    "cert-file",
    "key-file",
    "trusted-ca-file",
    "peer-cert-file",
    "peer-key-file",
    "peer-trusted-ca-file",
    "client-crl-file",
    "peer-crl-file",
];

/// A valid non-default value for each etcd 3.4.23 flag (the not-supported-yet ones get the
/// values accepted as no-ops).
fn value_for(flag: &str, dir: &Path) -> Option<String> {
    let v = match flag {
        "wal-dir" => dir.join("dedicated-wal").display().to_string(),
        "snapshot-count" => "5000".into(),
        "heartbeat-interval" => "50".into(),
        "election-timeout" => "600".into(),
        "initial-election-tick-advance" => "false".into(),
        "quota-backend-bytes" => "4294967296".into(),
        "max-txn-ops" => "256".into(),
        "max-request-bytes" => "2097152".into(),
        "max-concurrent-streams" => "1000".into(),
        "grpc-keepalive-min-time" => "10s".into(),
        "grpc-keepalive-interval" => "1h".into(),
        "grpc-keepalive-timeout" => "30s".into(),
        "initial-cluster-state" => "new".into(),
        "initial-cluster-token" => "drop-in-token".into(),
        "pre-vote" => "true".into(),
        "enable-v2" => "false".into(),
        "discovery" | "discovery-proxy" | "discovery-srv" | "discovery-srv-name" => "".into(),
        "discovery-fallback" => "proxy".into(),
        "proxy" => "off".into(),
        "proxy-failure-wait" => "5000".into(),
        "proxy-refresh-interval" => "30000".into(),
        "proxy-dial-timeout" => "1000".into(),
        "proxy-write-timeout" => "5000".into(),
        "proxy-read-timeout" => "0".into(),
        "force-new-cluster" => "false".into(),
        "cors" => "http://example.com:8080".into(),
        "host-whitelist" => "127.0.0.1,localhost".into(),
        "auth-token" => "simple".into(),
        "auth-token-ttl" => "600".into(),
        "bcrypt-cost" => "5".into(),
        "client-cert-auth" => "false".into(),
        "auto-tls" => "true".into(),
        "peer-client-cert-auth" => "false".into(),
        "peer-auto-tls" => "true".into(),
        "self-signed-cert-validity" => "2".into(),
        "cipher-suites" => "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256".into(),
        "tls-min-version" => "TLS1.2".into(),
        "tls-max-version" => "TLS1.3".into(),
        "log-level" => "debug".into(),
        "experimental-initial-corrupt-check" => "true".into(),
        "experimental-corrupt-check-time" => "1h".into(),
        "experimental-enable-v2v3" => "/v2v3/".into(),
        "experimental-backend-bbolt-freelist-type" => "map".into(),
        "experimental-enable-lease-checkpoint" => "true".into(),
        "experimental-compaction-batch-limit" => "500".into(),
        "experimental-watch-progress-notify-interval" => "5s".into(),
        "experimental-warning-apply-duration" => "200ms".into(),
        "strict-reconfig-check" => "false".into(),
        "auto-compaction-mode" => "revision".into(),
        "auto-compaction-retention" => "1000".into(),
        "max-snapshots" => "3".into(),
        "max-wals" => "3".into(),
        "backend-batch-interval" => "50ms".into(),
        "backend-batch-limit" => "100".into(),
        "peer-cert-allowed-cn" => "".into(),
        "peer-cert-allowed-hostname" => "".into(),
        "client-cert-allowed-hostname" => "".into(),
        "experimental-peer-skip-client-san-verification" => "true".into(),
        "logger" => "zap".into(),
        "log-outputs" => "stderr".into(),
        "debug" => "false".into(),
        "log-package-levels" => "".into(),
        "enable-pprof" => "true".into(),
        "metrics" => "extensive".into(),
        "listen-metrics-urls" => format!("http://127.0.0.1:{}", free_port()),
        _ => return None,
    };
    Some(v)
}

/// Our binary in `dir` (its working directory: `unix://` sockets land there) with `args`,
/// no inherited `ETCD_*` variables and the given ones.
fn member_cmd(dir: &Path, args: &[String], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_etcd"));
    for (k, _) in std::env::vars() {
        if k.starts_with("ETCD_") {
            cmd.env_remove(k);
        }
    }
    cmd.current_dir(dir).args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// The URL flags of a one-member cluster on fresh loopback ports: (args, client port).
fn url_args(name: &str, dir: &Path) -> (Vec<String>, u16) {
    let c = free_port();
    let p = free_port();
    (
        vec![
            format!("--name={name}"),
            format!("--data-dir={}", dir.join("data").display()),
            format!("--listen-client-urls=http://127.0.0.1:{c}"),
            format!("--advertise-client-urls=http://127.0.0.1:{c}"),
            format!("--listen-peer-urls=http://127.0.0.1:{p}"),
            format!("--initial-advertise-peer-urls=http://127.0.0.1:{p}"),
            format!("--initial-cluster={name}=http://127.0.0.1:{p}"),
        ],
        c,
    )
}

/// Waits (≤ 20 s) until `/health` on the client port answers 200; panics with stderr.
fn wait_health(proc: &mut Proc, port: u16) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok((200, body)) = http_get(([127, 0, 0, 1], port).into(), "/health") {
            if body.contains("true") {
                return;
            }
        }
        if proc.exited() || Instant::now() > deadline {
            panic!("member did not become healthy; stderr:\n{}", proc.stderr());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn every_etcd_34_flag_with_a_non_default_value_starts_and_serves() {
    if skip_unless(
        "every_etcd_34_flag_with_a_non_default_value_starts_and_serves",
        etcd_available(),
        "/usr/bin/etcd (its --help is the flag list)",
    ) {
        return;
    }
    let help = run_with_timeout(
        {
            let mut c = Command::new("/usr/bin/etcd");
            c.arg("--help");
            c
        },
        None,
        Duration::from_secs(10),
    );
    let help = format!(
        "{}{}",
        String::from_utf8_lossy(&help.stdout),
        String::from_utf8_lossy(&help.stderr)
    );
    let ours = our_bin(&["--help"], Duration::from_secs(10));
    let ours = String::from_utf8_lossy(&ours.stdout).into_owned();
    let mut flags: Vec<String> = help
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("--"))
        .filter_map(|l| l.split([' ', '\'']).next())
        .map(str::to_string)
        .collect();
    flags.sort();
    flags.dedup();
    assert!(
        flags.len() >= 70,
        "parsed too few flags from etcd --help: {flags:?}"
    );
    let unlisted: Vec<&String> = flags
        .iter()
        .filter(|f| !ours.contains(&format!("--{f}")))
        .collect();
    assert!(
        unlisted.is_empty(),
        "etcd flags missing from our --help: {unlisted:?}"
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let (mut args, port) = url_args("every", dir.path());
    let mut missing = Vec::new();
    for f in &flags {
        if SET_BY_TEST.contains(&f.as_str()) {
            continue;
        }
        match value_for(f, dir.path()) {
            Some(v) => args.push(format!("--{f}={v}")),
            None => missing.push(f.clone()),
        }
    }
    assert!(
        missing.is_empty(),
        "no test value for etcd flags {missing:?}"
    );
    let mut m = Proc::spawn(member_cmd(dir.path(), &args, &[]), false);
    wait_health(&mut m, port);
    assert!(
        dir.path().join("dedicated-wal").is_dir(),
        "--wal-dir was not used; stderr:\n{}",
        m.stderr()
    );
    // --host-whitelist lists 127.0.0.1, the Host the harness sends: still served.
    let (code, _) = http_get(([127, 0, 0, 1], port).into(), "/health").expect("GET /health");
    assert_eq!(code, 200);
}

#[test]
fn unknown_flag_fails_as_etcd() {
    let out = our_bin(&["--bogus"], Duration::from_secs(10));
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim(), "flag provided but not defined: -bogus");
    let out = our_bin(&["stray"], Duration::from_secs(10));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "error verifying flags, 'stray' is not a valid flag. See 'etcd --help'."
    );
}

#[test]
fn invalid_proxy_flags_fail_clearly() {
    // `--proxy on|readonly` and the `--proxy-*` timings are supported (tests/it/v2_proxy.rs);
    // values etcd refuses fail with one line.
    for (bad, flag) in [
        ("--proxy=bogus", "proxy"),
        ("--proxy-dial-timeout=5s", "proxy-dial-timeout"),
    ] {
        let out = our_bin(&[bad], Duration::from_secs(10));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{bad}: {err}");
        assert!(err.contains(flag), "{bad}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{bad}: {err}");
    }
}

#[test]
fn env_is_used_logged_and_shadowing_is_fatal() {
    let dir = tempfile::tempdir().expect("temp dir");
    // A flag given both ways: etcd 3.4 stops with its fatal line, exit 1.
    let out = run_with_timeout(
        member_cmd(dir.path(), &["--name=a".to_string()], &[("ETCD_NAME", "b")]),
        None,
        Duration::from_secs(10),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains(
        "conflicting environment variable \"ETCD_NAME\" is shadowed by corresponding command-line flag"
    ));
    // Env only (an env file): used and logged; an unknown ETCD_* is warned about.
    let (args, port) = url_args("envname", dir.path());
    let args: Vec<String> = args
        .into_iter()
        .filter(|a| !a.starts_with("--name="))
        .collect();
    let mut m = Proc::spawn(
        member_cmd(
            dir.path(),
            &args,
            &[("ETCD_NAME", "envname"), ("ETCD_NO_SUCH_THING", "1")],
        ),
        false,
    );
    wait_health(&mut m, port);
    let err = m.stderr();
    assert!(
        err.contains("recognized and used environment variable ETCD_NAME=envname"),
        "{err}"
    );
    assert!(
        err.contains("unrecognized environment variable ETCD_NO_SUCH_THING=1"),
        "{err}"
    );
}

/// etcd 3.4.23's `etcd.conf.yml.sample` (ports and dirs substituted; `enable-v2: true` as in
/// the sample).
const SAMPLE_34: &str = r#"# This is the configuration file for the etcd server.
name: 'default'
data-dir: DATA_DIR
wal-dir:
snapshot-count: 10000
heartbeat-interval: 100
election-timeout: 1000
quota-backend-bytes: 0
listen-peer-urls: http://localhost:PEER
listen-client-urls: http://localhost:CLIENT
max-snapshots: 5
max-wals: 5
cors:
initial-advertise-peer-urls: http://localhost:PEER
advertise-client-urls: http://localhost:CLIENT
discovery:
discovery-fallback: 'proxy'
discovery-proxy:
discovery-srv:
initial-cluster:
initial-cluster-token: 'etcd-cluster'
initial-cluster-state: 'new'
strict-reconfig-check: false
enable-v2: true
enable-pprof: true
proxy: 'off'
proxy-failure-wait: 5000
proxy-refresh-interval: 30000
proxy-dial-timeout: 1000
proxy-write-timeout: 5000
proxy-read-timeout: 0
client-transport-security:
  cert-file:
  key-file:
  client-cert-auth: false
  trusted-ca-file:
  auto-tls: false
peer-transport-security:
  cert-file:
  key-file:
  client-cert-auth: false
  trusted-ca-file:
  auto-tls: false
debug: false
log-package-levels:
log-outputs: [default]
force-new-cluster: false
"#;

#[test]
fn config_file_sample_starts_and_ignores_flags_and_env() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (c, p) = (free_port(), free_port());
    let text = SAMPLE_34
        .replace("DATA_DIR", &dir.path().join("data").display().to_string())
        .replace("CLIENT", &c.to_string())
        .replace("PEER", &p.to_string());
    let path = dir.path().join("etcd.conf.yml");
    std::fs::write(&path, &text).expect("write sample");
    let file_arg = format!("--config-file={}", path.display());
    // Verbatim (its enable-v2: true serves the v2 API). Other flags and env are ignored (a bad
    // --heartbeat-interval and ETCD_NAME change nothing).
    let mut m = Proc::spawn(
        member_cmd(
            dir.path(),
            &[file_arg, "--heartbeat-interval=1".to_string()],
            &[("ETCD_NAME", "ignored")],
        ),
        false,
    );
    wait_health(&mut m, c);
    assert!(m.stderr().contains("Loading server configuration from"));
    let addr: std::net::SocketAddr = format!("127.0.0.1:{c}").parse().expect("addr");
    let (status, body) = crate::harness::http_get(addr, "/v2/keys/").expect("GET /v2/keys/");
    assert_eq!(status, 200, "{body}");
}

#[test]
fn duplicated_client_urls_and_a_unix_socket_serve_etcdctl() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (mut args, port) = url_args("dup", dir.path());
    let sock = format!("unix://it-sock:{port}");
    args[2] =
        format!("--listen-client-urls=http://127.0.0.1:{port},http://127.0.0.1:{port},{sock}");
    let mut m = Proc::spawn(member_cmd(dir.path(), &args, &[]), false);
    wait_health(&mut m, port);
    if !etcd_available() {
        return;
    }
    let mut put = Command::new("/usr/bin/etcdctl");
    put.current_dir(dir.path()).env("ETCDCTL_API", "3").args([
        "--endpoints",
        &sock,
        "put",
        "k",
        "over-unix",
    ]);
    let out = run_with_timeout(put, None, Duration::from_secs(10));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut get = Command::new("/usr/bin/etcdctl");
    get.current_dir(dir.path()).env("ETCDCTL_API", "3").args([
        "--endpoints",
        &sock,
        "get",
        "k",
        "--print-value-only",
    ]);
    let out = run_with_timeout(get, None, Duration::from_secs(10));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "over-unix");
}

/// `--listen-client-urls https://127.0.0.1:P,http://127.0.0.1:P`: etcd 3.4 serves both on one
/// socket (its cmux tells a TLS handshake from plaintext). On both servers the official
/// etcdctl over TLS and a plain HTTP `/health` reach the member through port P. Ours also
/// serves the official etcdctl over plaintext gRPC there; etcd 3.4.23 does so only at times
/// (its plaintext gRPC on a mixed port sometimes times out with `context deadline
/// exceeded`). Before, ours failed to start with `address already in use`.
#[test]
fn same_port_serves_tls_and_plaintext_clients() {
    let dir = tempfile::tempdir().expect("tempdir");
    crate::harness::certs_init(dir.path(), "127.0.0.1", "mixed", None);
    let cert = |f: &str| crate::harness::cert_path(dir.path(), f);
    let mut kinds = vec![ServerKind::Ours];
    if crate::harness::interop_or_skip("same_port_serves_tls_and_plaintext_clients (real etcd)") {
        kinds.push(ServerKind::Etcd);
    }
    for kind in kinds {
        let client = free_port();
        let m = Member::start(
            kind,
            MemberOpts {
                https: true,
                ports: Some((client, free_port())),
                extra_client_urls: vec![format!("http://127.0.0.1:{client}")],
                extra_args: vec![
                    format!("--cert-file={}", cert("server.pem")),
                    format!("--key-file={}", cert("server-key.pem")),
                    "--peer-auto-tls".into(),
                ],
                ..MemberOpts::named("mixed")
            },
        );
        let https = format!("https://127.0.0.1:{client}");
        let http = format!("http://127.0.0.1:{client}");
        let cacert = format!("--cacert={}", cert("ca.pem"));
        let put = etcdctl(&https, &[&cacert, "put", "k", "over-tls"], None);
        assert!(put.status.success(), "{kind:?} put over TLS: {put:?}");
        let (code, body) = http_get(m.client_addr(), "/health").expect("plain GET /health");
        assert_eq!(code, 200, "{kind:?}: {body}");
        let log = m.stderr();
        assert!(
            log.contains(&format!(
                "serving insecure client requests on 127.0.0.1:{client}"
            )) && log.contains(&format!("serving client requests on 127.0.0.1:{client}")),
            "{kind:?}: {log}"
        );
        let plain = |args: &[&str]| {
            let mut a = vec!["--dial-timeout=2s", "--command-timeout=3s"];
            a.extend_from_slice(args);
            etcdctl(&http, &a, None)
        };
        if kind == ServerKind::Etcd {
            // etcd 3.4.23's cmux sometimes serves plaintext gRPC on a mixed port and sometimes
            // lets it time out (both seen): either is etcd's behaviour, a wrong value is not.
            let get = plain(&["get", "k", "--print-value-only"]);
            if get.status.success() {
                assert_eq!(String::from_utf8_lossy(&get.stdout).trim(), "over-tls");
            } else {
                assert!(
                    String::from_utf8_lossy(&get.stderr).contains("context deadline exceeded"),
                    "etcd 3.4.23 plaintext gRPC on a mixed port: {get:?}"
                );
            }
            continue;
        }
        let get = plain(&["get", "k", "--print-value-only"]);
        assert!(get.status.success(), "get over plaintext: {get:?}");
        assert_eq!(String::from_utf8_lossy(&get.stdout).trim(), "over-tls");
        let put = plain(&["put", "k", "plain"]);
        assert!(put.status.success(), "put over plaintext: {put:?}");
        let get = etcdctl(&https, &[&cacert, "get", "k", "--print-value-only"], None);
        assert!(get.status.success(), "get over TLS: {get:?}");
        assert_eq!(String::from_utf8_lossy(&get.stdout).trim(), "plain");
    }
}
