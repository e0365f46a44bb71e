//! Golden tests: every expected string below was captured from the real etcdctl 3.4.23
//! against etcd 3.4.23 (single member `default`, peer 127.0.0.1:23801, client 127.0.0.1:23791).

use std::io::Write;

use prost::Message;

use super::*;
use crate::pb::etcdserverpb::{
    response_op::Response, DeleteRangeResponse, Member, MemberListResponse, PutResponse,
    RangeResponse, ResponseHeader, ResponseOp, StatusResponse, TxnResponse,
};
use crate::pb::mvccpb::KeyValue;

const CID: u64 = 15118495548433857066;
const MID: u64 = 13668033151171901709;

fn hdr(rev: i64) -> Option<ResponseHeader> {
    Some(ResponseHeader {
        cluster_id: CID,
        member_id: MID,
        revision: rev,
        raft_term: 2,
    })
}

fn kv(k: &str, v: &str, c: i64, m: i64, ver: i64) -> KeyValue {
    KeyValue {
        key: k.into(),
        value: v.into(),
        create_revision: c,
        mod_revision: m,
        version: ver,
        lease: 0,
    }
}

fn render(f: impl FnOnce(&mut dyn Write) -> Result<(), PrintError>) -> String {
    let mut buf = Vec::new();
    f(&mut buf).unwrap();
    String::from_utf8(buf).unwrap()
}

fn get_foo() -> RangeResponse {
    RangeResponse {
        header: hdr(4),
        kvs: vec![kv("foo", "bar2", 2, 3, 2)],
        more: false,
        count: 1,
    }
}

#[test]
fn get_json() {
    let p = Printer::new(OutputFormat::Json);
    assert_eq!(
        render(|w| p.get(w, &get_foo())),
        r#"{"header":{"cluster_id":15118495548433857066,"member_id":13668033151171901709,"revision":4,"raft_term":2},"kvs":[{"key":"Zm9v","create_revision":2,"mod_revision":3,"version":2,"value":"YmFyMg=="}],"count":1}"#.to_string() + "\n"
    );
    let empty = RangeResponse {
        header: hdr(4),
        ..Default::default()
    };
    assert_eq!(
        render(|w| p.get(w, &empty)),
        "{\"header\":{\"cluster_id\":15118495548433857066,\"member_id\":13668033151171901709,\"revision\":4,\"raft_term\":2}}\n"
    );
}

#[test]
fn get_fields() {
    let p = Printer::new(OutputFormat::Fields);
    assert_eq!(
        render(|w| p.get(w, &get_foo())),
        "\"ClusterID\" : 15118495548433857066\n\"MemberID\" : 13668033151171901709\n\"Revision\" : 4\n\"RaftTerm\" : 2\n\"Key\" : \"foo\"\n\"CreateRevision\" : 2\n\"ModRevision\" : 3\n\"Version\" : 2\n\"Value\" : \"bar2\"\n\"Lease\" : 0\n\"More\" : false\n\"Count\" : 1\n"
    );
}

#[test]
fn get_simple_hex_and_table() {
    let r = RangeResponse {
        header: hdr(9),
        kvs: vec![kv("k1", "v1", 6, 6, 1), kv("k2", "v2", 7, 9, 3)],
        more: false,
        count: 2,
    };
    let mut p = Printer::new(OutputFormat::Simple);
    p.hex = true;
    assert_eq!(
        render(|w| p.get(w, &r)),
        "\\x6b\\x31\n\\x76\\x31\n\\x6b\\x32\n\\x76\\x32\n"
    );
    p.hex = false;
    p.value_only = true;
    assert_eq!(render(|w| p.get(w, &r)), "v1\nv2\n");
    let t = Printer::new(OutputFormat::Table);
    let mut buf = Vec::new();
    let e = t.get(&mut buf, &r).unwrap_err();
    assert_eq!(e.to_string(), "table not supported as output format");
}

