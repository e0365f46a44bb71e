//! What `etcd util` knows of etcd's versions beyond 3.4: the storage version etcd 3.6 records
//! in a backend ([`storage_version`], shown by `snapshot status` as etcdutl 3.6 does) and
//! `etcdutl version` ([`print_version`]).
//!
//! etcd 3.5 and 3.6 backends differ from 3.4's only by added keys, all of which a restore
//! either reads or knowingly skips (`apply::etcd_import`):
//! - `meta`: `term` (8-byte big-endian) and `confState` (JSON of `raftpb.ConfState`) since
//!   3.5, `storageVersion` (`"3.6.0"`) since 3.6: Raft facts a restore replaces with the new
//!   cluster's, skipped;
//! - `cluster`: `clusterVersion` (`"3.5.0"`) and `downgrade` (JSON `{"target-version",
//!   "enabled"}`) since 3.5: skipped, a restored cluster decides its own version;
//! - `authUsers`: `authpb.User.options.no_password` (3.5): carried over with the user;
//! - `lease` (`leasepb.Lease{ID, TTL, RemainingTTL}`), `auth` (`authEnabled`, `authRevision`),
//!   `authRoles`, `key`, `alarm`, `members`, `members_removed`: the same encodings as 3.4.
//!
//! The tests build 3.5- and 3.6-shaped backends with the bbolt writer and restore them.
//!
//! Depends on: storage::etcd::bbolt.

use std::io::Write;
use std::path::Path;

use crate::storage::etcd::bbolt::{BoltError, OwnedItem, Reader};

/// The etcdutl version `etcd util version` reports: the newest etcdutl whose snapshot and
/// data-dir formats this tool reads (3.6: `snapshot status` prints its version column).
pub(crate) const ETCDUTL_VERSION: &str = "3.6.0";
/// The API version `etcd util version` reports.
pub(crate) const ETCDUTL_API_VERSION: &str = "3.6";

/// etcd 3.6's storage version of the bbolt file at `path` (`meta` bucket, key
/// `storageVersion`), as etcdutl 3.6's `snapshot status` prints it: empty when absent (etcd
/// 3.4/3.5) or not a semantic version (etcd's `ReadStorageVersionFromSnapshot` then gives
/// nil).
///
/// # Errors
/// bbolt read errors.
pub(crate) fn storage_version(path: &Path) -> Result<String, BoltError> {
    let reader = Reader::open(path)?;
    let Some(meta) = reader.bucket(b"meta")? else {
        return Ok(String::new());
    };
    let Some(OwnedItem::Value(v)) = reader.get(&meta, b"storageVersion")? else {
        return Ok(String::new());
    };
    let text = String::from_utf8_lossy(&v);
    let parts: Vec<&str> = text.split('.').collect();
    let semver = parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    Ok(if semver {
        text.into_owned()
    } else {
        String::new()
    })
}

