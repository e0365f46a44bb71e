//! Auth in apply (etcd's `authApplierV3` and the auth part of `applierV3backend`):
//! [`check`] re-checks a request's permissions deterministically against the auth store
//! as of this entry, with the user and auth revision the proposer resolved and carried in
//! the request header; [`apply`] applies the auth requests themselves.
//!
//! A txn needs read permission on every compare and every range op, write permission on
//! every put and delete (and read on a delete's range when it asks for prev_kv), in both
//! branches (etcd's `checkTxnAuth`). A put with `prev_kv` needs read on its key. A lease
//! revoke, and a put attaching a lease, need write on every key attached to the lease.

use serde::{Deserialize, Serialize};

use super::{ApplyError, ApplyFatal, Stores};
use crate::auth::store::AuthResult;
use crate::auth::token::simple_token;
use crate::auth::{AuthError, AuthInfo};
use crate::pb::authpb::permission::Type as PermType;
use crate::pb::etcdserverpb::request_op::Request;
use crate::pb::etcdserverpb::{
    AuthRoleGetResponse, AuthRoleListResponse, AuthUserGetResponse, AuthUserListResponse,
    RequestOp, TxnRequest,
};
use crate::pb::peer::InternalRaftRequest;

/// The result of an applied auth request. Responses without data are `Done`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum AuthApplyResponse {
    /// A mutation succeeded (enable, disable, user / role changes).
    Done,
    /// Authenticate: the token now known to every member.
    Token(String),
    /// UserGet.
    UserGet(AuthUserGetResponse),
    /// UserList.
    UserList(AuthUserListResponse),
    /// RoleGet.
    RoleGet(AuthRoleGetResponse),
    /// RoleList.
    RoleList(AuthRoleListResponse),
}

/// Whether the request is an auth management request that needs the root role (etcd's
/// `needAdminPermission`). UserGet / RoleGet are checked separately: a user may read
/// itself and the roles it holds.
pub fn needs_admin(req: &InternalRaftRequest) -> bool {
    req.auth_enable.is_some()
        || req.auth_disable.is_some()
        || req.auth_user_add.is_some()
        || req.auth_user_delete.is_some()
        || req.auth_user_change_password.is_some()
        || req.auth_user_grant_role.is_some()
        || req.auth_user_revoke_role.is_some()
        || req.auth_role_add.is_some()
        || req.auth_role_grant_permission.is_some()
        || req.auth_role_revoke_permission.is_some()
        || req.auth_role_delete.is_some()
        || req.auth_user_list.is_some()
        || req.auth_role_list.is_some()
}

/// Whether the request is an auth request handled by [`apply`].
pub fn is_auth_request(req: &InternalRaftRequest) -> bool {
    needs_admin(req)
        || req.authenticate.is_some()
        || req.auth_user_get.is_some()
        || req.auth_role_get.is_some()
}

fn storage(e: crate::auth::AuthStorageError) -> ApplyFatal {
    ApplyFatal::Auth(e)
}

/// Checks the request's permissions (etcd's `authApplierV3`). Internal requests (proposed
/// by the server itself) pass.
///
/// # Errors
/// Storage failures; a denial is `Ok(Err(ApplyError::Auth(..)))`.
pub fn check(
    stores: &Stores,
    txn: &heed::RoTxn,
    req: &InternalRaftRequest,
) -> Result<Result<(), ApplyError>, ApplyFatal> {
    let header = req.header.clone().unwrap_or_default();
    if header.internal {
        return Ok(Ok(()));
    }
    let ai = AuthInfo {
        username: header.username,
        revision: header.auth_revision,
    };
    let r = check_inner(stores, txn, req, &ai).map_err(storage)?;
    Ok(r.map_err(ApplyError::Auth))
}