#[test]
fn del_json_and_fields() {
    let r = DeleteRangeResponse {
        header: hdr(5),
        deleted: 1,
        prev_kvs: vec![kv("foo", "bar2", 2, 3, 2)],
    };
    assert_eq!(
        render(|w| Printer::new(OutputFormat::Json).del(w, &r)),
        r#"{"header":{"cluster_id":15118495548433857066,"member_id":13668033151171901709,"revision":5,"raft_term":2},"deleted":1,"prev_kvs":[{"key":"Zm9v","create_revision":2,"mod_revision":3,"version":2,"value":"YmFyMg=="}]}"#.to_string() + "\n"
    );
    let r = DeleteRangeResponse {
        header: hdr(11),
        deleted: 1,
        prev_kvs: vec![kv("k2", "v2", 7, 10, 4)],
    };
    assert_eq!(
        render(|w| Printer::new(OutputFormat::Fields).del(w, &r)),
        "\"ClusterID\" : 15118495548433857066\n\"MemberID\" : 13668033151171901709\n\"Revision\" : 11\n\"RaftTerm\" : 2\n\"Deleted\" : 1\n\"PrevKey\" : \"k2\"\n\"PrevCreateRevision\" : 7\n\"PrevModRevision\" : 10\n\"PrevVersion\" : 4\n\"PrevValue\" : \"v2\"\n\"PrevLease\" : 0\n"
    );
    assert_eq!(
        render(|w| Printer::new(OutputFormat::Simple).del(w, &r)),
        "1\nk2\nv2\n"
    );
}

#[test]
fn put_simple_with_prev() {
    let r = PutResponse {
        header: hdr(3),
        prev_kv: Some(kv("foo", "bar", 2, 2, 1)),
    };
    assert_eq!(
        render(|w| Printer::new(OutputFormat::Simple).put(w, &r)),
        "OK\nfoo\nbar\n"
    );
    assert_eq!(
        render(|w| Printer::new(OutputFormat::Json).put(w, &PutResponse { header: hdr(4), prev_kv: None })),
        "{\"header\":{\"cluster_id\":15118495548433857066,\"member_id\":13668033151171901709,\"revision\":4,\"raft_term\":2}}\n"
    );
}

fn sub_hdr(rev: i64) -> Option<ResponseHeader> {
    Some(ResponseHeader {
        revision: rev,
        ..Default::default()
    })
}

#[test]
fn txn_json_simple_fields() {
    let r = TxnResponse {
        header: hdr(7),
        succeeded: true,
        responses: vec![
            ResponseOp {
                response: Some(Response::ResponsePut(PutResponse {
                    header: sub_hdr(7),
                    prev_kv: None,
                })),
            },
            ResponseOp {
                response: Some(Response::ResponseRange(RangeResponse {
                    header: sub_hdr(7),
                    kvs: vec![kv("k1", "v1", 6, 6, 1)],
                    more: false,
                    count: 1,
                })),
            },
            ResponseOp {
                response: Some(Response::ResponseDeleteRange(DeleteRangeResponse {
                    header: sub_hdr(7),
                    deleted: 0,
                    prev_kvs: vec![],
                })),
            },
        ],
    };
    assert_eq!(
        render(|w| Printer::new(OutputFormat::Json).txn(w, &r)),
        r#"{"header":{"cluster_id":15118495548433857066,"member_id":13668033151171901709,"revision":7,"raft_term":2},"succeeded":true,"responses":[{"Response":{"ResponsePut":{"header":{"revision":7}}}},{"Response":{"ResponseRange":{"header":{"revision":7},"kvs":[{"key":"azE=","create_revision":6,"mod_revision":6,"version":1,"value":"djE="}],"count":1}}},{"Response":{"ResponseDeleteRange":{"header":{"revision":7}}}}]}"#.to_string() + "\n"
    );
    assert_eq!(
        render(|w| Printer::new(OutputFormat::Simple).txn(w, &r)),
        "SUCCESS\n\nOK\n\nk1\nv1\n\n0\n"
    );
    let f = render(|w| Printer::new(OutputFormat::Fields).txn(w, &r));
    assert!(f.starts_with("\"ClusterID\" : 15118495548433857066\n\"MemberID\" : 13668033151171901709\n\"Revision\" : 7\n\"RaftTerm\" : 2\n\"Succeeded\" : true\n\"ClusterID\" : 0\n\"MemberID\" : 0\n\"Revision\" : 7\n\"RaftTerm\" : 0\n"));
}

fn members() -> MemberListResponse {
    MemberListResponse {
        header: Some(ResponseHeader {
            cluster_id: CID,
            member_id: MID,
            revision: 0,
            raft_term: 2,
        }),
        members: vec![Member {
            id: MID,
            name: "default".into(),
            peer_ur_ls: vec!["http://127.0.0.1:23801".into()],
            client_ur_ls: vec!["http://127.0.0.1:23791".into()],
            is_learner: false,
        }],
    }
}

