//! The one place where failures become HTTP responses.
//!
//! Handlers return `Result<Response, ApiError>`; every error is an RFC 9457
//! problem document from the registry in `fairtrain_core::problem`, so the
//! mapping from failure to status, type and title lives in exactly one place.

use fairtrain_core::problem::{FieldError, Problem, ProblemType, PROBLEM_JSON};
use worker::{Headers, Response};

#[derive(Debug)]
pub struct ApiError {
    /// Boxed: errors travel through every `Result` on the request path.
    pub problem: Box<Problem>,
    /// Extra response headers: Allow, Retry-After, WWW-Authenticate.
    pub headers: Vec<(&'static str, String)>,
    /// Why an internal error happened: logged (with the request id when
    /// there is one), never sent to the client.
    pub cause: Option<Box<str>>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(kind: ProblemType, detail: impl Into<String>) -> ApiError {
        ApiError {
            problem: Box::new(Problem::new(kind, detail)),
            headers: Vec::new(),
            cause: None,
        }
    }

    pub fn with(mut self, name: &str, value: impl Into<serde_json::Value>) -> ApiError {
        *self.problem = self.problem.with(name, value);
        self
    }

    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> ApiError {
        self.headers.push((name, value.into()));
        self
    }

    pub fn not_found(path: &str) -> ApiError {
        ApiError::new(ProblemType::NotFound, format!("no resource at {path}"))
    }

    pub fn method_not_allowed(method: &str, allowed: &[&str]) -> ApiError {
        let allow = allowed.join(", ");
        ApiError::new(
            ProblemType::MethodNotAllowed,
            format!("{method} is not allowed here; use {allow}"),
        )
        .header("Allow", allow)
    }

    pub fn bad_request(detail: impl Into<String>) -> ApiError {
        ApiError::new(ProblemType::BadRequest, detail)
    }

    pub fn validation(errors: Vec<FieldError>) -> ApiError {
        let detail = errors
            .iter()
            .map(|e| format!("{}: {}", e.pointer, e.detail))
            .collect::<Vec<_>>()
            .join("; ");
        let errors = serde_json::to_value(&errors).unwrap_or_default();
        ApiError::new(ProblemType::ValidationFailed, detail).with("errors", errors)
    }

    pub fn field(pointer: &str, detail: impl Into<String>) -> ApiError {
        ApiError::validation(vec![FieldError::new(pointer, detail)])
    }

    /// A dependency failed. The cause goes to the log, not to the client.
    pub fn internal(cause: impl std::fmt::Display) -> ApiError {
        let mut e = ApiError::new(
            ProblemType::Internal,
            "the server failed while handling the request",
        );
        e.cause = Some(cause.to_string().into());
        e
    }

    pub fn into_response(mut self, request_id: &str) -> worker::Result<Response> {
        if let Some(cause) = &self.cause {
            // The request id ties the client's problem document to this line.
            worker::console_error!("request {request_id}: internal error: {cause}");
        }
        self.problem
            .extensions
            .insert("request_id".into(), request_id.into());
        let body = serde_json::to_vec(&self.problem)
            .map_err(|e| worker::Error::RustError(e.to_string()))?;
        let headers = Headers::new();
        headers.set("Content-Type", PROBLEM_JSON)?;
        headers.set("Cache-Control", "no-store")?;
        for (name, value) in &self.headers {
            headers.set(name, value)?;
        }
        Ok(Response::from_bytes(body)?
            .with_status(self.problem.status)
            .with_headers(headers))
    }
}

/// For logs of work that has no response (queues, cron): the detail, and
/// the cause of an internal error.
impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(
            self.problem
                .detail
                .as_deref()
                .unwrap_or(self.problem.title.as_str()),
        )?;
        match &self.cause {
            Some(cause) => write!(f, " ({cause})"),
            None => Ok(()),
        }
    }
}

/// A failed use case, rendered: its problem document, Retry-After, and the
/// authentication challenge for credential failures.
impl From<fairtrain_app::Error> for ApiError {
    fn from(e: fairtrain_app::Error) -> ApiError {
        use fairtrain_app::Kind;
        let mut headers = Vec::new();
        if let Some(s) = e.retry_after {
            headers.push(("Retry-After", s.to_string()));
        }
        match e.kind {
            Kind::Unauthenticated => headers.push((
                "WWW-Authenticate",
                r#"Bearer realm="fairtrain", Signature realm="fairtrain""#.to_string(),
            )),
            Kind::RequestSignature => headers.push((
                "WWW-Authenticate",
                r#"Signature realm="fairtrain""#.to_string(),
            )),
            _ => {}
        }
        ApiError {
            problem: Box::new(e.problem()),
            headers,
            cause: e.cause.clone().map(String::into_boxed_str),
        }
    }
}

/// Runtime failures (D1, R2, bindings) are internal errors.
impl From<worker::Error> for ApiError {
    fn from(e: worker::Error) -> ApiError {
        ApiError::internal(e)
    }
}
