//! `api_keys`.

use fairtrain_app::api_keys::store::{ApiKeyStore, StoredApiKey};
use fairtrain_app::Result;
use fairtrain_core::time::Timestamp;
use serde::Deserialize;

use super::{opt, opt_time, opt_time_value, time};
use crate::runtime::Runtime;

const COLUMNS: &str = "id, token_hash, role, label, scopes, created_at, expires_at, revoked_at, \
                       signing_key, acts_for";

#[derive(Deserialize)]
struct Row {
    id: String,
    token_hash: String,
    role: String,
    label: String,
    scopes: String,
    created_at: String,
    expires_at: Option<String>,
    revoked_at: Option<String>,
    signing_key: Option<String>,
    acts_for: Option<String>,
}

impl Row {
    fn stored(self) -> Result<StoredApiKey> {
        Ok(StoredApiKey {
            role: self.role.parse()?,
            scopes: serde_json::from_str(&self.scopes)?,
            created_at: time(&self.created_at)?,
            expires_at: opt_time(self.expires_at.as_deref())?,
            revoked_at: opt_time(self.revoked_at.as_deref())?,
            id: self.id,
            token_hash: self.token_hash,
            label: self.label,
            signing_key: self.signing_key,
            acts_for: self.acts_for,
        })
    }
}

impl ApiKeyStore for Runtime {
    async fn api_key(&self, id: &str) -> Result<Option<StoredApiKey>> {
        let row: Option<Row> = self
            .db()?
            .prepare(format!("SELECT {COLUMNS} FROM api_keys WHERE id = ?1"))
            .bind(&[id.into()])?
            .first(None)
            .await?;
        row.map(Row::stored).transpose()
    }

    async fn api_keys(&self) -> Result<Vec<StoredApiKey>> {
        let rows: Vec<Row> = self
            .db()?
            .prepare(format!(
                "SELECT {COLUMNS} FROM api_keys ORDER BY created_at, id"
            ))
            .all()
            .await?
            .results()?;
        rows.into_iter().map(Row::stored).collect()
    }

    async fn insert_api_key(&self, k: &StoredApiKey) -> Result<()> {
        self.db()?
            .prepare(format!(
                "INSERT INTO api_keys ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
            ))
            .bind(&[
                k.id.as_str().into(),
                k.token_hash.as_str().into(),
                k.role.as_str().into(),
                k.label.as_str().into(),
                serde_json::to_string(&k.scopes)?.into(),
                k.created_at.format_rfc3339().into(),
                opt_time_value(k.expires_at),
                opt_time_value(k.revoked_at),
                opt(k.signing_key.as_deref()),
                opt(k.acts_for.as_deref()),
            ])?
            .run()
            .await?;
        Ok(())
    }

    async fn revoke_api_key(&self, id: &str, at: Timestamp) -> Result<()> {
        self.db()?
            .prepare("UPDATE api_keys SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL")
            .bind(&[id.into(), at.format_rfc3339().into()])?
            .run()
            .await?;
        Ok(())
    }
}
