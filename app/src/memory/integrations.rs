use std::collections::BTreeMap;

use fairtrain_core::time::Timestamp;
use fairtrain_webhooks::WebhookSecret;

use super::webhooks::Secrets;
use super::MemoryPlatform;
use crate::error::{Error, Result};
use crate::integrations::store::{InboundRecord, Integration, IntegrationStore};

#[derive(Default)]
pub struct Tables {
    pub integrations: BTreeMap<String, Integration>,
    /// Integration id → its secrets.
    pub secrets: BTreeMap<String, Secrets>,
    /// (integration id, webhook id) → the event's record.
    pub events: BTreeMap<(String, String), InboundRecord>,
}

impl IntegrationStore for MemoryPlatform {
    async fn insert_integration(
        &self,
        integration: &Integration,
        secret: &WebhookSecret,
    ) -> Result<()> {
        let mut s = self.state.borrow_mut();
        let t = &mut s.integrations;
        if t.integrations.contains_key(&integration.id) {
            return Err(Error::internal(format!(
                "integration {} exists already",
                integration.id
            )));
        }
        t.integrations
            .insert(integration.id.clone(), integration.clone());
        t.secrets.insert(
            integration.id.clone(),
            Secrets::first(secret, integration.created_at),
        );
        Ok(())
    }

    async fn integration(&self, id: &str) -> Result<Option<Integration>> {
        Ok(self
            .state
            .borrow()
            .integrations
            .integrations
            .get(id)
            .cloned())
    }

    async fn integrations(&self) -> Result<Vec<Integration>> {
        let mut all: Vec<Integration> = self
            .state
            .borrow()
            .integrations
            .integrations
            .values()
            .cloned()
            .collect();
        all.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(all)
    }

    async fn integration_secrets(&self, id: &str, at: Timestamp) -> Result<Vec<WebhookSecret>> {
        Ok(self
            .state
            .borrow()
            .integrations
            .secrets
            .get(id)
            .map(|s| s.live(at))
            .unwrap_or_default())
    }

    async fn rotate_integration_secret(
        &self,
        id: &str,
        secret: &WebhookSecret,
        at: Timestamp,
        until: Timestamp,
    ) -> Result<()> {
        self.state
            .borrow_mut()
            .integrations
            .secrets
            .entry(id.to_string())
            .or_default()
            .rotate(secret, at, until);
        Ok(())
    }

    async fn inbound_event(
        &self,
        integration_id: &str,
        webhook_id: &str,
    ) -> Result<Option<InboundRecord>> {
        Ok(self
            .state
            .borrow()
            .integrations
            .events
            .get(&(integration_id.to_string(), webhook_id.to_string()))
            .cloned())
    }

    async fn record_inbound_event(
        &self,
        integration_id: &str,
        record: &InboundRecord,
    ) -> Result<bool> {
        let mut s = self.state.borrow_mut();
        let key = (integration_id.to_string(), record.webhook_id.clone());
        if s.integrations.events.contains_key(&key) {
            return Ok(false);
        }
        s.integrations.events.insert(key, record.clone());
        Ok(true)
    }

    async fn set_inbound_log_entry(
        &self,
        integration_id: &str,
        webhook_id: &str,
        entry_hash: &str,
    ) -> Result<()> {
        if let Some(r) = self
            .state
            .borrow_mut()
            .integrations
            .events
            .get_mut(&(integration_id.to_string(), webhook_id.to_string()))
        {
            r.log_entry_hash = Some(entry_hash.to_string());
        }
        Ok(())
    }

    async fn inbound_events(&self, integration_id: &str, limit: u32) -> Result<Vec<InboundRecord>> {
        let mut mine: Vec<InboundRecord> = self
            .state
            .borrow()
            .integrations
            .events
            .iter()
            .filter(|((i, _), _)| i == integration_id)
            .map(|(_, r)| r.clone())
            .collect();
        mine.sort_by_key(|r| std::cmp::Reverse(r.received_at));
        mine.truncate(limit as usize);
        Ok(mine)
    }
}
