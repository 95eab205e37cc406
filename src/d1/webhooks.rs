//! `webhook_endpoints`, `webhook_secrets`, `webhook_messages`,
//! `webhook_deliveries` and `webhook_attempts`; and the secret tables'
//! shared statements (`integration_secrets` has the same shape).

use fairtrain_app::webhooks::delivery::DeliveryStatus;
use fairtrain_app::webhooks::store::{
    AttemptEnd, AttemptRecord, Delivery, Endpoint, LoggedDelivery, NewDelivery, NewMessage,
    Overdue, Subscription, WebhookStore,
};
use fairtrain_app::{Error, Result};
use fairtrain_core::time::Timestamp;
use fairtrain_webhooks::WebhookSecret;
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement};

use super::{changes, json_chunks, opt, opt_time, opt_time_value, time};
use crate::runtime::Runtime;

const ENDPOINT_COLUMNS: &str = "id, url, description, event_types, enabled, disabled_reason, \
                                disabled_at, created_at, updated_at";

#[derive(Deserialize)]
struct EndpointRow {
    id: String,
    url: String,
    description: Option<String>,
    event_types: String,
    enabled: i64,
    disabled_reason: Option<String>,
    disabled_at: Option<String>,
    created_at: String,
    updated_at: String,
}

impl EndpointRow {
    fn stored(self) -> Result<Endpoint> {
        Ok(Endpoint {
            event_types: serde_json::from_str(&self.event_types)?,
            enabled: self.enabled != 0,
            disabled_at: opt_time(self.disabled_at.as_deref())?,
            created_at: time(&self.created_at)?,
            updated_at: time(&self.updated_at)?,
            id: self.id,
            url: self.url,
            description: self.description,
            disabled_reason: self.disabled_reason,
        })
    }
}

/// An endpoint's values in [`ENDPOINT_COLUMNS`] order (`?1` to `?9`).
fn endpoint_values(e: &Endpoint) -> Result<[JsValue; 9]> {
    Ok([
        e.id.as_str().into(),
        e.url.as_str().into(),
        opt(e.description.as_deref()),
        serde_json::to_string(&e.event_types)?.into(),
        (e.enabled as i32).into(),
        opt(e.disabled_reason.as_deref()),
        opt_time_value(e.disabled_at),
        e.created_at.format_rfc3339().into(),
        e.updated_at.format_rfc3339().into(),
    ])
}

fn status(text: &str) -> Result<DeliveryStatus> {
    text.parse()
        .map_err(|e| Error::internal(format!("webhook_deliveries: {e}")))
}

fn opt_number(value: Option<u16>) -> JsValue {
    value.map(JsValue::from).unwrap_or(JsValue::NULL)
}

/// A table of secrets keyed by their owner's id: `webhook_secrets`
/// (`endpoint_id`) or `integration_secrets` (`integration_id`).
#[derive(Clone, Copy)]
pub(super) struct SecretTable {
    pub table: &'static str,
    pub owner: &'static str,
}

pub(super) const ENDPOINT_SECRETS: SecretTable = SecretTable {
    table: "webhook_secrets",
    owner: "endpoint_id",
};

#[derive(Deserialize)]
struct SecretRow {
    secret: String,
}

impl SecretTable {
    /// The statement that stores an owner's first, current secret.
    pub fn insert(
        self,
        db: &D1Database,
        id: &str,
        secret: &WebhookSecret,
        at: Timestamp,
    ) -> Result<D1PreparedStatement> {
        let SecretTable { table, owner } = self;
        Ok(db
            .prepare(format!(
                "INSERT INTO {table} ({owner}, secret, created_at, expires_at) VALUES (?1, ?2, ?3, NULL)"
            ))
            .bind(&[
                id.into(),
                secret.encode().into(),
                at.format_rfc3339().into(),
            ])?)
    }

    pub async fn live(
        self,
        db: &D1Database,
        id: &str,
        at: Timestamp,
    ) -> Result<Vec<WebhookSecret>> {
        let SecretTable { table, owner } = self;
        let rows: Vec<SecretRow> = db
            .prepare(format!(
                "SELECT secret FROM {table} WHERE {owner} = ?1 AND (expires_at IS NULL OR expires_at > ?2) \
                 ORDER BY expires_at IS NULL DESC, created_at DESC"
            ))
            .bind(&[id.into(), at.format_rfc3339().into()])?
            .all()
            .await?
            .results()?;
        rows.iter()
            .map(|r| Ok(WebhookSecret::parse(&r.secret)?))
            .collect()
    }