#[test]
fn member_list_all_formats() {
    let r = members();
    assert_eq!(
        render(|w| Printer::new(OutputFormat::Table).member_list(w, &r)),
        "+------------------+---------+---------+------------------------+------------------------+------------+\n\
         |        ID        | STATUS  |  NAME   |       PEER ADDRS       |      CLIENT ADDRS      | IS LEARNER |\n\
         +------------------+---------+---------+------------------------+------------------------+------------+\n\
         | bdae9bbc11dd390d | started | default | http://127.0.0.1:23801 | http://127.0.0.1:23791 |      false |\n\
         +------------------+---------+---------+------------------------+------------------------+------------+\n"
    );
    assert_eq!(
        render(|w| Printer::new(OutputFormat::Simple).member_list(w, &r)),
        "bdae9bbc11dd390d, started, default, http://127.0.0.1:23801, http://127.0.0.1:23791, false\n"
    );
    assert_eq!(
        render(|w| Printer::new(OutputFormat::Json).member_list(w, &r)),
        r#"{"header":{"cluster_id":15118495548433857066,"member_id":13668033151171901709,"raft_term":2},"members":[{"ID":13668033151171901709,"name":"default","peerURLs":["http://127.0.0.1:23801"],"clientURLs":["http://127.0.0.1:23791"]}]}"#.to_string() + "\n"
    );
    assert_eq!(
        render(|w| Printer::new(OutputFormat::Fields).member_list(w, &r)),
        "\"ClusterID\" : 15118495548433857066\n\"MemberID\" : 13668033151171901709\n\"Revision\" : 0\n\"RaftTerm\" : 2\n\"ID\" : 13668033151171901709\n\"Name\" : \"default\"\n\"PeerURL\" : \"http://127.0.0.1:23801\"\n\"ClientURL\" : \"http://127.0.0.1:23791\"\n\"IsLearner\" : false\n\n"
    );
}

fn status() -> Vec<EpStatus> {
    vec![EpStatus {
        ep: "127.0.0.1:23791".into(),
        resp: StatusResponse {
            header: hdr(5),
            version: "3.4.23".into(),
            db_size: 20480,
            leader: MID,
            raft_index: 8,
            raft_term: 2,
            raft_applied_index: 8,
            errors: vec![],
            db_size_in_use: 16384,
            is_learner: false,
        },
    }]
}

#[test]
fn endpoint_status_all_formats() {
    let st = status();
    assert_eq!(
        render(|w| Printer::new(OutputFormat::Table).endpoint_status(w, &st)),
        "+-----------------+------------------+---------+---------+-----------+------------+-----------+------------+--------------------+--------+\n\
         |    ENDPOINT     |        ID        | VERSION | DB SIZE | IS LEADER | IS LEARNER | RAFT TERM | RAFT INDEX | RAFT APPLIED INDEX | ERRORS |\n\
         +-----------------+------------------+---------+---------+-----------+------------+-----------+------------+--------------------+--------+\n\
         | 127.0.0.1:23791 | bdae9bbc11dd390d |  3.4.23 |   20 kB |      true |      false |         2 |          8 |                  8 |        |\n\
         +-----------------+------------------+---------+---------+-----------+------------+-----------+------------+--------------------+--------+\n"
    );
    assert_eq!(
        render(|w| Printer::new(OutputFormat::Simple).endpoint_status(w, &st)),
        "127.0.0.1:23791, bdae9bbc11dd390d, 3.4.23, 20 kB, true, false, 2, 8, 8, \n"
    );
    assert_eq!(
        render(|w| Printer::new(OutputFormat::Json).endpoint_status(w, &st)),
        r#"[{"Endpoint":"127.0.0.1:23791","Status":{"header":{"cluster_id":15118495548433857066,"member_id":13668033151171901709,"revision":5,"raft_term":2},"version":"3.4.23","dbSize":20480,"leader":13668033151171901709,"raftIndex":8,"raftTerm":2,"raftAppliedIndex":8,"dbSizeInUse":16384}}]"#.to_string() + "\n"
    );
    assert_eq!(
        render(|w| Printer::new(OutputFormat::Fields).endpoint_status(w, &st)),
        "\"ClusterID\" : 15118495548433857066\n\"MemberID\" : 13668033151171901709\n\"Revision\" : 5\n\"RaftTerm\" : 2\n\"Version\" : \"3.4.23\"\n\"DBSize\" : 20480\n\"Leader\" : 13668033151171901709\n\"IsLearner\" : false\n\"RaftIndex\" : 8\n\"RaftTerm\" : 2\n\"RaftAppliedIndex\" : 8\n\"Errors\" : []\n\"Endpoint\" : \"127.0.0.1:23791\"\n\n"
    );
    // No rows (every endpoint failed): header rule and bottom border both.
    assert_eq!(
        render(|w| Printer::new(OutputFormat::Table).endpoint_status(w, &[])),
        "+----------+----+---------+---------+-----------+------------+-----------+------------+--------------------+--------+\n\
         | ENDPOINT | ID | VERSION | DB SIZE | IS LEADER | IS LEARNER | RAFT TERM | RAFT INDEX | RAFT APPLIED INDEX | ERRORS |\n\
         +----------+----+---------+---------+-----------+------------+-----------+------------+--------------------+--------+\n\
         +----------+----+---------+---------+-----------+------------+-----------+------------+--------------------+--------+\n"
    );
}

