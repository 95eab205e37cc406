//! Licenses as stored.

use fairtrain_core::time::Timestamp;

use crate::error::Result;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredLicense {
    pub id: String,
    /// The buyer's API key id.
    pub buyer: String,
    pub manifest_id: String,
    pub granted_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
    /// `operator`, or the inbound webhook that bought it.
    pub source: String,
}

impl StoredLicense {
    /// In force at `at`: granted, not expired, not revoked.
    pub fn in_force_at(&self, at: Timestamp) -> bool {
        self.granted_at <= at
            && self.expires_at.is_none_or(|e| e > at)
            && self.revoked_at.is_none_or(|r| r > at)
    }
}

#[allow(async_fn_in_trait)]
pub trait LicenseStore {
    /// Stores a license unless one with its id exists (a redelivered
    /// purchase grants nothing new).
    async fn insert_license(&self, license: &StoredLicense) -> Result<()>;
    /// Marks a license revoked at `at` unless it is already; `false` if
    /// there is no such license.
    async fn revoke_license(&self, id: &str, at: Timestamp) -> Result<bool>;
    /// A buyer's licenses for a manifest, in order of grant.
    async fn licenses_of(&self, buyer: &str, manifest_id: &str) -> Result<Vec<StoredLicense>>;

    // Reads for the ledger.
    /// Every buyer's licenses for a manifest, in order of grant.
    async fn licenses_for_manifest(&self, manifest_id: &str) -> Result<Vec<StoredLicense>>;
}
