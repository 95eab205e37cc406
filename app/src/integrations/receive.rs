//! `POST /v1/inbound/{id}`: verify, deduplicate, apply, log, relay.
//!
//! The event's signature is its only credential (Standard Webhooks, or
//! Stripe-Signature for a `stripe` integration), within 5 minutes of the
//! platform's clock, compared in constant time; a bad or stale signature
//! changes nothing. Each event is applied once per (integration, webhook
//! id); a redelivery is answered from the record. The `webhook.applied`
//! log entry is written with the record's own time, so a retry after a
//! failed append produces the same entry (the sequencer deduplicates it).

use fairtrain_consent::log_event::{self, LogEvent, SCHEMA_VERSION};
use fairtrain_webhooks::verify::VerifyError;
use fairtrain_webhooks::{stripe, Verifier, WebhookHeaders, DEFAULT_TOLERANCE_SECS};
use serde::Serialize;

use super::apply::apply;
use super::store::{InboundRecord, Integration, IntegrationKind, Outcome};
use crate::error::{Error, Kind, Result};
use crate::platform::Platform;
use crate::webhooks::inbound::{from_envelope, from_stripe, InboundEvent};
use crate::webhooks::secrets::{self, Owner};
use crate::webhooks::{emit, Envelope};

/// Inbound events are small.
pub const MAX_BODY: usize = 64 * 1024;

/// The signature headers of an inbound request, as received.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Signatures {
    /// `webhook-id`, `webhook-timestamp`, `webhook-signature`.
    pub standard: WebhookHeaders,
    /// `Stripe-Signature`.
    pub stripe: Option<String>,
}

/// What the sender is told.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Received {
    /// Applied now (or acknowledged and ignored: `status` says which).
    Done {
        status: Outcome,
        webhook_id: String,
        event_type: String,
        subject: String,
        detail: Option<String>,
        log_entry: Option<String>,
    },
    /// Received before: not applied again.
    Duplicate {
        status: &'static str,
        webhook_id: String,
        event_type: String,
        subject: String,
        log_entry: Option<String>,
    },
}

/// The integration an inbound request is for: unknown and disabled ones
/// look the same as a bad signature would to a prober, but an operator
/// needs to tell them apart, so they are "not found" (before the body is
/// read).
pub async fn target(p: &impl Platform, id: &str) -> Result<Integration> {
    p.integration(id)
        .await?
        .filter(|i| i.enabled)
        .ok_or_else(|| Error::not_found(&format!("/v1/inbound/{id}")))
}

fn signature_error(e: VerifyError) -> Error {
    Error::new(Kind::WebhookSignature, e.to_string()).with("reason", e.code())
}

/// Verifies `body` against the integration's live secrets; returns the
/// webhook id and the event.
async fn verify(
    p: &impl Platform,
    integration: &Integration,
    signatures: &Signatures,
    body: &[u8],
) -> Result<(String, InboundEvent)> {
    let live = secrets::live(p, Owner::Integration(&integration.id)).await?;
    let now = p.now().unix_seconds();
    match integration.kind {
        IntegrationKind::Stripe => {
            let header = signatures.stripe.as_deref().unwrap_or_default();
            let mut last = VerifyError::NoMatchingSignature;
            let matched = live.iter().any(|s| {
                match stripe::verify(header, body, &s.encode(), now, Some(DEFAULT_TOLERANCE_SECS)) {
                    Ok(_) => true,
                    Err(e) => {
                        last = e;
                        false
                    }
                }
            });
            if !matched {
                return Err(signature_error(last));
            }
            from_stripe(body).map_err(|e| Error::field("/", e.to_string()))
        }
        IntegrationKind::StandardWebhooks => {
            let verified = Verifier::with_keys(live.into_iter().map(Into::into).collect())
                .verify(&signatures.standard, body, now)
                .map_err(signature_error)?;
            let envelope =
                Envelope::from_body(body).map_err(|e| Error::field("/", e.to_string()))?;
            let event =
                from_envelope(&envelope).map_err(|e| Error::field("/data", e.to_string()))?;
            Ok((verified.id, event))
        }
    }
}

/// Logs an applied event once (the entry is a function of the record).
async fn log_applied(
    p: &impl Platform,
    integration_id: &str,
    rec: &InboundRecord,
) -> Result<Option<String>> {
    if rec.outcome != Outcome::Applied {
        return Ok(None);
    }
    if let Some(h) = &rec.log_entry_hash {
        return Ok(Some(h.clone()));
    }
    let entry = log_event::entry(LogEvent::WebhookApplied {
        v: SCHEMA_VERSION,
        at: rec.received_at,
        integration_id: integration_id.to_owned(),
        webhook_id: rec.webhook_id.clone(),
        event_type: rec.event_type.clone(),
        subject: rec.subject.clone(),
    })
    .map_err(|e| Error::field("/", e.to_string()))?;
    let hash = entry.hash.to_string();
    crate::log::append(p, vec![entry]).await?;
    p.set_inbound_log_entry(integration_id, &rec.webhook_id, &hash)
        .await?;
    Ok(Some(hash))
}

/// Verifies, deduplicates, applies, records, logs and relays one event.
pub async fn receive(
    p: &impl Platform,
    integration: &Integration,
    signatures: &Signatures,
    body: &[u8],
) -> Result<Received> {
    let id = integration.id.as_str();
    let (webhook_id, event) = verify(p, integration, signatures, body).await?;

    if let Some(rec) = p.inbound_event(id, &webhook_id).await? {
        // Redelivered: acknowledged, not applied again (but logged, if the
        // first delivery's log append failed).
        let log_entry = log_applied(p, id, &rec).await?;
        return Ok(Received::Duplicate {
            status: "duplicate",
            webhook_id,
            event_type: rec.event_type,
            subject: rec.subject,
            log_entry,
        });
    }
    let done = apply(p, id, &webhook_id, &event).await?;
    let event_type = event.type_name();
    p.record_inbound_event(
        id,
        &InboundRecord {
            webhook_id: webhook_id.clone(),
            event_type: event_type.clone(),
            received_at: p.now(),
            subject: done.subject.clone(),
            outcome: done.outcome,
            detail: done.detail.clone(),
            log_entry_hash: None,
        },
    )
    .await?;
    // A racing delivery may have recorded it first: log what was recorded.
    let rec = p
        .inbound_event(id, &webhook_id)
        .await?
        .ok_or_else(|| Error::internal("inbound event not recorded"))?;
    let log_entry = log_applied(p, id, &rec).await?;
    emit(p, &done.relay).await;
    Ok(Received::Done {
        status: done.outcome,
        webhook_id,
        event_type,
        subject: done.subject,
        detail: done.detail,
        log_entry,
    })
}
