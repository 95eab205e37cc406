//! `GET /v1/whoami`: the principal the request authenticated as.

use fairtrain_core::principal::Role;
use worker::Response;

use crate::http::auth;
use crate::http::context::Cx;
use crate::http::error::ApiResult;
use crate::http::reply;

pub async fn get(cx: Cx) -> ApiResult<Response> {
    let principal = auth::require(&cx, Role::ALL).await?;
    reply::ok(&principal)
}
