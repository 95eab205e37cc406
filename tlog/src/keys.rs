//! Note keys (C2SP signed-note): key names, key IDs, the Ed25519 note
//! signature type, and verifier keys (`<name>+<hex id>+<base64(type||key)>`).
//!
//! The Ed25519 arithmetic is `fairtrain_core::ed25519`, so the workspace has
//! one Ed25519 implementation; verification there is strict.

use std::fmt;
use std::str::FromStr;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use fairtrain_core::ed25519::{PublicKey, Signature, SigningKey};
use sha2::{Digest, Sha256};

use crate::cosignature::CosignatureVerifier;

/// Signature type byte of plain Ed25519 note signatures.
pub const SIG_TYPE_ED25519: u8 = 0x01;
/// Signature type byte of timestamped Ed25519 checkpoint cosignatures
/// (C2SP tlog-cosignature, `cosignature/v1`).
pub const SIG_TYPE_COSIGNATURE_V1: u8 = 0x04;

/// Why a key or key string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("key names must be non-empty, without spaces or '+'")]
    InvalidName,
    #[error("malformed key string: {0}")]
    Malformed(&'static str),
    #[error("unsupported signature type 0x{0:02x}")]
    UnsupportedType(u8),
    #[error("key ID {found:08x} does not match the key (expected {expected:08x})")]
    KeyIdMismatch { expected: u32, found: u32 },
    #[error("invalid Ed25519 public key: {0}")]
    PublicKey(#[from] fairtrain_core::ed25519::KeyError),
}

/// `SHA-256(name || 0x0A || type || public key)[:4]`, big-endian: the key
/// ID the spec recommends, and requires for Ed25519 and cosignature keys.
pub fn key_id(name: &str, sig_type: u8, public_key: &[u8]) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', sig_type]);
    h.update(public_key);
    let digest = h.finalize();
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

/// Key names are non-empty and contain neither Unicode spaces nor `+`.
/// ASCII controls are refused too: no note may carry them.
pub fn is_valid_key_name(name: &str) -> bool {
    !name.is_empty()
        && !name
            .chars()
            .any(|c| c.is_whitespace() || c < ' ' || c == '+')
}

/// Something that signs note texts under a (name, key ID).
pub trait NoteSigner {
    fn name(&self) -> &str;
    fn key_id(&self) -> u32;
    /// The signature bytes that follow the key ID in the signature line.
    fn sign(&self, text: &[u8]) -> Vec<u8>;
}

/// Something that checks note signatures for one (name, key ID).
pub trait NoteVerifier {
    fn name(&self) -> &str;
    fn key_id(&self) -> u32;
    /// Whether `sig` (the bytes after the key ID) is valid for `text`.
    fn verify(&self, text: &[u8], sig: &[u8]) -> bool;
}

impl<T: NoteSigner + ?Sized> NoteSigner for &T {
    fn name(&self) -> &str {
        (**self).name()
    }
    fn key_id(&self) -> u32 {
        (**self).key_id()
    }
    fn sign(&self, text: &[u8]) -> Vec<u8> {
        (**self).sign(text)
    }
}

impl<T: NoteVerifier + ?Sized> NoteVerifier for &T {
    fn name(&self) -> &str {
        (**self).name()
    }
    fn key_id(&self) -> u32 {
        (**self).key_id()
    }
    fn verify(&self, text: &[u8], sig: &[u8]) -> bool {
        (**self).verify(text, sig)
    }
}

/// Signs notes with Ed25519 (signature type 0x01), e.g. the log's checkpoints.
#[derive(Clone)]
pub struct Ed25519NoteSigner {
    name: String,
    key_id: u32,
    key: SigningKey,
}

impl Ed25519NoteSigner {
    pub fn new(name: &str, key: SigningKey) -> Result<Self, KeyError> {
        if !is_valid_key_name(name) {
            return Err(KeyError::InvalidName);
        }
        let public = key.public_key().to_bytes();
        Ok(Ed25519NoteSigner {
            name: name.to_owned(),
            key_id: key_id(name, SIG_TYPE_ED25519, &public),
            key,
        })
    }

    /// From a 32-byte RFC 8032 seed.
    pub fn from_seed(name: &str, seed: &[u8; 32]) -> Result<Self, KeyError> {
        Self::new(name, SigningKey::from_seed(seed))
    }

    /// Parses `PRIVATE+KEY+<name>+<hex id>+<base64(0x01 || seed)>`, the
    /// private key format of Go's golang.org/x/mod/sumdb/note (no C2SP spec
    /// covers private keys; this is the one the tooling shares).
    pub fn from_private_key_string(text: &str) -> Result<Self, KeyError> {
        let rest = text
            .strip_prefix("PRIVATE+KEY+")
            .ok_or(KeyError::Malformed("missing PRIVATE+KEY+ prefix"))?;
        let (name, id, mut material) = split_key_string(rest)?;
        let result = (|| {
            if material.len() != 33 || material[0] != SIG_TYPE_ED25519 {
                return Err(KeyError::Malformed("expected 0x01 and a 32-byte seed"));
            }
            let mut seed = [0u8; 32];
            seed.copy_from_slice(&material[1..]);
            let signer = Self::from_seed(name, &seed);
            seed.fill(0);
            let signer = signer?;
            if signer.key_id != id {
                return Err(KeyError::KeyIdMismatch {
                    expected: signer.key_id,
                    found: id,
                });
            }
            Ok(signer)
        })();
        material.fill(0); // the seed is secret; don't leave it on the heap
        result
    }

    /// The Go-compatible private key string (see [`Self::from_private_key_string`]).
    pub fn to_private_key_string(&self) -> String {
        let mut material = Vec::with_capacity(33);
        material.push(SIG_TYPE_ED25519);
        material.extend_from_slice(&self.key.seed());
        let text = format!(
            "PRIVATE+KEY+{}+{:08x}+{}",
            self.name,
            self.key_id,
            STANDARD.encode(&material)
        );
        material.fill(0);
        text
    }

    pub fn public_key(&self) -> PublicKey {
        self.key.public_key()
    }

    /// The matching verifier.
    pub fn verifier(&self) -> Ed25519NoteVerifier {
        Ed25519NoteVerifier {
            name: self.name.clone(),
            key_id: self.key_id,
            key: self.key.public_key(),
        }
    }
}

impl fmt::Debug for Ed25519NoteSigner {
    // Never print the seed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ed25519NoteSigner")
            .field("name", &self.name)
            .field("key_id", &format_args!("{:08x}", self.key_id))
            .finish_non_exhaustive()
    }
}

