//! fairtrain's own webhook vocabulary on top of Standard Webhooks
//! (`fairtrain-webhooks`): which events exist and which way they flow, what
//! each outgoing one carries, who receives it, and how inbound events from a
//! marketplace or payment processor read.
//!
//! - [`events`]: [`EventType`] with its direction, the typed envelope;
//! - [`payload`]: [`Outgoing`] events and their mapping from log events;
//! - [`fanout`]: subscriptions and delivery ids;
//! - [`inbound`]: [`inbound::InboundEvent`] from an envelope or a Stripe event.

pub mod events;
pub mod fanout;
pub mod inbound;
pub mod payload;

pub use events::{Direction, Envelope, EventType, UnknownEventType};
pub use payload::{from_log_event, Outgoing};
