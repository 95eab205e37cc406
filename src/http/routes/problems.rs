//! `GET /problems[/{slug}]`: what each problem `type` means, so the relative
//! `type` URIs in error responses dereference to documentation.

use fairtrain_core::problem::ProblemType;
use serde_json::{json, Value};
use worker::Response;

use crate::http::context::Cx;
use crate::http::error::{ApiError, ApiResult};
use crate::http::reply;

fn describe(p: ProblemType) -> Value {
    json!({ "type": p.type_uri(), "title": p.title(), "status": p.status(), "description": p.description() })
}

pub async fn list(_cx: Cx) -> ApiResult<Response> {
    let all: Vec<Value> = ProblemType::ALL.iter().copied().map(describe).collect();
    reply::json(200, &json!({ "problems": all }), "public, max-age=3600")
}

pub async fn get(_cx: Cx, slug: &str) -> ApiResult<Response> {
    let p = ProblemType::from_slug(slug)
        .ok_or_else(|| ApiError::not_found(&format!("/problems/{slug}")))?;
    reply::json(200, &describe(p), "public, max-age=3600")
}
