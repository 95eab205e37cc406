//! RFC 9457 problem details: one registry of problem types for the whole system.
//!
//! Every failure the API can answer with is listed here once, with a stable
//! slug, HTTP status and title. The Worker renders them; the CLI and tests read
//! them back. The `type` member is the relative URI `/problems/<slug>`, which
//! the Worker also serves as documentation, so it is stable across deployments
//! and dereferenceable on any of them.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The media type of a problem document (RFC 9457 §3).
pub const PROBLEM_JSON: &str = "application/problem+json";

macro_rules! problem_types {
    ($($variant:ident => ($slug:literal, $status:literal, $title:literal, $doc:literal),)*) => {
        /// Every problem type the API can produce.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ProblemType { $(#[doc = $doc] $variant,)* }

        impl ProblemType {
            /// All problem types, for documentation and the OpenAPI document.
            pub const ALL: &'static [ProblemType] = &[$(ProblemType::$variant,)*];

            pub fn slug(self) -> &'static str { match self { $(ProblemType::$variant => $slug,)* } }
            pub fn status(self) -> u16 { match self { $(ProblemType::$variant => $status,)* } }
            pub fn title(self) -> &'static str { match self { $(ProblemType::$variant => $title,)* } }
            /// What the problem means and what the client can do about it.
            pub fn description(self) -> &'static str { match self { $(ProblemType::$variant => $doc,)* } }
        }
    };
}

problem_types! {
    NotFound => ("not-found", 404, "Not found",
        "No resource exists at this URL. Check the path against GET /openapi.json."),
    MethodNotAllowed => ("method-not-allowed", 405, "Method not allowed",
        "The resource exists but does not accept this HTTP method; the Allow header lists the ones it does."),
    NotAcceptable => ("not-acceptable", 406, "Not acceptable",
        "The Accept header asks for a representation this resource cannot produce."),
    UnsupportedMediaType => ("unsupported-media-type", 415, "Unsupported media type",
        "The request body must be sent with the Content-Type the endpoint documents (usually application/json)."),
    PayloadTooLarge => ("payload-too-large", 413, "Payload too large",
        "The request body is larger than this endpoint accepts; the `limit` member says how many bytes it takes."),
    MalformedBody => ("malformed-body", 400, "Malformed request body",
        "The request body could not be parsed (for JSON: not valid UTF-8 JSON, or not of the documented shape)."),
    ValidationFailed => ("validation-failed", 422, "Validation failed",
        "The request was well-formed but a value in it is not acceptable; `errors` lists each field and why."),
    BadRequest => ("bad-request", 400, "Bad request",
        "A query parameter, header or path segment is malformed."),
    Unauthenticated => ("unauthenticated", 401, "Authentication required",
        "The request carries no valid credentials: an API key or operator token as `Authorization: Bearer`, or an HTTP Message Signature by a did:key."),
    InvalidSignature => ("invalid-signature", 401, "Invalid request signature",
        "The HTTP Message Signature (RFC 9421) on the request is missing a required part, expired, replayed or does not verify."),
    WebhookSignature => ("webhook-signature", 401, "Invalid webhook signature",
        "The inbound webhook's Standard Webhooks headers (webhook-id, webhook-timestamp, webhook-signature) or Stripe-Signature are missing, more than 5 minutes from the server's clock, or match none of the integration's secrets; `reason` says which. Nothing was applied."),
    DigestMismatch => ("digest-mismatch", 422, "Digest mismatch",
        "The SHA-256 of the body the server received differs from the one the client declared (Content-Digest, Repr-Digest or a signed envelope); `computed_digest` is what arrived. Nothing was stored."),
    Forbidden => ("forbidden", 403, "Forbidden",
        "The credentials are valid but their role or scopes do not allow this operation."),
    Gone => ("gone", 410, "Gone",
        "The resource existed but is no longer available, e.g. an asset whose creator revoked consent; `reason` says why."),
    Conflict => ("conflict", 409, "Conflict",
        "The request conflicts with the current state of the resource."),
    RateLimited => ("rate-limited", 429, "Too many requests",
        "Slow down and retry after the number of seconds in the Retry-After header."),
    Internal => ("internal", 500, "Internal error",
        "The server failed while handling the request. Nothing was changed unless the response says otherwise; retrying is safe. The `request_id` member identifies the failure in the server's logs."),
    Unavailable => ("unavailable", 503, "Service unavailable",
        "A dependency of this endpoint is not configured or not reachable; retry later."),
}

impl ProblemType {
    /// The RFC 9457 `type` member: a relative URI, served by the API itself.
    pub fn type_uri(self) -> String {
        format!("/problems/{}", self.slug())
    }

    pub fn from_slug(slug: &str) -> Option<ProblemType> {
        Self::ALL.iter().copied().find(|p| p.slug() == slug)
    }

    /// The problem type named by a `type` member, if it is one of ours.
    pub fn from_type_uri(uri: &str) -> Option<ProblemType> {
        uri.rsplit_once("/problems/")
            .and_then(|(_, slug)| Self::from_slug(slug))
    }
}

/// A problem details document (RFC 9457 §3.1) with extension members.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub type_uri: String,
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub detail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub instance: Option<String>,
    /// Extension members (RFC 9457 §3.2), e.g. `errors`, `limit`, `computed_digest`.
    #[serde(flatten)]
    pub extensions: Map<String, Value>,
}

impl Problem {
    pub fn new(kind: ProblemType, detail: impl Into<String>) -> Problem {
        Problem {
            type_uri: kind.type_uri(),
            title: kind.title().to_string(),
            status: kind.status(),
            detail: Some(detail.into()),
            instance: None,
            extensions: Map::new(),
        }
    }

    /// Add an extension member; reserved member names are left alone.
    pub fn with(mut self, name: &str, value: impl Into<Value>) -> Problem {
        if !matches!(name, "type" | "title" | "status" | "detail" | "instance") {
            self.extensions.insert(name.to_string(), value.into());
        }
        self
    }

    pub fn kind(&self) -> Option<ProblemType> {
        ProblemType::from_type_uri(&self.type_uri)
    }
}

/// One field-level complaint inside a `validation-failed` problem's `errors`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// A JSON Pointer (RFC 6901) to the offending value, e.g. `/expires_at`.
    pub pointer: String,
    pub detail: String,
}

impl FieldError {
    pub fn new(pointer: impl Into<String>, detail: impl Into<String>) -> FieldError {
        FieldError {
            pointer: pointer.into(),
            detail: detail.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_unique_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for p in ProblemType::ALL {
            assert!(seen.insert(p.slug()), "duplicate slug {}", p.slug());
            assert_eq!(ProblemType::from_type_uri(&p.type_uri()), Some(*p));
            assert!((400..600).contains(&p.status()));
        }
    }

    #[test]
    fn serialises_per_rfc9457_with_extensions() {
        let p = Problem::new(ProblemType::PayloadTooLarge, "too big")
            .with("limit", 10)
            .with("status", 1);
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(v["type"], "/problems/payload-too-large");
        assert_eq!(v["status"], 413);
        assert_eq!(v["limit"], 10);
        assert!(v.get("instance").is_none());
        let back: Problem = serde_json::from_value(v).unwrap();
        assert_eq!(back.kind(), Some(ProblemType::PayloadTooLarge));
        assert_eq!(
            back.status, 413,
            "a reserved name cannot be overwritten by an extension"
        );
    }
}
