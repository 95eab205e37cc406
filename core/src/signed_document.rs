//! Documents the platform signs (manifests and their status, usage and
//! storage receipts, settlement and creator statements, passports, reports),
//! signed and verified one way, in one place:
//!
//! - the proof: exactly one `eddsa-jcs-2022` `assertionMethod` proof by a
//!   key of the published key set ([`crate::key_set`]), made while that key
//!   was valid ([`sign`], [`verify_proof`]);
//! - for the formats read strictly ([`Format`]): the typed fields pass their
//!   rules and rebuild the whole document exactly
//!   ([`crate::json_shape::unsigned_difference`]), so nothing unsigned,
//!   duplicated or spelt two ways rides along; what is signed is read back
//!   the same way; and the issuer a credential names is the signing key's
//!   did:key ([`sign_document`], [`verify_document`]).

use serde_json::Value;

use crate::data_integrity::{self, ProofOptions};
use crate::did_key::DidKey;
use crate::ed25519::{PublicKey, SigningKey};
use crate::json_shape::unsigned_difference;
use crate::key_set::PublishedKey;
use crate::single_proof::{check_single_proof, ProofFailure};
use crate::time::Timestamp;

/// Why a platform-signed document was refused. Each format maps it to its
/// own error type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignedDocumentError {
    #[error("{0}")]
    Malformed(String),
    #[error("signed by {0:?}, which is not one of the platform's published keys")]
    UnknownKey(String),
    #[error("the signature does not verify")]
    BadSignature,
    #[error("the signing key {0} was not valid when the document says it was signed")]
    KeyNotValid(String),
    #[error("the issuer is not the did:key of the key that signed")]
    IssuerMismatch,
}

/// Signs `unsigned` as `key`'s did:key, proof `created` = `now`.
pub fn sign(
    unsigned: &Value,
    key: &SigningKey,
    now: Timestamp,
) -> Result<Value, SignedDocumentError> {
    let did = DidKey::from_public_key(key.public_key());
    data_integrity::sign(unsigned, ProofOptions::assertion(&did, now), key)
        .map_err(|e| SignedDocumentError::Malformed(e.to_string()))
}

/// Verifies `doc`'s single proof by one of `keys`, and that the key was valid
/// at the proof's `created`. Returns the key and that time.
pub fn verify_proof<'k>(
    doc: &Value,
    keys: &'k [PublishedKey],
) -> Result<(&'k PublishedKey, Timestamp), SignedDocumentError> {
    let resolve = |vm: &str| -> Option<PublicKey> {
        keys.iter()
            .find(|k| k.id == vm)
            .and_then(|k| k.public_key().ok())
    };
    let details =
        check_single_proof(doc, |vm| resolve(vm).is_some(), resolve).map_err(|f| match f {
            ProofFailure::WrongSigner => SignedDocumentError::UnknownKey(
                doc.pointer("/proof/verificationMethod")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
            ),
            ProofFailure::BadSignature => SignedDocumentError::BadSignature,
            ProofFailure::Malformed(m) => SignedDocumentError::Malformed(m),
        })?;
    let key = keys
        .iter()
        .find(|k| k.id == details.verification_method)
        .ok_or_else(|| SignedDocumentError::UnknownKey(details.verification_method.clone()))?;
    let created = details
        .created
        .ok_or_else(|| SignedDocumentError::Malformed("the proof has no `created` time".into()))?;
    let from = Timestamp::parse_rfc3339(&key.valid_from).ok();
    let until = match &key.valid_until {
        None => None,
        Some(t) => Some(
            Timestamp::parse_rfc3339(t)
                .map_err(|_| SignedDocumentError::KeyNotValid(key.kid.clone()))?,
        ),
    };
    if from.is_none_or(|f| created < f) || until.is_some_and(|u| created > u) {
        return Err(SignedDocumentError::KeyNotValid(key.kid.clone()));
    }
    Ok((key, created))
}

/// A document format read strictly: what differs from one to the next. Each
/// format has one constant of its public `check` and `to_unsigned` and its
/// private `read`; `E` is its error type.
pub struct Format<D, I, E> {
    /// The field rules.
    pub check: fn(&D) -> Result<(), E>,
    /// The unsigned document, issued by the issuer.
    pub unsigned: fn(&D, &I) -> Value,
    /// The typed fields (not yet checked against their rules) and the
    /// issuer, read strictly from a document.
    pub read: fn(&Value) -> Result<(D, I), E>,
}

/// How a document names its signer: [`DidKey`] for the credentials (their
/// `issuer`), `()` for the statuses, which name no one.
pub trait Issuer {
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
/// issued as that key's did:key. The result passes the checks
/// [`verify_document`] applies to its shape.
pub fn sign_document<D, I: Issuer, E: From<SignedDocumentError>>(
    format: &Format<D, I, E>,
    fields: &D,
    key: &SigningKey,
    now: Timestamp,
) -> Result<Value, E> {
    (format.check)(fields)?;
    let signed = sign(&(format.unsigned)(fields, &I::of(key)), key, now)?;
    parse(format, &signed)?;
    Ok(signed)
}

/// A document that verified.
pub struct Verified<'k, D, I> {
    pub fields: D,
    pub issuer: I,
    pub signed_by: &'k PublishedKey,
    /// The proof's `created`.
    pub signed_at: Timestamp,
}

