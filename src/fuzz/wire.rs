//! The input generator: protobuf encodings written field by field from a small schema of
//! each request message (etcd's field numbers), with values drawn from pools chosen to hit
//! the edges (empty, 511 / 512 / 600 / 4 KiB / 64 KiB byte strings, invalid UTF-8 in
//! `string` fields, zero, negative and maximal numbers, unknown enum values), then bent by
//! byte-level mutations (bit flips, inserted / deleted / duplicated chunks, truncation,
//! stray fields with random numbers and wire types).
//!
//! The schema is written at the wire level rather than by building the prost structs, so
//! it can produce what a hostile client sends (invalid UTF-8 in a `string`, a field twice,
//! unknown fields) and does not depend on the Rust types of the generated code.

use prost::encoding::{encode_key, encode_varint, WireType};
use rand::rngs::SmallRng;
use rand::Rng;

/// How a field's value is drawn.
#[derive(Clone, Copy)]
pub(crate) enum Kind {
    /// A user key or range end (short keys from a tiny alphabet so requests meet).
    Key,
    /// A value: mostly short, sometimes large.
    Value,
    /// A user, role or lock name (`string` on the wire; sometimes invalid UTF-8).
    Name,
    /// An arbitrary `int64` / `uint64`.
    Int,
    /// A revision or lease-like number: mostly small.
    SmallInt,
    /// A `bool`.
    Bool,
    /// An enum with values `0..=max` (sometimes beyond).
    Enum(u64),
    /// An embedded message.
    Msg(fn() -> &'static [Field]),
}

/// One field of a message schema.
#[derive(Clone, Copy)]
pub(crate) struct Field {
    /// The protobuf field number.
    pub no: u32,
    /// How its value is drawn.
    pub kind: Kind,
    /// Whether the field is `repeated`.
    pub repeated: bool,
}

const fn f(no: u32, kind: Kind) -> Field {
    Field {
        no,
        kind,
        repeated: false,
    }
}

const fn rep(no: u32, kind: Kind) -> Field {
    Field {
        no,
        kind,
        repeated: true,
    }
}

/// `etcdserverpb.RangeRequest`.
pub(crate) fn range_request() -> &'static [Field] {
    const S: &[Field] = &[
        f(1, Kind::Key),
        f(2, Kind::Key),
        f(3, Kind::SmallInt),
        f(4, Kind::SmallInt),
        f(5, Kind::Enum(2)),
        f(6, Kind::Enum(4)),
        f(7, Kind::Bool),
        f(8, Kind::Bool),
        f(9, Kind::Bool),
        f(10, Kind::SmallInt),
        f(11, Kind::SmallInt),
        f(12, Kind::SmallInt),
        f(13, Kind::SmallInt),
    ];
    S
}

/// `etcdserverpb.PutRequest`.
pub(crate) fn put_request() -> &'static [Field] {
    const S: &[Field] = &[
        f(1, Kind::Key),
        f(2, Kind::Value),
        f(3, Kind::SmallInt),
        f(4, Kind::Bool),
        f(5, Kind::Bool),
        f(6, Kind::Bool),
    ];
    S
}

/// `etcdserverpb.DeleteRangeRequest`.
pub(crate) fn delete_range_request() -> &'static [Field] {
    const S: &[Field] = &[f(1, Kind::Key), f(2, Kind::Key), f(3, Kind::Bool)];
    S
}

/// `etcdserverpb.Compare`.
pub(crate) fn compare() -> &'static [Field] {
    const S: &[Field] = &[
        f(1, Kind::Enum(3)),
        f(2, Kind::Enum(4)),
        f(3, Kind::Key),
        f(4, Kind::SmallInt),
        f(5, Kind::SmallInt),
        f(6, Kind::SmallInt),
        f(7, Kind::Value),
        f(8, Kind::SmallInt),
        f(64, Kind::Key),
    ];
    S
}

