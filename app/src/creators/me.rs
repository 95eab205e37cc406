//! A creator's own record, profile included (only ever to themselves).

use fairtrain_core::did_key::DidKey;
use serde::Serialize;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::platform::Platform;

#[derive(Debug, Serialize)]
pub struct CreatorRecord {
    pub did: String,
    pub registered_at: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
    /// As the creator gave it (`null` if none).
    pub payout: Value,
}

pub async fn me(p: &impl Platform, did: &DidKey) -> Result<CreatorRecord> {
    let c = p
        .creator(&did.to_string())
        .await?
        .ok_or_else(|| Error::internal("registered creator without a row"))?;
    let profile = c.profile;
    Ok(CreatorRecord {
        did: c.did,
        registered_at: c.registered_at.format_rfc3339(),
        display_name: profile.display_name,
        email: profile.email,
        payout: profile
            .payout
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or(Value::Null),
    })
}
