//! The sequencer's own storage: the port, and a tree reader over it.
//!
//! Everything the log has acknowledged lives here first: the pool of entries
//! not yet in the tree, the sequenced entries, the widest version of every
//! hash tile, every signed checkpoint, and how far publishing has got. The
//! Durable Object implements it over its SQLite storage, whose API is
//! synchronous, so the methods are too.

use std::cell::RefCell;
use std::collections::HashMap;

use fairtrain_tlog::tile_math::locate_node;
use fairtrain_tlog::{Hash, HashReadError, HashReader, NodeId, TileId, TileSet};

use crate::error::Result;

/// An entry waiting in the pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// Its place in the pool: pooled entries are sequenced in this order.
    pub seq: i64,
    /// The SHA-256 of `entry`.
    pub hash: Vec<u8>,
    pub entry: Vec<u8>,
    /// `sha256:<hex>` of each asset the entry concerns.
    pub assets: Vec<String>,
}

/// Where an entry is, by its hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    Sequenced(u64),
    Pooled,
}

/// One sequenced batch: written all at once or not at all.
pub struct Batch<'a> {
    /// The pooled entries, in order; the first gets index `first_index`.
    pub entries: &'a [Pending],
    pub first_index: u64,
    /// Every hash tile that is new or wider (a stored tile is replaced).
    pub tiles: &'a [(TileId, Vec<u8>)],
    /// The new tree size and its signed checkpoint.
    pub size: u64,
    pub checkpoint: &'a [u8],
    /// Pooled entries up to this `seq` leave the pool.
    pub pool_through: i64,
}

pub trait SequencerStore {
    /// The size of the latest signed checkpoint: the tree everyone can see.
    fn size(&self) -> Result<u64>;
    /// The signed checkpoint of the tree at `size`, or the latest.
    fn checkpoint(&self, size: Option<u64>) -> Result<Option<(u64, Vec<u8>)>>;
    /// The tree size published so far.
    fn published(&self) -> Result<u64>;
    fn set_published(&self, size: u64) -> Result<()>;
    /// How many entries wait in the pool.
    fn pool_len(&self) -> Result<u64>;
    /// The entry with this hash, in the tree or in the pool.
    fn find(&self, hash: &[u8]) -> Result<Option<Found>>;
    /// Pools an entry not found before (its hash is unique in the pool).
    fn pool_insert(&self, hash: &[u8], entry: &[u8], assets: &[String], now_ms: u64) -> Result<()>;
    /// The oldest pooled entries, at most `limit`, in pool order.
    fn pool_batch(&self, limit: u64) -> Result<Vec<Pending>>;
    /// Writes a sequenced batch atomically: its entries (and their assets),
    /// its tiles and its checkpoint, and takes it out of the pool.
    fn commit_batch(&self, batch: &Batch<'_>) -> Result<()>;
    fn entry(&self, index: u64) -> Result<Option<Vec<u8>>>;
    /// Entries `start..end`, in order.
    fn entries(&self, start: u64, end: u64) -> Result<Vec<Vec<u8>>>;
    /// Indexes of the entries about `asset`, lowest first, at most `limit`.
    fn asset_indexes(&self, asset: &str, limit: u64) -> Result<Vec<u64>>;
    /// The widest stored version of a hash tile.
    fn tile(&self, level: u8, index: u64) -> Result<Option<Vec<u8>>>;
}

/// Reads tree nodes from the stored tiles, each tile fetched once. Stored
/// tiles are the widest seen, and a tile's hashes never change once written,
/// so they serve every tree size up to the current one.
pub struct StoredTiles<'a, S> {
    store: &'a S,
    cache: RefCell<HashMap<(u8, u64), Option<TileSet>>>,
}

impl<'a, S: SequencerStore> StoredTiles<'a, S> {
    pub fn new(store: &'a S) -> Self {
        StoredTiles {
            store,
            cache: RefCell::new(HashMap::new()),
        }
    }
}

impl<S: SequencerStore> HashReader for StoredTiles<'_, S> {
    fn read_node(&self, node: NodeId) -> std::result::Result<Hash, HashReadError> {
        let loc = locate_node(node)?;
        let key = (loc.tile_level, loc.tile_index);
        let mut cache = self.cache.borrow_mut();
        let set = cache.entry(key).or_insert_with(|| {
            let data = self
                .store
                .tile(loc.tile_level, loc.tile_index)
                .ok()
                .flatten()?;
            let width = u16::try_from(data.len() / 32).ok()?;
            let id = TileId::new(loc.tile_level, loc.tile_index, width).ok()?;
            let mut set = TileSet::new();
            set.insert(id, data).ok()?;
            Some(set)
        });
        match set {
            Some(set) => set.read_node(node),
            None => Err(HashReadError::Missing(node)),
        }
    }
}
