//! The `fairtrain-usage` queue consumer: prices accepted events into the
//! ledger, exactly once.
//!
//! Delivery is at-least-once and unordered. Every write is keyed: an event
//! row by its id (`INSERT OR IGNORE`), a ledger line by (event id, leaf,
//! kind), a per-epoch charge by (manifest, run, epoch, leaf). A message is
//! written in one D1 batch (a transaction), so a failure leaves nothing half
//! done, and a redelivery after a failure *or* after success adds nothing. An
//! event id seen again with different content is kept aside as a conflict and
//! never priced. A message that keeps failing goes to the dead-letter queue
//! (parked in D1, replayable), never dropped.

use fairtrain_core::money::Rate;
use fairtrain_manifest::terms::AttributionModel;
use fairtrain_usage::{price_event, UsageEvent};
use serde::Deserialize;
use serde_json::{json, Value};
use worker::{console_error, Env, MessageBatch, MessageExt};

use super::accept::UsageMessage;
use super::policies::Policies;
use crate::http::context::Cx;
use crate::http::error::{ApiError, ApiResult};

/// D1 statements stay under 100 KB: JSON parameters are cut to this.
const MAX_PARAM_BYTES: usize = 80 * 1024;

pub async fn consume(batch: MessageBatch<Value>, env: Env) -> worker::Result<()> {
    let cx = match Cx::background(env, "queue/usage") {
        Ok(cx) => cx,
        Err(_) => {
            batch.retry_all();
            return Ok(());
        }
    };
    let messages = batch.messages()?;
    let parsed: Vec<ApiResult<UsageMessage>> = messages.iter().map(|m| parse(m.body())).collect();
    // The manifests' policies once per batch; then the messages' writes
    // overlap (D1 runs them one at a time, but their round trips overlap).
    let mut policies = Policies::default();
    for msg in parsed.iter().flatten() {
        for q in &msg.events {
            if let Some(id) = q.event["manifest_id"].as_str() {
                if let Err(e) = policies.load(&cx, id).await {
                    console_error!("usage: policy of {id}: {}", e);
                }
            }
        }
    }
    let outcomes = futures_util::future::join_all(parsed.into_iter().map(|p| {
        let (cx, policies) = (&cx, &policies);
        async move { price_message(cx, p?, policies).await }
    }))
    .await;
    for (message, outcome) in messages.iter().zip(outcomes) {
        match outcome {
            Ok(()) => message.ack(),
            Err(e) => {
                console_error!("usage: message {} will be retried: {}", message.id(), e);
                message.retry();
            }
        }
    }
    Ok(())
}

/// JSON arrays of `rows`, each small enough for one statement parameter.
pub fn json_chunks(rows: &[Value]) -> ApiResult<Vec<String>> {
    let mut out = Vec::new();
    let mut current: Vec<&Value> = Vec::new();
    let mut size = 2;
    for r in rows {
        let n = serde_json::to_string(r).map_err(ApiError::internal)?.len() + 1;
        if size + n > MAX_PARAM_BYTES && !current.is_empty() {
            out.push(serde_json::to_string(&current).map_err(ApiError::internal)?);
            current.clear();
            size = 2;
        }
        size += n;
        current.push(r);
    }
    if !current.is_empty() {
        out.push(serde_json::to_string(&current).map_err(ApiError::internal)?);
    }
    Ok(out)
}

/// Development only: a test can make messages fail (before or after their
/// write) to prove that retries and redeliveries count nothing twice.
async fn injected_fault(cx: &Cx, report_id: &str) -> ApiResult<Option<String>> {
    if !cx.is_development() {
        return Ok(None);
    }
    #[derive(Deserialize)]
    struct Fault {
        target: String,
        mode: String,
    }
    let db = cx.db()?;
    let fault: Option<Fault> = db
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
    Ok(Some(f.mode))
}

fn parse(body: &Value) -> ApiResult<UsageMessage> {
    crate::jobs::decode(body).map_err(|e| ApiError::internal(format!("usage message: {e}")))
}

