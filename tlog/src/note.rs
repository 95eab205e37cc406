//! C2SP signed-note: a UTF-8 text ending in a newline, a blank line, then
//! one or more signature lines `— <name> <base64(key ID || signature)>`.
//!
//! Parsing checks syntax only; [`Note::verify`] applies the spec's rules:
//! signatures from unknown keys are ignored (kept as unverified), a known
//! key's signature must verify or the whole note is rejected, and at least
//! one known key must have signed.

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use crate::keys::{is_valid_key_name, NoteSigner, NoteVerifier};

/// Most signatures accepted in one note (the spec requires at least 16).
pub const MAX_SIGNATURES: usize = 100;
/// Largest note accepted, in bytes.
pub const MAX_NOTE_SIZE: usize = 1 << 20;

const SIG_PREFIX: &str = "\u{2014} ";

/// Why a note was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    #[error("malformed note: {0}")]
    Malformed(&'static str),
    #[error("note is larger than {MAX_NOTE_SIZE} bytes")]
    TooLarge,
    #[error("note has more than {MAX_SIGNATURES} signatures")]
    TooManySignatures,
    #[error("signer name is not a valid key name")]
    InvalidSignerName,
    #[error("invalid signature for key {name}+{key_id:08x}")]
    InvalidSignature { name: String, key_id: u32 },
    #[error("more than one verifier for key {name}+{key_id:08x}")]
    AmbiguousKey { name: String, key_id: u32 },
    #[error("note has no signature from a known key")]
    NoKnownSignature,
}

/// One signature line.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NoteSignature {
    name: String,
    key_id: u32,
    signature: Vec<u8>,
}

impl NoteSignature {
    pub fn new(name: &str, key_id: u32, signature: Vec<u8>) -> Result<Self, NoteError> {
        if !is_valid_key_name(name) {
            return Err(NoteError::InvalidSignerName);
        }
        if signature.is_empty() {
            return Err(NoteError::Malformed("empty signature"));
        }
        Ok(NoteSignature {
            name: name.to_owned(),
            key_id,
            signature,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The signature bytes after the key ID.
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }

    /// Whether this line is by `verifier`'s (name, key ID).
    pub fn is_by(&self, verifier: &impl NoteVerifier) -> bool {
        self.name == verifier.name() && self.key_id == verifier.key_id()
    }

    /// `— <name> <base64>\n`.
    pub fn line(&self) -> String {
        let mut raw = Vec::with_capacity(4 + self.signature.len());
        raw.extend_from_slice(&self.key_id.to_be_bytes());
        raw.extend_from_slice(&self.signature);
        format!("{SIG_PREFIX}{} {}\n", self.name, STANDARD.encode(raw))
    }

    fn parse_line(line: &str) -> Result<Self, NoteError> {
        let rest = line.strip_prefix(SIG_PREFIX).ok_or(NoteError::Malformed(
            "signature line must start with an em dash and a space",
        ))?;
        let (name, b64) = rest.split_once(' ').ok_or(NoteError::Malformed(
            "signature line needs a name and a signature",
        ))?;
        if !is_valid_key_name(name) {
            return Err(NoteError::Malformed("bad key name in signature line"));
        }
        let raw = STANDARD
            .decode(b64)
            .map_err(|_| NoteError::Malformed("signature is not canonical base64"))?;
        // A 4-byte key ID and at least one byte of signature.
        if raw.len() < 5 {
            return Err(NoteError::Malformed("signature too short"));
        }
        let key_id = u32::from_be_bytes([raw[0], raw[1], raw[2], raw[3]]);
        Ok(NoteSignature {
            name: name.to_owned(),
            key_id,
            signature: raw[4..].to_vec(),
        })
    }
}

/// A note: its text and signature lines, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    text: String,
    signatures: Vec<NoteSignature>,
}

/// The outcome of [`Note::verify`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verification {
    /// Signatures by known keys, all verified, one per key.
    pub verified: Vec<NoteSignature>,
    /// Signatures by unknown keys (not checked), duplicates dropped.
    pub unverified: Vec<NoteSignature>,
}

