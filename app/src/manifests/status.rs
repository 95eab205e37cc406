//! "Is this manifest still clean?": a platform-signed status statement.

use fairtrain_core::principal::Principal;
use fairtrain_manifest::StatusFields;
use serde_json::Value;

use super::access::require_reader;
use crate::error::Result;
use crate::platform::Platform;

/// Flagged assets listed in a status statement.
const MAX_FLAGS: u32 = 10_000;

/// The manifest's status now, signed: which of its assets have had their
/// consent revoked since publication.
pub async fn status(p: &impl Platform, reader: &Principal, id: &str) -> Result<Value> {
    require_reader(p, reader, id).await?;
    let revoked_assets = p.manifest_flags(id, MAX_FLAGS).await?;
    let ring = p.keys()?;
    let now = p.now();
    let fields = StatusFields {
        manifest_id: id.to_string(),
        revoked_assets,
        as_of: now,
    };
    Ok(fairtrain_manifest::sign_status(
        fields,
        ring.active_signer(),
        now,
    )?)
}
