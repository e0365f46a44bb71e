//! `etcdserverpb.Cluster` calls (clientv3's `Cluster` interface) and clientv3's fail-fast
//! check of peer URLs.

use super::{Client, Error};
use crate::pb::etcdserverpb::{
    cluster_client::ClusterClient, MemberAddRequest, MemberAddResponse, MemberListRequest,
    MemberListResponse, MemberPromoteRequest, MemberPromoteResponse, MemberRemoveRequest,
    MemberRemoveResponse, MemberUpdateRequest, MemberUpdateResponse,
};

impl Client {
    /// `Cluster.MemberList`: the cluster's members.
    ///
    /// # Errors
    /// As [`Client::range`].
    pub async fn member_list(&self, req: MemberListRequest) -> Result<MemberListResponse, Error> {
        self.call(|ch| async move { ClusterClient::new(ch).member_list(req).await })
            .await
    }

    /// `Cluster.MemberAdd`: adds a member (a learner when `is_learner`) with these peer URLs.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a URL Go's `types.NewURLs` refuses (checked before
    /// sending, like clientv3); otherwise as [`Client::range`], e.g.
    /// `etcdserver: Peer URLs already exists`.
    pub async fn member_add(
        &self,
        peer_urls: Vec<String>,
        is_learner: bool,
    ) -> Result<MemberAddResponse, Error> {
        check_peer_urls(&peer_urls)?;
        let req = MemberAddRequest {
            peer_ur_ls: peer_urls.into_iter().map(String::into_bytes).collect(),
            is_learner,
        };
        self.call(|ch| {
            let req = req.clone();
            async move { ClusterClient::new(ch).member_add(req).await }
        })
        .await
    }

    /// `Cluster.MemberRemove`: removes the member `id`.
    ///
    /// # Errors
    /// As [`Client::range`]; e.g. `etcdserver: member not found`.
    pub async fn member_remove(&self, id: u64) -> Result<MemberRemoveResponse, Error> {
        self.call(|ch| async move {
            ClusterClient::new(ch)
                .member_remove(MemberRemoveRequest { id })
                .await
        })
        .await
    }

    /// `Cluster.MemberUpdate`: replaces the peer URLs of member `id`.
    ///
    /// # Errors
    /// As [`Client::member_add`].
    pub async fn member_update(
        &self,
        id: u64,
        peer_urls: Vec<String>,
    ) -> Result<MemberUpdateResponse, Error> {
        check_peer_urls(&peer_urls)?;
        let req = MemberUpdateRequest {
            id,
            peer_ur_ls: peer_urls.into_iter().map(String::into_bytes).collect(),
        };
        self.call(|ch| {
            let req = req.clone();
            async move { ClusterClient::new(ch).member_update(req).await }
        })
        .await
    }

    /// `Cluster.MemberPromote`: turns the learner `id` into a voting member.
    ///
    /// # Errors
    /// As [`Client::range`]; e.g. `etcdserver: can only promote a learner member which is in
    /// sync with leader`.
    pub async fn member_promote(&self, id: u64) -> Result<MemberPromoteResponse, Error> {
        self.call(|ch| async move {
            ClusterClient::new(ch)
                .member_promote(MemberPromoteRequest { id })
                .await
        })
        .await
    }
}

/// clientv3's fail-fast check of peer URLs before `MemberAdd` / `MemberUpdate`
/// (`types.NewURLs`): scheme `http`, `https`, `unix` or `unixs`, a `host:port` address, no path.
///
/// # Errors
/// [`Error::InvalidArgument`] with Go's message.
pub fn check_peer_urls(urls: &[String]) -> Result<(), Error> {
    if urls.is_empty() {
        return Err(Error::InvalidArgument("no valid URLs given".into()));
    }
    for raw in urls {
        let u = raw.trim();
        let bad = |m: &str| Err(Error::InvalidArgument(format!("{m}: {u}")));
        let (scheme, rest) = u.split_once("://").unwrap_or(("", u));
        if !matches!(
            scheme.to_ascii_lowercase().as_str(),
            "http" | "https" | "unix" | "unixs"
        ) {
            return bad("URL scheme must be http, https, unix, or unixs");
        }
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let host = &rest[..end];
        let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
        let has_port = if let Some(v6) = host.strip_prefix('[') {
            v6.split_once(']').is_some_and(|(_, p)| p.starts_with(':'))
        } else {
            host.matches(':').count() == 1
        };
        if !has_port {
            return bad("URL address does not have the form \"host:port\"");
        }
        let path = rest[end..].split(['?', '#']).next().unwrap_or("");
        if !path.is_empty() {
            return bad("URL must not contain a path");
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn peer_urls_checked_like_types_new_urls() {
        let one = |u: &str| check_peer_urls(&[u.to_string()]).map_err(|e| e.to_string());
        assert_eq!(one("http://127.0.0.1:2380"), Ok(()));
        assert_eq!(one("HTTPS://[::1]:2380"), Ok(()));
        assert_eq!(
            one("foo").unwrap_err(),
            "URL scheme must be http, https, unix, or unixs: foo"
        );
        assert_eq!(
            one("http://h").unwrap_err(),
            "URL address does not have the form \"host:port\": http://h"
        );
        assert_eq!(
            one("http://h:1/p").unwrap_err(),
            "URL must not contain a path: http://h:1/p"
        );
    }
}
