//! One fuzz input from bytes to applied state: decode as a request type, the server's
//! checks before proposing ([`prepare`]), the state machine's own batch apply on two
//! replicas ([`Pair::round`]), and the invariants checked after each round.

use std::fmt::Write as _;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use openraft::{CommittedLeaderId, Entry, EntryPayload, LogId};
use prost::Message;

use super::wire::{self, Field};
use crate::apply::state::StateStore;
use crate::apply::ApplyResult;
use crate::pb::etcdserverpb::alarm_request::AlarmAction;
use crate::pb::etcdserverpb::compare::{CompareResult, CompareTarget, TargetUnion};
use crate::pb::etcdserverpb::request_op::Request;
use crate::pb::etcdserverpb::{self as pb, RangeRequest};
use crate::pb::peer::{InternalAuthenticateRequest, InternalRaftBatch, InternalRaftRequest};
use crate::raft::TypeConfig;
use crate::server::concurrency;

/// etcd's default `--max-request-bytes` (1.5 MiB): the server refuses larger proposals.
const MAX_REQUEST_BYTES: usize = 1_572_864;
/// etcd's default `--max-txn-ops`.
const MAX_TXN_OPS: usize = 128;
/// etcd's defaults `--heartbeat-interval` / `--election-timeout` in ms (minimum lease TTL).
const HEARTBEAT_MS: u64 = 100;
const ELECTION_MS: u64 = 1000;
/// The random prefix of a simple token, fixed so both replicas and replays agree.
const TOKEN_PREFIX: &str = "FUZZfuzzFUZZfuzz";

/// Every request type a client or a peer can make reach apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Target {
    Put,
    DeleteRange,
    Txn,
    Compaction,
    LeaseGrant,
    LeaseRevoke,
    Alarm,
    AuthEnable,
    AuthDisable,
    Authenticate,
    UserAdd,
    UserGet,
    UserDelete,
    UserChangePassword,
    UserGrantRole,
    UserRevokeRole,
    UserList,
    RoleAdd,
    RoleGet,
    RoleDelete,
    RoleGrantPermission,
    RoleRevokePermission,
    RoleList,
    /// v3lock Lock: the server's first txn (`EtcdServer::lock`), after a session lease.
    Lock,
    /// v3lock Unlock: a delete of the given key, unvalidated (`EtcdServer::unlock`).
    Unlock,
    /// v3election Campaign: the campaign txn (`EtcdServer::campaign`).
    Campaign,
    /// v3election Proclaim: the proclaim txn on the leader key (`EtcdServer::proclaim`).
    Proclaim,
    /// v3election Resign: the resign txn on the leader key (`EtcdServer::resign`).
    Resign,
    /// A peer's `Leader.Forward`: an `InternalRaftRequest` proposed as it arrives.
    PeerForward,
}

impl Target {
    /// Every target, in a fixed order; [`Target::PeerForward`] last.
    pub(crate) const ALL: [Target; 29] = [
        Target::Put,
        Target::DeleteRange,
        Target::Txn,
        Target::Compaction,
        Target::LeaseGrant,
        Target::LeaseRevoke,
        Target::Alarm,
        Target::AuthEnable,
        Target::AuthDisable,
        Target::Authenticate,
        Target::UserAdd,
        Target::UserGet,
        Target::UserDelete,
        Target::UserChangePassword,
        Target::UserGrantRole,
        Target::UserRevokeRole,
        Target::UserList,
        Target::RoleAdd,
        Target::RoleGet,
        Target::RoleDelete,
        Target::RoleGrantPermission,
        Target::RoleRevokePermission,
        Target::RoleList,
        Target::Lock,
        Target::Unlock,
        Target::Campaign,
        Target::Proclaim,
        Target::Resign,
        Target::PeerForward,
    ];

