//! Dead letters: queue messages that exhausted their retries, parked (never
//! dropped) where an operator can see them and put them back.

pub mod store;

use serde::Serialize;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::platform::Platform;
use store::DeadLetter;

/// Letters listed at most.
const LISTED: usize = 1000;

/// The usage queue: its messages are priced by `usage::price`.
pub const USAGE_QUEUE: &str = "fairtrain-usage";
/// The webhook queue: its messages are delivery attempts.
pub const WEBHOOK_QUEUE: &str = "fairtrain-webhooks";

/// Parks a message from `queue` (the queue it failed on), once.
pub async fn park(
    p: &impl Platform,
    queue: &str,
    message_id: &str,
    body: &Value,
    first_sent_at: &str,
) -> Result<()> {
    p.park(&DeadLetter {
        queue: queue.to_string(),
        message_id: message_id.to_string(),
        body: serde_json::to_string(body)?,
        first_sent_at: first_sent_at.to_string(),
        parked_at: p.now(),
        replayed_at: None,
    })
    .await
}

#[derive(Debug, Clone, Serialize)]
pub struct Listed {
    pub dead_letters: Vec<DeadLetter>,
}

/// What is parked (from `queue`, if given), oldest first.
pub async fn list(p: &impl Platform, queue: Option<&str>) -> Result<Listed> {
    Ok(Listed {
        dead_letters: p.dead_letters(queue, LISTED).await?,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct Replayed {
    pub replayed: String,
}

/// A queue message body as the consumer reads it: JSON text (how the
/// application sends) or a JSON value (a struct sent as it is).
pub fn decode<T: serde::de::DeserializeOwned>(body: &Value) -> serde_json::Result<T> {
    match body {
        Value::String(text) => serde_json::from_str(text),
        other => serde_json::from_value(other.clone()),
    }
}

/// Puts a parked message back: a usage message on the usage queue as it
/// was; a webhook delivery back on its schedule from the first attempt.
pub async fn replay(p: &impl Platform, queue: &str, message_id: &str) -> Result<Replayed> {
    let letter = p
        .dead_letter(queue, message_id)
        .await?
        .ok_or_else(|| Error::not_found("/v1/admin/dead-letters (no such message)"))?;
    let body: Value = serde_json::from_str(&letter.body)?;
    let inner: Value = decode(&body)?;
    match queue {
        USAGE_QUEUE => {
            let text = match body {
                Value::String(text) => text,
                other => other.to_string(),
            };
            p.send_usage(vec![text]).await?
        }
        WEBHOOK_QUEUE => {
            let delivery = inner["delivery"].as_str().unwrap_or_default().to_string();
            crate::webhooks::restart(p, &[delivery]).await?
        }
        other => return Err(Error::field("/queue", format!("no queue {other:?}"))),
    }
    p.mark_replayed(queue, message_id, p.now()).await?;
    Ok(Replayed {
        replayed: message_id.to_string(),
    })
}
