//! `/v1/uploads`: multipart uploads for large files, parts in order
//! (`fairtrain_app::contributions::multipart`).
//!
//! Each part is streamed into an R2 multipart part and checked against its
//! own Content-Digest. At completion R2 assembles the object, which is read
//! back through the runtime's digest stream: the plain SHA-256 of the whole
//! file, compared with the declared hash before anything is accepted.

use fairtrain_app::contributions::store::Part;
use fairtrain_app::contributions::{self, multipart};
use fairtrain_app::platform::Blobs;
use futures_util::FutureExt;
use serde::Deserialize;
use serde_json::Value;
use worker::{Data, HttpMetadata, Response, ResponseBody, UploadedPart};

use crate::http::auth;
use crate::http::context::Cx;
use crate::http::error::{ApiError, ApiResult};
use crate::http::routes::assets::{content_digest, content_length, stream_problem};
use crate::http::stream::{digest_of, stream_to};
use crate::http::{body, reply};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateRequest {
    envelope: Value,
}

pub async fn create(mut cx: Cx) -> ApiResult<Response> {
    let creator = auth::require_creator(&cx).await?;
    let req: CreateRequest = body::json(&mut cx, 64 * 1024).await?;
    let prepared = contributions::prepare(&cx.rt, &creator, &req.envelope).await?;
    let env = &prepared.envelope;
    let key = contributions::object_key(&cx.rt, &env.content_hash)?;
    let metadata = HttpMetadata {
        content_type: Some(env.media_type.clone()),
        ..Default::default()
    };
    let upload = cx
        .rt
        .bucket()?
        .create_multipart_upload(key.clone())
        .http_metadata(metadata)
        .execute()
        .await?;
    let started = multipart::start(&cx.rt, &prepared, &key, &upload.upload_id().await).await?;
    reply::created(&started, &format!("/v1/uploads/{}", started.upload_id))
}

pub async fn put_part(cx: Cx, id: &str, number: &str) -> ApiResult<Response> {
    let creator = auth::require_creator(&cx).await?;
    let number: u16 = number
        .parse()
        .ok()
        .filter(|n| *n >= 1 && *n <= 10_000)
        .ok_or_else(|| ApiError::bad_request("the part number is 1 to 10000"))?;
    let upload = multipart::next_part(&cx.rt, id, &creator, number).await?;
    let length = content_length(&cx)?;
    multipart::check_part_size(&cx.rt, &upload, number, length)?;
    let declared = content_digest(
        &cx,
        None,
        "Content-Digest (RFC 9530, sha-256) of the part is required",
    )?;
    let body = cx
        .req
        .inner()
        .body()
        .ok_or_else(|| ApiError::bad_request("the request has no body"))?;
    let r2 = cx
        .rt
        .bucket()?
        .resume_multipart_upload(upload.object_key.clone(), upload.multipart_id.clone())?;
    let (streamed, uploaded) = stream_to(body, length, |readable| {
        async move { r2.upload_part(number, Data::ReadableStream(readable)).await }.boxed_local()
    })
    .await
    .map_err(stream_problem)?;
    let part = Part {
        part: number,
        etag: uploaded.etag(),
        size: length,
    };
    reply::ok(&multipart::record_part(&cx.rt, &upload, part, &streamed.digest, &declared).await?)
}

pub async fn complete(cx: Cx, id: &str) -> ApiResult<Response> {
    let creator = auth::require_creator(&cx).await?;
    let completion = multipart::completion(&cx.rt, id, &creator).await?;
    let upload = &completion.upload;
    let bucket = cx.rt.bucket()?;
    bucket
        .resume_multipart_upload(upload.object_key.clone(), upload.multipart_id.clone())?
        .complete(
            upload
                .parts
                .iter()
                .map(|p| UploadedPart::new(p.part, p.etag.clone())),
        )
        .await?;
    multipart::assembled(&cx.rt, upload).await?;
    let object = bucket
        .get(upload.object_key.clone())
        .execute()
        .await?
        .ok_or_else(|| ApiError::internal("the completed object is missing"))?;
    let body = object
        .body()
        .ok_or_else(|| ApiError::internal("the completed object has no body"))?
        .response_body()?;
    let ResponseBody::Stream(readable) = body else {
        return Err(ApiError::internal("the completed object is not a stream"));
    };
    let streamed = match digest_of(readable).await {
        Ok(s) => s,
        Err(e) => {
            cx.rt.discard(&upload.object_key).await;
            return Err(stream_problem(e));
        }
    };
    let key = upload.object_key.clone();
    let ingested = contributions::finish(
        &cx.rt,
        completion.prepared,
        key,
        streamed.digest,
        streamed.size,
    )
    .await?;
    reply::created(
        &ingested.receipt,
        &format!("/v1/receipts/{}", ingested.receipt_id),
    )
}

pub async fn abort(cx: Cx, id: &str) -> ApiResult<Response> {
    let creator = auth::require_creator(&cx).await?;
    reply::ok(&multipart::abort(&cx.rt, id, &creator).await?)
}
