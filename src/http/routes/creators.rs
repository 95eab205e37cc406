//! `/v1/creators`: registration by proof of possession of a did:key
//! (`fairtrain_app::creators`).

use fairtrain_app::creators::{self, RegisterRequest};
use serde::Deserialize;
use worker::Response;

use crate::http::auth;
use crate::http::context::Cx;
use crate::http::error::ApiResult;
use crate::http::{body, reply};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChallengeRequest {
    did: String,
}

pub async fn challenge(mut cx: Cx) -> ApiResult<Response> {
    let req: ChallengeRequest = body::json(&mut cx, 4096).await?;
    reply::json(
        201,
        &creators::challenge(&cx.rt, &req.did).await?,
        "no-store",
    )
}

pub async fn register(mut cx: Cx) -> ApiResult<Response> {
    let req: RegisterRequest = body::json(&mut cx, 16 * 1024).await?;
    reply::created(&creators::register(&cx.rt, &req).await?, "/v1/creators/me")
}

/// The creator's own record, profile included (only to themselves).
pub async fn me(cx: Cx) -> ApiResult<Response> {
    let did = auth::require_creator(&cx).await?;
    reply::ok(&creators::me(&cx.rt, &did).await?)
}