/// `etcdserverpb.RequestOp` (a oneof: the generator may set several; prost keeps the last).
pub(crate) fn request_op() -> &'static [Field] {
    const S: &[Field] = &[
        f(1, Kind::Msg(range_request)),
        f(2, Kind::Msg(put_request)),
        f(3, Kind::Msg(delete_range_request)),
        f(4, Kind::Msg(txn_request)),
    ];
    S
}

/// `etcdserverpb.TxnRequest`.
pub(crate) fn txn_request() -> &'static [Field] {
    const S: &[Field] = &[
        rep(1, Kind::Msg(compare)),
        rep(2, Kind::Msg(request_op)),
        rep(3, Kind::Msg(request_op)),
    ];
    S
}

/// `etcdserverpb.CompactionRequest`.
pub(crate) fn compaction_request() -> &'static [Field] {
    const S: &[Field] = &[f(1, Kind::SmallInt), f(2, Kind::Bool)];
    S
}

/// `etcdserverpb.LeaseGrantRequest`.
pub(crate) fn lease_grant_request() -> &'static [Field] {
    const S: &[Field] = &[f(1, Kind::Int), f(2, Kind::SmallInt)];
    S
}

/// `etcdserverpb.LeaseRevokeRequest`.
pub(crate) fn lease_revoke_request() -> &'static [Field] {
    const S: &[Field] = &[f(1, Kind::SmallInt)];
    S
}

/// `etcdserverpb.AlarmRequest`.
pub(crate) fn alarm_request() -> &'static [Field] {
    const S: &[Field] = &[
        f(1, Kind::Enum(2)),
        f(2, Kind::SmallInt),
        f(3, Kind::Enum(2)),
    ];
    S
}

/// Requests without fields (AuthEnable, AuthDisable, UserList, RoleList).
pub(crate) fn empty() -> &'static [Field] {
    const S: &[Field] = &[];
    S
}

/// `etcdserverpb.AuthenticateRequest`.
pub(crate) fn authenticate_request() -> &'static [Field] {
    const S: &[Field] = &[f(1, Kind::Name), f(2, Kind::Name)];
    S
}

/// `authpb.UserAddOptions`.
fn user_add_options() -> &'static [Field] {
    const S: &[Field] = &[f(1, Kind::Bool)];
    S
}

/// `etcdserverpb.AuthUserAddRequest`.
pub(crate) fn user_add_request() -> &'static [Field] {
    const S: &[Field] = &[
        f(1, Kind::Name),
        f(2, Kind::Name),
        f(3, Kind::Msg(user_add_options)),
        f(4, Kind::Name),
    ];
    S
}

/// One `string name = 1` (UserGet, UserDelete, RoleAdd; RoleGet and RoleDelete's `role`).
pub(crate) fn name_only() -> &'static [Field] {
    const S: &[Field] = &[f(1, Kind::Name)];
    S
}

/// `etcdserverpb.AuthUserChangePasswordRequest`.
pub(crate) fn user_change_password_request() -> &'static [Field] {
    const S: &[Field] = &[f(1, Kind::Name), f(2, Kind::Name), f(3, Kind::Name)];
    S
}

/// UserGrantRole (`user`, `role`) and UserRevokeRole (`name`, `role`).
pub(crate) fn two_names() -> &'static [Field] {
    const S: &[Field] = &[f(1, Kind::Name), f(2, Kind::Name)];
    S
}

/// `authpb.Permission`.
fn permission() -> &'static [Field] {
    const S: &[Field] = &[f(1, Kind::Enum(2)), f(2, Kind::Key), f(3, Kind::Key)];
    S
}

/// `etcdserverpb.AuthRoleGrantPermissionRequest`.
pub(crate) fn role_grant_permission_request() -> &'static [Field] {
    const S: &[Field] = &[f(1, Kind::Name), f(2, Kind::Msg(permission))];
    S
}

