//! Reconciliation: usage accepted (receipts) vs events recorded vs ledger
//! lines vs manifests vs settlement lines vs the payment rail's answers.
//! Differences are reported (signed report, log entry, webhook), never fixed.

use std::collections::{BTreeSet, HashMap};

use fairtrain_app::webhooks::{EventType, Outgoing};
use fairtrain_consent::log_event::{self, LogEvent, SCHEMA_VERSION};
use fairtrain_manifest::terms::AttributionModel;
use fairtrain_settlement::{
    check_line_price, check_rail_outcome, compare_sets, report_hash, sign_report,
    verify_settlement, Accumulator, Mismatch, MismatchKind, RailOutcome, ReportFields,
};
use fairtrain_usage::{price_event, UsageEvent};
use serde::Deserialize;
use serde_json::{json, Value};

use super::ledger::{for_each_page, lines_where, LineRow};
use super::policies::Policies;
use super::settle::statement;
use crate::http::context::Cx;
use crate::http::error::{ApiError, ApiResult};
use crate::http::routes::log;
use crate::runtime::keys;

const CHECKS: [&str; 6] = [
    "receipts_vs_events",
    "events_vs_ledger_lines",
    "ledger_prices",
    "ledger_assets_in_manifests",
    "settlement_lines",
    "payout_confirmations",
];

