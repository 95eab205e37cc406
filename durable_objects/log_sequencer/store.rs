//! The sequencer's storage (`fairtrain_app::log::sequencer::SequencerStore`)
//! in the Durable Object's SQLite.
//!
//! Writes made without an `await` between them commit atomically, which is
//! what makes a sequenced batch (`commit_batch`) all-or-nothing.

use fairtrain_app::log::sequencer::{Batch, Found, Pending, SequencerStore};
use fairtrain_app::{Error, Result};
use worker::{SqlStorage, SqlStorageValue as V};

const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS pool (seq INTEGER PRIMARY KEY AUTOINCREMENT, hash BLOB NOT NULL UNIQUE, entry BLOB NOT NULL, assets TEXT NOT NULL, received_ms INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS entries (idx INTEGER PRIMARY KEY, hash BLOB NOT NULL UNIQUE, entry BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS asset_entries (asset TEXT NOT NULL, idx INTEGER NOT NULL, PRIMARY KEY (asset, idx)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS tiles (level INTEGER NOT NULL, idx INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (level, idx)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS checkpoints (size INTEGER PRIMARY KEY, note BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL)",
];

pub struct SqlStore {
    sql: SqlStorage,
}

fn sql_err(e: worker::Error) -> Error {
    Error::internal(format!("log storage: {e}"))
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

impl SqlStore {
    pub fn new(sql: SqlStorage) -> SqlStore {
        SqlStore { sql }
    }

    /// Create the tables if this is a new log (idempotent).
    pub fn migrate(&self) -> Result<()> {
        for stmt in SCHEMA {
            self.sql.exec(stmt, None).map_err(sql_err)?;
        }
        Ok(())
    }

    fn rows(&self, query: &str, args: Vec<V>) -> Result<Vec<Vec<V>>> {
        self.sql
            .exec(query, args)
            .map_err(sql_err)?
            .raw()
            .collect::<worker::Result<Vec<_>>>()
            .map_err(sql_err)
    }

    fn run(&self, query: &str, args: Vec<V>) -> Result<()> {
        self.sql.exec(query, args).map_err(sql_err).map(|_| ())
    }

    fn scalar(&self, query: &str, args: Vec<V>) -> Result<Option<i64>> {
        Ok(self.rows(query, args)?.first().and_then(|r| int(r.first())))
    }
}

impl SequencerStore for SqlStore {
    fn size(&self) -> Result<u64> {
        Ok(self
            .scalar("SELECT COALESCE(MAX(size), 0) FROM checkpoints", vec![])?
            .unwrap_or(0) as u64)
    }

    fn checkpoint(&self, size: Option<u64>) -> Result<Option<(u64, Vec<u8>)>> {
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

    fn published(&self) -> Result<u64> {
        Ok(self
            .scalar("SELECT v FROM meta WHERE k = 'published'", vec![])?
            .unwrap_or(0) as u64)
    }

    fn set_published(&self, size: u64) -> Result<()> {
        self.run("INSERT INTO meta (k, v) VALUES ('published', ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v", vec![u(size)])
    }

    fn pool_len(&self) -> Result<u64> {
        Ok(self
            .scalar("SELECT COUNT(*) FROM pool", vec![])?
            .unwrap_or(0) as u64)
    }

    fn find(&self, hash: &[u8]) -> Result<Option<Found>> {
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

    fn pool_insert(&self, hash: &[u8], entry: &[u8], assets: &[String], now_ms: u64) -> Result<()> {
        let assets = serde_json::to_string(assets)?;
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

    fn pool_batch(&self, limit: u64) -> Result<Vec<Pending>> {
        self.rows(
            "SELECT seq, hash, entry, assets FROM pool ORDER BY seq LIMIT ?",
            vec![u(limit)],
        )?
        .into_iter()
        .map(|r| {
            let bad = || Error::internal("log storage: malformed pool row");
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

    /// Synchronous statements only, no `await` between them: one atomic commit.
    fn commit_batch(&self, batch: &Batch<'_>) -> Result<()> {
        for (i, p) in batch.entries.iter().enumerate() {
            let index = batch.first_index + i as u64;
            self.run(
                "INSERT INTO entries (idx, hash, entry) VALUES (?, ?, ?)",
                vec![u(index), V::Blob(p.hash.clone()), V::Blob(p.entry.clone())],
            )?;
            for a in &p.assets {
                self.run(
                    "INSERT OR IGNORE INTO asset_entries (asset, idx) VALUES (?, ?)",
                    vec![V::String(a.clone()), u(index)],
                )?;
            }
        }
        for (tile, data) in batch.tiles {
            self.run(
                "INSERT INTO tiles (level, idx, data) VALUES (?, ?, ?) ON CONFLICT (level, idx) DO UPDATE SET data = excluded.data",
                vec![V::Integer(tile.level().into()), u(tile.index()), V::Blob(data.clone())],
            )?;
        }
        self.run(
            "INSERT INTO checkpoints (size, note) VALUES (?, ?)",
            vec![u(batch.size), V::Blob(batch.checkpoint.to_vec())],
        )?;
        self.run(
            "DELETE FROM pool WHERE seq <= ?",
            vec![V::Integer(batch.pool_through)],
        )
    }

    fn entry(&self, index: u64) -> Result<Option<Vec<u8>>> {
        Ok(self
            .rows("SELECT entry FROM entries WHERE idx = ?", vec![u(index)])?
            .first()
            .and_then(|r| blob(r.first())))
    }

    fn entries(&self, start: u64, end: u64) -> Result<Vec<Vec<u8>>> {
        self.rows(
            "SELECT entry FROM entries WHERE idx >= ? AND idx < ? ORDER BY idx",
            vec![u(start), u(end)],
        )?
        .iter()
        .map(|r| blob(r.first()).ok_or_else(|| Error::internal("log storage: malformed entry row")))
        .collect()
    }

    fn asset_indexes(&self, asset: &str, limit: u64) -> Result<Vec<u64>> {
        Ok(self
            .rows(
                "SELECT idx FROM asset_entries WHERE asset = ? ORDER BY idx LIMIT ?",
                vec![V::String(asset.into()), u(limit)],
            )?
            .iter()
            .filter_map(|r| int(r.first()).map(|i| i as u64))
            .collect())
    }

    fn tile(&self, level: u8, index: u64) -> Result<Option<Vec<u8>>> {
        Ok(self
            .rows(
                "SELECT data FROM tiles WHERE level = ? AND idx = ?",
                vec![V::Integer(level.into()), u(index)],
            )?
            .first()
            .and_then(|r| blob(r.first())))
    }
}
