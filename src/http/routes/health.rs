//! `GET /healthz`: liveness plus a cheap check of each dependency.

use serde_json::json;
use worker::Response;

use crate::http::context::Cx;
use crate::http::error::{ApiError, ApiResult};
use crate::http::reply;
use crate::runtime::keys;

pub async fn get(cx: Cx) -> ApiResult<Response> {
    let d1 = match cx
        .db()?
        .prepare("SELECT 1 AS one")
        .first::<serde_json::Value>(None)
        .await
    {
        Ok(Some(_)) => "ok".to_string(),
        Ok(None) => "no rows".to_string(),
        Err(e) => format!("error: {e}"),
    };
    let keys = match keys::load(&cx.env) {
        Ok(ring) => format!(
            "ok ({} keys, active {})",
            ring.keys.len(),
            ring.active().kid
        ),
        Err(e) => e.to_string(),
    };
    let healthy = d1 == "ok" && keys.starts_with("ok");
    let body = json!({
        "status": if healthy { "ok" } else { "degraded" },
        "version": env!("CARGO_PKG_VERSION"),
        "checks": { "d1": d1, "signing_keys": keys },
    });
    if healthy {
        reply::ok(&body)
    } else {
        Err(ApiError::unavailable("a dependency is not healthy")
            .with("checks", body["checks"].clone()))
    }
}
