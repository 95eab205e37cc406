//! Granting and revoking licenses, and the check a buyer's read needs.

use fairtrain_core::principal::Role;
use fairtrain_core::time::Timestamp;
use serde::Serialize;

use super::store::StoredLicense;
use crate::error::{Error, Result};
use crate::platform::Platform;

#[derive(Debug, Clone, Serialize)]
pub struct Granted {
    pub license_id: String,
    pub buyer: String,
    pub manifest_id: String,
    pub granted_at: String,
    pub expires_at: Option<String>,
    pub source: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Revoked {
    pub license_id: String,
    pub status: &'static str,
}

/// Grants `buyer` a license for `manifest_id`. `id` is chosen by the caller:
/// random for the operator, derived from the webhook id for a marketplace,
/// so a redelivered purchase grants nothing new.
pub async fn grant(
    p: &impl Platform,
    id: &str,
    buyer: &str,
    manifest_id: &str,
    expires_at: Option<&str>,
    source: &str,
) -> Result<Granted> {
    if !p.manifest_exists(manifest_id).await? {
        return Err(Error::not_found(&format!("/v1/manifests/{manifest_id}")));
    }
    let is_buyer = p
        .api_key(buyer)
        .await?
        .is_some_and(|k| k.role == Role::Buyer);
    if !is_buyer {
        return Err(Error::field("/buyer", "not the id of a buyer's API key"));
    }
    let expires = expires_at
        .map(|t| {
            Timestamp::parse_rfc3339(t).map_err(|e| Error::field("/expires_at", e.to_string()))
        })
        .transpose()?;
    let now = p.now();
    p.insert_license(&StoredLicense {
        id: id.to_string(),
        buyer: buyer.to_string(),
        manifest_id: manifest_id.to_string(),
        granted_at: now,
        expires_at: expires,
        revoked_at: None,
        source: source.to_string(),
    })
    .await?;
    Ok(Granted {
        license_id: id.to_string(),
        buyer: buyer.to_string(),
        manifest_id: manifest_id.to_string(),
        granted_at: now.format_rfc3339(),
        expires_at: expires.map(|t| t.format_rfc3339()),
        source: source.to_string(),
    })
}

/// Revocation is idempotent: revoking twice keeps the first time.
pub async fn revoke(p: &impl Platform, id: &str) -> Result<Revoked> {
    if !p.revoke_license(id, p.now()).await? {
        return Err(Error::not_found(&format!("/v1/licenses/{id}")));
    }
    Ok(Revoked {
        license_id: id.to_string(),
        status: "revoked",
    })
}

/// The buyer holds a license for the manifest that is neither revoked nor
/// expired now.
pub async fn require_current_license(
    p: &impl Platform,
    buyer: &str,
    manifest_id: &str,
) -> Result<()> {
    let now = p.now();
    let current = p
        .licenses_of(buyer, manifest_id)
        .await?
        .iter()
        .any(|l| l.revoked_at.is_none() && l.expires_at.is_none_or(|e| e > now));
    if current {
        Ok(())
    } else {
        Err(
            Error::forbidden("this buyer holds no current license for this manifest")
                .with("manifest_id", manifest_id),
        )
    }
}
