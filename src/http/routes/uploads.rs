//! `/v1/uploads`: multipart uploads for large files, parts in order.
//!
//! Each part is streamed into an R2 multipart part and checked against its
//! own Content-Digest. At completion R2 assembles the object, which is read
//! back through the runtime's digest stream: the plain SHA-256 of the whole
//! file, compared with the declared hash before anything is accepted. An
//! upload not completed in time is aborted by the hourly cron, leaving
//! nothing behind.

use fairtrain_core::did_key::DidKey;
use fairtrain_core::digest::{parse_digest_header, Sha256Digest};
use fairtrain_core::problem::ProblemType;
use futures_util::FutureExt;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use wasm_bindgen::JsValue;
use worker::{Data, Env, HttpMetadata, Response, ResponseBody, UploadedPart};

use crate::http::auth;
use crate::http::context::Cx;
use crate::http::error::{ApiError, ApiResult};
use crate::http::routes::assets::{content_length, object_key, stream_problem};
use crate::http::stream::{digest_of, stream_to};
use crate::http::{body, reply};
use crate::upload::ingest::{self, discard};
use crate::upload::limits::Limits;

/// An upload must be completed within this time (UPLOAD_TTL_SECONDS), or the
/// hourly cron aborts it.
const UPLOAD_TTL_S: u64 = 24 * 3600;

fn upload_ttl(cx: &Cx) -> u64 {
    cx.config("UPLOAD_TTL_SECONDS")
        .and_then(|v| v.parse().ok())
        .unwrap_or(UPLOAD_TTL_S)
}
/// R2's smallest part (all parts but the last).
const MIN_PART: u64 = 5 << 20;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateRequest {
    envelope: Value,
}

#[derive(Serialize, Deserialize, Clone)]
struct Part {
    part: u16,
    etag: String,
    size: u64,
}

#[derive(Deserialize)]
struct UploadRow {
    r2_upload_id: String,
    object_key: String,
    contributor: String,
    envelope: String,
    declared_size: u64,
    parts: String,
    received: u64,
    expires_at: u64,
}

fn part_size(cx: &Cx) -> u64 {
    Limits::from(cx).part_bytes.max(MIN_PART)
}

