//! `integrations`, `integration_secrets` and `inbound_events`.

use fairtrain_app::integrations::store::{InboundRecord, Integration, IntegrationStore};
use fairtrain_app::{Error, Result};
use fairtrain_core::time::Timestamp;
use fairtrain_webhooks::WebhookSecret;
use serde::Deserialize;

use super::webhooks::SecretTable;
use super::{changes, opt, time};
use crate::runtime::Runtime;

const SECRETS: SecretTable = SecretTable {
    table: "integration_secrets",
    owner: "integration_id",
};

const COLUMNS: &str = "id, name, kind, enabled, created_at";
const EVENT_COLUMNS: &str =
    "webhook_id, event_type, received_at, subject, outcome, detail, log_entry_hash";

#[derive(Deserialize)]
struct Row {
    id: String,
    name: String,
    kind: String,
    enabled: i64,
    created_at: String,
}

impl Row {
    fn stored(self) -> Result<Integration> {
        Ok(Integration {
            kind: self
                .kind
                .parse()
                .map_err(|e| Error::internal(format!("integrations.kind: {e}")))?,
            enabled: self.enabled != 0,
            created_at: time(&self.created_at)?,
            id: self.id,
            name: self.name,
        })
    }
}

#[derive(Deserialize)]
struct EventRow {
    webhook_id: String,
    event_type: String,
    received_at: String,
    subject: String,
    outcome: String,
    detail: Option<String>,
    log_entry_hash: Option<String>,
}

impl EventRow {
    fn stored(self) -> Result<InboundRecord> {
        Ok(InboundRecord {
            received_at: time(&self.received_at)?,
            outcome: self
                .outcome
                .parse()
                .map_err(|e| Error::internal(format!("inbound_events.outcome: {e}")))?,
            webhook_id: self.webhook_id,
            event_type: self.event_type,
            subject: self.subject,
            detail: self.detail,
            log_entry_hash: self.log_entry_hash,
        })
    }
}

impl IntegrationStore for Runtime {
    async fn insert_integration(&self, i: &Integration, secret: &WebhookSecret) -> Result<()> {
        let db = self.db()?;
        db.batch(vec![
            db.prepare(format!(
                "INSERT INTO integrations ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5)"
            ))
            .bind(&[
                i.id.as_str().into(),
                i.name.as_str().into(),
                i.kind.as_str().into(),
                (i.enabled as i32).into(),
                i.created_at.format_rfc3339().into(),
            ])?,
            SECRETS.insert(&db, &i.id, secret, i.created_at)?,
        ])
        .await?;
        Ok(())
    }

    async fn integration(&self, id: &str) -> Result<Option<Integration>> {
        let row: Option<Row> = self
            .db()?
            .prepare(format!("SELECT {COLUMNS} FROM integrations WHERE id = ?1"))
            .bind(&[id.into()])?
            .first(None)
            .await?;
        row.map(Row::stored).transpose()
    }

    async fn integrations(&self) -> Result<Vec<Integration>> {
        let rows: Vec<Row> = self
            .db()?
            .prepare(format!(
                "SELECT {COLUMNS} FROM integrations ORDER BY created_at, id"
            ))
            .all()
            .await?
            .results()?;
        rows.into_iter().map(Row::stored).collect()
    }

    async fn integration_secrets(&self, id: &str, at: Timestamp) -> Result<Vec<WebhookSecret>> {
        SECRETS.live(&self.db()?, id, at).await
    }

    async fn rotate_integration_secret(
        &self,
        id: &str,
        secret: &WebhookSecret,
        at: Timestamp,
        until: Timestamp,
    ) -> Result<()> {
        SECRETS.rotate(&self.db()?, id, secret, at, until).await
    }

    async fn inbound_event(
        &self,
        integration_id: &str,
        webhook_id: &str,
    ) -> Result<Option<InboundRecord>> {
        let row: Option<EventRow> = self
            .db()?
            .prepare(format!(
                "SELECT {EVENT_COLUMNS} FROM inbound_events WHERE integration_id = ?1 AND webhook_id = ?2"
            ))
            .bind(&[integration_id.into(), webhook_id.into()])?
            .first(None)
            .await?;
        row.map(EventRow::stored).transpose()
    }

    async fn record_inbound_event(&self, integration_id: &str, r: &InboundRecord) -> Result<bool> {
        let done = self
            .db()?
            .prepare(format!(
                "INSERT OR IGNORE INTO inbound_events (integration_id, {EVENT_COLUMNS}) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
            ))
            .bind(&[
                integration_id.into(),
                r.webhook_id.as_str().into(),
                r.event_type.as_str().into(),
                r.received_at.format_rfc3339().into(),
                r.subject.as_str().into(),
                r.outcome.as_str().into(),
                opt(r.detail.as_deref()),
                opt(r.log_entry_hash.as_deref()),
            ])?
            .run()
            .await?;
        Ok(changes(&done)? == 1)
    }

    async fn set_inbound_log_entry(
        &self,
        integration_id: &str,
        webhook_id: &str,
        entry_hash: &str,
    ) -> Result<()> {
        self.db()?
            .prepare(
                "UPDATE inbound_events SET log_entry_hash = ?3 WHERE integration_id = ?1 AND webhook_id = ?2",
            )
            .bind(&[integration_id.into(), webhook_id.into(), entry_hash.into()])?
            .run()
            .await?;
        Ok(())
    }

    async fn inbound_events(&self, integration_id: &str, limit: u32) -> Result<Vec<InboundRecord>> {
        let rows: Vec<EventRow> = self
            .db()?
            .prepare(format!(
                "SELECT {EVENT_COLUMNS} FROM inbound_events WHERE integration_id = ?1 \
                 ORDER BY received_at DESC LIMIT ?2"
            ))
            .bind(&[integration_id.into(), limit.into()])?
            .all()
            .await?
            .results()?;
        rows.into_iter().map(EventRow::stored).collect()
    }
}