fn check_inner(
    stores: &Stores,
    txn: &heed::RoTxn,
    req: &InternalRaftRequest,
    ai: &AuthInfo,
) -> AuthResult<()> {
    let a = &stores.auth;
    macro_rules! ok {
        ($e:expr) => {
            if let Err(e) = $e? {
                return Ok(Err(e));
            }
        };
    }
    if needs_admin(req) {
        return a.is_admin_permitted(txn, ai);
    }
    if let Some(g) = &req.auth_user_get {
        if let Err(e) = a.is_admin_permitted(txn, ai)? {
            if g.name != ai.username.as_bytes() {
                return Ok(Err(e));
            }
        }
    }
    if let Some(g) = &req.auth_role_get {
        if let Err(e) = a.is_admin_permitted(txn, ai)? {
            if !a.has_role(txn, &ai.username, &g.role)? {
                return Ok(Err(e));
            }
        }
    }
    if let Some(p) = &req.put {
        ok!(a.is_op_permitted(txn, ai, &p.key, &[], PermType::Write, None));
        ok!(check_lease_puts(stores, txn, ai, p.lease));
        if p.prev_kv {
            ok!(a.is_op_permitted(txn, ai, &p.key, &[], PermType::Read, None));
        }
    }
    if let Some(d) = &req.delete_range {
        ok!(a.is_op_permitted(txn, ai, &d.key, &d.range_end, PermType::Write, None));
        if d.prev_kv {
            ok!(a.is_op_permitted(txn, ai, &d.key, &d.range_end, PermType::Read, None));
        }
    }
    if let Some(t) = &req.txn {
        ok!(check_txn(stores, txn, ai, t));
    }
    if let Some(r) = &req.lease_revoke {
        ok!(check_lease_puts(stores, txn, ai, r.id));
    }
    Ok(Ok(()))
}

/// etcd's `checkTxnAuth`: compares need read; ops as their plain counterparts; nested
/// txns are checked recursively.
///
/// # Errors
/// Storage failures; the first denial as `Ok(Err(..))`.
pub fn check_txn(
    stores: &Stores,
    txn: &heed::RoTxn,
    ai: &AuthInfo,
    t: &TxnRequest,
) -> AuthResult<()> {
    for c in &t.compare {
        if let Err(e) =
            stores
                .auth
                .is_op_permitted(txn, ai, &c.key, &c.range_end, PermType::Read, None)?
        {
            return Ok(Err(e));
        }
    }
    for ops in [&t.success, &t.failure] {
        if let Err(e) = check_ops(stores, txn, ai, ops)? {
            return Ok(Err(e));
        }
    }
    Ok(Ok(()))
}

fn check_ops(
    stores: &Stores,
    txn: &heed::RoTxn,
    ai: &AuthInfo,
    ops: &[RequestOp],
) -> AuthResult<()> {
    let a = &stores.auth;
    for op in ops {
        let r = match &op.request {
            Some(Request::RequestRange(r)) => {
                a.is_op_permitted(txn, ai, &r.key, &r.range_end, PermType::Read, None)?
            }
            Some(Request::RequestPut(p)) => {
                let w = a.is_op_permitted(txn, ai, &p.key, &[], PermType::Write, None)?;
                if w.is_ok() && p.prev_kv {
                    a.is_op_permitted(txn, ai, &p.key, &[], PermType::Read, None)?
                } else {
                    w
                }
            }
            Some(Request::RequestDeleteRange(d)) => {
                let r = if d.prev_kv {
                    a.is_op_permitted(txn, ai, &d.key, &d.range_end, PermType::Read, None)?
                } else {
                    Ok(())
                };
                match r {
                    Ok(()) => {
                        a.is_op_permitted(txn, ai, &d.key, &d.range_end, PermType::Write, None)?
                    }
                    e => e,
                }
            }
            Some(Request::RequestTxn(t)) => check_txn(stores, txn, ai, t)?,
            None => Ok(()),
        };
        if let Err(e) = r {
            return Ok(Err(e));
        }
    }
    Ok(Ok(()))
}

/// Write permission on every key attached to `lease` (etcd's `checkLeasePuts`).
fn check_lease_puts(
    stores: &Stores,
    txn: &heed::RoTxn,
    ai: &AuthInfo,
    lease: i64,
) -> AuthResult<()> {
    if lease == 0 {
        return Ok(Ok(()));
    }
    let keys = stores
        .leases
        .keys(txn, lease)
        .map_err(|e| crate::auth::AuthStorageError::Corrupt(e.to_string()))?;
    for k in keys {
        if let Err(e) = stores
            .auth
            .is_op_permitted(txn, ai, &k, &[], PermType::Write, None)?
        {
            return Ok(Err(e));
        }
    }
    Ok(Ok(()))
}

