//! The transparency log, as seen from outside (`fairtrain_app::log`).
//!
//! Public and read-only: the C2SP tlog-tiles endpoints (`/log/checkpoint`,
//! `/log/tile/...`) served from where the log is published, and lookups,
//! proofs and consistency proofs answered by the sequencer. Appending is the
//! operator's (and, internally, every other part of the system's).

use fairtrain_app::log::{self, EntryLookup, IMMUTABLE};
use fairtrain_core::principal::Role;
use serde::Deserialize;
use serde_json::Value;
use worker::Response;

use crate::http::auth;
use crate::http::context::Cx;
use crate::http::error::ApiResult;
use crate::http::{body, reply};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AppendBody {
    events: Vec<Value>,
}

/// `POST /v1/log/entries` (operator): append typed events.
pub async fn post_entries(mut cx: Cx) -> ApiResult<Response> {
    auth::require(&cx, &[Role::Operator]).await?;
    let req: AppendBody = body::json(&mut cx, 4 << 20).await?;
    let posted = log::post_events(&cx.rt, &req.events).await?;
    reply::json(202, &posted, "no-store")
}

/// Bytes as the log serves them.
fn raw(bytes: Vec<u8>, content_type: &str, cache_control: &str) -> ApiResult<Response> {
    let r = Response::from_bytes(bytes)?;
    r.headers().set("Content-Type", content_type)?;
    r.headers().set("Cache-Control", cache_control)?;
    Ok(r)
}

const TEXT: &str = "text/plain; charset=utf-8";

/// `GET /log/checkpoint` and `GET /log/tile/...`.
pub async fn tiles(cx: Cx, path: &str) -> ApiResult<Response> {
    let object = log::public_object(&cx.rt, path).await?;
    raw(object.bytes, object.content_type, object.cache_control)
}

pub async fn checkpoint_at(cx: Cx, size: &str) -> ApiResult<Response> {
    raw(log::checkpoint_at(&cx.rt, size).await?, TEXT, IMMUTABLE)
}

pub async fn proof(cx: Cx, index: &str) -> ApiResult<Response> {
    raw(log::proof(&cx.rt, index).await?, TEXT, "no-store")
}

pub async fn entry(cx: Cx, hash: &str) -> ApiResult<Response> {
    match log::entry(&cx.rt, hash).await? {
        EntryLookup::Sequenced(e) => reply::ok(&e),
        EntryLookup::Pooled(p) => reply::json(202, &p, "no-store"),
    }
}

pub async fn asset(cx: Cx, hash: &str) -> ApiResult<Response> {
    reply::ok(&log::asset_entries(&cx.rt, hash).await?)
}

pub async fn consistency(cx: Cx) -> ApiResult<Response> {
    let q = |name: &str| {
        cx.url
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    let (from, to) = (q("from"), q("to"));
    reply::ok(&log::consistency(&cx.rt, from.as_deref(), to.as_deref()).await?)
}
