//! What fairtrain tells subscribers: one outgoing event per thing that
//! happened, with a small, versioned `data` object that references ids and
//! log entries instead of embedding anything personal (a creator appears
//! only as their did:key, which is a bare public key).
//!
//! ```json
//! {"type": "consent.revoked", "timestamp": "2026-11-22T10:00:00Z",
//!  "data": {"v": 1, "consent_id": "urn:uuid:…", "creator": "did:key:z6Mk…",
//!           "log_entry": "sha256:…"}}
//! ```
//!
//! Events that land in the transparency log map here from their log event
//! (one mapping, [`from_log_event`]), and their `webhook-id` derives from the
//! entry hash; the rest (`manifest.status_changed`, `payout.*`,
//! `reconciliation.mismatch`) are built by the code that decides them, with
//! an event id that names what they are about.

use fairtrain_consent::log_event::LogEvent;
use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::time::Timestamp;
use fairtrain_webhooks::message_id;
use serde_json::{json, Value};

use super::events::{Envelope, EventType};

/// The version of every `data` object (`data.v`).
pub const PAYLOAD_VERSION: u32 = 1;

/// An event to send to every endpoint subscribed to its type.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    pub event_type: EventType,
    /// Unique per event; the `webhook-id` derives from it.
    pub event_id: String,
    pub timestamp: Timestamp,
    pub data: Value,
}

impl Outgoing {
    /// `data` gets `v` added; `event_id` must identify the event uniquely.
    pub fn new(
        event_type: EventType,
        event_id: impl Into<String>,
        timestamp: Timestamp,
        mut data: Value,
    ) -> Outgoing {
        if let Some(map) = data.as_object_mut() {
            map.insert("v".into(), json!(PAYLOAD_VERSION));
        }
        Outgoing {
            event_type,
            event_id: event_id.into(),
            timestamp,
            data,
        }
    }

    /// The `webhook-id`: the same for this event on every attempt and endpoint.
    pub fn message_id(&self) -> String {
        message_id(&self.event_id)
    }

    /// The exact body every endpoint gets.
    pub fn body(&self) -> String {
        Envelope::new(self.event_type, self.timestamp, self.data.clone()).to_body()
    }
}

/// The webhook event for a log event, if it has one (policy publications and
/// erasures are not sent; inbound and reconciliation runs have their own).
pub fn from_log_event(event: &LogEvent, entry_hash: &Sha256Digest) -> Option<Outgoing> {
    let log_entry = entry_hash.to_string();
    let (event_type, at, data) = match event {
        LogEvent::ConsentGranted {
            at,
            consent_id,
            creator,
            asset_hashes,
            policy_version,
            ..
        } => (
            EventType::ConsentGranted,
            at,
            json!({ "consent_id": consent_id, "creator": creator, "asset_count": asset_hashes.len(),
                    "policy_version": policy_version, "log_entry": log_entry }),
        ),
        LogEvent::ConsentRevoked {
            at,
            consent_id,
            creator,
            ..
        } => (
            EventType::ConsentRevoked,
            at,
            json!({ "consent_id": consent_id, "creator": creator, "log_entry": log_entry }),
        ),
        LogEvent::AssetIngested {
            at,
            asset_hash,
            receipt_id,
            consent_id,
            route,
            ..
        } => (
            EventType::AssetIngested,
            at,
            json!({ "asset_hash": asset_hash, "receipt_id": receipt_id, "consent_id": consent_id,
                    "route": route, "log_entry": log_entry }),
        ),
        LogEvent::AssetRouted {
            at,
            asset_hash,
            receipt_id,
            route,
            reason,
            ..
        } => (
            EventType::AssetRouted,
            at,
            json!({ "asset_hash": asset_hash, "receipt_id": receipt_id, "route": route,
                    "reason": reason, "log_entry": log_entry }),
        ),
        LogEvent::ManifestPublished {
            at,
            manifest_id,
            manifest_hash,
            asset_count,
            ..
        } => (
            EventType::ManifestPublished,
            at,
            json!({ "manifest_id": manifest_id, "manifest_hash": manifest_hash,
                    "asset_count": asset_count, "log_entry": log_entry }),
        ),
        LogEvent::UsageRecorded {
            at,
            receipt_id,
            manifest_id,
            batch_root,
            event_count,
            ..
        } => (
            EventType::UsageRecorded,
            at,
            json!({ "receipt_id": receipt_id, "manifest_id": manifest_id, "batch_root": batch_root,
                    "event_count": event_count, "log_entry": log_entry }),
        ),
        LogEvent::SettlementMade {
            at,
            settlement_id,
            statement_hash,
            usage_root,
            period_start,
            period_end,
            ..
        } => (
            EventType::SettlementClosed,
            at,
            json!({ "settlement_id": settlement_id, "statement_hash": statement_hash,
                    "usage_root": usage_root, "period_start": period_start,
                    "period_end": period_end, "log_entry": log_entry }),
        ),
        LogEvent::KeyRotated {
            at,
            kid,
            status,
            valid_from,
            ..
        } => (
            EventType::KeyRotated,
            at,
            json!({ "kid": kid, "status": status, "valid_from": valid_from, "log_entry": log_entry }),
        ),
        LogEvent::PolicyPublished { .. }
        | LogEvent::Erasure { .. }
        | LogEvent::WebhookApplied { .. }
        | LogEvent::ReconciliationRun { .. } => return None,
    };
    Some(Outgoing::new(event_type, log_entry, *at, data))
}

