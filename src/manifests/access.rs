//! Who may read a manifest: the operator, auditors, and buyers holding a
//! licence for it that is neither revoked nor expired.

use fairtrain_core::principal::{Principal, Role};

use crate::http::auth;
use crate::http::context::Cx;
use crate::http::error::{ApiError, ApiResult};

pub async fn require_reader(cx: &Cx, manifest_id: &str) -> ApiResult<Principal> {
    let principal = auth::require(cx, &[Role::Operator, Role::Auditor, Role::Buyer]).await?;
    exists(cx, manifest_id).await?;
    if principal.role != Role::Buyer {
        return Ok(principal);
    }
    let now = cx.now().format_rfc3339();
    let licence: Option<serde_json::Value> = cx
        .db()?
        .prepare(
            "SELECT id FROM licenses WHERE buyer = ?1 AND manifest_id = ?2 AND revoked_at IS NULL \
             AND (expires_at IS NULL OR expires_at > ?3) LIMIT 1",
        )
        .bind(&[
            principal.id.as_str().into(),
            manifest_id.into(),
            now.as_str().into(),
        ])?
        .first(None)
        .await?;
    match licence {
        Some(_) => Ok(principal),
        None => Err(
            ApiError::forbidden("this buyer holds no current licence for this manifest")
                .with("manifest_id", manifest_id),
        ),
    }
}

pub async fn exists(cx: &Cx, manifest_id: &str) -> ApiResult<()> {
    let row: Option<serde_json::Value> = cx
        .db()?
        .prepare("SELECT id FROM manifests WHERE id = ?1")
        .bind(&[manifest_id.into()])?
        .first(None)
        .await?;
    row.map(|_| ())
        .ok_or_else(|| ApiError::not_found(&format!("/v1/manifests/{manifest_id}")))
}
