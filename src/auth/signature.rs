//! Creators: HTTP Message Signatures (RFC 9421) made with their own did:key.
//!
//! The signature must cover the method and target URI (and Content-Digest when
//! there is a body), carry created/expires/nonce, and live at most five
//! minutes. Each (did, nonce) is accepted once: it is stored until the
//! signature expires, so a replay inside the window is refused.

use fairtrain_core::principal::{Principal, Role};
use fairtrain_core::problem::ProblemType;
use fairtrain_httpsig::{Policy, RequestParts};
use wasm_bindgen::JsValue;

use crate::context::Cx;
use crate::error::{ApiError, ApiResult};

fn refused(e: fairtrain_httpsig::Error) -> ApiError {
    ApiError::new(ProblemType::InvalidSignature, e.to_string())
        .with("reason", e.code())
        .header("WWW-Authenticate", r#"Signature realm="fairtrain""#)
}

pub async fn authenticate(cx: &Cx) -> ApiResult<Principal> {
    let mut parts = RequestParts::new(cx.method.as_ref(), cx.url.as_str()).map_err(refused)?;
    for (name, value) in cx.req.headers().entries() {
        parts.push_header(&name, &value);
    }
    let has_body = cx.header("Content-Length").is_some_and(|l| l.trim() != "0")
        || cx.header("Transfer-Encoding").is_some();
    let now_s = (cx.now_ms / 1000) as i64;
    let verified = Policy::default()
        .verify(&parts, has_body, now_s)
        .map_err(refused)?;

    let stored = cx
        .db()?
        .prepare("INSERT INTO signature_nonces (key_id, nonce, expires_at) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING")
        .bind(&[
            JsValue::from_str(&verified.keyid),
            JsValue::from_str(&verified.nonce),
            JsValue::from_f64(verified.expires as f64),
        ])?
        .run()
        .await?;
    let inserted = stored.meta()?.and_then(|m| m.changes).unwrap_or(0);
    if inserted == 0 {
        return Err(ApiError::new(
            ProblemType::InvalidSignature,
            "this signature's nonce was already used: the request is a replay",
        )
        .with("reason", "replayed")
        .header("WWW-Authenticate", r#"Signature realm="fairtrain""#));
    }
    *cx.signed_content_digest.borrow_mut() = verified.content_digest.clone();
    Ok(Principal {
        role: Role::Creator,
        id: verified.did.to_string(),
        scopes: Vec::new(),
        expires_at: None,
    })
}
