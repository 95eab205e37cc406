//! `contributions`, `blobs`, `upload_rate` and `uploads`.

use fairtrain_app::contributions::store::{
    ContributionStore, Part, RouteChange, RoutedContribution, StoredBlob, StoredContribution,
    StoredUpload, UploadStore,
};
use fairtrain_app::gateway::Which;
use fairtrain_app::log::PendingEntry;
use fairtrain_app::manifests::store::{CandidateContribution, CandidateQuery};
use fairtrain_app::{Error, Result};
use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::time::Timestamp;
use serde::Deserialize;
use wasm_bindgen::JsValue;

use super::{changes, time};
use crate::runtime::Runtime;

const CONTRIBUTION_COLUMNS: &str =
    "receipt_id, asset_hash, contributor, consent_id, envelope, envelope_hash, scope, license, \
     media_type, size, route, route_reason, policy_version, routed_at, ingested_at, receipt, \
     log_entry_hash";

#[derive(Deserialize)]
struct ContributionRow {
    receipt_id: String,
    asset_hash: String,
    contributor: String,
    consent_id: String,
    envelope: String,
    envelope_hash: String,
    scope: String,
    license: String,
    media_type: String,
    size: u64,
    route: String,
    route_reason: String,
    policy_version: String,
    routed_at: String,
    ingested_at: String,
    receipt: String,
    log_entry_hash: String,
}

impl ContributionRow {
    fn stored(self) -> Result<StoredContribution> {
        Ok(StoredContribution {
            routed_at: time(&self.routed_at)?,
            ingested_at: time(&self.ingested_at)?,
            receipt_id: self.receipt_id,
            asset_hash: self.asset_hash,
            contributor: self.contributor,
            consent_id: self.consent_id,
            envelope: self.envelope,
            envelope_hash: self.envelope_hash,
            scope: self.scope,
            license: self.license,
            media_type: self.media_type,
            size: self.size,
            route: self.route,
            route_reason: self.route_reason,
            policy_version: self.policy_version,
            receipt: self.receipt,
            log_entry_hash: self.log_entry_hash,
        })
    }
}

#[derive(Deserialize)]
struct RouteRow {
    receipt_id: String,
    asset_hash: String,
    scope: String,
    route: String,
    route_reason: String,
    consent_id: String,
}

const BLOB_COLUMNS: &str = "hash, object_key, size, media_type, stored_at";

#[derive(Deserialize)]
struct BlobRow {
    hash: String,
    object_key: String,
    size: u64,
    media_type: String,
    stored_at: String,
}

impl BlobRow {
    fn stored(self) -> Result<StoredBlob> {
        Ok(StoredBlob {
            stored_at: time(&self.stored_at)?,
            hash: self.hash,
            object_key: self.object_key,
            size: self.size,
            media_type: self.media_type,
        })
    }
}

fn number(n: u64) -> JsValue {
    JsValue::from_f64(n as f64)
}

impl ContributionStore for Runtime {
    async fn routed_contributions(
        &self,
        which: Which<'_>,
        after: &str,
        limit: u32,
    ) -> Result<Vec<RoutedContribution>> {
        let db = self.db()?;
        let select = "SELECT receipt_id, asset_hash, scope, route, route_reason, consent_id \
                      FROM contributions WHERE receipt_id > ?1";
        let statement = match which {
            Which::Consent(id) => db
                .prepare(format!(
                    "{select} AND consent_id = ?2 ORDER BY receipt_id LIMIT {limit}"
                ))
                .bind(&[after.into(), id.into()])?,
            Which::All => db
                .prepare(format!("{select} ORDER BY receipt_id LIMIT {limit}"))
                .bind(&[after.into()])?,
        };
        let rows: Vec<RouteRow> = statement.all().await?.results()?;
        Ok(rows
            .into_iter()
            .map(|r| RoutedContribution {
                receipt_id: r.receipt_id,
                asset_hash: r.asset_hash,
                scope: r.scope,
                route: r.route,
                route_reason: r.route_reason,
                consent_id: r.consent_id,
            })
            .collect())
    }

    async fn update_routes(&self, changes: &[RouteChange], log: &[PendingEntry]) -> Result<()> {
        if changes.is_empty() {
            return Ok(());
        }
        let db = self.db()?;
        let mut statements = Vec::with_capacity(changes.len());
        for c in changes {
            statements.push(
                db.prepare(
                    "UPDATE contributions SET route = ?2, route_reason = ?3, policy_version = ?4, \
                     routed_at = ?5 WHERE receipt_id = ?1",
                )
                .bind(&[
                    c.receipt_id.as_str().into(),
                    c.route.as_str().into(),
                    c.reason.as_str().into(),
                    c.policy_version.as_str().into(),
                    c.routed_at.format_rfc3339().into(),
                ])?,
            );
        }
        statements.extend(super::log_outbox::record(&db, log, changes[0].routed_at)?);
        db.batch(statements).await?;
        Ok(())
    }

