//! The payload: the spec's recommended structure
//! `{"type": "consent.granted", "timestamp": "<RFC 3339>", "data": {…}}`,
//! the event types fairtrain sends and receives, and the `webhook-id` of an
//! event (the same on every attempt and every endpoint, so it works as the
//! consumer's idempotency key).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::time::Timestamp;

/// Which way an event type flows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// fairtrain sends it to subscribers.
    Outbound,
    /// A marketplace or payment processor sends it to fairtrain.
    Inbound,
    /// Both (`payout.confirmed`: fairtrain relays what the rail confirmed).
    Both,
}

macro_rules! event_types {
    ($( $(#[$doc:meta])* $variant:ident = $text:literal, $dir:ident; )*) => {
        /// Event types, hierarchical and full-stop delimited as the spec
        /// recommends (`[a-z_]` segments).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum EventType {
            $( $(#[$doc])* $variant, )*
        }

        impl EventType {
            /// Every event type.
            pub const ALL: &'static [EventType] = &[ $( EventType::$variant, )* ];

            pub fn as_str(&self) -> &'static str {
                match self { $( EventType::$variant => $text, )* }
            }

            pub fn direction(&self) -> Direction {
                match self { $( EventType::$variant => Direction::$dir, )* }
            }
        }

        impl FromStr for EventType {
            type Err = UnknownEventType;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $( $text => Ok(EventType::$variant), )*
                    _ => Err(UnknownEventType(s.chars().take(64).collect())),
                }
            }
        }
    };
}

event_types! {
    /// A creator granted consent for an asset.
    ConsentGranted = "consent.granted", Outbound;
    /// A creator revoked consent.
    ConsentRevoked = "consent.revoked", Outbound;
    /// An asset's bytes were stored.
    AssetIngested = "asset.ingested", Outbound;
    /// The ingestion gateway routed a contribution.
    AssetRouted = "asset.routed", Outbound;
    /// A signed dataset manifest was published.
    ManifestPublished = "manifest.published", Outbound;
    /// A manifest's status changed (e.g. flagged after a revocation).
    ManifestStatusChanged = "manifest.status_changed", Outbound;
    /// Training usage was recorded.
    UsageRecorded = "usage.recorded", Outbound;
    /// A settlement period was closed.
    SettlementClosed = "settlement.closed", Outbound;
    /// An instruction to the payment rail to pay a creator.
    PayoutInstruction = "payout.instruction", Outbound;
    /// A payout was confirmed by the rail (received, and relayed).
    PayoutConfirmed = "payout.confirmed", Both;
    /// Reconciliation found usage, manifests and ledger disagreeing.
    ReconciliationMismatch = "reconciliation.mismatch", Outbound;
    /// The platform's signing key was rotated.
    KeyRotated = "key.rotated", Outbound;
    /// A buyer purchased a licence (from the marketplace).
    LicensePurchased = "license.purchased", Inbound;
    /// A licence was revoked (from the marketplace).
    LicenseRevoked = "license.revoked", Inbound;
    /// A payout failed (from the payment processor).
    PayoutFailed = "payout.failed", Inbound;
    /// A dispute was opened (from the payment processor).
    DisputeOpened = "dispute.opened", Inbound;
}

impl EventType {
    /// Types fairtrain sends.
    pub fn is_outbound(&self) -> bool {
        matches!(self.direction(), Direction::Outbound | Direction::Both)
    }

    /// Types fairtrain accepts from outside.
    pub fn is_inbound(&self) -> bool {
        matches!(self.direction(), Direction::Inbound | Direction::Both)
    }

    /// Every type fairtrain sends.
    pub fn outbound() -> impl Iterator<Item = EventType> {
        Self::ALL.iter().copied().filter(EventType::is_outbound)
    }

    /// Every type fairtrain accepts.
    pub fn inbound() -> impl Iterator<Item = EventType> {
        Self::ALL.iter().copied().filter(EventType::is_inbound)
    }
}

/// A `type` that is not one of [`EventType::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown event type {0:?}")]
pub struct UnknownEventType(pub String);

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for EventType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for EventType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// The body of a webhook: `{"type", "timestamp", "data"}` (in that order).
/// `timestamp` is when the event happened, not when this attempt was sent
/// (that is `webhook-timestamp`). Unknown top-level members are ignored when
/// parsing, as the spec lets producers add metadata there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    #[serde(rename = "type")]
    pub event_type: EventType,
    pub timestamp: Timestamp,
    pub data: Value,
}

/// Why a body is not an [`Envelope`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a webhook envelope: {0}")]
pub struct EnvelopeError(pub String);

