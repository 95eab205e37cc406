//! Manifests, their asset records and their revocation flags.
//!
//! A manifest's asset records are written first, in bulk, and the manifest
//! last: until the manifest exists, its asset records are invisible.

use fairtrain_consent::consent::Jurisdiction;
use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::time::Timestamp;
use fairtrain_manifest::terms::{AttributionModel, UsagePolicy};
use fairtrain_manifest::{AssetRecord, ManifestState, RevokedAsset};
use fairtrain_tlog::Hash;

use crate::error::Result;

/// A published manifest as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredManifest {
    pub id: String,
    pub snapshot_id: String,
    pub name: String,
    /// The signed VC, canonical JSON.
    pub document: String,
    /// SHA-256 of `document` (the strong ETag).
    pub manifest_hash: Sha256Digest,
    pub assets_root: Hash,
    pub asset_count: u64,
    /// The root of each page of asset records, in order.
    pub page_roots: Vec<Hash>,
    pub created_at: Timestamp,
    /// The `manifest.published` log entry's hash.
    pub log_entry_hash: Sha256Digest,
    pub status: ManifestState,
}

/// An asset record to store under a manifest, at its leaf index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAsset {
    pub idx: u64,
    pub record: AssetRecord,
    /// `record`'s canonical JSON (the tree's leaf).
    pub canonical: String,
}

/// The consent behind one asset of a manifest, as it stands now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetConsent {
    /// The signed consent token, canonical JSON.
    pub token: String,
    pub revoked_at: Option<Timestamp>,
}

/// Which contributions a composition scans
/// ([`ContributionStore::manifest_candidates`](crate::platform::ContributionStore::manifest_candidates)).
/// Only contributions whose consent is stored are candidates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CandidateQuery {
    /// The contributor's did:key.
    pub creator: Option<String>,
    pub media_type: Option<String>,
    /// The consent's jurisdiction.
    pub jurisdiction: Option<Jurisdiction>,
    /// Only these assets.
    pub assets: Option<Vec<Sha256Digest>>,
}

/// A contribution a composition considers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CandidateContribution {
    pub receipt_id: String,
    pub asset_hash: Sha256Digest,
    /// The contributor's did:key.
    pub contributor: String,
    pub consent_id: String,
    /// The gateway's route for it.
    pub route: String,
    pub media_type: String,
    pub size: u64,
    /// Its `asset.ingested` log entry.
    pub log_entry_hash: Sha256Digest,
}

#[allow(async_fn_in_trait)]
pub trait ManifestStore {
    async fn manifest_exists(&self, id: &str) -> Result<bool>;
    /// Flags every asset record under `consent_id` in a published manifest
    /// (once), and turns those manifests from clean to flagged; returns the
    /// ids of every manifest flagged for this consent.
    async fn flag_consent(&self, consent_id: &str, revoked_at: Timestamp) -> Result<Vec<String>>;
    /// Stores asset records under `manifest_id`, all or nothing, as one
    /// statement (callers pass a few thousand at a time).
    async fn insert_manifest_assets(&self, manifest_id: &str, assets: &[NewAsset]) -> Result<()>;
    /// Stores the manifest, which makes its asset records visible.
    async fn insert_manifest(&self, manifest: &StoredManifest) -> Result<()>;
    async fn manifest(&self, id: &str) -> Result<Option<StoredManifest>>;
    /// The asset records with leaf index in `start..end`, in order.
    async fn manifest_assets(&self, id: &str, start: u64, end: u64) -> Result<Vec<AssetRecord>>;
    /// The leaf index of an asset in a manifest.
    async fn manifest_asset_index(&self, id: &str, hash: &Sha256Digest) -> Result<Option<u64>>;
    /// How many distinct consents the manifest's assets use.
    async fn manifest_consent_count(&self, id: &str) -> Result<u64>;
    /// Up to `limit` of the manifest's distinct consent tokens (canonical
    /// JSON), in consent id order, from the `offset`th.
    async fn manifest_consent_tokens(
        &self,
        id: &str,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<String>>;
    /// Up to `limit` of the manifest's flagged assets, by content hash.
    async fn manifest_flags(&self, id: &str, limit: u32) -> Result<Vec<RevokedAsset>>;
    /// The consent behind an asset of a manifest (`None`: not in it).
    async fn asset_consent(
        &self,
        manifest_id: &str,
        hash: &Sha256Digest,
    ) -> Result<Option<AssetConsent>>;

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

impl ManifestTerms {
    /// The terms of a stored manifest: its usage policy is in the signed document.
    pub fn of(m: &StoredManifest) -> Result<ManifestTerms> {
        let doc: serde_json::Value = serde_json::from_str(&m.document)?;
        Ok(ManifestTerms {
            id: m.id.clone(),
            snapshot_id: m.snapshot_id.clone(),
            manifest_hash: m.manifest_hash,
            created_at: m.created_at,
            usage_policy: serde_json::from_value(doc["credentialSubject"]["usage_policy"].clone())?,
        })
    }
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
