//! Contributions, the blobs they point at, the per-creator upload rate, and
//! multipart uploads in progress.

use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::time::Timestamp;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::gateway::Which;
use crate::log::PendingEntry;
use crate::manifests::store::{CandidateContribution, CandidateQuery};

/// One stored copy of some bytes, by content hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBlob {
    /// `sha256:<hex>`.
    pub hash: String,
    pub object_key: String,
    pub size: u64,
    pub media_type: String,
    pub stored_at: Timestamp,
}

/// A creator's upload of some bytes under a consent, and where the gateway
/// routed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredContribution {
    pub receipt_id: String,
    pub asset_hash: String,
    /// The creator's did.
    pub contributor: String,
    pub consent_id: String,
    /// The signed envelope, canonical JSON.
    pub envelope: String,
    pub envelope_hash: String,
    pub scope: String,
    pub license: String,
    pub media_type: String,
    pub size: u64,
    pub route: String,
    pub route_reason: String,
    /// The policy version the route was decided under.
    pub policy_version: String,
    pub routed_at: Timestamp,
    pub ingested_at: Timestamp,
    /// The platform-signed storage receipt, JSON.
    pub receipt: String,
    pub log_entry_hash: String,
}

impl StoredContribution {
    pub fn routed(&self) -> RoutedContribution {
        RoutedContribution {
            receipt_id: self.receipt_id.clone(),
            asset_hash: self.asset_hash.clone(),
            scope: self.scope.clone(),
            route: self.route.clone(),
            route_reason: self.route_reason.clone(),
            consent_id: self.consent_id.clone(),
        }
    }
}

/// What the gateway needs of a contribution to route it again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutedContribution {
    pub receipt_id: String,
    pub asset_hash: String,
    pub scope: String,
    pub route: String,
    pub route_reason: String,
    pub consent_id: String,
}

/// A new route for a contribution, under the policy version that decided it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteChange {
    pub receipt_id: String,
    pub route: String,
    pub reason: String,
    pub policy_version: String,
    pub routed_at: Timestamp,
}

#[allow(async_fn_in_trait)]
pub trait ContributionStore {
    /// Up to `limit` contributions selected by `which` with a receipt id
    /// after `after`, in receipt id order.
    async fn routed_contributions(
        &self,
        which: Which<'_>,
        after: &str,
        limit: u32,
    ) -> Result<Vec<RoutedContribution>>;
    /// Applies route changes with their log entries (in the outbox), all
    /// or nothing.
    async fn update_routes(&self, changes: &[RouteChange], log: &[PendingEntry]) -> Result<()>;
    /// Counts one upload by `did` in the Unix minute `minute` and returns
    /// that minute's count so far, this one included.
    async fn count_upload(&self, did: &str, minute: i64) -> Result<u64>;
    /// Stores `blob` unless a blob with its hash is stored, and returns the
    /// one stored: the first writer wins.
    async fn keep_blob(&self, blob: &StoredBlob) -> Result<StoredBlob>;
    async fn blob(&self, hash: &str) -> Result<Option<StoredBlob>>;
    async fn insert_contribution(&self, contribution: &StoredContribution) -> Result<()>;
    async fn contribution(&self, receipt_id: &str) -> Result<Option<StoredContribution>>;
    /// An asset's contributions, in order of ingestion.
    async fn contributions_of(&self, asset_hash: &str) -> Result<Vec<StoredContribution>>;

    // Reads for manifests.
    /// Up to `limit` contributions matching `query` (whose consent is
    /// stored), in (asset hash, receipt id) order, after `after`.
    async fn manifest_candidates(
        &self,
        query: &CandidateQuery,
        after: Option<(&Sha256Digest, &str)>,
        limit: u32,
    ) -> Result<Vec<CandidateContribution>>;
}

/// A part of a multipart upload, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Part {
    pub part: u16,
    /// The storage's tag for the part, needed to assemble the object.
    pub etag: String,
    pub size: u64,
}

/// A multipart upload in progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredUpload {
    pub id: String,
    /// The blob storage's id of the multipart upload.
    pub multipart_id: String,
    pub object_key: String,
    /// The creator's did.
    pub contributor: String,
    /// The signed envelope, canonical JSON.
    pub envelope: String,
    pub declared_hash: String,
    pub declared_size: u64,
    pub media_type: String,
    /// The parts recorded so far, in order.
    pub parts: Vec<Part>,
    /// Bytes recorded so far.
    pub received: u64,
    /// Kept in whole seconds.
    pub created_at: Timestamp,
    /// Kept in whole seconds.
    pub expires_at: Timestamp,
}

impl StoredUpload {
    /// Whether the upload expired before `now` (in whole seconds, as kept).
    pub fn expired(&self, now: Timestamp) -> bool {
        self.expires_at.unix_seconds() < now.unix_seconds()
    }
}

#[allow(async_fn_in_trait)]
pub trait UploadStore {
    async fn insert_upload(&self, upload: &StoredUpload) -> Result<()>;
    async fn upload(&self, id: &str) -> Result<Option<StoredUpload>>;
    /// Records `parts` and `received` only if the upload's bytes received
    /// are still `expected` (compare and set); `false` if another request
    /// recorded a part meanwhile (or the upload is gone).
    async fn record_parts(
        &self,
        id: &str,
        parts: &[Part],
        received: u64,
        expected: u64,
    ) -> Result<bool>;
    async fn delete_upload(&self, id: &str) -> Result<()>;
    /// Up to `limit` uploads [expired](StoredUpload::expired) at `now`.
    async fn expired_uploads(&self, now: Timestamp, limit: u32) -> Result<Vec<StoredUpload>>;
}