/// Applies one auth request (the caller checked [`is_auth_request`] and [`check`]).
///
/// # Errors
/// Storage failures; request failures as `Ok(Err(..))`.
pub fn apply(
    stores: &Stores,
    wtxn: &mut heed::RwTxn,
    req: &InternalRaftRequest,
) -> Result<Result<AuthApplyResponse, ApplyError>, ApplyFatal> {
    let a = &stores.auth;
    let done = |r: Result<(), AuthError>| r.map(|()| AuthApplyResponse::Done);
    let out: Result<AuthApplyResponse, AuthError> = if req.auth_enable.is_some() {
        done(a.auth_enable(wtxn).map_err(storage)?)
    } else if req.auth_disable.is_some() {
        done(a.auth_disable(wtxn).map_err(storage)?)
    } else if let Some(r) = &req.authenticate {
        let id = req.header.as_ref().map(|h| h.id).unwrap_or(req.id);
        a.authenticate(wtxn, r.name.as_bytes())
            .map_err(storage)?
            .map(|()| AuthApplyResponse::Token(simple_token(&r.simple_token, id)))
    } else if let Some(r) = &req.auth_user_add {
        done(a.user_add(wtxn, r).map_err(storage)?)
    } else if let Some(r) = &req.auth_user_delete {
        done(a.user_delete(wtxn, r).map_err(storage)?)
    } else if let Some(r) = &req.auth_user_get {
        a.user_get(wtxn, r)
            .map_err(storage)?
            .map(AuthApplyResponse::UserGet)
    } else if let Some(r) = &req.auth_user_change_password {
        done(a.user_change_password(wtxn, r).map_err(storage)?)
    } else if let Some(r) = &req.auth_user_grant_role {
        done(a.user_grant_role(wtxn, r).map_err(storage)?)
    } else if let Some(r) = &req.auth_user_revoke_role {
        done(a.user_revoke_role(wtxn, r).map_err(storage)?)
    } else if req.auth_user_list.is_some() {
        a.user_list(wtxn)
            .map_err(storage)?
            .map(AuthApplyResponse::UserList)
    } else if req.auth_role_list.is_some() {
        a.role_list(wtxn)
            .map_err(storage)?
            .map(AuthApplyResponse::RoleList)
    } else if let Some(r) = &req.auth_role_add {
        done(a.role_add(wtxn, r).map_err(storage)?)
    } else if let Some(r) = &req.auth_role_delete {
        done(a.role_delete(wtxn, r).map_err(storage)?)
    } else if let Some(r) = &req.auth_role_get {
        a.role_get(wtxn, r)
            .map_err(storage)?
            .map(AuthApplyResponse::RoleGet)
    } else if let Some(r) = &req.auth_role_grant_permission {
        done(a.role_grant_permission(wtxn, r).map_err(storage)?)
    } else if let Some(r) = &req.auth_role_revoke_permission {
        done(a.role_revoke_permission(wtxn, r).map_err(storage)?)
    } else {
        return Ok(Err(ApplyError::UnknownRequest));
    };
    Ok(out.map_err(ApplyError::Auth))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::pb::authpb::Permission;
    use crate::pb::etcdserverpb::compare::{CompareResult, CompareTarget};
    use crate::pb::etcdserverpb::{
        AuthRoleAddRequest, AuthRoleGrantPermissionRequest, AuthUserAddRequest,
        AuthUserGrantRoleRequest, Compare, DeleteRangeRequest, LeaseGrantRequest, PutRequest,
        RangeRequest,
    };
    use crate::pb::peer::RequestHeader;

    struct Fixture {
        _dir: tempfile::TempDir,
        env: crate::storage::Env,
        stores: Stores,
    }

    /// root (root role) and `app` with read on prefix `/app/`, write on key `/w`; enabled.
    fn fixture() -> Fixture {
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
        let mut w = env.write_txn().unwrap();
        let a = &stores.auth;
        let user = |n: &str| AuthUserAddRequest {
            name: n.into(),
            hashed_password: "x".into(),
            ..Default::default()
        };
        a.user_add(&mut w, &user("root")).unwrap().unwrap();
        a.user_add(&mut w, &user("app")).unwrap().unwrap();
        a.user_grant_role(
            &mut w,
            &AuthUserGrantRoleRequest {
                user: "root".into(),
                role: "root".into(),
            },
        )
        .unwrap()
        .unwrap();
        a.role_add(&mut w, &AuthRoleAddRequest { name: "r".into() })
            .unwrap()
            .unwrap();
        for (t, k, e) in [
            (PermType::Read, &b"/app/"[..], &b"/app0"[..]),
            (PermType::Write, b"/w", b""),
        ] {
            let perm = Some(Permission {
                perm_type: t as i32,
                key: k.to_vec(),
                range_end: e.to_vec(),
            });
            a.role_grant_permission(
                &mut w,
                &AuthRoleGrantPermissionRequest {
                    name: "r".into(),
                    perm,
                },
            )
            .unwrap()
            .unwrap();
        }
        a.user_grant_role(
            &mut w,
            &AuthUserGrantRoleRequest {
                user: "app".into(),
                role: "r".into(),
            },
        )
        .unwrap()
        .unwrap();
        a.auth_enable(&mut w).unwrap().unwrap();
        w.commit().unwrap();
        Fixture {
            _dir: dir,
            env,
            stores,
        }
    }

    fn ai(f: &Fixture, user: &str) -> AuthInfo {
        let r = f.env.read_txn().unwrap();
        AuthInfo {
            username: user.into(),
            revision: f.stores.auth.revision(&r).unwrap(),
        }
    }

    fn cmp(key: &[u8]) -> Compare {
        Compare {
            key: key.to_vec(),
            target: CompareTarget::Version as i32,
            result: CompareResult::Equal as i32,
            ..Default::default()
        }
    }

    fn op(r: Request) -> RequestOp {
        RequestOp { request: Some(r) }
    }

    fn txn_check(f: &Fixture, user: &str, t: &TxnRequest) -> Result<(), AuthError> {
        let r = f.env.read_txn().unwrap();
        check_txn(&f.stores, &r, &ai(f, user), t).unwrap()
    }

    #[test]
    fn txn_needs_permission_for_every_compare_and_op_in_both_branches() {
        let f = fixture();
        let get = |k: &[u8]| {
            op(Request::RequestRange(RangeRequest {
                key: k.to_vec(),
                ..Default::default()
            }))
        };
        let put = |k: &[u8]| {
            op(Request::RequestPut(PutRequest {
                key: k.to_vec(),
                ..Default::default()
            }))
        };
        let ok = TxnRequest {
            compare: vec![cmp(b"/app/x")],
            success: vec![put(b"/w")],
            failure: vec![get(b"/app/y")],
        };
        assert_eq!(txn_check(&f, "app", &ok), Ok(()));
        // A compare on an unreadable key.
        let t = TxnRequest {
            compare: vec![cmp(b"/other")],
            ..ok.clone()
        };
        assert_eq!(txn_check(&f, "app", &t), Err(AuthError::PermissionDenied));
        // The failure branch counts even when it would not run.
        let t = TxnRequest {
            failure: vec![put(b"/app/x")],
            ..ok.clone()
        };
        assert_eq!(txn_check(&f, "app", &t), Err(AuthError::PermissionDenied));
        // Nested txns are checked too.
        let nested = TxnRequest {
            success: vec![get(b"/secret")],
            ..Default::default()
        };
        let t = TxnRequest {
            success: vec![op(Request::RequestTxn(nested))],
            ..ok.clone()
        };
        assert_eq!(txn_check(&f, "app", &t), Err(AuthError::PermissionDenied));
        // A delete needs write, and read too when it asks for prev_kv.
        let del = |prev_kv| {
            op(Request::RequestDeleteRange(DeleteRangeRequest {
                key: b"/w".to_vec(),
                prev_kv,
                ..Default::default()
            }))
        };
        let t = TxnRequest {
            success: vec![del(false)],
            ..Default::default()
        };
        assert_eq!(txn_check(&f, "app", &t), Ok(()));
        let t = TxnRequest {
            success: vec![del(true)],
            ..Default::default()
        };
        assert_eq!(txn_check(&f, "app", &t), Err(AuthError::PermissionDenied));
        // A range op over the whole prefix is covered; beyond it is not.
        let range = |e: &[u8]| {
            op(Request::RequestRange(RangeRequest {
                key: b"/app/".to_vec(),
                range_end: e.to_vec(),
                ..Default::default()
            }))
        };
        assert_eq!(
            txn_check(
                &f,
                "app",
                &TxnRequest {
                    success: vec![range(b"/app0")],
                    ..Default::default()
                }
            ),
            Ok(())
        );
        assert_eq!(
            txn_check(
                &f,
                "app",
                &TxnRequest {
                    success: vec![range(b"\0")],
                    ..Default::default()
                }
            ),
            Err(AuthError::PermissionDenied)
        );
        // Root bypasses every check.
        assert_eq!(txn_check(&f, "root", &t), Ok(()));
    }

    fn apply_as(
        f: &Fixture,
        header: RequestHeader,
        req: InternalRaftRequest,
    ) -> Option<ApplyError> {
        let mut w = f.env.write_txn().unwrap();
        let req = InternalRaftRequest {
            header: Some(header),
            ..req
        };
        let r = super::super::apply_request(&f.stores, &mut w, &req, &mut Vec::new()).unwrap();
        w.commit().unwrap();
        r.error
    }

    #[test]
    fn apply_rechecks_with_the_proposers_auth_revision() {
        let f = fixture();
        let put = |k: &[u8]| InternalRaftRequest {
            put: Some(PutRequest {
                key: k.to_vec(),
                ..Default::default()
            }),
            ..Default::default()
        };
        let as_app = RequestHeader {
            username: "app".into(),
            auth_revision: ai(&f, "app").revision,
            ..Default::default()
        };
        assert_eq!(apply_as(&f, as_app.clone(), put(b"/w")), None);
        assert_eq!(
            apply_as(&f, as_app.clone(), put(b"/app/x")),
            Some(ApplyError::Auth(AuthError::PermissionDenied))
        );
        assert_eq!(
            apply_as(&f, RequestHeader::default(), put(b"/w")),
            Some(ApplyError::Auth(AuthError::UserEmpty))
        );
        // An internal request (lease expiry, ...) skips the checks.
        assert_eq!(
            apply_as(
                &f,
                RequestHeader {
                    internal: true,
                    ..Default::default()
                },
                put(b"/app/x")
            ),
            None
        );
        // Admin requests need the root role.
        let add = InternalRaftRequest {
            auth_role_add: Some(AuthRoleAddRequest { name: "x".into() }),
            ..Default::default()
        };
        assert_eq!(
            apply_as(&f, as_app.clone(), add.clone()),
            Some(ApplyError::Auth(AuthError::PermissionDenied))
        );
        let as_root = RequestHeader {
            username: "root".into(),
            auth_revision: ai(&f, "root").revision,
            ..Default::default()
        };
        assert_eq!(apply_as(&f, as_root, add), None);
        // The auth store moved on (role add bumped the revision): the old header is refused.
        assert_eq!(
            apply_as(&f, as_app, put(b"/w")),
            Some(ApplyError::Auth(AuthError::AuthOldRevision))
        );
    }

    #[test]
    fn lease_revoke_needs_write_on_attached_keys() {
        let f = fixture();
        let internal = RequestHeader {
            internal: true,
            ..Default::default()
        };
        let grant = InternalRaftRequest {
            lease_grant: Some(LeaseGrantRequest { ttl: 60, id: 7 }),
            ..Default::default()
        };
        assert_eq!(apply_as(&f, internal.clone(), grant), None);
        let put = InternalRaftRequest {
            put: Some(PutRequest {
                key: b"/app/x".to_vec(),
                lease: 7,
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(apply_as(&f, internal, put), None);
        let as_app = RequestHeader {
            username: "app".into(),
            auth_revision: ai(&f, "app").revision,
            ..Default::default()
        };
        let revoke = InternalRaftRequest {
            lease_revoke: Some(crate::pb::etcdserverpb::LeaseRevokeRequest { id: 7 }),
            ..Default::default()
        };
        assert_eq!(
            apply_as(&f, as_app.clone(), revoke),
            Some(ApplyError::Auth(AuthError::PermissionDenied))
        );
        // Attaching the lease to a writable key is refused as well (etcd's checkLeasePuts).
        let put_w = InternalRaftRequest {
            put: Some(PutRequest {
                key: b"/w".to_vec(),
                lease: 7,
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(
            apply_as(&f, as_app, put_w),
            Some(ApplyError::Auth(AuthError::PermissionDenied))
        );
    }

    /// Regression (issue 8): a request of the empty user (a client certificate without a CN,
    /// or RoleGet without a token) looked the user "" up in LMDB, whose MDB_BAD_VALSIZE
    /// stopped the member. It is etcd's deterministic refusal instead.
    #[test]
    fn empty_user_is_refused_not_a_storage_error() {
        let f = fixture();
        let empty = RequestHeader {
            username: String::new(),
            auth_revision: ai(&f, "").revision,
            ..Default::default()
        };
        let put = InternalRaftRequest {
            put: Some(PutRequest {
                key: b"/app/x".to_vec(),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(
            apply_as(&f, empty.clone(), put),
            Some(ApplyError::Auth(AuthError::PermissionDenied))
        );
        let role_get = InternalRaftRequest {
            auth_role_get: Some(crate::pb::etcdserverpb::AuthRoleGetRequest { role: "r".into() }),
            ..Default::default()
        };
        assert_eq!(
            apply_as(&f, empty, role_get),
            Some(ApplyError::Auth(AuthError::UserEmpty))
        );
    }
}
