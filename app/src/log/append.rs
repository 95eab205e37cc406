//! Appending events: validate, hand them to the sequencer, tell webhook
//! subscribers, and sign a promise of inclusion.

use fairtrain_consent::log_event::Entry;
use fairtrain_core::data_integrity::{self, ProofOptions};
use fairtrain_core::did_key::DidKey;
use fairtrain_core::encoding::base64_encode;
use serde_json::{json, Value};

use super::protocol::{AppendRequest, AppendResponse, NewEntry};
use crate::error::{Error, Result};
use crate::platform::Platform;

/// The promise: an accepted entry is in a signed checkpoint within this time.
pub const INCLUSION_DEADLINE_MS: i64 = 60_000;

pub type Appended = AppendResponse;

/// The log's origin (C2SP checkpoint origin line and note key name).
pub fn origin(p: &impl Platform) -> String {
    p.settings().log_origin.clone()
}

/// Appends `entries` to the log; everything logged is also news for
/// webhook subscribers (recorded and queued after the append).
pub async fn append(p: &impl Platform, entries: Vec<Entry>) -> Result<Appended> {
    let request = AppendRequest {
        entries: entries
            .iter()
            .map(|e| NewEntry {
                entry: base64_encode(&e.bytes),
                hash: e.hash.to_string(),
                assets: e.asset_hashes.iter().map(ToString::to_string).collect(),
            })
            .collect(),
    };
    let appended = p.append(&request).await?;
    let outgoing: Vec<_> = entries
        .iter()
        .filter_map(|e| crate::webhooks::from_log_event(&e.event, &e.hash))
        .collect();
    crate::webhooks::emit(p, &outgoing).await;
    Ok(appended)
}

/// A signed promise to include the entries by a deadline (like a CT SCT, one
/// per request): a Data Integrity (eddsa-jcs-2022) signed statement.
pub fn promise(p: &impl Platform, appended: &Appended) -> Result<Value> {
    let ring = p.keys()?;
    let now = p.now();
    let include_by = now
        .checked_add_millis(INCLUSION_DEADLINE_MS)
        .ok_or_else(|| Error::internal("time overflow"))?;
    let hashes: Vec<&str> = appended
        .results
        .iter()
        .map(|r| r.entry_hash.as_str())
        .collect();
    let statement = json!({
        "type": "LogInclusionPromise",
        "log": origin(p),
        "entries": hashes,
        "received_at": now.format_rfc3339(),
        "include_by": include_by.format_rfc3339(),
    });
    let signer = ring.active_signer();
    let did = DidKey::from_public_key(signer.public_key());
    Ok(data_integrity::sign(
        &statement,
        ProofOptions::assertion(&did, now),
        signer,
    )?)
}
