//! D1: every SQL statement of the Worker, one file per aggregate, each row
//! type defined once. The repositories implement the application's store
//! traits for [`Runtime`](crate::runtime::Runtime); nothing outside this
//! module writes SQL against D1.
//!
//! Conventions: times are stored as the RFC 3339 text `Timestamp` formats;
//! bulk writes pass one JSON array parameter per few thousand rows
//! ([`json_chunks`]) and run in one `batch` (a transaction: all or nothing).

mod api_keys;
mod auth;
mod consents;
mod contributions;
mod creators;
mod dead_letters;
mod dev;
mod health;
mod integrations;
mod licenses;
pub mod log_outbox;
mod manifests;
mod policies;
mod settlements;
mod usage;
mod webhooks;

use fairtrain_app::Result;
use fairtrain_core::time::Timestamp;
use serde::Serialize;
use wasm_bindgen::JsValue;
use worker::D1Result;

/// Largest JSON parameter of a bulk write: keeps each statement small.
pub const MAX_PARAM_BYTES: usize = 80 * 1024;

/// Rows a write statement changed.
pub fn changes(result: &D1Result) -> Result<usize> {
    Ok(result.meta()?.and_then(|m| m.changes).unwrap_or(0))
}

/// An optional text value: SQL NULL when absent (`Option::into` would
/// give `undefined`, which D1 refuses).
pub fn opt(value: Option<&str>) -> JsValue {
    value.map(JsValue::from_str).unwrap_or(JsValue::NULL)
}

/// An optional time, as stored text or NULL.
pub fn opt_time_value(value: Option<Timestamp>) -> JsValue {
    value
        .map(|t| JsValue::from_str(&t.format_rfc3339()))
        .unwrap_or(JsValue::NULL)
}

/// A stored time.
pub fn time(text: &str) -> Result<Timestamp> {
    Ok(Timestamp::parse_rfc3339(text)?)
}

/// A stored optional time.
pub fn opt_time(text: Option<&str>) -> Result<Option<Timestamp>> {
    text.map(time).transpose()
}

/// JSON arrays of `rows`, each small enough for one statement parameter.
pub fn json_chunks<T: Serialize>(rows: &[T]) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut current: Vec<String> = Vec::new();
    let mut size = 2;
    for r in rows {
        let text = serde_json::to_string(r)?;
        let n = text.len() + 1;
        if size + n > MAX_PARAM_BYTES && !current.is_empty() {
            out.push(format!("[{}]", current.join(",")));
            current.clear();
            size = 2;
        }
        size += n;
        current.push(text);
    }
    if !current.is_empty() {
        out.push(format!("[{}]", current.join(",")));
    }
    Ok(out)
}
