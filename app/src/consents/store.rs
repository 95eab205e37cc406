//! Consents as stored: the signed token and revocation (canonical JSON),
//! the facts the rest of the system asks about, and the log entry.

use fairtrain_core::time::Timestamp;

use crate::error::Result;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredConsent {
    pub id: String,
    pub creator: String,
    /// The signed VC, canonical JSON.
    pub token: String,
    pub consent_hash: String,
    pub policy_version: String,
    pub jurisdiction: String,
    pub valid_from: Timestamp,
    pub valid_until: Timestamp,
    pub granted_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
    /// The signed revocation, canonical JSON.
    pub revocation: Option<String>,
    pub log_entry_hash: String,
}

#[allow(async_fn_in_trait)]
pub trait ConsentStore {
    async fn consent(&self, id: &str) -> Result<Option<StoredConsent>>;
    /// The consents among `ids` that exist, in no particular order.
    async fn consents(&self, ids: &[&str]) -> Result<Vec<StoredConsent>>;
    /// Stores a new consent and the asset hashes it covers, all or nothing.
    async fn insert_consent(&self, consent: &StoredConsent, asset_hashes: &[String]) -> Result<()>;
    /// Marks a consent revoked (if it is not already).
    async fn record_revocation(&self, id: &str, at: Timestamp, revocation: &str) -> Result<()>;
}
