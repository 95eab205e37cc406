//! The `fairtrain-webhooks` queue consumer: one attempt of one delivery
//! per message (`fairtrain_app::webhooks::deliver`).

use fairtrain_app::webhooks::{deliver, AttemptMessage};
use fairtrain_app::Error;
use worker::{console_error, Env, MessageBatch, MessageExt};

use crate::runtime::Runtime;

pub async fn consume(batch: MessageBatch<serde_json::Value>, env: Env) -> worker::Result<()> {
    let rt = match Runtime::background(env) {
        Ok(rt) => rt,
        Err(e) => {
            console_error!("webhooks: no runtime: {}", e);
            batch.retry_all();
            return Ok(());
        }
    };
    let messages = batch.messages()?;
    let outcomes = futures_util::future::join_all(messages.iter().map(|m| async {
        match crate::jobs::decode::<AttemptMessage>(m.body()) {
            Ok(msg) => deliver(&rt, &msg).await,
            // Not ours to understand: retried, and so parked in the end.
            Err(e) => Err(Error::internal(format!("unreadable webhook message: {e}"))),
        }
    }))
    .await;
    for (message, outcome) in messages.iter().zip(outcomes) {
        match outcome {
            Ok(()) => message.ack(),
            Err(e) => {
                console_error!("webhooks: message {} will be retried: {}", message.id(), e);
                message.retry();
            }
        }
    }
    Ok(())
}