impl Verification {
    /// Whether `verifier`'s key is among the verified signatures.
    pub fn is_verified_by(&self, verifier: &impl NoteVerifier) -> bool {
        self.verified.iter().any(|s| s.is_by(verifier))
    }
}

/// Checks the text rules: valid UTF-8 (given), ends in a newline, no ASCII
/// control characters but newline.
fn check_text(text: &str) -> Result<(), NoteError> {
    if !text.ends_with('\n') {
        return Err(NoteError::Malformed("text must end with a newline"));
    }
    if text.chars().any(|c| c < ' ' && c != '\n') {
        return Err(NoteError::Malformed("control character"));
    }
    Ok(())
}

impl Note {
    /// An unsigned note with this text (which must end in a newline).
    pub fn new(text: impl Into<String>) -> Result<Self, NoteError> {
        let text = text.into();
        check_text(&text)?;
        if text.len() > MAX_NOTE_SIZE {
            return Err(NoteError::TooLarge);
        }
        Ok(Note {
            text,
            signatures: Vec::new(),
        })
    }

    /// Parses a signed note (syntax only; see [`Note::verify`]).
    pub fn parse(msg: &[u8]) -> Result<Self, NoteError> {
        if msg.len() > MAX_NOTE_SIZE {
            return Err(NoteError::TooLarge);
        }
        let msg = std::str::from_utf8(msg).map_err(|_| NoteError::Malformed("not UTF-8"))?;
        if msg.chars().any(|c| c < ' ' && c != '\n') {
            return Err(NoteError::Malformed("control character"));
        }
        // The text may contain blank lines: the last one separates it.
        let split = msg
            .rfind("\n\n")
            .ok_or(NoteError::Malformed("no blank line before the signatures"))?;
        let (text, sigs) = (&msg[..=split], &msg[split + 2..]);
        let sigs = sigs
            .strip_suffix('\n')
            .ok_or(NoteError::Malformed("signatures must end with a newline"))?;
        let mut signatures = Vec::new();
        for line in sigs.split('\n') {
            if signatures.len() == MAX_SIGNATURES {
                return Err(NoteError::TooManySignatures);
            }
            signatures.push(NoteSignature::parse_line(line)?);
        }
        Ok(Note {
            text: text.to_owned(),
            signatures,
        })
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn signatures(&self) -> &[NoteSignature] {
        &self.signatures
    }

    /// Adds `signer`'s signature of the text, replacing any earlier one by
    /// the same key (so re-signing is idempotent).
    pub fn sign(&mut self, signer: &impl NoteSigner) -> Result<(), NoteError> {
        let sig = NoteSignature::new(
            signer.name(),
            signer.key_id(),
            signer.sign(self.text.as_bytes()),
        )?;
        self.signatures
            .retain(|s| !(s.name == sig.name && s.key_id == sig.key_id));
        if self.signatures.len() == MAX_SIGNATURES {
            return Err(NoteError::TooManySignatures);
        }
        self.signatures.push(sig);
        Ok(())
    }

    /// Adds an existing signature line (e.g. a witness cosignature received
    /// separately), replacing any earlier one by the same key. Unchecked:
    /// [`Note::verify`] is what checks it.
    pub fn add_signature(&mut self, sig: NoteSignature) -> Result<(), NoteError> {
        self.signatures
            .retain(|s| !(s.name == sig.name && s.key_id == sig.key_id));
        if self.signatures.len() == MAX_SIGNATURES {
            return Err(NoteError::TooManySignatures);
        }
        self.signatures.push(sig);
        Ok(())
    }

    /// The signed note: text, blank line, signature lines. A note without
    /// signatures encodes as text and blank line only, which
    /// [`Note::parse`] will not accept: sign it first.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.to_string().into_bytes()
    }

