//! The `fairtrain-usage` queue consumer: prices accepted events into the
//! ledger, exactly once (`fairtrain_app::usage::price`). A message that
//! fails is retried, and after its last retry parked as a dead letter.

use fairtrain_app::platform::Console;
use fairtrain_app::usage::{self, Policies, UsageMessage};
use fairtrain_app::Result;
use serde_json::Value;
use worker::{Env, MessageBatch, MessageExt};

use crate::runtime::Runtime;

pub async fn consume(batch: MessageBatch<Value>, env: Env) -> worker::Result<()> {
    let Ok(rt) = Runtime::background(env) else {
        batch.retry_all();
        return Ok(());
    };
    let messages = batch.messages()?;
    let parsed: Vec<Result<UsageMessage>> = messages.iter().map(|m| parse(m.body())).collect();
    // The manifests' policies once per batch; then the messages' writes
    // overlap (D1 runs them one at a time, but their round trips overlap).
    let policies = match Policies::load(&rt, parsed.iter().flatten()).await {
        Ok(p) => p,
        Err(e) => {
            rt.error(&format!("usage: policies: {e}"));
            Policies::default()
        }
    };
    let outcomes = futures_util::future::join_all(parsed.into_iter().map(|p| {
        let (rt, policies) = (&rt, &policies);
        async move { usage::price(rt, policies, &p?).await }
    }))
    .await;
    for (message, outcome) in messages.iter().zip(outcomes) {
        match outcome {
            Ok(()) => message.ack(),
            Err(e) => {
                rt.error(&format!(
                    "usage: message {} will be retried: {e}",
                    message.id()
                ));
                message.retry();
            }
        }
    }
    Ok(())
}

fn parse(body: &Value) -> Result<UsageMessage> {
    super::decode(body).map_err(|e| fairtrain_app::Error::internal(format!("usage message: {e}")))
}
