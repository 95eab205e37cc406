//! `consents` and `consent_assets`.

use fairtrain_app::consents::store::{ConsentStore, ConsentWindow, StoredConsent};
use fairtrain_app::log::PendingEntry;
use fairtrain_app::Result;
use fairtrain_core::time::Timestamp;
use serde::Deserialize;

use super::{changes, log_outbox, opt, opt_time, opt_time_value, time};
use crate::runtime::Runtime;

const COLUMNS: &str =
    "id, creator, token, consent_hash, policy_version, jurisdiction, valid_from, \
                       valid_until, granted_at, revoked_at, revocation, log_entry_hash";

#[derive(Deserialize)]
struct Row {
    id: String,
    creator: String,
    token: String,
    consent_hash: String,
    policy_version: String,
    jurisdiction: String,
    valid_from: String,
    valid_until: String,
    granted_at: String,
    revoked_at: Option<String>,
    revocation: Option<String>,
    log_entry_hash: String,
}

impl Row {
    fn stored(self) -> Result<StoredConsent> {
        Ok(StoredConsent {
            valid_from: time(&self.valid_from)?,
            valid_until: time(&self.valid_until)?,
            granted_at: time(&self.granted_at)?,
            revoked_at: opt_time(self.revoked_at.as_deref())?,
            id: self.id,
            creator: self.creator,
            token: self.token,
            consent_hash: self.consent_hash,
            policy_version: self.policy_version,
            jurisdiction: self.jurisdiction,
            revocation: self.revocation,
            log_entry_hash: self.log_entry_hash,
        })
    }
}

impl ConsentStore for Runtime {
    async fn consent(&self, id: &str) -> Result<Option<StoredConsent>> {
        let row: Option<Row> = self
            .db()?
            .prepare(format!("SELECT {COLUMNS} FROM consents WHERE id = ?1"))
            .bind(&[id.into()])?
            .first(None)
            .await?;
        row.map(Row::stored).transpose()
    }

    async fn consents(&self, ids: &[&str]) -> Result<Vec<StoredConsent>> {
        let list = serde_json::to_string(ids)?;
        let rows: Vec<Row> = self
            .db()?
            .prepare(format!(
                "SELECT {COLUMNS} FROM consents WHERE id IN (SELECT value FROM json_each(?1))"
            ))
            .bind(&[list.into()])?
            .all()
            .await?
            .results()?;
        rows.into_iter().map(Row::stored).collect()
    }

    async fn consent_windows(&self, ids: &[&str]) -> Result<Vec<(String, ConsentWindow)>> {
        #[derive(Deserialize)]
        struct Row {
            id: String,
            valid_from: String,
            valid_until: String,
            revoked_at: Option<String>,
        }
        let rows: Vec<Row> = self
            .db()?
            .prepare(
                "SELECT id, valid_from, valid_until, revoked_at FROM consents \
                 WHERE id IN (SELECT value FROM json_each(?1))",
            )
            .bind(&[serde_json::to_string(ids)?.into()])?
            .all()
            .await?
            .results()?;
        rows.into_iter()
            .map(|r| {
                Ok((
                    r.id,
                    ConsentWindow {
                        valid_from: time(&r.valid_from)?,
                        valid_until: time(&r.valid_until)?,
                        revoked_at: opt_time(r.revoked_at.as_deref())?,
                    },
                ))
            })
            .collect()
    }

    async fn insert_consent(
        &self,
        c: &StoredConsent,
        asset_hashes: &[String],
        log: &[PendingEntry],
    ) -> Result<()> {
        let db = self.db()?;
        let mut statements = vec![db
            .prepare(format!(
                "INSERT INTO consents ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
            ))
            .bind(&[
                c.id.as_str().into(),
                c.creator.as_str().into(),
                c.token.as_str().into(),
                c.consent_hash.as_str().into(),
                c.policy_version.as_str().into(),
                c.jurisdiction.as_str().into(),
                c.valid_from.format_rfc3339().into(),
                c.valid_until.format_rfc3339().into(),
                c.granted_at.format_rfc3339().into(),
                opt_time_value(c.revoked_at),
                opt(c.revocation.as_deref()),
                c.log_entry_hash.as_str().into(),
            ])?];
        for h in asset_hashes {
            statements.push(
                db.prepare(
                    "INSERT OR IGNORE INTO consent_assets (consent_id, asset_hash) VALUES (?1, ?2)",
                )
                .bind(&[c.id.as_str().into(), h.as_str().into()])?,
            );
        }
        statements.extend(log_outbox::record(&db, log, c.granted_at)?);
        // One batch: the consent, its assets and its log entry land
        // together or not at all.
        db.batch(statements).await?;
        Ok(())
    }

    async fn record_revocation(
        &self,
        id: &str,
        at: Timestamp,
        revocation: &str,
        log: &[PendingEntry],
    ) -> Result<bool> {
        let db = self.db()?;
        let at_text = at.format_rfc3339();
        let mut statements = vec![db
            .prepare(
                "UPDATE consents SET revoked_at = ?2, revocation = ?3 WHERE id = ?1 AND revoked_at IS NULL",
            )
            .bind(&[id.into(), at_text.as_str().into(), revocation.into()])?];
        // The log entry only if this revocation is the one that holds.
        for e in log {
            statements.push(
                db.prepare(
                    "INSERT OR IGNORE INTO log_outbox (entry_hash, entry, assets, created_at) \
                     SELECT ?1, ?2, ?3, ?4 WHERE EXISTS (SELECT 1 FROM consents \
                     WHERE id = ?5 AND revoked_at = ?4 AND revocation = ?6)",
                )
                .bind(&[
                    e.hash.as_str().into(),
                    e.entry.as_str().into(),
                    serde_json::to_string(&e.assets)?.into(),
                    at_text.as_str().into(),
                    id.into(),
                    revocation.into(),
                ])?,
            );
        }
        let results = db.batch(statements).await?;
        match results.first() {
            Some(r) => Ok(changes(r)? == 1),
            None => Ok(false),
        }
    }
}
