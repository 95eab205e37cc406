//! `/v1/licenses`: which buyer may read which manifest; the operator grants
//! and revokes them here (`fairtrain_app::licenses`).

use fairtrain_app::licenses;
use fairtrain_app::platform::Ids;
use fairtrain_core::principal::Role;
use serde::Deserialize;
use worker::Response;

use crate::http::auth;
use crate::http::context::Cx;
use crate::http::error::ApiResult;
use crate::http::{body, reply};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Grant {
    buyer: String,
    manifest_id: String,
    #[serde(default)]
    expires_at: Option<String>,
}

pub async fn create(mut cx: Cx) -> ApiResult<Response> {
    auth::require(&cx, &[Role::Operator]).await?;
    let req: Grant = body::json(&mut cx, 16 * 1024).await?;
    let id = cx.rt.urn()?;
    let granted = licenses::grant(
        &cx.rt,
        &id,
        &req.buyer,
        &req.manifest_id,
        req.expires_at.as_deref(),
        "operator",
    )
    .await?;
    reply::created(&granted, &format!("/v1/licenses/{id}"))
}

pub async fn revoke(cx: Cx, id: &str) -> ApiResult<Response> {
    auth::require(&cx, &[Role::Operator]).await?;
    reply::ok(&licenses::revoke(&cx.rt, id).await?)
}