/// `etcdserverpb.AuthRoleRevokePermissionRequest`.
pub(crate) fn role_revoke_permission_request() -> &'static [Field] {
    const S: &[Field] = &[f(1, Kind::Name), f(2, Kind::Key), f(3, Kind::Key)];
    S
}

/// `v3lockpb.LockRequest`.
pub(crate) fn lock_request() -> &'static [Field] {
    const S: &[Field] = &[f(1, Kind::Name), f(2, Kind::SmallInt)];
    S
}

/// `v3lockpb.UnlockRequest`.
pub(crate) fn unlock_request() -> &'static [Field] {
    const S: &[Field] = &[f(1, Kind::Key)];
    S
}

/// `v3electionpb.CampaignRequest`.
pub(crate) fn campaign_request() -> &'static [Field] {
    const S: &[Field] = &[f(1, Kind::Name), f(2, Kind::SmallInt), f(3, Kind::Value)];
    S
}

/// `v3electionpb.LeaderKey`.
fn leader_key() -> &'static [Field] {
    const S: &[Field] = &[
        f(1, Kind::Name),
        f(2, Kind::Key),
        f(3, Kind::SmallInt),
        f(4, Kind::SmallInt),
    ];
    S
}

/// `v3electionpb.ProclaimRequest`.
pub(crate) fn proclaim_request() -> &'static [Field] {
    const S: &[Field] = &[f(1, Kind::Msg(leader_key)), f(2, Kind::Value)];
    S
}

/// `v3electionpb.ResignRequest`.
pub(crate) fn resign_request() -> &'static [Field] {
    const S: &[Field] = &[f(1, Kind::Msg(leader_key))];
    S
}

/// `etcdoxide.peer.RequestHeader`.
fn raft_header() -> &'static [Field] {
    const S: &[Field] = &[
        f(1, Kind::SmallInt),
        f(2, Kind::Name),
        f(3, Kind::SmallInt),
        f(4, Kind::Bool),
    ];
    S
}

/// `etcdoxide.peer.InternalAuthenticateRequest`.
fn internal_authenticate() -> &'static [Field] {
    const S: &[Field] = &[f(1, Kind::Name), f(2, Kind::Name), f(3, Kind::Name)];
    S
}

/// `etcdoxide.peer.MemberAttrSetRequest`.
fn member_attr_set() -> &'static [Field] {
    const S: &[Field] = &[f(1, Kind::SmallInt), f(2, Kind::Name), rep(3, Kind::Name)];
    S
}

/// `etcdoxide.peer.MemberPendingVoterRequest`.
fn member_pending_voter() -> &'static [Field] {
    const S: &[Field] = &[f(1, Kind::SmallInt), f(2, Kind::Bool)];
    S
}

/// `etcdoxide.peer.InternalRaftRequest`: what a peer's Forward carries, unchecked.
pub(crate) fn internal_raft_request() -> &'static [Field] {
    const S: &[Field] = &[
        f(100, Kind::Msg(raft_header)),
        f(1, Kind::SmallInt),
        f(4, Kind::Msg(put_request)),
        f(5, Kind::Msg(delete_range_request)),
        f(6, Kind::Msg(txn_request)),
        f(7, Kind::Msg(compaction_request)),
        f(8, Kind::Msg(lease_grant_request)),
        f(9, Kind::Msg(lease_revoke_request)),
        f(10, Kind::Msg(alarm_request)),
        f(1000, Kind::Msg(empty)),
        f(1011, Kind::Msg(empty)),
        f(1012, Kind::Msg(internal_authenticate)),
        f(1100, Kind::Msg(user_add_request)),
        f(1101, Kind::Msg(name_only)),
        f(1102, Kind::Msg(name_only)),
        f(1103, Kind::Msg(user_change_password_request)),
        f(1104, Kind::Msg(two_names)),
        f(1105, Kind::Msg(two_names)),
        f(1106, Kind::Msg(empty)),
        f(1107, Kind::Msg(empty)),
        f(1200, Kind::Msg(name_only)),
        f(1201, Kind::Msg(name_only)),
        f(1202, Kind::Msg(name_only)),
        f(1203, Kind::Msg(role_grant_permission_request)),
        f(1204, Kind::Msg(role_revoke_permission_request)),
        f(2001, Kind::Msg(member_attr_set)),
        f(2002, Kind::Msg(member_pending_voter)),
        f(2000, Kind::Int),
    ];
    S
}