#[test]
fn endpoint_health_all_formats() {
    let ok = vec![EpHealth {
        ep: "127.0.0.1:23791".into(),
        health: true,
        took: "1.940671ms".into(),
        error: String::new(),
    }];
    assert_eq!(
        render(|w| Printer::new(OutputFormat::Table).endpoint_health(w, &mut Vec::new(), &ok)),
        "+-----------------+--------+------------+-------+\n\
         |    ENDPOINT     | HEALTH |    TOOK    | ERROR |\n\
         +-----------------+--------+------------+-------+\n\
         | 127.0.0.1:23791 |   true | 1.940671ms |       |\n\
         +-----------------+--------+------------+-------+\n"
    );
    let mut err = Vec::new();
    let out = render(|w| Printer::new(OutputFormat::Simple).endpoint_health(w, &mut err, &ok));
    assert_eq!(out, "");
    assert_eq!(
        String::from_utf8(err).unwrap(),
        "127.0.0.1:23791 is healthy: successfully committed proposal: took = 1.940671ms\n"
    );
    let bad = vec![EpHealth {
        ep: "127.0.0.1:1".into(),
        health: false,
        took: "1.001364556s".into(),
        error: "context deadline exceeded".into(),
    }];
    assert_eq!(
        render(|w| Printer::new(OutputFormat::Json).endpoint_health(w, &mut Vec::new(), &bad)),
        "[{\"endpoint\":\"127.0.0.1:1\",\"health\":false,\"took\":\"1.001364556s\",\"error\":\"context deadline exceeded\"}]\n"
    );
    assert_eq!(
        render(|w| Printer::new(OutputFormat::Fields).endpoint_health(w, &mut Vec::new(), &ok)),
        "\"Endpoint\" : \"127.0.0.1:23791\"\n\"Health\" : true\n\"Took\" : 1.940671ms\n\"Error\" : \n\n"
    );
}

// ---- watch, lease, alarm, snapshot status (captured from etcdctl 3.4.23 the same way) ----

use crate::pb::etcdserverpb::{
    AlarmMember, AlarmResponse, LeaseGrantResponse, LeaseKeepAliveResponse, LeaseLeasesResponse,
    LeaseRevokeResponse, LeaseStatus, LeaseTimeToLiveResponse, WatchResponse,
};
use crate::pb::mvccpb::Event;

fn watch_responses() -> Vec<WatchResponse> {
    let put1 = Event {
        r#type: 0,
        kv: Some(kv("w", "a", 4, 4, 1)),
        prev_kv: None,
    };
    let put2 = Event {
        r#type: 0,
        kv: Some(kv("w", "b", 4, 5, 2)),
        prev_kv: Some(kv("w", "a", 4, 4, 1)),
    };
    let del = Event {
        r#type: 1,
        kv: Some(KeyValue {
            key: b"w".to_vec(),
            mod_revision: 6,
            ..Default::default()
        }),
        prev_kv: Some(kv("w", "b", 4, 5, 2)),
    };
    [(4, put1), (5, put2), (6, del)]
        .into_iter()
        .map(|(rev, e)| WatchResponse {
            header: hdr(rev),
            watch_id: 0,
            events: vec![e],
            ..Default::default()
        })
        .collect()
}

