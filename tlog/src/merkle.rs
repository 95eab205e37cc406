//! The tree as a set of perfect subtrees, and the "hash reader" through which
//! every algorithm in this crate reads it.
//!
//! Any RFC 6962 tree head, inclusion proof or consistency proof is a function
//! of the hashes of a few *perfect* subtrees (2^level leaves, aligned). A
//! [`HashReader`] serves those; where they come from is the caller's business:
//! an in-memory [`MemoryTree`], tiles downloaded by a mirror or the CLI
//! ([`crate::tile_reader::TileSet`]), or the sequencer's stored tiles.

use std::collections::BTreeSet;
use std::sync::Mutex;

use crate::hash::{leaf_hash, node_hash, Hash, EMPTY_ROOT};

/// A perfect subtree: covers leaves `[index << level, (index + 1) << level)`.
/// Level 0 is a leaf hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId {
    pub level: u8,
    pub index: u64,
}

impl NodeId {
    pub const fn new(level: u8, index: u64) -> Self {
        NodeId { level, index }
    }
}

/// Why a node hash could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HashReadError {
    #[error("hash of node (level {}, index {}) is not available", .0.level, .0.index)]
    Missing(NodeId),
    #[error("tile {path} is needed (at least {needed_width} hashes wide) but not available")]
    MissingTile { path: String, needed_width: u16 },
    #[error("node (level {}, index {}) cannot exist in a tree of at most 2^64-1 leaves", .0.level, .0.index)]
    InvalidNode(NodeId),
}

/// Reads the hash of a perfect subtree. Implementations return only hashes
/// of complete subtrees: the algorithms never ask for anything else.
pub trait HashReader {
    fn read_node(&self, node: NodeId) -> Result<Hash, HashReadError>;
}

impl<T: HashReader + ?Sized> HashReader for &T {
    fn read_node(&self, node: NodeId) -> Result<Hash, HashReadError> {
        (**self).read_node(node)
    }
}

/// Why a proof could not be built or did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("leaf index {index} is not in a tree of size {size}")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("tree sizes go backwards: {old} > {new}")]
    SizesReversed { old: u64, new: u64 },
    #[error("a consistency proof from the empty tree proves nothing")]
    EmptyOldTree,
    #[error("proof has the wrong number of hashes for these tree sizes")]
    WrongProofLength,
    #[error("proof does not lead to the expected root hash")]
    RootMismatch,
    #[error("consistency proof does not lead to the old root hash")]
    OldRootMismatch,
    #[error(transparent)]
    Read(#[from] HashReadError),
}

/// The perfect subtrees that make up `[lo, hi)`, left to right: at each
/// step the largest aligned power of two that still fits. For the ranges
/// RFC 6962 recurses on (`lo` a multiple of a power of two >= `hi - lo`)
/// this is exactly MTH's left-perfect split, applied repeatedly.
pub(crate) fn perfect_subtrees(mut lo: u64, hi: u64) -> Vec<NodeId> {
    let mut out = Vec::new();
    while lo < hi {
        let fits = 63 - (hi - lo).leading_zeros(); // floor(log2(hi - lo))
        let aligned = lo.trailing_zeros(); // 64 when lo == 0
        let level = fits.min(aligned);
        out.push(NodeId::new(level as u8, lo >> level));
        lo += 1u64 << level; // <= hi, so no overflow
    }
    out
}

/// MTH(D[lo:hi]) for an RFC 6962 subtree range, folded right to left from
/// its perfect subtrees (`H(P1, H(P2, P3))`, as the recursion nests).
pub(crate) fn range_hash(
    lo: u64,
    hi: u64,
    reader: &impl HashReader,
) -> Result<Hash, HashReadError> {
    let nodes = perfect_subtrees(lo, hi);
    let mut iter = nodes.iter().rev();
    let Some(last) = iter.next() else {
        return Ok(EMPTY_ROOT);
    };
    let mut acc = reader.read_node(*last)?;
    for node in iter {
        acc = node_hash(&reader.read_node(*node)?, &acc);
    }
    Ok(acc)
}

/// The root hash (MTH) of the first `size` leaves.
pub fn tree_hash(size: u64, reader: &impl HashReader) -> Result<Hash, HashReadError> {
    range_hash(0, size, reader)
}

/// Hash of a perfect subtree given the hashes of its 2^k children at some
/// lower level (`hashes.len()` must be a power of two). Used to derive the
/// levels inside a tile from the hashes it stores.
pub(crate) fn perfect_root(hashes: &[Hash]) -> Option<Hash> {
    match hashes.len() {
        0 => None,
        1 => Some(hashes[0]),
        n if n.is_power_of_two() => {
            let half = n / 2;
            Some(node_hash(
                &perfect_root(&hashes[..half])?,
                &perfect_root(&hashes[half..])?,
            ))
        }
        _ => None,
    }
}

