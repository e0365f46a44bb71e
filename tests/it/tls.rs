//! TLS on the client and peer listeners with certificates made by our own `etcd certs init`:
//! a three-member cluster with peer TLS (`--peer-client-cert-auth`) and client TLS
//! (`--client-cert-auth`), checked with the official etcdctl and our ctl; auto-TLS; and
//! certificate rotation without a restart.

use std::path::Path;

use rustls::pki_types::pem::PemObject;
use std::process::Command;
use std::time::Duration;

use crate::harness::{
    cert_path, certs_init, client_cert_auth_flags, client_cert_dir, our_bin, run_with_timeout,
    Cluster, Member, MemberOpts, ServerKind, CLI_TIMEOUT, ETCDCTL_BIN,
};

/// `etcd certs init --hosts 127.0.0.1,localhost --members m1,m2,m3 --dir <dir>`.
fn init_certs(dir: &Path) {
    certs_init(dir, "127.0.0.1,localhost", "m1,m2,m3", None);
}

/// Server flags of member `i` (0-based) of the TLS cluster.
fn tls_flags(dir: &Path, i: usize) -> Vec<String> {
    let m = format!("m{}", i + 1);
    vec![
        format!("--cert-file={}", cert_path(dir, "server.pem")),
        format!("--key-file={}", cert_path(dir, "server-key.pem")),
        format!("--trusted-ca-file={}", cert_path(dir, "ca.pem")),
        "--client-cert-auth".to_string(),
        format!(
            "--peer-cert-file={}",
            cert_path(dir, &format!("peer-{m}.pem"))
        ),
        format!(
            "--peer-key-file={}",
            cert_path(dir, &format!("peer-{m}-key.pem"))
        ),
        format!("--peer-trusted-ca-file={}", cert_path(dir, "ca.pem")),
        "--peer-client-cert-auth".to_string(),
    ]
}

