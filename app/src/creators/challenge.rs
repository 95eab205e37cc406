//! Issuing a registration challenge.

use fairtrain_core::encoding::base64url_encode;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::platform::Platform;

/// How long a challenge can be used.
pub const CHALLENGE_TTL_S: i64 = 300;

#[derive(Debug, Serialize)]
pub struct Challenge {
    pub challenge: String,
    pub expires_at: String,
}

/// A fresh random challenge for `did` to sign, single use, for
/// [`CHALLENGE_TTL_S`] seconds.
pub async fn challenge(p: &impl Platform, did: &str) -> Result<Challenge> {
    let did = super::parse_did(did)?;
    let mut random = [0u8; 32];
    p.fill_random(&mut random)?;
    let challenge = base64url_encode(&random);
    let expires_at = p
        .now()
        .checked_add_seconds(CHALLENGE_TTL_S)
        .ok_or_else(|| Error::internal("time overflow"))?;
    p.insert_challenge(&challenge, &did.to_string(), expires_at)
        .await?;
    Ok(Challenge {
        challenge,
        expires_at: expires_at.format_rfc3339(),
    })
}
