//! `manifests`, `manifest_assets` and `manifest_flags`.

use fairtrain_app::manifests::store::{ManifestAssetRef, ManifestStore, ManifestTerms};
use fairtrain_app::Result;
use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::time::Timestamp;
use fairtrain_manifest::terms::{AttributionModel, UsagePolicy};
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

    // Reads for the ledger.
    async fn manifest_terms(&self, ids: &[&str]) -> Result<Vec<ManifestTerms>> {
        let rows: Vec<TermsRow> = self
            .db()?
            .prepare(format!(
                "SELECT {TERMS_COLUMNS} FROM manifests WHERE id IN (SELECT value FROM json_each(?1))"
            ))
            .bind(&[serde_json::to_string(ids)?.into()])?
            .all()
            .await?
            .results()?;
        rows.into_iter().map(TermsRow::terms).collect()
    }

    async fn manifests_priced_by(&self, models: &[AttributionModel]) -> Result<Vec<ManifestTerms>> {
        let rows: Vec<TermsRow> = self
            .db()?
            .prepare(format!(
                "SELECT {TERMS_COLUMNS} FROM manifests WHERE json_extract(document, \
                 '$.credentialSubject.usage_policy.attribution_model') IN (SELECT value FROM json_each(?1))"
            ))
            .bind(&[serde_json::to_string(models)?.into()])?
            .all()
            .await?
            .results()?;
        rows.into_iter().map(TermsRow::terms).collect()
    }

    async fn manifest_assets_matching(
        &self,
        manifest_id: &str,
        hashes: &[Sha256Digest],
        leaves: &[u64],
    ) -> Result<Vec<ManifestAssetRef>> {
        #[derive(Deserialize)]
        struct AssetRow {
            idx: i64,
            content_hash: String,
            creator: String,
            consent_id: String,
        }
        let hashes: Vec<String> = hashes.iter().map(ToString::to_string).collect();
        let rows: Vec<AssetRow> = self
            .db()?
            .prepare(
                "SELECT idx, content_hash, creator, consent_id FROM manifest_assets WHERE manifest_id = ?1 \
                 AND (content_hash IN (SELECT value FROM json_each(?2)) OR idx IN (SELECT value FROM json_each(?3)))",
            )
            .bind(&[
                manifest_id.into(),
                serde_json::to_string(&hashes)?.into(),
                serde_json::to_string(leaves)?.into(),
            ])?
            .all()
            .await?
            .results()?;
        rows.into_iter()
            .map(|a| {
                Ok(ManifestAssetRef {
                    idx: a.idx as u64,
                    content_hash: a.content_hash.parse()?,
                    creator: a.creator,
                    consent_id: a.consent_id,
                })
            })
            .collect()
    }
}

// For the ledger.

const TERMS_COLUMNS: &str = "id, snapshot_id, manifest_hash, created_at, document";

#[derive(Deserialize)]
struct TermsRow {
    id: String,
    snapshot_id: String,
    manifest_hash: String,
    created_at: String,
    /// The signed VC, canonical JSON.
    document: String,
}

impl TermsRow {
    fn terms(self) -> Result<ManifestTerms> {
        let doc: serde_json::Value = serde_json::from_str(&self.document)?;
        let usage_policy: UsagePolicy =
            serde_json::from_value(doc["credentialSubject"]["usage_policy"].clone())?;
        Ok(ManifestTerms {
            manifest_hash: self.manifest_hash.parse()?,
            created_at: super::time(&self.created_at)?,
            usage_policy,
            id: self.id,
            snapshot_id: self.snapshot_id,
        })
    }
}
