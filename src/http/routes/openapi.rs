//! `GET /openapi.json`: the OpenAPI 3.1 description of this API, kept in the
//! repository as `openapi.json` and compiled in, so it is served as reviewed.

use worker::Response;

use crate::http::context::Cx;
use crate::http::error::ApiResult;

const DOCUMENT: &str = include_str!("../../../openapi.json");

pub async fn get(_cx: Cx) -> ApiResult<Response> {
    let r = Response::ok(DOCUMENT)?;
    r.headers().set("Content-Type", "application/json")?;
    r.headers().set("Cache-Control", "public, max-age=300")?;
    Ok(r)
}
