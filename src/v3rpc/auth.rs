//! `etcdserverpb.Auth`: thin handlers (etcd's `v3rpc/auth.go`): resolve the caller's
//! token, call one server method, map the error.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::interceptor::caller;
use crate::pb::etcdserverpb::auth_server::Auth;
use crate::pb::etcdserverpb::*;
use crate::server::EtcdServer;

/// The Auth service.
pub struct AuthService {
    server: Arc<EtcdServer>,
}

impl AuthService {
    /// Wraps the server.
    pub fn new(server: Arc<EtcdServer>) -> AuthService {
        AuthService { server }
    }
}

#[tonic::async_trait]
impl Auth for AuthService {
    async fn auth_enable(
        &self,
        request: Request<AuthEnableRequest>,
    ) -> Result<Response<AuthEnableResponse>, Status> {
        let caller = caller(&self.server, &request)?;
        Ok(Response::new(self.server.auth_enable(&caller).await?))
    }

    async fn auth_disable(
        &self,
        request: Request<AuthDisableRequest>,
    ) -> Result<Response<AuthDisableResponse>, Status> {
        let caller = caller(&self.server, &request)?;
        Ok(Response::new(self.server.auth_disable(&caller).await?))
    }

    async fn auth_status(
        &self,
        _request: Request<AuthStatusRequest>,
    ) -> Result<Response<AuthStatusResponse>, Status> {
        Ok(Response::new(self.server.auth_status()?))
    }

    async fn authenticate(
        &self,
        request: Request<AuthenticateRequest>,
    ) -> Result<Response<AuthenticateResponse>, Status> {
        let token = super::interceptor::token(&request);
        let r = request.into_inner();
        Ok(Response::new(
            self.server
                .authenticate(&r.name, &r.password, token.as_deref())
                .await?,
        ))
    }

    async fn user_add(
        &self,
        request: Request<AuthUserAddRequest>,
    ) -> Result<Response<AuthUserAddResponse>, Status> {
        let caller = caller(&self.server, &request)?;
        Ok(Response::new(
            self.server.user_add(request.into_inner(), &caller).await?,
        ))
    }
    async fn user_get(
        &self,
        request: Request<AuthUserGetRequest>,
    ) -> Result<Response<AuthUserGetResponse>, Status> {
        let caller = caller(&self.server, &request)?;
        Ok(Response::new(
            self.server.user_get(request.into_inner(), &caller).await?,
        ))
    }
    async fn user_delete(
        &self,
        request: Request<AuthUserDeleteRequest>,
    ) -> Result<Response<AuthUserDeleteResponse>, Status> {
        let caller = caller(&self.server, &request)?;
        Ok(Response::new(
            self.server
                .user_delete(request.into_inner(), &caller)
                .await?,
        ))
    }
    async fn user_change_password(
        &self,
        request: Request<AuthUserChangePasswordRequest>,
    ) -> Result<Response<AuthUserChangePasswordResponse>, Status> {
        let caller = caller(&self.server, &request)?;
        Ok(Response::new(
            self.server
                .user_change_password(request.into_inner(), &caller)
                .await?,
        ))
    }
    async fn user_grant_role(
        &self,
        request: Request<AuthUserGrantRoleRequest>,
    ) -> Result<Response<AuthUserGrantRoleResponse>, Status> {
        let caller = caller(&self.server, &request)?;
        Ok(Response::new(
            self.server
                .user_grant_role(request.into_inner(), &caller)
                .await?,
        ))
    }
    async fn user_revoke_role(
        &self,
        request: Request<AuthUserRevokeRoleRequest>,
    ) -> Result<Response<AuthUserRevokeRoleResponse>, Status> {
        let caller = caller(&self.server, &request)?;
        Ok(Response::new(
            self.server
                .user_revoke_role(request.into_inner(), &caller)
                .await?,
        ))
    }
    async fn role_add(
        &self,
        request: Request<AuthRoleAddRequest>,
    ) -> Result<Response<AuthRoleAddResponse>, Status> {
        let caller = caller(&self.server, &request)?;
        Ok(Response::new(
            self.server.role_add(request.into_inner(), &caller).await?,
        ))
    }
    async fn role_get(
        &self,
        request: Request<AuthRoleGetRequest>,
    ) -> Result<Response<AuthRoleGetResponse>, Status> {
        let caller = caller(&self.server, &request)?;
        Ok(Response::new(
            self.server.role_get(request.into_inner(), &caller).await?,
        ))
    }
    async fn role_delete(
        &self,
        request: Request<AuthRoleDeleteRequest>,
    ) -> Result<Response<AuthRoleDeleteResponse>, Status> {
        let caller = caller(&self.server, &request)?;
        Ok(Response::new(
            self.server
                .role_delete(request.into_inner(), &caller)
                .await?,
        ))
    }
    async fn role_grant_permission(
        &self,
        request: Request<AuthRoleGrantPermissionRequest>,
    ) -> Result<Response<AuthRoleGrantPermissionResponse>, Status> {
        let caller = caller(&self.server, &request)?;
        Ok(Response::new(
            self.server
                .role_grant_permission(request.into_inner(), &caller)
                .await?,
        ))
    }
    async fn role_revoke_permission(
        &self,
        request: Request<AuthRoleRevokePermissionRequest>,
    ) -> Result<Response<AuthRoleRevokePermissionResponse>, Status> {
        let caller = caller(&self.server, &request)?;
        Ok(Response::new(
            self.server
                .role_revoke_permission(request.into_inner(), &caller)
                .await?,
        ))
    }

    async fn user_list(
        &self,
        request: Request<AuthUserListRequest>,
    ) -> Result<Response<AuthUserListResponse>, Status> {
        let caller = caller(&self.server, &request)?;
        Ok(Response::new(self.server.user_list(&caller).await?))
    }

    async fn role_list(
        &self,
        request: Request<AuthRoleListRequest>,
    ) -> Result<Response<AuthRoleListResponse>, Status> {
        let caller = caller(&self.server, &request)?;
        Ok(Response::new(self.server.role_list(&caller).await?))
    }
}