/// `etcdutl version`: `etcdutl version: <v>` and `API version: <v>`, as etcdutl 3.5/3.6 print.
///
/// # Errors
/// Writing to `out`.
pub(crate) fn print_version(out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "etcdutl version: {ETCDUTL_VERSION}")?;
    writeln!(out, "API version: {ETCDUTL_API_VERSION}")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::{Path, PathBuf};

    use prost::Message;

    use super::super::{db_dir, run_with, EXIT_SUCCESS};
    use super::storage_version;
    use crate::lease::LeaseRecord;
    use crate::pb::authpb::{permission, Permission, Role, User, UserAddOptions};
    use crate::pb::etcdserverpb::{AlarmMember, RangeRequest};
    use crate::pb::mvccpb::KeyValue;
    use crate::storage::etcd::bbolt::{append_sha256_trailer, status, Writer};

    type Bucket = BTreeMap<Vec<u8>, Vec<u8>>;

    const LEASE: i64 = 0x1234;
    const MEMBER: u64 = 10_276_657_743_932_975_437;

    fn rev(main: i64, tombstone: bool) -> Vec<u8> {
        let mut k = main.to_be_bytes().to_vec();
        k.push(b'_');
        k.extend_from_slice(&0i64.to_be_bytes());
        if tombstone {
            k.push(b't');
        }
        k
    }

    fn kv(key: &str, create: i64, modr: i64, version: i64, value: &str, lease: i64) -> Vec<u8> {
        KeyValue {
            key: key.as_bytes().to_vec(),
            create_revision: create,
            mod_revision: modr,
            version,
            value: value.as_bytes().to_vec(),
            lease,
        }
        .encode_to_vec()
    }

    /// A backend as etcd 3.5 (or 3.6 with `storage_version`) writes it after: put a=1 (2),
    /// put b=x with a lease (3), put a=2 (4), put c=1 (5), delete c (6), compact 2; auth
    /// enabled at auth revision 5 with users root, alice (role r1: readwrite [a, b)) and a
    /// no-password user svc; a NOSPACE alarm; one member.
    fn backend(storage_version: Option<&str>) -> BTreeMap<&'static str, Bucket> {
        let mut b: BTreeMap<&'static str, Bucket> = BTreeMap::new();
        let mut put = |bucket: &'static str, k: &[u8], v: Vec<u8>| {
            b.entry(bucket).or_default().insert(k.to_vec(), v);
        };
        put("key", &rev(2, false), kv("a", 2, 2, 1, "1", 0));
        put("key", &rev(3, false), kv("b", 3, 3, 1, "x", LEASE));
        put("key", &rev(4, false), kv("a", 2, 4, 2, "2", 0));
        put("key", &rev(5, false), kv("c", 5, 5, 1, "1", 0));
        put(
            "key",
            &rev(6, true),
            KeyValue {
                key: b"c".to_vec(),
                mod_revision: 6,
                ..Default::default()
            }
            .encode_to_vec(),
        );
        put("meta", b"consistent_index", 20u64.to_be_bytes().to_vec());
        put("meta", b"finishedCompactRev", rev(2, false));
        put("meta", b"scheduledCompactRev", rev(2, false));
        put("meta", b"term", 3u64.to_be_bytes().to_vec());
        put(
            "meta",
            b"confState",
            format!(r#"{{"voters":[{MEMBER}],"auto_leave":false}}"#).into_bytes(),
        );
        if let Some(v) = storage_version {
            put("meta", b"storageVersion", v.as_bytes().to_vec());
        }
        // leasepb.Lease{ID, TTL} then RemainingTTL (field 3 = 100), which a restore ignores.
        let mut lease = LeaseRecord {
            id: LEASE,
            ttl: 600,
        }
        .encode_to_vec();
        lease.extend_from_slice(&[0x18, 100]);
        put("lease", &LEASE.to_be_bytes(), lease);
        put("auth", b"authEnabled", vec![1]);
        put("auth", b"authRevision", 5u64.to_be_bytes().to_vec());
        let pw = crate::auth::password::hash(b"pw", 4).unwrap().into_bytes();
        let user = |name: &str, roles: &[&str], password: Vec<u8>, no_password: bool| User {
            name: name.as_bytes().to_vec(),
            password,
            roles: roles.iter().map(|r| r.as_bytes().to_vec()).collect(),
            options: Some(UserAddOptions { no_password }),
        };
        put(
            "authUsers",
            b"alice",
            user("alice", &["r1"], pw.clone(), false).encode_to_vec(),
        );
        put(
            "authUsers",
            b"root",
            user("root", &["root"], pw, false).encode_to_vec(),
        );
        put(
            "authUsers",
            b"svc",
            user("svc", &["r1"], Vec::new(), true).encode_to_vec(),
        );
        put(
            "authRoles",
            b"r1",
            Role {
                name: b"r1".to_vec(),
                key_permission: vec![Permission {
                    perm_type: permission::Type::Readwrite as i32,
                    key: b"a".to_vec(),
                    range_end: b"b".to_vec(),
                }],
            }
            .encode_to_vec(),
        );
        put(
            "authRoles",
            b"root",
            Role {
                name: b"root".to_vec(),
                key_permission: Vec::new(),
            }
            .encode_to_vec(),
        );
        put(
            "alarm",
            &AlarmMember {
                member_id: MEMBER,
                alarm: 1,
            }
            .encode_to_vec(),
            Vec::new(),
        );
        put("cluster", b"clusterVersion", b"3.5.0".to_vec());
        put(
            "cluster",
            b"downgrade",
            br#"{"target-version":"","enabled":false}"#.to_vec(),
        );
        put(
            "members",
            format!("{MEMBER:x}").as_bytes(),
            format!(r#"{{"id":{MEMBER},"peerURLs":["http://localhost:2380"],"name":"default","clientURLs":["http://localhost:2379"]}}"#).into_bytes(),
        );
        put("members_removed", b"1234", b"removed".to_vec());
        b
    }

    /// Writes `buckets` as a snapshot file (bbolt + sha256 trailer) at `path`.
    fn write_snapshot(path: &Path, buckets: &BTreeMap<&'static str, Bucket>) {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
            .unwrap();
        let mut w = Writer::new(file).unwrap();
        for (name, kvs) in buckets {
            w.begin_bucket(name.as_bytes()).unwrap();
            for (k, v) in kvs {
                w.put(k, v).unwrap();
            }
            w.end_bucket().unwrap();
        }
        let mut f = w.finish().unwrap();
        append_sha256_trailer(&mut f).unwrap();
    }

    fn run_args(args: &[&str]) -> (i32, String, String) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = run_with(args.iter().map(Into::into).collect(), &mut out, &mut err);
        (
            code,
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    }

    /// `snapshot status` of etcd 3.5 and 3.6 backends: etcdctl 3.4's columns (and hash, when
    /// the official etcdctl is installed) for 3.5; etcdutl 3.6's added version for 3.6.
    #[test]
    fn status_of_etcd_3_5_and_3_6_backends() {
        let dir = tempfile::tempdir().unwrap();
        for (name, version) in [("3.5", None), ("3.6", Some("3.6.0"))] {
            let file = dir.path().join(format!("{name}.db"));
            write_snapshot(&file, &backend(version));
            let f = file.to_str().unwrap();
            let st = status(&file).unwrap();
            let (code, json, err) = run_args(&["snapshot", "status", "-w", "json", f]);
            assert_eq!(code, EXIT_SUCCESS, "{err}");
            let expected = format!(
                "{{\"hash\":{},\"revision\":6,\"totalKey\":{},\"totalSize\":{}{}}}\n",
                st.hash,
                st.total_key,
                st.total_size,
                version.map_or(String::new(), |v| format!(",\"version\":\"{v}\""))
            );
            assert_eq!(json, expected, "{name}");
            let (_, simple, _) = run_args(&["snapshot", "status", f]);
            assert_eq!(
                simple.trim_end().ends_with(", 3.6.0"),
                version.is_some(),
                "{name}: {simple}"
            );
            let (_, table, _) = run_args(&["snapshot", "status", "-w", "table", f]);
            assert_eq!(table.contains("VERSION"), version.is_some(), "{table}");

            let etcdctl = Path::new("/usr/bin/etcdctl");
            if etcdctl.exists() {
                let o = std::process::Command::new(etcdctl)
                    .args(["snapshot", "status", "-w", "json", f])
                    .env("ETCDCTL_API", "3")
                    .output()
                    .unwrap();
                assert!(o.status.success(), "{o:?}");
                let official = String::from_utf8(o.stdout).unwrap();
                // etcdctl 3.4 has no version field; everything else is the same.
                let without_version = match version {
                    Some(v) => expected.replace(&format!(",\"version\":\"{v}\""), ""),
                    None => expected.clone(),
                };
                assert_eq!(official, without_version, "{name}: official etcdctl");
            }
        }
        let bad = dir.path().join("bad.db");
        write_snapshot(&bad, &backend(Some("not a version")));
        assert_eq!(storage_version(&bad).unwrap(), "");
    }

    /// etcd 3.5 and 3.6 snapshots restore with `etcd util snapshot restore`: every key at
    /// its revisions and versions, the tombstone, the compaction, the lease and its key, auth
    /// (enabled, revision, users with roles, the no-password option, role permissions) and
    /// the alarm; the 3.5/3.6 meta and cluster keys are skipped.
    #[test]
    fn etcd_3_5_and_3_6_snapshots_restore_with_data_leases_and_auth() {
        use crate::apply::state::StateDb;
        let dir = tempfile::tempdir().unwrap();
        for (name, version) in [("3.5", None), ("3.6", Some("3.6.0"))] {
            let file = dir.path().join(format!("{name}.db"));
            write_snapshot(&file, &backend(version));
            let data: PathBuf = dir.path().join(format!("{name}.etcd"));
            let (code, _, err) = run_args(&[
                "snapshot",
                "restore",
                file.to_str().unwrap(),
                "--data-dir",
                data.to_str().unwrap(),
            ]);
            assert_eq!(code, EXIT_SUCCESS, "{name}: {err}");
            let b = StateDb::open(&db_dir(&data)).unwrap();
            let r = b.env.read_txn().unwrap();
            assert_eq!(b.kv.current_revision(&r).unwrap(), 6, "{name}");
            assert_eq!(b.kv.compact_revision(&r).unwrap(), 2, "{name}");
            let get = |key: &[u8]| {
                b.kv.range(
                    &r,
                    &RangeRequest {
                        key: key.to_vec(),
                        ..Default::default()
                    },
                )
                .unwrap()
                .kvs
            };
            let a = &get(b"a")[0];
            assert_eq!(
                (a.create_revision, a.mod_revision, a.version, &a.value[..]),
                (2, 4, 2, &b"2"[..]),
                "{name}"
            );
            let bk = &get(b"b")[0];
            assert_eq!((bk.create_revision, bk.lease), (3, LEASE), "{name}");
            assert!(get(b"c").is_empty(), "{name}: c was deleted at 6");
            let leases = b.leases.list(&r).unwrap();
            assert_eq!(leases.len(), 1);
            assert_eq!((leases[0].id, leases[0].ttl), (LEASE, 600));
            assert_eq!(b.leases.keys(&r, LEASE).unwrap(), [b"b".to_vec()]);
            assert!(b.auth.is_enabled(&r).unwrap());
            assert_eq!(b.auth.revision(&r).unwrap(), 5);
            let alice = b.auth.user(&r, "alice").unwrap().unwrap();
            assert_eq!(alice.roles, [b"r1".to_vec()]);
            assert!(crate::auth::password::verify(b"pw", &alice.password));
            let svc = b.auth.user(&r, "svc").unwrap().unwrap();
            assert_eq!(svc.options, Some(UserAddOptions { no_password: true }));
            let r1 = b.auth.role(&r, "r1").unwrap().unwrap();
            assert_eq!(r1.key_permission[0].key, b"a");
            assert_eq!(r1.key_permission[0].range_end, b"b");
            let alarms = b.alarms.list(&r).unwrap();
            assert_eq!(alarms.len(), 1, "{name}: {alarms:?}");
        }
    }

    #[test]
    fn version_prints_like_etcdutl() {
        let (code, out, _) = run_args(&["version"]);
        assert_eq!(code, EXIT_SUCCESS);
        assert_eq!(out, "etcdutl version: 3.6.0\nAPI version: 3.6\n");
    }
}
