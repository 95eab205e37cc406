//! fairtrain-tlog: the transparency log's logic, shared by the log sequencer
//! (a Durable Object) and the `fairtrain` CLI. No `worker` dependency; it
//! builds natively and for wasm32.
//!
//! Standards, one module each:
//! - RFC 6962 / RFC 9162 §2.1 Merkle trees: [`hash`], [`merkle`],
//!   [`inclusion`], [`consistency`];
//! - C2SP tlog-tiles: [`tile_path`], [`tile_math`], [`tile_reader`],
//!   [`append`], [`bundle`];
//! - C2SP signed-note: [`keys`], [`note`]; tlog-checkpoint: [`checkpoint`];
//!   tlog-cosignature (Ed25519 `cosignature/v1`): [`cosignature`];
//! - C2SP tlog-proof: [`tlog_proof`].
//!
//! Everything that reads the tree goes through [`merkle::HashReader`], so the
//! same code computes proofs from memory, from the sequencer's stored tiles,
//! or from tiles a verifier downloaded. Untrusted input is parsed strictly
//! and never panics.

pub mod append;
pub mod bundle;
pub mod checkpoint;
pub mod consistency;
pub mod cosignature;
mod decimal;
pub mod hash;
pub mod inclusion;
pub mod keys;
pub mod merkle;
pub mod note;
pub mod tile_math;
pub mod tile_path;
pub mod tile_reader;
pub mod tlog_proof;

pub use append::{append_leaf_hashes, Appended};
pub use bundle::{encode_bundle, parse_bundle, verify_bundle, BundleError};
pub use checkpoint::{Checkpoint, CheckpointError};
pub use consistency::{consistency_proof, verify_consistency};
pub use cosignature::{CosignatureSigner, CosignatureVerifier};
pub use hash::{leaf_hash, node_hash, Hash, HashError, EMPTY_ROOT, HASH_SIZE};
pub use inclusion::{inclusion_proof, root_from_inclusion_proof, verify_inclusion};
pub use keys::{
    Ed25519NoteSigner, Ed25519NoteVerifier, KeyError, NoteSigner, NoteVerifier, VerifierKey,
};
pub use merkle::{tree_hash, HashReadError, HashReader, MemoryTree, NodeId, ProofError};
pub use note::{Note, NoteError, NoteSignature, Verification};
pub use tile_math::TileError;
pub use tile_path::{BundleId, PathError, TileId, TilePath, TILE_WIDTH};
pub use tile_reader::TileSet;
pub use tlog_proof::{ProofPolicy, TlogProof, TlogProofError, VerifiedProof};
