//! Development-only routes, refused (404) unless ENVIRONMENT=development.

pub mod bench;
pub mod faults;

use worker::Response;

use crate::http::context::Cx;
use crate::http::error::{ApiError, ApiResult};

/// The one development guard: outside development these routes do not exist.
pub fn require_development(cx: &Cx) -> ApiResult<()> {
    if cx.is_development() {
        Ok(())
    } else {
        Err(ApiError::not_found(cx.url.path()))
    }
}

/// Panics on purpose, so tests can prove a panic neither leaks to the client
/// as anything but problem+json nor wedges the Worker for later requests.
pub async fn panic(cx: Cx) -> ApiResult<Response> {
    require_development(&cx)?;
    panic!(
        "deliberate panic from /v1/dev/panic (request {})",
        cx.request_id
    )
}

/// Reads and discards the body: the upload benchmark's baseline, the same
/// streaming read as an upload without hashing or storing.
pub async fn drain(cx: Cx) -> ApiResult<Response> {
    require_development(&cx)?;
    let body = cx
        .req
        .inner()
        .body()
        .ok_or_else(|| ApiError::bad_request("no body"))?;
    let size = crate::http::stream::drain(body)
        .await
        .map_err(crate::http::routes::assets::stream_problem)?;
    crate::http::reply::ok(&serde_json::json!({ "size": size }))
}
