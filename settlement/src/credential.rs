//! What every document here shares, so that each document module keeps only
//! what is its own (its fields, their rules, how they build the document and
//! how they are read back: its [`Format`]):
//!
//! - signing and verifying with the platform's key: the rule is
//!   [`fairtrain_core::platform_proof`]'s (one `eddsa-jcs-2022` assertion
//!   proof by a published key valid when it signed), plus the issuer check
//!   of the credentials;
//! - the strict read: the typed fields must pass their rules and rebuild the
//!   whole document exactly ([`fairtrain_core::json_shape`]), so nothing
//!   unsigned, duplicated or spelt two ways rides along; what is signed is
//!   read back the same way, so it passes verification's shape checks;
//! - reading the W3C VC 2.0 envelope of the credentials (built and read as
//!   [`fairtrain_core::json_shape`] has it) into the typed values here.

use fairtrain_core::did_key::DidKey;
use fairtrain_core::ed25519::SigningKey;
use fairtrain_core::json_shape::{unsigned_difference, Credential};
use fairtrain_core::key_set::PublishedKey;
use fairtrain_core::platform_proof;
use fairtrain_core::time::Timestamp;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{malformed, SettlementError};
use crate::text::time;

/// A document the platform signs: what differs from one to the next. Each
/// document module has one, `FORMAT`, of its public `check` and
/// `to_unsigned` and its private `read`.
pub(crate) struct Format<D, I> {
    /// The field rules.
    pub check: fn(&D) -> Result<(), SettlementError>,
    /// The unsigned document, issued by the issuer.
    pub unsigned: fn(&D, &I) -> Value,
    /// The typed fields (not yet checked against their rules) and the
    /// issuer, read strictly from a document.
    pub read: fn(&Value) -> Result<(D, I), SettlementError>,
}

/// How a document names its signer: [`DidKey`] for the credentials (their
/// `issuer`), `()` for the statuses, which name no one.
pub(crate) trait Issuer {
    /// What a document signed by `key` names.
    fn of(key: &SigningKey) -> Self;
    /// The did:key the signing key must have, if the document names one.
    fn did(&self) -> Option<&DidKey>;
}

impl Issuer for DidKey {
    fn of(key: &SigningKey) -> Self {
        DidKey::from_public_key(key.public_key())
    }

    fn did(&self) -> Option<&DidKey> {
        Some(self)
    }
}

impl Issuer for () {
    fn of(_: &SigningKey) -> Self {}

    fn did(&self) -> Option<&DidKey> {
        None
    }
}

/// Signs `fields` with the platform's active key (proof `created` = `now`),
/// issued as that key's did:key. The result passes the checks [`verify`]
/// applies to its shape.
pub(crate) fn sign<D, I: Issuer>(
    format: &Format<D, I>,
    fields: &D,
    key: &SigningKey,
    now: Timestamp,
) -> Result<Value, SettlementError> {
    (format.check)(fields)?;
    let signed = platform_proof::sign(&(format.unsigned)(fields, &I::of(key)), key, now)?;
    parse(format, &signed)?;
    Ok(signed)
}

/// A document that verified.
pub(crate) struct Verified<'k, D, I> {
    pub fields: D,
    pub issuer: I,
    pub signed_by: &'k PublishedKey,
    /// The proof's `created`.
    pub signed_at: Timestamp,
}

/// Verifies `doc` against the platform's published keys (from a key set
/// [`fairtrain_core::key_set::verify`] accepted): its shape, its single proof
/// by one of `keys` valid when it signed, and that the issuer it names, if
/// any, is that key's did:key.
pub(crate) fn verify<'k, D, I: Issuer>(
    format: &Format<D, I>,
    doc: &Value,
    keys: &'k [PublishedKey],
) -> Result<Verified<'k, D, I>, SettlementError> {
    let (fields, issuer) = parse(format, doc)?;
    let (signed_by, signed_at) = platform_proof::verify(doc, keys)?;
    if let Some(did) = issuer.did() {
        if signed_by.controller != did.to_string() {
            return Err(SettlementError::IssuerMismatch);
        }
    }
    Ok(Verified {
        fields,
        issuer,
        signed_by,
        signed_at,
    })
}

/// Everything but the signature: the typed fields and the issuer; the fields
/// pass their rules, and the document is exactly what they build.
fn parse<D, I>(format: &Format<D, I>, doc: &Value) -> Result<(D, I), SettlementError> {
    let (fields, issuer) = (format.read)(doc)?;
    (format.check)(&fields)?;
    match unsigned_difference(&(format.unsigned)(&fields, &issuer), doc) {
        None => Ok((fields, issuer)),
        Some(at) => Err(malformed(at)),
    }
}

/// What the envelope carries besides the subject.
pub(crate) struct Parsed<S> {
    pub id: String,
    pub issuer: DidKey,
    pub valid_from: Timestamp,
    pub subject: S,
}

/// Reads a credential's envelope ([`fairtrain_core::json_shape::credential`])
/// and its subject's typed shape, strictly, for a credential's
/// [`Format::read`].
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
