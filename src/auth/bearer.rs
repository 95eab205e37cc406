//! Bearer tokens: the operator bootstrap token and API keys stored hashed in D1.

use fairtrain_core::api_key;
use fairtrain_core::principal::{Principal, Role};
use fairtrain_core::time::Timestamp;
use serde::Deserialize;
use wasm_bindgen::JsValue;

use crate::context::Cx;
use crate::error::{ApiError, ApiResult};

#[derive(Deserialize)]
struct KeyRow {
    id: String,
    token_hash: String,
    role: String,
    scopes: String,
    expires_at: Option<String>,
    revoked_at: Option<String>,
}

pub async fn authenticate(cx: &Cx, token: &str) -> ApiResult<Principal> {
    if token.starts_with("ftk_") {
        return api_key(cx, token).await;
    }
    let admin = cx
        .env
        .secret("ADMIN_TOKEN")
        .map(|s| s.to_string())
        .map_err(|_| ApiError::unavailable("the operator token is not configured"))?;
    // Compare hashes in constant time: equal length, no early exit.
    if !admin.is_empty() && api_key::matches(token, &api_key::hash(&admin)) {
        return Ok(Principal {
            role: Role::Operator,
            id: "operator".into(),
            scopes: Vec::new(),
            expires_at: None,
        });
    }
    Err(ApiError::unauthenticated("the bearer token is not valid"))
}

async fn api_key(cx: &Cx, token: &str) -> ApiResult<Principal> {
    let invalid = || ApiError::unauthenticated("the API key is not valid");
    let id = api_key::parse_id(token)
        .map_err(|e| ApiError::unauthenticated(format!("malformed API key: {e}")))?;
    let row: Option<KeyRow> = cx
        .db()?
        .prepare("SELECT id, token_hash, role, scopes, expires_at, revoked_at FROM api_keys WHERE id = ?1")
        .bind(&[JsValue::from_str(id)])?
        .first(None)
        .await?;
    let row = row.ok_or_else(invalid)?;
    let stored = row
        .token_hash
        .parse()
        .map_err(|_| ApiError::internal("stored API key hash is malformed"))?;
    if !api_key::matches(token, &stored) {
        return Err(invalid());
    }
    if row.revoked_at.is_some() {
        return Err(ApiError::unauthenticated("the API key has been revoked"));
    }
    if let Some(exp) = &row.expires_at {
        let exp_ms = Timestamp::parse_rfc3339(exp)
            .map_err(ApiError::internal)?
            .unix_millis();
        if exp_ms <= cx.now_ms as i64 {
            return Err(ApiError::unauthenticated("the API key has expired"));
        }
    }
    let role: Role = row.role.parse().map_err(ApiError::internal)?;
    let scopes: Vec<String> = serde_json::from_str(&row.scopes).map_err(ApiError::internal)?;
    Ok(Principal {
        role,
        id: row.id,
        scopes,
        expires_at: row.expires_at,
    })
}
