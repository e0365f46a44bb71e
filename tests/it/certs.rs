//! `etcd certs`: the cfssl walkthrough of the seed notes (CA, client, server and peer
//! certificates with `ca-config.json` profiles) run verbatim with `etcd certs` for `cfssl` and
//! the built-in `-bare` for `| cfssljson -bare`, checked with `openssl verify` / `openssl x509`,
//! plus the error cases and the official etcd server and etcdctl using our certificates.
//!
//! openssl-dependent checks are skipped with a printed reason when openssl is missing, unless
//! `ETCD_INTEROP_REQUIRED=1`.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::harness::{run_with_timeout, skip_unless, Member, MemberOpts, ServerKind, ETCDCTL_BIN};

/// `ca-config.json` of the seed notes (002): server, client and peer profiles.
const CA_CONFIG: &str = r#"{
    "signing": {
        "default": {
            "expiry": "43800h"
        },
        "profiles": {
            "server": {
                "expiry": "43800h",
                "usages": [
                    "signing",
                    "key encipherment",
                    "server auth",
                    "client auth"
                ]
            },
            "client": {
                "expiry": "43800h",
                "usages": [
                    "signing",
                    "key encipherment",
                    "client auth"
                ]
            },
            "peer": {
                "expiry": "43800h",
                "usages": [
                    "signing",
                    "key encipherment",
                    "server auth",
                    "client auth"
                ]
            }
        }
    }
}"#;

/// `ca-csr.json` of the seed notes (002).
const CA_CSR: &str = r#"{
    "CN": "etcd",
    "key": {
        "algo": "rsa",
        "size": 2048
    }
}"#;

/// `client.json` of the seed notes (002).
const CLIENT_JSON: &str = r#"{
    "CN": "client",
    "key": {
        "algo": "ecdsa",
        "size": 256
    }
}"#;

/// `etcd.json` of the seed notes (002).
const ETCD_JSON: &str = r#"{
    "CN": "etcd",
    "hosts": [
        "127.0.0.1",
        "192.168.255.131",
        "192.168.255.132",
        "192.168.255.133"
    ],
    "key": {
        "algo": "ecdsa",
        "size": 256
    },
    "names": [
        {
            "C": "CN",
            "L": "SH",
            "ST": "SH"
        }
    ]
}"#;

/// `ca-csr.json` of the seed notes (004), with names.
const CA_CSR_004: &str = r#"{
    "CN": "etcd CA",
    "key": {
        "algo": "rsa",
        "size": 2048
    },
    "names": [
        {
            "C": "CN",
            "L": "Shanghai",
            "ST": "Shanghai"
        }
    ]
}"#;

const DEADLINE: Duration = Duration::from_secs(60);

/// Runs `etcd certs ARGS` in `dir` with `stdin`.
fn certs(dir: &Path, args: &[&str], stdin: &str) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_etcd"));
    cmd.arg("certs").args(args).current_dir(dir);
    run_with_timeout(cmd, Some(stdin), DEADLINE)
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let out = certs(dir, args, "");
    assert!(
        out.status.success(),
        "etcd certs {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn openssl_or_skip(test: &str) -> bool {
    let found = Command::new("openssl")
        .arg("version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    skip_unless(
        test,
        found,
        "openssl is not installed (apt-get install openssl)",
    )
}