    async fn count_upload(&self, did: &str, minute: i64) -> Result<u64> {
        #[derive(Deserialize)]
        struct Count {
            count: u64,
        }
        let count: Option<Count> = self
            .db()?
            .prepare(
                "INSERT INTO upload_rate (did, window, count) VALUES (?1, ?2, 1) \
                 ON CONFLICT (did, window) DO UPDATE SET count = count + 1 RETURNING count",
            )
            .bind(&[did.into(), JsValue::from_f64(minute as f64)])?
            .first(None)
            .await?;
        Ok(count.map(|c| c.count).unwrap_or(0))
    }

    async fn keep_blob(&self, b: &StoredBlob) -> Result<StoredBlob> {
        let db = self.db()?;
        let statements = vec![
            db.prepare(format!(
                "INSERT INTO blobs ({BLOB_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5) \
                 ON CONFLICT (hash) DO NOTHING"
            ))
            .bind(&[
                b.hash.as_str().into(),
                b.object_key.as_str().into(),
                number(b.size),
                b.media_type.as_str().into(),
                b.stored_at.format_rfc3339().into(),
            ])?,
            db.prepare(format!("SELECT {BLOB_COLUMNS} FROM blobs WHERE hash = ?1"))
                .bind(&[b.hash.as_str().into()])?,
        ];
        let results = db.batch(statements).await?;
        let kept: Vec<BlobRow> = match results.get(1) {
            Some(r) => r.results()?,
            None => Vec::new(),
        };
        kept.into_iter()
            .next()
            .ok_or_else(|| Error::internal("blob row vanished"))?
            .stored()
    }

    async fn blob(&self, hash: &str) -> Result<Option<StoredBlob>> {
        let row: Option<BlobRow> = self
            .db()?
            .prepare(format!("SELECT {BLOB_COLUMNS} FROM blobs WHERE hash = ?1"))
            .bind(&[hash.into()])?
            .first(None)
            .await?;
        row.map(BlobRow::stored).transpose()
    }

    async fn insert_contribution(&self, c: &StoredContribution) -> Result<()> {
        self.db()?
            .prepare(format!(
                "INSERT INTO contributions ({CONTRIBUTION_COLUMNS}) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)"
            ))
            .bind(&[
                c.receipt_id.as_str().into(),
                c.asset_hash.as_str().into(),
                c.contributor.as_str().into(),
                c.consent_id.as_str().into(),
                c.envelope.as_str().into(),
                c.envelope_hash.as_str().into(),
                c.scope.as_str().into(),
                c.license.as_str().into(),
                c.media_type.as_str().into(),
                number(c.size),
                c.route.as_str().into(),
                c.route_reason.as_str().into(),
                c.policy_version.as_str().into(),
                c.routed_at.format_rfc3339().into(),
                c.ingested_at.format_rfc3339().into(),
                c.receipt.as_str().into(),
                c.log_entry_hash.as_str().into(),
            ])?
            .run()
            .await?;
        Ok(())
    }

    async fn contribution(&self, receipt_id: &str) -> Result<Option<StoredContribution>> {
        let row: Option<ContributionRow> = self
            .db()?
            .prepare(format!(
                "SELECT {CONTRIBUTION_COLUMNS} FROM contributions WHERE receipt_id = ?1"
            ))
            .bind(&[receipt_id.into()])?
            .first(None)
            .await?;
        row.map(ContributionRow::stored).transpose()
    }

    async fn contributions_of(&self, asset_hash: &str) -> Result<Vec<StoredContribution>> {
        let rows: Vec<ContributionRow> = self
            .db()?
            .prepare(format!(
                "SELECT {CONTRIBUTION_COLUMNS} FROM contributions WHERE asset_hash = ?1 \
                 ORDER BY ingested_at"
            ))
            .bind(&[asset_hash.into()])?
            .all()
            .await?
            .results()?;
        rows.into_iter().map(ContributionRow::stored).collect()
    }

    // Reads for manifests.
    async fn manifest_candidates(
        &self,
        query: &CandidateQuery,
        after: Option<(&Sha256Digest, &str)>,
        limit: u32,
    ) -> Result<Vec<CandidateContribution>> {
        let (after_hash, after_receipt) = after
            .map(|(h, r)| (h.to_string(), r.to_string()))
            .unwrap_or_default();
        let mut sql = String::from(
            "SELECT c.receipt_id, c.asset_hash, c.contributor, c.consent_id, c.route, c.media_type, c.size, c.log_entry_hash \
             FROM contributions c JOIN consents k ON k.id = c.consent_id WHERE (c.asset_hash, c.receipt_id) > (?1, ?2)",
        );
        let mut binds: Vec<JsValue> = vec![after_hash.into(), after_receipt.into()];
        let mut add = |clause: &str, value: JsValue| {
            binds.push(value);
            sql.push_str(&format!(" AND {clause} ?{}", binds.len()));
        };
        if let Some(v) = &query.creator {
            add("c.contributor =", v.as_str().into());
        }
        if let Some(v) = &query.media_type {
            add("c.media_type =", v.as_str().into());
        }
        if let Some(v) = query.jurisdiction {
            add("k.jurisdiction =", v.as_str().into());
        }
        if let Some(list) = &query.assets {
            let list: Vec<String> = list.iter().map(ToString::to_string).collect();
            binds.push(serde_json::to_string(&list)?.into());
            sql.push_str(&format!(
                " AND c.asset_hash IN (SELECT value FROM json_each(?{}))",
                binds.len()
            ));
        }
        sql.push_str(&format!(
            " ORDER BY c.asset_hash, c.receipt_id LIMIT {limit}"
        ));
        let rows: Vec<CandidateRow> = self
            .db()?
            .prepare(sql)
            .bind(&binds)?
            .all()
            .await?
            .results()?;
        rows.into_iter()
            .map(|r| {
                Ok(CandidateContribution {
                    asset_hash: r.asset_hash.parse()?,
                    log_entry_hash: r.log_entry_hash.parse()?,
                    receipt_id: r.receipt_id,
                    contributor: r.contributor,
                    consent_id: r.consent_id,
                    route: r.route,
                    media_type: r.media_type,
                    size: r.size,
                })
            })
            .collect()
    }
}

