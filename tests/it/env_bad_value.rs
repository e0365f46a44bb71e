//! `ETCD_*` values that do not parse as their flag's type: etcd 3.4.23 names the variable,
//! not the flag (`error verifying flags, invalid value "abc" for ETCD_HEARTBEAT_INTERVAL:
//! parse error. See 'etcd --help'.`, exit code 1), and `ETCD_VERSION` is a recognized
//! variable (a Go bool that prints nothing). Checked against the real etcd when installed.

use std::process::Command;
use std::time::Duration;

use crate::harness::{etcd_available, run_with_timeout, Member, MemberOpts, ServerKind, ETCD_BIN};

/// Runs `bin` with only `env` among the `ETCD_*` variables and a fresh data dir; returns
/// (exit code, stderr without capnslog's timestamp/level/package prefixes).
fn run(bin: &str, env: &[(&str, &str)], timeout: Duration) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cmd = Command::new(bin);
    for (k, _) in std::env::vars() {
        if k.starts_with("ETCD") {
            cmd.env_remove(k);
        }
    }
    cmd.envs(env.iter().copied())
        .arg(format!("--data-dir={}", dir.path().join("d").display()))
        .arg("--listen-client-urls=http://127.0.0.1:0")
        .arg("--advertise-client-urls=http://127.0.0.1:0")
        .arg("--listen-peer-urls=http://127.0.0.1:0");
    let out = run_with_timeout(cmd, None, timeout);
    let err = String::from_utf8_lossy(&out.stderr)
        .lines()
        .map(|l| match l.find(" | ") {
            Some(i) if l.starts_with("20") => {
                let rest = &l[i + 3..];
                rest.split_once(": ").map_or(rest, |(_, m)| m).to_string()
            }
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    (out.status.code(), err)
}

#[test]
fn bad_env_value_names_the_variable_as_etcd() {
    let ours = env!("CARGO_BIN_EXE_etcd");
    let cases = [
        ("ETCD_HEARTBEAT_INTERVAL", "abc"),
        ("ETCD_SNAPSHOT_COUNT", "many"),
        ("ETCD_VERSION", "abc"),
    ];
    for (key, value) in cases {
        let want = format!(
            "error verifying flags, invalid value {value:?} for {key}: parse error. See 'etcd --help'."
        );
        let (code, err) = run(ours, &[(key, value)], Duration::from_secs(20));
        assert_eq!(code, Some(1), "{key}={value}: {err}");
        assert!(
            err.lines().any(|l| l == want),
            "{key}={value}: want {want:?} in:\n{err}"
        );
        assert!(
            !err.contains("for flag -"),
            "{key}={value} names the flag:\n{err}"
        );
        if etcd_available() {
            let (code, theirs) = run(ETCD_BIN, &[(key, value)], Duration::from_secs(20));
            assert_eq!(code, Some(1), "etcd {key}={value}: {theirs}");
            assert!(
                theirs.lines().any(|l| l == want),
                "etcd {key}={value}: want {want:?} in:\n{theirs}"
            );
        }
    }
}

#[test]
fn etcd_version_env_is_recognized_and_prints_no_version() {
    let m = Member::start(
        ServerKind::Ours,
        MemberOpts {
            env: vec![("ETCD_VERSION".into(), "true".into())],
            ..MemberOpts::named("envversion")
        },
    );
    let log = m.stderr();
    assert!(
        log.contains("recognized and used environment variable ETCD_VERSION=true"),
        "{log}"
    );
    assert!(
        !log.contains("unrecognized environment variable ETCD_VERSION"),
        "{log}"
    );
}
