use std::collections::BTreeMap;

use fairtrain_core::time::Timestamp;

use super::MemoryPlatform;
use crate::consents::store::{ConsentStore, StoredConsent};
use crate::error::{Error, Result};

#[derive(Default)]
pub struct Tables {
    pub consents: BTreeMap<String, StoredConsent>,
    /// (consent id, asset hash).
    pub assets: Vec<(String, String)>,
}

impl ConsentStore for MemoryPlatform {
    async fn consent(&self, id: &str) -> Result<Option<StoredConsent>> {
        Ok(self.state.borrow().consents.consents.get(id).cloned())
    }

    async fn consents(&self, ids: &[&str]) -> Result<Vec<StoredConsent>> {
        let s = self.state.borrow();
        Ok(ids
            .iter()
            .filter_map(|id| s.consents.consents.get(*id).cloned())
            .collect())
    }

    async fn insert_consent(&self, consent: &StoredConsent, asset_hashes: &[String]) -> Result<()> {
        let mut s = self.state.borrow_mut();
        if s.consents.consents.contains_key(&consent.id) {
            return Err(Error::internal("UNIQUE constraint failed: consents.id"));
        }
        s.consents
            .consents
            .insert(consent.id.clone(), consent.clone());
        for h in asset_hashes {
            let pair = (consent.id.clone(), h.clone());
            if !s.consents.assets.contains(&pair) {
                s.consents.assets.push(pair);
            }
        }
        Ok(())
    }

    async fn record_revocation(&self, id: &str, at: Timestamp, revocation: &str) -> Result<()> {
        if let Some(c) = self.state.borrow_mut().consents.consents.get_mut(id) {
            if c.revoked_at.is_none() {
                c.revoked_at = Some(at);
                c.revocation = Some(revocation.to_string());
            }
        }
        Ok(())
    }
}
