//! A revoked consent in published manifests: flagged, and news for subscribers.

use crate::webhooks::{EventType, Outgoing};
use serde_json::json;

use crate::error::Result;
use crate::platform::Platform;

/// Records that a consent was revoked in every published manifest that uses
/// it, and tells subscribers (`manifest.status_changed`).
pub async fn flag_revoked_consent(p: &impl Platform, consent_id: &str) -> Result<()> {
    let now = p.now();
    let affected = p.flag_consent(consent_id, now).await?;
    let events: Vec<Outgoing> = affected
        .iter()
        .map(|manifest_id| {
            Outgoing::new(
                EventType::ManifestStatusChanged,
                format!("manifest.status_changed:{manifest_id}:{consent_id}"),
                now,
                json!({ "manifest_id": manifest_id, "status": "flagged",
                        "reason": "consent_revoked", "consent_id": consent_id }),
            )
        })
        .collect();
    crate::webhooks::emit(p, &events).await;
    Ok(())
}
