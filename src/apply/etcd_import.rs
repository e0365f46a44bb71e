//! Import of an etcd backend (bbolt: a snapshot or a `member/snap/db` of etcd 3.4, 3.5 or
//! 3.6) into our stores, inside ONE write transaction on a fresh state database; the
//! reverse of [`super::etcd_export`], following etcd's own restore (`mvcc/kvstore.go`
//! `restore`, `lease/lessor.go` `initAndRecover`, `auth/store.go` `NewAuthStore`).
//!
//! - `key`: every record in revision order through `KvStore::import_record` (etcd's
//!   `restoreIntoIndex`: create revisions and versions survive compaction);
//! - `meta`: `finishedCompactRev` becomes the compact revision; a `scheduledCompactRev`
//!   beyond it is compacted now (etcd resumes that compaction at start). `consistent_index`,
//!   and 3.5/3.6's `term`, `confState`, `storageVersion` are Raft facts that a restore
//!   replaces with the new cluster's, so they are read by nobody;
//! - `lease`: `leasepb.Lease{ID, TTL}` (3.4's `RemainingTTL` is ignored, as etcd's restore
//!   grants the full TTL); keys are attached from their latest put's lease, when that lease
//!   exists;
//! - `auth`, `authUsers`, `authRoles`: enabled flag, revision, users, roles;
//! - `alarm`: each `AlarmMember` is activated;
//! - `members`, `members_removed`, `cluster`: skipped: a restore takes membership from its
//!   flags, as etcd's does; any other bucket is skipped too (and listed in the summary).
//!
//! Memory: one bbolt page per tree level, plus the leased keys and the lease table.

use heed::RwTxn;
use prost::Message;

use super::etcd_export::EtcdMember;
use super::Stores;
use crate::lease::LeaseRecord;
use crate::pb::etcdserverpb::AlarmMember;
use crate::pb::peer::InternalRaftRequest;
use crate::storage::etcd::bbolt::{BoltError, Item, Reader};

/// What an import brought in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ImportSummary {
    /// The store's revision after the import.
    pub revision: i64,
    /// The compact revision (-1: never compacted).
    pub compact_revision: i64,
    /// Records of the `key` bucket.
    pub records: u64,
    /// Leases granted.
    pub leases: u64,
    /// Buckets not understood and skipped, by name.
    pub skipped: Vec<String>,
}

