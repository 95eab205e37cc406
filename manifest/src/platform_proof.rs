//! The platform's proof on the manifest and its status: the rule lives in
//! [`fairtrain_core::platform_proof`] (shared with storage receipts); this
//! maps its errors to [`ManifestError`].

use fairtrain_core::ed25519::SigningKey;
use fairtrain_core::key_set::PublishedKey;
use fairtrain_core::platform_proof::{self, PlatformProofError};
use fairtrain_core::time::Timestamp;
use serde_json::Value;

use crate::credential::ManifestError;

fn manifest_error(e: PlatformProofError) -> ManifestError {
    match e {
        PlatformProofError::Malformed(m) => ManifestError::Malformed(m),
        PlatformProofError::UnknownKey(k) => ManifestError::UnknownKey(k),
        PlatformProofError::BadSignature => ManifestError::BadSignature,
        PlatformProofError::KeyNotValid(k) => ManifestError::KeyNotValid(k),
    }
}

/// Signs `unsigned` as `key`'s did:key, proof `created` = `now`.
pub(crate) fn sign(
    unsigned: &Value,
    key: &SigningKey,
    now: Timestamp,
) -> Result<Value, ManifestError> {
    platform_proof::sign(unsigned, key, now).map_err(manifest_error)
}

/// Verifies `doc`'s single proof by one of `keys`, and that the key was valid
/// at the proof's `created`. Returns the key and that time.
pub(crate) fn verify<'k>(
    doc: &Value,
    keys: &'k [PublishedKey],
) -> Result<(&'k PublishedKey, Timestamp), ManifestError> {
    platform_proof::verify(doc, keys).map_err(manifest_error)
}
