//! Usage, the ledger, settlements, reconciliation, model passports and dead
//! letters: parse, authorise, call `fairtrain_app`, render.

use fairtrain_app::settlements::{self, Revenue, Trigger};
use fairtrain_app::usage::{self, Accepted};
use fairtrain_app::{dead_letters, ledger, passports, reconciliation};
use fairtrain_core::principal::Role;
use serde::Deserialize;
use worker::Response;

use crate::http::auth;
use crate::http::context::Cx;
use crate::http::error::{ApiError, ApiResult};
use crate::http::{body, reply};

/// A report of 5,000 events is about 2.5 MB.
const MAX_REPORT_BYTES: usize = 8 << 20;

/// `POST /v1/usage/reports` (orchestrator): a signed usage report.
pub async fn report(mut cx: Cx) -> ApiResult<Response> {
    let principal = auth::require(&cx, &[Role::Orchestrator]).await?;
    let raw = body::json_bytes(&mut cx, MAX_REPORT_BYTES).await?;
    match usage::accept(&cx.rt, &principal, &raw).await? {
        Accepted::Recorded(r) => reply::json(201, &r, "no-store"),
        Accepted::AlreadyRecorded(a) => reply::json(200, &a, "no-store"),
    }
}

/// `GET /v1/usage/reports/{id}`: the receipt a report was answered with.
pub async fn get_report(cx: Cx, id: &str) -> ApiResult<Response> {
    let p = auth::require(&cx, &[Role::Operator, Role::Auditor, Role::Orchestrator]).await?;
    reply::ok(&usage::read_report(&cx.rt, &p, id).await?)
}

/// `GET /v1/ledger/summary` (operator, auditor): counts, and exact totals
/// with `?totals=true`.
pub async fn summary(cx: Cx) -> ApiResult<Response> {
    auth::require(&cx, &[Role::Operator, Role::Auditor]).await?;
    let totals = cx
        .url
        .query_pairs()
        .any(|(k, v)| k == "totals" && v == "true");
    reply::json(200, &ledger::summary(&cx.rt, totals).await?, "no-store")
}

/// Operators, auditors and creators (their own).
const CREATOR_READERS: &[Role] = &[Role::Operator, Role::Auditor, Role::Creator];

/// `GET /v1/ledger/balances/{creator}`: derived from the ledger, now.
pub async fn balance(cx: Cx, creator: &str) -> ApiResult<Response> {
    let p = auth::require(&cx, CREATOR_READERS).await?;
    reply::json(
        200,
        &ledger::balance(&cx.rt, &p, creator).await?,
        "no-store",
    )
}

/// `POST /v1/manifests/{id}/revenue` (operator): revenue to share under a
/// revenue_share manifest at the next settlement.
pub async fn revenue(mut cx: Cx, manifest_id: &str) -> ApiResult<Response> {
    auth::require(&cx, &[Role::Operator]).await?;
    let r: Revenue = body::json(&mut cx, 1024).await?;
    let out = settlements::record_revenue(&cx.rt, manifest_id, &r).await?;
    reply::json(201, &out, "no-store")
}

/// `POST /v1/settlements` (operator): close the period up to now.
pub async fn settle(cx: Cx) -> ApiResult<Response> {
    auth::require(&cx, &[Role::Operator]).await?;
    let out = settlements::settle(&cx.rt, Trigger::Operator).await?;
    reply::created(&out, &format!("/v1/settlements/{}", out.settlement_id))
}

pub async fn list_settlements(cx: Cx) -> ApiResult<Response> {
    auth::require(&cx, &[Role::Operator, Role::Auditor]).await?;
    reply::ok(&settlements::list(&cx.rt).await?)
}

/// `GET /v1/settlements/{id}`: the signed statement, and (for operators and
/// auditors) its payout lines' rail status.
pub async fn get_settlement(cx: Cx, id: &str) -> ApiResult<Response> {
    let p = auth::require(&cx, CREATOR_READERS).await?;
    reply::ok(&settlements::read(&cx.rt, &p, id).await?)
}

/// `GET /v1/settlements/{id}/creators/{did}`: the creator's signed statement.
pub async fn creator_statement(cx: Cx, id: &str, creator: &str) -> ApiResult<Response> {
    let p = auth::require(&cx, CREATOR_READERS).await?;
    reply::ok(&settlements::creator_statement(&cx.rt, &p, id, creator).await?)
}

pub async fn reconcile(cx: Cx) -> ApiResult<Response> {
    auth::require(&cx, &[Role::Operator]).await?;
    let out = reconciliation::run(&cx.rt).await?;
    reply::created(
        &out,
        &format!("/v1/reconciliations/{}", out.reconciliation_id),
    )
}

pub async fn get_reconciliation(cx: Cx, id: &str) -> ApiResult<Response> {
    auth::require(&cx, &[Role::Operator, Role::Auditor]).await?;
    reply::ok(&reconciliation::read(&cx.rt, id).await?)
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
    let doc = passports::passport(&cx.rt, &model_id(model)?).await?;
    reply::json(200, &doc, "no-store")
}

pub async fn passport_status(cx: Cx, model: &str) -> ApiResult<Response> {
    auth::require(&cx, MODEL_READERS).await?;
    let doc = passports::status(&cx.rt, &model_id(model)?).await?;
    reply::json(200, &doc, "no-store")
}

/// `GET /v1/admin/dead-letters?queue=`: what exhausted its retries.
pub async fn dead_letters(cx: Cx) -> ApiResult<Response> {
    auth::require(&cx, &[Role::Operator]).await?;
    let queue = cx
        .url
        .query_pairs()
        .find(|(k, _)| k == "queue")
        .map(|(_, v)| v.into_owned());
    reply::ok(&dead_letters::list(&cx.rt, queue.as_deref()).await?)
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
    let out = dead_letters::replay(&cx.rt, &req.queue, &req.message_id).await?;
    reply::json(202, &out, "no-store")
}
