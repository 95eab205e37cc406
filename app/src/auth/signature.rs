//! Creators: HTTP Message Signatures (RFC 9421) made with their own did:key.
//!
//! The signature must cover the method and target URI (and Content-Digest
//! when there is a body), carry created/expires/nonce, and live at most five
//! minutes. Each (did, nonce) is accepted once: it is stored until the
//! signature expires, so a replay inside the window is refused.

use fairtrain_core::principal::{Principal, Role};
use fairtrain_httpsig::{Policy, RequestParts};

use crate::error::{Error, Kind, Result};
use crate::platform::Platform;

/// A creator's request, verified.
#[derive(Debug, Clone)]
pub struct SignedRequest {
    pub principal: Principal,
    /// The Content-Digest the signature covered: the body, when read, must
    /// hash to it.
    pub content_digest: Option<String>,
}

fn refused(e: fairtrain_httpsig::Error) -> Error {
    Error::new(Kind::RequestSignature, e.to_string()).with("reason", e.code())
}

/// Verifies the signature on `parts` (whose body is non-empty if
/// `has_body`) and spends its nonce.
pub async fn authenticate_signature(
    p: &impl Platform,
    parts: &RequestParts,
    has_body: bool,
) -> Result<SignedRequest> {
    let now_s = p.now().unix_millis().div_euclid(1000);
    let verified = Policy::default()
        .verify(parts, has_body, now_s)
        .map_err(refused)?;
    if !p
        .use_nonce(&verified.keyid, &verified.nonce, verified.expires)
        .await?
    {
        return Err(Error::new(
            Kind::RequestSignature,
            "this signature's nonce was already used: the request is a replay",
        )
        .with("reason", "replayed"));
    }
    Ok(SignedRequest {
        principal: Principal {
            role: Role::Creator,
            id: verified.did.to_string(),
            scopes: Vec::new(),
            expires_at: None,
        },
        content_digest: verified.content_digest,
    })
}

/// Replay protection needs a nonce only until its signature expires: the
/// rest are forgotten (housekeeping); returns how many.
pub async fn purge_expired_nonces(p: &impl Platform) -> Result<usize> {
    p.purge_nonces(p.now().unix_millis().div_euclid(1000)).await
}
