//! `settlements`, `settlement_lines`, `revenue_reports` and
//! `reconciliations`; and the ledger lines' `settlement_id` claims.

use fairtrain_app::settlements::store::{
    SettlementStore, SettlementSummary, StoredPayoutLine, StoredReconciliation, StoredRevenue,
    StoredSettlement,
};
use fairtrain_app::Result;
use fairtrain_core::money::Atto;
use fairtrain_core::time::Timestamp;
use fairtrain_settlement::{Carried, CarriedBalances, LedgerLine};
use serde::Deserialize;
use serde_json::{json, Value};

use super::usage::line_row;
use super::{changes, json_chunks, opt, opt_time, time};
use crate::runtime::Runtime;

const SUMMARY_COLUMNS: &str = "id, period_start, period_end, trigger, statement_hash, \
     usage_root, line_count, log_entry_hash";

#[derive(Deserialize)]
struct SummaryRow {
    id: String,
    period_start: String,
    period_end: String,
    trigger: String,
    statement_hash: String,
    usage_root: String,
    line_count: i64,
    log_entry_hash: String,
}

impl SummaryRow {
    fn summary(self) -> Result<SettlementSummary> {
        Ok(SettlementSummary {
            period_start: time(&self.period_start)?,
            period_end: time(&self.period_end)?,
            trigger: self.trigger.parse()?,
            line_count: self.line_count as u64,
            id: self.id,
            statement_hash: self.statement_hash,
            usage_root: self.usage_root,
            log_entry_hash: self.log_entry_hash,
        })
    }
}

const LINE_COLUMNS: &str = "line_id, settlement_id, creator, currency, minor_units, carried_in, \
     accrued, amount_minor, carried_out, line_count, payout_status, payout_id, \
     confirmed_amount_minor, failure_reason, dispute_id";

#[derive(Deserialize)]
struct PayoutRow {
    line_id: String,
    settlement_id: String,
    creator: String,
    currency: String,
    minor_units: i64,
    carried_in: String,
    accrued: String,
    amount_minor: String,
    carried_out: String,
    line_count: i64,
    payout_status: String,
    payout_id: Option<String>,
    confirmed_amount_minor: Option<String>,
    failure_reason: Option<String>,
    dispute_id: Option<String>,
}

impl PayoutRow {
    fn stored(self) -> Result<StoredPayoutLine> {
        Ok(StoredPayoutLine {
            minor_units: self.minor_units as u8,
            carried_in: self.carried_in.parse()?,
            accrued: self.accrued.parse()?,
            amount_minor: self.amount_minor.parse()?,
            carried_out: self.carried_out.parse()?,
            line_count: self.line_count as u64,
            payout_status: self.payout_status.parse()?,
            line_id: self.line_id,
            settlement_id: self.settlement_id,
            creator: self.creator,
            currency: self.currency,
            payout_id: self.payout_id,
            confirmed_amount_minor: self.confirmed_amount_minor,
            failure_reason: self.failure_reason,
            dispute_id: self.dispute_id,
        })
    }
}

impl SettlementStore for Runtime {
    async fn last_period_end(&self) -> Result<Option<Timestamp>> {
        #[derive(Deserialize)]
        struct Last {
            period_end: Option<String>,
        }
        let last: Option<Last> = self
            .db()?
            .prepare("SELECT MAX(period_end) AS period_end FROM settlements")
            .first(None)
            .await?;
        opt_time(last.and_then(|l| l.period_end).as_deref())
    }

    async fn claim_open_lines(&self, id: &str) -> Result<()> {
        self.db()?
            .prepare(
                "UPDATE usage_ledger SET settlement_id = ?1 WHERE settlement_id IS NULL \
                 AND seq <= (SELECT MAX(seq) FROM usage_ledger)",
            )
            .bind(&[id.into()])?
            .run()
            .await?;
        Ok(())
    }

