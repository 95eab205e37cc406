//! Before a byte is read: the signed envelope, its consent (the creator's
//! own, not revoked, valid now, covering exactly the declared hash), the
//! limits and the creator's rate. A refused upload stores nothing.

use fairtrain_consent::consent::{verify_consent, ConsentError, VerifiedConsent};
use fairtrain_consent::envelope::{verify_envelope, VerifiedEnvelope};
use fairtrain_consent::receipt;
use fairtrain_core::did_key::DidKey;
use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::jcs;
use serde_json::Value;

use super::limits::{check_media_type, check_size};
use crate::error::{Error, Kind, Result};
use crate::platform::Platform;

/// An upload that may go ahead.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub contributor: DidKey,
    pub envelope: VerifiedEnvelope,
    /// The signed envelope, canonical JSON.
    pub envelope_canonical: String,
    pub consent: VerifiedConsent,
}

/// A single-request upload of `length` bytes: within the single-request
/// limit, then everything [`prepare`] checks.
pub async fn prepare_single(
    p: &impl Platform,
    contributor: &DidKey,
    envelope: &Value,
    length: u64,
) -> Result<Prepared> {
    check_size(
        length,
        p.settings().uploads.max_single_bytes,
        "a single-request upload (use /v1/uploads for multipart)",
    )?;
    prepare(p, contributor, envelope).await
}

/// Checks `envelope` for an upload by `contributor` and counts it against
/// their rate.
pub async fn prepare(
    p: &impl Platform,
    contributor: &DidKey,
    envelope: &Value,
) -> Result<Prepared> {
    let limits = &p.settings().uploads;
    let verified = verify_envelope(envelope).map_err(|e| {
        Error::refused(
            "invalid-envelope",
            format!("the contribution envelope is not acceptable: {e}"),
        )
    })?;
    if verified.contributor != *contributor {
        return Err(Error::forbidden(
            "the envelope must be signed by the creator making the request",
        ));
    }
    check_media_type(limits, &verified.media_type)?;
    check_size(verified.size, limits.max_bytes, "the asset")?;
    let stored = p.consent(&verified.consent_id).await?.ok_or_else(|| {
        Error::refused(
            "unknown-consent",
            format!("no consent {} has been granted", verified.consent_id),
        )
    })?;
    if stored.creator != contributor.to_string() {
        return Err(Error::forbidden("the consent belongs to another creator"));
    }
    if stored.revoked_at.is_some() {
        return Err(Error::refused(
            "consent-revoked",
            "the consent has been revoked",
        ));
    }
    let token: Value = serde_json::from_str(&stored.token)?;
    let consent = verify_consent(&token, p.now()).map_err(|e| match e {
        ConsentError::Expired => Error::refused("consent-expired", "the consent has expired"),
        ConsentError::NotYetValid => {
            Error::refused("consent-not-yet-valid", "the consent is not valid yet")
        }
        other => Error::internal(format!("a stored consent no longer verifies: {other}")),
    })?;
    if !consent.asset_hashes.contains(&verified.content_hash) {
        return Err(Error::refused(
            "consent-other-bytes",
            format!("the consent does not cover {}", verified.content_hash),
        )
        .with("content_hash", verified.content_hash.to_string()));
    }
    take_upload_slot(p, contributor, limits.per_minute).await?;
    let envelope_canonical = jcs::canonicalize(envelope)?;
    Ok(Prepared {
        contributor: *contributor,
        envelope: verified,
        envelope_canonical,
        consent,
    })
}

/// At most `per_minute` uploads per creator in each calendar minute.
async fn take_upload_slot(p: &impl Platform, did: &DidKey, per_minute: u64) -> Result<()> {
    let now_ms = p.now().unix_millis();
    let count = p
        .count_upload(&did.to_string(), now_ms.div_euclid(60_000))
        .await?;
    if count > per_minute {
        let retry = 60 - now_ms.div_euclid(1000).rem_euclid(60);
        return Err(Error::new(
            Kind::RateLimited,
            format!("at most {per_minute} uploads per minute per creator"),
        )
        .retry_after(retry as u64));
    }
    Ok(())
}

/// Where a new copy of `hash`'s bytes is stored: content-addressed prefix,
/// unique suffix.
pub fn object_key(p: &impl Platform, hash: &Sha256Digest) -> Result<String> {
    Ok(receipt::object_key(hash, &p.uuid()?))
}
