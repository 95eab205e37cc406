//! Manifests, their asset records and their revocation flags.

use fairtrain_core::time::Timestamp;

use crate::error::Result;

#[allow(async_fn_in_trait)]
pub trait ManifestStore {
    async fn manifest_exists(&self, id: &str) -> Result<bool>;
    /// Flags every asset record under `consent_id` in a published manifest
    /// (once), and turns those manifests from clean to flagged; returns the
    /// ids of every manifest flagged for this consent.
    async fn flag_consent(&self, consent_id: &str, revoked_at: Timestamp) -> Result<Vec<String>>;
}