    /// The name used in corpus files (the `InternalRaftRequest` field it fills).
    pub(crate) fn name(self) -> &'static str {
        match self {
            Target::Put => "put",
            Target::DeleteRange => "delete_range",
            Target::Txn => "txn",
            Target::Compaction => "compaction",
            Target::LeaseGrant => "lease_grant",
            Target::LeaseRevoke => "lease_revoke",
            Target::Alarm => "alarm",
            Target::AuthEnable => "auth_enable",
            Target::AuthDisable => "auth_disable",
            Target::Authenticate => "authenticate",
            Target::UserAdd => "auth_user_add",
            Target::UserGet => "auth_user_get",
            Target::UserDelete => "auth_user_delete",
            Target::UserChangePassword => "auth_user_change_password",
            Target::UserGrantRole => "auth_user_grant_role",
            Target::UserRevokeRole => "auth_user_revoke_role",
            Target::UserList => "auth_user_list",
            Target::RoleAdd => "auth_role_add",
            Target::RoleGet => "auth_role_get",
            Target::RoleDelete => "auth_role_delete",
            Target::RoleGrantPermission => "auth_role_grant_permission",
            Target::RoleRevokePermission => "auth_role_revoke_permission",
            Target::RoleList => "auth_role_list",
            Target::Lock => "lock",
            Target::Unlock => "unlock",
            Target::Campaign => "campaign",
            Target::Proclaim => "proclaim",
            Target::Resign => "resign",
            Target::PeerForward => "peer_forward",
        }
    }

    /// The target named `name` in a corpus file.
    pub(crate) fn from_name(name: &str) -> Option<Target> {
        Target::ALL.into_iter().find(|t| t.name() == name)
    }

    /// The wire schema the generator writes for this target.
    pub(crate) fn schema(self) -> &'static [Field] {
        match self {
            Target::Put => wire::put_request(),
            Target::DeleteRange => wire::delete_range_request(),
            Target::Txn => wire::txn_request(),
            Target::Compaction => wire::compaction_request(),
            Target::LeaseGrant => wire::lease_grant_request(),
            Target::LeaseRevoke => wire::lease_revoke_request(),
            Target::Alarm => wire::alarm_request(),
            Target::AuthEnable | Target::AuthDisable | Target::UserList | Target::RoleList => {
                wire::empty()
            }
            Target::Authenticate => wire::authenticate_request(),
            Target::UserAdd => wire::user_add_request(),
            Target::UserGet | Target::UserDelete | Target::RoleAdd => wire::name_only(),
            Target::RoleGet | Target::RoleDelete => wire::name_only(),
            Target::UserChangePassword => wire::user_change_password_request(),
            Target::UserGrantRole | Target::UserRevokeRole => wire::two_names(),
            Target::RoleGrantPermission => wire::role_grant_permission_request(),
            Target::RoleRevokePermission => wire::role_revoke_permission_request(),
            Target::Lock => wire::lock_request(),
            Target::Unlock => wire::unlock_request(),
            Target::Campaign => wire::campaign_request(),
            Target::Proclaim => wire::proclaim_request(),
            Target::Resign => wire::resign_request(),
            Target::PeerForward => wire::internal_raft_request(),
        }
    }
}

/// On whose behalf a client request is proposed (the server resolves it from the token or
/// the client certificate's CN before proposing; a CN can be any string).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Who {
    /// No token (auth off, or refused by apply's checks while on).
    Anonymous,
    /// A token of `root`.
    Root,
    /// A token or certificate CN naming this user.
    User(String),
}

impl Who {
    /// The corpus-file spelling: `anon`, `root` or `user:<hex>`.
    pub(crate) fn spell(&self) -> String {
        match self {
            Who::Anonymous => "anon".into(),
            Who::Root => "root".into(),
            Who::User(u) => format!("user:{}", hex::encode(u)),
        }
    }

    /// Parses [`Who::spell`].
    pub(crate) fn parse(s: &str) -> Option<Who> {
        match s {
            "anon" => Some(Who::Anonymous),
            "root" => Some(Who::Root),
            _ => {
                let h = s.strip_prefix("user:")?;
                String::from_utf8(hex::decode(h).ok()?).ok().map(Who::User)
            }
        }
    }
}

/// One fuzz input: bytes to decode as `target`, sent by `who`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Input {
    /// The request type the bytes are decoded as.
    pub target: Target,
    /// The caller.
    pub who: Who,
    /// The encoded request.
    pub bytes: Vec<u8>,
}

impl Input {
    /// The corpus-file line: `<target> <who> <hex>`.
    pub(crate) fn line(&self) -> String {
        format!(
            "{} {} {}",
            self.target.name(),
            self.who.spell(),
            hex::encode(&self.bytes)
        )
    }

    /// Parses [`Input::line`].
    pub(crate) fn parse(line: &str) -> Option<Input> {
        let mut parts = line.split_whitespace();
        let target = Target::from_name(parts.next()?)?;
        let who = Who::parse(parts.next()?)?;
        let bytes = hex::decode(parts.next().unwrap_or("")).ok()?;
        Some(Input { target, who, bytes })
    }

    /// The decoded request for a report (as prepared, or why it was refused), cut to a
    /// readable length.
    pub(crate) fn describe(&self, store: &StateStore) -> String {
        let s = match prepare(self, store, 0) {
            Ok(reqs) => format!("{reqs:?}"),
            Err(refused) => format!("refused before proposing: {refused}"),
        };
        cut(&s, 1500)
    }
}

/// `s` cut to at most `max` characters (with a note of the original length).
pub(crate) fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let head: String = s.chars().take(max).collect();
    format!("{head}... ({} chars)", s.chars().count())
}

/// A bcrypt hash the proposer would have computed (cost 4; the password never matters to
/// apply, only that a hash travels).
fn fixed_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| {
        crate::auth::password::hash(b"fuzz", 4).expect("invariant: bcrypt of a short password")
    })
}