    pub async fn rotate(
        self,
        db: &D1Database,
        id: &str,
        secret: &WebhookSecret,
        at: Timestamp,
        until: Timestamp,
    ) -> Result<()> {
        let SecretTable { table, owner } = self;
        db.batch(vec![
            db.prepare(format!(
                "UPDATE {table} SET expires_at = ?2 WHERE {owner} = ?1 AND (expires_at IS NULL OR expires_at > ?2)"
            ))
            .bind(&[id.into(), until.format_rfc3339().into()])?,
            self.insert(db, id, secret, at)?,
        ])
        .await?;
        Ok(())
    }
}

#[derive(Serialize)]
struct MessageParam<'a> {
    id: &'a str,
    event_type: &'a str,
    body: &'a str,
}

#[derive(Serialize)]
struct DeliveryParam<'a> {
    id: &'a str,
    message_id: &'a str,
    endpoint_id: &'a str,
}

impl WebhookStore for Runtime {
    async fn subscriptions(&self) -> Result<Vec<Subscription>> {
        #[derive(Deserialize)]
        struct Row {
            id: String,
            event_types: String,
        }
        let rows: Vec<Row> = self
            .db()?
            .prepare("SELECT id, event_types FROM webhook_endpoints WHERE enabled = 1")
            .all()
            .await?
            .results()?;
        Ok(rows
            .into_iter()
            .map(|r| Subscription {
                event_types: serde_json::from_str(&r.event_types).unwrap_or_default(),
                endpoint_id: r.id,
            })
            .collect())
    }

    async fn record_deliveries(
        &self,
        messages: &[NewMessage],
        deliveries: &[NewDelivery],
        at: Timestamp,
    ) -> Result<()> {
        let db = self.db()?;
        let now = at.format_rfc3339();
        let messages: Vec<MessageParam> = messages
            .iter()
            .map(|m| MessageParam {
                id: &m.id,
                event_type: &m.event_type,
                body: &m.body,
            })
            .collect();
        let deliveries: Vec<DeliveryParam> = deliveries
            .iter()
            .map(|d| DeliveryParam {
                id: &d.id,
                message_id: &d.message_id,
                endpoint_id: &d.endpoint_id,
            })
            .collect();
        let mut statements = Vec::new();
        for chunk in json_chunks(&messages)? {
            statements.push(
                db.prepare(
                    "INSERT OR IGNORE INTO webhook_messages (id, event_type, body, created_at) \
                     SELECT json_extract(value, '$.id'), json_extract(value, '$.event_type'), json_extract(value, '$.body'), ?2 FROM json_each(?1)",
                )
                .bind(&[chunk.into(), now.as_str().into()])?,
            );
        }
        for chunk in json_chunks(&deliveries)? {
            statements.push(
                db.prepare(
                    "INSERT OR IGNORE INTO webhook_deliveries \
                     (id, message_id, endpoint_id, status, attempts, next_attempt_at, created_at, updated_at) \
                     SELECT json_extract(value, '$.id'), json_extract(value, '$.message_id'), json_extract(value, '$.endpoint_id'), 'pending', 0, ?2, ?2, ?2 \
                     FROM json_each(?1)",
                )
                .bind(&[chunk.into(), now.as_str().into()])?,
            );
        }
        if !statements.is_empty() {
            // One batch: messages and their deliveries land together or not at all.
            db.batch(statements).await?;
        }
        Ok(())
    }

    async fn restart_deliveries(&self, ids: &[String], at: Timestamp) -> Result<()> {
        let now = at.format_rfc3339();
        let db = self.db()?;
        let mut statements = Vec::new();
        for list in json_chunks(ids)? {
            statements.push(
                db.prepare(
                    "UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?2, \
                     updated_at = ?2 WHERE id IN (SELECT value FROM json_each(?1))",
                )
                .bind(&[list.into(), now.as_str().into()])?,
            );
        }
        if !statements.is_empty() {
            db.batch(statements).await?;
        }
        Ok(())
    }