/// Failures of the import: a file that is not a consistent etcd backend, or storage.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ImportError {
    /// The bbolt file could not be read.
    #[error("reading etcd backend: {0}")]
    Bolt(#[from] BoltError),
    /// A bucket holds something etcd would not have written.
    #[error("etcd backend: {0}")]
    Format(String),
    /// The MVCC store.
    #[error(transparent)]
    Mvcc(#[from] crate::mvcc::MvccError),
    /// The lease table.
    #[error(transparent)]
    Lease(#[from] crate::lease::LeaseError),
    /// The auth store.
    #[error(transparent)]
    Auth(#[from] crate::auth::AuthStorageError),
    /// The alarm store.
    #[error(transparent)]
    Alarm(#[from] crate::alarm::AlarmStoreError),
}

/// Buckets this import reads or knowingly ignores.
const KNOWN: &[&[u8]] = &[
    b"alarm",
    b"auth",
    b"authRoles",
    b"authUsers",
    b"cluster",
    b"key",
    b"lease",
    b"members",
    b"members_removed",
    b"meta",
];

/// Calls `f` on every key/value of top-level bucket `name` (nothing if it is absent; nested
/// buckets are a format error).
fn each<F>(reader: &Reader, name: &[u8], mut f: F) -> Result<(), ImportError>
where
    F: FnMut(&[u8], &[u8]) -> Result<(), ImportError>,
{
    let Some(bucket) = reader.bucket(name)? else {
        return Ok(());
    };
    reader.for_each(&bucket, |k, item| match item {
        Item::Value(v) => f(k, v),
        Item::Bucket(_) => Err(ImportError::Format(format!(
            "unexpected nested bucket in {}",
            String::from_utf8_lossy(name)
        ))),
    })
}

/// The main revision of etcd's revision bytes (`revToBytes`), if `b` is one.
fn rev_main(b: &[u8]) -> Option<i64> {
    let main: [u8; 8] = b.get(..8)?.try_into().ok()?;
    (b.len() >= 17).then(|| i64::from_be_bytes(main))
}

/// Imports the etcd backend read by `reader` into `stores` within `wtxn` (which should hold
/// an empty state database; the caller commits). bbolt's consistency check runs first, as
/// etcd's `snapshot status` does: a damaged file is refused before anything is written.
///
/// # Errors
/// [`ImportError`]; on error the caller aborts the transaction, leaving nothing.
pub(crate) fn import(
    stores: &Stores,
    wtxn: &mut RwTxn,
    reader: &Reader,
) -> Result<ImportSummary, ImportError> {
    let problems = reader.check()?;
    if !problems.is_empty() {
        return Err(ImportError::Format(format!(
            "integrity check failed, {} errors: {}",
            problems.len(),
            problems.join("; ")
        )));
    }
    let mut summary = ImportSummary::default();
    reader.for_each(&reader.root(), |name, _| -> Result<(), ImportError> {
        if !KNOWN.contains(&name) {
            summary
                .skipped
                .push(String::from_utf8_lossy(name).into_owned());
        }
        Ok(())
    })?;

    each(reader, b"key", |k, v| {
        summary.records += 1;
        Ok(stores.kv.import_record(wtxn, k, v)?)
    })?;

    let (mut finished, mut scheduled) = (None, None);
    each(reader, b"meta", |k, v| {
        match k {
            b"finishedCompactRev" => finished = rev_main(v),
            b"scheduledCompactRev" => scheduled = rev_main(v),
            _ => {}
        }
        Ok(())
    })?;
    if let Some(rev) = finished {
        stores.kv.import_compact_revision(wtxn, rev)?;
    }
    if let Some(rev) = scheduled.filter(|s| Some(*s) > finished) {
        stores.kv.compact(wtxn, rev)?;
    }

    each(reader, b"lease", |_, v| {
        let l = LeaseRecord::decode(v).map_err(|e| ImportError::Format(format!("lease: {e}")))?;
        if l.id <= 0 {
            return Err(ImportError::Format(format!("lease: invalid ID {}", l.id)));
        }
        summary.leases += 1;
        Ok(stores.leases.put(wtxn, &l)?)
    })?;
    for (lease, key) in stores.kv.leased_keys(wtxn)? {
        if stores.leases.get(wtxn, lease)?.is_some() {
            stores.leases.attach(wtxn, lease, &key)?;
        }
    }

    let (mut enabled, mut auth_rev) = (false, 1u64);
    each(reader, b"auth", |k, v| {
        match k {
            b"authEnabled" => enabled = v == [1],
            b"authRevision" => {
                let b: [u8; 8] = v
                    .try_into()
                    .map_err(|_| ImportError::Format("authRevision is not 8 bytes".into()))?;
                auth_rev = u64::from_be_bytes(b);
            }
            _ => {}
        }
        Ok(())
    })?;
    stores.auth.import_state(wtxn, enabled, auth_rev)?;
    each(reader, b"authUsers", |_, v| {
        Ok(stores.auth.import_user(wtxn, v)?)
    })?;
    each(reader, b"authRoles", |_, v| {
        Ok(stores.auth.import_role(wtxn, v)?)
    })?;

    each(reader, b"alarm", |k, _| {
        let a = AlarmMember::decode(k).map_err(|e| ImportError::Format(format!("alarm: {e}")))?;
        stores.alarms.activate(wtxn, a.member_id, a.alarm)?;
        Ok(())
    })?;

    summary.revision = stores.kv.current_revision(wtxn)?;
    summary.compact_revision = stores.kv.compact_revision(wtxn)?;
    Ok(summary)
}

/// etcd's `meta` bucket `consistent_index`: the last Raft index whose KV effects the
/// backend holds (0 if absent).
///
/// # Errors
/// Reading the bucket; a value that is not 8 bytes.
pub(crate) fn consistent_index(reader: &Reader) -> Result<u64, ImportError> {
    let mut ci = 0;
    each(reader, b"meta", |k, v| {
        if k == b"consistent_index" {
            let b: [u8; 8] = v
                .try_into()
                .map_err(|_| ImportError::Format("consistent_index is not 8 bytes".into()))?;
            ci = u64::from_be_bytes(b);
        }
        Ok(())
    })?;
    Ok(ci)
}

/// A member as etcd's `members` bucket and conf change contexts hold it (`membership.Member`
/// JSON: `{"id","peerURLs","name","clientURLs","isLearner"}`).
#[derive(Debug, Clone, serde::Deserialize)]
struct MemberJson {
    id: u64,
    #[serde(rename = "peerURLs", default)]
    peer_urls: Vec<String>,
    #[serde(default)]
    name: String,
    #[serde(rename = "clientURLs", default)]
    client_urls: Vec<String>,
    #[serde(rename = "isLearner", default)]
    is_learner: bool,
}

impl From<MemberJson> for EtcdMember {
    fn from(m: MemberJson) -> EtcdMember {
        EtcdMember {
            id: m.id,
            name: m.name,
            peer_urls: m.peer_urls,
            client_urls: m.client_urls,
            is_learner: m.is_learner,
        }
    }
}

/// Parses etcd's member JSON (a `members` value or a conf change context).
///
/// # Errors
/// [`ImportError::Format`] if it is not etcd's member JSON.
pub(crate) fn parse_member(json: &[u8]) -> Result<EtcdMember, ImportError> {
    serde_json::from_slice::<MemberJson>(json)
        .map(EtcdMember::from)
        .map_err(|e| ImportError::Format(format!("member: {e}")))
}

/// The members of etcd's `members` bucket, by ID order.
///
/// # Errors
/// Reading the bucket; a value that is not etcd's member JSON.
pub(crate) fn members(reader: &Reader) -> Result<Vec<EtcdMember>, ImportError> {
    let mut out = Vec::new();
    each(reader, b"members", |_, v| {
        out.push(parse_member(v)?);
        Ok(())
    })?;
    out.sort_by_key(|m| m.id);
    Ok(out)
}

/// The IDs in etcd's `members_removed` bucket (keys: hex member IDs, as etcd's
/// `backendMemberKey`; values `removed`), sorted. A key that is not hex is a format error.
///
/// # Errors
/// [`ImportError::Format`] for a bad key; bbolt read errors.
pub(crate) fn removed_members(reader: &Reader) -> Result<Vec<u64>, ImportError> {
    let mut out = Vec::new();
    each(reader, b"members_removed", |k, _| {
        let id = std::str::from_utf8(k)
            .ok()
            .and_then(|k| u64::from_str_radix(k, 16).ok())
            .ok_or_else(|| {
                ImportError::Format(format!(
                    "members_removed: key {:?} is not a hex member ID",
                    String::from_utf8_lossy(k)
                ))
            })?;
        out.push(id);
        Ok(())
    })?;
    out.sort_unstable();
    Ok(out)
}

/// What one of etcd's `EntryNormal` payloads asks of the state.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum EtcdProposal {
    /// A v3 request (etcd's `InternalRaftRequest`, whose field numbers ours shares), to
    /// apply above the backend's consistent index; a request ours does not carry (range,
    /// lease checkpoint, 3.5's cluster version) applies as `UnknownRequest`, changing nothing.
    Apply(Box<InternalRaftRequest>),
    /// A v2 store request (etcd's `pb.Request` on `/1`, the user's keys, or `/2`, v2 auth),
    /// as our `V2Request`: applied above the snapshot index (etcd's v2 store lives only in its
    /// snapshots, so etcd applies these again at every restart).
    V2(Box<InternalRaftRequest>),
    /// etcd's own write under `/0` (member attributes, cluster version): one step of etcd's
    /// v2 store index; member attributes also as our `MemberAttrSetRequest`, applied above
    /// the consistent index.
    Cluster(Option<Box<InternalRaftRequest>>),
    /// Nothing to apply: the leader's empty entry, a quorum read (`QGET`).
    Nothing,
}

/// bcrypt cost etcd 3.4 hashes passwords with (`--bcrypt-cost` default).
const ETCD_BCRYPT_COST: u32 = 10;

/// Decodes the payload of one of etcd's `EntryNormal` entries as etcd's apply does
/// (`applyEntryNormal`): an `InternalRaftRequest` (always with a header since 3.0), else a v2
/// `Request` (etcd's `applyV2Request`: `POST`, `PUT`, `DELETE`, `QGET`, `SYNC`). v2 paths are
/// etcd's store paths: `/1/...` becomes the user's key, `/2/...` the auth space, `/0/...`
/// (member attributes, cluster version) [`EtcdProposal::Cluster`]. etcd 3.4 logs plaintext
/// passwords (it hashes at apply): they are bcrypt-hashed here, as our proposer would.
///
/// # Errors
/// [`ImportError::Format`]: undecodable data, a v2 method or path etcd does not write.
pub(crate) fn decode_proposal(data: &[u8]) -> Result<EtcdProposal, ImportError> {
    use crate::pb::etcdserverpb::Request as EtcdV2Request;
    use crate::pb::peer::{MemberAttrSetRequest, RequestHeader, V2Request};
    if data.is_empty() {
        return Ok(EtcdProposal::Nothing);
    }
    if let Ok(mut req) = InternalRaftRequest::decode(data) {
        if req.header.is_some() {
            if let Some(u) = req.auth_user_add.as_mut() {
                if u.hashed_password.is_empty() && !u.password.is_empty() {
                    u.hashed_password = crate::auth::password::hash(&u.password, ETCD_BCRYPT_COST)?;
                    u.password.clear();
                }
            }
            if let Some(u) = req.auth_user_change_password.as_mut() {
                if u.hashed_password.is_empty() {
                    u.hashed_password = crate::auth::password::hash(&u.password, ETCD_BCRYPT_COST)?;
                    u.password.clear();
                }
            }
            return Ok(EtcdProposal::Apply(Box::new(req)));
        }
    }
    let v2 = EtcdV2Request::decode(data)
        .map_err(|e| ImportError::Format(format!("entry is neither a v3 nor a v2 request: {e}")))?;
    let method = v2.method.clone().unwrap_or_default();
    let path = v2.path.clone().unwrap_or_default();
    let header = Some(RequestHeader {
        id: v2.id.unwrap_or(0),
        // Authorized by etcd when it was proposed.
        internal: true,
        ..Default::default()
    });
    match method.as_str() {
        "QGET" => return Ok(EtcdProposal::Nothing),
        "SYNC" | "PUT" | "POST" | "DELETE" => {}
        other => {
            return Err(ImportError::Format(format!(
                "v2 request with unknown method {other:?} ({path})"
            )))
        }
    }
    let under = |prefix: &str| -> Option<String> {
        let rest = path.strip_prefix(prefix)?;
        if rest.is_empty() {
            Some("/".into())
        } else {
            rest.starts_with('/').then(|| rest.to_string())
        }
    };
    let (space_path, auth) = if method == "SYNC" {
        (String::new(), false)
    } else if under("/0").is_some() {
        let attrs = path
            .strip_prefix("/0/members/")
            .and_then(|p| p.strip_suffix("/attributes"))
            .and_then(|id| u64::from_str_radix(id, 16).ok());
        let Some(member_id) = attrs.filter(|_| method == "PUT") else {
            return Ok(EtcdProposal::Cluster(None));
        };
        #[derive(serde::Deserialize)]
        struct Attrs {
            #[serde(default)]
            name: String,
            #[serde(rename = "clientURLs", default)]
            client_urls: Vec<String>,
        }
        let a: Attrs = serde_json::from_str(&v2.val.unwrap_or_default())
            .map_err(|e| ImportError::Format(format!("member attributes: {e}")))?;
        return Ok(EtcdProposal::Cluster(Some(Box::new(InternalRaftRequest {
            header,
            member_attr_set: Some(MemberAttrSetRequest {
                member_id,
                name: a.name,
                client_urls: a.client_urls,
            }),
            ..Default::default()
        }))));
    } else if let Some(p) = under("/1") {
        (p, false)
    } else if let Some(p) = under("/2") {
        (p, true)
    } else {
        return Err(ImportError::Format(format!(
            "v2 request {method} on {path:?}, outside etcd's v2 store spaces (/0, /1, /2)"
        )));
    };
    Ok(EtcdProposal::V2(Box::new(InternalRaftRequest {
        header,
        v2: Some(V2Request {
            method,
            path: space_path,
            val: v2.val.unwrap_or_default(),
            dir: v2.dir.unwrap_or(false),
            prev_value: v2.prev_value.unwrap_or_default(),
            prev_index: v2.prev_index.unwrap_or(0),
            prev_exist: v2.prev_exist,
            expiration: v2.expiration.unwrap_or(0),
            recursive: v2.recursive.unwrap_or(false),
            refresh: v2.refresh,
            time: v2.time.unwrap_or(0),
            auth,
        }),
        ..Default::default()
    })))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::apply::etcd_export::{export, EtcdMember, ExportInfo};
    use crate::pb::etcdserverpb::RangeRequest;
    use crate::storage::etcd::bbolt::{status, OwnedItem};

    /// etcd 3.4.23's snapshot; its history is described in `storage::etcd::bbolt`'s tests.
    fn fixture() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("src/storage/etcd/testdata/etcd-3.4.23.snapshot.db")
    }

    /// Import of etcd's snapshot, then export: every bucket comes back byte for byte, so
    /// etcd's snapshot hash is the same.
    #[test]
    fn etcd_snapshot_imports_and_exports_back_to_the_same_hash() {
        let dir = tempfile::tempdir().unwrap();
        let env = crate::storage::open_env(dir.path(), crate::storage::EnvKind::State).unwrap();
        let stores = Stores {
            kv: crate::mvcc::KvStore::open(&env).unwrap(),
            leases: crate::lease::LeaseStore::open(&env).unwrap(),
            alarms: crate::alarm::AlarmStore::open(&env).unwrap(),
            members: crate::membership::store::MemberStore::open(&env).unwrap(),
            auth: crate::auth::store::AuthStore::open(&env).unwrap(),
            v2: crate::v2store::store::V2Store::open(&env).unwrap(),
        };
        let reader = Reader::open(&fixture()).unwrap();
        let mut w = env.write_txn().unwrap();
        let summary = import(&stores, &mut w, &reader).unwrap();
        w.commit().unwrap();
        assert_eq!(
            (summary.revision, summary.compact_revision, summary.leases),
            (174, 100, 1)
        );
        assert!(summary.skipped.is_empty(), "{:?}", summary.skipped);

        let r = env.read_txn().unwrap();
        // k0001: put at 2, then 20 more puts (versions survive the compaction at 100).
        let got = stores
            .kv
            .range(
                &r,
                &RangeRequest {
                    key: b"k0001".to_vec(),
                    ..Default::default()
                },
            )
            .unwrap();
        assert_eq!(got.kvs[0].version, 21);
        assert_eq!(got.kvs[0].create_revision, 2);
        assert!(stores.auth.is_enabled(&r).unwrap());
        assert_eq!(stores.auth.revision(&r).unwrap(), 6);
        let lease = stores.leases.list(&r).unwrap()[0].clone();
        assert_eq!(lease.ttl, 600);
        assert_eq!(
            stores.leases.keys(&r, lease.id).unwrap(),
            [b"leased".to_vec()]
        );

        let meta = reader.bucket(b"meta").unwrap().unwrap();
        let Some(OwnedItem::Value(ci)) = reader.get(&meta, b"consistent_index").unwrap() else {
            panic!("consistent_index");
        };
        let info = ExportInfo {
            consistent_index: u64::from_be_bytes(ci.try_into().unwrap()),
            members: vec![EtcdMember {
                id: 13_668_033_151_171_901_709,
                name: "default".into(),
                peer_urls: vec!["http://127.0.0.1:23801".into()],
                client_urls: vec!["http://127.0.0.1:23791".into()],
                is_learner: false,
            }],
            removed: Vec::new(),
        };
        let out = dir.path().join("out.db");
        let file = std::fs::File::create(&out).unwrap();
        export(&stores, &r, &info, file).unwrap();
        assert_eq!(status(&out).unwrap().hash, status(&fixture()).unwrap().hash);
        assert!(removed_members(&Reader::open(&out).unwrap())
            .unwrap()
            .is_empty());

        // Removed members go to `members_removed` as etcd writes them (hex key, `removed`),
        // in key byte order, and read back.
        let info = ExportInfo {
            removed: vec![0x2ab, 0x10, 0x9],
            ..info
        };
        export(&stores, &r, &info, std::fs::File::create(&out).unwrap()).unwrap();
        let reader = Reader::open(&out).unwrap();
        assert_eq!(removed_members(&reader).unwrap(), vec![0x9, 0x10, 0x2ab]);
        let bucket = reader.bucket(b"members_removed").unwrap().unwrap();
        let mut keys = Vec::new();
        reader
            .for_each::<BoltError, _>(&bucket, |k, item| {
                assert!(matches!(item, Item::Value(b"removed")));
                keys.push(String::from_utf8(k.to_vec()).unwrap());
                Ok(())
            })
            .unwrap();
        assert_eq!(keys, ["10", "2ab", "9"]);
    }

    /// etcd's two payload kinds: a v3 `InternalRaftRequest` (header set, 3.4's plaintext
    /// password hashed here), a v2 `Request`: member attributes and the cluster version under
    /// `/0`, the user's keys under `/1`, v2 auth under `/2`, SYNC, QGET.
    #[test]
    fn etcd_proposals_decode_as_etcds_apply_reads_them() {
        use crate::pb::etcdserverpb::{AuthUserAddRequest, PutRequest, Request};
        use crate::pb::peer::RequestHeader;
        let put = InternalRaftRequest {
            header: Some(RequestHeader {
                id: 7,
                ..Default::default()
            }),
            put: Some(PutRequest {
                key: b"k".to_vec(),
                value: b"v".to_vec(),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(
            decode_proposal(&put.encode_to_vec()).unwrap(),
            EtcdProposal::Apply(Box::new(put))
        );
        let add = InternalRaftRequest {
            header: Some(RequestHeader::default()),
            auth_user_add: Some(AuthUserAddRequest {
                name: b"alice".to_vec(),
                password: b"pw".to_vec(),
                ..Default::default()
            }),
            ..Default::default()
        };
        let EtcdProposal::Apply(got) = decode_proposal(&add.encode_to_vec()).unwrap() else {
            panic!("user add");
        };
        let u = got.auth_user_add.unwrap();
        assert!(u.password.is_empty());
        assert!(crate::auth::password::verify(
            b"pw",
            u.hashed_password.as_bytes()
        ));

        let attrs = Request {
            id: Some(9),
            method: Some("PUT".into()),
            path: Some("/0/members/8e9e05c52164694d/attributes".into()),
            val: Some(r#"{"name":"default","clientURLs":["http://localhost:2379"]}"#.into()),
            ..Default::default()
        };
        let EtcdProposal::Cluster(Some(got)) = decode_proposal(&attrs.encode_to_vec()).unwrap()
        else {
            panic!("attributes");
        };
        let m = got.member_attr_set.unwrap();
        assert_eq!(m.member_id, 0x8e9e_05c5_2164_694d);
        assert_eq!(m.name, "default");
        assert_eq!(m.client_urls, ["http://localhost:2379"]);

        let version = Request {
            method: Some("PUT".into()),
            path: Some("/0/version".into()),
            val: Some("3.4.0".into()),
            ..Default::default()
        };
        assert_eq!(
            decode_proposal(&version.encode_to_vec()).unwrap(),
            EtcdProposal::Cluster(None)
        );
        assert_eq!(decode_proposal(&[]).unwrap(), EtcdProposal::Nothing);
        // The user's v2 keys live under etcd's /1, v2 auth under /2.
        let user = Request {
            id: Some(3),
            method: Some("PUT".into()),
            path: Some("/1/foo".into()),
            val: Some("bar".into()),
            expiration: Some(5_000_000_000),
            prev_exist: Some(false),
            ..Default::default()
        };
        let EtcdProposal::V2(got) = decode_proposal(&user.encode_to_vec()).unwrap() else {
            panic!("v2 put");
        };
        assert!(got.header.as_ref().unwrap().internal);
        let r = got.v2.unwrap();
        assert_eq!(
            (r.method.as_str(), r.path.as_str(), r.val.as_str()),
            ("PUT", "/foo", "bar")
        );
        assert_eq!(
            (r.expiration, r.prev_exist, r.auth),
            (5_000_000_000, Some(false), false)
        );
        let auth = Request {
            method: Some("PUT".into()),
            path: Some("/2/users/root".into()),
            val: Some("{}".into()),
            ..Default::default()
        };
        let EtcdProposal::V2(got) = decode_proposal(&auth.encode_to_vec()).unwrap() else {
            panic!("v2 auth");
        };
        let r = got.v2.unwrap();
        assert_eq!((r.path.as_str(), r.auth), ("/users/root", true));
        let sync = Request {
            method: Some("SYNC".into()),
            time: Some(77),
            ..Default::default()
        };
        let EtcdProposal::V2(got) = decode_proposal(&sync.encode_to_vec()).unwrap() else {
            panic!("sync");
        };
        assert_eq!(got.v2.unwrap().time, 77);
        let qget = Request {
            method: Some("QGET".into()),
            path: Some("/1/foo".into()),
            ..Default::default()
        };
        assert_eq!(
            decode_proposal(&qget.encode_to_vec()).unwrap(),
            EtcdProposal::Nothing
        );
        let elsewhere = Request {
            method: Some("PUT".into()),
            path: Some("/foo".into()),
            ..Default::default()
        };
        let err = decode_proposal(&elsewhere.encode_to_vec()).unwrap_err();
        assert!(err.to_string().contains("outside etcd's v2 store"), "{err}");
    }

    #[test]
    fn members_json_is_etcds() {
        let m = parse_member(
            br#"{"id":10276657743932975437,"peerURLs":["http://localhost:2380"],"name":"default","clientURLs":["http://localhost:2379"]}"#,
        )
        .unwrap();
        assert_eq!(m.id, 10_276_657_743_932_975_437);
        assert_eq!(m.name, "default");
        assert!(!m.is_learner);
        let l = parse_member(br#"{"id":1,"peerURLs":["http://a:2380"],"isLearner":true}"#).unwrap();
        assert!(l.is_learner && l.name.is_empty());
        assert!(parse_member(b"not json").is_err());
    }
}