fn decode<M: Message + Default>(bytes: &[u8]) -> Result<M, String> {
    M::decode(bytes).map_err(|e| format!("decode: {e}"))
}

fn wire(e: crate::rpctypes::WireError) -> String {
    format!("wire: {e:?}")
}

/// Decodes `input` and runs what the server does before proposing it (the v3rpc handler's
/// validation, then `server::*`: request-size limit, lease ID and minimum TTL, password
/// hashing, the Authenticate password lookup, the header with the caller's user and auth
/// revision). `seq` stands in for the server's request ID generator. `Err` names why
/// the server would refuse it: nothing would be proposed.
pub(crate) fn prepare(
    input: &Input,
    store: &StateStore,
    seq: u64,
) -> Result<Vec<InternalRaftRequest>, String> {
    let b = &input.bytes;
    let mut internal = false;
    let mut req = InternalRaftRequest::default();
    let who = &input.who;
    match input.target {
        Target::Put => {
            let r: pb::PutRequest = decode(b)?;
            crate::v3rpc::validate::check_put(&r).map_err(wire)?;
            req.put = Some(r);
        }
        Target::DeleteRange => {
            let r: pb::DeleteRangeRequest = decode(b)?;
            crate::v3rpc::validate::check_delete(&r).map_err(wire)?;
            req.delete_range = Some(r);
        }
        Target::Txn => {
            let r: pb::TxnRequest = decode(b)?;
            crate::v3rpc::validate::check_txn(&r, MAX_TXN_OPS).map_err(wire)?;
            req.txn = Some(r);
        }
        Target::Compaction => {
            req.compaction = Some(decode(b)?);
            internal = true;
        }
        Target::LeaseGrant => {
            let mut r: pb::LeaseGrantRequest = decode(b)?;
            if r.id == 0 {
                r.id = derived_id(b);
            }
            r.ttl = r
                .ttl
                .max(crate::lease::min_lease_ttl(HEARTBEAT_MS, ELECTION_MS));
            req.lease_grant = Some(r);
            internal = true;
        }
        Target::LeaseRevoke => req.lease_revoke = Some(decode(b)?),
        Target::Alarm => {
            let r: pb::AlarmRequest = decode(b)?;
            if r.action == AlarmAction::Get as i32 {
                return Err("alarm get is served locally".into());
            }
            req.alarm = Some(r);
            internal = true;
        }
        Target::AuthEnable => req.auth_enable = Some(decode(b)?),
        Target::AuthDisable => req.auth_disable = Some(decode(b)?),
        Target::Authenticate => {
            let r: pb::AuthenticateRequest = decode(b)?;
            // The proposer checks the password against its store first; assume the
            // attacker knows it (bcrypt would refuse a random one).
            let backend = store.backend().map_err(|e| e.to_string())?;
            let rtxn = backend.env.read_txn().map_err(|e| e.to_string())?;
            backend
                .auth
                .password_of(&rtxn, &r.name)
                .map_err(|e| format!("server storage: {e}"))?
                .map_err(|e| format!("auth: {e}"))?;
            // As the server does: the log's Authenticate names the user as text (lossy).
            req.authenticate = Some(InternalAuthenticateRequest {
                name: String::from_utf8_lossy(&r.name).into_owned(),
                password: String::new(),
                simple_token: TOKEN_PREFIX.into(),
            });
            return Ok(vec![stamp(req, &Who::Anonymous, false, seq, store)]);
        }
        Target::UserAdd => {
            let mut r: pb::AuthUserAddRequest = decode(b)?;
            let no_password = r.options.as_ref().is_some_and(|o| o.no_password);
            r.hashed_password = if no_password {
                String::new()
            } else {
                fixed_hash().into()
            };
            r.password.clear();
            req.auth_user_add = Some(r);
        }
        Target::UserGet => req.auth_user_get = Some(decode(b)?),
        Target::UserDelete => req.auth_user_delete = Some(decode(b)?),
        Target::UserChangePassword => {
            let mut r: pb::AuthUserChangePasswordRequest = decode(b)?;
            r.hashed_password = fixed_hash().into();
            r.password.clear();
            req.auth_user_change_password = Some(r);
        }
        Target::UserGrantRole => req.auth_user_grant_role = Some(decode(b)?),
        Target::UserRevokeRole => req.auth_user_revoke_role = Some(decode(b)?),
        Target::UserList => req.auth_user_list = Some(decode(b)?),
        Target::RoleAdd => req.auth_role_add = Some(decode(b)?),
        Target::RoleGet => req.auth_role_get = Some(decode(b)?),
        Target::RoleDelete => req.auth_role_delete = Some(decode(b)?),
        Target::RoleGrantPermission => req.auth_role_grant_permission = Some(decode(b)?),
        Target::RoleRevokePermission => req.auth_role_revoke_permission = Some(decode(b)?),
        Target::RoleList => req.auth_role_list = Some(decode(b)?),
        Target::Lock => {
            let r: crate::pb::v3lockpb::LockRequest = decode(b)?;
            let (grant, lease) = session_lease(r.lease, b, seq, store);
            let pfx = concurrency::prefix(&r.name);
            let my_key = concurrency::contender_key(&r.name, lease);
            req.txn = Some(pb::TxnRequest {
                compare: vec![create_rev_is(&my_key, 0)],
                success: vec![
                    op_put(&my_key, b"", lease),
                    op(Request::RequestRange(concurrency::first_create(&pfx))),
                ],
                failure: vec![
                    op_get(&my_key),
                    op(Request::RequestRange(concurrency::first_create(&pfx))),
                ],
            });
            return Ok(grant
                .into_iter()
                .chain([stamp(req, who, false, seq, store)])
                .collect());
        }
        Target::Unlock => {
            let r: crate::pb::v3lockpb::UnlockRequest = decode(b)?;
            req.delete_range = Some(pb::DeleteRangeRequest {
                key: r.key,
                ..Default::default()
            });
        }
        Target::Campaign => {
            let r: crate::pb::v3electionpb::CampaignRequest = decode(b)?;
            let (grant, lease) = session_lease(r.lease, b, seq, store);
            let key = concurrency::contender_key(&r.name, lease);
            req.txn = Some(pb::TxnRequest {
                compare: vec![create_rev_is(&key, 0)],
                success: vec![op_put(&key, &r.value, lease)],
                failure: vec![op_get(&key)],
            });
            return Ok(grant
                .into_iter()
                .chain([stamp(req, who, false, seq, store)])
                .collect());
        }
        Target::Proclaim => {
            let r: crate::pb::v3electionpb::ProclaimRequest = decode(b)?;
            let leader = r.leader.ok_or("election: missing leader key")?;
            let (grant, lease) = session_lease(leader.lease, b, seq, store);
            req.txn = Some(pb::TxnRequest {
                compare: vec![create_rev_is(&leader.key, leader.rev)],
                success: vec![op_put(&leader.key, &r.value, lease)],
                failure: Vec::new(),
            });
            return Ok(grant
                .into_iter()
                .chain([stamp(req, who, false, seq, store)])
                .collect());
        }
        Target::Resign => {
            let r: crate::pb::v3electionpb::ResignRequest = decode(b)?;
            let leader = r.leader.ok_or("election: missing leader key")?;
            let (grant, _) = session_lease(leader.lease, b, seq, store);
            req.txn = Some(pb::TxnRequest {
                compare: vec![create_rev_is(&leader.key, leader.rev)],
                success: vec![op(Request::RequestDeleteRange(pb::DeleteRangeRequest {
                    key: leader.key.clone(),
                    ..Default::default()
                }))],
                failure: Vec::new(),
            });
            return Ok(grant
                .into_iter()
                .chain([stamp(req, who, false, seq, store)])
                .collect());
        }
        Target::PeerForward => return decode(b).map(|r| vec![r]),
    }
    Ok(vec![stamp(req, who, internal, seq, store)])
}

