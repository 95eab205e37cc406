use super::MemoryPlatform;
use crate::error::{Error, Result};
use crate::log::PendingEntry;
use crate::policies::store::{PolicyStore, StoredPolicy};

#[derive(Default)]
pub struct Tables {
    pub policies: Vec<StoredPolicy>,
}

impl PolicyStore for MemoryPlatform {
    async fn policy(&self, version: &str) -> Result<Option<StoredPolicy>> {
        Ok(self
            .state
            .borrow()
            .policies
            .policies
            .iter()
            .find(|p| p.version == version)
            .cloned())
    }

    async fn policies(&self) -> Result<Vec<StoredPolicy>> {
        let mut all = self.state.borrow().policies.policies.clone();
        all.sort_by(|a, b| {
            (a.effective_date.as_str(), a.published_at)
                .cmp(&(b.effective_date.as_str(), b.published_at))
        });
        Ok(all)
    }

    async fn insert_policy(&self, policy: &StoredPolicy, log: &[PendingEntry]) -> Result<()> {
        let mut s = self.state.borrow_mut();
        if s.policies
            .policies
            .iter()
            .any(|p| p.version == policy.version)
        {
            return Err(Error::internal(
                "UNIQUE constraint failed: policies.version",
            ));
        }
        s.policies.policies.push(policy.clone());
        s.record_log_entries(log, policy.published_at);
        Ok(())
    }
}
