//! Reading an asset with its contributions, and a storage receipt: the
//! operator and auditors see everything, a creator their own.

use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::principal::{Principal, Role};
use serde::Serialize;
use serde_json::Value;

use super::store::StoredContribution;
use crate::error::{Error, Result};
use crate::platform::Platform;

#[derive(Debug, Serialize)]
pub struct AssetView {
    pub hash: String,
    pub size: u64,
    pub media_type: String,
    pub stored_at: String,
    pub contributions: Vec<ContributionView>,
}

/// A contribution and where it was routed.
#[derive(Debug, Serialize)]
pub struct ContributionView {
    pub receipt_id: String,
    pub contributor: String,
    pub consent_id: String,
    pub scope: String,
    pub route: String,
    pub route_reason: String,
    pub policy_version: String,
    pub ingested_at: String,
    pub routed_at: String,
}

impl From<StoredContribution> for ContributionView {
    fn from(c: StoredContribution) -> ContributionView {
        ContributionView {
            receipt_id: c.receipt_id,
            contributor: c.contributor,
            consent_id: c.consent_id,
            scope: c.scope,
            route: c.route,
            route_reason: c.route_reason,
            policy_version: c.policy_version,
            ingested_at: c.ingested_at.format_rfc3339(),
            routed_at: c.routed_at.format_rfc3339(),
        }
    }
}

/// An asset and the contributions `reader` may see; a creator who
/// contributed none of it does not learn it exists.
pub async fn asset(
    p: &impl Platform,
    reader: &Principal,
    hash: &Sha256Digest,
) -> Result<AssetView> {
    let hash = hash.to_string();
    let not_found = || Error::not_found(&format!("/v1/assets/{hash}"));
    let blob = p.blob(&hash).await?.ok_or_else(not_found)?;
    let visible: Vec<ContributionView> = p
        .contributions_of(&hash)
        .await?
        .into_iter()
        .filter(|c| reader.role != Role::Creator || c.contributor == reader.id)
        .map(ContributionView::from)
        .collect();
    if reader.role == Role::Creator && visible.is_empty() {
        return Err(not_found());
    }
    Ok(AssetView {
        hash: blob.hash,
        size: blob.size,
        media_type: blob.media_type,
        stored_at: blob.stored_at.format_rfc3339(),
        contributions: visible,
    })
}

/// The storage receipt `id`, to its creator (or anyone who may read all).
pub async fn receipt(p: &impl Platform, reader: &Principal, id: &str) -> Result<Value> {
    let c = p
        .contribution(id)
        .await?
        .ok_or_else(|| Error::not_found(&format!("/v1/receipts/{id}")))?;
    if reader.role == Role::Creator && reader.id != c.contributor {
        return Err(Error::forbidden("this receipt belongs to another creator"));
    }
    Ok(serde_json::from_str(&c.receipt)?)
}
