use std::collections::{BTreeMap, BTreeSet};

use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::time::Timestamp;
use fairtrain_manifest::terms::AttributionModel;
use fairtrain_manifest::{AssetRecord, ManifestState, RevokedAsset};

use super::MemoryPlatform;
use crate::error::{Error, Result};
use crate::manifests::store::{
    AssetConsent, ManifestAssetRef, ManifestStore, ManifestTerms, NewAsset, StoredManifest,
};

#[derive(Default)]
pub struct Tables {
    /// By id: only published manifests (the row is written last).
    pub manifests: BTreeMap<String, StoredManifest>,
    /// (manifest id, leaf index) → record; written before the manifest.
    pub assets: BTreeMap<(String, u64), AssetRecord>,
    /// (manifest id, content hash, consent id) → revoked at.
    pub flags: BTreeMap<(String, String, String), Timestamp>,
}

impl Tables {
    /// The records of a published manifest.
    fn published_assets<'a>(
        &'a self,
        id: &'a str,
    ) -> impl Iterator<Item = (u64, &'a AssetRecord)> + 'a {
        let published = self.manifests.contains_key(id);
        self.assets
            .range((id.to_string(), 0)..=(id.to_string(), u64::MAX))
            .filter(move |_| published)
            .map(|((_, idx), r)| (*idx, r))
    }

    /// The distinct consents a published manifest's records use, by id.
    fn consent_ids<'a>(&'a self, id: &'a str) -> BTreeSet<&'a str> {
        self.published_assets(id)
            .map(|(_, r)| r.consent_id.as_str())
            .collect()
    }
}

impl ManifestStore for MemoryPlatform {
    async fn manifest_exists(&self, id: &str) -> Result<bool> {
        Ok(self.state.borrow().manifests.manifests.contains_key(id))
    }

    async fn flag_consent(&self, consent_id: &str, revoked_at: Timestamp) -> Result<Vec<String>> {
        let mut s = self.state.borrow_mut();
        let m = &mut s.manifests;
        let hits: Vec<(String, String)> = m
            .assets
            .iter()
            .filter(|((id, _), r)| r.consent_id == consent_id && m.manifests.contains_key(id))
            .map(|((id, _), r)| (id.clone(), r.content_hash.to_string()))
            .collect();
        for (manifest_id, content_hash) in hits {
            if let Some(manifest) = m.manifests.get_mut(&manifest_id) {
                manifest.status = ManifestState::Flagged;
            }
            m.flags
                .entry((manifest_id, content_hash, consent_id.to_string()))
                .or_insert(revoked_at);
        }
        let affected: BTreeSet<String> = m
            .flags
            .keys()
            .filter(|(_, _, c)| c == consent_id)
            .map(|(id, _, _)| id.clone())
            .collect();
        Ok(affected.into_iter().collect())
    }

    async fn insert_manifest_assets(&self, manifest_id: &str, assets: &[NewAsset]) -> Result<()> {
        let mut s = self.state.borrow_mut();
        let table = &mut s.manifests.assets;
        let mut keys = BTreeSet::new();
        for a in assets {
            let key = (manifest_id.to_string(), a.idx);
            if table.contains_key(&key) || !keys.insert(key) {
                return Err(Error::internal(
                    "UNIQUE constraint failed: manifest_assets.manifest_id, manifest_assets.idx",
                ));
            }
        }
        for a in assets {
            table.insert((manifest_id.to_string(), a.idx), a.record.clone());
        }
        Ok(())
    }

    async fn insert_manifest(&self, manifest: &StoredManifest) -> Result<()> {
        let mut s = self.state.borrow_mut();
        let taken = s.manifests.manifests.contains_key(&manifest.id)
            || s.manifests
                .manifests
                .values()
                .any(|m| m.snapshot_id == manifest.snapshot_id);
        if taken {
            return Err(Error::internal("UNIQUE constraint failed: manifests"));
        }
        s.manifests
            .manifests
            .insert(manifest.id.clone(), manifest.clone());
        Ok(())
    }

