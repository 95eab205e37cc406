//! Events fairtrain accepts from a marketplace or payment processor, typed.
//!
//! Standard Webhooks senders use fairtrain's own event types in the spec's
//! envelope (`{"type", "timestamp", "data"}`):
//!
//! | type | data |
//! |---|---|
//! | `license.purchased` | `{"buyer": "<buyer API key id>", "manifest_id": "urn:uuid:…", "expires_at"?: "<RFC 3339>"}` |
//! | `license.revoked` | `{"license_id": "urn:uuid:…"}` |
//! | `payout.confirmed` | `{"line_id": "urn:uuid:…", "payout_id": "…", "amount_minor": "1234", "currency": "USD"}` |
//! | `payout.failed` | `{"line_id": "urn:uuid:…", "payout_id"?: "…", "reason": "…"}` |
//! | `dispute.opened` | `{"line_id": "urn:uuid:…", "dispute_id": "…", "reason": "…"}` |
//!
//! A payment processor speaking Stripe's format sends its own event objects
//! (`{"id": "evt_…", "type": "payout.paid", "data": {"object": {…}}}`); the
//! line (or buyer and manifest) travel in the object's `metadata`, which is
//! where the payout instruction asked the rail to put them:
//! `payout.paid` → payout confirmed, `payout.failed` → payout failed,
//! `charge.dispute.created` → dispute opened, `checkout.session.completed`
//! → license purchased. Other types are acknowledged and ignored.

use serde::Deserialize;
use serde_json::Value;

use fairtrain_core::fields::{is_token_text, is_urn_uuid};
use fairtrain_core::time::Timestamp;

use super::events::{Envelope, EventType};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InboundEvent {
    LicensePurchased {
        buyer: String,
        manifest_id: String,
        expires_at: Option<Timestamp>,
    },
    LicenseRevoked {
        license_id: String,
    },
    PayoutConfirmed {
        line_id: String,
        payout_id: String,
        amount_minor: String,
        currency: String,
    },
    PayoutFailed {
        line_id: String,
        payout_id: Option<String>,
        reason: String,
    },
    DisputeOpened {
        line_id: String,
        dispute_id: String,
        reason: String,
    },
    /// A type fairtrain does not act on (acknowledged, recorded, not applied).
    Ignored {
        event_type: String,
    },
}

