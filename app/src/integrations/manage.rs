//! Registering integrations and reading what they sent.

use serde::Serialize;

use super::store::{InboundRecord, Integration, IntegrationKind};
use crate::error::{Error, Result};
use crate::platform::Platform;
use crate::webhooks::secrets::{self, Owner};

/// At most this many events are listed.
pub const EVENTS_LIMIT: u32 = 1000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewIntegration {
    pub name: String,
    /// `standard_webhooks` or `stripe`.
    pub kind: String,
}

/// An integration as the API shows it, with the URL it sends to.
#[derive(Debug, Clone, Serialize)]
pub struct IntegrationView {
    #[serde(flatten)]
    pub integration: Integration,
    pub inbound_url: String,
}

impl IntegrationView {
    /// `origin`: the API's scheme, host and port (`https://api.example`).
    pub fn new(integration: Integration, origin: &str) -> IntegrationView {
        let inbound_url = format!("{origin}/v1/inbound/{}", integration.id);
        IntegrationView {
            integration,
            inbound_url,
        }
    }
}

/// A new integration, with its secret (shown only now).
#[derive(Debug, Clone, Serialize)]
pub struct Created {
    #[serde(flatten)]
    pub integration: IntegrationView,
    pub secret: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Integrations {
    pub integrations: Vec<IntegrationView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct InboundEvents {
    pub integration_id: String,
    pub events: Vec<InboundRecord>,
}

pub async fn create(p: &impl Platform, origin: &str, req: NewIntegration) -> Result<Created> {
    if req.name.is_empty() || req.name.len() > 100 || req.name.chars().any(char::is_control) {
        return Err(Error::field(
            "/name",
            "1-100 characters without control characters",
        ));
    }
    let kind: IntegrationKind = req.kind.parse().map_err(|e| Error::field("/kind", e))?;
    let mut id = [0u8; 16];
    p.fill_random(&mut id)?;
    let secret = secrets::mint(p)?;
    let integration = Integration {
        id: format!("int_{}", hex::encode(id)),
        name: req.name,
        kind,
        enabled: true,
        created_at: p.now(),
    };
    p.insert_integration(&integration, &secret).await?;
    let stored = p
        .integration(&integration.id)
        .await?
        .ok_or_else(|| Error::internal("integration vanished"))?;
    Ok(Created {
        integration: IntegrationView::new(stored, origin),
        secret: secret.encode(),
    })
}

pub async fn list(p: &impl Platform, origin: &str) -> Result<Integrations> {
    Ok(Integrations {
        integrations: p
            .integrations()
            .await?
            .into_iter()
            .map(|i| IntegrationView::new(i, origin))
            .collect(),
    })
}

pub async fn get(p: &impl Platform, origin: &str, id: &str) -> Result<IntegrationView> {
    let integration = p
        .integration(id)
        .await?
        .ok_or_else(|| secrets::not_found(Owner::Integration(id)))?;
    Ok(IntegrationView::new(integration, origin))
}

/// What an integration sent, as applied, newest first.
pub async fn events(p: &impl Platform, integration_id: &str) -> Result<InboundEvents> {
    Ok(InboundEvents {
        integration_id: integration_id.to_string(),
        events: p.inbound_events(integration_id, EVENTS_LIMIT).await?,
    })
}
