//! Reading the tree from tiles: a [`TileSet`] is a [`HashReader`], so tree
//! heads and proofs come straight from downloaded or stored tiles; planners
//! say which tiles an operation needs (fetch them first, asynchronously);
//! [`TileSet::authenticate`] checks a set of tiles against a signed root
//! before a mirror stores them.

use std::collections::{BTreeMap, BTreeSet};

use crate::consistency::consistency_proof;
use crate::hash::{Hash, HASH_SIZE};
use crate::inclusion::inclusion_proof;
use crate::merkle::{perfect_root, tree_hash, HashReadError, HashReader, NodeId, RecordingReader};
use crate::tile_math::{locate_node, right_edge_tiles, tile_at, TileError};
use crate::tile_path::{TileId, TILE_WIDTH};

/// Tiles of one tree, by level and index; each keeps the width it came with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TileSet {
    tiles: BTreeMap<(u8, u64), Vec<u8>>,
}

impl TileSet {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a tile. `data` must be exactly `width * 32` bytes,
    /// as served at the tile's path.
    pub fn insert(&mut self, tile: TileId, data: Vec<u8>) -> Result<(), TileError> {
        let expected = usize::from(tile.width()) * HASH_SIZE;
        if data.len() != expected {
            return Err(TileError::WrongDataLength {
                path: tile.path(),
                expected,
                found: data.len(),
            });
        }
        self.tiles.insert((tile.level(), tile.index()), data);
        Ok(())
    }

    /// The tile at `level`/`index`, whatever its width.
    pub fn get(&self, level: u8, index: u64) -> Option<(TileId, &[u8])> {
        let data = self.tiles.get(&(level, index))?;
        let width = (data.len() / HASH_SIZE) as u16; // insert keeps it <= 256
        let id = TileId::new(level, index, width).ok()?;
        Some((id, data))
    }

    /// Every tile, lowest level first.
    pub fn iter(&self) -> impl Iterator<Item = (TileId, &[u8])> {
        self.tiles
            .keys()
            .filter_map(|&(level, index)| self.get(level, index))
    }

    pub fn len(&self) -> usize {
        self.tiles.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tiles.is_empty()
    }

    /// Checks every tile against a tree of `size` leaves with `root`: each
    /// must have exactly its width in that tree; the right-edge (partial)
    /// tiles must hash to `root`; each full tile must hash to its entry in
    /// its parent tile, which must be in the set too. After this, every hash
    /// in the set is bound to `root`.
    pub fn authenticate(&self, size: u64, root: &Hash) -> Result<(), TileError> {
        for (tile, _) in self.iter() {
            match tile_at(tile.level(), tile.index(), size) {
                None => {
                    return Err(TileError::NotInTree {
                        path: tile.path(),
                        size,
                    })
                }
                Some(expected) if expected.width() != tile.width() => {
                    return Err(TileError::WrongWidth {
                        path: tile.path(),
                        size,
                    });
                }
                Some(_) => {}
            }
        }
        // Every hash of every partial tile feeds the root, so this binds them.
        if tree_hash(size, self)? != *root {
            return Err(TileError::RootMismatch);
        }
        for (tile, data) in self.iter().filter(|(t, _)| t.is_full()) {
            let unauthenticated = || TileError::Unauthenticated { path: tile.path() };
            let parent_level = tile.level().checked_add(1).ok_or_else(unauthenticated)?;
            let (_, parent) = self
                .get(parent_level, tile.index() / u64::from(TILE_WIDTH))
                .ok_or_else(unauthenticated)?;
            let pos = (tile.index() % u64::from(TILE_WIDTH)) as usize * HASH_SIZE;
            let expected = parent
                .get(pos..pos + HASH_SIZE)
                .ok_or_else(unauthenticated)?;
            if tile_root(data).as_ref().map(|h| &h.0[..]) != Some(expected) {
                return Err(TileError::ParentMismatch { path: tile.path() });
            }
        }
        Ok(())
    }
}

