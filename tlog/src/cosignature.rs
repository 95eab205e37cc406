//! C2SP tlog-cosignature, Ed25519 `cosignature/v1` (signature type 0x04): a
//! witness's timestamped statement that a checkpoint is the largest
//! consistent one it has seen. The signature bytes are an 8-byte big-endian
//! POSIX timestamp followed by an Ed25519 signature over
//! `cosignature/v1\ntime <timestamp>\n<checkpoint text>`.
//! (The ML-DSA-44 `subtree/v1` type is not implemented.)

use fairtrain_core::ed25519::{PublicKey, Signature, SigningKey};

use crate::keys::{
    format_vkey, is_valid_key_name, key_id, Ed25519NoteVerifier, KeyError, NoteSigner,
    NoteVerifier, SIG_TYPE_COSIGNATURE_V1,
};

/// Largest timestamp the spec allows (2^63 - 1).
pub const MAX_TIMESTAMP: u64 = i64::MAX as u64;
/// Length of a cosignature's signature bytes: timestamp + Ed25519 signature.
pub const COSIGNATURE_SIZE: usize = 8 + 64;

/// The message a `cosignature/v1` signs for `checkpoint_text` at `timestamp`.
pub fn cosigned_message(timestamp: u64, checkpoint_text: &[u8]) -> Vec<u8> {
    let mut msg = format!("cosignature/v1\ntime {timestamp}\n").into_bytes();
    msg.extend_from_slice(checkpoint_text);
    msg
}

/// The timestamp inside a cosignature's signature bytes (the part after the
/// key ID), if they have the cosignature shape. Only meaningful once the
/// signature has been verified.
pub fn cosignature_timestamp(sig: &[u8]) -> Option<u64> {
    if sig.len() != COSIGNATURE_SIZE {
        return None;
    }
    let ts = u64::from_be_bytes(sig[..8].try_into().ok()?);
    (ts <= MAX_TIMESTAMP).then_some(ts)
}

/// Produces `cosignature/v1` signatures at a set timestamp (the caller
/// supplies the time: this crate has no clock).
#[derive(Clone)]
pub struct CosignatureSigner {
    name: String,
    key_id: u32,
    key: SigningKey,
    timestamp: u64,
}

impl CosignatureSigner {
    pub fn new(name: &str, key: SigningKey, timestamp: u64) -> Result<Self, KeyError> {
        if !is_valid_key_name(name) {
            return Err(KeyError::InvalidName);
        }
        if timestamp > MAX_TIMESTAMP {
            return Err(KeyError::Malformed("timestamp exceeds 2^63-1"));
        }
        let public = key.public_key().to_bytes();
        Ok(CosignatureSigner {
            name: name.to_owned(),
            key_id: key_id(name, SIG_TYPE_COSIGNATURE_V1, &public),
            key,
            timestamp,
        })
    }

    pub fn timestamp(&self) -> u64 {
        self.timestamp
    }

    pub fn verifier(&self) -> CosignatureVerifier {
        CosignatureVerifier {
            name: self.name.clone(),
            key_id: self.key_id,
            key: self.key.public_key(),
        }
    }
}

impl std::fmt::Debug for CosignatureSigner {
    // Never print the seed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CosignatureSigner")
            .field("name", &self.name)
            .field("key_id", &format_args!("{:08x}", self.key_id))
            .field("timestamp", &self.timestamp)
            .finish_non_exhaustive()
    }
}

impl NoteSigner for CosignatureSigner {
    fn name(&self) -> &str {
        &self.name
    }
    fn key_id(&self) -> u32 {
        self.key_id
    }
    fn sign(&self, text: &[u8]) -> Vec<u8> {
        let sig = self.key.sign(&cosigned_message(self.timestamp, text));
        let mut out = Vec::with_capacity(COSIGNATURE_SIZE);
        out.extend_from_slice(&self.timestamp.to_be_bytes());
        out.extend_from_slice(&sig.to_bytes());
        out
    }
}

