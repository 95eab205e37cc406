//! Queue consumers, dispatched by queue name.
//!
//! Dead-letter queues are drained into D1 ([`dead_letters`]), where an
//! operator can see and replay them: a message that exhausted its retries
//! is parked, never dropped. A queue without a consumer has its messages
//! retried, and so they end up in the dead-letter table rather than lost.

pub mod cron;
mod dead_letters;
mod usage;
mod webhooks;

use worker::{console_warn, Env, MessageBatch, Result};

/// A queue message body as the consumer reads it. Producers send JSON
/// text (a `serde_json` map passed to the runtime arrives as a JS Map, not
/// an object); structs sent directly arrive as objects. Either decodes here.
pub use fairtrain_app::dead_letters::decode;

pub async fn consume(batch: MessageBatch<serde_json::Value>, env: Env) -> Result<()> {
    let queue = batch.queue();
    if queue.ends_with("-dlq") {
        return dead_letters::park(&queue, batch, env).await;
    }
    if queue == fairtrain_app::dead_letters::USAGE_QUEUE {
        return usage::consume(batch, env).await;
    }
    if queue == "fairtrain-webhooks" {
        return webhooks::consume(batch, env).await;
    }
    console_warn!(
        "queue {queue}: no consumer yet; {} messages will be retried",
        batch.messages()?.len()
    );
    batch.retry_all();
    Ok(())
}