/// A lease ID derived from the input bytes (the server picks a random one; a replay of a
/// corpus file must pick the same).
fn derived_id(b: &[u8]) -> i64 {
    let h = b.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, x| {
        (h ^ u64::from(*x)).wrapping_mul(0x100_0000_01b3)
    });
    ((h >> 1) | 1) as i64
}

/// The recipes' session lease (`EtcdServer::session_lease`): `lease` itself, or for 0 a
/// grant of a fresh 60 s lease proposed first.
fn session_lease(
    lease: i64,
    b: &[u8],
    seq: u64,
    store: &StateStore,
) -> (Option<InternalRaftRequest>, i64) {
    if lease != 0 {
        return (None, lease);
    }
    let id = derived_id(b);
    let grant = InternalRaftRequest {
        lease_grant: Some(pb::LeaseGrantRequest {
            ttl: concurrency::DEFAULT_SESSION_TTL,
            id,
        }),
        ..Default::default()
    };
    (Some(stamp(grant, &Who::Anonymous, true, seq, store)), id)
}

/// The recipes' txn pieces, as `server::concurrency` builds them.
fn create_rev_is(key: &[u8], rev: i64) -> pb::Compare {
    pb::Compare {
        result: CompareResult::Equal as i32,
        target: CompareTarget::Create as i32,
        key: key.to_vec(),
        range_end: Vec::new(),
        target_union: Some(TargetUnion::CreateRevision(rev)),
    }
}

fn op(r: Request) -> pb::RequestOp {
    pb::RequestOp { request: Some(r) }
}

