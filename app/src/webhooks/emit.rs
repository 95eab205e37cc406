//! Recording and queueing outgoing events.

use crate::webhooks::fanout::{delivery_id, subscribes};
use crate::webhooks::Outgoing;

use super::store::{NewDelivery, NewMessage};
use super::{AttemptMessage, MAX_QUEUE_DELAY_SECS};
use crate::error::Result;
use crate::platform::Platform;

/// Records and queues `events` for every enabled endpoint subscribed to them.
/// The action that caused them has already happened and stands, so a
/// failure here is logged rather than returned; what was recorded but not
/// queued is re-queued by the hourly sweep.
pub async fn emit(p: &impl Platform, events: &[Outgoing]) {
    if events.is_empty() {
        return;
    }
    if let Err(e) = try_emit(p, events).await {
        p.error(&format!(
            "webhooks: recording {} events failed: {e}",
            events.len()
        ));
    }
}

/// [`emit`], reporting failure; returns the delivery ids queued.
pub async fn try_emit(p: &impl Platform, events: &[Outgoing]) -> Result<Vec<String>> {
    let endpoints = p.subscriptions().await?;
    if endpoints.is_empty() {
        return Ok(Vec::new());
    }
    let mut messages = Vec::new();
    let mut deliveries = Vec::new();
    for event in events {
        let targets: Vec<_> = endpoints
            .iter()
            .filter(|e| subscribes(&e.event_types, event.event_type))
            .collect();
        if targets.is_empty() {
            continue;
        }
        let message_id = event.message_id();
        messages.push(NewMessage {
            id: message_id.clone(),
            event_type: event.event_type.as_str().to_string(),
            body: event.body(),
        });
        for endpoint in targets {
            deliveries.push(NewDelivery {
                id: delivery_id(&message_id, &endpoint.endpoint_id),
                message_id: message_id.clone(),
                endpoint_id: endpoint.endpoint_id.clone(),
            });
        }
    }
    if deliveries.is_empty() {
        return Ok(Vec::new());
    }
    p.record_deliveries(&messages, &deliveries, p.now()).await?;
    let ids: Vec<String> = deliveries.into_iter().map(|d| d.id).collect();
    enqueue(p, &ids, 1, 0).await?;
    Ok(ids)
}

/// Puts deliveries back on the schedule from attempt 1 (same webhook-id):
/// replay by the operator, from the API or the dead-letter table.
pub async fn restart(p: &impl Platform, deliveries: &[String]) -> Result<()> {
    if deliveries.is_empty() {
        return Ok(());
    }
    p.restart_deliveries(deliveries, p.now()).await?;
    enqueue(p, deliveries, 1, 0).await
}

/// Queues attempt `attempt` of `deliveries`, `delay` seconds from now
/// (at most the queue's longest delay; longer waits are chained).
pub async fn enqueue(
    p: &impl Platform,
    deliveries: &[String],
    attempt: u32,
    delay: u64,
) -> Result<()> {
    let delay = u32::try_from(delay.min(MAX_QUEUE_DELAY_SECS)).unwrap_or(0);
    let attempts: Vec<AttemptMessage> = deliveries
        .iter()
        .map(|d| AttemptMessage {
            delivery: d.clone(),
            attempt,
        })
        .collect();
    p.send_webhook_attempts(&attempts, delay).await
}
