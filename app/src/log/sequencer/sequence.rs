//! Sequencing a batch: pool → tree, in one atomic storage write.

use fairtrain_tlog::tile_math::right_edge_tiles;
use fairtrain_tlog::{
    append_leaf_hashes, leaf_hash, Checkpoint, Ed25519NoteSigner, NoteSigner, TileSet,
};

use super::store::{Batch, SequencerStore};
use super::LogSequencer;
use crate::error::Result;

/// At most this many entries per batch, so one batch stays well inside a
/// Durable Object's CPU and storage limits.
pub const MAX_BATCH: u64 = 4096;

impl<S: SequencerStore> LogSequencer<S> {
    /// Moves up to [`MAX_BATCH`] pooled entries into the tree and signs the
    /// new checkpoint, all in one write ([`SequencerStore::commit_batch`]):
    /// a crash leaves either the old tree and full pool, or the new tree
    /// and the pool without the batch. Returns whether anything was
    /// sequenced.
    pub fn sequence(&self, signer: &Ed25519NoteSigner) -> Result<bool> {
        let batch = self.store.pool_batch(MAX_BATCH)?;
        let Some(last) = batch.last().map(|p| p.seq) else {
            return Ok(false);
        };
        let old_size = self.store.size()?;

        let mut edge = TileSet::new();
        for tile in right_edge_tiles(old_size) {
            edge.insert(tile, self.stored_tile(&tile)?)?;
        }
        let leaves: Vec<_> = batch.iter().map(|p| leaf_hash(&p.entry)).collect();
        let appended = append_leaf_hashes(old_size, &edge, &leaves)?;

        let checkpoint = Checkpoint::new(&self.origin, appended.size, appended.root)?;
        let signers: [&dyn NoteSigner; 1] = [signer];
        let note = checkpoint.sign(&signers)?.to_bytes();

        self.store.commit_batch(&Batch {
            entries: &batch,
            first_index: old_size,
            tiles: &appended.tiles,
            size: appended.size,
            checkpoint: &note,
            pool_through: last,
        })?;
        self.pool_count.set(None);
        Ok(true)
    }
}