fn op_put(key: &[u8], value: &[u8], lease: i64) -> pb::RequestOp {
    op(Request::RequestPut(pb::PutRequest {
        key: key.to_vec(),
        value: value.to_vec(),
        lease,
        ..Default::default()
    }))
}

fn op_get(key: &[u8]) -> pb::RequestOp {
    op(Request::RequestRange(RangeRequest {
        key: key.to_vec(),
        ..Default::default()
    }))
}

/// What `EtcdServer::propose_as` adds: the ID, the header (user and auth revision as the
/// token resolved them, or internal), the proposer's clock; then the size limit.
fn stamp(
    mut req: InternalRaftRequest,
    who: &Who,
    internal: bool,
    seq: u64,
    store: &StateStore,
) -> InternalRaftRequest {
    let auth_revision = store
        .backend()
        .ok()
        .and_then(|b| {
            let rtxn = b.env.read_txn().ok()?;
            b.auth.revision(&rtxn).ok()
        })
        .unwrap_or(0);
    let id = seq.wrapping_add(1);
    req.id = id;
    req.header = Some(crate::pb::peer::RequestHeader {
        id,
        username: match (internal, who) {
            (true, _) | (false, Who::Anonymous) => String::new(),
            (false, Who::Root) => "root".into(),
            (false, Who::User(u)) => u.clone(),
        },
        auth_revision: if internal || *who == Who::Anonymous {
            0
        } else {
            auth_revision
        },
        internal,
    });
    req.time_unix_nanos = 1_700_000_000_000_000_000 + seq as i64;
    req
}

/// Whether the server would refuse the prepared request for its size.
fn too_large(req: &InternalRaftRequest) -> bool {
    req.encoded_len() > MAX_REQUEST_BYTES
}

/// Why a round broke an invariant.
#[derive(Debug, Clone)]
pub(crate) struct Violation {
    /// A short stable name of what broke (`fatal:mdb-bad-valsize`, `panic:src/x.rs:10`,
    /// `divergence:results`, `inconsistent:range`...): corpus files are named after it.
    pub class: String,
    /// The full message.
    pub detail: String,
}

impl Violation {
    fn new(class: impl Into<String>, detail: impl Into<String>) -> Violation {
        Violation {
            class: class.into(),
            detail: detail.into(),
        }
    }
}

/// Names a fatal apply error by its cause.
pub(crate) fn fatal_class(msg: &str) -> String {
    for code in [
        "MDB_BAD_VALSIZE",
        "MDB_MAP_FULL",
        "MDB_TXN_FULL",
        "MDB_CORRUPTED",
        "MDB_PAGE_NOTFOUND",
        "MDB_KEYEXIST",
        "MDB_NOTFOUND",
        "MDB_BAD_TXN",
    ] {
        if msg.contains(code) {
            return format!(
                "fatal:{}",
                code.trim_start_matches("MDB_")
                    .to_lowercase()
                    .replace('_', "-")
            );
        }
    }
    let word: String = msg
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .take(40)
        .collect();
    format!("fatal:{}", word.trim_matches('-'))
}

thread_local! {
    static LAST_PANIC: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Installs (once) a panic hook that remembers where the last panic on this thread
/// happened, then runs the previous hook (so test output is unchanged).
fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let loc = info
                .location()
                .map(|l| format!("{}:{}", l.file(), l.line()))
                .unwrap_or_else(|| "unknown".into());
            LAST_PANIC.with(|p| *p.borrow_mut() = Some(loc));
            if std::env::var_os("ETCD_FUZZ_QUIET_PANICS").is_none() {
                prev(info);
            }
        }));
    });
}

/// Runs `f`, turning a panic into a [`Violation`] named for where it happened.
pub(crate) fn no_panic<T>(f: impl FnOnce() -> Result<T, Violation>) -> Result<T, Violation> {
    install_panic_hook();
    match std::panic::catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => {
            let msg = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "non-string panic".into());
            let loc = LAST_PANIC
                .with(|p| p.borrow_mut().take())
                .unwrap_or_else(|| "unknown".into());
            Err(Violation::new(format!("panic:{loc}"), msg))
        }
    }
}

/// What a replica's state looks like through every store's read API; equal on two
/// replicas that applied the same entries.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Summary {
    revision: i64,
    compact_revision: i64,
    hash_kv: u32,
    keys: i64,
    leases: Vec<(i64, i64, Vec<Vec<u8>>)>,
    users: Vec<Vec<u8>>,
    roles: Vec<Vec<u8>>,
    alarms: String,
    auth: (bool, u64),
}

/// One replica: a state store in its own temp dir, fed entries through the state
/// machine's batch apply.
pub(crate) struct Replica {
    store: Arc<StateStore>,
    next_index: u64,
    _dir: tempfile::TempDir,
}

