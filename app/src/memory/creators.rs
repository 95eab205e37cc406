use std::collections::BTreeMap;

use fairtrain_core::time::Timestamp;

use super::MemoryPlatform;
use crate::creators::store::{CreatorStore, StoredCreator};
use crate::error::Result;

#[derive(Default)]
pub struct Tables {
    /// By did.
    pub creators: BTreeMap<String, StoredCreator>,
    /// Challenge → (did, expires at).
    pub challenges: BTreeMap<String, (String, Timestamp)>,
}

impl CreatorStore for MemoryPlatform {
    async fn is_registered(&self, did: &str) -> Result<bool> {
        Ok(self.state.borrow().creators.creators.contains_key(did))
    }

    async fn insert_challenge(
        &self,
        challenge: &str,
        did: &str,
        expires_at: Timestamp,
    ) -> Result<()> {
        self.state
            .borrow_mut()
            .creators
            .challenges
            .insert(challenge.to_string(), (did.to_string(), expires_at));
        Ok(())
    }

    async fn take_challenge(&self, challenge: &str, did: &str) -> Result<Option<Timestamp>> {
        let mut s = self.state.borrow_mut();
        let challenges = &mut s.creators.challenges;
        match challenges.get(challenge) {
            Some((owner, _)) if owner == did => Ok(challenges.remove(challenge).map(|(_, t)| t)),
            _ => Ok(None),
        }
    }

    async fn insert_creator(&self, creator: &StoredCreator) -> Result<bool> {
        let mut s = self.state.borrow_mut();
        if s.creators.creators.contains_key(&creator.did) {
            return Ok(false);
        }
        s.creators
            .creators
            .insert(creator.did.clone(), creator.clone());
        Ok(true)
    }

    async fn creator(&self, did: &str) -> Result<Option<StoredCreator>> {
        Ok(self.state.borrow().creators.creators.get(did).cloned())
    }
}
