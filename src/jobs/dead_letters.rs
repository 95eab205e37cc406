//! Dead-letter queues are drained into storage (`fairtrain_app::dead_letters`),
//! where an operator can see and replay them: a message that exhausted its
//! retries is parked, never dropped.

use fairtrain_app::dead_letters;
use serde_json::Value;
use worker::{console_error, Env, MessageBatch, MessageExt, Result};

use crate::runtime::Runtime;

/// Parks each dead letter once (by queue and message id), then acks it. A
/// failed write leaves the message to be redelivered.
pub async fn park(queue: &str, batch: MessageBatch<Value>, env: Env) -> Result<()> {
    let rt = Runtime::background(env).map_err(|e| worker::Error::RustError(e.to_string()))?;
    let source = queue.trim_end_matches("-dlq");
    for message in batch.messages()? {
        let first_sent_at = message.timestamp().to_string();
        match dead_letters::park(&rt, source, &message.id(), message.body(), &first_sent_at).await {
            Ok(()) => message.ack(),
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