impl Replica {
    /// A fresh, empty replica. Its environment does not fsync commits
    /// (`EnvKind::StateDeferredSync`, as the server's).
    pub(crate) fn new() -> Replica {
        let dir = tempfile::tempdir().expect("invariant: a temp dir can be created");
        let store =
            StateStore::open(dir.path().join("db")).expect("invariant: a new state store opens");
        Replica {
            store,
            next_index: 1,
            _dir: dir,
        }
    }

    /// The state store.
    pub(crate) fn store(&self) -> &StateStore {
        &self.store
    }

    /// Applies `requests` as one Raft log entry through `raft::state_machine::apply_batch`.
    fn apply(&mut self, requests: Vec<InternalRaftRequest>) -> Result<Vec<ApplyResult>, Violation> {
        let entry = Entry::<TypeConfig> {
            log_id: LogId::new(CommittedLeaderId::new(1, 1), self.next_index),
            payload: EntryPayload::Normal(InternalRaftBatch { requests }),
        };
        self.next_index += 1;
        match crate::raft::state_machine::apply_batch(&self.store, vec![entry]) {
            Ok((mut results, _batch)) => Ok(results.pop().map(|r| r.0).unwrap_or_default()),
            Err(e) => {
                let msg = e.to_string();
                Err(Violation::new(fatal_class(&msg), msg))
            }
        }
    }

    /// Reads the whole state through each store; any error breaks consistency.
    fn summary(&self) -> Result<Summary, Violation> {
        let bad = |what: &str, e: &dyn std::fmt::Display| {
            Violation::new(format!("inconsistent:{what}"), format!("{what}: {e}"))
        };
        let b = self.store.backend().map_err(|e| bad("backend", &e))?;
        let rtxn = b.env.read_txn().map_err(|e| bad("read-txn", &e))?;
        let revision =
            b.kv.current_revision(&rtxn)
                .map_err(|e| bad("revision", &e))?;
        let compact_revision =
            b.kv.compact_revision(&rtxn)
                .map_err(|e| bad("compact-revision", &e))?;
        let (hash_kv, _) = b.kv.hash_kv(&rtxn, 0).map_err(|e| bad("hash-kv", &e))?;
        let all = RangeRequest {
            key: vec![0],
            range_end: vec![0],
            keys_only: true,
            ..Default::default()
        };
        let keys = b.kv.range(&rtxn, &all).map_err(|e| bad("range", &e))?.count;
        let mut leases = Vec::new();
        for l in b.leases.list(&rtxn).map_err(|e| bad("leases", &e))? {
            let attached = b
                .leases
                .keys(&rtxn, l.id)
                .map_err(|e| bad("lease-keys", &e))?;
            leases.push((l.id, l.ttl, attached));
        }
        let users = b.auth.user_names(&rtxn).map_err(|e| bad("users", &e))?;
        for u in &users {
            b.auth.user(&rtxn, u).map_err(|e| bad("user", &e))?;
        }
        let roles = b.auth.role_names(&rtxn).map_err(|e| bad("roles", &e))?;
        for r in &roles {
            b.auth.role(&rtxn, r).map_err(|e| bad("role", &e))?;
        }
        let alarms = format!("{:?}", b.alarms.list(&rtxn).map_err(|e| bad("alarms", &e))?);
        let auth = (
            b.auth
                .is_enabled(&rtxn)
                .map_err(|e| bad("auth-enabled", &e))?,
            b.auth
                .revision(&rtxn)
                .map_err(|e| bad("auth-revision", &e))?,
        );
        Ok(Summary {
            revision,
            compact_revision,
            hash_kv,
            keys,
            leases,
            users,
            roles,
            alarms,
            auth,
        })
    }
}

/// Two replicas fed the same entries.
pub(crate) struct Pair {
    a: Replica,
    b: Replica,
    seq: u64,
    last: Option<Summary>,
}

impl Default for Pair {
    fn default() -> Self {
        Pair::new()
    }
}

impl Pair {
    /// Two fresh replicas.
    pub(crate) fn new() -> Pair {
        Pair {
            a: Replica::new(),
            b: Replica::new(),
            seq: 0,
            last: None,
        }
    }

    /// Replica `a` (the "proposer" whose state the server-side checks read).
    pub(crate) fn proposer(&self) -> &StateStore {
        self.a.store()
    }

