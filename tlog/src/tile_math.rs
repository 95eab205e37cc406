//! Tile arithmetic for tile height 8 (C2SP tlog-tiles): which tiles a tree
//! of a given size has, which ones change when it grows, and in which tile
//! (and where in it) the hash of any perfect subtree lives.
//!
//! Tile level `L` stores the hashes of Merkle level `8L`: a level-0 tile holds
//! 256 leaf hashes, a level-1 tile the roots of 256 full level-0 tiles, and
//! so on. The 7 Merkle levels in between are recomputed from a tile's hashes.

use crate::merkle::{HashReadError, NodeId, ProofError};
use crate::tile_path::{BundleId, PathError, TileId, TILE_WIDTH};

const WIDTH: u64 = TILE_WIDTH as u64;

/// Why a tile operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TileError {
    #[error("tree sizes go backwards: {old} > {new}")]
    SizesReversed { old: u64, new: u64 },
    #[error("tree would exceed 2^64-1 leaves")]
    TreeTooLarge,
    #[error("tile {path} is needed but not available")]
    MissingTile { path: String },
    #[error("tile {path} must be {expected} bytes, found {found}")]
    WrongDataLength {
        path: String,
        expected: usize,
        found: usize,
    },
    #[error("tile {path} does not exist in a tree of size {size}")]
    NotInTree { path: String, size: u64 },
    #[error("tile {path} has the wrong width for a tree of size {size}")]
    WrongWidth { path: String, size: u64 },
    #[error("tile {path} cannot be authenticated: its parent tile is missing")]
    Unauthenticated { path: String },
    #[error("tile {path} does not match the hash in its parent tile")]
    ParentMismatch { path: String },
    #[error("tiles do not lead to the expected root hash")]
    RootMismatch,
    #[error(transparent)]
    Path(#[from] PathError),
    #[error(transparent)]
    Read(#[from] HashReadError),
    #[error(transparent)]
    Proof(#[from] ProofError),
}

/// How many hashes tile level `level` holds for a tree of `size` leaves:
/// the number of complete Merkle nodes at level `8 * level`.
pub fn hashes_at_level(size: u64, level: u8) -> u64 {
    size.checked_shr(8 * u32::from(level)).unwrap_or(0)
}

/// Tile `index` of `level` as it is in a tree of `size` leaves (its width
/// then), or `None` if that tree does not have it yet.
pub fn tile_at(level: u8, index: u64, size: u64) -> Option<TileId> {
    let count = hashes_at_level(size, level);
    let start = index.checked_mul(WIDTH)?;
    if count <= start {
        return None;
    }
    let width = (count - start).min(WIDTH) as u16; // <= 256
    TileId::new(level, index, width).ok()
}

/// The entry bundle `index` as it is in a tree of `size` leaves.
pub fn bundle_at(index: u64, size: u64) -> Option<BundleId> {
    let tile = tile_at(0, index, size)?;
    BundleId::new(tile.index(), tile.width()).ok()
}

/// The partial tiles on the right edge of a tree of `size` leaves, lowest
/// level first. With the full tiles they hash into, they are all a
/// sequencer needs to append, and all that determines the root hash.
pub fn right_edge_tiles(size: u64) -> Vec<TileId> {
    (0u8..8)
        .filter_map(|level| {
            let count = hashes_at_level(size, level);
            let width = (count % WIDTH) as u16;
            if width == 0 {
                return None;
            }
            TileId::new(level, count / WIDTH, width).ok()
        })
        .collect()
}

/// The partial entry bundle at the end of a tree of `size` leaves, if any.
pub fn right_edge_bundle(size: u64) -> Option<BundleId> {
    let width = (size % WIDTH) as u16;
    if width == 0 {
        return None;
    }
    BundleId::new(size / WIDTH, width).ok()
}

/// The tiles to (re)write when the tree grows from `old` to `new` leaves:
/// per level, every tile completed or extended, in their `new` widths,
/// lowest level first. Partial tiles at `old` that got wider are included
/// (under their new path); the old partial paths may be kept or deleted.
pub fn changed_tiles(old: u64, new: u64) -> Result<Vec<TileId>, TileError> {
    if old > new {
        return Err(TileError::SizesReversed { old, new });
    }
    let mut out = Vec::new();
    for level in 0u8..8 {
        let (old_count, new_count) = (hashes_at_level(old, level), hashes_at_level(new, level));
        if old_count == new_count {
            // Nothing at this level changed, so nothing above it did.
            break;
        }
        // The tile holding hash `old_count` is the first one touched.
        for index in old_count / WIDTH..=(new_count - 1) / WIDTH {
            if let Some(tile) = tile_at(level, index, new) {
                out.push(tile);
            }
        }
    }
    Ok(out)
}

/// The entry bundles to (re)write when the tree grows from `old` to `new`.
pub fn changed_bundles(old: u64, new: u64) -> Result<Vec<BundleId>, TileError> {
    Ok(changed_tiles(old, new)?
        .into_iter()
        .filter(|t| t.level() == 0)
        .filter_map(|t| BundleId::new(t.index(), t.width()).ok())
        .collect())
}

/// Where the hash of a perfect subtree is stored: it is the perfect-subtree
/// root of hashes `start .. start + count` of tile (`tile_level`,
/// `tile_index`), which must be at least `start + count` wide.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeLocation {
    pub tile_level: u8,
    pub tile_index: u64,
    pub start: u16,
    pub count: u16,
}

impl NodeLocation {
    /// Width the tile needs to serve this node.
    pub fn needed_width(&self) -> u16 {
        self.start + self.count
    }
}

/// Finds the tile holding `node`: the tile at level `node.level / 8`, where
/// the node is the root of `2^(node.level % 8)` adjacent stored hashes.
pub fn locate_node(node: NodeId) -> Result<NodeLocation, HashReadError> {
    let level = u32::from(node.level);
    // A node beyond level 63, or one ending past 2^64, has no tree.
    if level >= 64 || node.index > u64::MAX >> level {
        return Err(HashReadError::InvalidNode(node));
    }
    let sub = level % 8;
    let first = node.index << sub; // <= u64::MAX >> (level - sub): no overflow
    Ok(NodeLocation {
        tile_level: (level / 8) as u8,
        tile_index: first / WIDTH,
        start: (first % WIDTH) as u16,
        count: 1 << sub,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(tiles: &[TileId]) -> Vec<String> {
        tiles.iter().map(TileId::path).collect()
    }

    #[test]
    fn spec_example_tree_of_70000() {
        // tlog-tiles: "273 full level 0 tiles, one partial level 0 tile of
        // width 112, one full level 1 tile, one partial level 1 tile of
        // width 17, and one partial level 2 tile of width 1".
        assert_eq!(hashes_at_level(70_000, 0) / 256, 273);
        assert_eq!(
            ids(&right_edge_tiles(70_000)),
            vec!["tile/0/273.p/112", "tile/1/001.p/17", "tile/2/000.p/1"]
        );
        assert_eq!(tile_at(1, 0, 70_000).map(|t| t.width()), Some(256));
        assert_eq!(tile_at(0, 274, 70_000), None);
        // "a tree of size 256 will be represented by a full level 0 tile and
        // a partial level 1 tile of width 1".
        assert_eq!(
            ids(&changed_tiles(0, 256).unwrap()),
            vec!["tile/0/000", "tile/1/000.p/1"]
        );
        assert_eq!(ids(&right_edge_tiles(256)), vec!["tile/1/000.p/1"]);
        assert!(right_edge_tiles(0).is_empty());
    }

    #[test]
    fn changed_tiles_on_growth() {
        assert_eq!(ids(&changed_tiles(0, 1).unwrap()), vec!["tile/0/000.p/1"]);
        assert_eq!(ids(&changed_tiles(1, 2).unwrap()), vec!["tile/0/000.p/2"]);
        assert_eq!(changed_tiles(5, 5).unwrap(), vec![]);
        assert_eq!(
            ids(&changed_tiles(250, 600).unwrap()),
            vec![
                "tile/0/000",
                "tile/0/001",
                "tile/0/002.p/88",
                "tile/1/000.p/2"
            ]
        );
        assert_eq!(
            ids(&changed_tiles(512, 513).unwrap()),
            vec!["tile/0/002.p/1"]
        );
        assert_eq!(
            ids(&changed_tiles(65_535, 65_536).unwrap()),
            vec!["tile/0/255", "tile/1/000", "tile/2/000.p/1"]
        );
        assert_eq!(
            changed_tiles(3, 2),
            Err(TileError::SizesReversed { old: 3, new: 2 })
        );
        let bundles: Vec<String> = changed_bundles(250, 600)
            .unwrap()
            .iter()
            .map(BundleId::path)
            .collect();
        assert_eq!(
            bundles,
            vec![
                "tile/entries/000",
                "tile/entries/001",
                "tile/entries/002.p/88"
            ]
        );
        // The largest tree: every level up to 7 has a partial tile.
        assert_eq!(right_edge_tiles(u64::MAX).len(), 8);
        assert_eq!(changed_tiles(u64::MAX - 1, u64::MAX).unwrap().len(), 1);
    }

    #[test]
    fn node_locations() {
        let at = |level, index| locate_node(NodeId::new(level, index)).unwrap();
        assert_eq!(
            at(0, 300),
            NodeLocation {
                tile_level: 0,
                tile_index: 1,
                start: 44,
                count: 1
            }
        );
        assert_eq!(
            at(3, 5),
            NodeLocation {
                tile_level: 0,
                tile_index: 0,
                start: 40,
                count: 8
            }
        );
        assert_eq!(
            at(8, 0),
            NodeLocation {
                tile_level: 1,
                tile_index: 0,
                start: 0,
                count: 1
            }
        );
        assert_eq!(
            at(15, 3),
            NodeLocation {
                tile_level: 1,
                tile_index: 1,
                start: 128,
                count: 128
            }
        );
        assert_eq!(at(63, 1).tile_level, 7);
        assert!(locate_node(NodeId::new(64, 0)).is_err());
        assert!(locate_node(NodeId::new(63, 2)).is_err());
        assert!(locate_node(NodeId::new(0, u64::MAX)).is_ok());
    }
}
