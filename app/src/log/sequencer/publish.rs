//! Publishing what the sequencer has committed: tiles and entry bundles
//! first, the checkpoint last, so the published log never shows a
//! checkpoint whose tiles are missing. Idempotent: after a failure it simply
//! runs again from the last published size.

use fairtrain_tlog::bundle::append_entries;
use fairtrain_tlog::tile_math::{changed_bundles, changed_tiles};
use fairtrain_tlog::TILE_WIDTH;

use super::store::SequencerStore;
use super::LogSequencer;
use crate::error::Result;

/// The checkpoint's path in the published log (C2SP tlog-tiles).
pub const CHECKPOINT: &str = "checkpoint";
/// The checkpoint's media type.
pub const CHECKPOINT_TYPE: &str = "text/plain; charset=utf-8";
/// The media type of hash tiles and entry bundles.
pub const TILE_TYPE: &str = "application/octet-stream";

/// One object of the published log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogObject {
    /// Relative to the log: `checkpoint`, `tile/0/000`, `tile/entries/000.p/5`.
    pub path: String,
    pub data: Vec<u8>,
    pub content_type: &'static str,
}

/// Where the log is published (R2).
#[allow(async_fn_in_trait)]
pub trait Publisher {
    /// Writes every object, in any order or at once; `Ok` only once all
    /// are written. A failure may leave some written.
    async fn put(&self, objects: Vec<LogObject>) -> Result<()>;
}

impl<S: SequencerStore> LogSequencer<S> {
    /// Brings the published log up to the stored tree. Returns the size now
    /// published.
    pub async fn publish(&self, publisher: &impl Publisher) -> Result<u64> {
        let from = self.store.published()?;
        let Some((size, note)) = self.store.checkpoint(None)? else {
            return Ok(from);
        };
        if size <= from {
            return Ok(from);
        }
        let mut objects = Vec::new();
        for tile in changed_tiles(from, size)? {
            objects.push(LogObject {
                path: tile.path(),
                data: self.stored_tile(&tile)?,
                content_type: TILE_TYPE,
            });
        }
        let width = u64::from(TILE_WIDTH);
        for bundle in changed_bundles(from, size)? {
            let start = bundle.index() * width;
            let entries = self
                .store
                .entries(start, start + u64::from(bundle.width()))?;
            let refs: Vec<&[u8]> = entries.iter().map(Vec::as_slice).collect();
            for (id, data) in append_entries(start, None, &refs)? {
                objects.push(LogObject {
                    path: id.path(),
                    data,
                    content_type: TILE_TYPE,
                });
            }
        }
        publisher.put(objects).await?;
        publisher
            .put(vec![LogObject {
                path: CHECKPOINT.into(),
                data: note,
                content_type: CHECKPOINT_TYPE,
            }])
            .await?;
        self.store.set_published(size)?;
        Ok(size)
    }
}