/// Verifies `cosignature/v1` signatures of one cosigner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CosignatureVerifier {
    name: String,
    key_id: u32,
    key: PublicKey,
}

impl CosignatureVerifier {
    pub fn new(name: &str, key: PublicKey) -> Result<Self, KeyError> {
        if !is_valid_key_name(name) {
            return Err(KeyError::InvalidName);
        }
        Ok(CosignatureVerifier {
            name: name.to_owned(),
            key_id: key_id(name, SIG_TYPE_COSIGNATURE_V1, &key.to_bytes()),
            key,
        })
    }

    /// The cosignature verifier for a witness known by its plain Ed25519
    /// vkey (type 0x01), as witnesses often publish: same name and key, the
    /// cosignature key ID.
    pub fn from_ed25519(verifier: &Ed25519NoteVerifier) -> Self {
        let key = verifier.public_key();
        let name = verifier.name().to_owned();
        CosignatureVerifier {
            key_id: key_id(&name, SIG_TYPE_COSIGNATURE_V1, &key.to_bytes()),
            name,
            key,
        }
    }

    pub fn public_key(&self) -> PublicKey {
        self.key
    }

    /// `<name>+<hex id>+<base64(0x04 || key)>`.
    pub fn vkey(&self) -> String {
        format_vkey(
            &self.name,
            self.key_id,
            SIG_TYPE_COSIGNATURE_V1,
            &self.key.to_bytes(),
        )
    }
}

impl NoteVerifier for CosignatureVerifier {
    fn name(&self) -> &str {
        &self.name
    }
    fn key_id(&self) -> u32 {
        self.key_id
    }
    fn verify(&self, text: &[u8], sig: &[u8]) -> bool {
        let Some(ts) = cosignature_timestamp(sig) else {
            return false;
        };
        Signature::from_slice(&sig[8..])
            .is_ok_and(|s| self.key.verify(&cosigned_message(ts, text), &s).is_ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine as _;

    #[test]
    fn spec_example_timestamp() {
        // tlog-cosignature's example line for witness.example.com/w1 and its
        // signed message "time 1679315147": the 8 bytes after the key ID.
        let raw = STANDARD
            .decode("jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==")
            .unwrap();
        assert_eq!(cosignature_timestamp(&raw[4..]), Some(1_679_315_147));
        assert_eq!(
            cosigned_message(1_679_315_147, b"example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"),
            b"cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
        );
    }

    #[test]
    fn sign_verify_and_tamper() {
        let signer = CosignatureSigner::new(
            "witness.example/w1",
            SigningKey::from_seed(&[3; 32]),
            1_700_000_000,
        )
        .unwrap();
        let verifier = signer.verifier();
        let text = b"log.example\n5\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
        let sig = signer.sign(text);
        assert_eq!(sig.len(), COSIGNATURE_SIZE);
        assert_eq!(cosignature_timestamp(&sig), Some(1_700_000_000));
        assert!(verifier.verify(text, &sig));
        // The timestamp is signed.
        let mut later = sig.clone();
        later[7] ^= 1;
        assert!(!verifier.verify(text, &later));
        assert!(!verifier.verify(b"log.example\n6\n", &sig));
        assert!(!verifier.verify(text, &sig[..71]));
        // Timestamps beyond 2^63-1 are refused outright.
        let mut huge = sig.clone();
        huge[0] = 0x80;
        assert!(!verifier.verify(text, &huge));
        assert!(CosignatureSigner::new("w", SigningKey::from_seed(&[3; 32]), 1 << 63).is_err());
        // Key IDs differ from the plain Ed25519 type for the same key.
        let plain =
            crate::keys::Ed25519NoteSigner::from_seed("witness.example/w1", &[3; 32]).unwrap();
        assert_ne!(plain.key_id(), signer.key_id());
        assert_eq!(
            CosignatureVerifier::from_ed25519(&plain.verifier()),
            verifier
        );
        let vkey = verifier.vkey();
        assert_eq!(
            crate::keys::VerifierKey::parse(&vkey).unwrap(),
            crate::keys::VerifierKey::Cosignature(verifier)
        );
    }
}