impl InboundEvent {
    /// The fairtrain event type this is, for the record.
    pub fn type_name(&self) -> String {
        match self {
            InboundEvent::LicensePurchased { .. } => EventType::LicensePurchased.as_str().into(),
            InboundEvent::LicenseRevoked { .. } => EventType::LicenseRevoked.as_str().into(),
            InboundEvent::PayoutConfirmed { .. } => EventType::PayoutConfirmed.as_str().into(),
            InboundEvent::PayoutFailed { .. } => EventType::PayoutFailed.as_str().into(),
            InboundEvent::DisputeOpened { .. } => EventType::DisputeOpened.as_str().into(),
            InboundEvent::Ignored { event_type } => event_type.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid inbound event: {0}")]
pub struct InboundError(pub String);

fn bad(what: impl Into<String>) -> InboundError {
    InboundError(what.into())
}

fn id_text(name: &str, v: &str) -> Result<String, InboundError> {
    if is_token_text(v, 200) {
        Ok(v.to_owned())
    } else {
        Err(bad(format!(
            "{name} must be 1-200 printable ASCII characters without spaces"
        )))
    }
}

fn line(v: &str) -> Result<String, InboundError> {
    if is_urn_uuid(v) {
        Ok(v.to_owned())
    } else {
        Err(bad("line_id must be a urn:uuid (a payout line id)"))
    }
}

fn reason_text(v: &str) -> Result<String, InboundError> {
    let ok = !v.is_empty() && v.len() <= 500 && !v.chars().any(char::is_control);
    if ok {
        Ok(v.to_owned())
    } else {
        Err(bad(
            "reason must be 1-500 characters without control characters",
        ))
    }
}

fn amount(v: &str) -> Result<String, InboundError> {
    let ok = !v.is_empty()
        && v.len() <= 30
        && v.bytes().all(|b| b.is_ascii_digit())
        && (v == "0" || !v.starts_with('0'));
    if ok {
        Ok(v.to_owned())
    } else {
        Err(bad(
            "amount_minor must be a whole number of minor units, as a decimal string",
        ))
    }
}

fn currency(v: &str) -> Result<String, InboundError> {
    let upper = v.to_ascii_uppercase();
    if upper.len() == 3 && upper.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(upper)
    } else {
        Err(bad("currency must be three letters"))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Purchased {
    buyer: String,
    manifest_id: String,
    #[serde(default)]
    expires_at: Option<Timestamp>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Revoked {
    license_id: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Confirmed {
    line_id: String,
    payout_id: String,
    amount_minor: String,
    currency: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Failed {
    line_id: String,
    #[serde(default)]
    payout_id: Option<String>,
    reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Dispute {
    line_id: String,
    dispute_id: String,
    reason: String,
}

fn data<T: for<'de> Deserialize<'de>>(v: &Value) -> Result<T, InboundError> {
    serde_json::from_value(v.clone()).map_err(|e| bad(format!("data: {e}")))
}

fn purchased(
    buyer: &str,
    manifest_id: &str,
    expires_at: Option<Timestamp>,
) -> Result<InboundEvent, InboundError> {
    if !is_urn_uuid(manifest_id) {
        return Err(bad("manifest_id must be a manifest's urn:uuid"));
    }
    Ok(InboundEvent::LicensePurchased {
        buyer: id_text("buyer", buyer)?,
        manifest_id: manifest_id.to_owned(),
        expires_at,
    })
}

/// A Standard Webhooks envelope (already verified) as an inbound event.
pub fn from_envelope(envelope: &Envelope) -> Result<InboundEvent, InboundError> {
    let d = &envelope.data;
    match envelope.event_type {
        EventType::LicensePurchased => {
            let p: Purchased = data(d)?;
            purchased(&p.buyer, &p.manifest_id, p.expires_at)
        }
        EventType::LicenseRevoked => {
            let r: Revoked = data(d)?;
            if !is_urn_uuid(&r.license_id) {
                return Err(bad("license_id must be a licence's urn:uuid"));
            }
            Ok(InboundEvent::LicenseRevoked {
                license_id: r.license_id,
            })
        }
        EventType::PayoutConfirmed => {
            let c: Confirmed = data(d)?;
            Ok(InboundEvent::PayoutConfirmed {
                line_id: line(&c.line_id)?,
                payout_id: id_text("payout_id", &c.payout_id)?,
                amount_minor: amount(&c.amount_minor)?,
                currency: currency(&c.currency)?,
            })
        }
        EventType::PayoutFailed => {
            let f: Failed = data(d)?;
            Ok(InboundEvent::PayoutFailed {
                line_id: line(&f.line_id)?,
                payout_id: f
                    .payout_id
                    .as_deref()
                    .map(|p| id_text("payout_id", p))
                    .transpose()?,
                reason: reason_text(&f.reason)?,
            })
        }
        EventType::DisputeOpened => {
            let x: Dispute = data(d)?;
            Ok(InboundEvent::DisputeOpened {
                line_id: line(&x.line_id)?,
                dispute_id: id_text("dispute_id", &x.dispute_id)?,
                reason: reason_text(&x.reason)?,
            })
        }
        other => Err(bad(format!(
            "{} is not an event fairtrain accepts (it sends it)",
            other.as_str()
        ))),
    }
}

/// A Stripe event body (already verified): its id (the idempotency key) and
/// the inbound event.
pub fn from_stripe(body: &[u8]) -> Result<(String, InboundEvent), InboundError> {
    let v: Value = serde_json::from_slice(body).map_err(|e| bad(format!("not JSON: {e}")))?;
    let id = v
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("a Stripe event has a string `id`"))?;
    let id = id_text("id", id)?;
    let kind = v
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("a Stripe event has a string `type`"))?;
    let object = v.pointer("/data/object").cloned().unwrap_or(Value::Null);
    let text = |path: &str| object.pointer(path).and_then(Value::as_str);
    let meta = |key: &str| {
        text(&format!("/metadata/{key}"))
            .ok_or_else(|| bad(format!("data.object.metadata.{key} is required")))
    };
    let event = match kind {
        "payout.paid" => {
            let minor = object
                .get("amount")
                .and_then(Value::as_u64)
                .ok_or_else(|| bad("data.object.amount must be a whole number"))?;
            InboundEvent::PayoutConfirmed {
                line_id: line(meta("line_id")?)?,
                payout_id: id_text("data.object.id", text("/id").unwrap_or_default())?,
                amount_minor: minor.to_string(),
                currency: currency(text("/currency").unwrap_or_default())?,
            }
        }
        "payout.failed" => InboundEvent::PayoutFailed {
            line_id: line(meta("line_id")?)?,
            payout_id: text("/id")
                .map(|p| id_text("data.object.id", p))
                .transpose()?,
            reason: reason_text(
                text("/failure_message")
                    .or(text("/failure_code"))
                    .unwrap_or("payout failed"),
            )?,
        },
        "charge.dispute.created" => InboundEvent::DisputeOpened {
            line_id: line(meta("line_id")?)?,
            dispute_id: id_text("data.object.id", text("/id").unwrap_or_default())?,
            reason: reason_text(text("/reason").unwrap_or("dispute opened"))?,
        },
        "checkout.session.completed" => purchased(meta("buyer")?, meta("manifest_id")?, None)?,
        other => InboundEvent::Ignored {
            event_type: id_text("type", other)?,
        },
    };
    Ok((id, event))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const LINE: &str = "urn:uuid:0b7c3f4e-5a5d-4c1e-9a51-6f3c2d1e0a9b";
    const MANIFEST: &str = "urn:uuid:1b7c3f4e-5a5d-4c1e-9a51-6f3c2d1e0a9b";

    fn env(t: EventType, data: Value) -> Envelope {
        Envelope::new(t, Timestamp::from_unix_seconds(0).unwrap(), data)
    }

    #[test]
    fn standard_events() {
        let e = from_envelope(&env(
            EventType::LicensePurchased,
            json!({"buyer": "0123456789abcdef", "manifest_id": MANIFEST}),
        ))
        .unwrap();
        assert_eq!(
            e,
            InboundEvent::LicensePurchased {
                buyer: "0123456789abcdef".into(),
                manifest_id: MANIFEST.into(),
                expires_at: None
            }
        );
        let e = from_envelope(&env(
            EventType::PayoutConfirmed,
            json!({"line_id": LINE, "payout_id": "po_1", "amount_minor": "1234", "currency": "usd"}),
        ))
        .unwrap();
        assert!(
            matches!(e, InboundEvent::PayoutConfirmed { ref currency, .. } if currency == "USD")
        );
        // Wrong shapes and values are refused.
        for (t, d) in [
            (
                EventType::LicensePurchased,
                json!({"buyer": "b", "manifest_id": "m"}),
            ),
            (
                EventType::LicensePurchased,
                json!({"buyer": "b", "manifest_id": MANIFEST, "x": 1}),
            ),
            (
                EventType::PayoutConfirmed,
                json!({"line_id": LINE, "payout_id": "p", "amount_minor": "12.5", "currency": "USD"}),
            ),
            (
                EventType::PayoutConfirmed,
                json!({"line_id": "x", "payout_id": "p", "amount_minor": "1", "currency": "USD"}),
            ),
            (
                EventType::DisputeOpened,
                json!({"line_id": LINE, "dispute_id": "d", "reason": ""}),
            ),
            (EventType::ConsentGranted, json!({})),
        ] {
            assert!(from_envelope(&env(t, d.clone())).is_err(), "{t:?} {d}");
        }
    }

    #[test]
    fn stripe_events() {
        let body = json!({"id": "evt_1", "type": "payout.paid", "data": {"object": {
            "id": "po_9", "amount": 500, "currency": "eur", "metadata": {"line_id": LINE}}}});
        let (id, e) = from_stripe(body.to_string().as_bytes()).unwrap();
        assert_eq!(id, "evt_1");
        assert_eq!(
            e,
            InboundEvent::PayoutConfirmed {
                line_id: LINE.into(),
                payout_id: "po_9".into(),
                amount_minor: "500".into(),
                currency: "EUR".into()
            }
        );
        let body = json!({"id": "evt_2", "type": "customer.created", "data": {"object": {}}});
        let (_, e) = from_stripe(body.to_string().as_bytes()).unwrap();
        assert_eq!(
            e,
            InboundEvent::Ignored {
                event_type: "customer.created".into()
            }
        );
        let body = json!({"id": "evt_3", "type": "payout.paid", "data": {"object": {"id": "po", "amount": 1, "currency": "usd"}}});
        assert!(from_stripe(body.to_string().as_bytes()).is_err());
        assert!(from_stripe(b"[]").is_err());
    }
}