    /// Checks the signatures against `verifiers` (the spec's rules, see the
    /// module docs). A verifier list with two entries for one (name, key ID)
    /// is refused when that key signed the note, as it would be ambiguous.
    pub fn verify<V: NoteVerifier>(&self, verifiers: &[V]) -> Result<Verification, NoteError> {
        let mut verified: Vec<NoteSignature> = Vec::new();
        let mut unverified: Vec<NoteSignature> = Vec::new();
        for sig in &self.signatures {
            let mut matching = verifiers.iter().filter(|v| sig.is_by(*v));
            let Some(verifier) = matching.next() else {
                if !unverified.contains(sig) {
                    unverified.push(sig.clone());
                }
                continue;
            };
            if matching.next().is_some() {
                return Err(NoteError::AmbiguousKey {
                    name: sig.name.clone(),
                    key_id: sig.key_id,
                });
            }
            // One signature per key counts; later repeats are dropped.
            if verified
                .iter()
                .any(|s| s.name == sig.name && s.key_id == sig.key_id)
            {
                continue;
            }
            if !verifier.verify(self.text.as_bytes(), &sig.signature) {
                return Err(NoteError::InvalidSignature {
                    name: sig.name.clone(),
                    key_id: sig.key_id,
                });
            }
            verified.push(sig.clone());
        }
        if verified.is_empty() {
            return Err(NoteError::NoKnownSignature);
        }
        Ok(Verification {
            verified,
            unverified,
        })
    }
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)?;
        f.write_str("\n")?;
        for sig in &self.signatures {
            f.write_str(&sig.line())?;
        }
        Ok(())
    }
}

/// Parses and verifies a signed note in one step.
pub fn open<V: NoteVerifier>(
    msg: &[u8],
    verifiers: &[V],
) -> Result<(Note, Verification), NoteError> {
    let note = Note::parse(msg)?;
    let verification = note.verify(verifiers)?;
    Ok((note, verification))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{Ed25519NoteSigner, VerifierKey};

    #[test]
    fn signs_like_go() {
        // golang.org/x/mod sumdb/note TestSign (tests/vectors/README.md).
        let signer = Ed25519NoteSigner::from_private_key_string(
            "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
        )
        .unwrap();
        let mut note = Note::new(
            "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n",
        )
        .unwrap();
        note.sign(&signer).unwrap();
        let want = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n\n\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
        assert_eq!(note.to_string(), want);
        // Re-signing replaces, not duplicates.
        note.sign(&signer).unwrap();
        assert_eq!(note.to_string(), want);
        assert_eq!(Note::parse(want.as_bytes()).unwrap(), note);
        assert!(Note::new("abc").is_err());
        assert!(Note::new("a\tb\n").is_err());
    }

    #[test]
    fn spec_example_verifies() {
        // c2sp.org/signed-note, "Example".
        let vkey = VerifierKey::parse(
            "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
        )
        .unwrap();
        let msg = "This is an example message.\n\n\u{2014} example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";
        let (note, v) = open(msg.as_bytes(), &[&vkey]).unwrap();
        assert_eq!(note.text(), "This is an example message.\n");
        assert!(v.is_verified_by(&vkey));
        assert_eq!(note.to_string(), msg);
    }

    #[test]
    fn texts_with_blank_lines() {
        let signer = Ed25519NoteSigner::from_seed("k", &[9; 32]).unwrap();
        for text in [
            "\n",
            "a\n\nb\n",
            "a\n\n",
            "quasimodo\n\ned è subito sera.\n",
        ] {
            let mut note = Note::new(text).unwrap();
            note.sign(&signer).unwrap();
            let (back, _) = open(&note.to_bytes(), &[signer.verifier()]).unwrap();
            assert_eq!(back.text(), text);
        }
    }
}
