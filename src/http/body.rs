//! Reading request bodies with explicit limits and clear errors.

use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::problem::ProblemType;
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use crate::http::context::Cx;
use crate::http::error::{ApiError, ApiResult};

/// JSON control-plane bodies are small; uploads use their own streaming path.
pub const JSON_LIMIT: usize = 1 << 20;

/// Read and parse a JSON body of at most `limit` bytes.
pub async fn json<T: DeserializeOwned>(cx: &mut Cx, limit: usize) -> ApiResult<T> {
    let bytes = json_bytes(cx, limit).await?;
    parse_json(&bytes)
}

/// Read a JSON body as bytes, checking media type and size first.
pub async fn json_bytes(cx: &mut Cx, limit: usize) -> ApiResult<Vec<u8>> {
    let media_type = cx.header("Content-Type").unwrap_or_default();
    let essence = media_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence != "application/json" {
        let shown = if media_type.is_empty() {
            "no Content-Type".to_string()
        } else {
            media_type.clone()
        };
        return Err(ApiError::new(
            ProblemType::UnsupportedMediaType,
            format!("this endpoint takes application/json, got {shown}"),
        )
        .header("Accept-Post", "application/json"));
    }
    read_limited(cx, limit).await
}

/// Read the whole body, refusing it as soon as it exceeds `limit` bytes, so
/// an oversize body is never buffered (Content-Length is checked first, and a
/// chunked body is cut off while streaming).
pub async fn read_limited(cx: &mut Cx, limit: usize) -> ApiResult<Vec<u8>> {
    let too_large = || {
        ApiError::new(
            ProblemType::PayloadTooLarge,
            format!("the body is larger than this endpoint's limit of {limit} bytes"),
        )
        .with("limit", limit as u64)
    };
    if let Some(len) = cx.header("Content-Length") {
        match len.trim().parse::<u64>() {
            Ok(n) if n > limit as u64 => return Err(too_large()),
            Ok(_) => {}
            Err(_) => return Err(ApiError::bad_request("Content-Length is not a number")),
        }
    }
    let mut out = Vec::new();
    let Ok(mut stream) = cx.req.stream() else {
        return Ok(out); // no body at all
    };
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::bad_request(format!("the request body could not be read: {e}"))
        })?;
        if out.len() + chunk.len() > limit {
            return Err(too_large());
        }
        out.extend_from_slice(&chunk);
    }
    let signed = cx.signed_content_digest.borrow().clone();
    if let Some(header) = signed {
        let computed = Sha256Digest::of(&out);
        fairtrain_httpsig::check_content_digest(&header, &computed).map_err(|_| {
            ApiError::new(
                ProblemType::DigestMismatch,
                "the body does not match the signed Content-Digest",
            )
            .with("computed_digest", computed.to_string())
        })?;
    }
    Ok(out)
}

/// Parse JSON, reporting where it went wrong.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> ApiResult<T> {
    if bytes.is_empty() {
        return Err(ApiError::new(
            ProblemType::MalformedBody,
            "the request body is empty; a JSON document is required",
        ));
    }
    serde_json::from_slice(bytes).map_err(|e| {
        let kind = if e.is_data() {
            "does not have the documented shape"
        } else {
            "is not valid JSON"
        };
        ApiError::new(
            ProblemType::MalformedBody,
            format!("the request body {kind}: {e}"),
        )
        .with("line", e.line() as u64)
        .with("column", e.column() as u64)
    })
}
