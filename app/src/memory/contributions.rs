use std::collections::BTreeMap;

use super::MemoryPlatform;
use crate::contributions::store::{
    ContributionStore, RouteChange, RoutedContribution, UploadStore,
};
use crate::error::Result;
use crate::gateway::Which;

/// A stored contribution, as far as the memory platform needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contribution {
    pub routed: RoutedContribution,
    pub policy_version: String,
    pub routed_at: fairtrain_core::time::Timestamp,
}

#[derive(Default)]
pub struct Tables {
    /// By receipt id.
    pub contributions: BTreeMap<String, Contribution>,
    /// Object keys discarded.
    pub discarded: Vec<String>,
    /// Multipart uploads aborted, as "key upload-id".
    pub aborted: Vec<String>,
}

impl ContributionStore for MemoryPlatform {
    async fn routed_contributions(
        &self,
        which: Which<'_>,
        after: &str,
        limit: u32,
    ) -> Result<Vec<RoutedContribution>> {
        let s = self.state.borrow();
        Ok(s.contributions
            .contributions
            .range::<str, _>((std::ops::Bound::Excluded(after), std::ops::Bound::Unbounded))
            .map(|(_, c)| &c.routed)
            .filter(|c| match which {
                Which::Consent(id) => c.consent_id == id,
                Which::All => true,
            })
            .take(limit as usize)
            .cloned()
            .collect())
    }

    async fn update_routes(&self, changes: &[RouteChange]) -> Result<()> {
        let mut s = self.state.borrow_mut();
        for ch in changes {
            if let Some(c) = s.contributions.contributions.get_mut(&ch.receipt_id) {
                c.routed.route = ch.route.clone();
                c.routed.route_reason = ch.reason.clone();
                c.policy_version = ch.policy_version.clone();
                c.routed_at = ch.routed_at;
            }
        }
        Ok(())
    }
}

impl UploadStore for MemoryPlatform {}
