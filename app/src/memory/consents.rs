use std::collections::BTreeMap;

use fairtrain_core::time::Timestamp;

use super::MemoryPlatform;
use crate::consents::store::{ConsentStore, ConsentWindow, StoredConsent};
use crate::error::{Error, Result};
use crate::log::PendingEntry;

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

    async fn consent_windows(&self, ids: &[&str]) -> Result<Vec<(String, ConsentWindow)>> {
        let s = self.state.borrow();
        Ok(ids
            .iter()
            .filter_map(|id| s.consents.consents.get(*id))
            .map(|c| (c.id.clone(), c.window()))
            .collect())
    }

    async fn insert_consent(
        &self,
        consent: &StoredConsent,
        asset_hashes: &[String],
        log: &[PendingEntry],
    ) -> Result<()> {
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
        s.record_log_entries(log, consent.granted_at);
        Ok(())
    }

    async fn record_revocation(
        &self,
        id: &str,
        at: Timestamp,
        revocation: &str,
        log: &[PendingEntry],
    ) -> Result<bool> {
        let mut s = self.state.borrow_mut();
        let Some(c) = s.consents.consents.get_mut(id) else {
            return Ok(false);
        };
        if c.revoked_at.is_some() {
            return Ok(false);
        }
        c.revoked_at = Some(at);
        c.revocation = Some(revocation.to_string());
        s.record_log_entries(log, at);
        Ok(true)
    }
}
