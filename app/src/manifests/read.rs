//! Reading a signed manifest.

use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::principal::Principal;

use super::access::require_reader;
use crate::error::Result;
use crate::platform::Platform;

/// A signed manifest: immutable, so its hash is a strong validator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestDocument {
    /// The signed VC, canonical JSON.
    pub document: String,
    pub manifest_hash: Sha256Digest,
}

pub async fn read(p: &impl Platform, reader: &Principal, id: &str) -> Result<ManifestDocument> {
    let m = require_reader(p, reader, id).await?;
    Ok(ManifestDocument {
        document: m.document,
        manifest_hash: m.manifest_hash,
    })
}
