//! The port to the log's sequencer: the single writer that orders entries
//! and owns the tree ([`super::sequencer::LogSequencer`], run by the Worker
//! in a Durable Object).

use fairtrain_core::digest::Sha256Digest;

use super::protocol::{AppendRequest, AppendResponse};
use super::sequencer::{AssetEntries, Consistency, EntryLookup};
use crate::error::Result;

#[allow(async_fn_in_trait)]
pub trait Sequencer {
    /// Durably pools the entries (or finds them already pooled or
    /// sequenced). A full pool is `RateLimited` with a retry time.
    async fn append(&self, request: &AppendRequest) -> Result<AppendResponse>;
    /// The signed checkpoint issued at `size`.
    async fn checkpoint_at(&self, size: u64) -> Result<Vec<u8>>;
    /// The tlog-proof of entry `index` against the latest checkpoint.
    async fn proof(&self, index: u64) -> Result<Vec<u8>>;
    async fn entry(&self, hash: &Sha256Digest) -> Result<EntryLookup>;
    async fn asset_entries(&self, asset: &Sha256Digest) -> Result<AssetEntries>;
    async fn consistency(&self, from: u64, to: u64) -> Result<Consistency>;
}

/// The log as published (tiles, entry bundles, the checkpoint).
#[allow(async_fn_in_trait)]
pub trait PublishedLog {
    /// The object at `path` (relative to the log), if published.
    async fn published(&self, path: &str) -> Result<Option<Vec<u8>>>;
}
