use std::collections::{BTreeMap, BTreeSet};

use fairtrain_core::time::Timestamp;

use super::MemoryPlatform;
use crate::error::Result;
use crate::manifests::store::ManifestStore;

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
}
