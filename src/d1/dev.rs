//! `dev_faults`, and tampering with `usage_ledger`: development only (the
//! callers in `crate::dev` are behind its development guard).

use fairtrain_app::faults::Fault;
use fairtrain_app::Result;
use serde::Deserialize;

use crate::runtime::Runtime;

impl Runtime {
    /// Takes one of the faults set for `report_id` (or for any report, `*`).
    pub async fn take_dev_fault(&self, report_id: &str) -> Result<Option<Fault>> {
        #[derive(Deserialize)]
        struct Row {
            target: String,
            mode: String,
        }
        let db = self.db()?;
        let fault: Option<Row> = db
            .prepare(
                "SELECT target, mode FROM dev_faults WHERE remaining > 0 AND target IN (?1, '*') \
                 ORDER BY target = '*' LIMIT 1",
            )
            .bind(&[report_id.into()])?
            .first(None)
            .await?;
        let Some(f) = fault else { return Ok(None) };
        db.prepare("UPDATE dev_faults SET remaining = remaining - 1 WHERE target = ?1")
            .bind(&[f.target.as_str().into()])?
            .run()
            .await?;
        Ok(Some(f.mode.parse()?))
    }

    pub async fn set_dev_fault(&self, target: &str, remaining: u32, mode: Fault) -> Result<()> {
        self.db()?
            .prepare(
                "INSERT OR REPLACE INTO dev_faults (target, remaining, mode) VALUES (?1, ?2, ?3)",
            )
            .bind(&[target.into(), remaining.into(), mode.as_str().into()])?
            .run()
            .await?;
        Ok(())
    }

    /// Changes an event's ledger lines' amounts behind the ledger's back.
    pub async fn tamper_ledger(&self, event_id: &str) -> Result<()> {
        self.db()?
            .prepare("UPDATE usage_ledger SET amount = amount || '7' WHERE event_id = ?1")
            .bind(&[event_id.into()])?
            .run()
            .await?;
        Ok(())
    }
}
