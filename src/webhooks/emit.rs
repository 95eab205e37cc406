//! Recording and queueing outgoing events: `fairtrain_app::webhooks`.
//! (Shims for the code not yet moved into the application layer.)

use fairtrain_app::webhooks::Outgoing;

pub use fairtrain_app::webhooks::{AttemptMessage, MAX_QUEUE_DELAY_SECS};

use crate::http::context::Cx;
use crate::http::error::ApiResult;

pub async fn emit(cx: &Cx, events: &[Outgoing]) {
    fairtrain_app::webhooks::emit(&cx.rt, events).await
}

pub async fn restart(cx: &Cx, deliveries: &[String]) -> ApiResult<()> {
    Ok(fairtrain_app::webhooks::restart(&cx.rt, deliveries).await?)
}

pub async fn enqueue(cx: &Cx, deliveries: &[String], attempt: u32, delay: u64) -> ApiResult<()> {
    Ok(fairtrain_app::webhooks::enqueue(&cx.rt, deliveries, attempt, delay).await?)
}
