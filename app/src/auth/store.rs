//! Single-use signature nonces.

use crate::error::Result;

#[allow(async_fn_in_trait)]
pub trait NonceStore {
    /// Records `nonce` for `key_id` until `expires_at` (Unix seconds);
    /// `false` if it was recorded already (a replay).
    async fn use_nonce(&self, key_id: &str, nonce: &str, expires_at: i64) -> Result<bool>;
    /// Forgets the nonces whose signatures expired before `now_s` (Unix
    /// seconds); returns how many.
    async fn purge_nonces(&self, now_s: i64) -> Result<usize>;
}
