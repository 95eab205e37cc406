use std::collections::BTreeMap;

use fairtrain_core::time::Timestamp;

use super::MemoryPlatform;
use crate::error::Result;
use crate::licenses::store::{LicenseStore, StoredLicense};

#[derive(Default)]
pub struct Tables {
    pub licenses: BTreeMap<String, StoredLicense>,
}

impl LicenseStore for MemoryPlatform {
    async fn insert_license(&self, license: &StoredLicense) -> Result<()> {
        self.state
            .borrow_mut()
            .licenses
            .licenses
            .entry(license.id.clone())
            .or_insert_with(|| license.clone());
        Ok(())
    }

    async fn revoke_license(&self, id: &str, at: Timestamp) -> Result<bool> {
        match self.state.borrow_mut().licenses.licenses.get_mut(id) {
            Some(l) => {
                l.revoked_at.get_or_insert(at);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    async fn licenses_of(&self, buyer: &str, manifest_id: &str) -> Result<Vec<StoredLicense>> {
        Ok(self.licenses_where(|l| l.buyer == buyer && l.manifest_id == manifest_id))
    }

    // Reads for the ledger.
    async fn licenses_for_manifest(&self, manifest_id: &str) -> Result<Vec<StoredLicense>> {
        Ok(self.licenses_where(|l| l.manifest_id == manifest_id))
    }
}

impl MemoryPlatform {
    /// The licenses `matching`, in order of grant.
    fn licenses_where(&self, matching: impl Fn(&StoredLicense) -> bool) -> Vec<StoredLicense> {
        let mut out: Vec<StoredLicense> = self
            .state
            .borrow()
            .licenses
            .licenses
            .values()
            .filter(|l| matching(l))
            .cloned()
            .collect();
        out.sort_by_key(|l| l.granted_at);
        out
    }
}
