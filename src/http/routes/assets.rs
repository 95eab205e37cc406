//! `POST /v1/assets`: a creator's upload in one request, streamed into R2 and
//! hashed on the way; `GET /v1/assets/{hash}`: an asset and its
//! contributions, with where each was routed (`fairtrain_app::contributions`).

use fairtrain_app::contributions;
use fairtrain_app::platform::Blobs;
use fairtrain_consent::envelope::decode_header;
use fairtrain_core::digest::{parse_digest_header, Sha256Digest};
use fairtrain_core::principal::Role;
use fairtrain_core::problem::ProblemType;
use futures_util::FutureExt;
use worker::{Data, HttpMetadata, Response};

use crate::http::auth;
use crate::http::context::Cx;
use crate::http::error::{ApiError, ApiResult};
use crate::http::reply;
use crate::http::stream::{stream_to, StreamError};

pub fn stream_problem(e: StreamError) -> ApiError {
    match e {
        StreamError::TooLong { declared } => ApiError::new(
            ProblemType::PayloadTooLarge,
            format!("the body is longer than the declared {declared} bytes; nothing was stored"),
        )
        .with("limit", declared),
        StreamError::TooShort { declared, received } => ApiError::bad_request(format!(
            "the body ended after {received} of the declared {declared} bytes; nothing was stored"
        )),
        StreamError::Body(e) => ApiError::bad_request(format!(
            "the body could not be read ({e}); nothing was stored"
        )),
        StreamError::Sink(e) => ApiError::internal(format!("storing the body failed: {e}")),
    }
}

/// Content-Length, required for streamed uploads (R2 needs the length up front).
pub fn content_length(cx: &Cx) -> ApiResult<u64> {
    cx.header("Content-Length")
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| {
            ApiError::bad_request(
                "Content-Length is required: the body is streamed into storage with a known length",
            )
        })
}

/// The request's Content-Digest (RFC 9530, sha-256), required.
pub fn content_digest(cx: &Cx, fallback: Option<&str>, missing: &str) -> ApiResult<Sha256Digest> {
    cx.header("Content-Digest")
        .or_else(|| fallback.and_then(|name| cx.header(name)))
        .ok_or_else(|| ApiError::bad_request(missing))
        .and_then(|h| {
            parse_digest_header(&h)
                .map_err(|e| ApiError::bad_request(format!("Content-Digest: {e}")))
        })
}

pub async fn upload(cx: Cx) -> ApiResult<Response> {
    let creator = auth::require_creator(&cx).await?;
    let header = cx.header("Fairtrain-Envelope").ok_or_else(|| {
        ApiError::bad_request(
            "the Fairtrain-Envelope header (the signed contribution envelope) is required",
        )
    })?;
    let envelope = decode_header(&header)
        .map_err(|e| ApiError::bad_request(format!("Fairtrain-Envelope: {e}")))?;
    let length = content_length(&cx)?;
    let prepared = contributions::prepare_single(&cx.rt, &creator, &envelope, length).await?;
    let env = &prepared.envelope;
    let declared = content_digest(
        &cx,
        Some("Repr-Digest"),
        "Content-Digest (RFC 9530, sha-256) is required",
    )?;
    if declared != env.content_hash {
        return Err(ApiError::field(
            "/content_hash",
            "the envelope's content_hash and the Content-Digest header differ",
        ));
    }
    if length != env.size {
        return Err(ApiError::field(
            "/size",
            format!(
                "the envelope says {} bytes, Content-Length says {length}",
                env.size
            ),
        ));
    }
    let content_type = cx.header("Content-Type").unwrap_or_default();
    if content_type.split(';').next().unwrap_or("").trim() != env.media_type {
        return Err(ApiError::field(
            "/media_type",
            "the envelope's media_type and the Content-Type header differ",
        ));
    }
    let body = cx
        .req
        .inner()
        .body()
        .ok_or_else(|| ApiError::bad_request("the request has no body"))?;
    let bucket = cx.rt.bucket()?;
    let key = contributions::object_key(&cx.rt, &env.content_hash)?;
    let metadata = HttpMetadata {
        content_type: Some(env.media_type.clone()),
        ..Default::default()
    };
    let streamed = stream_to(body, length, |readable| {
        let (bucket, key) = (bucket.clone(), key.clone());
        async move {
            bucket
                .put(key, Data::ReadableStream(readable))
                .http_metadata(metadata)
                .execute()
                .await
        }
        .boxed_local()
    })
    .await;
    let streamed = match streamed {
        Ok((s, _)) => s,
        Err(e) => {
            cx.rt.discard(&key).await;
            return Err(stream_problem(e));
        }
    };
    let ingested =
        contributions::finish(&cx.rt, prepared, key, streamed.digest, streamed.size).await?;
    reply::created(
        &ingested.receipt,
        &format!("/v1/receipts/{}", ingested.receipt_id),
    )
}

/// Operators and auditors see every contribution of an asset; a creator
/// sees their own.
pub async fn get(cx: Cx, hash: &str) -> ApiResult<Response> {
    let principal = auth::require(&cx, &[Role::Operator, Role::Auditor, Role::Creator]).await?;
    let hash: Sha256Digest = hash
        .parse()
        .map_err(|e| ApiError::bad_request(format!("asset hash: {e}")))?;
    reply::ok(&contributions::asset(&cx.rt, &principal, &hash).await?)
}
