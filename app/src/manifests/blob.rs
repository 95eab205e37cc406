//! Opening a signed download URL: the platform signed it, it has not
//! expired, and the asset's consent still holds now (a revoked asset is not
//! served, whatever manifest names it).

use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::ed25519::Signature;
use fairtrain_core::encoding::base64url_decode;

use super::access::consent_now_valid;
use super::download::download_message;
use crate::contributions::store::StoredBlob;
use crate::error::{Error, Kind, Result};
use crate::platform::Platform;

/// The signed parts of a download URL, as received.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DownloadQuery {
    /// `m`: the manifest.
    pub manifest_id: Option<String>,
    /// `b`: who it was issued to.
    pub buyer: Option<String>,
    /// `exp`: Unix seconds.
    pub exp: Option<String>,
    /// `sig`: the platform's signature, base64url.
    pub sig: Option<String>,
}

/// Where the bytes of `hash` are, if the URL's signature verifies under a
/// platform key, it has not expired and the asset's consent holds now.
pub async fn open_download(
    p: &impl Platform,
    hash: &Sha256Digest,
    q: &DownloadQuery,
) -> Result<StoredBlob> {
    let denied = |why: &str| {
        Error::new(
            Kind::Forbidden,
            format!("the download URL is not valid: {why}"),
        )
    };
    let (Some(manifest), Some(buyer), Some(exp), Some(sig)) =
        (&q.manifest_id, &q.buyer, &q.exp, &q.sig)
    else {
        return Err(denied("it lacks m, b, exp or sig"));
    };
    let exp: u64 = exp.parse().map_err(|_| denied("exp"))?;
    if exp < p.now().unix_millis() as u64 / 1000 {
        return Err(denied("it has expired; ask for a new one"));
    }
    let sig = base64url_decode(sig)
        .ok()
        .and_then(|b| Signature::from_slice(&b).ok())
        .ok_or_else(|| denied("sig"))?;
    let message = download_message(hash, manifest, buyer, exp);
    let ring = p.keys()?;
    let signed_by_us = ring
        .keys
        .iter()
        .filter_map(|k| k.public_key().ok())
        .any(|k| k.verify(message.as_bytes(), &sig).is_ok());
    if !signed_by_us {
        return Err(denied("the signature does not verify"));
    }
    if let Err(reason) = consent_now_valid(p, manifest, hash).await? {
        return Err(Error::new(
            Kind::Gone,
            "the creator's consent for this asset no longer holds; it is not served",
        )
        .with("reason", reason));
    }
    p.blob(&hash.to_string())
        .await?
        .ok_or_else(|| Error::not_found(&format!("/v1/blobs/{hash}")))
}
