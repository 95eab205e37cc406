//! What the usage queue carries: a report's accepted events, each with the
//! manifest assets it resolved to, packed into messages under the queue's
//! size limit.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::Result;

/// Queue messages stay well under the queue's 128 KB limit.
pub const MAX_MESSAGE_BYTES: usize = 96 * 1024;

/// One asset of an accepted event, resolved against the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResolvedAsset {
    pub leaf: u64,
    pub creator: String,
}

/// An accepted event as the usage queue carries it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueuedEvent {
    pub event: Value,
    pub hash: String,
    /// Index in the report's batch tree for its manifest.
    pub batch_leaf: u64,
    pub assets: Vec<ResolvedAsset>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UsageMessage {
    pub report_id: String,
    pub orchestrator: String,
    pub events: Vec<QueuedEvent>,
}

/// The messages (JSON text each) that carry `events`, in order: each event
/// is serialised once, and a message is cut before it would pass
/// [`MAX_MESSAGE_BYTES`] (a single larger event travels alone).
pub fn pack(report_id: &str, orchestrator: &str, events: &[QueuedEvent]) -> Result<Vec<String>> {
    let head = format!(
        r#"{{"report_id":{},"orchestrator":{},"events":["#,
        serde_json::to_string(report_id)?,
        serde_json::to_string(orchestrator)?
    );
    let mut messages: Vec<String> = Vec::new();
    let mut current = head.clone();
    for q in events {
        let text = serde_json::to_string(q)?;
        if current.len() + text.len() + 3 > MAX_MESSAGE_BYTES && current.len() > head.len() {
            current.push_str("]}");
            messages.push(std::mem::replace(&mut current, head.clone()));
        }
        if current.len() > head.len() {
            current.push(',');
        }
        current.push_str(&text);
    }
    if current.len() > head.len() {
        current.push_str("]}");
        messages.push(current);
    }
    Ok(messages)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn queued(i: usize, pad: usize) -> QueuedEvent {
        QueuedEvent {
            event: json!({ "event_id": format!("e{i}"), "pad": "x".repeat(pad) }),
            hash: format!("sha256:{i:064}"),
            batch_leaf: i as u64,
            assets: vec![ResolvedAsset {
                leaf: i as u64,
                creator: "did:key:z".into(),
            }],
        }
    }

    #[test]
    fn every_event_travels_once_in_order_and_messages_stay_under_the_limit() {
        let events: Vec<QueuedEvent> = (0..500).map(|i| queued(i, 700)).collect();
        let messages = pack("urn:uuid:r", "did:key:o", &events).unwrap();
        assert!(messages.len() > 1, "{} messages", messages.len());
        let mut back = Vec::new();
        for m in &messages {
            assert!(m.len() <= MAX_MESSAGE_BYTES, "{} bytes", m.len());
            let msg: UsageMessage = serde_json::from_str(m).unwrap();
            assert_eq!(msg.report_id, "urn:uuid:r");
            assert_eq!(msg.orchestrator, "did:key:o");
            back.extend(msg.events);
        }
        assert_eq!(back, events);
    }

    #[test]
    fn nothing_to_carry_is_no_message_and_a_huge_event_goes_alone() {
        assert!(pack("r", "o", &[]).unwrap().is_empty());
        let big = vec![queued(0, 10), queued(1, MAX_MESSAGE_BYTES), queued(2, 10)];
        let messages = pack("r", "o", &big).unwrap();
        assert_eq!(messages.len(), 3);
    }
}
