//! `usage_reports`, `usage_events`, `usage_conflicts`, `usage_ledger` and
//! `epoch_charges`.

use fairtrain_app::usage::store::{
    EpochClaim, EpochKey, Lines, ModelUsage, PricedMessage, RecordedEvent, StoredEvent, StoredLine,
    StoredReport, UsageCounts, UsageStore,
};
use fairtrain_app::{Error, Result};
use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::time::Timestamp;
use fairtrain_settlement::LedgerLine;
use fairtrain_usage::UsageEvent;
use serde::Deserialize;
use serde_json::json;
use wasm_bindgen::JsValue;

use super::{json_chunks, time};
use crate::runtime::Runtime;

const REPORT_COLUMNS: &str = "id, orchestrator, signer, report_hash, receipt_id, receipt, \
     accepted_count, refused_count, received_at, log_entries";

#[derive(Deserialize)]
struct ReportRow {
    id: String,
    orchestrator: String,
    signer: String,
    report_hash: String,
    receipt_id: String,
    receipt: String,
    accepted_count: i64,
    refused_count: i64,
    received_at: String,
    log_entries: String,
}

impl ReportRow {
    fn stored(self) -> Result<StoredReport> {
        Ok(StoredReport {
            report_hash: self.report_hash.parse()?,
            receipt: serde_json::from_str(&self.receipt)?,
            accepted_count: self.accepted_count as u64,
            refused_count: self.refused_count as u64,
            received_at: time(&self.received_at)?,
            log_entries: serde_json::from_str(&self.log_entries)?,
            id: self.id,
            orchestrator: self.orchestrator,
            signer: self.signer,
            receipt_id: self.receipt_id,
        })
    }
}

#[derive(Deserialize)]
struct EventRow {
    rid: i64,
    event_hash: String,
    report_id: String,
    batch_leaf: i64,
    /// Canonical JSON (the batch tree's leaf).
    event: String,
}

impl EventRow {
    fn stored(self) -> Result<StoredEvent> {
        let event: serde_json::Value = serde_json::from_str(&self.event)?;
        Ok(StoredEvent {
            seq: self.rid,
            recorded: RecordedEvent {
                event: UsageEvent::from_json(&event)?,
                event_hash: self.event_hash.parse()?,
                report_id: self.report_id,
                batch_leaf: self.batch_leaf as u64,
            },
        })
    }
}

#[derive(Deserialize)]
struct ClaimRow {
    manifest_id: String,
    training_run_id: String,
    epoch: i64,
    leaf_index: i64,
    event_id: String,
}

impl ClaimRow {
    fn claim(self) -> EpochClaim {
        EpochClaim {
            key: EpochKey {
                manifest_id: self.manifest_id,
                training_run_id: self.training_run_id,
                epoch: self.epoch as u64,
                leaf: self.leaf_index as u64,
            },
            event_id: self.event_id,
        }
    }
}

/// The ledger's columns, as [`LineRow`] reads them.
const LINE_COLUMNS: &str =
    "seq, event_id, event_hash, leaf_index, kind, manifest_id, creator, model_id, \
     training_run_id, units, currency, minor_units, amount, priced_at, settlement_id";

#[derive(Deserialize)]
struct LineRow {
    seq: i64,
    event_id: String,
    event_hash: String,
    leaf_index: i64,
    kind: String,
    manifest_id: String,
    creator: String,
    model_id: String,
    training_run_id: String,
    units: i64,
    currency: String,
    minor_units: i64,
    amount: String,
    priced_at: String,
    settlement_id: Option<String>,
}

impl LineRow {
    fn stored(self) -> Result<StoredLine> {
        Ok(StoredLine {
            seq: self.seq,
            line: LedgerLine {
                event_hash: self.event_hash.parse()?,
                leaf_index: self.leaf_index as u64,
                kind: self.kind.parse()?,
                units: self.units as u64,
                minor_units: self.minor_units as u8,
                amount: self.amount.parse()?,
                priced_at: time(&self.priced_at)?,
                event_id: self.event_id,
                manifest_id: self.manifest_id,
                creator: self.creator,
                model_id: self.model_id,
                training_run_id: self.training_run_id,
                currency: self.currency,
            },
            settlement_id: self.settlement_id,
        })
    }
}

/// A ledger line as a bulk insert's JSON row.
pub(super) fn line_row(l: &LedgerLine) -> serde_json::Value {
    json!({
        "event_id": l.event_id, "event_hash": l.event_hash.to_string(), "leaf": l.leaf_index,
        "kind": l.kind.as_str(), "manifest_id": l.manifest_id, "creator": l.creator,
        "model_id": l.model_id, "run": l.training_run_id, "units": l.units,
        "currency": l.currency, "minor_units": l.minor_units, "amount": l.amount.to_string(),
        "priced_at": l.priced_at.format_rfc3339(),
    })
}

