//! Applying a verified inbound event.
//!
//! Each change is idempotent by construction (a license bought by webhook
//! gets an id derived from the webhook id; payout outcomes set fields), so
//! a redelivery racing the first delivery still changes nothing twice.

use fairtrain_core::digest::Sha256Digest;
use serde_json::json;

use super::store::Outcome;
use crate::error::{Error, Kind, Result};
use crate::licenses;
use crate::platform::Platform;
use crate::webhooks::inbound::InboundEvent;
use crate::webhooks::{EventType, Outgoing};

/// What applying an event did.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    /// The license or payout line it changed (`-` if nothing).
    pub subject: String,
    pub outcome: Outcome,
    pub detail: Option<String>,
    /// Outbound events it causes (a confirmed payout is relayed).
    pub relay: Vec<Outgoing>,
}

impl Applied {
    fn to(subject: &str) -> Applied {
        Applied {
            subject: subject.to_string(),
            outcome: Outcome::Applied,
            detail: None,
            relay: Vec::new(),
        }
    }
}

/// A urn:uuid derived from an inbound webhook, so applying it twice yields
/// the same license.
pub fn derived_urn(integration_id: &str, webhook_id: &str) -> String {
    let d =
        Sha256Digest::of(format!("fairtrain inbound\n{integration_id}\n{webhook_id}").as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&d.as_bytes()[..16]);
    b[6] = (b[6] & 0x0f) | 0x80; // version 8: custom
    b[8] = (b[8] & 0x3f) | 0x80; // RFC 9562 variant
    let h = hex::encode(b);
    format!(
        "urn:uuid:{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

fn no_line() -> Error {
    Error::field("/data/line_id", "no payout line has this id")
}

pub async fn apply(
    p: &impl Platform,
    integration_id: &str,
    webhook_id: &str,
    event: &InboundEvent,
) -> Result<Applied> {
    let now = p.now();
    match event {
        InboundEvent::LicensePurchased {
            buyer,
            manifest_id,
            expires_at,
        } => {
            let id = derived_urn(integration_id, webhook_id);
            let source = format!("webhook:{integration_id}:{webhook_id}");
            let expires = expires_at.map(|t| t.format_rfc3339());
            licenses::grant(p, &id, buyer, manifest_id, expires.as_deref(), &source).await?;
            Ok(Applied::to(&id))
        }
        InboundEvent::LicenseRevoked { license_id } => {
            licenses::revoke(p, license_id).await.map_err(|e| {
                if e.kind == Kind::NotFound {
                    Error::field("/data/license_id", "no licence has this id")
                } else {
                    e
                }
            })?;
            Ok(Applied::to(license_id))
        }
        InboundEvent::PayoutConfirmed {
            line_id,
            payout_id,
            amount_minor,
            currency,
        } => {
            // The confirmed amount is recorded as the rail states it;
            // reconciliation compares it with the line, never "fixes" it.
            if !p
                .confirm_payout(line_id, payout_id, amount_minor, now)
                .await?
            {
                return Err(no_line());
            }
            let mut done = Applied::to(line_id);
            done.relay.push(Outgoing::new(
                EventType::PayoutConfirmed,
                format!("payout.confirmed:{line_id}:{payout_id}"),
                now,
                json!({ "line_id": line_id, "payout_id": payout_id, "amount_minor": amount_minor,
                        "currency": currency }),
            ));
            Ok(done)
        }
        InboundEvent::PayoutFailed {
            line_id,
            payout_id,
            reason,
        } => {
            if !p.fail_payout(line_id, payout_id.as_deref(), reason).await? {
                return Err(no_line());
            }
            Ok(Applied::to(line_id))
        }
        InboundEvent::DisputeOpened {
            line_id,
            dispute_id,
            reason,
        } => {
            let reason = format!("dispute: {reason}");
            if !p.open_dispute(line_id, dispute_id, &reason, now).await? {
                return Err(no_line());
            }
            Ok(Applied::to(line_id))
        }
        InboundEvent::Ignored { event_type } => Ok(Applied {
            subject: "-".into(),
            outcome: Outcome::Ignored,
            detail: Some(format!("{event_type} is not an event fairtrain acts on")),
            relay: Vec::new(),
        }),
    }
}
