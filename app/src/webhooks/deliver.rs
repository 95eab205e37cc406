//! One attempt of one delivery (what the webhook queue's consumer runs per
//! message), and the hourly sweep that re-queues what lost its message.
//!
//! An attempt is claimed in storage before it is sent (`attempts` moves
//! from n-1 to n once), so a duplicated queue message never sends twice.
//! It is signed per Standard Webhooks (`v1` with each live secret, `v1a`
//! with the platform key), sent, and recorded with what it left the
//! delivery as ([`decide`]).

use fairtrain_webhooks::destination::{check_destination, DestinationPolicy};
use fairtrain_webhooks::retry::RETRY_SCHEDULE_SECS;
use fairtrain_webhooks::secret::SigningKey;
use fairtrain_webhooks::sign;
use serde::Serialize;

use super::delivery::{admit, decide, Admission, DeliveryStatus, Then};
use super::emit::enqueue;
use super::endpoints::v1a_key;
use super::secrets::{self, Owner};
use super::sender::{Post, SendOutcome, TIMEOUT_SECS};
use super::store::{AttemptRecord, Delivery};
use super::AttemptMessage;
use crate::error::{Error, Result};
use crate::platform::Platform;

/// A delivery parked on the dead-letter queue after its last attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeadDelivery {
    pub delivery: String,
    pub message_id: String,
    pub endpoint_id: String,
    pub attempts: u32,
    pub last_status: Option<u16>,
    pub last_error: Option<String>,
}

/// Runs the attempt `msg` names, if it is still due. `Err` means it could
/// not even be tried (storage unreachable): the queue message is retried.
pub async fn deliver(p: &impl Platform, msg: &AttemptMessage) -> Result<()> {
    let Some(d) = p.delivery(&msg.delivery).await? else {
        return Ok(()); // the endpoint was deleted
    };
    let now = p.now();
    match admit(&d, msg.attempt, now) {
        Admission::Ignore => return Ok(()),
        Admission::Cancel => return p.cancel_delivery(&d.id, "endpoint disabled", now).await,
        Admission::Wait { seconds } => {
            return enqueue(p, std::slice::from_ref(&d.id), msg.attempt, seconds).await
        }
        Admission::Claim => {}
    }
    if !p
        .claim_attempt(&d.id, msg.attempt, now, d.updated_at)
        .await?
    {
        return Ok(()); // another consumer has it
    }

    let outcome = send(p, &d).await;
    let schedule = p
        .settings()
        .webhook_retry_schedule
        .clone()
        .unwrap_or_else(|| RETRY_SCHEDULE_SECS.to_vec());
    // Jitter spreads retries of endpoints failing together; development
    // keeps the schedule exact for tests.
    let jitter = if p.settings().development {
        None
    } else {
        let mut b = [0u8; 4];
        p.fill_random(&mut b)?;
        Some(u32::from_le_bytes(b))
    };
    let decision = decide(&schedule, msg.attempt, &outcome, now, jitter)
        .ok_or_else(|| Error::internal("time overflow"))?;
    let (status, error) = match &outcome {
        SendOutcome::Answered { status, .. } => (Some(*status), None),
        SendOutcome::Failed { error, .. } => (None, Some(error.clone())),
    };
    let record = AttemptRecord {
        attempt: msg.attempt,
        started_at: now,
        status,
        latency_ms: outcome.latency_ms(),
        error,
    };
    p.finish_attempt(&d.id, &record, &decision.end).await?;
    match decision.then {
        Then::Done => Ok(()),
        Then::Requeue { attempt, delay_s } => {
            enqueue(p, std::slice::from_ref(&d.id), attempt, delay_s).await
        }
        Then::DeadLetter => {
            // Parked where an operator sees it (the dead-letter queue drains
            // into the dead-letter table); replay puts it back on the schedule.
            p.park_webhook_delivery(&DeadDelivery {
                delivery: d.id,
                message_id: d.message_id,
                endpoint_id: d.endpoint_id,
                attempts: msg.attempt,
                last_status: record.status,
                last_error: record.error,
            })
            .await
        }
    }
}

/// Signs and sends the delivery's message to its endpoint.
async fn send(p: &impl Platform, d: &Delivery) -> SendOutcome {
    let policy = if p.settings().development {
        DestinationPolicy::DEVELOPMENT
    } else {
        DestinationPolicy::PRODUCTION
    };
    // Literal addresses and reserved names are refused here; a public name
    // that resolves to a private address is refused by the runtime's own
    // egress (Workers cannot reach private networks).
    let destination = match check_destination(&d.url, &policy) {
        Ok(dest) => dest,
        Err(e) => return SendOutcome::unsent(format!("destination refused: {e}"), true),
    };
    let mut keys: Vec<SigningKey> = match secrets::live(p, Owner::Endpoint(&d.endpoint_id)).await {
        Ok(live) => live.into_iter().map(SigningKey::Hmac).collect(),
        Err(e) => return SendOutcome::unsent(format!("secrets: {e}"), false),
    };
    match p.keys() {
        Ok(ring) => keys.push(SigningKey::Ed25519(v1a_key(&ring))),
        Err(e) => return SendOutcome::unsent(format!("keys: {e}"), false),
    }
    let signed = match sign(
        &keys,
        &d.message_id,
        p.now().unix_seconds(),
        d.body.as_bytes(),
    ) {
        Ok(s) => s,
        Err(e) => return SendOutcome::unsent(format!("signing: {e}"), true),
    };
    let mut headers: Vec<(&'static str, String)> = signed.to_pairs().into();
    headers.push(("Content-Type", "application/json".into()));
    headers.push(("User-Agent", "fairtrain-webhooks/1".into()));
    p.post(&Post {
        url: destination.url(),
        headers,
        body: d.body.clone(),
        timeout_secs: TIMEOUT_SECS,
    })
    .await
}

/// Deliveries due this long ago (or claimed and silent this long) have
/// lost their queue message.
pub const OVERDUE_SECS: i64 = 15 * 60;
/// Deliveries re-queued per sweep.
pub const SWEEP_LIMIT: u32 = 1000;

/// Hourly: queue again every delivery due long ago whose queue message went
/// missing (recorded, then the queue send failed), or whose claim went
/// stale. Returns how many were queued.
pub async fn sweep(p: &impl Platform) -> Result<usize> {
    let before = p
        .now()
        .checked_add_seconds(-OVERDUE_SECS)
        .ok_or_else(|| Error::internal("time overflow"))?;
    let due = p.overdue_deliveries(before, SWEEP_LIMIT).await?;
    let attempts: Vec<AttemptMessage> = due
        .iter()
        .map(|d| AttemptMessage {
            delivery: d.id.clone(),
            // A stale claim is resumed; an open delivery gets its next attempt.
            attempt: if d.status == DeliveryStatus::Sending {
                d.attempts
            } else {
                d.attempts + 1
            },
        })
        .collect();
    if !attempts.is_empty() {
        p.send_webhook_attempts(&attempts, 0).await?;
    }
    Ok(attempts.len())
}
