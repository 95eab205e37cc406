//! The `fairtrain-webhooks` queue consumer: one attempt of one delivery per
//! message, signed per Standard Webhooks and logged.
//!
//! An attempt is claimed in D1 first (`attempts` moves from n-1 to n only
//! once), so a duplicated queue message never sends twice. After the attempt
//! the outcome decides: 2xx delivered; 410 disables the endpoint; otherwise
//! the next attempt is queued after the spec's delay (or the receiver's
//! `Retry-After` on 429/503, if longer) until the schedule runs out, and then
//! the delivery is failed and parked on the dead-letter queue.

use std::time::Duration;

use fairtrain_core::time::Timestamp;
use fairtrain_webhooks::destination::{check_destination, DestinationPolicy};
use fairtrain_webhooks::retry::{
    next_step_on, parse_schedule, with_jitter, NextStep, RETRY_SCHEDULE_SECS,
};
use fairtrain_webhooks::secret::{SigningKey, WebhookSigningKey};
use fairtrain_webhooks::sign;
use futures_util::future::{select, Either};
use serde::Deserialize;
use serde_json::json;
use wasm_bindgen::JsValue;
use worker::{
    console_error, AbortController, Delay, Env, Fetch, Headers, MessageBatch, MessageExt, Method,
    Request, RequestInit, RequestRedirect,
};

use super::emit::{enqueue, AttemptMessage, MAX_QUEUE_DELAY_SECS};
use super::secrets::{self, Owner};
use crate::http::context::Cx;
use crate::http::error::{ApiError, ApiResult};
use crate::runtime::{keys, random};

/// How long a receiver gets to answer.
const TIMEOUT_SECS: u64 = 15;
/// A claimed attempt with no outcome after this long is presumed lost (the
/// consumer died mid-send) and may be claimed again.
const STALE_CLAIM_SECS: i64 = 120;

#[derive(Deserialize)]
struct DeliveryRow {
    status: String,
    attempts: u32,
    next_attempt_at: String,
    updated_at: String,
    endpoint_id: String,
    message_id: String,
    url: String,
    enabled: i64,
    body: String,
}

pub async fn consume(batch: MessageBatch<serde_json::Value>, env: Env) -> worker::Result<()> {
    let cx = match Cx::background(env, "queue/webhooks") {
        Ok(cx) => cx,
        Err(e) => {
            console_error!("webhooks: no context: {}", e);
            batch.retry_all();
            return Ok(());
        }
    };
    let messages = batch.messages()?;
    let outcomes = futures_util::future::join_all(messages.iter().map(|m| async {
        let parsed: Result<AttemptMessage, _> = crate::jobs::decode(m.body());
        match parsed {
            Ok(msg) => attempt(&cx, &msg).await,
            // Not ours to understand: park it rather than retry forever.
            Err(e) => Err(ApiError::internal(format!(
                "unreadable webhook message: {e}"
            ))),
        }
    }))
    .await;
    for (message, outcome) in messages.iter().zip(outcomes) {
        match outcome {
            Ok(()) => message.ack(),
            Err(e) => {
                console_error!("webhooks: message {} will be retried: {}", message.id(), e);
                message.retry();
            }
        }
    }
    Ok(())
}

fn schedule(cx: &Cx) -> Vec<u64> {
    cx.is_development()
        .then(|| cx.config("WEBHOOK_RETRY_SCHEDULE"))
        .flatten()
        .and_then(|s| parse_schedule(&s))
        .unwrap_or_else(|| RETRY_SCHEDULE_SECS.to_vec())
}

fn secs_between(from: &str, to: Timestamp) -> i64 {
    Timestamp::parse_rfc3339(from)
        .map(|t| (to.unix_millis() - t.unix_millis()) / 1000)
        .unwrap_or(i64::MAX)
}

