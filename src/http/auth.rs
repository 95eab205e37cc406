//! Credentials from the request, checked by `fairtrain_app::auth`: bearer
//! tokens (the operator's, API keys) and creators' HTTP Message Signatures.
//! Endpoints declare the roles they accept with [`require`].

use fairtrain_app::auth;
use fairtrain_app::{Error, Kind};
use fairtrain_core::did_key::DidKey;
use fairtrain_core::principal::{Principal, Role};
use fairtrain_httpsig::RequestParts;

use crate::http::context::Cx;
use crate::http::error::ApiResult;

/// Who sent the request, if anyone credibly did. Invalid credentials are an
/// error (401), never silently anonymous.
pub async fn authenticate(cx: &Cx) -> ApiResult<Option<Principal>> {
    if let Some(value) = cx.header("Authorization") {
        return Ok(Some(
            auth::authenticate_authorization(&cx.rt, &value).await?,
        ));
    }
    if cx.header("Signature-Input").is_some() || cx.header("Signature").is_some() {
        return signature(cx).await.map(Some);
    }
    Ok(None)
}

async fn signature(cx: &Cx) -> ApiResult<Principal> {
    let mut parts = RequestParts::new(cx.method.as_ref(), cx.url.as_str())
        .map_err(|e| Error::new(Kind::RequestSignature, e.to_string()).with("reason", e.code()))?;
    for (name, value) in cx.req.headers().entries() {
        parts.push_header(&name, &value);
    }
    let has_body = cx.header("Content-Length").is_some_and(|l| l.trim() != "0")
        || cx.header("Transfer-Encoding").is_some();
    let signed = auth::authenticate_signature(&cx.rt, &parts, has_body).await?;
    *cx.signed_content_digest.borrow_mut() = signed.content_digest;
    Ok(signed.principal)
}

/// Authenticates and checks the caller holds one of `roles`.
pub async fn require(cx: &Cx, roles: &[Role]) -> ApiResult<Principal> {
    let principal = authenticate(cx)
        .await?
        .ok_or_else(|| Error::unauthenticated("this endpoint requires credentials"))?;
    auth::require_role(&principal, roles)?;
    Ok(principal)
}

/// A registered creator, authenticated by their own signature.
pub async fn require_creator(cx: &Cx) -> ApiResult<DidKey> {
    let principal = require(cx, &[Role::Creator]).await?;
    Ok(auth::require_registered_creator(&cx.rt, &principal).await?)
}
