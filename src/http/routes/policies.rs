//! `/v1/policies`: consent policies, versioned (`fairtrain_app::policies`).

use fairtrain_app::policies::{self, Published};
use fairtrain_consent::policy::Policy;
use fairtrain_core::principal::Role;
use serde_json::json;
use worker::Response;

use crate::http::auth;
use crate::http::context::Cx;
use crate::http::error::ApiResult;
use crate::http::{body, reply};

const POLICY_LIMIT: usize = 256 * 1024;

pub async fn publish(mut cx: Cx) -> ApiResult<Response> {
    auth::require(&cx, &[Role::Operator]).await?;
    let bytes = body::json_bytes(&mut cx, POLICY_LIMIT).await?;
    let policy: Policy = body::parse_json(&bytes)?;
    match policies::publish(&cx.rt, policy).await? {
        Published::New(p) => reply::created(&p, &format!("/v1/policies/{}", p.policy_version)),
        Published::Unchanged(view) => reply::ok(&view),
    }
}

pub async fn list(cx: Cx) -> ApiResult<Response> {
    let policies = policies::list(&cx.rt).await?;
    reply::json(200, &json!({ "policies": policies }), "public, max-age=60")
}

pub async fn get(cx: Cx, version: &str) -> ApiResult<Response> {
    reply::json(
        200,
        &policies::read(&cx.rt, version).await?,
        "public, max-age=60",
    )
}
