//! The operator's append: typed events, validated one by one, logged
//! together under one signed promise.

use fairtrain_consent::log_event;
use fairtrain_core::problem::FieldError;
use serde::Serialize;
use serde_json::Value;

use super::append::{append, origin, promise};
use super::protocol::AppendResult;
use crate::error::{Error, Result};
use crate::platform::Platform;

/// Events per request.
pub const MAX_EVENTS: usize = 1000;

/// The answer to an append: where the entries are, and the promise to
/// include them.
#[derive(Debug, Serialize)]
pub struct Posted {
    pub log: String,
    /// The tree size when the entries were accepted.
    pub tree_size: u64,
    pub entries: Vec<AppendResult>,
    pub promise: Value,
}

/// Appends `events` (each a log event as JSON): all of them, or none if any
/// is not a valid event.
pub async fn post_events(p: &impl Platform, events: &[Value]) -> Result<Posted> {
    if events.is_empty() || events.len() > MAX_EVENTS {
        return Err(Error::field(
            "/events",
            format!("between 1 and {MAX_EVENTS} events per request"),
        ));
    }
    let mut entries = Vec::with_capacity(events.len());
    let mut errors = Vec::new();
    for (i, v) in events.iter().enumerate() {
        match log_event::entry_from_json(v) {
            Ok(e) => entries.push(e),
            Err(e) => errors.push(FieldError::new(format!("/events/{i}"), e.to_string())),
        }
    }
    if !errors.is_empty() {
        return Err(Error::validation(errors));
    }
    let appended = append(p, entries).await?;
    let promise = promise(p, &appended)?;
    Ok(Posted {
        log: origin(p),
        tree_size: appended.size,
        entries: appended.results,
        promise,
    })
}
