//! Applying inbound events, once per (integration, webhook id).
//!
//! Each change is idempotent by construction (a licence bought by webhook
//! gets an id derived from the webhook id; payout outcomes set fields), so a
//! redelivery racing the first delivery still changes nothing twice. The
//! record in `inbound_events` answers redeliveries; its log entry is written
//! with the record's own time, so a retry after a failed append produces the
//! same entry (the sequencer deduplicates it).

use fairtrain_app::webhooks::inbound::InboundEvent;
use fairtrain_app::webhooks::{EventType, Outgoing};
use fairtrain_consent::log_event::{self, LogEvent, SCHEMA_VERSION};
use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::time::Timestamp;
use serde::Deserialize;
use serde_json::{json, Value};
use wasm_bindgen::JsValue;

use crate::http::context::Cx;
use crate::http::error::{ApiError, ApiResult};
use crate::http::routes::log;

/// What applying an event did.
pub struct Applied {
    /// The licence or payout line it changed.
    pub subject: String,
    pub outcome: &'static str,
    pub detail: Option<String>,
    /// Outbound events it causes (a confirmed payout is relayed).
    pub relay: Vec<Outgoing>,
}

#[derive(Deserialize)]
pub struct Recorded {
    pub event_type: String,
    pub received_at: String,
    pub subject: String,
    pub outcome: String,
    pub log_entry_hash: Option<String>,
}

/// A urn:uuid derived from an inbound webhook, so applying it twice yields
/// the same licence.
fn derived_urn(integration_id: &str, webhook_id: &str) -> String {
    let d =
        Sha256Digest::of(format!("fairtrain inbound\n{integration_id}\n{webhook_id}").as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&d.as_bytes()[..16]);
    b[6] = (b[6] & 0x0f) | 0x80; // version 8: custom
    b[8] = (b[8] & 0x3f) | 0x80; // RFC 9562 variant
    format!("urn:uuid:{}", uuid::Uuid::from_bytes(b))
}

fn changes(r: worker::D1Result) -> ApiResult<usize> {
    Ok(r.meta()?.and_then(|m| m.changes).unwrap_or(0))
}

async fn line_exists(cx: &Cx, line_id: &str) -> ApiResult<()> {
    let found: Option<Value> = cx
        .db()?
        .prepare("SELECT line_id FROM settlement_lines WHERE line_id = ?1")
        .bind(&[line_id.into()])?
        .first(None)
        .await?;
    found
        .map(|_| ())
        .ok_or_else(|| ApiError::field("/data/line_id", "no payout line has this id"))
}

