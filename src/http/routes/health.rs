//! `GET /healthz`: liveness plus a cheap check of each dependency
//! (`fairtrain_app::health`).

use worker::Response;

use crate::http::context::Cx;
use crate::http::error::ApiResult;
use crate::http::reply;

pub async fn get(cx: Cx) -> ApiResult<Response> {
    let health = fairtrain_app::health::check(&cx.rt, env!("CARGO_PKG_VERSION")).await?;
    reply::ok(&health)
}
