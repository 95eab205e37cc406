//! The one place where failures become HTTP responses.
//!
//! Handlers return `Result<Response, ApiError>`; every error is an RFC 9457
//! problem document from the registry in `fairtrain_core::problem`, so the
//! mapping from failure to status, type and title lives in exactly one place.

use fairtrain_core::problem::{FieldError, Problem, ProblemType, PROBLEM_JSON};
use worker::{Headers, Response};

#[derive(Debug)]
pub struct ApiError {
    pub problem: Problem,
    /// Extra response headers: Allow, Retry-After, WWW-Authenticate.
    pub headers: Vec<(&'static str, String)>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(kind: ProblemType, detail: impl Into<String>) -> ApiError {
        ApiError {
            problem: Problem::new(kind, detail),
            headers: Vec::new(),
        }
    }

    pub fn with(mut self, name: &str, value: impl Into<serde_json::Value>) -> ApiError {
        self.problem = self.problem.with(name, value);
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

    pub fn unauthenticated(detail: impl Into<String>) -> ApiError {
        ApiError::new(ProblemType::Unauthenticated, detail).header(
            "WWW-Authenticate",
            r#"Bearer realm="fairtrain", Signature realm="fairtrain""#,
        )
    }

    pub fn forbidden(detail: impl Into<String>) -> ApiError {
        ApiError::new(ProblemType::Forbidden, detail)
    }

    /// A dependency failed. The cause goes to the log, not to the client.
    pub fn internal(cause: impl std::fmt::Display) -> ApiError {
        worker::console_error!("internal error: {cause}");
        ApiError::new(
            ProblemType::Internal,
            "the server failed while handling the request",
        )
    }

    pub fn unavailable(detail: impl Into<String>) -> ApiError {
        ApiError::new(ProblemType::Unavailable, detail).header("Retry-After", "5")
    }

    pub fn into_response(mut self, request_id: &str) -> worker::Result<Response> {
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

/// Runtime failures (D1, R2, bindings) are internal errors.
impl From<worker::Error> for ApiError {
    fn from(e: worker::Error) -> ApiError {
        ApiError::internal(e)
    }
}
