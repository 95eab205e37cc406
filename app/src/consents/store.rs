//! Consents as stored: the signed token and revocation (canonical JSON),
//! the facts the rest of the system asks about, and the log entry.

use fairtrain_core::time::Timestamp;

use crate::error::Result;
use crate::log::PendingEntry;

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

/// When a consent holds: what judging a use at a time needs (no token).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConsentWindow {
    pub valid_from: Timestamp,
    pub valid_until: Timestamp,
    pub revoked_at: Option<Timestamp>,
}

impl StoredConsent {
    pub fn window(&self) -> ConsentWindow {
        ConsentWindow {
            valid_from: self.valid_from,
            valid_until: self.valid_until,
            revoked_at: self.revoked_at,
        }
    }
}

#[allow(async_fn_in_trait)]
pub trait ConsentStore {
    async fn consent(&self, id: &str) -> Result<Option<StoredConsent>>;
    /// The consents among `ids` that exist, in no particular order.
    async fn consents(&self, ids: &[&str]) -> Result<Vec<StoredConsent>>;
    /// The validity windows of the consents among `ids` that exist, by id:
    /// a light read for judging many uses (no tokens).
    async fn consent_windows(&self, ids: &[&str]) -> Result<Vec<(String, ConsentWindow)>>;
    /// Stores a new consent, the asset hashes it covers and its log entry
    /// (in the outbox), all or nothing.
    async fn insert_consent(
        &self,
        consent: &StoredConsent,
        asset_hashes: &[String],
        log: &[PendingEntry],
    ) -> Result<()>;
    /// Marks a consent revoked at `at`, with its log entry, all or nothing;
    /// `false` (and nothing written) if it was revoked already.
    async fn record_revocation(
        &self,
        id: &str,
        at: Timestamp,
        revocation: &str,
        log: &[PendingEntry],
    ) -> Result<bool>;
}
