use std::collections::BTreeMap;

use fairtrain_core::time::Timestamp;

use super::MemoryPlatform;
use crate::error::Result;
use crate::webhooks::store::{NewDelivery, NewMessage, Subscription, WebhookStore};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub message_id: String,
    pub endpoint_id: String,
    pub status: String,
    pub attempts: u32,
    pub next_attempt_at: Timestamp,
}

#[derive(Default)]
pub struct Tables {
    /// Enabled endpoints' subscriptions.
    pub subscriptions: Vec<Subscription>,
    pub messages: BTreeMap<String, NewMessage>,
    pub deliveries: BTreeMap<String, Delivery>,
}

impl WebhookStore for MemoryPlatform {
    async fn subscriptions(&self) -> Result<Vec<Subscription>> {
        Ok(self.state.borrow().webhooks.subscriptions.clone())
    }

    async fn record_deliveries(
        &self,
        messages: &[NewMessage],
        deliveries: &[NewDelivery],
        at: Timestamp,
    ) -> Result<()> {
        let mut s = self.state.borrow_mut();
        for m in messages {
            s.webhooks
                .messages
                .entry(m.id.clone())
                .or_insert_with(|| m.clone());
        }
        for d in deliveries {
            s.webhooks
                .deliveries
                .entry(d.id.clone())
                .or_insert_with(|| Delivery {
                    message_id: d.message_id.clone(),
                    endpoint_id: d.endpoint_id.clone(),
                    status: "pending".into(),
                    attempts: 0,
                    next_attempt_at: at,
                });
        }
        Ok(())
    }

    async fn restart_deliveries(&self, ids: &[String], at: Timestamp) -> Result<()> {
        let mut s = self.state.borrow_mut();
        for id in ids {
            if let Some(d) = s.webhooks.deliveries.get_mut(id) {
                d.status = "pending".into();
                d.attempts = 0;
                d.next_attempt_at = at;
            }
        }
        Ok(())
    }
}
