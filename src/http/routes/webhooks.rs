//! `/v1/webhooks/...` (operator): subscriber endpoints, their secrets, the
//! delivery log and replay.

use fairtrain_app::webhooks::fanout::check_subscription;
use fairtrain_app::webhooks::EventType;
use fairtrain_core::principal::Role;
use fairtrain_core::time::Timestamp;
use fairtrain_webhooks::destination::{check_destination, DestinationPolicy};
use fairtrain_webhooks::secret::WebhookSigningKey;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use wasm_bindgen::JsValue;
use worker::Response;

use crate::http::auth;
use crate::http::context::Cx;
use crate::http::error::{ApiError, ApiResult};
use crate::http::{body, reply};
use crate::runtime::keys;
use crate::runtime::random;
use crate::webhooks::emit::restart;
use crate::webhooks::secrets::{self, Owner};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateEndpoint {
    url: String,
    event_types: Vec<String>,
    #[serde(default)]
    description: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateEndpoint {
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    event_types: Option<Vec<String>>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    enabled: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Replay {
    since: String,
    #[serde(default)]
    status: Option<String>,
}

#[derive(Deserialize, Serialize)]
struct EndpointRow {
    id: String,
    url: String,
    description: Option<String>,
    event_types: String,
    enabled: i64,
    disabled_reason: Option<String>,
    disabled_at: Option<String>,
    created_at: String,
    updated_at: String,
}

fn view(r: EndpointRow) -> Value {
    json!({
        "id": r.id, "url": r.url, "description": r.description,
        "event_types": serde_json::from_str::<Value>(&r.event_types).unwrap_or(Value::Null),
        "enabled": r.enabled != 0, "disabled_reason": r.disabled_reason, "disabled_at": r.disabled_at,
        "created_at": r.created_at, "updated_at": r.updated_at,
    })
}

fn policy(cx: &Cx) -> DestinationPolicy {
    if cx.is_development() {
        DestinationPolicy::DEVELOPMENT
    } else {
        DestinationPolicy::PRODUCTION
    }
}

fn check_url(cx: &Cx, url: &str) -> ApiResult<()> {
    check_destination(url, &policy(cx))
        .map(|_| ())
        .map_err(|e| ApiError::field("/url", e.to_string()))
}

fn check_types(types: &[String]) -> ApiResult<()> {
    check_subscription(types).map_err(|e| ApiError::field("/event_types", e))
}

fn check_description(d: &Option<String>) -> ApiResult<()> {
    match d {
        Some(t) if t.is_empty() || t.len() > 500 || t.chars().any(char::is_control) => {
            Err(ApiError::field(
                "/description",
                "1-500 characters without control characters",
            ))
        }
        _ => Ok(()),
    }
}

/// The platform's `v1a` public key (its active signing key, as `whpk_`).
fn v1a_public_key(cx: &Cx) -> ApiResult<String> {
    let ring = keys::load(&cx.env)?;
    Ok(WebhookSigningKey::from_seed(&ring.active_signer().seed())
        .public_key()
        .encode())
}

async fn find(cx: &Cx, id: &str) -> ApiResult<EndpointRow> {
    let row: Option<EndpointRow> = cx
        .db()?
        .prepare(
            "SELECT id, url, description, event_types, enabled, disabled_reason, disabled_at, created_at, updated_at \
             FROM webhook_endpoints WHERE id = ?1",
        )
        .bind(&[id.into()])?
        .first(None)
        .await?;
    row.ok_or_else(|| ApiError::not_found(&format!("/v1/webhooks/endpoints/{id}")))
}

/// `GET /v1/webhooks/event-types`: what can be subscribed to.
pub async fn event_types(cx: Cx) -> ApiResult<Response> {
    auth::require(&cx, &[Role::Operator]).await?;
    let out: Vec<&str> = EventType::outbound().map(|t| t.as_str()).collect();
    let inbound: Vec<&str> = EventType::inbound().map(|t| t.as_str()).collect();
    reply::ok(&json!({ "outbound": out, "inbound": inbound }))
}

pub async fn create(mut cx: Cx) -> ApiResult<Response> {
    auth::require(&cx, &[Role::Operator]).await?;
    let req: CreateEndpoint = body::json(&mut cx, 16 * 1024).await?;
    check_url(&cx, &req.url)?;
    check_types(&req.event_types)?;
    check_description(&req.description)?;
    let id = format!("ep_{}", hex::encode(random::bytes::<16>()?));
    let secret = secrets::mint()?;
    let now = cx.now().format_rfc3339();
    let types = serde_json::to_string(&req.event_types).map_err(ApiError::internal)?;
    let db = cx.db()?;
    db.batch(vec![
        db.prepare(
            "INSERT INTO webhook_endpoints (id, url, description, event_types, enabled, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, 1, ?5, ?5)",
        )
        .bind(&[
            id.as_str().into(),
            req.url.as_str().into(),
            req.description.as_deref().map(JsValue::from).unwrap_or(JsValue::NULL),
            types.as_str().into(),
            now.as_str().into(),
        ])?,
        secrets::insert(&cx, Owner::Endpoint, &id, &secret)?,
    ])
    .await?;
    let mut out = view(find(&cx, &id).await?);
    out["secret"] = json!(secret.encode());
    out["v1a_public_key"] = json!(v1a_public_key(&cx)?);
    reply::created(&out, &format!("/v1/webhooks/endpoints/{id}"))
}

pub async fn list(cx: Cx) -> ApiResult<Response> {
    auth::require(&cx, &[Role::Operator]).await?;
    let rows: Vec<EndpointRow> = cx
        .db()?
        .prepare(
            "SELECT id, url, description, event_types, enabled, disabled_reason, disabled_at, created_at, updated_at \
             FROM webhook_endpoints ORDER BY created_at, id",
        )
        .all()
        .await?
        .results()?;
    reply::ok(&json!({ "endpoints": rows.into_iter().map(view).collect::<Vec<_>>() }))
}

pub async fn get(cx: Cx, id: &str) -> ApiResult<Response> {
    auth::require(&cx, &[Role::Operator]).await?;
    reply::ok(&view(find(&cx, id).await?))
}

/// Change the URL, subscriptions or description, or re-enable an endpoint
/// that answered 410 (or disable one by hand).
pub async fn update(mut cx: Cx, id: &str) -> ApiResult<Response> {
    auth::require(&cx, &[Role::Operator]).await?;
    let req: UpdateEndpoint = body::json(&mut cx, 16 * 1024).await?;
    let current = find(&cx, id).await?;
    if let Some(u) = &req.url {
        check_url(&cx, u)?;
    }
    if let Some(t) = &req.event_types {
        check_types(t)?;
    }
    check_description(&req.description)?;
    let now = cx.now().format_rfc3339();
    let types = match &req.event_types {
        Some(t) => serde_json::to_string(t).map_err(ApiError::internal)?,
        None => current.event_types.clone(),
    };
    let enabled = req.enabled.unwrap_or(current.enabled != 0);
    let (reason, disabled_at) = if enabled {
        (None, None)
    } else if current.enabled == 0 {
        (current.disabled_reason.clone(), current.disabled_at.clone())
    } else {
        (
            Some("disabled by the operator".to_string()),
            Some(now.clone()),
        )
    };
    cx.db()?
        .prepare(
            "UPDATE webhook_endpoints SET url = ?2, description = ?3, event_types = ?4, enabled = ?5, \
             disabled_reason = ?6, disabled_at = ?7, updated_at = ?8 WHERE id = ?1",
        )
        .bind(&[
            id.into(),
            req.url.as_deref().unwrap_or(&current.url).into(),
            req.description
                .as_deref()
                .or(current.description.as_deref())
                .map(JsValue::from)
                .unwrap_or(JsValue::NULL),
            types.as_str().into(),
            (enabled as i32).into(),
            reason.as_deref().map(JsValue::from).unwrap_or(JsValue::NULL),
            disabled_at.as_deref().map(JsValue::from).unwrap_or(JsValue::NULL),
            now.as_str().into(),
        ])?
        .run()
        .await?;
    reply::ok(&view(find(&cx, id).await?))
}

pub async fn delete(cx: Cx, id: &str) -> ApiResult<Response> {
    auth::require(&cx, &[Role::Operator]).await?;
    find(&cx, id).await?;
    let db = cx.db()?;
    db.batch(vec![
        db.prepare("DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries WHERE endpoint_id = ?1)")
            .bind(&[id.into()])?,
        db.prepare("DELETE FROM webhook_deliveries WHERE endpoint_id = ?1").bind(&[id.into()])?,
        db.prepare("DELETE FROM webhook_secrets WHERE endpoint_id = ?1").bind(&[id.into()])?,
        db.prepare("DELETE FROM webhook_endpoints WHERE id = ?1").bind(&[id.into()])?,
    ])
    .await?;
    Ok(Response::empty()?.with_status(204))
}

/// The current secret and any still in their overlap period.
pub async fn secret(cx: Cx, id: &str) -> ApiResult<Response> {
    auth::require(&cx, &[Role::Operator]).await?;
    find(&cx, id).await?;
    let live = secrets::live(&cx, Owner::Endpoint, id).await?;
    reply::json(
        200,
        &json!({ "secrets": live.iter().map(|s| s.encode()).collect::<Vec<_>>(),
                 "v1a_public_key": v1a_public_key(&cx)? }),
        "no-store",
    )
}

/// A new secret; the old one keeps signing for `overlap_seconds` (default a day).
pub async fn rotate(mut cx: Cx, id: &str) -> ApiResult<Response> {
    auth::require(&cx, &[Role::Operator]).await?;
    find(&cx, id).await?;
    secrets::rotate_request(&mut cx, Owner::Endpoint, id).await
}

#[derive(Deserialize, Serialize)]
struct DeliveryRow {
    id: String,
    message_id: String,
    event_type: String,
    status: String,
    attempts: i64,
    next_attempt_at: String,
    last_status: Option<i64>,
    last_error: Option<String>,
    delivered_at: Option<String>,
    created_at: String,
}

#[derive(Deserialize, Serialize)]
struct AttemptRow {
    delivery_id: String,
    attempt: i64,
    started_at: String,
    status: Option<i64>,
    latency_ms: i64,
    error: Option<String>,
}

/// `GET /v1/webhooks/endpoints/{id}/deliveries?status=&limit=`: the delivery
/// log, newest first, each with its attempts.
pub async fn deliveries(cx: Cx, id: &str) -> ApiResult<Response> {
    auth::require(&cx, &[Role::Operator]).await?;
    find(&cx, id).await?;
    let mut status: Option<String> = None;
    let mut limit = 100u32;
    for (k, v) in cx.url.query_pairs() {
        match k.as_ref() {
            "status" => status = Some(v.into_owned()),
            "limit" => {
                limit = v
                    .parse()
                    .ok()
                    .filter(|n| (1..=1000).contains(n))
                    .ok_or_else(|| ApiError::bad_request("limit must be 1-1000"))?
            }
            _ => {
                return Err(ApiError::bad_request(format!(
                    "unknown query parameter {k:?}"
                )))
            }
        }
    }
    let db = cx.db()?;
    let rows: Vec<DeliveryRow> = db
        .prepare(
            "SELECT d.id, d.message_id, m.event_type, d.status, d.attempts, d.next_attempt_at, d.last_status, \
             d.last_error, d.delivered_at, d.created_at FROM webhook_deliveries d \
             JOIN webhook_messages m ON m.id = d.message_id \
             WHERE d.endpoint_id = ?1 AND (?2 IS NULL OR d.status = ?2) \
             ORDER BY d.created_at DESC, d.id LIMIT ?3",
        )
        .bind(&[
            id.into(),
            status.as_deref().map(JsValue::from).unwrap_or(JsValue::NULL),
            limit.into(),
        ])?
        .all()
        .await?
        .results()?;
    // The attempts of this page's deliveries only (at most 1,000 x 20).
    let page: Vec<&str> = rows.iter().map(|d| d.id.as_str()).collect();
    let attempts: Vec<AttemptRow> = db
        .prepare(
            "SELECT delivery_id, attempt, started_at, status, latency_ms, error FROM webhook_attempts \
             WHERE delivery_id IN (SELECT value FROM json_each(?1)) ORDER BY delivery_id, attempt",
        )
        .bind(&[serde_json::to_string(&page).map_err(ApiError::internal)?.into()])?
        .all()
        .await?
        .results()?;
    let out: Vec<Value> = rows
        .into_iter()
        .map(|d| {
            let mine: Vec<&AttemptRow> =
                attempts.iter().filter(|a| a.delivery_id == d.id).collect();
            let mut v = json!(d);
            v["attempt_log"] = json!(mine
                .iter()
                .map(
                    |a| json!({"attempt": a.attempt, "started_at": a.started_at, "status": a.status,
                                "latency_ms": a.latency_ms, "error": a.error})
                )
                .collect::<Vec<_>>());
            v
        })
        .collect();
    reply::ok(&json!({ "endpoint_id": id, "deliveries": out }))
}

/// `POST /v1/webhooks/deliveries/{id}/replay`: send one message again.
pub async fn replay_one(cx: Cx, id: &str) -> ApiResult<Response> {
    auth::require(&cx, &[Role::Operator]).await?;
    #[derive(Deserialize)]
    struct Row {
        status: String,
        enabled: i64,
    }
    let row: Option<Row> = cx
        .db()?
        .prepare(
            "SELECT d.status, e.enabled FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id \
             WHERE d.id = ?1",
        )
        .bind(&[id.into()])?
        .first(None)
        .await?;
    let row = row.ok_or_else(|| ApiError::not_found(&format!("/v1/webhooks/deliveries/{id}")))?;
    if row.enabled == 0 {
        return Err(ApiError::new(
            fairtrain_core::problem::ProblemType::Conflict,
            "the endpoint is disabled; enable it (PATCH) before replaying",
        ));
    }
    if matches!(row.status.as_str(), "pending" | "sending" | "retrying") {
        return Err(ApiError::new(
            fairtrain_core::problem::ProblemType::Conflict,
            format!(
                "the delivery is still {}; replay waits until it is done",
                row.status
            ),
        ));
    }
    restart(&cx, &[id.to_string()]).await?;
    reply::json(202, &json!({ "replayed": [id] }), "no-store")
}

/// `POST /v1/webhooks/endpoints/{id}/replay {"since": "<RFC 3339>"}`: every
/// failed (or cancelled, with `"status": "cancelled"`) delivery since then.
pub async fn replay_since(mut cx: Cx, id: &str) -> ApiResult<Response> {
    auth::require(&cx, &[Role::Operator]).await?;
    let req: Replay = body::json(&mut cx, 1024).await?;
    let since = Timestamp::parse_rfc3339(&req.since)
        .map_err(|e| ApiError::field("/since", e.to_string()))?
        .format_rfc3339();
    let status = req.status.unwrap_or_else(|| "failed".into());
    if !matches!(status.as_str(), "failed" | "cancelled") {
        return Err(ApiError::field("/status", "failed or cancelled"));
    }
    let endpoint = find(&cx, id).await?;
    if endpoint.enabled == 0 {
        return Err(ApiError::new(
            fairtrain_core::problem::ProblemType::Conflict,
            "the endpoint is disabled; enable it (PATCH) before replaying",
        ));
    }
    #[derive(Deserialize)]
    struct Row {
        id: String,
    }
    let rows: Vec<Row> = cx
        .db()?
        .prepare(
            "SELECT id FROM webhook_deliveries WHERE endpoint_id = ?1 AND status = ?2 AND created_at >= ?3 \
             ORDER BY created_at LIMIT 10000",
        )
        .bind(&[id.into(), status.as_str().into(), since.as_str().into()])?
        .all()
        .await?
        .results()?;
    let ids: Vec<String> = rows.into_iter().map(|r| r.id).collect();
    restart(&cx, &ids).await?;
    reply::json(202, &json!({ "replayed": ids }), "no-store")
}
