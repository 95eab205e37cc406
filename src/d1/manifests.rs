//! `manifests`, `manifest_assets` and `manifest_flags`.
//!
//! A manifest's asset rows are read only once its row exists (it is written
//! last): until then they are invisible.

use fairtrain_app::manifests::store::{
    AssetConsent, ManifestAssetRef, ManifestStore, ManifestTerms, NewAsset, StoredManifest,
};
use fairtrain_app::Result;
use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::time::Timestamp;
use fairtrain_manifest::terms::{AttributionModel, UsagePolicy};
use fairtrain_manifest::{AssetRecord, ManifestState, RevokedAsset};
use fairtrain_tlog::Hash;
use serde::{Deserialize, Serialize};

use super::{opt_time, time};
use crate::runtime::Runtime;

const COLUMNS: &str = "id, snapshot_id, name, document, manifest_hash, assets_root, asset_count, \
                       page_roots, created_at, log_entry_hash, status";

/// The manifest's row exists (`?1` is the manifest id).
const PUBLISHED: &str = "EXISTS (SELECT 1 FROM manifests WHERE id = ?1)";

#[derive(Deserialize)]
struct Row {
    id: String,
    snapshot_id: String,
    name: String,
    document: String,
    manifest_hash: String,
    assets_root: String,
    asset_count: u64,
    page_roots: String,
    created_at: String,
    log_entry_hash: String,
    status: String,
}

impl Row {
    fn stored(self) -> Result<StoredManifest> {
        let roots: Vec<String> = serde_json::from_str(&self.page_roots)?;
        Ok(StoredManifest {
            manifest_hash: self.manifest_hash.parse()?,
            assets_root: Hash::from_base64(&self.assets_root)?,
            page_roots: roots
                .iter()
                .map(|r| Hash::from_base64(r))
                .collect::<Result<_, _>>()?,
            created_at: time(&self.created_at)?,
            log_entry_hash: self.log_entry_hash.parse()?,
            status: match self.status.as_str() {
                "flagged" => ManifestState::Flagged,
                _ => ManifestState::Clean,
            },
            id: self.id,
            snapshot_id: self.snapshot_id,
            name: self.name,
            document: self.document,
            asset_count: self.asset_count,
        })
    }
}

/// One asset row inside the bulk insert's JSON parameter.
#[derive(Serialize)]
struct AssetJson<'a> {
    i: u64,
    h: String,
    c: &'a str,
    k: &'a str,
    r: &'a str,
}

#[derive(Deserialize)]
struct RecordRow {
    record: String,
}

#[derive(Deserialize)]
struct FlagRow {
    content_hash: String,
    consent_id: String,
    revoked_at: String,
}

#[derive(Deserialize)]
struct AssetConsentRow {
    token: String,
    revoked_at: Option<String>,
}