/// The SQL condition and binds that select `lines`.
fn filter(lines: Lines<'_>) -> Result<(&'static str, Vec<JsValue>)> {
    Ok(match lines {
        Lines::All => ("1 = 1", Vec::new()),
        Lines::OpenOf(creator) => (
            "creator = ?1 AND settlement_id IS NULL",
            vec![creator.into()],
        ),
        Lines::Settlement(id) => ("settlement_id = ?1", vec![id.into()]),
        Lines::Model(model) => ("model_id = ?1", vec![model.into()]),
        Lines::UsageOf(ids) => (
            "kind = 'usage' AND event_id IN (SELECT value FROM json_each(?1))",
            vec![serde_json::to_string(ids)?.into()],
        ),
    })
}

/// A claim on a key another event holds: the whole write was refused.
fn claim_lost(e: worker::Error) -> Error {
    let text = e.to_string();
    if text.contains("UNIQUE constraint failed: epoch_charges") {
        Error::conflict("a per-epoch charge was claimed by another event meanwhile")
    } else {
        Error::internal(text)
    }
}

impl UsageStore for Runtime {
    async fn report(&self, id: &str) -> Result<Option<StoredReport>> {
        let row: Option<ReportRow> = self
            .db()?
            .prepare(format!(
                "SELECT {REPORT_COLUMNS} FROM usage_reports WHERE id = ?1"
            ))
            .bind(&[id.into()])?
            .first(None)
            .await?;
        row.map(ReportRow::stored).transpose()
    }

    async fn insert_report(&self, r: &StoredReport) -> Result<()> {
        self.db()?
            .prepare(format!(
                "INSERT OR IGNORE INTO usage_reports ({REPORT_COLUMNS}) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
            ))
            .bind(&[
                r.id.as_str().into(),
                r.orchestrator.as_str().into(),
                r.signer.as_str().into(),
                r.report_hash.to_string().into(),
                r.receipt_id.as_str().into(),
                serde_json::to_string(&r.receipt)?.into(),
                (r.accepted_count as f64).into(),
                (r.refused_count as f64).into(),
                r.received_at.format_rfc3339().into(),
                serde_json::to_string(&r.log_entries)?.into(),
            ])?
            .run()
            .await?;
        Ok(())
    }

    async fn report_ids(&self) -> Result<Vec<String>> {
        #[derive(Deserialize)]
        struct Id {
            id: String,
        }
        let rows: Vec<Id> = self
            .db()?
            .prepare("SELECT id FROM usage_reports ORDER BY received_at, id")
            .all()
            .await?
            .results()?;
        Ok(rows.into_iter().map(|r| r.id).collect())
    }

    async fn event_hashes(&self, event_ids: &[&str]) -> Result<Vec<(String, Sha256Digest)>> {
        #[derive(Deserialize)]
        struct Seen {
            event_id: String,
            event_hash: String,
        }
        let db = self.db()?;
        let mut out = Vec::new();
        for chunk in json_chunks(event_ids)? {
            let rows: Vec<Seen> = db
                .prepare(
                    "SELECT event_id, event_hash FROM usage_events \
                     WHERE event_id IN (SELECT value FROM json_each(?1))",
                )
                .bind(&[chunk.into()])?
                .all()
                .await?
                .results()?;
            for r in rows {
                out.push((r.event_id, r.event_hash.parse()?));
            }
        }
        Ok(out)
    }

    async fn event_ids_of_report(&self, report_id: &str) -> Result<Vec<String>> {
        event_ids(
            self,
            "SELECT event_id FROM usage_events WHERE report_id = ?1",
            &[report_id.into()],
        )
        .await
    }

    async fn unreported_event_ids(&self, limit: usize) -> Result<Vec<String>> {
        event_ids(
            self,
            "SELECT event_id FROM usage_events WHERE report_id NOT IN (SELECT id FROM usage_reports) \
             LIMIT ?1",
            &[(limit as f64).into()],
        )
        .await
    }

    async fn events_after(&self, after: i64, limit: usize) -> Result<Vec<StoredEvent>> {
        let rows: Vec<EventRow> = self
            .db()?
            .prepare(
                "SELECT rowid AS rid, event_hash, report_id, batch_leaf, event FROM usage_events \
                 WHERE rowid > ?1 ORDER BY rowid LIMIT ?2",
            )
            .bind(&[(after as f64).into(), (limit as f64).into()])?
            .all()
            .await?
            .results()?;
        rows.into_iter().map(EventRow::stored).collect()
    }