    async fn release_settlement(&self, id: &str) -> Result<()> {
        let db = self.db()?;
        db.batch(vec![
            db.prepare("DELETE FROM usage_ledger WHERE settlement_id = ?1 AND kind != 'usage'")
                .bind(&[id.into()])?,
            db.prepare("UPDATE revenue_reports SET settlement_id = NULL WHERE settlement_id = ?1")
                .bind(&[id.into()])?,
            db.prepare("UPDATE usage_ledger SET settlement_id = NULL WHERE settlement_id = ?1")
                .bind(&[id.into()])?,
        ])
        .await?;
        Ok(())
    }

    async fn carried_balances(&self, creator: Option<&str>) -> Result<CarriedBalances> {
        #[derive(Deserialize)]
        struct Row {
            creator: String,
            currency: String,
            minor_units: i64,
            carried_out: String,
        }
        let rows: Vec<Row> = self
            .db()?
            .prepare(
                "SELECT l.creator, l.currency, l.minor_units, l.carried_out FROM settlement_lines l \
                 JOIN settlements s ON s.id = l.settlement_id WHERE (?1 IS NULL OR l.creator = ?1) \
                 AND s.period_end = (SELECT MAX(s2.period_end) FROM settlements s2 JOIN settlement_lines l2 \
                      ON l2.settlement_id = s2.id WHERE l2.creator = l.creator AND l2.currency = l.currency)",
            )
            .bind(&[opt(creator)])?
            .all()
            .await?
            .results()?;
        rows.into_iter()
            .map(|r| {
                Ok((
                    (r.creator, r.currency),
                    Carried {
                        minor_units: r.minor_units as u8,
                        amount: r.carried_out.parse::<Atto>()?,
                    },
                ))
            })
            .collect()
    }

    async fn usage_units(&self, id: &str, manifest_id: &str) -> Result<Vec<(String, u64)>> {
        #[derive(Deserialize)]
        struct Share {
            creator: String,
            units: i64,
        }
        let shares: Vec<Share> = self
            .db()?
            .prepare(
                "SELECT creator, SUM(units) AS units FROM usage_ledger WHERE settlement_id = ?1 \
                 AND manifest_id = ?2 AND kind = 'usage' GROUP BY creator ORDER BY creator",
            )
            .bind(&[id.into(), manifest_id.into()])?
            .all()
            .await?
            .results()?;
        Ok(shares
            .into_iter()
            .map(|s| (s.creator, s.units.max(0) as u64))
            .collect())
    }

    async fn unsettled_revenue(&self, manifest_id: &str, currency: &str) -> Result<u128> {
        #[derive(Deserialize)]
        struct Revenue {
            total: Option<i64>,
        }
        let r: Option<Revenue> = self
            .db()?
            .prepare(
                "SELECT SUM(amount_minor) AS total FROM revenue_reports WHERE manifest_id = ?1 \
                 AND settlement_id IS NULL AND currency = ?2",
            )
            .bind(&[manifest_id.into(), currency.into()])?
            .first(None)
            .await?;
        Ok(r.and_then(|r| r.total).unwrap_or(0).max(0) as u128)
    }

    async fn add_pool_lines(
        &self,
        id: &str,
        lines: &[LedgerLine],
        revenue_manifests: &[String],
    ) -> Result<()> {
        let rows: Vec<Value> = lines.iter().map(line_row).collect();
        let db = self.db()?;
        let mut statements = Vec::new();
        for chunk in json_chunks(&rows)? {
            statements.push(
                db.prepare(
                    "INSERT INTO usage_ledger (event_id, event_hash, leaf_index, kind, manifest_id, creator, model_id, \
                     training_run_id, units, currency, minor_units, amount, priced_at, settlement_id) \
                     SELECT j.value ->> 'event_id', j.value ->> 'event_hash', j.value ->> 'leaf', j.value ->> 'kind', \
                     j.value ->> 'manifest_id', j.value ->> 'creator', j.value ->> 'model_id', j.value ->> 'run', \
                     j.value ->> 'units', j.value ->> 'currency', j.value ->> 'minor_units', j.value ->> 'amount', \
                     j.value ->> 'priced_at', ?2 FROM json_each(?1) j",
                )
                .bind(&[chunk.into(), id.into()])?,
            );
        }
        statements.push(
            db.prepare(
                "UPDATE revenue_reports SET settlement_id = ?1 WHERE settlement_id IS NULL AND manifest_id IN \
                 (SELECT value FROM json_each(?2))",
            )
            .bind(&[id.into(), serde_json::to_string(revenue_manifests)?.into()])?,
        );
        db.batch(statements).await?;
        Ok(())
    }

