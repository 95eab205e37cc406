//! Webhook secrets (`whsec_…`): minted from the runtime's CSPRNG, stored per
//! endpoint (outbound) or integration (inbound). A rotation keeps the old
//! secret valid until an overlap ends, so both sides can switch without a
//! gap: outbound deliveries carry a `v1` signature per live secret, inbound
//! events may be signed with either.

use fairtrain_webhooks::secret::RECOMMENDED_SECRET_LEN;
use fairtrain_webhooks::WebhookSecret;
use serde::Deserialize;

use serde_json::json;
use worker::Response;

use crate::http::context::Cx;
use crate::http::error::{ApiError, ApiResult};
use crate::http::{body, reply};
use crate::runtime::random;

/// The longest overlap a rotation may ask for.
pub const MAX_OVERLAP_SECS: u64 = 7 * 86_400;
/// The overlap when none is asked for: one day.
pub const DEFAULT_OVERLAP_SECS: u64 = 86_400;

/// Where secrets live: outbound endpoints or inbound integrations.
#[derive(Clone, Copy)]
pub enum Owner {
    Endpoint,
    Integration,
}

impl Owner {
    fn table(self) -> (&'static str, &'static str) {
        match self {
            Owner::Endpoint => ("webhook_secrets", "endpoint_id"),
            Owner::Integration => ("integration_secrets", "integration_id"),
        }
    }
}

pub fn mint() -> ApiResult<WebhookSecret> {
    let bytes = random::bytes::<RECOMMENDED_SECRET_LEN>()?;
    WebhookSecret::from_random(&bytes).map_err(ApiError::internal)
}

#[derive(Deserialize)]
struct SecretRow {
    secret: String,
}

/// The secrets still valid now, newest first.
pub async fn live(cx: &Cx, owner: Owner, id: &str) -> ApiResult<Vec<WebhookSecret>> {
    let (table, column) = owner.table();
    let rows: Vec<SecretRow> = cx
        .db()?
        .prepare(format!(
            "SELECT secret FROM {table} WHERE {column} = ?1 AND (expires_at IS NULL OR expires_at > ?2) \
             ORDER BY expires_at IS NULL DESC, created_at DESC"
        ))
        .bind(&[id.into(), cx.now().format_rfc3339().into()])?
        .all()
        .await?
        .results()?;
    rows.iter()
        .map(|r| WebhookSecret::parse(&r.secret).map_err(ApiError::internal))
        .collect()
}

/// Statements that store a first secret for a new owner.
pub fn insert(
    cx: &Cx,
    owner: Owner,
    id: &str,
    secret: &WebhookSecret,
) -> ApiResult<worker::D1PreparedStatement> {
    let (table, column) = owner.table();
    Ok(cx
        .db()?
        .prepare(format!(
            "INSERT INTO {table} ({column}, secret, created_at, expires_at) VALUES (?1, ?2, ?3, NULL)"
        ))
        .bind(&[
            id.into(),
            secret.encode().into(),
            cx.now().format_rfc3339().into(),
        ])?)
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RotateRequest {
    #[serde(default)]
    overlap_seconds: Option<u64>,
}

/// `POST …/rotate-secret` for an endpoint or an integration: an optional
/// `{"overlap_seconds"}` body; answers the new secret and when the old stop.
pub async fn rotate_request(cx: &mut Cx, owner: Owner, id: &str) -> ApiResult<Response> {
    let req: RotateRequest = if cx.header("Content-Length").as_deref().unwrap_or("0") == "0" {
        RotateRequest::default()
    } else {
        body::json(cx, 1024).await?
    };
    let overlap = req.overlap_seconds.unwrap_or(DEFAULT_OVERLAP_SECS);
    let (secret, until) = rotate(cx, owner, id, overlap).await?;
    reply::json(
        200,
        &json!({ "secret": secret.encode(), "previous_expires_at": until }),
        "no-store",
    )
}

/// Rotates: a new secret becomes current, and every older one still valid
/// stops signing after `overlap_secs` at the latest (0 ends them now). Returns the new secret and when the old one stops.
pub async fn rotate(
    cx: &Cx,
    owner: Owner,
    id: &str,
    overlap_secs: u64,
) -> ApiResult<(WebhookSecret, String)> {
    if overlap_secs > MAX_OVERLAP_SECS {
        return Err(ApiError::field(
            "/overlap_seconds",
            format!("at most {MAX_OVERLAP_SECS} (7 days)"),
        ));
    }
    let (table, column) = owner.table();
    let secret = mint()?;
    let until = cx
        .now()
        .checked_add_millis((overlap_secs * 1000) as i64)
        .ok_or_else(|| ApiError::internal("time overflow"))?
        .format_rfc3339();
    let db = cx.db()?;
    db.batch(vec![
        db.prepare(format!(
            "UPDATE {table} SET expires_at = ?2 WHERE {column} = ?1 AND (expires_at IS NULL OR expires_at > ?2)"
        ))
        .bind(&[id.into(), until.as_str().into()])?,
        insert(cx, owner, id, &secret)?,
    ])
    .await?;
    Ok((secret, until))
}