impl NoteSigner for Ed25519NoteSigner {
    fn name(&self) -> &str {
        &self.name
    }
    fn key_id(&self) -> u32 {
        self.key_id
    }
    fn sign(&self, text: &[u8]) -> Vec<u8> {
        self.key.sign(text).to_bytes().to_vec()
    }
}

/// Verifies Ed25519 note signatures (signature type 0x01).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ed25519NoteVerifier {
    name: String,
    key_id: u32,
    key: PublicKey,
}

impl Ed25519NoteVerifier {
    pub fn new(name: &str, key: PublicKey) -> Result<Self, KeyError> {
        if !is_valid_key_name(name) {
            return Err(KeyError::InvalidName);
        }
        Ok(Ed25519NoteVerifier {
            name: name.to_owned(),
            key_id: key_id(name, SIG_TYPE_ED25519, &key.to_bytes()),
            key,
        })
    }

    pub fn public_key(&self) -> PublicKey {
        self.key
    }

    /// `<name>+<hex id>+<base64(0x01 || key)>`.
    pub fn vkey(&self) -> String {
        format_vkey(
            &self.name,
            self.key_id,
            SIG_TYPE_ED25519,
            &self.key.to_bytes(),
        )
    }
}

impl NoteVerifier for Ed25519NoteVerifier {
    fn name(&self) -> &str {
        &self.name
    }
    fn key_id(&self) -> u32 {
        self.key_id
    }
    fn verify(&self, text: &[u8], sig: &[u8]) -> bool {
        Signature::from_slice(sig).is_ok_and(|sig| self.key.verify(text, &sig).is_ok())
    }
}

/// A parsed verifier key of a supported type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VerifierKey {
    Ed25519(Ed25519NoteVerifier),
    Cosignature(CosignatureVerifier),
}

impl VerifierKey {
    /// Parses `<name>+<hex id>+<base64(type || key)>` for types 0x01
    /// (Ed25519) and 0x04 (Ed25519 cosignature/v1). The ID must be the one
    /// computed from the name and key: both types require it.
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        let (name, id, material) = split_key_string(text)?;
        let (&sig_type, key) = material
            .split_first()
            .ok_or(KeyError::Malformed("empty key"))?;
        let key: &[u8; 32] = match sig_type {
            SIG_TYPE_ED25519 | SIG_TYPE_COSIGNATURE_V1 => key
                .try_into()
                .map_err(|_| KeyError::Malformed("Ed25519 keys are 32 bytes"))?,
            other => return Err(KeyError::UnsupportedType(other)),
        };
        let expected = key_id(name, sig_type, key);
        if expected != id {
            return Err(KeyError::KeyIdMismatch {
                expected,
                found: id,
            });
        }
        let key = PublicKey::from_bytes(key)?;
        Ok(if sig_type == SIG_TYPE_ED25519 {
            VerifierKey::Ed25519(Ed25519NoteVerifier::new(name, key)?)
        } else {
            VerifierKey::Cosignature(CosignatureVerifier::new(name, key)?)
        })
    }

    /// The vkey string.
    pub fn vkey(&self) -> String {
        match self {
            VerifierKey::Ed25519(v) => v.vkey(),
            VerifierKey::Cosignature(v) => v.vkey(),
        }
    }

    fn inner(&self) -> &dyn NoteVerifier {
        match self {
            VerifierKey::Ed25519(v) => v,
            VerifierKey::Cosignature(v) => v,
        }
    }
}