    /// One round: each input prepared as the server would (refused ones dropped), the rest
    /// applied as one log entry on both replicas; then the invariants. Returns how many
    /// inputs reached apply.
    ///
    /// # Errors
    /// The first broken invariant: a panic anywhere, a fatal apply error, results or state
    /// that differ between the replicas, a store read that fails, a revision going back.
    pub(crate) fn round(&mut self, inputs: &[Input]) -> Result<usize, Violation> {
        no_panic(|| {
            let mut reqs = Vec::new();
            for input in inputs {
                self.seq += 1;
                if let Ok(prepared) = prepare(input, self.a.store(), self.seq) {
                    for req in prepared {
                        if input.target == Target::PeerForward || !too_large(&req) {
                            reqs.push(req);
                        }
                    }
                }
            }
            if reqs.is_empty() {
                return Ok(0);
            }
            let n = reqs.len();
            let (ra, rb) = match (self.a.apply(reqs.clone()), self.b.apply(reqs)) {
                (Ok(ra), Ok(rb)) => (ra, rb),
                // The same fatal on both: the entry's transaction was aborted on both.
                (Err(va), Err(vb)) if va.class == vb.class => return Err(va),
                (a, b) => {
                    return Err(Violation::new(
                        "divergence:fatal",
                        cut(&format!("replica a: {a:?}\nreplica b: {b:?}"), 4000),
                    ))
                }
            };
            if ra != rb {
                return Err(Violation::new(
                    "divergence:results",
                    cut(&format!("replica a: {ra:?}\nreplica b: {rb:?}"), 4000),
                ));
            }
            let before = self.last.as_ref().map(|s| s.revision).unwrap_or(1);
            let mut prev = before;
            for r in &ra {
                if r.revision < prev {
                    return Err(Violation::new(
                        "inconsistent:revision-went-back",
                        format!("result revision {} after {prev}", r.revision),
                    ));
                }
                prev = r.revision;
            }
            let sa = self.a.summary()?;
            let sb = self.b.summary()?;
            if sa != sb {
                return Err(Violation::new(
                    "divergence:state",
                    cut(&format!("replica a: {sa:?}\nreplica b: {sb:?}"), 4000),
                ));
            }
            if sa.revision < before {
                return Err(Violation::new(
                    "inconsistent:revision-went-back",
                    format!("store revision {} after {before}", sa.revision),
                ));
            }
            self.last = Some(sa);
            Ok(n)
        })
    }
}

/// Everything known about one failing round, for the report and the corpus file.
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    /// What broke.
    pub violation: Violation,
    /// The inputs that reproduce it on fresh replicas (one when it could be isolated).
    pub inputs: Vec<Input>,
    /// Whether `inputs` reproduce it on fresh replicas (otherwise the earlier history of
    /// the run matters: rerun with the printed seed).
    pub isolated: bool,
    /// Where it was found: seed and input number.
    pub found: String,
}

impl Failure {
    /// A human report: the class, the message, each input as hex and decoded.
    pub(crate) fn report(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "class: {}", self.violation.class);
        let _ = writeln!(s, "found: {}", self.found);
        let _ = writeln!(
            s,
            "reproduces on fresh replicas: {}",
            if self.isolated {
                "yes"
            } else {
                "no (rerun the seed)"
            }
        );
        let _ = writeln!(s, "error: {}", cut(&self.violation.detail, 2000));
        let fresh = Replica::new();
        for (i, input) in self.inputs.iter().enumerate() {
            let _ = writeln!(s, "input[{i}]: {}", cut(&input.line(), 3000));
            let _ = writeln!(s, "decoded[{i}]: {}", input.describe(fresh.store()));
        }
        s
    }

    /// The corpus file text: comment lines (`#`) with the report, then one input a line
    /// (each replayed as its own log entry, in order).
    pub(crate) fn corpus_text(&self) -> String {
        let mut s = String::from(
            "# etcd-oxide fuzz regression input (src/fuzz): replayed by fuzz::tests::corpus_replays\n",
        );
        for line in self.report().lines() {
            if !line.starts_with("input[") {
                let _ = writeln!(s, "# {line}");
            }
        }
        for input in &self.inputs {
            let _ = writeln!(s, "{}", input.line());
        }
        s
    }

    /// The corpus file name: what broke and the request type that broke it.
    pub(crate) fn file_name(&self) -> String {
        let class: String = self
            .violation
            .class
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        // The last input is the one that failed (earlier ones set the state up).
        let target = self
            .inputs
            .last()
            .map(|i| i.target.name())
            .unwrap_or("none");
        format!("{}--{target}.txt", class.trim_matches('-'))
    }
}

/// Replays `inputs` on fresh replicas, one log entry each, in order; the first broken
/// invariant.
pub(crate) fn replay(inputs: &[Input]) -> Result<usize, Violation> {
    let mut pair = Pair::new();
    let mut applied = 0;
    for input in inputs {
        applied += pair.round(std::slice::from_ref(input))?;
    }
    Ok(applied)
}

