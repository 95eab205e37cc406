//! Growing the tree tile by tile: what the sequencer runs for each batch.
//! Given the right-edge tiles of the tree so far and the new leaf hashes, it
//! produces every tile that changed and the new root, touching nothing else,
//! so the sequencer never reads more than 8 tiles to append.

use crate::hash::{Hash, HASH_SIZE};
use crate::merkle::{perfect_root, tree_hash};
use crate::tile_math::{hashes_at_level, right_edge_tiles, TileError};
use crate::tile_path::{TileId, TILE_WIDTH};
use crate::tile_reader::{tile_hashes, TileSet};

const WIDTH: u64 = TILE_WIDTH as u64;

/// The outcome of an append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    /// Tree size after the append.
    pub size: u64,
    /// Root hash after the append.
    pub root: Hash,
    /// Every tile that is new or wider, lowest level first, with its bytes.
    pub tiles: Vec<(TileId, Vec<u8>)>,
}

/// Appends `leaves` (leaf hashes, in order) to a tree of `old_size` leaves.
/// `edge` must hold the tree's right-edge tiles
/// ([`right_edge_tiles`]`(old_size)`); other tiles in it are ignored.
pub fn append_leaf_hashes(
    old_size: u64,
    edge: &TileSet,
    leaves: &[Hash],
) -> Result<Appended, TileError> {
    let new_size = old_size
        .checked_add(leaves.len() as u64)
        .ok_or(TileError::TreeTooLarge)?;

    // Start from the edge tiles so the root can be read from the result.
    let mut current = TileSet::new();
    for tile in right_edge_tiles(old_size) {
        let (found, data) = edge
            .get(tile.level(), tile.index())
            .ok_or_else(|| TileError::MissingTile { path: tile.path() })?;
        if found.width() < tile.width() {
            return Err(TileError::MissingTile { path: tile.path() });
        }
        let len = usize::from(tile.width()) * HASH_SIZE;
        current.insert(tile, data[..len].to_vec())?;
    }

    let mut tiles = Vec::new();
    // Hashes new at this tile level, positions [old_count, new_count).
    let mut fresh: Vec<Hash> = leaves.to_vec();
    for level in 0u8..8 {
        let old_count = hashes_at_level(old_size, level);
        let new_count = hashes_at_level(new_size, level);
        if old_count == new_count {
            break;
        }
        // The first touched tile starts with the old partial tile's hashes.
        let first_tile = old_count / WIDTH;
        let mut run: Vec<Hash> = if old_count % WIDTH == 0 {
            Vec::new()
        } else {
            let (_, data) =
                current
                    .get(level, first_tile)
                    .ok_or_else(|| TileError::MissingTile {
                        path: format!("tile/{level}/... (index {first_tile})"),
                    })?;
            tile_hashes(data)
        };
        let fresh_needed =
            usize::try_from(new_count - old_count).map_err(|_| TileError::TreeTooLarge)?;
        run.extend(fresh.iter().take(fresh_needed));

        let mut completed = Vec::new();
        for (i, chunk) in run.chunks(usize::from(TILE_WIDTH)).enumerate() {
            let tile = TileId::new(level, first_tile + i as u64, chunk.len() as u16)?;
            let data: Vec<u8> = chunk.iter().flat_map(|h| h.0).collect();
            // A full tile's root is one of the next level's new hashes.
            if let Some(root) = tile.is_full().then(|| perfect_root(chunk)).flatten() {
                completed.push(root);
            }
            current.insert(tile, data.clone())?;
            tiles.push((tile, data));
        }
        fresh = completed;
    }

    let root = tree_hash(new_size, &current)?;
    Ok(Appended {
        size: new_size,
        root,
        tiles,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::leaf_hash;
    use crate::merkle::MemoryTree;
    use crate::tile_math::changed_tiles;
    use crate::tile_reader::tile_data;

    #[test]
    fn batches_of_every_shape() {
        let mut tree = MemoryTree::new();
        // The sequencer's storage: latest version of every tile by level/index.
        let mut store = TileSet::new();
        let batches = [1usize, 1, 3, 250, 1, 256, 300, 0, 511, 65_536, 2, 700];
        let mut counter = 0u64;
        for batch in batches {
            let old = tree.size();
            let leaves: Vec<Hash> = (0..batch)
                .map(|_| {
                    counter += 1;
                    leaf_hash(&counter.to_le_bytes())
                })
                .collect();
            for leaf in &leaves {
                tree.push_leaf_hash(*leaf);
            }
            let out = append_leaf_hashes(old, &store, &leaves).unwrap();
            assert_eq!(out.size, tree.size());
            assert_eq!(out.root, tree.root());
            let ids: Vec<TileId> = out.tiles.iter().map(|(t, _)| *t).collect();
            assert_eq!(ids, changed_tiles(old, tree.size()).unwrap());
            for (tile, data) in out.tiles {
                assert_eq!(data, tile_data(tile, &tree).unwrap(), "{tile}");
                store.insert(tile, data).unwrap();
            }
        }
    }

    #[test]
    fn needs_the_edge_tiles() {
        let leaves: Vec<Hash> = (0u8..10).map(|i| leaf_hash(&[i])).collect();
        let first = append_leaf_hashes(0, &TileSet::new(), &leaves).unwrap();
        assert!(matches!(
            append_leaf_hashes(10, &TileSet::new(), &leaves),
            Err(TileError::MissingTile { .. })
        ));
        let mut edge = TileSet::new();
        for (t, d) in first.tiles {
            edge.insert(t, d).unwrap();
        }
        let second = append_leaf_hashes(10, &edge, &leaves).unwrap();
        assert_eq!(second.size, 20);
        assert!(append_leaf_hashes(u64::MAX, &edge, &leaves).is_err());
    }
}
