//! `POST /v1/assets`: a creator's upload in one request, streamed into R2 and
//! hashed on the way; `GET /v1/assets/{hash}`: an asset and its
//! contributions, with where each was routed.

use fairtrain_consent::envelope::decode_header;
use fairtrain_core::digest::{parse_digest_header, Sha256Digest};
use fairtrain_core::principal::Role;
use fairtrain_core::problem::ProblemType;
use futures_util::FutureExt;
use serde::Deserialize;
use serde_json::{json, Value};
use worker::{Data, HttpMetadata, Response};

use crate::http::auth;
use crate::http::context::Cx;
use crate::http::error::{ApiError, ApiResult};
use crate::http::reply;
use crate::http::stream::{stream_to, StreamError};
use crate::upload::ingest::{self, discard};
use crate::upload::limits::Limits;

/// The object key of one stored copy: content-addressed prefix, unique suffix.
pub fn object_key(hash: &Sha256Digest) -> String {
    format!("blobs/sha256/{}/{}", hash.to_hex(), uuid::Uuid::new_v4())
}

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

pub async fn upload(cx: Cx) -> ApiResult<Response> {
    let creator = auth::require_creator(&cx).await?;
    let header = cx.header("Fairtrain-Envelope").ok_or_else(|| {
        ApiError::bad_request(
            "the Fairtrain-Envelope header (the signed contribution envelope) is required",
        )
    })?;
    let envelope = decode_header(&header)
        .map_err(|e| ApiError::bad_request(format!("Fairtrain-Envelope: {e}")))?;
    let limits = Limits::from(&cx);
    let length = content_length(&cx)?;
    limits.check_size(
        length,
        limits.max_single_bytes,
        "a single-request upload (use /v1/uploads for multipart)",
    )?;
    let prepared = ingest::prepare(&cx, &creator, &envelope, &limits).await?;
    let env = &prepared.envelope;
    let declared = cx
        .header("Content-Digest")
        .or_else(|| cx.header("Repr-Digest"))
        .ok_or_else(|| ApiError::bad_request("Content-Digest (RFC 9530, sha-256) is required"))
        .and_then(|h| {
            parse_digest_header(&h)
                .map_err(|e| ApiError::bad_request(format!("Content-Digest: {e}")))
        })?;
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
    let bucket = cx.env.bucket("BLOBS")?;
    let key = object_key(&env.content_hash);
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
            discard(&bucket, &key).await;
            return Err(stream_problem(e));
        }
    };
    let receipt = ingest::finish(&cx, prepared, &bucket, key, streamed).await?;
    let id = receipt["receipt_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    reply::created(&receipt, &format!("/v1/receipts/{id}"))
}

#[derive(Deserialize)]
struct ContributionRow {
    receipt_id: String,
    contributor: String,
    consent_id: String,
    scope: String,
    route: String,
    route_reason: String,
    policy_version: String,
    ingested_at: String,
    routed_at: String,
}

/// Operators and auditors see every contribution of an asset; a creator
/// sees their own.
pub async fn get(cx: Cx, hash: &str) -> ApiResult<Response> {
    let principal = auth::require(&cx, &[Role::Operator, Role::Auditor, Role::Creator]).await?;
    let hash: Sha256Digest = hash
        .parse()
        .map_err(|e| ApiError::bad_request(format!("asset hash: {e}")))?;
    let db = cx.db()?;
    let blob: Option<Value> = db
        .prepare("SELECT hash, size, media_type, stored_at FROM blobs WHERE hash = ?1")
        .bind(&[hash.to_string().into()])?
        .first(None)
        .await?;
    let mut blob = blob.ok_or_else(|| ApiError::not_found(&format!("/v1/assets/{hash}")))?;
    let rows: Vec<ContributionRow> = db
        .prepare("SELECT receipt_id, contributor, consent_id, scope, route, route_reason, policy_version, ingested_at, routed_at FROM contributions WHERE asset_hash = ?1 ORDER BY ingested_at")
        .bind(&[hash.to_string().into()])?
        .all()
        .await?
        .results()?;
    let visible: Vec<Value> = rows
        .into_iter()
        .filter(|r| principal.role != Role::Creator || r.contributor == principal.id)
        .map(|r| json!({
            "receipt_id": r.receipt_id, "contributor": r.contributor, "consent_id": r.consent_id, "scope": r.scope,
            "route": r.route, "route_reason": r.route_reason, "policy_version": r.policy_version,
            "ingested_at": r.ingested_at, "routed_at": r.routed_at,
        }))
        .collect();
    if principal.role == Role::Creator && visible.is_empty() {
        return Err(ApiError::not_found(&format!("/v1/assets/{hash}")));
    }
    blob["contributions"] = Value::Array(visible);
    reply::ok(&blob)
}
