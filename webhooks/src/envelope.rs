//! The payload: the spec's recommended structure
//! `{"type": "invoice.paid", "timestamp": "<RFC 3339>", "data": {…}}`, and the
//! `webhook-id` of an event (the same on every attempt and every endpoint, so
//! it works as the consumer's idempotency key).
//!
//! `type` is an [`EventName`] (any well-formed type) unless the application
//! has a closed set of its own: [`Envelope`] is generic over the type, so a
//! typed envelope refuses unknown types while parsing.

use std::fmt;
use std::str::FromStr;

use fairtrain_core::time::Timestamp;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Longest event type accepted, in bytes.
pub const MAX_EVENT_NAME_LEN: usize = 255;

/// An event type as the spec recommends it: full-stop delimited, hierarchical
/// segments of `[a-zA-Z0-9_]` (`invoice.paid`, `consent.granted`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventName(String);

/// A `type` that is not a well-formed [`EventName`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed event type {0:?} (dot-delimited segments of [a-zA-Z0-9_])")]
pub struct EventNameError(pub String);

impl EventName {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for EventName {
    type Err = EventNameError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let well_formed = s.len() <= MAX_EVENT_NAME_LEN
            && s.split('.').all(|segment| {
                !segment.is_empty()
                    && segment
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_')
            });
        if well_formed {
            Ok(EventName(s.to_owned()))
        } else {
            Err(EventNameError(s.chars().take(64).collect()))
        }
    }
}

impl fmt::Display for EventName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for EventName {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for EventName {
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
pub struct Envelope<T = EventName> {
    #[serde(rename = "type")]
    pub event_type: T,
    pub timestamp: Timestamp,
    pub data: Value,
}

/// Why a body is not an [`Envelope`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a webhook envelope: {0}")]
pub struct EnvelopeError(pub String);

impl<T: Serialize + DeserializeOwned> Envelope<T> {
    pub fn new(event_type: T, timestamp: Timestamp, data: Value) -> Self {
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
        let envelope: Envelope<T> =
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

    fn name(text: &str) -> EventName {
        text.parse().unwrap()
    }

    #[test]
    fn event_names() {
        for ok in ["consent.granted", "invoice.paid", "a", "user_2.created_at"] {
            assert_eq!(name(ok).as_str(), ok);
            assert_eq!(serde_json::to_value(name(ok)).unwrap(), json!(ok));
        }
        for bad in ["", ".", "a.", ".a", "a..b", "a b", "a-b", "é.x"] {
            assert!(bad.parse::<EventName>().is_err(), "{bad:?}");
        }
        assert!("a"
            .repeat(MAX_EVENT_NAME_LEN + 1)
            .parse::<EventName>()
            .is_err());
    }

    #[test]
    fn envelope_shape() {
        let e = Envelope::new(
            name("consent.granted"),
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
        let e: Envelope = Envelope::from_body(
            br#"{"type":"payout.failed","timestamp":"2022-11-03T20:26:10.344522Z","data":{"payout_id":"po_1"},"extra":1}"#,
        )
        .unwrap();
        assert_eq!(e.event_type, name("payout.failed"));
        assert_eq!(e.timestamp.unix_millis(), 1_667_507_170_344);
        for bad in [
            &br#"{"type":"user created","timestamp":"2022-11-03T20:26:10Z","data":{}}"#[..],
            br#"{"type":"payout.failed","timestamp":"yesterday","data":{}}"#,
            br#"{"type":"payout.failed","timestamp":"2022-11-03T20:26:10Z","data":[]}"#,
            br#"{"type":"payout.failed","data":{}}"#,
            b"not json",
        ] {
            assert!(
                Envelope::<EventName>::from_body(bad).is_err(),
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
        assert!(crate::sign::is_valid_message_id(&a));
        assert!(crate::sign::is_valid_message_id(&message_id("a.b c")));
        // Pinned, so a change of derivation (which would break consumers'
        // deduplication across a deploy) cannot go unnoticed.
        // (Computed independently: Python's hashlib over the same bytes.)
        assert_eq!(a, "msg_17423076acf6dc13e8e3b9d82fe943cf");
    }
}
