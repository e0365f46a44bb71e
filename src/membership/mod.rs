//! Cluster membership: members, their IDs and the cluster ID, derived exactly as etcd
//! derives them (etcdserver/api/membership/member.go and cluster.go).
//!
//! Depends on: hashing (`sha1`), serde, storage (heed). No sockets, no openraft, no tonic.

pub mod store;

use serde::{Deserialize, Serialize};
use sha1::{Digest, Sha1};

/// One member of the cluster, as etcd's `membership.Member`: a name, the URLs its peers
/// dial (`peer_urls`) and the URLs clients dial (`client_urls`). This is also the openraft
/// `Node` type, so it travels in membership log entries.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// Human-readable name (`--name`); empty for a member added but not yet started.
    pub name: String,
    /// Peer URLs (`--initial-advertise-peer-urls`), as given.
    pub peer_urls: Vec<String>,
    /// Client URLs (`--advertise-client-urls`); empty until the member publishes them.
    pub client_urls: Vec<String>,
}

/// Computes a member ID as etcd does without a timestamp (static bootstrap):
/// the first 8 bytes, big-endian, of sha1(sorted peer URLs joined with "" ++ cluster token).
///
/// Follows `computeMemberId` in etcd's `membership/member.go`.
pub fn compute_member_id(peer_urls: &[String], cluster_token: &str) -> u64 {
    compute_member_id_at(peer_urls, cluster_token, None)
}

/// Like [`compute_member_id`], with etcd's optional Unix time suffix (seconds), used by
/// `member add` so that re-adding the same URLs yields a new ID.
pub fn compute_member_id_at(
    peer_urls: &[String],
    cluster_token: &str,
    unix_secs: Option<i64>,
) -> u64 {
    let mut urls: Vec<&str> = peer_urls.iter().map(String::as_str).collect();
    urls.sort_unstable();
    let mut hasher = Sha1::new();
    hasher.update(urls.concat().as_bytes());
    hasher.update(cluster_token.as_bytes());
    if let Some(t) = unix_secs {
        hasher.update(t.to_string().as_bytes());
    }
    let digest = hasher.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first)
}

/// Computes the cluster ID from the member IDs as etcd's `RaftCluster.genID`: sha1 over the
/// sorted IDs, each as 8 big-endian bytes; the first 8 bytes of the digest, big-endian.
pub fn compute_cluster_id(member_ids: &[u64]) -> u64 {
    let mut ids = member_ids.to_vec();
    ids.sort_unstable();
    let mut hasher = Sha1::new();
    for id in ids {
        hasher.update(id.to_be_bytes());
    }
    let digest = hasher.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A member bootstrapped by v2 discovery: the discovery URL is the cluster token. The ID
    /// is the one etcd 3.4.23 registered (`PUT .../tok1/e3dacc9d96b3f7d2`) for this member.
    #[test]
    fn discovery_member_id_matches_etcd() {
        let id = compute_member_id(
            &["http://127.0.0.1:23802".to_string()],
            "http://127.0.0.1:23790/v2/keys/discovery/tok1",
        );
        assert_eq!(format!("{id:x}"), "e3dacc9d96b3f7d2");
    }

    /// Figures observed from real etcd 3.4.23 started with
    /// `--name default --initial-advertise-peer-urls http://localhost:2380
    ///  --initial-cluster default=http://localhost:2380` (token `etcd-cluster`).
    #[test]
    fn member_and_cluster_id_match_etcd_defaults() {
        let id = compute_member_id(&["http://localhost:2380".to_string()], "etcd-cluster");
        assert_eq!(format!("{id:x}"), "8e9e05c52164694d");
        assert_eq!(
            format!("{:x}", compute_cluster_id(&[id])),
            "cdf818194e3a8c32"
        );
    }
}
