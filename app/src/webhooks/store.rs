//! Webhook endpoints, their secrets, messages, deliveries and attempts:
//! what is owed to whom, and what happened when it was sent.

use fairtrain_core::time::Timestamp;
use fairtrain_webhooks::WebhookSecret;
use serde::Serialize;

use super::delivery::DeliveryStatus;
use crate::error::Result;

/// A subscriber endpoint, as stored and as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Endpoint {
    /// `ep_` + 32 hex digits.
    pub id: String,
    pub url: String,
    pub description: Option<String>,
    /// Event types, or `["*"]` for all.
    pub event_types: Vec<String>,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub disabled_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// An enabled endpoint and the event types it subscribes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub endpoint_id: String,
    pub event_types: Vec<String>,
}

/// One outgoing event, recorded once with its exact body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    /// The `webhook-id`.
    pub id: String,
    pub event_type: String,
    pub body: String,
}

/// One message to one endpoint, pending from `at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDelivery {
    pub id: String,
    pub message_id: String,
    pub endpoint_id: String,
}

/// A delivery as its next attempt needs it: its state, its endpoint and
/// the message's exact body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub id: String,
    pub status: DeliveryStatus,
    /// Attempts claimed so far.
    pub attempts: u32,
    pub next_attempt_at: Timestamp,
    pub updated_at: Timestamp,
    pub endpoint_id: String,
    pub message_id: String,
    pub url: String,
    pub enabled: bool,
    pub body: String,
}

/// One attempt, as the delivery log shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttemptRecord {
    /// 1-based.
    pub attempt: u32,
    pub started_at: Timestamp,
    /// The HTTP status; `None` if there was no answer.
    pub status: Option<u16>,
    pub latency_ms: u64,
    pub error: Option<String>,
}

/// A delivery in the endpoint's delivery log, with its attempts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoggedDelivery {
    pub id: String,
    pub message_id: String,
    pub event_type: String,
    pub status: DeliveryStatus,
    pub attempts: u32,
    pub next_attempt_at: Timestamp,
    pub last_status: Option<u16>,
    pub last_error: Option<String>,
    pub delivered_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub attempt_log: Vec<AttemptRecord>,
}

/// What an attempt left the delivery as (written with the attempt, at once).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptEnd {
    /// Delivered (`delivered_at` is the attempt's time, the last error cleared).
    Delivered { last_status: u16 },
    /// Waiting for the next attempt, due at `next_attempt_at`.
    Retrying {
        next_attempt_at: Timestamp,
        last_status: Option<u16>,
        last_error: Option<String>,
    },
    /// Failed for good.
    Failed {
        last_status: Option<u16>,
        last_error: Option<String>,
    },
    /// The endpoint answered 410: the delivery failed (410, `reason`) and
    /// its endpoint is disabled for `reason`.
    Gone { reason: String },
}

/// A delivery due (or claimed) long ago that may have lost its queue message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overdue {
    pub id: String,
    pub status: DeliveryStatus,
    pub attempts: u32,
}

#[allow(async_fn_in_trait)]
pub trait WebhookStore {
    /// Every enabled endpoint's subscription.
    async fn subscriptions(&self) -> Result<Vec<Subscription>>;
    /// Records messages and their deliveries (pending, due `at`), all or
    /// nothing; what is recorded already is left as it is.
    async fn record_deliveries(
        &self,
        messages: &[NewMessage],
        deliveries: &[NewDelivery],
        at: Timestamp,
    ) -> Result<()>;
    /// Puts deliveries back to pending, attempt count zero, due `at`.
    async fn restart_deliveries(&self, ids: &[String], at: Timestamp) -> Result<()>;

    /// Stores a new endpoint with its first (current) secret, created at
    /// the endpoint's `created_at`; all or nothing.
    async fn insert_endpoint(&self, endpoint: &Endpoint, secret: &WebhookSecret) -> Result<()>;
    async fn endpoint(&self, id: &str) -> Result<Option<Endpoint>>;
    /// Every endpoint, oldest first (ties by id).
    async fn endpoints(&self) -> Result<Vec<Endpoint>>;
    /// Writes an endpoint's changeable fields (everything but its id and
    /// creation time).
    async fn update_endpoint(&self, endpoint: &Endpoint) -> Result<()>;
    /// Removes an endpoint with its secrets, deliveries and attempts.
    async fn delete_endpoint(&self, id: &str) -> Result<()>;
    /// An endpoint's secrets valid at `at` (no expiry, or expiring after
    /// it): the current one first, then newest first.
    async fn endpoint_secrets(&self, id: &str, at: Timestamp) -> Result<Vec<WebhookSecret>>;
    /// At once: every secret of the endpoint valid at `until` now expires
    /// at `until`, and `secret` becomes current, created `at`.
    async fn rotate_endpoint_secret(
        &self,
        id: &str,
        secret: &WebhookSecret,
        at: Timestamp,
        until: Timestamp,
    ) -> Result<()>;

    /// A delivery with its endpoint and message, if the endpoint still exists.
    async fn delivery(&self, id: &str) -> Result<Option<Delivery>>;
    /// Claims attempt `attempt`: the delivery moves to `sending` with that
    /// many attempts, updated `at`, if it is open (`pending` or `retrying`)
    /// after `attempt - 1` attempts, or still `sending` attempt `attempt`
    /// exactly as last seen (`seen_updated_at`). `false` if another claim won.
    async fn claim_attempt(
        &self,
        id: &str,
        attempt: u32,
        at: Timestamp,
        seen_updated_at: Timestamp,
    ) -> Result<bool>;
    /// Records an attempt (replacing a lost claim's record of the same
    /// number) and what it left the delivery as, all or nothing.
    async fn finish_attempt(
        &self,
        delivery_id: &str,
        attempt: &AttemptRecord,
        end: &AttemptEnd,
    ) -> Result<()>;
    /// Cancels a delivery that is not finished (pending, retrying or
    /// sending), with `reason` as its last error.
    async fn cancel_delivery(&self, id: &str, reason: &str, at: Timestamp) -> Result<()>;
    /// Up to `limit` deliveries open and due before `before`, or claimed
    /// (`sending`) and untouched since before it.
    async fn overdue_deliveries(&self, before: Timestamp, limit: u32) -> Result<Vec<Overdue>>;
    /// An endpoint's deliveries, newest first (ties by id), optionally of
    /// one status, at most `limit`, each with its attempts in order.
    async fn delivery_log(
        &self,
        endpoint_id: &str,
        status: Option<DeliveryStatus>,
        limit: u32,
    ) -> Result<Vec<LoggedDelivery>>;
    /// The ids of an endpoint's deliveries in `status` created at or after
    /// `since`, oldest first, at most `limit`.
    async fn deliveries_since(
        &self,
        endpoint_id: &str,
        status: DeliveryStatus,
        since: Timestamp,
        limit: u32,
    ) -> Result<Vec<String>>;
}
