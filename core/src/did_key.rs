//! `did:key` for Ed25519 (W3C CCG did:key method): the creator identities.
//!
//! `did:key:z<base58btc(0xed 0x01 || 32-byte public key)>`. The same
//! multibase string is the verification method's fragment and its
//! `publicKeyMultibase` (a Multikey), so the DID is self-resolving: no
//! registry, no network.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::ed25519::{KeyError, PublicKey, SigningKey};
use crate::encoding::{
    multibase_decode, multibase_encode, multicodec_decode, multicodec_encode, EncodingError,
    MULTICODEC_ED25519_PRIV, MULTICODEC_ED25519_PUB,
};

const DID_KEY_PREFIX: &str = "did:key:";

/// Why a string is not an acceptable Ed25519 `did:key` (or key encoding).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DidError {
    #[error("not a did:key (must start with \"did:key:\")")]
    NotDidKey,
    #[error("did:key identifier is not valid multibase base58btc: {0}")]
    Multibase(#[from] EncodingError),
    #[error("unsupported key type: multicodec 0x{0:x} (only Ed25519, 0xed, is supported)")]
    UnsupportedCodec(u64),
    #[error("Ed25519 key must be 32 bytes, found {0}")]
    WrongLength(usize),
    #[error("invalid Ed25519 key: {0}")]
    InvalidKey(#[from] KeyError),
    #[error("unexpected characters after the did:key identifier (DID URLs are not DIDs)")]
    TrailingCharacters,
    #[error("verification method must be did:key:<id>#<id>")]
    BadVerificationMethod,
}

/// An Ed25519 `did:key`. Display gives the DID string.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct DidKey {
    key: PublicKey,
}

impl DidKey {
    pub fn from_public_key(key: PublicKey) -> Self {
        DidKey { key }
    }

    /// Parses `did:key:z6Mk...`. Only Ed25519 keys are accepted; the key must
    /// be a valid, non-weak point (see [`PublicKey::from_bytes`]).
    pub fn parse(did: &str) -> Result<DidKey, DidError> {
        let id = did
            .strip_prefix(DID_KEY_PREFIX)
            .ok_or(DidError::NotDidKey)?;
        if id.contains(['#', '?', '/', ':']) {
            return Err(DidError::TrailingCharacters);
        }
        Self::from_public_key_multibase(id)
    }

    /// Reads a Multikey `publicKeyMultibase` value (`z6Mk...`).
    pub fn from_public_key_multibase(multibase: &str) -> Result<DidKey, DidError> {
        let bytes = multibase_decode(multibase)?;
        let (codec, raw) = multicodec_decode(&bytes)?;
        if codec != MULTICODEC_ED25519_PUB {
            return Err(DidError::UnsupportedCodec(codec));
        }
        let key = PublicKey::from_slice(raw).map_err(|e| match e {
            KeyError::WrongLength { found, .. } => DidError::WrongLength(found),
            other => DidError::InvalidKey(other),
        })?;
        Ok(DidKey { key })
    }

    pub fn public_key(&self) -> PublicKey {
        self.key
    }

    /// The Multikey form of the key: `z` + base58btc(0xed 0x01 || key).
    pub fn public_key_multibase(&self) -> String {
        multibase_encode(&multicodec_encode(
            MULTICODEC_ED25519_PUB,
            &self.key.to_bytes(),
        ))
    }

    /// The verification method id: `did:key:<mb>#<mb>`.
    pub fn verification_method(&self) -> String {
        let mb = self.public_key_multibase();
        format!("{DID_KEY_PREFIX}{mb}#{mb}")
    }
}

impl fmt::Display for DidKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{DID_KEY_PREFIX}{}", self.public_key_multibase())
    }
}

impl fmt::Debug for DidKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DidKey({self})")
    }
}

impl From<PublicKey> for DidKey {
    fn from(key: PublicKey) -> Self {
        DidKey::from_public_key(key)
    }
}

impl FromStr for DidKey {
    type Err = DidError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DidKey::parse(s)
    }
}

impl Serialize for DidKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for DidKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        DidKey::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Resolves an Ed25519 did:key verification method (`did:key:<mb>#<mb>`) to
/// its public key. The fragment must repeat the identifier, as the did:key
/// DID document defines it; anything else does not exist in that document.
/// Fits [`crate::data_integrity::verify`]: `|vm| resolve_verification_method(vm).ok()`.
pub fn resolve_verification_method(vm: &str) -> Result<PublicKey, DidError> {
    let (did, fragment) = vm.split_once('#').ok_or(DidError::BadVerificationMethod)?;
    let parsed = DidKey::parse(did)?;
    let id = did.strip_prefix(DID_KEY_PREFIX).unwrap_or_default();
    if fragment != id {
        return Err(DidError::BadVerificationMethod);
    }
    Ok(parsed.public_key())
}

/// A Multikey `secretKeyMultibase` / `privateKeyMultibase`:
/// `z` + base58btc(0x80 0x26 || 32-byte seed) (multicodec `ed25519-priv`).
pub fn encode_private_key_multibase(key: &SigningKey) -> String {
    let mut prefixed = multicodec_encode(MULTICODEC_ED25519_PRIV, &key.seed());
    let text = multibase_encode(&prefixed);
    prefixed.fill(0);
    text
}

