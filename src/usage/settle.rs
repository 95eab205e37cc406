//! Closing a settlement period: per-creator payout lines, a signed statement
//! over the Merkle root of the usage it covers, a log entry, and payout
//! instructions to the payment rail (webhook `payout.instruction`).
//!
//! The period's lines are claimed first (`settlement_id` set on every open
//! line up to the newest), so two settlements can never share a line; if
//! anything after the claim fails, the claim is released and nothing is
//! half-settled.

use std::collections::BTreeMap;

use fairtrain_app::webhooks::{EventType, Outgoing};
use fairtrain_consent::log_event;
use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::money::format_major;
use fairtrain_core::problem::ProblemType;
use fairtrain_core::time::Timestamp;
use fairtrain_settlement::{
    settlement_made_event, sign_creator_statement, sign_settlement, statement_hash,
    verify_settlement, Accumulator, CreatorStatementFields, SettlementFields, StatementPayout,
    Thresholds,
};
use serde::Deserialize;
use serde_json::{json, Value};

use super::consume::json_chunks;
use super::ledger::{carried, for_each_page, ledger_lines};
use crate::http::context::Cx;
use crate::http::error::{ApiError, ApiResult};
use crate::http::routes::log;
use crate::runtime::keys;

const EPOCH: &str = "1970-01-01T00:00:00.000Z";

fn thresholds(cx: &Cx) -> Thresholds {
    let mut t = Thresholds::default();
    if let Some(v) = cx.config("MIN_PAYOUT_MINOR").and_then(|v| v.parse().ok()) {
        t.default_minor = v;
    }
    t
}

/// Closes the period up to now. `trigger` is `cron` or `operator`.
pub async fn settle(cx: &Cx, trigger: &str) -> ApiResult<Value> {
    let db = cx.db()?;
    let now = cx.now();
    #[derive(Deserialize)]
    struct Last {
        period_end: Option<String>,
    }
    let last: Option<Last> = db
        .prepare("SELECT MAX(period_end) AS period_end FROM settlements")
        .first(None)
        .await?;
    let start_text = last
        .and_then(|l| l.period_end)
        .unwrap_or_else(|| EPOCH.into());
    let period_start = Timestamp::parse_rfc3339(&start_text).map_err(ApiError::internal)?;
    if period_start >= now {
        return Err(ApiError::new(
            ProblemType::Conflict,
            "a settlement already closed this instant",
        ));
    }
    let id = format!("urn:uuid:{}", uuid::Uuid::new_v4());
    db.prepare(
        "UPDATE usage_ledger SET settlement_id = ?1 WHERE settlement_id IS NULL \
         AND seq <= (SELECT MAX(seq) FROM usage_ledger)",
    )
    .bind(&[id.as_str().into()])?
    .run()
    .await?;
    match close(cx, &id, trigger, period_start, now).await {
        Ok(v) => Ok(v),
        Err(e) => {
            super::pools::release(cx, &id).await?;
            db.prepare("UPDATE usage_ledger SET settlement_id = NULL WHERE settlement_id = ?1")
                .bind(&[id.as_str().into()])?
                .run()
                .await?;
            Err(e)
        }
    }
}

