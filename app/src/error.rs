//! The application layer's one error type, and its one mapping to RFC 9457
//! problem documents.
//!
//! Use cases say *what* went wrong ([`Kind`]); [`Error::problem`] is the only
//! place that turns that into a problem type (and so an HTTP status). The
//! Worker and the CLI's stand-in platform both render through it.
//!
//! Any `std::error::Error` converts into an internal error with `?` (its text
//! is the logged cause, never shown to the client), so storage and encoding
//! failures need no mapping at the call site; a failure that is the caller's
//! fault is always built explicitly with one of the constructors.

use std::fmt;

use fairtrain_core::problem::{FieldError, Problem, ProblemType};
use serde_json::{Map, Value};

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, as the use case sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A query parameter, header or path segment is malformed.
    BadRequest,
    /// The request body could not be parsed into the documented shape.
    MalformedBody,
    /// A value is not acceptable (field errors, or a refusal with a `reason`).
    Invalid,
    /// No credentials, or credentials that are not valid.
    Unauthenticated,
    /// An HTTP Message Signature (RFC 9421) on the request is not acceptable.
    RequestSignature,
    /// A signed document (challenge, report) does not verify.
    DocumentSignature,
    /// An inbound webhook's signature is not acceptable.
    WebhookSignature,
    /// Valid credentials that may not do this.
    Forbidden,
    NotFound,
    Conflict,
    /// It existed and is no longer available.
    Gone,
    /// The bytes received do not hash to what was declared.
    DigestMismatch,
    TooLarge,
    UnsupportedMediaType,
    RateLimited,
    /// A dependency is not configured or not reachable; retry later.
    Unavailable,
    /// Our fault; the cause is logged, not shown.
    Internal,
}

impl Kind {
    /// The one mapping from what went wrong to the problem type the API names.
    pub fn problem_type(self) -> ProblemType {
        match self {
            Kind::BadRequest => ProblemType::BadRequest,
            Kind::MalformedBody => ProblemType::MalformedBody,
            Kind::Invalid => ProblemType::ValidationFailed,
            Kind::Unauthenticated => ProblemType::Unauthenticated,
            Kind::RequestSignature | Kind::DocumentSignature => ProblemType::InvalidSignature,
            Kind::WebhookSignature => ProblemType::WebhookSignature,
            Kind::Forbidden => ProblemType::Forbidden,
            Kind::NotFound => ProblemType::NotFound,
            Kind::Conflict => ProblemType::Conflict,
            Kind::Gone => ProblemType::Gone,
            Kind::DigestMismatch => ProblemType::DigestMismatch,
            Kind::TooLarge => ProblemType::PayloadTooLarge,
            Kind::UnsupportedMediaType => ProblemType::UnsupportedMediaType,
            Kind::RateLimited => ProblemType::RateLimited,
            Kind::Unavailable => ProblemType::Unavailable,
            Kind::Internal => ProblemType::Internal,
        }
    }

    /// The kind behind a problem type (for problems relayed from elsewhere,
    /// such as the log sequencer's answers).
    pub fn from_problem_type(t: ProblemType) -> Kind {
        match t {
            ProblemType::BadRequest | ProblemType::NotAcceptable => Kind::BadRequest,
            ProblemType::MethodNotAllowed => Kind::BadRequest,
            ProblemType::MalformedBody => Kind::MalformedBody,
            ProblemType::ValidationFailed => Kind::Invalid,
            ProblemType::Unauthenticated => Kind::Unauthenticated,
            ProblemType::InvalidSignature => Kind::DocumentSignature,
            ProblemType::WebhookSignature => Kind::WebhookSignature,
            ProblemType::Forbidden => Kind::Forbidden,
            ProblemType::NotFound => Kind::NotFound,
            ProblemType::Conflict => Kind::Conflict,
            ProblemType::Gone => Kind::Gone,
            ProblemType::DigestMismatch => Kind::DigestMismatch,
            ProblemType::PayloadTooLarge => Kind::TooLarge,
            ProblemType::UnsupportedMediaType => Kind::UnsupportedMediaType,
            ProblemType::RateLimited => Kind::RateLimited,
            ProblemType::Unavailable => Kind::Unavailable,
            ProblemType::Internal => Kind::Internal,
        }
    }
}

/// A failed use case: what went wrong, for whom (the detail and extension
/// members the client sees) and why (the cause, logged only). Boxed, so
/// every `Result` on the way stays small; the fields read through `Deref`.
#[derive(Debug, Clone)]
pub struct Error(Box<Details>);

#[derive(Debug, Clone)]
pub struct Details {
    pub kind: Kind,
    pub detail: String,
    /// RFC 9457 extension members (`reason`, `errors`, `limit`, ...).
    pub members: Map<String, Value>,
    /// Seconds the client should wait before trying again (Retry-After).
    pub retry_after: Option<u64>,
    /// Why an internal error happened; logged, never sent.
    pub cause: Option<String>,
}

impl std::ops::Deref for Error {
    type Target = Details;
    fn deref(&self) -> &Details {
        &self.0
    }
}

impl std::ops::DerefMut for Error {
    fn deref_mut(&mut self) -> &mut Details {
        &mut self.0
    }
}

impl Error {
    pub fn new(kind: Kind, detail: impl Into<String>) -> Error {
        Error(Box::new(Details {
            kind,
            detail: detail.into(),
            members: Map::new(),
            retry_after: None,
            cause: None,
        }))
    }