impl NoteVerifier for VerifierKey {
    fn name(&self) -> &str {
        self.inner().name()
    }
    fn key_id(&self) -> u32 {
        self.inner().key_id()
    }
    fn verify(&self, text: &[u8], sig: &[u8]) -> bool {
        self.inner().verify(text, sig)
    }
}

impl FromStr for VerifierKey {
    type Err = KeyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.vkey())
    }
}

pub(crate) fn format_vkey(name: &str, id: u32, sig_type: u8, key: &[u8]) -> String {
    let mut material = Vec::with_capacity(1 + key.len());
    material.push(sig_type);
    material.extend_from_slice(key);
    format!("{name}+{id:08x}+{}", STANDARD.encode(material))
}

/// Splits `<name>+<8 lowercase hex>+<base64>`. The base64 part may itself
/// contain `+`, so only the first two are separators.
fn split_key_string(text: &str) -> Result<(&str, u32, Vec<u8>), KeyError> {
    let (name, rest) = text
        .split_once('+')
        .ok_or(KeyError::Malformed("missing '+'"))?;
    let (id_hex, b64) = rest
        .split_once('+')
        .ok_or(KeyError::Malformed("missing '+'"))?;
    if !is_valid_key_name(name) {
        return Err(KeyError::InvalidName);
    }
    // The spec's hex is fixed-length lowercase.
    if id_hex.len() != 8
        || !id_hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(KeyError::Malformed("key ID must be 8 lowercase hex digits"));
    }
    let id = u32::from_str_radix(id_hex, 16).map_err(|_| KeyError::Malformed("key ID"))?;
    let material = STANDARD
        .decode(b64)
        .map_err(|_| KeyError::Malformed("key is not canonical base64"))?;
    Ok((name, id, material))
}

#[cfg(test)]
mod tests {
    use super::*;

    // golang.org/x/mod sumdb/note note_test.go (see tests/vectors/README.md).
    const PETER_SKEY: &str =
        "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    const PETER_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";

    #[test]
    fn go_key_strings() {
        let signer = Ed25519NoteSigner::from_private_key_string(PETER_SKEY).unwrap();
        assert_eq!(signer.key_id(), 0xc74f20a3);
        assert_eq!(signer.verifier().vkey(), PETER_VKEY);
        assert_eq!(signer.to_private_key_string(), PETER_SKEY);
        let parsed = VerifierKey::parse(PETER_VKEY).unwrap();
        assert_eq!(parsed, VerifierKey::Ed25519(signer.verifier()));
        assert_eq!(parsed.to_string(), PETER_VKEY);
        assert!(!format!("{signer:?}").contains("AYEKF"));
    }

    #[test]
    fn mangled_vkeys_are_refused() {
        // As Go's TestNewVerifier: every proper substring and every
        // single-byte change must be refused.
        let b = PETER_VKEY.as_bytes();
        for i in 0..=b.len() {
            for j in i + 1..=b.len() {
                if (i, j) != (0, b.len()) {
                    if let Ok(s) = std::str::from_utf8(&b[i..j]) {
                        assert!(VerifierKey::parse(s).is_err(), "{s}");
                    }
                }
            }
        }
        for i in 0..b.len() {
            let mut m = b.to_vec();
            m[i] = m[i].wrapping_add(1);
            if let Ok(s) = std::str::from_utf8(&m) {
                assert!(VerifierKey::parse(s).is_err(), "{s}");
            }
        }
        // Go's two extra cases: wrong key length and unknown type, each with
        // a correctly recomputed key ID.
        assert!(VerifierKey::parse(
            "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY=="
        )
        .is_err());
        assert!(matches!(
            VerifierKey::parse(
                "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
            ),
            Err(KeyError::UnsupportedType(0x65))
        ));
        assert!(VerifierKey::parse(
            "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
        )
        .is_err());
    }

    #[test]
    fn names() {
        for good in ["a", "example.com/log", "Ünïcode"] {
            assert!(is_valid_key_name(good), "{good}");
        }
        for bad in [
            "",
            "a b",
            "a+b",
            "a\u{a0}b",
            "a\u{3000}b",
            "a\tb",
            "a\u{1}b",
        ] {
            assert!(!is_valid_key_name(bad), "{bad:?}");
        }
        assert!(Ed25519NoteSigner::from_seed("bad name", &[1; 32]).is_err());
    }
}
