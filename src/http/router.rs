//! Routing: one table from paths to handlers.
//!
//! A match over path segments keeps routing allocation-free and makes the
//! difference between "no such resource" (404) and "no such method on this
//! resource" (405 with Allow) explicit for every route.

use worker::{Method, Response};

use crate::http::context::Cx;
use crate::http::error::{ApiError, ApiResult};
use crate::http::routes;

/// `on!(cx, GET => handler(cx), POST => other(cx))`: dispatch on method, 405 otherwise.
/// HEAD is answered wherever GET is (the body is dropped by `dispatch`).
macro_rules! on {
    ($cx:ident, $($method:ident => $handler:expr),+ $(,)?) => {{
        let method = if $cx.method == Method::Head { Method::Get } else { $cx.method.clone() };
        match method {
            $(Method::$method => $handler.await,)+
            _ => Err(ApiError::method_not_allowed(
                $cx.method.as_ref(),
                &[$(allow_name(stringify!($method))),+],
            )),
        }
    }};
}

fn allow_name(m: &'static str) -> &'static str {
    match m {
        "Get" => "GET, HEAD",
        "Post" => "POST",
        "Put" => "PUT",
        "Patch" => "PATCH",
        "Delete" => "DELETE",
        other => other,
    }
}

pub async fn dispatch(cx: Cx) -> ApiResult<Response> {
    let path = cx.url.path().to_string();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match segments.as_slice() {
        ["healthz"] => on!(cx, Get => routes::health::get(cx)),
        ["openapi.json"] => on!(cx, Get => routes::openapi::get(cx)),
        ["problems"] => on!(cx, Get => routes::problems::list(cx)),
        ["problems", slug] => on!(cx, Get => routes::problems::get(cx, slug)),
        [".well-known", "fairtrain", "keys"] => on!(cx, Get => routes::keys::get(cx)),
        ["v1", "whoami"] => on!(cx, Get => routes::whoami::get(cx)),
        ["v1", "admin", "api-keys"] => on!(cx,
            Get => routes::api_keys::list(cx),
            Post => routes::api_keys::create(cx),
        ),
        ["v1", "admin", "api-keys", id] => on!(cx,
            Get => routes::api_keys::get(cx, id),
            Delete => routes::api_keys::revoke(cx, id),
        ),
        ["log", "checkpoint"] => on!(cx, Get => routes::log::tiles(cx, "checkpoint")),
        ["log", "tile", ..] => {
            let tile = path.trim_start_matches("/log/").to_string();
            on!(cx, Get => routes::log::tiles(cx, &tile))
        }
        ["v1", "log", "entries"] => on!(cx, Post => routes::log::post_entries(cx)),
        ["v1", "log", "entries", hash] => on!(cx, Get => routes::log::entry(cx, hash)),
        ["v1", "log", "assets", hash] => on!(cx, Get => routes::log::asset(cx, hash)),
        ["v1", "log", "proof", index] => on!(cx, Get => routes::log::proof(cx, index)),
        ["v1", "log", "checkpoints", size] => on!(cx, Get => routes::log::checkpoint_at(cx, size)),
        ["v1", "log", "consistency"] => on!(cx, Get => routes::log::consistency(cx)),
        ["v1", "creators", "challenges"] => on!(cx, Post => routes::creators::challenge(cx)),
        ["v1", "creators"] => on!(cx, Post => routes::creators::register(cx)),
        ["v1", "creators", "me"] => on!(cx, Get => routes::creators::me(cx)),
        ["v1", "policies"] => on!(cx,
            Get => routes::policies::list(cx),
            Post => routes::policies::publish(cx),
        ),
        ["v1", "policies", version] => on!(cx, Get => routes::policies::get(cx, version)),
        ["v1", "consents"] => on!(cx, Post => routes::consents::grant(cx)),
        ["v1", "consents", id] => on!(cx, Get => routes::consents::get(cx, id)),
        ["v1", "consents", id, "revoke"] => on!(cx, Post => routes::consents::revoke(cx, id)),
        ["v1", "assets"] => on!(cx, Post => routes::assets::upload(cx)),
        ["v1", "assets", hash] => on!(cx, Get => routes::assets::get(cx, hash)),
        ["v1", "uploads"] => on!(cx, Post => routes::uploads::create(cx)),
        ["v1", "uploads", id] => on!(cx, Delete => routes::uploads::abort(cx, id)),
        ["v1", "uploads", id, "parts", n] => on!(cx, Put => routes::uploads::put_part(cx, id, n)),
        ["v1", "uploads", id, "complete"] => on!(cx, Post => routes::uploads::complete(cx, id)),
        ["v1", "manifests"] => on!(cx, Post => routes::manifests::compose(cx)),
        ["v1", "manifests", id] => on!(cx, Get => routes::manifests::get(cx, id)),
        ["v1", "manifests", id, "assets"] => on!(cx, Get => routes::manifests::assets(cx, id)),
        ["v1", "manifests", id, "consents"] => on!(cx, Get => routes::manifests::consents(cx, id)),
        ["v1", "manifests", id, "revenue"] => on!(cx, Post => routes::usage::revenue(cx, id)),
        ["v1", "manifests", id, "status"] => on!(cx, Get => routes::manifests::status(cx, id)),
        ["v1", "manifests", id, "proof", hash] => {
            on!(cx, Get => routes::manifests::proof(cx, id, hash))
        }
        ["v1", "manifests", id, "download", hash] => {
            on!(cx, Get => routes::manifests::download(cx, id, hash))
        }
        ["v1", "blobs", hash] => on!(cx, Get => routes::blobs::get(cx, hash)),
        ["v1", "licenses"] => on!(cx, Post => routes::licenses::create(cx)),
        ["v1", "licenses", id] => on!(cx, Delete => routes::licenses::revoke(cx, id)),
        ["v1", "receipts", id] => on!(cx, Get => routes::receipts::get(cx, id)),
        ["v1", "webhooks", "event-types"] => on!(cx, Get => routes::webhooks::event_types(cx)),
        ["v1", "webhooks", "endpoints"] => on!(cx,
            Get => routes::webhooks::list(cx),
            Post => routes::webhooks::create(cx),
        ),
        ["v1", "webhooks", "endpoints", id] => on!(cx,
            Get => routes::webhooks::get(cx, id),
            Patch => routes::webhooks::update(cx, id),
            Delete => routes::webhooks::delete(cx, id),
        ),
        ["v1", "webhooks", "endpoints", id, "secret"] => {
            on!(cx, Get => routes::webhooks::secret(cx, id))
        }
        ["v1", "webhooks", "endpoints", id, "rotate-secret"] => {
            on!(cx, Post => routes::webhooks::rotate(cx, id))
        }
        ["v1", "webhooks", "endpoints", id, "deliveries"] => {
            on!(cx, Get => routes::webhooks::deliveries(cx, id))
        }
        ["v1", "webhooks", "endpoints", id, "replay"] => {
            on!(cx, Post => routes::webhooks::replay_since(cx, id))
        }
        ["v1", "webhooks", "deliveries", id, "replay"] => {
            on!(cx, Post => routes::webhooks::replay_one(cx, id))
        }
        ["v1", "integrations"] => on!(cx,
            Get => routes::integrations::list(cx),
            Post => routes::integrations::create(cx),
        ),
        ["v1", "integrations", id] => on!(cx, Get => routes::integrations::get(cx, id)),
        ["v1", "integrations", id, "rotate-secret"] => {
            on!(cx, Post => routes::integrations::rotate(cx, id))
        }
        ["v1", "integrations", id, "events"] => {
            on!(cx, Get => routes::integrations::events(cx, id))
        }
        ["v1", "inbound", id] => on!(cx, Post => routes::integrations::receive(cx, id)),
        ["v1", "usage", "reports"] => on!(cx, Post => routes::usage::report(cx)),
        ["v1", "usage", "reports", id] => on!(cx, Get => routes::usage::get_report(cx, id)),
        ["v1", "ledger", "summary"] => on!(cx, Get => routes::usage::summary(cx)),
        ["v1", "ledger", "balances", creator] => {
            on!(cx, Get => routes::usage::balance(cx, creator))
        }
        ["v1", "settlements"] => on!(cx,
            Get => routes::usage::list_settlements(cx),
            Post => routes::usage::settle(cx),
        ),
        ["v1", "settlements", id] => on!(cx, Get => routes::usage::get_settlement(cx, id)),
        ["v1", "settlements", id, "creators", creator] => {
            on!(cx, Get => routes::usage::creator_statement(cx, id, creator))
        }
        ["v1", "reconciliations"] => on!(cx, Post => routes::usage::reconcile(cx)),
        ["v1", "reconciliations", id] => on!(cx, Get => routes::usage::get_reconciliation(cx, id)),
        ["v1", "models", model, "passport"] => on!(cx, Get => routes::usage::passport(cx, model)),
        ["v1", "models", model, "passport", "status"] => {
            on!(cx, Get => routes::usage::passport_status(cx, model))
        }
        ["v1", "admin", "dead-letters"] => on!(cx, Get => routes::usage::dead_letters(cx)),
        ["v1", "admin", "dead-letters", "replay"] => {
            on!(cx, Post => routes::usage::replay_dead_letter(cx))
        }
        ["v1", "dev", "faults"] => on!(cx, Post => crate::dev::faults::set(cx)),
        ["v1", "dev", "tamper"] => on!(cx, Post => crate::dev::faults::tamper(cx)),
        ["v1", "dev", "panic"] => on!(cx, Post => crate::dev::panic(cx)),
        ["v1", "dev", "cron"] => on!(cx, Post => crate::dev::cron(cx)),
        ["v1", "dev", "drain"] => on!(cx, Post => crate::dev::drain(cx)),
        ["v1", "dev", "bench"] => on!(cx, Post => crate::dev::bench::run(cx)),
        _ => Err(ApiError::not_found(&path)),
    }
}
