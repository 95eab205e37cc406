//! The transparency log, as seen from outside.
//!
//! Public and read-only: the C2SP tlog-tiles endpoints (`/log/checkpoint`,
//! `/log/tile/...`) served straight from R2, and lookups, proofs and
//! consistency proofs answered by the sequencer. Appending is the operator's
//! (and, internally, every other part of the system's).

use fairtrain_consent::log_event;
use fairtrain_core::principal::Role;
use fairtrain_core::problem::{FieldError, ProblemType};
use fairtrain_tlog::TilePath;
use serde::Deserialize;
use serde_json::{json, Value};
use worker::{Method, Response};

use crate::durable_objects::log_sequencer::publish::PREFIX;
use crate::http::auth;
use crate::http::context::Cx;
use crate::http::error::{ApiError, ApiResult};
use crate::http::{body, reply};
use fairtrain_app::log::protocol::AppendResponse;

/// Events per append request.
const MAX_EVENTS: usize = 1000;

pub fn origin(cx: &Cx) -> String {
    fairtrain_app::log::origin(&cx.rt)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AppendBody {
    events: Vec<Value>,
}

/// Appends events (and tells webhook subscribers): `fairtrain_app::log`.
pub async fn append(cx: &Cx, entries: Vec<log_event::Entry>) -> ApiResult<AppendResponse> {
    Ok(fairtrain_app::log::append(&cx.rt, entries).await?)
}

/// `POST /v1/log/entries` (operator): append typed events.
pub async fn post_entries(mut cx: Cx) -> ApiResult<Response> {
    auth::require(&cx, &[Role::Operator]).await?;
    let req: AppendBody = body::json(&mut cx, 4 << 20).await?;
    if req.events.is_empty() || req.events.len() > MAX_EVENTS {
        return Err(ApiError::field(
            "/events",
            format!("between 1 and {MAX_EVENTS} events per request"),
        ));
    }
    let mut entries = Vec::with_capacity(req.events.len());
    let mut errors = Vec::new();
    for (i, v) in req.events.iter().enumerate() {
        match log_event::entry_from_json(v) {
            Ok(e) => entries.push(e),
            Err(e) => errors.push(FieldError::new(format!("/events/{i}"), e.to_string())),
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let appended = append(&cx, entries).await?;
    let promise = promise(&cx, &appended)?;
    reply::json(
        202,
        &json!({ "log": origin(&cx), "tree_size": appended.size, "entries": appended.results, "promise": promise }),
        "no-store",
    )
}

/// A signed promise to include the entries by a deadline: `fairtrain_app::log`.
pub fn promise(cx: &Cx, appended: &AppendResponse) -> ApiResult<Value> {
    Ok(fairtrain_app::log::promise(&cx.rt, appended)?)
}

/// `GET /log/checkpoint` and `GET /log/tile/...`: straight from R2.
pub async fn tiles(cx: Cx, path: &str) -> ApiResult<Response> {
    let cache = if path == "checkpoint" {
        "no-store"
    } else {
        match TilePath::parse(path) {
            Ok(TilePath::Hashes(t)) if t.is_full() => "public, max-age=31536000, immutable",
            Ok(TilePath::Entries(b)) if b.is_full() => "public, max-age=31536000, immutable",
            // A partial tile never changes either, but is superseded soon.
            Ok(_) => "public, max-age=3600",
            Err(e) => return Err(ApiError::not_found(&format!("/log/{path} ({e})"))),
        }
    };
    let bucket = cx.env.bucket("BLOBS")?;
    let object = bucket.get(format!("{PREFIX}{path}")).execute().await?;
    let Some(object) = object else {
        if path == "checkpoint" {
            return Err(ApiError::new(
                ProblemType::NotFound,
                "the log has no checkpoint yet: nothing has been appended",
            ));
        }
        return Err(ApiError::not_found(&format!("/log/{path}")));
    };
    let bytes = object
        .body()
        .ok_or_else(|| ApiError::internal("R2 object without body"))?
        .bytes()
        .await?;
    let r = Response::from_bytes(bytes)?;
    let content_type = if path == "checkpoint" {
        "text/plain; charset=utf-8"
    } else {
        "application/octet-stream"
    };
    r.headers().set("Content-Type", content_type)?;
    r.headers().set("Cache-Control", cache)?;
    Ok(r)
}

/// Lookups and proofs: forwarded to the sequencer, which owns the tree.
pub async fn forward(cx: Cx, path_and_query: String) -> ApiResult<Response> {
    Ok(cx
        .rt
        .sequencer_fetch(Method::Get, &path_and_query, None)
        .await?)
}

pub async fn checkpoint_at(cx: Cx, size: &str) -> ApiResult<Response> {
    let size: u64 = size
        .parse()
        .map_err(|_| ApiError::bad_request("the size must be a non-negative integer"))?;
    forward(cx, format!("/checkpoint?size={size}")).await
}

pub async fn proof(cx: Cx, index: &str) -> ApiResult<Response> {
    let index: u64 = index
        .parse()
        .map_err(|_| ApiError::bad_request("the index must be a non-negative integer"))?;
    forward(cx, format!("/proof?index={index}")).await
}

pub async fn entry(cx: Cx, hash: &str) -> ApiResult<Response> {
    let hash: fairtrain_core::digest::Sha256Digest = hash
        .parse()
        .map_err(|e| ApiError::bad_request(format!("entry hash: {e}")))?;
    forward(cx, format!("/entry?hash={hash}")).await
}

pub async fn asset(cx: Cx, hash: &str) -> ApiResult<Response> {
    let hash: fairtrain_core::digest::Sha256Digest = hash
        .parse()
        .map_err(|e| ApiError::bad_request(format!("asset hash: {e}")))?;
    forward(cx, format!("/asset?hash={hash}")).await
}

pub async fn consistency(cx: Cx) -> ApiResult<Response> {
    let q = |name: &str| -> ApiResult<u64> {
        cx.url
            .query_pairs()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| v.parse().ok())
            .ok_or_else(|| ApiError::bad_request(format!("`{name}` is required: a tree size")))
    };
    let (from, to) = (q("from")?, q("to")?);
    forward(cx, format!("/consistency?from={from}&to={to}")).await
}
