use std::collections::{BTreeMap, VecDeque};

use fairtrain_core::time::Timestamp;
use fairtrain_webhooks::WebhookSecret;

use super::MemoryPlatform;
use crate::error::{Error, Result};
use crate::webhooks::delivery::DeliveryStatus;
use crate::webhooks::sender::{Post, SendOutcome, WebhookSender};
use crate::webhooks::store::{
    AttemptEnd, AttemptRecord, Delivery, Endpoint, LoggedDelivery, NewDelivery, NewMessage,
    Overdue, Subscription, WebhookStore,
};

/// A delivery as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDelivery {
    pub message_id: String,
    pub endpoint_id: String,
    pub status: DeliveryStatus,
    pub attempts: u32,
    pub next_attempt_at: Timestamp,
    pub last_status: Option<u16>,
    pub last_error: Option<String>,
    pub delivered_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A secret with its lifetime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSecret {
    pub secret: WebhookSecret,
    pub created_at: Timestamp,
    /// `None`: the current one.
    pub expires_at: Option<Timestamp>,
}

/// One owner's secrets, in the order they were added; shared by endpoints
/// and integrations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Secrets(pub Vec<StoredSecret>);

impl Secrets {
    pub fn first(secret: &WebhookSecret, at: Timestamp) -> Secrets {
        Secrets(vec![StoredSecret {
            secret: secret.clone(),
            created_at: at,
            expires_at: None,
        }])
    }

    /// Valid at `at`: the current one first, then newest first.
    pub fn live(&self, at: Timestamp) -> Vec<WebhookSecret> {
        let mut live: Vec<&StoredSecret> = self
            .0
            .iter()
            .rev()
            .filter(|s| s.expires_at.is_none_or(|e| e > at))
            .collect();
        live.sort_by_key(|s| (s.expires_at.is_some(), std::cmp::Reverse(s.created_at)));
        live.into_iter().map(|s| s.secret.clone()).collect()
    }

    pub fn rotate(&mut self, secret: &WebhookSecret, at: Timestamp, until: Timestamp) {
        for s in &mut self.0 {
            if s.expires_at.is_none_or(|e| e > until) {
                s.expires_at = Some(until);
            }
        }
        self.0.push(StoredSecret {
            secret: secret.clone(),
            created_at: at,
            expires_at: None,
        });
    }
}

#[derive(Default)]
pub struct Tables {
    pub endpoints: BTreeMap<String, Endpoint>,
    /// Endpoint id → its secrets.
    pub secrets: BTreeMap<String, Secrets>,
    pub messages: BTreeMap<String, NewMessage>,
    pub deliveries: BTreeMap<String, StoredDelivery>,
    /// (delivery id, attempt) → the attempt.
    pub attempts: BTreeMap<(String, u32), AttemptRecord>,
    /// Every request the sender was asked to send, in order.
    pub sent: Vec<Post>,
    /// What the next sends get, in order; when empty, `200 OK`.
    pub answers: VecDeque<SendOutcome>,
}

impl WebhookSender for MemoryPlatform {
    async fn post(&self, post: &Post) -> SendOutcome {
        let mut s = self.state.borrow_mut();
        s.webhooks.sent.push(post.clone());
        s.webhooks
            .answers
            .pop_front()
            .unwrap_or(SendOutcome::Answered {
                status: 200,
                retry_after: None,
                latency_ms: 1,
            })
    }
}