fn state(status: ManifestState) -> &'static str {
    match status {
        ManifestState::Clean => "clean",
        ManifestState::Flagged => "flagged",
    }
}

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

    /// One statement with one JSON parameter: a composition writes a few
    /// thousand rows a time, well within D1's statement limits.
    async fn insert_manifest_assets(&self, manifest_id: &str, assets: &[NewAsset]) -> Result<()> {
        if assets.is_empty() {
            return Ok(());
        }
        let rows: Vec<AssetJson> = assets
            .iter()
            .map(|a| AssetJson {
                i: a.idx,
                h: a.record.content_hash.to_string(),
                c: &a.record.creator,
                k: &a.record.consent_id,
                r: &a.canonical,
            })
            .collect();
        let rows = serde_json::to_string(&rows)?;
        self.db()?
            .prepare(
                "INSERT INTO manifest_assets (manifest_id, idx, content_hash, creator, consent_id, record) \
                 SELECT ?1, json_extract(j.value, '$.i'), json_extract(j.value, '$.h'), json_extract(j.value, '$.c'), \
                        json_extract(j.value, '$.k'), json_extract(j.value, '$.r') FROM json_each(?2) AS j",
            )
            .bind(&[manifest_id.into(), rows.into()])?
            .run()
            .await?;
        Ok(())
    }

    async fn insert_manifest(&self, m: &StoredManifest) -> Result<()> {
        let roots: Vec<String> = m.page_roots.iter().map(Hash::to_base64).collect();
        self.db()?
            .prepare(format!(
                "INSERT INTO manifests ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
            ))
            .bind(&[
                m.id.as_str().into(),
                m.snapshot_id.as_str().into(),
                m.name.as_str().into(),
                m.document.as_str().into(),
                m.manifest_hash.to_string().into(),
                m.assets_root.to_base64().into(),
                (m.asset_count as f64).into(),
                serde_json::to_string(&roots)?.into(),
                m.created_at.format_rfc3339().into(),
                m.log_entry_hash.to_string().into(),
                state(m.status).into(),
            ])?
            .run()
            .await?;
        Ok(())
    }

    async fn manifest(&self, id: &str) -> Result<Option<StoredManifest>> {
        let row: Option<Row> = self
            .db()?
            .prepare(format!("SELECT {COLUMNS} FROM manifests WHERE id = ?1"))
            .bind(&[id.into()])?
            .first(None)
            .await?;
        row.map(Row::stored).transpose()
    }

    async fn manifest_assets(&self, id: &str, start: u64, end: u64) -> Result<Vec<AssetRecord>> {
        let rows: Vec<RecordRow> = self
            .db()?
            .prepare(format!(
                "SELECT record FROM manifest_assets WHERE manifest_id = ?1 AND idx >= ?2 AND idx < ?3 \
                 AND {PUBLISHED} ORDER BY idx"
            ))
            .bind(&[id.into(), (start as f64).into(), (end as f64).into()])?
            .all()
            .await?
            .results()?;
        rows.iter()
            .map(|r| Ok(serde_json::from_str(&r.record)?))
            .collect()
    }

    async fn manifest_asset_index(&self, id: &str, hash: &Sha256Digest) -> Result<Option<u64>> {
        #[derive(Deserialize)]
        struct Index {
            idx: u64,
        }
        let found: Option<Index> = self
            .db()?
            .prepare(format!(
                "SELECT idx FROM manifest_assets WHERE content_hash = ?2 AND manifest_id = ?1 AND {PUBLISHED}"
            ))
            .bind(&[id.into(), hash.to_string().into()])?
            .first(None)
            .await?;
        Ok(found.map(|i| i.idx))
    }

    async fn manifest_consent_count(&self, id: &str) -> Result<u64> {
        #[derive(Deserialize)]
        struct Count {
            n: u64,
        }
        let count: Option<Count> = self
            .db()?
            .prepare(format!(
                "SELECT COUNT(DISTINCT consent_id) AS n FROM manifest_assets WHERE manifest_id = ?1 AND {PUBLISHED}"
            ))
            .bind(&[id.into()])?
            .first(None)
            .await?;
        Ok(count.map(|c| c.n).unwrap_or(0))
    }

    async fn manifest_consent_tokens(
        &self,
        id: &str,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<String>> {
        #[derive(Deserialize)]
        struct Token {
            token: String,
        }
        let rows: Vec<Token> = self
            .db()?
            .prepare(format!(
                "SELECT k.token FROM consents k WHERE k.id IN \
                 (SELECT DISTINCT consent_id FROM manifest_assets WHERE manifest_id = ?1 AND {PUBLISHED}) \
                 ORDER BY k.id LIMIT ?2 OFFSET ?3"
            ))
            .bind(&[id.into(), (limit as f64).into(), (offset as f64).into()])?
            .all()
            .await?
            .results()?;
        Ok(rows.into_iter().map(|r| r.token).collect())
    }

    async fn manifest_flags(&self, id: &str, limit: u32) -> Result<Vec<RevokedAsset>> {
        let rows: Vec<FlagRow> = self
            .db()?
            .prepare(format!(
                "SELECT content_hash, consent_id, revoked_at FROM manifest_flags WHERE manifest_id = ?1 \
                 ORDER BY content_hash LIMIT {limit}"
            ))
            .bind(&[id.into()])?
            .all()
            .await?
            .results()?;
        rows.into_iter()
            .map(|f| {
                Ok(RevokedAsset {
                    content_hash: f.content_hash.parse()?,
                    consent_id: f.consent_id,
                    revoked_at: time(&f.revoked_at)?,
                })
            })
            .collect()
    }

    async fn asset_consent(
        &self,
        manifest_id: &str,
        hash: &Sha256Digest,
    ) -> Result<Option<AssetConsent>> {
        let row: Option<AssetConsentRow> = self
            .db()?
            .prepare(format!(
                "SELECT k.token, k.revoked_at FROM manifest_assets a JOIN consents k ON k.id = a.consent_id \
                 WHERE a.content_hash = ?2 AND a.manifest_id = ?1 AND {PUBLISHED}"
            ))
            .bind(&[manifest_id.into(), hash.to_string().into()])?
            .first(None)
            .await?;
        row.map(|r| {
            Ok(AssetConsent {
                revoked_at: opt_time(r.revoked_at.as_deref())?,
                token: r.token,
            })
        })
        .transpose()
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
