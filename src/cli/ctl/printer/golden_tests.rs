//! Golden tests: every expected string below was captured from the real etcdctl 3.4.23
//! against etcd 3.4.23 (single member `default`, peer 127.0.0.1:23801, client 127.0.0.1:23791).

use super::*;
use crate::pb::etcdserverpb::{
    response_op::Response, Member, ResponseHeader, ResponseOp,
};
use crate::pb::mvccpb::KeyValue;

const CID: u64 = 15118495548433857066;
const MID: u64 = 13668033151171901709;

fn hdr(rev: i64) -> Option<ResponseHeader> {
    Some(ResponseHeader { cluster_id: CID, member_id: MID, revision: rev, raft_term: 2 })
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
    RangeResponse { header: hdr(4), kvs: vec![kv("foo", "bar2", 2, 3, 2)], more: false, count: 1 }
}

#[test]
fn get_json() {
    let p = Printer::new(OutputFormat::Json);
    assert_eq!(
        render(|w| p.get(w, &get_foo())),
        r#"{"header":{"cluster_id":15118495548433857066,"member_id":13668033151171901709,"revision":4,"raft_term":2},"kvs":[{"key":"Zm9v","create_revision":2,"mod_revision":3,"version":2,"value":"YmFyMg=="}],"count":1}"#.to_string() + "\n"
    );
    let empty = RangeResponse { header: hdr(4), ..Default::default() };
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
    let r = RangeResponse { header: hdr(9), kvs: vec![kv("k1", "v1", 6, 6, 1), kv("k2", "v2", 7, 9, 3)], more: false, count: 2 };
    let mut p = Printer::new(OutputFormat::Simple);
    p.hex = true;
    assert_eq!(render(|w| p.get(w, &r)), "\\x6b\\x31\n\\x76\\x31\n\\x6b\\x32\n\\x76\\x32\n");
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
    let r = DeleteRangeResponse { header: hdr(5), deleted: 1, prev_kvs: vec![kv("foo", "bar2", 2, 3, 2)] };
    assert_eq!(
        render(|w| Printer::new(OutputFormat::Json).del(w, &r)),
        r#"{"header":{"cluster_id":15118495548433857066,"member_id":13668033151171901709,"revision":5,"raft_term":2},"deleted":1,"prev_kvs":[{"key":"Zm9v","create_revision":2,"mod_revision":3,"version":2,"value":"YmFyMg=="}]}"#.to_string() + "\n"
    );
    let r = DeleteRangeResponse { header: hdr(11), deleted: 1, prev_kvs: vec![kv("k2", "v2", 7, 10, 4)] };
    assert_eq!(
        render(|w| Printer::new(OutputFormat::Fields).del(w, &r)),
        "\"ClusterID\" : 15118495548433857066\n\"MemberID\" : 13668033151171901709\n\"Revision\" : 11\n\"RaftTerm\" : 2\n\"Deleted\" : 1\n\"PrevKey\" : \"k2\"\n\"PrevCreateRevision\" : 7\n\"PrevModRevision\" : 10\n\"PrevVersion\" : 4\n\"PrevValue\" : \"v2\"\n\"PrevLease\" : 0\n"
    );
    assert_eq!(render(|w| Printer::new(OutputFormat::Simple).del(w, &r)), "1\nk2\nv2\n");
}

#[test]
fn put_simple_with_prev() {
    let r = PutResponse { header: hdr(3), prev_kv: Some(kv("foo", "bar", 2, 2, 1)) };
    assert_eq!(render(|w| Printer::new(OutputFormat::Simple).put(w, &r)), "OK\nfoo\nbar\n");
    assert_eq!(
        render(|w| Printer::new(OutputFormat::Json).put(w, &PutResponse { header: hdr(4), prev_kv: None })),
        "{\"header\":{\"cluster_id\":15118495548433857066,\"member_id\":13668033151171901709,\"revision\":4,\"raft_term\":2}}\n"
    );
}

fn sub_hdr(rev: i64) -> Option<ResponseHeader> {
    Some(ResponseHeader { revision: rev, ..Default::default() })
}

#[test]
fn txn_json_simple_fields() {
    let r = TxnResponse {
        header: hdr(7),
        succeeded: true,
        responses: vec![
            ResponseOp { response: Some(Response::ResponsePut(PutResponse { header: sub_hdr(7), prev_kv: None })) },
            ResponseOp {
                response: Some(Response::ResponseRange(RangeResponse {
                    header: sub_hdr(7),
                    kvs: vec![kv("k1", "v1", 6, 6, 1)],
                    more: false,
                    count: 1,
                })),
            },
            ResponseOp {
                response: Some(Response::ResponseDeleteRange(DeleteRangeResponse { header: sub_hdr(7), deleted: 0, prev_kvs: vec![] })),
            },
        ],
    };
    assert_eq!(
        render(|w| Printer::new(OutputFormat::Json).txn(w, &r)),
        r#"{"header":{"cluster_id":15118495548433857066,"member_id":13668033151171901709,"revision":7,"raft_term":2},"succeeded":true,"responses":[{"Response":{"ResponsePut":{"header":{"revision":7}}}},{"Response":{"ResponseRange":{"header":{"revision":7},"kvs":[{"key":"azE=","create_revision":6,"mod_revision":6,"version":1,"value":"djE="}],"count":1}}},{"Response":{"ResponseDeleteRange":{"header":{"revision":7}}}}]}"#.to_string() + "\n"
    );
    assert_eq!(render(|w| Printer::new(OutputFormat::Simple).txn(w, &r)), "SUCCESS\n\nOK\n\nk1\nv1\n\n0\n");
    let f = render(|w| Printer::new(OutputFormat::Fields).txn(w, &r));
    assert!(f.starts_with("\"ClusterID\" : 15118495548433857066\n\"MemberID\" : 13668033151171901709\n\"Revision\" : 7\n\"RaftTerm\" : 2\n\"Succeeded\" : true\n\"ClusterID\" : 0\n\"MemberID\" : 0\n\"Revision\" : 7\n\"RaftTerm\" : 0\n"));
}

fn members() -> MemberListResponse {
    MemberListResponse {
        header: Some(ResponseHeader { cluster_id: CID, member_id: MID, revision: 0, raft_term: 2 }),
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
    let ok = vec![EpHealth { ep: "127.0.0.1:23791".into(), health: true, took: "1.940671ms".into(), error: String::new() }];
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
    let bad = vec![EpHealth { ep: "127.0.0.1:1".into(), health: false, took: "1.001364556s".into(), error: "context deadline exceeded".into() }];
    assert_eq!(
        render(|w| Printer::new(OutputFormat::Json).endpoint_health(w, &mut Vec::new(), &bad)),
        "[{\"endpoint\":\"127.0.0.1:1\",\"health\":false,\"took\":\"1.001364556s\",\"error\":\"context deadline exceeded\"}]\n"
    );
    assert_eq!(
        render(|w| Printer::new(OutputFormat::Fields).endpoint_health(w, &mut Vec::new(), &ok)),
        "\"Endpoint\" : \"127.0.0.1:23791\"\n\"Health\" : true\n\"Took\" : 1.940671ms\n\"Error\" : \n\n"
    );
}
