//! Inbound webhooks: `/v1/integrations` (operator) manages the marketplaces
//! and payment processors that send events; `POST /v1/inbound/{id}` is where
//! they send them. That endpoint is authenticated by the event's signature
//! alone (Standard Webhooks, or Stripe-Signature for a `stripe` integration),
//! within 5 minutes of the server's clock, compared in constant time; a bad
//! or stale signature is 401 and changes nothing.

use fairtrain_app::webhooks::inbound::{from_envelope, from_stripe, InboundEvent};
use fairtrain_app::webhooks::Envelope;
use fairtrain_core::principal::Role;
use fairtrain_core::problem::ProblemType;
use fairtrain_webhooks::verify::VerifyError;
use fairtrain_webhooks::{stripe, Verifier, WebhookHeaders, DEFAULT_TOLERANCE_SECS};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use worker::Response;

use crate::http::auth;
use crate::http::context::Cx;
use crate::http::error::{ApiError, ApiResult};
use crate::http::{body, reply};
use crate::runtime::random;
use crate::webhooks::inbound;
use crate::webhooks::secrets::{self, Owner};

/// Inbound events are small.
const MAX_BODY: usize = 64 * 1024;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Create {
    name: String,
    kind: String,
}

#[derive(Deserialize, Serialize)]
struct Row {
    id: String,
    name: String,
    kind: String,
    enabled: i64,
    created_at: String,
}

fn view(cx: &Cx, r: &Row) -> Value {
    json!({ "id": r.id, "name": r.name, "kind": r.kind, "enabled": r.enabled != 0,
            "created_at": r.created_at, "inbound_url": format!("{}/v1/inbound/{}", cx.url.origin().ascii_serialization(), r.id) })
}

async fn find(cx: &Cx, id: &str) -> ApiResult<Option<Row>> {
    Ok(cx
        .db()?
        .prepare("SELECT id, name, kind, enabled, created_at FROM integrations WHERE id = ?1")
        .bind(&[id.into()])?
        .first(None)
        .await?)
}

pub async fn create(mut cx: Cx) -> ApiResult<Response> {
    auth::require(&cx, &[Role::Operator]).await?;
    let req: Create = body::json(&mut cx, 4096).await?;
    if req.name.is_empty() || req.name.len() > 100 || req.name.chars().any(char::is_control) {
        return Err(ApiError::field(
            "/name",
            "1-100 characters without control characters",
        ));
    }
    if !matches!(req.kind.as_str(), "standard_webhooks" | "stripe") {
        return Err(ApiError::field("/kind", "standard_webhooks or stripe"));
    }
    let id = format!("int_{}", hex::encode(random::bytes::<16>()?));
    let secret = secrets::mint()?;
    let db = cx.db()?;
    db.batch(vec![
        db.prepare("INSERT INTO integrations (id, name, kind, enabled, created_at) VALUES (?1, ?2, ?3, 1, ?4)")
            .bind(&[
                id.as_str().into(),
                req.name.as_str().into(),
                req.kind.as_str().into(),
                cx.now().format_rfc3339().into(),
            ])?,
        secrets::insert(&cx, Owner::Integration, &id, &secret)?,
    ])
    .await?;
    let row = find(&cx, &id)
        .await?
        .ok_or_else(|| ApiError::internal("integration vanished"))?;
    let mut out = view(&cx, &row);
    out["secret"] = json!(secret.encode());
    reply::created(&out, &format!("/v1/integrations/{id}"))
}

pub async fn list(cx: Cx) -> ApiResult<Response> {
    auth::require(&cx, &[Role::Operator]).await?;
    let rows: Vec<Row> = cx
        .db()?
        .prepare(
            "SELECT id, name, kind, enabled, created_at FROM integrations ORDER BY created_at, id",
        )
        .all()
        .await?
        .results()?;
    reply::ok(&json!({ "integrations": rows.iter().map(|r| view(&cx, r)).collect::<Vec<_>>() }))
}

pub async fn get(cx: Cx, id: &str) -> ApiResult<Response> {
    auth::require(&cx, &[Role::Operator]).await?;
    let row = find(&cx, id)
        .await?
        .ok_or_else(|| ApiError::not_found(&format!("/v1/integrations/{id}")))?;
    reply::ok(&view(&cx, &row))
}

pub async fn rotate(mut cx: Cx, id: &str) -> ApiResult<Response> {
    auth::require(&cx, &[Role::Operator]).await?;
    find(&cx, id)
        .await?
        .ok_or_else(|| ApiError::not_found(&format!("/v1/integrations/{id}")))?;
    secrets::rotate_request(&mut cx, Owner::Integration, id).await
}

