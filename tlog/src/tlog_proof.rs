//! C2SP tlog-proof: a self-contained, offline-verifiable proof that an entry
//! is in a log — header, optional extra data, leaf index, inclusion proof,
//! blank line, then the signed checkpoint verbatim (with any cosignatures).
//!
//! ```text
//! c2sp.org/tlog-proof@v1
//! extra <base64>            (optional)
//! index <decimal>
//! <base64 hash>             (zero or more, leaf's sibling first)
//!
//! <signed checkpoint note>
//! ```

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use crate::checkpoint::{Checkpoint, CheckpointError};
use crate::decimal::parse_u64;
use crate::hash::Hash;
use crate::inclusion::{inclusion_proof, verify_inclusion};
use crate::keys::NoteVerifier;
use crate::merkle::{HashReader, ProofError};
use crate::note::{Note, Verification, MAX_NOTE_SIZE};

/// The first line of every proof.
pub const TLOG_PROOF_HEADER: &str = "c2sp.org/tlog-proof@v1";
/// An inclusion proof in a tree of at most 2^64-1 leaves has at most 64 hashes.
const MAX_PROOF_HASHES: usize = 64;

/// Why a proof was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TlogProofError {
    #[error("malformed tlog-proof: {0}")]
    Malformed(&'static str),
    #[error("tlog-proof is too large")]
    TooLarge,
    #[error("checkpoint not signed by the log's key")]
    NotSignedByLog,
    #[error("only {found} of the {required} required witness cosignatures verified")]
    NotEnoughWitnesses { required: usize, found: usize },
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    #[error(transparent)]
    Proof(#[from] ProofError),
}

/// A parsed tlog-proof.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlogProof {
    /// Opaque, unauthenticated application data; empty when absent.
    pub extra: Vec<u8>,
    /// Zero-based index of the entry.
    pub index: u64,
    /// Inclusion proof of the entry in the checkpoint's tree.
    pub inclusion_proof: Vec<Hash>,
    /// The signed checkpoint note, verbatim.
    pub checkpoint: Vec<u8>,
}

/// Who must have signed the checkpoint for a proof to be accepted.
#[derive(Clone, Debug)]
pub struct ProofPolicy<V: NoteVerifier> {
    /// The log's origin line.
    pub origin: String,
    /// The log's keys; one of them must have signed.
    pub log_keys: Vec<V>,
    /// Known witnesses (cosigners).
    pub witnesses: Vec<V>,
    /// How many distinct known witnesses must have cosigned.
    pub min_witnesses: usize,
}

/// What a successful verification established.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedProof {
    pub checkpoint: Checkpoint,
    pub verification: Verification,
    /// Number of distinct policy witnesses whose cosignature verified.
    pub witnesses: usize,
}

impl TlogProof {
    /// Builds the proof for leaf `index` against a signed checkpoint, reading
    /// the tree (at the checkpoint's size) through `reader`.
    pub fn build(
        index: u64,
        signed_checkpoint: &[u8],
        reader: &impl HashReader,
        extra: Vec<u8>,
    ) -> Result<Self, TlogProofError> {
        let note = Note::parse(signed_checkpoint).map_err(CheckpointError::from)?;
        let checkpoint = Checkpoint::parse(note.text())?;
        let inclusion_proof = inclusion_proof(index, checkpoint.size(), reader)?;
        Ok(TlogProof {
            extra,
            index,
            inclusion_proof,
            checkpoint: signed_checkpoint.to_vec(),
        })
    }

