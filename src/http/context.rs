//! What a handler gets: the request, the bindings, and per-request facts.

use fairtrain_core::time::Timestamp;
use worker::{Env, Method, Request, Url};

use crate::http::error::{ApiError, ApiResult};
use crate::runtime::Runtime;

pub struct Cx {
    pub req: Request,
    pub env: Env,
    pub url: Url,
    pub method: Method,
    pub request_id: String,
    /// Milliseconds since the Unix epoch (= `now`).
    pub now_ms: u64,
    now: Timestamp,
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
        let rt = Runtime::new(env.clone(), request_id.clone())?;
        let now = fairtrain_app::platform::Clock::now(&rt);
        let now_ms = now.unix_millis() as u64;
        Ok(Cx {
            req,
            env,
            url,
            method,
            request_id,
            now_ms,
            now,
            signed_content_digest: Default::default(),
            rt,
        })
    }

    /// A context for work no request started (queue consumers, cron): an
    /// internal GET, so the shared helpers (D1, the log, webhooks) run the same.
    pub fn background(env: Env, what: &str) -> ApiResult<Cx> {
        let req = Request::new(&format!("https://internal.invalid/{what}"), Method::Get)
            .map_err(ApiError::internal)?;
        Cx::new(req, env, uuid::Uuid::new_v4().to_string())
    }

    /// The request's time, read once so one request sees one time.
    pub fn now(&self) -> Timestamp {
        self.now
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.req.headers().get(name).ok().flatten()
    }

    /// A string variable or secret from the environment, if set and non-empty.
    pub fn config(&self, name: &str) -> Option<String> {
        self.env
            .var(name)
            .ok()
            .map(|v| v.to_string())
            .filter(|v| !v.is_empty())
    }

    /// Development mode relaxes what production forbids (loopback webhooks, debug routes).
    pub fn is_development(&self) -> bool {
        fairtrain_app::platform::Config::settings(&self.rt).development
    }

    pub fn db(&self) -> ApiResult<worker::D1Database> {
        self.env
            .d1("DB")
            .map_err(|e| ApiError::internal(format!("D1 binding DB: {e}")))
    }
}
