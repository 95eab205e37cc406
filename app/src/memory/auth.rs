use std::collections::BTreeMap;

use super::MemoryPlatform;
use crate::auth::store::NonceStore;
use crate::error::Result;

#[derive(Default)]
pub struct Tables {
    /// (key id, nonce) → expires at (Unix seconds).
    pub nonces: BTreeMap<(String, String), i64>,
}

impl NonceStore for MemoryPlatform {
    async fn use_nonce(&self, key_id: &str, nonce: &str, expires_at: i64) -> Result<bool> {
        let mut s = self.state.borrow_mut();
        let key = (key_id.to_string(), nonce.to_string());
        if s.auth.nonces.contains_key(&key) {
            return Ok(false);
        }
        s.auth.nonces.insert(key, expires_at);
        Ok(true)
    }

    async fn purge_nonces(&self, now_s: i64) -> Result<usize> {
        let mut s = self.state.borrow_mut();
        let before = s.auth.nonces.len();
        s.auth.nonces.retain(|_, expires_at| *expires_at >= now_s);
        Ok(before - s.auth.nonces.len())
    }
}
