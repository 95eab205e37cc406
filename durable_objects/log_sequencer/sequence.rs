//! Sequencing a batch: pool → tree, in one atomic storage write.

use fairtrain_tlog::tile_math::right_edge_tiles;
use fairtrain_tlog::{
    append_leaf_hashes, leaf_hash, Checkpoint, Ed25519NoteSigner, NoteSigner, TileSet,
};

use super::store::Store;
use crate::http::error::{ApiError, ApiResult};

/// At most this many entries per batch, so one batch stays well inside a
/// Durable Object's CPU and storage limits.
pub const MAX_BATCH: u64 = 4096;

/// Move up to `MAX_BATCH` pooled entries into the tree and sign the new
/// checkpoint. Everything is written without an `await`, so the batch commits
/// atomically: a crash leaves either the old tree and full pool, or the new
/// tree and the pool without the batch.
/// Returns whether anything was sequenced.
pub fn sequence_batch(store: &Store, origin: &str, signer: &Ed25519NoteSigner) -> ApiResult<bool> {
    let batch = store.pool_batch(MAX_BATCH)?;
    let Some(last) = batch.last().map(|p| p.seq) else {
        return Ok(false);
    };
    let old_size = store.size()?;

    let mut edge = TileSet::new();
    for tile in right_edge_tiles(old_size) {
        let data = store.tile(tile.level(), tile.index())?.ok_or_else(|| {
            ApiError::internal(format!("log storage: edge tile {} missing", tile.path()))
        })?;
        let take = usize::from(tile.width()) * 32;
        let data = data
            .get(..take)
            .ok_or_else(|| ApiError::internal("log storage: edge tile too narrow"))?;
        edge.insert(tile, data.to_vec())
            .map_err(ApiError::internal)?;
    }
    let leaves: Vec<_> = batch.iter().map(|p| leaf_hash(&p.entry)).collect();
    let appended = append_leaf_hashes(old_size, &edge, &leaves).map_err(ApiError::internal)?;

    let checkpoint =
        Checkpoint::new(origin, appended.size, appended.root).map_err(ApiError::internal)?;
    let signers: [&dyn NoteSigner; 1] = [signer];
    let note = checkpoint
        .sign(&signers)
        .map_err(ApiError::internal)?
        .to_bytes();

    // From here on: synchronous writes only (one atomic commit).
    for (i, p) in batch.iter().enumerate() {
        store.insert_entry(old_size + i as u64, &p.hash, &p.entry, &p.assets)?;
    }
    for (tile, data) in &appended.tiles {
        store.put_tile(tile, data)?;
    }
    store.put_checkpoint(appended.size, &note)?;
    store.pool_delete_through(last)?;
    Ok(true)
}