pub async fn apply(
    cx: &Cx,
    integration_id: &str,
    webhook_id: &str,
    event: &InboundEvent,
) -> ApiResult<Applied> {
    let now = cx.now().format_rfc3339();
    let db = cx.db()?;
    let applied = |subject: String| Applied {
        subject,
        outcome: "applied",
        detail: None,
        relay: Vec::new(),
    };
    match event {
        InboundEvent::LicensePurchased {
            buyer,
            manifest_id,
            expires_at,
        } => {
            let id = derived_urn(integration_id, webhook_id);
            let source = format!("webhook:{integration_id}:{webhook_id}");
            let expires = expires_at.map(|t| t.format_rfc3339());
            fairtrain_app::licenses::grant(
                &cx.rt,
                &id,
                buyer,
                manifest_id,
                expires.as_deref(),
                &source,
            )
            .await?;
            Ok(applied(id))
        }
        InboundEvent::LicenseRevoked { license_id } => {
            let done = db
                .prepare("UPDATE licenses SET revoked_at = COALESCE(revoked_at, ?2) WHERE id = ?1")
                .bind(&[license_id.as_str().into(), now.as_str().into()])?
                .run()
                .await?;
            if changes(done)? == 0 {
                return Err(ApiError::field(
                    "/data/license_id",
                    "no licence has this id",
                ));
            }
            Ok(applied(license_id.clone()))
        }
        InboundEvent::PayoutConfirmed {
            line_id,
            payout_id,
            amount_minor,
            currency,
        } => {
            line_exists(cx, line_id).await?;
            // The confirmed amount is recorded as the rail states it;
            // reconciliation compares it with the line, never "fixes" it.
            db.prepare(
                "UPDATE settlement_lines SET payout_status = 'confirmed', payout_id = ?2, \
                 confirmed_amount_minor = ?3, confirmed_at = ?4, failure_reason = NULL WHERE line_id = ?1",
            )
            .bind(&[
                line_id.as_str().into(),
                payout_id.as_str().into(),
                amount_minor.as_str().into(),
                now.as_str().into(),
            ])?
            .run()
            .await?;
            let mut done = applied(line_id.clone());
            done.relay.push(Outgoing::new(
                EventType::PayoutConfirmed,
                format!("payout.confirmed:{line_id}:{payout_id}"),
                cx.now(),
                json!({ "line_id": line_id, "payout_id": payout_id, "amount_minor": amount_minor,
                        "currency": currency }),
            ));
            Ok(done)
        }
        InboundEvent::PayoutFailed {
            line_id,
            payout_id,
            reason,
        } => {
            line_exists(cx, line_id).await?;
            db.prepare(
                "UPDATE settlement_lines SET payout_status = 'failed', payout_id = COALESCE(?2, payout_id), \
                 failure_reason = ?3 WHERE line_id = ?1",
            )
            .bind(&[
                line_id.as_str().into(),
                payout_id.as_deref().map(JsValue::from).unwrap_or(JsValue::NULL),
                reason.as_str().into(),
            ])?
            .run()
            .await?;
            Ok(applied(line_id.clone()))
        }
        InboundEvent::DisputeOpened {
            line_id,
            dispute_id,
            reason,
        } => {
            line_exists(cx, line_id).await?;
            db.prepare(
                "UPDATE settlement_lines SET dispute_id = ?2, disputed_at = COALESCE(disputed_at, ?3), \
                 failure_reason = COALESCE(failure_reason, ?4) WHERE line_id = ?1",
            )
            .bind(&[
                line_id.as_str().into(),
                dispute_id.as_str().into(),
                now.as_str().into(),
                format!("dispute: {reason}").into(),
            ])?
            .run()
            .await?;
            Ok(applied(line_id.clone()))
        }
        InboundEvent::Ignored { event_type } => Ok(Applied {
            subject: "-".into(),
            outcome: "ignored",
            detail: Some(format!("{event_type} is not an event fairtrain acts on")),
            relay: Vec::new(),
        }),
    }
}

/// The record of an event already received, if any.
pub async fn recorded(
    cx: &Cx,
    integration_id: &str,
    webhook_id: &str,
) -> ApiResult<Option<Recorded>> {
    Ok(cx
        .db()?
        .prepare(
            "SELECT event_type, received_at, subject, outcome, log_entry_hash FROM inbound_events \
             WHERE integration_id = ?1 AND webhook_id = ?2",
        )
        .bind(&[integration_id.into(), webhook_id.into()])?
        .first(None)
        .await?)
}

/// Records the event; false if it was already recorded (a racing delivery).
pub async fn record(
    cx: &Cx,
    integration_id: &str,
    webhook_id: &str,
    event_type: &str,
    done: &Applied,
) -> ApiResult<bool> {
    let r = cx
        .db()?
        .prepare(
            "INSERT OR IGNORE INTO inbound_events \
             (integration_id, webhook_id, event_type, received_at, subject, outcome, detail) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .bind(&[
            integration_id.into(),
            webhook_id.into(),
            event_type.into(),
            cx.now().format_rfc3339().into(),
            done.subject.as_str().into(),
            done.outcome.into(),
            done.detail
                .as_deref()
                .map(JsValue::from)
                .unwrap_or(JsValue::NULL),
        ])?
        .run()
        .await?;
    Ok(changes(r)? == 1)
}

/// Logs an applied event (idempotent: the entry is a function of the record).
pub async fn log_applied(
    cx: &Cx,
    integration_id: &str,
    webhook_id: &str,
    rec: &Recorded,
) -> ApiResult<String> {
    if let Some(h) = &rec.log_entry_hash {
        return Ok(h.clone());
    }
    let at = Timestamp::parse_rfc3339(&rec.received_at).map_err(ApiError::internal)?;
    let entry = log_event::entry(LogEvent::WebhookApplied {
        v: SCHEMA_VERSION,
        at,
        integration_id: integration_id.to_owned(),
        webhook_id: webhook_id.to_owned(),
        event_type: rec.event_type.clone(),
        subject: rec.subject.clone(),
    })
    .map_err(|e| ApiError::field("/", e.to_string()))?;
    let hash = entry.hash.to_string();
    log::append(cx, vec![entry]).await?;
    cx.db()?
        .prepare("UPDATE inbound_events SET log_entry_hash = ?3 WHERE integration_id = ?1 AND webhook_id = ?2")
        .bind(&[integration_id.into(), webhook_id.into(), hash.as_str().into()])?
        .run()
        .await?;
    Ok(hash)
}
