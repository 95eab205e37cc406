//! Webhooks per the Standard Webhooks specification, both directions.
//!
//! Out: [`emit`] records each event once (`webhook_messages`, the exact body)
//! and one delivery per subscribed endpoint, then queues the deliveries;
//! [`deliver`] (the `fairtrain-webhooks` queue consumer) signs and sends them,
//! retrying on the spec's schedule, and keeps the delivery log. D1 is the
//! record of what is owed; the queue only carries it, and the hourly cron
//! re-queues any delivery whose queue message went missing.
//!
//! In: [`inbound`] verifies and applies events from a marketplace or payment
//! processor, once per webhook id.

pub mod deliver;
pub mod emit;
pub mod inbound;
pub mod secrets;

pub use emit::emit;
