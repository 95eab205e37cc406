//! Contributions, the blobs they point at, and multipart uploads in progress.

use fairtrain_core::time::Timestamp;

use crate::error::Result;
use crate::gateway::Which;

/// What the gateway needs of a contribution to route it again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutedContribution {
    pub receipt_id: String,
    pub asset_hash: String,
    pub scope: String,
    pub route: String,
    pub route_reason: String,
    pub consent_id: String,
}

/// A new route for a contribution, under the policy version that decided it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteChange {
    pub receipt_id: String,
    pub route: String,
    pub reason: String,
    pub policy_version: String,
    pub routed_at: Timestamp,
}

#[allow(async_fn_in_trait)]
pub trait ContributionStore {
    /// Up to `limit` contributions selected by `which` with a receipt id
    /// after `after`, in receipt id order.
    async fn routed_contributions(
        &self,
        which: Which<'_>,
        after: &str,
        limit: u32,
    ) -> Result<Vec<RoutedContribution>>;
    /// Applies route changes, all or nothing.
    async fn update_routes(&self, changes: &[RouteChange]) -> Result<()>;
}

#[allow(async_fn_in_trait)]
pub trait UploadStore {}