fn render_all(p: &Printer, rs: &[WatchResponse]) -> String {
    let mut buf = Vec::new();
    for r in rs {
        p.watch(&mut buf, r).unwrap();
    }
    String::from_utf8(buf).unwrap()
}

#[test]
fn watch_simple_with_prev_kv() {
    assert_eq!(
        render_all(&Printer::new(OutputFormat::Simple), &watch_responses()),
        "PUT\nw\na\nPUT\nw\na\nw\nb\nDELETE\nw\nb\nw\n\n"
    );
}

#[test]
fn watch_json() {
    assert_eq!(
        render_all(&Printer::new(OutputFormat::Json), &watch_responses()),
        concat!(
            r#"{"Header":{"cluster_id":15118495548433857066,"member_id":13668033151171901709,"revision":4,"raft_term":2},"Events":[{"kv":{"key":"dw==","create_revision":4,"mod_revision":4,"version":1,"value":"YQ=="}}],"CompactRevision":0,"Canceled":false,"Created":false}"#,
            "\n",
            r#"{"Header":{"cluster_id":15118495548433857066,"member_id":13668033151171901709,"revision":5,"raft_term":2},"Events":[{"kv":{"key":"dw==","create_revision":4,"mod_revision":5,"version":2,"value":"Yg=="},"prev_kv":{"key":"dw==","create_revision":4,"mod_revision":4,"version":1,"value":"YQ=="}}],"CompactRevision":0,"Canceled":false,"Created":false}"#,
            "\n",
            r#"{"Header":{"cluster_id":15118495548433857066,"member_id":13668033151171901709,"revision":6,"raft_term":2},"Events":[{"type":1,"kv":{"key":"dw==","mod_revision":6},"prev_kv":{"key":"dw==","create_revision":4,"mod_revision":5,"version":2,"value":"Yg=="}}],"CompactRevision":0,"Canceled":false,"Created":false}"#,
            "\n",
        )
    );
    // A compacted watch: etcdctl prints the cancellation with an empty event list.
    let canceled = WatchResponse {
        header: Some(ResponseHeader {
            cluster_id: CID,
            member_id: MID,
            revision: 0,
            raft_term: 2,
        }),
        canceled: true,
        compact_revision: 5,
        ..Default::default()
    };
    assert_eq!(
        render(|w| Printer::new(OutputFormat::Json).watch(w, &canceled)),
        "{\"Header\":{\"cluster_id\":15118495548433857066,\"member_id\":13668033151171901709,\"raft_term\":2},\"Events\":[],\"CompactRevision\":5,\"Canceled\":true,\"Created\":false}\n"
    );
}

#[test]
fn watch_fields() {
    let out = render_all(&Printer::new(OutputFormat::Fields), &watch_responses());
    let hdr = |rev: i64| {
        format!(
            "\"ClusterID\" : {CID}\n\"MemberID\" : {MID}\n\"Revision\" : {rev}\n\"RaftTerm\" : 2\n"
        )
    };
    let expected = format!(
        "{}\"Type\" : PUT\n\"Key\" : \"w\"\n\"CreateRevision\" : 4\n\"ModRevision\" : 4\n\"Version\" : 1\n\"Value\" : \"a\"\n\"Lease\" : 0\n\
         {}\"Type\" : PUT\n\"PrevKey\" : \"w\"\n\"PrevCreateRevision\" : 4\n\"PrevModRevision\" : 4\n\"PrevVersion\" : 1\n\"PrevValue\" : \"a\"\n\"PrevLease\" : 0\n\"Key\" : \"w\"\n\"CreateRevision\" : 4\n\"ModRevision\" : 5\n\"Version\" : 2\n\"Value\" : \"b\"\n\"Lease\" : 0\n\
         {}\"Type\" : DELETE\n\"PrevKey\" : \"w\"\n\"PrevCreateRevision\" : 4\n\"PrevModRevision\" : 5\n\"PrevVersion\" : 2\n\"PrevValue\" : \"b\"\n\"PrevLease\" : 0\n\"Key\" : \"w\"\n\"CreateRevision\" : 0\n\"ModRevision\" : 6\n\"Version\" : 0\n\"Value\" : \"\"\n\"Lease\" : 0\n",
        hdr(4),
        hdr(5),
        hdr(6)
    );
    assert_eq!(out, expected);
}

const LEASE: i64 = 4111120159621670927; // 390da200e732680f

