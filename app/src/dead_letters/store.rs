//! Dead letters as stored: one row per (queue, message id).

use fairtrain_core::time::Timestamp;
use serde::Serialize;

use crate::error::Result;

/// A queue message that exhausted its retries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeadLetter {
    /// The queue it failed on (not its dead-letter queue).
    pub queue: String,
    pub message_id: String,
    /// The message body as JSON text.
    pub body: String,
    /// When it was first sent, as the queue reported it.
    pub first_sent_at: String,
    pub parked_at: Timestamp,
    pub replayed_at: Option<Timestamp>,
}

#[allow(async_fn_in_trait)]
pub trait DeadLetterStore {
    /// Parks a message unless it is parked already.
    async fn park(&self, letter: &DeadLetter) -> Result<()>;
    /// Up to `limit` parked messages (of `queue`, if given), oldest first.
    async fn dead_letters(&self, queue: Option<&str>, limit: usize) -> Result<Vec<DeadLetter>>;
    async fn dead_letter(&self, queue: &str, message_id: &str) -> Result<Option<DeadLetter>>;
    async fn mark_replayed(&self, queue: &str, message_id: &str, at: Timestamp) -> Result<()>;
}
