//! Which endpoints get an event, and the id of each delivery.
//!
//! An endpoint subscribes to a list of event types, or to `"*"` (every type
//! fairtrain sends). A delivery (one message to one endpoint) has an id
//! derived from both, so recording the same event twice changes nothing.

use sha2::{Digest, Sha256};

use super::events::EventType;

/// The wildcard subscription.
pub const ALL_EVENTS: &str = "*";

/// Does `subscribed` (an endpoint's list) include `t`?
pub fn subscribes<S: AsRef<str>>(subscribed: &[S], t: EventType) -> bool {
    subscribed
        .iter()
        .any(|s| s.as_ref() == ALL_EVENTS || s.as_ref() == t.as_str())
}

/// Checks an endpoint's subscription list: 1 to 50 entries, each `"*"` or an
/// outbound event type, no repeats.
pub fn check_subscription<S: AsRef<str>>(subscribed: &[S]) -> Result<(), String> {
    if subscribed.is_empty() || subscribed.len() > 50 {
        return Err("list 1 to 50 event types, or [\"*\"] for all".into());
    }
    for (i, s) in subscribed.iter().enumerate() {
        let s = s.as_ref();
        if s != ALL_EVENTS {
            match s.parse::<EventType>() {
                Ok(t) if t.is_outbound() => {}
                Ok(_) => {
                    return Err(format!(
                        "{s:?} is an inbound event type; fairtrain does not send it"
                    ))
                }
                Err(e) => return Err(e.to_string()),
            }
        }
        if subscribed[..i].iter().any(|p| p.as_ref() == s) {
            return Err(format!("{s:?} is listed twice"));
        }
    }
    Ok(())
}

/// `dlv_` + 32 hex digits of SHA-256 over the message and endpoint ids.
pub fn delivery_id(message_id: &str, endpoint_id: &str) -> String {
    let digest = Sha256::new()
        .chain_update(message_id.as_bytes())
        .chain_update(b"\n")
        .chain_update(endpoint_id.as_bytes())
        .finalize();
    format!("dlv_{}", hex::encode(&digest[..16]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscriptions() {
        assert!(subscribes(&["*"], EventType::ConsentGranted));
        assert!(subscribes(&["consent.granted"], EventType::ConsentGranted));
        assert!(!subscribes(&["consent.revoked"], EventType::ConsentGranted));
        assert!(!subscribes::<&str>(&[], EventType::ConsentGranted));
        assert!(check_subscription(&["*"]).is_ok());
        assert!(check_subscription(&["consent.granted", "payout.instruction"]).is_ok());
        assert!(check_subscription::<&str>(&[]).is_err());
        assert!(check_subscription(&["license.purchased"]).is_err());
        assert!(check_subscription(&["nope"]).is_err());
        assert!(check_subscription(&["key.rotated", "key.rotated"]).is_err());
    }

    #[test]
    fn delivery_ids_are_derived() {
        assert_eq!(delivery_id("msg_a", "ep_1"), delivery_id("msg_a", "ep_1"));
        assert_ne!(delivery_id("msg_a", "ep_1"), delivery_id("msg_a", "ep_2"));
        assert_ne!(delivery_id("msg_a", "ep_1"), delivery_id("msg_b", "ep_1"));
        assert_eq!(delivery_id("msg_a", "ep_1").len(), 36);
    }
}