/// Records which nodes an algorithm reads, answering with dummy hashes. The
/// algorithms' reads never depend on hash values, so running one against a
/// recorder yields exactly the nodes (and so the tiles) it needs: fetch
/// those first (asynchronously, from R2 or over HTTP), then run it for real.
#[derive(Debug, Default)]
pub struct RecordingReader {
    nodes: Mutex<BTreeSet<NodeId>>,
}

impl RecordingReader {
    pub fn new() -> Self {
        Self::default()
    }

    /// Every node read so far, sorted.
    pub fn into_nodes(self) -> BTreeSet<NodeId> {
        self.nodes.into_inner().unwrap_or_else(|e| e.into_inner())
    }
}

impl HashReader for RecordingReader {
    fn read_node(&self, node: NodeId) -> Result<Hash, HashReadError> {
        // A poisoned lock only means another reader panicked mid-insert;
        // the set itself is still usable.
        let mut nodes = self.nodes.lock().unwrap_or_else(|e| e.into_inner());
        nodes.insert(node);
        Ok(Hash::default())
    }
}

/// A whole tree in memory: every perfect subtree's hash, level by level.
/// For tests, the CLI and building small logs; the sequencer keeps tiles.
#[derive(Debug, Clone, Default)]
pub struct MemoryTree {
    /// `levels[l][i]` is the hash of `NodeId { level: l, index: i }`.
    levels: Vec<Vec<Hash>>,
}

impl MemoryTree {
    pub fn new() -> Self {
        Self::default()
    }

    /// A tree of these entries, in order.
    pub fn from_entries<'a>(entries: impl IntoIterator<Item = &'a [u8]>) -> Self {
        let mut tree = Self::new();
        for entry in entries {
            tree.push_entry(entry);
        }
        tree
    }

    /// Appends an entry; returns its index.
    pub fn push_entry(&mut self, entry: &[u8]) -> u64 {
        self.push_leaf_hash(leaf_hash(entry))
    }

    /// Appends a leaf by its hash; returns its index.
    pub fn push_leaf_hash(&mut self, leaf: Hash) -> u64 {
        let index = self.size();
        let mut hash = leaf;
        let mut level = 0;
        loop {
            if self.levels.len() == level {
                self.levels.push(Vec::new());
            }
            self.levels[level].push(hash);
            let len = self.levels[level].len();
            // A right child completes its parent.
            if len % 2 == 1 {
                break;
            }
            hash = node_hash(&self.levels[level][len - 2], &self.levels[level][len - 1]);
            level += 1;
        }
        index
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    /// The current root hash.
    pub fn root(&self) -> Hash {
        // Every node tree_hash reads exists in a tree of this size.
        tree_hash(self.size(), self).unwrap_or(EMPTY_ROOT)
    }

    /// The root hash the tree had at an earlier `size`.
    pub fn root_at(&self, size: u64) -> Result<Hash, HashReadError> {
        tree_hash(size, self)
    }

    /// Leaf hash at `index`, if present.
    pub fn leaf_hash(&self, index: u64) -> Option<Hash> {
        let i = usize::try_from(index).ok()?;
        self.levels.first()?.get(i).copied()
    }
}

impl HashReader for MemoryTree {
    fn read_node(&self, node: NodeId) -> Result<Hash, HashReadError> {
        usize::try_from(node.index)
            .ok()
            .and_then(|i| self.levels.get(usize::from(node.level))?.get(i))
            .copied()
            .ok_or(HashReadError::Missing(node))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::root_of_leaf_hashes;

    #[test]
    fn decomposition_matches_binary_expansion() {
        assert_eq!(perfect_subtrees(0, 0), vec![]);
        assert_eq!(
            perfect_subtrees(0, 7),
            vec![NodeId::new(2, 0), NodeId::new(1, 2), NodeId::new(0, 6)]
        );
        assert_eq!(
            perfect_subtrees(8, 11),
            vec![NodeId::new(1, 4), NodeId::new(0, 10)]
        );
        assert_eq!(perfect_subtrees(0, u64::MAX).len(), 64);
    }

    #[test]
    fn memory_tree_roots_match_definition() {
        let leaves: Vec<Hash> = (0u32..70).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let mut tree = MemoryTree::new();
        for (i, leaf) in leaves.iter().enumerate() {
            assert_eq!(tree.push_leaf_hash(*leaf), i as u64);
            assert_eq!(tree.root(), root_of_leaf_hashes(&leaves[..=i]));
        }
        for size in 0..=70 {
            assert_eq!(
                tree.root_at(size).unwrap(),
                root_of_leaf_hashes(&leaves[..size as usize])
            );
        }
        assert!(tree.root_at(71).is_err());
    }

    #[test]
    fn recorder_lists_the_nodes_read() {
        let rec = RecordingReader::new();
        tree_hash(6, &rec).unwrap();
        let nodes: Vec<_> = rec.into_nodes().into_iter().collect();
        assert_eq!(nodes, vec![NodeId::new(1, 2), NodeId::new(2, 0)]);
    }
}
