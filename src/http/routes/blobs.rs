//! `GET /v1/blobs/{hash}?m=&b=&exp=&sig=`: an asset's bytes through a
//! short-lived URL signed by the platform. Consent is checked again here, at
//! download time: a revoked asset is not served, whatever manifest names it.

use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::ed25519::Signature;
use fairtrain_core::encoding::base64url_decode;
use fairtrain_core::problem::ProblemType;
use serde::Deserialize;
use worker::{Response, ResponseBody};

use crate::http::context::Cx;
use crate::http::error::{ApiError, ApiResult};
use crate::http::routes::manifests::{consent_now_valid, download_message};
use crate::runtime::keys;

pub async fn get(cx: Cx, hash: &str) -> ApiResult<Response> {
    let hash: Sha256Digest = hash
        .parse()
        .map_err(|e| ApiError::bad_request(format!("asset hash: {e}")))?;
    let q = |name: &str| {
        cx.url
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    let denied = |why: &str| {
        ApiError::new(
            ProblemType::Forbidden,
            format!("the download URL is not valid: {why}"),
        )
    };
    let (Some(manifest), Some(buyer), Some(exp), Some(sig)) = (q("m"), q("b"), q("exp"), q("sig"))
    else {
        return Err(denied("it lacks m, b, exp or sig"));
    };
    let exp: u64 = exp.parse().map_err(|_| denied("exp"))?;
    if exp < cx.now_ms / 1000 {
        return Err(denied("it has expired; ask for a new one"));
    }
    let sig = base64url_decode(&sig)
        .ok()
        .and_then(|b| Signature::from_slice(&b).ok())
        .ok_or_else(|| denied("sig"))?;
    let message = download_message(&hash, &manifest, &buyer, exp);
    let ring = keys::load(&cx.env)?;
    let signed_by_us = ring
        .keys
        .iter()
        .filter_map(|k| k.public_key().ok())
        .any(|k| k.verify(message.as_bytes(), &sig).is_ok());
    if !signed_by_us {
        return Err(denied("the signature does not verify"));
    }
    if let Err(reason) = consent_now_valid(&cx, &manifest, &hash).await? {
        return Err(ApiError::new(
            ProblemType::Gone,
            "the creator's consent for this asset no longer holds; it is not served",
        )
        .with("reason", reason));
    }
    #[derive(Deserialize)]
    struct Blob {
        object_key: String,
        media_type: String,
    }
    let blob: Option<Blob> = cx
        .db()?
        .prepare("SELECT object_key, media_type FROM blobs WHERE hash = ?1")
        .bind(&[hash.to_string().into()])?
        .first(None)
        .await?;
    let blob = blob.ok_or_else(|| ApiError::not_found(&format!("/v1/blobs/{hash}")))?;
    let object = cx
        .env
        .bucket("BLOBS")?
        .get(blob.object_key)
        .execute()
        .await?
        .ok_or_else(|| ApiError::internal("a stored blob is missing from R2"))?;
    let body = object
        .body()
        .ok_or_else(|| ApiError::internal("blob without body"))?
        .response_body()?;
    let ResponseBody::Stream(stream) = body else {
        return Err(ApiError::internal("blob body is not a stream"));
    };
    let r = Response::from_body(ResponseBody::Stream(stream))?;
    r.headers().set("Content-Type", &blob.media_type)?;
    r.headers().set(
        "Repr-Digest",
        &fairtrain_core::digest::format_digest_header(&hash),
    )?;
    r.headers().set("Cache-Control", "private, no-store")?;
    Ok(r)
}
