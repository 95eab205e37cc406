//! `GET /v1/receipts/{id}`: a storage receipt, to its creator, the operator
//! and auditors (`fairtrain_app::contributions`).

use fairtrain_app::contributions;
use fairtrain_core::principal::Role;
use worker::Response;

use crate::http::auth;
use crate::http::context::Cx;
use crate::http::error::ApiResult;
use crate::http::reply;

pub async fn get(cx: Cx, id: &str) -> ApiResult<Response> {
    let principal = auth::require(&cx, &[Role::Operator, Role::Auditor, Role::Creator]).await?;
    reply::ok(&contributions::receipt(&cx.rt, &principal, id).await?)
}