    async fn epoch_claims(&self, keys: &[EpochKey]) -> Result<Vec<EpochClaim>> {
        let rows: Vec<serde_json::Value> = keys
            .iter()
            .map(|k| json!({ "manifest_id": k.manifest_id, "run": k.training_run_id, "epoch": k.epoch, "leaf": k.leaf }))
            .collect();
        let db = self.db()?;
        let mut out = Vec::new();
        for chunk in json_chunks(&rows)? {
            let found: Vec<ClaimRow> = db
                .prepare(
                    "SELECT c.manifest_id, c.training_run_id, c.epoch, c.leaf_index, c.event_id \
                     FROM json_each(?1) j JOIN epoch_charges c ON c.manifest_id = j.value ->> 'manifest_id' \
                     AND c.training_run_id = j.value ->> 'run' AND c.epoch = j.value ->> 'epoch' \
                     AND c.leaf_index = j.value ->> 'leaf'",
                )
                .bind(&[chunk.into()])?
                .all()
                .await?
                .results()?;
            out.extend(found.into_iter().map(ClaimRow::claim));
        }
        Ok(out)
    }

    async fn record_priced(&self, priced: &PricedMessage, at: Timestamp) -> Result<()> {
        let now = at.format_rfc3339();
        let mut events = Vec::with_capacity(priced.events.len());
        for r in &priced.events {
            let e = &r.event;
            events.push(json!({
                "event_id": e.event_id, "event_hash": r.event_hash.to_string(), "report_id": r.report_id,
                "batch_leaf": r.batch_leaf, "manifest_id": e.manifest_id, "model_id": e.model_id,
                "training_run_id": e.training_run_id, "epoch": e.epoch, "samples": e.samples_count,
                "used_at": e.timestamp.format_rfc3339(), "event": String::from_utf8(e.canonical())?,
            }));
        }
        let claims: Vec<serde_json::Value> = priced
            .claims
            .iter()
            .map(|c| {
                let hash = priced
                    .events
                    .iter()
                    .find(|r| r.event.event_id == c.event_id)
                    .map(|r| r.event_hash.to_string());
                json!({ "manifest_id": c.key.manifest_id, "run": c.key.training_run_id,
                        "epoch": c.key.epoch, "leaf": c.key.leaf, "event_id": c.event_id,
                        "event_hash": hash })
            })
            .collect();
        let lines: Vec<serde_json::Value> = priced.lines.iter().map(line_row).collect();
        let db = self.db()?;
        let mut statements = Vec::new();
        for chunk in json_chunks(&events)? {
            statements.push(
                db.prepare(
                    "INSERT OR IGNORE INTO usage_events (event_id, event_hash, report_id, batch_leaf, manifest_id, model_id, \
                     training_run_id, epoch, samples, used_at, event, recorded_at) \
                     SELECT j.value ->> 'event_id', j.value ->> 'event_hash', j.value ->> 'report_id', j.value ->> 'batch_leaf', \
                     j.value ->> 'manifest_id', j.value ->> 'model_id', j.value ->> 'training_run_id', j.value ->> 'epoch', \
                     j.value ->> 'samples', j.value ->> 'used_at', j.value ->> 'event', ?2 FROM json_each(?1) j",
                )
                .bind(&[chunk.as_str().into(), now.as_str().into()])?,
            );
            statements.push(
                db.prepare(
                    "INSERT OR IGNORE INTO usage_conflicts (event_id, event_hash, report_id, seen_at) \
                     SELECT j.value ->> 'event_id', j.value ->> 'event_hash', j.value ->> 'report_id', ?2 \
                     FROM json_each(?1) j JOIN usage_events u ON u.event_id = j.value ->> 'event_id' \
                     WHERE u.event_hash != j.value ->> 'event_hash'",
                )
                .bind(&[chunk.as_str().into(), now.as_str().into()])?,
            );
        }
        // A plain INSERT: a key already held fails the whole batch.
        for chunk in json_chunks(&claims)? {
            statements.push(
                db.prepare(
                    "INSERT INTO epoch_charges (manifest_id, training_run_id, epoch, leaf_index, event_id) \
                     SELECT j.value ->> 'manifest_id', j.value ->> 'run', j.value ->> 'epoch', j.value ->> 'leaf', \
                     j.value ->> 'event_id' FROM json_each(?1) j WHERE EXISTS (SELECT 1 FROM usage_events u \
                          WHERE u.event_id = j.value ->> 'event_id' AND u.event_hash = j.value ->> 'event_hash')",
                )
                .bind(&[chunk.into()])?,
            );
        }
        for chunk in json_chunks(&lines)? {
            statements.push(
                db.prepare(
                    "INSERT OR IGNORE INTO usage_ledger (event_id, event_hash, leaf_index, kind, manifest_id, creator, \
                     model_id, training_run_id, units, currency, minor_units, amount, priced_at) \
                     SELECT j.value ->> 'event_id', j.value ->> 'event_hash', j.value ->> 'leaf', j.value ->> 'kind', \
                     j.value ->> 'manifest_id', j.value ->> 'creator', j.value ->> 'model_id', j.value ->> 'run', \
                     j.value ->> 'units', j.value ->> 'currency', j.value ->> 'minor_units', j.value ->> 'amount', \
                     j.value ->> 'priced_at' FROM json_each(?1) j WHERE EXISTS (SELECT 1 FROM usage_events u \
                          WHERE u.event_id = j.value ->> 'event_id' AND u.event_hash = j.value ->> 'event_hash')",
                )
                .bind(&[chunk.into()])?,
            );
        }
        db.batch(statements).await.map_err(claim_lost)?;
        Ok(())
    }

