//! Key material in the Standard Webhooks serialisations:
//!
//! | what | text form | used for |
//! |---|---|---|
//! | symmetric secret | `whsec_` + base64(key bytes) | `v1`, HMAC-SHA256 |
//! | Ed25519 secret key | `whsk_` + base64(seed ‖ public key), 64 bytes | signing `v1a` |
//! | Ed25519 public key | `whpk_` + base64(public key), 32 bytes | verifying `v1a` |
//!
//! The spec fixes the prefixes and base64; the 64-byte `whsk_` layout is the
//! one the spec's authors' server (Svix) documents and uses
//! ("`whsk_${base64(private_key + public_key)}`"), so keys move between the two.
//!
//! Base64 is the standard alphabet; `=` padding may be present or absent (the
//! official Python library accepts both), but non-zero trailing bits are
//! refused. The HMAC key is the base64-*decoded* bytes after `whsec_`.

use std::fmt;
use std::str::FromStr;

use base64::alphabet::STANDARD;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;

use fairtrain_core::ed25519;
use fairtrain_core::encoding::base64_encode;

pub const SECRET_PREFIX: &str = "whsec_";
pub const SIGNING_KEY_PREFIX: &str = "whsk_";
pub const PUBLIC_KEY_PREFIX: &str = "whpk_";

/// The spec's range for a symmetric secret: "Random. Between 24 bytes (192
/// bits) and 64 bytes (512 bits)". Enforced when generating; parsing accepts
/// any non-empty key so that secrets issued by other producers still verify
/// (Svix's own documentation shows an 18-byte one).
pub const MIN_SECRET_LEN: usize = 24;
pub const MAX_SECRET_LEN: usize = 64;
/// What fairtrain generates: 256 bits.
pub const RECOMMENDED_SECRET_LEN: usize = 32;

/// Base64, standard alphabet, padding optional, canonical trailing bits.
const LENIENT_BASE64: GeneralPurpose = GeneralPurpose::new(
    &STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Why a key's text form was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyFormatError {
    #[error("expected a key starting with `{0}`")]
    Prefix(&'static str),
    #[error("the text after `{0}` is not base64")]
    Base64(&'static str),
    #[error("a `{prefix}` key must be {expected} bytes, found {found}")]
    Length {
        prefix: &'static str,
        expected: &'static str,
        found: usize,
    },
    #[error("not an acceptable Ed25519 public key: {0}")]
    Ed25519(#[from] ed25519::KeyError),
    #[error("the public half of the `whsk_` key does not belong to its seed")]
    KeyPairMismatch,
    #[error("a webhook key starts with `whsec_`, `whsk_` or `whpk_`")]
    UnknownPrefix,
}

fn decode(text: &str, prefix: &'static str) -> Result<Vec<u8>, KeyFormatError> {
    let body = text
        .strip_prefix(prefix)
        .ok_or(KeyFormatError::Prefix(prefix))?;
    LENIENT_BASE64
        .decode(body)
        .map_err(|_| KeyFormatError::Base64(prefix))
}

/// Overwrite secret bytes before they are freed (best effort, no `zeroize`).
fn wipe(bytes: &mut [u8]) {
    bytes.fill(0);
    std::hint::black_box(bytes);
}

/// A symmetric signing secret (`whsec_…`), the HMAC-SHA256 key of `v1`.
#[derive(Clone)]
pub struct WebhookSecret {
    key: Vec<u8>,
}

impl WebhookSecret {
    /// A new secret from caller-supplied randomness (so native and wasm share
    /// this code): 24 to 64 bytes, per the spec; fairtrain uses 32.
    pub fn from_random(random: &[u8]) -> Result<Self, KeyFormatError> {
        if !(MIN_SECRET_LEN..=MAX_SECRET_LEN).contains(&random.len()) {
            return Err(KeyFormatError::Length {
                prefix: SECRET_PREFIX,
                expected: "24 to 64",
                found: random.len(),
            });
        }
        Ok(WebhookSecret {
            key: random.to_vec(),
        })
    }

    /// A secret from raw key bytes of any non-zero length (e.g. one issued by
    /// another producer).
    pub fn from_bytes(key: &[u8]) -> Result<Self, KeyFormatError> {
        if key.is_empty() {
            return Err(KeyFormatError::Length {
                prefix: SECRET_PREFIX,
                expected: "at least 1",
                found: 0,
            });
        }
        Ok(WebhookSecret { key: key.to_vec() })
    }

    /// Parses `whsec_<base64>`. The prefix is required.
    pub fn parse(text: &str) -> Result<Self, KeyFormatError> {
        let mut key = decode(text, SECRET_PREFIX)?;
        let secret = Self::from_bytes(&key);
        wipe(&mut key);
        secret
    }

    /// The text form, `whsec_` + padded base64. Handle with care.
    pub fn encode(&self) -> String {
        format!("{SECRET_PREFIX}{}", base64_encode(&self.key))
    }

    /// The HMAC key bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.key
    }

    /// Whether the key length is within the spec's 24..=64 bytes.
    pub fn is_spec_length(&self) -> bool {
        (MIN_SECRET_LEN..=MAX_SECRET_LEN).contains(&self.key.len())
    }
}

impl Drop for WebhookSecret {
    fn drop(&mut self) {
        wipe(&mut self.key);
    }
}

impl PartialEq for WebhookSecret {
    fn eq(&self, other: &Self) -> bool {
        fairtrain_core::ct::eq(&self.key, &other.key)
    }
}
impl Eq for WebhookSecret {}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WebhookSecret(whsec_…, {} bytes)", self.key.len())
    }
}

