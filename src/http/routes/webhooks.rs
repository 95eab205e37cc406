//! `/v1/webhooks/...` (operator): subscriber endpoints, their secrets, the
//! delivery log and replay (`fairtrain_app::webhooks`).

use fairtrain_app::webhooks::endpoints;
use fairtrain_app::webhooks::secrets::{self, Owner};
use fairtrain_app::webhooks::{self, EndpointChange, LogFilter, NewEndpoint};
use fairtrain_core::principal::Role;
use serde::Deserialize;
use worker::Response;

use crate::http::auth;
use crate::http::context::Cx;
use crate::http::error::{ApiError, ApiResult};
use crate::http::{body, reply};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateEndpoint {
    url: String,
    event_types: Vec<String>,
    #[serde(default)]
    description: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateEndpoint {
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    event_types: Option<Vec<String>>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    enabled: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Replay {
    since: String,
    #[serde(default)]
    status: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Rotate {
    #[serde(default)]
    overlap_seconds: Option<u64>,
}

/// `GET /v1/webhooks/event-types`: what can be subscribed to.
pub async fn event_types(cx: Cx) -> ApiResult<Response> {
    auth::require(&cx, &[Role::Operator]).await?;
    reply::ok(&webhooks::event_types())
}

pub async fn create(mut cx: Cx) -> ApiResult<Response> {
    auth::require(&cx, &[Role::Operator]).await?;
    let req: CreateEndpoint = body::json(&mut cx, 16 * 1024).await?;
    let created = endpoints::create(
        &cx.rt,
        NewEndpoint {
            url: req.url,
            event_types: req.event_types,
            description: req.description,
        },
    )
    .await?;
    let location = format!("/v1/webhooks/endpoints/{}", created.endpoint.id);
    reply::created(&created, &location)
}

pub async fn list(cx: Cx) -> ApiResult<Response> {
    auth::require(&cx, &[Role::Operator]).await?;
    reply::ok(&endpoints::list(&cx.rt).await?)
}

pub async fn get(cx: Cx, id: &str) -> ApiResult<Response> {
    auth::require(&cx, &[Role::Operator]).await?;
    reply::ok(&endpoints::get(&cx.rt, id).await?)
}

/// Change the URL, subscriptions or description, or re-enable an endpoint
/// that answered 410 (or disable one by hand).
pub async fn update(mut cx: Cx, id: &str) -> ApiResult<Response> {
    auth::require(&cx, &[Role::Operator]).await?;
    let req: UpdateEndpoint = body::json(&mut cx, 16 * 1024).await?;
    let change = EndpointChange {
        url: req.url,
        event_types: req.event_types,
        description: req.description,
        enabled: req.enabled,
    };
    reply::ok(&endpoints::update(&cx.rt, id, change).await?)
}

pub async fn delete(cx: Cx, id: &str) -> ApiResult<Response> {
    auth::require(&cx, &[Role::Operator]).await?;
    endpoints::delete(&cx.rt, id).await?;
    Ok(Response::empty()?.with_status(204))
}

/// The current secret and any still in their overlap period.
pub async fn secret(cx: Cx, id: &str) -> ApiResult<Response> {
    auth::require(&cx, &[Role::Operator]).await?;
    reply::ok(&endpoints::secrets(&cx.rt, id).await?)
}

/// A rotation's optional body, `{"overlap_seconds"}`.
pub async fn rotation(cx: &mut Cx) -> ApiResult<Option<u64>> {
    let req: Rotate = if cx.header("Content-Length").as_deref().unwrap_or("0") == "0" {
        Rotate::default()
    } else {
        body::json(cx, 1024).await?
    };
    Ok(req.overlap_seconds)
}

/// A new secret; the old one keeps signing for `overlap_seconds` (default a day).
pub async fn rotate(mut cx: Cx, id: &str) -> ApiResult<Response> {
    auth::require(&cx, &[Role::Operator]).await?;
    // An unknown endpoint is 404 whatever the body.
    endpoints::get(&cx.rt, id).await?;
    let overlap = rotation(&mut cx).await?;
    reply::ok(&secrets::rotate(&cx.rt, Owner::Endpoint(id), overlap).await?)
}

/// `GET /v1/webhooks/endpoints/{id}/deliveries?status=&limit=`: the delivery
/// log, newest first, each with its attempts.
pub async fn deliveries(cx: Cx, id: &str) -> ApiResult<Response> {
    auth::require(&cx, &[Role::Operator]).await?;
    // An unknown endpoint is 404 whatever the query.
    endpoints::get(&cx.rt, id).await?;
    let mut filter = LogFilter::default();
    for (k, v) in cx.url.query_pairs() {
        match k.as_ref() {
            "status" => filter.status = Some(v.into_owned()),
            "limit" => {
                filter.limit = v
                    .parse()
                    .ok()
                    .filter(|n| (1..=1000).contains(n))
                    .ok_or_else(|| ApiError::bad_request("limit must be 1-1000"))?
            }
            _ => {
                return Err(ApiError::bad_request(format!(
                    "unknown query parameter {k:?}"
                )))
            }
        }
    }
    reply::ok(&webhooks::delivery_log(&cx.rt, id, &filter).await?)
}

/// `POST /v1/webhooks/deliveries/{id}/replay`: send one message again.
pub async fn replay_one(cx: Cx, id: &str) -> ApiResult<Response> {
    auth::require(&cx, &[Role::Operator]).await?;
    reply::json(202, &webhooks::replay_one(&cx.rt, id).await?, "no-store")
}

/// `POST /v1/webhooks/endpoints/{id}/replay {"since": "<RFC 3339>"}`: every
/// failed (or cancelled, with `"status": "cancelled"`) delivery since then.
pub async fn replay_since(mut cx: Cx, id: &str) -> ApiResult<Response> {
    auth::require(&cx, &[Role::Operator]).await?;
    let req: Replay = body::json(&mut cx, 1024).await?;
    let replayed = webhooks::replay_since(&cx.rt, id, &req.since, req.status.as_deref()).await?;
    reply::json(202, &replayed, "no-store")
}
