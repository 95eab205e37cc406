//! Multipart uploads for large files: parts in order, each checked against
//! its own digest; at completion the assembled object is hashed whole and
//! ingested like a single upload. An upload not completed in time is
//! aborted by the hourly housekeeping, leaving nothing behind.
//!
//! Moving bytes into and out of blob storage stays with the runtime; what
//! happens around it (who may, in which order, what is recorded) is here.

mod abort;
mod complete;
mod part;
mod start;

pub use abort::{abort, abort_expired, Aborted};
pub use complete::{assembled, completion, Completion};
pub use part::{check_part_size, next_part, record_part, PartRecorded};
pub use start::{start, Started};

use fairtrain_core::did_key::DidKey;

use super::store::StoredUpload;
use crate::error::{Error, Result};
use crate::platform::Platform;

/// The creator's upload `id`, if it is still open.
async fn load(p: &impl Platform, id: &str, creator: &DidKey) -> Result<StoredUpload> {
    let upload = p.upload(id).await?.ok_or_else(|| {
        Error::not_found(&format!(
            "/v1/uploads/{id} (unknown, completed, aborted or expired)"
        ))
    })?;
    if upload.contributor != creator.to_string() {
        return Err(Error::forbidden("this upload belongs to another creator"));
    }
    if upload.expired(p.now()) {
        return Err(Error::not_found(&format!("/v1/uploads/{id} (expired)")));
    }
    Ok(upload)
}