#[test]
fn lease_grant_all_formats() {
    let r = LeaseGrantResponse {
        header: hdr(9),
        id: 4111120159621670954,
        ttl: 5,
        error: String::new(),
    };
    assert_eq!(
        render(|w| Printer::new(OutputFormat::Simple).lease_grant(w, &r)),
        "lease 390da200e732682a granted with TTL(5s)\n"
    );
    assert_eq!(
        render(|w| Printer::new(OutputFormat::Json).lease_grant(w, &r)),
        "{\"cluster_id\":15118495548433857066,\"member_id\":13668033151171901709,\"revision\":9,\"raft_term\":2,\"ID\":4111120159621670954,\"TTL\":5,\"Error\":\"\"}\n"
    );
    // -w protobuf writes only the header (clientv3's wrapper promotes the header's Marshal).
    let mut pb = Vec::new();
    Printer::new(OutputFormat::Protobuf)
        .lease_grant(&mut pb, &r)
        .unwrap();
    assert_eq!(pb, hdr(9).unwrap().encode_to_vec());
    let e = Printer::new(OutputFormat::Table)
        .lease_grant(&mut Vec::new(), &r)
        .unwrap_err();
    assert_eq!(e.to_string(), "table not supported as output format");
}

#[test]
fn lease_time_to_live_all_formats() {
    let r = LeaseTimeToLiveResponse {
        header: hdr(3),
        id: LEASE,
        ttl: 99,
        granted_ttl: 100,
        keys: vec![b"k1".to_vec(), b"k2".to_vec()],
    };
    assert_eq!(
        render(|w| Printer::new(OutputFormat::Simple).lease_time_to_live(w, &r, true)),
        "lease 390da200e732680f granted with TTL(100s), remaining(99s), attached keys([k1 k2])\n"
    );
    assert_eq!(
        render(|w| Printer::new(OutputFormat::Json).lease_time_to_live(w, &r, true)),
        "{\"cluster_id\":15118495548433857066,\"member_id\":13668033151171901709,\"revision\":3,\"raft_term\":2,\"id\":4111120159621670927,\"ttl\":99,\"granted-ttl\":100,\"keys\":[\"azE=\",\"azI=\"]}\n"
    );
    assert_eq!(
        render(|w| Printer::new(OutputFormat::Fields).lease_time_to_live(w, &r, true)),
        "\"ClusterID\" : 15118495548433857066\n\"MemberID\" : 13668033151171901709\n\"Revision\" : 3\n\"RaftTerm\" : 2\n\"ID\" : 4111120159621670927\n\"TTL\" : 99\n\"GrantedTTL\" : 100\n\"Key\" : \"k1\"\n\"Key\" : \"k2\"\n"
    );
    let no_keys = LeaseTimeToLiveResponse {
        keys: vec![],
        ..r.clone()
    };
    assert_eq!(
        render(|w| Printer::new(OutputFormat::Json).lease_time_to_live(w, &no_keys, false)),
        "{\"cluster_id\":15118495548433857066,\"member_id\":13668033151171901709,\"revision\":3,\"raft_term\":2,\"id\":4111120159621670927,\"ttl\":99,\"granted-ttl\":100,\"keys\":null}\n"
    );
    let expired = LeaseTimeToLiveResponse {
        header: hdr(3),
        id: 0x1234,
        ttl: -1,
        granted_ttl: 0,
        keys: vec![],
    };
    assert_eq!(
        render(|w| Printer::new(OutputFormat::Simple).lease_time_to_live(w, &expired, false)),
        "lease 0000000000001234 already expired\n"
    );
}

