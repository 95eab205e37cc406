//! `signature_nonces`.

use fairtrain_app::auth::store::NonceStore;
use fairtrain_app::Result;

use super::changes;
use crate::runtime::Runtime;

impl NonceStore for Runtime {
    async fn use_nonce(&self, key_id: &str, nonce: &str, expires_at: i64) -> Result<bool> {
        let stored = self
            .db()?
            .prepare(
                "INSERT INTO signature_nonces (key_id, nonce, expires_at) VALUES (?1, ?2, ?3) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(&[key_id.into(), nonce.into(), (expires_at as f64).into()])?
            .run()
            .await?;
        Ok(changes(&stored)? == 1)
    }
}
