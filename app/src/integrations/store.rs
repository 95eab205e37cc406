//! Integrations, their secrets, and the inbound events they sent.

use std::fmt;
use std::str::FromStr;

use fairtrain_core::time::Timestamp;
use fairtrain_webhooks::WebhookSecret;
use serde::{Serialize, Serializer};

use crate::error::Result;

/// How an integration signs what it sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntegrationKind {
    /// Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`).
    StandardWebhooks,
    /// Stripe's `Stripe-Signature`, and Stripe's event objects.
    Stripe,
}

impl IntegrationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            IntegrationKind::StandardWebhooks => "standard_webhooks",
            IntegrationKind::Stripe => "stripe",
        }
    }
}

impl FromStr for IntegrationKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "standard_webhooks" => Ok(IntegrationKind::StandardWebhooks),
            "stripe" => Ok(IntegrationKind::Stripe),
            _ => Err("standard_webhooks or stripe".into()),
        }
    }
}

impl fmt::Display for IntegrationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for IntegrationKind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A marketplace or payment processor that sends fairtrain events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Integration {
    /// `int_` + 32 hex digits.
    pub id: String,
    pub name: String,
    pub kind: IntegrationKind,
    pub enabled: bool,
    pub created_at: Timestamp,
}

/// What became of an inbound event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Applied,
    /// A type fairtrain does not act on: acknowledged and recorded only.
    Ignored,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Applied => "applied",
            Outcome::Ignored => "ignored",
        }
    }
}

impl FromStr for Outcome {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "applied" => Ok(Outcome::Applied),
            "ignored" => Ok(Outcome::Ignored),
            _ => Err(format!("unknown inbound outcome {s:?}")),
        }
    }
}

impl Serialize for Outcome {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// An inbound event received once, as recorded and as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InboundRecord {
    pub webhook_id: String,
    pub event_type: String,
    pub received_at: Timestamp,
    /// What it changed: a license id, a payout line id (`-` if nothing).
    pub subject: String,
    pub outcome: Outcome,
    pub detail: Option<String>,
    /// Its `webhook.applied` log entry, once logged.
    pub log_entry_hash: Option<String>,
}

#[allow(async_fn_in_trait)]
pub trait IntegrationStore {
    /// Stores a new integration with its first (current) secret, created at
    /// the integration's `created_at`; all or nothing.
    async fn insert_integration(
        &self,
        integration: &Integration,
        secret: &WebhookSecret,
    ) -> Result<()>;
    async fn integration(&self, id: &str) -> Result<Option<Integration>>;
    /// Every integration, oldest first (ties by id).
    async fn integrations(&self) -> Result<Vec<Integration>>;
    /// An integration's secrets valid at `at` (no expiry, or expiring after
    /// it): the current one first, then newest first.
    async fn integration_secrets(&self, id: &str, at: Timestamp) -> Result<Vec<WebhookSecret>>;
    /// At once: every secret of the integration valid at `until` now
    /// expires at `until`, and `secret` becomes current, created `at`.
    async fn rotate_integration_secret(
        &self,
        id: &str,
        secret: &WebhookSecret,
        at: Timestamp,
        until: Timestamp,
    ) -> Result<()>;
    /// The record of an event already received, if any.
    async fn inbound_event(
        &self,
        integration_id: &str,
        webhook_id: &str,
    ) -> Result<Option<InboundRecord>>;
    /// Records an event unless one with its webhook id is recorded for the
    /// integration already (the first writer wins); `false` if it was.
    async fn record_inbound_event(
        &self,
        integration_id: &str,
        record: &InboundRecord,
    ) -> Result<bool>;
    /// Notes the log entry of a recorded event.
    async fn set_inbound_log_entry(
        &self,
        integration_id: &str,
        webhook_id: &str,
        entry_hash: &str,
    ) -> Result<()>;
    /// An integration's events, newest first, at most `limit`.
    async fn inbound_events(&self, integration_id: &str, limit: u32) -> Result<Vec<InboundRecord>>;
}