fn openssl(dir: &Path, args: &[&str]) -> String {
    let mut cmd = Command::new("openssl");
    cmd.args(args).current_dir(dir);
    let out = run_with_timeout(cmd, None, DEADLINE);
    assert!(
        out.status.success(),
        "openssl {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("read_dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn seed_walkthrough_produces_a_chain_openssl_accepts() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    // cfssl print-defaults config > ca-config.json; cfssl print-defaults csr > ca-csr.json
    let defaults = ok(d, &["print-defaults", "config"]);
    assert!(
        defaults.contains("\"profiles\"") && defaults.contains("\"168h\""),
        "{defaults}"
    );
    let csr_defaults = ok(d, &["print-defaults", "csr"]);
    assert!(csr_defaults.contains("\"example.net\""), "{csr_defaults}");
    std::fs::write(d.join("ca-config.json"), CA_CONFIG).expect("write");
    std::fs::write(d.join("ca-csr.json"), CA_CSR).expect("write");
    std::fs::write(d.join("client.json"), CLIENT_JSON).expect("write");
    std::fs::write(d.join("etcd.json"), ETCD_JSON).expect("write");

    // cfssl gencert -initca ca-csr.json | cfssljson -bare ca
    ok(d, &["gencert", "-initca", "ca-csr.json", "-bare", "ca"]);
    // cfssl gencert -ca=ca.pem -ca-key=ca-key.pem -config=ca-config.json -profile=client client.json | cfssljson -bare client
    ok(
        d,
        &[
            "gencert",
            "-ca=ca.pem",
            "-ca-key=ca-key.pem",
            "-config=ca-config.json",
            "-profile=client",
            "client.json",
            "-bare",
            "client",
        ],
    );
    ok(
        d,
        &[
            "gencert",
            "-ca=ca.pem",
            "-ca-key=ca-key.pem",
            "-config=ca-config.json",
            "-profile=server",
            "etcd.json",
            "-bare",
            "server",
        ],
    );
    // --flags and -hostname replacing the hosts
    ok(
        d,
        &[
            "gencert",
            "--ca",
            "ca.pem",
            "--ca-key",
            "ca-key.pem",
            "--config",
            "ca-config.json",
            "--profile",
            "peer",
            "-hostname",
            "etcd1.example.com,10.0.0.1",
            "etcd.json",
            "-bare",
            "peer",
        ],
    );
    for f in [
        "ca.pem",
        "ca-key.pem",
        "ca.csr",
        "client.pem",
        "client-key.pem",
        "client.csr",
        "server.pem",
        "server-key.pem",
        "server.csr",
        "peer.pem",
        "peer-key.pem",
        "peer.csr",
    ] {
        assert!(d.join(f).is_file(), "{f} missing; have {:?}", listing(d));
    }
    #[cfg(unix)]
    for (f, m) in [
        ("ca.pem", 0o644),
        ("ca-key.pem", 0o600),
        ("ca.csr", 0o644),
        ("server-key.pem", 0o600),
        ("client.pem", 0o644),
    ] {
        assert_eq!(mode(&d.join(f)), m, "mode of {f}");
    }
    let key = std::fs::read_to_string(d.join("ca-key.pem")).expect("read");
    assert!(
        key.starts_with("-----BEGIN RSA PRIVATE KEY-----\n"),
        "{key}"
    );
    let key = std::fs::read_to_string(d.join("server-key.pem")).expect("read");
    assert!(key.starts_with("-----BEGIN EC PRIVATE KEY-----\n"), "{key}");

    // JSON on stdout (what cfssljson reads), CSR from standard input.
    let out = certs(
        d,
        &[
            "gencert",
            "-ca=ca.pem",
            "-ca-key=ca-key.pem",
            "-config=ca-config.json",
            "-profile=client",
            "-",
        ],
        CLIENT_JSON,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = String::from_utf8(out.stdout).expect("utf8");
    assert_eq!(line.lines().count(), 1, "one JSON line: {line}");
    let v: serde_json::Value = serde_json::from_str(&line).expect("json");
    let keys: Vec<&String> = v.as_object().expect("object").keys().collect();
    assert_eq!(keys, ["cert", "csr", "key"]);
    assert!(v["cert"]
        .as_str()
        .expect("cert")
        .starts_with("-----BEGIN CERTIFICATE-----\n"));
    assert!(v["csr"]
        .as_str()
        .expect("csr")
        .starts_with("-----BEGIN CERTIFICATE REQUEST-----\n"));
    assert!(v["key"]
        .as_str()
        .expect("key")
        .starts_with("-----BEGIN EC PRIVATE KEY-----\n"));

    // certinfo
    let info: serde_json::Value =
        serde_json::from_str(&ok(d, &["certinfo", "-cert", "server.pem"])).expect("certinfo json");
    assert_eq!(info["subject"]["common_name"], "etcd");
    assert_eq!(info["subject"]["country"], "CN");
    assert_eq!(info["issuer"]["common_name"], "etcd");
    assert_eq!(info["sigalg"], "SHA256WithRSA");
    let sans: Vec<&str> = info["sans"]
        .as_array()
        .expect("sans")
        .iter()
        .filter_map(|s| s.as_str())
        .collect();
    assert!(sans.contains(&"192.168.255.133"), "{sans:?}");
    let ca_info: serde_json::Value =
        serde_json::from_str(&ok(d, &["certinfo", "-cert", "ca.pem"])).expect("json");
    assert_eq!(info["authority_key_id"], ca_info["subject_key_id"]);

    if !openssl_or_skip("seed_walkthrough_produces_a_chain_openssl_accepts") {
        return;
    }
    let verified = openssl(
        d,
        &[
            "verify",
            "-CAfile",
            "ca.pem",
            "server.pem",
            "client.pem",
            "peer.pem",
        ],
    );
    assert!(
        verified.contains("server.pem: OK") && verified.contains("peer.pem: OK"),
        "{verified}"
    );
    let ca_text = openssl(d, &["x509", "-in", "ca.pem", "-text", "-noout"]);
    assert!(ca_text.contains("CA:TRUE"), "{ca_text}");
    assert!(ca_text.contains("Certificate Sign, CRL Sign"), "{ca_text}");
    let server = openssl(d, &["x509", "-in", "server.pem", "-text", "-noout"]);
    for want in [
        "IP Address:127.0.0.1",
        "IP Address:192.168.255.131",
        "IP Address:192.168.255.133",
        "TLS Web Server Authentication, TLS Web Client Authentication",
        "Digital Signature, Key Encipherment",
        "CA:FALSE",
        "Subject: C = CN, ST = SH, L = SH, CN = etcd",
    ] {
        assert!(
            server.contains(want),
            "server.pem lacks {want:?}:\n{server}"
        );
    }
    let peer = openssl(d, &["x509", "-in", "peer.pem", "-text", "-noout"]);
    assert!(
        peer.contains("DNS:etcd1.example.com") && peer.contains("IP Address:10.0.0.1"),
        "{peer}"
    );
    assert!(
        !peer.contains("192.168.255.131"),
        "-hostname replaces hosts:\n{peer}"
    );
    let client = openssl(d, &["x509", "-in", "client.pem", "-text", "-noout"]);
    assert!(
        client.contains("TLS Web Client Authentication") && !client.contains("TLS Web Server"),
        "{client}"
    );
    // Five years for the CA (43800h), as cfssl.
    let dates = openssl(
        d,
        &["x509", "-in", "ca.pem", "-noout", "-startdate", "-enddate"],
    );
    assert!(dates.contains("notAfter"), "{dates}");
    openssl(d, &["req", "-in", "server.csr", "-noout", "-verify"]);
    openssl(d, &["ec", "-in", "server-key.pem", "-check", "-noout"]);
    openssl(d, &["rsa", "-in", "ca-key.pem", "-check", "-noout"]);
}

#[test]
fn seed_004_etcd_profile_and_openssl_made_ca_key() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    let config = r#"{"signing":{"default":{"expiry":"87600h"},"profiles":{"etcd":{"expiry":"87600h","usages":["signing","key encipherment","server auth","client auth"]}}}}"#;
    std::fs::write(d.join("ca-config.json"), config).expect("write");
    std::fs::write(d.join("ca-csr.json"), CA_CSR_004).expect("write");
    std::fs::write(d.join("server-csr.json"), ETCD_JSON).expect("write");
    // JSON output piped the way cfssljson would take it; here we split it ourselves.
    let out = ok(d, &["gencert", "-initca", "ca-csr.json"]);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    std::fs::write(d.join("ca.pem"), v["cert"].as_str().expect("cert")).expect("write");
    std::fs::write(d.join("ca-key.pem"), v["key"].as_str().expect("key")).expect("write");
    ok(
        d,
        &[
            "gencert",
            "-ca=ca.pem",
            "-ca-key=ca-key.pem",
            "-config=ca-config.json",
            "-profile=etcd",
            "server-csr.json",
            "-bare",
            "server",
        ],
    );
    if !openssl_or_skip("seed_004_etcd_profile_and_openssl_made_ca_key") {
        return;
    }
    assert!(openssl(d, &["verify", "-CAfile", "ca.pem", "server.pem"]).contains("OK"));
    // A CA key in PKCS#8 (as openssl writes it) signs too.
    openssl(
        d,
        &[
            "pkcs8",
            "-topk8",
            "-nocrypt",
            "-in",
            "ca-key.pem",
            "-out",
            "ca-key-p8.pem",
        ],
    );
    ok(
        d,
        &[
            "gencert",
            "-ca=ca.pem",
            "-ca-key=ca-key-p8.pem",
            "-config=ca-config.json",
            "-profile=etcd",
            "server-csr.json",
            "-bare",
            "server2",
        ],
    );
    assert!(openssl(d, &["verify", "-CAfile", "ca.pem", "server2.pem"]).contains("OK"));
}

#[test]
fn errors_are_one_line_name_the_culprit_and_write_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    std::fs::write(d.join("ca-config.json"), CA_CONFIG).expect("write");
    std::fs::write(d.join("ca-csr.json"), CA_CSR).expect("write");
    std::fs::write(d.join("etcd.json"), ETCD_JSON).expect("write");
    ok(d, &["gencert", "-initca", "ca-csr.json", "-bare", "ca"]);
    std::fs::write(
        d.join("bad.json"),
        r#"{"CN": "x", "key": {"algo": "rsa", "size": "big"}}"#,
    )
    .expect("write");
    std::fs::write(d.join("broken.json"), r#"{"CN": "x", "#).expect("write");
    std::fs::write(
        d.join("dsa.json"),
        r#"{"CN": "x", "key": {"algo": "dsa", "size": 1024}}"#,
    )
    .expect("write");
    std::fs::write(
        d.join("bad-config.json"),
        r#"{"signing":{"profiles":{"server":{"expiry":"8760h","usages":["signing","server auht"]}}}}"#,
    )
    .expect("write");
    std::fs::write(
        d.join("bad-expiry.json"),
        r#"{"signing":{"profiles":{"server":{"expiry":"365d","usages":["signing"]}}}}"#,
    )
    .expect("write");
    let before = listing(d);
    let sign = |csr: &'static str, config: &'static str, key: &'static str| -> Vec<String> {
        vec![
            "gencert".into(),
            "-ca=ca.pem".into(),
            format!("-ca-key={key}"),
            format!("-config={config}"),
            "-profile=server".into(),
            csr.into(),
            "-bare".into(),
            "out".into(),
        ]
    };
    let cases: Vec<(Vec<String>, &[&str])> = vec![
        (
            sign("bad.json", "ca-config.json", "ca-key.pem"),
            &["bad.json", "key.size"],
        ),
        (
            sign("broken.json", "ca-config.json", "ca-key.pem"),
            &["broken.json"],
        ),
        (
            sign("dsa.json", "ca-config.json", "ca-key.pem"),
            &["dsa.json: key.algo", "\"dsa\""],
        ),
        (
            sign("etcd.json", "bad-config.json", "ca-key.pem"),
            &["bad-config.json", "usages", "server auht"],
        ),
        (
            sign("etcd.json", "bad-expiry.json", "ca-key.pem"),
            &["bad-expiry.json", "expiry", "\"d\""],
        ),
        (
            sign("etcd.json", "ca-config.json", "missing-key.pem"),
            &["missing-key.pem"],
        ),
        (
            sign("etcd.json", "ca-config.json", "ca.csr"),
            &["ca.csr", "private key"],
        ),
        (
            sign("missing.json", "ca-config.json", "ca-key.pem"),
            &["missing.json"],
        ),
        (
            vec![
                "gencert".into(),
                "-initca".into(),
                "dsa.json".into(),
                "-bare".into(),
                "out".into(),
            ],
            &["dsa.json: key.algo"],
        ),
        (
            vec!["gencert".into(), "-bogus".into(), "etcd.json".into()],
            &["--bogus"],
        ),
        (
            vec![
                "gencert".into(),
                "-ca=ca.pem".into(),
                "-ca-key=ca-key.pem".into(),
                "-config=ca-config.json".into(),
                "-profile=nope".into(),
                "etcd.json".into(),
            ],
            &["nope"],
        ),
    ];
    for (args, wants) in cases {
        let args_ref: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = certs(d, &args_ref, "");
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(
            out.stdout.is_empty(),
            "{args:?} printed {:?}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert_eq!(err.lines().count(), 1, "{args:?}: one line expected: {err}");
        assert!(err.starts_with("Error: "), "{args:?}: {err}");
        for w in wants {
            assert!(err.contains(w), "{args:?}: {err:?} does not name {w:?}");
        }
        assert_eq!(listing(d), before, "{args:?} left files behind");
    }
}

#[test]
fn init_writes_a_cluster_set_the_real_etcd_accepts() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    let pki = d.join("pki");
    let out = ok(
        d,
        &[
            "init",
            "--hosts",
            "127.0.0.1,etcd.local",
            "--members",
            "infra0,infra1,infra2",
            "--dir",
            "pki",
        ],
    );
    assert!(out.contains("ca.pem"), "{out}");
    for f in [
        "ca.pem",
        "ca-key.pem",
        "server.pem",
        "server-key.pem",
        "peer-infra0.pem",
        "peer-infra0-key.pem",
        "peer-infra2.pem",
        "client.pem",
        "client-key.pem",
    ] {
        assert!(
            pki.join(f).is_file(),
            "{f} missing; have {:?}",
            listing(&pki)
        );
    }
    #[cfg(unix)]
    assert_eq!(mode(&pki.join("client-key.pem")), 0o600);
    // A second run refuses to overwrite and changes nothing.
    let ca_before = std::fs::read(pki.join("ca.pem")).expect("read");
    let again = certs(d, &["init", "--hosts", "127.0.0.1", "--dir", "pki"], "");
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    assert_eq!(std::fs::read(pki.join("ca.pem")).expect("read"), ca_before);

    if !openssl_or_skip("init_writes_a_cluster_set_the_real_etcd_accepts") {
        return;
    }
    let v = openssl(
        &pki,
        &[
            "verify",
            "-CAfile",
            "ca.pem",
            "server.pem",
            "peer-infra1.pem",
            "client.pem",
        ],
    );
    assert_eq!(v.matches(": OK").count(), 3, "{v}");

    if !crate::harness::interop_or_skip("init_writes_a_cluster_set_the_real_etcd_accepts") {
        return;
    }
    let p = |f: &str| pki.join(f).display().to_string();
    let etcd = Member::start(
        ServerKind::Etcd,
        MemberOpts {
            https: true,
            extra_args: vec![
                "--client-cert-auth".into(),
                format!("--trusted-ca-file={}", p("ca.pem")),
                format!("--cert-file={}", p("server.pem")),
                format!("--key-file={}", p("server-key.pem")),
                "--peer-client-cert-auth".into(),
                format!("--peer-trusted-ca-file={}", p("ca.pem")),
                format!("--peer-cert-file={}", p("peer-infra0.pem")),
                format!("--peer-key-file={}", p("peer-infra0-key.pem")),
            ],
            ..MemberOpts::named("infra0")
        },
    );
    let client_url = etcd.client_url();
    let etcdctl = |with_cert: bool| -> Output {
        let mut c = Command::new(ETCDCTL_BIN);
        c.env("ETCDCTL_API", "3").args([
            "--endpoints",
            &client_url,
            "--cacert",
            &p("ca.pem"),
            "--dial-timeout=2s",
            "--command-timeout=3s",
        ]);
        if with_cert {
            c.args(["--cert", &p("client.pem"), "--key", &p("client-key.pem")]);
        }
        c.args(["endpoint", "health"]);
        run_with_timeout(c, None, DEADLINE)
    };
    let start = Instant::now();
    let healthy = loop {
        let out = etcdctl(true);
        if out.status.success() {
            break out;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "etcd with our certificates never became healthy: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        std::thread::sleep(Duration::from_millis(300));
    };
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&healthy.stdout),
        String::from_utf8_lossy(&healthy.stderr)
    );
    assert!(text.contains("is healthy"), "{text}");
    let refused = etcdctl(false);
    assert!(
        !refused.status.success(),
        "health without a client certificate must fail under --client-cert-auth"
    );
}