    /// Adds an extension member (reserved RFC 9457 names are ignored when rendered).
    pub fn with(mut self, name: &str, value: impl Into<Value>) -> Error {
        self.members.insert(name.to_string(), value.into());
        self
    }

    pub fn retry_after(mut self, seconds: u64) -> Error {
        self.retry_after = Some(seconds);
        self
    }

    pub fn bad_request(detail: impl Into<String>) -> Error {
        Error::new(Kind::BadRequest, detail)
    }

    pub fn not_found(what: &str) -> Error {
        Error::new(Kind::NotFound, format!("no resource at {what}"))
    }

    pub fn forbidden(detail: impl Into<String>) -> Error {
        Error::new(Kind::Forbidden, detail)
    }

    pub fn conflict(detail: impl Into<String>) -> Error {
        Error::new(Kind::Conflict, detail)
    }

    pub fn unauthenticated(detail: impl Into<String>) -> Error {
        Error::new(Kind::Unauthenticated, detail)
    }

    /// Field-level validation errors (`errors` lists each).
    pub fn validation(errors: Vec<FieldError>) -> Error {
        let detail = errors
            .iter()
            .map(|e| format!("{}: {}", e.pointer, e.detail))
            .collect::<Vec<_>>()
            .join("; ");
        let errors = serde_json::to_value(&errors).unwrap_or_default();
        Error::new(Kind::Invalid, detail).with("errors", errors)
    }

    /// One field's validation error.
    pub fn field(pointer: &str, detail: impl Into<String>) -> Error {
        Error::validation(vec![FieldError::new(pointer, detail)])
    }

    /// A rule refused the request; `reason` is the machine-readable code.
    pub fn refused(reason: &str, detail: impl Into<String>) -> Error {
        Error::new(Kind::Invalid, detail).with("reason", reason)
    }

    /// A dependency is unavailable; retry in 5 seconds.
    pub fn unavailable(detail: impl Into<String>) -> Error {
        Error::new(Kind::Unavailable, detail).retry_after(5)
    }

    /// Our fault. The cause goes to the log, not to the client.
    pub fn internal(cause: impl fmt::Display) -> Error {
        let mut e = Error::new(
            Kind::Internal,
            "the server failed while handling the request",
        );
        e.cause = Some(cause.to_string());
        e
    }

    /// A problem document relayed from another component (its members kept).
    pub fn from_problem(problem: Problem, retry_after: Option<u64>) -> Error {
        let kind = problem
            .kind()
            .map(Kind::from_problem_type)
            .unwrap_or(Kind::Internal);
        Error(Box::new(Details {
            kind,
            detail: problem.detail.unwrap_or(problem.title),
            members: problem.extensions,
            retry_after,
            cause: None,
        }))
    }

    pub fn reason(&self) -> Option<&str> {
        self.members.get("reason").and_then(Value::as_str)
    }

    /// The RFC 9457 document the client sees.
    pub fn problem(&self) -> Problem {
        let mut p = Problem::new(self.kind.problem_type(), self.detail.clone());
        for (name, value) in &self.members {
            p = p.with(name, value.clone());
        }
        p
    }
}

/// For logs of work that has no response (queues, cron): the detail, and
/// the cause of an internal error.
impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.detail)?;
        match &self.cause {
            Some(cause) => write!(f, " ({cause})"),
            None => Ok(()),
        }
    }
}

/// Failures of dependencies and encodings are internal errors. `Error`
/// itself is deliberately not a `std::error::Error`, which is what makes
/// this blanket conversion possible.
impl<E: std::error::Error> From<E> for Error {
    fn from(e: E) -> Error {
        Error::internal(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_maps_to_a_problem_type_and_back() {
        for t in ProblemType::ALL {
            let k = Kind::from_problem_type(*t);
            if !matches!(
                t,
                ProblemType::NotAcceptable
                    | ProblemType::MethodNotAllowed
                    | ProblemType::InvalidSignature
            ) {
                assert_eq!(k.problem_type(), *t, "{t:?}");
            }
        }
        assert_eq!(
            Kind::RequestSignature.problem_type(),
            ProblemType::InvalidSignature
        );
    }

    #[test]
    fn internal_errors_hide_their_cause() {
        let e: Error = "x".parse::<u8>().unwrap_err().into();
        assert_eq!(e.kind, Kind::Internal);
        let p = e.problem();
        assert_eq!(p.status, 500);
        assert!(!serde_json::to_string(&p).unwrap().contains("invalid digit"));
        assert!(e.to_string().contains("invalid digit"));
    }

    #[test]
    fn validation_lists_fields_and_refusals_carry_a_reason() {
        let p = Error::field("/did", "not a did:key").problem();
        assert_eq!(p.status, 422);
        assert_eq!(p.detail.as_deref(), Some("/did: not a did:key"));
        assert_eq!(p.extensions["errors"][0]["pointer"], "/did");
        let r = Error::refused("consent-revoked", "revoked");
        assert_eq!(r.reason(), Some("consent-revoked"));
        assert_eq!(r.problem().extensions["reason"], "consent-revoked");
    }

    #[test]
    fn relayed_problems_keep_kind_and_members() {
        let p = Problem::new(ProblemType::RateLimited, "pool full").with("x", 1);
        let e = Error::from_problem(p, Some(1));
        assert_eq!(e.kind, Kind::RateLimited);
        assert_eq!(e.retry_after, Some(1));
        assert_eq!(e.problem().extensions["x"], 1);
    }
}
