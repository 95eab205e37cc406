//! The queues the application sends to. Bodies go as JSON text (see
//! `crate::jobs::decode`); a send holds at most 100 messages and 256 KB.

use fairtrain_app::platform::Queues;
use fairtrain_app::webhooks::{AttemptMessage, DeadDelivery};
use fairtrain_app::{Error, Result};
use worker::{BatchMessageBuilder, MessageBuilder};

use super::Runtime;

/// Bytes per send, under the runtime's 256 KB.
const MAX_SEND_BYTES: usize = 240 * 1024;
/// Messages per send.
const MAX_SEND_MESSAGES: usize = 100;

impl Queues for Runtime {
    async fn send_usage(&self, bodies: Vec<String>) -> Result<()> {
        let queue = self.env.queue("USAGE_QUEUE")?;
        let mut batch: Vec<String> = Vec::new();
        let mut batch_bytes = 0;
        for m in bodies {
            if (batch_bytes + m.len() > MAX_SEND_BYTES || batch.len() == MAX_SEND_MESSAGES)
                && !batch.is_empty()
            {
                send_texts(&queue, std::mem::take(&mut batch)).await?;
                batch_bytes = 0;
            }
            batch_bytes += m.len();
            batch.push(m);
        }
        if !batch.is_empty() {
            send_texts(&queue, batch).await?;
        }
        Ok(())
    }

    async fn send_webhook_attempts(&self, attempts: &[AttemptMessage], delay_s: u32) -> Result<()> {
        let queue = self.env.queue("WEBHOOK_QUEUE")?;
        for chunk in attempts.chunks(MAX_SEND_MESSAGES) {
            let batch = BatchMessageBuilder::new()
                .messages(chunk.iter().map(|a| {
                    MessageBuilder::new(a.clone())
                        .delay_seconds(delay_s)
                        .build()
                }))
                .build();
            queue
                .send_batch(batch)
                .await
                .map_err(|e| Error::unavailable(format!("webhook queue: {e}")))?;
        }
        Ok(())
    }

    async fn park_webhook_delivery(&self, dead: &DeadDelivery) -> Result<()> {
        self.env
            .queue("WEBHOOK_DLQ")?
            .send(serde_json::to_string(dead)?)
            .await
            .map_err(|e| Error::unavailable(format!("webhook dead-letter queue: {e}")))
    }
}

async fn send_texts(queue: &worker::Queue, bodies: Vec<String>) -> Result<()> {
    let batch = BatchMessageBuilder::new()
        .messages(bodies.into_iter().map(|b| MessageBuilder::new(b).build()))
        .build();
    queue
        .send_batch(batch)
        .await
        .map_err(|e| Error::unavailable(format!("usage queue: {e}")))
}