/// `GET /v1/integrations/{id}/events`: what this integration sent, as applied.
pub async fn events(cx: Cx, id: &str) -> ApiResult<Response> {
    auth::require(&cx, &[Role::Operator, Role::Auditor]).await?;
    #[derive(Deserialize, Serialize)]
    struct Ev {
        webhook_id: String,
        event_type: String,
        received_at: String,
        subject: String,
        outcome: String,
        detail: Option<String>,
        log_entry_hash: Option<String>,
    }
    let rows: Vec<Ev> = cx
        .db()?
        .prepare(
            "SELECT webhook_id, event_type, received_at, subject, outcome, detail, log_entry_hash \
             FROM inbound_events WHERE integration_id = ?1 ORDER BY received_at DESC LIMIT 1000",
        )
        .bind(&[id.into()])?
        .all()
        .await?
        .results()?;
    reply::ok(&json!({ "integration_id": id, "events": rows }))
}

fn signature_error(e: VerifyError) -> ApiError {
    ApiError::new(ProblemType::WebhookSignature, e.to_string()).with("reason", e.code())
}

/// `POST /v1/inbound/{id}`: verify, deduplicate, apply, log.
pub async fn receive(mut cx: Cx, id: &str) -> ApiResult<Response> {
    // Unknown and disabled integrations look the same as a bad signature
    // would to a prober, but an operator needs to tell them apart: 404.
    let integration = find(&cx, id)
        .await?
        .filter(|r| r.enabled != 0)
        .ok_or_else(|| ApiError::not_found(&format!("/v1/inbound/{id}")))?;
    let raw = body::read_limited(&mut cx, MAX_BODY).await?;
    let live = secrets::live(&cx, Owner::Integration, id).await?;
    let now = (cx.now_ms / 1000) as i64;
    let (webhook_id, event) = if integration.kind == "stripe" {
        let header = cx.header(stripe::HEADER).unwrap_or_default();
        let mut last = VerifyError::NoMatchingSignature;
        let mut ok = false;
        for s in &live {
            match stripe::verify(
                &header,
                &raw,
                &s.encode(),
                now,
                Some(DEFAULT_TOLERANCE_SECS),
            ) {
                Ok(_) => {
                    ok = true;
                    break;
                }
                Err(e) => last = e,
            }
        }
        if !ok {
            return Err(signature_error(last));
        }
        from_stripe(&raw).map_err(|e| ApiError::field("/", e.to_string()))?
    } else {
        let headers = WebhookHeaders::from_lookup(|name| cx.header(name));
        let verified = Verifier::with_keys(live.into_iter().map(Into::into).collect())
            .verify(&headers, &raw, now)
            .map_err(signature_error)?;
        let envelope =
            Envelope::from_body(&raw).map_err(|e| ApiError::field("/", e.to_string()))?;
        let event =
            from_envelope(&envelope).map_err(|e| ApiError::field("/data", e.to_string()))?;
        (verified.id, event)
    };

    if let Some(rec) = inbound::recorded(&cx, id, &webhook_id).await? {
        // Redelivered: acknowledged, not applied again (but logged, if the
        // first delivery's log append failed).
        let log_entry = if rec.outcome == "applied" {
            Some(inbound::log_applied(&cx, id, &webhook_id, &rec).await?)
        } else {
            None
        };
        return reply::ok(&json!({ "status": "duplicate", "webhook_id": webhook_id,
                                  "event_type": rec.event_type, "subject": rec.subject, "log_entry": log_entry }));
    }
    let done = inbound::apply(&cx, id, &webhook_id, &event).await?;
    let event_type = event.type_name();
    inbound::record(&cx, id, &webhook_id, &event_type, &done).await?;
    let rec = inbound::recorded(&cx, id, &webhook_id)
        .await?
        .ok_or_else(|| ApiError::internal("inbound event not recorded"))?;
    let log_entry = if rec.outcome == "applied" {
        Some(inbound::log_applied(&cx, id, &webhook_id, &rec).await?)
    } else {
        None
    };
    crate::webhooks::emit(&cx, &done.relay).await;
    let status = if matches!(event, InboundEvent::Ignored { .. }) {
        "ignored"
    } else {
        "applied"
    };
    reply::ok(
        &json!({ "status": status, "webhook_id": webhook_id, "event_type": event_type,
                       "subject": done.subject, "detail": done.detail, "log_entry": log_entry }),
    )
}
