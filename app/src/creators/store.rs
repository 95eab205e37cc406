//! Creators, their private profiles, and registration challenges.

use crate::error::Result;

#[allow(async_fn_in_trait)]
pub trait CreatorStore {
    /// Whether `did` is a registered creator.
    async fn is_registered(&self, did: &str) -> Result<bool>;
}
