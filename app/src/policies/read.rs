//! Reading policies, and which one is in force.

use fairtrain_consent::policy::Policy;
use fairtrain_core::time::Timestamp;
use serde::Serialize;
use serde_json::Value;

use super::store::StoredPolicy;
use crate::error::{Error, Result};
use crate::platform::Platform;

#[derive(Debug, Serialize)]
pub struct PolicyView {
    pub policy_version: String,
    pub effective_date: String,
    pub policy_hash: String,
    pub published_at: String,
    pub log_entry_hash: String,
    pub policy: Value,
}

impl PolicyView {
    pub(crate) fn of(row: StoredPolicy) -> Result<PolicyView> {
        Ok(PolicyView {
            policy: serde_json::from_str(&row.document)?,
            policy_version: row.version,
            effective_date: row.effective_date,
            policy_hash: row.policy_hash,
            published_at: row.published_at.format_rfc3339(),
            log_entry_hash: row.log_entry_hash,
        })
    }
}

/// The version in force at `at`: the latest effective date not after that
/// day, and of those the latest published.
pub fn choose_in_force(policies: &[StoredPolicy], at: Timestamp) -> Option<&StoredPolicy> {
    let day = at.format_rfc3339();
    let today = &day[..10];
    policies
        .iter()
        .filter(|p| p.effective_date.as_str() <= today)
        .max_by(|a, b| {
            (a.effective_date.as_str(), a.published_at)
                .cmp(&(b.effective_date.as_str(), b.published_at))
        })
}

/// The policy in force now, parsed.
pub async fn in_force(p: &impl Platform) -> Result<Policy> {
    let row = in_force_row(p).await?;
    Ok(serde_json::from_str(&row.document)?)
}

async fn in_force_row(p: &impl Platform) -> Result<StoredPolicy> {
    let all = p.policies().await?;
    choose_in_force(&all, p.now()).cloned().ok_or_else(|| {
        Error::unavailable(
            "no consent policy is in force yet: the operator publishes one with POST /v1/policies",
        )
    })
}

pub async fn list(p: &impl Platform) -> Result<Vec<PolicyView>> {
    p.policies()
        .await?
        .into_iter()
        .map(PolicyView::of)
        .collect()
}

/// One version; `current` names the one in force.
pub async fn read(p: &impl Platform, version: &str) -> Result<PolicyView> {
    let row = if version == "current" {
        Some(in_force_row(p).await?)
    } else {
        p.policy(version).await?
    };
    let row = row.ok_or_else(|| Error::not_found(&format!("/v1/policies/{version}")))?;
    PolicyView::of(row)
}
