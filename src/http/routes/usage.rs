//! Usage, the ledger, settlements, reconciliation and model passports.

use fairtrain_core::principal::Role;
use serde::Deserialize;
use serde_json::{json, Value};
use worker::Response;

use crate::http::auth;
use crate::http::context::Cx;
use crate::http::error::{ApiError, ApiResult};
use crate::http::{body, reply};
use crate::usage::{accept, ledger, passport, reconcile, settle};

/// A report of 5,000 events is about 2.5 MB.
const MAX_REPORT_BYTES: usize = 8 << 20;

/// `POST /v1/usage/reports` (orchestrator): a signed usage report.
pub async fn report(mut cx: Cx) -> ApiResult<Response> {
    let principal = auth::require(&cx, &[Role::Orchestrator]).await?;
    let raw = body::json_bytes(&mut cx, MAX_REPORT_BYTES).await?;
    let (status, out) = accept::accept(&cx, &principal, &raw).await?;
    reply::json(status, &out, "no-store")
}

/// `GET /v1/usage/reports/{id}`: the receipt a report was answered with.
pub async fn get_report(cx: Cx, id: &str) -> ApiResult<Response> {
    let p = auth::require(&cx, &[Role::Operator, Role::Auditor, Role::Orchestrator]).await?;
    #[derive(Deserialize)]
    struct Row {
        orchestrator: String,
        receipt: String,
        log_entries: String,
    }
    let row: Option<Row> = cx
        .db()?
        .prepare("SELECT orchestrator, receipt, log_entries FROM usage_reports WHERE id = ?1")
        .bind(&[id.into()])?
        .first(None)
        .await?;
    let row = row
        .filter(|r| p.role != Role::Orchestrator || r.orchestrator == p.id)
        .ok_or_else(|| ApiError::not_found(&format!("/v1/usage/reports/{id}")))?;
    let receipt: Value = serde_json::from_str(&row.receipt).map_err(ApiError::internal)?;
    let entries: Value = serde_json::from_str(&row.log_entries).map_err(ApiError::internal)?;
    reply::ok(&json!({ "receipt": receipt, "log": { "entries": entries } }))
}

/// `GET /v1/ledger/summary` (operator, auditor): counts and exact totals.
pub async fn summary(cx: Cx) -> ApiResult<Response> {
    auth::require(&cx, &[Role::Operator, Role::Auditor]).await?;
    #[derive(Deserialize)]
    struct Counts {
        events: i64,
        conflicts: i64,
        reports: i64,
        lines: i64,
    }
    let counts: Option<Counts> = cx
        .db()?
        .prepare(
            "SELECT (SELECT COUNT(*) FROM usage_events) AS events, (SELECT COUNT(*) FROM usage_conflicts) AS conflicts, \
             (SELECT COUNT(*) FROM usage_reports) AS reports, (SELECT COUNT(*) FROM usage_ledger) AS lines",
        )
        .first(None)
        .await?;
    let counts = counts.ok_or_else(|| ApiError::internal("counts"))?;
    let mut out = json!({ "events": counts.events, "conflicts": counts.conflicts, "reports": counts.reports,
                          "lines": counts.lines });
    // Exact totals need every line's amount (atto sums exceed SQLite's
    // integers), so only on request.
    if cx
        .url
        .query_pairs()
        .any(|(k, v)| k == "totals" && v == "true")
    {
        out["totals"] = ledger::totals_json(&ledger::ledger_totals(&cx).await?);
    }
    reply::json(200, &out, "no-store")
}

/// Operators and auditors see any creator; a creator sees their own.
async fn require_creator_or_staff(cx: &Cx, creator: &str) -> ApiResult<()> {
    let p = auth::require(cx, &[Role::Operator, Role::Auditor, Role::Creator]).await?;
    if p.role == Role::Creator && p.id != creator {
        return Err(ApiError::forbidden(
            "a creator may read only their own ledger",
        ));
    }
    Ok(())
}

/// `GET /v1/ledger/balances/{creator}`: derived from the ledger, now.
pub async fn balance(cx: Cx, creator: &str) -> ApiResult<Response> {
    require_creator_or_staff(&cx, creator).await?;
    reply::json(200, &ledger::balance(&cx, creator).await?, "no-store")
}

/// `POST /v1/manifests/{id}/revenue` (operator): revenue to share under a
/// revenue_share manifest at the next settlement.
pub async fn revenue(mut cx: Cx, manifest_id: &str) -> ApiResult<Response> {
    auth::require(&cx, &[Role::Operator]).await?;
    let r: crate::usage::pools::Revenue = body::json(&mut cx, 1024).await?;
    let out = crate::usage::pools::record_revenue(&cx, manifest_id, &r).await?;
    reply::json(201, &out, "no-store")
}

