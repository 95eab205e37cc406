//! Webhook secrets (`whsec_…`), minted from the platform's randomness and
//! kept per endpoint (outbound) or integration (inbound). A rotation keeps
//! the older secrets valid until an overlap ends, so both sides switch
//! without a gap: outbound deliveries carry a `v1` signature per live
//! secret, inbound events may be signed with any of them.

use fairtrain_core::time::Timestamp;
use fairtrain_webhooks::secret::RECOMMENDED_SECRET_LEN;
use fairtrain_webhooks::WebhookSecret;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::platform::{Ids, Platform};

/// The longest overlap a rotation may ask for.
pub const MAX_OVERLAP_SECS: u64 = 7 * 86_400;
/// The overlap when none is asked for: one day.
pub const DEFAULT_OVERLAP_SECS: u64 = 86_400;

/// Whose secrets: an outbound endpoint's or an inbound integration's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner<'a> {
    Endpoint(&'a str),
    Integration(&'a str),
}

/// A new secret of the spec's recommended length.
pub fn mint(p: &impl Ids) -> Result<WebhookSecret> {
    let mut bytes = [0u8; RECOMMENDED_SECRET_LEN];
    p.fill_random(&mut bytes)?;
    Ok(WebhookSecret::from_random(&bytes)?)
}

/// The owner's secrets valid now: the current one first, then newest first.
pub async fn live(p: &impl Platform, owner: Owner<'_>) -> Result<Vec<WebhookSecret>> {
    let now = p.now();
    match owner {
        Owner::Endpoint(id) => p.endpoint_secrets(id, now).await,
        Owner::Integration(id) => p.integration_secrets(id, now).await,
    }
}

/// What a rotation answers: the new secret (shown once) and when the older
/// ones stop being valid.
#[derive(Debug, Clone, Serialize)]
pub struct Rotated {
    pub secret: String,
    pub previous_expires_at: Timestamp,
}

/// Rotates: a new secret becomes current, and every older one still valid
/// stops after `overlap_secs` at the latest (default a day, at most a week;
/// 0 ends them now).
pub async fn rotate(
    p: &impl Platform,
    owner: Owner<'_>,
    overlap_secs: Option<u64>,
) -> Result<Rotated> {
    let exists = match owner {
        Owner::Endpoint(id) => p.endpoint(id).await?.is_some(),
        Owner::Integration(id) => p.integration(id).await?.is_some(),
    };
    if !exists {
        return Err(not_found(owner));
    }
    let overlap_secs = overlap_secs.unwrap_or(DEFAULT_OVERLAP_SECS);
    if overlap_secs > MAX_OVERLAP_SECS {
        return Err(Error::field(
            "/overlap_seconds",
            format!("at most {MAX_OVERLAP_SECS} (7 days)"),
        ));
    }
    let secret = mint(p)?;
    let now = p.now();
    let until = now
        .checked_add_seconds(overlap_secs as i64)
        .ok_or_else(|| Error::internal("time overflow"))?;
    match owner {
        Owner::Endpoint(id) => p.rotate_endpoint_secret(id, &secret, now, until).await?,
        Owner::Integration(id) => p.rotate_integration_secret(id, &secret, now, until).await?,
    }
    Ok(Rotated {
        secret: secret.encode(),
        previous_expires_at: until,
    })
}

/// The owner is not there.
pub fn not_found(owner: Owner<'_>) -> Error {
    match owner {
        Owner::Endpoint(id) => Error::not_found(&format!("/v1/webhooks/endpoints/{id}")),
        Owner::Integration(id) => Error::not_found(&format!("/v1/integrations/{id}")),
    }
}