/// Reads an `ed25519-priv` multibase key (the form the Data Integrity test
/// vectors publish their key pair in).
pub fn decode_private_key_multibase(multibase: &str) -> Result<SigningKey, DidError> {
    let mut bytes = multibase_decode(multibase)?;
    let result = (|| {
        let (codec, raw) = multicodec_decode(&bytes)?;
        if codec != MULTICODEC_ED25519_PRIV {
            return Err(DidError::UnsupportedCodec(codec));
        }
        let seed: &[u8; 32] = raw
            .try_into()
            .map_err(|_| DidError::WrongLength(raw.len()))?;
        Ok(SigningKey::from_seed(seed))
    })();
    bytes.fill(0);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC_EXAMPLE: &str = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";

    #[test]
    fn spec_example_round_trips() {
        let did = DidKey::parse(SPEC_EXAMPLE).unwrap();
        assert_eq!(did.to_string(), SPEC_EXAMPLE);
        assert_eq!(
            did.verification_method(),
            format!("{SPEC_EXAMPLE}#z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK")
        );
        assert_eq!(
            did.public_key_multibase(),
            "z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
        );
        assert_eq!(DidKey::from_public_key(did.public_key()), did);
        assert_eq!(SPEC_EXAMPLE.parse::<DidKey>(), Ok(did));
        let json = serde_json::to_string(&did).unwrap();
        assert_eq!(json, format!("\"{SPEC_EXAMPLE}\""));
        assert_eq!(serde_json::from_str::<DidKey>(&json).unwrap(), did);
    }

    #[test]
    fn zero_seed_is_the_spec_key() {
        // did:key spec test vector: seed 00..00.
        let key = SigningKey::from_seed(&[0; 32]);
        assert_eq!(
            DidKey::from_public_key(key.public_key()).to_string(),
            "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp"
        );
    }

    #[test]
    fn rejections() {
        let id = "z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";
        assert_eq!(DidKey::parse(id), Err(DidError::NotDidKey));
        assert_eq!(
            DidKey::parse(&format!("did:web:{id}")),
            Err(DidError::NotDidKey)
        );
        assert_eq!(
            DidKey::parse(&format!("did:key:{id}#{id}")),
            Err(DidError::TrailingCharacters)
        );
        assert!(matches!(
            DidKey::parse("did:key:"),
            Err(DidError::Multibase(EncodingError::EmptyMultibase))
        ));
        assert!(matches!(
            DidKey::parse("did:key:f6MkhaXg"),
            Err(DidError::Multibase(EncodingError::UnsupportedMultibase(
                'f'
            )))
        ));
        assert!(matches!(
            DidKey::parse("did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2do0"),
            Err(DidError::Multibase(EncodingError::Base58(_)))
        ));
        // X25519 key-agreement key (multicodec 0xec) from the spec.
        assert_eq!(
            DidKey::parse("did:key:z6LSj72tK8brWgZja8NLRwPigth2T9QRiG1uH9oKZuKjdh9p"),
            Err(DidError::UnsupportedCodec(0xec))
        );
        // Right codec, wrong length.
        let short = multibase_encode(&multicodec_encode(MULTICODEC_ED25519_PUB, &[9; 31]));
        assert_eq!(
            DidKey::parse(&format!("did:key:{short}")),
            Err(DidError::WrongLength(31))
        );
        // Right codec and length, weak key (the identity point).
        let mut identity = [0u8; 32];
        identity[0] = 1;
        let weak = multibase_encode(&multicodec_encode(MULTICODEC_ED25519_PUB, &identity));
        assert_eq!(
            DidKey::parse(&format!("did:key:{weak}")),
            Err(DidError::InvalidKey(KeyError::WeakKey))
        );
    }

    #[test]
    fn verification_method_resolution() {
        let did = DidKey::parse(SPEC_EXAMPLE).unwrap();
        assert_eq!(
            resolve_verification_method(&did.verification_method()),
            Ok(did.public_key())
        );
        assert_eq!(
            resolve_verification_method(SPEC_EXAMPLE),
            Err(DidError::BadVerificationMethod)
        );
        assert_eq!(
            resolve_verification_method(&format!("{SPEC_EXAMPLE}#key-1")),
            Err(DidError::BadVerificationMethod)
        );
        let other = DidKey::from_public_key(SigningKey::from_seed(&[1; 32]).public_key());
        assert_eq!(
            resolve_verification_method(&format!(
                "{SPEC_EXAMPLE}#{}",
                other.public_key_multibase()
            )),
            Err(DidError::BadVerificationMethod)
        );
    }

    #[test]
    fn private_key_multibase_round_trip() {
        let key = SigningKey::from_seed(&[42; 32]);
        let text = encode_private_key_multibase(&key);
        assert!(text.starts_with("z3u2"));
        assert_eq!(
            decode_private_key_multibase(&text).unwrap().seed(),
            [42; 32]
        );
        let public = DidKey::from_public_key(key.public_key()).public_key_multibase();
        assert_eq!(
            decode_private_key_multibase(&public).err(),
            Some(DidError::UnsupportedCodec(MULTICODEC_ED25519_PUB))
        );
    }
}
