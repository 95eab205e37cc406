use std::collections::BTreeSet;

use super::MemoryPlatform;
use crate::creators::store::CreatorStore;
use crate::error::Result;

#[derive(Default)]
pub struct Tables {
    pub registered: BTreeSet<String>,
}

impl CreatorStore for MemoryPlatform {
    async fn is_registered(&self, did: &str) -> Result<bool> {
        Ok(self.state.borrow().creators.registered.contains(did))
    }
}
