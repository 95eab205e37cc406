//! Reading the W3C VC 2.0 envelope of the settlement credentials (built and
//! read as [`fairtrain_core::json_shape`] has it) into the typed values
//! here, with this crate's errors. Signing and verifying, and the strict
//! rebuild check, are [`fairtrain_core::signed_document`]'s.

use fairtrain_core::did_key::DidKey;
use fairtrain_core::json_shape::Credential;
use fairtrain_core::time::Timestamp;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{malformed, SettlementError};
use crate::text::time;

/// What the envelope carries besides the subject.
pub(crate) struct Parsed<S> {
    pub id: String,
    pub issuer: DidKey,
    pub valid_from: Timestamp,
    pub subject: S,
}

/// Reads a credential's envelope ([`fairtrain_core::json_shape::credential`])
/// and its subject's typed shape, strictly, for a credential's
/// [`fairtrain_core::signed_document::Format::read`].
pub(crate) fn read_credential<S: DeserializeOwned>(
    doc: &Value,
    what: &str,
) -> Result<Parsed<S>, SettlementError> {
    if !doc.is_object() {
        return Err(malformed(format!("a {what} must be a JSON object")));
    }
    let raw: Credential<S> =
        serde_json::from_value(doc.clone()).map_err(|e| malformed(format!("{what}: {e}")))?;
    let issuer = DidKey::parse(&raw.issuer).map_err(|e| malformed(format!("issuer: {e}")))?;
    Ok(Parsed {
        id: raw.id,
        issuer,
        valid_from: time("validFrom", &raw.valid_from)?,
        subject: raw.subject,
    })
}