/// `POST /v1/settlements` (operator): close the period up to now.
pub async fn settle(cx: Cx) -> ApiResult<Response> {
    auth::require(&cx, &[Role::Operator]).await?;
    let out = settle::settle(&cx, "operator").await?;
    let id = out["settlement_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    reply::created(&out, &format!("/v1/settlements/{id}"))
}

pub async fn list_settlements(cx: Cx) -> ApiResult<Response> {
    auth::require(&cx, &[Role::Operator, Role::Auditor]).await?;
    #[derive(Deserialize, serde::Serialize)]
    struct Row {
        id: String,
        period_start: String,
        period_end: String,
        trigger: String,
        statement_hash: String,
        usage_root: String,
        line_count: i64,
        log_entry_hash: String,
    }
    let rows: Vec<Row> = cx
        .db()?
        .prepare(
            "SELECT id, period_start, period_end, trigger, statement_hash, usage_root, line_count, log_entry_hash \
             FROM settlements ORDER BY period_end DESC LIMIT 1000",
        )
        .all()
        .await?
        .results()?;
    reply::ok(&json!({ "settlements": rows }))
}

/// `GET /v1/settlements/{id}`: the signed statement and its payout lines'
/// rail status. Creators get the statement alone (what their own statement
/// is checked against; its hash is in the public log), not the rail's records.
pub async fn get_settlement(cx: Cx, id: &str) -> ApiResult<Response> {
    let p = auth::require(&cx, &[Role::Operator, Role::Auditor, Role::Creator]).await?;
    let statement = settle::statement(&cx, id).await?;
    if p.role == Role::Creator {
        return reply::ok(&json!({ "settlement_id": id, "statement": statement }));
    }
    #[derive(Deserialize, serde::Serialize)]
    struct Line {
        line_id: String,
        creator: String,
        currency: String,
        amount_minor: String,
        payout_status: String,
        payout_id: Option<String>,
        confirmed_amount_minor: Option<String>,
        failure_reason: Option<String>,
        dispute_id: Option<String>,
    }
    let lines: Vec<Line> = cx
        .db()?
        .prepare(
            "SELECT line_id, creator, currency, amount_minor, payout_status, payout_id, confirmed_amount_minor, \
             failure_reason, dispute_id FROM settlement_lines WHERE settlement_id = ?1 ORDER BY creator, currency",
        )
        .bind(&[id.into()])?
        .all()
        .await?
        .results()?;
    reply::ok(&json!({ "settlement_id": id, "statement": statement, "payouts": lines }))
}

/// `GET /v1/settlements/{id}/creators/{did}`: the creator's signed statement.
pub async fn creator_statement(cx: Cx, id: &str, creator: &str) -> ApiResult<Response> {
    require_creator_or_staff(&cx, creator).await?;
    reply::ok(&settle::creator_statement(&cx, id, creator).await?)
}

pub async fn reconcile(cx: Cx) -> ApiResult<Response> {
    auth::require(&cx, &[Role::Operator]).await?;
    let out = reconcile::run(&cx).await?;
    let id = out["reconciliation_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    reply::created(&out, &format!("/v1/reconciliations/{id}"))
}

pub async fn get_reconciliation(cx: Cx, id: &str) -> ApiResult<Response> {
    auth::require(&cx, &[Role::Operator, Role::Auditor]).await?;
    reply::ok(&reconcile::get(&cx, id).await?)
}

/// The model id from its path segment (percent-decoded: ids may hold `/`).
fn model_id(raw: &str) -> ApiResult<String> {
    let decoded = percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .map_err(|_| ApiError::bad_request("the model id is not UTF-8 once percent-decoded"))?;
    if fairtrain_core::fields::is_token_text(&decoded, 200) {
        Ok(decoded.into_owned())
    } else {
        Err(ApiError::bad_request(
            "a model id is 1-200 printable ASCII characters without spaces",
        ))
    }
}

const MODEL_READERS: &[Role] = &[
    Role::Operator,
    Role::Auditor,
    Role::Buyer,
    Role::Orchestrator,
];

pub async fn passport(cx: Cx, model: &str) -> ApiResult<Response> {
    auth::require(&cx, MODEL_READERS).await?;
    reply::json(
        200,
        &passport::passport(&cx, &model_id(model)?).await?,
        "no-store",
    )
}

pub async fn passport_status(cx: Cx, model: &str) -> ApiResult<Response> {
    auth::require(&cx, MODEL_READERS).await?;
    reply::json(
        200,
        &passport::status(&cx, &model_id(model)?).await?,
        "no-store",
    )
}

/// `GET /v1/admin/dead-letters?queue=`: what exhausted its retries.
pub async fn dead_letters(cx: Cx) -> ApiResult<Response> {
    auth::require(&cx, &[Role::Operator]).await?;
    let queue = cx
        .url
        .query_pairs()
        .find(|(k, _)| k == "queue")
        .map(|(_, v)| v.into_owned());
    #[derive(Deserialize, serde::Serialize)]
    struct Row {
        queue: String,
        message_id: String,
        body: String,
        first_sent_at: String,
        parked_at: String,
        replayed_at: Option<String>,
    }
    let rows: Vec<Row> = cx
        .db()?
        .prepare(
            "SELECT queue, message_id, body, first_sent_at, parked_at, replayed_at FROM dead_letters \
             WHERE ?1 IS NULL OR queue = ?1 ORDER BY parked_at LIMIT 1000",
        )
        .bind(&[queue.as_deref().map(Into::into).unwrap_or(wasm_bindgen::JsValue::NULL)])?
        .all()
        .await?
        .results()?;
    reply::ok(&json!({ "dead_letters": rows }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Replay {
    queue: String,
    message_id: String,
}

/// `POST /v1/admin/dead-letters/replay`: put a parked message back on its queue.
pub async fn replay_dead_letter(mut cx: Cx) -> ApiResult<Response> {
    auth::require(&cx, &[Role::Operator]).await?;
    let req: Replay = body::json(&mut cx, 4096).await?;
    #[derive(Deserialize)]
    struct Row {
        body: String,
    }
    let row: Option<Row> = cx
        .db()?
        .prepare("SELECT body FROM dead_letters WHERE queue = ?1 AND message_id = ?2")
        .bind(&[req.queue.as_str().into(), req.message_id.as_str().into()])?
        .first(None)
        .await?;
    let row = row.ok_or_else(|| ApiError::not_found("/v1/admin/dead-letters (no such message)"))?;
    let body: Value = serde_json::from_str(&row.body).map_err(ApiError::internal)?;
    let inner: Value = crate::jobs::decode(&body).map_err(ApiError::internal)?;
    match req.queue.as_str() {
        "fairtrain-usage" => cx
            .env
            .queue("USAGE_QUEUE")?
            .send(body)
            .await
            .map_err(|e| ApiError::unavailable(format!("usage queue: {e}")))?,
        "fairtrain-webhooks" => {
            // A dead delivery goes back on the schedule from its first attempt.
            let delivery = inner["delivery"].as_str().unwrap_or_default().to_string();
            crate::webhooks::emit::restart(&cx, &[delivery]).await?
        }
        other => return Err(ApiError::field("/queue", format!("no queue {other:?}"))),
    }
    cx.db()?
        .prepare("UPDATE dead_letters SET replayed_at = ?3 WHERE queue = ?1 AND message_id = ?2")
        .bind(&[
            req.queue.as_str().into(),
            req.message_id.as_str().into(),
            cx.now().format_rfc3339().into(),
        ])?
        .run()
        .await?;
    reply::json(202, &json!({ "replayed": req.message_id }), "no-store")
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Fault {
    target: String,
    remaining: u32,
    mode: String,
}

/// `POST /v1/dev/faults` (development): make usage messages fail on purpose.
pub async fn dev_fault(mut cx: Cx) -> ApiResult<Response> {
    if !cx.is_development() {
        return Err(ApiError::not_found(cx.url.path()));
    }
    auth::require(&cx, &[Role::Operator]).await?;
    let f: Fault = body::json(&mut cx, 1024).await?;
    if !matches!(f.mode.as_str(), "before_write" | "after_write") {
        return Err(ApiError::field("/mode", "before_write or after_write"));
    }
    cx.db()?
        .prepare("INSERT OR REPLACE INTO dev_faults (target, remaining, mode) VALUES (?1, ?2, ?3)")
        .bind(&[
            f.target.as_str().into(),
            f.remaining.into(),
            f.mode.as_str().into(),
        ])?
        .run()
        .await?;
    reply::ok(&json!({ "target": f.target, "remaining": f.remaining, "mode": f.mode }))
}

/// `POST /v1/dev/tamper {"event_id"}` (development): change one ledger
/// line's amount behind the ledger's back, so reconciliation can be shown
/// to find it.
pub async fn dev_tamper(mut cx: Cx) -> ApiResult<Response> {
    if !cx.is_development() {
        return Err(ApiError::not_found(cx.url.path()));
    }
    auth::require(&cx, &[Role::Operator]).await?;
    let v: Value = body::json(&mut cx, 1024).await?;
    let event_id = v["event_id"].as_str().unwrap_or_default();
    cx.db()?
        .prepare("UPDATE usage_ledger SET amount = amount || '7' WHERE event_id = ?1")
        .bind(&[event_id.into()])?
        .run()
        .await?;
    reply::ok(&json!({ "tampered": event_id }))
}
