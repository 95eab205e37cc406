//! `log_outbox`: log entries recorded with the state they describe.

use fairtrain_app::log::{LogOutboxStore, PendingEntry};
use fairtrain_app::Result;
use fairtrain_core::time::Timestamp;
use serde::Deserialize;
use worker::{D1Database, D1PreparedStatement};

use crate::runtime::Runtime;

/// Statements recording `entries` in the outbox, for a repository to run
/// in the same batch as the state they describe.
pub fn record(
    db: &D1Database,
    entries: &[PendingEntry],
    at: Timestamp,
) -> Result<Vec<D1PreparedStatement>> {
    let at = at.format_rfc3339();
    entries
        .iter()
        .map(|e| {
            Ok(db
                .prepare(
                    "INSERT OR IGNORE INTO log_outbox (entry_hash, entry, assets, created_at) \
                     VALUES (?1, ?2, ?3, ?4)",
                )
                .bind(&[
                    e.hash.as_str().into(),
                    e.entry.as_str().into(),
                    serde_json::to_string(&e.assets)?.into(),
                    at.as_str().into(),
                ])?)
        })
        .collect()
}

impl LogOutboxStore for Runtime {
    async fn pending_log_entries(&self, limit: u32) -> Result<Vec<PendingEntry>> {
        #[derive(Deserialize)]
        struct Row {
            entry_hash: String,
            entry: String,
            assets: String,
        }
        let rows: Vec<Row> = self
            .db()?
            .prepare(format!(
                "SELECT entry_hash, entry, assets FROM log_outbox ORDER BY created_at, entry_hash LIMIT {limit}"
            ))
            .all()
            .await?
            .results()?;
        rows.into_iter()
            .map(|r| {
                Ok(PendingEntry {
                    assets: serde_json::from_str(&r.assets)?,
                    hash: r.entry_hash,
                    entry: r.entry,
                })
            })
            .collect()
    }

    async fn forget_logged(&self, hashes: &[String]) -> Result<()> {
        if hashes.is_empty() {
            return Ok(());
        }
        let db = self.db()?;
        let mut statements = Vec::new();
        for chunk in hashes.chunks(500) {
            statements.push(
                db.prepare(
                    "DELETE FROM log_outbox WHERE entry_hash IN (SELECT value FROM json_each(?1))",
                )
                .bind(&[serde_json::to_string(chunk)?.into()])?,
            );
        }
        db.batch(statements).await?;
        Ok(())
    }
}
