//! Inbound webhooks: `/v1/integrations` (operator) manages the marketplaces
//! and payment processors that send events; `POST /v1/inbound/{id}` is where
//! they send them, authenticated by the event's signature alone
//! (`fairtrain_app::integrations`).

use fairtrain_app::integrations::{self, NewIntegration, Signatures, MAX_BODY};
use fairtrain_app::webhooks::secrets::{self, Owner};
use fairtrain_core::principal::Role;
use fairtrain_webhooks::{stripe, WebhookHeaders};
use serde::Deserialize;
use worker::Response;

use crate::http::auth;
use crate::http::context::Cx;
use crate::http::error::ApiResult;
use crate::http::routes::webhooks::rotation;
use crate::http::{body, reply};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Create {
    name: String,
    kind: String,
}

/// The API's origin, for integrations' inbound URLs.
fn origin(cx: &Cx) -> String {
    cx.url.origin().ascii_serialization()
}

pub async fn create(mut cx: Cx) -> ApiResult<Response> {
    auth::require(&cx, &[Role::Operator]).await?;
    let req: Create = body::json(&mut cx, 4096).await?;
    let created = integrations::create(
        &cx.rt,
        &origin(&cx),
        NewIntegration {
            name: req.name,
            kind: req.kind,
        },
    )
    .await?;
    let location = format!("/v1/integrations/{}", created.integration.integration.id);
    reply::created(&created, &location)
}

pub async fn list(cx: Cx) -> ApiResult<Response> {
    auth::require(&cx, &[Role::Operator]).await?;
    reply::ok(&integrations::list(&cx.rt, &origin(&cx)).await?)
}

pub async fn get(cx: Cx, id: &str) -> ApiResult<Response> {
    auth::require(&cx, &[Role::Operator]).await?;
    reply::ok(&integrations::get(&cx.rt, &origin(&cx), id).await?)
}

pub async fn rotate(mut cx: Cx, id: &str) -> ApiResult<Response> {
    auth::require(&cx, &[Role::Operator]).await?;
    // An unknown integration is 404 whatever the body.
    integrations::get(&cx.rt, &origin(&cx), id).await?;
    let overlap = rotation(&mut cx).await?;
    reply::ok(&secrets::rotate(&cx.rt, Owner::Integration(id), overlap).await?)
}

/// `GET /v1/integrations/{id}/events`: what this integration sent, as applied.
pub async fn events(cx: Cx, id: &str) -> ApiResult<Response> {
    auth::require(&cx, &[Role::Operator, Role::Auditor]).await?;
    reply::ok(&integrations::events(&cx.rt, id).await?)
}

/// `POST /v1/inbound/{id}`: verify, deduplicate, apply, log.
pub async fn receive(mut cx: Cx, id: &str) -> ApiResult<Response> {
    // The integration is the credential: an unknown or disabled one is
    // refused before the body is read.
    let integration = integrations::target(&cx.rt, id).await?;
    let raw = body::read_limited(&mut cx, MAX_BODY).await?;
    let signatures = Signatures {
        standard: WebhookHeaders::from_lookup(|name| cx.header(name)),
        stripe: cx.header(stripe::HEADER),
    };
    reply::ok(&integrations::receive(&cx.rt, &integration, &signatures, &raw).await?)
}
