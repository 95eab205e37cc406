//! `policies`.

use fairtrain_app::log::PendingEntry;
use fairtrain_app::policies::store::{PolicyStore, StoredPolicy};
use fairtrain_app::Result;
use serde::Deserialize;

use super::time;
use crate::runtime::Runtime;

const COLUMNS: &str =
    "version, effective_date, document, policy_hash, published_at, log_entry_hash";

#[derive(Deserialize)]
struct Row {
    version: String,
    effective_date: String,
    document: String,
    policy_hash: String,
    published_at: String,
    log_entry_hash: String,
}

impl Row {
    fn stored(self) -> Result<StoredPolicy> {
        Ok(StoredPolicy {
            published_at: time(&self.published_at)?,
            version: self.version,
            effective_date: self.effective_date,
            document: self.document,
            policy_hash: self.policy_hash,
            log_entry_hash: self.log_entry_hash,
        })
    }
}

impl PolicyStore for Runtime {
    async fn policy(&self, version: &str) -> Result<Option<StoredPolicy>> {
        let row: Option<Row> = self
            .db()?
            .prepare(format!("SELECT {COLUMNS} FROM policies WHERE version = ?1"))
            .bind(&[version.into()])?
            .first(None)
            .await?;
        row.map(Row::stored).transpose()
    }

    async fn policies(&self) -> Result<Vec<StoredPolicy>> {
        let rows: Vec<Row> = self
            .db()?
            .prepare(format!(
                "SELECT {COLUMNS} FROM policies ORDER BY effective_date, published_at"
            ))
            .all()
            .await?
            .results()?;
        let mut all = rows
            .into_iter()
            .map(Row::stored)
            .collect::<Result<Vec<_>>>()?;
        // By time, not by text: `published_at` has no fixed width.
        all.sort_by(|a, b| {
            (a.effective_date.as_str(), a.published_at)
                .cmp(&(b.effective_date.as_str(), b.published_at))
        });
        Ok(all)
    }

    async fn insert_policy(&self, p: &StoredPolicy, log: &[PendingEntry]) -> Result<()> {
        let db = self.db()?;
        let mut statements = vec![db
            .prepare(format!(
                "INSERT INTO policies ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
            ))
            .bind(&[
                p.version.as_str().into(),
                p.effective_date.as_str().into(),
                p.document.as_str().into(),
                p.policy_hash.as_str().into(),
                p.published_at.format_rfc3339().into(),
                p.log_entry_hash.as_str().into(),
            ])?];
        statements.extend(super::log_outbox::record(&db, log, p.published_at)?);
        db.batch(statements).await?;
        Ok(())
    }
}
