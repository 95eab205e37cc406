//! Building successful responses.

use serde::Serialize;
use worker::{Headers, Response};

use crate::http::error::{ApiError, ApiResult};

/// A JSON response with a status and cache policy.
pub fn json<T: Serialize>(status: u16, value: &T, cache_control: &str) -> ApiResult<Response> {
    let body = serde_json::to_vec(value).map_err(ApiError::internal)?;
    let headers = Headers::new();
    headers.set("Content-Type", "application/json")?;
    headers.set("Cache-Control", cache_control)?;
    Ok(Response::from_bytes(body)?
        .with_status(status)
        .with_headers(headers))
}

/// 200 with a private, uncached JSON body: the default for API answers.
pub fn ok<T: Serialize>(value: &T) -> ApiResult<Response> {
    json(200, value, "no-store")
}

pub fn created<T: Serialize>(value: &T, location: &str) -> ApiResult<Response> {
    let r = json(201, value, "no-store")?;
    r.headers().set("Location", location)?;
    Ok(r)
}
