//! Registering: the challenge is spent, its signature checked, and the
//! creator stored with their profile.

use fairtrain_consent::registration;
use fairtrain_core::ed25519::Signature;
use fairtrain_core::encoding::base64url_decode;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::store::{StoredCreator, StoredProfile};
use crate::error::{Error, Kind, Result};
use crate::platform::Platform;

/// A registration as the creator sends it (the type's name shows in the
/// errors about its shape, so it stays).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    pub did: String,
    pub challenge: String,
    /// base64url of the Ed25519 signature over the registration message.
    pub signature: String,
    #[serde(default)]
    pub profile: Profile,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub payout: Option<Value>,
}

#[derive(Debug, Serialize)]
pub struct Registered {
    pub did: String,
    pub registered_at: String,
}

pub async fn register(p: &impl Platform, r: &RegisterRequest) -> Result<Registered> {
    let did = super::parse_did(&r.did)?;
    let now = p.now();
    // The challenge is spent whatever happens next: single use.
    let unexpired = p
        .take_challenge(&r.challenge, &did.to_string())
        .await?
        .is_some_and(|expires| expires.unix_seconds() >= now.unix_seconds());
    if !unexpired {
        return Err(Error::new(
            Kind::DocumentSignature,
            "unknown, expired or already used challenge for this did",
        )
        .with("reason", "challenge"));
    }
    let sig = base64url_decode(&r.signature)
        .ok()
        .and_then(|b| Signature::from_slice(&b).ok())
        .ok_or_else(|| Error::field("/signature", "base64url of a 64-byte Ed25519 signature"))?;
    let message = registration::challenge_message(&did, &r.challenge);
    did.public_key()
        .verify(message.as_bytes(), &sig)
        .map_err(|_| {
            Error::new(
                Kind::DocumentSignature,
                "the signature over the challenge does not verify with this did:key",
            )
            .with("reason", "bad-signature")
        })?;
    for (pointer, value, max) in [
        ("/profile/display_name", &r.profile.display_name, 200),
        ("/profile/email", &r.profile.email, 320),
    ] {
        if value.as_ref().is_some_and(|v| v.len() > max) {
            return Err(Error::field(pointer, format!("at most {max} characters")));
        }
    }
    let payout = r
        .profile
        .payout
        .as_ref()
        .map(serde_json::to_string)
        .transpose()?;
    let stored = StoredCreator {
        did: did.to_string(),
        registered_at: now,
        profile: StoredProfile {
            display_name: r.profile.display_name.clone(),
            email: r.profile.email.clone(),
            payout,
        },
    };
    if !p.insert_creator(&stored).await? {
        return Err(Error::conflict("this did:key is already registered"));
    }
    Ok(Registered {
        did: stored.did,
        registered_at: now.format_rfc3339(),
    })
}
