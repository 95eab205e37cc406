//! Completing: every byte received, the consent checked again (it may have
//! been revoked meanwhile); once the runtime has assembled the object the
//! upload is over, and the object is ingested like a single upload.

use fairtrain_core::did_key::DidKey;
use serde_json::Value;

use crate::contributions::prepare::{prepare, Prepared};
use crate::contributions::store::StoredUpload;
use crate::error::{Error, Result};
use crate::platform::Platform;

#[derive(Debug)]
pub struct Completion {
    pub upload: StoredUpload,
    pub prepared: Prepared,
}

/// The creator's upload `id`, if it may be assembled now.
pub async fn completion(p: &impl Platform, id: &str, creator: &DidKey) -> Result<Completion> {
    let upload = super::load(p, id, creator).await?;
    if upload.received != upload.declared_size {
        return Err(Error::conflict(format!(
            "the upload is incomplete: {} of {} bytes received",
            upload.received, upload.declared_size
        )));
    }
    let envelope: Value = serde_json::from_str(&upload.envelope)?;
    let prepared = prepare(p, creator, &envelope).await?;
    Ok(Completion { upload, prepared })
}

/// The upload's object is assembled: the upload is over.
pub async fn assembled(p: &impl Platform, upload: &StoredUpload) -> Result<()> {
    p.delete_upload(&upload.id).await
}
