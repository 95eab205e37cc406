//! Published policy versions.

use fairtrain_core::time::Timestamp;

use crate::error::Result;
use crate::log::PendingEntry;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPolicy {
    pub version: String,
    /// `YYYY-MM-DD`.
    pub effective_date: String,
    /// The policy JSON as published.
    pub document: String,
    pub policy_hash: String,
    pub published_at: Timestamp,
    pub log_entry_hash: String,
}

#[allow(async_fn_in_trait)]
pub trait PolicyStore {
    async fn policy(&self, version: &str) -> Result<Option<StoredPolicy>>;
    /// Every version, in order of effective date, then publication.
    async fn policies(&self) -> Result<Vec<StoredPolicy>>;
    /// Stores a version with its log entry (in the outbox), all or nothing.
    async fn insert_policy(&self, policy: &StoredPolicy, log: &[PendingEntry]) -> Result<()>;
}
