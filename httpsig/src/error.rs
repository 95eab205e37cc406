//! One error type with a variant per failure the Worker reports differently.
//! `code()` gives a stable slug for problem+json `type`/`title` mapping, so the Worker never
//! matches on message text.

use crate::sf::SfError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A header the request must carry is absent (or empty): `Signature`, `Signature-Input`,
    /// or `Content-Digest` for the digest check.
    #[error("missing {0} header")]
    MissingHeader(&'static str),

    /// No signature with the requested label, a label present in only one of the two headers,
    /// or several candidate signatures and no label to choose between them.
    #[error("signature label: {0}")]
    SignatureNotFound(String),

    /// A header or parameter that does not parse, or has the wrong structured-field type.
    #[error("malformed {what}: {reason}")]
    Malformed { what: &'static str, reason: String },

    /// A signature parameter the policy requires (`created`, `expires`, `nonce`, `keyid`, `tag`)
    /// is absent.
    #[error("missing signature parameter `{0}`")]
    MissingParameter(&'static str),

    #[error("unsupported signature algorithm `{0}` (only ed25519)")]
    UnsupportedAlgorithm(String),

    /// `keyid` is not a did:key this crate can resolve to an Ed25519 public key.
    #[error("bad keyid: {0}")]
    BadKeyId(String),

    #[error("signature expired at {expires} (now {now})")]
    Expired { expires: i64, now: i64 },

    #[error("signature created at {created}, in the future (now {now})")]
    NotYetValid { created: i64, now: i64 },

    #[error("signature valid for {lifetime} s, more than the {max} s allowed")]
    TooLongLived { lifetime: i64, max: i64 },

    /// The `tag` parameter differs from the one the application requires.
    #[error("signature tag {found:?} is not the expected {expected:?}")]
    WrongTag {
        expected: String,
        found: Option<String>,
    },

    /// The policy requires a component that the signature does not cover.
    #[error("signature does not cover required component {0}")]
    MissingRequiredComponent(String),

    /// A component identifier that is listed twice (RFC 9421 §2.5 step 2.0).
    #[error("component {0} is covered more than once")]
    DuplicateComponent(String),

    /// A derived component or component parameter this implementation does not know
    /// (RFC 9421 §2.5: unknown means error, never "skip").
    #[error("unsupported component {0}")]
    UnsupportedComponent(String),

    /// A covered component whose value the message does not have: an absent header field,
    /// an absent or repeated query parameter, a value that cannot go into a signature base.
    #[error("component {component} cannot be derived: {reason}")]
    ComponentUnavailable { component: String, reason: String },

    /// The request's target URI cannot be used (not absolute http(s), non-ASCII, userinfo).
    #[error("invalid target URI: {0}")]
    InvalidTargetUri(String),

    /// The cryptographic check failed (or the signature is not 64 bytes).
    #[error("signature does not verify")]
    BadSignature,

    /// Content-Digest does not match the body, or carries no sha-256 to compare.
    #[error("content digest mismatch: {0}")]
    DigestMismatch(String),

    /// A value given to the signer cannot be serialised (bad label, control characters, ...).
    #[error("invalid signing input: {0}")]
    InvalidInput(String),
}

impl Error {
    /// A stable, lowercase slug per variant, for problem+json mapping and logs.
    pub fn code(&self) -> &'static str {
        match self {
            Error::MissingHeader(_) => "missing-header",
            Error::SignatureNotFound(_) => "signature-not-found",
            Error::Malformed { .. } => "malformed",
            Error::MissingParameter(_) => "missing-parameter",
            Error::UnsupportedAlgorithm(_) => "unsupported-algorithm",
            Error::BadKeyId(_) => "bad-keyid",
            Error::Expired { .. } => "expired",
            Error::NotYetValid { .. } => "not-yet-valid",
            Error::TooLongLived { .. } => "too-long-lived",
            Error::WrongTag { .. } => "wrong-tag",
            Error::MissingRequiredComponent(_) => "missing-required-component",
            Error::DuplicateComponent(_) => "duplicate-component",
            Error::UnsupportedComponent(_) => "unsupported-component",
            Error::ComponentUnavailable { .. } => "component-unavailable",
            Error::InvalidTargetUri(_) => "invalid-target-uri",
            Error::BadSignature => "bad-signature",
            Error::DigestMismatch(_) => "digest-mismatch",
            Error::InvalidInput(_) => "invalid-input",
        }
    }

    pub(crate) fn malformed(what: &'static str, e: SfError) -> Self {
        Error::Malformed {
            what,
            reason: e.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct() {
        let s = String::new;
        let all = [
            Error::MissingHeader("Signature"),
            Error::SignatureNotFound(s()),
            Error::Malformed {
                what: "x",
                reason: s(),
            },
            Error::MissingParameter("nonce"),
            Error::UnsupportedAlgorithm(s()),
            Error::BadKeyId(s()),
            Error::Expired { expires: 0, now: 0 },
            Error::NotYetValid { created: 0, now: 0 },
            Error::TooLongLived {
                lifetime: 0,
                max: 0,
            },
            Error::WrongTag {
                expected: s(),
                found: None,
            },
            Error::MissingRequiredComponent(s()),
            Error::DuplicateComponent(s()),
            Error::UnsupportedComponent(s()),
            Error::ComponentUnavailable {
                component: s(),
                reason: s(),
            },
            Error::InvalidTargetUri(s()),
            Error::BadSignature,
            Error::DigestMismatch(s()),
            Error::InvalidInput(s()),
        ];
        let mut codes: Vec<_> = all.iter().map(Error::code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
    }
}
