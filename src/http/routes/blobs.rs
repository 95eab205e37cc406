//! `GET /v1/blobs/{hash}?m=&b=&exp=&sig=`: an asset's bytes through a
//! short-lived URL signed by the platform (`fairtrain_app::manifests::open_download`
//! checks it, and the consent again, now); the bytes stream from R2.

use fairtrain_app::manifests::{self, DownloadQuery};
use fairtrain_app::Error;
use fairtrain_core::digest::Sha256Digest;
use worker::{Response, ResponseBody};

use crate::http::context::Cx;
use crate::http::error::{ApiError, ApiResult};

pub async fn get(cx: Cx, hash: &str) -> ApiResult<Response> {
    let hash: Sha256Digest = hash
        .parse()
        .map_err(|e| Error::bad_request(format!("asset hash: {e}")))?;
    let q = |name: &str| {
        cx.url
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    let query = DownloadQuery {
        manifest_id: q("m"),
        buyer: q("b"),
        exp: q("exp"),
        sig: q("sig"),
    };
    let blob = manifests::open_download(&cx.rt, &hash, &query).await?;
    let object = cx
        .rt
        .bucket()?
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