/// cfssl 1.2.0's `print-defaults config` (`cli/printdefault/defaults.go` at tag 1.2.0), as
/// `fmt.Println` prints it: a blank line after the closing brace.
const CFSSL_1_2_0_CONFIG: &str = r#"{
    "signing": {
        "default": {
            "expiry": "168h"
        },
        "profiles": {
            "www": {
                "expiry": "8760h",
                "usages": [
                    "signing",
                    "key encipherment",
                    "server auth"
                ]
            },
            "client": {
                "expiry": "8760h",
                "usages": [
                    "signing",
                    "key encipherment",
                    "client auth"
                ]
            }
        }
    }
}

"#;

/// cfssl 1.2.0's `print-defaults csr` (its `L` and `ST` are swapped, as cfssl has them).
const CFSSL_1_2_0_CSR: &str = r#"{
    "CN": "example.net",
    "hosts": [
        "example.net",
        "www.example.net"
    ],
    "key": {
        "algo": "ecdsa",
        "size": 256
    },
    "names": [
        {
            "C": "US",
            "L": "CA",
            "ST": "San Francisco"
        }
    ]
}

"#;

/// Issue 14 point 10: our binary run as `cfssl` (a symlink) is `etcd certs`, not the server;
/// `version` and `print-defaults` answer as cfssl 1.2.0, and a guide that starts from those
/// defaults (a CA from the default CSR, a server certificate with the `www` profile) gets an
/// ECDSA P-256 CA and a server certificate signed by it.
#[test]
fn cfssl_argv0_is_certs_with_cfssl_1_2_0_defaults() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    let cfssl = |args: &[&str]| {
        let mut cmd = crate::harness::our_bin_as(d, "cfssl");
        cmd.args(args).current_dir(d);
        let out = run_with_timeout(cmd, None, DEADLINE);
        assert!(
            out.status.success(),
            "cfssl {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let version = cfssl(&["version"]);
    assert!(
        version.starts_with("Version: 1.2.0\nRevision: release\nRuntime: "),
        "{version}"
    );
    assert_eq!(version, ok(d, &["version"]), "etcd certs version");
    assert_eq!(cfssl(&["print-defaults", "config"]), CFSSL_1_2_0_CONFIG);
    assert_eq!(cfssl(&["print-defaults", "csr"]), CFSSL_1_2_0_CSR);
    assert_eq!(
        cfssl(&["print-defaults", "list"]),
        "Default configurations are available for:\n\tconfig\n\tcsr\n"
    );

    // cfssl print-defaults config > ca-config.json; cfssl print-defaults csr > ca-csr.json
    std::fs::write(d.join("ca-config.json"), CFSSL_1_2_0_CONFIG).expect("write");
    std::fs::write(d.join("ca-csr.json"), CFSSL_1_2_0_CSR).expect("write");
    // cfssl gencert -initca ca-csr.json | cfssljson -bare ca
    cfssl(&["gencert", "-initca", "ca-csr.json", "-bare", "ca"]);
    // cfssl gencert -ca=ca.pem -ca-key=ca-key.pem -config=ca-config.json -profile=www ca-csr.json | cfssljson -bare server
    cfssl(&[
        "gencert",
        "-ca=ca.pem",
        "-ca-key=ca-key.pem",
        "-config=ca-config.json",
        "-profile=www",
        "ca-csr.json",
        "-bare",
        "server",
    ]);
    let ca_key = std::fs::read_to_string(d.join("ca-key.pem")).expect("ca-key.pem");
    assert!(
        ca_key.starts_with("-----BEGIN EC PRIVATE KEY-----"),
        "cfssl 1.2.0's default CSR asks for an ECDSA key: {ca_key}"
    );
    if openssl_or_skip("certs::cfssl_argv0_is_certs_with_cfssl_1_2_0_defaults (openssl part)") {
        openssl(d, &["verify", "-CAfile", "ca.pem", "server.pem"]);
        let text = openssl(d, &["x509", "-in", "server.pem", "-noout", "-text"]);
        assert!(text.contains("TLS Web Server Authentication"), "{text}");
        assert!(
            text.contains("prime256v1") || text.contains("P-256"),
            "{text}"
        );
    }

    // Without arguments it is cfssl's usage, never a server start.
    let mut cmd = crate::harness::our_bin_as(d, "cfssl");
    cmd.current_dir(d);
    let out = run_with_timeout(cmd, None, DEADLINE);
    assert!(!out.status.success(), "bare cfssl exits with an error");
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("gencert"), "usage lists the commands: {text}");
    assert!(!d.join("default.etcd").exists(), "no server data dir");
}
