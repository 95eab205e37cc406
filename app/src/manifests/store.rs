//! Manifests, their asset records and their revocation flags.

use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::time::Timestamp;
use fairtrain_manifest::terms::{AttributionModel, UsagePolicy};

use crate::error::Result;

#[allow(async_fn_in_trait)]
pub trait ManifestStore {
    async fn manifest_exists(&self, id: &str) -> Result<bool>;
    /// Flags every asset record under `consent_id` in a published manifest
    /// (once), and turns those manifests from clean to flagged; returns the
    /// ids of every manifest flagged for this consent.
    async fn flag_consent(&self, consent_id: &str, revoked_at: Timestamp) -> Result<Vec<String>>;

    // Reads for the ledger.
    /// The published manifests among `ids`, with their usage terms.
    async fn manifest_terms(&self, ids: &[&str]) -> Result<Vec<ManifestTerms>>;
    /// Every published manifest priced by one of `models`.
    async fn manifests_priced_by(&self, models: &[AttributionModel]) -> Result<Vec<ManifestTerms>>;
    /// The asset records of `manifest_id` with one of `hashes` or at one of
    /// `leaves`.
    async fn manifest_assets_matching(
        &self,
        manifest_id: &str,
        hashes: &[Sha256Digest],
        leaves: &[u64],
    ) -> Result<Vec<ManifestAssetRef>>;
}

// For the ledger.

/// What usage needs of a published manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestTerms {
    pub id: String,
    pub snapshot_id: String,
    pub manifest_hash: Sha256Digest,
    pub created_at: Timestamp,
    /// The signed document's `credentialSubject.usage_policy`.
    pub usage_policy: UsagePolicy,
}

/// One asset record of a manifest, as usage resolves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestAssetRef {
    /// Its leaf index in the manifest.
    pub idx: u64,
    pub content_hash: Sha256Digest,
    pub creator: String,
    pub consent_id: String,
}