    async fn manifest(&self, id: &str) -> Result<Option<StoredManifest>> {
        Ok(self.state.borrow().manifests.manifests.get(id).cloned())
    }

    async fn manifest_assets(&self, id: &str, start: u64, end: u64) -> Result<Vec<AssetRecord>> {
        let s = self.state.borrow();
        Ok(s.manifests
            .published_assets(id)
            .filter(|(idx, _)| (start..end).contains(idx))
            .map(|(_, r)| r.clone())
            .collect())
    }

    async fn manifest_asset_index(&self, id: &str, hash: &Sha256Digest) -> Result<Option<u64>> {
        let s = self.state.borrow();
        let index = s
            .manifests
            .published_assets(id)
            .find(|(_, r)| r.content_hash == *hash)
            .map(|(idx, _)| idx);
        Ok(index)
    }

    async fn manifest_consent_count(&self, id: &str) -> Result<u64> {
        Ok(self.state.borrow().manifests.consent_ids(id).len() as u64)
    }

    async fn manifest_consent_tokens(
        &self,
        id: &str,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<String>> {
        let s = self.state.borrow();
        let tokens = s
            .manifests
            .consent_ids(id)
            .into_iter()
            .filter_map(|c| s.consents.consents.get(c))
            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .map(|c| c.token.clone())
            .collect();
        Ok(tokens)
    }

    async fn manifest_flags(&self, id: &str, limit: u32) -> Result<Vec<RevokedAsset>> {
        let s = self.state.borrow();
        let mut out = Vec::new();
        for ((_, hash, consent_id), at) in s
            .manifests
            .flags
            .iter()
            .filter(|((m, _, _), _)| m == id)
            .take(limit as usize)
        {
            out.push(RevokedAsset {
                content_hash: hash.parse()?,
                consent_id: consent_id.clone(),
                revoked_at: *at,
            });
        }
        Ok(out)
    }

    async fn asset_consent(
        &self,
        manifest_id: &str,
        hash: &Sha256Digest,
    ) -> Result<Option<AssetConsent>> {
        let s = self.state.borrow();
        let consent = s
            .manifests
            .published_assets(manifest_id)
            .find(|(_, r)| r.content_hash == *hash)
            .and_then(|(_, r)| s.consents.consents.get(&r.consent_id));
        Ok(consent.map(|c| AssetConsent {
            token: c.token.clone(),
            revoked_at: c.revoked_at,
        }))
    }

    // Reads for the ledger.
    async fn manifest_terms(&self, ids: &[&str]) -> Result<Vec<ManifestTerms>> {
        let s = self.state.borrow();
        ids.iter()
            .filter_map(|id| s.manifests.manifests.get(*id))
            .map(ManifestTerms::of)
            .collect()
    }

    async fn manifests_priced_by(&self, models: &[AttributionModel]) -> Result<Vec<ManifestTerms>> {
        let s = self.state.borrow();
        let mut out = Vec::new();
        for m in s.manifests.manifests.values() {
            let terms = ManifestTerms::of(m)?;
            if models.contains(&terms.usage_policy.attribution_model) {
                out.push(terms);
            }
        }
        Ok(out)
    }

    async fn manifest_assets_matching(
        &self,
        manifest_id: &str,
        hashes: &[Sha256Digest],
        leaves: &[u64],
    ) -> Result<Vec<ManifestAssetRef>> {
        let s = self.state.borrow();
        Ok(s.manifests
            .published_assets(manifest_id)
            .filter(|(idx, r)| hashes.contains(&r.content_hash) || leaves.contains(idx))
            .map(|(idx, r)| ManifestAssetRef {
                idx,
                content_hash: r.content_hash,
                creator: r.creator.clone(),
                consent_id: r.consent_id.clone(),
            })
            .collect())
    }
}
