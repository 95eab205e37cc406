//! `/v1/admin/api-keys`: the operator issues, lists and revokes API keys for
//! buyers, orchestrators and auditors. Only the SHA-256 of a key is stored; the
//! key itself is shown once, in the response that creates it.

use fairtrain_core::api_key;
use fairtrain_core::principal::Role;
use fairtrain_core::problem::FieldError;
use fairtrain_core::time::Timestamp;
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsValue;
use worker::Response;

use crate::auth;
use crate::context::Cx;
use crate::error::{ApiError, ApiResult};
use crate::http::{body, reply};
use crate::random;

/// Auditors are time-limited by design; this bounds how long.
const AUDITOR_MAX_DAYS: i64 = 90;
const DAY_MS: i64 = 86_400_000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateRequest {
    role: String,
    label: String,
    #[serde(default)]
    scopes: Vec<String>,
    #[serde(default)]
    expires_at: Option<String>,
    /// Orchestrators: the did:key that signs their usage reports.
    #[serde(default)]
    signing_key: Option<String>,
    /// Orchestrators: the buyer (API key id) whose licences cover their usage.
    #[serde(default)]
    acts_for: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct KeyRecord {
    id: String,
    role: String,
    label: String,
    scopes: Vec<String>,
    created_at: String,
    expires_at: Option<String>,
    revoked_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    signing_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    acts_for: Option<String>,
}

#[derive(Deserialize)]
struct KeyRow {
    id: String,
    role: String,
    label: String,
    scopes: String,
    created_at: String,
    expires_at: Option<String>,
    revoked_at: Option<String>,
    signing_key: Option<String>,
    acts_for: Option<String>,
}

impl TryFrom<KeyRow> for KeyRecord {
    type Error = ApiError;
    fn try_from(r: KeyRow) -> ApiResult<KeyRecord> {
        Ok(KeyRecord {
            scopes: serde_json::from_str(&r.scopes).map_err(ApiError::internal)?,
            id: r.id,
            role: r.role,
            label: r.label,
            created_at: r.created_at,
            expires_at: r.expires_at,
            revoked_at: r.revoked_at,
            signing_key: r.signing_key,
            acts_for: r.acts_for,
        })
    }
}

const COLUMNS: &str =
    "id, role, label, scopes, created_at, expires_at, revoked_at, signing_key, acts_for";

fn validate(req: &CreateRequest, now_ms: i64) -> Result<(Role, Option<String>), Vec<FieldError>> {
    let mut errors = Vec::new();
    let role = match req.role.parse::<Role>() {
        Ok(r) if Role::API_KEY_ROLES.contains(&r) => Some(r),
        Ok(r) => {
            errors.push(FieldError::new(
                "/role",
                format!("{r} cannot hold an API key; use buyer, orchestrator or auditor"),
            ));
            None
        }
        Err(e) => {
            errors.push(FieldError::new("/role", e.to_string()));
            None
        }
    };
    if req.label.trim().is_empty() || req.label.len() > 200 {
        errors.push(FieldError::new(
            "/label",
            "a label of 1 to 200 characters is required",
        ));
    }
    for (i, s) in req.scopes.iter().enumerate() {
        let ok = !s.is_empty() && s.len() <= 100 && s.bytes().all(|b| b.is_ascii_graphic());
        if !ok {
            errors.push(FieldError::new(
                format!("/scopes/{i}"),
                "a scope is 1 to 100 printable ASCII characters",
            ));
        }
    }
    let mut expires = None;
    match &req.expires_at {
        Some(t) => match Timestamp::parse_rfc3339(t) {
            Ok(ts) if ts.unix_millis() <= now_ms => {
                errors.push(FieldError::new("/expires_at", "must be in the future"))
            }
            Ok(ts) => {
                if role == Some(Role::Auditor)
                    && ts.unix_millis() > now_ms + AUDITOR_MAX_DAYS * DAY_MS
                {
                    errors.push(FieldError::new(
                        "/expires_at",
                        format!("auditor keys last at most {AUDITOR_MAX_DAYS} days"),
                    ));
                }
                expires = Some(ts.format_rfc3339());
            }
            Err(e) => errors.push(FieldError::new(
                "/expires_at",
                format!("not an RFC 3339 time: {e}"),
            )),
        },
        None if role == Some(Role::Auditor) => errors.push(FieldError::new(
            "/expires_at",
            "auditor keys are time-limited: expires_at is required",
        )),
        None => {}
    }
    let orchestrator = role == Some(Role::Orchestrator);
    match &req.signing_key {
        Some(_) if !orchestrator => errors.push(FieldError::new(
            "/signing_key",
            "only orchestrators register a signing key",
        )),
        Some(k) if fairtrain_core::did_key::DidKey::parse(k).is_err() => errors.push(
            FieldError::new("/signing_key", "must be an Ed25519 did:key"),
        ),
        None if orchestrator => errors.push(FieldError::new(
            "/signing_key",
            "orchestrators sign their usage reports: the did:key of that key is required",
        )),
        _ => {}
    }
    match &req.acts_for {
        Some(_) if !orchestrator => errors.push(FieldError::new(
            "/acts_for",
            "only orchestrators act for a buyer",
        )),
        None if orchestrator => errors.push(FieldError::new(
            "/acts_for",
            "the buyer (API key id) whose licences cover this orchestrator's usage is required",
        )),
        _ => {}
    }
    match (role, errors.is_empty()) {
        (Some(role), true) => Ok((role, expires)),
        _ => Err(errors),
    }
}

pub async fn create(mut cx: Cx) -> ApiResult<Response> {
    auth::require(&cx, &[Role::Operator]).await?;
    let req: CreateRequest = body::json(&mut cx, body::JSON_LIMIT).await?;
    let (role, expires_at) = validate(&req, cx.now_ms as i64).map_err(ApiError::validation)?;
    let key = api_key::mint(&random::bytes::<40>()?);
    let record = KeyRecord {
        id: key.id.clone(),
        role: role.as_str().to_string(),
        label: req.label.trim().to_string(),
        scopes: req.scopes,
        created_at: cx.now().format_rfc3339(),
        expires_at,
        revoked_at: None,
        signing_key: req.signing_key.clone(),
        acts_for: req.acts_for.clone(),
    };
    if let Some(buyer) = &record.acts_for {
        let is_buyer: Option<serde_json::Value> = cx
            .db()?
            .prepare("SELECT id FROM api_keys WHERE id = ?1 AND role = 'buyer'")
            .bind(&[JsValue::from_str(buyer)])?
            .first(None)
            .await?;
        if is_buyer.is_none() {
            return Err(ApiError::field(
                "/acts_for",
                "not the id of a buyer's API key",
            ));
        }
    }
    let scopes = serde_json::to_string(&record.scopes).map_err(ApiError::internal)?;
    cx.db()?
        .prepare("INSERT INTO api_keys (id, token_hash, role, label, scopes, created_at, expires_at, signing_key, acts_for) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")
        .bind(&[
            JsValue::from_str(&record.id),
            JsValue::from_str(&key.token_hash.to_string()),
            JsValue::from_str(&record.role),
            JsValue::from_str(&record.label),
            JsValue::from_str(&scopes),
            JsValue::from_str(&record.created_at),
            record.expires_at.as_deref().map(JsValue::from_str).unwrap_or(JsValue::NULL),
            record.signing_key.as_deref().map(JsValue::from_str).unwrap_or(JsValue::NULL),
            record.acts_for.as_deref().map(JsValue::from_str).unwrap_or(JsValue::NULL),
        ])?
        .run()
        .await?;
    let mut body = serde_json::to_value(&record).map_err(ApiError::internal)?;
    body["token"] = key.token.into();
    reply::created(&body, &format!("/v1/admin/api-keys/{}", record.id))
}

pub async fn list(cx: Cx) -> ApiResult<Response> {
    auth::require(&cx, &[Role::Operator]).await?;
    let rows: Vec<KeyRow> = cx
        .db()?
        .prepare(format!(
            "SELECT {COLUMNS} FROM api_keys ORDER BY created_at, id"
        ))
        .all()
        .await?
        .results()?;
    let keys = rows
        .into_iter()
        .map(KeyRecord::try_from)
        .collect::<ApiResult<Vec<_>>>()?;
    reply::ok(&serde_json::json!({ "api_keys": keys }))
}

async fn find(cx: &Cx, id: &str) -> ApiResult<KeyRecord> {
    let row: Option<KeyRow> = cx
        .db()?
        .prepare(format!("SELECT {COLUMNS} FROM api_keys WHERE id = ?1"))
        .bind(&[JsValue::from_str(id)])?
        .first(None)
        .await?;
    row.ok_or_else(|| ApiError::not_found(&format!("/v1/admin/api-keys/{id}")))?
        .try_into()
}

pub async fn get(cx: Cx, id: &str) -> ApiResult<Response> {
    auth::require(&cx, &[Role::Operator]).await?;
    reply::ok(&find(&cx, id).await?)
}

/// Revocation is permanent and idempotent: revoking twice keeps the first time.
pub async fn revoke(cx: Cx, id: &str) -> ApiResult<Response> {
    auth::require(&cx, &[Role::Operator]).await?;
    find(&cx, id).await?;
    let now = cx.now().format_rfc3339();
    cx.db()?
        .prepare("UPDATE api_keys SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL")
        .bind(&[JsValue::from_str(id), JsValue::from_str(&now)])?
        .run()
        .await?;
    reply::ok(&find(&cx, id).await?)
}
