//! The events of the transparency log: one schema per event type.
//!
//! A log entry is the RFC 8785 canonical JSON of one event. Entries carry
//! hashes, ids and pseudonymous creator ids (a did:key is a bare public key,
//! no name or contact), never personal data: every field is typed and unknown
//! fields are refused, so nothing else can slip into the public record.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::jcs;
use fairtrain_core::time::Timestamp;

/// Schema version of every event type; bump per type when a schema changes.
pub const SCHEMA_VERSION: u32 = 1;

/// The largest entry accepted: well under the 64 KiB a tlog-tiles entry allows.
pub const MAX_ENTRY_BYTES: usize = 16 * 1024;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", deny_unknown_fields)]
pub enum LogEvent {
    #[serde(rename = "consent.granted")]
    ConsentGranted {
        v: u32,
        at: Timestamp,
        consent_id: String,
        consent_hash: Sha256Digest,
        creator: String,
        asset_hashes: Vec<Sha256Digest>,
        policy_version: String,
    },
    #[serde(rename = "consent.revoked")]
    ConsentRevoked {
        v: u32,
        at: Timestamp,
        consent_id: String,
        revocation_hash: Sha256Digest,
        creator: String,
    },
    #[serde(rename = "asset.ingested")]
    AssetIngested {
        v: u32,
        at: Timestamp,
        asset_hash: Sha256Digest,
        size: u64,
        receipt_id: String,
        envelope_hash: Sha256Digest,
        consent_id: String,
        creator: String,
        route: String,
    },
    #[serde(rename = "asset.routed")]
    AssetRouted {
        v: u32,
        at: Timestamp,
        asset_hash: Sha256Digest,
        receipt_id: String,
        route: String,
        reason: String,
    },
    #[serde(rename = "policy.published")]
    PolicyPublished {
        v: u32,
        at: Timestamp,
        policy_version: String,
        policy_hash: Sha256Digest,
    },
    #[serde(rename = "manifest.published")]
    ManifestPublished {
        v: u32,
        at: Timestamp,
        manifest_id: String,
        manifest_hash: Sha256Digest,
        assets_root: String,
        asset_count: u64,
    },
    #[serde(rename = "usage.recorded")]
    UsageRecorded {
        v: u32,
        at: Timestamp,
        receipt_id: String,
        manifest_id: String,
        batch_root: String,
        event_count: u64,
    },
    #[serde(rename = "settlement.made")]
    SettlementMade {
        v: u32,
        at: Timestamp,
        settlement_id: String,
        statement_hash: Sha256Digest,
        usage_root: String,
        period_start: Timestamp,
        period_end: Timestamp,
    },
    #[serde(rename = "key.rotated")]
    KeyRotated {
        v: u32,
        at: Timestamp,
        kid: String,
        status: String,
        valid_from: Timestamp,
    },
    /// An event from a marketplace or payment processor (inbound webhook) was applied.
    #[serde(rename = "webhook.applied")]
    WebhookApplied {
        v: u32,
        at: Timestamp,
        integration_id: String,
        webhook_id: String,
        event_type: String,
        subject: String,
    },
    /// A reconciliation run: usage vs manifests vs ledger vs payouts.
    #[serde(rename = "reconciliation.run")]
    ReconciliationRun {
        v: u32,
        at: Timestamp,
        reconciliation_id: String,
        report_hash: Sha256Digest,
        mismatch_count: u64,
    },
    #[serde(rename = "erasure")]
    Erasure {
        v: u32,
        at: Timestamp,
        asset_hash: Sha256Digest,
        reason: String,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum LogEventError {
    #[error("not a valid log event: {0}")]
    Schema(String),
    #[error("unsupported schema version {0} (this server speaks version {SCHEMA_VERSION})")]
    Version(u32),
    #[error("{0} must be a did:key or a pseudonym `ps:<hex>`, never a name or address")]
    NotPseudonymous(&'static str),
    #[error("an id or label field is empty, longer than 200 characters or not printable ASCII")]
    BadText,
    #[error("the canonical entry is {0} bytes; at most {MAX_ENTRY_BYTES} are allowed")]
    TooLarge(usize),
    #[error(transparent)]
    Jcs(#[from] jcs::JcsError),
}

/// A validated event, ready to append: its entry bytes and what indexes it.
#[derive(Debug, Clone)]
pub struct Entry {
    pub event: LogEvent,
    /// RFC 8785 canonical JSON of the event: the log entry itself.
    pub bytes: Vec<u8>,
    /// `sha256:` of `bytes`.
    pub hash: Sha256Digest,
    /// The assets the event is about, for lookup by asset hash.
    pub asset_hashes: Vec<Sha256Digest>,
}

fn text_ok(s: &str) -> bool {
    !s.is_empty() && s.len() <= 200 && s.bytes().all(|b| b.is_ascii_graphic())
}

fn pseudonymous(s: &str) -> bool {
    let ps = s
        .strip_prefix("ps:")
        .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()));
    ps || fairtrain_core::did_key::DidKey::parse(s).is_ok()
}

impl LogEvent {
    pub fn version(&self) -> u32 {
        match self {
            LogEvent::ConsentGranted { v, .. }
            | LogEvent::ConsentRevoked { v, .. }
            | LogEvent::AssetIngested { v, .. }
            | LogEvent::AssetRouted { v, .. }
            | LogEvent::PolicyPublished { v, .. }
            | LogEvent::ManifestPublished { v, .. }
            | LogEvent::UsageRecorded { v, .. }
            | LogEvent::SettlementMade { v, .. }
            | LogEvent::KeyRotated { v, .. }
            | LogEvent::WebhookApplied { v, .. }
            | LogEvent::ReconciliationRun { v, .. }
            | LogEvent::Erasure { v, .. } => *v,
        }
    }

    /// The assets this event concerns.
    pub fn asset_hashes(&self) -> Vec<Sha256Digest> {
        match self {
            LogEvent::ConsentGranted { asset_hashes, .. } => asset_hashes.clone(),
            LogEvent::AssetIngested { asset_hash, .. }
            | LogEvent::AssetRouted { asset_hash, .. }
            | LogEvent::Erasure { asset_hash, .. } => vec![*asset_hash],
            _ => Vec::new(),
        }
    }

    fn check(&self) -> Result<(), LogEventError> {
        if self.version() != SCHEMA_VERSION {
            return Err(LogEventError::Version(self.version()));
        }
        let (creator, texts): (Option<&str>, Vec<&str>) = match self {
            LogEvent::ConsentGranted {
                consent_id,
                creator,
                policy_version,
                ..
            } => (Some(creator), vec![consent_id, policy_version]),
            LogEvent::ConsentRevoked {
                consent_id,
                creator,
                ..
            } => (Some(creator), vec![consent_id]),
            LogEvent::AssetIngested {
                receipt_id,
                consent_id,
                creator,
                route,
                ..
            } => (Some(creator), vec![receipt_id, consent_id, route]),
            LogEvent::AssetRouted {
                receipt_id,
                route,
                reason,
                ..
            } => (None, vec![receipt_id, route, reason]),
            LogEvent::PolicyPublished { policy_version, .. } => (None, vec![policy_version]),
            LogEvent::ManifestPublished {
                manifest_id,
                assets_root,
                ..
            } => (None, vec![manifest_id, assets_root]),
            LogEvent::UsageRecorded {
                receipt_id,
                manifest_id,
                batch_root,
                ..
            } => (None, vec![receipt_id, manifest_id, batch_root]),
            LogEvent::SettlementMade {
                settlement_id,
                usage_root,
                ..
            } => (None, vec![settlement_id, usage_root]),
            LogEvent::KeyRotated { kid, status, .. } => (None, vec![kid, status]),
            LogEvent::WebhookApplied {
                integration_id,
                webhook_id,
                event_type,
                subject,
                ..
            } => (None, vec![integration_id, webhook_id, event_type, subject]),
            LogEvent::ReconciliationRun {
                reconciliation_id, ..
            } => (None, vec![reconciliation_id]),
            LogEvent::Erasure { reason, .. } => (None, vec![reason]),
        };
        if let Some(c) = creator {
            if !pseudonymous(c) {
                return Err(LogEventError::NotPseudonymous("creator"));
            }
        }
        if !texts.iter().all(|t| text_ok(t)) {
            return Err(LogEventError::BadText);
        }
        Ok(())
    }
}

/// Validate an event given as JSON and produce its entry.
pub fn entry_from_json(value: &Value) -> Result<Entry, LogEventError> {
    let event: LogEvent =
        serde_json::from_value(value.clone()).map_err(|e| LogEventError::Schema(e.to_string()))?;
    entry(event)
}

/// Validate an event and produce its entry.
pub fn entry(event: LogEvent) -> Result<Entry, LogEventError> {
    event.check()?;
    let bytes = jcs::canonicalize_serialize(&event)?.into_bytes();
    if bytes.len() > MAX_ENTRY_BYTES {
        return Err(LogEventError::TooLarge(bytes.len()));
    }
    Ok(Entry {
        hash: Sha256Digest::of(&bytes),
        asset_hashes: event.asset_hashes(),
        event,
        bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn erasure() -> Value {
        json!({ "type": "erasure", "v": 1, "at": "2026-11-22T10:00:00Z",
                "asset_hash": format!("sha256:{}", "ab".repeat(32)), "reason": "creator-request" })
    }

    #[test]
    fn entries_are_canonical_and_indexed_by_asset() {
        let e = entry_from_json(&erasure()).unwrap();
        let text = String::from_utf8(e.bytes.clone()).unwrap();
        assert!(text.starts_with(r#"{"asset_hash":"sha256:abab"#), "{text}");
        assert_eq!(e.hash, Sha256Digest::of(&e.bytes));
        assert_eq!(e.asset_hashes.len(), 1);
        // Member order and whitespace in the input do not change the entry.
        let reordered: Value =
            serde_json::from_str(&serde_json::to_string_pretty(&erasure()).unwrap()).unwrap();
        assert_eq!(entry_from_json(&reordered).unwrap().bytes, e.bytes);
    }

    #[test]
    fn schemas_refuse_extra_fields_personal_data_and_bad_versions() {
        let mut extra = erasure();
        extra["email"] = json!("someone@example.com");
        assert!(matches!(
            entry_from_json(&extra),
            Err(LogEventError::Schema(_))
        ));
        let mut v2 = erasure();
        v2["v"] = json!(2);
        assert!(matches!(
            entry_from_json(&v2),
            Err(LogEventError::Version(2))
        ));
        let revoked = json!({ "type": "consent.revoked", "v": 1, "at": "2026-11-22T10:00:00Z", "consent_id": "c1",
            "revocation_hash": format!("sha256:{}", "cd".repeat(32)), "creator": "Jane Doe" });
        assert!(matches!(
            entry_from_json(&revoked),
            Err(LogEventError::NotPseudonymous(_))
        ));
        let mut unknown = erasure();
        unknown["type"] = json!("gossip");
        assert!(matches!(
            entry_from_json(&unknown),
            Err(LogEventError::Schema(_))
        ));
        let mut bad_hash = erasure();
        bad_hash["asset_hash"] = json!("md5:00");
        assert!(entry_from_json(&bad_hash).is_err());
    }
}

#[cfg(test)]
mod size_tests {
    use super::*;

    #[test]
    fn the_largest_consent_fits_one_entry() {
        let key = fairtrain_core::ed25519::SigningKey::from_seed(&[1; 32]);
        let did = fairtrain_core::did_key::DidKey::from_public_key(key.public_key());
        let event = LogEvent::ConsentGranted {
            v: SCHEMA_VERSION,
            at: Timestamp::parse_rfc3339("2026-11-22T10:00:00.123Z").unwrap(),
            consent_id: "urn:uuid:00000000-0000-4000-8000-000000000000".into(),
            consent_hash: Sha256Digest::of(b"c"),
            creator: did.to_string(),
            asset_hashes: (0..crate::consent::MAX_ASSET_HASHES as u32)
                .map(|i| Sha256Digest::of(&i.to_le_bytes()))
                .collect(),
            policy_version: "v2025.11-with-a-long-name".into(),
        };
        let e = entry(event).expect("a consent with the most assets a token may list is loggable");
        assert!(e.bytes.len() <= MAX_ENTRY_BYTES);
    }
}