impl FromStr for WebhookSecret {
    type Err = KeyFormatError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// An Ed25519 secret key for `v1a` signatures (`whsk_…`). (Boxed: it is
/// large next to the other key kinds in [`SigningKey`].)
#[derive(Clone)]
pub struct WebhookSigningKey {
    key: Box<ed25519::SigningKey>,
}

impl WebhookSigningKey {
    /// The key for a 32-byte seed from caller-supplied randomness.
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        WebhookSigningKey {
            key: Box::new(ed25519::SigningKey::from_seed(seed)),
        }
    }

    /// Parses `whsk_` + base64 of the 64 bytes seed ‖ public key, checking
    /// that the public half is the seed's.
    pub fn parse(text: &str) -> Result<Self, KeyFormatError> {
        let mut bytes = decode(text, SIGNING_KEY_PREFIX)?;
        let result = Self::from_keypair_bytes(&bytes);
        wipe(&mut bytes);
        result
    }

    fn from_keypair_bytes(bytes: &[u8]) -> Result<Self, KeyFormatError> {
        if bytes.len() != 64 {
            return Err(KeyFormatError::Length {
                prefix: SIGNING_KEY_PREFIX,
                expected: "64 (seed and public key)",
                found: bytes.len(),
            });
        }
        let mut seed = [0u8; 32];
        seed.copy_from_slice(&bytes[..32]);
        let key = ed25519::SigningKey::from_seed(&seed);
        wipe(&mut seed);
        if !fairtrain_core::ct::eq(&key.public_key().to_bytes(), &bytes[32..]) {
            return Err(KeyFormatError::KeyPairMismatch);
        }
        Ok(WebhookSigningKey { key: Box::new(key) })
    }

    /// `whsk_` + base64(seed ‖ public key). Handle with care.
    pub fn encode(&self) -> String {
        let mut bytes = [0u8; 64];
        bytes[..32].copy_from_slice(&self.key.seed());
        bytes[32..].copy_from_slice(&self.key.public_key().to_bytes());
        let text = format!("{SIGNING_KEY_PREFIX}{}", base64_encode(&bytes));
        wipe(&mut bytes);
        text
    }

    pub fn public_key(&self) -> WebhookPublicKey {
        WebhookPublicKey {
            key: self.key.public_key(),
        }
    }

    /// The underlying Ed25519 key.
    pub fn signing_key(&self) -> &ed25519::SigningKey {
        &self.key
    }
}

impl fmt::Debug for WebhookSigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookSigningKey")
            .field("public_key", &self.public_key().encode())
            .finish_non_exhaustive()
    }
}

impl FromStr for WebhookSigningKey {
    type Err = KeyFormatError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// An Ed25519 public key for verifying `v1a` signatures (`whpk_…`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct WebhookPublicKey {
    key: ed25519::PublicKey,
}

impl WebhookPublicKey {
    pub fn from_public_key(key: ed25519::PublicKey) -> Self {
        WebhookPublicKey { key }
    }

    /// Parses `whpk_` + base64 of the 32-byte key. Weak (small-order) and
    /// non-canonical keys are refused, as everywhere in fairtrain.
    pub fn parse(text: &str) -> Result<Self, KeyFormatError> {
        let bytes = decode(text, PUBLIC_KEY_PREFIX)?;
        if bytes.len() != 32 {
            return Err(KeyFormatError::Length {
                prefix: PUBLIC_KEY_PREFIX,
                expected: "32",
                found: bytes.len(),
            });
        }
        Ok(WebhookPublicKey {
            key: ed25519::PublicKey::from_slice(&bytes)?,
        })
    }