const UPLOAD_COLUMNS: &str =
    "id, r2_upload_id, object_key, contributor, envelope, declared_hash, declared_size, \
     media_type, parts, received, created_at, expires_at";

#[derive(Deserialize)]
struct UploadRow {
    id: String,
    r2_upload_id: String,
    object_key: String,
    contributor: String,
    envelope: String,
    declared_hash: String,
    declared_size: u64,
    media_type: String,
    /// JSON `[{part, etag, size}]`.
    parts: String,
    received: u64,
    /// Unix seconds.
    created_at: i64,
    expires_at: i64,
}

impl UploadRow {
    fn stored(self) -> Result<StoredUpload> {
        Ok(StoredUpload {
            parts: serde_json::from_str(&self.parts)?,
            created_at: Timestamp::from_unix_seconds(self.created_at)?,
            expires_at: Timestamp::from_unix_seconds(self.expires_at)?,
            id: self.id,
            multipart_id: self.r2_upload_id,
            object_key: self.object_key,
            contributor: self.contributor,
            envelope: self.envelope,
            declared_hash: self.declared_hash,
            declared_size: self.declared_size,
            media_type: self.media_type,
            received: self.received,
        })
    }
}

fn seconds(t: Timestamp) -> JsValue {
    JsValue::from_f64(t.unix_seconds() as f64)
}

impl UploadStore for Runtime {
    async fn insert_upload(&self, u: &StoredUpload) -> Result<()> {
        self.db()?
            .prepare(format!(
                "INSERT INTO uploads ({UPLOAD_COLUMNS}) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
            ))
            .bind(&[
                u.id.as_str().into(),
                u.multipart_id.as_str().into(),
                u.object_key.as_str().into(),
                u.contributor.as_str().into(),
                u.envelope.as_str().into(),
                u.declared_hash.as_str().into(),
                number(u.declared_size),
                u.media_type.as_str().into(),
                serde_json::to_string(&u.parts)?.into(),
                number(u.received),
                seconds(u.created_at),
                seconds(u.expires_at),
            ])?
            .run()
            .await?;
        Ok(())
    }

    async fn upload(&self, id: &str) -> Result<Option<StoredUpload>> {
        let row: Option<UploadRow> = self
            .db()?
            .prepare(format!(
                "SELECT {UPLOAD_COLUMNS} FROM uploads WHERE id = ?1"
            ))
            .bind(&[id.into()])?
            .first(None)
            .await?;
        row.map(UploadRow::stored).transpose()
    }

    async fn record_parts(
        &self,
        id: &str,
        parts: &[Part],
        received: u64,
        expected: u64,
    ) -> Result<bool> {
        let updated = self
            .db()?
            .prepare("UPDATE uploads SET parts = ?2, received = ?3 WHERE id = ?1 AND received = ?4")
            .bind(&[
                id.into(),
                serde_json::to_string(parts)?.into(),
                number(received),
                number(expected),
            ])?
            .run()
            .await?;
        Ok(changes(&updated)? > 0)
    }

    async fn delete_upload(&self, id: &str) -> Result<()> {
        self.db()?
            .prepare("DELETE FROM uploads WHERE id = ?1")
            .bind(&[id.into()])?
            .run()
            .await?;
        Ok(())
    }

    async fn expired_uploads(&self, now: Timestamp, limit: u32) -> Result<Vec<StoredUpload>> {
        let rows: Vec<UploadRow> = self
            .db()?
            .prepare(format!(
                "SELECT {UPLOAD_COLUMNS} FROM uploads WHERE expires_at < ?1 LIMIT {limit}"
            ))
            .bind(&[seconds(now)])?
            .all()
            .await?
            .results()?;
        rows.into_iter().map(UploadRow::stored).collect()
    }
}

// Rows read for manifests.

#[derive(Deserialize)]
struct CandidateRow {
    receipt_id: String,
    asset_hash: String,
    contributor: String,
    consent_id: String,
    route: String,
    media_type: String,
    size: u64,
    log_entry_hash: String,
}
