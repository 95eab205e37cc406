//! Webhooks out (Standard Webhooks): every event is recorded once with one
//! delivery per subscribed endpoint, then queued; the delivery job signs,
//! sends and retries on the spec's schedule.

mod emit;
pub mod store;

use serde::{Deserialize, Serialize};

pub use emit::{emit, enqueue, restart, try_emit};

/// What the webhook queue carries: one attempt of one delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptMessage {
    pub delivery: String,
    /// 1-based; a message whose attempt is not the next one is stale.
    pub attempt: u32,
}

/// Queues delay a message by at most 12 hours; longer waits are chained.
pub const MAX_QUEUE_DELAY_SECS: u64 = 12 * 3600;
