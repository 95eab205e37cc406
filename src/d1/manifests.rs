//! `manifests`, `manifest_assets` and `manifest_flags`.

use fairtrain_app::manifests::store::ManifestStore;
use fairtrain_app::Result;
use fairtrain_core::time::Timestamp;
use serde::Deserialize;

use crate::runtime::Runtime;

impl ManifestStore for Runtime {
    async fn manifest_exists(&self, id: &str) -> Result<bool> {
        let row: Option<serde_json::Value> = self
            .db()?
            .prepare("SELECT id FROM manifests WHERE id = ?1")
            .bind(&[id.into()])?
            .first(None)
            .await?;
        Ok(row.is_some())
    }

    async fn flag_consent(&self, consent_id: &str, revoked_at: Timestamp) -> Result<Vec<String>> {
        let now = revoked_at.format_rfc3339();
        let db = self.db()?;
        db.batch(vec![
            db.prepare(
                "INSERT OR IGNORE INTO manifest_flags (manifest_id, content_hash, consent_id, revoked_at) \
                 SELECT a.manifest_id, a.content_hash, a.consent_id, ?2 FROM manifest_assets a \
                 JOIN manifests m ON m.id = a.manifest_id WHERE a.consent_id = ?1",
            )
            .bind(&[consent_id.into(), now.as_str().into()])?,
            db.prepare(
                "UPDATE manifests SET status = 'flagged', status_changed_at = ?2 WHERE status = 'clean' \
                 AND id IN (SELECT manifest_id FROM manifest_assets WHERE consent_id = ?1)",
            )
            .bind(&[consent_id.into(), now.as_str().into()])?,
        ])
        .await?;
        #[derive(Deserialize)]
        struct Affected {
            manifest_id: String,
        }
        let affected: Vec<Affected> = db
            .prepare("SELECT DISTINCT manifest_id FROM manifest_flags WHERE consent_id = ?1")
            .bind(&[consent_id.into()])?
            .all()
            .await?
            .results()?;
        Ok(affected.into_iter().map(|a| a.manifest_id).collect())
    }
}