pub async fn create(mut cx: Cx) -> ApiResult<Response> {
    let creator = auth::require_creator(&cx).await?;
    let req: CreateRequest = body::json(&mut cx, 64 * 1024).await?;
    let limits = Limits::from(&cx);
    let prepared = ingest::prepare(&cx, &creator, &req.envelope, &limits).await?;
    let env = &prepared.envelope;
    let key = object_key(&env.content_hash);
    let bucket = cx.env.bucket("BLOBS")?;
    let metadata = HttpMetadata {
        content_type: Some(env.media_type.clone()),
        ..Default::default()
    };
    let upload = bucket
        .create_multipart_upload(key.clone())
        .http_metadata(metadata)
        .execute()
        .await?;
    let id = uuid::Uuid::new_v4().to_string();
    let now_s = cx.now_ms / 1000;
    cx.db()?
        .prepare(
            "INSERT INTO uploads (id, r2_upload_id, object_key, contributor, envelope, declared_hash, declared_size, media_type, created_at, expires_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )
        .bind(&[
            id.as_str().into(),
            upload.upload_id().await.into(),
            key.as_str().into(),
            creator.to_string().into(),
            prepared.envelope_canonical.as_str().into(),
            env.content_hash.to_string().into(),
            JsValue::from_f64(env.size as f64),
            env.media_type.as_str().into(),
            JsValue::from_f64(now_s as f64),
            JsValue::from_f64((now_s + upload_ttl(&cx)) as f64),
        ])?
        .run()
        .await?;
    let parts = env.size.div_ceil(part_size(&cx)).max(1);
    reply::created(
        &json!({ "upload_id": id, "part_size": part_size(&cx), "parts": parts, "expires_in": upload_ttl(&cx) }),
        &format!("/v1/uploads/{id}"),
    )
}

async fn load(cx: &Cx, id: &str, creator: &DidKey) -> ApiResult<UploadRow> {
    let row: Option<UploadRow> = cx
        .db()?
        .prepare("SELECT r2_upload_id, object_key, contributor, envelope, declared_size, parts, received, expires_at FROM uploads WHERE id = ?1")
        .bind(&[id.into()])?
        .first(None)
        .await?;
    let row = row.ok_or_else(|| {
        ApiError::not_found(&format!(
            "/v1/uploads/{id} (unknown, completed, aborted or expired)"
        ))
    })?;
    if row.contributor != creator.to_string() {
        return Err(ApiError::forbidden(
            "this upload belongs to another creator",
        ));
    }
    if row.expires_at < cx.now_ms / 1000 {
        return Err(ApiError::not_found(&format!("/v1/uploads/{id} (expired)")));
    }
    Ok(row)
}

pub async fn put_part(cx: Cx, id: &str, number: &str) -> ApiResult<Response> {
    let creator = auth::require_creator(&cx).await?;
    let number: u16 = number
        .parse()
        .ok()
        .filter(|n| *n >= 1 && *n <= 10_000)
        .ok_or_else(|| ApiError::bad_request("the part number is 1 to 10000"))?;
    let row = load(&cx, id, &creator).await?;
    let mut parts: Vec<Part> = serde_json::from_str(&row.parts).map_err(ApiError::internal)?;
    let expected = parts.len() as u16 + 1;
    if number != expected {
        return Err(ApiError::new(
            ProblemType::Conflict,
            format!("parts go in order: the next part is {expected}"),
        )
        .with("next_part", expected));
    }
    let length = content_length(&cx)?;
    let size = part_size(&cx);
    let remaining = row.declared_size - row.received;
    let last = length == remaining;
    if length == 0 || length > remaining || (!last && length != size) {
        return Err(ApiError::bad_request(format!(
            "part {number} must be {} bytes (parts are {size} bytes, the last one the remainder; {remaining} bytes remain)",
            remaining.min(size)
        )));
    }
    let declared: Sha256Digest = cx
        .header("Content-Digest")
        .ok_or_else(|| {
            ApiError::bad_request("Content-Digest (RFC 9530, sha-256) of the part is required")
        })
        .and_then(|h| {
            parse_digest_header(&h)
                .map_err(|e| ApiError::bad_request(format!("Content-Digest: {e}")))
        })?;
    let body = cx
        .req
        .inner()
        .body()
        .ok_or_else(|| ApiError::bad_request("the request has no body"))?;
    let bucket = cx.env.bucket("BLOBS")?;
    let upload =
        bucket.resume_multipart_upload(row.object_key.clone(), row.r2_upload_id.clone())?;
    let (streamed, uploaded) = stream_to(body, length, |readable| {
        async move {
            upload
                .upload_part(number, Data::ReadableStream(readable))
                .await
        }
        .boxed_local()
    })
    .await
    .map_err(stream_problem)?;
    if streamed.digest != declared {
        // R2 keeps the last upload of a part number: the client re-sends it.
        return Err(ApiError::new(
            ProblemType::DigestMismatch,
            format!("part {number} does not match its Content-Digest; send it again"),
        )
        .with("computed_digest", streamed.digest.to_string()));
    }
    parts.push(Part {
        part: number,
        etag: uploaded.etag(),
        size: length,
    });
    let new_parts = serde_json::to_string(&parts).map_err(ApiError::internal)?;
    // Only if nobody else recorded a part meanwhile.
    let updated = cx
        .db()?
        .prepare("UPDATE uploads SET parts = ?2, received = ?3 WHERE id = ?1 AND received = ?4")
        .bind(&[
            id.into(),
            new_parts.as_str().into(),
            JsValue::from_f64((row.received + length) as f64),
            JsValue::from_f64(row.received as f64),
        ])?
        .run()
        .await?;
    if updated.meta()?.and_then(|m| m.changes).unwrap_or(0) == 0 {
        return Err(ApiError::new(
            ProblemType::Conflict,
            "another request recorded a part concurrently; check the upload and continue",
        ));
    }
    reply::ok(
        &json!({ "part": number, "size": length, "received": row.received + length, "declared_size": row.declared_size }),
    )
}

pub async fn complete(cx: Cx, id: &str) -> ApiResult<Response> {
    let creator = auth::require_creator(&cx).await?;
    let row = load(&cx, id, &creator).await?;
    if row.received != row.declared_size {
        return Err(ApiError::new(
            ProblemType::Conflict,
            format!(
                "the upload is incomplete: {} of {} bytes received",
                row.received, row.declared_size
            ),
        ));
    }
    let envelope: Value = serde_json::from_str(&row.envelope).map_err(ApiError::internal)?;
    // The consent is checked again: it may have been revoked meanwhile.
    let prepared = ingest::prepare(&cx, &creator, &envelope, &Limits::from(&cx)).await?;
    let parts: Vec<Part> = serde_json::from_str(&row.parts).map_err(ApiError::internal)?;
    let bucket = cx.env.bucket("BLOBS")?;
    let upload =
        bucket.resume_multipart_upload(row.object_key.clone(), row.r2_upload_id.clone())?;
    upload
        .complete(
            parts
                .iter()
                .map(|p| UploadedPart::new(p.part, p.etag.clone())),
        )
        .await?;
    cx.db()?
        .prepare("DELETE FROM uploads WHERE id = ?1")
        .bind(&[id.into()])?
        .run()
        .await?;
    let object = bucket
        .get(row.object_key.clone())
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
            discard(&bucket, &row.object_key).await;
            return Err(stream_problem(e));
        }
    };
    let receipt = ingest::finish(&cx, prepared, &bucket, row.object_key, streamed).await?;
    let rid = receipt["receipt_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    reply::created(&receipt, &format!("/v1/receipts/{rid}"))
}

pub async fn abort(cx: Cx, id: &str) -> ApiResult<Response> {
    let creator = auth::require_creator(&cx).await?;
    let row = load(&cx, id, &creator).await?;
    abort_upload(&cx.env, id, &row.object_key, &row.r2_upload_id).await?;
    reply::ok(&json!({ "upload_id": id, "status": "aborted" }))
}

async fn abort_upload(env: &Env, id: &str, key: &str, r2_id: &str) -> worker::Result<()> {
    let bucket = env.bucket("BLOBS")?;
    let upload = bucket.resume_multipart_upload(key.to_string(), r2_id.to_string())?;
    if let Err(e) = upload.abort().await {
        worker::console_warn!("aborting upload {id}: {e}");
    }
    env.d1("DB")?
        .prepare("DELETE FROM uploads WHERE id = ?1")
        .bind(&[id.into()])?
        .run()
        .await?;
    Ok(())
}

/// Cron: abort uploads that were never completed.
pub async fn abort_expired(env: &Env) -> worker::Result<usize> {
    #[derive(Deserialize)]
    struct Expired {
        id: String,
        object_key: String,
        r2_upload_id: String,
    }
    let now_s = worker::Date::now().as_millis() / 1000;
    let rows: Vec<Expired> = env
        .d1("DB")?
        .prepare("SELECT id, object_key, r2_upload_id FROM uploads WHERE expires_at < ?1 LIMIT 100")
        .bind(&[JsValue::from_f64(now_s as f64)])?
        .all()
        .await?
        .results()?;
    for r in &rows {
        abort_upload(env, &r.id, &r.object_key, &r.r2_upload_id).await?;
    }
    Ok(rows.len())
}