    /// `whpk_` + padded base64 of the 32-byte key.
    pub fn encode(&self) -> String {
        format!("{PUBLIC_KEY_PREFIX}{}", base64_encode(&self.key.to_bytes()))
    }

    pub fn public_key(&self) -> &ed25519::PublicKey {
        &self.key
    }
}

impl fmt::Debug for WebhookPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WebhookPublicKey({})", self.encode())
    }
}

impl fmt::Display for WebhookPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.encode())
    }
}

impl FromStr for WebhookPublicKey {
    type Err = KeyFormatError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// A key a producer signs with; the prefix picks the scheme, as the spec
/// intends ("allows implementations to correctly use the correct scheme
/// without additional configuration").
#[derive(Clone, Debug)]
pub enum SigningKey {
    /// `whsec_`: `v1` (HMAC-SHA256).
    Hmac(WebhookSecret),
    /// `whsk_`: `v1a` (Ed25519).
    Ed25519(WebhookSigningKey),
}

impl SigningKey {
    /// Parses `whsec_…` or `whsk_…`.
    pub fn parse(text: &str) -> Result<Self, KeyFormatError> {
        if text.starts_with(SECRET_PREFIX) {
            WebhookSecret::parse(text).map(SigningKey::Hmac)
        } else if text.starts_with(SIGNING_KEY_PREFIX) {
            WebhookSigningKey::parse(text).map(SigningKey::Ed25519)
        } else {
            Err(KeyFormatError::UnknownPrefix)
        }
    }

    /// The key that verifies this key's signatures.
    pub fn verifying_key(&self) -> VerifyingKey {
        match self {
            SigningKey::Hmac(secret) => VerifyingKey::Hmac(secret.clone()),
            SigningKey::Ed25519(key) => VerifyingKey::Ed25519(key.public_key()),
        }
    }
}

/// A key a consumer verifies with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VerifyingKey {
    /// `whsec_`: checks `v1` signatures.
    Hmac(WebhookSecret),
    /// `whpk_`: checks `v1a` signatures.
    Ed25519(WebhookPublicKey),
}

impl VerifyingKey {
    /// Parses `whsec_…` or `whpk_…`; a `whsk_…` secret key is accepted too
    /// and reduced to its public key.
    pub fn parse(text: &str) -> Result<Self, KeyFormatError> {
        if text.starts_with(SECRET_PREFIX) {
            WebhookSecret::parse(text).map(VerifyingKey::Hmac)
        } else if text.starts_with(PUBLIC_KEY_PREFIX) {
            WebhookPublicKey::parse(text).map(VerifyingKey::Ed25519)
        } else if text.starts_with(SIGNING_KEY_PREFIX) {
            WebhookSigningKey::parse(text).map(|k| VerifyingKey::Ed25519(k.public_key()))
        } else {
            Err(KeyFormatError::UnknownPrefix)
        }
    }
}

impl From<WebhookSecret> for VerifyingKey {
    fn from(secret: WebhookSecret) -> Self {
        VerifyingKey::Hmac(secret)
    }
}

impl From<WebhookPublicKey> for VerifyingKey {
    fn from(key: WebhookPublicKey) -> Self {
        VerifyingKey::Ed25519(key)
    }
}

impl From<WebhookSecret> for SigningKey {
    fn from(secret: WebhookSecret) -> Self {
        SigningKey::Hmac(secret)
    }
}

