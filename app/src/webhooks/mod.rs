//! Webhooks: fairtrain's own vocabulary on top of Standard Webhooks
//! (`fairtrain-webhooks`), subscriber endpoints, and outgoing delivery:
//! every event is recorded once with one delivery per subscribed endpoint,
//! then queued; the delivery job signs, sends and retries on the spec's
//! schedule.
//!
//! - [`events`]: [`EventType`] with its direction, the typed envelope;
//! - [`payload`]: [`Outgoing`] events and their mapping from log events;
//! - [`fanout`]: subscriptions and delivery ids;
//! - [`inbound`]: [`inbound::InboundEvent`] from an envelope or a Stripe event;
//! - [`emit`], [`restart`], [`enqueue`]: recording and queueing deliveries;
//! - [`endpoints`], [`secrets`]: managing endpoints and rotating secrets;
//! - [`delivery`]: the delivery state machine, pure; [`deliver`] runs one
//!   attempt over it, [`sweep`] re-queues what lost its queue message;
//! - [`replay`]: the delivery log and sending again.

mod deliver;
pub mod delivery;
mod emit;
pub mod endpoints;
pub mod events;
pub mod fanout;
pub mod inbound;
pub mod payload;
pub mod replay;
pub mod secrets;
pub mod sender;
pub mod store;

use serde::{Deserialize, Serialize};

pub use deliver::{deliver, sweep, DeadDelivery};
pub use emit::{emit, enqueue, restart, try_emit};
pub use endpoints::{
    event_types, CreatedEndpoint, EndpointChange, EndpointSecrets, Endpoints, EventTypes,
    NewEndpoint,
};
pub use events::{Direction, Envelope, EventType, UnknownEventType};
pub use payload::{from_log_event, Outgoing};
pub use replay::{delivery_log, replay_one, replay_since, DeliveryLog, LogFilter, Replayed};
pub use sender::{Post, SendOutcome, WebhookSender};

/// What the webhook queue carries: one attempt of one delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptMessage {
    pub delivery: String,
    /// 1-based; a message whose attempt is not the next one is stale.
    pub attempt: u32,
}

/// Queues delay a message by at most 12 hours; longer waits are chained.
pub const MAX_QUEUE_DELAY_SECS: u64 = 12 * 3600;
