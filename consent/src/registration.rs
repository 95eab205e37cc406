//! Creator registration: proof that the registrant holds the did:key's
//! private key, by signing a server challenge.
//!
//! The signed message is the UTF-8 text
//! `"fairtrain creator registration\n" + did + "\n" + challenge`, and the
//! signature is sent as base64url (no padding). The fixed prefix keeps a
//! registration signature from ever being valid for anything else.

use fairtrain_core::did_key::DidKey;
use fairtrain_core::ed25519::{Signature, SigningKey};
use fairtrain_core::encoding::{base64url_decode, base64url_encode};

/// The domain-separation prefix of the signed message.
pub const REGISTRATION_PREFIX: &str = "fairtrain creator registration\n";
/// Longest challenge accepted (base64url characters).
pub const MAX_CHALLENGE_LEN: usize = 256;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistrationError {
    #[error("did must be an Ed25519 did:key: {0}")]
    BadDid(String),
    #[error("the challenge must be 1-{MAX_CHALLENGE_LEN} base64url characters")]
    BadChallenge,
    #[error("the signature must be a base64url Ed25519 signature (64 bytes)")]
    MalformedSignature,
    #[error("the signature does not verify for this did and challenge")]
    BadSignature,
}

fn is_base64url(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= MAX_CHALLENGE_LEN
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The exact text a registrant signs (as UTF-8 bytes).
pub fn challenge_message(did: &DidKey, challenge: &str) -> String {
    format!("{REGISTRATION_PREFIX}{did}\n{challenge}")
}

/// The registrant's side: base64url of the signature over the message for
/// `key`'s did:key and `challenge`.
pub fn sign_registration(key: &SigningKey, challenge: &str) -> Result<String, RegistrationError> {
    if !is_base64url(challenge) {
        return Err(RegistrationError::BadChallenge);
    }
    let did = DidKey::from_public_key(key.public_key());
    Ok(base64url_encode(
        &key.sign(challenge_message(&did, challenge).as_bytes())
            .to_bytes(),
    ))
}

/// The server's side: checks that `signature` is `did`'s signature over the
/// registration message for `challenge`, and returns the did. (Whether the
/// challenge was issued, unexpired and unused is the caller's to check.)
pub fn verify_registration(
    did: &str,
    challenge: &str,
    signature: &str,
) -> Result<DidKey, RegistrationError> {
    let parsed = DidKey::parse(did).map_err(|e| RegistrationError::BadDid(e.to_string()))?;
    if parsed.to_string() != did {
        return Err(RegistrationError::BadDid("not in canonical form".into()));
    }
    if !is_base64url(challenge) {
        return Err(RegistrationError::BadChallenge);
    }
    let bytes = base64url_decode(signature).map_err(|_| RegistrationError::MalformedSignature)?;
    let sig = Signature::from_slice(&bytes).map_err(|_| RegistrationError::MalformedSignature)?;
    parsed
        .public_key()
        .verify(challenge_message(&parsed, challenge).as_bytes(), &sig)
        .map_err(|_| RegistrationError::BadSignature)?;
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let key = SigningKey::from_seed(&[5; 32]);
        let did_key = DidKey::from_public_key(key.public_key());
        let did = did_key.to_string();
        assert_eq!(
            challenge_message(&did_key, "abc_-1"),
            format!("fairtrain creator registration\n{did}\nabc_-1")
        );
        let sig = sign_registration(&key, "abc_-1").unwrap();
        assert_eq!(
            verify_registration(&did, "abc_-1", &sig)
                .unwrap()
                .to_string(),
            did
        );
        assert_eq!(
            verify_registration(&did, "abc_-2", &sig),
            Err(RegistrationError::BadSignature)
        );
        let other = DidKey::from_public_key(SigningKey::from_seed(&[6; 32]).public_key());
        assert_eq!(
            verify_registration(&other.to_string(), "abc_-1", &sig),
            Err(RegistrationError::BadSignature)
        );
        assert_eq!(
            verify_registration(&did, "abc_-1", "AAAA"),
            Err(RegistrationError::MalformedSignature)
        );
        assert_eq!(
            verify_registration(&did, "a\nb", &sig),
            Err(RegistrationError::BadChallenge)
        );
        assert!(matches!(
            verify_registration("did:web:x", "abc", &sig),
            Err(RegistrationError::BadDid(_))
        ));
        assert_eq!(
            sign_registration(&key, ""),
            Err(RegistrationError::BadChallenge)
        );
    }
}
