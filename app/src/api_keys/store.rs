//! API keys: stored hashed, with role, scopes and expiry.

use fairtrain_core::principal::Role;
use fairtrain_core::time::Timestamp;

use crate::error::Result;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredApiKey {
    /// 16 hex digits, the key's public part.
    pub id: String,
    /// `sha256:<hex>` of the whole token.
    pub token_hash: String,
    pub role: Role,
    pub label: String,
    pub scopes: Vec<String>,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
    /// Orchestrators: the did:key that signs their reports.
    pub signing_key: Option<String>,
    /// Orchestrators: the buyer's key id they report for.
    pub acts_for: Option<String>,
}

#[allow(async_fn_in_trait)]
pub trait ApiKeyStore {
    async fn api_key(&self, id: &str) -> Result<Option<StoredApiKey>>;
    /// Every key, in order of creation.
    async fn api_keys(&self) -> Result<Vec<StoredApiKey>>;
    async fn insert_api_key(&self, key: &StoredApiKey) -> Result<()>;
    /// Marks a key revoked at `at` unless it is already.
    async fn revoke_api_key(&self, id: &str, at: Timestamp) -> Result<()>;
}