    async fn insert_revenue(&self, r: &StoredRevenue) -> Result<()> {
        self.db()?
            .prepare(
                "INSERT INTO revenue_reports (id, manifest_id, amount_minor, currency, reported_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .bind(&[
                r.id.as_str().into(),
                r.manifest_id.as_str().into(),
                (r.amount_minor as f64).into(),
                r.currency.as_str().into(),
                r.reported_at.format_rfc3339().into(),
            ])?
            .run()
            .await?;
        Ok(())
    }

    async fn insert_settlement(
        &self,
        settlement: &StoredSettlement,
        lines: &[StoredPayoutLine],
    ) -> Result<()> {
        let s = &settlement.summary;
        let rows: Vec<Value> = lines
            .iter()
            .map(|l| {
                json!({ "line_id": l.line_id, "creator": l.creator, "currency": l.currency,
                        "minor_units": l.minor_units, "carried_in": l.carried_in.to_string(),
                        "accrued": l.accrued.to_string(), "amount_minor": l.amount_minor.to_string(),
                        "carried_out": l.carried_out.to_string(), "line_count": l.line_count,
                        "status": l.payout_status.as_str() })
            })
            .collect();
        let db = self.db()?;
        let mut statements = vec![db
            .prepare(
                "INSERT INTO settlements (id, period_start, period_end, created_at, trigger, statement, statement_hash, \
                 usage_root, line_count, log_entry_hash) VALUES (?1, ?2, ?3, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )
            .bind(&[
                s.id.as_str().into(),
                s.period_start.format_rfc3339().into(),
                s.period_end.format_rfc3339().into(),
                s.trigger.as_str().into(),
                serde_json::to_string(&settlement.statement)?.into(),
                s.statement_hash.as_str().into(),
                s.usage_root.as_str().into(),
                (s.line_count as f64).into(),
                s.log_entry_hash.as_str().into(),
            ])?];
        for chunk in json_chunks(&rows)? {
            statements.push(
                db.prepare(
                    "INSERT INTO settlement_lines (line_id, settlement_id, creator, currency, minor_units, carried_in, \
                     accrued, amount_minor, carried_out, line_count, payout_status) \
                     SELECT j.value ->> 'line_id', ?2, j.value ->> 'creator', j.value ->> 'currency', \
                     j.value ->> 'minor_units', j.value ->> 'carried_in', j.value ->> 'accrued', \
                     j.value ->> 'amount_minor', j.value ->> 'carried_out', j.value ->> 'line_count', \
                     j.value ->> 'status' FROM json_each(?1) j",
                )
                .bind(&[chunk.into(), s.id.as_str().into()])?,
            );
        }
        db.batch(statements).await?;
        Ok(())
    }

    async fn settlement_statement(&self, id: &str) -> Result<Option<Value>> {
        #[derive(Deserialize)]
        struct Row {
            statement: String,
        }
        let row: Option<Row> = self
            .db()?
            .prepare("SELECT statement FROM settlements WHERE id = ?1")
            .bind(&[id.into()])?
            .first(None)
            .await?;
        Ok(row
            .map(|r| serde_json::from_str(&r.statement))
            .transpose()?)
    }

    async fn settlements(&self, limit: usize) -> Result<Vec<SettlementSummary>> {
        let rows: Vec<SummaryRow> = self
            .db()?
            .prepare(format!(
                "SELECT {SUMMARY_COLUMNS} FROM settlements ORDER BY period_end DESC LIMIT ?1"
            ))
            .bind(&[(limit as f64).into()])?
            .all()
            .await?
            .results()?;
        rows.into_iter().map(SummaryRow::summary).collect()
    }

    async fn payout_lines(&self, settlement_id: Option<&str>) -> Result<Vec<StoredPayoutLine>> {
        let rows: Vec<PayoutRow> = self
            .db()?
            .prepare(format!(
                "SELECT {LINE_COLUMNS} FROM settlement_lines WHERE ?1 IS NULL OR settlement_id = ?1 \
                 ORDER BY settlement_id, creator, currency"
            ))
            .bind(&[opt(settlement_id)])?
            .all()
            .await?
            .results()?;
        rows.into_iter().map(PayoutRow::stored).collect()
    }

    async fn insert_reconciliation(&self, r: &StoredReconciliation) -> Result<()> {
        self.db()?
            .prepare(
                "INSERT INTO reconciliations (id, settlement_id, checked_at, report, mismatch_count, log_entry_hash) \
                 VALUES (?1, NULL, ?2, ?3, ?4, ?5)",
            )
            .bind(&[
                r.id.as_str().into(),
                r.checked_at.format_rfc3339().into(),
                serde_json::to_string(&r.report)?.into(),
                (r.mismatch_count as f64).into(),
                r.log_entry_hash.as_str().into(),
            ])?
            .run()
            .await?;
        Ok(())
    }

    async fn reconciliation(&self, id: &str) -> Result<Option<StoredReconciliation>> {
        #[derive(Deserialize)]
        struct Row {
            id: String,
            checked_at: String,
            report: String,
            mismatch_count: i64,
            log_entry_hash: String,
        }
        let row: Option<Row> = self
            .db()?
            .prepare(
                "SELECT id, checked_at, report, mismatch_count, log_entry_hash FROM reconciliations WHERE id = ?1",
            )
            .bind(&[id.into()])?
            .first(None)
            .await?;
        row.map(|r| {
            Ok(StoredReconciliation {
                checked_at: time(&r.checked_at)?,
                report: serde_json::from_str(&r.report)?,
                mismatch_count: r.mismatch_count as u64,
                id: r.id,
                log_entry_hash: r.log_entry_hash,
            })
        })
        .transpose()
    }

    // Writes for inbound webhooks.
    async fn confirm_payout(
        &self,
        line_id: &str,
        payout_id: &str,
        amount_minor: &str,
        at: Timestamp,
    ) -> Result<bool> {
        let done = self
            .db()?
            .prepare(
                "UPDATE settlement_lines SET payout_status = 'confirmed', payout_id = ?2, \
                 confirmed_amount_minor = ?3, confirmed_at = ?4, failure_reason = NULL WHERE line_id = ?1",
            )
            .bind(&[
                line_id.into(),
                payout_id.into(),
                amount_minor.into(),
                at.format_rfc3339().into(),
            ])?
            .run()
            .await?;
        Ok(changes(&done)? > 0)
    }

    async fn fail_payout(
        &self,
        line_id: &str,
        payout_id: Option<&str>,
        reason: &str,
    ) -> Result<bool> {
        let done = self
            .db()?
            .prepare(
                "UPDATE settlement_lines SET payout_status = 'failed', payout_id = COALESCE(?2, payout_id), \
                 failure_reason = ?3 WHERE line_id = ?1",
            )
            .bind(&[line_id.into(), opt(payout_id), reason.into()])?
            .run()
            .await?;
        Ok(changes(&done)? > 0)
    }

    async fn open_dispute(
        &self,
        line_id: &str,
        dispute_id: &str,
        reason: &str,
        at: Timestamp,
    ) -> Result<bool> {
        let done = self
            .db()?
            .prepare(
                "UPDATE settlement_lines SET dispute_id = ?2, disputed_at = COALESCE(disputed_at, ?3), \
                 failure_reason = COALESCE(failure_reason, ?4) WHERE line_id = ?1",
            )
            .bind(&[
                line_id.into(),
                dispute_id.into(),
                at.format_rfc3339().into(),
                reason.into(),
            ])?
            .run()
            .await?;
        Ok(changes(&done)? > 0)
    }
}
