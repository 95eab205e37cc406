//! fairtrain's Cloudflare Worker: parse, authorise, call the core, persist, respond.
//!
//! All non-Cloudflare logic lives in `fairtrain-core`; this crate is the thin
//! layer over the runtime's bindings (D1, R2, Durable Objects, Queues).

mod d1;
mod dev;
mod http;
mod jobs;
mod panic;
mod runtime;

#[path = "../durable_objects/mod.rs"]
mod durable_objects;

// A Durable Object class is exported to the runtime only if the crate re-exports it.
pub use durable_objects::log_sequencer::LogSequencer;

use worker::{
    event, Context, Env, Headers, MessageBatch, Method, Request, Response, Result, ScheduleContext,
    ScheduledEvent,
};

use crate::http::context::Cx;

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    panic::install_hook();
    let request_id = uuid::Uuid::new_v4().to_string();
    let is_head = req.method() == Method::Head;
    let outcome = match Cx::new(req, env, request_id.clone()) {
        Ok(cx) => http::router::dispatch(cx).await,
        Err(e) => Err(e),
    };
    let response = match outcome {
        Ok(r) => r,
        Err(e) => e.into_response(&request_id)?,
    };
    // Fresh headers: a response passed through from a Durable Object or R2
    // has immutable ones.
    let headers = Headers::new();
    for (name, value) in response.headers().entries() {
        headers.append(&name, &value)?;
    }
    headers.set("X-Request-Id", &request_id)?;
    if is_head {
        // HEAD is served by the GET handler; only the body goes.
        return Ok(Response::empty()?
            .with_status(response.status_code())
            .with_headers(headers));
    }
    Ok(response.with_headers(headers))
}

#[event(queue)]
async fn queue(batch: MessageBatch<serde_json::Value>, env: Env, _ctx: Context) -> Result<()> {
    jobs::consume(batch, env).await
}

#[event(scheduled)]
async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    jobs::cron::run(event, env).await
}
