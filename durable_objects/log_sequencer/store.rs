//! The sequencer's own state, in its SQLite storage.
//!
//! Everything the log has acknowledged lives here first: the pool of entries
//! not yet in the tree, the sequenced entries, the widest version of every
//! hash tile, every signed checkpoint, and how far R2 has been published.
//! Writes made without an `await` between them commit atomically, which is
//! what makes a sequenced batch all-or-nothing.

use std::cell::RefCell;
use std::collections::HashMap;

use fairtrain_tlog::tile_math::locate_node;
use fairtrain_tlog::{Hash, HashReadError, HashReader, NodeId, TileId, TileSet};
use worker::{SqlStorage, SqlStorageValue as V};

use crate::http::error::{ApiError, ApiResult};

const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS pool (seq INTEGER PRIMARY KEY AUTOINCREMENT, hash BLOB NOT NULL UNIQUE, entry BLOB NOT NULL, assets TEXT NOT NULL, received_ms INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS entries (idx INTEGER PRIMARY KEY, hash BLOB NOT NULL UNIQUE, entry BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS asset_entries (asset TEXT NOT NULL, idx INTEGER NOT NULL, PRIMARY KEY (asset, idx)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS tiles (level INTEGER NOT NULL, idx INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (level, idx)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS checkpoints (size INTEGER PRIMARY KEY, note BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL)",
];

/// An entry waiting in the pool.
pub struct Pending {
    pub seq: i64,
    pub hash: Vec<u8>,
    pub entry: Vec<u8>,
    pub assets: Vec<String>,
}

pub enum Found {
    Sequenced(u64),
    Pooled,
}

pub struct Store {
    sql: SqlStorage,
}

fn sql_err(e: worker::Error) -> ApiError {
    ApiError::internal(format!("log storage: {e}"))
}

fn int(v: Option<&V>) -> Option<i64> {
    match v {
        Some(V::Integer(i)) => Some(*i),
        Some(V::Float(f)) => Some(*f as i64),
        _ => None,
    }
}

fn blob(v: Option<&V>) -> Option<Vec<u8>> {
    match v {
        Some(V::Blob(b)) => Some(b.clone()),
        _ => None,
    }
}

fn u(n: u64) -> V {
    V::Integer(n as i64)
}

impl Store {
    pub fn new(sql: SqlStorage) -> Store {
        Store { sql }
    }

    /// Create the tables if this is a new log (idempotent).
    pub fn migrate(&self) -> ApiResult<()> {
        for stmt in SCHEMA {
            self.sql.exec(stmt, None).map_err(sql_err)?;
        }
        Ok(())
    }

    fn rows(&self, query: &str, args: Vec<V>) -> ApiResult<Vec<Vec<V>>> {
        self.sql
            .exec(query, args)
            .map_err(sql_err)?
            .raw()
            .collect::<worker::Result<Vec<_>>>()
            .map_err(sql_err)
    }

    fn run(&self, query: &str, args: Vec<V>) -> ApiResult<()> {
        self.sql.exec(query, args).map_err(sql_err).map(|_| ())
    }

    fn scalar(&self, query: &str, args: Vec<V>) -> ApiResult<Option<i64>> {
        Ok(self.rows(query, args)?.first().and_then(|r| int(r.first())))
    }

    /// The size of the latest signed checkpoint: the tree everyone can see.
    pub fn size(&self) -> ApiResult<u64> {
        Ok(self
            .scalar("SELECT COALESCE(MAX(size), 0) FROM checkpoints", vec![])?
            .unwrap_or(0) as u64)
    }

    pub fn checkpoint(&self, size: Option<u64>) -> ApiResult<Option<(u64, Vec<u8>)>> {
        let rows = match size {
            Some(s) => self.rows(
                "SELECT size, note FROM checkpoints WHERE size = ?",
                vec![u(s)],
            )?,
            None => self.rows(
                "SELECT size, note FROM checkpoints ORDER BY size DESC LIMIT 1",
                vec![],
            )?,
        };
        Ok(rows
            .first()
            .and_then(|r| Some((int(r.first())? as u64, blob(r.get(1))?))))
    }

    pub fn published(&self) -> ApiResult<u64> {
        Ok(self
            .scalar("SELECT v FROM meta WHERE k = 'published'", vec![])?
            .unwrap_or(0) as u64)
    }

    pub fn set_published(&self, size: u64) -> ApiResult<()> {
        self.run("INSERT INTO meta (k, v) VALUES ('published', ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v", vec![u(size)])
    }

    pub fn pool_len(&self) -> ApiResult<u64> {
        Ok(self
            .scalar("SELECT COUNT(*) FROM pool", vec![])?
            .unwrap_or(0) as u64)
    }

    pub fn find(&self, hash: &[u8]) -> ApiResult<Option<Found>> {
        if let Some(i) = self.scalar(
            "SELECT idx FROM entries WHERE hash = ?",
            vec![V::Blob(hash.to_vec())],
        )? {
            return Ok(Some(Found::Sequenced(i as u64)));
        }
        let pooled = self.scalar(
            "SELECT 1 FROM pool WHERE hash = ?",
            vec![V::Blob(hash.to_vec())],
        )?;
        Ok(pooled.map(|_| Found::Pooled))
    }

    pub fn pool_insert(
        &self,
        hash: &[u8],
        entry: &[u8],
        assets: &[String],
        now_ms: u64,
    ) -> ApiResult<()> {
        let assets = serde_json::to_string(assets).map_err(ApiError::internal)?;
        self.run(
            "INSERT INTO pool (hash, entry, assets, received_ms) VALUES (?, ?, ?, ?)",
            vec![
                V::Blob(hash.to_vec()),
                V::Blob(entry.to_vec()),
                V::String(assets),
                u(now_ms),
            ],
        )
    }

    pub fn pool_batch(&self, limit: u64) -> ApiResult<Vec<Pending>> {
        self.rows(
            "SELECT seq, hash, entry, assets FROM pool ORDER BY seq LIMIT ?",
            vec![u(limit)],
        )?
        .into_iter()
        .map(|r| {
            let bad = || ApiError::internal("log storage: malformed pool row");
            Ok(Pending {
                seq: int(r.first()).ok_or_else(bad)?,
                hash: blob(r.get(1)).ok_or_else(bad)?,
                entry: blob(r.get(2)).ok_or_else(bad)?,
                assets: match r.get(3) {
                    Some(V::String(s)) => serde_json::from_str(s).map_err(|_| bad())?,
                    _ => return Err(bad()),
                },
            })
        })
        .collect()
    }

    pub fn pool_delete_through(&self, seq: i64) -> ApiResult<()> {
        self.run("DELETE FROM pool WHERE seq <= ?", vec![V::Integer(seq)])
    }

    pub fn insert_entry(
        &self,
        index: u64,
        hash: &[u8],
        entry: &[u8],
        assets: &[String],
    ) -> ApiResult<()> {
        self.run(
            "INSERT INTO entries (idx, hash, entry) VALUES (?, ?, ?)",
            vec![u(index), V::Blob(hash.to_vec()), V::Blob(entry.to_vec())],
        )?;
        for a in assets {
            self.run(
                "INSERT OR IGNORE INTO asset_entries (asset, idx) VALUES (?, ?)",
                vec![V::String(a.clone()), u(index)],
            )?;
        }
        Ok(())
    }

    pub fn entry(&self, index: u64) -> ApiResult<Option<Vec<u8>>> {
        Ok(self
            .rows("SELECT entry FROM entries WHERE idx = ?", vec![u(index)])?
            .first()
            .and_then(|r| blob(r.first())))
    }

    /// Entries `start..end`, in order.
    pub fn entries(&self, start: u64, end: u64) -> ApiResult<Vec<Vec<u8>>> {
        self.rows(
            "SELECT entry FROM entries WHERE idx >= ? AND idx < ? ORDER BY idx",
            vec![u(start), u(end)],
        )?
        .iter()
        .map(|r| {
            blob(r.first()).ok_or_else(|| ApiError::internal("log storage: malformed entry row"))
        })
        .collect()
    }

    pub fn asset_indexes(&self, asset: &str, limit: u64) -> ApiResult<Vec<u64>> {
        Ok(self
            .rows(
                "SELECT idx FROM asset_entries WHERE asset = ? ORDER BY idx LIMIT ?",
                vec![V::String(asset.into()), u(limit)],
            )?
            .iter()
            .filter_map(|r| int(r.first()).map(|i| i as u64))
            .collect())
    }

    pub fn tile(&self, level: u8, index: u64) -> ApiResult<Option<Vec<u8>>> {
        Ok(self
            .rows(
                "SELECT data FROM tiles WHERE level = ? AND idx = ?",
                vec![V::Integer(level.into()), u(index)],
            )?
            .first()
            .and_then(|r| blob(r.first())))
    }

    pub fn put_tile(&self, tile: &TileId, data: &[u8]) -> ApiResult<()> {
        self.run(
            "INSERT INTO tiles (level, idx, data) VALUES (?, ?, ?) ON CONFLICT (level, idx) DO UPDATE SET data = excluded.data",
            vec![V::Integer(tile.level().into()), u(tile.index()), V::Blob(data.to_vec())],
        )
    }

    pub fn put_checkpoint(&self, size: u64, note: &[u8]) -> ApiResult<()> {
        self.run(
            "INSERT INTO checkpoints (size, note) VALUES (?, ?)",
            vec![u(size), V::Blob(note.to_vec())],
        )
    }

    /// A reader over the stored tiles, for proofs and tree hashes.
    pub fn reader(&self) -> StoredTiles<'_> {
        StoredTiles {
            store: self,
            cache: RefCell::new(HashMap::new()),
        }
    }
}

/// Reads tree nodes from the stored tiles, each tile fetched once. Stored
/// tiles are the widest seen, and a tile's hashes never change once written,
/// so they serve every tree size up to the current one.
pub struct StoredTiles<'a> {
    store: &'a Store,
    cache: RefCell<HashMap<(u8, u64), Option<TileSet>>>,
}

impl HashReader for StoredTiles<'_> {
    fn read_node(&self, node: NodeId) -> Result<Hash, HashReadError> {
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
