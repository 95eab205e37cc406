//! Why a settlement computation or document was refused. One error type for
//! the crate: the Worker maps each variant to one problem detail (RFC 9457).

use fairtrain_core::money::MoneyError;
use fairtrain_core::signed_document::SignedDocumentError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettlementError {
    /// A field breaks its rule, or the document is not exactly what its typed
    /// fields build.
    #[error("malformed: {0}")]
    Malformed(String),
    #[error("signed by {0:?}, which is not one of the platform's published keys")]
    UnknownKey(String),
    #[error("the signature does not verify")]
    BadSignature,
    #[error("the signing key {0} was not valid when the document says it was signed")]
    KeyNotValid(String),
    #[error("the issuer is not the did:key of the key that signed")]
    IssuerMismatch,
    /// Amounts or counts do not add up (an invariant of the arithmetic).
    #[error("amounts do not add up: {0}")]
    Arithmetic(String),
    #[error("amount out of range")]
    Overflow,
    /// Two ledger lines with the same [`crate::line::LineKey`]: paying both
    /// would pay one share twice.
    #[error("ledger line {0} is listed twice")]
    DuplicateLine(String),
    /// A line's inclusion proof does not lead to the usage root.
    #[error("line {index} is not in the usage tree")]
    NotIncluded { index: u64 },
    /// A creator statement lists a line (or payout) of another creator.
    #[error("line {index} belongs to another creator")]
    ForeignLine { index: u64 },
    /// A creator statement, a set of lines or the next settlement disagrees
    /// with the settlement statement it refers to.
    #[error("does not match the settlement statement: {0}")]
    StatementMismatch(String),
    /// A non-zero pool with no usage to share it by: refused rather than lost.
    #[error("a pool of {0} atto-units cannot be allocated: every weight is zero")]
    NothingToAllocate(String),
}

pub(crate) fn malformed(what: impl Into<String>) -> SettlementError {
    SettlementError::Malformed(what.into())
}

impl From<MoneyError> for SettlementError {
    fn from(e: MoneyError) -> Self {
        match e {
            MoneyError::Overflow => SettlementError::Overflow,
            other => malformed(other.to_string()),
        }
    }
}

impl From<SignedDocumentError> for SettlementError {
    fn from(e: SignedDocumentError) -> Self {
        match e {
            SignedDocumentError::Malformed(m) => SettlementError::Malformed(m),
            SignedDocumentError::UnknownKey(k) => SettlementError::UnknownKey(k),
            SignedDocumentError::BadSignature => SettlementError::BadSignature,
            SignedDocumentError::KeyNotValid(k) => SettlementError::KeyNotValid(k),
            SignedDocumentError::IssuerMismatch => SettlementError::IssuerMismatch,
        }
    }
}