/// A ctl (official or ours) with explicit TLS flags.
fn ctl(official: bool, endpoints: &str, tls: &[String], args: &[&str]) -> std::process::Output {
    let mut cmd = if official {
        Command::new(ETCDCTL_BIN)
    } else {
        let mut c = Command::new(env!("CARGO_BIN_EXE_etcd"));
        c.arg("ctl");
        c
    };
    for (k, _) in std::env::vars() {
        if k.starts_with("ETCDCTL_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("ETCDCTL_API", "3")
        .arg(format!("--endpoints={endpoints}"))
        .arg("--dial-timeout=2s")
        .arg("--command-timeout=4s")
        .args(tls)
        .args(args);
    run_with_timeout(cmd, None, CLI_TIMEOUT)
}

fn text(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn three_member_cluster_with_client_and_peer_tls() {
    let official = std::path::Path::new(ETCDCTL_BIN).is_file();
    if !official {
        crate::harness::interop_or_skip(
            "tls::three_member_cluster_with_client_and_peer_tls (official etcdctl part)",
        );
    }
    let certs = tempfile::tempdir().expect("tempdir");
    init_certs(certs.path());
    let d = certs.path().to_path_buf();
    let c = Cluster::start_with(ServerKind::Ours, 3, "tls-cluster", true, &|i| {
        tls_flags(&d, i)
    });
    let eps = c.endpoints();
    let good = vec![
        format!("--cacert={}", cert_path(&d, "ca.pem")),
        format!("--cert={}", cert_path(&d, "client.pem")),
        format!("--key={}", cert_path(&d, "client-key.pem")),
    ];
    let ca_only = vec![format!("--cacert={}", cert_path(&d, "ca.pem"))];
    let mut clients = vec![false];
    if official {
        clients.insert(0, true);
    }
    for (n, official) in clients.into_iter().enumerate() {
        let who = if official { "etcdctl" } else { "our ctl" };
        let h = ctl(official, &eps, &good, &["endpoint", "health"]);
        let out = text(&h);
        assert!(h.status.success(), "{who} endpoint health: {out}");
        assert_eq!(out.matches("is healthy").count(), 3, "{who}: {out}");
        let key = format!("tls-key-{n}");
        let put = ctl(official, &eps, &good, &["put", &key, "v"]);
        assert!(put.status.success(), "{who} put: {}", text(&put));
        // Read through another member: the write went over the TLS peer links.
        let get = ctl(
            official,
            &c.members[2].client_url(),
            &good,
            &["get", &key, "--print-value-only"],
        );
        assert_eq!(
            String::from_utf8_lossy(&get.stdout).trim(),
            "v",
            "{who} get: {}",
            text(&get)
        );
        // Without a client certificate the handshake is refused.
        let bad = ctl(
            official,
            &c.members[0].client_url(),
            &ca_only,
            &["get", &key],
        );
        assert!(
            !bad.status.success(),
            "{who} without client cert succeeded: {}",
            text(&bad)
        );
        let msg = text(&bad).to_ascii_lowercase();
        if official {
            // grpc-go hides the handshake failure behind its deadline, as against etcd.
            assert!(
                msg.contains("certificate") || msg.contains("deadline exceeded"),
                "{who} without client cert: {msg}"
            );
        } else {
            assert!(
                msg.contains("certificate"),
                "{who} without client cert: {msg}"
            );
        }
        let log = c.members[0].stderr();
        assert!(
            log.contains("peer sent no certificates"),
            "server did not log the refused certificate:\n{log}"
        );
        // Without the CA the server certificate is not trusted.
        let untrusted = ctl(official, &c.members[0].client_url(), &[], &["get", &key]);
        assert!(
            !untrusted.status.success(),
            "{who} without CA succeeded: {}",
            text(&untrusted)
        );
    }
}

#[test]
fn auto_tls_writes_fixtures_and_serves_https() {
    let m = Member::start(
        ServerKind::Ours,
        MemberOpts {
            https: true,
            extra_args: vec!["--auto-tls".into(), "--peer-auto-tls".into()],
            ..MemberOpts::named("auto")
        },
    );
    for side in ["client", "peer"] {
        for f in ["cert.pem", "key.pem"] {
            let path = m.data_dir().join("fixtures").join(side).join(f);
            assert!(path.is_file(), "{} missing", path.display());
        }
    }
    let skip = vec![
        "--insecure-skip-tls-verify".to_string(),
        "--insecure-transport=false".to_string(),
    ];
    let mut clients = vec![false];
    if std::path::Path::new(ETCDCTL_BIN).is_file() {
        clients.insert(0, true);
    } else {
        crate::harness::interop_or_skip(
            "tls::auto_tls_writes_fixtures_and_serves_https (official etcdctl part)",
        );
    }
    let bare = m.client_url().trim_start_matches("https://").to_string();
    for official in clients {
        let who = if official { "etcdctl" } else { "our ctl" };
        let put = ctl(official, &bare, &skip, &["put", "auto", "tls"]);
        assert!(put.status.success(), "{who} put: {}", text(&put));
        let get = ctl(
            official,
            &m.client_url(),
            &skip,
            &["get", "auto", "--print-value-only"],
        );
        assert_eq!(
            String::from_utf8_lossy(&get.stdout).trim(),
            "tls",
            "{who} get: {}",
            text(&get)
        );
        // Verification on: the self-signed certificate is refused.
        let strict = ctl(
            official,
            &bare,
            &["--insecure-transport=false".to_string()],
            &["get", "auto"],
        );
        assert!(
            !strict.status.success(),
            "{who} verified a self-signed cert: {}",
            text(&strict)
        );
    }
}

/// A blocking TLS handshake with `127.0.0.1:port` (trusting `ca`, offering `params`):
/// the connection after the handshake, or the handshake error.
fn handshake(
    port: u16,
    ca: &Path,
    params: &etcd_oxide::tls::TlsParams,
) -> Result<rustls::ClientConnection, String> {
    use etcd_oxide::tls::{client_config, ClientTlsOptions};
    use std::io::Write;
    let opts = ClientTlsOptions {
        ca_file: Some(ca.to_path_buf()),
        ..Default::default()
    };
    let cfg = std::sync::Arc::new(client_config(&opts, params).expect("client config"));
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").expect("name");
    let mut conn = rustls::ClientConnection::new(cfg, name).expect("client connection");
    let mut sock = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    sock.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let mut tls = rustls::Stream::new(&mut conn, &mut sock);
    tls.flush().map_err(|e| e.to_string())?;
    Ok(conn)
}

/// The serial number (hex) of the certificate a new TLS connection to `port` is shown.
fn served_serial(port: u16, ca: &Path) -> String {
    let conn = handshake(port, ca, &etcd_oxide::tls::TlsParams::default()).expect("handshake");
    let leaf = conn
        .peer_certificates()
        .and_then(|c| c.first())
        .expect("server certificate")
        .clone();
    let (_, parsed) = x509_parser::parse_x509_certificate(leaf.as_ref()).expect("parse");
    parsed.raw_serial_as_string()
}

#[test]
fn tls_versions_and_cipher_suites_are_enforced() {
    use etcd_oxide::tls::{TlsParams, TlsVersion};
    let certs = tempfile::tempdir().expect("tempdir");
    init_certs(certs.path());
    let d = certs.path();
    let ca = d.join("ca.pem");
    let files = vec![
        format!("--cert-file={}", cert_path(d, "server.pem")),
        format!("--key-file={}", cert_path(d, "server-key.pem")),
        "--peer-auto-tls".to_string(),
    ];
    // TLS 1.2 only, one cipher suite.
    let mut args = files.clone();
    args.extend([
        "--tls-max-version=TLS1.2".to_string(),
        "--cipher-suites=TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384".to_string(),
    ]);
    let m = Member::start(
        ServerKind::Ours,
        MemberOpts {
            https: true,
            extra_args: args,
            ..MemberOpts::named("v12")
        },
    );
    let conn = handshake(m.client_port, &ca, &TlsParams::default()).expect("TLS 1.2 handshake");
    assert_eq!(
        conn.protocol_version(),
        Some(rustls::ProtocolVersion::TLSv1_2)
    );
    let suite = conn.negotiated_cipher_suite().expect("suite");
    assert_eq!(
        format!("{:?}", suite.suite()),
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"
    );
    let tls13_only = TlsParams {
        min_version: Some(TlsVersion::Tls13),
        ..TlsParams::default()
    };
    assert!(
        handshake(m.client_port, &ca, &tls13_only).is_err(),
        "TLS 1.3 client accepted by a TLS 1.2 server"
    );
    drop(m);
    // TLS 1.3 minimum: a TLS 1.2-only client is refused.
    let mut args = files;
    args.push("--tls-min-version=TLS1.3".to_string());
    let m = Member::start(
        ServerKind::Ours,
        MemberOpts {
            https: true,
            extra_args: args,
            ..MemberOpts::named("v13")
        },
    );
    let tls12_only = TlsParams {
        max_version: Some(TlsVersion::Tls12),
        ..TlsParams::default()
    };
    assert!(
        handshake(m.client_port, &ca, &tls12_only).is_err(),
        "TLS 1.2 client accepted by a TLS 1.3 server"
    );
    let conn = handshake(m.client_port, &ca, &TlsParams::default()).expect("TLS 1.3 handshake");
    assert_eq!(
        conn.protocol_version(),
        Some(rustls::ProtocolVersion::TLSv1_3)
    );
}

#[test]
fn rotated_certificates_are_served_to_new_connections() {
    let certs = tempfile::tempdir().expect("tempdir");
    init_certs(certs.path());
    let d = certs.path();
    // Serve from copies, so they can be replaced.
    std::fs::copy(d.join("server.pem"), d.join("live.pem")).expect("copy");
    std::fs::copy(d.join("server-key.pem"), d.join("live-key.pem")).expect("copy");
    let m = Member::start(
        ServerKind::Ours,
        MemberOpts {
            https: true,
            extra_args: vec![
                format!("--cert-file={}", cert_path(d, "live.pem")),
                format!("--key-file={}", cert_path(d, "live-key.pem")),
                "--peer-auto-tls".to_string(),
            ],
            ..MemberOpts::named("rot")
        },
    );
    let before = served_serial(m.client_port, &d.join("ca.pem"));
    // A new pair signed by the same CA.
    std::fs::write(
        d.join("cfg.json"),
        r#"{"signing":{"default":{"expiry":"8760h","usages":["signing","key encipherment","server auth","client auth"]}}}"#,
    )
    .expect("write");
    std::fs::write(
        d.join("csr.json"),
        r#"{"CN":"rotated","hosts":["127.0.0.1","localhost"],"key":{"algo":"ecdsa","size":256}}"#,
    )
    .expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_etcd"))
        .current_dir(d)
        .args([
            "certs",
            "gencert",
            "-ca=ca.pem",
            "-ca-key=ca-key.pem",
            "-config=cfg.json",
            "csr.json",
            "-bare",
            "new",
        ])
        .output()
        .expect("gencert");
    assert!(
        out.status.success(),
        "gencert: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Replace key then certificate, each by an atomic rename.
    std::fs::copy(d.join("new-key.pem"), d.join("tmp-key.pem")).expect("copy");
    std::fs::copy(d.join("new.pem"), d.join("tmp.pem")).expect("copy");
    std::fs::rename(d.join("tmp-key.pem"), d.join("live-key.pem")).expect("rename");
    std::fs::rename(d.join("tmp.pem"), d.join("live.pem")).expect("rename");
    let after = served_serial(m.client_port, &d.join("ca.pem"));
    assert_ne!(
        before, after,
        "the old certificate is still served after rotation"
    );
    let new_pem = std::fs::read(d.join("new.pem")).expect("read");
    let new_der = rustls::pki_types::CertificateDer::from_pem_slice(&new_pem).expect("pem");
    let (_, parsed) = x509_parser::parse_x509_certificate(new_der.as_ref()).expect("parse");
    assert_eq!(after, parsed.raw_serial_as_string());
    // The server still works over the new certificate.
    let ca = vec![format!("--cacert={}", cert_path(d, "ca.pem"))];
    let put = ctl(false, &m.client_url(), &ca, &["put", "rot", "ok"]);
    assert!(put.status.success(), "put after rotation: {}", text(&put));
}

#[test]
fn unsupported_cipher_suite_is_named() {
    let out = our_bin(
        &[
            "--cipher-suites",
            "TLS_RSA_WITH_RC4_128_SHA",
            "--data-dir",
            "/nonexistent-never-created",
        ],
        Duration::from_secs(20),
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("TLS_RSA_WITH_RC4_128_SHA"), "{err}");
    let out = our_bin(
        &[
            "--listen-client-urls",
            "https://127.0.0.1:1",
            "--advertise-client-urls",
            "https://127.0.0.1:1",
        ],
        Duration::from_secs(20),
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--cert-file"), "{err}");
}

#[test]
fn client_certificate_cn_is_the_user_without_a_token() {
    let certs = tempfile::tempdir().expect("tempdir");
    let d = certs.path();
    client_cert_dir(d, "cn", &[("guest", Some("guest"))]);
    let m = Member::start(
        ServerKind::Ours,
        MemberOpts {
            https: true,
            extra_args: client_cert_auth_flags(d),
            ..MemberOpts::named("cn")
        },
    );
    let official = std::path::Path::new(ETCDCTL_BIN).is_file();
    let root = vec![
        format!("--cacert={}", cert_path(d, "ca.pem")),
        format!("--cert={}", cert_path(d, "client.pem")),
        format!("--key={}", cert_path(d, "client-key.pem")),
    ];
    let guest = vec![
        format!("--cacert={}", cert_path(d, "ca.pem")),
        format!("--cert={}", cert_path(d, "guest.pem")),
        format!("--key={}", cert_path(d, "guest-key.pem")),
    ];
    let url = m.client_url();
    for args in [
        &["user", "add", "root:pw"][..],
        &["user", "add", "guest:pw"][..],
        &["auth", "enable"][..],
    ] {
        let o = ctl(false, &url, &root, args);
        assert!(o.status.success(), "{args:?}: {}", text(&o));
    }
    let mut clients = vec![false];
    if official {
        clients.push(true);
    }
    for official in clients {
        let who = if official { "etcdctl" } else { "our ctl" };
        // CN root, no --user: the certificate is the identity.
        let put = ctl(official, &url, &root, &["put", "cn-key", who]);
        assert!(put.status.success(), "{who} put as CN root: {}", text(&put));
        // CN guest has no role: permission denied.
        let denied = ctl(official, &url, &guest, &["put", "cn-key", "x"]);
        assert!(!denied.status.success(), "{who} put as CN guest succeeded");
        assert!(
            text(&denied).contains("permission denied"),
            "{who}: {}",
            text(&denied)
        );
    }
}
