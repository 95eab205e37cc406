//! `/v1/consents`: creators grant consent with a signed token and revoke it
//! with a signed revocation (`fairtrain_app::consents`).

use fairtrain_app::consents::{self, Grant};
use fairtrain_core::principal::Role;
use serde_json::Value;
use worker::Response;

use crate::http::auth;
use crate::http::context::Cx;
use crate::http::error::ApiResult;
use crate::http::{body, reply};

const TOKEN_LIMIT: usize = 256 * 1024;
const REVOCATION_LIMIT: usize = 16 * 1024;

pub async fn grant(mut cx: Cx) -> ApiResult<Response> {
    let creator = auth::require_creator(&cx).await?;
    let bytes = body::json_bytes(&mut cx, TOKEN_LIMIT).await?;
    let token: Value = body::parse_json(&bytes)?;
    match consents::grant(&cx.rt, &creator, &token).await? {
        Grant::Recorded(g) => reply::created(&g, &format!("/v1/consents/{}", g.consent_id)),
        Grant::AlreadyRecorded(k) => reply::ok(&k),
    }
}

/// The owner, the operator and auditors may read a consent.
pub async fn get(cx: Cx, id: &str) -> ApiResult<Response> {
    let principal = auth::require(&cx, &[Role::Creator, Role::Operator, Role::Auditor]).await?;
    reply::ok(&consents::read(&cx.rt, &principal, id).await?)
}

pub async fn revoke(mut cx: Cx, id: &str) -> ApiResult<Response> {
    let creator = auth::require_creator(&cx).await?;
    let bytes = body::json_bytes(&mut cx, REVOCATION_LIMIT).await?;
    let doc: Value = body::parse_json(&bytes)?;
    reply::ok(&consents::revoke(&cx.rt, &creator, id, &doc).await?)
}