/// Verifies `doc` against the platform's published keys (from a key set
/// [`crate::key_set::verify`] accepted): its shape, its single proof by one
/// of `keys` valid when it signed, and that the issuer it names, if any, is
/// that key's did:key.
pub fn verify_document<'k, D, I: Issuer, E: From<SignedDocumentError>>(
    format: &Format<D, I, E>,
    doc: &Value,
    keys: &'k [PublishedKey],
) -> Result<Verified<'k, D, I>, E> {
    let (fields, issuer) = parse(format, doc)?;
    let (signed_by, signed_at) = verify_proof(doc, keys)?;
    if let Some(did) = issuer.did() {
        if signed_by.controller != did.to_string() {
            return Err(SignedDocumentError::IssuerMismatch.into());
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
fn parse<D, I, E: From<SignedDocumentError>>(
    format: &Format<D, I, E>,
    doc: &Value,
) -> Result<(D, I), E> {
    let (fields, issuer) = (format.read)(doc)?;
    (format.check)(&fields)?;
    match unsigned_difference(&(format.unsigned)(&fields, &issuer), doc) {
        None => Ok((fields, issuer)),
        Some(at) => Err(SignedDocumentError::Malformed(at).into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn t(text: &str) -> Timestamp {
        Timestamp::parse_rfc3339(text).unwrap()
    }

    fn platform() -> SigningKey {
        SigningKey::from_seed(&[5; 32])
    }

    fn keys(until: Option<&str>) -> Vec<PublishedKey> {
        vec![PublishedKey::describe(
            platform().public_key(),
            true,
            t("2026-01-01T00:00:00Z"),
            until.map(t),
        )]
    }

    /// A toy credential: `{"issuer": <did:key>, "n": <even number>}`.
    const NOTE: Format<u64, DidKey, SignedDocumentError> = Format {
        check: |n| match n % 2 {
            0 => Ok(()),
            _ => Err(SignedDocumentError::Malformed("n must be even".into())),
        },
        unsigned: |n, issuer| json!({ "issuer": issuer.to_string(), "n": n }),
        read: |doc| {
            let bad = || SignedDocumentError::Malformed("not a note".into());
            let n = doc.get("n").and_then(Value::as_u64).ok_or_else(bad)?;
            let issuer = doc.get("issuer").and_then(Value::as_str).ok_or_else(bad)?;
            Ok((n, DidKey::parse(issuer).map_err(|_| bad())?))
        },
    };

    #[test]
    fn sign_and_verify_a_format() {
        let now = t("2026-06-01T00:00:00Z");
        let doc = sign_document(&NOTE, &4, &platform(), now).unwrap();
        let published = keys(None);
        let v = verify_document(&NOTE, &doc, &published).unwrap();
        assert_eq!((v.fields, v.signed_at), (4, now));
        assert_eq!(v.signed_by, &published[0]);
        assert_eq!(verify_proof(&doc, &keys(None)).unwrap().1, now);
        // The field rules apply to signing and verifying.
        assert!(sign_document(&NOTE, &3, &platform(), now).is_err());
        // Anything the fields do not build is refused, unsigned or not.
        let mut extra = doc.clone();
        extra["x"] = json!(1);
        assert_eq!(
            verify_document(&NOTE, &extra, &keys(None)).err(),
            Some(SignedDocumentError::Malformed("/x is not allowed".into()))
        );
        let mut changed = doc.clone();
        changed["n"] = json!(6);
        assert_eq!(
            verify_document(&NOTE, &changed, &keys(None)).err(),
            Some(SignedDocumentError::BadSignature)
        );
    }

    #[test]
    fn the_key_must_be_published_valid_and_named() {
        let now = t("2026-06-01T00:00:00Z");
        let doc = sign_document(&NOTE, &4, &platform(), now).unwrap();
        assert_eq!(
            verify_proof(&doc, &keys(Some("2026-05-01T00:00:00Z"))).err(),
            Some(SignedDocumentError::KeyNotValid(
                platform().public_key().key_id()
            ))
        );
        let rogue = SigningKey::from_seed(&[6; 32]);
        let forged = sign_document(&NOTE, &4, &rogue, now).unwrap();
        assert!(matches!(
            verify_document(&NOTE, &forged, &keys(None)),
            Err(SignedDocumentError::UnknownKey(_))
        ));
        // Issued in another key's name, signed by the published key.
        let rogue_did = DidKey::from_public_key(rogue.public_key());
        let doc = sign(&(NOTE.unsigned)(&4, &rogue_did), &platform(), now).unwrap();
        assert_eq!(
            verify_document(&NOTE, &doc, &keys(None)).err(),
            Some(SignedDocumentError::IssuerMismatch)
        );
    }
}
