//! Revoking consent: forward-only. The consent is marked revoked together
//! with its log entry, the entry logged; then its contributions are
//! re-routed and the manifests that used it flagged.

use fairtrain_consent::consent::verify_revocation;
use fairtrain_consent::log_event::{self, LogEvent, SCHEMA_VERSION};
use fairtrain_core::did_key::DidKey;
use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::jcs;
use serde::Serialize;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::gateway::{reroute, Which};
use crate::log::PendingEntry;
use crate::platform::Platform;

#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Revocation {
    /// Revoked now.
    Revoked {
        consent_id: String,
        status: &'static str,
        revoked_at: String,
        log_entry_hash: String,
        rerouted: usize,
    },
    /// Revoked before: nothing changes.
    AlreadyRevoked {
        consent_id: String,
        status: &'static str,
        revoked_at: String,
    },
}

pub async fn revoke(
    p: &impl Platform,
    creator: &DidKey,
    id: &str,
    revocation: &Value,
) -> Result<Revocation> {
    let row = p
        .consent(id)
        .await?
        .ok_or_else(|| Error::not_found(&format!("/v1/consents/{id}")))?;
    if row.creator != creator.to_string() {
        return Err(Error::forbidden("this consent belongs to another creator"));
    }
    let verified = verify_revocation(revocation).map_err(|e| {
        Error::refused(
            "invalid-revocation",
            format!("the revocation is not acceptable: {e}"),
        )
    })?;
    if verified.consent_id != id || verified.creator != *creator {
        return Err(Error::forbidden(
            "the revocation must be signed by the consent's creator and name this consent",
        ));
    }
    if let Some(at) = row.revoked_at {
        return Ok(Revocation::AlreadyRevoked {
            consent_id: id.to_string(),
            status: "revoked",
            revoked_at: at.format_rfc3339(),
        });
    }
    let now = p.now();
    let canonical = jcs::canonicalize(revocation)?;
    let entry = log_event::entry(LogEvent::ConsentRevoked {
        v: SCHEMA_VERSION,
        at: now,
        consent_id: id.to_string(),
        revocation_hash: Sha256Digest::of(canonical.as_bytes()),
        creator: creator.to_string(),
    })?;
    let entry_hash = entry.hash.to_string();
    // State first, with its log entry; a revocation that lost a race to
    // another changes (and logs) nothing.
    if !p
        .record_revocation(id, now, &canonical, &[PendingEntry::from(&entry)])
        .await?
    {
        let at = p
            .consent(id)
            .await?
            .and_then(|c| c.revoked_at)
            .ok_or_else(|| Error::internal("a revoked consent without its time"))?;
        return Ok(Revocation::AlreadyRevoked {
            consent_id: id.to_string(),
            status: "revoked",
            revoked_at: at.format_rfc3339(),
        });
    }
    crate::log::flush(p, &[entry]).await;
    let rerouted = reroute(p, Which::Consent(id)).await?;
    crate::manifests::flag_revoked_consent(p, id).await?;
    Ok(Revocation::Revoked {
        consent_id: id.to_string(),
        status: "revoked",
        revoked_at: now.format_rfc3339(),
        log_entry_hash: entry_hash,
        rerouted,
    })
}
