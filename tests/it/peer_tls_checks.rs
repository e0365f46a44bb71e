//! Peer-listener identity checks with `--peer-client-cert-auth`, as etcd 3.4: a member whose
//! peer certificate has the wrong CN (`--peer-cert-allowed-cn`) or whose SANs do not name the
//! address it connects from (etcd's `checkSAN`) is refused, while the other members keep
//! serving; `--experimental-peer-skip-client-san-verification` turns the SAN check off.
//! Certificates come from our `etcd certs init` and `etcd certs gencert`.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::harness::{
    cert_path, certs_init, free_port, ok_stdout, our_ctl, run_with_timeout, Cluster, Member,
    MemberOpts, ServerKind, READY_LINE,
};

/// A peer certificate `<name>.pem` signed by `dir/ca.pem`, CN `cn`, SANs `hosts`, usable for
/// server and client auth.
fn peer_cert(dir: &Path, name: &str, cn: &str, hosts: &[&str]) {
    std::fs::write(
        dir.join("peer-cfg.json"),
        r#"{"signing":{"default":{"expiry":"8760h","usages":["signing","key encipherment","server auth","client auth"]}}}"#,
    )
    .expect("write peer-cfg.json");
    let hosts: Vec<String> = hosts.iter().map(|h| format!("{h:?}")).collect();
    let csr = format!(
        r#"{{"CN":"{cn}","hosts":[{}],"key":{{"algo":"ecdsa","size":256}}}}"#,
        hosts.join(",")
    );
    std::fs::write(dir.join(format!("{name}.json")), csr).expect("write CSR json");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_etcd"));
    cmd.current_dir(dir).args([
        "certs",
        "gencert",
        "-ca=ca.pem",
        "-ca-key=ca-key.pem",
        "-config=peer-cfg.json",
        &format!("{name}.json"),
        "-bare",
        name,
    ]);
    let out = run_with_timeout(cmd, None, Duration::from_secs(60));
    ok_stdout(&out, &format!("etcd certs gencert {name}"));
}

/// Client TLS (server cert only) and peer TLS with client-cert auth on `<peer>.pem`.
fn flags(dir: &Path, peer: &str, extra: &[&str]) -> Vec<String> {
    let mut v = vec![
        format!("--cert-file={}", cert_path(dir, "server.pem")),
        format!("--key-file={}", cert_path(dir, "server-key.pem")),
        format!(
            "--peer-cert-file={}",
            cert_path(dir, &format!("{peer}.pem"))
        ),
        format!(
            "--peer-key-file={}",
            cert_path(dir, &format!("{peer}-key.pem"))
        ),
        format!("--peer-trusted-ca-file={}", cert_path(dir, "ca.pem")),
        "--peer-client-cert-auth".to_string(),
    ];
    v.extend(extra.iter().map(|s| s.to_string()));
    v
}

/// Starts a two-member TLS cluster (peer cert `good`, flags `extra`), adds `m3`, starts `m3`
/// with peer cert `bad` and checks it does not get ready within a few seconds while the two
/// keep serving writes. Returns the logs of m1 and m2 (after m3's attempts) and whether m3
/// printed the ready line.
fn third_member_with(dir: &Path, bad: &str, extra: &[&str]) -> (String, bool) {
    let c = Cluster::start_with(ServerKind::Ours, 2, "peer-checks", true, &|_| {
        flags(dir, "good", extra)
    });
    let ca = format!("--cacert={}", cert_path(dir, "ca.pem"));
    let (cp, pp) = (free_port(), free_port());
    let m3_peer = format!("https://127.0.0.1:{pp}");
    // Right after the start the leader may not count its peer as connected yet (strict
    // reconfig check): retry for a bounded time.
    let deadline = Instant::now() + Duration::from_secs(15);
    let peer_urls = format!("--peer-urls={m3_peer}");
    loop {
        let add = our_ctl(
            &c.members[0].client_url(),
            &[&ca, "member", "add", "m3", &peer_urls],
            None,
        );
        if add.status.success() || Instant::now() > deadline {
            ok_stdout(&add, "member add m3");
            break;
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    let initial = format!(
        "m1={},m2={},m3={m3_peer}",
        c.members[0].peer_url(),
        c.members[1].peer_url()
    );
    let (m3, _) = Member::start_expecting_exit(
        ServerKind::Ours,
        MemberOpts {
            name: "m3".into(),
            token: "peer-checks".into(),
            ports: Some((cp, pp)),
            initial_cluster: Some(initial),
            https: true,
            cluster_state: Some("existing".into()),
            extra_args: flags(dir, bad, extra),
            ..Default::default()
        },
        Duration::from_secs(6),
    );
    let joined = m3.stderr().contains(READY_LINE);
    // The two good members still commit writes (quorum 2 of 3).
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let put = our_ctl(&c.members[1].client_url(), &[&ca, "put", "k", "v"], None);
        if put.status.success() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the good members stopped serving: {}",
            String::from_utf8_lossy(&put.stderr)
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    (
        format!("{}\n{}", c.members[0].stderr(), c.members[1].stderr()),
        joined,
    )
}

#[test]
fn peer_with_wrong_cn_is_refused_by_peer_cert_allowed_cn() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    certs_init(d, "127.0.0.1,localhost", "m1", None);
    peer_cert(d, "good", "etcd-peer", &["127.0.0.1", "localhost"]);
    peer_cert(d, "intruder", "intruder", &["127.0.0.1", "localhost"]);
    let (logs, joined) = third_member_with(d, "intruder", &["--peer-cert-allowed-cn=etcd-peer"]);
    assert!(!joined, "the member with CN intruder got ready");
    assert!(
        logs.contains("client certificate authentication failed"),
        "no refusal logged:\n{logs}"
    );
}

#[test]
fn peer_whose_sans_do_not_name_its_address_is_refused_unless_skipped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    certs_init(d, "127.0.0.1,localhost", "m1", None);
    peer_cert(d, "good", "etcd-peer", &["127.0.0.1", "localhost"]);
    // Its connections come from 127.0.0.1, which neither its IP SAN nor its (unresolvable)
    // DNS SAN names: checkSAN's message is logged only by the listener's check.
    peer_cert(
        d,
        "elsewhere",
        "etcd-peer",
        &["10.9.9.9", "no-such-host.invalid"],
    );
    let (logs, joined) = third_member_with(d, "elsewhere", &[]);
    assert!(!joined, "the member with foreign SANs got ready");
    assert!(
        logs.contains(r#"does not match any of DNSNames [\"no-such-host.invalid\"]"#)
            || logs.contains(r#"does not match any of DNSNames ["no-such-host.invalid"]"#),
        "checkSAN refusal not logged:\n{logs}"
    );
    let (logs, _) = third_member_with(
        d,
        "elsewhere",
        &["--experimental-peer-skip-client-san-verification"],
    );
    assert!(
        !logs.contains("does not match any of DNSNames"),
        "checkSAN ran although skipped:\n{logs}"
    );
}
