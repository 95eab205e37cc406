//! `GET /.well-known/fairtrain/keys`: the platform's public keys with their
//! validity windows, signed by each (`fairtrain_app::key_set`).

use worker::Response;

use crate::http::context::Cx;
use crate::http::error::ApiResult;
use crate::http::reply;

pub async fn get(cx: Cx) -> ApiResult<Response> {
    let signed = fairtrain_app::key_set::signed_key_set(&cx.rt)?;
    reply::json(200, &signed, "public, max-age=300")
}
