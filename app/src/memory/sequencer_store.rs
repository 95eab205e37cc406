//! The log sequencer's storage and publisher in memory: the same contracts
//! as the Durable Object's SQLite storage and R2 (a batch commits all or
//! nothing; a hash is pooled or sequenced once).
//!
//! Both are handles: clones share their data, so a test can drop a
//! sequencer and start a new one over the same storage, as a restarted
//! Durable Object does. The data sits behind a mutex, so the platform that
//! holds them may move to another thread (the CLI's test server runs it on
//! its own).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::error::{Error, Result};
use crate::log::sequencer::{Batch, Found, LogObject, Pending, Publisher, SequencerStore};

#[derive(Default)]
struct Tables {
    next_seq: i64,
    /// seq → pooled entry, and hash → seq.
    pool: BTreeMap<i64, Pending>,
    pooled: HashMap<Vec<u8>, i64>,
    /// Entries by index, and hash → index.
    entries: Vec<Vec<u8>>,
    sequenced: HashMap<Vec<u8>, u64>,
    /// (asset, index).
    assets: BTreeSet<(String, u64)>,
    tiles: HashMap<(u8, u64), Vec<u8>>,
    checkpoints: BTreeMap<u64, Vec<u8>>,
    published: u64,
}

#[derive(Clone, Default)]
pub struct MemorySequencerStore {
    tables: Arc<Mutex<Tables>>,
}

impl MemorySequencerStore {
    fn tables(&self) -> MutexGuard<'_, Tables> {
        self.tables.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Every sequenced entry, in index order.
    pub fn sequenced(&self) -> Vec<Vec<u8>> {
        self.tables().entries.clone()
    }

    /// Every signed checkpoint, by tree size.
    pub fn checkpoints(&self) -> BTreeMap<u64, Vec<u8>> {
        self.tables().checkpoints.clone()
    }
}

impl SequencerStore for MemorySequencerStore {
    fn size(&self) -> Result<u64> {
        Ok(self
            .tables()
            .checkpoints
            .keys()
            .next_back()
            .copied()
            .unwrap_or(0))
    }

    fn checkpoint(&self, size: Option<u64>) -> Result<Option<(u64, Vec<u8>)>> {
        let t = self.tables();
        let found = match size {
            Some(s) => t.checkpoints.get_key_value(&s),
            None => t.checkpoints.iter().next_back(),
        };
        Ok(found.map(|(s, note)| (*s, note.clone())))
    }

    fn published(&self) -> Result<u64> {
        Ok(self.tables().published)
    }

    fn set_published(&self, size: u64) -> Result<()> {
        self.tables().published = size;
        Ok(())
    }

    fn pool_len(&self) -> Result<u64> {
        Ok(self.tables().pool.len() as u64)
    }

    fn find(&self, hash: &[u8]) -> Result<Option<Found>> {
        let t = self.tables();
        if let Some(i) = t.sequenced.get(hash) {
            return Ok(Some(Found::Sequenced(*i)));
        }
        Ok(t.pooled.contains_key(hash).then_some(Found::Pooled))
    }

    fn pool_insert(
        &self,
        hash: &[u8],
        entry: &[u8],
        assets: &[String],
        _now_ms: u64,
    ) -> Result<()> {
        let mut t = self.tables();
        if t.pooled.contains_key(hash) {
            return Err(Error::internal("log storage: hash already pooled"));
        }
        t.next_seq += 1;
        let seq = t.next_seq;
        t.pooled.insert(hash.to_vec(), seq);
        t.pool.insert(
            seq,
            Pending {
                seq,
                hash: hash.to_vec(),
                entry: entry.to_vec(),
                assets: assets.to_vec(),
            },
        );
        Ok(())
    }

    fn pool_batch(&self, limit: u64) -> Result<Vec<Pending>> {
        Ok(self
            .tables()
            .pool
            .values()
            .take(limit as usize)
            .cloned()
            .collect())
    }

    fn commit_batch(&self, batch: &Batch<'_>) -> Result<()> {
        let mut t = self.tables();
        // Every check first, so a refused batch writes nothing.
        if batch.first_index != t.entries.len() as u64
            || batch
                .entries
                .iter()
                .any(|p| t.sequenced.contains_key(&p.hash))
            || t.checkpoints.contains_key(&batch.size)
        {
            return Err(Error::internal(
                "log storage: batch conflicts with the tree",
            ));
        }
        for (i, p) in batch.entries.iter().enumerate() {
            let index = batch.first_index + i as u64;
            t.entries.push(p.entry.clone());
            t.sequenced.insert(p.hash.clone(), index);
            for a in &p.assets {
                t.assets.insert((a.clone(), index));
            }
        }
        for (tile, data) in batch.tiles {
            t.tiles.insert((tile.level(), tile.index()), data.clone());
        }
        t.checkpoints.insert(batch.size, batch.checkpoint.to_vec());
        let kept = t.pool.split_off(&(batch.pool_through + 1));
        let gone = std::mem::replace(&mut t.pool, kept);
        for p in gone.values() {
            t.pooled.remove(&p.hash);
        }
        Ok(())
    }

    fn entry(&self, index: u64) -> Result<Option<Vec<u8>>> {
        Ok(self.tables().entries.get(index as usize).cloned())
    }

    fn entries(&self, start: u64, end: u64) -> Result<Vec<Vec<u8>>> {
        let t = self.tables();
        let end = (end as usize).min(t.entries.len());
        Ok(t.entries
            .get(start as usize..end)
            .unwrap_or_default()
            .to_vec())
    }

    fn asset_indexes(&self, asset: &str, limit: u64) -> Result<Vec<u64>> {
        Ok(self
            .tables()
            .assets
            .range((asset.to_string(), 0)..=(asset.to_string(), u64::MAX))
            .take(limit as usize)
            .map(|(_, i)| *i)
            .collect())
    }

    fn tile(&self, level: u8, index: u64) -> Result<Option<Vec<u8>>> {
        Ok(self.tables().tiles.get(&(level, index)).cloned())
    }
}

#[derive(Default)]
struct Objects {
    by_path: BTreeMap<String, LogObject>,
    /// Every path written, in order.
    writes: Vec<String>,
    /// Writes left before each one fails (a test's outage); `None`: no outage.
    failing_after: Option<usize>,
}

/// The published log in memory (R2's part).
#[derive(Clone, Default)]
pub struct MemoryPublisher {
    objects: Arc<Mutex<Objects>>,
}

impl MemoryPublisher {
    fn objects(&self) -> MutexGuard<'_, Objects> {
        self.objects.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn object(&self, path: &str) -> Option<LogObject> {
        self.objects().by_path.get(path).cloned()
    }

    /// Every path written so far, in the order written.
    pub fn writes(&self) -> Vec<String> {
        self.objects().writes.clone()
    }

    /// From now on, `n` more writes succeed and every later one fails,
    /// until [`MemoryPublisher::recover`].
    pub fn fail_after(&self, n: usize) {
        self.objects().failing_after = Some(n);
    }

    pub fn recover(&self) {
        self.objects().failing_after = None;
    }
}

impl Publisher for MemoryPublisher {
    async fn put(&self, objects: Vec<LogObject>) -> Result<()> {
        let mut o = self.objects();
        for object in objects {
            match o.failing_after {
                Some(0) => {
                    return Err(Error::internal(format!(
                        "R2 put {}: unavailable",
                        object.path
                    )))
                }
                Some(n) => o.failing_after = Some(n - 1),
                None => {}
            }
            o.writes.push(object.path.clone());
            o.by_path.insert(object.path.clone(), object);
        }
        Ok(())
    }
}
