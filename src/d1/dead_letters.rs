//! `dead_letters`.

use fairtrain_app::dead_letters::store::{DeadLetter, DeadLetterStore};
use fairtrain_app::Result;
use fairtrain_core::time::Timestamp;
use serde::Deserialize;

use super::{opt, opt_time, time};
use crate::runtime::Runtime;

const COLUMNS: &str = "queue, message_id, body, first_sent_at, parked_at, replayed_at";

#[derive(Deserialize)]
struct Row {
    queue: String,
    message_id: String,
    body: String,
    first_sent_at: String,
    parked_at: String,
    replayed_at: Option<String>,
}

impl Row {
    fn letter(self) -> Result<DeadLetter> {
        Ok(DeadLetter {
            parked_at: time(&self.parked_at)?,
            replayed_at: opt_time(self.replayed_at.as_deref())?,
            queue: self.queue,
            message_id: self.message_id,
            body: self.body,
            first_sent_at: self.first_sent_at,
        })
    }
}

impl DeadLetterStore for Runtime {
    async fn park(&self, l: &DeadLetter) -> Result<()> {
        self.db()?
            .prepare(format!(
                "INSERT OR IGNORE INTO dead_letters ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, NULL)"
            ))
            .bind(&[
                l.queue.as_str().into(),
                l.message_id.as_str().into(),
                l.body.as_str().into(),
                l.first_sent_at.as_str().into(),
                l.parked_at.format_rfc3339().into(),
            ])?
            .run()
            .await?;
        Ok(())
    }

    async fn dead_letters(&self, queue: Option<&str>, limit: usize) -> Result<Vec<DeadLetter>> {
        let rows: Vec<Row> = self
            .db()?
            .prepare(format!(
                "SELECT {COLUMNS} FROM dead_letters WHERE ?1 IS NULL OR queue = ?1 \
                 ORDER BY parked_at LIMIT ?2"
            ))
            .bind(&[opt(queue), (limit as f64).into()])?
            .all()
            .await?
            .results()?;
        rows.into_iter().map(Row::letter).collect()
    }

    async fn dead_letter(&self, queue: &str, message_id: &str) -> Result<Option<DeadLetter>> {
        let row: Option<Row> = self
            .db()?
            .prepare(format!(
                "SELECT {COLUMNS} FROM dead_letters WHERE queue = ?1 AND message_id = ?2"
            ))
            .bind(&[queue.into(), message_id.into()])?
            .first(None)
            .await?;
        row.map(Row::letter).transpose()
    }

    async fn mark_replayed(&self, queue: &str, message_id: &str, at: Timestamp) -> Result<()> {
        self.db()?
            .prepare(
                "UPDATE dead_letters SET replayed_at = ?3 WHERE queue = ?1 AND message_id = ?2",
            )
            .bind(&[queue.into(), message_id.into(), at.format_rfc3339().into()])?
            .run()
            .await?;
        Ok(())
    }
}
