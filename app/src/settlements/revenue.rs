//! Revenue reported for a revenue-share manifest, shared at the next settlement.

use fairtrain_manifest::terms::AttributionModel;
use serde::{Deserialize, Serialize};

use super::store::StoredRevenue;
use crate::error::{Error, Result};
use crate::platform::Platform;

/// The largest integer a JSON number carries exactly (2^53 - 1).
const MAX_AMOUNT_MINOR: u64 = 9_007_199_254_740_991;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Revenue {
    pub amount_minor: u64,
    pub currency: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RevenueRecorded {
    pub revenue_id: String,
    pub manifest_id: String,
    pub amount_minor: String,
    pub currency: String,
    pub reported_at: String,
}

/// Records revenue for `manifest_id`, which must be a revenue-share
/// manifest priced in the same currency.
pub async fn record_revenue(
    p: &impl Platform,
    manifest_id: &str,
    r: &Revenue,
) -> Result<RevenueRecorded> {
    let terms = p
        .manifest_terms(&[manifest_id])
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| Error::not_found(&format!("/v1/manifests/{manifest_id}")))?;
    let policy = terms.usage_policy;
    if policy.attribution_model != AttributionModel::RevenueShare {
        return Err(Error::field(
            "/",
            "this manifest's attribution model is not revenue_share",
        ));
    }
    if r.currency != policy.price.currency {
        return Err(Error::field(
            "/currency",
            format!("the manifest is priced in {}", policy.price.currency),
        ));
    }
    if r.amount_minor == 0 || r.amount_minor > MAX_AMOUNT_MINOR {
        return Err(Error::field(
            "/amount_minor",
            "a whole number of minor units, 1 to 2^53-1",
        ));
    }
    let id = p.urn()?;
    let now = p.now();
    p.insert_revenue(&StoredRevenue {
        id: id.clone(),
        manifest_id: manifest_id.to_string(),
        amount_minor: r.amount_minor,
        currency: r.currency.clone(),
        reported_at: now,
    })
    .await?;
    Ok(RevenueRecorded {
        revenue_id: id,
        manifest_id: manifest_id.to_string(),
        amount_minor: r.amount_minor.to_string(),
        currency: r.currency.clone(),
        reported_at: now.format_rfc3339(),
    })
}
