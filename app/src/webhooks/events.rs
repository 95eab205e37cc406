//! fairtrain's webhook event types: the ones it sends and the ones it
//! accepts, each with its direction, and the Standard Webhooks envelope
//! typed with them (an unknown `type` is refused while parsing).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

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
    /// A buyer purchased a license (from the marketplace).
    LicensePurchased = "license.purchased", Inbound;
    /// A license was revoked (from the marketplace).
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

/// The Standard Webhooks envelope with fairtrain's event types.
pub type Envelope = fairtrain_webhooks::Envelope<EventType>;

#[cfg(test)]
mod tests {
    use super::*;
    use fairtrain_core::time::Timestamp;
    use fairtrain_webhooks::EventName;
    use serde_json::json;

    #[test]
    fn type_strings_round_trip() {
        assert_eq!(EventType::ALL.len(), 16);
        for t in EventType::ALL {
            assert_eq!(t.as_str().parse::<EventType>().unwrap(), *t);
            assert_eq!(serde_json::to_value(t).unwrap(), json!(t.as_str()));
            // The spec's recommended shape: segments of [a-zA-Z0-9_], dot-delimited.
            assert!(t.as_str().parse::<EventName>().is_ok(), "{t}");
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
    fn typed_envelopes() {
        let e = Envelope::new(
            EventType::ConsentGranted,
            Timestamp::parse_rfc3339("2026-01-15T12:34:56.250Z").unwrap(),
            json!({"consent_id": "c_1"}),
        );
        assert_eq!(
            e.to_body(),
            r#"{"type":"consent.granted","timestamp":"2026-01-15T12:34:56.250Z","data":{"consent_id":"c_1"}}"#
        );
        assert_eq!(Envelope::from_body(e.to_body().as_bytes()).unwrap(), e);
        // A well-formed type fairtrain does not know is refused.
        let err = Envelope::from_body(
            br#"{"type":"user.created","timestamp":"2022-11-03T20:26:10Z","data":{}}"#,
        )
        .unwrap_err();
        assert!(err.to_string().contains("unknown event type"), "{err}");
    }
}
