//! Who may read a manifest: the operator, auditors, and buyers holding a
//! license for it that is neither revoked nor expired.

use fairtrain_app::{licenses, Error};
use fairtrain_core::principal::{Principal, Role};

use crate::http::auth;
use crate::http::context::Cx;
use crate::http::error::ApiResult;

pub async fn require_reader(cx: &Cx, manifest_id: &str) -> ApiResult<Principal> {
    let principal = auth::require(cx, &[Role::Operator, Role::Auditor, Role::Buyer]).await?;
    exists(cx, manifest_id).await?;
    if principal.role == Role::Buyer {
        licenses::require_current_license(&cx.rt, &principal.id, manifest_id).await?;
    }
    Ok(principal)
}

pub async fn exists(cx: &Cx, manifest_id: &str) -> ApiResult<()> {
    use fairtrain_app::platform::ManifestStore;
    if cx.rt.manifest_exists(manifest_id).await? {
        Ok(())
    } else {
        Err(Error::not_found(&format!("/v1/manifests/{manifest_id}")).into())
    }
}
