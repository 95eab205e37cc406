//! The cryptographic half of verification (RFC 9421 §3.2 steps 7-9), without any policy: used by
//! [`crate::Policy::verify`] once the key and parameters are accepted, and directly by tests
//! against the RFC's vectors, whose key ids are not did:keys.

use fairtrain_core::ed25519::{PublicKey, Signature};

use crate::base::signature_base;
use crate::error::Error;
use crate::headers::MessageSignatures;
use crate::message::HttpRequest;
use crate::params::SignatureInput;

/// Checks `signature` over the base of `input` with `key`.
pub fn verify_input<R: HttpRequest + ?Sized>(
    request: &R,
    input: &SignatureInput,
    signature: &[u8],
    key: &PublicKey,
) -> Result<(), Error> {
    let base = signature_base(request, input)?;
    let sig = Signature::from_slice(signature).map_err(|_| Error::BadSignature)?;
    key.verify(base.as_bytes(), &sig)
        .map_err(|_| Error::BadSignature)
}

/// Verifies the signature labelled `label` with a key known out of band, enforcing nothing
/// about its parameters. Returns its metadata for the caller to judge.
pub fn verify_with_key<R: HttpRequest + ?Sized>(
    request: &R,
    label: &str,
    key: &PublicKey,
) -> Result<SignatureInput, Error> {
    let (input, signature) = MessageSignatures::from_request(request)?.get(label)?;
    verify_input(request, &input, &signature, key)?;
    Ok(input)
}
