use std::collections::BTreeMap;

use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::time::Timestamp;

use super::MemoryPlatform;
use crate::contributions::store::{
    ContributionStore, Part, RouteChange, RoutedContribution, StoredBlob, StoredContribution,
    StoredUpload, UploadStore,
};
use crate::error::{Error, Result};
use crate::gateway::Which;
use crate::log::PendingEntry;
use crate::manifests::store::{CandidateContribution, CandidateQuery};

#[derive(Default)]
pub struct Tables {
    /// By receipt id.
    pub contributions: BTreeMap<String, StoredContribution>,
    /// By content hash.
    pub blobs: BTreeMap<String, StoredBlob>,
    /// (did, Unix minute) → uploads counted.
    pub upload_rate: BTreeMap<(String, i64), u64>,
    /// Multipart uploads in progress, by id.
    pub uploads: BTreeMap<String, StoredUpload>,
    /// Object keys discarded.
    pub discarded: Vec<String>,
    /// Multipart uploads aborted, as "key upload-id".
    pub aborted: Vec<String>,
}

impl ContributionStore for MemoryPlatform {
    async fn routed_contributions(
        &self,
        which: Which<'_>,
        after: &str,
        limit: u32,
    ) -> Result<Vec<RoutedContribution>> {
        let s = self.state.borrow();
        Ok(s.contributions
            .contributions
            .range::<str, _>((std::ops::Bound::Excluded(after), std::ops::Bound::Unbounded))
            .map(|(_, c)| c)
            .filter(|c| match which {
                Which::Consent(id) => c.consent_id == id,
                Which::All => true,
            })
            .take(limit as usize)
            .map(StoredContribution::routed)
            .collect())
    }

    async fn update_routes(&self, changes: &[RouteChange], log: &[PendingEntry]) -> Result<()> {
        let mut s = self.state.borrow_mut();
        for ch in changes {
            if let Some(c) = s.contributions.contributions.get_mut(&ch.receipt_id) {
                c.route = ch.route.clone();
                c.route_reason = ch.reason.clone();
                c.policy_version = ch.policy_version.clone();
                c.routed_at = ch.routed_at;
            }
        }
        if let Some(first) = changes.first() {
            s.record_log_entries(log, first.routed_at);
        }
        Ok(())
    }

    async fn count_upload(&self, did: &str, minute: i64) -> Result<u64> {
        let mut s = self.state.borrow_mut();
        let count = s
            .contributions
            .upload_rate
            .entry((did.to_string(), minute))
            .or_insert(0);
        *count += 1;
        Ok(*count)
    }

    async fn keep_blob(&self, blob: &StoredBlob) -> Result<StoredBlob> {
        Ok(self
            .state
            .borrow_mut()
            .contributions
            .blobs
            .entry(blob.hash.clone())
            .or_insert_with(|| blob.clone())
            .clone())
    }

    async fn blob(&self, hash: &str) -> Result<Option<StoredBlob>> {
        Ok(self.state.borrow().contributions.blobs.get(hash).cloned())
    }

    async fn insert_contribution(&self, c: &StoredContribution) -> Result<()> {
        let mut s = self.state.borrow_mut();
        let t = &mut s.contributions;
        if t.contributions.contains_key(&c.receipt_id) {
            return Err(Error::internal(
                "UNIQUE constraint failed: contributions.receipt_id",
            ));
        }
        t.contributions.insert(c.receipt_id.clone(), c.clone());
        Ok(())
    }

    async fn contribution(&self, receipt_id: &str) -> Result<Option<StoredContribution>> {
        Ok(self
            .state
            .borrow()
            .contributions
            .contributions
            .get(receipt_id)
            .cloned())
    }

    async fn contributions_of(&self, asset_hash: &str) -> Result<Vec<StoredContribution>> {
        let mut out: Vec<StoredContribution> = self
            .state
            .borrow()
            .contributions
            .contributions
            .values()
            .filter(|c| c.asset_hash == asset_hash)
            .cloned()
            .collect();
        out.sort_by_key(|c| c.ingested_at);
        Ok(out)
    }

    // Reads for manifests.
    async fn manifest_candidates(
        &self,
        query: &CandidateQuery,
        after: Option<(&Sha256Digest, &str)>,
        limit: u32,
    ) -> Result<Vec<CandidateContribution>> {
        let s = self.state.borrow();
        let mut out = Vec::new();
        for c in s.contributions.contributions.values() {
            let Some(consent) = s.consents.consents.get(&c.consent_id) else {
                continue;
            };
            let asset_hash: Sha256Digest = c.asset_hash.parse()?;
            let wanted = query.creator.as_ref().is_none_or(|d| *d == c.contributor)
                && query.media_type.as_ref().is_none_or(|m| *m == c.media_type)
                && query
                    .jurisdiction
                    .is_none_or(|j| j.as_str() == consent.jurisdiction)
                && query
                    .assets
                    .as_ref()
                    .is_none_or(|a| a.contains(&asset_hash))
                && after.is_none_or(|(h, r)| (&asset_hash, c.receipt_id.as_str()) > (h, r));
            if wanted {
                out.push(CandidateContribution {
                    receipt_id: c.receipt_id.clone(),
                    asset_hash,
                    contributor: c.contributor.clone(),
                    consent_id: c.consent_id.clone(),
                    route: c.route.clone(),
                    media_type: c.media_type.clone(),
                    size: c.size,
                    log_entry_hash: c.log_entry_hash.parse()?,
                });
            }
        }
        out.sort_by(|a, b| (a.asset_hash, &a.receipt_id).cmp(&(b.asset_hash, &b.receipt_id)));
        out.truncate(limit as usize);
        Ok(out)
    }
}

impl UploadStore for MemoryPlatform {
    async fn insert_upload(&self, upload: &StoredUpload) -> Result<()> {
        let mut s = self.state.borrow_mut();
        if s.contributions.uploads.contains_key(&upload.id) {
            return Err(Error::internal("UNIQUE constraint failed: uploads.id"));
        }
        s.contributions
            .uploads
            .insert(upload.id.clone(), upload.clone());
        Ok(())
    }

    async fn upload(&self, id: &str) -> Result<Option<StoredUpload>> {
        Ok(self.state.borrow().contributions.uploads.get(id).cloned())
    }

    async fn record_parts(
        &self,
        id: &str,
        parts: &[Part],
        received: u64,
        expected: u64,
    ) -> Result<bool> {
        let mut s = self.state.borrow_mut();
        match s.contributions.uploads.get_mut(id) {
            Some(u) if u.received == expected => {
                u.parts = parts.to_vec();
                u.received = received;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn delete_upload(&self, id: &str) -> Result<()> {
        self.state.borrow_mut().contributions.uploads.remove(id);
        Ok(())
    }

    async fn expired_uploads(&self, now: Timestamp, limit: u32) -> Result<Vec<StoredUpload>> {
        Ok(self
            .state
            .borrow()
            .contributions
            .uploads
            .values()
            .filter(|u| u.expired(now))
            .take(limit as usize)
            .cloned()
            .collect())
    }
}
