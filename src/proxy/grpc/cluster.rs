//! The Cluster service through the proxy (etcd's `grpcproxy/cluster.go`): membership changes
//! are forwarded; `MemberList` answers, when the proxy has an advertise URL, with the
//! proxies registered under `--resolver-prefix` or else with this proxy alone (ID 0, the
//! host's name, the advertise URL), so a client's endpoint sync finds proxies, not members.

use tonic::{Request, Response, Status};

use super::{hostname, Caller, Proxy};
use crate::pb::etcdserverpb::{
    cluster_client::ClusterClient, cluster_server::Cluster, Member, MemberAddRequest,
    MemberAddResponse, MemberListRequest, MemberListResponse, MemberPromoteRequest,
    MemberPromoteResponse, MemberRemoveRequest, MemberRemoveResponse, MemberUpdateRequest,
    MemberUpdateResponse, RangeRequest,
};

/// The member-list entry of one proxy at `addr` (etcd's format: ID 0, name = host name).
fn proxy_member(addr: &str) -> Member {
    Member {
        name: hostname(),
        client_ur_ls: vec![addr.to_string()],
        ..Default::default()
    }
}

impl Proxy {
    /// The proxies registered under the resolver prefix (their advertise URLs).
    async fn registered_proxies(
        &self,
        caller: &Caller,
        prefix: &str,
    ) -> Result<Vec<Member>, Status> {
        let key = format!("{prefix}/").into_bytes();
        let req = RangeRequest {
            range_end: crate::keys::prefix_end(&key),
            key,
            ..Default::default()
        };
        // The registrations live outside any namespace, like etcd's.
        let resp = self
            .unary(caller, req, |ch, r| async move {
                let mut c = crate::pb::etcdserverpb::kv_client::KvClient::new(ch)
                    .max_decoding_message_size(usize::MAX);
                c.range(r).await
            })
            .await?;
        let mut members: Vec<Member> = resp
            .kvs
            .iter()
            .filter_map(|kv| super::registration::endpoint_of(&kv.value))
            .map(|addr| proxy_member(&addr))
            .collect();
        members.sort_by(|a, b| b.client_ur_ls.cmp(&a.client_ur_ls));
        members.dedup_by(|a, b| a.client_ur_ls == b.client_ur_ls);
        Ok(members)
    }
}

#[tonic::async_trait]
impl Cluster for Proxy {
    async fn member_list(
        &self,
        req: Request<MemberListRequest>,
    ) -> Result<Response<MemberListResponse>, Status> {
        let caller = Caller::of(&req);
        if let Some(adv) = &self.advertise {
            let mut members = Vec::new();
            if let Some(prefix) = &self.resolver_prefix {
                members = self.registered_proxies(&caller, prefix).await?;
            }
            if members.is_empty() {
                members.push(proxy_member(adv));
            }
            return Ok(Response::new(MemberListResponse {
                members,
                ..Default::default()
            }));
        }
        self.unary(&caller, req.into_inner(), |ch, r| async move {
            ClusterClient::new(ch).member_list(r).await
        })
        .await
        .map(Response::new)
    }

    async fn member_add(
        &self,
        req: Request<MemberAddRequest>,
    ) -> Result<Response<MemberAddResponse>, Status> {
        let caller = Caller::of(&req);
        self.unary(&caller, req.into_inner(), |ch, r| async move {
            ClusterClient::new(ch).member_add(r).await
        })
        .await
        .map(Response::new)
    }

    async fn member_remove(
        &self,
        req: Request<MemberRemoveRequest>,
    ) -> Result<Response<MemberRemoveResponse>, Status> {
        let caller = Caller::of(&req);
        self.unary(&caller, req.into_inner(), |ch, r| async move {
            ClusterClient::new(ch).member_remove(r).await
        })
        .await
        .map(Response::new)
    }

    async fn member_update(
        &self,
        req: Request<MemberUpdateRequest>,
    ) -> Result<Response<MemberUpdateResponse>, Status> {
        let caller = Caller::of(&req);
        self.unary(&caller, req.into_inner(), |ch, r| async move {
            ClusterClient::new(ch).member_update(r).await
        })
        .await
        .map(Response::new)
    }

    async fn member_promote(
        &self,
        req: Request<MemberPromoteRequest>,
    ) -> Result<Response<MemberPromoteResponse>, Status> {
        let caller = Caller::of(&req);
        self.unary(&caller, req.into_inner(), |ch, r| async move {
            ClusterClient::new(ch).member_promote(r).await
        })
        .await
        .map(Response::new)
    }
}
