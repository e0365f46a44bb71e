//! `/v2/members` (Go's `MembersAPI`) and a member's `/health`.

use bytes::Bytes;
use serde::Deserialize;

use super::endpoint::parse_endpoint;
use super::error::V2Error;
use super::transport::Request;
use super::wire::Member;
use super::V2Client;

impl V2Client {
    /// `GET /v2/members`.
    ///
    /// # Errors
    /// Transport errors, `unexpected status code N`.
    pub async fn member_list(&self) -> Result<Vec<Member>, V2Error> {
        #[derive(Deserialize)]
        struct List {
            #[serde(default)]
            members: Vec<Member>,
        }
        let a = self.call(hyper::Method::GET, "/v2/members", None).await?;
        Self::expect(&a, &[200])?;
        Ok(Self::json::<List>(&a)?.members)
    }

    /// `GET /v2/members/leader`.
    ///
    /// # Errors
    /// Transport errors, `unexpected status code N`.
    pub async fn member_leader(&self) -> Result<Member, V2Error> {
        let a = self
            .call(hyper::Method::GET, "/v2/members/leader", None)
            .await?;
        Self::expect(&a, &[200])?;
        Self::json(&a)
    }

    /// `POST /v2/members` with one peer URL; the new member.
    ///
    /// # Errors
    /// The server's message on 409 (e.g. `etcdserver: peerURL exists`), else as
    /// [`V2Client::member_list`].
    pub async fn member_add(&self, peer_url: &str) -> Result<Member, V2Error> {
        let body = serde_json::json!({ "peerURLs": [peer_url] }).to_string();
        let a = self
            .call(hyper::Method::POST, "/v2/members", Some(body))
            .await?;
        Self::expect(&a, &[201, 409])?;
        if a.status != 201 {
            return Err(Self::message(&a));
        }
        Self::json(&a)
    }

    /// `DELETE /v2/members/<id>`.
    ///
    /// # Errors
    /// The server's message on 404/409, else as [`V2Client::member_list`].
    pub async fn member_remove(&self, id: &str) -> Result<(), V2Error> {
        let a = self
            .call(hyper::Method::DELETE, &format!("/v2/members/{id}"), None)
            .await?;
        Self::expect(&a, &[204, 404, 409])?;
        if a.status != 204 {
            return Err(Self::message(&a));
        }
        Ok(())
    }

    /// `PUT /v2/members/<id>` with new peer URLs.
    ///
    /// # Errors
    /// `unexpected status code N` unless 204 or 410, transport errors.
    pub async fn member_update(&self, id: &str, peer_urls: &[String]) -> Result<(), V2Error> {
        let body = serde_json::json!({ "peerURLs": peer_urls }).to_string();
        let a = self
            .call(hyper::Method::PUT, &format!("/v2/members/{id}"), Some(body))
            .await?;
        Self::expect(&a, &[204, 410])
    }

    /// `GET <client url>/health` on one member; `Ok(body)` whatever the status.
    ///
    /// # Errors
    /// The Go-style transport error text.
    pub async fn health(&self, url: &str) -> Result<Bytes, String> {
        let ep = parse_endpoint(url).map_err(|e| e.to_string())?;
        let req = Request {
            method: hyper::Method::GET,
            path: "/health".to_string(),
            query: String::new(),
            body: None,
            wait: true,
        };
        let a = self
            .attempt(&ep, &req)
            .await
            .map_err(|e| format!("Get \"{}\": {}", self.full_url(&ep, &req), e.message))?;
        Ok(a.body)
    }
}
