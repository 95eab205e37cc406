//! Queue consumers, dispatched by queue name.
//!
//! Dead-letter queues are drained into D1 (`dead_letters`), where an operator
//! can see and replay them: a message that exhausted its retries is parked,
//! never dropped. The main queues' consumers arrive with the issues that
//! produce their messages; until then their messages are retried, and so end
//! up in the dead-letter table rather than lost.

pub mod cron;

use wasm_bindgen::JsValue;
use worker::{console_error, console_warn, Env, MessageBatch, MessageExt, Result};

/// A queue message body as the consumer reads it. Producers send JSON
/// text (a `serde_json` map passed to the runtime arrives as a JS Map, not
/// an object); structs sent directly arrive as objects. Either decodes here.
pub fn decode<T: serde::de::DeserializeOwned>(body: &serde_json::Value) -> serde_json::Result<T> {
    match body {
        serde_json::Value::String(text) => serde_json::from_str(text),
        other => serde_json::from_value(other.clone()),
    }
}

pub async fn consume(batch: MessageBatch<serde_json::Value>, env: Env) -> Result<()> {
    let queue = batch.queue();
    if queue.ends_with("-dlq") {
        return park_dead_letters(&queue, batch, &env).await;
    }
    if queue == "fairtrain-usage" {
        return crate::usage::consume::consume(batch, env).await;
    }
    if queue == "fairtrain-webhooks" {
        return crate::webhooks::deliver::consume(batch, env).await;
    }
    console_warn!(
        "queue {queue}: no consumer yet; {} messages will be retried",
        batch.messages()?.len()
    );
    batch.retry_all();
    Ok(())
}

/// Store each dead letter once (keyed by queue and message id), then ack it.
/// A failed insert leaves the message to be redelivered.
async fn park_dead_letters(
    queue: &str,
    batch: MessageBatch<serde_json::Value>,
    env: &Env,
) -> Result<()> {
    let db = env.d1("DB")?;
    let source = queue.trim_end_matches("-dlq");
    for message in batch.messages()? {
        let body = serde_json::to_string(message.body())?;
        let stored = db
            .prepare(
                "INSERT OR IGNORE INTO dead_letters (queue, message_id, body, first_sent_at, parked_at) \
                 VALUES (?1, ?2, ?3, ?4, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
            )
            .bind(&[
                JsValue::from_str(source),
                JsValue::from_str(&message.id()),
                JsValue::from_str(&body),
                JsValue::from_str(&message.timestamp().to_string()),
            ])?
            .run()
            .await;
        match stored {
            Ok(_) => message.ack(),
            Err(e) => {
                console_error!(
                    "dead letter {} from {source} not stored, will retry: {e}",
                    message.id()
                );
                message.retry();
            }
        }
    }
    Ok(())
}
