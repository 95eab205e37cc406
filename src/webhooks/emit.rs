//! Recording and queueing outgoing events.

use fairtrain_app::webhooks::fanout::{delivery_id, subscribes};
use fairtrain_app::webhooks::Outgoing;
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsValue;
use worker::{console_error, BatchMessageBuilder, MessageBuilder};

use crate::context::Cx;
use crate::error::{ApiError, ApiResult};

/// What the webhook queue carries: one attempt of one delivery.
#[derive(Debug, Serialize, Deserialize)]
pub struct AttemptMessage {
    pub delivery: String,
    /// 1-based; a message whose attempt is not the next one is stale.
    pub attempt: u32,
}

/// Queues delay a message by at most 12 hours; longer waits are chained.
pub const MAX_QUEUE_DELAY_SECS: u64 = 12 * 3600;

#[derive(Deserialize)]
struct EndpointRow {
    id: String,
    event_types: String,
}

struct Endpoint {
    id: String,
    event_types: Vec<String>,
}

/// Record and queue `events` for every enabled endpoint subscribed to them.
/// The action that caused them has already happened and stands, so a
/// failure here is reported to the console rather than to the caller; what
/// was recorded but not queued is re-queued by the hourly sweep.
pub async fn emit(cx: &Cx, events: &[Outgoing]) {
    if events.is_empty() {
        return;
    }
    if let Err(e) = try_emit(cx, events).await {
        console_error!("webhooks: recording {} events failed: {}", events.len(), e);
    }
}

pub async fn try_emit(cx: &Cx, events: &[Outgoing]) -> ApiResult<Vec<String>> {
    let db = cx.db()?;
    let rows: Vec<EndpointRow> = db
        .prepare("SELECT id, event_types FROM webhook_endpoints WHERE enabled = 1")
        .all()
        .await?
        .results()?;
    let endpoints: Vec<Endpoint> = rows
        .into_iter()
        .map(|r| Endpoint {
            event_types: serde_json::from_str(&r.event_types).unwrap_or_default(),
            id: r.id,
        })
        .collect();
    if endpoints.is_empty() {
        return Ok(Vec::new());
    }
    let now = cx.now().format_rfc3339();
    let mut statements = Vec::new();
    let mut deliveries = Vec::new();
    for event in events {
        let targets: Vec<&Endpoint> = endpoints
            .iter()
            .filter(|e| subscribes(&e.event_types, event.event_type))
            .collect();
        if targets.is_empty() {
            continue;
        }
        let message_id = event.message_id();
        statements.push(
            db.prepare(
                "INSERT OR IGNORE INTO webhook_messages (id, event_type, body, created_at) VALUES (?1, ?2, ?3, ?4)",
            )
            .bind(&[
                message_id.as_str().into(),
                event.event_type.as_str().into(),
                event.body().into(),
                now.as_str().into(),
            ])?,
        );
        for endpoint in targets {
            let id = delivery_id(&message_id, &endpoint.id);
            statements.push(
                db.prepare(
                    "INSERT OR IGNORE INTO webhook_deliveries \
                     (id, message_id, endpoint_id, status, attempts, next_attempt_at, created_at, updated_at) \
                     VALUES (?1, ?2, ?3, 'pending', 0, ?4, ?4, ?4)",
                )
                .bind(&[
                    id.as_str().into(),
                    message_id.as_str().into(),
                    endpoint.id.as_str().into(),
                    JsValue::from_str(&now),
                ])?,
            );
            deliveries.push(id);
        }
    }
    if deliveries.is_empty() {
        return Ok(deliveries);
    }
    db.batch(statements).await?;
    enqueue(cx, &deliveries, 1, 0).await?;
    Ok(deliveries)
}

/// Puts deliveries back on the schedule from attempt 1 (same webhook-id):
/// replay by the operator, from the API or the dead-letter table.
pub async fn restart(cx: &Cx, deliveries: &[String]) -> ApiResult<()> {
    if deliveries.is_empty() {
        return Ok(());
    }
    let now = cx.now().format_rfc3339();
    let db = cx.db()?;
    // Ids are 36 characters: 1,000 per statement stays under D1's 100 KB.
    let mut statements = Vec::new();
    for chunk in deliveries.chunks(1000) {
        let ids = serde_json::to_string(chunk).map_err(ApiError::internal)?;
        statements.push(
            db.prepare(
                "UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?2, \
                 updated_at = ?2 WHERE id IN (SELECT value FROM json_each(?1))",
            )
            .bind(&[ids.into(), now.as_str().into()])?,
        );
    }
    db.batch(statements).await?;
    enqueue(cx, deliveries, 1, 0).await
}

/// Queue attempt `attempt` of `deliveries`, `delay` seconds from now.
pub async fn enqueue(cx: &Cx, deliveries: &[String], attempt: u32, delay: u64) -> ApiResult<()> {
    let queue = cx.env.queue("WEBHOOK_QUEUE")?;
    let delay = u32::try_from(delay.min(MAX_QUEUE_DELAY_SECS)).unwrap_or(0);
    // A queue batch holds at most 100 messages.
    for chunk in deliveries.chunks(100) {
        let batch = BatchMessageBuilder::new()
            .messages(chunk.iter().map(|d| {
                MessageBuilder::new(AttemptMessage {
                    delivery: d.clone(),
                    attempt,
                })
                .delay_seconds(delay)
                .build()
            }))
            .build();
        queue
            .send_batch(batch)
            .await
            .map_err(|e| ApiError::unavailable(format!("webhook queue: {e}")))?;
    }
    Ok(())
}
