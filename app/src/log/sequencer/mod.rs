//! The transparency log's sequencer: the single writer that orders entries
//! into the Merkle tree, over its own storage ([`SequencerStore`]) and the
//! place the log is published ([`Publisher`]).
//!
//! Appends land in a durable pool and are answered at once ([`append`]);
//! shortly after, the runtime calls [`LogSequencer::run`], which sequences
//! everything pooled in one batch (one atomic storage write, one signed
//! checkpoint) and publishes tiles, entry bundles and finally the
//! checkpoint. Throughput is bounded by batches, not by a storage write and
//! a signature per entry. After a restart, [`LogSequencer::has_work`] says
//! whether a previous instance left pooled or unpublished entries.
//!
//! The Worker runs it in the log's Durable Object (SQLite and R2); the
//! in-memory platform runs it over plain collections.

mod append;
mod lookup;
mod publish;
mod sequence;
mod store;

use std::cell::Cell;

use fairtrain_tlog::{Ed25519NoteSigner, TileId, HASH_SIZE};

use crate::error::{Error, Kind, Result};
use crate::keys::KeyRing;
use crate::settings::Settings;

pub use append::Accepted;
pub use lookup::{AssetEntries, Consistency, EntryLookup, LoggedEntry, PooledEntry};
pub use publish::{LogObject, Publisher, CHECKPOINT, CHECKPOINT_TYPE, TILE_TYPE};
pub use sequence::MAX_BATCH;
pub use store::{Batch, Found, Pending, SequencerStore};

/// The log's sequencer over its storage `S`.
pub struct LogSequencer<S> {
    store: S,
    /// The checkpoint origin and note key name.
    origin: String,
    /// Beyond this many pooled entries, appends are refused.
    max_pool: u64,
    /// Pooled entries, counted once and then kept: this is the pool's only writer.
    pool_count: Cell<Option<u64>>,
}

/// A full pool: the caller retries in a second.
pub fn pool_full() -> Error {
    Error::new(Kind::RateLimited, "the log's pool is full; retry shortly").retry_after(1)
}

impl<S: SequencerStore> LogSequencer<S> {
    /// A sequencer with the deployment's log origin and pool limit.
    pub fn new(store: S, settings: &Settings) -> LogSequencer<S> {
        LogSequencer {
            store,
            origin: settings.log_origin.clone(),
            max_pool: settings.log_max_pool,
            pool_count: Cell::new(None),
        }
    }

    /// Whether entries wait to be sequenced or published: work a previous
    /// instance left, to resume after a restart.
    pub fn has_work(&self) -> Result<bool> {
        Ok(self.store.pool_len()? > 0 || self.store.published()? < self.store.size()?)
    }

    /// One run of the sequencer: publishes what an earlier run committed
    /// but did not publish, sequences one batch and publishes it. `keys`
    /// sign the checkpoint. Returns whether entries are still pooled (run
    /// again).
    pub async fn run(&self, keys: Result<KeyRing>, publisher: &impl Publisher) -> Result<bool> {
        self.publish(publisher).await?;
        let signer = self.signer(&keys?)?;
        if self.sequence(&signer)? {
            self.publish(publisher).await?;
        }
        Ok(self.pool_count()? > 0)
    }

    fn signer(&self, keys: &KeyRing) -> Result<Ed25519NoteSigner> {
        Ed25519NoteSigner::new(&self.origin, keys.active_signer().clone())
            .map_err(|e| Error::internal(format!("log origin is not a valid note key name: {e}")))
    }

    /// A hash tile as the tree has it now: the stored (widest) version,
    /// cut to `tile`'s width.
    fn stored_tile(&self, tile: &TileId) -> Result<Vec<u8>> {
        let missing = || Error::internal(format!("log storage: tile {} missing", tile.path()));
        let mut data = self
            .store
            .tile(tile.level(), tile.index())?
            .ok_or_else(missing)?;
        let width = usize::from(tile.width()) * HASH_SIZE;
        if data.len() < width {
            return Err(missing());
        }
        data.truncate(width);
        Ok(data)
    }

    fn pool_count(&self) -> Result<u64> {
        match self.pool_count.get() {
            Some(n) => Ok(n),
            None => {
                let n = self.store.pool_len()?;
                self.pool_count.set(Some(n));
                Ok(n)
            }
        }
    }
}
