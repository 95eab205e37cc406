//! The platform's proof on the documents it signs (storage receipts, log
//! promises, manifests, manifest statuses): exactly one `eddsa-jcs-2022`
//! `assertionMethod` proof, by a key of the published key set
//! ([`crate::key_set`]), made while that key was valid. One rule, one place.

use serde_json::Value;

use crate::data_integrity::{self, ProofOptions};
use crate::did_key::DidKey;
use crate::ed25519::{PublicKey, SigningKey};
use crate::key_set::PublishedKey;
use crate::single_proof::{check_single_proof, ProofFailure};
use crate::time::Timestamp;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlatformProofError {
    #[error("{0}")]
    Malformed(String),
    #[error("signed by {0:?}, which is not one of the platform's published keys")]
    UnknownKey(String),
    #[error("the signature does not verify")]
    BadSignature,
    #[error("the signing key {0} was not valid when the document says it was signed")]
    KeyNotValid(String),
}

/// Signs `unsigned` as `key`'s did:key, proof `created` = `now`.
pub fn sign(
    unsigned: &Value,
    key: &SigningKey,
    now: Timestamp,
) -> Result<Value, PlatformProofError> {
    let did = DidKey::from_public_key(key.public_key());
    data_integrity::sign(unsigned, ProofOptions::assertion(&did, now), key)
        .map_err(|e| PlatformProofError::Malformed(e.to_string()))
}

/// Verifies `doc`'s single proof by one of `keys`, and that the key was valid
/// at the proof's `created`. Returns the key and that time.
pub fn verify<'k>(
    doc: &Value,
    keys: &'k [PublishedKey],
) -> Result<(&'k PublishedKey, Timestamp), PlatformProofError> {
    let resolve = |vm: &str| -> Option<PublicKey> {
        keys.iter()
            .find(|k| k.id == vm)
            .and_then(|k| k.public_key().ok())
    };
    let details =
        check_single_proof(doc, |vm| resolve(vm).is_some(), resolve).map_err(|f| match f {
            ProofFailure::WrongSigner => PlatformProofError::UnknownKey(
                doc.pointer("/proof/verificationMethod")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
            ),
            ProofFailure::BadSignature => PlatformProofError::BadSignature,
            ProofFailure::Malformed(m) => PlatformProofError::Malformed(m),
        })?;
    let key = keys
        .iter()
        .find(|k| k.id == details.verification_method)
        .ok_or_else(|| PlatformProofError::UnknownKey(details.verification_method.clone()))?;
    let created = details
        .created
        .ok_or_else(|| PlatformProofError::Malformed("the proof has no `created` time".into()))?;
    let from = Timestamp::parse_rfc3339(&key.valid_from).ok();
    let until = match &key.valid_until {
        None => None,
        Some(t) => Some(
            Timestamp::parse_rfc3339(t)
                .map_err(|_| PlatformProofError::KeyNotValid(key.kid.clone()))?,
        ),
    };
    if from.is_none_or(|f| created < f) || until.is_some_and(|u| created > u) {
        return Err(PlatformProofError::KeyNotValid(key.kid.clone()));
    }
    Ok((key, created))
}