impl Envelope {
    pub fn new(event_type: EventType, timestamp: Timestamp, data: Value) -> Self {
        Envelope {
            event_type,
            timestamp,
            data,
        }
    }

    /// The body to send: minified JSON. Sign exactly these bytes.
    pub fn to_body(&self) -> String {
        // Serialising a Value-backed struct with string keys cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Parses a received body (after its signature has been verified).
    pub fn from_body(body: &[u8]) -> Result<Self, EnvelopeError> {
        let envelope: Envelope =
            serde_json::from_slice(body).map_err(|e| EnvelopeError(e.to_string()))?;
        if !envelope.data.is_object() {
            return Err(EnvelopeError("`data` must be an object".into()));
        }
        Ok(envelope)
    }
}

/// Domain separation for [`message_id`].
const MESSAGE_ID_CONTEXT: &[u8] = b"fairtrain webhook-id v1\n";

/// The `webhook-id` for an event: `msg_` + 32 hex digits (128 bits of
/// SHA-256 over the event id), so the same event always has the same id on
/// every attempt and endpoint, and the id never carries a `.` or anything
/// the event id's author chose.
pub fn message_id(event_id: &str) -> String {
    let mut h = Sha256::new();
    h.update(MESSAGE_ID_CONTEXT);
    h.update(event_id.as_bytes());
    let digest = h.finalize();
    format!("msg_{}", hex::encode(&digest[..16]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn type_strings_round_trip() {
        assert_eq!(EventType::ALL.len(), 16);
        for t in EventType::ALL {
            assert_eq!(t.as_str().parse::<EventType>().unwrap(), *t);
            assert_eq!(serde_json::to_value(t).unwrap(), json!(t.as_str()));
            // The spec's recommended shape: segments of [a-zA-Z0-9_], dot-delimited.
            assert!(t.as_str().split('.').all(|seg| !seg.is_empty()
                && seg.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')));
        }
        assert!("consent.Granted".parse::<EventType>().is_err());
        assert!("".parse::<EventType>().is_err());
        assert!(
            EventType::PayoutConfirmed.is_inbound() && EventType::PayoutConfirmed.is_outbound()
        );
        assert!(!EventType::DisputeOpened.is_outbound());
        assert_eq!(EventType::outbound().count(), 12);
        assert_eq!(EventType::inbound().count(), 5);
    }

    #[test]
    fn envelope_shape() {
        let e = Envelope::new(
            EventType::ConsentGranted,
            Timestamp::parse_rfc3339("2026-01-15T12:34:56.250Z").unwrap(),
            json!({"consent_id": "c_1", "asset": "sha256:00"}),
        );
        let body = e.to_body();
        assert_eq!(
            body,
            r#"{"type":"consent.granted","timestamp":"2026-01-15T12:34:56.250Z","data":{"consent_id":"c_1","asset":"sha256:00"}}"#
        );
        assert_eq!(Envelope::from_body(body.as_bytes()).unwrap(), e);
    }

    #[test]
    fn envelope_parsing() {
        // The spec's example timestamp has microseconds; extra members are allowed.
        let e = Envelope::from_body(
            br#"{"type":"payout.failed","timestamp":"2022-11-03T20:26:10.344522Z","data":{"payout_id":"po_1"},"extra":1}"#,
        )
        .unwrap();
        assert_eq!(e.event_type, EventType::PayoutFailed);
        assert_eq!(e.timestamp.unix_millis(), 1_667_507_170_344);
        for bad in [
            &br#"{"type":"user.created","timestamp":"2022-11-03T20:26:10Z","data":{}}"#[..],
            br#"{"type":"payout.failed","timestamp":"yesterday","data":{}}"#,
            br#"{"type":"payout.failed","timestamp":"2022-11-03T20:26:10Z","data":[]}"#,
            br#"{"type":"payout.failed","data":{}}"#,
            b"not json",
        ] {
            assert!(
                Envelope::from_body(bad).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn message_ids_are_stable() {
        let a = message_id("evt_123");
        assert_eq!(a, message_id("evt_123"));
        assert_ne!(a, message_id("evt_124"));
        assert_eq!(a.len(), 4 + 32);
        assert!(crate::webhook::sign::is_valid_message_id(&a));
        assert!(crate::webhook::sign::is_valid_message_id(&message_id(
            "a.b c"
        )));
        // Pinned, so a change of derivation (which would break consumers'
        // deduplication across a deploy) cannot go unnoticed.
        // (Computed independently: Python's hashlib over the same bytes.)
        assert_eq!(a, "msg_17423076acf6dc13e8e3b9d82fe943cf");
    }
}
