//! Webhook endpoints, messages and deliveries: what is owed to whom.

use fairtrain_core::time::Timestamp;

use crate::error::Result;

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
}