impl WebhookStore for MemoryPlatform {
    async fn subscriptions(&self) -> Result<Vec<Subscription>> {
        Ok(self
            .state
            .borrow()
            .webhooks
            .endpoints
            .values()
            .filter(|e| e.enabled)
            .map(|e| Subscription {
                endpoint_id: e.id.clone(),
                event_types: e.event_types.clone(),
            })
            .collect())
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
                .or_insert_with(|| StoredDelivery {
                    message_id: d.message_id.clone(),
                    endpoint_id: d.endpoint_id.clone(),
                    status: DeliveryStatus::Pending,
                    attempts: 0,
                    next_attempt_at: at,
                    last_status: None,
                    last_error: None,
                    delivered_at: None,
                    created_at: at,
                    updated_at: at,
                });
        }
        Ok(())
    }

    async fn restart_deliveries(&self, ids: &[String], at: Timestamp) -> Result<()> {
        let mut s = self.state.borrow_mut();
        for id in ids {
            if let Some(d) = s.webhooks.deliveries.get_mut(id) {
                d.status = DeliveryStatus::Pending;
                d.attempts = 0;
                d.next_attempt_at = at;
                d.updated_at = at;
            }
        }
        Ok(())
    }

    async fn insert_endpoint(&self, endpoint: &Endpoint, secret: &WebhookSecret) -> Result<()> {
        let mut s = self.state.borrow_mut();
        if s.webhooks.endpoints.contains_key(&endpoint.id) {
            return Err(Error::internal(format!(
                "endpoint {} exists already",
                endpoint.id
            )));
        }
        s.webhooks
            .endpoints
            .insert(endpoint.id.clone(), endpoint.clone());
        s.webhooks.secrets.insert(
            endpoint.id.clone(),
            Secrets::first(secret, endpoint.created_at),
        );
        Ok(())
    }

    async fn endpoint(&self, id: &str) -> Result<Option<Endpoint>> {
        Ok(self.state.borrow().webhooks.endpoints.get(id).cloned())
    }

    async fn endpoints(&self) -> Result<Vec<Endpoint>> {
        let mut all: Vec<Endpoint> = self
            .state
            .borrow()
            .webhooks
            .endpoints
            .values()
            .cloned()
            .collect();
        all.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(all)
    }

    async fn update_endpoint(&self, endpoint: &Endpoint) -> Result<()> {
        if let Some(e) = self
            .state
            .borrow_mut()
            .webhooks
            .endpoints
            .get_mut(&endpoint.id)
        {
            *e = Endpoint {
                id: e.id.clone(),
                created_at: e.created_at,
                ..endpoint.clone()
            };
        }
        Ok(())
    }

    async fn delete_endpoint(&self, id: &str) -> Result<()> {
        let mut s = self.state.borrow_mut();
        let w = &mut s.webhooks;
        let gone: Vec<String> = w
            .deliveries
            .iter()
            .filter(|(_, d)| d.endpoint_id == id)
            .map(|(k, _)| k.clone())
            .collect();
        w.attempts.retain(|(d, _), _| !gone.contains(d));
        w.deliveries.retain(|_, d| d.endpoint_id != id);
        w.secrets.remove(id);
        w.endpoints.remove(id);
        Ok(())
    }

    async fn endpoint_secrets(&self, id: &str, at: Timestamp) -> Result<Vec<WebhookSecret>> {
        Ok(self
            .state
            .borrow()
            .webhooks
            .secrets
            .get(id)
            .map(|s| s.live(at))
            .unwrap_or_default())
    }

    async fn rotate_endpoint_secret(
        &self,
        id: &str,
        secret: &WebhookSecret,
        at: Timestamp,
        until: Timestamp,
    ) -> Result<()> {
        self.state
            .borrow_mut()
            .webhooks
            .secrets
            .entry(id.to_string())
            .or_default()
            .rotate(secret, at, until);
        Ok(())
    }

    async fn delivery(&self, id: &str) -> Result<Option<Delivery>> {
        let s = self.state.borrow();
        let w = &s.webhooks;
        let Some(d) = w.deliveries.get(id) else {
            return Ok(None);
        };
        let (Some(e), Some(m)) = (
            w.endpoints.get(&d.endpoint_id),
            w.messages.get(&d.message_id),
        ) else {
            return Ok(None);
        };
        Ok(Some(Delivery {
            id: id.to_string(),
            status: d.status,
            attempts: d.attempts,
            next_attempt_at: d.next_attempt_at,
            updated_at: d.updated_at,
            endpoint_id: d.endpoint_id.clone(),
            message_id: d.message_id.clone(),
            url: e.url.clone(),
            enabled: e.enabled,
            body: m.body.clone(),
        }))
    }

    async fn claim_attempt(
        &self,
        id: &str,
        attempt: u32,
        at: Timestamp,
        seen_updated_at: Timestamp,
    ) -> Result<bool> {
        let mut s = self.state.borrow_mut();
        let Some(d) = s.webhooks.deliveries.get_mut(id) else {
            return Ok(false);
        };
        let next = d.status.is_open() && attempt.checked_sub(1) == Some(d.attempts);
        let resumed = d.status == DeliveryStatus::Sending
            && d.attempts == attempt
            && d.updated_at == seen_updated_at;
        if !(next || resumed) {
            return Ok(false);
        }
        d.status = DeliveryStatus::Sending;
        d.attempts = attempt;
        d.updated_at = at;
        Ok(true)
    }

    async fn finish_attempt(
        &self,
        delivery_id: &str,
        attempt: &AttemptRecord,
        end: &AttemptEnd,
    ) -> Result<()> {
        let mut s = self.state.borrow_mut();
        let w = &mut s.webhooks;
        let at = attempt.started_at;
        let Some(d) = w.deliveries.get_mut(delivery_id) else {
            return Ok(());
        };
        d.updated_at = at;
        match end {
            AttemptEnd::Delivered { last_status } => {
                d.status = DeliveryStatus::Delivered;
                d.delivered_at = Some(at);
                d.last_status = Some(*last_status);
                d.last_error = None;
            }
            AttemptEnd::Retrying {
                next_attempt_at,
                last_status,
                last_error,
            } => {
                d.status = DeliveryStatus::Retrying;
                d.next_attempt_at = *next_attempt_at;
                d.last_status = *last_status;
                d.last_error = last_error.clone();
            }
            AttemptEnd::Failed {
                last_status,
                last_error,
            } => {
                d.status = DeliveryStatus::Failed;
                d.last_status = *last_status;
                d.last_error = last_error.clone();
            }
            AttemptEnd::Gone { reason } => {
                d.status = DeliveryStatus::Failed;
                d.last_status = Some(410);
                d.last_error = Some(reason.clone());
                if let Some(e) = w.endpoints.get_mut(&d.endpoint_id) {
                    e.enabled = false;
                    e.disabled_reason = Some(reason.clone());
                    e.disabled_at = Some(at);
                    e.updated_at = at;
                }
            }
        }
        w.attempts
            .insert((delivery_id.to_string(), attempt.attempt), attempt.clone());
        Ok(())
    }

    async fn cancel_delivery(&self, id: &str, reason: &str, at: Timestamp) -> Result<()> {
        if let Some(d) = self.state.borrow_mut().webhooks.deliveries.get_mut(id) {
            if d.status.is_unfinished() {
                d.status = DeliveryStatus::Cancelled;
                d.last_error = Some(reason.to_string());
                d.updated_at = at;
            }
        }
        Ok(())
    }

    async fn overdue_deliveries(&self, before: Timestamp, limit: u32) -> Result<Vec<Overdue>> {
        Ok(self
            .state
            .borrow()
            .webhooks
            .deliveries
            .iter()
            .filter(|(_, d)| {
                (d.status.is_open() && d.next_attempt_at < before)
                    || (d.status == DeliveryStatus::Sending && d.updated_at < before)
            })
            .take(limit as usize)
            .map(|(id, d)| Overdue {
                id: id.clone(),
                status: d.status,
                attempts: d.attempts,
            })
            .collect())
    }

    async fn delivery_log(
        &self,
        endpoint_id: &str,
        status: Option<DeliveryStatus>,
        limit: u32,
    ) -> Result<Vec<LoggedDelivery>> {
        let s = self.state.borrow();
        let w = &s.webhooks;
        let mut mine: Vec<(&String, &StoredDelivery)> = w
            .deliveries
            .iter()
            .filter(|(_, d)| d.endpoint_id == endpoint_id && status.is_none_or(|s| d.status == s))
            .collect();
        mine.sort_by(|(a_id, a), (b_id, b)| b.created_at.cmp(&a.created_at).then(a_id.cmp(b_id)));
        Ok(mine
            .into_iter()
            .take(limit as usize)
            .map(|(id, d)| LoggedDelivery {
                id: id.clone(),
                message_id: d.message_id.clone(),
                event_type: w
                    .messages
                    .get(&d.message_id)
                    .map(|m| m.event_type.clone())
                    .unwrap_or_default(),
                status: d.status,
                attempts: d.attempts,
                next_attempt_at: d.next_attempt_at,
                last_status: d.last_status,
                last_error: d.last_error.clone(),
                delivered_at: d.delivered_at,
                created_at: d.created_at,
                attempt_log: w
                    .attempts
                    .range((id.clone(), 0)..=(id.clone(), u32::MAX))
                    .map(|(_, a)| a.clone())
                    .collect(),
            })
            .collect())
    }

    async fn deliveries_since(
        &self,
        endpoint_id: &str,
        status: DeliveryStatus,
        since: Timestamp,
        limit: u32,
    ) -> Result<Vec<String>> {
        let s = self.state.borrow();
        let mut hits: Vec<(&String, &StoredDelivery)> = s
            .webhooks
            .deliveries
            .iter()
            .filter(|(_, d)| {
                d.endpoint_id == endpoint_id && d.status == status && d.created_at >= since
            })
            .collect();
        hits.sort_by_key(|(_, d)| d.created_at);
        Ok(hits
            .into_iter()
            .take(limit as usize)
            .map(|(id, _)| id.clone())
            .collect())
    }
}
