//! Authentication (who is calling) and authorisation (may they).
//!
//! Three kinds of credentials exist: the operator's bootstrap token and API
//! keys (both `Authorization: Bearer`), and creators' HTTP Message Signatures
//! made with their own did:key. Endpoints declare the roles they accept with
//! `require`; a missing or invalid credential is 401, a wrong role 403.

mod bearer;
mod signature;

use fairtrain_core::principal::{Principal, Role};

use crate::context::Cx;
use crate::error::{ApiError, ApiResult};

/// Who sent the request, if anyone credibly did. Invalid credentials are an
/// error (401), never silently anonymous.
pub async fn authenticate(cx: &Cx) -> ApiResult<Option<Principal>> {
    if let Some(value) = cx.header("Authorization") {
        let token = value
            .strip_prefix("Bearer ")
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ApiError::unauthenticated("the Authorization header must be `Bearer <token>`")
            })?;
        return bearer::authenticate(cx, token).await.map(Some);
    }
    if cx.header("Signature-Input").is_some() || cx.header("Signature").is_some() {
        return signature::authenticate(cx).await.map(Some);
    }
    Ok(None)
}

/// Authenticate and check the caller holds one of `roles`.
pub async fn require(cx: &Cx, roles: &[Role]) -> ApiResult<Principal> {
    let principal = authenticate(cx)
        .await?
        .ok_or_else(|| ApiError::unauthenticated("this endpoint requires credentials"))?;
    if roles.contains(&principal.role) {
        Ok(principal)
    } else {
        let wanted = roles
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(" or ");
        Err(ApiError::forbidden(format!(
            "this endpoint is for {wanted}; the credentials are for {}",
            principal.role
        ))
        .with("role", principal.role.as_str()))
    }
}

/// A registered creator, authenticated by their own signature.
pub async fn require_creator(cx: &Cx) -> ApiResult<fairtrain_core::did_key::DidKey> {
    let principal = require(cx, &[Role::Creator]).await?;
    let registered: Option<serde_json::Value> = cx
        .db()?
        .prepare("SELECT did FROM creators WHERE did = ?1")
        .bind(&[principal.id.as_str().into()])?
        .first(None)
        .await?;
    if registered.is_none() {
        return Err(ApiError::forbidden(
            "this did:key is not registered as a creator: POST /v1/creators first",
        ));
    }
    principal
        .id
        .parse()
        .map_err(|_| ApiError::internal("a verified signer is not a did:key"))
}