    async fn ledger_page(
        &self,
        lines: Lines<'_>,
        after: i64,
        limit: usize,
    ) -> Result<Vec<StoredLine>> {
        let (condition, mut binds) = filter(lines)?;
        let n = binds.len();
        binds.push((after as f64).into());
        binds.push((limit as f64).into());
        let rows: Vec<LineRow> = self
            .db()?
            .prepare(format!(
                "SELECT {LINE_COLUMNS} FROM usage_ledger WHERE ({condition}) AND seq > ?{} \
                 ORDER BY seq LIMIT ?{}",
                n + 1,
                n + 2
            ))
            .bind(&binds)?
            .all()
            .await?
            .results()?;
        rows.into_iter().map(LineRow::stored).collect()
    }

    async fn usage_counts(&self) -> Result<UsageCounts> {
        #[derive(Deserialize)]
        struct Counts {
            events: i64,
            conflicts: i64,
            reports: i64,
            lines: i64,
        }
        let counts: Option<Counts> = self
            .db()?
            .prepare(
                "SELECT (SELECT COUNT(*) FROM usage_events) AS events, (SELECT COUNT(*) FROM usage_conflicts) AS conflicts, \
                 (SELECT COUNT(*) FROM usage_reports) AS reports, (SELECT COUNT(*) FROM usage_ledger) AS lines",
            )
            .first(None)
            .await?;
        let c = counts.ok_or_else(|| Error::internal("counts"))?;
        Ok(UsageCounts {
            events: c.events as u64,
            conflicts: c.conflicts as u64,
            reports: c.reports as u64,
            lines: c.lines as u64,
        })
    }

    async fn model_usage(&self, model_id: &str) -> Result<ModelUsage> {
        #[derive(Deserialize)]
        struct Totals {
            events: i64,
            samples: Option<i64>,
        }
        #[derive(Deserialize)]
        struct Manifest {
            manifest_id: String,
        }
        #[derive(Deserialize)]
        struct Run {
            training_run_id: String,
        }
        let db = self.db()?;
        let t: Option<Totals> = db
            .prepare("SELECT COUNT(*) AS events, SUM(samples) AS samples FROM usage_events WHERE model_id = ?1")
            .bind(&[model_id.into()])?
            .first(None)
            .await?;
        let t = t.ok_or_else(|| Error::internal("totals"))?;
        let manifests: Vec<Manifest> = db
            .prepare("SELECT DISTINCT manifest_id FROM usage_events WHERE model_id = ?1 ORDER BY manifest_id")
            .bind(&[model_id.into()])?
            .all()
            .await?
            .results()?;
        let runs: Vec<Run> = db
            .prepare("SELECT DISTINCT training_run_id FROM usage_events WHERE model_id = ?1 ORDER BY training_run_id")
            .bind(&[model_id.into()])?
            .all()
            .await?
            .results()?;
        Ok(ModelUsage {
            events: t.events as u64,
            samples: t.samples.unwrap_or(0) as u64,
            manifest_ids: manifests.into_iter().map(|m| m.manifest_id).collect(),
            training_runs: runs.into_iter().map(|r| r.training_run_id).collect(),
        })
    }

    async fn model_assets(&self, model_id: &str) -> Result<Vec<(String, u64)>> {
        #[derive(Deserialize)]
        struct Asset {
            manifest_id: String,
            leaf_index: i64,
        }
        let rows: Vec<Asset> = self
            .db()?
            .prepare(
                "SELECT DISTINCT manifest_id, leaf_index FROM usage_ledger WHERE model_id = ?1",
            )
            .bind(&[model_id.into()])?
            .all()
            .await?
            .results()?;
        Ok(rows
            .into_iter()
            .map(|a| (a.manifest_id, a.leaf_index as u64))
            .collect())
    }
}

/// The `event_id` column of a query's rows.
async fn event_ids(rt: &Runtime, sql: &str, binds: &[JsValue]) -> Result<Vec<String>> {
    #[derive(Deserialize)]
    struct EventId {
        event_id: String,
    }
    let rows: Vec<EventId> = rt.db()?.prepare(sql).bind(binds)?.all().await?.results()?;
    Ok(rows.into_iter().map(|r| r.event_id).collect())
}