#[test]
fn lease_list_keep_alive_revoke() {
    let l = LeaseLeasesResponse {
        header: hdr(3),
        leases: vec![
            LeaseStatus {
                id: 4111120159621670917,
            },
            LeaseStatus { id: LEASE },
        ],
    };
    assert_eq!(
        render(|w| Printer::new(OutputFormat::Simple).lease_leases(w, &l)),
        "found 2 leases\n390da200e7326805\n390da200e732680f\n"
    );
    assert_eq!(
        render(|w| Printer::new(OutputFormat::Json).lease_leases(w, &l)),
        "{\"cluster_id\":15118495548433857066,\"member_id\":13668033151171901709,\"revision\":3,\"raft_term\":2,\"leases\":[{\"id\":4111120159621670917},{\"id\":4111120159621670927}]}\n"
    );
    assert_eq!(
        render(|w| Printer::new(OutputFormat::Fields).lease_leases(w, &l)),
        "\"ClusterID\" : 15118495548433857066\n\"MemberID\" : 13668033151171901709\n\"Revision\" : 3\n\"RaftTerm\" : 2\n\"ID\" : 4111120159621670917\n\"ID\" : 4111120159621670927\n"
    );
    let k = LeaseKeepAliveResponse {
        header: hdr(3),
        id: LEASE,
        ttl: 100,
    };
    assert_eq!(
        render(|w| Printer::new(OutputFormat::Simple).lease_keep_alive(w, &k)),
        "lease 390da200e732680f keepalived with TTL(100)\n"
    );
    assert_eq!(
        render(|w| Printer::new(OutputFormat::Json).lease_keep_alive(w, &k)),
        "{\"cluster_id\":15118495548433857066,\"member_id\":13668033151171901709,\"revision\":3,\"raft_term\":2,\"ID\":4111120159621670927,\"TTL\":100}\n"
    );
    let r = LeaseRevokeResponse { header: hdr(15) };
    assert_eq!(
        render(|w| Printer::new(OutputFormat::Simple).lease_revoke(w, LEASE, &r)),
        "lease 390da200e732680f revoked\n"
    );
    assert_eq!(
        render(|w| Printer::new(OutputFormat::Json).lease_revoke(w, LEASE, &r)),
        "{\"header\":{\"cluster_id\":15118495548433857066,\"member_id\":13668033151171901709,\"revision\":15,\"raft_term\":2}}\n"
    );
}

#[test]
fn alarm_formats() {
    // Captured from etcd 3.4.23 started with --quota-backend-bytes=1 after one put.
    let r = AlarmResponse {
        header: None,
        alarms: vec![AlarmMember {
            member_id: 3990370604368066554,
            alarm: 1,
        }],
    };
    assert_eq!(
        render(|w| Printer::new(OutputFormat::Simple).alarm(w, &r)),
        "memberID:3990370604368066554 alarm:NOSPACE \n"
    );
    assert_eq!(
        render(|w| Printer::new(OutputFormat::Json).alarm(w, &r)),
        "{\"alarms\":[{\"memberID\":3990370604368066554,\"alarm\":1}]}\n"
    );
    let mut pb = Vec::new();
    Printer::new(OutputFormat::Protobuf)
        .alarm(&mut pb, &r)
        .unwrap();
    assert_eq!(
        pb,
        [0x12, 0x0c, 0x08, 0xfa, 0xef, 0x93, 0xdc, 0xc3, 0x9d, 0xa9, 0xb0, 0x37, 0x10, 0x01]
    );
    assert_eq!(
        render(|w| Printer::new(OutputFormat::Json).alarm(w, &AlarmResponse::default())),
        "{}\n"
    );
    assert_eq!(
        render(|w| Printer::new(OutputFormat::Simple).alarm(w, &AlarmResponse::default())),
        ""
    );
}

#[test]
fn snapshot_status_formats() {
    let s = DbStatus {
        hash: 2307865840,
        revision: 8,
        total_key: 18,
        total_size: 20480,
    };
    assert_eq!(
        render(|w| Printer::new(OutputFormat::Simple).db_status(w, &s)),
        "898f3cf0, 8, 18, 20 kB\n"
    );
    assert_eq!(
        render(|w| Printer::new(OutputFormat::Json).db_status(w, &s)),
        "{\"hash\":2307865840,\"revision\":8,\"totalKey\":18,\"totalSize\":20480}\n"
    );
    assert_eq!(
        render(|w| Printer::new(OutputFormat::Fields).db_status(w, &s)),
        "\"Hash\" : 2307865840\n\"Revision\" : 8\n\"Keys\" : 18\n\"Size\" : 20480\n"
    );
    assert_eq!(
        render(|w| Printer::new(OutputFormat::Table).db_status(w, &s)),
        "+----------+----------+------------+------------+\n|   HASH   | REVISION | TOTAL KEYS | TOTAL SIZE |\n+----------+----------+------------+------------+\n| 898f3cf0 |        8 |         18 |      20 kB |\n+----------+----------+------------+------------+\n"
    );
    let e = Printer::new(OutputFormat::Protobuf)
        .db_status(&mut Vec::new(), &s)
        .unwrap_err();
    assert_eq!(e.to_string(), "protobuf not supported as output format");
}