/// Narrows a failing round down to few inputs that still break the same invariant when
/// replayed on fresh replicas ([`replay`]), with at most `budget` replays: one input of
/// the round alone if it suffices; otherwise the run's `history` before the round (the
/// inputs applied to these replicas so far) followed by the round, with chunks of the
/// history dropped while it still fails; then the bytes of a lone input are shrunk.
pub(crate) fn minimize(
    v: &Violation,
    history: &[Input],
    round: &[Input],
    found: String,
    budget: usize,
) -> Failure {
    let tries = std::cell::Cell::new(0usize);
    let left = || tries.get() < budget;
    let same = |ins: &[Input]| {
        tries.set(tries.get() + 1);
        matches!(replay(ins), Err(w) if w.class == v.class)
    };
    let mut best: Option<Vec<Input>> = None;
    for input in round.iter().take(budget / 2) {
        if same(std::slice::from_ref(input)) {
            best = Some(vec![input.clone()]);
            break;
        }
    }
    if best.is_none() {
        let mut all: Vec<Input> = history.iter().chain(round).cloned().collect();
        if same(&all) {
            // Drop chunks (from halves down to single inputs) while it still fails.
            let mut chunk = all.len() / 2;
            while chunk > 0 && left() {
                let mut at = 0;
                while at < all.len() && left() {
                    let mut cand = all.clone();
                    cand.drain(at..(at + chunk).min(all.len()));
                    if !cand.is_empty() && same(&cand) {
                        all = cand;
                    } else {
                        at += chunk;
                    }
                }
                chunk /= 2;
            }
            best = Some(all);
        }
    }
    let Some(mut best) = best else {
        return Failure {
            violation: v.clone(),
            inputs: round.to_vec(),
            isolated: false,
            found,
        };
    };
    // Shrink each input's fields (structure-aware: a dropped byte inside a length-delimited
    // field would only break the decoding): drop a field, or cut a long one to LMDB's
    // 512-byte edge, to half, to one byte; keep the first candidate that still fails.
    for i in 0..best.len() {
        let mut improved = true;
        while improved && left() {
            improved = false;
            for cand_bytes in shrink_candidates(&best[i].bytes, 0) {
                if !left() {
                    break;
                }
                let mut cand = best.clone();
                cand[i].bytes = cand_bytes;
                if same(&cand) {
                    best = cand;
                    improved = true;
                    break;
                }
            }
        }
    }
    Failure {
        violation: v.clone(),
        inputs: best,
        isolated: true,
        found,
    }
}

/// One protobuf field of an encoding: its byte range, and for a length-delimited field the
/// range of its payload.
struct RawField {
    whole: std::ops::Range<usize>,
    key: std::ops::Range<usize>,
    payload: Option<std::ops::Range<usize>>,
}

/// Splits an encoding into its top-level fields (`None` if it does not parse).
fn raw_fields(b: &[u8]) -> Option<Vec<RawField>> {
    use prost::encoding::{decode_key, decode_varint, WireType};
    let mut out = Vec::new();
    let mut buf = b;
    while !buf.is_empty() {
        let start = b.len() - buf.len();
        let (_, wt) = decode_key(&mut buf).ok()?;
        let key_end = b.len() - buf.len();
        let payload = match wt {
            WireType::Varint => {
                decode_varint(&mut buf).ok()?;
                None
            }
            WireType::SixtyFourBit | WireType::ThirtyTwoBit => {
                let n = if wt == WireType::SixtyFourBit { 8 } else { 4 };
                buf = buf.get(n..)?;
                None
            }
            WireType::LengthDelimited => {
                let len = usize::try_from(decode_varint(&mut buf).ok()?).ok()?;
                let at = b.len() - buf.len();
                buf = buf.get(len..)?;
                Some(at..at + len)
            }
            _ => return None,
        };
        out.push(RawField {
            whole: start..b.len() - buf.len(),
            key: start..key_end,
            payload,
        });
    }
    Some(out)
}

/// Smaller variants of an encoding, most promising first: each field dropped; each
/// length-delimited payload cut to 512 bytes, to half and to one byte; and the same, one
/// level down, inside payloads that parse as messages (to depth 3).
pub(crate) fn shrink_candidates(b: &[u8], depth: u32) -> Vec<Vec<u8>> {
    let Some(fields) = raw_fields(b) else {
        return Vec::new();
    };
    let rebuild = |f: &RawField, payload: &[u8]| {
        let mut out = b[..f.whole.start].to_vec();
        out.extend_from_slice(&b[f.key.clone()]);
        prost::encoding::encode_varint(payload.len() as u64, &mut out);
        out.extend_from_slice(payload);
        out.extend_from_slice(&b[f.whole.end..]);
        out
    };
    let mut out = Vec::new();
    for f in &fields {
        let mut dropped = b[..f.whole.start].to_vec();
        dropped.extend_from_slice(&b[f.whole.end..]);
        out.push(dropped);
    }
    for f in &fields {
        let Some(p) = &f.payload else { continue };
        let payload = &b[p.clone()];
        for len in [512, payload.len() / 2, 1] {
            if len < payload.len() && len > 0 {
                out.push(rebuild(f, &payload[..len]));
            }
        }
        if depth < 3 {
            for inner in shrink_candidates(payload, depth + 1) {
                out.push(rebuild(f, &inner));
            }
        }
    }
    out
}