pub async fn run(cx: &Cx) -> ApiResult<Value> {
    let db = cx.db()?;
    let mut mismatches: Vec<Mismatch> = Vec::new();

    // 1. Every event a receipt accepted is recorded, and nothing else is:
    // one report at a time, so memory stays bounded by a report.
    #[derive(Deserialize)]
    struct Id {
        id: String,
    }
    #[derive(Deserialize)]
    struct Receipt {
        receipt: String,
    }
    #[derive(Deserialize)]
    struct EventId {
        event_id: String,
    }
    let reports: Vec<Id> = db
        .prepare("SELECT id FROM usage_reports ORDER BY received_at, id")
        .all()
        .await?
        .results()?;
    for report in &reports {
        let r: Option<Receipt> = db
            .prepare("SELECT receipt FROM usage_reports WHERE id = ?1")
            .bind(&[report.id.as_str().into()])?
            .first(None)
            .await?;
        let Some(r) = r else { continue };
        let v: Value = serde_json::from_str(&r.receipt).map_err(ApiError::internal)?;
        let accepted: Vec<String> = v
            .pointer("/credentialSubject/accepted/event_ids")
            .and_then(Value::as_array)
            .map(|ids| {
                ids.iter()
                    .filter_map(Value::as_str)
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default();
        // Accepted here, recorded (under this or an earlier report)?
        let mut found: Vec<String> = Vec::new();
        for chunk in accepted.chunks(1000) {
            let ids = serde_json::to_string(chunk).map_err(ApiError::internal)?;
            let rows: Vec<EventId> = db
                .prepare("SELECT event_id FROM usage_events WHERE event_id IN (SELECT value FROM json_each(?1))")
                .bind(&[ids.into()])?
                .all()
                .await?
                .results()?;
            found.extend(rows.into_iter().map(|e| e.event_id));
        }
        mismatches.extend(compare_sets(
            accepted.iter(),
            found.iter(),
            Some(MismatchKind::AcceptedNotInLedger),
            None,
        ));
        // Recorded under this report, but not accepted by its receipt?
        let here: Vec<EventId> = db
            .prepare("SELECT event_id FROM usage_events WHERE report_id = ?1")
            .bind(&[report.id.as_str().into()])?
            .all()
            .await?
            .results()?;
        mismatches.extend(compare_sets(
            accepted.iter(),
            here.iter().map(|e| e.event_id.as_str()),
            None,
            Some(MismatchKind::LedgerWithoutAcceptance),
        ));
    }
    // Recorded under no report at all.
    let orphans: Vec<EventId> = db
        .prepare(
            "SELECT event_id FROM usage_events WHERE report_id NOT IN (SELECT id FROM usage_reports) LIMIT 1000",
        )
        .all()
        .await?
        .results()?;
    mismatches.extend(compare_sets(
        std::iter::empty::<&str>(),
        orphans.iter().map(|e| e.event_id.as_str()),
        None,
        Some(MismatchKind::LedgerWithoutAcceptance),
    ));

    // Events page by page (memory stays bounded), each page with its lines.
    #[derive(Deserialize)]
    struct Ev {
        rid: i64,
        event_id: String,
        manifest_id: String,
        event: String,
    }
    #[derive(Deserialize)]
    struct Winner {
        event_id: String,
        leaf_index: i64,
    }
    let winners: Vec<Winner> = db
        .prepare("SELECT event_id, leaf_index FROM epoch_charges")
        .all()
        .await?
        .results()?;
    let won: BTreeSet<(String, i64)> = winners
        .into_iter()
        .map(|w| (w.event_id, w.leaf_index))
        .collect();
    let mut policies = Policies::default();
    let mut after = -1i64;
    loop {
        let events: Vec<Ev> = db
            .prepare(
                "SELECT rowid AS rid, event_id, manifest_id, event FROM usage_events WHERE rowid > ?1 \
                 ORDER BY rowid LIMIT 2000",
            )
            .bind(&[(after as f64).into()])?
            .all()
            .await?
            .results()?;
        let Some(last) = events.last() else { break };
        after = last.rid;
        let ids: Vec<&str> = events.iter().map(|e| e.event_id.as_str()).collect();
        let ids_json = serde_json::to_string(&ids).map_err(ApiError::internal)?;
        let lines = lines_where(
            cx,
            "kind = 'usage' AND event_id IN (SELECT value FROM json_each(?1))",
            &[ids_json.into()],
        )
        .await?;
        let mut by_event: HashMap<&str, Vec<&LineRow>> = HashMap::new();
        for l in &lines {
            by_event.entry(l.event_id()).or_default().push(l);
        }
        for e in &events {
            policies.load(cx, &e.manifest_id).await?;
            let parsed: Value = serde_json::from_str(&e.event).map_err(ApiError::internal)?;
            let event = UsageEvent::from_json(&parsed).map_err(ApiError::internal)?;
            let mine = by_event
                .get(e.event_id.as_str())
                .cloned()
                .unwrap_or_default();
            if mine.len() != event.assets.len() {
                mismatches.push(Mismatch::new(
                    MismatchKind::AcceptedNotInLedger,
                    e.event_id.clone(),
                    format!("{} ledger lines", event.assets.len()),
                    format!("{} ledger lines", mine.len()),
                ));
                continue;
            }
            let Some(policy) = policies.get(&e.manifest_id) else {
                continue;
            };
            let per_epoch = policy.attribution_model == AttributionModel::PerEpoch;
            let flags: Vec<bool> = mine
                .iter()
                .map(|l| won.contains(&(e.event_id.clone(), l.leaf())))
                .collect();
            let charges = price_event(policy, &event, if per_epoch { &flags } else { &[] })
                .map_err(ApiError::internal)?;
            for (l, c) in mine.iter().zip(charges) {
                if let Some(m) = check_line_price(&l.line()?, c.amount) {
                    mismatches.push(m);
                }
            }
        }
    }
    // 4. Every line pays the creator of an asset of its manifest.
    #[derive(Deserialize)]
    struct Stray {
        event_id: String,
        manifest_id: String,
        leaf_index: i64,
    }
    let strays: Vec<Stray> = db
        .prepare(
            "SELECT l.event_id, l.manifest_id, l.leaf_index FROM usage_ledger l LEFT JOIN manifest_assets a \
             ON a.manifest_id = l.manifest_id AND a.idx = l.leaf_index AND a.creator = l.creator \
             WHERE l.kind = 'usage' AND a.idx IS NULL LIMIT 1000",
        )
        .all()
        .await?
        .results()?;
    for s in strays {
        mismatches.push(Mismatch::new(
            MismatchKind::AssetNotInManifest,
            s.event_id,
            format!(
                "leaf {} of {} with its creator",
                s.leaf_index, s.manifest_id
            ),
            "no such asset".to_string(),
        ));
    }

    // 5 and 6. Settlement lines add up; the rail's answers match.
    #[derive(Deserialize)]
    struct SLine {
        settlement_id: String,
        line_id: String,
        payout_status: String,
        confirmed_amount_minor: Option<String>,
        failure_reason: Option<String>,
        dispute_id: Option<String>,
    }
    let slines: Vec<SLine> = db
        .prepare(
            "SELECT settlement_id, line_id, payout_status, confirmed_amount_minor, failure_reason, dispute_id \
             FROM settlement_lines ORDER BY settlement_id",
        )
        .all()
        .await?
        .results()?;
    let ring = keys::load(&cx.env)?;
    let settlement_ids: BTreeSet<&str> = slines.iter().map(|l| l.settlement_id.as_str()).collect();
    for sid in settlement_ids {
        let doc = statement(cx, sid).await?;
        let verified = verify_settlement(&doc, &ring.keys).map_err(ApiError::internal)?;
        // The settlement's lines summed again, page by page, against its
        // signed payout lines (and its signed usage root).
        let mut acc = Accumulator::new(&Default::default()).map_err(ApiError::internal)?;
        for_each_page(cx, "settlement_id = ?1", &[sid.into()], |rows| {
            for r in rows {
                acc.add(&r.line()?).map_err(ApiError::internal)?;
            }
            Ok(())
        })
        .await?;
        if acc.usage_root() != verified.fields.usage_root {
            mismatches.push(Mismatch::new(
                MismatchKind::SettlementTotalDiffers,
                sid.to_string(),
                format!("usage root {}", verified.fields.usage_root.to_base64()),
                format!(
                    "usage root {} over the ledger's lines now",
                    acc.usage_root().to_base64()
                ),
            ));
        }
        for sp in &verified.fields.payouts {
            let p = &sp.payout;
            let (accrued, count) = acc.accrued(&p.creator, &p.currency);
            if accrued != p.accrued || count != p.line_count {
                mismatches.push(Mismatch::new(
                    MismatchKind::SettlementTotalDiffers,
                    sp.line_id.clone(),
                    format!("{} over {} lines", p.accrued, p.line_count),
                    format!("{accrued} over {count} lines"),
                ));
            }
            let Some(row) = slines.iter().find(|l| l.line_id == sp.line_id) else {
                continue;
            };
            let outcome = if let Some(d) = &row.dispute_id {
                RailOutcome::Disputed { reason: d.clone() }
            } else {
                match row.payout_status.as_str() {
                    "confirmed" => RailOutcome::Confirmed {
                        amount_minor: row
                            .confirmed_amount_minor
                            .as_deref()
                            .and_then(|a| a.parse().ok())
                            .unwrap_or(0),
                        currency: p.currency.clone(),
                    },
                    "failed" => RailOutcome::Failed {
                        reason: row
                            .failure_reason
                            .clone()
                            .unwrap_or_else(|| "failed".into()),
                    },
                    _ => RailOutcome::Pending,
                }
            };
            if let Some(m) = check_rail_outcome(sp, &outcome) {
                mismatches.push(m);
            }
        }
    }

    let now = cx.now();
    let id = format!("urn:uuid:{}", uuid::Uuid::new_v4());
    let fields = ReportFields {
        reconciliation_id: id.clone(),
        settlement_id: None,
        checked_at: now,
        checks_run: CHECKS.iter().map(|c| c.to_string()).collect(),
        mismatches,
    };
    let count = fields.mismatches.len();
    let signed = sign_report(fields, ring.active_signer(), now).map_err(ApiError::internal)?;
    let hash = report_hash(&signed).map_err(ApiError::internal)?;
    let entry = log_event::entry(LogEvent::ReconciliationRun {
        v: SCHEMA_VERSION,
        at: now,
        reconciliation_id: id.clone(),
        report_hash: hash,
        mismatch_count: count as u64,
    })
    .map_err(ApiError::internal)?;
    let entry_hash = entry.hash.to_string();
    log::append(cx, vec![entry]).await?;
    db.prepare(
        "INSERT INTO reconciliations (id, settlement_id, checked_at, report, mismatch_count, log_entry_hash) \
         VALUES (?1, NULL, ?2, ?3, ?4, ?5)",
    )
    .bind(&[
        id.as_str().into(),
        now.format_rfc3339().into(),
        serde_json::to_string(&signed).map_err(ApiError::internal)?.into(),
        (count as f64).into(),
        entry_hash.as_str().into(),
    ])?
    .run()
    .await?;
    if count > 0 {
        let event = Outgoing::new(
            EventType::ReconciliationMismatch,
            format!("reconciliation.mismatch:{id}"),
            now,
            json!({ "reconciliation_id": id, "mismatch_count": count, "report_hash": hash.to_string(),
                    "log_entry": entry_hash }),
        );
        crate::webhooks::emit(cx, &[event]).await;
    }
    Ok(
        json!({ "reconciliation_id": id, "mismatch_count": count, "log_entry": entry_hash, "report": signed }),
    )
}

pub async fn get(cx: &Cx, id: &str) -> ApiResult<Value> {
    #[derive(Deserialize)]
    struct Row {
        report: String,
        log_entry_hash: String,
    }
    let row: Option<Row> = cx
        .db()?
        .prepare("SELECT report, log_entry_hash FROM reconciliations WHERE id = ?1")
        .bind(&[id.into()])?
        .first(None)
        .await?;
    let row = row.ok_or_else(|| ApiError::not_found(&format!("/v1/reconciliations/{id}")))?;
    let report: Value = serde_json::from_str(&row.report).map_err(ApiError::internal)?;
    Ok(json!({ "reconciliation_id": id, "log_entry": row.log_entry_hash, "report": report }))
}
