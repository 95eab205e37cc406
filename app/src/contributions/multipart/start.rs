//! Starting a multipart upload.

use serde::Serialize;

use crate::contributions::limits::part_size;
use crate::contributions::prepare::Prepared;
use crate::contributions::store::StoredUpload;
use crate::error::{Error, Result};
use crate::platform::Platform;

#[derive(Debug, Serialize)]
pub struct Started {
    pub upload_id: String,
    /// Every part but the last is this size.
    pub part_size: u64,
    pub parts: u64,
    /// Seconds left to complete the upload.
    pub expires_in: u64,
}

/// Records the upload `prepared` (whose multipart upload `multipart_id`
/// into `object_key` the runtime has begun).
pub async fn start(
    p: &impl Platform,
    prepared: &Prepared,
    object_key: &str,
    multipart_id: &str,
) -> Result<Started> {
    let limits = &p.settings().uploads;
    let env = &prepared.envelope;
    let id = p.uuid()?;
    let now = p.now();
    let expires_at = i64::try_from(limits.ttl_s)
        .ok()
        .and_then(|ttl| now.checked_add_seconds(ttl))
        .ok_or_else(|| Error::internal("the upload TTL is out of range"))?;
    p.insert_upload(&StoredUpload {
        id: id.clone(),
        multipart_id: multipart_id.to_string(),
        object_key: object_key.to_string(),
        contributor: prepared.contributor.to_string(),
        envelope: prepared.envelope_canonical.clone(),
        declared_hash: env.content_hash.to_string(),
        declared_size: env.size,
        media_type: env.media_type.clone(),
        parts: Vec::new(),
        received: 0,
        created_at: now,
        expires_at,
    })
    .await?;
    let part_size = part_size(limits);
    Ok(Started {
        upload_id: id,
        part_size,
        parts: env.size.div_ceil(part_size).max(1),
        expires_in: limits.ttl_s,
    })
}
