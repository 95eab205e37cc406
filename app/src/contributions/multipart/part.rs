//! Parts: in order, every one but the last of the part size, each matching
//! its own digest, recorded only if nobody recorded one meanwhile.

use fairtrain_core::did_key::DidKey;
use fairtrain_core::digest::Sha256Digest;
use serde::Serialize;

use crate::contributions::limits::part_size;
use crate::contributions::store::{Part, StoredUpload};
use crate::error::{Error, Kind, Result};
use crate::platform::Platform;

#[derive(Debug, Serialize)]
pub struct PartRecorded {
    pub part: u16,
    pub size: u64,
    pub received: u64,
    pub declared_size: u64,
}

/// The creator's open upload `id`, if `number` is its next part.
pub async fn next_part(
    p: &impl Platform,
    id: &str,
    creator: &DidKey,
    number: u16,
) -> Result<StoredUpload> {
    let upload = super::load(p, id, creator).await?;
    let expected = upload.parts.len() as u16 + 1;
    if number != expected {
        return Err(
            Error::conflict(format!("parts go in order: the next part is {expected}"))
                .with("next_part", expected),
        );
    }
    Ok(upload)
}

/// Part `number` of `upload` may be `length` bytes: the part size, or
/// exactly what remains for the last part.
pub fn check_part_size(
    p: &impl Platform,
    upload: &StoredUpload,
    number: u16,
    length: u64,
) -> Result<()> {
    let size = part_size(&p.settings().uploads);
    let remaining = upload.declared_size.saturating_sub(upload.received);
    let last = length == remaining;
    if length == 0 || length > remaining || (!last && length != size) {
        return Err(Error::bad_request(format!(
            "part {number} must be {} bytes (parts are {size} bytes, the last one the remainder; {remaining} bytes remain)",
            remaining.min(size)
        )));
    }
    Ok(())
}

/// Records `part`, stored with the digest `computed`, if that is the
/// `declared` one and nobody recorded a part meanwhile.
pub async fn record_part(
    p: &impl Platform,
    upload: &StoredUpload,
    part: Part,
    computed: &Sha256Digest,
    declared: &Sha256Digest,
) -> Result<PartRecorded> {
    if computed != declared {
        // The storage keeps the last upload of a part number: the client re-sends it.
        return Err(Error::new(
            Kind::DigestMismatch,
            format!(
                "part {} does not match its Content-Digest; send it again",
                part.part
            ),
        )
        .with("computed_digest", computed.to_string()));
    }
    let recorded = PartRecorded {
        part: part.part,
        size: part.size,
        received: upload.received + part.size,
        declared_size: upload.declared_size,
    };
    let mut parts = upload.parts.clone();
    parts.push(part);
    if !p
        .record_parts(&upload.id, &parts, recorded.received, upload.received)
        .await?
    {
        return Err(Error::conflict(
            "another request recorded a part concurrently; check the upload and continue",
        ));
    }
    Ok(recorded)
}
