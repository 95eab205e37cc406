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

    async fn purge_nonces(&self, now_s: i64) -> Result<usize> {
        let purged = self
            .db()?
            .prepare("DELETE FROM signature_nonces WHERE expires_at < ?1")
            .bind(&[(now_s as f64).into()])?
            .run()
            .await?;
        changes(&purged)
    }
}
