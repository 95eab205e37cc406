//! The platform's proof on the documents it signs here (the manifest and its
//! status): exactly one `eddsa-jcs-2022` `assertionMethod` proof, by a key of
//! the published key set ([`fairtrain_core::key_set`]), made while that key
//! was valid. The same rule as storage receipts (`fairtrain_core::receipt`,
//! which keeps its check private).

use fairtrain_core::consent::ASSERTION_METHOD;
use fairtrain_core::data_integrity::{self, DataIntegrityError, ProofOptions};
use fairtrain_core::did_key::DidKey;
use fairtrain_core::ed25519::SigningKey;
use fairtrain_core::key_set::PublishedKey;
use fairtrain_core::time::Timestamp;
use serde_json::Value;

use crate::credential::ManifestError;

fn malformed(what: impl Into<String>) -> ManifestError {
    ManifestError::Malformed(what.into())
}

/// Signs `unsigned` as `key`'s did:key, proof `created` = `now`.
pub(crate) fn sign(
    unsigned: &Value,
    key: &SigningKey,
    now: Timestamp,
) -> Result<Value, ManifestError> {
    let did = DidKey::from_public_key(key.public_key());
    data_integrity::sign(unsigned, ProofOptions::assertion(&did, now), key)
        .map_err(|e| malformed(e.to_string()))
}

/// Verifies `doc`'s single proof by one of `keys`, and that the key was valid
/// at the proof's `created`. Returns the key and that time.
pub(crate) fn verify<'k>(
    doc: &Value,
    keys: &'k [PublishedKey],
) -> Result<(&'k PublishedKey, Timestamp), ManifestError> {
    let proof = match doc.get("proof") {
        Some(Value::Object(p)) => p,
        Some(Value::Array(_)) => return Err(malformed("exactly one proof is allowed")),
        _ => return Err(malformed("proof is missing")),
    };
    let vm = proof
        .get("verificationMethod")
        .and_then(Value::as_str)
        .ok_or_else(|| malformed("proof.verificationMethod is missing"))?;
    let key = keys
        .iter()
        .find(|k| k.id == vm)
        .ok_or_else(|| ManifestError::UnknownKey(vm.to_owned()))?;
    let public = key
        .public_key()
        .map_err(|e| ManifestError::UnknownKey(format!("{vm}: {e}")))?;
    if proof.get("proofPurpose").and_then(Value::as_str) != Some(ASSERTION_METHOD) {
        return Err(malformed("proof.proofPurpose must be assertionMethod"));
    }
    let verified =
        data_integrity::verify(doc, |v| (v == vm).then_some(public)).map_err(|e| match e {
            DataIntegrityError::InvalidSignature(_) | DataIntegrityError::ContextMismatch => {
                ManifestError::BadSignature
            }
            DataIntegrityError::UnknownVerificationMethod(vm) => ManifestError::UnknownKey(vm),
            other => malformed(other.to_string()),
        })?;
    let created = verified
        .first()
        .created
        .ok_or_else(|| malformed("the proof has no `created` time"))?;
    let from = Timestamp::parse_rfc3339(&key.valid_from).ok();
    let until = match &key.valid_until {
        None => None,
        Some(t) => Some(
            Timestamp::parse_rfc3339(t).map_err(|_| ManifestError::KeyNotValid(key.kid.clone()))?,
        ),
    };
    if from.is_none_or(|f| created < f) || until.is_some_and(|u| created > u) {
        return Err(ManifestError::KeyNotValid(key.kid.clone()));
    }
    Ok((key, created))
}