/// Byte-string lengths at the edges: LMDB's 511-byte key limit, a page, 64 KiB.
const EDGE_LENGTHS: [usize; 9] = [255, 500, 511, 512, 513, 600, 1000, 4096, 2030];

/// A byte string for a key, value or name.
fn bytes_value(rng: &mut SmallRng, kind: Kind) -> Vec<u8> {
    let roll = rng.random_range(0..100);
    match roll {
        // Empty.
        0..=7 => Vec::new(),
        // Short, from a tiny alphabet, so requests name the same keys and users.
        8..=69 => {
            let len = rng.random_range(1..=3);
            let alphabet: &[u8] = match kind {
                Kind::Name => b"ur",
                _ => b"ab\0",
            };
            (0..len)
                .map(|_| alphabet[rng.random_range(0..alphabet.len())])
                .collect()
        }
        70..=73 => b"root".to_vec(),
        // Invalid UTF-8 (a `string` field refuses it when decoding).
        74..=76 => vec![0xff, b'a', 0xfe],
        // At the edges.
        77..=96 => {
            let len = EDGE_LENGTHS[rng.random_range(0..EDGE_LENGTHS.len())];
            let fill = [b'a', b'u', b'r', 0xff][rng.random_range(0..4usize)];
            let mut v = vec![fill; len];
            if fill == 0xff {
                v[0] = b'k';
            }
            v
        }
        // Large: 64 KiB (rare: it costs time).
        97 => vec![b'x'; 64 << 10],
        // Random bytes.
        _ => {
            let len = rng.random_range(0..40);
            (0..len).map(|_| rng.random()).collect()
        }
    }
}

/// A number at the edges.
fn int_value(rng: &mut SmallRng, small: bool) -> u64 {
    let roll = rng.random_range(0..100);
    if small && roll < 70 {
        return rng.random_range(0..8);
    }
    match roll % 10 {
        0 => 0,
        1 => 1,
        2 => (-1i64) as u64,
        3 => i64::MAX as u64,
        4 => i64::MIN as u64,
        5 => u64::MAX,
        6 => i32::MAX as u64,
        7 => rng.random_range(0..1000),
        8 => 9_000_000_000,
        _ => rng.random(),
    }
}

/// Encodes one value of `field` into `buf`.
fn encode_field(rng: &mut SmallRng, field: &Field, depth: u32, buf: &mut Vec<u8>) {
    match field.kind {
        Kind::Key | Kind::Value | Kind::Name => {
            let v = bytes_value(rng, field.kind);
            encode_key(field.no, WireType::LengthDelimited, buf);
            encode_varint(v.len() as u64, buf);
            buf.extend_from_slice(&v);
        }
        Kind::Int | Kind::SmallInt => {
            encode_key(field.no, WireType::Varint, buf);
            encode_varint(int_value(rng, matches!(field.kind, Kind::SmallInt)), buf);
        }
        Kind::Bool => {
            encode_key(field.no, WireType::Varint, buf);
            encode_varint(u64::from(rng.random_bool(0.5)), buf);
        }
        Kind::Enum(max) => {
            encode_key(field.no, WireType::Varint, buf);
            let v = if rng.random_range(0..20) == 0 {
                int_value(rng, false)
            } else {
                rng.random_range(0..=max)
            };
            encode_varint(v, buf);
        }
        Kind::Msg(schema) => {
            let inner = message(rng, schema(), depth + 1);
            encode_key(field.no, WireType::LengthDelimited, buf);
            encode_varint(inner.len() as u64, buf);
            buf.extend_from_slice(&inner);
        }
    }
}

