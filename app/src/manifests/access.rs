//! Who may read a manifest (the operator, auditors, and buyers holding a
//! current license for it), and whether an asset's consent holds now.

use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::principal::{Principal, Role};

use super::store::StoredManifest;
use crate::error::{Error, Result};
use crate::platform::Platform;

/// The roles that may read manifests (buyers only with a current license).
pub const READERS: &[Role] = &[Role::Operator, Role::Auditor, Role::Buyer];

/// The manifest, if `reader` may read it.
pub async fn require_reader(
    p: &impl Platform,
    reader: &Principal,
    manifest_id: &str,
) -> Result<StoredManifest> {
    crate::auth::require_role(reader, READERS)?;
    let manifest = p
        .manifest(manifest_id)
        .await?
        .ok_or_else(|| Error::not_found(&format!("/v1/manifests/{manifest_id}")))?;
    if reader.role == Role::Buyer {
        crate::licenses::require_current_license(p, &reader.id, manifest_id).await?;
    }
    Ok(manifest)
}

/// Whether the consent behind an asset of a manifest holds now: `Err` with
/// the reason (`consent_revoked`, `consent_expired`) if it does not.
pub(super) async fn consent_now_valid(
    p: &impl Platform,
    manifest_id: &str,
    hash: &Sha256Digest,
) -> Result<Result<(), &'static str>> {
    let consent = p
        .asset_consent(manifest_id, hash)
        .await?
        .ok_or_else(|| Error::not_found(&format!("{hash} in manifest {manifest_id}")))?;
    if consent.revoked_at.is_some() {
        return Ok(Err("consent_revoked"));
    }
    let token: serde_json::Value = serde_json::from_str(&consent.token)?;
    Ok(fairtrain_consent::consent::verify_consent(&token, p.now())
        .map(|_| ())
        .map_err(|_| "consent_expired"))
}

/// A malformed asset hash (checked after access: a reader without access
/// learns nothing from it).
pub(super) fn bad_hash(e: impl std::fmt::Display) -> Error {
    Error::bad_request(format!("asset hash: {e}"))
}

/// A page number that is not one (checked after access).
pub(super) fn bad_page<E>(_: E) -> Error {
    Error::bad_request("`page` must be a non-negative integer")
}
