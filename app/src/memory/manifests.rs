use std::collections::{BTreeMap, BTreeSet};

use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::time::Timestamp;
use fairtrain_manifest::terms::AttributionModel;

use super::MemoryPlatform;
use crate::error::Result;
use crate::manifests::store::{ManifestAssetRef, ManifestStore, ManifestTerms};

/// A manifest's asset record, as far as the memory platform needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetRow {
    pub manifest_id: String,
    pub idx: u64,
    pub content_hash: String,
    pub creator: String,
    pub consent_id: String,
}

#[derive(Default)]
pub struct Tables {
    /// Manifest id → status (`clean` or `flagged`).
    pub status: BTreeMap<String, String>,
    pub assets: Vec<AssetRow>,
    /// (manifest id, content hash, consent id) → revoked at.
    pub flags: BTreeMap<(String, String, String), Timestamp>,
    /// For the ledger: manifest id → its terms.
    pub terms: BTreeMap<String, ManifestTerms>,
}

impl ManifestStore for MemoryPlatform {
    async fn manifest_exists(&self, id: &str) -> Result<bool> {
        Ok(self.state.borrow().manifests.status.contains_key(id))
    }

    async fn flag_consent(&self, consent_id: &str, revoked_at: Timestamp) -> Result<Vec<String>> {
        let mut s = self.state.borrow_mut();
        let m = &mut s.manifests;
        let hits: Vec<AssetRow> = m
            .assets
            .iter()
            .filter(|a| a.consent_id == consent_id && m.status.contains_key(&a.manifest_id))
            .cloned()
            .collect();
        for a in &hits {
            m.flags
                .entry((
                    a.manifest_id.clone(),
                    a.content_hash.clone(),
                    a.consent_id.clone(),
                ))
                .or_insert(revoked_at);
            if let Some(status) = m.status.get_mut(&a.manifest_id) {
                *status = "flagged".into();
            }
        }
        let affected: BTreeSet<String> = m
            .flags
            .keys()
            .filter(|(_, _, c)| c == consent_id)
            .map(|(id, _, _)| id.clone())
            .collect();
        Ok(affected.into_iter().collect())
    }

    // Reads for the ledger.
    async fn manifest_terms(&self, ids: &[&str]) -> Result<Vec<ManifestTerms>> {
        let s = self.state.borrow();
        Ok(ids
            .iter()
            .filter_map(|id| s.manifests.terms.get(*id).cloned())
            .collect())
    }

    async fn manifests_priced_by(&self, models: &[AttributionModel]) -> Result<Vec<ManifestTerms>> {
        let s = self.state.borrow();
        Ok(s.manifests
            .terms
            .values()
            .filter(|t| models.contains(&t.usage_policy.attribution_model))
            .cloned()
            .collect())
    }

    async fn manifest_assets_matching(
        &self,
        manifest_id: &str,
        hashes: &[Sha256Digest],
        leaves: &[u64],
    ) -> Result<Vec<ManifestAssetRef>> {
        let s = self.state.borrow();
        let mut out = Vec::new();
        for a in s
            .manifests
            .assets
            .iter()
            .filter(|a| a.manifest_id == manifest_id)
        {
            let content_hash: Sha256Digest = a.content_hash.parse()?;
            if hashes.contains(&content_hash) || leaves.contains(&a.idx) {
                out.push(ManifestAssetRef {
                    idx: a.idx,
                    content_hash,
                    creator: a.creator.clone(),
                    consent_id: a.consent_id.clone(),
                });
            }
        }
        Ok(out)
    }
}
