//! Publishing a policy version.

use fairtrain_consent::log_event::{self, LogEvent, SCHEMA_VERSION};
use fairtrain_consent::policy::Policy;
use serde::Serialize;

use super::read::PolicyView;
use super::store::StoredPolicy;
use crate::error::{Error, Result};
use crate::gateway::{reroute, Which};
use crate::log::PendingEntry;
use crate::platform::Platform;

#[derive(Debug, Serialize)]
pub struct NewPolicy {
    pub policy_version: String,
    pub effective_date: String,
    pub policy_hash: String,
    pub published_at: String,
    pub log_entry_hash: String,
    pub rerouted: usize,
}

#[derive(Debug)]
pub enum Published {
    New(NewPolicy),
    /// The same document was published before under this version.
    Unchanged(PolicyView),
}

/// Versions are immutable: the same document again changes nothing, a
/// different one under a known version is a conflict.
pub async fn publish(p: &impl Platform, policy: Policy) -> Result<Published> {
    policy
        .validate()
        .map_err(|e| Error::field("", e.to_string()))?;
    let hash = policy.hash()?;
    if let Some(row) = p.policy(&policy.policy_version).await? {
        if row.policy_hash == hash.to_string() {
            return Ok(Published::Unchanged(PolicyView::of(row)?));
        }
        return Err(Error::conflict(format!(
            "policy version {} exists with different content; publish a new version",
            policy.policy_version
        )));
    }
    let now = p.now();
    let entry = log_event::entry(LogEvent::PolicyPublished {
        v: SCHEMA_VERSION,
        at: now,
        policy_version: policy.policy_version.clone(),
        policy_hash: hash,
    })?;
    let entry_hash = entry.hash.to_string();
    p.insert_policy(
        &StoredPolicy {
            version: policy.policy_version.clone(),
            effective_date: policy.effective_date.clone(),
            document: serde_json::to_string(&policy)?,
            policy_hash: hash.to_string(),
            published_at: now,
            log_entry_hash: entry_hash.clone(),
        },
        &[PendingEntry::from(&entry)],
    )
    .await?;
    crate::log::flush(p, &[entry]).await;
    let rerouted = reroute(p, Which::All).await?;
    Ok(Published::New(NewPolicy {
        policy_version: policy.policy_version,
        effective_date: policy.effective_date,
        policy_hash: hash.to_string(),
        published_at: now.format_rfc3339(),
        log_entry_hash: entry_hash,
        rerouted,
    }))
}
