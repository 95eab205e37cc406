//! Sending webhook attempts with the runtime's `fetch`: redirects are not
//! followed, and a receiver that does not answer in time is abandoned.

use std::time::Duration;

use fairtrain_app::webhooks::{Post, SendOutcome, WebhookSender};
use futures_util::future::{select, Either};
use wasm_bindgen::JsValue;
use worker::{
    AbortController, Delay, Fetch, Headers, Method, Request, RequestInit, RequestRedirect,
};

use super::Runtime;

fn request(post: &Post) -> worker::Result<Request> {
    let headers = Headers::new();
    for (name, value) in &post.headers {
        headers.set(name, value)?;
    }
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_redirect(RequestRedirect::Manual)
        .with_body(Some(JsValue::from_str(&post.body)));
    Request::new_with_init(&post.url, &init)
}

impl WebhookSender for Runtime {
    async fn post(&self, post: &Post) -> SendOutcome {
        let request = match request(post) {
            Ok(r) => r,
            Err(e) => return SendOutcome::unsent(format!("request: {e}"), true),
        };
        let started = worker::Date::now().as_millis();
        let controller = AbortController::default();
        let signal = controller.signal();
        let fetcher = Fetch::Request(request);
        let fetch = fetcher.send_with_signal(&signal);
        let timeout = Delay::from(Duration::from_secs(post.timeout_secs));
        futures_util::pin_mut!(fetch, timeout);
        let outcome = select(fetch, timeout).await;
        let latency_ms = worker::Date::now().as_millis().saturating_sub(started);
        match outcome {
            Either::Left((Ok(response), _)) => SendOutcome::Answered {
                status: response.status_code(),
                retry_after: response.headers().get("Retry-After").ok().flatten(),
                latency_ms,
            },
            Either::Left((Err(e), _)) => SendOutcome::Failed {
                error: format!("network: {e}"),
                latency_ms,
                permanent: false,
            },
            Either::Right(_) => {
                controller.abort();
                SendOutcome::Failed {
                    error: format!("no answer within {} s", post.timeout_secs),
                    latency_ms,
                    permanent: false,
                }
            }
        }
    }
}
