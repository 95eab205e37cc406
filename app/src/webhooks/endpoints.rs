//! Subscriber endpoints, managed by the operator: create, read, change,
//! delete, and read their secrets.
//!
//! A destination must be a public `https` (or `http`) URL; loopback is
//! allowed only in development, so a local receiver can be tested.

use fairtrain_webhooks::destination::{check_destination, DestinationPolicy};
use fairtrain_webhooks::secret::WebhookSigningKey;
use serde::Serialize;

use super::events::EventType;
use super::fanout::check_subscription;
use super::secrets::{self, Owner};
use super::store::Endpoint;
use crate::error::{Error, Result};
use crate::keys::KeyRing;
use crate::platform::Platform;

/// What can be subscribed to (and what fairtrain accepts inbound).
#[derive(Debug, Clone, Serialize)]
pub struct EventTypes {
    pub outbound: Vec<&'static str>,
    pub inbound: Vec<&'static str>,
}

pub fn event_types() -> EventTypes {
    EventTypes {
        outbound: EventType::outbound().map(|t| t.as_str()).collect(),
        inbound: EventType::inbound().map(|t| t.as_str()).collect(),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEndpoint {
    pub url: String,
    pub event_types: Vec<String>,
    pub description: Option<String>,
}

/// A change to an endpoint: absent fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EndpointChange {
    pub url: Option<String>,
    pub event_types: Option<Vec<String>>,
    pub description: Option<String>,
    pub enabled: Option<bool>,
}

/// A new endpoint, with its secret (shown only now) and the platform's
/// `v1a` public key.
#[derive(Debug, Clone, Serialize)]
pub struct CreatedEndpoint {
    #[serde(flatten)]
    pub endpoint: Endpoint,
    pub secret: String,
    pub v1a_public_key: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Endpoints {
    pub endpoints: Vec<Endpoint>,
}

/// An endpoint's live secrets and the platform's `v1a` public key.
#[derive(Debug, Clone, Serialize)]
pub struct EndpointSecrets {
    pub secrets: Vec<String>,
    pub v1a_public_key: String,
}

/// The key that signs `v1a`: the platform's active signing key.
pub fn v1a_key(ring: &KeyRing) -> WebhookSigningKey {
    WebhookSigningKey::from_seed(&ring.active_signer().seed())
}

/// The platform's `v1a` public key, as `whpk_`.
pub fn v1a_public_key(ring: &KeyRing) -> String {
    v1a_key(ring).public_key().encode()
}

/// Checks every field given; the first refusal wins.
fn check(
    p: &impl Platform,
    url: Option<&str>,
    types: Option<&[String]>,
    description: Option<&str>,
) -> Option<Error> {
    let policy = if p.settings().development {
        DestinationPolicy::DEVELOPMENT
    } else {
        DestinationPolicy::PRODUCTION
    };
    if let Some(Err(e)) = url.map(|u| check_destination(u, &policy)) {
        return Some(Error::field("/url", e.to_string()));
    }
    if let Some(Err(e)) = types.map(check_subscription) {
        return Some(Error::field("/event_types", e));
    }
    match description {
        Some(t) if t.is_empty() || t.len() > 500 || t.chars().any(char::is_control) => {
            Some(Error::field(
                "/description",
                "1-500 characters without control characters",
            ))
        }
        _ => None,
    }
}

pub async fn create(p: &impl Platform, req: NewEndpoint) -> Result<CreatedEndpoint> {
    if let Some(e) = check(
        p,
        Some(&req.url),
        Some(&req.event_types),
        req.description.as_deref(),
    ) {
        return Err(e);
    }
    let mut id = [0u8; 16];
    p.fill_random(&mut id)?;
    let secret = secrets::mint(p)?;
    let now = p.now();
    let endpoint = Endpoint {
        id: format!("ep_{}", hex::encode(id)),
        url: req.url,
        description: req.description,
        event_types: req.event_types,
        enabled: true,
        disabled_reason: None,
        disabled_at: None,
        created_at: now,
        updated_at: now,
    };
    p.insert_endpoint(&endpoint, &secret).await?;
    Ok(CreatedEndpoint {
        endpoint: get(p, &endpoint.id).await?,
        secret: secret.encode(),
        v1a_public_key: v1a_public_key(&p.keys()?),
    })
}

pub async fn list(p: &impl Platform) -> Result<Endpoints> {
    Ok(Endpoints {
        endpoints: p.endpoints().await?,
    })
}

pub async fn get(p: &impl Platform, id: &str) -> Result<Endpoint> {
    p.endpoint(id)
        .await?
        .ok_or_else(|| secrets::not_found(Owner::Endpoint(id)))
}

/// Changes the URL, subscriptions or description, or re-enables an
/// endpoint that answered 410 (or disables one by hand). A description is
/// replaced, never removed.
pub async fn update(p: &impl Platform, id: &str, change: EndpointChange) -> Result<Endpoint> {
    let current = get(p, id).await?;
    if let Some(e) = check(
        p,
        change.url.as_deref(),
        change.event_types.as_deref(),
        change.description.as_deref(),
    ) {
        return Err(e);
    }
    let now = p.now();
    let enabled = change.enabled.unwrap_or(current.enabled);
    let (disabled_reason, disabled_at) = if enabled {
        (None, None)
    } else if !current.enabled {
        (current.disabled_reason.clone(), current.disabled_at)
    } else {
        (Some("disabled by the operator".to_string()), Some(now))
    };
    let next = Endpoint {
        url: change.url.unwrap_or(current.url),
        description: change.description.or(current.description),
        event_types: change.event_types.unwrap_or(current.event_types),
        enabled,
        disabled_reason,
        disabled_at,
        updated_at: now,
        ..current
    };
    p.update_endpoint(&next).await?;
    get(p, id).await
}

/// Removes the endpoint, its secrets and its delivery log.
pub async fn delete(p: &impl Platform, id: &str) -> Result<()> {
    get(p, id).await?;
    p.delete_endpoint(id).await
}

/// The current secret and any still in their overlap.
pub async fn secrets(p: &impl Platform, id: &str) -> Result<EndpointSecrets> {
    get(p, id).await?;
    let live = secrets::live(p, Owner::Endpoint(id)).await?;
    Ok(EndpointSecrets {
        secrets: live.iter().map(|s| s.encode()).collect(),
        v1a_public_key: v1a_public_key(&p.keys()?),
    })
}
