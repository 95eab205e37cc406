//! Reading the log: checkpoints, proofs and entries from the sequencer,
//! which owns the tree; tiles and the latest checkpoint as published.

use fairtrain_core::digest::Sha256Digest;
use fairtrain_tlog::TilePath;

use super::sequencer::{
    AssetEntries, Consistency, EntryLookup, CHECKPOINT, CHECKPOINT_TYPE, TILE_TYPE,
};
use super::sequencer_port::{PublishedLog, Sequencer};
use crate::error::{Error, Kind, Result};

/// Cache policy of what never changes.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// An object of the published log, with how it may be cached.
#[derive(Debug)]
pub struct PublicObject {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
    pub cache_control: &'static str,
}

/// `path` of the published log (C2SP tlog-tiles): the checkpoint (never
/// cached), a full tile or bundle (immutable), a partial one (an hour: it
/// never changes either, but is superseded soon).
pub async fn public_object(p: &impl PublishedLog, path: &str) -> Result<PublicObject> {
    let (cache_control, content_type) = if path == CHECKPOINT {
        ("no-store", CHECKPOINT_TYPE)
    } else {
        let cache = match TilePath::parse(path) {
            Ok(TilePath::Hashes(t)) if t.is_full() => IMMUTABLE,
            Ok(TilePath::Entries(b)) if b.is_full() => IMMUTABLE,
            Ok(_) => "public, max-age=3600",
            Err(e) => return Err(Error::not_found(&format!("/log/{path} ({e})"))),
        };
        (cache, TILE_TYPE)
    };
    match p.published(path).await? {
        Some(bytes) => Ok(PublicObject {
            bytes,
            content_type,
            cache_control,
        }),
        None if path == CHECKPOINT => Err(Error::new(
            Kind::NotFound,
            "the log has no checkpoint yet: nothing has been appended",
        )),
        None => Err(Error::not_found(&format!("/log/{path}"))),
    }
}

/// The signed checkpoint issued at `size` (a path segment).
pub async fn checkpoint_at(p: &impl Sequencer, size: &str) -> Result<Vec<u8>> {
    let size: u64 = size
        .parse()
        .map_err(|_| Error::bad_request("the size must be a non-negative integer"))?;
    p.checkpoint_at(size).await
}

/// The tlog-proof of the entry at `index` (a path segment).
pub async fn proof(p: &impl Sequencer, index: &str) -> Result<Vec<u8>> {
    let index: u64 = index
        .parse()
        .map_err(|_| Error::bad_request("the index must be a non-negative integer"))?;
    p.proof(index).await
}

/// The entry with this hash (`sha256:<hex>`).
pub async fn entry(p: &impl Sequencer, hash: &str) -> Result<EntryLookup> {
    let hash: Sha256Digest = hash
        .parse()
        .map_err(|e| Error::bad_request(format!("entry hash: {e}")))?;
    p.entry(&hash).await
}

/// The entries about the asset with this hash (`sha256:<hex>`).
pub async fn asset_entries(p: &impl Sequencer, hash: &str) -> Result<AssetEntries> {
    let hash: Sha256Digest = hash
        .parse()
        .map_err(|e| Error::bad_request(format!("asset hash: {e}")))?;
    p.asset_entries(&hash).await
}

/// The consistency proof between two tree sizes (query parameters).
pub async fn consistency(
    p: &impl Sequencer,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<Consistency> {
    let size = |name: &str, v: Option<&str>| -> Result<u64> {
        v.and_then(|v| v.parse().ok())
            .ok_or_else(|| Error::bad_request(format!("`{name}` is required: a tree size")))
    };
    let (from, to) = (size("from", from)?, size("to", to)?);
    p.consistency(from, to).await
}