async fn close(
    cx: &Cx,
    id: &str,
    trigger: &str,
    period_start: Timestamp,
    period_end: Timestamp,
) -> ApiResult<Value> {
    let pools = super::pools::allocate(cx, id, period_start, period_end).await?;
    // Line by line: a period of any size is settled without holding it.
    let mut acc = Accumulator::new(&carried(cx, None).await?).map_err(ApiError::internal)?;
    for_each_page(cx, "settlement_id = ?1", &[id.into()], |rows| {
        for r in rows {
            acc.add(&r.line()?).map_err(ApiError::internal)?;
        }
        Ok(())
    })
    .await?;
    let payouts: Vec<StatementPayout> = acc
        .payouts(&thresholds(cx))
        .map_err(ApiError::internal)?
        .into_iter()
        .map(|p| StatementPayout::new(format!("urn:uuid:{}", uuid::Uuid::new_v4()), p))
        .collect();
    let fields =
        SettlementFields::from_accumulated(id, period_end, period_start, period_end, &acc, payouts)
            .map_err(ApiError::internal)?;
    let line_count = acc.line_count();
    drop(acc);
    let ring = keys::load(&cx.env)?;
    let signed = sign_settlement(fields.clone(), ring.active_signer(), period_end)
        .map_err(ApiError::internal)?;
    let hash = statement_hash(&signed).map_err(ApiError::internal)?;
    let entry = log_event::entry(settlement_made_event(&fields, hash, period_end))
        .map_err(ApiError::internal)?;
    let entry_hash = entry.hash.to_string();

    let db = cx.db()?;
    let line_rows: Vec<Value> = fields
        .payouts
        .iter()
        .map(|sp| {
            let p = &sp.payout;
            json!({ "line_id": sp.line_id, "creator": p.creator, "currency": p.currency,
                    "minor_units": p.minor_units, "carried_in": p.carried_in.to_string(),
                    "accrued": p.accrued.to_string(), "amount_minor": p.amount_minor.to_string(),
                    "carried_out": p.carried_out.to_string(), "line_count": p.line_count,
                    "status": if p.amount_minor > 0 { "instructed" } else { "none" } })
        })
        .collect();
    let mut statements = vec![db
        .prepare(
            "INSERT INTO settlements (id, period_start, period_end, created_at, trigger, statement, statement_hash, \
             usage_root, line_count, log_entry_hash) VALUES (?1, ?2, ?3, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )
        .bind(&[
            id.into(),
            period_start.format_rfc3339().into(),
            period_end.format_rfc3339().into(),
            trigger.into(),
            serde_json::to_string(&signed).map_err(ApiError::internal)?.into(),
            hash.to_string().into(),
            fields.usage_root.to_base64().into(),
            (line_count as f64).into(),
            entry_hash.as_str().into(),
        ])?];
    for chunk in json_chunks(&line_rows)? {
        statements.push(
            db.prepare(
                "INSERT INTO settlement_lines (line_id, settlement_id, creator, currency, minor_units, carried_in, \
                 accrued, amount_minor, carried_out, line_count, payout_status) \
                 SELECT j.value ->> 'line_id', ?2, j.value ->> 'creator', j.value ->> 'currency', \
                 j.value ->> 'minor_units', j.value ->> 'carried_in', j.value ->> 'accrued', \
                 j.value ->> 'amount_minor', j.value ->> 'carried_out', j.value ->> 'line_count', \
                 j.value ->> 'status' FROM json_each(?1) j",
            )
            .bind(&[chunk.as_str().into(), id.into()])?,
        );
    }
    log::append(cx, vec![entry]).await?;
    db.batch(statements).await?;

    // Payout instructions: small, signed (as webhooks), referencing the line
    // and the statement; the rail puts line_id in its payout's metadata and
    // confirms it inbound.
    let instructions: Vec<Outgoing> = fields
        .payouts
        .iter()
        .filter(|sp| sp.payout.amount_minor > 0)
        .map(|sp| {
            let p = &sp.payout;
            Outgoing::new(
                EventType::PayoutInstruction,
                format!("payout.instruction:{}", sp.line_id),
                period_end,
                json!({ "settlement_id": id, "line_id": sp.line_id, "creator": p.creator,
                        "currency": p.currency, "amount_minor": p.amount_minor.to_string(),
                        "amount": format_major(p.amount_minor, p.minor_units),
                        "statement_hash": hash.to_string(), "metadata": { "line_id": sp.line_id } }),
            )
        })
        .collect();
    crate::webhooks::emit(cx, &instructions).await;
    let paid: BTreeMap<&str, u128> = fields.payouts.iter().fold(BTreeMap::new(), |mut m, sp| {
        *m.entry(sp.payout.currency.as_str()).or_insert(0) += sp.payout.amount_minor;
        m
    });
    Ok(json!({
        "settlement_id": id, "period_start": period_start.format_rfc3339(),
        "period_end": period_end.format_rfc3339(), "line_count": line_count,
        "payout_lines": fields.payouts.len(), "instructions": instructions.len(),
        "paid_minor": paid.iter().map(|(c, a)| json!({"currency": c, "amount_minor": a.to_string()})).collect::<Vec<_>>(),
        "statement_hash": hash.to_string(), "log_entry": entry_hash, "pools": pools, "statement": signed,
    }))
}

#[derive(Deserialize)]
struct SettlementRow {
    statement: String,
}

pub async fn statement(cx: &Cx, id: &str) -> ApiResult<Value> {
    let row: Option<SettlementRow> = cx
        .db()?
        .prepare("SELECT statement FROM settlements WHERE id = ?1")
        .bind(&[id.into()])?
        .first(None)
        .await?;
    let row = row.ok_or_else(|| ApiError::not_found(&format!("/v1/settlements/{id}")))?;
    serde_json::from_str(&row.statement).map_err(ApiError::internal)
}

/// A creator's signed statement: every usage line behind their amount, each
/// with its inclusion proof in the settlement's usage root.
pub async fn creator_statement(cx: &Cx, id: &str, creator: &str) -> ApiResult<Value> {
    let doc = statement(cx, id).await?;
    let ring = keys::load(&cx.env)?;
    let verified = verify_settlement(&doc, &ring.keys).map_err(ApiError::internal)?;
    let hash: Sha256Digest = statement_hash(&doc).map_err(ApiError::internal)?;
    let lines = ledger_lines(cx, "settlement_id = ?1", &[id.into()]).await?;
    if verified.fields.payouts_of(creator).next().is_none() {
        return Err(ApiError::not_found(&format!(
            "/v1/settlements/{id}/creators/{creator}"
        )));
    }
    let fields = CreatorStatementFields::build(
        format!("urn:uuid:{}", uuid::Uuid::new_v4()),
        cx.now(),
        creator,
        &verified.fields,
        hash,
        &lines,
    )
    .map_err(ApiError::internal)?;
    sign_creator_statement(fields, ring.active_signer(), cx.now()).map_err(ApiError::internal)
}
