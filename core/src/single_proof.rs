//! The single-proof rule every signed document here follows: exactly one
//! `eddsa-jcs-2022` proof, for `assertionMethod`, by the key the document
//! expects. Creator-signed documents expect their did:key
//! ([`check_did_key_proof`]); platform-signed ones a published key
//! ([`crate::signed_document`]).

use serde_json::Value;

use crate::data_integrity::{self, DataIntegrityError, ProofDetails};
use crate::did_key::DidKey;

/// The proof purpose every document in these signed formats uses.
pub const ASSERTION_METHOD: &str = "assertionMethod";

/// How the single-proof check failed; each document type maps it to its error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProofFailure {
    /// The proof is by another key than the one the document names.
    WrongSigner,
    /// The signature does not verify.
    BadSignature,
    Malformed(String),
}

/// Checks that `doc` carries exactly one `assertionMethod` proof, by the key
/// `resolve` returns for its verification method, and that `signer_ok`
/// accepts that verification method. Shared by every signed format here.
pub fn check_single_proof(
    doc: &Value,
    signer_ok: impl Fn(&str) -> bool,
    resolve: impl Fn(&str) -> Option<crate::ed25519::PublicKey>,
) -> Result<ProofDetails, ProofFailure> {
    let proof = match doc.get("proof") {
        Some(Value::Object(p)) => p,
        Some(Value::Array(_)) => {
            return Err(ProofFailure::Malformed(
                "exactly one proof is allowed, not a proof set".into(),
            ))
        }
        _ => return Err(ProofFailure::Malformed("proof is missing".into())),
    };
    let vm = proof
        .get("verificationMethod")
        .and_then(Value::as_str)
        .ok_or_else(|| ProofFailure::Malformed("proof.verificationMethod is missing".into()))?;
    if !signer_ok(vm) {
        return Err(ProofFailure::WrongSigner);
    }
    if proof.get("proofPurpose").and_then(Value::as_str) != Some(ASSERTION_METHOD) {
        return Err(ProofFailure::Malformed(
            "proof.proofPurpose must be assertionMethod".into(),
        ));
    }
    let verified = data_integrity::verify(doc, resolve).map_err(|e| match e {
        DataIntegrityError::InvalidSignature(_) | DataIntegrityError::ContextMismatch => {
            ProofFailure::BadSignature
        }
        DataIntegrityError::UnknownVerificationMethod(_) => ProofFailure::WrongSigner,
        other => ProofFailure::Malformed(other.to_string()),
    })?;
    Ok(verified.first().clone())
}

/// [`check_single_proof`] for a document signed by `signer`'s did:key.
pub fn check_did_key_proof(doc: &Value, signer: &DidKey) -> Result<ProofDetails, ProofFailure> {
    let vm = signer.verification_method();
    let key = signer.public_key();
    check_single_proof(doc, |v| v == vm, |v| (v == vm).then_some(key))
}
