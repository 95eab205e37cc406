//! `webhook_endpoints`, `webhook_secrets`, `webhook_messages`,
//! `webhook_deliveries` and `webhook_attempts`.

use fairtrain_app::webhooks::store::{NewDelivery, NewMessage, Subscription, WebhookStore};
use fairtrain_app::Result;
use fairtrain_core::time::Timestamp;
use serde::Deserialize;

use crate::runtime::Runtime;

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
        let mut statements = Vec::new();
        for m in messages {
            statements.push(
                db.prepare(
                    "INSERT OR IGNORE INTO webhook_messages (id, event_type, body, created_at) VALUES (?1, ?2, ?3, ?4)",
                )
                .bind(&[
                    m.id.as_str().into(),
                    m.event_type.as_str().into(),
                    m.body.as_str().into(),
                    now.as_str().into(),
                ])?,
            );
        }
        for d in deliveries {
            statements.push(
                db.prepare(
                    "INSERT OR IGNORE INTO webhook_deliveries \
                     (id, message_id, endpoint_id, status, attempts, next_attempt_at, created_at, updated_at) \
                     VALUES (?1, ?2, ?3, 'pending', 0, ?4, ?4, ?4)",
                )
                .bind(&[
                    d.id.as_str().into(),
                    d.message_id.as_str().into(),
                    d.endpoint_id.as_str().into(),
                    now.as_str().into(),
                ])?,
            );
        }
        if !statements.is_empty() {
            db.batch(statements).await?;
        }
        Ok(())
    }

    async fn restart_deliveries(&self, ids: &[String], at: Timestamp) -> Result<()> {
        let now = at.format_rfc3339();
        let db = self.db()?;
        // Ids are 36 characters: 1,000 per statement stays under D1's 100 KB.
        let mut statements = Vec::new();
        for chunk in ids.chunks(1000) {
            let list = serde_json::to_string(chunk)?;
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
}
