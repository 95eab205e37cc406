//! Ed25519 (RFC 8032) for fairtrain: a thin wrapper over `ed25519-dalek` 2.x
//! so that the Worker and the CLI share one implementation (dalek measured
//! 3-6x faster than ed25519-compact in wasm) and the rest of the code never
//! sees the library's types.
//!
//! Verification is strict (`verify_strict`): small-order keys and `R` values
//! and non-canonical `s` are rejected, so a signature cannot be mauled into a
//! second valid one and a weak key cannot "sign" many messages at once.

use std::fmt;

use ed25519_dalek::Signer as _;
use serde_json::{json, Value};

use crate::encoding::base64url_encode;

/// Why bytes are not an acceptable Ed25519 public key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("public key is not a valid curve point")]
    NotAPoint,
    #[error("public key is not canonically encoded")]
    NonCanonical,
    #[error("public key has small order (a weak key)")]
    WeakKey,
    #[error("key must be {expected} bytes, found {found}")]
    WrongLength { expected: usize, found: usize },
    #[error("no randomness available: {0}")]
    Randomness(String),
}

/// Why a signature was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("signature must be 64 bytes, found {0}")]
    WrongLength(usize),
    #[error("signature does not verify")]
    Invalid,
}

/// An Ed25519 signing key (the 32-byte seed of RFC 8032). Zeroised on drop.
#[derive(Clone)]
pub struct SigningKey(ed25519_dalek::SigningKey);

impl SigningKey {
    /// The key for a 32-byte RFC 8032 secret seed.
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        SigningKey(ed25519_dalek::SigningKey::from_bytes(seed))
    }

    /// The 32-byte seed. Handle with care: this is the secret.
    pub fn seed(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }

    /// Deterministic Ed25519 signature of `msg` (pure EdDSA, no prehash).
    pub fn sign(&self, msg: &[u8]) -> Signature {
        Signature(self.0.sign(msg))
    }

    /// A fresh key from the operating system's randomness (native builds:
    /// the CLI). Panics only if the OS has no randomness to give.
    #[cfg(feature = "rand")]
    pub fn generate() -> Self {
        match Self::try_generate() {
            Ok(key) => key,
            Err(e) => panic!("{e}"),
        }
    }

    /// Like [`SigningKey::generate`], reporting a missing RNG as an error.
    #[cfg(feature = "rand")]
    pub fn try_generate() -> Result<Self, KeyError> {
        let mut seed = zeroize::Zeroizing::new([0u8; 32]);
        getrandom::fill(seed.as_mut()).map_err(|e| KeyError::Randomness(e.to_string()))?;
        Ok(Self::from_seed(&seed))
    }
}

impl fmt::Debug for SigningKey {
    // Never print the secret; the public key identifies it well enough.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("public_key", &self.public_key())
            .finish_non_exhaustive()
    }
}

/// An Ed25519 public key, validated on construction.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PublicKey(ed25519_dalek::VerifyingKey);

impl PublicKey {
    /// Accepts only a canonical encoding of a point that is not of small
    /// order: the same keys `verify_strict` would accept, checked up front so
    /// that a bad key is refused when it is registered, not when first used.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, KeyError> {
        let key =
            ed25519_dalek::VerifyingKey::from_bytes(bytes).map_err(|_| KeyError::NotAPoint)?;
        // dalek keeps the bytes it was given; re-encode to catch y >= p or a
        // "negative zero" x, which decode to a point whose encoding differs.
        if key.to_edwards().compress().as_bytes() != bytes {
            return Err(KeyError::NonCanonical);
        }
        if key.is_weak() {
            return Err(KeyError::WeakKey);
        }
        Ok(PublicKey(key))
    }

    /// Like [`PublicKey::from_bytes`] for a slice of unknown length.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, KeyError> {
        let array: &[u8; 32] = bytes.try_into().map_err(|_| KeyError::WrongLength {
            expected: 32,
            found: bytes.len(),
        })?;
        Self::from_bytes(array)
    }

    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// Strict verification of `sig` over `msg`.
    pub fn verify(&self, msg: &[u8], sig: &Signature) -> Result<(), SignatureError> {
        self.0
            .verify_strict(msg, &sig.0)
            .map_err(|_| SignatureError::Invalid)
    }

    /// The OKP public JWK (RFC 8037 §2), members in lexicographic order.
    pub fn to_jwk(&self) -> Value {
        json!({
            "crv": "Ed25519",
            "kty": "OKP",
            "x": base64url_encode(&self.to_bytes()),
        })
    }

    /// Reads an OKP/Ed25519 public JWK; other members (`kid`, `use`, ...) are ignored.
    pub fn from_jwk(jwk: &Value) -> Result<Self, KeyError> {
        let is = |name: &str, want: &str| jwk.get(name).and_then(Value::as_str) == Some(want);
        if !is("kty", "OKP") || !is("crv", "Ed25519") {
            return Err(KeyError::NotAPoint);
        }
        let x = jwk
            .get("x")
            .and_then(Value::as_str)
            .ok_or(KeyError::NotAPoint)?;
        let bytes = crate::encoding::base64url_decode(x).map_err(|_| KeyError::NotAPoint)?;
        Self::from_slice(&bytes)
    }

    /// The RFC 7638 JWK thumbprint (SHA-256, base64url without padding) of
    /// this key's JWK: a short stable identifier, usable as a JOSE `kid`.
    pub fn key_id(&self) -> String {
        // RFC 7638 §3.2: the required members only, sorted, no whitespace.
        // For an OKP key that is exactly this string (RFC 8037 §A.3).
        let canonical = format!(
            r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#,
            base64url_encode(&self.to_bytes())
        );
        base64url_encode(crate::digest::Sha256Digest::of(canonical.as_bytes()).as_bytes())
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", hex::encode(self.to_bytes()))
    }
}