#[cfg(test)]
mod tests {
    use super::*;
    use fairtrain_consent::log_event::SCHEMA_VERSION;

    fn at() -> Timestamp {
        Timestamp::parse_rfc3339("2026-11-22T10:00:00Z").unwrap()
    }

    #[test]
    fn log_events_map_to_their_webhook_types() {
        let creator = fairtrain_core::did_key::DidKey::from_public_key(
            fairtrain_core::ed25519::SigningKey::from_seed(&[1; 32]).public_key(),
        )
        .to_string();
        let revoked = LogEvent::ConsentRevoked {
            v: SCHEMA_VERSION,
            at: at(),
            consent_id: "urn:uuid:1".into(),
            revocation_hash: Sha256Digest::of(b"r"),
            creator: creator.clone(),
        };
        let hash = Sha256Digest::of(b"entry");
        let out = from_log_event(&revoked, &hash).unwrap();
        assert_eq!(out.event_type, EventType::ConsentRevoked);
        assert_eq!(out.event_id, hash.to_string());
        assert_eq!(
            out.data,
            json!({"v": 1, "consent_id": "urn:uuid:1", "creator": creator, "log_entry": hash.to_string()})
        );
        // The webhook-id is stable and derived from the entry.
        assert_eq!(out.message_id(), message_id(&hash.to_string()));
        assert_eq!(
            from_log_event(&revoked, &hash).unwrap().message_id(),
            out.message_id()
        );
        assert_ne!(
            from_log_event(&revoked, &Sha256Digest::of(b"other"))
                .unwrap()
                .message_id(),
            out.message_id()
        );
        let body = out.body();
        assert!(
            body.starts_with(
                r#"{"type":"consent.revoked","timestamp":"2026-11-22T10:00:00Z","data":{"#
            ),
            "{body}"
        );

        let settled = LogEvent::SettlementMade {
            v: SCHEMA_VERSION,
            at: at(),
            settlement_id: "urn:uuid:2".into(),
            statement_hash: Sha256Digest::of(b"s"),
            usage_root: "root".into(),
            period_start: at(),
            period_end: at(),
        };
        assert_eq!(
            from_log_event(&settled, &hash).unwrap().event_type,
            EventType::SettlementClosed
        );
        let policy = LogEvent::PolicyPublished {
            v: SCHEMA_VERSION,
            at: at(),
            policy_version: "1".into(),
            policy_hash: Sha256Digest::of(b"p"),
        };
        assert!(from_log_event(&policy, &hash).is_none());
    }

    #[test]
    fn every_mapped_type_is_outbound() {
        let e = Outgoing::new(EventType::PayoutInstruction, "x", at(), json!({"a": 1}));
        assert!(e.event_type.is_outbound());
        assert_eq!(e.data["v"], json!(PAYLOAD_VERSION));
    }
}
