//! Stored consents as the gateway and manifest composition see them:
//! loaded in bulk and verified once per run, not once per contribution.

use std::collections::HashMap;

use fairtrain_consent::consent::{verify_consent_document, VerifiedConsent};
use serde::Deserialize;

use crate::context::Cx;
use crate::error::{ApiError, ApiResult};

pub struct Stored {
    /// Signature and shape verified; `None` if the stored token no longer
    /// verifies. The validity window is judged by the caller, at its own time.
    pub consent: Option<VerifiedConsent>,
    pub revoked: bool,
}

/// Consent id → what is stored (`None`: no such consent).
pub type Cache = HashMap<String, Option<Stored>>;

/// Load the consents named by `ids` that the cache does not hold yet.
pub async fn load<'a>(
    cx: &Cx,
    ids: impl Iterator<Item = &'a str>,
    cache: &mut Cache,
) -> ApiResult<()> {
    let mut missing: Vec<&str> = ids.filter(|id| !cache.contains_key(*id)).collect();
    missing.sort_unstable();
    missing.dedup();
    if missing.is_empty() {
        return Ok(());
    }
    #[derive(Deserialize)]
    struct Row {
        id: String,
        token: String,
        revoked_at: Option<String>,
    }
    let list = serde_json::to_string(&missing).map_err(ApiError::internal)?;
    let found: Vec<Row> = cx
        .db()?
        .prepare("SELECT id, token, revoked_at FROM consents WHERE id IN (SELECT value FROM json_each(?1))")
        .bind(&[list.as_str().into()])?
        .all()
        .await?
        .results()?;
    for row in found {
        let consent = serde_json::from_str::<serde_json::Value>(&row.token)
            .ok()
            .and_then(|t| verify_consent_document(&t).ok());
        cache.insert(
            row.id,
            Some(Stored {
                consent,
                revoked: row.revoked_at.is_some(),
            }),
        );
    }
    for id in missing {
        cache.entry(id.to_string()).or_insert(None);
    }
    Ok(())
}