/// One attempt of one delivery. `Err` means "could not even try" (D1 down):
/// the queue message is retried.
async fn attempt(cx: &Cx, msg: &AttemptMessage) -> ApiResult<()> {
    let db = cx.db()?;
    let row: Option<DeliveryRow> = db
        .prepare(
            "SELECT d.status, d.attempts, d.next_attempt_at, d.updated_at, d.endpoint_id, d.message_id, \
             e.url, e.enabled, m.body \
             FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id \
             JOIN webhook_messages m ON m.id = d.message_id WHERE d.id = ?1",
        )
        .bind(&[msg.delivery.as_str().into()])?
        .first(None)
        .await?;
    let Some(row) = row else {
        return Ok(()); // the endpoint was deleted
    };
    let now = cx.now();
    let now_text = now.format_rfc3339();
    let resumable = row.status == "sending"
        && row.attempts == msg.attempt
        && secs_between(&row.updated_at, now) > STALE_CLAIM_SECS;
    let open = matches!(row.status.as_str(), "pending" | "retrying");
    if !(resumable || (open && row.attempts + 1 == msg.attempt)) {
        return Ok(()); // done, or a stale duplicate
    }
    if row.enabled == 0 {
        db.prepare(
            "UPDATE webhook_deliveries SET status = 'cancelled', last_error = 'endpoint disabled', updated_at = ?2 \
             WHERE id = ?1 AND status IN ('pending', 'retrying', 'sending')",
        )
        .bind(&[msg.delivery.as_str().into(), now_text.as_str().into()])?
        .run()
        .await?;
        return Ok(());
    }
    // A delay longer than a queue allows arrives early: wait again.
    let early = -secs_between(&row.next_attempt_at, now);
    if early > 1 {
        return enqueue(
            cx,
            std::slice::from_ref(&msg.delivery),
            msg.attempt,
            early as u64,
        )
        .await;
    }
    let claimed = db
        .prepare(
            "UPDATE webhook_deliveries SET status = 'sending', attempts = ?2, updated_at = ?3 \
             WHERE id = ?1 AND ((attempts = ?2 - 1 AND status IN ('pending', 'retrying')) \
                                OR (attempts = ?2 AND status = 'sending' AND updated_at = ?4))",
        )
        .bind(&[
            msg.delivery.as_str().into(),
            msg.attempt.into(),
            now_text.as_str().into(),
            row.updated_at.as_str().into(),
        ])?
        .run()
        .await?;
    if claimed.meta()?.and_then(|m| m.changes).unwrap_or(0) == 0 {
        return Ok(()); // another consumer has it
    }

    let sent = send(cx, &row).await;
    let (status, retry_after, error, latency_ms) = match &sent {
        Ok(s) => (Some(s.status), s.retry_after.clone(), None, s.latency_ms),
        Err(f) => (None, None, Some(f.error.clone()), f.latency_ms),
    };
    db.prepare(
        "INSERT OR REPLACE INTO webhook_attempts (delivery_id, attempt, started_at, status, latency_ms, error) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )
    .bind(&[
        msg.delivery.as_str().into(),
        msg.attempt.into(),
        now_text.as_str().into(),
        status.map(JsValue::from).unwrap_or(JsValue::NULL),
        (latency_ms as f64).into(),
        error.as_deref().map(JsValue::from).unwrap_or(JsValue::NULL),
    ])?
    .run()
    .await?;

    let refused = matches!(&sent, Err(f) if f.permanent);
    let step = if refused {
        NextStep::GiveUp
    } else {
        next_step_on(
            &schedule(cx),
            msg.attempt,
            status,
            retry_after.as_deref(),
            now,
        )
    };
    let last_status = status.map(JsValue::from).unwrap_or(JsValue::NULL);
    let last_error = error.as_deref().map(JsValue::from).unwrap_or(JsValue::NULL);
    match step {
        NextStep::Delivered => {
            db.prepare(
                "UPDATE webhook_deliveries SET status = 'delivered', delivered_at = ?2, updated_at = ?2, \
                 last_status = ?3, last_error = NULL WHERE id = ?1",
            )
            .bind(&[msg.delivery.as_str().into(), now_text.as_str().into(), last_status])?
            .run()
            .await?;
        }
        NextStep::DisableEndpoint => {
            let reason = format!("the endpoint answered 410 Gone at {now_text}");
            db.batch(vec![
                db.prepare(
                    "UPDATE webhook_endpoints SET enabled = 0, disabled_reason = ?2, disabled_at = ?3, updated_at = ?3 \
                     WHERE id = ?1",
                )
                .bind(&[row.endpoint_id.as_str().into(), reason.as_str().into(), now_text.as_str().into()])?,
                db.prepare(
                    "UPDATE webhook_deliveries SET status = 'failed', last_status = 410, last_error = ?2, updated_at = ?3 \
                     WHERE id = ?1",
                )
                .bind(&[msg.delivery.as_str().into(), reason.as_str().into(), now_text.as_str().into()])?,
            ])
            .await?;
        }
        NextStep::RetryIn { seconds, .. } => {
            let jitter = u32::from_le_bytes(random::bytes::<4>()?);
            let delay = if cx.is_development() {
                seconds
            } else {
                with_jitter(seconds, jitter)
            };
            let next = now
                .checked_add_millis((delay * 1000) as i64)
                .ok_or_else(|| ApiError::internal("time overflow"))?
                .format_rfc3339();
            db.prepare(
                "UPDATE webhook_deliveries SET status = 'retrying', next_attempt_at = ?2, updated_at = ?3, \
                 last_status = ?4, last_error = ?5 WHERE id = ?1",
            )
            .bind(&[
                msg.delivery.as_str().into(),
                next.as_str().into(),
                now_text.as_str().into(),
                last_status,
                last_error,
            ])?
            .run()
            .await?;
            enqueue(
                cx,
                std::slice::from_ref(&msg.delivery),
                msg.attempt + 1,
                delay.min(MAX_QUEUE_DELAY_SECS),
            )
            .await?;
        }
        NextStep::GiveUp => {
            db.prepare(
                "UPDATE webhook_deliveries SET status = 'failed', updated_at = ?2, last_status = ?3, last_error = ?4 \
                 WHERE id = ?1",
            )
            .bind(&[msg.delivery.as_str().into(), now_text.as_str().into(), last_status, last_error])?
            .run()
            .await?;
            // Parked where an operator sees it (the DLQ drains into D1's
            // dead_letters); replay puts it back on the schedule.
            let parked = json!({ "delivery": msg.delivery, "message_id": row.message_id,
                                 "endpoint_id": row.endpoint_id, "attempts": msg.attempt,
                                 "last_status": status, "last_error": error });
            cx.env
                .queue("WEBHOOK_DLQ")?
                .send(parked.to_string())
                .await
                .map_err(|e| ApiError::unavailable(format!("webhook dead-letter queue: {e}")))?;
        }
    }
    Ok(())
}

struct Answer {
    status: u16,
    retry_after: Option<String>,
    latency_ms: u64,
}

struct Failure {
    error: String,
    latency_ms: u64,
    /// The destination is refused: retrying cannot help.
    permanent: bool,
}

async fn send(cx: &Cx, row: &DeliveryRow) -> Result<Answer, Failure> {
    let fail = |error: String, permanent: bool| Failure {
        error,
        latency_ms: 0,
        permanent,
    };
    let policy = if cx.is_development() {
        DestinationPolicy::DEVELOPMENT
    } else {
        DestinationPolicy::PRODUCTION
    };
    // Literal addresses and reserved names are refused here; a public name
    // that resolves to a private address is refused by the runtime's own
    // egress (Workers cannot reach private networks).
    let destination = check_destination(&row.url, &policy)
        .map_err(|e| fail(format!("destination refused: {e}"), true))?;
    let mut keys: Vec<SigningKey> = secrets::live(cx, Owner::Endpoint, &row.endpoint_id)
        .await
        .map_err(|e| fail(format!("secrets: {}", e), false))?
        .into_iter()
        .map(SigningKey::Hmac)
        .collect();
    let ring = keys::load(&cx.env).map_err(|e| fail(format!("keys: {}", e), false))?;
    keys.push(SigningKey::Ed25519(WebhookSigningKey::from_seed(
        &ring.active_signer().seed(),
    )));
    let timestamp = (cx.now_ms / 1000) as i64;
    let signed = sign(&keys, &row.message_id, timestamp, row.body.as_bytes())
        .map_err(|e| fail(format!("signing: {e}"), true))?;

    let build = || -> worker::Result<Request> {
        let headers = Headers::new();
        for (name, value) in signed.to_pairs() {
            headers.set(name, &value)?;
        }
        headers.set("Content-Type", "application/json")?;
        headers.set("User-Agent", "fairtrain-webhooks/1")?;
        let mut init = RequestInit::new();
        init.with_method(Method::Post)
            .with_headers(headers)
            .with_redirect(RequestRedirect::Manual)
            .with_body(Some(JsValue::from_str(&row.body)));
        Request::new_with_init(&destination.url(), &init)
    };
    let request = build().map_err(|e| fail(format!("request: {e}"), true))?;
    let started = worker::Date::now().as_millis();
    let controller = AbortController::default();
    let signal = controller.signal();
    let fetcher = Fetch::Request(request);
    let fetch = fetcher.send_with_signal(&signal);
    let timeout = Delay::from(Duration::from_secs(TIMEOUT_SECS));
    futures_util::pin_mut!(fetch, timeout);
    let outcome = select(fetch, timeout).await;
    let latency_ms = worker::Date::now().as_millis().saturating_sub(started);
    match outcome {
        Either::Left((Ok(response), _)) => Ok(Answer {
            status: response.status_code(),
            retry_after: response.headers().get("Retry-After").ok().flatten(),
            latency_ms,
        }),
        Either::Left((Err(e), _)) => Err(Failure {
            error: format!("network: {e}"),
            latency_ms,
            permanent: false,
        }),
        Either::Right(_) => {
            controller.abort();
            Err(Failure {
                error: format!("no answer within {TIMEOUT_SECS} s"),
                latency_ms,
                permanent: false,
            })
        }
    }
}

/// Hourly: queue again any delivery that is due but whose queue message went
/// missing (recorded, then the queue send failed), or whose claim went stale.
pub async fn sweep(cx: &Cx) -> ApiResult<usize> {
    #[derive(Deserialize)]
    struct Due {
        id: String,
        attempts: u32,
        status: String,
    }
    let now = cx.now();
    let overdue = now
        .checked_add_millis(-15 * 60 * 1000)
        .ok_or_else(|| ApiError::internal("time overflow"))?
        .format_rfc3339();
    let due: Vec<Due> = cx
        .db()?
        .prepare(
            "SELECT id, attempts, status FROM webhook_deliveries \
             WHERE (status IN ('pending', 'retrying') AND next_attempt_at < ?1) \
                OR (status = 'sending' AND updated_at < ?1) LIMIT 1000",
        )
        .bind(&[overdue.as_str().into()])?
        .all()
        .await?
        .results()?;
    for d in &due {
        let attempt = if d.status == "sending" {
            d.attempts
        } else {
            d.attempts + 1
        };
        enqueue(cx, std::slice::from_ref(&d.id), attempt, 0).await?;
    }
    Ok(due.len())
}