/// The hashes stored in a tile's data.
pub(crate) fn tile_hashes(data: &[u8]) -> Vec<Hash> {
    data.chunks_exact(HASH_SIZE)
        .filter_map(|chunk| Hash::from_slice(chunk).ok())
        .collect()
}

/// The hash a full tile contributes to the level above: the root of its
/// 256 hashes. `None` for anything but a full tile's data.
pub fn tile_root(data: &[u8]) -> Option<Hash> {
    if data.len() != usize::from(TILE_WIDTH) * HASH_SIZE {
        return None;
    }
    perfect_root(&tile_hashes(data))
}

impl HashReader for TileSet {
    fn read_node(&self, node: NodeId) -> Result<Hash, HashReadError> {
        let loc = locate_node(node)?;
        let missing = || HashReadError::MissingTile {
            path: TileId::new(loc.tile_level, loc.tile_index, loc.needed_width())
                .map(|t| t.path())
                .unwrap_or_default(),
            needed_width: loc.needed_width(),
        };
        let data = self
            .tiles
            .get(&(loc.tile_level, loc.tile_index))
            .ok_or_else(missing)?;
        let start = usize::from(loc.start) * HASH_SIZE;
        let end = usize::from(loc.needed_width()) * HASH_SIZE;
        let run = data.get(start..end).ok_or_else(missing)?;
        perfect_root(&tile_hashes(run)).ok_or(HashReadError::Missing(node))
    }
}

/// The tile bytes for `tile` (its `width` hashes at Merkle level `8 * level`),
/// from any source of node hashes: how a sequencer that stores node hashes
/// (or a [`crate::merkle::MemoryTree`]) produces what `tile/...` serves.
pub fn tile_data(tile: TileId, reader: &impl HashReader) -> Result<Vec<u8>, HashReadError> {
    let level = tile.level() * 8; // level <= 7 for any valid tile
    let first = tile.index() * u64::from(TILE_WIDTH);
    let mut out = Vec::with_capacity(usize::from(tile.width()) * HASH_SIZE);
    for i in 0..u64::from(tile.width()) {
        out.extend_from_slice(&reader.read_node(NodeId::new(level, first + i))?.0);
    }
    Ok(out)
}

/// The tiles (as they are in a tree of `size` leaves) holding these nodes.
pub fn tiles_for_nodes(
    nodes: impl IntoIterator<Item = NodeId>,
    size: u64,
) -> Result<BTreeSet<TileId>, TileError> {
    let mut out = BTreeSet::new();
    for node in nodes {
        let loc = locate_node(node)?;
        let tile = tile_at(loc.tile_level, loc.tile_index, size)
            .filter(|t| t.width() >= loc.needed_width())
            .ok_or_else(|| TileError::NotInTree {
                path: format!("tile/{}/... (index {})", loc.tile_level, loc.tile_index),
                size,
            })?;
        out.insert(tile);
    }
    Ok(out)
}

/// Tiles needed to compute the root of a tree of `size` leaves.
pub fn tiles_for_tree_hash(size: u64) -> Result<BTreeSet<TileId>, TileError> {
    let rec = RecordingReader::new();
    tree_hash(size, &rec)?;
    tiles_for_nodes(rec.into_nodes(), size)
}

/// Tiles needed for the inclusion proof of leaf `index` in a tree of `size`.
pub fn tiles_for_inclusion_proof(index: u64, size: u64) -> Result<BTreeSet<TileId>, TileError> {
    let rec = RecordingReader::new();
    inclusion_proof(index, size, &rec)?;
    tiles_for_nodes(rec.into_nodes(), size)
}

/// Tiles needed for the consistency proof from `old` to `new` leaves (all
/// as they are in the tree of `new` leaves).
pub fn tiles_for_consistency_proof(old: u64, new: u64) -> Result<BTreeSet<TileId>, TileError> {
    let rec = RecordingReader::new();
    consistency_proof(old, new, &rec)?;
    tiles_for_nodes(rec.into_nodes(), new)
}

