//! Creators, their private profiles, and registration challenges.

use fairtrain_core::time::Timestamp;

use crate::error::Result;

/// A creator's personal data: kept apart from the public record, never
/// logged or published.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredProfile {
    pub display_name: Option<String>,
    pub email: Option<String>,
    /// Payout details, JSON text as the creator gave them.
    pub payout: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCreator {
    pub did: String,
    pub registered_at: Timestamp,
    pub profile: StoredProfile,
}

#[allow(async_fn_in_trait)]
pub trait CreatorStore {
    /// Whether `did` is a registered creator.
    async fn is_registered(&self, did: &str) -> Result<bool>;
    /// Records a challenge issued to `did`, usable until `expires_at`
    /// (kept in whole seconds).
    async fn insert_challenge(
        &self,
        challenge: &str,
        did: &str,
        expires_at: Timestamp,
    ) -> Result<()>;
    /// Removes the challenge issued to `did` and returns its expiry; `None`
    /// if there is none (never issued, or already taken).
    async fn take_challenge(&self, challenge: &str, did: &str) -> Result<Option<Timestamp>>;
    /// Stores a new creator and their profile in one write; `false` if the
    /// did is registered already (its record stays as it is).
    async fn insert_creator(&self, creator: &StoredCreator) -> Result<bool>;
    async fn creator(&self, did: &str) -> Result<Option<StoredCreator>>;
}
