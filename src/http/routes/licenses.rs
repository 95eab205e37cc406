//! `/v1/licenses`: which buyer may read which manifest. The operator grants
//! and revokes them here; a marketplace does it by signed webhook.

use fairtrain_core::principal::Role;
use fairtrain_core::time::Timestamp;
use serde::Deserialize;
use serde_json::{json, Value};
use worker::Response;

use crate::http::auth;
use crate::http::context::Cx;
use crate::http::error::{ApiError, ApiResult};
use crate::http::{body, reply};
use crate::manifests::access;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Grant {
    buyer: String,
    manifest_id: String,
    #[serde(default)]
    expires_at: Option<String>,
}

/// Grant a licence (shared by the operator endpoint and inbound webhooks).
/// `id` is chosen by the caller: random for the operator, derived from the
/// webhook id for a marketplace, so a redelivered purchase grants nothing new.
pub async fn grant_licence(
    cx: &Cx,
    id: &str,
    buyer: &str,
    manifest_id: &str,
    expires_at: Option<&str>,
    source: &str,
) -> ApiResult<Value> {
    access::exists(cx, manifest_id).await?;
    let is_buyer: Option<Value> = cx
        .db()?
        .prepare("SELECT id FROM api_keys WHERE id = ?1 AND role = 'buyer'")
        .bind(&[buyer.into()])?
        .first(None)
        .await?;
    if is_buyer.is_none() {
        return Err(ApiError::field("/buyer", "not the id of a buyer's API key"));
    }
    let expires = expires_at
        .map(|t| {
            Timestamp::parse_rfc3339(t)
                .map(|t| t.format_rfc3339())
                .map_err(|e| ApiError::field("/expires_at", e.to_string()))
        })
        .transpose()?;
    let now = cx.now().format_rfc3339();
    cx.db()?
        .prepare("INSERT OR IGNORE INTO licenses (id, buyer, manifest_id, granted_at, expires_at, source) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
        .bind(&[
            id.into(),
            buyer.into(),
            manifest_id.into(),
            now.as_str().into(),
            expires.as_deref().map(Into::into).unwrap_or(wasm_bindgen::JsValue::NULL),
            source.into(),
        ])?
        .run()
        .await?;
    Ok(
        json!({ "license_id": id, "buyer": buyer, "manifest_id": manifest_id, "granted_at": now, "expires_at": expires, "source": source }),
    )
}

pub async fn create(mut cx: Cx) -> ApiResult<Response> {
    auth::require(&cx, &[Role::Operator]).await?;
    let req: Grant = body::json(&mut cx, 16 * 1024).await?;
    let id = format!("urn:uuid:{}", uuid::Uuid::new_v4());
    let granted = grant_licence(
        &cx,
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
    let now = cx.now().format_rfc3339();
    let done = cx
        .db()?
        .prepare("UPDATE licenses SET revoked_at = COALESCE(revoked_at, ?2) WHERE id = ?1")
        .bind(&[id.into(), now.as_str().into()])?
        .run()
        .await?;
    if done.meta()?.and_then(|m| m.changes).unwrap_or(0) == 0 {
        return Err(ApiError::not_found(&format!("/v1/licenses/{id}")));
    }
    reply::ok(&json!({ "license_id": id, "status": "revoked" }))
}