    async fn insert_endpoint(&self, e: &Endpoint, secret: &WebhookSecret) -> Result<()> {
        let db = self.db()?;
        db.batch(vec![
            db.prepare(format!(
                "INSERT INTO webhook_endpoints ({ENDPOINT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
            ))
            .bind(&endpoint_values(e)?)?,
            ENDPOINT_SECRETS.insert(&db, &e.id, secret, e.created_at)?,
        ])
        .await?;
        Ok(())
    }

    async fn endpoint(&self, id: &str) -> Result<Option<Endpoint>> {
        let row: Option<EndpointRow> = self
            .db()?
            .prepare(format!(
                "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = ?1"
            ))
            .bind(&[id.into()])?
            .first(None)
            .await?;
        row.map(EndpointRow::stored).transpose()
    }

    async fn endpoints(&self) -> Result<Vec<Endpoint>> {
        let rows: Vec<EndpointRow> = self
            .db()?
            .prepare(format!(
                "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints ORDER BY created_at, id"
            ))
            .all()
            .await?
            .results()?;
        rows.into_iter().map(EndpointRow::stored).collect()
    }

    async fn update_endpoint(&self, e: &Endpoint) -> Result<()> {
        self.db()?
            .prepare(
                "UPDATE webhook_endpoints SET url = ?2, description = ?3, event_types = ?4, enabled = ?5, \
                 disabled_reason = ?6, disabled_at = ?7, updated_at = ?9 WHERE id = ?1",
            )
            .bind(&endpoint_values(e)?)?
            .run()
            .await?;
        Ok(())
    }

    async fn delete_endpoint(&self, id: &str) -> Result<()> {
        let db = self.db()?;
        db.batch(vec![
            db.prepare(
                "DELETE FROM webhook_attempts WHERE delivery_id IN \
                 (SELECT id FROM webhook_deliveries WHERE endpoint_id = ?1)",
            )
            .bind(&[id.into()])?,
            db.prepare("DELETE FROM webhook_deliveries WHERE endpoint_id = ?1")
                .bind(&[id.into()])?,
            db.prepare("DELETE FROM webhook_secrets WHERE endpoint_id = ?1")
                .bind(&[id.into()])?,
            db.prepare("DELETE FROM webhook_endpoints WHERE id = ?1")
                .bind(&[id.into()])?,
        ])
        .await?;
        Ok(())
    }

    async fn endpoint_secrets(&self, id: &str, at: Timestamp) -> Result<Vec<WebhookSecret>> {
        ENDPOINT_SECRETS.live(&self.db()?, id, at).await
    }

    async fn rotate_endpoint_secret(
        &self,
        id: &str,
        secret: &WebhookSecret,
        at: Timestamp,
        until: Timestamp,
    ) -> Result<()> {
        ENDPOINT_SECRETS
            .rotate(&self.db()?, id, secret, at, until)
            .await
    }