impl From<WebhookSigningKey> for SigningKey {
    fn from(key: WebhookSigningKey) -> Self {
        SigningKey::Ed25519(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Svix's documented key pair (svix-webhooks README, "Configuring the keys").
    const SVIX_WHSK: &str = "whsk_6Xb/dCcHpPea21PS1N9VY/NZW723CEc77N4rJCubMbfVKIDij2HKpMKkioLlX0dRqSKJp4AJ6p9lMicMFs6Kvg==";
    const SVIX_WHPK: &str = "whpk_1SiA4o9hyqTCpIqC5V9HUakiiaeACeqfZTInDBbOir4=";

    #[test]
    fn secret_round_trip_and_padding() {
        let secret = WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        assert_eq!(secret.as_bytes().len(), 24);
        assert!(secret.is_spec_length());
        assert_eq!(secret.encode(), "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        // Like the official Python library, padding is optional: with and
        // without it decode to the same key.
        let unpadded = WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwBg").unwrap();
        let padded = WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwBg==").unwrap();
        assert_eq!(unpadded, padded);
        assert_eq!(
            padded.encode(),
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwBg=="
        );
        // Unlike it, non-zero trailing bits are refused (its test secret
        // `…LaSwBr` has them): each key has one spelling.
        assert!(WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwBr").is_err());
    }

    #[test]
    fn secret_refusals() {
        assert_eq!(
            WebhookSecret::parse("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
            Err(KeyFormatError::Prefix("whsec_"))
        );
        assert!(matches!(
            WebhookSecret::parse("whsec_"),
            Err(KeyFormatError::Length { found: 0, .. })
        ));
        assert_eq!(
            WebhookSecret::parse("whsec_not base64!"),
            Err(KeyFormatError::Base64("whsec_"))
        );
        // Non-zero trailing bits: a second spelling of the same key.
        assert_eq!(
            WebhookSecret::parse("whsec_Zh=="),
            Err(KeyFormatError::Base64("whsec_"))
        );
        // Base64url is not the spec's alphabet.
        assert!(WebhookSecret::parse("whsec_-_8=").is_err());
    }

    #[test]
    fn secret_generation_bounds() {
        assert!(WebhookSecret::from_random(&[7u8; 23]).is_err());
        assert!(WebhookSecret::from_random(&[7u8; 65]).is_err());
        for n in [24, 32, 64] {
            let s = WebhookSecret::from_random(&vec![7u8; n]).unwrap();
            assert_eq!(WebhookSecret::parse(&s.encode()).unwrap(), s);
        }
        let s = WebhookSecret::from_random(&[0xab; 32]).unwrap();
        assert!(!format!("{s:?}").contains(&s.encode()[6..]), "Debug leaks");
    }

    #[test]
    fn svix_key_pair() {
        let sk = WebhookSigningKey::parse(SVIX_WHSK).unwrap();
        assert_eq!(sk.public_key().encode(), SVIX_WHPK);
        assert_eq!(sk.encode(), SVIX_WHSK);
        assert_eq!(WebhookPublicKey::parse(SVIX_WHPK).unwrap(), sk.public_key());
        // Svix's own "bad SK" test: the same key with its padding cut short.
        assert!(WebhookSigningKey::parse(
            "whsk_6Xb/dCcHpPea21PS1N9VY/NZW723CEc77N4rJCubMbfVKIDij2HKpMKkioLlX0dRqSKJp4AJ6p9lMicMFs6Kv"
        )
        .is_err());
        // A public half that is not the seed's.
        let other = WebhookSigningKey::from_seed(&[9u8; 32]);
        let mut bytes = LENIENT_BASE64.decode(&SVIX_WHSK[5..]).unwrap();
        bytes[32..].copy_from_slice(&other.public_key().public_key().to_bytes());
        assert_eq!(
            WebhookSigningKey::parse(&format!("whsk_{}", base64_encode(&bytes))).unwrap_err(),
            KeyFormatError::KeyPairMismatch
        );
    }

    #[test]
    fn public_key_refusals() {
        assert!(matches!(
            WebhookPublicKey::parse("whpk_AAAA"),
            Err(KeyFormatError::Length { found: 3, .. })
        ));
        // The identity point: small order, refused.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert!(matches!(
            WebhookPublicKey::parse(&format!("whpk_{}", base64_encode(&identity))),
            Err(KeyFormatError::Ed25519(_))
        ));
        assert_eq!(
            WebhookPublicKey::parse(SVIX_WHSK),
            Err(KeyFormatError::Prefix("whpk_"))
        );
    }

    #[test]
    fn prefix_picks_the_scheme() {
        assert!(matches!(
            SigningKey::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
            Ok(SigningKey::Hmac(_))
        ));
        assert!(matches!(
            SigningKey::parse(SVIX_WHSK),
            Ok(SigningKey::Ed25519(_))
        ));
        assert_eq!(
            SigningKey::parse(SVIX_WHPK).unwrap_err(),
            KeyFormatError::UnknownPrefix
        );
        let from_sk = VerifyingKey::parse(SVIX_WHSK).unwrap();
        assert_eq!(from_sk, VerifyingKey::parse(SVIX_WHPK).unwrap());
        assert_eq!(
            VerifyingKey::parse("sk_live_x").unwrap_err(),
            KeyFormatError::UnknownPrefix
        );
    }
}