/// An Ed25519 signature (`R || s`, 64 bytes). Any 64 bytes are accepted here;
/// validity (including canonical `s`) is decided by [`PublicKey::verify`].
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Signature(ed25519_dalek::Signature);

impl Signature {
    pub fn from_bytes(bytes: &[u8; 64]) -> Self {
        Signature(ed25519_dalek::Signature::from_bytes(bytes))
    }

    pub fn from_slice(bytes: &[u8]) -> Result<Self, SignatureError> {
        let array: &[u8; 64] = bytes
            .try_into()
            .map_err(|_| SignatureError::WrongLength(bytes.len()))?;
        Ok(Self::from_bytes(array))
    }

    pub fn to_bytes(&self) -> [u8; 64] {
        self.0.to_bytes()
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({})", hex::encode(self.to_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed(hex_seed: &str) -> [u8; 32] {
        hex::decode(hex_seed).unwrap().try_into().unwrap()
    }

    #[test]
    fn sign_and_verify_round_trip() {
        let key = SigningKey::from_seed(&[7; 32]);
        assert_eq!(key.seed(), [7; 32]);
        let sig = key.sign(b"hello");
        key.public_key().verify(b"hello", &sig).unwrap();
        assert_eq!(
            key.public_key().verify(b"hellO", &sig),
            Err(SignatureError::Invalid)
        );
        let round = Signature::from_slice(&sig.to_bytes()).unwrap();
        assert_eq!(round, sig);
        assert_eq!(
            Signature::from_slice(&[0; 63]),
            Err(SignatureError::WrongLength(63))
        );
    }

    #[test]
    fn debug_does_not_leak_the_seed() {
        let key = SigningKey::from_seed(&[0xab; 32]);
        let text = format!("{key:?}");
        assert!(!text.contains(&hex::encode([0xab; 32])), "{text}");
        assert!(text.contains(&hex::encode(key.public_key().to_bytes())));
    }

    #[test]
    fn rejects_weak_and_non_canonical_public_keys() {
        // The identity (0, 1): small order.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert_eq!(PublicKey::from_bytes(&identity), Err(KeyError::WeakKey));
        // y = p + 1 is a non-canonical encoding of the identity.
        let mut p_plus_1 = [0xffu8; 32];
        p_plus_1[0] = 0xee;
        p_plus_1[31] = 0x7f;
        assert!(PublicKey::from_bytes(&p_plus_1).is_err());
        // y = 2 is not on the curve.
        let mut two = [0u8; 32];
        two[0] = 2;
        assert_eq!(PublicKey::from_bytes(&two), Err(KeyError::NotAPoint));
        // Identity with the sign bit set (x = "-0"): non-canonical.
        let mut neg_zero = identity;
        neg_zero[31] |= 0x80;
        assert!(PublicKey::from_bytes(&neg_zero).is_err());
        assert_eq!(
            PublicKey::from_slice(&[1; 31]),
            Err(KeyError::WrongLength {
                expected: 32,
                found: 31
            })
        );
    }

    #[test]
    fn rejects_non_canonical_s() {
        // s + L verifies under a lax verifier but must fail here.
        const L: [u8; 32] = [
            0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9,
            0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
        ];
        let key = SigningKey::from_seed(&seed(
            "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        ));
        let sig = key.sign(b"").to_bytes();
        let mut bumped = sig;
        let mut carry = 0u16;
        for i in 0..32 {
            let sum = u16::from(bumped[32 + i]) + u16::from(L[i]) + carry;
            bumped[32 + i] = sum as u8;
            carry = sum >> 8;
        }
        assert_eq!(
            key.public_key()
                .verify(b"", &Signature::from_bytes(&bumped)),
            Err(SignatureError::Invalid)
        );
    }

    #[test]
    fn rfc8037_jwk_and_thumbprint() {
        // RFC 8037 Appendix A.1-A.3.
        let key = SigningKey::from_seed(&seed(
            "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        ));
        let public = key.public_key();
        assert_eq!(
            public.to_jwk(),
            json!({"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})
        );
        assert_eq!(
            public.key_id(),
            "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
        );
        assert_eq!(PublicKey::from_jwk(&public.to_jwk()), Ok(public));
        assert!(PublicKey::from_jwk(&json!({"kty": "OKP", "crv": "X25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})).is_err());
        assert!(PublicKey::from_jwk(&json!({"kty": "OKP", "crv": "Ed25519"})).is_err());
    }

    #[test]
    fn rfc8037_jws_example() {
        // RFC 8037 Appendix A.4: JWS over the payload "Example of Ed25519 signing".
        let key = SigningKey::from_seed(&seed(
            "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        ));
        let signing_input = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
        let sig = key.sign(signing_input.as_bytes());
        assert_eq!(
            base64url_encode(&sig.to_bytes()),
            "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"
        );
    }

    #[cfg(feature = "rand")]
    #[test]
    fn generated_keys_differ_and_work() {
        let a = SigningKey::generate();
        let b = SigningKey::generate();
        assert_ne!(a.seed(), b.seed());
        a.public_key().verify(b"x", &a.sign(b"x")).unwrap();
    }
}
