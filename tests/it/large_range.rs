//! A range over large values, functional behaviour only (memory is measured by
//! `bench/large_range.py`, not asserted here): 16 values of 1 MiB come back whole and in key
//! order in one response; `keys_only` returns the same keys and count without values; `limit`
//! truncates and sets `more`; `count_only` returns only the count.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use etcd_oxide::pb::etcdserverpb::kv_client::KvClient;
use etcd_oxide::pb::etcdserverpb::{PutRequest, RangeRequest};

use crate::harness::{connect, runtime, Member, MemberOpts, ServerKind};

const KEYS: usize = 16;
const VALUE_LEN: usize = 1 << 20;
const RPC: Duration = Duration::from_secs(60);

fn value(i: usize) -> Vec<u8> {
    (0..VALUE_LEN).map(|j| (i * 31 + j) as u8).collect()
}

#[test]
fn range_over_large_values_whole_keys_only_limit_and_count() {
    let m = Member::start(ServerKind::Ours, MemberOpts::named("big"));
    runtime().block_on(async {
        let ch = connect(&m.client_url(), RPC).await;
        let mut kv = KvClient::new(ch)
            .max_decoding_message_size(usize::MAX)
            .max_encoding_message_size(4 << 20);
        for i in 0..KEYS {
            let req = PutRequest {
                key: format!("/big/{i:02}").into_bytes(),
                value: value(i),
                ..Default::default()
            };
            tokio::time::timeout(RPC, kv.put(req))
                .await
                .expect("put timed out")
                .expect("put");
        }
        let all = |keys_only, count_only, limit| RangeRequest {
            key: b"/big/".to_vec(),
            range_end: b"/big0".to_vec(),
            keys_only,
            count_only,
            limit,
            ..Default::default()
        };
        let r = tokio::time::timeout(RPC, kv.range(all(false, false, 0)))
            .await
            .expect("range timed out")
            .expect("range")
            .into_inner();
        assert_eq!((r.kvs.len(), r.count, r.more), (KEYS, KEYS as i64, false));
        for (i, kv) in r.kvs.iter().enumerate() {
            assert_eq!(kv.key, format!("/big/{i:02}").into_bytes());
            assert!(kv.value == value(i), "value {i} differs");
        }
        let r = kv
            .range(all(true, false, 0))
            .await
            .expect("keys-only range")
            .into_inner();
        assert_eq!((r.kvs.len(), r.count), (KEYS, KEYS as i64));
        assert!(r
            .kvs
            .iter()
            .all(|kv| kv.value.is_empty() && kv.version == 1));
        let r = kv
            .range(all(false, false, 3))
            .await
            .expect("limited range")
            .into_inner();
        assert_eq!((r.kvs.len(), r.count, r.more), (3, KEYS as i64, true));
        assert!(r.kvs[2].value == value(2));
        let r = kv
            .range(all(false, true, 0))
            .await
            .expect("count-only range")
            .into_inner();
        assert_eq!((r.kvs.len(), r.count), (0, KEYS as i64));
    });
}