    async fn delivery(&self, id: &str) -> Result<Option<Delivery>> {
        #[derive(Deserialize)]
        struct Row {
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
        let row: Option<Row> = self
            .db()?
            .prepare(
                "SELECT d.status, d.attempts, d.next_attempt_at, d.updated_at, d.endpoint_id, d.message_id, \
                 e.url, e.enabled, m.body \
                 FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id \
                 JOIN webhook_messages m ON m.id = d.message_id WHERE d.id = ?1",
            )
            .bind(&[id.into()])?
            .first(None)
            .await?;
        row.map(|r| {
            Ok(Delivery {
                id: id.to_string(),
                status: status(&r.status)?,
                attempts: r.attempts,
                next_attempt_at: time(&r.next_attempt_at)?,
                updated_at: time(&r.updated_at)?,
                endpoint_id: r.endpoint_id,
                message_id: r.message_id,
                url: r.url,
                enabled: r.enabled != 0,
                body: r.body,
            })
        })
        .transpose()
    }

    async fn claim_attempt(
        &self,
        id: &str,
        attempt: u32,
        at: Timestamp,
        seen_updated_at: Timestamp,
    ) -> Result<bool> {
        let claimed = self
            .db()?
            .prepare(
                "UPDATE webhook_deliveries SET status = 'sending', attempts = ?2, updated_at = ?3 \
                 WHERE id = ?1 AND ((attempts = ?2 - 1 AND status IN ('pending', 'retrying')) \
                                    OR (attempts = ?2 AND status = 'sending' AND updated_at = ?4))",
            )
            .bind(&[
                id.into(),
                attempt.into(),
                at.format_rfc3339().into(),
                seen_updated_at.format_rfc3339().into(),
            ])?
            .run()
            .await?;
        Ok(changes(&claimed)? > 0)
    }

    async fn finish_attempt(
        &self,
        delivery_id: &str,
        a: &AttemptRecord,
        end: &AttemptEnd,
    ) -> Result<()> {
        let db = self.db()?;
        let id: JsValue = delivery_id.into();
        let at: JsValue = a.started_at.format_rfc3339().into();
        let mut statements = vec![db
            .prepare(
                "INSERT OR REPLACE INTO webhook_attempts (delivery_id, attempt, started_at, status, latency_ms, error) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .bind(&[
                id.clone(),
                a.attempt.into(),
                at.clone(),
                opt_number(a.status),
                (a.latency_ms as f64).into(),
                opt(a.error.as_deref()),
            ])?];
        match end {
            AttemptEnd::Delivered { last_status } => statements.push(
                db.prepare(
                    "UPDATE webhook_deliveries SET status = 'delivered', delivered_at = ?2, updated_at = ?2, \
                     last_status = ?3, last_error = NULL WHERE id = ?1",
                )
                .bind(&[id, at, (*last_status).into()])?,
            ),
            AttemptEnd::Retrying {
                next_attempt_at,
                last_status,
                last_error,
            } => statements.push(
                db.prepare(
                    "UPDATE webhook_deliveries SET status = 'retrying', next_attempt_at = ?2, updated_at = ?3, \
                     last_status = ?4, last_error = ?5 WHERE id = ?1",
                )
                .bind(&[
                    id,
                    next_attempt_at.format_rfc3339().into(),
                    at,
                    opt_number(*last_status),
                    opt(last_error.as_deref()),
                ])?,
            ),
            AttemptEnd::Failed {
                last_status,
                last_error,
            } => statements.push(
                db.prepare(
                    "UPDATE webhook_deliveries SET status = 'failed', updated_at = ?2, last_status = ?3, \
                     last_error = ?4 WHERE id = ?1",
                )
                .bind(&[
                    id,
                    at,
                    opt_number(*last_status),
                    opt(last_error.as_deref()),
                ])?,
            ),
            AttemptEnd::Gone { reason } => {
                statements.push(
                    db.prepare(
                        "UPDATE webhook_endpoints SET enabled = 0, disabled_reason = ?2, disabled_at = ?3, \
                         updated_at = ?3 WHERE id = (SELECT endpoint_id FROM webhook_deliveries WHERE id = ?1)",
                    )
                    .bind(&[id.clone(), reason.as_str().into(), at.clone()])?,
                );
                statements.push(
                    db.prepare(
                        "UPDATE webhook_deliveries SET status = 'failed', last_status = 410, last_error = ?2, \
                         updated_at = ?3 WHERE id = ?1",
                    )
                    .bind(&[id, reason.as_str().into(), at])?,
                );
            }
        }
        // One batch: the attempt and what it left the delivery as, together.
        db.batch(statements).await?;
        Ok(())
    }

    async fn cancel_delivery(&self, id: &str, reason: &str, at: Timestamp) -> Result<()> {
        self.db()?
            .prepare(
                "UPDATE webhook_deliveries SET status = 'cancelled', last_error = ?2, updated_at = ?3 \
                 WHERE id = ?1 AND status IN ('pending', 'retrying', 'sending')",
            )
            .bind(&[id.into(), reason.into(), at.format_rfc3339().into()])?
            .run()
            .await?;
        Ok(())
    }

