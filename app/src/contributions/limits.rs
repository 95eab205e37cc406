//! The upload limits ([`UploadLimits`], the operator's plan settings) as
//! checks: each refusal is its own problem.

use crate::error::{Error, Kind, Result};
use crate::settings::UploadLimits;

/// The blob storage's smallest multipart part (all parts but the last).
pub const MIN_PART_BYTES: u64 = 5 << 20;

/// The size of every multipart part but the last.
pub fn part_size(limits: &UploadLimits) -> u64 {
    limits.part_bytes.max(MIN_PART_BYTES)
}

/// `media_type` (parameters ignored) is one of the allowed types: exact
/// `type/subtype` or `type/*`.
pub fn check_media_type(limits: &UploadLimits, media_type: &str) -> Result<()> {
    let mt = media_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let allowed = limits
        .media_types
        .iter()
        .any(|m| match m.strip_suffix("/*") {
            Some(top) => mt.split_once('/').is_some_and(|(t, _)| t == top),
            None => *m == mt,
        });
    if allowed {
        return Ok(());
    }
    Err(Error::new(
        Kind::UnsupportedMediaType,
        format!("media type {mt:?} is not accepted for assets"),
    )
    .with("allowed", limits.media_types.join(",")))
}

/// `what` (`size` bytes) is within `limit`.
pub fn check_size(size: u64, limit: u64, what: &str) -> Result<()> {
    if size > limit {
        return Err(Error::new(
            Kind::TooLarge,
            format!("{what} is {size} bytes; the limit is {limit}"),
        )
        .with("limit", limit));
    }
    Ok(())
}