/// `tiles` plus what [`TileSet::authenticate`] needs to check them against
/// a tree of `size` leaves: the right-edge tiles and every full tile's
/// ancestors.
pub fn tiles_with_authentication(
    tiles: impl IntoIterator<Item = TileId>,
    size: u64,
) -> BTreeSet<TileId> {
    let mut out: BTreeSet<TileId> = right_edge_tiles(size).into_iter().collect();
    for tile in tiles {
        let mut current = Some(tile);
        while let Some(t) = current {
            if !out.insert(t) || !t.is_full() {
                // Already there (so are its ancestors), or partial (so it is
                // checked against the root directly).
                break;
            }
            current = t
                .level()
                .checked_add(1)
                .and_then(|level| tile_at(level, t.index() / u64::from(TILE_WIDTH), size));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inclusion::verify_inclusion;
    use crate::merkle::MemoryTree;

    fn tiles_from(tree: &MemoryTree, wanted: impl IntoIterator<Item = TileId>) -> TileSet {
        let mut set = TileSet::new();
        for t in wanted {
            set.insert(t, tile_data(t, tree).unwrap()).unwrap();
        }
        set
    }

    #[test]
    fn proofs_from_planned_tiles() {
        let size = 70_000u64;
        let mut tree = MemoryTree::new();
        for i in 0..size {
            tree.push_entry(&i.to_be_bytes());
        }
        let root = tree.root();
        let needed = tiles_for_tree_hash(size).unwrap();
        let set = tiles_from(&tree, needed.iter().copied());
        assert_eq!(tree_hash(size, &set).unwrap(), root);
        set.authenticate(size, &root).unwrap();

        for index in [0u64, 1, 255, 256, 65_535, 65_536, 69_999] {
            let needed = tiles_for_inclusion_proof(index, size).unwrap();
            let set = tiles_from(&tree, tiles_with_authentication(needed, size));
            set.authenticate(size, &root).unwrap();
            let proof = inclusion_proof(index, size, &set).unwrap();
            assert_eq!(proof, inclusion_proof(index, size, &tree).unwrap());
            verify_inclusion(index, size, &tree.leaf_hash(index).unwrap(), &proof, &root).unwrap();
        }
        for (old, new) in [
            (1u64, size),
            (256, size),
            (65_536, size),
            (69_999, size),
            (300, 70_000),
        ] {
            let needed = tiles_for_consistency_proof(old, new).unwrap();
            let set = tiles_from(&tree, needed);
            assert_eq!(
                consistency_proof(old, new, &set).unwrap(),
                consistency_proof(old, new, &tree).unwrap()
            );
        }
    }

    #[test]
    fn authentication_catches_tampering() {
        let size = 1000u64;
        let tree = MemoryTree::from_entries(
            (0..size)
                .map(|i| i.to_string().into_bytes())
                .collect::<Vec<_>>()
                .iter()
                .map(Vec::as_slice),
        );
        let root = tree.root();
        let all: Vec<TileId> = (0..4)
            .filter_map(|i| tile_at(0, i, size))
            .chain(tile_at(1, 0, size))
            .collect();
        let set = tiles_from(&tree, all.iter().copied());
        set.authenticate(size, &root).unwrap();

        // A flipped bit anywhere is caught.
        for tile in &all {
            let mut bad = set.clone();
            let mut data = tile_data(*tile, &tree).unwrap();
            data[5] ^= 1;
            bad.insert(*tile, data).unwrap();
            assert!(bad.authenticate(size, &root).is_err(), "{tile}");
        }
        // A full tile without its parent cannot be authenticated.
        let lonely = tiles_from(&tree, [all[0], tile_at(0, 3, size).unwrap()]);
        assert!(matches!(
            lonely.authenticate(size, &root),
            Err(TileError::Read(_)) | Err(TileError::Unauthenticated { .. })
        ));
        // A partial tile of another size is refused.
        let stale = tiles_from(&tree, [TileId::new(0, 3, 100).unwrap()]);
        assert!(matches!(
            stale.authenticate(size, &root),
            Err(TileError::WrongWidth { .. })
        ));
        // Wrong data length on insert.
        assert!(TileSet::new().insert(all[0], vec![0; 31]).is_err());
    }
}
