//! Publishing to R2 what the sequencer has committed: tiles and entry
//! bundles first, the checkpoint last, so R2 never shows a checkpoint whose
//! tiles are missing. Idempotent: after a crash it simply runs again from the
//! last published size.

use fairtrain_tlog::bundle::append_entries;
use fairtrain_tlog::tile_math::{changed_bundles, changed_tiles};
use fairtrain_tlog::TILE_WIDTH;
use futures_util::future::try_join_all;
use worker::{Bucket, Data, HttpMetadata};

use super::store::Store;
use crate::http::error::{ApiError, ApiResult};

/// R2 key prefix of the log: `log/checkpoint`, `log/tile/...`.
pub const PREFIX: &str = "log/";

async fn put(bucket: &Bucket, path: &str, data: Vec<u8>, content_type: &str) -> ApiResult<()> {
    bucket
        .put(format!("{PREFIX}{path}"), Data::Bytes(data))
        .http_metadata(HttpMetadata {
            content_type: Some(content_type.into()),
            ..Default::default()
        })
        .execute()
        .await
        .map_err(|e| ApiError::internal(format!("R2 put {path}: {e}")))?;
    Ok(())
}

/// Bring R2 up to the stored tree. Returns the size now published.
pub async fn publish(store: &Store, bucket: &Bucket) -> ApiResult<u64> {
    let from = store.published()?;
    let Some((size, note)) = store.checkpoint(None)? else {
        return Ok(from);
    };
    if size <= from {
        return Ok(from);
    }
    let mut objects: Vec<(String, Vec<u8>)> = Vec::new();
    for tile in changed_tiles(from, size).map_err(ApiError::internal)? {
        let data = store.tile(tile.level(), tile.index())?.ok_or_else(|| {
            ApiError::internal(format!("log storage: tile {} missing", tile.path()))
        })?;
        let take = usize::from(tile.width()) * 32;
        let data = data
            .get(..take)
            .ok_or_else(|| ApiError::internal("log storage: tile narrower than its tree"))?;
        objects.push((tile.path(), data.to_vec()));
    }
    let width = u64::from(TILE_WIDTH);
    for bundle in changed_bundles(from, size).map_err(ApiError::internal)? {
        let start = bundle.index() * width;
        let entries = store.entries(start, start + u64::from(bundle.width()))?;
        let refs: Vec<&[u8]> = entries.iter().map(Vec::as_slice).collect();
        let encoded = append_entries(start, None, &refs).map_err(ApiError::internal)?;
        for (id, data) in encoded {
            objects.push((id.path(), data));
        }
    }
    // Bounded parallelism: R2 takes many puts at once, workerd limits open requests.
    for chunk in objects.chunks(32) {
        try_join_all(
            chunk
                .iter()
                .map(|(path, data)| put(bucket, path, data.clone(), "application/octet-stream")),
        )
        .await?;
    }
    put(bucket, "checkpoint", note, "text/plain; charset=utf-8").await?;
    store.set_published(size)?;
    Ok(size)
}
