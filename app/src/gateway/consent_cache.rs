//! Stored consents as the gateway and manifest composition see them:
//! loaded in bulk and verified once per piece of work, not once per
//! contribution.

use std::collections::HashMap;

use fairtrain_consent::consent::{verify_consent_document, VerifiedConsent};
use fairtrain_consent::policy::ConsentState;

use crate::error::Result;
use crate::platform::Platform;

pub struct Stored {
    /// Signature and shape verified; `None` if the stored token no longer
    /// verifies. The validity window is judged by the caller, at its own time.
    pub consent: Option<VerifiedConsent>,
    pub revoked: bool,
}

impl Stored {
    /// The consent's state for the policy's evaluation.
    pub fn state(stored: Option<&Stored>) -> ConsentState<'_> {
        match stored {
            None
            | Some(Stored {
                consent: None,
                revoked: false,
            }) => ConsentState::None,
            Some(Stored { revoked: true, .. }) => ConsentState::Revoked,
            Some(Stored {
                consent: Some(v), ..
            }) => ConsentState::Active(v),
        }
    }
}

/// Consent id → what is stored (`None`: no such consent).
#[derive(Default)]
pub struct ConsentCache(HashMap<String, Option<Stored>>);

impl ConsentCache {
    /// Loads the consents named by `ids` that the cache does not hold yet.
    pub async fn load<'a>(
        &mut self,
        p: &impl Platform,
        ids: impl Iterator<Item = &'a str>,
    ) -> Result<()> {
        let mut missing: Vec<&str> = ids.filter(|id| !self.0.contains_key(*id)).collect();
        missing.sort_unstable();
        missing.dedup();
        if missing.is_empty() {
            return Ok(());
        }
        for row in p.consents(&missing).await? {
            let consent = serde_json::from_str::<serde_json::Value>(&row.token)
                .ok()
                .and_then(|t| verify_consent_document(&t).ok());
            self.0.insert(
                row.id,
                Some(Stored {
                    consent,
                    revoked: row.revoked_at.is_some(),
                }),
            );
        }
        for id in missing {
            self.0.entry(id.to_string()).or_insert(None);
        }
        Ok(())
    }

    /// What is stored under `id`, if it was loaded and exists.
    pub fn get(&self, id: &str) -> Option<&Stored> {
        self.0.get(id).and_then(Option::as_ref)
    }
}
