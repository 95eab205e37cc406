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

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct CronRequest {
    cron: String,
}

/// `POST /v1/dev/cron {"cron": "* * * * *"}` (operator): runs a cron
/// trigger's jobs now, as the schedule would.
pub async fn cron(mut cx: Cx) -> ApiResult<Response> {
    require_development(&cx)?;
    crate::http::auth::require(&cx, &[fairtrain_core::principal::Role::Operator]).await?;
    let req: CronRequest = crate::http::body::json(&mut cx, 1024).await?;
    crate::jobs::cron::run_cron(&req.cron, cx.rt.env.clone())
        .await
        .map_err(|e| ApiError::field("/cron", e))?;
    crate::http::reply::ok(&serde_json::json!({ "ran": req.cron }))
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
