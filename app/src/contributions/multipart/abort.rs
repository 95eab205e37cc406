//! Aborting: by the creator, or by housekeeping once an upload expired.

use fairtrain_core::did_key::DidKey;
use serde::Serialize;

use crate::contributions::store::StoredUpload;
use crate::error::Result;
use crate::platform::Platform;

/// Expired uploads aborted per run.
const EXPIRED_PER_RUN: u32 = 100;

#[derive(Debug, Serialize)]
pub struct Aborted {
    pub upload_id: String,
    pub status: &'static str,
}

pub async fn abort(p: &impl Platform, id: &str, creator: &DidKey) -> Result<Aborted> {
    let upload = super::load(p, id, creator).await?;
    forget(p, &upload).await?;
    Ok(Aborted {
        upload_id: id.to_string(),
        status: "aborted",
    })
}

/// Aborts uploads that were never completed in time; returns how many.
pub async fn abort_expired(p: &impl Platform) -> Result<usize> {
    let expired = p.expired_uploads(p.now(), EXPIRED_PER_RUN).await?;
    for upload in &expired {
        forget(p, upload).await?;
    }
    Ok(expired.len())
}

/// The stored parts are abandoned (best effort), then the upload is gone.
async fn forget(p: &impl Platform, upload: &StoredUpload) -> Result<()> {
    p.abort_multipart(&upload.object_key, &upload.multipart_id)
        .await;
    p.delete_upload(&upload.id).await
}