async fn price_message(cx: &Cx, msg: UsageMessage, policies: &Policies) -> ApiResult<()> {
    let fault = injected_fault(cx, &msg.report_id).await?;
    if fault.as_deref() == Some("before_write") {
        return Err(ApiError::unavailable("injected fault before the write"));
    }
    let now = cx.now().format_rfc3339();
    let mut events = Vec::new();
    let mut epochs = Vec::new();
    let mut lines = Vec::new();
    for q in &msg.events {
        let e = UsageEvent::from_json(&q.event).map_err(ApiError::internal)?;
        let policy = policies
            .get(&e.manifest_id)
            .ok_or_else(|| ApiError::unavailable(format!("no policy for {}", e.manifest_id)))?;
        let rate = Rate::from_price(&policy.price).map_err(ApiError::internal)?;
        // Per-epoch: price as if first; the SQL below zeroes all but the
        // event that won the (run, epoch, leaf) key.
        let per_epoch = policy.attribution_model == AttributionModel::PerEpoch;
        let flags = vec![true; q.assets.len()];
        let charges = price_event(policy, &e, if per_epoch { &flags } else { &[] })
            .map_err(ApiError::internal)?;
        events.push(json!({
            "event_id": e.event_id, "event_hash": q.hash, "report_id": msg.report_id,
            "batch_leaf": q.batch_leaf, "manifest_id": e.manifest_id, "model_id": e.model_id,
            "training_run_id": e.training_run_id, "epoch": e.epoch, "samples": e.samples_count,
            "used_at": e.timestamp.format_rfc3339(),
            "event": String::from_utf8(e.canonical()).map_err(ApiError::internal)?,
        }));
        for (a, c) in q.assets.iter().zip(charges) {
            if per_epoch {
                epochs.push(
                    json!({ "manifest_id": e.manifest_id, "run": e.training_run_id,
                                    "epoch": e.epoch, "leaf": a.leaf, "event_id": e.event_id }),
                );
            }
            lines.push(json!({
                "event_id": e.event_id, "event_hash": q.hash, "leaf": a.leaf, "manifest_id": e.manifest_id,
                "creator": a.creator, "model_id": e.model_id, "run": e.training_run_id, "epoch": e.epoch,
                "units": c.units, "currency": rate.currency, "minor_units": rate.minor_units,
                "amount": c.amount.to_string(), "per_epoch": per_epoch,
            }));
        }
    }
    let db = cx.db()?;
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
    for chunk in json_chunks(&epochs)? {
        statements.push(
            db.prepare(
                "INSERT OR IGNORE INTO epoch_charges (manifest_id, training_run_id, epoch, leaf_index, event_id) \
                 SELECT j.value ->> 'manifest_id', j.value ->> 'run', j.value ->> 'epoch', j.value ->> 'leaf', \
                 j.value ->> 'event_id' FROM json_each(?1) j \
                 WHERE EXISTS (SELECT 1 FROM usage_events u WHERE u.event_id = j.value ->> 'event_id')",
            )
            .bind(&[chunk.as_str().into()])?,
        );
    }
    for chunk in json_chunks(&lines)? {
        statements.push(
            db.prepare(
                "INSERT OR IGNORE INTO usage_ledger (event_id, event_hash, leaf_index, kind, manifest_id, creator, \
                 model_id, training_run_id, units, currency, minor_units, amount, priced_at) \
                 SELECT j.value ->> 'event_id', j.value ->> 'event_hash', j.value ->> 'leaf', 'usage', \
                 j.value ->> 'manifest_id', j.value ->> 'creator', j.value ->> 'model_id', j.value ->> 'run', \
                 j.value ->> 'units', j.value ->> 'currency', j.value ->> 'minor_units', \
                 CASE WHEN j.value ->> 'per_epoch' AND NOT EXISTS (SELECT 1 FROM epoch_charges c \
                      WHERE c.manifest_id = j.value ->> 'manifest_id' AND c.training_run_id = j.value ->> 'run' \
                      AND c.epoch = j.value ->> 'epoch' AND c.leaf_index = j.value ->> 'leaf' \
                      AND c.event_id = j.value ->> 'event_id') THEN '0' ELSE j.value ->> 'amount' END, ?2 \
                 FROM json_each(?1) j WHERE EXISTS (SELECT 1 FROM usage_events u \
                      WHERE u.event_id = j.value ->> 'event_id' AND u.event_hash = j.value ->> 'event_hash')",
            )
            .bind(&[chunk.as_str().into(), now.as_str().into()])?,
        );
    }
    db.batch(statements).await?;
    if fault.as_deref() == Some("after_write") {
        return Err(ApiError::unavailable("injected fault after the write"));
    }
    Ok(())
}