/// A random encoding of a message of `schema`: each field present with some probability,
/// repeated fields 0..=4 times; embedded messages below depth 3 only.
pub(crate) fn message(rng: &mut SmallRng, schema: &[Field], depth: u32) -> Vec<u8> {
    let mut buf = Vec::new();
    // A peer's InternalRaftRequest normally carries one request: pick few fields there.
    let p = if schema.len() > 12 { 0.12 } else { 0.6 };
    for field in schema {
        if matches!(field.kind, Kind::Msg(_)) && depth >= 3 {
            continue;
        }
        let times = if field.repeated {
            rng.random_range(0..=4)
        } else {
            u32::from(rng.random_bool(p))
        };
        for _ in 0..times {
            encode_field(rng, field, depth, &mut buf);
        }
    }
    buf
}

/// Applies 1..=`max` random byte-level mutations to `data`. `schema` supplies well-formed
/// fields to append (so a mutated input still reaches past the decoder often).
pub(crate) fn mutate(rng: &mut SmallRng, data: &mut Vec<u8>, schema: &[Field], max: u32) {
    let n = rng.random_range(1..=max);
    for _ in 0..n {
        match rng.random_range(0..9) {
            0 if !data.is_empty() => {
                let i = rng.random_range(0..data.len());
                data[i] ^= 1 << rng.random_range(0..8);
            }
            1 if !data.is_empty() => {
                let i = rng.random_range(0..data.len());
                data[i] = [0, 1, 0x7f, 0x80, 0xff, rng.random()][rng.random_range(0..6usize)];
            }
            2 => {
                let i = rng.random_range(0..=data.len());
                let len = rng.random_range(1..=16);
                let chunk: Vec<u8> = (0..len).map(|_| rng.random()).collect();
                data.splice(i..i, chunk);
            }
            3 if !data.is_empty() => {
                let i = rng.random_range(0..data.len());
                let len = rng.random_range(1..=(data.len() - i).min(32));
                data.drain(i..i + len);
            }
            4 if !data.is_empty() => {
                let i = rng.random_range(0..data.len());
                let len = rng.random_range(1..=(data.len() - i).min(64));
                let chunk = data[i..i + len].to_vec();
                let at = rng.random_range(0..=data.len());
                data.splice(at..at, chunk);
            }
            5 if !data.is_empty() => {
                let keep = rng.random_range(0..data.len());
                data.truncate(keep);
            }
            6 if !schema.is_empty() => {
                let field = schema[rng.random_range(0..schema.len())];
                encode_field(rng, &field, 1, data);
            }
            7 => {
                let no = rng.random_range(1..=2100);
                let wt = [
                    WireType::Varint,
                    WireType::SixtyFourBit,
                    WireType::LengthDelimited,
                    WireType::ThirtyTwoBit,
                ][rng.random_range(0..4usize)];
                encode_key(no, wt, data);
                match wt {
                    WireType::Varint => encode_varint(int_value(rng, false), data),
                    WireType::SixtyFourBit => {
                        data.extend_from_slice(&rng.random::<u64>().to_le_bytes())
                    }
                    WireType::ThirtyTwoBit => {
                        data.extend_from_slice(&rng.random::<u32>().to_le_bytes())
                    }
                    _ => {
                        let v = bytes_value(rng, Kind::Key);
                        encode_varint(v.len() as u64, data);
                        data.extend_from_slice(&v);
                    }
                }
            }
            _ => {
                // Append a copy of a prefix: a field seen twice (prost keeps the last).
                let len = rng.random_range(0..=data.len().min(128));
                let chunk = data[..len].to_vec();
                data.extend_from_slice(&chunk);
            }
        }
    }
}