    async fn overdue_deliveries(&self, before: Timestamp, limit: u32) -> Result<Vec<Overdue>> {
        #[derive(Deserialize)]
        struct Row {
            id: String,
            attempts: u32,
            status: String,
        }
        let rows: Vec<Row> = self
            .db()?
            .prepare(
                "SELECT id, attempts, status FROM webhook_deliveries \
                 WHERE (status IN ('pending', 'retrying') AND next_attempt_at < ?1) \
                    OR (status = 'sending' AND updated_at < ?1) LIMIT ?2",
            )
            .bind(&[before.format_rfc3339().into(), limit.into()])?
            .all()
            .await?
            .results()?;
        rows.into_iter()
            .map(|r| {
                Ok(Overdue {
                    status: status(&r.status)?,
                    id: r.id,
                    attempts: r.attempts,
                })
            })
            .collect()
    }

    async fn delivery_log(
        &self,
        endpoint_id: &str,
        status_filter: Option<DeliveryStatus>,
        limit: u32,
    ) -> Result<Vec<LoggedDelivery>> {
        #[derive(Deserialize)]
        struct Row {
            id: String,
            message_id: String,
            event_type: String,
            status: String,
            attempts: u32,
            next_attempt_at: String,
            last_status: Option<u16>,
            last_error: Option<String>,
            delivered_at: Option<String>,
            created_at: String,
        }
        #[derive(Deserialize)]
        struct AttemptRow {
            delivery_id: String,
            attempt: u32,
            started_at: String,
            status: Option<u16>,
            latency_ms: u64,
            error: Option<String>,
        }
        let db = self.db()?;
        let rows: Vec<Row> = db
            .prepare(
                "SELECT d.id, d.message_id, m.event_type, d.status, d.attempts, d.next_attempt_at, d.last_status, \
                 d.last_error, d.delivered_at, d.created_at FROM webhook_deliveries d \
                 JOIN webhook_messages m ON m.id = d.message_id \
                 WHERE d.endpoint_id = ?1 AND (?2 IS NULL OR d.status = ?2) \
                 ORDER BY d.created_at DESC, d.id LIMIT ?3",
            )
            .bind(&[
                endpoint_id.into(),
                opt(status_filter.map(DeliveryStatus::as_str)),
                limit.into(),
            ])?
            .all()
            .await?
            .results()?;
        // The attempts of this page's deliveries only (at most 1,000 x 20).
        let page: Vec<&str> = rows.iter().map(|d| d.id.as_str()).collect();
        let attempts: Vec<AttemptRow> = db
            .prepare(
                "SELECT delivery_id, attempt, started_at, status, latency_ms, error FROM webhook_attempts \
                 WHERE delivery_id IN (SELECT value FROM json_each(?1)) ORDER BY delivery_id, attempt",
            )
            .bind(&[serde_json::to_string(&page)?.into()])?
            .all()
            .await?
            .results()?;
        rows.into_iter()
            .map(|d| {
                let attempt_log = attempts
                    .iter()
                    .filter(|a| a.delivery_id == d.id)
                    .map(|a| {
                        Ok(AttemptRecord {
                            attempt: a.attempt,
                            started_at: time(&a.started_at)?,
                            status: a.status,
                            latency_ms: a.latency_ms,
                            error: a.error.clone(),
                        })
                    })
                    .collect::<Result<Vec<_>>>()?;
                Ok(LoggedDelivery {
                    status: status(&d.status)?,
                    next_attempt_at: time(&d.next_attempt_at)?,
                    delivered_at: opt_time(d.delivered_at.as_deref())?,
                    created_at: time(&d.created_at)?,
                    id: d.id,
                    message_id: d.message_id,
                    event_type: d.event_type,
                    attempts: d.attempts,
                    last_status: d.last_status,
                    last_error: d.last_error,
                    attempt_log,
                })
            })
            .collect()
    }

    async fn deliveries_since(
        &self,
        endpoint_id: &str,
        status: DeliveryStatus,
        since: Timestamp,
        limit: u32,
    ) -> Result<Vec<String>> {
        #[derive(Deserialize)]
        struct Row {
            id: String,
        }
        let rows: Vec<Row> = self
            .db()?
            .prepare(
                "SELECT id FROM webhook_deliveries WHERE endpoint_id = ?1 AND status = ?2 AND created_at >= ?3 \
                 ORDER BY created_at LIMIT ?4",
            )
            .bind(&[
                endpoint_id.into(),
                status.as_str().into(),
                since.format_rfc3339().into(),
                limit.into(),
            ])?
            .all()
            .await?
            .results()?;
        Ok(rows.into_iter().map(|r| r.id).collect())
    }
}
