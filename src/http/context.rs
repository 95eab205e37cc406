//! What a handler gets: the request, the bindings, and per-request facts.

use worker::{Env, Method, Request, Url};

use crate::http::error::{ApiError, ApiResult};
use crate::runtime::Runtime;

pub struct Cx {
    pub req: Request,
    pub url: Url,
    pub method: Method,
    pub request_id: String,
    /// The Content-Digest a verified request signature covered: the body,
    /// when read, must hash to it (checked in `http::body`).
    pub signed_content_digest: std::cell::RefCell<Option<String>>,
    /// The application's platform for this request (same time, same id).
    pub rt: Runtime,
}

impl Cx {
    pub fn new(req: Request, env: Env, request_id: String) -> ApiResult<Cx> {
        let url = req
            .url()
            .map_err(|e| ApiError::bad_request(format!("unparseable request URL: {e}")))?;
        // workers-rs maps any method it does not know to GET; treat those as
        // OPTIONS, which no route accepts, so they get 405 instead of a GET.
        let raw = req.inner().method();
        let method = if Method::all().iter().any(|m| m.as_ref() == raw) {
            req.method()
        } else {
            Method::Options
        };
        let rt = Runtime::new(env, request_id.clone())?;
        Ok(Cx {
            req,
            url,
            method,
            request_id,
            signed_content_digest: Default::default(),
            rt,
        })
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.req.headers().get(name).ok().flatten()
    }

    /// Development mode relaxes what production forbids (loopback webhooks, debug routes).
    pub fn is_development(&self) -> bool {
        fairtrain_app::platform::Config::settings(&self.rt).development
    }
}
