//! `/v1/admin/api-keys`: the operator issues, lists and revokes API keys
//! (`fairtrain_app::api_keys`).

use fairtrain_app::api_keys::{self, NewKey};
use fairtrain_core::principal::Role;
use serde_json::json;
use worker::Response;

use crate::http::auth;
use crate::http::context::Cx;
use crate::http::error::ApiResult;
use crate::http::{body, reply};

pub async fn create(mut cx: Cx) -> ApiResult<Response> {
    auth::require(&cx, &[Role::Operator]).await?;
    let req: NewKey = body::json(&mut cx, body::JSON_LIMIT).await?;
    let issued = api_keys::issue(&cx.rt, req).await?;
    reply::created(&issued, &format!("/v1/admin/api-keys/{}", issued.record.id))
}

pub async fn list(cx: Cx) -> ApiResult<Response> {
    auth::require(&cx, &[Role::Operator]).await?;
    reply::ok(&json!({ "api_keys": api_keys::list(&cx.rt).await? }))
}

pub async fn get(cx: Cx, id: &str) -> ApiResult<Response> {
    auth::require(&cx, &[Role::Operator]).await?;
    reply::ok(&api_keys::get(&cx.rt, id).await?)
}

/// Revocation is permanent and idempotent: revoking twice keeps the first time.
pub async fn revoke(cx: Cx, id: &str) -> ApiResult<Response> {
    auth::require(&cx, &[Role::Operator]).await?;
    reply::ok(&api_keys::revoke(&cx.rt, id).await?)
}