    /// Parses a proof. The checkpoint must be a syntactically valid signed
    /// checkpoint; signatures are checked by [`TlogProof::verify`].
    pub fn parse(data: &[u8]) -> Result<Self, TlogProofError> {
        if data.len() > MAX_NOTE_SIZE + 4096 {
            return Err(TlogProofError::TooLarge);
        }
        let text = std::str::from_utf8(data).map_err(|_| TlogProofError::Malformed("not UTF-8"))?;
        let mut rest = text;
        let mut next_line = || -> Result<&str, TlogProofError> {
            let (line, tail) = rest
                .split_once('\n')
                .ok_or(TlogProofError::Malformed("truncated"))?;
            rest = tail;
            Ok(line)
        };
        if next_line()? != TLOG_PROOF_HEADER {
            return Err(TlogProofError::Malformed(
                "first line must be c2sp.org/tlog-proof@v1",
            ));
        }
        let mut line = next_line()?;
        let mut extra = Vec::new();
        if let Some(b64) = line.strip_prefix("extra ") {
            // An absent extra is written by omitting the line, so an empty
            // one would be a second spelling.
            if b64.is_empty() {
                return Err(TlogProofError::Malformed("empty extra line"));
            }
            extra = STANDARD
                .decode(b64)
                .map_err(|_| TlogProofError::Malformed("extra is not canonical base64"))?;
            line = next_line()?;
        }
        let index = line
            .strip_prefix("index ")
            .and_then(parse_u64)
            .ok_or(TlogProofError::Malformed("expected index line"))?;
        let mut inclusion_proof = Vec::new();
        loop {
            let line = next_line()?;
            if line.is_empty() {
                break;
            }
            if inclusion_proof.len() == MAX_PROOF_HASHES {
                return Err(TlogProofError::Malformed("too many proof hashes"));
            }
            inclusion_proof.push(
                Hash::from_base64(line)
                    .map_err(|_| TlogProofError::Malformed("proof line is not a base64 hash"))?,
            );
        }
        let checkpoint = rest.as_bytes().to_vec();
        let note = Note::parse(&checkpoint).map_err(CheckpointError::from)?;
        Checkpoint::parse(note.text())?;
        Ok(TlogProof {
            extra,
            index,
            inclusion_proof,
            checkpoint,
        })
    }

    /// The proof's text.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = format!("{TLOG_PROOF_HEADER}\n");
        if !self.extra.is_empty() {
            out.push_str(&format!("extra {}\n", STANDARD.encode(&self.extra)));
        }
        out.push_str(&format!("index {}\n", self.index));
        for hash in &self.inclusion_proof {
            out.push_str(&hash.to_base64());
            out.push('\n');
        }
        out.push('\n');
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&self.checkpoint);
        bytes
    }

    /// Verifies the proof for the entry whose leaf hash is `leaf` (step 1 of
    /// the spec, computing it, is the application's): the checkpoint is for
    /// the policy's origin and signed by a log key, enough witnesses
    /// cosigned, and the inclusion proof binds `leaf` to its root.
    pub fn verify<V: NoteVerifier>(
        &self,
        leaf: &Hash,
        policy: &ProofPolicy<V>,
    ) -> Result<VerifiedProof, TlogProofError> {
        let verifiers: Vec<&V> = policy.log_keys.iter().chain(&policy.witnesses).collect();
        let (checkpoint, _, verification) =
            Checkpoint::open(&self.checkpoint, &policy.origin, &verifiers)?;
        if !policy
            .log_keys
            .iter()
            .any(|k| verification.is_verified_by(k))
        {
            return Err(TlogProofError::NotSignedByLog);
        }
        // `verified` holds one signature per key, so this counts distinct witnesses.
        let witnesses = verification
            .verified
            .iter()
            .filter(|sig| policy.witnesses.iter().any(|w| sig.is_by(w)))
            .count();
        if witnesses < policy.min_witnesses {
            return Err(TlogProofError::NotEnoughWitnesses {
                required: policy.min_witnesses,
                found: witnesses,
            });
        }
        verify_inclusion(
            self.index,
            checkpoint.size(),
            leaf,
            &self.inclusion_proof,
            checkpoint.root(),
        )?;
        Ok(VerifiedProof {
            checkpoint,
            verification,
            witnesses,
        })
    }
}
