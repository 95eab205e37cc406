use std::collections::BTreeMap;

use fairtrain_core::time::Timestamp;

use super::MemoryPlatform;
use crate::api_keys::store::{ApiKeyStore, StoredApiKey};
use crate::error::{Error, Result};

#[derive(Default)]
pub struct Tables {
    pub keys: BTreeMap<String, StoredApiKey>,
}

impl ApiKeyStore for MemoryPlatform {
    async fn api_key(&self, id: &str) -> Result<Option<StoredApiKey>> {
        Ok(self.state.borrow().api_keys.keys.get(id).cloned())
    }

    async fn api_keys(&self) -> Result<Vec<StoredApiKey>> {
        let mut all: Vec<_> = self
            .state
            .borrow()
            .api_keys
            .keys
            .values()
            .cloned()
            .collect();
        all.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(all)
    }

    async fn insert_api_key(&self, key: &StoredApiKey) -> Result<()> {
        let mut s = self.state.borrow_mut();
        if s.api_keys.keys.contains_key(&key.id) {
            return Err(Error::internal("UNIQUE constraint failed: api_keys.id"));
        }
        s.api_keys.keys.insert(key.id.clone(), key.clone());
        Ok(())
    }

    async fn revoke_api_key(&self, id: &str, at: Timestamp) -> Result<()> {
        if let Some(k) = self.state.borrow_mut().api_keys.keys.get_mut(id) {
            k.revoked_at.get_or_insert(at);
        }
        Ok(())
    }
}
